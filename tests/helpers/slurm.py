"""A real single-node SLURM cluster on localhost for the tests: munged, slurmctld and slurmd from Debian's
``slurm-wlm`` and ``munge``, configured in a temporary folder and stopped by pid.

The node has the machine's CPUs and no GPU; two partitions, ``cpu`` (default) and ``gpu``, both hold it, so a
job for the GPU partition runs on the same node. Accounting is off (no slurmdbd): ``sacct`` does not answer,
and what ``nnunet_wmh jobs`` knows comes from ``squeue``, ``scontrol`` and the jobs' own exit records.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

from nnunet_wmh.nnunet.commands import stop_process_group

DAEMONS = ("munged", "slurmctld", "slurmd")
CLIENTS = ("sbatch", "squeue", "scontrol", "scancel", "sinfo")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def slurm_missing() -> str | None:
    """Why a local cluster cannot start here (a program not installed), or None."""
    for name in DAEMONS:
        if shutil.which(name) is None and not Path("/usr/sbin", name).exists():
            return f"{name} not installed (Debian: apt-get install slurm-wlm munge)"
    for name in CLIENTS:
        if shutil.which(name) is None:
            return f"{name} not on PATH (Debian: apt-get install slurm-wlm)"
    return None


def _daemon(name: str) -> str:
    return shutil.which(name) or str(Path("/usr/sbin", name))


def slurm_conf(folder: Path, *, host: str, cpus: int, memory_mb: int, ports: tuple[int, int]) -> str:
    """A minimal slurm.conf: one node ``host``, partitions cpu (default) and gpu, no accounting."""
    return f"""\
ClusterName=nnunetwmhtest
SlurmctldHost={host}
SlurmUser=root
SlurmdUser=root
SlurmctldPort={ports[0]}
SlurmdPort={ports[1]}
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={folder}/munge/munge.socket
StateSaveLocation={folder}/state
SlurmdSpoolDir={folder}/spool
SlurmctldPidFile={folder}/slurmctld.pid
SlurmdPidFile={folder}/slurmd.pid
SlurmctldLogFile={folder}/slurmctld.log
SlurmdLogFile={folder}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
MinJobAge=3600
SchedulerParameters=sched_interval=1
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={memory_mb} State=UNKNOWN
PartitionName=cpu Nodes={host} Default=YES MaxTime=INFINITE State=UP
PartitionName=gpu Nodes={host} MaxTime=INFINITE State=UP
"""


class LocalSlurm:
    """Start with :meth:`start`, stop with :meth:`stop` (every daemon started, by its pid)."""

    def __init__(self, folder: Path, *, cpus: int | None = None) -> None:
        self.folder = folder
        self.cpus = cpus or os.cpu_count() or 2
        self.host = socket.gethostname().split(".")[0]
        self.processes: dict[str, subprocess.Popen] = {}
        self.env = {**os.environ, "SLURM_CONF": str(folder / "slurm.conf")}

    @property
    def pids(self) -> list[int]:
        """Pids of the daemons started (slurmd's job steps are its children)."""
        return [p.pid for p in self.processes.values()]

    def _start(self, name: str, argv: list[str]) -> None:
        log = (self.folder / f"{name}.stdout").open("w")
        self.processes[name] = subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, env=self.env, start_new_session=True
        )

    def _start_munge(self) -> None:
        munge = self.folder / "munge"
        munge.mkdir(mode=0o700)
        key = munge / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o400)
        self._start(
            "munged",
            [_daemon("munged"), "-F", "--force", f"--socket={munge}/munge.socket", f"--key-file={key}",
             f"--pid-file={munge}/munged.pid", f"--log-file={munge}/munged.log", f"--seed-file={munge}/munged.seed"],
        )  # fmt: skip
        self._wait_for(lambda: (munge / "munge.socket").exists(), "munged's socket")

    def start(self, *, timeout: float = 60.0) -> LocalSlurm:
        """Start munged, slurmctld and slurmd; wait until the node is idle."""
        for sub in ("state", "spool"):
            (self.folder / sub).mkdir(parents=True)
        memory_mb = int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20 * 0.8)
        conf = slurm_conf(self.folder, host=self.host, cpus=self.cpus, memory_mb=memory_mb,
                          ports=(_free_port(), _free_port()))  # fmt: skip
        (self.folder / "slurm.conf").write_text(conf)
        try:
            self._start_munge()
            self._start("slurmctld", [_daemon("slurmctld"), "-D", "-i", "-f", str(self.folder / "slurm.conf")])
            self._start("slurmd", [_daemon("slurmd"), "-D", "-f", str(self.folder / "slurm.conf")])
            self._wait_for(self._node_ready, "the node to be idle", timeout=timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _node_ready(self) -> bool:
        result = subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True, env=self.env)
        return (
            result.returncode == 0
            and result.stdout.strip().split() != []
            and all(state.rstrip("*") in ("idle", "mix", "alloc") for state in result.stdout.split())
        )

    def _wait_for(self, ready, what: str, *, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited ({process.returncode}) while waiting for {what}:\n{self.logs()}")
            if ready():
                return
            time.sleep(0.3)
        raise RuntimeError(f"timed out waiting for {what}:\n{self.logs()}")

    def logs(self) -> str:
        """The end of every daemon's log."""
        parts = []
        for path in [*self.folder.glob("*.log"), *self.folder.glob("*.stdout"), *self.folder.glob("munge/*.log")]:
            lines = path.read_text(errors="replace").splitlines()[-15:]
            parts.append(f"--- {path.name}\n" + "\n".join(lines))
        return "\n".join(parts)

    def run(self, *argv: str) -> subprocess.CompletedProcess:
        """A SLURM client command against this cluster."""
        return subprocess.run(list(argv), capture_output=True, text=True, env=self.env, timeout=60)

    def wait_idle(self, *, timeout: float) -> None:
        """Wait until no job is queued or running."""
        self._wait_for(lambda: self.run("squeue", "-h").stdout.strip() == "", "the queue to empty", timeout=timeout)

    def stop(self) -> list[int]:
        """Cancel every job, stop every daemon started (by pid: SIGTERM, then SIGKILL); returns the pids."""
        if "slurmctld" in self.processes and self.processes["slurmctld"].poll() is None:
            subprocess.run(["scancel", "--full", "-u", "root"], env=self.env, capture_output=True, timeout=30)
        for name in reversed(list(self.processes)):
            stop_process_group(self.processes[name], grace_seconds=15.0)
        return self.pids
