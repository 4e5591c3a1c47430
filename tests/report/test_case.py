"""Measuring one case: lesions, regions after the outside policy, periventricular volume, ICV."""

import math

import numpy as np
import pytest

from nnunet_wmh.errors import InputDataError
from nnunet_wmh.labels.conventions import LabelConvention
from nnunet_wmh.report.case import CaseSettings, measure_case
from nnunet_wmh.report.inputs import CaseInputs
from nnunet_wmh.report.options import ReportOptions
from tests.helpers.images import save
from tests.helpers.report_cases import AFFINE, SHAPE, write_hand_cohort

SETTINGS = CaseSettings(LabelConvention.challenge(), {3: "frontal", 8: "occipital"}, ReportOptions())


def _inputs(folders, case):
    return CaseInputs(case, folders["pred"] / f"{case}.nii.gz", regions=folders["regions"] / f"{case}.nii.gz",
                      ventricles=folders["ventricles"] / f"{case}.nii.gz",
                      brain_mask=folders["brain"] / f"{case}.nii.gz")  # fmt: skip


def test_case_a_is_measured_by_hand(tmp_path):
    folders = write_hand_cohort(tmp_path)
    measured = measure_case(_inputs(folders, "case_a"), SETTINGS)
    assert measured.voxel_volume_mm3 == pytest.approx(3.0) and measured.spacing == pytest.approx((1, 1, 3))
    assert measured.lesions.count == 2 and measured.lesions.voxel_count == 5
    assert measured.icv_mm3 == pytest.approx(400 * 3.0)
    assert measured.burden.lesion_voxels.tolist() == [0, 4, 1]  # outside, frontal, occipital
    assert measured.outside_fraction_input == 0 and measured.periventricular.voxel_periventricular.all()


def test_a_voxel_outside_every_region_is_given_its_nearest_region(tmp_path):
    folders = write_hand_cohort(tmp_path)
    measured = measure_case(_inputs(folders, "case_c"), SETTINGS)
    assert measured.outside_fraction_input == 1.0 and measured.outside_fraction == 0.0
    kept = measure_case(_inputs(folders, "case_c"), CaseSettings(SETTINGS.convention, SETTINGS.region_table,
                                                                 ReportOptions(outside="keep")))  # fmt: skip
    assert kept.outside_fraction == 1.0 and math.isnan(
        measure_case(_inputs(folders, "case_b"), SETTINGS).outside_fraction
    )


def test_nan_in_a_prediction_and_negative_region_ids_are_errors_naming_the_file(tmp_path):
    folders = write_hand_cohort(tmp_path)
    values = np.zeros(SHAPE, np.float32)
    values[0, 0, 0] = np.nan
    save(values, folders["pred"] / "case_a.nii.gz", AFFINE)
    with pytest.raises(InputDataError, match=r"case_a.nii.gz: prediction: 1 voxel\(s\) are NaN or infinite"):
        measure_case(_inputs(folders, "case_a"), SETTINGS)
    save(np.full(SHAPE, -1, np.int16), folders["regions"] / "case_b.nii.gz", AFFINE)
    with pytest.raises(InputDataError, match=r"regions/case_b.nii.gz: region map holds negative values \(minimum -1\)"):
        measure_case(_inputs(folders, "case_b"), SETTINGS)
