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
