"""MkDocs hook: the command-line reference is generated from the argparse parsers, so it cannot go stale.

``docs/reference/cli.md`` holds the marker ``<!-- cli-reference -->``; at build time it becomes one section per
command with the command's ``--help``, exactly as the installed ``nnunet_wmh`` prints it (80 columns).
"""

from __future__ import annotations

import os

MARKER = "<!-- cli-reference -->"


def cli_reference() -> str:
    """Markdown: one section per command, its description and its ``--help``."""
    from nnunet_wmh.cli.main import build_parsers

    previous = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "80"  # argparse wraps to the terminal width: a fixed width for the page
    try:
        main, parsers = build_parsers()
        sections = [f"## nnunet_wmh\n\n```text\n{main.format_help()}```\n"]
        for name, parser in parsers.items():
            sections.append(f"## nnunet_wmh {name}\n\n```text\n{parser.format_help()}```\n")
    finally:
        if previous is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = previous
    return "\n".join(sections)


def on_page_markdown(markdown: str, page, config, files) -> str:
    """Put the generated reference where the marker is."""
    if MARKER in markdown:
        return markdown.replace(MARKER, cli_reference())
    return markdown
