"""Fixtures of the command-line tests."""

import pytest

from tests.helpers.longitudinal import cohort_template, segmented  # noqa: F401 - fixtures of test_change
from tests.helpers.models import write_model_folder

#: A FLAIR-only lesion model's dataset.json.
FLAIR_MODEL_JSON = {"channel_names": {"0": "FLAIR"}, "labels": {"background": 0, "wmh": 1},
                    "nnunet_wmh": {"inputs": "flair", "channels": 1, "encoding": "lesion"}}  # fmt: skip


@pytest.fixture
def model(tmp_path):
    """A model folder (no weights) of a FLAIR-only lesion model: enough for ``segment --slurm``."""
    return str(write_model_folder(tmp_path / "models", FLAIR_MODEL_JSON))
