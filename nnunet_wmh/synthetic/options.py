"""``SynthOptions``: what ``synth`` makes (frozen, checked; recorded in ``synth.json``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from nnunet_wmh.errors import UsageError
from nnunet_wmh.modalities import parse_modalities
from nnunet_wmh.runs.options import DEFAULT_SEED, check_choice

Layout = Literal["wmh2017", "bids"]
#: The layouts ``synth`` writes (``convert`` reads both).
SYNTH_LAYOUTS = ("wmh2017", "bids")
Size = Literal["full", "small"]
#: ``full``: each site's real grid; ``small``: the same field of view on a grid 4×4×2 times coarser.
SIZES = ("full", "small")
#: The acquisitions ``synth`` makes: the challenge's grids, clinical 2-D FLAIR, and the same with a 3-D T1
#: (:mod:`~nnunet_wmh.synthetic.clinical`).
ACQUISITIONS = ("challenge", "clinical2d", "clinical2d_t1")
#: The anatomies subjects are drawn from (:mod:`~nnunet_wmh.synthetic.anatomy`,
#: :mod:`~nnunet_wmh.synthetic.mni_anatomy`).
ANATOMIES = ("phantom", "mni152")
#: The contrasts ``synth`` can make: FLAIR and T1 always, T2 and PD on request.
SYNTH_MODALITIES = ("flair", "t1", "t2", "pd")


def synth_modalities(modalities: str | Sequence[str] | None) -> tuple[str, ...]:
    """FLAIR, T1 and the other contrasts asked for, in :data:`SYNTH_MODALITIES` order.

    Raises
    ------
    UsageError
        A modality ``synth`` does not make (it makes flair, t1, t2, pd).
    """
    asked = parse_modalities(modalities) if modalities else ()
    unsupported = [m for m in asked if m not in SYNTH_MODALITIES]
    if unsupported:
        raise UsageError(
            f"`modalities` {', '.join(unsupported)}: synth makes {', '.join(SYNTH_MODALITIES)}", "modalities"
        )
    return tuple(m for m in SYNTH_MODALITIES if m in ("flair", "t1", *asked))


@dataclass(frozen=True)
class SynthOptions:
    """What a synthetic cohort holds.

    Attributes
    ----------
    subjects
        Number of training subjects (``wmh2017``: spread over Utrecht, Singapore, Amsterdam/GE3T in turn;
        ``bids``: ``sub-001``...).
    seed
        Seed; the same seed gives the same voxels.
    layout
        ``wmh2017``: ``training/<site>/<id>/pre/{FLAIR,T1}.nii.gz``, ``wmh.nii.gz``, ``regions.nii.gz``,
        ``aseg.nii.gz`` (FreeSurfer-style anatomy: lateral ventricles 4 / 43, ...), ``pitfalls.nii.gz`` (where
        the FLAIR pitfalls of :mod:`~nnunet_wmh.synthetic.pitfalls` are, codes in ``pitfalls.tsv``) (and
        ``test/`` for ``test_subjects``). ``bids``: ``sub-X[/ses-Y]/anat`` images and ``derivatives/synth``
        lesion, region and anatomy (``desc-aseg_dseg``) maps.
    size
        ``full``: each site's real grid (Utrecht 240×240×48 at 0.958×0.958×3 mm, ...); ``small``: the same
        field of view on a grid 4×4×2 times coarser, for fast tests.
    test_subjects
        ``wmh2017`` only: subjects written to ``test/`` (sites Utrecht, Singapore, GE3T, GE1T5, Philips_VU in
        turn).
    sessions
        ``bids`` only: sessions per subject (``ses-01``...); 1 writes no session level. With more, the sessions
        are visits of one head: the baseline's grid with the head moved a little at each follow-up
        (:mod:`~nnunet_wmh.synthetic.visits`), lesions that evolve by the model of
        :mod:`~nnunet_wmh.synthetic.longitudinal`, and the truth of the change written next to the images
        (:mod:`~nnunet_wmh.synthetic.change_truth`).
    sites
        Only these sites (folder names, e.g. ``["Utrecht"]``), for training and test subjects alike.
    modalities
        FLAIR and T1 are always written; ``t2`` and ``pd`` add ``pre/T2.nii.gz``, ``pre/PD.nii.gz`` (BIDS
        ``_T2w``, ``_PDw``): the same anatomy and lesions in their own contrasts. FLAIR and T1 are the same with
        or without them.
    acquisition
        ``challenge``: the challenge sites' grids (above). ``clinical2d``: clinical 2-D FLAIR only, thick
        slices (16–30 of 5–8 mm, 0.45–0.5 mm pixels), skull-stripped, int16, LPS, heavy lesion loads;
        ``clinical2d_t1``: the same plus a 3-D T1 on its own 1 mm grid (:mod:`~nnunet_wmh.synthetic.clinical`).
    anatomy
        ``phantom``: the analytic brain of :mod:`~nnunet_wmh.synthetic.anatomy` (16 regions, FLAIR pitfalls).
        ``mni152``: nilearn's MNI152 template's brain (:mod:`~nnunet_wmh.synthetic.mni_anatomy`): each
        subject is the template through its own affine and smooth displacement, its true regions are the
        built-in atlas's 31, so the built-in atlas registers to it (no FLAIR pitfalls; about 15 s more per
        run to build the tissue maps).
    """

    subjects: int
    seed: int = DEFAULT_SEED
    layout: Layout = "wmh2017"
    size: Size = "full"
    test_subjects: int = 0
    sessions: int = 1
    sites: Sequence[str] | None = None
    modalities: str | Sequence[str] | None = None
    acquisition: str = "challenge"
    anatomy: str = "phantom"

    def check(self) -> tuple[str, ...]:
        """Raise UsageError for values out of range or options that do not fit together; return the
        modalities to write."""
        check_choice("layout", self.layout, SYNTH_LAYOUTS)
        check_choice("size", self.size, SIZES)
        for name, lowest in (("subjects", 1), ("test_subjects", 0), ("sessions", 1)):
            if getattr(self, name) < lowest:
                raise UsageError(f"`{name}` must be at least {lowest}, got {getattr(self, name)}", name)
        if self.layout == "bids" and self.test_subjects:
            raise UsageError(
                "`test_subjects` works with the wmh2017 `layout`; for BIDS, synthesize a second cohort with "
                "another `seed` and convert it as the test source",
                "test_subjects",
            )
        if self.layout == "wmh2017" and self.sessions != 1:
            raise UsageError("`sessions` works with the bids `layout` only", "sessions")
        check_choice("acquisition", self.acquisition, ACQUISITIONS)
        check_choice("anatomy", self.anatomy, ANATOMIES)
        modalities = synth_modalities(self.modalities)
        if self.acquisition != "challenge" and len(modalities) > 2:
            raise UsageError(
                f"`modalities` t2/pd: the {self.acquisition} `acquisition` makes FLAIR (and T1)", "modalities"
            )
        return modalities
