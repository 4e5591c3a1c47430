"""The report's pictures: a QC sheet per case and the cohort figure, checked as images."""

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
