"""BIDS derivative names and files of the report."""

import json

import numpy as np
import pytest

from nnunet_wmh.conversion_table import CaseInfo
from nnunet_wmh.errors import UsageError
from nnunet_wmh.report.bids import bids_prefixes, write_dataset_files
from nnunet_wmh.report.options import ReportOptions
from nnunet_wmh.report.run import make_report
from tests.helpers.report_cases import write_hand_cohort


def test_variants_of_one_session_get_the_variant_in_desc():
    info = {
        "c_paired": CaseInfo("7", "1", "", "paired"),
        "c_flair": CaseInfo("7", "1", "", "flair_only"),
        "d": CaseInfo("8", "", "", ""),
    }
    assert bids_prefixes(list(info), info) == {
        "c_paired": ("sub-7", "ses-1", "wmhPaired"),
        "c_flair": ("sub-7", "ses-1", "wmhFLAIRonly"),
        "d": ("sub-8", None, "wmh"),
    }
    assert bids_prefixes(["wmh_0001"], {}) == {"wmh_0001": ("sub-wmh0001", None, "wmh")}


def test_two_cases_that_would_write_the_same_files_are_refused():
    info = {"a": CaseInfo("7", "", "", "paired"), "b": CaseInfo("7", "", "", "paired")}
    with pytest.raises(UsageError, match=r"several cases would write the same BIDS files \(sub-7_desc-wmhPaired\)"):
        bids_prefixes(["a", "b"], info)


def test_the_dataset_files_describe_the_derivative(tmp_path):
    write_dataset_files(tmp_path, {3: "frontal"})
    assert '"DatasetType": "derivative"' in (tmp_path / "dataset_description.json").read_text()
    lines = (tmp_path / "desc-wmhregions_dseg.tsv").read_text().splitlines()
    assert lines == ["index\tname", "3\tfrontal", "65535\toutside_regions"] and np.uint16(65535) == 65535


def test_bids_files_inside_the_report_folder_are_built_with_it(tmp_path):
    folders = write_hand_cohort(tmp_path / "cohort")
    out = tmp_path / "report"
    make_report(folders["pred"], out, bids_derivatives=out / "derivatives", options=ReportOptions(pictures=False),
                progress=False)  # fmt: skip
    masks = sorted(p.name for p in (out / "derivatives").rglob("*_mask.nii.gz"))
    assert masks == [f"sub-case{c}_space-FLAIR_desc-wmh_mask.nii.gz" for c in "abc"]
    assert (out / "derivatives" / "dataset_description.json").is_file() and (out / "report.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cohort", "report"]


def test_a_segment_run_names_itself_and_its_model_and_lists_the_whole_region_maps(tmp_path):
    generated_by = {"Name": "nnunet_wmh", "Version": "x", "Model": {"Name": "Dataset1_A/T__P__C", "Folds": ["0"]}}
    write_dataset_files(tmp_path, {3: "frontal"}, generated_by=generated_by, atlas_regions={"3": "frontal", "12": "x"})
    description = json.loads((tmp_path / "dataset_description.json").read_text())
    assert description["GeneratedBy"] == [generated_by]
    assert (tmp_path / "desc-regions_dseg.tsv").read_text().splitlines() == ["index\tname", "3\tfrontal", "12\tx"]


def test_subset_variants_get_their_own_desc():
    from nnunet_wmh.report.bids import variant_desc

    assert [variant_desc(v) for v in ("paired", "flair_only", "t1_only")] == ["Paired", "FLAIRonly", "T1only"]
    assert (
        variant_desc("flair+t2") == "FLAIRT2"
        and variant_desc("t2") == "T2only"
        and variant_desc("pd+t2star") == "PDT2star"
    )
