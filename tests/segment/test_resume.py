"""The ledger of a segment run's finished subjects: what makes a subject done, and what makes it done again."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

from nnunet_wmh.cohorts.subject import Subject
from nnunet_wmh.report.inputs import CaseInputs
from nnunet_wmh.segment.resume import SubjectLedger, case_digest, clear_case, link_cases, relocated, work_folder
from nnunet_wmh.segment.routes import SubjectRoute
from tests.helpers.models import write_model_folder


def _route(tmp_path: Path) -> SubjectRoute:
    flair = tmp_path / "in" / "FLAIR.nii.gz"
    flair.parent.mkdir(parents=True, exist_ok=True)
    flair.write_bytes(b"flair")
    subject = Subject("01", None, "site", tmp_path / "in", "sub-01", "01", flair=flair)
    return SubjectRoute(subject, "sub-01", ("flair", "flair"))


def _finished(folder: Path, route: SubjectRoute) -> CaseInputs:
    prediction = folder / "predictions" / "sub-01.nii.gz"
    region_map = folder / "bids" / "sub-01" / "anat" / "sub-01_space-FLAIR_desc-regions_dseg.nii.gz"
    for path in (prediction, region_map):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"nifti")
    return CaseInputs("sub-01", prediction, regions=region_map, qc_extra=(("regions_qc", "pass"),))


def test_a_finished_subject_is_restored_with_its_files_and_qc_columns(tmp_path):
    folder, route = work_folder(tmp_path / "out", 0, 1), _route(tmp_path)
    ledger, digest = SubjectLedger(folder), case_digest(route, {"model": 1}, {"folds": None})
    ledger.finish(route, digest, _finished(folder, route), {"register": 2.5, "predict": 0.5})

    inputs, seconds = ledger.restore(route, digest)

    assert folder == tmp_path / "out.partial" / "part-0-of-1"
    assert inputs.prediction == folder / "predictions" / "sub-01.nii.gz" and inputs.regions.is_file()
    assert inputs.qc_extra == (("regions_qc", "pass"),) and inputs.image == route.subject.flair
    assert seconds == {"register": 2.5, "predict": 0.5}


def test_the_other_images_are_restored_and_named_where_the_part_holds_them(tmp_path):
    """The viewer shows a subject's T1: moved onto the FLAIR grid (a file of the work folder, found in the part's
    folder once linked there) or as given when already on it (the input file)."""
    folder, route = work_folder(tmp_path / "out", 0, 1), _route(tmp_path)
    moved = folder / "bids" / "sub-01" / "anat" / "sub-01_space-FLAIR_T1w.nii.gz"
    given = tmp_path / "in" / "T2.nii.gz"
    for path in (moved, given):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"image")
    ledger, digest = SubjectLedger(folder), case_digest(route, {"model": 1}, {"folds": None})
    ledger.finish(route, digest, replace(_finished(folder, route), other_images=(moved, given)), {})

    inputs = ledger.restore(route, digest)[0]
    assert inputs.other_images == (moved, given)
    part = tmp_path / "out" / "parts" / "part-0-of-1"
    placed = relocated(inputs, folder, part)
    assert placed.other_images == (part / "bids" / "sub-01" / "anat" / "sub-01_space-FLAIR_T1w.nii.gz", given)
    assert placed.prediction == part / "predictions" / "sub-01.nii.gz" and placed.image == route.subject.flair
    moved.unlink()
    assert ledger.restore(route, digest) is None  # a file of the subject is gone: it is done again


def test_a_changed_image_option_or_model_or_a_missing_file_makes_the_subject_run_again(tmp_path):
    folder, route = work_folder(tmp_path / "out", 0, 1), _route(tmp_path)
    ledger, digest = SubjectLedger(folder), case_digest(route, {"model": 1}, {"folds": None})
    ledger.finish(route, digest, _finished(folder, route), {})
    assert case_digest(route, {"model": 2}, {"folds": None}) != digest
    assert case_digest(route, {"model": 1}, {"folds": ["0"]}) != digest
    route.subject.flair.write_bytes(b"another flair")
    os.utime(route.subject.flair, ns=(1, 1))
    assert case_digest(route, {"model": 1}, {"folds": None}) != digest
    (folder / "predictions" / "sub-01.nii.gz").unlink()
    assert ledger.restore(route, digest) is None


def test_only_the_files_of_the_given_subjects_reach_the_output_and_old_ones_are_cleared(tmp_path):
    folder, route = work_folder(tmp_path / "out", 0, 1), _route(tmp_path)
    _finished(folder, route)
    stray = folder / "bids" / "sub-99" / "anat" / "sub-99_space-FLAIR_desc-regions_dseg.nii.gz"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"left over from a subject no longer in the cohort")
    target = tmp_path / "staging"

    link_cases(folder, target, [route])

    assert sorted(str(p.relative_to(target)) for p in target.rglob("*.nii.gz")) == [
        "bids/sub-01/anat/sub-01_space-FLAIR_desc-regions_dseg.nii.gz", "predictions/sub-01.nii.gz"]  # fmt: skip
    clear_case(folder, route)
    assert not (folder / "predictions" / "sub-01.nii.gz").exists() and stray.is_file()
    assert (target / "predictions" / "sub-01.nii.gz").read_bytes() == b"nifti"  # a link outlives its source


def test_rerunning_with_skip_invalid_keeps_the_finished_subjects_but_another_transform_does_not(tmp_path):
    """A run stopped by a bad subject is rerun with --skip-invalid: that changes which subjects run, not what a
    finished subject's files hold, so its digest stays; an option that changes the files changes it."""
    from nnunet_wmh.nnunet.model import open_model
    from nnunet_wmh.runs.options import RunOptions
    from nnunet_wmh.segment.options import SegmentOptions
    from nnunet_wmh.segment.run import _workplace

    block = {"inputs": "flair", "channels": 1, "encoding": "lesion"}
    model = open_model(write_model_folder(tmp_path, {"channel_names": {"0": "FLAIR"}, "nnunet_wmh": block,
                                                     "labels": {"background": 0, "wmh": 1}}),
                       folds=None, checkpoint="checkpoint_final.pth", unpack_dir=tmp_path / "unpacked")  # fmt: skip
    route, target = _route(tmp_path), SimpleNamespace(out_dir=tmp_path / "out")

    def digest(**options) -> str:
        job = SimpleNamespace(model=model, options=SegmentOptions(**options), run=RunOptions(), target=target)
        return _workplace([route], job).digests["sub-01"]

    assert digest() == digest(skip_invalid=True)
    assert digest() != digest(transform="rigid")
