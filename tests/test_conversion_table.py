"""conversion.tsv: written by convert, read back by evaluate and report."""

import pytest

from nnunet_wmh.conversion_table import (
    COLUMNS,
    CaseInfo,
    bids_label,
    read_conversion_table,
    write_conversion_table,
)
from nnunet_wmh.errors import UsageError


def _row(case, **values):
    row = dict.fromkeys(COLUMNS, "")
    row.update(case=case, split="test", has_label=True, **values)
    return row


def test_a_written_table_reads_back_with_variants_from_the_channels(tmp_path):
    path = tmp_path / "conversion.tsv"
    rows = [
        _row("wmh_0001_paired", subject="0", site="Utrecht", variant="paired", channels="FLAIR,T1"),
        _row("wmh_0002", subject="sub-01", session="ses-2", site="", channels="T1,T1"),
        _row("wmh_0003", subject="2", channels="FLAIR"),
    ]
    write_conversion_table(path, rows)
    assert path.read_text().splitlines()[0].split("\t") == list(COLUMNS)
    info = read_conversion_table(path, ["wmh_0002", "wmh_0001_paired", "wmh_0003"])
    assert info["wmh_0001_paired"] == CaseInfo("0", "", "Utrecht", "paired")
    assert info["wmh_0002"] == CaseInfo("sub-01", "ses-2", "", "t1_only")
    assert info["wmh_0003"].variant == "flair_only"
    assert (info["wmh_0002"].participant_id, info["wmh_0002"].session_id) == ("sub-01", "ses-2")
    assert (info["wmh_0003"].participant_id, info["wmh_0003"].session_id) == ("sub-2", "n/a")


def test_bids_labels_keep_letters_and_digits_only():
    assert bids_label("sub", "Amsterdam/GE3T 12") == "sub-AmsterdamGE3T12"
    assert bids_label("ses", "ses-01") == "ses-01"
    assert bids_label("sub", "_-_") == ""


def test_a_case_without_a_row_and_a_truncated_table_are_usage_errors(tmp_path):
    path = tmp_path / "conversion.tsv"
    write_conversion_table(path, [_row("wmh_0001", subject="0", channels="FLAIR")])
    with pytest.raises(UsageError, match=r"has no row for case\(s\) wmh_0009") as raised:
        read_conversion_table(path, ["wmh_0001", "wmh_0009"])
    assert raised.value.parameter == "conversion_tsv"
    path.write_bytes(path.read_bytes()[:-20])  # the last row cut short
    with pytest.raises(UsageError, match="not a conversion table of nnunet_wmh convert"):
        read_conversion_table(path, ["wmh_0001"])
    path.write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(UsageError, match="cannot be read"):
        read_conversion_table(path, ["wmh_0001"])
