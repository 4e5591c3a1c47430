"""The study's tables: ``table_segmentation`` (the paper's table) and ``comparisons`` (paired tests)."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from nnunet_wmh.conversion_table import variant_of_channels
from nnunet_wmh.evaluation.statistics import compare_paired, holm_adjust
from nnunet_wmh.evaluation.summary import describe_values
from nnunet_wmh.modalities import KNOWN_MODALITIES, MODALITY_NAMES, all_subsets, variant_name
from nnunet_wmh.study.collect import METRICS
from nnunet_wmh.study.configs import ALL_VARIANTS, CONFIGS, parse_list_config

#: Metrics compared in ``comparisons.tsv`` (Holm's correction runs within each metric).
COMPARED_METRICS = ("dice", "hd95_mm")
#: Per-subject localization metric compared between multi-task and separate models.
LOCALIZATION_METRIC = "region_volume_error_ml"
COMPARISON_COLUMNS = (
    "comparison", "a", "b", "metric", "n", "mean_a", "mean_b", "mean_difference", "ci_low", "ci_high",
    "p_wilcoxon", "p_holm",
)  # fmt: skip
SEPARATE = "separate_models"
#: Columns of the segmentation table: per configuration and input variant, mean, SD and median of each metric.
SEGMENTATION_COLUMNS = (
    "config", "variant", "n", *(f"{m}_{s}" for m in METRICS for s in ("mean", "sd", "median")), "model_status",
)  # fmt: skip


def table_order(row: Mapping[str, Any]) -> tuple:
    """Sort key of a (config, variant) row: configurations in study order (those over modality lists after the
    paper's, by name), then paired, FLAIR only, T1 only, or the subsets largest first (``flair+t1+t2``,
    ``flair+t1``, ..., ``t2``)."""
    config = row["config"]
    config_order = (list(CONFIGS).index(config), "") if config in CONFIGS else (len(CONFIGS), config)
    variant = row["variant"]
    if variant in ALL_VARIANTS:
        return (*config_order, ALL_VARIANTS.index(variant), ())
    names = variant.split("+")
    positions = tuple(KNOWN_MODALITIES.index(n) if n in KNOWN_MODALITIES else len(KNOWN_MODALITIES) for n in names)
    return (*config_order, len(ALL_VARIANTS) - len(names), positions)


def segmentation_table(rows: Sequence[Mapping[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    """One row per configuration × input variant: n cases, mean, sd and median of every metric."""
    groups: dict[tuple[str, str], list[Mapping[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[(row["config"], row["variant"])].append(row)
    table = []
    for (config, variant), members in groups.items():
        entry: dict[str, Any] = {"config": config, "variant": variant, "n": len(members)}
        for metric in METRICS:
            described = describe_values([float(m[metric]) for m in members])
            entry.update(
                {f"{metric}_{s}": described[key] for s, key in (("mean", "mean"), ("sd", "std"), ("median", "median"))}
            )
        table.append(entry)
    table.sort(key=table_order)
    return table, list(SEGMENTATION_COLUMNS)


def _cell(row: Mapping[str, Any], metric: str) -> str:
    mean, sd, median = (row[f"{metric}_{s}"] for s in ("mean", "sd", "median"))
    if not math.isfinite(mean):
        return "–"
    digits = 1 if metric in ("hd95_mm", "avd_percent") else 3
    spread = f" ± {sd:.{digits}f}" if math.isfinite(sd) else ""
    return f"{mean:.{digits}f}{spread} ({median:.{digits}f})"


def segmentation_markdown(table: Sequence[Mapping[str, Any]]) -> str:
    """The segmentation table as Markdown: mean ± sd (median) per metric."""
    header = ["configuration", "input", "n", "Dice", "HD95 (mm)", "AVD (%)", "lesion recall", "lesion F1"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in table:
        name = row["config"] + (" (**did not learn**)" if row.get("model_status") == "did not learn" else "")
        cells = [name, row["variant"], str(row["n"]), *(_cell(row, m) for m in METRICS)]
        lines.append("| " + " | ".join(cells) + " |")
    note = "\nmean ± sd (median) over the test cases; HD95 is NaN (left out) for an empty prediction.\n"
    return "\n".join(lines) + "\n" + note


def comparison_pairs(rows: Sequence[Mapping[str, Any]], best: str | None) -> list[tuple[str, str, str, str]]:
    """``(A config, A variant, B config, B variant)`` pairs the study's results allow, in a fixed order."""
    present = {(r["config"], r["variant"]) for r in rows}
    wanted = [("flair_t1", "paired", "flair", "flair_only"), ("flair_t1", "paired", "t1", "t1_only")]
    for model in ("interchangeable", "interchangeable_dropout"):
        wanted += [(model, "paired", "flair_t1", "paired"), (model, "flair_only", "flair", "flair_only")]
        wanted += [(model, "t1_only", "t1", "t1_only")]
    if best is not None:
        wanted += [(m, "paired", SEPARATE, "paired") for m in ("multitask_joint", "multitask_separate")]
    wanted += list_config_pairs({config for config, _ in present})
    return [w for w in wanted if (w[0], w[1]) in present and ((w[2], w[3]) in present or w[2] == SEPARATE)]


def _fixed_counterparts(subset: tuple[str, ...]) -> list[tuple[str, str]]:
    """The configurations trained on exactly ``subset``: ``fixed_LIST`` and, for FLAIR/T1, the paper's own."""
    legacy = {("flair",): ("flair", "flair_only"), ("t1",): ("t1", "t1_only"), ("flair", "t1"): ("flair_t1", "paired")}
    fixed = (f"fixed_{'_'.join(subset)}", variant_of_channels([MODALITY_NAMES[m] for m in subset]))
    return [fixed, *([legacy[subset]] if subset in legacy else [])]


def list_config_pairs(configs: set[str]) -> list[tuple[str, str, str, str]]:
    """Comparisons of the interchangeable configurations over modality lists: each input subset against the
    models trained on exactly that subset (``fixed_…``, ``flair``, ``t1``, ``flair_t1``), and online dropout
    against offline duplication on every subset."""
    wanted = []
    for config in sorted(configs - set(CONFIGS)):
        parsed = parse_list_config(config)
        if parsed is None or parsed[0] == "fixed":
            continue
        base, modalities = parsed
        variants = [(subset, variant_name(subset, modalities)) for subset in all_subsets(modalities)]
        wanted += [(config, v, other, ov) for subset, v in variants for other, ov in _fixed_counterparts(subset)]
        if base == "interchangeable_dropout":
            wanted += [(config, v, f"interchangeable_{'_'.join(modalities)}", v) for _, v in variants]
    return wanted


def _values_by_subject(rows: Sequence[Mapping[str, Any]], config: str, variant: str, metric: str) -> dict:
    return {
        (r["participant_id"], r.get("session", ""), r["site"]): float(r[metric])
        for r in rows
        if r["config"] == config and r["variant"] == variant and metric in r
    }


def comparisons(
    rows: Sequence[Mapping[str, Any]],
    *,
    best: str | None,
    localization: Sequence[Mapping[str, Any]] = (),
    seed: int = 0,
) -> list[dict[str, Any]]:
    """Paired comparisons on the same test subjects: mean difference (A − B) with a bootstrap 95 % CI,
    Wilcoxon p and Holm's p within each metric.

    Parameters
    ----------
    rows
        ``results.tsv`` rows; ``separate_models`` stands for the ``best`` lesion configuration's full input.
    best
        Name and variant source of ``separate_models`` (None without it).
    localization
        Per-subject rows with :data:`LOCALIZATION_METRIC` (config, variant ``paired``, participant_id,
        session, site), compared between multi-task and separate models.
    seed
        Bootstrap seed.
    """
    extended = list(rows)
    if best is not None:
        best_variant = "paired" if any(r["config"] == best and r["variant"] == "paired" for r in rows) else None
        for r in rows:
            if r["config"] == best and (best_variant is None or r["variant"] == best_variant):
                extended.append({**r, "config": SEPARATE, "variant": "paired"})
    extended += list(localization)
    table = []
    for a, a_variant, b, b_variant in comparison_pairs(rows, best):
        metrics = COMPARED_METRICS + ((LOCALIZATION_METRIC,) if b == SEPARATE else ())
        for metric in metrics:
            first = _values_by_subject(extended, a, a_variant, metric)
            second = _values_by_subject(extended, b, b_variant, metric)
            shared = sorted(set(first) & set(second))
            if not shared:
                continue
            result = compare_paired([first[k] for k in shared], [second[k] for k in shared], seed=seed)
            table.append({
                "comparison": f"{a}[{a_variant}] vs {b}[{b_variant}]", "a": f"{a}[{a_variant}]",
                "b": f"{b}[{b_variant}]", "metric": metric, "n": result.n, "mean_a": result.mean_a,
                "mean_b": result.mean_b, "mean_difference": result.mean_difference, "ci_low": result.ci_low,
                "ci_high": result.ci_high, "p_wilcoxon": result.p_wilcoxon,
            })  # fmt: skip
    for metric in {row["metric"] for row in table}:
        members = [row for row in table if row["metric"] == metric]
        for row, adjusted in zip(members, holm_adjust([m["p_wilcoxon"] for m in members]), strict=True):
            row["p_holm"] = adjusted
    return table


def subject_localization_errors(burden: Sequence[Mapping[str, Any]], sessions: Mapping[str, tuple]) -> list[dict]:
    """Per configuration and case: mean over regions of |predicted − true| lesion volume (mL), keyed like
    ``results.tsv`` rows (``sessions`` maps a case to its (participant_id, session, site))."""
    errors: dict[tuple[str, str], list[float]] = defaultdict(list)
    for row in burden:
        errors[(row["config"], row["case"])].append(abs(row["predicted_volume_ml"] - row["true_volume_ml"]))
    rows = []
    for (config, case), values in errors.items():
        participant, session, site = sessions.get(case, (case, "", ""))
        rows.append({"config": config, "variant": "paired", "participant_id": participant, "session": session,
                     "site": site, LOCALIZATION_METRIC: float(np.mean(values))})  # fmt: skip
    return rows
