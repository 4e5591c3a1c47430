"""The study's figures are drawn from the rows given (one box per configuration × input)."""

import matplotlib.image

from nnunet_wmh.study.figures import metric_figure, region_agreement_figure


def test_metric_and_agreement_figures_are_pngs(tmp_path):
    values = (("flair", "flair_only", 0.5), ("flair", "flair_only", 0.6), ("flair_t1", "paired", float("nan")))
    rows = [{"config": c, "variant": v, "dice": d} for c, v, d in values]
    path = metric_figure(rows, "dice", tmp_path / "figures" / "dice.png")
    height, width = matplotlib.image.imread(path).shape[:2]
    assert width > 500 and height > 300
    burden = [{"config": c, "true_volume_ml": t, "predicted_volume_ml": p} for c, t, p in
              (("multitask_joint", 1.0, 1.2), ("separate_models", 0.0, 0.1))]  # fmt: skip
    path = region_agreement_figure(burden, tmp_path / "agreement.png")
    height, width = matplotlib.image.imread(path).shape[:2]
    assert width > 2 * height * 0.8  # two panels side by side
