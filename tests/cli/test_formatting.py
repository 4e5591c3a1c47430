"""What the commands print: sizes, lists, aligned tables, and parameter names shown as flags."""

from nnunet_wmh.cli.formatting import aligned, comma_list, human_bytes, with_flags


def test_library_parameter_names_become_the_commands_flags_and_others_stay():
    flags = {"jobs": "--jobs", "prediction_dir": "PRED_DIR"}
    message = "`jobs` must be at least 1; `prediction_dir` holds nothing; see `nnUNet_raw`"
    assert with_flags(message, flags) == "--jobs must be at least 1; PRED_DIR holds nothing; see `nnUNet_raw`"


def test_sizes_lists_and_tables():
    assert (human_bytes(999), human_bytes(1_234_567), human_bytes(5 * 10**12)) == ("999 B", "1.2 MB", "5000.0 GB")
    assert comma_list(" paired, flair,,t1 ") == ["paired", "flair", "t1"]
    assert aligned([["group", "cases"], ["all", "12"]]) == ["group  cases", "all    12"]


def test_a_parameter_switched_off_is_shown_as_its_no_flag():
    flags = {"submit": "--no-submit", "query": "--no-query", "jobs": "--jobs"}
    assert with_flags("or write the scripts only (`submit` off)", flags) == "or write the scripts only (--no-submit)"
    assert with_flags("the files on disk only (`query` off), `jobs` 2", flags) == (
        "the files on disk only (--no-query), --jobs 2"
    )
    assert with_flags("`other` off", flags) == "`other` off"
