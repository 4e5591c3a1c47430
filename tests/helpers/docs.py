"""The shell examples of a docs page, and running them the way a reader would: in order, in one folder."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs"
FENCE = re.compile(r"^```bash\n(.*?)^```", re.DOTALL | re.MULTILINE)
NOT_RUN = re.compile(r"<!-- not run: (.+?) -->\s*$")


@dataclass(frozen=True)
class ShellBlock:
    """One ```bash block of a page, and why it is not run (None: it is run)."""

    code: str
    not_run: str | None


def shell_blocks(page: Path) -> list[ShellBlock]:
    """The page's ```bash blocks in order; a block right after ``<!-- not run: REASON -->`` is marked so."""
    text = page.read_text()
    blocks = []
    for found in FENCE.finditer(text):
        before = text[: found.start()].rstrip().splitlines()
        reason = NOT_RUN.search(before[-1]) if before else None
        blocks.append(ShellBlock(found.group(1), reason.group(1) if reason else None))
    return blocks


def run_page(page: Path, folder: Path, *, timeout: float = 1800) -> subprocess.CompletedProcess:
    """Run every runnable block of ``page`` in ``folder``, one bash session, stopping at the first failure."""
    script = "set -euo pipefail\n" + "\n".join(b.code for b in shell_blocks(page) if b.not_run is None)
    folder.mkdir(parents=True, exist_ok=True)
    environment = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    for variable in ("nnUNet_raw", "nnUNet_preprocessed", "nnUNet_results", "nnUNet_extTrainer"):
        environment.pop(variable, None)  # the page sets what it needs
    return subprocess.run(["bash", "-c", script], cwd=folder, env=environment, capture_output=True, text=True,
                          timeout=timeout)  # fmt: skip
