"""Write deterministic synthetic cohorts in the MICCAI WMH 2017 or BIDS layout.

Used by the tests, the benchmarks and the demo: no real data can be downloaded here.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np

from nnunet_wmh import __version__
from nnunet_wmh.cohorts.bids import IMAGE_SUFFIXES
from nnunet_wmh.errors import UsageError
from nnunet_wmh.io import save_nifti
from nnunet_wmh.labels.region_table import write_region_table
from nnunet_wmh.modalities import MODALITY_NAMES, other_modalities
from nnunet_wmh.runs.options import RunOptions, resolve_options
from nnunet_wmh.runs.outputs import atomic_output_folder
from nnunet_wmh.runs.parallel import map_with_progress
from nnunet_wmh.runs.summary import RunSummary, Stopwatch
from nnunet_wmh.synthetic.anatomy import PHANTOM, PhantomAnatomy, random_rotation
from nnunet_wmh.synthetic.change_truth import (
    lesion_volumes_mm3,
    region_volumes_mm3,
    write_change_truth,
    write_region_truth,
    write_sessions_tsv,
)
from nnunet_wmh.synthetic.clinical import CLINICAL_SITES, T1_GRID, clinical_load, thick_slice_subject
from nnunet_wmh.synthetic.longitudinal import SubjectVisits, plan_visits
from nnunet_wmh.synthetic.mni_anatomy import build_mni152_anatomy, load_mni152_anatomy
from nnunet_wmh.synthetic.options import Layout, Size, SynthOptions
from nnunet_wmh.synthetic.phantom import (
    SampledSubject,
    SubjectPathology,
    SubjectTransform,
    random_pathology,
    random_subject_transform,
    sample_subject,
)
from nnunet_wmh.synthetic.pitfalls import PITFALL_NAMES
from nnunet_wmh.synthetic.template import TEMPLATE_FOLDER, write_template
from nnunet_wmh.synthetic.visits import SessionGrid

logger = logging.getLogger(__name__)


#: Axis directions of the stored voxel order (before the oblique tilt), per orientation code.
ORIENTATIONS = {"RAS": (1, 1, 1), "LAS": (-1, 1, 1), "LPS": (-1, -1, 1)}
#: ``size="small"`` keeps each site's field of view but divides the voxel counts by these factors.
SMALL_GRID_FACTORS = (4, 4, 2)
#: The MNI152 anatomy's maps, built once per ``synth`` run inside its staging folder and removed at the end.
ANATOMY_MAPS = ".mni152_anatomy.npz"
#: Voxel size (mm) of the template written with each cohort size.
TEMPLATE_SPACING_MM = {"full": 1.0, "small": 2.0}


@dataclass(frozen=True)
class Site:
    """A scanner site of the WMH 2017 challenge: its folder, native grid and voxel size (mm)."""

    folder: str
    shape: tuple[int, int, int]
    spacing: tuple[float, float, float]
    orientation: str = "RAS"

    def grid(self, size: Size) -> tuple[tuple[int, int, int], tuple[float, float, float]]:
        """Grid shape and spacing (mm) for ``size``; ``small`` keeps the field of view."""
        if size == "full":
            return self.shape, self.spacing
        shape = tuple(max(8, round(n / f)) for n, f in zip(self.shape, SMALL_GRID_FACTORS, strict=True))
        spacing = tuple(round(s * n / m, 4) for s, n, m in zip(self.spacing, self.shape, shape, strict=True))
        return shape, spacing  # type: ignore[return-value]


#: Training sites with the grids of the released challenge data.
TRAINING_SITES = (
    Site("Utrecht", (240, 240, 48), (0.958, 0.958, 3.0), "LAS"),
    Site("Singapore", (256, 232, 48), (1.0, 1.0, 3.0), "RAS"),
    Site("Amsterdam/GE3T", (132, 256, 83), (1.2, 0.977, 3.0), "LPS"),
)
#: Test sites: the training sites plus two more scanners (their grids here are plausible stand-ins).
TEST_SITES = (
    *TRAINING_SITES,
    Site("Amsterdam/GE1T5", (132, 256, 83), (1.2, 0.977, 3.0), "LPS"),
    Site("Amsterdam/Philips_VU .PETMR_01.", (240, 240, 48), (0.958, 0.958, 3.0), "LAS"),
)


@dataclass(frozen=True)
class SyntheticSubjectSpec:
    """What to generate for one subject (picklable, so subjects can be made in worker processes)."""

    index: int
    subject_id: str
    session: str | None
    site: Site
    split: str
    seed: int
    size: Size
    modalities: tuple[str, ...] = ("flair", "t1")
    acquisition: str = "challenge"
    anatomy_maps: str | None = None

    def anatomy(self) -> PhantomAnatomy:
        """The analytic phantom, or the MNI152 anatomy stored in ``anatomy_maps`` (read once per process)."""
        return PHANTOM if self.anatomy_maps is None else load_mni152_anatomy(self.anatomy_maps)


@dataclass(frozen=True)
class SyntheticCohort:
    """The result of :func:`make_synthetic_cohort`.

    Attributes
    ----------
    root
        The cohort folder.
    layout
        ``"wmh2017"`` or ``"bids"``.
    subjects
        One record per generated subject (and session): id, session, site, split and file paths.
    run_summary
        What the run did.
    """

    root: Path
    layout: str
    subjects: list[dict]
    run_summary: RunSummary | None = None


def native_affine(
    shape: Sequence[int], spacing: Sequence[float], orientation: str, rng: np.random.Generator
) -> np.ndarray:
    """Oblique voxel → world affine: rotation × orientation × diag(spacing) + origin, no shear.

    The grid centre lands within ±8 mm of the world origin.
    """
    axes = np.diag(ORIENTATIONS[orientation]).astype(np.float64)
    linear = random_rotation(rng, 8.0) @ axes @ np.diag(spacing)
    centre_voxel = (np.asarray(shape, dtype=np.float64) - 1) / 2
    centre_world = rng.uniform(-8.0, 8.0, size=3)
    affine = np.eye(4)
    affine[:3, :3] = linear
    affine[:3, 3] = centre_world - linear @ centre_voxel
    return affine


@dataclass(frozen=True)
class GeneratedSubject:
    """One generated subject: its images and labels on the native grid, that grid's affine, its provenance
    record, and a T1 on a grid of its own (``clinical2d_t1``; None otherwise)."""

    sampled: SampledSubject
    affine: np.ndarray
    record: dict
    own_grid_t1: tuple[np.ndarray, np.ndarray] | None = None


def _clinical_t1(spec: SyntheticSubjectSpec, transform, pathology, rng) -> tuple[np.ndarray, np.ndarray]:
    """The 3-D T1 of a clinical subject on its own grid (skull-stripped, int16) and that grid's affine."""
    shape, voxel = T1_GRID[spec.size]
    affine = native_affine(shape, (voxel,) * 3, "RAS", rng)
    sampled = sample_subject(shape, affine, transform, pathology, rng, anatomy=spec.anatomy())
    return np.round(np.where(sampled.anatomy > 0, sampled.t1, 0)).astype(np.int16), affine


def _sample_session(
    spec: SyntheticSubjectSpec,
    shape: tuple[int, int, int],
    affine: np.ndarray,
    transform: SubjectTransform,
    pathology: SubjectPathology,
    rng: np.random.Generator,
    anatomy: PhantomAnatomy,
) -> tuple[SampledSubject, tuple[np.ndarray, np.ndarray] | None]:
    """The images and labels of one session on its grid, and the clinical T1 on its own grid (or None)."""
    if spec.acquisition != "challenge":
        sampled = thick_slice_subject(shape, affine, transform, pathology, rng, anatomy)
    else:
        sampled = sample_subject(shape, affine, transform, pathology, rng, modalities=spec.modalities, anatomy=anatomy)
    t1 = _clinical_t1(spec, transform, pathology, rng) if spec.acquisition == "clinical2d_t1" else None
    return sampled, t1


def _record(spec: SyntheticSubjectSpec, anatomy: PhantomAnatomy, pathology: SubjectPathology,
            transform: SubjectTransform) -> dict:  # fmt: skip
    """The provenance of one subject (and session) in ``synth.json``."""
    return {
        "subject": spec.subject_id,
        "session": spec.session,
        "site": spec.site.folder,
        "split": spec.split,
        "acquisition": spec.acquisition,
        "anatomy": anatomy.name,
        "lesion_load": round(pathology.load, 4),
        "world_to_template_affine": np.round(transform.affine_4x4(), 8).tolist(),
        "warp_mm": transform.warp_mm,
        "warp_phase": np.round(transform.warp_phase, 8).tolist(),
    }


def generate_subject(spec: SyntheticSubjectSpec) -> GeneratedSubject:
    """Generate one subject: images and labels, its native affine and its provenance record."""
    anatomy = spec.anatomy()
    anatomy_rng = np.random.default_rng([spec.seed, spec.index, 0])
    transform = random_subject_transform(anatomy_rng, centre=anatomy.centre)
    session_index = int(spec.session.split("-")[-1]) if spec.session else 0
    rng = np.random.default_rng([spec.seed, spec.index, 1 + session_index])
    shape, spacing = spec.site.grid(spec.size)
    clinical = spec.acquisition != "challenge"
    affine = native_affine(shape, spacing, "LPS" if clinical else spec.site.orientation, rng)
    pathology = random_pathology(rng, clinical_load(rng) if clinical else None, anatomy)
    sampled, t1 = _sample_session(spec, shape, affine, transform, pathology, rng, anatomy)
    return GeneratedSubject(sampled, affine, _record(spec, anatomy, pathology, transform), t1)


def generate_followups(
    specs: Sequence[SyntheticSubjectSpec],
) -> tuple[SubjectVisits, Iterator[GeneratedSubject]]:
    """The visits of one subject (``specs``: one per session, in order) and its sessions, generated one at a time.

    The visits (:func:`~nnunet_wmh.synthetic.longitudinal.plan_visits`): the baseline's grid drawn as a
    single-session subject's, the same grid with the head moved at each follow-up, the lesions of the model of
    :mod:`~nnunet_wmh.synthetic.longitudinal`. Each session has the noise and bias field of its own generator;
    its record adds ``head_motion_affine`` (baseline world → this session's world, 4×4 mm; identity at
    baseline) and ``acq_time``.
    """
    first = specs[0]
    anatomy = first.anatomy()
    transform = random_subject_transform(np.random.default_rng([first.seed, first.index, 0]), centre=anatomy.centre)
    rng = np.random.default_rng([first.seed, first.index, 2])  # the baseline's (ses-01's) generator
    shape, spacing = first.site.grid(first.size)
    clinical = first.acquisition != "challenge"
    affine = native_affine(shape, spacing, "LPS" if clinical else first.site.orientation, rng)
    load = clinical_load(rng) if clinical else None
    visits = plan_visits(first.seed, first.index, len(specs), SessionGrid(shape, affine, transform), rng, load, anatomy)

    def sessions() -> Iterator[GeneratedSubject]:
        for session, (spec, grid) in enumerate(zip(specs, visits.grids, strict=True)):
            session_rng = rng if session == 0 else np.random.default_rng([spec.seed, spec.index, 2 + session])
            pathology = visits.history.session_pathology(session)
            sampled, t1 = _sample_session(spec, shape, affine, grid.transform, pathology, session_rng, anatomy)
            record = _record(spec, anatomy, pathology, transform)
            record["head_motion_affine"] = np.round(np.eye(4) if grid.motion is None else grid.motion, 8).tolist()
            record["acq_time"] = visits.acquired[session].isoformat(timespec="seconds")
            yield GeneratedSubject(sampled, affine, record, t1)

    return visits, sessions()


def save_image(data: np.ndarray, affine: np.ndarray, path: Path) -> None:
    """Save on the subject's grid (qform and sform codes 1, mm units), creating the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    save_nifti(data, path, affine=affine, description="nnunet_wmh synth")


def _wmh2017_paths(root: Path, spec: SyntheticSubjectSpec) -> dict[str, Path]:
    folder = root / ("training" if spec.split == "train" else "test") / spec.site.folder / spec.subject_id
    return {
        "flair": folder / "pre" / "FLAIR.nii.gz",
        "t1": folder / "pre" / "T1.nii.gz",
        **{m: folder / "pre" / f"{MODALITY_NAMES[m]}.nii.gz" for m in other_modalities(spec.modalities)},
        "lesion": folder / "wmh.nii.gz",
        "regions": folder / "regions.nii.gz",
        "anatomy": folder / "aseg.nii.gz",
        "pitfalls": folder / "pitfalls.nii.gz",
    }


def _bids_paths(root: Path, spec: SyntheticSubjectSpec) -> dict[str, Path]:
    parts = [spec.subject_id] + ([spec.session] if spec.session else [])
    stem = "_".join(parts)
    anat = root.joinpath(*parts, "anat")
    derivatives = root.joinpath("derivatives", "synth", *parts, "anat")
    return {
        "flair": anat / f"{stem}_FLAIR.nii.gz",
        "t1": anat / f"{stem}_T1w.nii.gz",
        **{m: anat / f"{stem}{IMAGE_SUFFIXES[m]}.nii.gz" for m in other_modalities(spec.modalities)},
        "lesion": derivatives / f"{stem}_space-FLAIR_desc-wmh_mask.nii.gz",
        "regions": derivatives / f"{stem}_space-FLAIR_desc-regions_dseg.nii.gz",
        "anatomy": derivatives / f"{stem}_space-FLAIR_desc-aseg_dseg.nii.gz",
        "pitfalls": derivatives / f"{stem}_space-FLAIR_desc-pitfalls_dseg.nii.gz",
    }


def _save_generated(root: Path, layout: Layout, spec: SyntheticSubjectSpec, generated: GeneratedSubject) -> dict:
    """Write one generated subject (and session); returns its record with the files written."""
    sampled, affine, record = generated.sampled, generated.affine, generated.record
    paths = _wmh2017_paths(root, spec) if layout == "wmh2017" else _bids_paths(root, spec)
    save_image(sampled.flair, affine, paths["flair"])
    if spec.acquisition == "challenge":
        save_image(sampled.t1, affine, paths["t1"])
    elif generated.own_grid_t1 is not None:
        save_image(*generated.own_grid_t1, paths["t1"])
    else:
        del paths["t1"]
    for modality, image in sampled.others.items():
        save_image(image, affine, paths[modality])
    # The released challenge stores wmh.nii.gz as a float image; BIDS masks are integer.
    challenge = layout == "wmh2017" and spec.acquisition == "challenge"
    lesion = sampled.lesion.astype(np.float32) if challenge else sampled.lesion
    save_image(lesion, affine, paths["lesion"])
    save_image(sampled.regions, affine, paths["regions"])
    save_image(sampled.anatomy, affine, paths["anatomy"])
    save_image(sampled.pitfalls, affine, paths["pitfalls"])
    if sampled.lesion_id is not None:
        paths["lesion_id"] = _lesion_id_path(root, spec)
        save_image(sampled.lesion_id, affine, paths["lesion_id"])
    record["files"] = {key: str(path.relative_to(root)) for key, path in paths.items()}
    return record


def _lesion_id_path(root: Path, spec: SyntheticSubjectSpec) -> Path:
    """The lesion-id map of a session of a BIDS subject with several sessions."""
    stem = f"{spec.subject_id}_{spec.session}"
    return root / "derivatives" / "synth" / spec.subject_id / str(spec.session) / "anat" / (
        f"{stem}_space-FLAIR_desc-lesionid_dseg.nii.gz")  # fmt: skip


def _write_subject(task: tuple[Path, Layout, SyntheticSubjectSpec]) -> dict:
    root, layout, spec = task
    return _save_generated(root, layout, spec, generate_subject(spec))


def _write_followup_subject(task: tuple[Path, Layout, tuple[SyntheticSubjectSpec, ...]]) -> list[dict]:
    """Write every session of one subject and the truth of its change (:mod:`~nnunet_wmh.synthetic.change_truth`);
    returns the sessions' records."""
    root, layout, specs = task
    records, lesion_volumes, region_volumes = [], [], []
    region_ids = sorted(specs[0].anatomy().region_table)
    visits, generated_sessions = generate_followups(specs)
    for spec, generated in zip(specs, generated_sessions, strict=True):
        records.append(_save_generated(root, layout, spec, generated))
        voxel_volume_mm3 = float(np.prod(nib.load(root / records[-1]["files"]["lesion_id"]).header.get_zooms()[:3]))
        sampled = generated.sampled
        lesion_volumes.append(lesion_volumes_mm3(sampled.lesion_id, voxel_volume_mm3))  # type: ignore[arg-type]
        region_volumes.append(region_volumes_mm3(sampled.lesion, sampled.regions, region_ids, voxel_volume_mm3))
    subject, sessions = specs[0].subject_id, [spec.session or "" for spec in specs]
    truth = root / "derivatives" / "synth" / subject
    partners = {course.lesion_id: course.partner for course in visits.history.courses if course.partner}
    files = {
        "change_truth": write_change_truth(truth / f"{subject}_desc-change_truth.tsv", sessions,
                                           visits.history.kinds(), partners, lesion_volumes),
        "region_volumes_truth": write_region_truth(truth / f"{subject}_desc-regionvolumes_truth.tsv", sessions,
                                                   region_volumes),
        "sessions": write_sessions_tsv(root / subject / f"{subject}_sessions.tsv", sessions, visits.acquired),
    }  # fmt: skip
    for record in records:
        record["files"].update({key: str(path.relative_to(root)) for key, path in files.items()})
    return records


def _select_sites(names: Sequence[str] | None, acquisition: str = "challenge") -> tuple[tuple, tuple]:
    if acquisition != "challenge":
        training, test = CLINICAL_SITES, CLINICAL_SITES
    else:
        training, test = TRAINING_SITES, TEST_SITES
    if not names:
        return training, test
    known = {site.folder: site for site in test}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise UsageError(f"unknown site(s) {unknown}; choose from {', '.join(known)}")
    chosen = tuple(known[name] for name in names)
    return chosen, chosen


def _subject_specs(
    options: SynthOptions, modalities: tuple[str, ...], anatomy_maps: Path | None = None
) -> list[SyntheticSubjectSpec]:
    """One spec per subject (and session) of the cohort, sites dealt in turn."""
    o = options
    training_sites, test_sites = _select_sites(o.sites, o.acquisition)
    common = {"seed": o.seed, "size": o.size, "modalities": modalities, "acquisition": o.acquisition,
              "anatomy_maps": None if anatomy_maps is None else str(anatomy_maps)}  # fmt: skip
    specs = []
    if o.layout == "wmh2017":
        for split, count, sites_of_split in (
            ("train", o.subjects, training_sites),
            ("test", o.test_subjects, test_sites),
        ):
            for n in range(count):
                index = len(specs)
                site = sites_of_split[n % len(sites_of_split)]
                specs.append(SyntheticSubjectSpec(index, str(index), None, site, split, **common))
        return specs
    for n in range(o.subjects):
        site = training_sites[n % len(training_sites)]
        for s in range(o.sessions):
            session = f"ses-{s + 1:02d}" if o.sessions > 1 else None
            specs.append(SyntheticSubjectSpec(n, f"sub-{n + 1:03d}", session, site, "train", **common))
    return specs


def _write_bids_sidecars(root: Path, records: list[dict], region_table: dict[int, str]) -> None:
    description = {"Name": "nnunet_wmh synthetic cohort", "BIDSVersion": "1.9.0", "DatasetType": "raw"}
    (root / "dataset_description.json").write_text(json.dumps(description, indent=2) + "\n")
    participants = {r["subject"]: r["site"] for r in records}
    lines = ["participant_id\tsite"] + [f"{sub}\t{site}" for sub, site in participants.items()]
    (root / "participants.tsv").write_text("\n".join(lines) + "\n")
    derivatives = root / "derivatives" / "synth"
    derivatives.mkdir(parents=True, exist_ok=True)
    derivative_description = {
        "Name": "nnunet_wmh synthetic ground truth",
        "BIDSVersion": "1.9.0",
        "DatasetType": "derivative",
        "GeneratedBy": [{"Name": "nnunet_wmh synth", "Version": __version__}],
    }
    (derivatives / "dataset_description.json").write_text(json.dumps(derivative_description, indent=2) + "\n")
    write_region_table(region_table, derivatives / "desc-regions_dseg.tsv")
    write_region_table(PITFALL_NAMES, derivatives / "desc-pitfalls_dseg.tsv")


def _write_cohort_files(root: Path, layout: str, size: str, records: list[dict], anatomy: PhantomAnatomy) -> str:
    """Sidecars, region table and template of a cohort; returns the template folder relative to ``root``."""
    if layout == "bids":
        _write_bids_sidecars(root, records, anatomy.region_table)
        template_folder = root / "derivatives" / "synth" / TEMPLATE_FOLDER
    else:
        write_region_table(anatomy.region_table, root / "regions.tsv")
        write_region_table(PITFALL_NAMES, root / "pitfalls.tsv")
        template_folder = root / TEMPLATE_FOLDER
    write_template(template_folder, spacing_mm=TEMPLATE_SPACING_MM[size], anatomy=anatomy)
    return str(template_folder.relative_to(root))


def make_synthetic_cohort(
    out: str | os.PathLike[str], options: SynthOptions | None = None, run: RunOptions | None = None, **fields: Any
) -> SyntheticCohort:
    """Generate a synthetic WMH cohort, deterministic for a seed.

    Parameters
    ----------
    out
        Output folder; must be empty or absent unless ``overwrite``.
    options
        What the cohort holds (:class:`~nnunet_wmh.synthetic.options.SynthOptions`: ``subjects`` is required).
    run
        Jobs, overwrite and progress (:class:`~nnunet_wmh.runs.options.RunOptions`); ``overwrite`` replaces an
        existing ``out`` once the new cohort is complete.
    **fields
        Fields of either, by name: ``make_synthetic_cohort("cohort", subjects=6, size="small")``.
    """
    clock = Stopwatch()
    options, run = resolve_options(SynthOptions, options, run, fields)
    wanted = options.check()
    run.check()
    o = options
    with atomic_output_folder(out, overwrite=run.overwrite) as staging:
        maps = build_mni152_anatomy(staging / ANATOMY_MAPS) if o.anatomy == "mni152" else None
        specs = _subject_specs(o, wanted, maps)
        if o.sessions > 1:  # a subject's sessions are made together: they share its lesions' history
            subjects = [tuple(specs[n : n + o.sessions]) for n in range(0, len(specs), o.sessions)]
            tasks = [(staging, o.layout, subject) for subject in subjects]
            nested = map_with_progress(_write_followup_subject, tasks, jobs=run.jobs, desc="synthesizing subjects",
                                       progress=run.progress)  # fmt: skip
            records = [record for subject_records in nested for record in subject_records]
        else:
            tasks = [(staging, o.layout, spec) for spec in specs]
            records = map_with_progress(_write_subject, tasks, jobs=run.jobs, desc="synthesizing subjects",
                                        progress=run.progress)  # fmt: skip
        template = _write_cohort_files(staging, o.layout, o.size, records, specs[0].anatomy())
        if maps is not None:
            maps.unlink()
        provenance = {
            "generator": "nnunet_wmh synth",
            "version": __version__,
            "seed": o.seed,
            "layout": o.layout,
            "size": o.size,
            "acquisition": o.acquisition,
            "anatomy": o.anatomy,
            "template": template,
            "subjects": records,
        }
        (staging / "synth.json").write_text(json.dumps(provenance, indent=1) + "\n")
    root = Path(out).expanduser().absolute()
    logger.info("wrote %d synthetic subjects to %s", len(records), root)
    summary = RunSummary("synth", root, len(records), "subject", seconds=clock.seconds)
    return SyntheticCohort(root=root, layout=o.layout, subjects=records, run_summary=summary)
