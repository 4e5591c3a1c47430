"""change against a synthetic longitudinal cohort's truth (10 participants × 3 sessions, the true lesions as the
masks): every lesion's class is the truth table's, and each pair's total change is the true one to the voxel."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from nnunet_wmh.longitudinal.matching import CHANGE_LABELS
from nnunet_wmh.longitudinal.run import detect_change
from nnunet_wmh.synthetic import make_synthetic_cohort
from nnunet_wmh.tsv import read_tsv
from tests.helpers.longitudinal import segment_like_from_truth, truth_file

KIND = {label: kind for kind, label in CHANGE_LABELS.items()}


@pytest.fixture(scope="module")
def measured(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("truth")
    cohort = root / "bids"
    make_synthetic_cohort(cohort, subjects=10, sessions=3, layout="bids", size="small", progress=False)
    detect_change(segment_like_from_truth(cohort, root / "segment"), root / "change", jobs=2, progress=False)
    return cohort, root / "change"


def _our_class(change: Path, cohort: Path, participant: str, row: dict[str, str]) -> str:
    a, b = row["session_from"], row["session_to"]
    session, other = (b, a) if row["kind"] == "new" else (a, b)  # a new lesion is only in the later visit
    desc = (
        f"changeFrom{other.replace('ses-', 'Ses')}"
        if row["kind"] == "new"
        else f"changeTo{other.replace('ses-', 'Ses')}"
    )
    name = f"{participant}_{session}_space-FLAIR_desc-{desc}_dseg.nii.gz"
    classes = np.asanyarray(nib.load(change / participant / session / "anat" / name).dataobj)
    ids = np.asanyarray(nib.load(truth_file(cohort, participant, session, "lesionid", "dseg")).dataobj)
    found = classes[ids == int(row["lesion_id"])]
    return KIND[int(np.bincount(found[found > 0]).argmax())] if found.any() else "missed"


def test_every_lesions_class_is_the_truth_tables(measured):
    cohort, change = measured
    compared = []
    for truth in sorted(cohort.glob("derivatives/synth/sub-*/sub-*_desc-change_truth.tsv")):
        participant = truth.name.split("_")[0]
        compared += [(row["kind"], _our_class(change, cohort, participant, row)) for row in read_tsv(truth)]
    kinds = {kind for kind, _ in compared}
    assert {"stable", "enlarging", "shrinking", "new", "vanished", "merged"} <= kinds  # the cohort has them all
    assert [pair for pair in compared if pair[0] != pair[1]] == []


def test_each_pairs_total_change_is_the_true_one(measured):
    cohort, change = measured
    ours = {(r["participant_id"], r["session_from"], r["session_to"]): float(r["change_ml"])
            for r in read_tsv(change / "change.tsv") if r["region_id"] == "all"}  # fmt: skip
    for truth in sorted(cohort.glob("derivatives/synth/sub-*/sub-*_desc-regionvolumes_truth.tsv")):
        participant = truth.name.split("_")[0]
        total: dict[str, float] = {}
        for row in read_tsv(truth):
            total[row["session"]] = total.get(row["session"], 0.0) + float(row["lesion_volume_mm3"]) / 1000
        for a, b in (("ses-01", "ses-02"), ("ses-02", "ses-03")):
            assert ours[(participant, a, b)] == pytest.approx(total[b] - total[a], abs=1e-6)
