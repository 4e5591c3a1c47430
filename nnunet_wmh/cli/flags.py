"""The one flag rule of every command, as code (``docs/conventions.md`` says it in words).

* The input is positional; ``--out`` is always the output folder (a file name still works where earlier
  releases took one, with a deprecation message).
* The flags shared by long commands (:func:`add_run_flags`) have one spelling, meaning and default everywhere:
  ``--jobs``, ``--overwrite``, ``--part-id``/``--num-parts``, ``--device``; ``--seed`` is 12345 everywhere;
  ``-v``/``-q`` go before or after the command.
* ``-f/--folds`` are nnU-Net folds; a count of cross-validation splits is ``--cv-folds``.
* nnU-Net's short spellings are accepted where the meaning is the same (``-d``, ``-c``, ``-tr``, ``-p``, ``-f``,
  ``-chk``, ``-device``, ``--disable_tta``).
* Every option's default is shown in ``--help`` (:class:`HelpFormatter`); the defaults and choices come from
  the library's options classes and domain lists (:func:`default_of`), never written twice.
* Old spellings keep working for one release, each with a message naming the new one (:class:`Deprecated`).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import textwrap
from collections.abc import Sequence
from typing import Any

from nnunet_wmh.errors import UsageError
from nnunet_wmh.runs.options import DEFAULT_SEED, DEVICES, RunOptions

#: Where the notes about old spellings are collected while the command line is parsed.
DEPRECATED = "deprecated_spellings"


class HelpFormatter(argparse.HelpFormatter):
    """``--help`` with every option's default: ``(default: X)`` is added unless the help says it already; the
    description's paragraphs (blank-line separated) are wrapped to the terminal's width."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        paragraphs = [" ".join(paragraph.split()) for paragraph in text.split("\n\n")]
        return "\n\n".join(textwrap.fill(p, width, initial_indent=indent, subsequent_indent=indent) for p in paragraphs)

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        quiet_default = (
            action.default is None or action.default is False or action.default in (argparse.SUPPRESS, [], ())
        )
        if "default" in text or quiet_default or action.required or not action.option_strings:
            return text
        if isinstance(action, argparse._StoreFalseAction | argparse._StoreTrueAction):
            return text
        return f"{text} (default: %(default)s)"


def note_deprecated(namespace: argparse.Namespace, message: str) -> None:
    """Record a message about an old spelling (printed as a warning once the command line is parsed)."""
    notes = list(getattr(namespace, DEPRECATED, None) or [])
    notes.append(message)
    setattr(namespace, DEPRECATED, notes)


class Deprecated(argparse.Action):
    """An old spelling of an option: stores its value where the new one does, and notes the change."""

    def __init__(self, option_strings: Sequence[str], dest: str, *, new: str, **kwargs: Any) -> None:
        kwargs["help"] = argparse.SUPPRESS
        super().__init__(option_strings, dest, **kwargs)
        self.new = new

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        setattr(namespace, self.dest, values)
        note_deprecated(namespace, f"{option_string} is deprecated and goes in the next release; use {self.new}")


def warn(message: str) -> None:
    """A warning line on stderr (the command line's own; the library's go through logging)."""
    print(f"nnunet_wmh: warning: {message}", file=sys.stderr)


def given_once(args: argparse.Namespace, name: str, legacy: str, what: str) -> Any:
    """The value of ``name``, or of its old spelling ``legacy`` (deprecated, noted); a usage error naming
    ``what`` when neither or both are given."""
    value, old = getattr(args, name, None), getattr(args, legacy, None)
    if value is not None and old is not None:
        raise UsageError(f"give {what} once")
    if value is None and old is None:
        raise UsageError(f"{what} is required")
    return value if value is not None else old


def default_of(kind: type, name: str) -> Any:
    """The default of field ``name`` of an options dataclass (what ``--help`` shows and the flag defaults to)."""
    field = {f.name: f for f in dataclasses.fields(kind)}[name]
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    raise ValueError(f"{kind.__name__}.{name} has no default")


def add_option(parser: argparse.ArgumentParser, kind: type, name: str, help: str | None = None, **kwargs: Any) -> None:
    """The flag ``--NAME`` (underscores as dashes, and any ``aliases``) of field ``name`` of the options class
    ``kind``, with that field's default: the field is named once, its default written once."""
    aliases = kwargs.pop("aliases", ())
    flag = "--" + name.replace("_", "-")
    parser.add_argument(*aliases, flag, dest=name, default=default_of(kind, name), help=help, **kwargs)


def options_from(kind: type, args: argparse.Namespace) -> Any:
    """An options dataclass from the parsed flags whose names are its fields (lists become tuples)."""
    values = {}
    for field in dataclasses.fields(kind):
        if hasattr(args, field.name):
            value = getattr(args, field.name)
            values[field.name] = tuple(value) if isinstance(value, list) else value
    return kind(**values)


def add_jobs_flag(parser: argparse.ArgumentParser, what: str = "worker processes") -> None:
    """``--jobs N`` (default 1 everywhere)."""
    parser.add_argument("--jobs", type=int, default=RunOptions().jobs, metavar="N", help=what)


def add_run_flags(
    parser: argparse.ArgumentParser, *, jobs: str | None = "worker processes", parts: bool = False,
    device: bool = False, overwrite: str = "replace an existing output once the new one is complete",
    strict: bool | str = False,
) -> None:  # fmt: skip
    """The run flags of a long command: ``--jobs``, ``--overwrite``, and ``--part-id``/``--num-parts``
    (``parts``), ``--device``/``-device`` (``device``) and ``--strict`` (``strict``; a text adds to its help)
    where the command takes them."""
    group = parser.add_argument_group("run")
    if jobs is not None:
        add_jobs_flag(group, jobs)  # type: ignore[arg-type]
    group.add_argument("--overwrite", action="store_true", help=overwrite)
    if parts:
        group.add_argument("--part-id", type=int, default=0, metavar="K",
                           help="this part, 0..N-1: does sorted(cases)[K::N] (nnU-Net's sharding)")  # fmt: skip
        group.add_argument("--num-parts", type=int, default=1, metavar="N",
                           help="N parts; join them with report-merge OUT")  # fmt: skip
    if device:
        group.add_argument("--device", "-device", choices=DEVICES, default=RunOptions().device,
                           help="where nnU-Net runs; auto: a GPU when torch sees one")  # fmt: skip
    if strict:
        more = f"; {strict}" if isinstance(strict, str) else ""
        group.add_argument("--strict", action="store_true",
                           help="exit status 3 when any case is flagged in qc.tsv (every output still written; "
                           f"default: flags leave the exit status 0){more}")  # fmt: skip


def add_seed_flag(parser: argparse.ArgumentParser, what: str) -> None:
    """``--seed`` (default 12345 everywhere)."""
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=what)


def run_options(args: argparse.Namespace) -> RunOptions:
    """The :class:`~nnunet_wmh.runs.options.RunOptions` of the parsed flags (progress bars unless ``-q``)."""
    values = {f.name: getattr(args, f.name) for f in dataclasses.fields(RunOptions) if hasattr(args, f.name)}
    return RunOptions(**{**values, "progress": not args.quiet})


def comma_or_spaces(values: Sequence[str]) -> list[str]:
    """``["0", "1,2"]`` → ``["0", "1", "2"]``: a list flag (``nargs="+"``) also takes comma lists."""
    return [item.strip() for value in values for item in value.split(",") if item.strip()]


def add_atlas_flags(parser: argparse.ArgumentParser, *, what: str) -> None:
    """``--atlas-image``, ``--atlas-labels``, ``--region-table``: given together, or none."""
    group = parser.add_argument_group("atlas", f"give all three, or none ({what})")
    group.add_argument("--atlas-image", help="template image, e.g. an MNI152 T1 (default: none)")
    group.add_argument("--atlas-labels", help="region labels on the template grid (default: none)")
    group.add_argument("--region-table", help="names of the labels: TSV/CSV, 'id name' text, LUT (default: none)")
