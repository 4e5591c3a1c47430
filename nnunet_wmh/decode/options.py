"""``DecodeOptions``: where ``decode`` writes, which dataset.json it follows, and its sigmoid threshold."""

from __future__ import annotations

import os
from dataclasses import dataclass

from nnunet_wmh.runs.options import check_threshold


@dataclass(frozen=True)
class DecodeOptions:
    """How ``decode`` runs.

    Attributes
    ----------
    out
        Output folder; None: ``PRED_DIR/joint``. Refused if it exists, unless ``overwrite``; replaced only once
        every case is decoded.
    dataset_json
        The multitask dataset.json; None: ``PRED_DIR/dataset.json`` (written by nnU-Net).
    threshold
        Sigmoid threshold of the separate encoding, strictly between 0 and 1.
    """

    out: str | os.PathLike[str] | None = None
    dataset_json: str | os.PathLike[str] | None = None
    threshold: float = 0.5

    def check(self) -> None:
        """Raise UsageError for a value out of range (naming the field)."""
        check_threshold(self.threshold)
