import pytest

from nnunet_wmh.errors import UsageError
from nnunet_wmh.modalities import (
    DEFAULT_FILL_ORDER,
    all_subsets,
    case_suffix,
    fill_channels,
    fill_sources,
    parse_modalities,
    parse_variants,
    resolve_fill_order,
    variant_name,
)

THREE = ("flair", "t1", "t2")


def test_modality_lists_are_checked_and_keep_their_order():
    assert parse_modalities(None) == ("flair", "t1")
    assert parse_modalities("T2, flair,pd") == ("t2", "flair", "pd")
    with pytest.raises(UsageError, match="unknown `modalities` dwi"):
        parse_modalities("flair,dwi")
    with pytest.raises(UsageError, match="names a modality twice"):
        parse_modalities("flair,t1,flair")
    with pytest.raises(UsageError, match="`modalities` is empty"):
        parse_modalities(" , ")


def test_the_fill_order_puts_the_given_modalities_first_then_the_default_order():
    assert DEFAULT_FILL_ORDER[:2] == ("flair", "t2") and DEFAULT_FILL_ORDER[-1] == "t1"
    assert resolve_fill_order(None, THREE) == ("flair", "t2", "t1")
    assert resolve_fill_order("t1", THREE) == ("t1", "flair", "t2")
    with pytest.raises(UsageError, match="`fill_order` names pd, not among the modalities flair,t1,t2"):
        resolve_fill_order("pd", THREE)


def test_subsets_come_largest_first_in_channel_order():
    assert all_subsets(("flair", "t1")) == [("flair", "t1"), ("flair",), ("t1",)]
    assert all_subsets(THREE) == [
        ("flair", "t1", "t2"), ("flair", "t1"), ("flair", "t2"), ("t1", "t2"), ("flair",), ("t1",), ("t2",)
    ]  # fmt: skip
    assert len(all_subsets(("flair", "t1", "t2", "pd"))) == 15


def test_flair_t1_datasets_keep_their_variant_names_and_others_name_the_subset():
    assert [variant_name(s, ("flair", "t1")) for s in all_subsets(("flair", "t1"))] == [
        "paired", "flair_only", "t1_only"
    ]  # fmt: skip
    assert [case_suffix(s, ("flair", "t1")) for s in all_subsets(("flair", "t1"))] == ["paired", "flair", "t1"]
    assert variant_name(("t2", "flair"), THREE) == "flair+t2"
    assert case_suffix(("t2", "flair"), THREE) == "flair-t2"


def test_variant_options_name_full_all_single_and_joined_subsets():
    assert parse_variants(["full"], THREE) == [THREE]
    assert parse_variants(["paired", "t2"], ("flair", "t1", "t2")) == [THREE, ("t2",)]
    assert parse_variants(["t2+flair", "t1"], THREE) == [("flair", "t2"), ("t1",)]
    assert parse_variants(["all"], THREE) == all_subsets(THREE)
    assert parse_variants(["t1", "all"], THREE) == all_subsets(THREE)  # no repeats
    with pytest.raises(UsageError, match="unknown `variants` 'flair\\+pd'"):
        parse_variants(["flair+pd"], THREE)
    with pytest.raises(UsageError, match="`variants` is empty"):
        parse_variants([], THREE)


def test_a_missing_channel_takes_the_first_available_modality_of_the_fill_order_or_zeros():
    order = ("flair", "t2", "t1")
    assert fill_channels(("t1", "t2"), THREE, fill="duplicate", fill_order=order) == ("t2", "t1", "t2")
    assert fill_channels(("t1",), THREE, fill="duplicate", fill_order=order) == ("t1", "t1", "t1")
    assert fill_channels(("flair", "t1"), THREE, fill="duplicate", fill_order=order) == ("flair", "t1", "flair")
    assert fill_channels(("t1", "t2"), THREE, fill="zero", fill_order=order) == ("zero", "t1", "t2")
    with pytest.raises(ValueError):
        fill_channels((), THREE, fill="duplicate", fill_order=order)


@pytest.mark.parametrize("fill", ["duplicate", "zero"])
def test_fill_by_index_is_fill_by_modality(fill):
    """The trainers' rule (channel indices) and convert's (modalities) agree on every subset."""
    order = ("t2", "flair", "t1")
    positions = [THREE.index(m) for m in order]
    for subset in all_subsets(THREE):
        by_modality = fill_channels(subset, THREE, fill=fill, fill_order=order)
        kept = [THREE.index(m) for m in subset]
        by_index = fill_sources(kept, 3, fill=fill, fill_order=positions)
        assert by_modality == tuple("zero" if i is None else THREE[i] for i in by_index)
