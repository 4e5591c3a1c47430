"""``SegmentOptions``: how ``segment`` runs the model, where the regions come from and how lesions are counted
(recorded in report.json)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nnunet_wmh.errors import UsageError
from nnunet_wmh.nnunet.folders import CHECKPOINT
from nnunet_wmh.registration import check_atlas_options, check_transform_kind
from nnunet_wmh.report.options import ReportOptions
from nnunet_wmh.runs.options import check_choice, check_trainer_paths

#: The fields of :class:`SegmentOptions` that are the report's (how lesions are counted).
REPORT_FIELDS = ("connectivity", "min_lesion_mm3", "pictures")


#: How a run in parts shares out its cases (:attr:`SegmentOptions.part_by`).
PART_BY = ("case", "participant")


@dataclass(frozen=True)
class SegmentOptions:
    """How ``segment`` runs.

    Attributes
    ----------
    folds
        Folds to ensemble (``("0",)``, ``("all",)``); None: every fold the model has.
    checkpoint
        Checkpoint file in each fold folder.
    mirroring
        nnU-Net's test-time mirroring (its default; off is about 4 to 8 times faster in 3-D).
    atlas_image, atlas_labels, region_table
        An atlas for the regions of lesion models (all three, or none: the built-in atlas).
    transform
        Atlas registration: ``rigid``, ``affine`` or ``affine+bspline``.
    layout
        Cohort layout (``wmh2017``, ``bids``, ``manifest``); None: detected.
    skip_invalid
        List subjects whose images cannot be read (or that SimpleITK cannot co-register at all) in
        ``skipped.tsv`` and go on; by default every such problem is reported at once and nothing is written.
        A registration that ends but fails its QC is not a problem but a flag (the lesion mask is written).
    trainer_paths
        Further folders with the model's trainer classes.
    connectivity, min_lesion_mm3, pictures
        How lesions are counted, and whether QC pictures and ``index.html`` are written (as ``report``).
    strict
        Refuse images given as one subject's files (``flair``, ``t1``, ``others``) that the model does not take;
        by default such images, and a cohort's, are left out with a warning recorded in report.json
        (``inputs.unused``). The command line's ``--strict`` also makes flagged cases end in exit status 3.
    part_by
        How a run in parts shares out the cases: ``case``, nnU-Net's interleaved sharding
        (``sorted(cases)[part_id::num_parts]``); ``participant``, part K is the K-th participant's cases (all its
        sessions), so ``num_parts`` is the number of participants (the BIDS-App's participant level).
    """

    folds: tuple[str, ...] | None = None
    checkpoint: str = CHECKPOINT
    mirroring: bool = True
    atlas_image: str | None = None
    atlas_labels: str | None = None
    region_table: str | None = None
    transform: str = "affine"
    layout: str | None = None
    skip_invalid: bool = False
    trainer_paths: tuple[str, ...] = ()
    connectivity: int = ReportOptions.connectivity  # the report's defaults
    min_lesion_mm3: float = ReportOptions.min_lesion_mm3
    pictures: bool = ReportOptions.pictures
    part_by: str = "case"
    strict: bool = False

    @property
    def has_atlas(self) -> bool:
        """Whether an atlas of the user's is given."""
        return self.atlas_image is not None

    @property
    def report(self) -> ReportOptions:
        """How the report measures the segmented cases."""
        return ReportOptions(**{name: getattr(self, name) for name in REPORT_FIELDS})

    def recorded(self, device: str) -> dict[str, Any]:
        """What report.json records of the run (besides the report's own options)."""
        values = {name: getattr(self, name) for name in ("folds", "checkpoint")}
        values["device"] = device
        for name in ("mirroring", "atlas_image", "atlas_labels", "region_table", "transform", "layout",
                     "skip_invalid", "trainer_paths", "part_by"):  # fmt: skip
            values[name] = getattr(self, name)
        return values

    def check(self) -> None:
        """Raise UsageError for a bad value (naming the field)."""
        check_atlas_options(self.atlas_image, self.atlas_labels, self.region_table)
        check_transform_kind(self.transform)
        check_choice("part_by", self.part_by, PART_BY)
        check_trainer_paths(self.trainer_paths)
        if self.folds is not None and (not self.folds or any(not (f.isdigit() or f == "all") for f in self.folds)):
            raise UsageError(f"`folds` must be fold numbers or 'all', got {self.folds}", "folds")
        self.report.check()
