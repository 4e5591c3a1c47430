"""Exception hierarchy of nnunet_wmh.

Every error the library raises on purpose derives from :class:`NnunetWmhError`, so a caller (and the CLI)
can catch one type. Messages name the subject and the file, what was expected and what was found.
"""

from __future__ import annotations

from collections.abc import Sequence


class NnunetWmhError(Exception):
    """Base class of all nnunet_wmh errors."""


class UsageError(NnunetWmhError):
    """Options that cannot work together, or a setting that is missing (the CLI exits with 2)."""


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


class DatasetExistsError(NnunetWmhError):
    """The target nnU-Net dataset (or its id under another name) exists and ``overwrite`` was not given."""


class RegistrationError(InputDataError):
    """A registration that failed or did not converge, for one subject and image."""


class OutputExistsError(NnunetWmhError):
    """An output file exists and ``overwrite`` was not given (nothing was written)."""


class RegionTableError(NnunetWmhError):
    """A region table file that cannot be parsed."""


class ImageReadError(NnunetWmhError):
    """A file that is not a readable NIfTI image."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}")

    def __reduce__(self):
        return (type(self), (self.path, self.problem))


class IncompatibleDatasetError(NnunetWmhError, ValueError):
    """A trainer used on a dataset it cannot train on (e.g. modality dropout on a one-channel dataset)."""
