"""A ``segment`` output made from a synthetic cohort's truth (true WMH as the masks, true region maps), so that
``change`` can be checked against the truth without a model."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from nnunet_wmh.synthetic import make_synthetic_cohort
from nnunet_wmh.tsv import read_tsv, write_tsv


def truth_file(cohort: Path, participant: str, session: str, desc: str, suffix: str) -> Path:
    """``derivatives/synth/sub-X/ses-Y/anat/sub-X_ses-Y_space-FLAIR_desc-DESC_SUFFIX.nii.gz``."""
    prefix = f"{participant}_{session}" if session else participant
    return (
        cohort
        / "derivatives/synth"
        / participant
        / session
        / "anat"
        / f"{prefix}_space-FLAIR_desc-{desc}_{suffix}.nii.gz"
    )


def segment_like_from_truth(cohort: Path, out: Path, *, regions: bool = True) -> Path:
    """Write ``out`` as ``segment`` would have, with the cohort's true WMH (label 1) as every mask and its true
    region maps; returns ``out``."""
    rows = []
    for anat in sorted(cohort.glob("sub-*/ses-*/anat")) or sorted(cohort.glob("sub-*/anat")):
        session = anat.parent.name if anat.parent.name.startswith("ses-") else ""
        participant = anat.parent.parent.name if session else anat.parent.name
        prefix = f"{participant}_{session}" if session else participant
        target = out / participant / session / "anat"
        target.mkdir(parents=True, exist_ok=True)
        lesion = nib.load(truth_file(cohort, participant, session, "wmh", "mask"))
        mask = (np.asanyarray(lesion.dataobj) == 1).astype(np.uint8)
        nib.save(
            nib.Nifti1Image(mask, lesion.affine, lesion.header), target / f"{prefix}_space-FLAIR_desc-wmh_mask.nii.gz"
        )
        if regions:
            shutil.copy(truth_file(cohort, participant, session, "regions", "dseg"),
                        target / f"{prefix}_space-FLAIR_desc-regions_dseg.nii.gz")  # fmt: skip
        rows.append({"participant_id": participant, "session_id": session or "n/a", "site": "",
                     "case": prefix})  # fmt: skip
    write_tsv(out / "subjects.tsv", rows, ["participant_id", "session_id", "site", "case"])
    table = read_tsv(cohort / "derivatives/synth/desc-regions_dseg.tsv")
    record = {"inputs": {"source": str(cohort), "segment": {"layout": "bids"}},
              "options": {"connectivity": 26, "min_lesion_mm3": 0.0},
              "regions": [{"id": int(r["index"]), "name": r["name"]} for r in table] if regions else []}  # fmt: skip
    (out / "report.json").write_text(json.dumps(record))
    return out


@pytest.fixture(scope="session")
def cohort_template(tmp_path_factory) -> Path:
    """A small synthetic BIDS cohort: 3 participants, 2 sessions each (not to be changed: copy it)."""
    root = tmp_path_factory.mktemp("longitudinal") / "bids"
    make_synthetic_cohort(root, subjects=3, sessions=2, layout="bids", size="small", progress=False)
    return root


@pytest.fixture
def segmented(cohort_template, tmp_path) -> tuple[Path, Path]:
    """A copy of the cohort, and a segment output made from its truth."""
    cohort = tmp_path / "bids"
    shutil.copytree(cohort_template, cohort)
    return cohort, segment_like_from_truth(cohort, tmp_path / "segment")
