"""Where nnU-Net runs: ``auto`` (a GPU when torch sees one), ``cpu`` or ``cuda``."""

from __future__ import annotations

from nnunet_wmh.runs.options import DEVICES, check_device

__all__ = ["DEVICES", "check_device", "torch_device"]


def torch_device(device: str) -> str:
    """``auto`` → ``cuda`` when torch sees a GPU, else ``cpu``; ``cpu``/``cuda`` as given.

    Raises
    ------
    UsageError
        Another value.
    """
    check_device(device)
    if device != "auto":
        return device
    import torch  # heavy: only to tell whether there is a GPU

    return "cuda" if torch.cuda.is_available() else "cpu"
