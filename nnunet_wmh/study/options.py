"""``StudyOptions``: what a study runs (frozen, checked, recorded in study.json)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from nnunet_wmh.errors import UsageError
from nnunet_wmh.registration import check_atlas_options
from nnunet_wmh.runs.options import DEFAULT_SEED, check_trainer_paths
from nnunet_wmh.study.configs import resolve_configs
from nnunet_wmh.study.profiles import check_profile, parse_trainers


@dataclass(frozen=True)
class StudyOptions:
    """Options of :func:`~nnunet_wmh.study.run.run_study`.

    Attributes
    ----------
    configs
        Configurations (:data:`~nnunet_wmh.study.configs.CONFIGS`); None for all the source allows.
    profile
        ``quick``, ``cpu`` or ``gpu`` (:mod:`~nnunet_wmh.study.profiles`).
    configuration
        nnU-Net configuration, ``2d`` or ``3d_fullres``; None for the profile's.
    folds
        Folds trained per configuration; prediction ensembles them.
    cv_folds
        Cross-validation folds of the converted datasets (grouped by subject, stratified by site).
    dataset_id_base
        Dataset ids are ``dataset_id_base`` + the configuration's index (0..6).
    test_source, layout, test_layout
        A separate test cohort, and the layouts (detected when None).
    atlas_image, atlas_labels, region_table
        An atlas registered to every subject: regions for ``multitask_*`` when the source has none, and
        for ``separate_models``.
    trainers
        ``["stock"]`` (nnU-Net's 1000-epoch trainers) or ``CONFIG=TRAINER`` pairs.
    trainer_paths
        More folders searched for trainers (appended to ``nnUNet_extTrainer``).
    seed
        Seed of the cross-validation split and of the bootstrap.
    deterministic
        Seed training with ``seed`` and run its data augmentation in the training process, so that training
        on the CPU repeats exactly (:mod:`~nnunet_wmh.training.seeding`; the quick and cpu profiles' trainers,
        and trainers built on :class:`~nnunet_wmh.training.seeding.SeededTraining`). Slower.
    """

    configs: Sequence[str] | None = None
    profile: str = "quick"
    configuration: str | None = None
    folds: Sequence[int] = (0,)
    cv_folds: int = 5
    dataset_id_base: int = 800
    test_source: str | None = None
    layout: str | None = None
    test_layout: str | None = None
    atlas_image: str | None = None
    atlas_labels: str | None = None
    region_table: str | None = None
    trainers: Sequence[str] = ()
    trainer_paths: Sequence[str] = ()
    seed: int = DEFAULT_SEED
    deterministic: bool = False

    def check(self) -> None:
        """Raise UsageError for values out of range or options that do not fit together."""
        check_profile(self.profile, self.configuration)
        parse_trainers(self.trainers)
        highest = max([7, *(c.index for c in resolve_configs(self.configs or ()))])
        if not 1 <= self.dataset_id_base <= 999 - highest:
            raise UsageError(
                f"`dataset_id_base` must be 1..{999 - highest} (ids up to base + {highest}), got "
                f"{self.dataset_id_base}",
                "dataset_id_base",
            )
        if self.cv_folds < 2:
            raise UsageError(f"`cv_folds` must be at least 2, got {self.cv_folds}", "cv_folds")
        if not self.folds or any(not 0 <= f < self.cv_folds for f in self.folds):
            raise UsageError(f"`folds` must be among 0..{self.cv_folds - 1}, got {list(self.folds)}", "folds")
        check_atlas_options(self.atlas_image, self.atlas_labels, self.region_table)
        check_trainer_paths(self.trainer_paths)

    @property
    def has_atlas(self) -> bool:
        """An atlas is given."""
        return self.atlas_image is not None
