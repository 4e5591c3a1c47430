"""``nnunet_wmh segment``'s flags (the command itself runs end to end in tests/end_to_end/test_segment.py)."""

from __future__ import annotations

import inspect
from dataclasses import fields

from nnunet_wmh.cli import main
from nnunet_wmh.cli.main import build_parsers
from nnunet_wmh.cli.segment import run_segment
from nnunet_wmh.segment.options import SegmentOptions
from nnunet_wmh.segment.run import segment_cohort

#: Options with a flag of another name: mirroring is --disable-tta (nnUNetv2_predict's flag), trainer_paths is
#: the repeatable --trainer-path, report is the counting flags.
RENAMED = {"mirroring", "trainer_paths", "report", "options", "progress"}


def test_every_library_parameter_of_segment_has_a_flag_of_the_same_name():
    _, parsers = build_parsers()
    dests = {action.dest for action in parsers["segment"]._actions}
    wanted = {f.name for f in fields(SegmentOptions)} | set(inspect.signature(segment_cohort).parameters)
    assert wanted - RENAMED <= dests
    assert {"disable_tta", "trainer_path", "connectivity", "min_lesion_mm3", "no_pictures"} <= dests


def test_segment_without_a_cohort_or_a_subject_is_a_usage_error(tmp_path, capsys):
    code = main(["segment", "--model", str(tmp_path), "--out", str(tmp_path / "out")])
    assert code == 2
    assert "give a cohort INPUT, or --flair and/or --t1 (or --image) of one subject" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_model_folder_without_a_model_is_named(tmp_path, capsys, small_cohort):
    code = main(["segment", str(small_cohort), "--model", str(tmp_path / "empty"), "--out", str(tmp_path / "o")])
    assert code == 2
    assert "--model" in capsys.readouterr().err


def test_the_segment_handler_lives_in_its_own_cli_module():
    _, parsers = build_parsers()
    assert parsers["segment"].get_default("handler") is run_segment


def test_other_contrasts_of_one_subject_are_modality_path_pairs(tmp_path, capsys):
    _, parsers = build_parsers()
    args = parsers["segment"].parse_args(["--model", "m", "--out", "o", "--image", "T2=a.nii.gz", "--image", "pd=b"])
    assert args.images == [("t2", "a.nii.gz"), ("pd", "b")]
    code = main(["segment", "--model", str(tmp_path), "--out", str(tmp_path / "out"), "--image", "flair=x.nii.gz"])
    assert code == 2 and "MODALITY t2, pd, t2star or swi (FLAIR and T1: --flair, --t1)" in capsys.readouterr().err
