"""The study's figures are drawn from the rows given (one box per configuration × input)."""

import matplotlib.image

from nnunet_wmh.study.figures import learning_curves_figure, metric_figure, region_agreement_figure
from nnunet_wmh.study.training_logs import LearningCurve


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


def test_learning_curves_have_a_row_per_configuration(tmp_path):
    curve = LearningCurve([0, 1, 2], [3.0, 2.0, 1.0], [2.5, 1.5, 1.2], [0.1, 0.4, 0.6])
    one = learning_curves_figure({"flair": {0: curve}}, tmp_path / "one.png")
    two = learning_curves_figure({"flair": {0: curve, 1: curve}, "t1": {0: curve}}, tmp_path / "two.png")
    one_height, one_width = matplotlib.image.imread(one).shape[:2]
    two_height, two_width = matplotlib.image.imread(two).shape[:2]
    assert two_height > 1.5 * one_height and abs(two_width - one_width) < 0.1 * one_width
