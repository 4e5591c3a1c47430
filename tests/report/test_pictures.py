"""The report's pictures: a QC sheet per case and the cohort figure, checked as images."""

import itertools

import nibabel as nib
import numpy as np

from nnunet_wmh.report.burden import regions_from_map
from nnunet_wmh.report.pictures import case_picture
from tests.helpers.report_cases import write_hand_cohort


def test_a_case_picture_shows_the_lesion_outline_in_red(tmp_path):
    from matplotlib.image import imread  # heavy: matplotlib

    folders = write_hand_cohort(tmp_path)
    image = nib.load(folders["pred"] / "case_a.nii.gz")
    lesion = np.asanyarray(image.dataobj).astype(bool)
    regions = regions_from_map(np.asanyarray(nib.load(folders["regions"] / "case_a.nii.gz").dataobj), {3: "frontal"})
    path = case_picture("case_a", image, lesion, regions, tmp_path / "qc" / "case_a.png",
                        background=folders["images"] / "case_a_0000.nii.gz")  # fmt: skip
    pixels = imread(path)[..., :3]
    red = (pixels[..., 0] > 0.9) & (pixels[..., 1] < 0.2) & (pixels[..., 2] < 0.2)
    assert pixels.shape[1] == 4 * 3.2 * 90 and red.sum() > 20


def _striped_regions(shape: tuple[int, int, int], count: int) -> np.ndarray:
    """A region map of ``count`` regions, stripes along the first axis, ids 1..count."""
    regions = np.zeros(shape, dtype=np.int16)
    edges = np.linspace(0, shape[0], count + 1).round().astype(int)
    for region, (low, high) in enumerate(itertools.pairwise(edges.tolist()), start=1):
        regions[low:high] = region
    return regions


def test_the_legend_lists_every_region_drawn_not_the_first_twenty(tmp_path):
    """31 regions (the built-in atlas' count) in the slices shown: 7 legend lines of 5, not 4 lines of 20."""
    from PIL import Image  # heavy: Pillow

    from nnunet_wmh.report.pictures import LEGEND_LINE, shown_classes

    shape = (62, 40, 6)
    lesion = np.zeros(shape, dtype=bool)
    lesion[20:30, 10:20, 2:4] = True
    image = nib.Nifti1Image(lesion.astype(np.uint8), np.diag([1.0, 1.0, 3.0, 1.0]))
    names = {region: f"region {region}" for region in range(1, 32)}
    regions = regions_from_map(_striped_regions(shape, 31), names)
    with_all = Image.open(case_picture("a", image, lesion, regions, tmp_path / "all.png"))
    few = regions_from_map(_striped_regions(shape, 31) * (_striped_regions(shape, 31) <= 3), names)
    with_three = Image.open(case_picture("a", image, lesion, few, tmp_path / "three.png"))
    assert with_all.height - with_three.height == (7 - 1) * LEGEND_LINE
    assert shown_classes(None, [1]) == [] and shown_classes(np.array([[[0, 2], [5, 2]]]), [0, 1]) == [2, 5]


def test_the_aspect_ratio_follows_the_voxel_sizes_when_the_stored_axes_are_a_three_cycle(tmp_path):
    """Stored axes (A, S, R), a 3-cycle of RAS, with voxels 1 (A) × 2 (S) × 4 (R) mm: the axial panel is R
    across and A up: a lesion 12 mm across (3 voxels R) and 10 mm deep (10 voxels A) is drawn wider than tall."""
    from nnunet_wmh.report.pictures import ras_spacing

    affine = np.array([[0, 0, 4.0, 0], [1.0, 0, 0, 0], [0, 2.0, 0, 0], [0, 0, 0, 1]])
    axes = nib.orientations.io_orientation(affine)[:, 0].astype(int)
    assert ras_spacing((1.0, 2.0, 4.0), axes).tolist() == [4.0, 1.0, 2.0]
    lesion = np.zeros((40, 6, 10), dtype=bool)  # A 40 voxels (40 mm), S 6, R 10 (40 mm): a square axial panel
    lesion[10:20, 2:4, 3:6] = True
    path = case_picture("a", nib.Nifti1Image(lesion.astype(np.uint8), affine), lesion, None, tmp_path / "a.png")
    from matplotlib.image import imread  # heavy: matplotlib

    from nnunet_wmh.report.pictures import PANEL_WIDTH

    pixels = imread(path)[:, :PANEL_WIDTH, :3]  # the first panel
    rows, columns = np.nonzero((pixels[..., 0] > 0.9) & (pixels[..., 1] < 0.2))
    width, height = np.ptp(columns) + 1, np.ptp(rows) + 1
    assert 1.0 < width / height < 1.5
