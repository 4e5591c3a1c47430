"""Region maps for a whole cohort: written where convert and report find them."""

from __future__ import annotations

import pytest

from nnunet_wmh.cli import main
from nnunet_wmh.dataset_conversion import convert_dataset
from nnunet_wmh.errors import InvalidInputsError
from nnunet_wmh.registration.atlas import load_atlas
from nnunet_wmh.registration.cohort_regions import register_atlas_to_cohort
from nnunet_wmh.synthetic import make_synthetic_cohort


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


def test_every_failing_subject_is_listed_and_nothing_is_written_unless_skip_invalid(tmp_path):
    cohort = make_synthetic_cohort(tmp_path / "cohort", subjects=3, sites=["Utrecht"], size="small", progress=False)
    template = cohort.root / "template"
    atlas = load_atlas(template / "template_T1w.nii.gz", template / "template_regions.nii.gz", template / "regions.tsv")
    (cohort.root / "training/Utrecht/0/pre/T1.nii.gz").write_bytes(b"truncated")
    (cohort.root / "training/Utrecht/2/pre/T1.nii.gz").unlink()
    (cohort.root / "training/Utrecht/2/pre/FLAIR.nii.gz").unlink()
    with pytest.raises(InvalidInputsError) as raised:
        register_atlas_to_cohort(atlas, cohort.root, tmp_path / "regions", progress=False)
    assert [p.subject for p in raised.value.problems] == ["Utrecht/0", "Utrecht/2"]
    assert "no region map was written" in str(raised.value) and not (tmp_path / "regions").exists()
    result = register_atlas_to_cohort(atlas, cohort.root, tmp_path / "regions", skip_invalid=True, progress=False)
    assert [r.subject for r in result.results] == ["Utrecht/1"] and len(result.skipped) == 2
    assert result.results[0].region_map == tmp_path / "regions/Utrecht/1/regions.nii.gz"
    assert result.results[0].region_map.is_file() and result.region_table.is_file()
