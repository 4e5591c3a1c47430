"""Reading a study's evaluations back: results rows and the best lesion configuration."""

import math

from nnunet_wmh.study.collect import RESULT_COLUMNS, best_lesion_config, full_variant, results_rows
from nnunet_wmh.study.configs import CONFIGS
from nnunet_wmh.study.layout import StudyLayout
from nnunet_wmh.tsv import write_tsv

COLUMNS = ["case", "subject", "session", "site", "variant", "dice", "hd95_mm", "avd_percent", "lesion_recall",
           "lesion_f1", "reference_volume_mm3", "prediction_volume_mm3", "prediction", "reference"]  # fmt: skip


def _metrics(layout, config, rows):
    folder = layout.evaluation(CONFIGS[config])
    folder.mkdir(parents=True)
    write_tsv(folder / "metrics.tsv", rows, COLUMNS)


def _case(case, subject, variant, dice, hd95="3.5"):
    return {"case": case, "subject": subject, "session": "", "site": "Utrecht", "variant": variant, "dice": dice,
            "hd95_mm": hd95, "avd_percent": "1", "lesion_recall": "1", "lesion_f1": "1",
            "reference_volume_mm3": "1000", "prediction_volume_mm3": "900",
            "prediction": f"/p/{case}.nii.gz", "reference": f"/r/{case}.nii.gz"}  # fmt: skip


def test_results_rows_carry_config_variant_subject_metrics_and_files(tmp_path):
    layout = StudyLayout(tmp_path, 800)
    _metrics(layout, "flair", [_case("wmh_0001", "0", "flair_only", "0.5", "nan")])
    _metrics(layout, "interchangeable", [_case("wmh_0001_paired", "0", "paired", "0.7"),
                                         _case("wmh_0001_t1_only", "0", "t1_only", "0.2")])  # fmt: skip
    configs = [CONFIGS[n] for n in ("flair", "interchangeable", "separate_models")]
    rows = results_rows(layout, configs)
    expected = [("flair", "flair_only", 0.5), ("interchangeable", "paired", 0.7), ("interchangeable", "t1_only", 0.2)]
    assert [(r["config"], r["variant"], r["dice"]) for r in rows] == expected
    assert math.isnan(rows[0]["hd95_mm"]) and rows[0]["participant_id"] == "0"
    assert set(RESULT_COLUMNS) - {"model_status"} <= set(rows[0])  # the status comes with the model checks
    assert (rows[0]["reference_volume_mm3"], rows[0]["prediction_volume_mm3"]) == (1000.0, 900.0)
    # the best lesion model is judged on its full input: interchangeable's paired 0.7 beats flair's 0.5
    assert best_lesion_config(rows, configs).name == "interchangeable"
    assert full_variant(CONFIGS["flair"]) == "flair_only" and full_variant(CONFIGS["interchangeable"]) == "paired"
    assert best_lesion_config(rows, [CONFIGS["multitask_joint"]]) is None
