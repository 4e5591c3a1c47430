"""``change``'s page: ``index.html`` (self-contained, relative links, no scripts, the report's style) with the
cohort's change in numbers, each participant's lesion volume over time (``trajectories.png``), the pairs whose
registration was flagged, the change of every pair, and each pair's QC picture."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from nnunet_wmh.longitudinal.matching import CHANGE_CLASSES
from nnunet_wmh.longitudinal.tables import ALL_REGIONS
from nnunet_wmh.longitudinal.visits import MISSING
from nnunet_wmh.report.html import STYLE, card_html, escape_html, table_html

TRAJECTORIES = "trajectories.png"
PAIR_COLUMNS = ["participant_id", "session_from", "session_to", "interval_years", "volume_from_ml", "volume_to_ml",
                "change_ml", "change_ml_per_year", *(f"n_{kind}" for kind in CHANGE_CLASSES)]  # fmt: skip
TEXT = {"participant_id", "session_from", "session_to", "qc"}


def trajectories(totals: Sequence[Mapping[str, str]]) -> dict[str, tuple[list[float], list[float], bool]]:
    """``{participant: (times, volumes (mL), in_years)}`` from the ``all`` rows of change.tsv: years since the
    baseline where every interval is known, else the visit's number (0, 1, 2, ...)."""
    by_participant: dict[str, list[Mapping[str, str]]] = {}
    for row in totals:
        by_participant.setdefault(row["participant_id"], []).append(row)
    curves = {}
    for participant, rows in by_participant.items():
        in_years = all(row["interval_years"] != MISSING for row in rows)
        times, volumes = [0.0], [float(rows[0]["volume_from_ml"])]
        for row in rows:
            times.append(times[-1] + (float(row["interval_years"]) if in_years else 1.0))
            volumes.append(float(row["volume_to_ml"]))
        curves[participant] = (times, volumes, in_years)
    return curves


def trajectories_picture(totals: Sequence[Mapping[str, str]], path: Path) -> Path:
    """Each participant's total lesion volume over its visits, one line each (matplotlib's object API)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # heavy: matplotlib, only with pictures
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    curves = trajectories(totals)
    figure = Figure(figsize=(7.5, 4.0), dpi=110)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    for participant, (times, volumes, _) in sorted(curves.items()):
        axes.plot(times, volumes, marker="o", linewidth=1.2, markersize=3, label=participant)
    in_years = all(years for _, _, years in curves.values()) if curves else False
    axes.set_xlabel("years since the baseline" if in_years else "visit (no acquisition times)")
    if not in_years:
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylabel("total lesion volume (mL)")
    axes.grid(alpha=0.3)
    if 0 < len(curves) <= 12:
        axes.legend(fontsize=7, ncols=2)
    figure.tight_layout()
    figure.savefig(path)
    return path


def _ml(text: str, *, sign: bool = False) -> str:
    return f"{float(text):+.2f}" if sign else f"{float(text):.2f}"


def _pair_section(row: Mapping[str, str], qc: Mapping[str, str], out_dir: Path) -> str:
    a, b, participant = row["session_from"], row["session_to"], row["participant_id"]
    picture = Path("qc") / f"{participant}_{a}_to_{b}_change.png"
    image = (f'<img loading="lazy" src="{escape_html(picture.as_posix())}" alt="change of {escape_html(participant)}">'
             if (out_dir / picture).exists() else '<p class="muted">no picture</p>')  # fmt: skip
    counts = ", ".join(f"{row[f'n_{k}']} {k}" for k in CHANGE_CLASSES if row[f"n_{k}"] != "0") or "no lesion"
    flag = f'<p class="flag">⚑ {escape_html(qc["qc"])}</p>' if qc.get("qc") else ""
    anchor = f"pair-{escape_html(participant)}-{escape_html(b)}"
    return (f'<section class="case" id="{anchor}"><h3>{escape_html(participant)}'
            f' {escape_html(a)} → {escape_html(b)}</h3><p>{_ml(row["volume_from_ml"])} → {_ml(row["volume_to_ml"])} mL '
            f'({_ml(row["change_ml"], sign=True)} mL); {escape_html(counts)}</p>'
            f"{flag}{image}</section>")  # fmt: skip


def write_change_page(out_dir: Path, tables: Mapping[str, Sequence[Mapping[str, str]]], record: Mapping[str, Any]
                      ) -> Path:  # fmt: skip
    """Write ``OUT/index.html`` (and ``OUT/trajectories.png``); returns the page's path."""
    totals = [row for row in tables["change"] if row["region_id"] == ALL_REGIONS]
    trajectories_picture(totals, out_dir / TRAJECTORIES)
    qc = {(r["participant_id"], r["session_to"]): r for r in tables["pairs"]}
    flagged = [r for r in tables["pairs"] if r["qc"]]
    counts = {kind: sum(int(r[f"n_{kind}"]) for r in totals) for kind in CHANGE_CLASSES}
    cards = [card_html(str(record["participants"]), "participants"), card_html(str(len(totals)), "pairs of visits"),
             *(card_html(str(counts[k]), f"{k} lesion(s)") for k in ("new", "enlarging", "shrinking", "vanished")),
             card_html(str(len(flagged)), "flagged pair(s)", alarm=bool(flagged)),
             card_html(str(len(record["single_session"])), "with one session")]  # fmt: skip
    flags = (table_html(flagged, ["participant_id", "session_from", "session_to", "qc"], text_columns=TEXT,
                        link_cases=False) if flagged else "<p>No pair is flagged.</p>")  # fmt: skip
    pairs = "".join(_pair_section(r, qc[(r["participant_id"], r["session_to"])], out_dir) for r in totals)
    options = record["options"]
    links = " · ".join(f'<a href="{n}">{n}</a>' for n in ("change.tsv", "lesion_changes.tsv", "pairs.tsv",
                                                             "skipped.tsv", "change.json"))  # fmt: skip
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>nnunet_wmh change</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>{STYLE}</style></head>
<body>
<header><h1>White matter hyperintensity change</h1>
<p>nnunet_wmh {escape_html(record["nnunet_wmh_version"])} · {len(totals)} pair(s) of visits · a lesion enlarges or
shrinks by at least {options["min_change_ml"]} mL and {options["min_change_percent"]} % · lesions of two visits are
one when they share {options["min_overlap_voxels"]} voxel(s)</p></header>
<nav><a href="#summary">Summary</a><a href="#flags">Flags</a><a href="#changes">Changes</a>
<a href="#pairs">Pairs</a></nav>
<main>
<h2 id="summary">Cohort</h2>
<div class="cards">{"".join(cards)}</div>
<p><img src="{TRAJECTORIES}" alt="total lesion volume over time" style="max-width: 820px; width: 100%"></p>
<p class="muted">Tables: {links}</p>
<h2 id="flags">Flagged pairs</h2>{flags}
<h2 id="changes">Change per pair (all regions; per region in change.tsv)</h2>
{table_html(totals, PAIR_COLUMNS, text_columns=TEXT, link_cases=False)}
<h2 id="pairs">Pairs</h2>
<p class="muted">Axial slice of the baseline grid with the most changed lesion voxels, neurological convention (R on
the right): the earlier visit, the later one registered onto it, and the changed lesions by class.</p>
{pairs}
</main></body></html>
"""
    path = out_dir / "index.html"
    path.write_text(page, encoding="utf-8")
    return path
