"""The study page links only files that exist and shows the tables it is given."""

import re

from nnunet_wmh.study.page import write_study_page


def test_page_links_existing_files_and_images(tmp_path):
    (tmp_path / "results.tsv").write_text("x\n")
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "dice.png").write_bytes(b"png")
    study = {"nnunet_wmh_version": "0.1", "nnunet_version": "2.8", "source": "/c <&>", "device": "cpu",
             "test_subjects": 3, "profile": "quick", "configuration": "2d", "best_lesion_config": None}  # fmt: skip
    segmentation = [{"config": "flair", "variant": "flair_only", "n": 3, "dice_mean": 0.51234}]
    page = write_study_page(tmp_path, study=study, segmentation=segmentation, localization=[], comparisons=[],
                            figures=["dice.png"], configs=[{"config": "flair", "summary": "FLAIR only"}])  # fmt: skip
    text = page.read_text()
    targets = re.findall(r'(?:href|src)="([^"#]+)"', text)
    assert targets == ["results.tsv", "figures/dice.png"]
    assert all((tmp_path / t).exists() for t in targets)
    assert "/c &lt;&amp;&gt;" in text and "0.512" in text and "No pair of configurations" in text
    assert 'id="localization"' not in text


def test_a_model_that_did_not_learn_gets_a_red_card_and_its_findings_say_why(tmp_path):
    reason = "no lesion predicted on 10 of 10 test cases with lesions; lesion Dice 0.000, floor 0.2"
    study = {"nnunet_wmh_version": "0.1", "nnunet_version": "2.8", "source": "c", "device": "cpu",
             "test_subjects": 10, "profile": "gpu", "configuration": "3d_fullres", "best_lesion_config": "flair_t1",
             "configs": {"flair_t1": {"trainer": "T", "status": "learned", "reason": ""},
                         "multitask_joint": {"trainer": "J", "status": "did not learn", "reason": reason}},
             "findings": [{"finding": "3. joint ...", "verdict": "inconclusive",
                           "reason": f"multitask_joint did not learn: {reason}", "evidence": "e"}]}  # fmt: skip
    page = write_study_page(tmp_path, study=study, segmentation=[], localization=[], comparisons=[], figures=[],
                            configs=[{"config": "flair_t1"}])  # fmt: skip
    text = page.read_text()
    cards = re.findall(r'<div class="card alarm"><div class="value">([^<]*)</div><div class="label">([^<]*)<', text)
    assert ("multitask_joint: did not learn", reason) in cards
    assert ("cpu", "device: the gpu profile on a CPU") in cards  # the gpu profile trained on a CPU
    assert "inconclusive" in text and f"multitask_joint did not learn: {reason}" in text
    assert "flair_t1: did not learn" not in text
