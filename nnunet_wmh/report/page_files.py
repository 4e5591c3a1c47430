"""The files a report page refers to: its links and pictures, and every file of its slice viewer's data block
(:mod:`nnunet_wmh.report.viewer`), each as written in the page, relative to it. ``nnunet_wmh view`` serves them
(:mod:`nnunet_wmh.report.serve`); :func:`reference_problems` says which are missing or absolute. Standard library
only: the command line imports it at start-up."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path, PurePosixPath, PureWindowsPath

#: The viewer's folder in a report.
VIEWER_FOLDER = "viewer"
#: The id of the page's JSON block.
DATA_ID = "nnunet-wmh-viewer-data"


def page_references(page: Path) -> list[str]:
    """Every local file a page refers to, as written in it: ``src`` and ``href`` attributes (not anchors, not
    ``http:``/``mailto:`` links) and every file of its viewer block."""
    text = page.read_text(encoding="utf-8")
    found = [html.unescape(v) for v in re.findall(r'(?:src|href)="([^"#][^"]*)"', text)]
    found = [v for v in found if not re.match(r"^(https?|mailto|data):", v)]
    block = re.search(rf'<script type="application/json" id="{DATA_ID}">(.*?)</script>', text, re.S)
    if block is not None:
        data = json.loads(block.group(1))
        folders = data["folders"]
        found.append(data["niivue"])
        for case in data["cases"]:
            for value in case[data["fields"].index("files")].values():
                for folder, name in value if isinstance(value[0], list) else [value]:
                    found.append(f"{folders[folder]}/{name}" if folders[folder] else name)
    return list(dict.fromkeys(found))


def is_absolute_reference(reference: str) -> bool:
    """Whether a page's reference is absolute (``/x``, ``C:\\x``, ``file:``) rather than relative to the page."""
    return (
        PurePosixPath(reference).is_absolute()
        or PureWindowsPath(reference).is_absolute()
        or bool(PureWindowsPath(reference).drive)
        or bool(re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", reference))
    )


def reference_problems(page: Path) -> list[str]:
    """What is wrong with a page's references (:func:`page_references`): absolute paths, missing files."""
    problems = []
    for reference in page_references(page):
        if is_absolute_reference(reference):
            problems.append(f"{page.name}: absolute path {reference}")
        elif not (page.parent / reference).is_file():
            problems.append(f"{page.name}: {reference} is missing")
    return problems
