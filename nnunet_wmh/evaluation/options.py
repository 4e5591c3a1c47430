"""``EvaluateOptions``: how ``evaluate`` reads the labels of predictions and references."""

from __future__ import annotations

import os
from dataclasses import dataclass

from nnunet_wmh.runs.options import check_threshold


@dataclass(frozen=True)
class EvaluateOptions:
    """How ``evaluate`` reads predictions and references.

    Attributes
    ----------
    dataset_json
        dataset.json of the nnU-Net dataset the labels follow (nnU-Net labels with ``ignore``, or the joint
        labels of a multitask dataset); None: the challenge's 0/1/2.
    conversion_tsv
        ``conversion.tsv`` of ``convert``: adds subject, session, site and input variant to every case.
    threshold
        Float predictions: lesion where ``threshold`` ≤ value ≤ 1000; strictly between 0 and 1.
    """

    dataset_json: str | os.PathLike[str] | None = None
    conversion_tsv: str | os.PathLike[str] | None = None
    threshold: float = 0.5

    def check(self) -> None:
        """Raise UsageError for a value out of range (naming the field)."""
        check_threshold(self.threshold)
