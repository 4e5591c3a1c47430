"""Mean ± standard deviation and median of per-case metrics, over the cohort and per group.

Undefined values (NaN, e.g. HD95 of an empty prediction) are left out of a metric's statistics; each
statistic's ``_n`` column says how many cases it is computed from. The standard deviation is the sample
standard deviation (n − 1), undefined for fewer than two values.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

#: Groupings summarised when the rows carry them, as (column, ...) tuples.
DEFAULT_GROUPINGS: tuple[tuple[str, ...], ...] = (("site",), ("variant",), ("site", "variant"))
STATISTICS = ("mean", "std", "median", "n")


def describe_values(values: Sequence[float]) -> dict[str, float | int]:
    """``mean``, ``std`` (n − 1), ``median`` and ``n`` of the defined (non-NaN) values."""
    array = np.asarray([v for v in values if v is not None and not math.isnan(v)], dtype=np.float64)
    if array.size == 0:
        return {"mean": math.nan, "std": math.nan, "median": math.nan, "n": 0}
    return {
        "mean": float(array.mean()),
        "std": float(array.std(ddof=1)) if array.size > 1 else math.nan,
        "median": float(np.median(array)),
        "n": int(array.size),
    }


def summary_columns(metrics: Sequence[str], groupings: Sequence[Sequence[str]] = DEFAULT_GROUPINGS) -> list[str]:
    """Columns of :func:`summarize`'s rows: ``grouping``, the grouping columns, ``cases``, statistics."""
    grouped = list(dict.fromkeys(column for columns in groupings for column in columns))
    return ["grouping", *grouped, "cases"] + [f"{m}_{s}" for m in metrics for s in STATISTICS]


def summarize(
    rows: Sequence[Mapping[str, Any]],
    metrics: Sequence[str],
    *,
    groupings: Sequence[Sequence[str]] = DEFAULT_GROUPINGS,
) -> list[dict[str, Any]]:
    """Summary rows: first ``grouping = "all"``, then one row per value of each grouping.

    Parameters
    ----------
    rows
        Per-case rows holding the metric columns and the grouping columns.
    metrics
        Metric columns to summarise.
    groupings
        Column tuples to group by; a grouping is skipped when any of its columns is empty in every row.

    Returns
    -------
    list of dict
        Keys as :func:`summary_columns`; ``grouping`` is ``all`` or the grouping's columns joined by ``+``,
        and each grouping column holds the group's value (None where it is not grouped by).
    """
    summaries = [_summary_row("all", {}, rows, metrics)]
    for columns in groupings:
        if not all(any(str(row.get(c) or "") for row in rows) for c in columns):
            continue
        groups: dict[tuple[str, ...], list[Mapping[str, Any]]] = {}
        for row in rows:
            groups.setdefault(tuple(str(row.get(c) or "") for c in columns), []).append(row)
        for key in sorted(groups):
            group = dict(zip(columns, key, strict=True))
            summaries.append(_summary_row("+".join(columns), group, groups[key], metrics))
    return summaries


def _summary_row(
    grouping: str, group: Mapping[str, str], rows: Sequence[Mapping[str, Any]], metrics: Sequence[str]
) -> dict[str, Any]:
    summary: dict[str, Any] = {"grouping": grouping, **group, "cases": len(rows)}
    for metric in metrics:
        for statistic, value in describe_values([row.get(metric) for row in rows]).items():
            summary[f"{metric}_{statistic}"] = value
    return summary
