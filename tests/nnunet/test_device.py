"""The device option: ``auto`` resolves to what torch sees, anything else but cpu/cuda is refused."""

import os

import pytest

from nnunet_wmh.errors import UsageError
from nnunet_wmh.nnunet.device import DEVICES, check_device, compute_threads_beside_workers, torch_device


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


def test_cpu_threads_leave_a_core_to_each_worker_and_come_back(monkeypatch):
    import torch

    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    previous = torch.get_num_threads()
    torch.set_num_threads(8)
    try:
        with compute_threads_beside_workers("cpu", 3) as threads:
            assert threads == torch.get_num_threads() == 5
        assert torch.get_num_threads() == 8
        with compute_threads_beside_workers("cpu", 8) as threads:
            assert threads == 1
        with compute_threads_beside_workers("cpu", 1) as threads, compute_threads_beside_workers("cuda", 4) as gpu:
            assert threads == gpu == 8  # no workers, or a GPU: unchanged
    finally:
        torch.set_num_threads(previous)
