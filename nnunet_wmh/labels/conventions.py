"""How lesions, ignored voxels and regions are read from reference and predicted label maps.

Three conventions:

``challenge`` (no dataset.json)
    The WMH 2017 challenge's ``wmh.nii.gz``: 0 background, 1 WMH, 2 other pathology. Predictions are
    binarised as the official evaluation does it: an integer image has lesion where 1 ≤ value ≤ 1000, a
    float image (or a probability map) where ``threshold`` ≤ value ≤ 1000.
``labels`` (dataset.json of a lesion dataset made by ``convert``, or any nnU-Net dataset)
    Lesion = every label of dataset.json except ``background`` and ``ignore``; the ``ignore`` label (if
    any) plays the part of other pathology. Integer predictions have lesion where they hold a lesion
    label; float predictions are thresholded as above.
``joint`` (dataset.json of ``convert --mode multitask``)
    Reference and prediction are both decoded with :func:`~nnunet_wmh.labels.joint.decode_joint_labels`:
    lesion = any lesion label, regions = the region of every voxel.

In every convention the prediction is removed where the reference is ignored (other pathology), and the
reference's labels are identified by value whatever its data type (a float image must hold whole numbers).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from nnunet_wmh.errors import UsageError
from nnunet_wmh.labels.dataset_json import JOINT_ENCODINGS, encoding_name, joint_encoding, read_dataset_json
from nnunet_wmh.labels.joint import JointEncoding, decode_joint_labels

ConventionKind = Literal["challenge", "labels", "joint"]

#: Challenge label values.
CHALLENGE_LESION, CHALLENGE_OTHER_PATHOLOGY = 1, 2
#: Every value of a challenge label map (0 background).
CHALLENGE_LABEL_VALUES = frozenset({0, CHALLENGE_LESION, CHALLENGE_OTHER_PATHOLOGY})
#: Largest predicted value that counts as lesion (as in the official evaluation).
PREDICTION_UPPER_BOUND = 1000
#: A float reference voxel must be this close to a whole number.
INTEGRAL_TOLERANCE = 1e-3


class LabelValueError(ValueError):
    """A label map holds values the convention does not define (the caller adds subject and file)."""


@dataclass(frozen=True)
class ReferenceLabels:
    """A reference label map, split.

    Attributes
    ----------
    lesion
        Boolean lesion mask, shape (X, Y, Z).
    ignore
        Boolean mask of voxels left out of the evaluation (other pathology).
    regions
        Region ids (0 outside every region), or None without regions.
    """

    lesion: np.ndarray
    ignore: np.ndarray
    regions: np.ndarray | None


@dataclass(frozen=True)
class PredictedLabels:
    """A prediction, binarised and with ignored voxels removed.

    Attributes
    ----------
    lesion
        Boolean lesion mask, shape (X, Y, Z).
    regions
        Region ids, 0 where the reference is ignored, or None without regions.
    """

    lesion: np.ndarray
    regions: np.ndarray | None


def whole_number_labels(values: np.ndarray) -> np.ndarray:
    """Integer labels of a label map stored as integers or floats (uint8 where the values allow it).

    Raises
    ------
    LabelValueError
        If a float map holds values farther than 1e-3 from a whole number (or NaN).
    """
    if values.dtype.kind in "iub":
        return values
    rounded = np.rint(values)
    if not np.array_equal(values, rounded):  # slower check only for maps that are not exact integers
        gap = float(np.max(np.abs(values - rounded))) if values.size else 0.0
        if not gap <= INTEGRAL_TOLERANCE:  # also catches NaN
            raise LabelValueError("holds fractional values; a label map must hold whole numbers")
    if values.size and float(rounded.min()) >= 0 and float(rounded.max()) <= 255:
        return rounded.astype(np.uint8)
    return rounded.astype(np.int64)


def _check_values(values: np.ndarray, allowed: tuple[int, ...], what: str, hint: str = "") -> None:
    if values.size == 0:
        return
    low, high = int(values.min()), int(values.max())
    if allowed == tuple(range(allowed[0], allowed[-1] + 1)) and allowed[0] <= low and high <= allowed[-1]:
        return  # the common case, two passes: a contiguous label range
    unknown = np.unique(values[~np.isin(values, allowed)])
    if unknown.size:
        shown = ", ".join(str(v) for v in unknown[:8].tolist()) + (", ..." if unknown.size > 8 else "")
        raise LabelValueError(f"holds value(s) {shown}, not {what} {tuple(allowed)}{hint}")


def _threshold_float(values: np.ndarray, threshold: float) -> np.ndarray:
    return (values >= threshold) & (values <= PREDICTION_UPPER_BOUND)


@dataclass(frozen=True)
class LabelConvention:
    """Which values of reference and prediction are lesion, ignored, or a region.

    Build with :meth:`challenge` or :meth:`from_dataset_json`.

    Attributes
    ----------
    kind
        ``"challenge"``, ``"labels"`` or ``"joint"``.
    lesion_values
        Label values that are lesion (``challenge`` and ``labels``).
    ignore_value
        Label value of ignored voxels, or None.
    encoding
        The joint encoding (``joint`` only).
    source
        Where the convention comes from, for messages and provenance.
    """

    kind: ConventionKind
    lesion_values: tuple[int, ...]
    ignore_value: int | None
    encoding: JointEncoding | None = None
    source: str = "WMH 2017 challenge labels"

    @classmethod
    def challenge(cls) -> LabelConvention:
        """0 background, 1 lesion, 2 other pathology."""
        return cls("challenge", (CHALLENGE_LESION,), CHALLENGE_OTHER_PATHOLOGY)

    @classmethod
    def from_dataset_json(cls, path: str | os.PathLike[str], *, parameter: str = "dataset_json") -> LabelConvention:
        """The convention of an nnU-Net dataset.json (``joint`` for a multitask dataset of ``convert``).

        Raises
        ------
        UsageError
            If the file cannot be read or its labels define no lesion (names ``parameter``).
        """
        return cls.of_dataset(read_dataset_json(path, parameter=parameter), path, parameter=parameter)

    @classmethod
    def of_dataset(
        cls, dataset_json: Mapping[str, Any], path: str | os.PathLike[str], *, parameter: str = "dataset_json"
    ) -> LabelConvention:
        """The convention of a dataset.json already read from ``path`` (see :meth:`from_dataset_json`)."""
        encoding = encoding_name(dataset_json)
        if encoding == "regions":
            raise UsageError(
                f"`{parameter}` {path}: a region-only dataset (convert mode regions) has no lesion label", parameter
            )
        if encoding in JOINT_ENCODINGS:
            joint = joint_encoding(dataset_json, path, parameter=parameter)
            lesion = tuple(range(joint.regions.count + 1, joint.outside_label + 1))
            return cls("joint", lesion, joint.ignore_label, joint, source=str(path))
        return cls("labels", *_lesion_and_ignore(dataset_json["labels"], Path(path), parameter), source=str(path))

    @property
    def reference_values(self) -> tuple[int, ...]:
        """Every value a reference label map may hold."""
        if self.encoding is not None:
            highest = self.encoding.ignore_label or self.encoding.outside_label
            return tuple(range(highest + 1))
        ignore = () if self.ignore_value is None else (self.ignore_value,)
        return tuple(sorted({0, *self.lesion_values, *ignore}))

    @property
    def has_regions(self) -> bool:
        """Whether reference and prediction carry region labels."""
        return self.encoding is not None

    def describe(self) -> dict[str, Any]:
        """Plain description for provenance files."""
        return {
            "kind": self.kind,
            "lesion_values": list(self.lesion_values),
            "ignore_value": self.ignore_value,
            "source": self.source,
        }

    def explain(self) -> str:
        """One line for people: which labels are lesion and which are left out."""
        if self.kind == "challenge":
            return "challenge labels: 1 = WMH, 2 = other pathology (not evaluated)"
        if self.encoding is not None:
            ignored = "" if self.ignore_value is None else f", {self.ignore_value} = ignore"
            return f"joint lesion x region labels of {self.source} ({self.encoding.regions.count} regions{ignored})"
        ignored = "" if self.ignore_value is None else f", {self.ignore_value} = ignore (not evaluated)"
        lesion = ", ".join(str(v) for v in self.lesion_values)
        return f"labels of {self.source}: {lesion} = lesion{ignored}"

    def prediction_warnings(self, values: np.ndarray) -> tuple[str, ...]:
        """Oddities of a prediction read with the challenge convention, worth a look: the official evaluation
        gives them a meaning (lesion = 1..1000, everything else background), so they are not errors.

        * an integer map with many label values (a multitask map needs its dataset.json);
        * values outside 0..1000 (negative, or above the lesion range: counted as background).
        """
        if self.kind != "challenge" or values.size == 0 or values.dtype.kind == "b":
            return ()
        warnings = []
        low, high = values.min(), values.max()
        if low < 0 or high > PREDICTION_UPPER_BOUND:
            warnings.append(
                f"prediction holds values {low:g}..{high:g}, outside 0..{PREDICTION_UPPER_BOUND}; as in the official "
                "evaluation, only 1..1000 (floats: threshold..1000) count as lesion"
            )
        if values.dtype.kind in "iu" and high > 1:
            distinct = np.unique(values)
            if distinct.size > 2:
                warnings.append(
                    f"prediction holds {distinct.size} label values ({distinct.min()}..{distinct.max()}); every "
                    "value 1..1000 counts as lesion. For a multitask model give its dataset.json (`dataset_json`)"
                )
        return tuple(warnings)

    def read_reference(self, values: np.ndarray) -> ReferenceLabels:
        """Split a reference label map (any dtype) into lesion, ignore and regions.

        Raises
        ------
        LabelValueError
            If it holds fractional values or values the convention does not define.
        """
        labels = whole_number_labels(np.asarray(values))
        hint = "; give the dataset.json these labels follow (`dataset_json`)" if self.kind == "challenge" else ""
        what = {"challenge": "the challenge labels", "labels": "the dataset's labels", "joint": "the joint labels"}
        _check_values(labels, self.reference_values, f"one of {what[self.kind]}", hint)
        if self.encoding is not None:
            decoded = decode_joint_labels(labels, self.encoding)
            return ReferenceLabels(decoded.lesion, decoded.ignore, decoded.regions)
        ignore = labels == self.ignore_value if self.ignore_value is not None else np.zeros(labels.shape, bool)
        return ReferenceLabels(self._is_lesion_label(labels), ignore, None)

    def read_prediction(
        self, values: np.ndarray, ignore: np.ndarray | None = None, *, threshold: float = 0.5
    ) -> PredictedLabels:
        """Binarise a prediction and remove it where the reference is ignored.

        Parameters
        ----------
        values
            Predicted labels (integer image) or lesion probabilities (float image), shape (X, Y, Z).
        ignore
            The reference's ignore mask (None: nothing is ignored).
        threshold
            Float images: lesion where ``threshold`` ≤ value ≤ 1000.

        Raises
        ------
        LabelValueError
            If the prediction holds values it cannot hold: negative values, float values that are neither
            probabilities (0..1) nor whole numbers, integer labels the convention does not define, or (joint
            labels) values outside the encoding.
        """
        values = np.asarray(values)
        self.check_prediction_values(values)
        if self.encoding is not None:
            labels = whole_number_labels(values)
            try:
                decoded = decode_joint_labels(labels, self.encoding)
            except ValueError as exc:
                raise LabelValueError(str(exc)) from exc
            if ignore is None:
                return PredictedLabels(decoded.lesion, decoded.regions)
            return PredictedLabels(decoded.lesion & ~ignore, np.where(ignore, 0, decoded.regions))
        if values.dtype.kind == "f":
            lesion = _threshold_float(values, threshold)
        elif values.dtype.kind == "b":
            lesion = values.copy()
        elif self.kind == "challenge":
            lesion = values >= 1
            if np.iinfo(values.dtype).max > PREDICTION_UPPER_BOUND:
                lesion &= values <= PREDICTION_UPPER_BOUND
        else:
            lesion = self._is_lesion_label(values)
        return PredictedLabels(lesion if ignore is None else lesion & ~ignore, None)

    def check_prediction_values(self, values: np.ndarray) -> None:
        """Raise LabelValueError for values no prediction of a dataset.json's labels holds: negative values,
        float values that are neither probabilities (0..1) nor whole numbers, integer labels the dataset does not
        define. Challenge labels follow the official evaluation instead (see :meth:`prediction_warnings`); joint
        labels are checked when they are decoded."""
        if self.kind != "labels" or values.size == 0 or values.dtype.kind == "b":
            return
        low = values.min()
        if low < 0:
            raise LabelValueError(f"holds negative values (minimum {low:g}); expected labels or probabilities 0..1")
        if values.dtype.kind == "f":
            beyond_one = values[values > 1]
            if beyond_one.size and not np.array_equal(beyond_one, np.rint(beyond_one)):
                raise LabelValueError("holds fractional values above 1: neither probabilities (0..1) nor labels")
            return
        _check_values(values, tuple(sorted({0, *self.lesion_values})), "one of the dataset's lesion labels")

    def _is_lesion_label(self, labels: np.ndarray) -> np.ndarray:
        if len(self.lesion_values) == 1:
            return labels == self.lesion_values[0]
        return np.isin(labels, self.lesion_values)


def _lesion_and_ignore(labels: Mapping[str, Any], path: Path, parameter: str) -> tuple[tuple[int, ...], int | None]:
    ignore = labels.get("ignore")
    lesion: set[int] = set()
    try:
        for name, value in labels.items():
            if name in ("background", "ignore"):
                continue
            lesion.update(int(v) for v in (value if isinstance(value, list | tuple) else [value]))
        ignore_value = None if ignore is None else int(ignore)
    except (TypeError, ValueError):
        raise UsageError(f"`{parameter}` {path}: its labels {dict(labels)} are not whole numbers", parameter) from None
    lesion.discard(0)
    if not lesion:
        raise UsageError(f"`{parameter}` {path}: its labels {dict(labels)} define no lesion label", parameter)
    return tuple(sorted(lesion)), ignore_value
