"""The one flag rule, checked over every parser of every command (docs/conventions.md says it in words)."""

from __future__ import annotations

import argparse
import dataclasses
from collections import defaultdict

import pytest

from nnunet_wmh.cli import main
from nnunet_wmh.cli.flags import Deprecated, HelpFormatter, default_of, options_from
from nnunet_wmh.cli.main import build_parsers
from nnunet_wmh.report.options import ReportOptions
from nnunet_wmh.runs.options import DEFAULT_SEED, RunOptions

#: Flags whose default must be the same wherever they appear.
SHARED_DEFAULTS = {"--jobs": RunOptions().jobs, "--seed": DEFAULT_SEED, "--device": "auto", "--part-id": 0,
                   "--num-parts": 1}  # fmt: skip


def _options() -> list[tuple[str, argparse.Action]]:
    """``(command, action)`` of every visible option of every command (deprecated spellings left out)."""
    _, parsers = build_parsers()
    found = []
    for command, parser in parsers.items():
        for action in parser._actions:
            if action.help == argparse.SUPPRESS or isinstance(action, Deprecated | argparse._HelpAction):
                continue
            found.append((command, action))
    return found


def test_a_flag_means_the_same_in_every_command():
    meanings = defaultdict(set)
    for _, action in _options():
        for flag in action.option_strings:
            meanings[flag].add((action.dest, type(action).__name__, str(action.nargs)))
    differing = {flag: sorted(kinds) for flag, kinds in meanings.items() if len(kinds) > 1}
    assert differing == {}


def test_the_shared_flags_have_one_default_everywhere():
    defaults = defaultdict(set)
    for _, action in _options():
        for flag in action.option_strings:
            if flag in SHARED_DEFAULTS:
                defaults[flag].add(action.default)
    assert {flag: values for flag, values in defaults.items()} == {f: {v} for f, v in SHARED_DEFAULTS.items()}


def test_out_is_always_the_output_folder_and_folds_are_nnunet_folds():
    outs = [(command, action) for command, action in _options() if "--out" in action.option_strings]
    assert len(outs) >= 10
    assert all(action.dest == "out" and "folder" in action.help for _, action in outs)
    folds = [action for _, action in _options() if "--folds" in action.option_strings]
    assert folds and all(action.nargs == "+" and "-f" in action.option_strings for action in folds)
    assert all(action.type is int for _, action in _options() if "--cv-folds" in action.option_strings)


def test_every_option_shows_its_default_in_help():
    formatter = HelpFormatter("nnunet_wmh")
    silent = []
    for command, action in _options():
        if not action.option_strings or action.required or action.nargs == 0:
            continue  # positionals, required options, switches
        text = formatter._get_help_string(action) or ""
        if "default" not in text and "(required" not in text:
            silent.append(f"{command} {action.option_strings[-1]}")
    assert silent == []


def test_nnunet_short_spellings_are_accepted_where_the_meaning_is_the_same():
    _, parsers = build_parsers()
    spelled = {command: {flag for action in parser._actions for flag in action.option_strings}
               for command, parser in parsers.items()}  # fmt: skip
    assert {"-d", "-c", "-tr", "-p", "-f", "-chk", "-device", "--disable_tta"} <= spelled["segment"]
    assert {"-c", "-f", "-device"} <= spelled["study"] and "-d" in spelled["convert"]


@pytest.mark.parametrize("where", ["before", "after"])
def test_verbose_and_quiet_go_before_or_after_the_command(where, capsys):
    arguments = ["-q", "trainers-path"] if where == "before" else ["trainers-path", "-q"]
    parser, _ = build_parsers()
    assert parser.parse_args(arguments).quiet is True
    assert parser.parse_args(["trainers-path"]).quiet is False
    assert main(arguments) == 0


def test_defaults_and_options_come_from_the_library_options_classes():
    parser = build_parsers()[1]["report"]
    args = parser.parse_args(["pred", "--out", "report"])
    assert options_from(ReportOptions, args) == ReportOptions()
    assert default_of(ReportOptions, "connectivity") == 26


def test_an_old_spelling_works_and_says_what_replaces_it(tmp_path, capsys):
    parser = build_parsers()[1]["convert"]
    args = parser.parse_args(["cohort", "--mode", "flair", "-d", "5", "--folds", "3", "--images", "orig"])
    assert (args.cv_folds, args.image_folder) == (3, "orig")
    assert args.deprecated_spellings == [
        "--folds is deprecated and goes in the next release; use --cv-folds",
        "--images is deprecated and goes in the next release; use --image-folder",
    ]


def test_every_option_of_the_library_has_a_flag_of_the_same_name():
    from nnunet_wmh.dataset_conversion.options import ConvertOptions
    from nnunet_wmh.decode.options import DecodeOptions
    from nnunet_wmh.demo import DemoOptions
    from nnunet_wmh.evaluation.options import EvaluateOptions
    from nnunet_wmh.registration.options import RegionsOptions
    from nnunet_wmh.segment.options import SegmentOptions
    from nnunet_wmh.study.options import StudyOptions
    from nnunet_wmh.synthetic.options import SynthOptions

    commands = {"synth": SynthOptions, "convert": ConvertOptions, "decode": DecodeOptions, "evaluate": EvaluateOptions,
                "report": ReportOptions, "regions": RegionsOptions, "segment": SegmentOptions, "study": StudyOptions,
                "demo": DemoOptions}  # fmt: skip
    #: Fields a command sets itself: nnU-Net's preprocessed and results folders come from its environment.
    not_flags = {"convert": {"preprocessed", "results"}}
    _, parsers = build_parsers()
    missing = {}
    for command, kind in commands.items():
        dests = {action.dest for action in parsers[command]._actions}
        wanted = {f.name for f in dataclasses.fields(kind)} - not_flags.get(command, set())
        if wanted - dests:
            missing[command] = sorted(wanted - dests)
    assert missing == {}
    run_fields = {"jobs", "overwrite", "part_id", "num_parts", "device"}
    assert run_fields <= {action.dest for action in parsers["segment"]._actions}
