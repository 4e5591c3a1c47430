"""Stand-ins for SLURM's commands, for the fast tests of what nnunet_wmh sends to SLURM and reads from it.

``FakeSlurm(folder)`` writes ``sbatch``, ``squeue``, ``sacct``, ``scontrol`` and ``scancel`` into ``folder/bin``:
sbatch records its arguments and answers job ids 101, 102, ...; the others print what the test put in
``squeue.txt``, ``sacct.txt`` and ``scontrol_<id>.txt`` (sacct without its file answers as a cluster without
accounting does). The real scheduler is tested in ``tests/end_to_end`` against a local SLURM.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

_SCRIPT = """#!{python}
import json, sys
from pathlib import Path
folder = Path({folder!r})
name = Path(sys.argv[0]).name
with (folder / "calls.jsonl").open("a") as log:
    log.write(json.dumps([name, *sys.argv[1:]]) + "\\n")
if name == "sbatch":
    refuse = folder / "sbatch_refuses.txt"
    if refuse.exists() and refuse.read_text().strip() in sys.argv[-1]:
        print("sbatch: error: Batch job submission failed: Invalid partition name specified", file=sys.stderr)
        sys.exit(1)
    counter = folder / "next_id.txt"
    job_id = int(counter.read_text()) if counter.exists() else 101
    counter.write_text(str(job_id + 1))
    print(f"{{job_id}};cluster")
elif name in ("squeue", "sacct"):
    answer = folder / f"{{name}}.txt"
    if not answer.exists() and name == "sacct":
        print("Slurm accounting storage is disabled", file=sys.stderr)
        sys.exit(1)
    print(answer.read_text() if answer.exists() else "", end="")
elif name == "scontrol":
    answer = folder / f"scontrol_{{sys.argv[-1]}}.txt"
    if not answer.exists():
        print("slurm_load_jobs error: Invalid job id specified", file=sys.stderr)
        sys.exit(1)
    print(answer.read_text(), end="")
"""


class FakeSlurm:
    """SLURM's commands on PATH (via ``monkeypatch``), answering from files in ``folder``."""

    def __init__(self, folder: Path, monkeypatch) -> None:
        self.folder = folder
        bin_folder = folder / "bin"
        bin_folder.mkdir(parents=True)
        for name in ("sbatch", "squeue", "sacct", "scontrol", "scancel"):
            path = bin_folder / name
            path.write_text(_SCRIPT.format(python=sys.executable, folder=str(folder)))
            path.chmod(0o755)
        monkeypatch.setenv("PATH", f"{bin_folder}{os.pathsep}{os.environ['PATH']}")

    def calls(self, command: str | None = None) -> list[list[str]]:
        """The commands run so far (argv without the program, per call), of one command or all."""
        path = self.folder / "calls.jsonl"
        lines = path.read_text().splitlines() if path.exists() else []
        calls = [json.loads(line) for line in lines]
        return [c[1:] for c in calls if c[0] == command] if command else calls

    def answer(self, command: str, text: str, job_id: str | None = None) -> None:
        """What ``squeue``/``sacct`` (or ``scontrol show job JOB_ID``) print from now on."""
        name = f"scontrol_{job_id}.txt" if command == "scontrol" else f"{command}.txt"
        (self.folder / name).write_text(text)

    def refuse(self, text: str) -> None:
        """sbatch refuses scripts whose path contains ``text``."""
        (self.folder / "sbatch_refuses.txt").write_text(text)
