"""Where everything of a study lives inside its folder ``DIR``.

::

    DIR/commands.sh                      every step as a shell command (nnU-Net's and nnunet_wmh's)
    DIR/study.json                       versions, seeds, options, every step's time
    DIR/steps/*.json                     one record per finished step (resuming reads them)
    DIR/logs/*.log                       output of every nnU-Net command
    DIR/nnUNet_raw|_preprocessed|_results  nnU-Net's folders (one dataset per configuration)
    DIR/regions/                         atlas regions registered to every subject (with an atlas)
    DIR/predictions/CONFIG/              nnUNetv2_predict output (CONFIG_decoded/: joint labels)
    DIR/evaluation/CONFIG/               nnunet_wmh evaluate output (metrics.tsv, summary.tsv, ...)
    DIR/results.tsv, table_*.tsv|.md, comparisons.tsv, figures/*.png, index.html
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nnunet_wmh.nnunet.folders import NnunetFolders
from nnunet_wmh.study.configs import StudyConfig

COMMANDS_SH = "commands.sh"
STUDY_JSON = "study.json"
DATASET_NAME_PREFIX = "WMHstudy_"


@dataclass(frozen=True)
class StudyLayout:
    """Paths of a study folder."""

    root: Path
    dataset_id_base: int

    @property
    def nnunet(self) -> NnunetFolders:
        """nnU-Net's three folders."""
        return NnunetFolders.inside(self.root)

    def dataset_id(self, config: StudyConfig) -> int:
        """The configuration's nnU-Net dataset id."""
        return self.dataset_id_base + config.index

    def dataset_name(self, config: StudyConfig) -> str:
        """``WMHstudy_CONFIG``."""
        return DATASET_NAME_PREFIX + config.name

    def dataset_dir(self, config: StudyConfig) -> Path:
        """``nnUNet_raw/DatasetNNN_WMHstudy_CONFIG``."""
        return self.nnunet.raw / f"Dataset{self.dataset_id(config):03d}_{self.dataset_name(config)}"

    def preprocessed_dir(self, config: StudyConfig) -> Path:
        """``nnUNet_preprocessed/DatasetNNN_WMHstudy_CONFIG``."""
        return self.nnunet.preprocessed / self.dataset_dir(config).name

    def model_dir(self, config: StudyConfig, trainer: str, configuration: str) -> Path:
        """``nnUNet_results/DatasetNNN_.../TRAINER__nnUNetPlans__CONFIGURATION``."""
        return self.nnunet.results / self.dataset_dir(config).name / f"{trainer}__nnUNetPlans__{configuration}"

    def predictions(self, config: StudyConfig) -> Path:
        """nnUNetv2_predict's output folder."""
        return self.root / "predictions" / config.name

    def label_maps(self, config: StudyConfig) -> Path:
        """The label maps evaluated: the decoded joint labels for decoded configurations."""
        folder = self.predictions(config)
        return folder.with_name(f"{config.name}_decoded") if config.decode else folder

    def evaluation(self, config: StudyConfig) -> Path:
        """``DIR/evaluation/CONFIG`` (metrics.tsv, summary.tsv, ...)."""
        return self.root / "evaluation" / config.name

    @property
    def regions(self) -> Path:
        """Atlas regions registered to every subject."""
        return self.root / "regions"

    @property
    def logs(self) -> Path:
        """Logs of nnU-Net's commands."""
        return self.root / "logs"

    @property
    def figures(self) -> Path:
        """The study's figures."""
        return self.root / "figures"
