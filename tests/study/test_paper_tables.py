"""The segmentation table and the paired comparisons, on hand-made results."""

import math

import pytest

from nnunet_wmh.study.paper_tables import (
    comparison_pairs,
    comparisons,
    segmentation_markdown,
    segmentation_table,
    subject_localization_errors,
)


def _row(config, variant, subject, dice, hd95=5.0):
    return {"config": config, "variant": variant, "case": f"{config}_{subject}_{variant}", "participant_id": subject,
            "session": "", "site": "Utrecht", "dice": dice, "hd95_mm": hd95, "avd_percent": 10.0,
            "lesion_recall": 0.5, "lesion_f1": 0.5}  # fmt: skip


RESULTS = [
    *(_row("flair_t1", "paired", s, d) for s, d in zip("abcdef", [0.80, 0.75, 0.90, 0.70, 0.85, 0.60], strict=True)),
    *(_row("flair", "flair_only", s, d) for s, d in zip("abcdef", [0.79, 0.73, 0.87, 0.66, 0.80, 0.54], strict=True)),
    _row("t1", "t1_only", "a", 0.5, math.nan),
]


def test_segmentation_table_by_hand():
    table, columns = segmentation_table(RESULTS)
    assert [(r["config"], r["variant"], r["n"]) for r in table] == [
        ("flair", "flair_only", 6), ("t1", "t1_only", 1), ("flair_t1", "paired", 6)]  # fmt: skip
    flair_t1 = table[2]
    assert flair_t1["dice_mean"] == pytest.approx(0.76666667)
    assert flair_t1["dice_median"] == pytest.approx(0.775)
    assert flair_t1["dice_sd"] == pytest.approx(0.1080123, abs=1e-6)  # sample sd (n - 1)
    assert math.isnan(table[1]["hd95_mm_mean"]) and math.isnan(table[1]["dice_sd"])
    assert columns[:4] == ["config", "variant", "n", "dice_mean"]
    markdown = segmentation_markdown(table)
    assert "| flair_t1 | paired | 6 | 0.767 ± 0.108 (0.775) |" in markdown
    assert "| t1 | t1_only | 1 | 0.500 (0.500) | – |" in markdown


def test_comparisons_pair_the_same_subjects_and_correct_within_each_metric():
    table = comparisons(RESULTS, best=None)
    dice = [r for r in table if r["metric"] == "dice"]
    assert [r["comparison"] for r in dice] == [
        "flair_t1[paired] vs flair[flair_only]",
        "flair_t1[paired] vs t1[t1_only]",
    ]
    first = dice[0]
    assert first["n"] == 6 and first["mean_difference"] == pytest.approx(0.035)
    assert first["p_wilcoxon"] == pytest.approx(2 / 64)
    assert first["p_holm"] == pytest.approx(min(1.0, 2 * 2 / 64))  # two dice comparisons; the other has p 1
    assert dice[1]["n"] == 1


def test_interchangeable_variants_are_compared_with_the_single_modality_models():
    rows = [_row("interchangeable", v, "a", 0.5) for v in ("paired", "flair_only", "t1_only")]
    rows += [_row(c, v, "a", 0.5) for c, v in (("flair", "flair_only"), ("t1", "t1_only"), ("flair_t1", "paired"))]
    assert comparison_pairs(rows, None)[2:] == [
        ("interchangeable", "paired", "flair_t1", "paired"),
        ("interchangeable", "flair_only", "flair", "flair_only"),
        ("interchangeable", "t1_only", "t1", "t1_only"),
    ]


def test_multitask_is_compared_with_separate_models_on_lesions_and_region_volumes():
    rows = [_row("flair_t1", "paired", s, 0.8) for s in "ab"]
    rows += [_row("multitask_joint", "paired", s, 0.7) for s in "ab"]
    burden = [  # one region per case: |predicted - true| = 0.5, 1.0 (multitask) and 0, 0.25 (separate)
        {"config": c, "case": f"{model}_{s}_paired", "true_volume_ml": 1.0, "predicted_volume_ml": p}
        for c, model, s, p in (("multitask_joint", "multitask_joint", "a", 1.5),
                               ("multitask_joint", "multitask_joint", "b", 2.0),
                               ("separate_models", "flair_t1", "a", 1.0), ("separate_models", "flair_t1", "b", 1.25))
    ]  # fmt: skip
    identity = {r["case"]: (r["participant_id"], "", "Utrecht") for r in rows}
    table = comparisons(rows, best="flair_t1", localization=subject_localization_errors(burden, identity))
    by_metric = {r["metric"]: r for r in table if r["b"] == "separate_models[paired]"}
    assert by_metric["dice"]["mean_difference"] == pytest.approx(-0.1)
    assert by_metric["region_volume_error_ml"]["n"] == 2
    assert by_metric["region_volume_error_ml"]["mean_difference"] == pytest.approx(0.625)


def test_list_configurations_are_compared_with_models_of_exactly_their_inputs():
    from nnunet_wmh.study.paper_tables import comparison_pairs

    rows = [{"config": "interchangeable_dropout_flair_t1_t2", "variant": v} for v in ("flair+t1+t2", "t2", "flair")]
    rows += [{"config": "interchangeable_flair_t1_t2", "variant": v} for v in ("flair+t1+t2", "t2")]
    rows += [{"config": "fixed_flair_t1_t2", "variant": "flair+t1+t2"}, {"config": "flair", "variant": "flair_only"},
             {"config": "fixed_t2", "variant": "t2"}]  # fmt: skip
    assert comparison_pairs(rows, None) == [
        ("interchangeable_dropout_flair_t1_t2", "flair+t1+t2", "fixed_flair_t1_t2", "flair+t1+t2"),
        ("interchangeable_dropout_flair_t1_t2", "flair", "flair", "flair_only"),
        ("interchangeable_dropout_flair_t1_t2", "t2", "fixed_t2", "t2"),
        ("interchangeable_dropout_flair_t1_t2", "flair+t1+t2", "interchangeable_flair_t1_t2", "flair+t1+t2"),
        ("interchangeable_dropout_flair_t1_t2", "t2", "interchangeable_flair_t1_t2", "t2"),
        ("interchangeable_flair_t1_t2", "flair+t1+t2", "fixed_flair_t1_t2", "flair+t1+t2"),
        ("interchangeable_flair_t1_t2", "t2", "fixed_t2", "t2"),
    ]
