"""Shared fixtures: small synthetic cohorts and nnU-Net's folders, all in temporary folders.

Helper functions live in :mod:`tests.helpers` (import them from there, not from this file).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from nnunet_wmh.synthetic import make_synthetic_cohort
from tests.helpers.docs import DOCS, run_page


@pytest.fixture(scope="session")
def small_cohort_template(tmp_path_factory) -> Path:
    """A small synthetic WMH 2017 tree: 6 training and 5 test subjects (generated once per session)."""
    root = tmp_path_factory.mktemp("cohort") / "wmh2017"
    make_synthetic_cohort(root, subjects=6, test_subjects=5, seed=7, size="small", progress=False)
    return root


@pytest.fixture
def small_cohort(small_cohort_template, tmp_path) -> Path:
    """A private copy of the small cohort that a test may modify."""
    copy = tmp_path / "wmh2017"
    shutil.copytree(small_cohort_template, copy)
    return copy


@pytest.fixture(scope="session")
def bids_cohort_template(tmp_path_factory) -> Path:
    """A small synthetic BIDS dataset: 4 subjects × 2 sessions."""
    root = tmp_path_factory.mktemp("bids") / "bids"
    make_synthetic_cohort(root, subjects=4, sessions=2, seed=11, size="small", layout="bids", progress=False)
    return root


@pytest.fixture
def nnunet_folders(tmp_path, monkeypatch) -> dict[str, Path]:
    """nnUNet_raw / _preprocessed / _results set to fresh temporary folders."""
    folders = {}
    for variable in ("nnUNet_raw", "nnUNet_preprocessed", "nnUNet_results"):
        folder = tmp_path / variable
        folder.mkdir()
        monkeypatch.setenv(variable, str(folder))
        folders[variable] = folder
    return folders


@pytest.fixture(scope="session")
def getting_started(tmp_path_factory):
    """docs/getting-started.md run as a reader runs it (its demo is the quick demo): the folder and the run."""
    folder = tmp_path_factory.mktemp("getting_started")
    completed = run_page(DOCS / "getting-started.md", folder)
    return folder, completed
