"""The phantom's FLAIR pitfalls exist where their rules say, with the labels and contrasts the rules give."""

import nibabel as nib
import numpy as np

from nnunet_wmh.synthetic import make_synthetic_cohort
from nnunet_wmh.synthetic.anatomy import (
    GREY_MATTER,
    LESION_INTENSITY,
    TISSUE_INTENSITY,
    VENTRICLE,
    WHITE_MATTER,
    brain_radius,
    tissue_classes,
    ventricle_radius,
)
from nnunet_wmh.synthetic.phantom import clean_intensities, random_pathology
from nnunet_wmh.synthetic.pitfalls import (
    BAND_FLAIR,
    CORTICAL_SPOT,
    FAINT_LESION,
    FAINT_LESION_INTENSITY,
    FLOW_FLAIR,
    SPOT_FLAIR,
    SPOT_RADIUS_RANGE,
    VENTRICLE_ARTEFACT,
    draw_pitfalls,
)
from tests.helpers.images import read_labels

WM_FLAIR, WM_T1 = TISSUE_INTENSITY[WHITE_MATTER]


def _template_points(spacing_mm: float = 1.5) -> np.ndarray:
    axes = [np.arange(-80, 80, spacing_mm), np.arange(-100, 92, spacing_mm), np.arange(-60, 78, spacing_mm)]
    return np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 3)


def _subject(seed: int):
    rng = np.random.default_rng(seed)
    pathology = random_pathology(rng)
    points = _template_points()
    tissue = tissue_classes(points)
    flair, t1, wmh, _other, codes = clean_intensities(points, tissue, pathology)
    return pathology, points, tissue, flair, t1, wmh, codes


def test_flair_grey_white_contrast_is_low_and_t1s_high():
    grey, white = TISSUE_INTENSITY[GREY_MATTER], TISSUE_INTENSITY[WHITE_MATTER]
    assert grey[0] / white[0] < 1.2  # FLAIR: cortex barely brighter than white matter
    assert white[1] / grey[1] > 1.5  # T1: white matter clearly brighter than cortex


def test_cortical_spots_are_lesion_bright_on_flair_unchanged_on_t1_and_background():
    _, points, tissue, flair, t1, wmh, codes = _subject(7)
    spot = codes == CORTICAL_SPOT
    assert spot.sum() > 20
    assert not (spot & wmh).any()  # ground truth: background
    assert np.all(flair[spot] == SPOT_FLAIR) and SPOT_FLAIR > 1.8 * WM_FLAIR
    # T1 is that of the tissue the spot lies in: cortex and white matter both occur
    for tissue_class in (GREY_MATTER, WHITE_MATTER):
        inside = spot & (tissue == tissue_class)
        assert inside.sum() > 0
        assert np.all(t1[inside] == TISSUE_INTENSITY[tissue_class][1])
    radius = brain_radius(points[spot])
    assert radius.min() > SPOT_RADIUS_RANGE[0] - 0.08 and radius.max() < 1.0


def test_ventricle_artefacts_are_a_thin_flair_bright_band_and_flow_inside_with_t1_unchanged():
    pathology, points, tissue, flair, t1, wmh, codes = _subject(7)
    artefact = codes == VENTRICLE_ARTEFACT
    assert not (artefact & wmh).any()
    band = artefact & (tissue == WHITE_MATTER)
    flow = artefact & (tissue == VENTRICLE)
    assert band.sum() > 50 and flow.sum() > 0
    # the band hugs the ventricles: within band_mm of their surface
    assert ventricle_radius(points[band], pathology.pitfalls.band_mm).max() < 1.0
    assert np.all(flair[band] == BAND_FLAIR) and np.all(t1[band] == WM_T1)
    assert np.all(flair[flow] == FLOW_FLAIR) and np.all(t1[flow] == TISSUE_INTENSITY[VENTRICLE][1])


def test_faint_lesions_are_lesions_with_weak_flair_and_clear_t1_hypointensity():
    for seed in range(20):
        pathology, _, _, flair, t1, wmh, codes = _subject(seed)
        faint = codes == FAINT_LESION
        if faint.sum() > 10:
            break
    assert pathology.pitfalls.faint
    assert wmh[faint].all()  # ground truth: lesion
    assert FAINT_LESION_INTENSITY[0] < 1.3 * WM_FLAIR < LESION_INTENSITY[0]
    assert FAINT_LESION_INTENSITY[1] < 0.4 * WM_T1
    assert np.all(flair[faint] == FAINT_LESION_INTENSITY[0]) and np.all(t1[faint] == FAINT_LESION_INTENSITY[1])


def test_faint_lesions_are_half_the_deep_lesions_and_a_quarter_of_the_caps():
    drawn = [draw_pitfalls(np.random.default_rng(seed), 24).faint for seed in range(400)]
    caps = np.mean([sum(i < 4 for i in faint) / 4 for faint in drawn])
    deep = np.mean([sum(i >= 4 for i in faint) / 20 for faint in drawn])
    assert abs(caps - 0.25) < 0.03 and abs(deep - 0.5) < 0.03


def test_pitfalls_are_deterministic_per_seed_and_differ_between_seeds():
    first, again = (draw_pitfalls(np.random.default_rng(3), 12) for _ in range(2))
    other = draw_pitfalls(np.random.default_rng(4), 12)
    assert first.band_mm == again.band_mm and first.faint == again.faint
    assert np.array_equal(first.spots[0].center, again.spots[0].center)
    assert first.band_mm != other.band_mm


def test_written_pitfall_maps_hold_every_kind_with_their_labels_and_image_contrast(tmp_path):
    cohort = make_synthetic_cohort(tmp_path / "c", subjects=4, seed=5, jobs=2, progress=False)
    seen = {code: 0 for code in (CORTICAL_SPOT, VENTRICLE_ARTEFACT, FAINT_LESION)}
    for record in cohort.subjects:
        files = {key: cohort.root / path for key, path in record["files"].items()}
        codes, lesion = read_labels(files["pitfalls"]), read_labels(files["lesion"])
        flair = np.asanyarray(nib.load(files["flair"]).dataobj)
        white_matter = (read_labels(files["anatomy"]) == 2) & (lesion == 0) & (codes == 0)
        for code in seen:
            seen[code] += int((codes == code).sum())
        assert np.all(lesion[codes == CORTICAL_SPOT] == 0) and np.all(lesion[codes == FAINT_LESION] == 1)
        spots = codes == CORTICAL_SPOT
        if spots.sum() > 5:
            assert np.median(flair[spots]) > 1.3 * np.median(flair[white_matter])
    assert all(count > 0 for count in seen.values()), seen
