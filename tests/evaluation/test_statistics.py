"""Study statistics on hand-made numbers and textbook examples."""

import math

import numpy as np
import pytest

from nnunet_wmh.evaluation.statistics import compare_paired, holm_adjust, icc_3_1, pearson_r

#: Shrout & Fleiss (1979), Table 2: 6 targets rated by 4 judges; they report ICC(3,1) = 0.71.
SHROUT_FLEISS = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]])


def test_icc_3_1_matches_shrout_and_fleiss():
    assert icc_3_1(SHROUT_FLEISS) == pytest.approx(0.7148, abs=1e-4)


def test_icc_3_1_ignores_a_constant_offset_and_is_one_for_identical_raters():
    volumes = np.array([1.0, 4.0, 2.5, 7.0, 3.0])
    assert icc_3_1(np.column_stack([volumes, volumes])) == pytest.approx(1.0)
    assert icc_3_1(np.column_stack([volumes, volumes + 2.0])) == pytest.approx(1.0)  # consistency, not agreement
    assert icc_3_1(np.column_stack([volumes, np.zeros(5)])) == 0.0  # a model that predicts nothing: no noise
    assert math.isnan(icc_3_1(np.ones((4, 2))))
    assert math.isnan(icc_3_1(np.array([[1.0, 2.0]])))


def test_pearson_r_by_hand():
    # x = 1, 2, 3; y = 2, 4, 5: sxy = 3, sxx = 2, syy = 4.667 -> r = 3 / sqrt(2 * 4.667) = 0.9820
    assert pearson_r([1, 2, 3], [2, 4, 5]) == pytest.approx(3 / math.sqrt(2 * 14 / 3))
    assert math.isnan(pearson_r([1, 1, 1], [1, 2, 3]))


def test_wilcoxon_exact_p_when_every_difference_has_the_same_sign():
    # six positive differences with distinct ranks: the exact two-sided p is 2 / 2**6
    a = [0.80, 0.75, 0.90, 0.70, 0.85, 0.60]
    b = [0.79, 0.73, 0.87, 0.66, 0.80, 0.54]
    result = compare_paired(a, b, resamples=2000, seed=1)
    assert result.p_wilcoxon == pytest.approx(2 / 64)
    assert result.n == 6 and result.mean_difference == pytest.approx(0.035)
    assert 0.01 <= result.ci_low < result.mean_difference < result.ci_high <= 0.06


def test_paired_comparison_drops_nan_pairs_and_handles_identical_values():
    result = compare_paired([0.5, math.nan, 0.7], [0.5, 0.9, 0.7])
    assert result.n == 2 and result.mean_difference == 0 and result.p_wilcoxon == 1.0
    assert result.ci_low == result.ci_high == 0
    assert compare_paired([], []).n == 0


def test_bootstrap_ci_is_reproducible_for_a_seed():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=20), rng.normal(size=20)
    assert compare_paired(a, b, seed=3) == compare_paired(a, b, seed=3)


def test_holm_by_hand():
    # sorted: 0.005 * 4 = 0.02, 0.01 * 3 = 0.03, 0.03 * 2 = 0.06, 0.04 * 1 = 0.04 -> 0.06 (monotone)
    assert holm_adjust([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm_adjust([0.5, 0.6]) == [1.0, 1.0]
    adjusted = holm_adjust([0.01, math.nan])
    assert adjusted[0] == 0.01 and math.isnan(adjusted[1])
