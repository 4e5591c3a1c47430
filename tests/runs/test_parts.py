"""A run in parts: sharding, atomic part folders, checked parts, and the merge."""

from __future__ import annotations

import json

import pytest

from nnunet_wmh.errors import InvalidInputsError, OutputExistsError, UsageError
from nnunet_wmh.runs.options import RunOptions
from nnunet_wmh.runs.parts import (
    PART_FILE,
    PartData,
    PartSchema,
    cases_digest,
    gather_files,
    merged_output,
    part_cases,
    part_output,
    read_parts,
    remove_parts,
    write_part,
)

SCHEMA = PartSchema(("items",), ("run", "num_parts", "cases_digest"), lambda name, meta: ["case", "value"])
ITEMS = ["d", "a", "c", "b", "e"]


def _run_part(out, part_id: int, num_parts: int, *, run_field: str = "one") -> None:
    run = RunOptions(part_id=part_id, num_parts=num_parts)
    with part_output(out, run, finished="final.tsv") as target:
        mine = part_cases(ITEMS, part_id, num_parts)
        (target.folder / "extra").mkdir()
        (target.folder / "extra" / f"{part_id}.txt").write_text(str(part_id))
        meta = {"run": run_field, "num_parts": num_parts, "cases_digest": cases_digest(ITEMS), "part_id": part_id,
                "cases": mine}  # fmt: skip
        part = PartData({"items": [{"case": c, "value": c * 2} for c in mine]}, meta, target.folder)
        assert not target.single
        write_part(part, SCHEMA, run_folder=target.out_dir)


def test_interleaved_sharding_as_nnunet_does_it():
    assert part_cases(ITEMS, 1, 2) == ["b", "d"]
    with pytest.raises(UsageError, match=r"`part_id` must be in 0\.\.1"):
        part_cases(ITEMS, 2, 2)


def test_complete_parts_of_one_run_are_read_in_order_with_their_rows(tmp_path):
    for part_id in (1, 0):
        _run_part(tmp_path / "run", part_id, 2)
    parts = read_parts(tmp_path / "run", SCHEMA)
    assert [p.meta["part_id"] for p in parts] == [0, 1]
    assert [row["case"] for p in parts for row in p.rows["items"]] == ["a", "c", "e", "b", "d"]
    with merged_output(tmp_path / "run") as staging:
        gather_files(parts, "extra", staging / "extra")
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["extra"]  # the parts are gone, merged
    assert sorted(p.name for p in (tmp_path / "run" / "extra").iterdir()) == ["0.txt", "1.txt"]


def test_a_missing_part_a_stray_part_and_a_changed_table_are_named(tmp_path):
    out = tmp_path / "run"
    _run_part(out, 0, 2)
    with pytest.raises(InvalidInputsError, match=r"\[part-1-of-2\] .*missing; run part_id 1 of 2 first"):
        read_parts(out, SCHEMA)
    _run_part(out, 1, 2, run_field="another")
    with pytest.raises(InvalidInputsError, match=r"made by another run than part-0-of-2 \(different run\)"):
        read_parts(out, SCHEMA)
    table = out / "parts" / "part-0-of-2" / "items.tsv"
    table.write_text(table.read_text() + "x\txx\n")
    with pytest.raises(InvalidInputsError, match="missing, truncated or changed since the part was written"):
        read_parts(out, SCHEMA)


def test_a_renamed_part_folder_and_no_parts_at_all_are_refused(tmp_path):
    out = tmp_path / "run"
    with pytest.raises(UsageError, match="holds no parts"):
        read_parts(out, SCHEMA)
    _run_part(out, 0, 2)
    (out / "parts" / "part-0-of-2").rename(out / "parts" / "part-1-of-2")
    with pytest.raises(InvalidInputsError, match="was made as part 0 of 2; the folder was renamed or copied"):
        read_parts(out, SCHEMA)
    meta = json.loads((out / "parts" / "part-1-of-2" / PART_FILE).read_text())
    assert meta["files"]["items.tsv"]["rows"] == 3


def test_one_part_is_the_final_output_and_a_finished_run_refuses_more_parts(tmp_path):
    out = tmp_path / "run"
    with part_output(out, RunOptions(), finished="final.tsv") as target:
        assert target.single and target.folder == target.staging / "parts" / "part-0-of-1"
        part = PartData({"items": []}, {"part_id": 0, "cases": []}, target.folder)
        write_part(part, SCHEMA, run_folder=out)
        (target.staging / "final.tsv").write_text("")  # the final output, built from the one part
        remove_parts(target.staging)
    assert sorted(p.name for p in out.iterdir()) == ["final.tsv"]
    with (
        pytest.raises(OutputExistsError, match=r"final\.tsv exists"),
        part_output(out, RunOptions(part_id=0, num_parts=2), finished="final.tsv"),
    ):
        pass  # pragma: no cover - refused on entry
