import logging

import pytest

from nnunet_wmh.errors import RegionTableError
from nnunet_wmh.labels.region_table import complete_region_table, read_region_table, write_region_table


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("dseg.tsv", "index\tname\tabbreviation\n1\tfrontal_L\tFL\n2\tfrontal_R\tFR\n",
         {1: "frontal_L", 2: "frontal_R"}),
        ("regions.csv", "id,name\n3,genu of corpus callosum\n1,anterior corona radiata L\n",
         {3: "genu of corpus callosum", 1: "anterior corona radiata L"}),
        ("labels.txt", "# JHU-style list\n\n1 Anterior limb of internal capsule R\n2  Fornix   \n",
         {1: "Anterior limb of internal capsule R", 2: "Fornix"}),
    ],
    ids=["bids dseg.tsv", "csv with id,name header", "id name text with comments and spaces in names"],
)  # fmt: skip
def test_reads_a_table_of_each_format(tmp_path, name, text, expected):
    path = tmp_path / name
    path.write_text(text)
    assert read_region_table(path) == expected


def test_reads_freesurfer_colour_lut(tmp_path):
    path = tmp_path / "FreeSurferColorLUT.txt"
    path.write_text(
        "#No. Label Name: R G B A\n0 Unknown 0 0 0 0\n4 Left-Lateral-Ventricle 120 18 134 0\n"
        "43 Right-Lateral-Ventricle 120 18 134 0\n"
    )
    assert read_region_table(path) == {4: "Left-Lateral-Ventricle", 43: "Right-Lateral-Ventricle"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id,name\nx,frontal\n", "not an integer"),
        ("1 a\n1 b\n", "listed twice"),
        ("0 cortex\n", "id 0 is background"),
        ("# only comments\n", "no region rows"),
        ("code,label_text\n1,a\n", "needs an id column"),
    ],
)
def test_bad_tables_raise_with_the_file_name(tmp_path, text, message):
    path = tmp_path / "bad.txt"
    path.write_text(text)
    with pytest.raises(RegionTableError, match=message) as info:
        read_region_table(path)
    assert "bad.txt" in str(info.value)


def test_values_missing_from_the_table_get_generated_names_and_a_warning(caplog):
    with caplog.at_level(logging.WARNING):
        completed = complete_region_table({1: "a", 2: "b"}, [2, 35, 36, 0], source="jhu.txt")
    assert completed == {1: "a", 2: "b", 35: "region_35", 36: "region_36"}
    assert (
        "2 region value(s)" in caplog.text
        and "jhu.txt" in caplog.text
        and "35 -> region_35, 36 -> region_36" in caplog.text
    )


def test_duplicate_and_reserved_names_are_made_unique():
    completed = complete_region_table({1: "fornix", 2: "fornix", 3: "ignore"}, [])
    assert completed == {1: "fornix", 2: "fornix_2", 3: "ignore_3"}


def test_written_table_reads_back(tmp_path):
    write_region_table({2: "b", 1: "a"}, tmp_path / "t.tsv")
    assert (tmp_path / "t.tsv").read_text() == "index\tname\n1\ta\n2\tb\n"
    assert read_region_table(tmp_path / "t.tsv") == {1: "a", 2: "b"}
