"""The phantom's template: the atlas the subjects were made from, on an isotropic grid covering the head."""

import nibabel as nib
import numpy as np

from nnunet_wmh.labels.region_table import read_region_table
from nnunet_wmh.synthetic.anatomy import SYNTHETIC_REGION_TABLE
from nnunet_wmh.synthetic.template import template_grid, write_template


def test_the_template_grid_is_isotropic_and_covers_the_head():
    shape, affine = template_grid(2.0)
    np.testing.assert_array_equal(np.diag(affine)[:3], [2.0, 2.0, 2.0])
    extent = np.asarray(shape) * 2.0
    assert np.all(extent >= 2 * np.array([76.0, 94.0, 68.0]))


def test_the_template_files_share_one_grid_and_name_the_16_regions(tmp_path):
    files = write_template(tmp_path / "template", spacing_mm=4.0)
    images = [nib.load(p) for p in (files.t1, files.flair, files.regions, files.anatomy)]
    assert len({image.shape for image in images}) == 1
    for image in images[1:]:
        np.testing.assert_array_equal(image.affine, images[0].affine)
    assert int(images[0].header["sform_code"]) == 1
    regions = np.asanyarray(images[2].dataobj)
    assert set(np.unique(regions).tolist()) == {0, *SYNTHETIC_REGION_TABLE}
    assert read_region_table(files.region_table) == SYNTHETIC_REGION_TABLE
