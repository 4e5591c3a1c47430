"""Statistics of a comparison study: agreement of volumes and paired comparisons of metrics.

* :func:`icc_3_1`: ICC(3,1) of Shrout & Fleiss (1979), two-way mixed, consistency, single measure.
* :func:`pearson_r`: Pearson's correlation, NaN where undefined.
* :func:`compare_paired`: mean difference of paired values with a percentile-bootstrap 95 % CI and the
  two-sided Wilcoxon signed-rank p (scipy.stats).
* :func:`holm_adjust`: Holm's step-down correction of a family of p values.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Bootstrap resamples of :func:`compare_paired`.
BOOTSTRAP_RESAMPLES = 10_000


def icc_3_1(ratings: np.ndarray) -> float:
    """ICC(3,1): (MS_rows − MS_error) / (MS_rows + (k − 1) · MS_error).

    Parameters
    ----------
    ratings
        Shape (n targets, k raters), e.g. per-subject region volumes (mL) by the reference and a model.

    Returns
    -------
    float
        NaN with fewer than two targets or raters, or when every value is the same.
    """
    values = np.asarray(ratings, dtype=np.float64)
    if values.ndim != 2 or values.shape[0] < 2 or values.shape[1] < 2 or not np.isfinite(values).all():
        return math.nan
    n, k = values.shape
    grand = values.mean()
    rows = k * ((values.mean(axis=1) - grand) ** 2).sum()
    columns = n * ((values.mean(axis=0) - grand) ** 2).sum()
    error = ((values - grand) ** 2).sum() - rows - columns
    ms_rows, ms_error = rows / (n - 1), error / ((n - 1) * (k - 1))
    denominator = ms_rows + (k - 1) * ms_error
    if denominator <= 0:
        return math.nan
    icc = float((ms_rows - ms_error) / denominator)
    return 0.0 if abs(icc) < 1e-12 else icc  # rounding noise of a rater that is constant


def pearson_r(x: Sequence[float], y: Sequence[float]) -> float:
    """Pearson's r of paired values; NaN with fewer than two pairs or a constant side."""
    a, b = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if len(a) < 2 or a.std() == 0 or b.std() == 0:
        return math.nan
    return float(np.corrcoef(a, b)[0, 1])


@dataclass(frozen=True)
class PairedComparison:
    """A against B on the same cases.

    Attributes
    ----------
    n
        Number of pairs (cases where both values are finite).
    mean_a, mean_b, mean_difference
        Means and the mean of A − B.
    ci_low, ci_high
        Percentile-bootstrap 95 % CI of the mean difference.
    p_wilcoxon
        Two-sided Wilcoxon signed-rank p (1.0 when every difference is zero; NaN with no pairs).
    """

    n: int
    mean_a: float
    mean_b: float
    mean_difference: float
    ci_low: float
    ci_high: float
    p_wilcoxon: float


def compare_paired(
    a: Sequence[float], b: Sequence[float], *, resamples: int = BOOTSTRAP_RESAMPLES, seed: int = 0
) -> PairedComparison:
    """Compare paired values (same case in A and B); pairs with a NaN on either side are dropped.

    Parameters
    ----------
    a, b
        Values of the two methods, in the same case order.
    resamples
        Bootstrap resamples.
    seed
        Seed of the bootstrap (the same seed gives the same CI).
    """
    from scipy import stats  # heavy: scipy.stats takes a while to import

    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    if len(x) == 0:
        return PairedComparison(0, math.nan, math.nan, math.nan, math.nan, math.nan, math.nan)
    difference = x - y
    rng = np.random.default_rng(seed)
    means = difference[rng.integers(0, len(difference), size=(resamples, len(difference)))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    if np.all(difference == 0):
        p = 1.0
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # scipy warns about ties and small samples; p is still defined
            p = float(stats.wilcoxon(x, y, alternative="two-sided").pvalue)
    return PairedComparison(
        len(x), float(x.mean()), float(y.mean()), float(difference.mean()), float(low), float(high), p
    )


def holm_adjust(p_values: Sequence[float]) -> list[float]:
    """Holm-adjusted p values, in the input order: the i-th smallest of m is multiplied by (m − i + 1),
    made non-decreasing, capped at 1. NaN stays NaN and does not count towards m."""
    values = np.asarray(p_values, dtype=np.float64)
    adjusted = np.full(len(values), math.nan)
    finite = np.flatnonzero(np.isfinite(values))
    order = finite[np.argsort(values[finite], kind="stable")]
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (len(order) - rank) * values[index]))
        adjusted[index] = running
    return adjusted.tolist()
