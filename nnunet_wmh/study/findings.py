"""The paper's three findings, checked against a study's paired comparisons.

Each finding is read from rows of ``comparisons.tsv`` (mean difference A − B with its bootstrap 95 % CI):

1. *Multimodal input beats unimodal*: Dice of ``flair_t1`` above ``flair`` and above ``t1``.
2. *The interchangeable model trades a little accuracy for robustness*: on FLAIR + T1 its Dice is at most
   :data:`SMALL_LOSS` below ``flair_t1``'s (the CI's lower end included), and on FLAIR alone and T1 alone it
   is no more than :data:`NON_INFERIORITY_MARGIN` below the single-modality model of that input.
3. *Joint multi-task learning is less effective than separate models*: a multi-task model's Dice is below
   the separate models' (the same lesion model's), or its per-subject region-volume error is above.

Verdicts: ``reproduced`` (every condition holds with its CI on the stated side and, for a difference,
Holm's p below :data:`ALPHA`, on at least :data:`MIN_PAIRED_SUBJECTS` paired subjects), ``in direction only``
(the means point the paper's way, some CI or p does not exclude the other side, or too few subjects),
``not reproduced``, ``inconclusive`` (a model it compares did not learn,
:mod:`~nnunet_wmh.study.learning`: a comparison with a model that learned nothing is no evidence either
way), or ``not tested`` (the study lacks the configurations). Each verdict comes with its ``reason``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

#: Significance level of a difference (Holm-corrected p).
ALPHA = 0.05
#: Dice a model may lose against flair_t1 and still count as "a little" (finding 2).
SMALL_LOSS = 0.05
#: Dice below the single-modality model that still counts as robust on that input (finding 2).
NON_INFERIORITY_MARGIN = 0.05
#: Paired test subjects a comparison needs before a finding can be called reproduced: with fewer, Wilcoxon's
#: smallest two-sided p (2 / 2^n) cannot pass Holm's correction over the study's ten or so comparisons
#: (n = 9 gives 0.004), and a bootstrap CI of so few differences is unstable.
MIN_PAIRED_SUBJECTS = 10
SINGLE_INPUTS = (("flair", "flair_only"), ("t1", "t1_only"))
REPRODUCED, DIRECTION, NOT_REPRODUCED, NOT_TESTED = "reproduced", "in direction only", "not reproduced", "not tested"
INCONCLUSIVE = "inconclusive"
VERDICTS = (REPRODUCED, DIRECTION, NOT_REPRODUCED, INCONCLUSIVE, NOT_TESTED)


def _row(comparisons: Sequence[Mapping[str, Any]], a: str, b: str, metric: str = "dice") -> Mapping[str, Any] | None:
    return next((r for r in comparisons if r["a"] == a and r["b"] == b and r["metric"] == metric), None)


def _verdict(checks: Sequence[tuple[bool, bool]]) -> str:
    """``checks``: (the mean points the paper's way, the CI does too) per condition."""
    if not checks:
        return NOT_TESTED
    if all(mean and ci for mean, ci in checks):
        return REPRODUCED
    return DIRECTION if all(mean for mean, _ in checks) else NOT_REPRODUCED


def _significant(row: Mapping[str, Any]) -> bool:
    return float(row["p_holm"]) < ALPHA


def _above(row: Mapping[str, Any], margin: float = 0.0) -> tuple[bool, bool]:
    """A − B > −margin, by the mean and by the CI's lower end (and Holm's p for a difference, margin 0)."""
    sure = float(row["ci_low"]) > -margin and (margin > 0 or _significant(row))
    return float(row["mean_difference"]) > -margin, sure


def _evidence(rows: Sequence[Mapping[str, Any]]) -> str:
    return "; ".join(
        f"{r['a']} − {r['b']} {r['metric']}: {float(r['mean_difference']):+.3f} "
        f"[{float(r['ci_low']):+.3f}, {float(r['ci_high']):+.3f}], p_holm {float(r['p_holm']):.3g}"
        for r in rows
    )


def _multimodal(comparisons: Sequence[Mapping[str, Any]]) -> tuple[list[tuple[bool, bool]], list]:
    rows = [r for b in ("flair[flair_only]", "t1[t1_only]") if (r := _row(comparisons, "flair_t1[paired]", b))]
    return [_above(r) for r in rows], rows


def _interchangeable(comparisons: Sequence[Mapping[str, Any]]) -> tuple[list[tuple[bool, bool]], list]:
    checks, rows = [], []
    for model in ("interchangeable", "interchangeable_dropout"):
        paired = _row(comparisons, f"{model}[paired]", "flair_t1[paired]")
        singles = [_row(comparisons, f"{model}[{v}]", f"{m}[{v}]") for m, v in SINGLE_INPUTS]
        if paired is None or None in singles:
            continue
        checks.append(_above(paired, SMALL_LOSS))  # at most a little lost (or nothing)
        checks += [_above(r, NON_INFERIORITY_MARGIN) for r in singles]  # type: ignore[arg-type]
        rows += [paired, *singles]
    return checks, rows


def _multitask(comparisons: Sequence[Mapping[str, Any]]) -> tuple[list[tuple[bool, bool]], list]:
    checks, rows = [], []
    for model in ("multitask_joint", "multitask_separate"):
        dice = _row(comparisons, f"{model}[paired]", "separate_models[paired]")
        error = _row(comparisons, f"{model}[paired]", "separate_models[paired]", "region_volume_error_ml")
        if dice is None:
            continue
        worse_dice = (float(dice["mean_difference"]) < 0, float(dice["ci_high"]) < 0 and _significant(dice))
        worse_error = (False, False)
        if error is not None:
            worse_error = (float(error["mean_difference"]) > 0, float(error["ci_low"]) > 0 and _significant(error))
        checks.append((worse_dice[0] or worse_error[0], worse_dice[1] or worse_error[1]))
        rows += [r for r in (dice, error) if r is not None]
    return checks, rows


FINDINGS = (
    ("multimodal input (FLAIR + T1) segments WMH better than either modality alone", _multimodal),
    ("the interchangeable model trades a little accuracy for robustness to a missing modality", _interchangeable),
    ("joint lesion + region multi-task learning is less effective than separate models", _multitask),
)


def _models(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """The configurations compared in ``rows`` (``flair_t1[paired]`` → ``flair_t1``), in order, once each."""
    names = [str(r[side]).split("[")[0] for r in rows for side in ("a", "b")]
    return list(dict.fromkeys(names))


def _judged(checks: Sequence[tuple[bool, bool]], rows: Sequence[Mapping[str, Any]], unlearned: Mapping[str, str]):
    """The verdict and its reason: models that did not learn, then too few subjects, then the statistics."""
    failed = [unlearned[m] for m in _models(rows) if m in unlearned]
    if failed:
        return INCONCLUSIVE, "; ".join(failed)
    verdict = _verdict(checks)
    fewest = min((int(r["n"]) for r in rows), default=0)
    if verdict in (REPRODUCED, DIRECTION) and fewest < MIN_PAIRED_SUBJECTS:
        return DIRECTION, f"n = {fewest} paired test subjects; 'reproduced' needs at least {MIN_PAIRED_SUBJECTS}"
    reasons = {
        REPRODUCED: f"every condition holds with its 95 % CI and Holm's p < {ALPHA:g}, on {fewest}+ paired subjects",
        DIRECTION: "the means point the paper's way; some CI or p does not exclude the other side",
        NOT_REPRODUCED: "some mean points against the paper",
        NOT_TESTED: "the study lacks the configurations it compares",
    }
    return verdict, reasons[verdict]


def paper_findings(
    comparisons: Sequence[Mapping[str, Any]], *, unlearned: Mapping[str, str] | None = None
) -> list[dict[str, str]]:
    """One row per finding of the paper: ``finding``, ``verdict``, its ``reason`` and the ``evidence``.

    Parameters
    ----------
    comparisons
        ``comparisons.tsv`` rows.
    unlearned
        Configuration → why its model did not learn (:func:`~nnunet_wmh.study.learning.unlearned`); a finding
        comparing any of them is ``inconclusive``.
    """
    table = []
    for number, (finding, check) in enumerate(FINDINGS, start=1):
        checks, rows = check(comparisons)
        verdict, reason = _judged(checks, rows, unlearned or {})
        table.append({"finding": f"{number}. {finding}", "verdict": verdict, "reason": reason,
                      "evidence": _evidence(rows)})  # fmt: skip
    return table
