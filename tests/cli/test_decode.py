"""``nnunet_wmh decode``'s folder checks on the command line (decoding itself: tests/decode/)."""

from nnunet_wmh.cli import decode, main


def test_a_missing_folder_or_an_out_that_holds_the_predictions_is_one_usage_line(tmp_path, capsys):
    assert main([decode.NAME, str(tmp_path / "none")]) == 2
    assert capsys.readouterr().err == (
        f"nnunet_wmh: usage error: PRED_DIR {tmp_path / 'none'} does not exist; expected a folder\n"
    )
    (tmp_path / "pred").mkdir()
    assert main([decode.NAME, str(tmp_path / "pred"), "--out", str(tmp_path)]) == 2
    assert "would replace the predictions" in capsys.readouterr().err
