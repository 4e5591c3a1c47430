"""The study's ``index.html``: one self-contained page (inline style, relative links, no scripts) with the
findings, the tables, the figures and how each configuration was run."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from nnunet_wmh.report.html import STYLE, card_html, escape_html, table_html
from nnunet_wmh.study.learning import DID_NOT_LEARN

TEXT = {"config", "variant", "comparison", "a", "b", "metric", "region_name", "step", "status", "trainer", "summary",
        "finding", "verdict", "reason", "evidence", "model", "why", "model_status"}  # fmt: skip
SEGMENTATION_SHOWN = (
    "config", "variant", "n", "dice_mean", "dice_sd", "dice_median", "hd95_mm_mean", "hd95_mm_median",
    "avd_percent_mean", "lesion_recall_mean", "lesion_f1_mean", "model_status",
)  # fmt: skip


def _figure(name: str, alt: str) -> str:
    return (
        f'<p><img src="figures/{escape_html(name)}" alt="{escape_html(alt)}" style="max-width: 900px; width: 100%"></p>'
    )


def _section(anchor: str, title: str, body: str) -> str:
    return f'<h2 id="{anchor}">{escape_html(title)}</h2>{body}'


def _summary(out: Path, study: Mapping[str, Any], configs: int) -> str:
    """Summary cards and links to the study's files that exist."""
    listed = ("results.tsv", "table_segmentation.tsv", "table_segmentation.md", "table_localization.tsv",
              "comparisons.tsv", "model_checks.tsv", "study.json", "commands.sh")  # fmt: skip
    files = [f for f in listed if (out / f).is_file()]
    links = " · ".join(f'<a href="{escape_html(f)}">{escape_html(f)}</a>' for f in files)
    best = study.get("best_lesion_config") or "–"
    cards = card_html(str(configs), "configurations") + card_html(str(study["test_subjects"]), "test subjects")
    cards += card_html(study["profile"], f"profile ({study['configuration']})") + card_html(best, "best lesion model")
    slow = study["device"] == "cpu" and study["profile"] == "gpu"
    cards += card_html(study["device"], "device: the gpu profile on a CPU" if slow else "device", alarm=slow)
    for name, facts in study.get("configs", {}).items():
        if facts.get("status") == DID_NOT_LEARN:
            cards += card_html(f"{name}: did not learn", facts.get("reason", ""), alarm=True)
    return f'<div class="cards">{cards}</div><p class="muted">Files: {links}</p>'


def _result_sections(
    localization: Sequence[Mapping[str, Any]], comparisons: Sequence[Mapping[str, Any]]
) -> tuple[str, str]:
    """The localization section (empty without region configurations) and the comparisons table."""
    localization_section = ""
    if localization:
        localization_section = _section(
            "localization", "Localization: lesion volume per region against the ground truth",
            table_html(localization, list(localization[0]), text_columns=TEXT, link_cases=False),
        )  # fmt: skip
    comparison_body = (
        table_html(comparisons, list(comparisons[0]), text_columns=TEXT, link_cases=False)
        if comparisons else "<p>No pair of configurations to compare.</p>"
    )  # fmt: skip
    return localization_section, comparison_body


def write_study_page(
    out: Path,
    *,
    study: Mapping[str, Any],
    segmentation: Sequence[Mapping[str, Any]],
    localization: Sequence[Mapping[str, Any]],
    comparisons: Sequence[Mapping[str, Any]],
    figures: Sequence[str],
    configs: Sequence[Mapping[str, Any]],
) -> Path:
    """Write ``out/index.html`` and return its path.

    Parameters
    ----------
    out
        The study folder (the page links its files relatively).
    study
        The content of ``study.json``.
    segmentation, localization, comparisons
        The rows of the three tables.
    figures
        File names in ``out/figures``.
    configs
        One row per configuration: config, summary, trainer, seconds.
    """
    summary = _summary(out, study, len(configs))
    pictures = "".join(_figure(name, name.removesuffix(".png").replace("_", " ")) for name in figures)
    localization_section, comparison_body = _result_sections(localization, comparisons)
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>nnunet_wmh study</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>{STYLE}</style></head>
<body>
<header><h1>WMH segmentation and localization: comparison study</h1>
<p>nnunet_wmh {escape_html(study["nnunet_wmh_version"])} · nnU-Net {escape_html(study["nnunet_version"])} ·
source {escape_html(study["source"])} · device {escape_html(study["device"])}</p></header>
<nav><a href="#summary">Summary</a><a href="#findings">Findings</a><a href="#segmentation">Segmentation</a>
<a href="#comparisons">Comparisons</a>
{'<a href="#localization">Localization</a>' if localization else ""}<a href="#figures">Figures</a>
<a href="#configs">Configurations</a></nav>
<main>
{_section("summary", "Summary", summary)}
{
        _section(
            "findings",
            "The paper's findings on this cohort",
            table_html(
                study.get("findings", []),
                ["finding", "verdict", "reason", "evidence"],
                text_columns=TEXT,
                link_cases=False,
            ),
        )
    }
{
        _section(
            "segmentation",
            "Segmentation (test subjects)",
            table_html(segmentation, list(SEGMENTATION_SHOWN), text_columns=TEXT, link_cases=False),
        )
    }
<p class="muted">Full table with sd and median of every metric: table_segmentation.tsv / .md.</p>
{
        _section(
            "comparisons",
            "Paired comparisons (same subjects; A − B, bootstrap 95 % CI, Wilcoxon, Holm)",
            comparison_body,
        )
    }
{localization_section}
{_section("figures", "Figures", pictures)}
{_section("configs", "Configurations", table_html(configs, list(configs[0]), text_columns=TEXT, link_cases=False))}
</main></body></html>
"""
    path = out / "index.html"
    path.write_text(page, encoding="utf-8")
    return path
