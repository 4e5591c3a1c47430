"""``change`` against the truth of a synthetic longitudinal cohort (``synth --sessions N``).

1. **Truth as predictions**: a segment output whose masks are the true WMH and whose regions are the true maps
   (``tests/helpers/longitudinal.py``); every lesion's class is read from the change maps ``change`` writes, at
   the true lesion's voxels, and compared with the truth table; per-region change (mL) with the true one.
2. **A model's predictions** (``--model``, e.g. the default demo's, trained on the same kind of phantoms):
   ``segment`` (the built-in atlas), then ``change``; class-wise recall and precision against the truth, and the
   per-region change error of ``change`` against plain subtraction of the two sessions' independently segmented
   region volumes (``segment``'s ``regions.tsv``).
3. **A perfect registration** (``--true-motion``): part 1 again with every follow-up placed by the true head
   motion instead of the estimated one (``change``'s registration replaced in this process only), which tells
   how much of the per-region error is the registration's.

Usage::

    python benchmarks/bench_change.py [--subjects 10] [--sessions 3] [--size small] [--model MODEL_FOLDER]
        [--out bench_change] [--jobs 2] [--true-motion]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

import nibabel as nib
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import itertools

from nnunet_wmh.longitudinal.matching import CHANGE_LABELS
from nnunet_wmh.longitudinal.run import detect_change
from nnunet_wmh.synthetic import make_synthetic_cohort
from nnunet_wmh.tsv import read_tsv
from tests.helpers.longitudinal import segment_like_from_truth, truth_file

KIND_OF_LABEL = {label: kind for kind, label in CHANGE_LABELS.items()}


def _voxels(path: Path) -> np.ndarray:
    return np.asanyarray(nib.load(path).dataobj)


def _change_map(change: Path, participant: str, session: str, desc: str) -> np.ndarray:
    return _voxels(
        change / participant / session / "anat" / f"{participant}_{session}_space-FLAIR_desc-{desc}_dseg.nii.gz"
    )


def _label(session: str) -> str:
    return "".join(part.capitalize() for part in session.split("-"))


def classes_against_truth(cohort: Path, change: Path) -> Counter:
    """For each truth row, the class our change map gives its voxels (majority): ``Counter[(true kind, our
    class)]`` (``missed`` where none of its voxels is a lesion of ours)."""
    confusion: Counter = Counter()
    for truth in sorted(cohort.glob("derivatives/synth/sub-*/sub-*_desc-change_truth.tsv")):
        participant = truth.name.split("_")[0]
        for row in read_tsv(truth):
            a, b = row["session_from"], row["session_to"]
            new = row["kind"] == "new"  # only in the later visit: its map; else the earlier visit's
            session, desc = (b, f"changeFrom{_label(a)}") if new else (a, f"changeTo{_label(b)}")
            ids = _voxels(truth_file(cohort, participant, session, "lesionid", "dseg"))
            ours = _change_map(change, participant, session, desc)[ids == int(row["lesion_id"])]
            ours = ours[ours > 0]
            found = KIND_OF_LABEL[int(np.bincount(ours).argmax())] if ours.size else "missed"
            confusion[(row["kind"], found)] += 1
    return confusion


def recall_precision(confusion: Counter) -> dict[str, tuple[float, float, int]]:
    """``{kind: (recall, precision, n true)}`` from the confusion counts."""
    kinds = sorted({k for k, _ in confusion} | {f for _, f in confusion if f != "missed"})
    result = {}
    for kind in kinds:
        true = sum(n for (k, _), n in confusion.items() if k == kind)
        called = sum(n for (_, f), n in confusion.items() if f == kind)
        hit = confusion[(kind, kind)]
        result[kind] = (hit / true if true else float("nan"), hit / called if called else float("nan"), true)
    return result


#: A row of the per-region comparison: participant, pair, region id, true change, measured change and the
#: region's true lesion volume (the larger of the two visits'), all in mL.
Row = tuple[str, str, int, float, float, float]


def _true_region_volumes(cohort: Path) -> dict[str, dict[str, dict[int, float]]]:
    """``{participant: {session: {region id: true lesion volume (mL)}}}`` from the truth tables."""
    volumes: dict[str, dict[str, dict[int, float]]] = {}
    for truth in sorted(cohort.glob("derivatives/synth/sub-*/sub-*_desc-regionvolumes_truth.tsv")):
        by_session = volumes.setdefault(truth.name.split("_")[0], defaultdict(dict))
        for row in read_tsv(truth):
            by_session[row["session"]][int(row["region_id"])] = float(row["lesion_volume_mm3"]) / 1000
    return volumes


def _region_rows(cohort: Path, measured: Callable[[str, str, str, int], float]) -> list[Row]:
    """One :data:`Row` per region of every consecutive pair of the truth, ``measured(participant, a, b, region)``
    giving the change to compare."""
    rows = []
    for participant, volume in _true_region_volumes(cohort).items():
        for a, b in itertools.pairwise(sorted(volume)):
            for region in volume[a]:
                before, after = volume[a][region], volume[b][region]
                rows.append((participant, f"{a}->{b}", region, after - before, measured(participant, a, b, region),
                             max(before, after)))  # fmt: skip
    return rows


def region_errors(cohort: Path, change: Path) -> list[Row]:
    """``change``'s per-region change against each session's own true region map."""
    ours = {(r["participant_id"], r["session_from"], r["session_to"], r["region_id"]): float(r["change_ml"])
            for r in read_tsv(change / "change.tsv") if r["region_id"] != "all"}  # fmt: skip
    return _region_rows(cohort, lambda participant, a, b, region: ours.get((participant, a, b, str(region)), 0.0))


def _carried_truth_regions(cohort: Path, participant: str, session: str, motion: np.ndarray) -> np.ndarray:
    """The baseline's true region map carried to ``session``'s grid by the true head motion (nearest voxel):
    the regions ``change`` should find with a perfect registration."""
    baseline = nib.load(truth_file(cohort, participant, "ses-01", "regions", "dseg"))
    target = nib.load(truth_file(cohort, participant, session, "wmh", "mask"))
    ijk = np.indices(target.shape).reshape(3, -1)
    world = target.affine @ np.vstack([ijk, np.ones(ijk.shape[1])])
    voxel = np.rint(np.linalg.inv(baseline.affine) @ np.linalg.inv(motion) @ world)[:3].astype(int)
    inside = np.all((voxel >= 0) & (voxel < np.array(baseline.shape)[:, None]), axis=0)
    regions = np.zeros(ijk.shape[1], np.int64)
    regions[inside] = np.asanyarray(baseline.dataobj)[tuple(voxel[:, inside])]
    return regions.reshape(target.shape)


def design_region_errors(cohort: Path, change: Path) -> list[Row]:
    """As :func:`region_errors`, the truth counted with the baseline's true regions carried by the true motion
    (``synth.json``'s ``head_motion_affine``): what ``change`` measures with a perfect registration, free of the
    region maps' own voxelization."""
    motions = {(r["subject"], r["session"]): np.array(r.get("head_motion_affine", np.eye(4)))
               for r in json.loads((cohort / "synth.json").read_text())["subjects"]}  # fmt: skip
    ours = {(r["participant_id"], r["session_from"], r["session_to"], int(r["region_id"])): float(r["change_ml"])
            for r in read_tsv(change / "change.tsv") if r["region_id"] != "all"}  # fmt: skip
    volumes: dict[tuple[str, str], dict[int, float]] = {}
    for (participant, session), motion in sorted(motions.items()):
        lesion = nib.load(truth_file(cohort, participant, session, "wmh", "mask"))
        voxel_ml = float(np.prod(lesion.header.get_zooms()[:3])) / 1000
        regions = _carried_truth_regions(cohort, participant, session, motion)[np.asanyarray(lesion.dataobj) == 1]
        ids, counts = np.unique(regions, return_counts=True)
        volumes[(participant, session)] = {int(i): n * voxel_ml for i, n in zip(ids, counts, strict=True)}
    rows = []
    for (participant, a, b, region), value in sorted(ours.items()):
        before, after = volumes[(participant, a)].get(region, 0.0), volumes[(participant, b)].get(region, 0.0)
        rows.append((participant, f"{a}->{b}", region, after - before, value, max(before, after)))
    return rows


def registration_errors(cohort: Path, change: Path) -> list[float]:
    """Per follow-up: the mean distance (mm) between where the estimated transform and the true head motion put
    the baseline's lesion-free brain voxels (the transform maps baseline points to follow-up points, as the
    motion maps baseline world to follow-up world)."""
    import SimpleITK as sitk

    errors = []
    for record in json.loads((cohort / "synth.json").read_text())["subjects"]:
        participant, session = record["subject"], record["session"]
        if session == "ses-01":
            continue
        xfm = next((change / participant / session / "anat").glob("*_xfm.tfm"))
        transform = sitk.ReadTransform(str(xfm))
        baseline = nib.load(truth_file(cohort, participant, "ses-01", "aseg", "dseg"))
        brain = np.argwhere(np.asanyarray(baseline.dataobj) > 0)[::50]
        world = (baseline.affine @ np.c_[brain, np.ones(len(brain))].T)[:3].T
        lps = world * [-1, -1, 1]  # SimpleITK's physical space is LPS
        moved = np.array([transform.TransformPoint(tuple(point)) for point in lps]) * [-1, -1, 1]
        true = (np.array(record["head_motion_affine"]) @ np.c_[world, np.ones(len(world))].T)[:3].T
        errors.append(float(np.linalg.norm(moved - true, axis=1).mean()))
    return errors


def subtraction_errors(cohort: Path, segmented: Path) -> list[Row]:
    """The same rows for plain subtraction of the sessions' independent ``segment`` region volumes."""
    volume: dict[tuple[str, str], dict[int, float]] = defaultdict(lambda: defaultdict(float))
    for row in read_tsv(segmented / "regions.tsv"):
        visit = (row["participant_id"], row["session_id"])
        volume[visit][int(row["region_id"])] = float(row["lesion_volume_mm3"]) / 1000
    return _region_rows(cohort, lambda p, a, b, region: volume[(p, b)][region] - volume[(p, a)][region])


def summarize(name: str, rows: list[Row]) -> dict[str, float]:
    """Errors of per-region change (mL): mean and median absolute error, and the share of regions × pairs whose
    error is within 1 % of the region's lesion volume (the larger of the two visits'), regions with lesions only."""
    true = np.array([row[3] for row in rows])
    errors = np.abs(np.array([row[4] for row in rows]) - true)
    scale = np.array([row[5] for row in rows])
    with_lesions = scale > 0
    within = errors[with_lesions] <= 0.01 * scale[with_lesions] + 1e-9
    summary = {"regions x pairs with lesions": int(with_lesions.sum()), "mean abs error mL": float(errors.mean()),
               "median abs error mL": float(np.median(errors)), "largest abs error mL": float(errors.max()),
               "share within 1 % of the region's lesion volume": float(within.mean())}  # fmt: skip
    print(f"  {name}: " + ", ".join(f"{k} {v:.4g}" for k, v in summary.items()))
    return summary


def _head_motions(cohort: Path) -> dict[tuple[str, str], np.ndarray]:
    """``{(participant, session): true head motion}`` (4 × 4, baseline world → session world, RAS mm)."""
    return {(r["subject"], r["session"]): np.array(r.get("head_motion_affine", np.eye(4)))
            for r in json.loads((cohort / "synth.json").read_text())["subjects"]}  # fmt: skip


def true_motion_change(cohort: Path, truth_segment: Path, out: Path) -> Path:
    """``change`` on the true lesions with each follow-up placed by its true head motion: the estimated transform
    is replaced (its QC figures kept) before lesions are matched and regions carried. One process (``jobs=1``),
    since the replacement lives in this process."""
    import dataclasses

    import SimpleITK as sitk

    import nnunet_wmh.longitudinal.subject_change as subject_change

    motions, estimated = _head_motions(cohort), subject_change.align_followup
    lps = np.diag([-1.0, -1.0, 1.0, 1.0])  # SimpleITK's physical space is LPS

    def true_alignment(baseline, followup, *, subject, followup_path):
        alignment = estimated(baseline, followup, subject=subject, followup_path=followup_path)
        participant, session = Path(followup_path).name.split("_")[:2]
        motion = lps @ motions[(participant, session)] @ lps
        left, _, right = np.linalg.svd(motion[:3, :3])  # exactly orthonormal (synth.json rounds to 8 digits)
        transform = sitk.Euler3DTransform()
        transform.SetMatrix((left @ right).ravel().tolist())
        transform.SetTranslation(motion[:3, 3].tolist())
        return dataclasses.replace(alignment, transform=transform)

    subject_change.align_followup = true_alignment
    try:
        detect_change(truth_segment, out, jobs=1, overwrite=True, progress=False)
    finally:
        subject_change.align_followup = estimated
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=10)
    parser.add_argument("--sessions", type=int, default=3)
    parser.add_argument("--size", default="small")
    parser.add_argument("--anatomy", default="mni152")
    parser.add_argument("--model", help="a trained model folder (e.g. the default demo's) for part 2")
    parser.add_argument("--out", default="bench_change")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--true-motion", action="store_true", help="also run part 1 with the true head motion")
    args = parser.parse_args()
    out = Path(args.out).absolute()
    cohort = out / "bids"
    started = time.perf_counter()
    if not cohort.exists():
        make_synthetic_cohort(cohort, subjects=args.subjects, sessions=args.sessions, layout="bids", size=args.size,
                              anatomy=args.anatomy, jobs=args.jobs, progress=False)  # fmt: skip
    print(f"cohort: {args.subjects} x {args.sessions} sessions ({args.size}, {args.anatomy}) "
          f"in {time.perf_counter() - started:.0f} s")  # fmt: skip
    report = {}
    truth_segment = segment_like_from_truth(cohort, out / "truth_segment") if not (out / "truth_segment").exists() \
        else out / "truth_segment"  # fmt: skip
    started = time.perf_counter()
    detect_change(truth_segment, out / "truth_change", jobs=args.jobs, overwrite=True, progress=False)
    seconds = time.perf_counter() - started
    confusion = classes_against_truth(cohort, out / "truth_change")
    agreement = sum(n for (k, f), n in confusion.items() if k == f) / sum(confusion.values())
    wrong = [(k, n) for k, n in confusion.items() if k[0] != k[1]]
    print(f"1. truth as predictions: change took {seconds:.1f} s; class agreement {agreement:.4f} over "
          f"{sum(confusion.values())} lesion rows; disagreements {wrong}")  # fmt: skip
    regions = summarize("per-region change vs each session's own true region map",
                        region_errors(cohort, out / "truth_change"))  # fmt: skip
    design = summarize("per-region change vs the baseline's true regions carried by the true motion",
                       design_region_errors(cohort, out / "truth_change"))  # fmt: skip
    moved = registration_errors(cohort, out / "truth_change")
    print(f"  registration: mean distance to the true head motion {np.mean(moved):.3f} mm (largest {max(moved):.3f})")
    counts = {f"{k}->{f}": n for (k, f), n in confusion.items()}
    report["truth"] = {"seconds": seconds, "class_agreement": agreement, "confusion": counts, "regions": regions,
                       "regions_carried_by_true_motion": design, "registration_error_mm": moved}  # fmt: skip
    if args.true_motion:
        perfect = true_motion_change(cohort, truth_segment, out / "true_motion_change")
        carried = design_region_errors(cohort, perfect)
        report["true_motion"] = {
            "regions_carried_by_true_motion": summarize("with the true motion, vs the baseline's regions", carried),
            "regions": summarize("with the true motion, vs each session's own true region map",
                                 region_errors(cohort, perfect)),
        }  # fmt: skip
    if args.model:
        report["model"] = _with_model(args, cohort, out)
    (out / "bench_change.json").write_text(json.dumps(report, indent=2) + "\n")


def _with_model(args, cohort: Path, out: Path) -> dict:
    from nnunet_wmh.segment.run import segment_cohort

    started = time.perf_counter()
    segmented = out / "segmented"
    if not (segmented / "report.json").exists():
        segment_cohort(cohort, args.model, segmented, device="cpu", jobs=args.jobs, progress=False, overwrite=True)
    segment_seconds = time.perf_counter() - started
    started = time.perf_counter()
    detect_change(segmented, out / "model_change", jobs=args.jobs, overwrite=True, progress=False)
    change_seconds = time.perf_counter() - started
    confusion = classes_against_truth(cohort, out / "model_change")
    scores = recall_precision(confusion)
    print(f"2. a model's predictions: segment {segment_seconds:.0f} s, change {change_seconds:.1f} s")
    for kind, (recall, precision, n) in scores.items():
        print(f"  {kind:10s} n {n:4d}  recall {recall:.3f}  precision {precision:.3f}")
    return {"segment_seconds": segment_seconds, "change_seconds": change_seconds,
            "classes": {k: {"recall": r, "precision": p, "n": n} for k, (r, p, n) in scores.items()},
            "confusion": {f"{k}->{f}": n for (k, f), n in confusion.items()},
            "change": summarize("change, per-region change", region_errors(cohort, out / "model_change")),
            "subtraction": summarize("plain subtraction", subtraction_errors(cohort, segmented))}  # fmt: skip


if __name__ == "__main__":
    main()
