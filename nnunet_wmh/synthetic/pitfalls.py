"""FLAIR pitfalls that T1 resolves: three rules that make a synthetic subject mislead a FLAIR-only model.

Each rule is drawn per subject from the cohort's seed (deterministic) and painted after the anatomy and
the lesions; a true lesion always wins where a pitfall overlaps it. The codes of :data:`PITFALL_NAMES` are
written per subject as ``pitfalls.nii.gz`` so that false positives can be traced to their cause.

(a) ``cortical_spot``: 4 + Poisson(8) ellipsoids of 2.5–5.5 mm radius centred in the cortex or at the
    grey/white junction (normalised brain radius :data:`SPOT_RADIUS_RANGE`). Inside grey or white matter their FLAIR is
    :data:`SPOT_FLAIR` (as bright as a lesion, where FLAIR's grey/white contrast is low) and their T1 is left
    unchanged (normal cortex or white matter on T1). Ground truth: background.
(b) ``ventricle_artefact``: an ependymal band ``band_mm`` (0.8–1.8 mm) thick around the lateral ventricles,
    in the tissue outside them, plus 1–3 flow-artefact patches inside the ventricles. FLAIR
    :data:`BAND_FLAIR` / :data:`FLOW_FLAIR`, T1 unchanged (white matter and CSF on T1). Ground truth:
    background.
(c) ``faint_lesion``: a share :data:`FAINT_SHARE` of the deep lesions and :data:`CAP_FAINT_SHARE` of the
    periventricular caps have weak FLAIR contrast (:data:`FAINT_LESION_INTENSITY`: FLAIR barely above white
    matter) but clear T1 hypointensity, like older lesions. Ground truth: lesion (label 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnunet_wmh.synthetic.anatomy import (
    BRAIN_CENTER,
    BRAIN_SEMI_AXES,
    GREY_MATTER,
    VENTRICLE,
    VENTRICLE_CENTERS,
    VENTRICLE_SEMI_AXES,
    WHITE_MATTER,
    Blob,
    blob_union,
    brain_radius,
    random_rotation,
    tissue_classes,
    ventricle_radius,
)

#: Codes of the pitfall map (0: none).
CORTICAL_SPOT, VENTRICLE_ARTEFACT, FAINT_LESION = 1, 2, 3
PITFALL_NAMES = {CORTICAL_SPOT: "cortical_spot", VENTRICLE_ARTEFACT: "ventricle_artefact", FAINT_LESION: "faint_lesion"}
#: FLAIR intensity of a cortical or junctional spot (a lesion is 0.95, white matter 0.45, cortex 0.52).
SPOT_FLAIR = 0.90
#: Spots per subject: SPOT_COUNT_MIN + Poisson(SPOT_COUNT_MEAN); radius range (mm).
SPOT_COUNT_MEAN, SPOT_COUNT_MIN = 8, 4
SPOT_RADIUS_MM = (2.5, 5.5)
#: Normalised brain radius of the spot centres: from just inside the white matter limit to the outer cortex.
SPOT_RADIUS_RANGE = (0.80, 0.97)
#: FLAIR intensity of the ependymal band and of flow artefacts in the ventricles.
BAND_FLAIR, FLOW_FLAIR = 0.85, 0.70
#: Share of deep lesions that are faint on FLAIR; their (FLAIR, T1) intensity.
FAINT_SHARE = 0.5
#: Share of the periventricular caps that are faint on FLAIR.
CAP_FAINT_SHARE = 0.25
FAINT_LESION_INTENSITY = (0.55, 0.28)
#: The first lesions of :func:`~nnunet_wmh.synthetic.phantom.random_pathology` are the four ventricular caps.
CAP_COUNT = 4


@dataclass(frozen=True)
class FlairPitfalls:
    """One subject's pitfalls in template space.

    Attributes
    ----------
    spots
        Cortical and junctional FLAIR-bright spots (rule a).
    band_mm
        Thickness of the ependymal band around the ventricles (rule b; 0 for none).
    flow
        Flow-artefact patches inside the ventricles (rule b).
    faint
        Indexes into the subject's WMH blobs of the lesions that are faint on FLAIR (rule c).
    """

    spots: tuple[Blob, ...] = ()
    band_mm: float = 0.0
    flow: tuple[Blob, ...] = ()
    faint: tuple[int, ...] = ()


def _spot_centres(rng: np.random.Generator, count: int) -> np.ndarray:
    found: list[np.ndarray] = []
    low, high = SPOT_RADIUS_RANGE
    while sum(len(f) for f in found) < count:
        candidates = BRAIN_CENTER + rng.uniform(-1, 1, size=(8 * count + 16, 3)) * BRAIN_SEMI_AXES
        radius = brain_radius(candidates)
        tissue = tissue_classes(candidates)
        keep = (radius > low) & (radius < high) & np.isin(tissue, (GREY_MATTER, WHITE_MATTER))
        found.append(candidates[keep])
    return np.concatenate(found)[:count]


def draw_pitfalls(rng: np.random.Generator, wmh_count: int) -> FlairPitfalls:
    """Draw a subject's pitfalls: 4 + Poisson(8) spots, a 0.8–1.8 mm band, 1–3 flow patches, faint lesions.

    Parameters
    ----------
    rng
        The subject's generator (drawn after its lesions).
    wmh_count
        Number of the subject's WMH blobs (the first :data:`CAP_COUNT` are the caps).
    """
    spots = tuple(
        Blob(centre, rng.uniform(*SPOT_RADIUS_MM) * rng.uniform(0.8, 1.2, size=3), random_rotation(rng, 90))
        for centre in _spot_centres(rng, int(rng.poisson(SPOT_COUNT_MEAN)) + SPOT_COUNT_MIN)
    )
    band_mm = float(rng.uniform(0.8, 1.8))
    flow = []
    for _ in range(int(rng.integers(1, 4))):
        centre = VENTRICLE_CENTERS[int(rng.integers(0, 2))] + rng.uniform(-0.5, 0.5, size=3) * VENTRICLE_SEMI_AXES
        flow.append(Blob(centre, rng.uniform(2.0, 4.0, size=3), random_rotation(rng, 90)))
    shares = np.where(np.arange(wmh_count) < CAP_COUNT, CAP_FAINT_SHARE, FAINT_SHARE)
    faint = tuple(int(i) for i in np.flatnonzero(rng.random(wmh_count) < shares))
    return FlairPitfalls(spots=spots, band_mm=band_mm, flow=tuple(flow), faint=faint)


def pitfall_map(
    pitfalls: FlairPitfalls, template: np.ndarray, tissue: np.ndarray, faint_lesion: np.ndarray
) -> np.ndarray:
    """Code of :data:`PITFALL_NAMES` per template point (0: none), before true lesions are laid over it.

    Parameters
    ----------
    pitfalls
        The subject's pitfalls.
    template
        Template coordinates (N, 3) mm.
    tissue
        Tissue class per point (N,).
    faint_lesion
        Points of faint lesions (N,) bool, already restricted to where they are the lesion shown.
    """
    codes = np.zeros(len(template), dtype=np.uint8)
    brain_tissue = np.isin(tissue, (GREY_MATTER, WHITE_MATTER))
    codes[blob_union(pitfalls.spots, template) & brain_tissue] = CORTICAL_SPOT
    if pitfalls.band_mm > 0:
        band = (ventricle_radius(template, pitfalls.band_mm) < 1.0) & (tissue != VENTRICLE)
        codes[band & (tissue == WHITE_MATTER)] = VENTRICLE_ARTEFACT
    codes[blob_union(pitfalls.flow, template) & (tissue == VENTRICLE)] = VENTRICLE_ARTEFACT
    codes[faint_lesion] = FAINT_LESION
    return codes


def paint_pitfalls(codes: np.ndarray, tissue: np.ndarray, flair: np.ndarray, t1: np.ndarray) -> None:
    """Set the pitfalls' intensities in ``flair`` and ``t1`` (N,) in place, from ``codes`` (N,) of
    :func:`pitfall_map` once the true lesions have been cleared from it, and the tissue class per point."""
    flair[codes == CORTICAL_SPOT] = SPOT_FLAIR
    artefact = codes == VENTRICLE_ARTEFACT
    flair[artefact & (tissue != VENTRICLE)] = BAND_FLAIR
    flair[artefact & (tissue == VENTRICLE)] = FLOW_FLAIR
    faint = codes == FAINT_LESION
    flair[faint], t1[faint] = FAINT_LESION_INTENSITY
