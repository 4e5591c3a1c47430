"""Tally of the fuzz suite's damaged runs, classified as a user would see them.

Runs every case of ``tests/fuzz/test_bad_input.py`` (each command with one input damaged, or its output
location blocked or read-only) and counts, per command and in all:

* clear error: non-zero exit code, one ``nnunet_wmh: ...`` line per problem, the damaged file (or the
  output) named;
* traceback: an exception that escaped the command line;
* silent wrong result: exit code 0 although the input was damaged;
* partial output: the outputs changed, or a temporary folder was left behind.

Usage: ``python benchmarks/bad_input_tally.py`` (about 20 s; as root, the read-only cases run as nobody).
"""

from __future__ import annotations

import contextlib
import io
import shutil
import sys
import tempfile
import traceback
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fuzz.test_bad_input import CASES, FuzzCase, _build_workspace, run_case


class _Captured:
    """What pytest's capsys gives the fuzz runner: the text written to stderr since the last call."""

    def __init__(self, stream: io.StringIO) -> None:
        self.stream = stream

    def readouterr(self):
        text = self.stream.getvalue()
        self.stream.truncate(0)
        self.stream.seek(0)
        return type("Captured", (), {"out": "", "err": text})()


def classify(case: FuzzCase, pristine: Path) -> str:
    stream = io.StringIO()
    try:
        with contextlib.redirect_stderr(stream), contextlib.redirect_stdout(io.StringIO()):
            code, err, before, after, ws, named = run_case(case, pristine, _Captured(stream))
    except Exception:
        traceback.print_exc()
        return "traceback"
    try:
        leftovers = [p for p in (ws / "outputs").rglob(".*partial-*")] if (ws / "outputs").is_dir() else []
        if code == 0:
            return "silent wrong result"
        if after != before or leftovers:
            return "partial output"
        lines = err.splitlines()
        one_line = bool(lines) and all(line.startswith("nnunet_wmh: ") for line in lines)
        return "clear error" if one_line and named in err and "Traceback" not in err else "unclear error"
    finally:
        shutil.rmtree(ws.parent, ignore_errors=True)


def main() -> int:
    pristine = Path(tempfile.mkdtemp()) / "workspace"
    with contextlib.redirect_stdout(io.StringIO()):
        _build_workspace(pristine)
    outcomes = {case.id: (case.command, classify(case, pristine)) for case in CASES}
    shutil.rmtree(pristine.parent, ignore_errors=True)
    kinds = ["clear error", "unclear error", "traceback", "silent wrong result", "partial output"]
    by_command: dict[str, Counter] = {}
    for command, outcome in outcomes.values():
        by_command.setdefault(command, Counter())[outcome] += 1
    print(f"{'command':<18}{'runs':>6}" + "".join(f"{kind:>21}" for kind in kinds))
    total: Counter = Counter()
    for command, counts in by_command.items():
        total.update(counts)
        print(f"{command:<18}{sum(counts.values()):>6}" + "".join(f"{counts[k]:>21}" for k in kinds))
    print(f"{'all':<18}{sum(total.values()):>6}" + "".join(f"{total[k]:>21}" for k in kinds))
    for case_id, (_, outcome) in outcomes.items():
        if outcome != "clear error":
            print(f"  {outcome}: {case_id}")
    return 0 if total["clear error"] == len(outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
