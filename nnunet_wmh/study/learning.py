"""Did each model learn? A model that learned nothing is named, and no finding rests on it.

Checked after evaluation, on the test cases of each configuration's full input (``paired`` for FLAIR + T1):

* a **lesion model** did not learn when it predicts no lesion voxel on at least :data:`EMPTY_SHARE_LIMIT` of
  the test cases whose reference has lesions, or when its mean Dice is below :data:`LESION_DICE_FLOOR`;
* a **region model** (``multitask_*``; ``separate_models``, whose regions come from the atlas registration)
  did not learn when its mean region Dice is below :data:`REGION_DICE_FLOOR`. ``separate_models`` also
  inherits the state of the lesion model it uses.

The floors are low on purpose: they separate "learned something" from "learned nothing", not good from
bad, so a weak but real model (a T1-only one, say) still takes part in the comparisons.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from nnunet_wmh.study.collect import full_variant
from nnunet_wmh.study.configs import StudyConfig

#: Mean lesion Dice below which a model learned nothing: an empty or random output scores about 0, a T1-only
#: model of the WMH challenge about 0.5 and the phantom study's weakest real model about 0.6, so 0.2 flags
#: only a model that learned no lesion.
LESION_DICE_FLOOR = 0.2
#: Share of test cases with lesions on which a model predicting nothing learned nothing: a model that misses
#: every lesion of half the subjects cannot be compared on them.
EMPTY_SHARE_LIMIT = 0.5
#: Mean region Dice below which a region model learned nothing: an atlas registered to a subject reaches
#: about 0.6–0.8, regions drawn at random on the white matter well under 0.2.
REGION_DICE_FLOOR = 0.3
LEARNED, DID_NOT_LEARN = "learned", "did not learn"
SEPARATE = "separate_models"


@dataclass(frozen=True)
class ModelCheck:
    """Whether one configuration's model learned.

    Attributes
    ----------
    config
        The configuration.
    status
        :data:`LEARNED` or :data:`DID_NOT_LEARN`.
    reason
        Why it did not learn (``lesion Dice 0.000, floor 0.2``); empty when it learned.
    lesion_dice
        Mean Dice of its lesions on its full input (NaN without cases).
    empty_cases, lesion_cases
        Test cases with lesions in the reference, and how many of them it predicted empty.
    region_dice
        Mean region Dice over its test cases (NaN for a lesion model).
    """

    config: str
    status: str
    reason: str
    lesion_dice: float
    empty_cases: int
    lesion_cases: int
    region_dice: float = math.nan

    @property
    def learned(self) -> bool:
        """Whether the model learned."""
        return self.status == LEARNED

    def as_row(self) -> dict[str, Any]:
        """One row of ``model_checks.tsv``."""
        return {
            "config": self.config, "status": self.status, "reason": self.reason, "lesion_dice_mean": self.lesion_dice,
            "empty_predictions": self.empty_cases, "cases_with_lesions": self.lesion_cases,
            "region_dice_mean": self.region_dice,
        }  # fmt: skip


MODEL_CHECK_COLUMNS = (
    "config", "status", "reason", "lesion_dice_mean", "empty_predictions", "cases_with_lesions", "region_dice_mean",
)  # fmt: skip


def _mean(values: Sequence[float]) -> float:
    finite = [v for v in values if math.isfinite(v)]
    return float(np.mean(finite)) if finite else math.nan


def _lesion_reasons(rows: Sequence[Mapping[str, Any]]) -> tuple[list[str], float, int, int]:
    """Reasons a lesion model did not learn, from its ``results.tsv`` rows on its full input."""
    dice = _mean([float(r["dice"]) for r in rows])
    with_lesions = [r for r in rows if float(r["reference_volume_mm3"]) > 0]
    empty = sum(1 for r in with_lesions if float(r["prediction_volume_mm3"]) == 0)
    reasons = []
    if with_lesions and empty >= EMPTY_SHARE_LIMIT * len(with_lesions):
        reasons.append(f"no lesion predicted on {empty} of {len(with_lesions)} test cases with lesions")
    if not math.isfinite(dice) or dice < LESION_DICE_FLOOR:
        reasons.append(f"lesion Dice {dice:.3f}, floor {LESION_DICE_FLOOR:g}")
    return reasons, dice, empty, len(with_lesions)


def region_dice_by_config(burden: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """Mean region Dice per configuration: over its cases of the mean over regions (NaN regions left out)."""
    per_case: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for row in burden:
        per_case[str(row["config"])][str(row["case"])].append(float(row["region_dice"]))
    return {config: _mean([_mean(values) for values in cases.values()]) for config, cases in per_case.items()}


def check_models(
    results: Sequence[Mapping[str, Any]],
    burden: Sequence[Mapping[str, Any]],
    configs: Sequence[StudyConfig],
    *,
    best: str | None,
) -> dict[str, ModelCheck]:
    """Check every configuration of the study (module docstring).

    Parameters
    ----------
    results
        ``results.tsv`` rows (with ``reference_volume_mm3`` and ``prediction_volume_mm3``).
    burden
        Per case and region burden rows (with ``region_dice``) of the region configurations.
    configs
        The study's configurations.
    best
        The lesion configuration ``separate_models`` takes its lesions from.
    """
    region_dice = region_dice_by_config(burden)
    by_name = {c.name: c for c in configs}
    checks: dict[str, ModelCheck] = {}
    for config in configs:
        source = by_name.get(best or "") if config.name == SEPARATE else config
        rows = [r for r in results if source and r["config"] == source.name and r["variant"] == full_variant(source)]
        reasons, dice, empty, with_lesions = _lesion_reasons(rows) if rows else (["no test case"], math.nan, 0, 0)
        if config.name == SEPARATE and reasons:
            reasons = [f"its lesion model {best or '(none)'} did not learn"]
        regions = region_dice.get(config.name, math.nan) if config.regions else math.nan
        if config.regions and not (regions >= REGION_DICE_FLOOR):
            reasons.append(f"region Dice {regions:.3f}, floor {REGION_DICE_FLOOR:g}")
        status = DID_NOT_LEARN if reasons else LEARNED
        checks[config.name] = ModelCheck(config.name, status, "; ".join(reasons), dice, empty, with_lesions, regions)
    return checks


def unlearned(checks: Mapping[str, ModelCheck]) -> dict[str, str]:
    """Configuration → ``CONFIG did not learn: REASON`` for every model that did not learn."""
    return {name: f"{name} did not learn: {c.reason}" for name, c in checks.items() if not c.learned}
