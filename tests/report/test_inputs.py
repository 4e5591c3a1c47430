"""The files of every case of a report, checked from the headers before anything is measured."""

import numpy as np

from nnunet_wmh.labels.conventions import LabelConvention
from nnunet_wmh.report.inputs import CaseInputs, find_case_inputs, prediction_convention
from tests.helpers.images import save
from tests.helpers.report_cases import AFFINE, SHAPE, write_hand_cohort


def test_companions_are_found_for_the_cases_of_this_part_only(tmp_path):
    folders = write_hand_cohort(tmp_path)
    predictions = {case: folders["pred"] / f"{case}.nii.gz" for case in ("case_a", "case_b", "case_c")}
    (folders["regions"] / "case_a.nii.gz").unlink()  # case_a is not in this part: not looked for
    inputs, problems = find_case_inputs(
        predictions, ["case_b"], {}, {"regions": folders["regions"], "images": folders["images"]}
    )
    assert problems == []
    assert inputs == [
        CaseInputs(
            "case_b",
            predictions["case_b"],
            regions=folders["regions"] / "case_b.nii.gz",
            image=folders["images"] / "case_b_0000.nii.gz",
        )
    ]


def test_every_case_with_a_problem_is_listed(tmp_path):
    folders = write_hand_cohort(tmp_path)
    predictions = {case: folders["pred"] / f"{case}.nii.gz" for case in ("case_a", "case_b", "case_c")}
    save(np.zeros((3, 3, 3), np.uint8), folders["brain"] / "case_a.nii.gz", AFFINE)
    (folders["ventricles"] / "case_c.nii.gz").unlink()
    companions = {"brain_mask": folders["brain"], "ventricles": folders["ventricles"]}
    _, problems = find_case_inputs(predictions, list(predictions), {}, companions)
    assert [p.subject for p in problems] == ["case_c", "case_a"]
    assert problems[1].problem.startswith("brain mask: shape (3, 3, 3) != prediction")


def test_the_convention_comes_from_the_dataset_json_nnunet_copies(tmp_path):
    save(np.zeros(SHAPE, np.uint8), tmp_path / "c.nii.gz", AFFINE)
    assert prediction_convention(tmp_path, None).kind == "challenge"
    (tmp_path / "dataset.json").write_text('{"labels": {"background": 0, "wmh": 1}}')
    assert prediction_convention(tmp_path, None) == LabelConvention.from_dataset_json(tmp_path / "dataset.json")
    (tmp_path / "dataset.json").write_text("{broken")
    assert prediction_convention(tmp_path, None).kind == "challenge"  # ignored, with a warning
