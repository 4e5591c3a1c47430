"""``index.html``: one page (inline style, relative links, no network) with the cohort summary, flags, tables and
every case's picture, in the spirit of fMRIPrep / MRIQC reports. Its only script is the slice viewer's
(:mod:`nnunet_wmh.report.viewer`): a click on a case opens it in NiiVue."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from nnunet_wmh.report.cohort_tables import FinalTables
from nnunet_wmh.report.viewer import viewer_markup

STYLE = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 0; color: #222; }
header { background: #1d3557; color: white; padding: 16px 28px; }
header h1 { margin: 0 0 4px 0; font-size: 22px; }
header p { margin: 0; opacity: 0.85; font-size: 13px; }
nav { background: #f1f3f5; padding: 8px 28px; font-size: 13px; position: sticky; top: 0; }
nav a { margin-right: 14px; }
main { padding: 8px 28px 40px 28px; }
h2 { border-bottom: 2px solid #1d3557; padding-bottom: 4px; margin-top: 28px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; }
.card { background: #f8f9fa; border: 1px solid #dee2e6; border-radius: 6px; padding: 10px 16px; min-width: 150px; }
.card .value { font-size: 22px; font-weight: 600; }
.card .label { font-size: 12px; color: #555; }
.card.alarm { background: #fdecea; border-color: #dc3545; }
.card.alarm .value { color: #b02a37; }
table { border-collapse: collapse; font-size: 12px; margin: 8px 0; }
th, td { border: 1px solid #dee2e6; padding: 3px 8px; text-align: right; }
th { background: #e9ecef; position: sticky; top: 0; }
td.text, th.text { text-align: left; }
tr.flagged td { background: #fff3cd; }
.flag { color: #b02a37; font-weight: 600; }
.case { border: 1px solid #dee2e6; border-radius: 6px; margin: 14px 0; padding: 8px 14px; }
.case h3 { margin: 4px 0; }
.case img { max-width: 100%; border-radius: 4px; }
.muted { color: #666; font-size: 12px; }
.scroll { max-height: 480px; overflow: auto; }
"""

TEXT_COLUMNS = {
    "inputs_used",
    "t1_coregistered",
    "regions_from",
    "subject",
    "reason",
    "participant_id",
    "session_id",
    "site",
    "case",
    "region_name",
    "flag",
    "dominant_region_name",
    "location",
}


def escape_html(value: Any) -> str:
    """``value`` as text safe inside HTML (quotes included)."""
    return html.escape(str(value), quote=True)


def _display(text: Any) -> str:
    """Numbers rounded for reading (the TSV files keep full precision)."""
    try:
        value = float(text)
    except (TypeError, ValueError):
        return str(text)
    if value != value or str(text).lower() in ("true", "false"):
        return str(text)
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    if abs(value) >= 100:
        return f"{value:.0f}"
    return f"{value:.2f}" if abs(value) >= 1 else f"{value:.3g}"


def table_html(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    *,
    flagged: Mapping[str, str] = {},
    text_columns: frozenset[str] | set[str] = TEXT_COLUMNS,
    link_cases: bool = True,
    view_cases: bool = False,
) -> str:
    """An HTML table (scrolling, sticky header): numbers rounded for reading, ``text_columns`` left-aligned,
    rows whose case is in ``flagged`` highlighted, cases linked to their section when ``link_cases`` (and marked
    for the page's viewer, which opens them, when ``view_cases``)."""
    head = "".join(f'<th class="{"text" if c in text_columns else ""}">{escape_html(c)}</th>' for c in columns)
    body = []
    for row in rows:
        css = ' class="flagged"' if row.get("case") in flagged else ""
        cells = []
        for column in columns:
            value = row.get(column, "")
            css_cell = "text" if column in text_columns else ""
            value = escape_html(value if column in text_columns else _display(value))
            if column == "case" and link_cases:
                view = f' data-view="{value}" title="open in the viewer"' if view_cases else ""
                value = f'<a href="#case-{value}"{view}>{value}</a>'
            cells.append(f'<td class="{css_cell}">{value}</td>')
        body.append(f"<tr{css}>{''.join(cells)}</tr>")
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>'


def card_html(value: str, label: str, *, alarm: bool = False) -> str:
    """A summary card: a big value and its label; ``alarm`` draws it red (something the reader must see)."""
    value_html = f'<div class="value">{escape_html(value)}</div>'
    kind = "card alarm" if alarm else "card"
    return f'<div class="{kind}">{value_html}<div class="label">{escape_html(label)}</div></div>'


def _case_section(
    case: str, subject: Mapping[str, str], qc: Mapping[str, str], out_dir: Path, *, viewer: bool = False
) -> str:
    who = " · ".join(
        escape_html(subject[c])
        for c in ("participant_id", "session_id", "site")
        if subject.get(c) not in (None, "", "n/a")
    )
    volume = escape_html(_display(subject["total_lesion_volume_ml"]))
    facts = f"{volume} mL, {escape_html(subject['lesion_count'])} lesion(s)"
    if subject["periventricular_volume_mm3"] not in ("", "n/a"):
        pv = float(subject["periventricular_volume_mm3"]) / 1000
        deep = float(subject["deep_volume_mm3"]) / 1000
        facts += f"; periventricular {pv:.2f} mL, deep {deep:.2f} mL"
    if qc.get("inputs_used"):  # a segment run: the route and how sure the model was
        moved = ", T1 co-registered" if qc.get("t1_coregistered") == "True" else ""
        facts += f"; inputs {escape_html(qc['inputs_used'])}{moved}"
        facts += f"; lesion entropy {escape_html(_display(qc.get('lesion_entropy_bits', 'n/a')))} bits"
    flag = f'<p class="flag">⚑ {escape_html(qc["flag"])}</p>' if qc.get("flag") else ""
    picture = Path("qc") / f"{case}.png"
    image = (
        f'<img loading="lazy" src="{escape_html(picture.as_posix())}" alt="QC picture of {escape_html(case)}">'
        if (out_dir / picture).exists()
        else '<p class="muted">no picture</p>'
    )
    button = f' <button type="button" data-view="{escape_html(case)}">open in the viewer</button>' if viewer else ""
    return (
        f'<section class="case" id="case-{escape_html(case)}"><h3>{escape_html(case)}{button}</h3>'
        f'<p class="muted">{who}</p><p>{facts}</p>{flag}{image}</section>'
    )


def _segment_html(report_json: Mapping[str, Any]) -> str:
    """For a ``segment`` run: the model, and the subjects it could not segment with the reasons."""
    if "skipped" not in report_json:
        return ""
    model = report_json.get("generated_by", {}).get("Model", {})
    about = (
        f'<p class="muted">Model {escape_html(model.get("Name", "?"))}, fold(s) '
        f"{escape_html(', '.join(model.get('Folds', [])))}</p>"
    )
    skipped = report_json["skipped"]
    listing = table_html(skipped, ["subject", "reason"]) if skipped else "<p>No subject was skipped.</p>"
    return f'{about}<h2 id="skipped">Skipped subjects ({len(skipped)})</h2>{listing}'


_VIEWER_HINT = (
    '<p class="muted">Click a case to look at it in the slice viewer (keys n / p: next / previous case). '
    "Chrome, Edge and Firefox do not let a page opened from disk read the images it shows: run "
    "<code>nnunet_wmh view</code> on this folder and open the address it prints.</p>"
)


def write_index(
    tables: FinalTables, report_json: Mapping[str, Any], out_dir: Path, *, viewer: Mapping[str, Any] | None = None
) -> Path:
    """Write ``OUT/index.html`` and return its path; with ``viewer`` (the data of
    :func:`~nnunet_wmh.report.viewer.viewer_data`; its files in ``OUT/viewer``), a click on a case opens it in
    the slice viewer."""
    summary = tables.summary()
    viewing = viewer is not None
    options = report_json["options"]
    files = [f"{name}.tsv" for name in tables.rows] + (["skipped.tsv"] if "skipped" in report_json else [])
    files.append("report.json")
    links = " · ".join(f'<a href="{escape_html(f)}">{escape_html(f)}</a>' for f in files)
    qc_by_case = {row["case"]: row for row in tables.rows["qc"]}
    flagged_rows = [qc_by_case[case] for case in tables.flagged]
    flag_section = (
        table_html(
            flagged_rows,
            ["case", "flag", *(c for c in tables.columns["qc"] if c not in ("case", "flag"))],
            view_cases=viewing,
        )
        if flagged_rows
        else "<p>No case is flagged.</p>"
    )
    regions_section = ""
    if tables.has_regions:
        regions_section = '<h2 id="regions">Lesion volume per region (mL)</h2>' + table_html(
            tables.rows["regions_wide"], tables.columns["regions_wide"], flagged=tables.flagged,
            view_cases=viewing,
        )  # fmt: skip
    cases = "".join(
        _case_section(row["case"], row, qc_by_case[row["case"]], out_dir, viewer=viewing)
        for row in tables.rows["subjects"]
    )
    viewer_head, viewer_body = viewer_markup(viewer) if viewer is not None else ("", "")
    subjects_table = table_html(
        tables.rows["subjects"], tables.columns["subjects"], flagged=tables.flagged, view_cases=viewing
    )
    iqr = f"{summary['lesion_volume_ml_q1']:.2f}–{summary['lesion_volume_ml_q3']:.2f}"
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>nnunet_wmh report</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>{STYLE}</style>{viewer_head}</head>
<body>
<header><h1>White matter hyperintensity burden</h1>
<p>nnunet_wmh {escape_html(report_json["nnunet_wmh_version"])} · {summary["cases"]} case(s) ·
connectivity {options["connectivity"]} · minimum lesion {options["min_lesion_mm3"]} mm³ ·
periventricular rule {escape_html(options["pv_rule"])} ({options["pv_distance_mm"]} mm) ·
outside regions: {escape_html(options["outside"])}</p></header>
<nav><a href="#summary">Summary</a><a href="#flags">Flags</a><a href="#subjects">Subjects</a>
{'<a href="#regions">Regions</a>' if tables.has_regions else ""}<a href="#cases">Cases</a></nav>
<main>
<h2 id="summary">Cohort</h2>
<div class="cards">{card_html(str(summary["cases"]), "cases")}
{card_html(f"{summary['lesion_volume_ml_median']:.2f} mL", f"median lesion volume (IQR {iqr})")}
{card_html(f"{summary['lesion_count_median']:.0f}", "median lesion count")}
{card_html(str(summary["flagged"]), "flagged case(s)")}</div>
<p><img src="cohort.png" alt="lesion burden across the cohort" style="max-width: 820px; width: 100%"></p>
<p class="muted">Tables: {links}</p>
{_segment_html(report_json)}
<h2 id="flags">Flags</h2>{flag_section}
<h2 id="subjects">Subjects</h2>{_VIEWER_HINT if viewing else ""}{subjects_table}
{regions_section}
<h2 id="cases">Cases</h2>
<p class="muted">Axial slices through the lesions, neurological convention (R on the right); red: lesion outlines;
colours: regions.</p>
{cases}
</main>{viewer_body}</body></html>
"""
    path = out_dir / "index.html"
    path.write_text(page, encoding="utf-8")
    return path
