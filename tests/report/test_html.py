"""index.html: one page, no network, links only to files of the report."""

import json
import re

from nnunet_wmh.report.cohort_tables import QC_COLUMNS, SUBJECT_COLUMNS, finalize_tables
from nnunet_wmh.report.html import write_index
from nnunet_wmh.report.viewer import viewer_data


def test_the_page_holds_the_cohort_figures_and_escapes_case_names(tmp_path):
    subject = {c: "n/a" for c in SUBJECT_COLUMNS} | {
        "case": "<b>x",
        "total_lesion_volume_ml": "1.5",
        "lesion_count": "2",
    }
    qc = {c: "n/a" for c in QC_COLUMNS} | {"case": "<b>x", "empty_prediction": "False", "total_lesion_volume_ml": "1.5"}
    final = finalize_tables(
        {"subjects": [subject], "qc": [qc], "regions": [], "lesions": []}, {}, [], has_regions=False
    )
    report_json = {"nnunet_wmh_version": "0.1.0", "options": {"connectivity": 26, "min_lesion_mm3": 0,
                   "pv_rule": "distance", "pv_distance_mm": 10, "outside": "nearest"}}  # fmt: skip
    page = write_index(final, report_json, tmp_path).read_text()
    assert "&lt;b&gt;x" in page and "<b>x" not in page
    assert "1.50 mL" in page and "No case is flagged." in page
    assert "http" not in page and not re.search(r"<script", page)


def test_a_segment_page_names_the_model_each_route_and_the_skipped_subjects(tmp_path):
    subject = {c: "n/a" for c in SUBJECT_COLUMNS} | {"case": "s1", "total_lesion_volume_ml": "1", "lesion_count": "1"}
    qc = {c: "n/a" for c in QC_COLUMNS} | {"case": "s1", "empty_prediction": "False", "total_lesion_volume_ml": "1"}
    qc |= {"inputs_used": "FLAIR,FLAIR", "t1_coregistered": "n/a", "lesion_entropy_bits": "0.123456"}
    final = finalize_tables({"subjects": [subject], "qc": [qc], "regions": [], "lesions": []}, {}, [],
                            has_regions=False, qc_extra_columns=["inputs_used", "t1_coregistered"])  # fmt: skip
    report_json = {
        "nnunet_wmh_version": "0.1.0",
        "options": {"connectivity": 26, "min_lesion_mm3": 0, "pv_rule": "distance", "pv_distance_mm": 10,
                    "outside": "nearest"},
        "generated_by": {"Model": {"Name": "Dataset5_X/T__P__3d_fullres", "Folds": ["0", "1"]}},
        "skipped": [{"subject": "sub-9", "reason": "no FLAIR image; the model (flair) takes FLAIR", "case": "s9"}],
    }  # fmt: skip
    page = write_index(final, report_json, tmp_path).read_text()
    assert "Model Dataset5_X/T__P__3d_fullres, fold(s) 0, 1" in page
    assert "Skipped subjects (1)" in page and "no FLAIR image; the model (flair) takes FLAIR" in page
    assert "inputs FLAIR,FLAIR; lesion entropy 0.123 bits" in page
    assert 'href="skipped.tsv"' in page


def test_with_the_viewer_every_case_opens_it_and_its_data_cannot_close_the_script(tmp_path):
    subject = {c: "n/a" for c in SUBJECT_COLUMNS} | {"case": "</script><b>x", "total_lesion_volume_ml": "1.5",
                                                      "lesion_count": "2"}  # fmt: skip
    qc = {c: "n/a" for c in QC_COLUMNS} | {"case": "</script><b>x", "empty_prediction": "False",
                                           "total_lesion_volume_ml": "1.5"}  # fmt: skip
    final = finalize_tables({"subjects": [subject], "qc": [qc], "regions": [], "lesions": []}, {}, [],
                            has_regions=False)  # fmt: skip
    report_json = {"nnunet_wmh_version": "0.1.0", "labels": {"kind": "challenge", "lesion_values": [1]},
                   "options": {"connectivity": 26, "min_lesion_mm3": 0, "pv_rule": "distance", "pv_distance_mm": 10,
                               "outside": "nearest", "threshold": 0.5}}  # fmt: skip
    files = {"</script><b>x": {"lesions": "../pred/b&x.nii.gz"}}
    page = write_index(final, report_json, tmp_path, viewer=viewer_data(final, report_json, files)).read_text()
    assert page.count('data-view="&lt;/script&gt;&lt;b&gt;x"') == 2  # the subjects table and the case's section
    assert page.count("</script>") == 2  # the data block's end and viewer.js's: the case name cannot end them
    block = re.search(r'<script type="application/json" id="nnunet-wmh-viewer-data">(.*?)</script>', page).group(1)
    assert json.loads(block)["cases"][0][:4] == ["</script><b>x", "n/a", "n/a", {"lesions": [0, "b&x.nii.gz"]}]
    assert '<link rel="stylesheet" href="viewer/viewer.css">' in page and "Click a case" in page
