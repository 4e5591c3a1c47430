"""The one output rule: refuse an existing output, build in a temporary place, move into place when complete,
clean up after interrupted runs."""

import os
import socket

import pytest

from nnunet_wmh.errors import OutputError, OutputExistsError
from nnunet_wmh.runs.outputs import (
    INCOMPLETE_MARKER,
    OWNER_FILE,
    atomic_output_files,
    atomic_output_folder,
    check_output,
    output_folder_in_place,
    remove_stale_temporaries,
)


def test_atomic_output_folder_leaves_nothing_when_interrupted(tmp_path):
    with pytest.raises(KeyboardInterrupt), atomic_output_folder(tmp_path / "Dataset001_X", overwrite=False) as tmp:
        (tmp / "half.txt").write_text("x")
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_atomic_output_folder_replaces_only_at_the_end(tmp_path):
    final = tmp_path / "Dataset001_X"
    final.mkdir()
    (final / "old.txt").write_text("old")
    with atomic_output_folder(final, overwrite=True) as tmp:
        (tmp / "new.txt").write_text("new")
        assert (final / "old.txt").exists()
    assert sorted(p.name for p in final.iterdir()) == ["new.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["Dataset001_X"]


def test_check_output_refuses_an_existing_output_with_one_message(tmp_path):
    (tmp_path / "table.tsv").write_text("x")
    with pytest.raises(OutputExistsError) as raised:
        check_output(tmp_path / "table.tsv", overwrite=False, kind="file")
    assert str(raised.value) == f"{tmp_path / 'table.tsv'} exists; pass `overwrite` to replace it"
    assert check_output(tmp_path / "table.tsv", overwrite=True, kind="file") == tmp_path / "table.tsv"


def test_an_empty_folder_counts_as_absent(tmp_path):
    (tmp_path / "out").mkdir()
    assert check_output(tmp_path / "out", overwrite=False) == tmp_path / "out"


def test_a_file_where_a_folder_must_be_is_an_output_error_even_with_overwrite(tmp_path):
    (tmp_path / "out").write_text("a file")
    with pytest.raises(OutputError, match=r"out: is a file; expected a folder"):
        check_output(tmp_path / "out", overwrite=True)
    with pytest.raises(OutputError, match=r"out: is a file; expected a folder"):
        check_output(tmp_path / "out" / "inner" / "report", overwrite=False)
    (tmp_path / "folder.tsv").mkdir()
    with pytest.raises(OutputError, match=r"folder.tsv: is a folder; expected a file"):
        check_output(tmp_path / "folder.tsv", overwrite=True, kind="file")
    assert (tmp_path / "out").read_text() == "a file"


def test_atomic_output_folder_creates_no_parent_folders_when_it_fails(tmp_path):
    with pytest.raises(RuntimeError), atomic_output_folder(tmp_path / "a" / "b" / "out", overwrite=False):
        raise RuntimeError("failed")
    assert list(tmp_path.iterdir()) == []


def _leave_partial(final, pid):
    partial = final.parent / f".{final.name}.partial-deadbeef"
    partial.mkdir(parents=True)
    (partial / OWNER_FILE).write_text(f"{socket.gethostname()} {pid}\n")
    return partial


def test_a_rerun_removes_partial_folders_of_dead_runs_and_says_so(tmp_path, caplog):
    final = tmp_path / "Dataset001_X"
    dead = _leave_partial(final, 2**22 + 17)  # no such process
    with atomic_output_folder(final, overwrite=False) as staging:
        (staging / "new.txt").write_text("new")
    assert not dead.exists() and (final / "new.txt").exists()
    assert f"removing {dead}: an interrupted run left it behind" in caplog.text


def test_a_partial_folder_of_a_running_process_is_left_alone(tmp_path):
    final = tmp_path / "Dataset001_X"
    alive = _leave_partial(final, os.getppid())
    assert remove_stale_temporaries(final) == []
    assert alive.exists()


def test_a_replacement_killed_between_its_two_renames_is_undone(tmp_path, caplog):
    final = tmp_path / "report"
    retired = tmp_path / ".report.replaced-0000abcd"
    retired.mkdir()
    (retired / "old.txt").write_text("old")
    assert remove_stale_temporaries(final) == [retired]
    assert (final / "old.txt").read_text() == "old" and not retired.exists()
    assert "restoring" in caplog.text


def test_atomic_output_files_move_the_whole_set_at_the_end(tmp_path):
    existing = tmp_path / "metrics_regions.tsv"
    existing.write_text("from an older run")
    finals = [tmp_path / "metrics.tsv", tmp_path / "summary.json", existing]
    with atomic_output_files(finals, overwrite=True) as (metrics, summary, _regions):
        metrics.write_text("m")
        summary.write_text("s")
        assert not (tmp_path / "metrics.tsv").exists()
    assert (tmp_path / "metrics.tsv").read_text() == "m" and (tmp_path / "summary.json").read_text() == "s"
    assert not existing.exists()  # part of the set, not written by this run
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics.tsv", "summary.json"]


def test_atomic_output_files_refuse_before_the_block_runs(tmp_path):
    (tmp_path / "summary.json").mkdir()
    ran = []
    finals = [tmp_path / "metrics.tsv", tmp_path / "summary.json"]
    with pytest.raises(OutputError, match=r"summary\.json: is a folder"), atomic_output_files(finals, overwrite=True):
        ran.append(True)
    assert ran == [] and sorted(p.name for p in tmp_path.iterdir()) == ["summary.json"]


def test_output_folder_in_place_puts_the_previous_version_back_on_failure(tmp_path):
    final = tmp_path / "demo"
    final.mkdir()
    (final / "demo.json").write_text("previous")
    with pytest.raises(RuntimeError), output_folder_in_place(final, overwrite=True) as folder:
        assert folder == final and (folder / INCOMPLETE_MARKER).exists()
        assert not (folder / "demo.json").exists()
        raise RuntimeError("stage failed")
    assert sorted(p.name for p in final.iterdir()) == ["demo.json"]
    assert (final / "demo.json").read_text() == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo"]


def test_a_build_in_place_killed_midway_is_cleaned_up_by_the_next_run(tmp_path, caplog):
    final = tmp_path / "demo"
    previous = tmp_path / ".demo.previous-0000abcd"
    previous.mkdir()
    (previous / "demo.json").write_text("previous")
    final.mkdir()
    (final / INCOMPLETE_MARKER).write_text("")
    (final / "half.txt").write_text("half")
    with pytest.raises(OutputExistsError), output_folder_in_place(final, overwrite=False):
        pass
    assert (final / "demo.json").read_text() == "previous" and not (final / "half.txt").exists()
    assert "removing" in caplog.text and "restoring" in caplog.text


def test_entries_named_in_keep_move_into_the_new_folder_with_open_files_still_writing(tmp_path):
    final = tmp_path / "report"
    (final / "slurm/logs").mkdir(parents=True)
    (final / "old.tsv").write_text("old")
    log = (final / "slurm/logs/merge.out").open("w")  # a job's log, written while the merge replaces the folder
    log.write("before\n")
    log.flush()
    with atomic_output_folder(final, overwrite=True, keep=("slurm", "absent")) as tmp:
        (tmp / "new.tsv").write_text("new")
    log.write("after\n")
    log.close()
    assert sorted(p.name for p in final.iterdir()) == ["new.tsv", "slurm"]
    assert (final / "slurm/logs/merge.out").read_text() == "before\nafter\n"


def test_kept_entries_go_back_when_the_replacement_fails(tmp_path, monkeypatch):
    final = tmp_path / "report"
    (final / "slurm").mkdir(parents=True)
    (final / "slurm/record.json").write_text("{}")

    def full_disk(temporary, final, *, overwrite):
        raise OSError(28, "No space left on device", str(temporary / "x"))

    monkeypatch.setattr("nnunet_wmh.runs.outputs._replace_folder", full_disk)
    with pytest.raises(OutputError), atomic_output_folder(final, overwrite=True, keep=("slurm",)) as tmp:
        (tmp / "x").write_text("x")
    assert (final / "slurm/record.json").read_text() == "{}"


def test_a_folder_holding_only_kept_entries_counts_as_empty(tmp_path):
    final = tmp_path / "segmented"
    (final / "slurm").mkdir(parents=True)
    (final / "slurm/submission.json").write_text("{}")
    with atomic_output_folder(final, overwrite=False, keep=("slurm",)) as tmp:
        (tmp / "report.json").write_text("{}")
    assert sorted(p.name for p in final.iterdir()) == ["report.json", "slurm"]
    with pytest.raises(OutputExistsError), atomic_output_folder(final, overwrite=False, keep=("slurm",)):
        pass
