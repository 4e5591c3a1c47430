"""Benchmark the report page's slice viewer in a real browser (headless Chromium, WebGL2 on the CPU).

Builds a ``--cases`` report (default 100) of Utrecht-sized cases (240×240×48, 0.96×0.96×3 mm) made from
``--subjects`` synthetic subjects: joint lesion × region predictions of ``convert --mode multitask`` (what a
multitask model predicts), the FLAIR and T1 as images, ventricles and brain masks, with pictures and the page.
Then serves it as ``nnunet_wmh view`` does and measures, in the median of ``--repeats`` fresh browsers (nothing
cached):

* the page opening: navigation start to the end of its load event (navigation timing);
* one case's viewer, first opened (NiiVue's script loaded and started, then the case's files read and drawn, from
  the click until drawn), clicked at once, and clicked after the pointer rested 2 s on the case (the page loads and
  warms NiiVue up meanwhile); and the next case (key ``n``: its files read and drawn);

and prints the page's size on disk: ``index.html`` (and its viewer block) and the ``viewer/`` folder.

Targets: page open < 2 s, a case's viewer < 2 s.

Usage: ``python benchmarks/bench_viewer.py [--cases 100] [--subjects 10] [--repeats 3] [--work DIR]
[--screenshot docs/images/report_viewer.png]`` (``--screenshot``: also the docs' picture of the viewer, case 5 with the
pointer on its largest lesion).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' helpers: the DevTools browser

from nnunet_wmh.dataset_conversion import convert_dataset
from nnunet_wmh.report.page_files import DATA_ID
from nnunet_wmh.report.run import make_report
from nnunet_wmh.report.serve import serve_page
from nnunet_wmh.synthetic import make_synthetic_cohort
from nnunet_wmh.tsv import read_tsv
from tests.helpers.browser import DevTools

STATE = "window.nnunetWmhViewer.state"


def make_inputs(work: Path, cases: int, subjects: int) -> dict[str, Path]:
    """Folders ``pred`` (joint labels and dataset.json), ``images`` (FLAIR ``_0000``, T1 ``_0001``) and ``aseg``
    of ``cases`` cases, hard links to ``subjects`` synthetic subjects."""
    cohort = make_synthetic_cohort(work / "cohort", subjects=subjects, sites=["Utrecht"], seed=2017, progress=False,
                                   jobs=2)  # fmt: skip
    dataset = convert_dataset(cohort.root, mode="multitask", dataset_id=990, out=work / "raw",
                              region_table=cohort.root / "regions.tsv", progress=False).dataset_dir  # fmt: skip
    rows = [row for row in read_tsv(dataset / "conversion.tsv") if row["split"] == "train"]
    folders = {name: work / name for name in ("pred", "images", "aseg")}
    for folder in folders.values():
        folder.mkdir()
    shutil.copy(dataset / "dataset.json", folders["pred"] / "dataset.json")
    for index in range(cases):
        row, case = rows[index % len(rows)], f"wmh_{index:04d}"
        os.link(dataset / "labelsTr" / f"{row['case']}.nii.gz", folders["pred"] / f"{case}.nii.gz")
        for channel in ("0000", "0001"):
            os.link(
                dataset / "imagesTr" / f"{row['case']}_{channel}.nii.gz", folders["images"] / f"{case}_{channel}.nii.gz"
            )
        os.link(Path(row["lesion"]).parent / "aseg.nii.gz", folders["aseg"] / f"{case}.nii.gz")
    return folders


def folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def measure(browser: DevTools, url: str, case: int, *, rest: float) -> dict[str, float]:
    """One fresh load of the page, then case ``case``'s viewer (its first opening, a click after the pointer rested
    ``rest`` s on the case: NiiVue is loaded and warmed up meanwhile) and the next case's (key ``n``)."""
    browser.open(url)
    navigation = browser.evaluate("JSON.stringify(performance.getEntriesByType('navigation')[0].toJSON())")
    timing = {key: float(value) for key, value in re.findall(r'"(startTime|loadEventEnd)":([\d.]+)', navigation)}
    button = f'button[data-view="wmh_{case:04d}"]'
    where = (
        f"(function () {{ var e = document.querySelector({button!r}); e.scrollIntoView({{block: 'center'}});"
        "var r = e.getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()"
    )
    browser.evaluate(where)
    time.sleep(1)  # the pictures in view load (lazily) and move the page; then the button is where it stays
    x, y = browser.evaluate(where)
    browser.mouse("mouseMoved", x, y)
    time.sleep(rest)
    browser.mouse("click", x, y)
    assert browser.wait_for(f"{STATE}.loaded || {STATE}.error", timeout=120) is True, browser.evaluate(f"{STATE}.error")
    assert browser.evaluate(f"{STATE}.index") == case
    first, timings = browser.evaluate(f"{STATE}.seconds"), browser.evaluate(f"JSON.stringify({STATE}.timings)")
    print(f"case {case + 1}, the pointer on it {rest:g} s, then clicked; seconds after the click: {timings}")
    browser.send("Input.dispatchKeyEvent", {"type": "keyDown", "key": "n", "text": "n"})
    browser.wait_for(f"{STATE}.index === {case + 1} && ({STATE}.loaded || {STATE}.error)", timeout=120)
    return {
        "page open": (timing["loadEventEnd"] - timing["startTime"]) / 1000,
        f"viewer, first case ({rest:g} s pointer)": first,
        "viewer, next case": browser.evaluate(f"{STATE}.seconds"),
    }


def screenshot(url: str, png: Path, work: Path) -> None:
    """The viewer of case 5 (1280 × 760), the pointer beside its largest lesion's centre."""
    with DevTools(work, width=1280, height=760) as browser:
        browser.open(url + "#view-wmh_0004")
        browser.wait_for(f"{STATE}.loaded", timeout=120)
        x, y = browser.evaluate(
            "(function (mm) { var nv = window.nnunetWmhViewer.niivue(), box = nv.canvas.getBoundingClientRect();"
            "var p = nv.frac2canvasPos(nv.mm2frac(mm, 0, true)), dpr = nv.uiData.dpr || 1;"
            "return [box.left + p[0] / dpr, box.top + p[1] / dpr]; })(window.nnunetWmhViewer.data.cases[4][6])"
        )
        browser.mouse("mouseMoved", x + 3, y + 3)
        shown = browser.evaluate("document.querySelector('.nwv-where').textContent")
        png.write_bytes(browser.screenshot())
    print(f"{png}: {png.stat().st_size:,} bytes; beside the viewer: {shown}")


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100)
    parser.add_argument("--subjects", type=int, default=10, help="synthetic subjects the cases are made from")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--work", type=Path, help="scratch folder (default: a temporary folder)")
    parser.add_argument("--screenshot", type=Path, help="also write a PNG of the viewer here")
    return parser.parse_args()


def main() -> int:
    args = arguments()
    work = Path(tempfile.mkdtemp(dir=args.work))
    try:
        started = time.perf_counter()
        folders = make_inputs(work, args.cases, args.subjects)
        out = work / "report"
        make_report(folders["pred"], out, images=folders["images"], ventricles=folders["aseg"],
                    brain_mask=folders["aseg"], jobs=2, progress=False)  # fmt: skip
        print(f"report of {args.cases} cases made in {time.perf_counter() - started:.0f} s")
        server = serve_page(out)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        runs: list[dict[str, float]] = []
        for case in range(args.repeats):  # a new browser (profile, cache) each time: nothing cached
            figures: dict[str, float] = {}
            for rest in (0.0, 2.0):
                with DevTools(work / f"chromium-{case}-{rest:g}") as browser:
                    figures.update({k: v for k, v in measure(browser, server.url, case, rest=rest).items()
                                    if k not in figures})  # fmt: skip
            runs.append(figures)
        if args.screenshot is not None:
            screenshot(server.url, args.screenshot, work / "chromium-shot")
        server.close()
        page = (out / "index.html").read_text(encoding="utf-8")
        block = re.search(rf'<script type="application/json" id="{DATA_ID}">(.*?)</script>', page, re.S).group(1)
        print(f"\n{'measurement (median of ' + str(args.repeats) + ')':<32}{'s':>8}   target")
        for name in runs[0]:
            print(f"{name:<32}{statistics.median(r[name] for r in runs):>8.2f}   < 2 s")
        print(f"\nindex.html: {len(page.encode()):,} bytes ({len(block.encode()):,} of them the viewer's data, "
              f"{len(block.encode()) / args.cases:.0f} per case)")  # fmt: skip
        niivue = (out / "viewer" / "niivue.umd.js").stat().st_size
        print(f"viewer/: {folder_bytes(out / 'viewer'):,} bytes (NiiVue {niivue:,})")
        case_files = [*sorted(folders["images"].glob("wmh_0000_*")), folders["pred"] / "wmh_0000.nii.gz"]
        print(f"one case's files, read by its viewer: {sum(p.stat().st_size for p in case_files):,} bytes")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
