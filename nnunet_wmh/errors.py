"""Exception hierarchy of nnunet_wmh.

Every error the library raises on purpose derives from :class:`NnunetWmhError`, so a caller (and the CLI)
can catch one type. Messages name the subject and the file, what was expected and what was found.

Messages name the library's parameters in backticks (```jobs` must be at least 1``), as nibabel does; the
command line shows its flags in their place (``--jobs must be at least 1``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence


class NnunetWmhError(Exception):
    """Base class of all nnunet_wmh errors."""


class UsageError(NnunetWmhError):
    """Options that cannot work together, a value out of range, or a setting that is missing.

    Parameters
    ----------
    message
        What is wrong, naming parameters in backticks (```threshold` must be in (0, 1), got 2``).
    parameter
        The parameter at fault (its Python name), when there is one.
    """

    def __init__(self, message: str, parameter: str | None = None) -> None:
        self.parameter = parameter
        super().__init__(message)

    def __reduce__(self):  # keep the parameter when sent between processes
        return (type(self), (str(self), self.parameter))


class InputDataError(NnunetWmhError):
    """One problem with one input file of one subject.

    Parameters
    ----------
    subject
        The subject as the user knows it, e.g. ``"Utrecht/0"`` or ``"sub-01/ses-1"``.
    path
        The file, preferably relative to the source folder (``"pre/FLAIR.nii.gz"``).
    problem
        What was expected and what was found.
    """

    def __init__(self, subject: str, path: str, problem: str) -> None:
        self.subject = subject
        self.path = path
        self.problem = problem
        super().__init__(f"[{subject}] {path}: {problem}")

    def __reduce__(self):  # keep the three fields when sent between processes
        return (type(self), (self.subject, self.path, self.problem))


class InvalidInputsError(NnunetWmhError):
    """Several input problems found by validation, raised once after all subjects were checked.

    Attributes
    ----------
    problems
        Every problem found, in subject order.
    """

    def __init__(self, problems: Sequence[InputDataError], consequence: str = "nothing was written") -> None:
        self.problems = list(problems)
        self.consequence = consequence
        subjects = sorted({p.subject for p in self.problems})
        lines = [f"{len(self.problems)} problem(s) in {len(subjects)} subject(s); {consequence}:"]
        lines += [f"  {p}" for p in self.problems]
        super().__init__("\n".join(lines))

    def __reduce__(self):
        return (type(self), (self.problems, self.consequence))


class SourceLayoutError(NnunetWmhError):
    """The source folder or manifest cannot be read as any supported layout."""


class OutputExistsError(NnunetWmhError):
    """An output exists and ``overwrite`` was not given (nothing was written).

    Every command refuses an existing output with the same message: ``PATH exists; pass `overwrite` to
    replace it``.
    """

    def __init__(self, path: str | os.PathLike[str], message: str | None = None) -> None:
        self.path = str(path)
        super().__init__(message or f"{self.path} exists; pass `overwrite` to replace it")

    def __reduce__(self):
        return (type(self), (self.path, str(self)))


class DatasetExistsError(OutputExistsError):
    """The target nnU-Net dataset, or its id under another name, exists and ``overwrite`` was not given."""


class OutputError(NnunetWmhError):
    """An output that cannot be written: a read-only folder, a file where a folder must be, a full disk."""

    def __init__(self, path: str | os.PathLike[str], problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")

    def __reduce__(self):
        return (type(self), (self.path, self.problem))


class RegistrationError(InputDataError):
    """A registration that failed or did not converge, for one subject and image."""


class RegionTableError(NnunetWmhError):
    """A region table file that cannot be parsed."""


class ImageReadError(NnunetWmhError):
    """A file that is not a readable NIfTI image of the expected kind."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}")

    def __reduce__(self):
        return (type(self), (self.path, self.problem))


class IncompatibleDatasetError(NnunetWmhError, ValueError):
    """A trainer used on a dataset it cannot train on (e.g. modality dropout on a one-channel dataset)."""
