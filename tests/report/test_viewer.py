"""The report page's slice viewer: each case's files named relative to the page (no copies, no absolute paths),
the page's check of its references, and the viewer in a real browser (Debian's headless Chromium, WebGL2 on the
CPU): a click opens a case, its canvas is drawn, its layers name the files, a hover over a known voxel names the
voxel's region, n opens the next case, and a page opened from disk tells the user to run ``nnunet_wmh view``."""

from __future__ import annotations

import io
import json
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nnunet_wmh.labels.joint import JointEncoding, RegionIndex
from nnunet_wmh.report.finish import merge_report
from nnunet_wmh.report.inputs import CaseInputs
from nnunet_wmh.report.page_files import page_references, reference_problems
from nnunet_wmh.report.run import make_report
from nnunet_wmh.report.serve import serve_page
from nnunet_wmh.report.viewer import VIEWER_FILES, lesion_layer, page_case_files, recorded_case_files
from tests.helpers.browser import DevTools
from tests.helpers.images import read_labels, save
from tests.helpers.report_cases import AFFINE, write_hand_cohort


def test_a_case_records_the_files_of_its_part_relatively_and_the_others_absolutely(tmp_path):
    part = tmp_path / "out" / "parts" / "part-0-of-1"
    image = tmp_path / "images" / "a_0000.nii.gz"
    for path in (image, image.with_name("a_0001.nii.gz"), image.with_name("a_0003.nii.gz")):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
    inputs = CaseInputs("a", tmp_path / "pred" / "a.nii.gz", regions=part / "bids" / "sub-a" / "r.nii.gz", image=image)
    assert recorded_case_files(inputs, part) == {
        "lesions": str(tmp_path / "pred" / "a.nii.gz"),
        "image": str(image),
        "others": [str(image.with_name("a_0001.nii.gz"))],  # channels in a row: 0003 without 0002 is not one
        "regions": "bids/sub-a/r.nii.gz",
    }


def test_the_page_names_every_file_relative_to_itself_or_leaves_it_out(tmp_path):
    out, staging = tmp_path / "runs" / "out", tmp_path / "runs" / "out.building"
    recorded = {"a": {"lesions": str(tmp_path / "pred" / "a.nii.gz"), "regions": "bids/sub-a/anat/r.nii.gz",
                      "others": ["predictions/a_t1.nii.gz"]}}  # fmt: skip
    assert page_case_files(recorded, staging, staging / "sub", out) == {
        "a": {
            "lesions": "../../pred/a.nii.gz",
            "regions": "sub/sub-a/anat/r.nii.gz",
            "others": ["predictions/a_t1.nii.gz"],
        }
    }
    # a BIDS folder built outside the report is not reachable from the page: the layer is left out
    assert page_case_files(recorded, staging, tmp_path / "bids", out)["a"].keys() == {"lesions", "others"}


def test_joint_labels_name_a_region_with_and_without_lesion_and_lesion_values_are_a_range():
    report_json = {
        "labels": {"kind": "joint", "lesion_values": [3, 4, 5]},
        "regions": [{"id": 8, "name": "occipital"}, {"id": 3, "name": "frontal"}],
        "options": {"threshold": 0.5},
    }
    layer = lesion_layer(report_json)
    assert layer["joint"] and layer["lesion"] == {"ranges": [[3, 5]], "threshold": 0.5}
    assert layer["names"] == {
        "1": "frontal",
        "2": "occipital",
        "3": "frontal",
        "4": "occipital",
        "5": "outside_regions",
    }
    challenge = lesion_layer({**report_json, "labels": {"kind": "challenge", "lesion_values": [1]}})
    assert challenge["lesion"]["ranges"] == [[1, 1000]] and challenge["names"] == {"8": "occipital", "3": "frontal"}


# --- a report of the hand-made cohort, with images: its page and viewer ----------------------------------------------


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    """The hand-made cohort's report with images (two channels), region names, ventricles and brain masks; region 8
    is 1008 here (ids above 255, as a FreeSurfer-style table has, are renumbered for NiiVue's 256 label levels)."""
    root = tmp_path_factory.mktemp("viewer")
    folders = write_hand_cohort(root)
    for image in sorted(folders["images"].glob("*_0000.nii.gz")):  # a second channel: the T1
        shutil.copy(image, image.with_name(image.name.replace("_0000", "_0001")))
    for path in sorted(folders["regions"].glob("*.nii.gz")):
        regions = read_labels(path).astype(np.uint16)
        save(np.where(regions == 8, 1008, regions).astype(np.uint16), path, AFFINE)
    folders["table"].write_text("index\tname\n3\tfrontal\n1008\toccipital\n")
    make_report(folders["pred"], root / "report", regions=folders["regions"], region_table=folders["table"],
                images=folders["images"], ventricles=folders["ventricles"], brain_mask=folders["brain"],
                progress=False)  # fmt: skip
    return root / "report"


def test_the_page_reads_the_run_files_where_they_are_and_copies_only_the_viewer(report):
    page = report / "index.html"
    references = page_references(page)
    assert "../pred/case_a.nii.gz" in references and "../images/case_b_0000.nii.gz" in references
    assert "../regions/case_c.nii.gz" in references and "viewer/niivue.umd.js" in references
    assert reference_problems(page) == []
    assert sorted(p.name for p in (report / "viewer").iterdir()) == sorted(VIEWER_FILES)
    assert not [p for p in report.rglob("*.nii*") if p.name.endswith((".nii", ".nii.gz"))]  # nothing copied
    assert page.read_text().count("../pred") == 1  # each folder once, whatever the number of cases


def test_a_merged_report_names_the_same_files_as_a_single_run(tmp_path):
    folders = write_hand_cohort(tmp_path)
    options = {"regions": folders["regions"], "images": folders["images"], "progress": False}
    make_report(folders["pred"], tmp_path / "single", **options)
    for part in range(2):
        make_report(folders["pred"], tmp_path / "sharded", part_id=part, num_parts=2, **options)
    merge_report(tmp_path / "sharded")
    single = page_references(tmp_path / "single" / "index.html")
    assert page_references(tmp_path / "sharded" / "index.html") == single and "../pred/case_b.nii.gz" in single
    assert reference_problems(tmp_path / "sharded" / "index.html") == []


def test_the_page_check_finds_missing_files_and_absolute_paths(report, tmp_path):
    moved = tmp_path / "moved" / "index.html"
    moved.parent.mkdir()
    moved.write_text((report / "index.html").read_text())
    assert "index.html: ../pred/case_a.nii.gz is missing" in reference_problems(moved)
    absolute = tmp_path / "absolute.html"
    absolute.write_text(
        (report / "index.html").read_text().replace('"../pred"', f'"{(report.parent / "pred").as_posix()}"')
    )
    assert f"absolute.html: absolute path {(report.parent / 'pred/case_a.nii.gz').as_posix()}" in reference_problems(
        absolute
    )


@pytest.fixture(scope="module")
def browser(report, tmp_path_factory):
    """Headless Chromium (DevTools protocol) and the report served as ``nnunet_wmh view`` serves it."""
    server = serve_page(report)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    with DevTools(tmp_path_factory.mktemp("chromium")) as devtools:
        devtools.server = server
        yield devtools
    server.close()


def _centre(browser: DevTools, selector: str) -> tuple[float, float]:
    box = browser.evaluate(
        f"(function () {{ var e = document.querySelector({selector!r}); e.scrollIntoView({{block: 'center'}});"
        "var r = e.getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()"
    )
    return box[0], box[1]


def _voxel_on_screen(browser: DevTools, voxel: tuple[int, int, int]) -> tuple[float, float]:
    """Where a voxel's centre is drawn, in page pixels (from its world position through the image's affine)."""
    mm = (AFFINE @ [*voxel, 1])[:3].tolist()
    return tuple(browser.evaluate(
        f"(function (mm) {{ var nv = window.nnunetWmhViewer.niivue(), dpr = nv.uiData.dpr || 1;"
        "var pos = nv.frac2canvasPos(nv.mm2frac(mm, 0, true)), box = nv.canvas.getBoundingClientRect();"
        f"return [box.left + pos[0] / dpr, box.top + pos[1] / dpr]; }})({mm})"
    ))  # fmt: skip


LOADED = "window.nnunetWmhViewer.state.loaded || window.nnunetWmhViewer.state.error"


def test_a_click_opens_the_case_drawn_with_its_files_and_a_hover_names_the_region(browser):
    browser.open(browser.server.url)
    browser.mouse("click", *_centre(browser, 'button[data-view="case_a"]'))
    assert browser.wait_for(LOADED) is True, browser.evaluate("window.nnunetWmhViewer.state.error")
    layers = browser.evaluate("Array.from(document.querySelectorAll('.nwv-layer-name')).map(e => e.title)")
    assert layers == ["../images/case_a_0000.nii.gz", "../images/case_a_0001.nii.gz", "../regions/case_a.nii.gz",
                      "../pred/case_a.nii.gz"]  # fmt: skip
    assert "lesions: case_a.nii.gz" in browser.evaluate("document.querySelector('.nwv-layers').textContent")
    box = browser.evaluate(
        "(function () { var r = document.querySelector('.nwv-stage canvas').getBoundingClientRect();"
        "return {x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height}; })()"
    )
    pixels = np.asarray(Image.open(io.BytesIO(browser.screenshot(box))).convert("RGB")).reshape(-1, 3).astype(int)
    assert len(np.unique(pixels, axis=0)) > 50  # the image's noise under the region colours
    assert np.count_nonzero((pixels[:, 0] > 200) & (pixels[:, 1] < 80) & (pixels[:, 2] < 80)) > 1000  # the lesion
    # regions 3 (x < 6) and 8 (x 6..9, z < 2) on the lesion's slice (z = 1); x = 11 lies in no region
    hovered = {(4, 5, 1): "region: frontal", (7, 5, 1): "region: occipital", (11, 5, 1): "region: none",
               (1, 1, 1): "region: frontal · lesion"}  # fmt: skip
    for voxel, expected in hovered.items():
        browser.mouse("mouseMoved", *_voxel_on_screen(browser, voxel))
        shown = browser.evaluate("document.querySelector('.nwv-where').textContent")
        assert shown.startswith(expected), (voxel, shown)
    assert "lesion volume (mL)0.015" in browser.evaluate("document.querySelector('.nwv-figures').textContent")
    # the second channel is read only when it is first shown, and drawn above the background
    volumes = "window.nnunetWmhViewer.niivue().volumes.map(v => v.name)"
    assert browser.evaluate(volumes) == ["case_a_0000.nii.gz", "case_a.nii.gz", "case_a.nii.gz"]
    browser.mouse("click", *_centre(browser, ".nwv-layer:nth-child(2) input[type=checkbox]"))
    browser.wait_for(f"{volumes}.length === 4")
    assert browser.evaluate(volumes) == ["case_a_0000.nii.gz", "case_a_0001.nii.gz", "case_a.nii.gz", "case_a.nii.gz"]
    # the regions drawn opaque show each region's colour of the legend (1008 renumbered for NiiVue, drawn right)
    assert browser.evaluate("window.nnunetWmhViewer.state.layers.map(l => l.ids || null)") == [
        None,
        None,
        [0, 3, 1008],
        None,
    ]
    browser.evaluate("var s = document.querySelector('.nwv-layer:nth-child(3) input[type=range]'); s.value = 1;"
                     "s.dispatchEvent(new Event('input')); 1")  # fmt: skip
    legend = browser.evaluate("Array.from(document.querySelectorAll('.nwv-swatch')).map(e => [e.textContent,"
                              "getComputedStyle(e).borderLeftColor.match(/\\d+/g).map(Number)])")  # fmt: skip
    assert [name for name, _ in legend] == ["frontal", "occipital"]
    pixels = np.asarray(Image.open(io.BytesIO(browser.screenshot(box))).convert("RGB")).reshape(-1, 3).astype(int)
    for name, colour in legend:
        assert np.count_nonzero((pixels == colour).all(axis=1)) > 1000, name


def test_the_warm_up_at_idle_never_replaces_an_open_case(browser):
    """A case opened from the link (``#view-case_a``) before the page's load event: NiiVue's warm-up, due once the
    page is idle, leaves the case's layers drawn."""
    browser.open(browser.server.url + "#view-case_a")
    assert browser.wait_for(LOADED) is True
    browser.evaluate("new Promise(function (done) { setTimeout(function () { done(1); }, 2500); })")
    volumes = browser.evaluate("window.nnunetWmhViewer.niivue().volumes.map(v => v.name)")
    assert volumes == ["case_a_0000.nii.gz", "case_a.nii.gz", "case_a.nii.gz"]
    assert browser.evaluate("document.getElementById('nwv').hidden") is False


def test_n_opens_the_next_case_and_a_note_is_exported_with_the_case_identity(browser):
    browser.open(browser.server.url + "#view-case_a")
    browser.wait_for(LOADED)
    browser.send("Input.dispatchKeyEvent", {"type": "keyDown", "key": "n", "text": "n"})
    browser.wait_for("window.nnunetWmhViewer.state.index === 1 && window.nnunetWmhViewer.state.loaded")
    assert browser.evaluate("document.querySelector('.nwv-title').textContent").startswith("case_b")
    browser.evaluate("var n = document.querySelector('.nwv-note'); n.value = 'odd\\tborder'; "
                     "n.dispatchEvent(new Event('input')); 1")  # fmt: skip
    assert browser.evaluate("window.nnunetWmhViewer.notesTsv()") == (
        "case\tparticipant_id\tsession_id\tnote\ncase_b\tn/a\tn/a\todd border\n"
    )


def test_a_missing_file_and_a_page_opened_from_disk_are_explained(browser, report, tmp_path):
    moved = tmp_path / "deeper" / "report"
    shutil.copytree(report, moved)  # its ../pred, ../images, ../regions are not there
    with serve_page(moved) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        browser.open(server.url + "#view-case_c")
        error = browser.wait_for("window.nnunetWmhViewer.state.error")
    assert error.endswith("could not be read (HTTP 404): was it moved or deleted since the report was written?")
    browser.open((report / "index.html").as_uri() + "#view-case_c")
    error = browser.wait_for("window.nnunetWmhViewer.state.error")
    assert "run `nnunet_wmh view DIR`" in error and "python -m http.server" in error
    assert browser.evaluate("document.querySelector('.nwv-status').textContent") == error


@pytest.fixture(scope="module")
def joint_report(tmp_path_factory) -> Path:
    """The hand-made cohort as the joint lesion × region labels of a multitask model (regions 3, 8: classes 1, 2;
    lesion in them: 3, 4; lesion in none: 5), with its dataset.json."""
    root = tmp_path_factory.mktemp("joint")
    folders = write_hand_cohort(root)
    encoding = JointEncoding(RegionIndex.from_table({3: "frontal", 8: "occipital"}), has_ignore=False)
    for path in sorted(folders["pred"].glob("*.nii.gz")):
        joint = encoding.encode(read_labels(path) == 1, read_labels(folders["regions"] / path.name))
        save(joint, root / "joint" / path.name, AFFINE)
    dataset_json = {"channel_names": {"0": "FLAIR"}, "labels": encoding.labels(), "nnunet_wmh": encoding.to_json()}
    (root / "joint" / "dataset.json").write_text(json.dumps(dataset_json))
    make_report(root / "joint", root / "report", images=folders["images"], progress=False)
    return root / "report"


def test_joint_labels_are_both_the_region_and_the_lesion_layer_read_once(browser, joint_report):
    with serve_page(joint_report) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        browser.open(server.url + "#view-case_a")
        assert browser.wait_for(LOADED) is True, browser.evaluate("window.nnunetWmhViewer.state.error")
        layers = browser.evaluate("Array.from(document.querySelectorAll('.nwv-layer-name')).map(e => e.textContent)")
        assert layers == ["image: case_a_0000.nii.gz", "regions: case_a.nii.gz", "lesions: case_a.nii.gz"]
        hovered = {(4, 5, 1): "region: frontal · no lesion", (7, 5, 1): "region: occipital · no lesion",
                   (1, 1, 1): "region: frontal · lesion", (11, 5, 1): "region: none · no lesion"}  # fmt: skip
        for voxel, expected in hovered.items():
            browser.mouse("mouseMoved", *_voxel_on_screen(browser, voxel))
            assert browser.evaluate("document.querySelector('.nwv-where').textContent").startswith(expected), voxel


def test_a_probability_map_is_drawn_red_from_the_threshold_on(browser, tmp_path):
    folders = write_hand_cohort(tmp_path)
    for path in sorted(folders["pred"].glob("*.nii.gz")):  # 0.3 everywhere (no lesion), 0.7 in the lesions
        save(np.where(read_labels(path) > 0, 0.7, 0.3).astype(np.float32), path, AFFINE)
    make_report(folders["pred"], tmp_path / "report", images=folders["images"], progress=False)
    with serve_page(tmp_path / "report") as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        browser.open(server.url + "#view-case_a")
        assert browser.wait_for(LOADED) is True, browser.evaluate("window.nnunetWmhViewer.state.error")
        browser.mouse("click", *_centre(browser, ".nwv-layer:nth-child(1) input[type=checkbox]"))  # image hidden
        box = browser.evaluate(
            "(function () { var r = document.querySelector('.nwv-stage canvas').getBoundingClientRect();"
            "return {x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height}; })()"
        )
        pixels = np.asarray(Image.open(io.BytesIO(browser.screenshot(box))).convert("RGB")).reshape(-1, 3).astype(int)
        voxel = np.hypot(*np.subtract(_voxel_on_screen(browser, (2, 1, 1)), _voxel_on_screen(browser, (1, 1, 1))))
        red = np.count_nonzero((pixels[:, 0] > 200) & (pixels[:, 1] < 80) & (pixels[:, 2] < 80))
        assert red == pytest.approx(2 * 2 * voxel**2, rel=0.1)  # the 2 × 2 lesion of the slice, nothing else
