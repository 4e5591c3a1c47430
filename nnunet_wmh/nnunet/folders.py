"""nnU-Net's three folders (``nnUNet_raw``, ``nnUNet_preprocessed``, ``nnUNet_results``) and the environment
its commands read.

The folders come from the arguments of a command, else from nnU-Net's environment variables, read when the
command runs (never at import).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from nnunet_wmh.errors import UsageError
from nnunet_wmh.nnunet.trainer_search import TRAINER_PATH_VARIABLE, trainer_search_path

RAW, PREPROCESSED, RESULTS = "nnUNet_raw", "nnUNet_preprocessed", "nnUNet_results"
#: The checkpoint a finished training leaves in each ``fold_X`` folder of a model.
CHECKPOINT = "checkpoint_final.pth"


def resolve_folder(
    value: str | os.PathLike[str] | None, variable: str, *, parameter: str, required: bool
) -> Path | None:
    """The folder given as ``parameter``, else nnU-Net's environment ``variable`` (read now), else None.

    Raises
    ------
    UsageError
        Neither is set and the folder is ``required``.
    """
    if value is not None:
        return Path(value).expanduser().absolute()
    from_environment = os.environ.get(variable)
    if from_environment:
        return Path(from_environment).expanduser().absolute()
    if required:
        raise UsageError(f"{variable} is not set; pass `{parameter}` or export {variable}", parameter)
    return None


@dataclass(frozen=True)
class NnunetFolders:
    """nnU-Net's raw folder and, where known, its preprocessed and results folders."""

    raw: Path
    preprocessed: Path | None = None
    results: Path | None = None

    @classmethod
    def inside(cls, root: Path) -> NnunetFolders:
        """``root/nnUNet_raw``, ``root/nnUNet_preprocessed``, ``root/nnUNet_results`` (a study's, the demo's)."""
        return cls(root / RAW, root / PREPROCESSED, root / RESULTS)

    @classmethod
    def resolve(
        cls,
        raw: str | os.PathLike[str] | None,
        preprocessed: str | os.PathLike[str] | None = None,
        results: str | os.PathLike[str] | None = None,
        *,
        raw_parameter: str = "out",
    ) -> NnunetFolders:
        """From the arguments, else ``$nnUNet_raw``, ``$nnUNet_preprocessed``, ``$nnUNet_results``.

        Raises
        ------
        UsageError
            No raw folder given and ``nnUNet_raw`` unset (naming ``raw_parameter``).
        """
        found = resolve_folder(raw, RAW, parameter=raw_parameter, required=True)
        assert found is not None, "a required folder is found or refused"
        return cls(
            found,
            resolve_folder(preprocessed, PREPROCESSED, parameter="preprocessed", required=False),
            resolve_folder(results, RESULTS, parameter="results", required=False),
        )

    def others(self) -> dict[str, Path | None]:
        """``{variable: folder}`` of the preprocessed and results folders."""
        return {PREPROCESSED: self.preprocessed, RESULTS: self.results}

    def environment(self, *, jobs: int, trainer_paths: Sequence[str | os.PathLike[str]] = ()) -> dict[str, str]:
        """The variables nnU-Net's commands read: its folders, ``nnUNet_extTrainer``, worker counts, no compile."""
        return {
            RAW: str(self.raw),
            PREPROCESSED: str(self.preprocessed),
            RESULTS: str(self.results),
            TRAINER_PATH_VARIABLE: trainer_search_path(trainer_paths),
            "nnUNet_def_n_proc": str(jobs),
            "nnUNet_n_proc_DA": str(max(1, jobs - 1)),
            "nnUNet_compile": "false",
        }
