"""Where nnU-Net runs: ``auto`` (a GPU when torch sees one), ``cpu`` or ``cuda``."""

from __future__ import annotations

from nnunet_wmh.errors import UsageError

#: The values of every ``device`` option.
DEVICES = ("auto", "cpu", "cuda")


def check_device(device: str) -> None:
    """Raise UsageError unless ``device`` is one of :data:`DEVICES`."""
    if device not in DEVICES:
        raise UsageError(f"`device` must be one of {', '.join(DEVICES)}, got {device!r}", "device")


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
