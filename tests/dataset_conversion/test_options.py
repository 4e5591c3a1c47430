"""ConvertOptions: checked before anything is read, each problem naming its field."""

import pytest

from nnunet_wmh.dataset_conversion.inputs import InterchangeableInputs
from nnunet_wmh.dataset_conversion.options import ConvertOptions
from nnunet_wmh.errors import UsageError


def test_the_dataset_name_defaults_to_the_mode():
    assert ConvertOptions(mode="flair_t1", dataset_id=7).dataset_name == "Dataset007_WMH_flair_t1"
    assert ConvertOptions(mode="flair", dataset_id=501, name="Mine").dataset_name == "Dataset501_Mine"


def test_check_returns_the_mode_with_its_input_plan():
    spec = ConvertOptions(mode="interchangeable", dataset_id=1, variants=("paired", "flair")).check()
    assert spec.target_kind == "lesion" and isinstance(spec.inputs, InterchangeableInputs)
    assert spec.inputs.variants == ("paired", "flair_only")


@pytest.mark.parametrize(
    ("fields", "parameter"),
    [
        ({"case_prefix": "wmh_x"}, "case_prefix"),
        ({"other_pathology": "keep"}, "other_pathology"),
        ({"drop_modality": "t2"}, "drop_modality"),
        ({"drop_modality": "t1"}, "drop_modality"),  # flair_t1 inputs cannot lose a modality
        ({"mode": "regions", "encoding": "joint"}, "encoding"),
        ({"fill_missing": "zero"}, "fill_missing"),
    ],
)
def test_bad_fields_are_usage_errors_naming_the_field(fields, parameter):
    with pytest.raises(UsageError) as raised:
        ConvertOptions(**{"mode": "flair_t1", "dataset_id": 1, **fields}).check()
    assert raised.value.parameter == parameter and f"`{parameter}`" in str(raised.value)
