"""``SegmentOptions``: how ``segment`` runs the model and where the regions come from (recorded in report.json)."""

from __future__ import annotations

from dataclasses import dataclass, field

from nnunet_wmh.errors import UsageError
from nnunet_wmh.nnunet.device import check_device
from nnunet_wmh.nnunet.model import CHECKPOINT
from nnunet_wmh.registration import TRANSFORM_KINDS
from nnunet_wmh.report.options import ReportOptions


@dataclass(frozen=True)
class SegmentOptions:
    """How ``segment`` runs.

    Attributes
    ----------
    folds
        Folds to ensemble (``("0",)``, ``("all",)``); None: every fold the model has.
    checkpoint
        Checkpoint file in each fold folder.
    device
        ``auto`` (GPU when torch sees one), ``cpu`` or ``cuda``.
    mirroring
        nnU-Net's test-time mirroring (its default; off is about 4 to 8 times faster in 3-D).
    atlas_image, atlas_labels, region_table
        An atlas for the regions of lesion models (all three, or none: the built-in atlas).
    transform
        Atlas registration: ``rigid``, ``affine`` or ``affine+bspline``.
    layout
        Cohort layout (``wmh2017``, ``bids``, ``manifest``); None: detected.
    skip_invalid
        List subjects whose images cannot be read or registered in ``skipped.tsv`` and go on; by default
        every such problem is reported at once and nothing is written.
    trainer_paths
        Further folders with the model's trainer classes.
    report
        How lesions are counted and located.
    """

    folds: tuple[str, ...] | None = None
    checkpoint: str = CHECKPOINT
    device: str = "auto"
    mirroring: bool = True
    atlas_image: str | None = None
    atlas_labels: str | None = None
    region_table: str | None = None
    transform: str = "affine"
    layout: str | None = None
    skip_invalid: bool = False
    trainer_paths: tuple[str, ...] = ()
    report: ReportOptions = field(default_factory=ReportOptions)

    @property
    def has_atlas(self) -> bool:
        """Whether an atlas of the user's is given."""
        return self.atlas_image is not None

    def check(self) -> None:
        """Raise UsageError for a bad value (naming the field)."""
        atlas = (self.atlas_image, self.atlas_labels, self.region_table)
        if any(a is not None for a in atlas) and any(a is None for a in atlas):
            raise UsageError("give `atlas_image`, `atlas_labels` and `region_table` together (or none)", "atlas_image")
        check_device(self.device)
        if self.transform not in TRANSFORM_KINDS:
            raise UsageError(f"`transform` must be one of {', '.join(TRANSFORM_KINDS)}, got {self.transform!r}",
                             "transform")  # fmt: skip
        if self.folds is not None and (not self.folds or any(not (f.isdigit() or f == "all") for f in self.folds)):
            raise UsageError(f"`folds` must be fold numbers or 'all', got {self.folds}", "folds")
        self.report.check()
