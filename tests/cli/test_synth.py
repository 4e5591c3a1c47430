"""``nnunet_wmh synth`` on the command line: ``--out``, and the positional OUT of earlier releases."""

from nnunet_wmh.cli import main, synth


def test_the_positional_out_still_works_and_says_it_is_deprecated(tmp_path, capsys):
    argv = [synth.NAME, str(tmp_path / "c"), "--subjects", "1", "--test-subjects", "0", "--size", "small", "-q"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "the positional OUT is deprecated and goes in the next release; use --out OUT" in captured.err
    assert (tmp_path / "c/training").is_dir()
    assert captured.out.splitlines()[-1].startswith("synth: 1 subject(s) done in ")


def test_out_given_twice_or_not_at_all_is_a_usage_error(tmp_path, capsys):
    assert main([synth.NAME, str(tmp_path / "a"), "--out", str(tmp_path / "b"), "--subjects", "1"]) == 2
    assert "give --out once" in capsys.readouterr().err
    assert main([synth.NAME, "--subjects", "1"]) == 2
    assert "--out is required" in capsys.readouterr().err
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
