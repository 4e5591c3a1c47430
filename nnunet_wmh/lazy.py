"""Public names of a package imported on first use, so that importing the package stays free of numpy, torch
and nnU-Net (the command line reads options and choices from light modules before any work starts)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any


def lazy_exports(
    package: str, modules: Mapping[str, Sequence[str]]
) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """A package's ``__getattr__``, ``__dir__`` and ``__all__`` for ``{module: its public names}``: a name is
    imported from its module when first asked for; any other name raises AttributeError as a module would.

    Usage, in a package's ``__init__.py``:
    ``__getattr__, __dir__, __all__ = lazy_exports(__name__, {"package.module": ["name", ...], ...})``.
    """
    home = {name: module for module, names in modules.items() for name in names}

    def attribute(name: str) -> Any:
        if name in home:
            return getattr(importlib.import_module(home[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def names() -> list[str]:
        return sorted(set(importlib.import_module(package).__dict__) | set(home))

    return attribute, names, sorted(home)
