"""``nnunet_wmh bids``: BIDS-Apps' positionals and ``--participant_label``, and the one-line errors a level gives
(the app runs end to end in ``tests/end_to_end/test_segment.py``)."""

from nnunet_wmh.cli import bids, main
from nnunet_wmh.synthetic import make_synthetic_cohort


def test_group_before_any_participant_is_a_one_line_usage_error(tmp_path, capsys):
    make_synthetic_cohort(tmp_path / "bids", subjects=2, layout="bids", size="small", progress=False)
    assert main([bids.NAME, str(tmp_path / "bids"), str(tmp_path / "out"), "group"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"nnunet_wmh: usage error: OUTPUT_DIR {tmp_path / 'out'} holds no participant-level output; "
                   "run the participant level first"]  # fmt: skip
    assert not (tmp_path / "out").exists()


def test_unknown_labels_are_named_with_the_dataset_s_labels_before_the_model_is_read(tmp_path, capsys):
    make_synthetic_cohort(tmp_path / "bids", subjects=2, layout="bids", size="small", progress=False)
    argv = [bids.NAME, str(tmp_path / "bids"), str(tmp_path / "out"), "participant", "--participant_label", "7",
            "sub-002", "--model", str(tmp_path / "no_model")]  # fmt: skip
    assert main(argv) == 2
    assert "--participant-label sub-7: not in the dataset (it has sub-001, sub-002)" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_the_analysis_level_is_participant_or_group(tmp_path, capsys):
    assert main([bids.NAME, str(tmp_path), str(tmp_path / "out"), "subject"]) == 2
    assert "invalid choice: 'subject'" in capsys.readouterr().err
