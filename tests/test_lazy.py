"""A package's public names imported on first use."""

from __future__ import annotations

import subprocess
import sys

import pytest

from nnunet_wmh.lazy import lazy_exports


def test_a_name_is_imported_from_its_module_when_first_asked_for():
    getattr_, dir_, all_ = lazy_exports("nnunet_wmh", {"json": ["dumps", "JSONDecoder"]})
    import json

    assert getattr_("dumps") is json.dumps and getattr_("JSONDecoder") is json.JSONDecoder
    assert "dumps" in dir_() and "__version__" in dir_() and all_ == ["JSONDecoder", "dumps"]
    with pytest.raises(AttributeError, match="module 'nnunet_wmh' has no attribute 'loads'"):
        getattr_("loads")


def test_importing_the_packages_loads_no_numpy():
    code = "import sys, nnunet_wmh, nnunet_wmh.synthetic, nnunet_wmh.dataset_conversion; print('numpy' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "False\n"
