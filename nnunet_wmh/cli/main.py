"""``nnunet_wmh``: the parser of every command, the exit codes, and one line per error.

Exit codes: 0 success; 1 bad input data, an existing output, or an output that cannot be written; 2 usage
error; 130 interrupted (Ctrl-C); 143 terminated (SIGTERM, handled as Ctrl-C is: :mod:`.signals`). Library messages
name parameters in backticks; they are shown here as the command's flags (``--jobs``), in errors, warnings and log
lines alike. No error ends in a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import logging
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from types import ModuleType

from nnunet_wmh import __version__
from nnunet_wmh.cli import (
    bids,
    change,
    convert,
    coregister,
    decode,
    demo,
    evaluate,
    jobs,
    regions,
    report,
    report_merge,
    segment,
    study,
    synth,
    trainers_path,
    view,
)
from nnunet_wmh.cli.flags import DEPRECATED, HelpFormatter
from nnunet_wmh.cli.formatting import EXIT_INPUT, EXIT_USAGE, with_flags
from nnunet_wmh.cli.formatting import EXIT_INTERRUPTED as EXIT_INTERRUPTED  # the exit codes, here as well
from nnunet_wmh.cli.signals import EXIT_TERMINATED as EXIT_TERMINATED
from nnunet_wmh.cli.signals import sigterm_as_interrupt, stopped_by
from nnunet_wmh.errors import InvalidInputsError, NnunetWmhError, UsageError

#: One module per command, in the order ``nnunet_wmh --help`` lists them. Each has ``NAME``, ``SUMMARY`` (the
#: line in that list), its docstring (the command's ``--help`` description), ``add_arguments(parser)`` and
#: ``run(args) -> exit code``.
COMMANDS: tuple[ModuleType, ...] = (
    synth, convert, decode, evaluate, report, report_merge, view, regions, coregister, study, segment, bids, change,
    jobs, demo, trainers_path,
)  # fmt: skip


def _add_verbosity(parser: argparse.ArgumentParser, default: object) -> None:
    parser.add_argument("-v", "--verbose", action="store_true", default=default, help="log progress details")
    parser.add_argument("-q", "--quiet", action="store_true", default=default, help="no progress bars")


def build_parsers() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The ``nnunet_wmh`` parser, and each command's own parser by name."""
    parser = argparse.ArgumentParser(
        prog="nnunet_wmh",
        description="nnU-Net v2 plugin for white matter hyperintensity segmentation and localization.",
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"nnunet_wmh {__version__}")
    _add_verbosity(parser, False)
    common = argparse.ArgumentParser(add_help=False)
    _add_verbosity(common, argparse.SUPPRESS)  # after the command as well as before it
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    parsers = {}
    for command in COMMANDS:
        parsers[command.NAME] = subparsers.add_parser(
            command.NAME, help=command.SUMMARY, description=inspect.cleandoc(command.__doc__ or ""),
            parents=[common], formatter_class=HelpFormatter,
        )  # fmt: skip
        command.add_arguments(parsers[command.NAME])
        parsers[command.NAME].set_defaults(handler=command.run)
    return parser, parsers


def build_parser() -> argparse.ArgumentParser:
    """The ``nnunet_wmh`` argument parser with all subcommands."""
    return build_parsers()[0]


def flags_of(parser: argparse.ArgumentParser) -> dict[str, str]:
    """``{parameter name: flag}`` of a subcommand: ``jobs`` → ``--jobs``, a positional → its metavar."""
    flags = {}
    for action in parser._actions:
        if action.dest in ("help", argparse.SUPPRESS) or action.help == argparse.SUPPRESS:
            continue
        longest = max(action.option_strings, key=len) if action.option_strings else None
        flags[action.dest] = longest or str(action.metavar or action.dest.upper())
    return flags


def command_flags(parsers: Mapping[str, argparse.ArgumentParser], command: str) -> dict[str, str]:
    """The flags a command's messages show: its own (:func:`flags_of`), then the option flags that other commands
    give a parameter it has none for (``report-merge``'s "run with `part_id` first" → ``--part-id``), where every
    command that has the parameter spells it alike."""
    elsewhere: dict[str, set[str]] = {}
    for parser in parsers.values():
        for name, flag in flags_of(parser).items():
            if flag.startswith("--"):
                elsewhere.setdefault(name, set()).add(flag)
    shared = {name: flag for name, (flag, *more) in elsewhere.items() if not more}
    return {**shared, **flags_of(parsers[command])}


class _FlagFormatter(logging.Formatter):
    """Log lines with parameter names shown as flags."""

    def __init__(self, flags: Mapping[str, str]) -> None:
        super().__init__("nnunet_wmh: %(levelname)s: %(message)s")
        self.flags = flags

    def format(self, record: logging.LogRecord) -> str:
        return with_flags(super().format(record), self.flags)


@contextlib.contextmanager
def _logging_to_stderr(verbose: bool, flags: Mapping[str, str]) -> Iterator[None]:
    """The package's log lines on stderr, with flags, for the duration of one command."""
    logger = logging.getLogger("nnunet_wmh")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_FlagFormatter(flags))
    saved = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO if verbose else logging.WARNING)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.level, logger.propagate = saved


def _error(message: str, render: Callable[[str], str], kind: str = "error") -> None:
    for line in render(message).splitlines():
        print(f"nnunet_wmh: {kind}: {line.strip()}", file=sys.stderr)


def _run(args: argparse.Namespace, render: Callable[[str], str]) -> int:
    try:
        with sigterm_as_interrupt():  # a scheduler's or kill's SIGTERM cleans up as Ctrl-C does
            return args.handler(args)
    except UsageError as exc:
        _error(str(exc), render, "usage error")
        return EXIT_USAGE
    except (InvalidInputsError, NnunetWmhError) as exc:
        _error(str(exc), render)
        return EXIT_INPUT
    except OSError as exc:  # a filesystem fault the library could not attribute to an output
        where = f"{exc.filename}: " if exc.filename else ""
        _error(f"{where}{exc.strerror or exc}", render)
        return EXIT_INPUT
    except MemoryError:
        _error("out of memory; use fewer worker processes (--jobs) or a machine with more memory", render)
        return EXIT_INPUT
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM
        words, exit_code = stopped_by(exc)
        _error(f"{words}; the outputs are as they were before this run", render, "stopped")
        return exit_code


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser, parsers = build_parsers()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse's own usage errors and --help
        return int(exc.code or 0)
    flags = command_flags(parsers, args.command)
    args.render = lambda message: with_flags(message, flags)
    for message in getattr(args, DEPRECATED, None) or ():
        print(f"nnunet_wmh: warning: {message}", file=sys.stderr)
    with _logging_to_stderr(args.verbose, flags):
        return _run(args, args.render)


if __name__ == "__main__":
    sys.exit(main())
