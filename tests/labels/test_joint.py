import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnunet_wmh.labels.joint import JointEncoding, RegionIndex, decode_joint_labels

# Three regions with non-consecutive ids, as atlases have them: class 1 = id 3, 2 = id 7, 3 = id 40.
REGIONS = RegionIndex.from_table({40: "fornix", 3: "genu", 7: "splenium"})


def test_region_index_orders_by_id():
    assert REGIONS.region_ids == (3, 7, 40)
    assert REGIONS.names == ("genu", "splenium", "fornix")


def test_joint_labels_follow_the_documented_table():
    encoding = JointEncoding(REGIONS, has_ignore=True)
    assert encoding.labels() == {
        "background": 0, "genu": 1, "splenium": 2, "fornix": 3,
        "wmh_genu": 4, "wmh_splenium": 5, "wmh_fornix": 6, "wmh_outside_regions": 7, "ignore": 8,
    }  # fmt: skip


def test_encode_hand_made_voxels():
    encoding = JointEncoding(REGIONS, has_ignore=True)
    regions = np.array([0, 3, 7, 40, 3, 0, 40, 7])
    lesion = np.array([0, 0, 0, 0, 1, 1, 1, 0], dtype=bool)
    ignore = np.array([0, 0, 0, 0, 0, 0, 0, 1], dtype=bool)
    np.testing.assert_array_equal(encoding.encode(lesion, regions, ignore), [0, 1, 2, 3, 4, 7, 6, 8])


def test_decode_inverts_encode():
    encoding = JointEncoding(REGIONS, has_ignore=True)
    rng = np.random.default_rng(0)
    regions = rng.choice([0, 3, 7, 40], size=(6, 5, 4))
    lesion = rng.random((6, 5, 4)) < 0.3
    ignore = (rng.random((6, 5, 4)) < 0.1) & ~lesion
    decoded = decode_joint_labels(encoding.encode(lesion, regions, ignore), encoding)
    np.testing.assert_array_equal(decoded.lesion, lesion & ~ignore)
    np.testing.assert_array_equal(decoded.ignore, ignore)
    np.testing.assert_array_equal(decoded.regions, np.where(ignore, 0, regions))


def test_encoding_round_trips_through_dataset_json():
    encoding = JointEncoding(REGIONS, has_ignore=False)
    dataset_json = {"nnunet_wmh": encoding.to_json()}
    assert JointEncoding.from_dataset_json(dataset_json) == encoding


def test_unknown_region_values_are_rejected():
    with pytest.raises(ValueError, match=r"\[5\]"):
        REGIONS.to_class_index(np.array([3, 5]))


def test_decode_rejects_labels_outside_the_encoding():
    with pytest.raises(ValueError, match=r"0\.\.7"):
        decode_joint_labels(np.array([8]), JointEncoding(REGIONS, has_ignore=False))


@settings(max_examples=60, deadline=None)
@given(
    region_ids=st.lists(st.integers(1, 5000), min_size=1, max_size=6, unique=True),
    seed=st.integers(0, 2**32 - 1),
    has_ignore=st.booleans(),
)
def test_joint_labels_decode_back_to_the_lesion_mask_and_the_region_ids(region_ids, seed, has_ignore):
    rng = np.random.default_rng(seed)
    regions = RegionIndex.from_table({i: f"r{i}" for i in region_ids})
    encoding = JointEncoding(regions, has_ignore=has_ignore)
    region_map = rng.choice([0, *region_ids], size=(5, 4, 3))
    lesion = rng.random((5, 4, 3)) < 0.3
    ignore = (rng.random((5, 4, 3)) < 0.1) & ~lesion if has_ignore else None
    decoded = decode_joint_labels(encoding.encode(lesion, region_map, ignore), encoding)
    kept = ~decoded.ignore
    np.testing.assert_array_equal(decoded.lesion, lesion & kept)
    np.testing.assert_array_equal(decoded.regions[kept], region_map[kept])
    if ignore is not None:
        np.testing.assert_array_equal(decoded.ignore, ignore)
