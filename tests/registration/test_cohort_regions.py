"""Region maps for a whole cohort: written where convert and report find them."""

from __future__ import annotations

import pytest

from nnunet_wmh.cli import main
from nnunet_wmh.dataset_conversion import convert_dataset
from nnunet_wmh.synthetic import make_synthetic_cohort
from nnunet_wmh.synthetic.template import write_template


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return write_template(tmp_path_factory.mktemp("template"), spacing_mm=2.0)


def test_cohort_region_maps_are_found_by_convert(tmp_path):
    cohort = make_synthetic_cohort(tmp_path / "cohort", subjects=2, sites=["Utrecht"], size="small", progress=False)
    template_folder = cohort.root / "template"
    out_dir = tmp_path / "regions"
    argv = ["regions", "--atlas-image", str(template_folder / "template_T1w.nii.gz")]
    argv += ["--atlas-labels", str(template_folder / "template_regions.nii.gz")]
    argv += ["--region-table", str(template_folder / "regions.tsv"), "--source", str(cohort.root)]
    assert main([*argv, "--out-dir", str(out_dir), "-q"]) == 0
    maps = sorted(out_dir.glob("*/*/regions.nii.gz"))
    assert [p.relative_to(out_dir).as_posix() for p in maps] == ["Utrecht/0/regions.nii.gz", "Utrecht/1/regions.nii.gz"]
    assert main([*argv, "--out-dir", str(out_dir), "-q"]) == 1  # exists: refused without --overwrite
    result = convert_dataset(
        cohort.root,
        mode="multitask",
        dataset_id=620,
        out=tmp_path / "raw",
        regions=str(out_dir),
        region_table=out_dir / "regions.tsv",
        progress=False,
    )
    assert result.train_cases == 2
    conversion = (result.dataset_dir / "conversion.tsv").read_text()
    assert str(out_dir / "Utrecht/0/regions.nii.gz") in conversion
