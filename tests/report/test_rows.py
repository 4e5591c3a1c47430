"""The rows one case gives every table."""

import math

import pytest

from nnunet_wmh.conversion_table import CaseInfo
from nnunet_wmh.labels.conventions import LabelConvention
from nnunet_wmh.report.case import CaseSettings, measure_case
from nnunet_wmh.report.inputs import CaseInputs
from nnunet_wmh.report.options import ReportOptions
from nnunet_wmh.report.rows import case_rows
from tests.helpers.report_cases import write_hand_cohort


def test_the_rows_of_case_a_carry_its_identity_and_hand_computed_volumes(tmp_path):
    folders = write_hand_cohort(tmp_path)
    inputs = CaseInputs("case_a", folders["pred"] / "case_a.nii.gz", regions=folders["regions"] / "case_a.nii.gz",
                        info=CaseInfo("07", "1", "Utrecht", "paired"))  # fmt: skip
    settings = CaseSettings(LabelConvention.challenge(), {3: "frontal"}, ReportOptions())
    rows = case_rows(measure_case(inputs, settings))
    identity = {"participant_id": "sub-07", "session_id": "ses-1", "site": "Utrecht", "case": "case_a"}
    assert {k: rows.subject[k] for k in identity} == identity
    assert rows.subject["total_lesion_volume_mm3"] == pytest.approx(15.0) and rows.subject["lesion_count"] == 2
    assert math.isnan(rows.subject["periventricular_volume_mm3"]) and math.isnan(rows.subject["icv_mm3"])
    assert [(r["region_name"], r["lesion_volume_mm3"]) for r in rows.regions] == [
        ("frontal", 12.0), ("region_8", 3.0), ("outside_regions", 0.0)]  # fmt: skip
    assert [(r["lesion_id"], r["voxels"], r["dominant_region_name"]) for r in rows.lesions] == [
        (1, 4, "frontal"), (2, 1, "region_8")]  # fmt: skip
    assert rows.qc["empty_prediction"] is False and rows.region_names == {3: "frontal", 8: "region_8"}
