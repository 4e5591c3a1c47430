"""Reading an nnU-Net ``dataset.json``: its labels, and the ``nnunet_wmh`` block that ``convert`` adds."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nnunet_wmh.errors import UsageError
from nnunet_wmh.labels.joint import JointEncoding

#: Encodings of the ``nnunet_wmh`` block whose label files hold joint lesion × region labels.
JOINT_ENCODINGS = ("joint", "separate")


def read_dataset_json(path: str | os.PathLike[str], *, parameter: str = "dataset_json") -> dict[str, Any]:
    """Read a dataset.json that must at least hold nnU-Net's ``labels``.

    Raises
    ------
    UsageError
        If the file is missing, not JSON, or not an nnU-Net dataset.json (names ``parameter``).
    """
    path = Path(path)
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"`{parameter}` {path}: cannot be read ({exc.strerror})", parameter) from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise UsageError(f"`{parameter}` {path}: not valid JSON ({exc})", parameter) from exc
    if not isinstance(content, dict) or not isinstance(content.get("labels"), dict):
        raise UsageError(f"`{parameter}` {path}: not an nnU-Net dataset.json (no 'labels' mapping)", parameter)
    if not isinstance(content.get("nnunet_wmh", {}), dict):
        raise UsageError(f"`{parameter}` {path}: its 'nnunet_wmh' entry is not a mapping", parameter)
    return content


def encoding_name(dataset_json: Mapping[str, Any]) -> str | None:
    """The label encoding ``convert`` recorded (``lesion``, ``joint``, ``separate``, ``regions``), or None."""
    return dataset_json.get("nnunet_wmh", {}).get("encoding")


def joint_encoding(dataset_json: Mapping[str, Any], path: str | os.PathLike[str], *, parameter: str) -> JointEncoding:
    """The joint encoding of a multitask dataset.json.

    Raises
    ------
    UsageError
        If the dataset is not a multitask dataset of ``convert``, or its ``nnunet_wmh`` block is damaged.
    """
    if encoding_name(dataset_json) not in JOINT_ENCODINGS:
        raise UsageError(
            f"`{parameter}` {path} is not a multitask dataset.json of nnunet_wmh convert (encoding "
            f"{encoding_name(dataset_json)!r}, expected one of {', '.join(JOINT_ENCODINGS)})",
            parameter,
        )
    try:
        return JointEncoding.from_dataset_json(dataset_json)
    except (KeyError, TypeError, ValueError) as exc:
        raise UsageError(f"`{parameter}` {path}: its region list is damaged ({exc!r})", parameter) from exc
