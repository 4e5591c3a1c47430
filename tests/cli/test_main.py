"""The command line's exit codes and one-line messages: the output rule of every writing command, library
parameter names shown as flags, filesystem faults and interruptions without a traceback."""

from __future__ import annotations

import errno
import json
from pathlib import Path

import numpy as np
import pytest

from nnunet_wmh.cli import main
from nnunet_wmh.cli.main import EXIT_INPUT, EXIT_INTERRUPTED, EXIT_USAGE, build_parsers, flags_of
from nnunet_wmh.synthetic import make_synthetic_cohort
from tests.helpers.images import save
from tests.helpers.predictions import GEOMETRY, separate_dataset_json, write_prediction


def test_usage_errors_exit_2(small_cohort, monkeypatch, capsys):
    monkeypatch.delenv("nnUNet_raw", raising=False)
    assert main(["convert", str(small_cohort), "--mode", "flair", "--dataset-id", "7"]) == EXIT_USAGE
    assert capsys.readouterr().err.strip() == (
        "nnunet_wmh: usage error: nnUNet_raw is not set; pass --out or export nnUNet_raw"
    )
    assert main(["convert", str(small_cohort), "--mode", "bogus", "--dataset-id", "7"]) == EXIT_USAGE


def test_library_parameter_names_are_shown_as_the_commands_flags(tmp_path, capsys):
    code = main(["evaluate", str(tmp_path), str(tmp_path), "--out", str(tmp_path / "m"), "--threshold", "2"])
    assert code == EXIT_USAGE
    assert (
        capsys.readouterr().err == "nnunet_wmh: usage error: --threshold must be between 0 and 1 (exclusive), got 2.0\n"
    )
    assert main(["synth", "--out", str(tmp_path / "s"), "--subjects", "1", "--sessions", "0"]) == EXIT_USAGE
    assert "--sessions must be at least 1, got 0" in capsys.readouterr().err
    assert main(["evaluate", str(tmp_path / "absent"), str(tmp_path), "--out", str(tmp_path / "m")]) == EXIT_USAGE
    assert f"PRED_DIR folder {tmp_path / 'absent'} does not exist" in capsys.readouterr().err


def test_flags_of_a_command_map_parameters_to_flags_and_positionals_to_metavars():
    _, parsers = build_parsers()
    report = flags_of(parsers["report"])
    assert report["out"] == "--out" and report["prediction_dir"] == "PRED_DIR"
    assert report["min_lesion_mm3"] == "--min-lesion-mm3" and report["overwrite"] == "--overwrite"
    assert flags_of(parsers["regions"])["source"] == "INPUT"
    assert flags_of(parsers["convert"])["cv_folds"] == "--cv-folds"  # the new spelling, not the old --folds


@pytest.fixture(scope="module")
def existing_outputs(tmp_path_factory):
    """For every writing command: arguments that would work, and the output they name, which exists."""
    root = tmp_path_factory.mktemp("existing")
    cohort = make_synthetic_cohort(
        root / "cohort", subjects=2, test_subjects=1, size="small", sites=["Singapore"], progress=False
    ).root
    case = root / "pred" / "c.nii.gz"
    save(np.zeros((6, 6, 3), np.uint8), case)
    save(np.zeros((6, 6, 3), np.uint8), root / "gt" / "c.nii.gz")
    (root / "probabilities").mkdir()
    (root / "probabilities" / "dataset.json").write_text(json.dumps(separate_dataset_json()))
    write_prediction(root / "probabilities", "c", np.zeros((3, 2, 3, 4), np.float32), GEOMETRY)
    for part in (0, 1):
        assert (
            main(
                [
                    "report",
                    str(root / "pred"),
                    "--out",
                    str(root / "merged"),
                    "--part-id",
                    str(part),
                    "--num-parts",
                    "2",
                    "--no-pictures",
                    "-q",
                ]
            )
            == 0
        )
    (root / "merged" / "report.json").write_text("{}")
    template = cohort / "template"
    atlas = [
        "--atlas-image",
        str(template / "template_T1w.nii.gz"),
        "--atlas-labels",
        str(template / "template_regions.nii.gz"),
        "--region-table",
        str(template / "regions.tsv"),
    ]
    flair = str(cohort / "training/Singapore/0/pre/FLAIR.nii.gz")
    for folder in ("synth", "joint", "report", "demo", "raw/Dataset005_WMH_flair"):
        (root / folder).mkdir(parents=True)
        (root / folder / "keep.txt").write_text("precious")
    for name in ("evaluation/metrics.tsv", "regions/regions.nii.gz", "t1/FLAIR_in_FLAIR.nii.gz"):
        (root / name).parent.mkdir(parents=True)
        (root / name).write_text("precious")
    return root, {
        "synth": (["synth", "--out", str(root / "synth"), "--subjects", "1"], root / "synth"),
        "convert": (
            ["convert", str(cohort), "--mode", "flair", "--dataset-id", "5", "--out", str(root / "raw")],
            root / "raw/Dataset005_WMH_flair",
        ),
        "decode": (["decode", str(root / "probabilities"), "--out", str(root / "joint")], root / "joint"),
        "evaluate": (
            ["evaluate", str(root / "pred"), str(root / "gt"), "--out", str(root / "evaluation")],
            root / "evaluation/metrics.tsv",
        ),
        "report": (["report", str(root / "pred"), "--out", str(root / "report")], root / "report"),
        "report-merge": (["report-merge", str(root / "merged")], root / "merged" / "report.json"),
        "regions": (
            ["regions", flair, *atlas, "--out", str(root / "regions")],
            root / "regions/regions.nii.gz",
        ),
        "coregister": (
            ["coregister", flair, flair, "--out", str(root / "t1")],
            root / "t1/FLAIR_in_FLAIR.nii.gz",
        ),
        "demo": (["demo", "--out", str(root / "demo"), "--quick"], root / "demo"),
    }


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize(
    "command",
    ["synth", "convert", "decode", "evaluate", "report", "report-merge", "regions", "coregister", "demo"],
)
def test_every_writing_command_refuses_an_existing_output_the_same_way(existing_outputs, command, capsys):
    root, commands = existing_outputs
    arguments, output = commands[command]
    before = _snapshot(root)
    assert main([*arguments, "-q"]) == EXIT_INPUT
    assert capsys.readouterr().err == f"nnunet_wmh: error: {output} exists; pass --overwrite to replace it\n"
    assert _snapshot(root) == before


def test_a_filesystem_fault_is_one_line_naming_the_path(tmp_path, monkeypatch, capsys):
    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "cohort"))

    monkeypatch.setattr("nnunet_wmh.synthetic.cohort.make_synthetic_cohort", full_disk)
    assert main(["synth", "--out", str(tmp_path / "cohort"), "--subjects", "1"]) == EXIT_INPUT
    assert capsys.readouterr().err == f"nnunet_wmh: error: {tmp_path / 'cohort'}: No space left on device\n"


def test_an_interruption_exits_130_with_one_line(tmp_path, monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("nnunet_wmh.synthetic.cohort.make_synthetic_cohort", interrupted)
    assert main(["synth", "--out", str(tmp_path / "cohort"), "--subjects", "1"]) == EXIT_INTERRUPTED
    assert capsys.readouterr().err == (
        "nnunet_wmh: stopped: interrupted; the outputs are as they were before this run\n"
    )


HEAVY = ("numpy", "torch", "nnunetv2", "SimpleITK", "scipy", "nibabel", "pandas", "matplotlib", "cc3d")


def test_the_parsers_load_nothing_heavy_and_every_import_kept_out_of_them_is_heavy():
    import ast
    import subprocess
    import sys

    import nnunet_wmh.cli as cli_package

    code = "import sys; from nnunet_wmh.cli.main import build_parsers; build_parsers(); "
    code += "print(sorted(set(sys.modules) & set({})))"
    loaded = subprocess.run([sys.executable, "-c", code.format(list(HEAVY))], capture_output=True, text=True)
    assert loaded.stdout.strip() == "[]"
    marked = set()
    for path in Path(cli_package.__file__).parent.glob("*.py"):
        lines = path.read_text().splitlines()
        for node in ast.walk(ast.parse("\n".join(lines))):
            if isinstance(node, ast.ImportFrom) and node.col_offset > 0 and "# heavy" in lines[node.lineno - 1]:
                marked.add(node.module)
    assert len(marked) >= 10
    check = "import importlib, sys; importlib.import_module(sys.argv[1]); print(sorted(set(sys.modules) & set({})))"
    light = [
        m
        for m in sorted(marked)
        if subprocess.run(
            [sys.executable, "-c", check.format(list(HEAVY)), m], capture_output=True, text=True
        ).stdout.strip()
        == "[]"
    ]
    assert light == []  # an import marked heavy that loads nothing heavy belongs at the top of its module


def test_a_parameter_this_command_has_no_flag_for_is_shown_as_the_flag_other_commands_give_it(tmp_path, capsys):
    assert main(["report-merge", str(tmp_path)]) == 2
    assert "run with --part-id and --num-parts first" in capsys.readouterr().err
