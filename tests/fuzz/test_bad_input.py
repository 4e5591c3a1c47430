"""Bad input never gives a wrong answer or a traceback (seeded fuzz suite over every command).

Each case damages one input of a working command line (truncated, random bytes, 4-D, 2-D, NaN/Inf,
fractional/negative/out-of-range labels, shifted origin, wrong spacing, two files for one case) or its output
location (a file where a folder must be, a read-only folder), or makes a fault of a command's own (ids that clash
once cleaned, a malformed model dataset.json, a part of a run deleted, changed or made for another run folder, a
run moved away from its BIDS folder, one training subject, an unknown trainer, an image the model does not take
with ``--strict``), runs the command, and checks what a user would: a non-zero exit code, one-line messages
without a traceback, the damaged file (or the output) named, and the outputs exactly as they were before, with
no temporary folder left behind.
"""

from __future__ import annotations

import json
import pickle
import shutil
import tempfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from nnunet_wmh.cli import main
from nnunet_wmh.synthetic import make_synthetic_cohort
from tests.helpers.corrupt import CORRUPTIONS, read_only, world_readable
from tests.helpers.images import save
from tests.helpers.models import write_model_folder
from tests.helpers.predictions import GEOMETRY, separate_dataset_json, write_prediction

T1 = "cohort/training/Singapore/0/pre/T1.nii.gz"
FLAIR = "cohort/training/Singapore/0/pre/FLAIR.nii.gz"
TEMPLATE = "cohort/template"
ATLAS = [
    "--atlas-image", "{ws}/cohort/template/template_T1w.nii.gz",
    "--atlas-labels", "{ws}/cohort/template/template_regions.nii.gz",
    "--region-table", "{ws}/cohort/template/regions.tsv",
]  # fmt: skip

#: The working command lines; every output goes below ``outputs/``.
COMMANDS = {
    "synth": ["synth", "--out", "{ws}/outputs/synth", "--subjects", "1", "--size", "small", "--sites", "Singapore"],
    "convert": ["convert", "{ws}/cohort", "--mode", "flair_t1", "--dataset-id", "9", "--out", "{ws}/outputs/raw"],
    "evaluate": ["evaluate", "{ws}/pred", "{ws}/gt", "--out", "{ws}/outputs/eval"],
    "evaluate-labels": [
        "evaluate",
        "{ws}/pred",
        "{ws}/gt",
        "--out",
        "{ws}/outputs/eval",
        "--dataset-json",
        "{ws}/dataset.json",
    ],
    "report": ["report", "{ws}/pred", "--out", "{ws}/outputs/report", "--regions", "{ws}/regions", "--no-pictures"],
    "report-merge": ["report-merge", "{ws}/outputs/sharded"],
    "regions": ["regions", "{ws}/" + T1, *ATLAS, "--out", "{ws}/outputs/regions"],
    "coregister": ["coregister", "{ws}/" + FLAIR, "{ws}/" + T1, "--out", "{ws}/outputs/t1"],
    "decode": ["decode", "{ws}/probabilities", "--out", "{ws}/outputs/joint"],
    "study": ["study", "{ws}/cohort", "--out", "{ws}/outputs/study", "--configs", "flair_t1", "--device", "cpu"],
    "segment": ["segment", "{ws}/cohort", "--model", "{ws}/model", "--out", "{ws}/outputs/segment", "--device", "cpu",
                *ATLAS],
    "segment --slurm": ["segment", "{ws}/cohort", "--model", "{ws}/model", "--out", "{ws}/outputs/segment",
                        "--slurm", "--no-submit", "--num-parts", "2"],
    "jobs": ["jobs", "{ws}/outputs/sharded"],
    "segment one": ["segment", "--flair", "{ws}/" + FLAIR, "--t1", "{ws}/" + T1, "--model", "{ws}/model", "--out",
                    "{ws}/outputs/segment", "--device", "cpu", *ATLAS],
    "study --dry-run": ["study", "{ws}/cohort", "--out", "{ws}/outputs/study", "--configs", "flair_t1", "--device",
                        "cpu", "--dry-run"],
    "report-merge bids": ["report-merge", "{ws}/outputs/bids_run"],
    "report-merge moved": ["report-merge", "{ws}/outputs/moved"],
}  # fmt: skip
MODEL_JSON = "model/Dataset123_WMH/nnUNetTrainer__nnUNetPlans__3d_fullres/dataset.json"
ATLAS_LABELS = f"{TEMPLATE}/template_regions.nii.gz"
LESION = "cohort/training/Singapore/1/wmh.nii.gz"
MODEL_CHECKPOINT = "model/Dataset123_WMH/nnUNetTrainer__nnUNetPlans__3d_fullres/fold_0/checkpoint_final.pth"


@dataclass(frozen=True)
class FuzzCase:
    """One damaged run: the command, what is damaged (a file of the workspace, or a fault of its own)."""

    command: str
    damage: str
    target: str = ""
    extra: tuple[str, ...] = ()
    expected_exit: int = 1

    @property
    def id(self) -> str:
        return f"{self.command}: {self.damage} {self.target or ' '.join(self.extra)}".strip()


def _cases() -> list[FuzzCase]:
    images = ("truncated", "truncated voxels", "random bytes", "4-D", "2-D", "NaN/Inf")
    grids = ("shifted origin", "wrong spacing")
    labels = ("fractional labels", "negative labels", "out-of-range labels")
    cases = [FuzzCase("convert", d, FLAIR) for d in (*images, "two files for one case")]
    cases += [FuzzCase("convert", d, "cohort/training/Singapore/1/wmh.nii.gz") for d in (*labels, *grids)]
    cases += [FuzzCase("convert", "same subject in training and test", "cohort/test/Singapore/9")]
    cases += [FuzzCase("evaluate", d, "pred/c1.nii.gz") for d in (*images, *grids, "two files for one case")]
    cases += [FuzzCase("evaluate", d, "gt/c2.nii.gz") for d in (*labels, "truncated", "NaN/Inf")]
    cases += [FuzzCase("evaluate-labels", d, "pred/c1.nii.gz") for d in labels]
    cases += [FuzzCase("report", d, "pred/c2.nii.gz") for d in (*images, "two files for one case")]
    cases += [
        FuzzCase("report", d, "regions/c1.nii.gz")
        for d in ("fractional labels", "negative labels", "truncated", "4-D", *grids)
    ]
    cases += [
        FuzzCase("report-merge", d) for d in ("truncated part table", "damaged part file", "stray part", "missing part")
    ]
    cases += [FuzzCase("regions", d, T1) for d in images]
    cases += [FuzzCase("regions", "truncated", f"{TEMPLATE}/template_T1w.nii.gz")]
    cases += [FuzzCase("regions", d, f"{TEMPLATE}/template_regions.nii.gz") for d in labels[:2]]
    cases += [FuzzCase("coregister", d, T1) for d in images]
    cases += [FuzzCase("coregister", "truncated", FLAIR)]
    cases += [FuzzCase("decode", d, "probabilities/c.npz") for d in ("truncated", "random bytes")]
    cases += [
        FuzzCase("decode", d)
        for d in (
            "NaN probabilities",
            "probabilities above 1",
            "wrong number of outputs",
            "properties not a mapping",
            "two-value spacing",
        )
    ]
    cases += [FuzzCase("decode", "damaged dataset.json", "probabilities/dataset.json", expected_exit=2)]
    cases += [FuzzCase("study", d, FLAIR) for d in ("truncated", "NaN/Inf", "4-D")]
    cases += [FuzzCase("study", "output folder is a file")]
    cases += [FuzzCase("segment", d, FLAIR) for d in images]
    cases += [FuzzCase("segment", "output folder is a file")]
    cases += [FuzzCase("segment", "random bytes", MODEL_CHECKPOINT, expected_exit=2)]
    cases += [FuzzCase("segment --slurm", "output folder is a file")]
    cases += [FuzzCase("jobs", "damaged submission record", expected_exit=2)]
    cases += _cases_of_the_newer_commands(images, grids, labels)
    usage = [
        ("synth", ("--sessions", "0", "--layout", "bids")),
        ("synth", ("--subjects", "0")),
        ("evaluate", ("--threshold", "2")),
        ("decode", ("--threshold", "2")),
        ("regions", ("--jobs", "0")),
        ("report", ("--min-lesion-mm3", "-1")),
        ("study", ("--folds", "9")),
        ("study", ("--trainer", "t1")),
        ("segment", ("--folds", "7")),
        ("synth", ("--modalities", "flair,swi")),
        ("convert", ("--modalities", "flair,dwi", "--mode", "interchangeable")),
        ("convert", ("--drop-modality", "t2", "--mode", "interchangeable")),
        ("convert", ("--fill-order", "t1", "--mode", "flair_t1")),
        ("study", ("--configs", "fixed:flair,dwi")),
    ]
    cases += [FuzzCase(c, "bad option", extra=e, expected_exit=2) for c, e in usage]
    writing = ("synth", "convert", "evaluate", "report", "regions", "coregister", "decode")
    cases += [FuzzCase(c, d) for c in writing for d in ("output folder is a file", "read-only output folder")]
    return cases


def _cases_of_the_newer_commands(images, grids, labels) -> list[FuzzCase]:
    """segment (a cohort, one subject), study's dry run, jobs, report-merge and regions: the corruptions above,
    and the faults of their own (ids that clash once cleaned, copied or moved runs, malformed models)."""
    cases = [FuzzCase("segment", d, ATLAS_LABELS) for d in (*labels[:2], *grids, "truncated", "4-D")]
    cases += [FuzzCase("segment", d, MODEL_JSON, expected_exit=2) for d in ("channel keys", "channel count text")]
    cases += [FuzzCase("segment", "ids that clash once cleaned"), FuzzCase("convert", "ids that clash once cleaned")]
    cases += [FuzzCase("segment one", d, FLAIR) for d in images]
    cases += [FuzzCase("segment one", "unused image with --strict", extra=("--image", "t2={ws}/" + T1, "--strict"),
                       expected_exit=2)]  # fmt: skip
    cases += [FuzzCase("study --dry-run", d, t) for d in images for t in (FLAIR, T1)]
    cases += [FuzzCase("study --dry-run", d, LESION) for d in (*labels, *grids, "truncated")]
    cases += [FuzzCase("study --dry-run", d, ATLAS_LABELS, extra=tuple(ATLAS)) for d in grids]
    cases += [FuzzCase("study --dry-run", "ids that clash once cleaned")]
    cases += [FuzzCase("study --dry-run", "one training subject", expected_exit=2)]
    cases += [FuzzCase("study --dry-run", "bad option", extra=("--trainer", "flair_t1=NoSuchTrainer"),
                       expected_exit=2)]  # fmt: skip
    cases += [FuzzCase("jobs", "submission without jobs", expected_exit=2)]
    cases += [FuzzCase("report-merge bids", d) for d in ("deleted part mask", "changed part mask",
                                                         "part of another run folder")]  # fmt: skip
    cases += [FuzzCase("report-merge moved", "moved run with its BIDS folder outside", expected_exit=2)]
    cases += [FuzzCase("regions", d, ATLAS_LABELS) for d in (*grids, "4-D", "truncated voxels")]
    return cases


def _build_workspace(ws: Path) -> None:
    make_synthetic_cohort(
        ws / "cohort", subjects=2, test_subjects=1, size="small", sites=["Singapore"], seed=3, progress=False
    )
    for folder in ("gt", "pred", "regions", "probabilities", "outputs"):
        (ws / folder).mkdir()
    for case, subject in (("c1", "0"), ("c2", "1")):
        source = ws / "cohort" / "training" / "Singapore" / subject
        shutil.copy(source / "wmh.nii.gz", ws / "gt" / f"{case}.nii.gz")
        shutil.copy(source / "regions.nii.gz", ws / "regions" / f"{case}.nii.gz")
        reference = nib.load(source / "wmh.nii.gz")
        lesion = (np.asanyarray(reference.dataobj) == 1).astype(np.uint8)
        save(lesion, ws / "pred" / f"{case}.nii.gz", reference.affine)
    (ws / "dataset.json").write_text(json.dumps({"labels": {"background": 0, "wmh": 1, "ignore": 2}}))
    block = {"inputs": "interchangeable", "channels": 2, "fill_missing": "duplicate", "encoding": "lesion"}
    labels = {"background": 0, "wmh": 1, "ignore": 2}
    model = {"channel_names": {"0": "FLAIR", "1": "T1"}, "labels": labels, "nnunet_wmh": block}
    write_model_folder(ws / "model", model)  # checked and routed; a case that gets to load it finds no weights
    (ws / "probabilities" / "dataset.json").write_text(json.dumps(separate_dataset_json()))
    write_prediction(ws / "probabilities", "c", np.full((3, 2, 3, 4), 0.25, np.float32), GEOMETRY)
    runs = {"sharded": [], "bids_run": ["--bids-derivatives", str(ws / "outputs/bids_run/bids")],
            "other_run": ["--bids-derivatives", str(ws / "outputs/other_run/bids")],
            "outside": ["--bids-derivatives", str(ws / "outputs/derivatives")]}  # fmt: skip
    for name, bids in runs.items():
        for part in ("0", "1"):
            arguments = ["report", str(ws / "pred"), "--out", str(ws / "outputs" / name), "--no-pictures", "-q"]
            assert main([*arguments, *bids, "--part-id", part, "--num-parts", "2"]) == 0


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    ws = tmp_path_factory.mktemp("fuzz") / "workspace"
    _build_workspace(ws)
    return ws


def _rewrite_npz(ws: Path, probabilities: np.ndarray) -> None:
    np.savez_compressed(ws / "probabilities" / "c.npz", probabilities=probabilities)


def _rewrite_pkl(ws: Path, properties: object) -> None:
    with open(ws / "probabilities" / "c.pkl", "wb") as handle:
        pickle.dump(properties, handle)


def _part(ws: Path, name: str) -> Path:
    return ws / "outputs" / "sharded" / "parts" / name


#: Damage that is not a corruption of one file: (what it does, the name the message must hold).
SPECIAL: dict[str, Callable[[Path], str]] = {
    "same subject in training and test": lambda ws: (
        shutil.copytree(ws / "cohort/training/Singapore/0", ws / "cohort/test/Singapore/9"),
        "Singapore/9",
    )[1],
    "truncated part table": lambda ws: (
        _part(ws, "part-1-of-2")
        .joinpath("subjects.tsv")
        .write_bytes(_part(ws, "part-1-of-2").joinpath("subjects.tsv").read_bytes()[:60]),
        "part-1-of-2",
    )[1],
    "damaged part file": lambda ws: (_part(ws, "part-0-of-2").joinpath("part.json").write_text("{"), "part.json")[1],
    "stray part": lambda ws: (shutil.copytree(_part(ws, "part-0-of-2"), _part(ws, "part-0-of-3")), "part-0-of-3")[1],
    "missing part": lambda ws: (shutil.rmtree(_part(ws, "part-1-of-2")), "part-1-of-2")[1],
    "NaN probabilities": lambda ws: (_rewrite_npz(ws, np.full((3, 2, 3, 4), np.nan, np.float32)), "c.npz")[1],
    "probabilities above 1": lambda ws: (_rewrite_npz(ws, np.full((3, 2, 3, 4), 1.7, np.float32)), "c.npz")[1],
    "wrong number of outputs": lambda ws: (_rewrite_npz(ws, np.zeros((5, 2, 3, 4), np.float32)), "c.npz")[1],
    "properties not a mapping": lambda ws: (_rewrite_pkl(ws, [1, 2, 3]), "c.pkl")[1],
    "two-value spacing": lambda ws: (_rewrite_pkl(ws, {"sitk_stuff": {**GEOMETRY, "spacing": (1.0, 1.0)}}), "c.pkl")[1],
    "damaged submission record": lambda ws: (
        _part(ws, "..").joinpath("slurm").mkdir(),
        _part(ws, "..").joinpath("slurm/submission.json").write_text('{"kind": "segment", "jobs": [{"name": '),
        "submission.json",
    )[2],
    "submission without jobs": lambda ws: (
        _part(ws, "..").joinpath("slurm").mkdir(),
        _part(ws, "..")
        .joinpath("slurm/submission.json")
        .write_text(json.dumps({"kind": "segment", "fingerprint": [], "jobs": [], "submitted": True, "written": ""})),
        "records no job",
    )[2],
    "ids that clash once cleaned": lambda ws: (
        shutil.copytree(ws / "cohort/training/Singapore/0", ws / "cohort/training/Singapore/0_"),
        "both become sub-0",
    )[1],
    "one training subject": lambda ws: (shutil.rmtree(ws / "cohort/training/Singapore/1"), "--configs flair_t1")[1],
    "channel keys": lambda ws: _edit_json(ws / MODEL_JSON, lambda d: d.update(channel_names={"a": "FLAIR", "b": "T1"})),
    "channel count text": lambda ws: _edit_json(ws / MODEL_JSON, lambda d: d["nnunet_wmh"].update(channels="two")),
    "unused image with --strict": lambda ws: "--strict",
    "deleted part mask": lambda ws: _damage_part_mask(ws, lambda mask: mask.unlink()),
    "changed part mask": lambda ws: _damage_part_mask(ws, lambda mask: mask.write_bytes(mask.read_bytes()[::-1])),
    "part of another run folder": lambda ws: (
        shutil.rmtree(ws / "outputs/bids_run/parts/part-1-of-2"),
        shutil.copytree(ws / "outputs/other_run/parts/part-1-of-2", ws / "outputs/bids_run/parts/part-1-of-2"),
        "made for the run in",
    )[2],
    "moved run with its BIDS folder outside": lambda ws: (
        (ws / "outputs/outside").rename(ws / "outputs/moved"),
        "whose BIDS files go outside it",
    )[1],
    "damaged dataset.json": lambda ws: (
        ws.joinpath("probabilities/dataset.json").write_text('{"labels": '),
        "dataset.json",
    )[1],
}


def _edit_json(path: Path, edit: Callable[[dict], object]) -> str:
    """Edit a JSON file in place; the message must name it."""
    content = json.loads(path.read_text())
    edit(content)
    path.write_text(json.dumps(content))
    return path.name


def _damage_part_mask(ws: Path, damage: Callable[[Path], object]) -> str:
    """Damage the first lesion mask a part of ``bids_run`` wrote; the message must name it."""
    mask = sorted(ws.glob("outputs/bids_run/parts/part-1-of-2/bids/**/*_mask.nii.gz"))[0]
    damage(mask)
    return mask.name


def _snapshot(folder: Path) -> dict[str, bytes | None]:
    if not folder.exists():
        return {}
    if folder.is_file():
        return {".": folder.read_bytes()}
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None) for p in sorted(folder.rglob("*"))}


def _damage(case: FuzzCase, ws: Path, rng: np.random.Generator) -> str:
    """Damage the workspace; returns what the message must name."""
    if case.damage in CORRUPTIONS:
        CORRUPTIONS[case.damage](ws / case.target, rng)
        return Path(case.target).name
    if case.damage in SPECIAL:
        return SPECIAL[case.damage](ws)
    if case.damage == "output folder is a file":
        shutil.rmtree(ws / "outputs")
        (ws / "outputs").write_text("not a folder")
        return str(ws / "outputs")
    if case.damage == "bad option":
        return case.extra[0]
    return str(ws / "outputs")  # read-only output folder


def run_case(case: FuzzCase, pristine: Path, capsys) -> tuple[int, str, dict, dict, Path, str]:
    """Copy the workspace, damage it, run the command.

    Returns the exit code, stderr, the outputs before and after, the workspace and what the message must name.
    """
    ws = Path(tempfile.mkdtemp(prefix="nnunet_wmh_fuzz_")) / "workspace"
    shutil.copytree(pristine, ws, symlinks=True)
    world_readable(ws.parent)
    rng = np.random.default_rng(zlib.crc32(case.id.encode()))
    named = _damage(case, ws, rng)
    argv = [part.replace("{ws}", str(ws)) for part in [*COMMANDS[case.command], *case.extra, "-q"]]
    before = _snapshot(ws / "outputs")
    if case.damage == "read-only output folder":
        main(argv)  # the same run first, as root and writable: loads every module the command needs
        shutil.rmtree(ws / "outputs")
        shutil.copytree(pristine / "outputs", ws / "outputs")
        world_readable(ws / "outputs")
        capsys.readouterr()
        with read_only(ws / "outputs"):
            code = main(argv)
    else:
        code = main(argv)
    return code, capsys.readouterr().err, before, _snapshot(ws / "outputs"), ws, named


CASES = _cases()


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_gives_one_clear_line_and_changes_no_output(case, pristine, capsys):
    code, err, before, after, ws, named = run_case(case, pristine, capsys)
    try:
        assert code == case.expected_exit, err
        assert err and all(line.startswith("nnunet_wmh: ") for line in err.splitlines()), err
        assert "Traceback" not in err
        assert named.replace("{ws}", str(ws)) in err.replace(str(ws.resolve()), str(ws)), err
        assert after == before
    finally:
        shutil.rmtree(ws.parent, ignore_errors=True)
