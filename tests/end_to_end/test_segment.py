"""``segment`` end to end (slow): a tiny interchangeable model trained here, applied to a synthetic BIDS cohort in
which one subject lacks T1, one lacks FLAIR and one has its T1 on another grid.

The masks are compared with stock ``nnUNetv2_predict`` on the same prepared inputs (the duplicated channel, the
co-registered T1), the model zip of ``nnUNetv2_export_model_to_zip`` with the model folder, and a run in two
parts joined by ``report-merge`` with the single run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
import SimpleITK as sitk

from nnunet_wmh.report.page_files import page_references, reference_problems
from nnunet_wmh.trainers import trainers_path
from nnunet_wmh.tsv import read_tsv

BIN = Path(sys.executable).parent
TEST_TRAINERS = Path(__file__).parent / "nnunet_trainers"
TRAINER = "nnUNetTrainerModalityDropout_tiny"
DATASET_ID = 611


def run(command: list[str], environment: dict[str, str], cwd: Path) -> str:
    completed = subprocess.run(command, env=environment, cwd=cwd, capture_output=True, text=True, timeout=900)
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, f"{' '.join(command)} failed:\n{output[-5000:]}"
    return output


def _regrid_t1(path: Path) -> None:
    """Put a T1 on another grid (0.8 x the voxel size, a larger field of view): co-registration must move it."""
    image = sitk.ReadImage(str(path))
    spacing = [s * 0.8 for s in image.GetSpacing()]
    size = [round(n * s / t) + 4 for n, s, t in zip(image.GetSize(), image.GetSpacing(), spacing, strict=True)]
    origin = image.TransformContinuousIndexToPhysicalPoint([-1.6] * 3)
    moved = sitk.Resample(image, size, sitk.Transform(), sitk.sitkLinear, origin, spacing, image.GetDirection(), 0.0,
                          sitk.sitkFloat32)  # fmt: skip
    sitk.WriteImage(moved, str(path))


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny interchangeable model (fold 0), a BIDS cohort with its pitfalls, and nnU-Net's environment."""
    root = tmp_path_factory.mktemp("segment")
    environment = {
        **os.environ,
        "nnUNet_raw": str(root / "raw"), "nnUNet_preprocessed": str(root / "preprocessed"),
        "nnUNet_results": str(root / "results"),
        "nnUNet_extTrainer": os.pathsep.join((str(trainers_path()), str(TEST_TRAINERS))),
        "nnUNet_def_n_proc": "2", "nnUNet_n_proc_DA": "1", "nnUNet_compile": "false", "OMP_NUM_THREADS": "2",
    }  # fmt: skip
    nnunet_wmh = str(BIN / "nnunet_wmh")
    run([nnunet_wmh, "synth", "--out", "cohort", "--subjects", "6", "--size", "small", "-q"], environment, root)
    run([nnunet_wmh, "convert", "cohort", "--dataset-id", str(DATASET_ID), "--mode", "interchangeable", "-q"],
        environment, root)  # fmt: skip
    run([str(BIN / "nnUNetv2_plan_and_preprocess"), "-d", str(DATASET_ID), "-c", "3d_fullres", "-npfp", "2", "-np",
         "2"], environment, root)  # fmt: skip
    run([str(BIN / "nnUNetv2_train"), str(DATASET_ID), "3d_fullres", "0", "-tr", TRAINER, "-device", "cpu"],
        environment, root)  # fmt: skip
    dataset = next((root / "raw").glob(f"Dataset{DATASET_ID}_*"))
    model = next((root / "results" / dataset.name).glob(f"{TRAINER}__*"))
    run([nnunet_wmh, "synth", "--out", "bids", "--subjects", "4", "--layout", "bids", "--size", "small", "--seed", "3",
         "-q"], environment, root)  # fmt: skip
    bids = root / "bids"
    (bids / "sub-002/anat/sub-002_T1w.nii.gz").unlink()
    (bids / "sub-003/anat/sub-003_FLAIR.nii.gz").unlink()
    _regrid_t1(bids / "sub-004/anat/sub-004_T1w.nii.gz")
    return root, environment, model


def _atlas(root: Path) -> list[str]:
    template = root / "bids/derivatives/synth/template"
    return ["--atlas-image", str(template / "template_T1w.nii.gz"), "--atlas-labels",
            str(template / "template_regions.nii.gz"), "--region-table", str(template / "regions.tsv")]  # fmt: skip


def segment(root: Path, environment: dict, model: Path, out: str, *extra: str) -> Path:
    run([str(BIN / "nnunet_wmh"), "segment", "bids", "--model", str(model), "--out", out, "--device", "cpu",
         "--disable-tta", *_atlas(root), "-q", *extra], environment, root)  # fmt: skip
    return root / out


@pytest.fixture(scope="module")
def segmented(trained):
    root, environment, model = trained
    return segment(root, environment, model, "segmented")


def _voxels(path: Path) -> np.ndarray:
    return np.asanyarray(nib.load(path).dataobj)


def _anat(out: Path, subject: str) -> Path:
    return out / subject / "anat"


@pytest.mark.slow
def test_each_subject_takes_the_route_its_images_allow(segmented):
    qc = {row["case"]: row for row in read_tsv(segmented / "qc.tsv")}
    assert {case: row["inputs_used"] for case, row in qc.items()} == {
        "sub-001": "FLAIR,T1", "sub-002": "FLAIR,FLAIR", "sub-003": "T1,T1", "sub-004": "FLAIR,T1",
    }  # fmt: skip
    assert [qc[c]["t1_coregistered"] for c in ("sub-001", "sub-002", "sub-003", "sub-004")] == [
        "False", "n/a", "n/a", "True"]  # fmt: skip
    assert float(qc["sub-004"]["coregistration_metric"]) < -0.5
    assert all(qc[c]["regions_from"] == "atlas" and float(qc[c]["regions_metric"]) < 0 for c in qc)
    assert read_tsv(segmented / "skipped.tsv") == []


@pytest.mark.slow
def test_masks_equal_nnunet_predict_on_the_same_prepared_inputs(trained, segmented):
    root, environment, _ = trained
    bids, inputs = root / "bids", root / "prepared"
    inputs.mkdir()
    channels = {
        "sub-001": [bids / "sub-001/anat/sub-001_FLAIR.nii.gz", bids / "sub-001/anat/sub-001_T1w.nii.gz"],
        "sub-002": [bids / "sub-002/anat/sub-002_FLAIR.nii.gz"] * 2,
        "sub-003": [bids / "sub-003/anat/sub-003_T1w.nii.gz"] * 2,
        "sub-004": [bids / "sub-004/anat/sub-004_FLAIR.nii.gz",
                    _anat(segmented, "sub-004") / "sub-004_space-FLAIR_T1w.nii.gz"],
    }  # fmt: skip
    for case, files in channels.items():
        for index, file in enumerate(files):
            shutil.copy(file, inputs / f"{case}_{index:04d}.nii.gz")
    run([str(BIN / "nnUNetv2_predict"), "-i", str(inputs), "-o", str(root / "stock"), "-d", str(DATASET_ID),
         "-c", "3d_fullres", "-f", "0", "-tr", TRAINER, "-device", "cpu", "--disable_tta", "-npp", "1", "-nps", "1"],
        environment, root)  # fmt: skip
    for case, files in channels.items():
        stock = _voxels(root / "stock" / f"{case}.nii.gz") == 1
        mask_path = _anat(segmented, case) / f"{case}_space-FLAIR_desc-wmh_mask.nii.gz"
        np.testing.assert_array_equal(_voxels(mask_path).astype(bool), stock)
        np.testing.assert_array_equal(_voxels(segmented / "predictions" / f"{case}.nii.gz").astype(bool), stock)
        reference, mask = nib.load(files[0]), nib.load(mask_path)
        np.testing.assert_array_equal(mask.affine, reference.affine)
        assert int(mask.header["sform_code"]) == int(reference.header["sform_code"])
        assert int(mask.header["qform_code"]) == int(reference.header["qform_code"])
        assert mask.header.get_zooms() == reference.header.get_zooms()
        assert stock.any(), f"{case}: the tiny model predicts lesions on the phantoms"


@pytest.mark.slow
def test_the_output_is_a_bids_derivatives_dataset_naming_the_model(segmented, trained):
    description = json.loads((segmented / "dataset_description.json").read_text())
    generated = description["GeneratedBy"][0]
    assert description["DatasetType"] == "derivative"
    assert generated["Name"] == "nnunet_wmh"
    assert generated["Model"]["Name"] == f"{trained[2].parent.name}/{trained[2].name}"
    assert generated["Model"]["Folds"] == ["0"]
    for case in ("sub-001", "sub-002", "sub-003", "sub-004"):
        names = sorted(p.name for p in _anat(segmented, case).iterdir())
        assert f"{case}_space-FLAIR_desc-wmh_mask.nii.gz" in names
        assert f"{case}_space-FLAIR_desc-regions_dseg.nii.gz" in names
    regions_table = read_tsv(segmented / "desc-regions_dseg.tsv")
    assert [row["name"] for row in regions_table][:2] == ["frontal_periventricular_L", "frontal_periventricular_R"]
    region_map = _voxels(_anat(segmented, "sub-001") / "sub-001_space-FLAIR_desc-regions_dseg.nii.gz")
    assert set(np.unique(region_map)) == {0, *range(1, 17)}


@pytest.mark.slow
def test_the_page_shows_each_subject_from_the_files_of_the_run_and_its_inputs(segmented):
    page = segmented / "index.html"
    assert reference_problems(page) == []
    references = page_references(page)
    assert "predictions/sub-001.nii.gz" in references  # the run's own files, inside it
    assert "sub-001/anat/sub-001_space-FLAIR_desc-regions_dseg.nii.gz" in references
    assert "sub-004/anat/sub-004_space-FLAIR_T1w.nii.gz" in references  # the T1 moved onto the FLAIR grid
    assert "../bids/sub-001/anat/sub-001_FLAIR.nii.gz" in references  # the inputs, where they are
    assert "../bids/sub-001/anat/sub-001_T1w.nii.gz" in references  # already on the FLAIR grid


@pytest.mark.slow
def test_a_subject_the_model_cannot_serve_is_listed_with_the_reason(trained, tmp_path):
    root, environment, model = trained
    fixed = tmp_path / "flair_t1_model"
    shutil.copytree(model, fixed)
    dataset_json = json.loads((fixed / "dataset.json").read_text())
    dataset_json["nnunet_wmh"].update(inputs="flair_t1", mode="flair_t1")  # the same 2-channel network
    (fixed / "dataset.json").write_text(json.dumps(dataset_json))

    out = segment(root, environment, fixed, str(tmp_path / "fixed_out"))

    skipped = {row["subject"]: row["reason"] for row in read_tsv(out / "skipped.tsv")}
    assert sorted(skipped) == ["sub-002", "sub-003"]
    assert "no T1" in skipped["sub-002"] and "no FLAIR" in skipped["sub-003"]
    assert [row["case"] for row in read_tsv(out / "subjects.tsv")] == ["sub-001", "sub-004"]
    assert json.loads((out / "report.json").read_text())["skipped"][0]["case"] == "sub-002"


@pytest.mark.slow
def test_the_exported_model_zip_gives_the_same_masks_as_the_folder(trained, segmented, tmp_path):
    root, environment, model = trained
    archive = tmp_path / "model.zip"
    summary = model / "fold_0" / "validation" / "summary.json"  # the tiny test trainer skips the validation
    summary.parent.mkdir(exist_ok=True)
    summary.write_text("{}")
    run([str(BIN / "nnUNetv2_export_model_to_zip"), "-d", str(DATASET_ID), "-o", str(archive), "-c", "3d_fullres",
         "-tr", TRAINER, "-f", "0"], environment, root)  # fmt: skip

    out = segment(root, environment, archive, str(tmp_path / "from_zip"))

    for case in ("sub-001", "sub-002", "sub-003", "sub-004"):
        np.testing.assert_array_equal(
            _voxels(out / "predictions" / f"{case}.nii.gz"), _voxels(segmented / "predictions" / f"{case}.nii.gz")
        )


@pytest.mark.slow
def test_two_parts_joined_by_report_merge_equal_the_single_run(trained, segmented, tmp_path):
    root, environment, model = trained
    out = tmp_path / "parts"
    for part in ("0", "1"):
        segment(root, environment, model, str(out), "--part-id", part, "--num-parts", "2")
    run([str(BIN / "nnunet_wmh"), "report-merge", str(out), "-q"], environment, root)

    for table in ("subjects.tsv", "regions.tsv", "lesions.tsv", "qc.tsv", "skipped.tsv"):
        assert (out / table).read_text() == (segmented / table).read_text(), table
    assert sorted(p.name for p in (out / "predictions").iterdir()) == sorted(
        p.name for p in (segmented / "predictions").iterdir()
    )
    assert (out / "sub-003/anat/sub-003_space-FLAIR_desc-wmh_mask.nii.gz").is_file()
    assert not (out / "parts").exists()


@pytest.mark.slow
def test_segment_on_slurm_a_failed_part_shows_then_a_resubmission_gives_the_local_tables(
    trained, segmented, slurm_cluster
):
    """segment --slurm --num-parts 3 on a real (single-node) SLURM. sub-001's FLAIR is truncated first: its part
    fails, `jobs` names the failure and its log, the merge names the missing part, the other parts stay. With the
    file repaired, the same command submits only that part and the merge, and the tables equal the local run."""
    root, environment, model = trained
    environment = {**environment, "SLURM_CONF": slurm_cluster.env["SLURM_CONF"]}
    # two CPUs per job: two compute threads, as the local run had (probabilities, and so the lesion entropy in
    # qc.tsv, are summed in another order with another thread count)
    slurm = ["--slurm", "--num-parts", "3", "--slurm-partition", "cpu", "--slurm-gpu-partition", "gpu",
             "--slurm-cpus", "2"]  # fmt: skip
    flair = root / "bids/sub-001/anat/sub-001_FLAIR.nii.gz"
    intact = flair.read_bytes()
    flair.write_bytes(intact[: len(intact) // 3])
    try:
        out = segment(root, environment, model, "on_slurm", *slurm)
        slurm_cluster.wait_idle(timeout=600)
    finally:
        flair.write_bytes(intact)
    jobs = subprocess.run([str(BIN / "nnunet_wmh"), "jobs", str(out)], env=environment, capture_output=True,
                          text=True)  # fmt: skip
    assert jobs.returncode == 1, jobs.stdout + jobs.stderr
    lines = {line.split()[0]: line for line in jobs.stdout.splitlines()[:-1]}
    assert "failed (exit 1)" in lines["segment.part[0]"]  # sorted cases: part 0 holds sub-001 and sub-004
    assert " done" in lines["segment.part[1]"] and " done" in lines["segment.part[2]"]
    assert "failed (exit 1)" in lines["segment.merge"]
    part_log = Path(lines["segment.part[0]"].split("log: ")[1])
    assert "sub-001" in part_log.read_text() and "sub-001_FLAIR.nii.gz" in part_log.read_text()
    merge_log = next((out / "slurm/logs").glob("segment.merge_*.out")).read_text()
    assert "[part-0-of-3]" in merge_log and "missing; run part_id 0 of 3 first" in merge_log
    assert sorted(p.name for p in (out / "parts").iterdir()) == ["part-1-of-3", "part-2-of-3"]

    again = run([str(BIN / "nnunet_wmh"), "segment", "bids", "--model", str(model), "--out", str(out), "--device",
                 "cpu", "--disable-tta", *_atlas(root), "-q", *slurm], environment, root)  # fmt: skip
    assert "tasks [0]" in again
    slurm_cluster.wait_idle(timeout=600)
    jobs = subprocess.run([str(BIN / "nnunet_wmh"), "jobs", str(out)], env=environment, capture_output=True, text=True)
    assert jobs.returncode == 0 and jobs.stdout.splitlines()[-1].startswith("4 done"), jobs.stdout
    for table in ("subjects.tsv", "regions.tsv", "lesions.tsv", "qc.tsv", "skipped.tsv"):
        assert (out / table).read_bytes() == (segmented / table).read_bytes(), table
    assert (out / "slurm/submission.json").is_file() and not (out / "parts").exists()
    assert len(list((out / "slurm/logs").glob("segment.part_*.out"))) == 4  # 3 tasks, then the one again


@pytest.mark.slow
def test_a_subject_whose_regions_fail_qc_keeps_its_mask_and_is_flagged(trained, segmented, tmp_path):
    """sub-004's images replaced by noise (finite and readable: valid input) that no atlas registers to: its
    lesion mask is written, qc.tsv says why its regions failed, its region rows say n/a with a flag, sub-001 is
    complete and unchanged; the run finishes, and exits 3 under --strict."""
    root, environment, model = trained
    cohort = tmp_path / "cohort"
    shutil.copytree(root / "bids", cohort, ignore=shutil.ignore_patterns("sub-002", "sub-003"))
    anat = cohort / "sub-004/anat"
    flair = nib.load(anat / "sub-004_FLAIR.nii.gz")
    noise = np.random.default_rng(4).uniform(0, 100, flair.shape).astype(np.float32)
    for name in ("sub-004_FLAIR.nii.gz", "sub-004_T1w.nii.gz"):
        nib.save(nib.Nifti1Image(noise, flair.affine, flair.header), anat / name)
    command = [str(BIN / "nnunet_wmh"), "segment", str(cohort), "--model", str(model), "--out", str(tmp_path / "out"),
               "--device", "cpu", "--disable-tta", *_atlas(root), "-q", "--strict", "--jobs", "2"]  # fmt: skip
    completed = subprocess.run(command, env=environment, cwd=root, capture_output=True, text=True, timeout=900)

    assert completed.returncode == 3, completed.stdout + completed.stderr
    last = completed.stdout.splitlines()
    assert last[-2].startswith("segment: 2 case(s) done, ") and "flagged (see qc.tsv)" in last[-2]
    assert last[-1].startswith("--strict: ") and last[-1].endswith("exit status 3")
    out = tmp_path / "out"
    qc = {row["case"]: row for row in read_tsv(out / "qc.tsv")}
    assert qc["sub-004"]["regions_qc"].startswith("failed: registration did not converge")
    assert "regions failed QC: registration did not converge" in qc["sub-004"]["flag"]
    assert float(qc["sub-004"]["regions_inside_head"]) < 0.9 and qc["sub-004"]["regions_missing"] == "n/a"
    assert qc["sub-001"]["regions_qc"] == "pass" and float(qc["sub-001"]["regions_inside_head"]) >= 0.9
    assert (out / "predictions/sub-004.nii.gz").is_file()
    assert (_anat(out, "sub-004") / "sub-004_space-FLAIR_desc-wmh_mask.nii.gz").is_file()
    assert (_anat(out, "sub-004") / "sub-004_space-FLAIR_desc-regionsfailedqc_dseg.nii.gz").is_file()
    assert not (_anat(out, "sub-004") / "sub-004_space-FLAIR_desc-regions_dseg.nii.gz").exists()
    regions = read_tsv(out / "regions.tsv")
    failed = [row for row in regions if row["case"] == "sub-004"]
    assert len(failed) == 17 and {(r["lesion_volume_ml"], r["flag"]) for r in failed} == {("n/a", "regions failed QC")}
    complete = [row for row in regions if row["case"] == "sub-001"]
    expected = [row for row in read_tsv(segmented / "regions.tsv") if row["case"] == "sub-001"]
    assert [r["lesion_volume_ml"] for r in complete] == [r["lesion_volume_ml"] for r in expected]
    assert {r["flag"] for r in complete} == {""}


@pytest.mark.slow
def test_a_killed_run_resumes_where_it_stopped_and_equals_an_uninterrupted_run(trained, segmented, tmp_path):
    """The run is killed (SIGKILL) once its first subject is recorded; the same command again does only the
    others ("N done earlier"), and its tables and masks equal the uninterrupted run's; the work folder goes."""
    root, environment, model = trained
    out = tmp_path / "resumed"
    command = [str(BIN / "nnunet_wmh"), "segment", "bids", "--model", str(model), "--out", str(out), "--device", "cpu",
               "--disable-tta", *_atlas(root), "-q"]  # fmt: skip
    ledger = tmp_path / "resumed.partial" / "part-0-of-1" / "done"
    process = subprocess.Popen(command, env=environment, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 600
    while process.poll() is None and not list(ledger.glob("*.json")) and time.monotonic() < deadline:
        time.sleep(0.02)
    process.kill()
    process.wait()
    finished_before = len(list(ledger.glob("*.json")))
    assert 1 <= finished_before < 4 and not out.exists()

    output = run(command, environment, root)

    assert f"{4 - finished_before} case(s) done, {finished_before} done earlier" in output
    for table in ("subjects.tsv", "regions.tsv", "lesions.tsv", "qc.tsv", "skipped.tsv"):
        assert (out / table).read_text() == (segmented / table).read_text(), table
    for case in ("sub-001", "sub-002", "sub-003", "sub-004"):
        np.testing.assert_array_equal(_voxels(out / "predictions" / f"{case}.nii.gz"),
                                      _voxels(segmented / "predictions" / f"{case}.nii.gz"))  # fmt: skip
        assert sorted(p.name for p in _anat(out, case).iterdir()) == sorted(
            p.name for p in _anat(segmented, case).iterdir()
        )
    assert not (tmp_path / "resumed.partial").exists()


@pytest.mark.slow
def test_with_the_builtin_atlas_brain_shaped_subjects_get_31_regions_pv_deep_and_icv(trained, tmp_path):
    """Two full-size brain-shaped phantoms (``synth --anatomy mni152``, skull and scalp drawn) segmented with the
    defaults: the built-in atlas registers to both (QC pass), every region row is a number, the periventricular
    and deep volumes add up to the total, and ICV is the phantom's true intracranial volume within 3 %."""
    root, environment, model = trained
    run([str(BIN / "nnunet_wmh"), "synth", "--out", str(tmp_path / "bids"), "--subjects", "2", "--layout", "bids",
         "--anatomy", "mni152", "--seed", "8", "-q"], environment, root)  # fmt: skip
    out = tmp_path / "out"
    run([str(BIN / "nnunet_wmh"), "segment", str(tmp_path / "bids"), "--model", str(model), "--out", str(out),
         "--device", "cpu", "--disable-tta", "-q"], environment, root)  # fmt: skip

    # the tiny model (trained on small analytic phantoms) predicts poorly here and is flagged for it; the regions
    # and zones come from the registration alone
    assert {row["regions_qc"] for row in read_tsv(out / "qc.tsv")} == {"pass"}
    regions = read_tsv(out / "regions.tsv")
    assert len(regions) == 2 * (31 + 1) and {row["flag"] for row in regions} == {""}  # and outside_regions
    assert all(row["lesion_volume_ml"] != "n/a" for row in regions)
    assert json.loads((out / "report.json").read_text())["inputs"]["zones"]
    for row in read_tsv(out / "subjects.tsv"):
        subject = row["case"]
        split = float(row["periventricular_volume_mm3"]) + float(row["deep_volume_mm3"])
        assert split == pytest.approx(float(row["total_lesion_volume_mm3"]), abs=1.0)
        aseg = nib.load(tmp_path / f"bids/derivatives/synth/{subject}/anat/{subject}_space-FLAIR_desc-aseg_dseg.nii.gz")
        true_icv = np.count_nonzero(np.asanyarray(aseg.dataobj)) * float(np.prod(aseg.header.get_zooms()))
        assert float(row["icv_mm3"]) == pytest.approx(true_icv, rel=0.03), subject


@pytest.mark.slow
def test_bids_app_participant_runs_at_once_then_group_equal_the_single_run(trained, segmented, tmp_path):
    """``bids BIDS_DIR OUTPUT_DIR participant`` twice at the same time (labels 001 002, and sub-003) into one
    OUTPUT_DIR; ``group`` then names sub-004 as missing and joins nothing; sub-004's participant level, and
    ``group`` gives the single segment run's tables; a participant done already is refused."""
    root, environment, model = trained
    out = tmp_path / "app"
    app = [str(BIN / "nnunet_wmh"), "bids", str(root / "bids"), str(out)]
    flags = ["--model", str(model), "--device", "cpu", "--disable-tta", *_atlas(root), "-q"]
    both = [subprocess.Popen([*app, "participant", "--participant-label", *labels, *flags], env=environment,
                             cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            for labels in (["001", "002"], ["sub-003"])]  # fmt: skip
    outputs = [process.communicate(timeout=900)[0] for process in both]
    assert [process.returncode for process in both] == [0, 0], outputs
    assert sorted(p.name for p in (out / "parts").iterdir()) == [f"part-{k}-of-4" for k in range(3)]

    early = subprocess.run([*app, "group", "-q"], env=environment, cwd=root, capture_output=True, text=True)
    assert early.returncode == 1 and "sub-004" in early.stderr and "participant level" in early.stderr
    assert not (out / "report.json").exists()
    run([*app, "participant", "--participant-label", "004", *flags], environment, root)
    again = subprocess.run([*app, "participant", "--participant_label", "001", *flags], env=environment, cwd=root,
                           capture_output=True, text=True)  # fmt: skip
    assert again.returncode != 0 and "part-0-of-4" in again.stderr and "--overwrite" in again.stderr
    run([*app, "group", "-q"], environment, root)

    for table in ("subjects.tsv", "regions.tsv", "lesions.tsv", "qc.tsv", "skipped.tsv"):
        assert (out / table).read_text() == (segmented / table).read_text(), table
    for case in ("sub-001", "sub-002", "sub-003", "sub-004"):
        assert (out / case / "anat" / f"{case}_space-FLAIR_desc-wmh_mask.nii.gz").is_file()
    assert not (out / "parts").exists() and not (tmp_path / "app.partial").exists()


@pytest.mark.slow
def test_an_image_the_model_does_not_take_is_left_out_with_a_warning_or_refused_with_strict(trained, tmp_path):
    root, environment, model = trained
    nan_t2 = tmp_path / "t2.nii.gz"
    nib.save(nib.Nifti1Image(np.full((4, 4, 4), np.nan, np.float32), np.eye(4)), nan_t2)
    anat = root / "bids/sub-001/anat"
    command = [str(BIN / "nnunet_wmh"), "segment", "--flair", str(anat / "sub-001_FLAIR.nii.gz"), "--t1",
               str(anat / "sub-001_T1w.nii.gz"), "--image", f"t2={nan_t2}", "--model", str(model), "--device", "cpu",
               "--disable-tta", *_atlas(root), "-q", "--no-pictures"]  # fmt: skip
    out = tmp_path / "one"
    printed = run([*command, "--out", str(out)], environment, root)
    assert "warning: the model takes FLAIR and T1; the T2 image given was not used (--strict refuses it)" in printed
    report = json.loads((out / "report.json").read_text())
    assert report["inputs"]["unused"] == {"T2": 1}
    assert report["warnings"] == ["the model takes FLAIR and T1; the T2 image given was not used (`strict` refuses it)"]
    refused = subprocess.run([*command, "--strict", "--out", str(tmp_path / "strict")], env=environment, cwd=root,
                             capture_output=True, text=True, timeout=300)  # fmt: skip
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "the T2 image given would not be used (leave it out, or leave out --strict)" in refused.stderr
    assert not (tmp_path / "strict").exists()
