"""The paper's findings read from paired comparisons (mean difference A − B with its 95 % CI)."""

from nnunet_wmh.study.findings import (
    DIRECTION,
    INCONCLUSIVE,
    NOT_REPRODUCED,
    NOT_TESTED,
    REPRODUCED,
    paper_findings,
)


def _row(a, b, mean, low, high, metric="dice", p=0.01, n=20):
    return {"a": a, "b": b, "metric": metric, "mean_difference": mean, "ci_low": low, "ci_high": high, "p_holm": p,
            "n": n}  # fmt: skip


def _verdicts(rows):
    return [f["verdict"] for f in paper_findings(rows)]


def test_nothing_to_compare_is_not_tested():
    assert _verdicts([]) == [NOT_TESTED] * 3


def test_multimodal_needs_flair_t1_above_both_single_modalities():
    above = [_row("flair_t1[paired]", "flair[flair_only]", 0.05, 0.01, 0.09),
             _row("flair_t1[paired]", "t1[t1_only]", 0.20, 0.15, 0.25)]  # fmt: skip
    assert _verdicts(above)[0] == REPRODUCED
    uncertain = [above[0], _row("flair_t1[paired]", "t1[t1_only]", 0.02, -0.01, 0.05)]
    assert _verdicts(uncertain)[0] == DIRECTION
    few_subjects = [above[0], _row("flair_t1[paired]", "t1[t1_only]", 0.20, 0.15, 0.25, p=0.25)]
    assert _verdicts(few_subjects)[0] == DIRECTION  # a CI that excludes 0 is not enough without Holm's p
    worse = [above[0], _row("flair_t1[paired]", "t1[t1_only]", -0.02, -0.05, 0.01)]
    assert _verdicts(worse)[0] == NOT_REPRODUCED
    finding = paper_findings(above)[0]
    assert "flair_t1[paired] − flair[flair_only] dice: +0.050 [+0.010, +0.090]" in finding["evidence"]


def test_interchangeable_may_lose_a_little_on_pairs_and_must_hold_on_single_inputs():
    rows = [_row("interchangeable[paired]", "flair_t1[paired]", -0.02, -0.04, 0.0),
            _row("interchangeable[flair_only]", "flair[flair_only]", 0.0, -0.03, 0.03),
            _row("interchangeable[t1_only]", "t1[t1_only]", -0.01, -0.04, 0.02)]  # fmt: skip
    assert _verdicts(rows)[1] == REPRODUCED
    rows[0] = _row("interchangeable[paired]", "flair_t1[paired]", -0.10, -0.15, -0.05)  # more than a little
    assert _verdicts(rows)[1] == NOT_REPRODUCED


def test_multitask_weaker_than_separate_models_on_lesions_or_region_volumes():
    pair, error = ("multitask_joint[paired]", "separate_models[paired]"), "region_volume_error_ml"
    rows = [_row(*pair, 0.01, -0.02, 0.04), _row(*pair, 0.8, 0.3, 1.2, error)]
    assert _verdicts(rows)[2] == REPRODUCED  # same Dice, larger region-volume error
    rows[1] = _row(*pair, -0.1, -0.3, 0.1, error)
    assert _verdicts(rows)[2] == NOT_REPRODUCED


def test_a_model_that_did_not_learn_makes_its_findings_inconclusive():
    pair, error = ("multitask_joint[paired]", "separate_models[paired]"), "region_volume_error_ml"
    rows = [_row(*pair, -0.6, -0.7, -0.5), _row(*pair, 0.8, 0.3, 1.2, error)]  # "loses" clearly
    unlearned = {"multitask_joint": "multitask_joint did not learn: lesion Dice 0.000, floor 0.2"}
    finding = paper_findings(rows, unlearned=unlearned)[2]
    assert finding["verdict"] == INCONCLUSIVE
    assert finding["reason"] == "multitask_joint did not learn: lesion Dice 0.000, floor 0.2"
    assert [f["verdict"] for f in paper_findings(rows, unlearned={"t1": "t1 did not learn"})] == [
        NOT_TESTED, NOT_TESTED, REPRODUCED,
    ]  # fmt: skip


def test_too_few_paired_subjects_never_reproduce():
    rows = [_row("flair_t1[paired]", "flair[flair_only]", 0.05, 0.01, 0.09, n=9),
            _row("flair_t1[paired]", "t1[t1_only]", 0.20, 0.15, 0.25)]  # fmt: skip
    finding = paper_findings(rows)[0]
    assert finding["verdict"] == DIRECTION
    assert finding["reason"] == "n = 9 paired test subjects; 'reproduced' needs at least 10"
