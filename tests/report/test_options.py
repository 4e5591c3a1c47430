"""ReportOptions: checked, each problem naming its field."""

import pytest

from nnunet_wmh.errors import UsageError
from nnunet_wmh.report.options import ReportOptions


@pytest.mark.parametrize(
    ("fields", "parameter"),
    [
        ({"connectivity": 8}, "connectivity"),
        ({"min_lesion_mm3": float("nan")}, "min_lesion_mm3"),
        ({"pv_rule": "near"}, "pv_rule"),
        ({"pv_distance_mm": 0}, "pv_distance_mm"),
        ({"pv_distance_mm": float("inf")}, "pv_distance_mm"),
        ({"outside": "drop"}, "outside"),
        ({"threshold": 1.0}, "threshold"),
    ],
)
def test_values_out_of_range_name_the_field(fields, parameter):
    with pytest.raises(UsageError, match=f"`{parameter}`") as raised:
        ReportOptions(**fields).check()
    assert raised.value.parameter == parameter


def test_the_defaults_are_valid():
    ReportOptions().check()
