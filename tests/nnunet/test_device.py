"""The device option: ``auto`` resolves to what torch sees, anything else but cpu/cuda is refused."""

import pytest

from nnunet_wmh.errors import UsageError
from nnunet_wmh.nnunet.device import DEVICES, check_device, torch_device


def test_auto_resolves_to_cuda_only_where_torch_sees_a_gpu(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert torch_device("auto") == "cpu"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert torch_device("auto") == "cuda"
    assert torch_device("cpu") == "cpu" and torch_device("cuda") == "cuda"


def test_another_device_is_a_usage_error_naming_the_choices():
    assert DEVICES == ("auto", "cpu", "cuda")
    with pytest.raises(UsageError, match=r"`device` must be one of auto, cpu, cuda, got 'tpu'") as raised:
        check_device("tpu")
    assert raised.value.parameter == "device"
