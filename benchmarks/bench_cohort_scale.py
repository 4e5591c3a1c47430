"""Benchmark the cluster path: ``report-merge`` of a 10,000-subject cohort in 50 parts, and ``segment --slurm``
on a local single-node SLURM with 1, 2 and 4 parts.

1. **Merge.** A real report part of three hand-made cases (``tests.helpers.report_cases``) is the template: its
   rows (its region rows spread over ``--regions`` regions, its lesion rows over ``--lesions`` lesions per case)
   are copied to ``--cases`` case names split into ``--parts`` interleaved parts, each written with the
   report's own ``write_part`` (checksums included), together with one small file per case in ``predictions/``
   as ``segment`` leaves them. Then ``nnunet_wmh report-merge OUT`` runs as a command; wall time and the peak
   memory (max RSS) of that process are reported. Target: ≤ 30 s for 10,000 cases in 50 parts.
2. **SLURM.** With ``--model`` (a trained model folder, e.g. a ``study --profile quick`` model), a local SLURM
   cluster (``tests.helpers.slurm``: munged, slurmctld, slurmd on this machine's CPUs) runs ``segment --slurm``
   on ``--subjects`` synthetic BIDS subjects (``--size full``: each site's real grid) with 1, 2 and 4 parts,
   each job asking for one CPU (and so running one compute thread); the wall time
   from submission until the merge has finished. With 2 CPUs at most two parts run at once, so the curve
   flattens at 2 parts.

Usage: ``python benchmarks/bench_cohort_scale.py [--cases 10000] [--parts 50] [--regions 31] [--lesions 20]
[--model MODEL] [--subjects 8] [--size full]``
(needs slurm-wlm and munge for part 2, run as root or a user who may start them).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from nnunet_wmh.report.options import ReportOptions
from nnunet_wmh.report.run import make_report
from nnunet_wmh.report.schema import REPORT_PARTS
from nnunet_wmh.runs.parts import PartData, cases_digest, part_cases, part_folder, read_parts, write_part

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' helpers: the hand cohort, local SLURM

from tests.helpers.report_cases import write_hand_cohort
from tests.helpers.slurm import LocalSlurm, slurm_missing

BIN = Path(sys.executable).parent


def _template_rows(work: Path) -> tuple[dict[str, list[dict[str, str]]], dict]:
    """Rows and part metadata of one real part of the hand-made cohort (pictures off)."""
    folders = write_hand_cohort(work / "hand")
    for part_id in (0, 1):
        make_report(folders["pred"], work / "template", regions=folders["regions"],
                    options=ReportOptions(pictures=False), part_id=part_id, num_parts=2, progress=False)  # fmt: skip
    part = read_parts(work / "template", REPORT_PARTS)[0]
    return part.rows, part.meta


def _case_rows(rows: dict[str, list[dict[str, str]]], template_case: str, regions: int, lesions: int):
    """One case's rows with a ``{case}`` placeholder: the template case's rows, its region rows spread over
    ``regions`` region ids and its lesion rows over ``lesions`` lesion ids (the merge copies rows; it does not
    add them up again, so the figures need not agree)."""
    own = {t: [r for r in table_rows if r["case"] == template_case] for t, table_rows in rows.items()}
    inside = [r for r in own["regions"] if r["region_id"] != "0"]
    spread = [r for r in own["regions"] if r["region_id"] == "0"]
    spread += [{**inside[i % len(inside)], "region_id": str(i + 1), "region_name": f"region_{i + 1:02d}"}
               for i in range(regions)]  # fmt: skip
    many = [{**own["lesions"][i % len(own["lesions"])], "lesion_id": str(i + 1)} for i in range(lesions)]
    placeholder = {**own, "regions": spread, "lesions": many}
    return {t: [{k: ("{case}" if k == "case" else v) for k, v in row.items()} for row in table_rows]
            for t, table_rows in placeholder.items()}  # fmt: skip


def write_parts(out: Path, cases: int, parts: int, work: Path, *, regions: int, lesions: int) -> None:
    """``parts`` part folders holding ``cases`` cases between them (rows copied from the template)."""
    rows, meta = _template_rows(work)
    per_case = _case_rows(rows, meta["cases"][0], regions, lesions)
    names = [f"sub-{i:05d}" for i in range(cases)]
    region_list = [r for r in meta["regions"] if r["id"] == 0]
    region_list += [{"id": i + 1, "name": f"region_{i + 1:02d}"} for i in range(regions)]
    meta = {**meta, "num_parts": parts, "cases_total": cases, "cases_digest": cases_digest(names),
            "extra_folders": ["predictions"], "regions": region_list}  # fmt: skip
    for part_id in range(parts):
        folder = part_folder(out, part_id, parts)
        (folder / "predictions").mkdir(parents=True)
        mine = part_cases(names, part_id, parts)
        part_rows: dict[str, list[dict[str, str]]] = {table: [] for table in per_case}
        for case in mine:
            for table, table_rows in per_case.items():
                part_rows[table] += [{**row, "case": case} for row in table_rows]
            (folder / "predictions" / f"{case}.nii.gz").write_bytes(b"\x1f\x8b" + case.encode())
        write_part(PartData(part_rows, {**meta, "part_id": part_id, "cases": mine}, folder), REPORT_PARTS)


def bench_merge(cases: int, parts: int, *, regions: int, lesions: int) -> None:
    """Write the parts, then time ``nnunet_wmh report-merge`` as a command (the only child process here, so
    RUSAGE_CHILDREN's max RSS is its peak memory)."""
    with tempfile.TemporaryDirectory(prefix="bench_scale_") as name:
        work = Path(name)
        out = work / "report"
        started = time.perf_counter()
        write_parts(out, cases, parts, work, regions=regions, lesions=lesions)
        print(f"wrote {parts} parts of {cases} cases in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        subprocess.run([str(BIN / "nnunet_wmh"), "report-merge", str(out), "-q"], check=True)
        seconds = time.perf_counter() - started
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        with (out / "regions.tsv").open() as table:
            region_rows = sum(1 for _ in table) - 1
        with (out / "lesions.tsv").open() as table:
            lesion_rows = sum(1 for _ in table) - 1
        predictions = len(list((out / "predictions").iterdir()))
        print(f"report-merge of {cases} cases in {parts} parts: {seconds:.1f} s (target 30 s), peak memory "
              f"{peak_mb:.0f} MB; regions.tsv {region_rows} rows, lesions.tsv {lesion_rows} rows, predictions/ "
              f"{predictions} files")  # fmt: skip


def _segment_on_slurm(cluster: LocalSlurm, root: Path, model: Path, parts: int) -> float:
    template = root / "bids/derivatives/synth/template"
    out = root / f"slurm_{parts}"
    command = [str(BIN / "nnunet_wmh"), "segment", str(root / "bids"), "--model", str(model), "--out", str(out),
               "--device", "cpu", "--disable-tta", "--atlas-image", str(template / "template_T1w.nii.gz"),
               "--atlas-labels", str(template / "template_regions.nii.gz"), "--region-table",
               str(template / "regions.tsv"), "--no-pictures", "-q", "--slurm", "--num-parts", str(parts),
               "--slurm-cpus", "1"]  # fmt: skip
    started = time.perf_counter()
    subprocess.run(command, check=True, env=cluster.env, capture_output=True)
    cluster.wait_idle(timeout=3600)
    seconds = time.perf_counter() - started
    if not (out / "report.json").is_file():
        raise RuntimeError(f"segment --slurm with {parts} parts did not finish; see {out}/slurm/logs")
    return seconds


def bench_slurm(model: Path, subjects: int, size: str) -> None:
    missing = slurm_missing()
    if missing:
        print(f"segment --slurm: skipped ({missing})")
        return
    with tempfile.TemporaryDirectory(prefix="bench_slurm_") as name:
        root = Path(name)
        subprocess.run([str(BIN / "nnunet_wmh"), "synth", str(root / "bids"), "--subjects", str(subjects),
                        "--layout", "bids", "--size", size, "--seed", "3", "-q"], check=True)  # fmt: skip
        cluster = LocalSlurm(root / "cluster").start()
        try:
            times = {parts: _segment_on_slurm(cluster, root, model, parts) for parts in (1, 2, 4)}
        finally:
            cluster.stop()
        cpus = os.cpu_count()
        for parts, seconds in times.items():
            print(
                f"segment --slurm, {subjects} subjects, {parts} part(s), 1 CPU per job on {cpus} CPUs: "
                f"{seconds:.1f} s ({seconds / subjects:.1f} s per subject; speed-up {times[1] / seconds:.2f})"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--parts", type=int, default=50)
    parser.add_argument("--regions", type=int, default=31, help="regions per case (the built-in atlas has 31)")
    parser.add_argument("--lesions", type=int, default=20, help="lesion rows per case")
    parser.add_argument("--model", type=Path, help="a trained model folder (SLURM part; skipped without)")
    parser.add_argument("--subjects", type=int, default=8)
    parser.add_argument(
        "--size", default="full", choices=("full", "small"), help="synth --size of the SLURM cohort (default full)"
    )
    args = parser.parse_args()
    bench_merge(args.cases, args.parts, regions=args.regions, lesions=args.lesions)
    if args.model:
        bench_slurm(args.model.absolute(), args.subjects, args.size)


if __name__ == "__main__":
    main()
