"""``nnunet_wmh demo`` on the command line (the demo itself runs in tests/test_demo.py)."""

from nnunet_wmh.cli import demo, main


def test_the_demo_refuses_bad_jobs_before_anything_is_made(tmp_path, capsys):
    assert main([demo.NAME, "--out", str(tmp_path / "demo"), "--jobs", "0"]) == 2
    assert capsys.readouterr().err == "nnunet_wmh: usage error: --jobs must be at least 1, got 0\n"
    assert not (tmp_path / "demo").exists()
