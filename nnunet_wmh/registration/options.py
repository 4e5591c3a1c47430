"""``RegionsOptions``: which atlas ``regions`` registers, to which image of each subject, and how."""

from __future__ import annotations

import os
from dataclasses import dataclass

from nnunet_wmh.registration import check_atlas_options, check_transform_kind
from nnunet_wmh.runs.options import check_choice

#: The subject image registered to the atlas: the T1 (FLAIR where there is none) or the FLAIR.
MODALITY_CHOICES = ("t1", "flair")


@dataclass(frozen=True)
class RegionsOptions:
    """How ``regions`` runs.

    Attributes
    ----------
    atlas_image, atlas_labels, region_table
        The atlas: template image, region labels on its grid, their names (all three, or none: the built-in
        MNI152 white matter parcellation).
    layout
        Cohort layout (``wmh2017``, ``bids``, ``manifest``); None: detected.
    modality
        Subject image registered to the atlas: ``t1`` (falls back to FLAIR for subjects without T1) or
        ``flair``.
    transform
        ``rigid``, ``affine`` (default) or ``affine+bspline``.
    skip_invalid
        Write the maps of the subjects that succeed and list the others, instead of writing nothing.
    wm_mask
        One image only: keep labels inside this mask on the subject's grid (off by default: WMH are dark on
        T1 and fall out of T1-based white matter masks).
    """

    atlas_image: str | os.PathLike[str] | None = None
    atlas_labels: str | os.PathLike[str] | None = None
    region_table: str | os.PathLike[str] | None = None
    layout: str | None = None
    modality: str = "t1"
    transform: str = "affine"
    skip_invalid: bool = False
    wm_mask: str | os.PathLike[str] | None = None

    @property
    def has_atlas(self) -> bool:
        """Whether an atlas of the user's is given (else the built-in one)."""
        return self.atlas_image is not None

    def check(self) -> None:
        """Raise UsageError for a bad value (naming the field)."""
        check_atlas_options(self.atlas_image, self.atlas_labels, self.region_table)
        check_transform_kind(self.transform)
        check_choice("modality", self.modality, MODALITY_CHOICES)
