"""The ``--slurm*`` options of ``segment`` and ``study``, and what a submission prints."""

from __future__ import annotations

import argparse

from nnunet_wmh.errors import UsageError
from nnunet_wmh.slurm.options import SlurmOptions


def add_slurm_arguments(parser: argparse.ArgumentParser, *, gpu_jobs: str) -> None:
    """``--slurm`` and the job options (``gpu_jobs`` says which jobs run in the GPU partition)."""
    group = parser.add_argument_group(
        "SLURM", "submit the work as SLURM jobs (scripts in OUT/slurm/, state with `nnunet_wmh jobs OUT`)"
    )
    group.add_argument("--slurm", action="store_true", help="submit SLURM jobs instead of running here")
    options = {
        "partition": "partition of the CPU jobs (default: the cluster's default)",
        "gpu-partition": f"partition of the GPU jobs ({gpu_jobs}; default: as the CPU jobs)",
        "gres": "resources of the GPU jobs, e.g. gpu:1 (default: none)",
        "mem": "memory per job, e.g. 16G (default: the cluster's)",
        "time": "time limit per job, e.g. 04:00:00 or 1-00:00:00 (default: the cluster's)",
        "account": "account charged (default: yours)",
    }
    for name, text in options.items():
        group.add_argument(f"--slurm-{name}", dest=name.replace("-", "_"), metavar=name.upper().replace("-", "_"),
                           help=text)  # fmt: skip
    group.add_argument("--slurm-cpus", dest="cpus", type=int, metavar="N", help="CPUs per job (default: --jobs)")
    group.add_argument("--slurm-extra", dest="extra", action="append", default=[], metavar="LINE",
                       help="another #SBATCH line for every job: qos=high (or --slurm-extra=--qos=high); "
                       "repeatable (default: none)")  # fmt: skip
    group.add_argument("--slurm-setup", dest="setup", action="append", default=[], metavar="LINE",
                       help="shell line run first in every job, e.g. 'module load cuda'; repeatable (default: "
                       "none)")  # fmt: skip
    group.add_argument("--no-submit", dest="submit", action="store_false",
                       help="with --slurm: write the scripts, do not submit")  # fmt: skip


def slurm_options(args: argparse.Namespace) -> SlurmOptions:
    """The :class:`~nnunet_wmh.slurm.options.SlurmOptions` of the parsed flags."""
    return SlurmOptions(
        partition=args.partition, gpu_partition=args.gpu_partition, gres=args.gres, cpus=args.cpus, mem=args.mem,
        time=args.time, account=args.account, extra=tuple(args.extra), setup=tuple(args.setup), submit=args.submit,
    )  # fmt: skip


def check_slurm_flags(args: argparse.Namespace) -> None:
    """Refuse SLURM options given without ``--slurm`` (they would be ignored)."""
    if args.slurm:
        return
    given = [name for name, default in vars(SlurmOptions()).items() if getattr(args, name) not in (default, [])]
    if given:
        raise UsageError(f"`{given[0]}` needs `slurm`", given[0])


def print_submission(submission) -> None:
    """What was submitted (or written), one line per job."""
    written = [job for job in submission.jobs if job.script]
    verb = "submitted" if submission.submitted else "written (not submitted)"
    print(f"{len(written)} job(s) {verb}; scripts in {submission.folder}")
    for job in submission.jobs:
        tasks = f" tasks {job.submitted_tasks}" if job.submitted_tasks is not None and job.script else ""
        where = f"job {job.job_id}" if job.job_id else ("script only" if job.script else "done earlier")
        print(f"  {job.name:32s} {where}{tasks}: {job.title}")
    if not submission.submitted:
        print(f"submit them with: bash {submission.folder / 'submit.sh'}")
    print(f"state: nnunet_wmh jobs {submission.run_folder}")
