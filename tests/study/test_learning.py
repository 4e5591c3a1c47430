"""A model that learned nothing is named, and no finding rests on it."""

import math

from nnunet_wmh.study.configs import CONFIGS
from nnunet_wmh.study.findings import DIRECTION, INCONCLUSIVE, REPRODUCED
from nnunet_wmh.study.layout import StudyLayout
from nnunet_wmh.study.learning import (
    DID_NOT_LEARN,
    LEARNED,
    LESION_DICE_FLOOR,
    REGION_DICE_FLOOR,
    check_models,
    unlearned,
)
from nnunet_wmh.study.outputs import compute_tables, write_tables
from nnunet_wmh.tsv import read_tsv, write_tsv

VARIANT = {"flair": "flair_only", "t1": "t1_only", "flair_t1": "paired"}


def _row(config, subject, dice, predicted_mm3, reference_mm3=1000.0):
    return {"config": config, "variant": VARIANT[config], "case": f"{config}_{subject}", "participant_id": subject,
            "session": "", "site": "A", "dice": dice, "reference_volume_mm3": reference_mm3,
            "prediction_volume_mm3": predicted_mm3}  # fmt: skip


def test_a_model_predicting_nothing_did_not_learn_and_others_did():
    results = [_row("flair", "s1", 0.8, 900.0), _row("flair", "s2", 0.7, 1100.0)]
    results += [_row("t1", "s1", 0.0, 0.0), _row("t1", "s2", 0.3, 200.0)]  # empty on 1 of 2 cases with lesions
    results += [_row("t1", "s3", math.nan, 0.0, reference_mm3=0.0)]  # no lesion: not counted
    checks = check_models(results, [], [CONFIGS["flair"], CONFIGS["t1"]], best=None)
    assert checks["flair"].status == LEARNED and checks["flair"].reason == ""
    assert checks["t1"].status == DID_NOT_LEARN
    assert checks["t1"].reason == (
        f"no lesion predicted on 1 of 2 test cases with lesions; lesion Dice 0.150, floor {LESION_DICE_FLOOR:g}"
    )
    assert (checks["t1"].empty_cases, checks["t1"].lesion_cases) == (1, 2)
    assert unlearned(checks) == {"t1": f"t1 did not learn: {checks['t1'].reason}"}


def test_a_region_model_needs_region_dice_and_separate_models_inherits_its_lesion_model():
    results = [_row("flair_t1", "s1", 0.8, 900.0)]
    results.append({**_row("flair_t1", "s1", 0.9, 950.0), "config": "multitask_separate"})
    burden = [{"config": "multitask_separate", "case": "c1", "region_dice": d} for d in (0.1, 0.2, math.nan)]
    burden += [{"config": "separate_models", "case": "c1", "region_dice": d} for d in (0.7, 0.5)]
    configs = [CONFIGS[n] for n in ("flair_t1", "multitask_separate", "separate_models")]
    checks = check_models(results, burden, configs, best="flair_t1")
    assert checks["multitask_separate"].reason == f"region Dice 0.150, floor {REGION_DICE_FLOOR:g}"
    assert checks["separate_models"].learned and checks["separate_models"].region_dice == 0.6
    assert math.isnan(checks["flair_t1"].region_dice)
    empty = [{**results[0], "dice": 0.0, "prediction_volume_mm3": 0.0}, results[1]]
    checks = check_models(empty, burden, configs, best="flair_t1")
    assert checks["separate_models"].reason == "its lesion model flair_t1 did not learn"


def _write_evaluation(layout, config, rows):
    folder = layout.evaluation(CONFIGS[config])
    folder.mkdir(parents=True)
    columns = ["case", "subject", "session", "site", "variant", "dice", "hd95_mm", "avd_percent", "lesion_recall",
               "lesion_f1", "reference_volume_mm3", "prediction_volume_mm3", "prediction", "reference"]  # fmt: skip
    write_tsv(folder / "metrics.tsv", rows, columns)


def _case(config, subject, dice):
    empty = dice == 0.0
    return {"case": f"{config}_{subject}", "subject": subject, "session": "", "site": "A", "variant": VARIANT[config],
            "dice": dice, "hd95_mm": math.nan if empty else 3.0, "avd_percent": 100.0 if empty else 10.0,
            "lesion_recall": 0.0 if empty else 0.8, "lesion_f1": 0.0 if empty else 0.8,
            "reference_volume_mm3": 2000.0, "prediction_volume_mm3": 0.0 if empty else 1900.0,
            "prediction": "p.nii.gz", "reference": "r.nii.gz"}  # fmt: skip


def test_a_study_whose_multimodal_model_predicts_nothing_reproduces_no_finding_on_it(tmp_path):
    layout = StudyLayout(tmp_path, 800)
    subjects = [f"{i:02d}" for i in range(12)]
    _write_evaluation(layout, "flair", [_case("flair", s, 0.70 + 0.01 * i) for i, s in enumerate(subjects)])
    _write_evaluation(layout, "t1", [_case("t1", s, 0.50 + 0.01 * i) for i, s in enumerate(subjects)])
    _write_evaluation(layout, "flair_t1", [_case("flair_t1", s, 0.0) for s in subjects])  # learned nothing
    configs = [CONFIGS[n] for n in ("flair", "t1", "flair_t1")]
    tables, burden = compute_tables(layout, configs, [], seed=1)
    multimodal = tables.findings[0]
    assert multimodal["verdict"] == INCONCLUSIVE
    assert multimodal["reason"].startswith("flair_t1 did not learn: no lesion predicted on 12 of 12 test cases")
    assert {r["model_status"] for r in tables.results if r["config"] == "flair_t1"} == {DID_NOT_LEARN}
    write_tables(tmp_path, tables, burden)
    assert "flair_t1 (**did not learn**)" in (tmp_path / "table_segmentation.md").read_text()
    checks = {r["config"]: r["status"] for r in read_tsv(tmp_path / "model_checks.tsv")}
    assert checks == {"flair": LEARNED, "t1": LEARNED, "flair_t1": DID_NOT_LEARN}
    assert read_tsv(tmp_path / "results.tsv")[0]["model_status"] == LEARNED


def test_the_same_study_with_a_model_that_learned_reproduces_only_with_enough_subjects(tmp_path):
    for count, verdict in ((12, REPRODUCED), (6, DIRECTION)):
        layout = StudyLayout(tmp_path / str(count), 800)
        subjects = [f"{i:02d}" for i in range(count)]
        for config, base in (("flair", 0.6), ("t1", 0.4), ("flair_t1", 0.8)):
            _write_evaluation(layout, config, [_case(config, s, base + 0.01 * i) for i, s in enumerate(subjects)])
        configs = [CONFIGS[n] for n in ("flair", "t1", "flair_t1")]
        finding = compute_tables(layout, configs, [], seed=1)[0].findings[0]
        assert finding["verdict"] == verdict, finding
    assert finding["reason"] == "n = 6 paired test subjects; 'reproduced' needs at least 10"
