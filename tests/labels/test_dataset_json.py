"""Reading dataset.json: damaged files are usage errors naming the option that gave them."""

import json

import pytest

from nnunet_wmh.errors import UsageError
from nnunet_wmh.labels.dataset_json import encoding_name, joint_encoding, read_dataset_json
from nnunet_wmh.labels.joint import JointEncoding, RegionIndex


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b'{"labels": {"background": 0', "not valid JSON"),
        (b"[1, 2]", "no 'labels' mapping"),
        (b'{"labels": {"background": 0}, "nnunet_wmh": 3}', "'nnunet_wmh' entry is not a mapping"),
        (b"\xff\xfe", "not valid JSON"),
    ],
)
def test_a_damaged_dataset_json_is_one_line_naming_the_file(tmp_path, content, problem):
    path = tmp_path / "dataset.json"
    path.write_bytes(content)
    with pytest.raises(UsageError, match=problem) as raised:
        read_dataset_json(path)
    assert str(raised.value).startswith(f"`dataset_json` {path}: ") and raised.value.parameter == "dataset_json"
    with pytest.raises(UsageError, match="cannot be read"):
        read_dataset_json(tmp_path / "absent.json", parameter="dataset_json")


def test_the_joint_encoding_of_a_multitask_dataset(tmp_path):
    encoding = JointEncoding(RegionIndex.from_table({1: "a", 4: "b"}), has_ignore=True)
    dataset_json = {"labels": encoding.labels(), "nnunet_wmh": encoding.to_json()}
    assert encoding_name(dataset_json) == "joint"
    assert joint_encoding(dataset_json, "d.json", parameter="dataset_json") == encoding
    dataset_json["nnunet_wmh"]["regions"] = [{"index": 1}]
    with pytest.raises(UsageError, match="its region list is damaged"):
        joint_encoding(dataset_json, "d.json", parameter="dataset_json")
    with pytest.raises(UsageError, match=r"not a multitask dataset\.json"):
        joint_encoding({"labels": {}}, "d.json", parameter="dataset_json")
    (tmp_path / "d.json").write_text(json.dumps({"labels": {"background": 0, "wmh": 1}}))
    assert encoding_name(read_dataset_json(tmp_path / "d.json")) is None
