"""A real single-node SLURM cluster for the end-to-end tests of ``--slurm`` (started once per session, every
daemon stopped at the end, by pid, also when a test fails).

Without SLURM installed the SLURM tests are skipped with the reason; in CI (``CI`` set) they fail instead:
``.ci/run`` installs Debian's slurm-wlm and munge.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from tests.helpers.slurm import LocalSlurm, slurm_missing


def _alive(pid: int) -> bool:
    """Whether a process with this pid, or any process of its session, still runs (pgrep by session id)."""
    in_session = subprocess.run(["pgrep", "-s", str(pid)], capture_output=True, text=True).stdout.split()
    return Path(f"/proc/{pid}").exists() or bool(in_session)


@pytest.fixture(scope="session")
def slurm_cluster(tmp_path_factory):
    """munged + slurmctld + slurmd on localhost: partitions ``cpu`` (default) and ``gpu``, the same node."""
    missing = slurm_missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI runs the SLURM tests: {missing}")
        pytest.skip(f"no local SLURM: {missing}")
    cluster = LocalSlurm(tmp_path_factory.mktemp("slurm"))
    started = time.perf_counter()
    cluster.start()
    print(f"local SLURM cluster up in {time.perf_counter() - started:.1f} s (pids {cluster.pids})")
    try:
        yield cluster
    finally:
        pids = cluster.stop()
        left = [pid for pid in pids if _alive(pid)]
        assert not left, f"SLURM daemons still running after stop: {left}\n{cluster.logs()}"
