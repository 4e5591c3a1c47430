"""The per-item ledger: a finished item is skipped, a changed one listed, a damaged record redone."""

from __future__ import annotations

import json

from nnunet_wmh.runs.ledger import Ledger, digest_of


def test_a_finished_item_is_done_only_with_the_same_digest(tmp_path):
    ledger = Ledger(tmp_path / "records")
    digest = digest_of({"threshold": 0.5})
    assert not ledger.is_done("sub-01/ses-1", digest)
    ledger.finish("sub-01/ses-1", digest, seconds=1.23456, details={"options": {"threshold": 0.5}})
    record = json.loads((tmp_path / "records" / "sub-01__ses-1.json").read_text())
    assert (record["key"], record["digest"], record["seconds"]) == ("sub-01/ses-1", digest, 1.235)
    assert record["options"] == {"threshold": 0.5} and ledger.seconds("sub-01/ses-1") == 1.235
    assert ledger.is_done("sub-01/ses-1", digest)
    assert not ledger.is_done("sub-01/ses-1", digest_of({"threshold": 0.4}))


def test_items_finished_with_other_options_are_listed_and_can_be_forgotten(tmp_path):
    ledger = Ledger(tmp_path)
    ledger.finish("a", digest_of(1), seconds=0)
    ledger.finish("b", digest_of(2), seconds=0)
    assert ledger.conflicts([("a", digest_of(1)), ("b", digest_of(3)), ("c", digest_of(4))]) == ["b"]
    ledger.forget("b")
    assert ledger.record("b") is None and ledger.conflicts([("b", digest_of(3))]) == []


def test_a_damaged_record_counts_as_unfinished(tmp_path):
    ledger = Ledger(tmp_path)
    ledger.record_path("x").write_text("{not json")
    assert ledger.record("x") is None and not ledger.is_done("x", digest_of(1))
    ledger.record_path("y").write_text("[1, 2]")
    assert ledger.record("y") is None


def test_the_digest_does_not_depend_on_key_order():
    assert digest_of({"a": 1, "b": [1, 2]}) == digest_of({"b": [1, 2], "a": 1}) != digest_of({"a": 1, "b": [2, 1]})
