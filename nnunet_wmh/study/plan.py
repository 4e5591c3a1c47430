"""The steps of a study: per configuration convert → plan and preprocess → train → predict → (decode) →
evaluate, with atlas regions first and the separate-models route and localization last.

Every step carries the shell commands that do the same by hand (``commands.sh``); nnU-Net's steps run
exactly those commands, ``nnunet_wmh``'s run in this process.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from nnunet_wmh.dataset_conversion.convert import convert_dataset
from nnunet_wmh.dataset_conversion.options import ConvertOptions, recorded_options
from nnunet_wmh.decode.decoding import decode_prediction_folder
from nnunet_wmh.evaluation.files import evaluate_to_files
from nnunet_wmh.nnunet.commands import find_command, run_logged
from nnunet_wmh.registration.region_maps import make_region_maps
from nnunet_wmh.study.configs import StudyConfig
from nnunet_wmh.study.layout import StudyLayout
from nnunet_wmh.study.options import StudyOptions
from nnunet_wmh.study.profiles import Profile, trainer_for
from nnunet_wmh.study.steps import Step
from nnunet_wmh.study.subjects import ConfigSubjects, config_subjects

#: The atlas options and their flags.
ATLAS_FLAGS = {"atlas_image": "--atlas-image", "atlas_labels": "--atlas-labels", "region_table": "--region-table"}


@dataclass
class StudyPlanner:
    """Builds the steps; holds what they share."""

    source: Path
    options: StudyOptions
    layout: StudyLayout
    profile: Profile
    configuration: str
    trainer_overrides: dict[str, str]
    device: str
    jobs: int
    variables: dict[str, str]
    source_has_regions: bool
    steps: list[Step] = field(default_factory=list)
    config_subjects: dict[str, ConfigSubjects] = field(default_factory=dict)

    def add(self, step: Step) -> Step:
        """Append a step and return it."""
        self.steps.append(step)
        return step

    @property
    def seeded(self) -> dict[str, int]:
        """``{"seed": seed}`` when training is seeded (part of the training steps' options), else empty."""
        return {"seed": self.options.seed} if self.options.deterministic else {}

    def trainer(self, config: StudyConfig) -> str:
        """The trainer of a configuration."""
        return trainer_for(config, self.profile, self.trainer_overrides)

    def nnunet_step(
        self,
        key: str,
        title: str,
        argv: list[str],
        options: dict[str, Any],
        after: list[Step],
        *,
        outputs: list[Path],
        started: Callable[[], bool] | None = None,
    ) -> Step:
        """A step that runs one nnU-Net command, logged to ``logs/KEY.log``; with ``started``, a step that
        resumes its own outputs (``--c`` is added when ``started()`` says an earlier run left some)."""
        log = self.layout.logs / (key.replace("/", "__") + ".log")

        def run() -> None:
            resume = ["--c"] if started is not None and started() else []
            run_logged(title, [find_command(argv[0]), *argv[1:], *resume], self.variables, log)

        return self.add(Step(key, title, options, after, [argv], run, outputs, resumes=started is not None))

    # --- steps ---------------------------------------------------------------------------------------------

    def regions_step(self) -> Step:
        """Register the atlas (the options' or the built-in MNI152 one) to every subject of the source
        (``nnunet_wmh regions``)."""
        o = self.options
        atlas = {"atlas_image": o.atlas_image, "atlas_labels": o.atlas_labels, "region_table": o.region_table}
        given = {k: v for k, v in atlas.items() if v is not None}

        def run() -> None:
            make_region_maps(
                self.source, self.layout.regions, layout=o.layout, **given, jobs=self.jobs, overwrite=True,
                progress=False,
            )  # fmt: skip

        argv = ["nnunet_wmh", "regions", str(self.source), "--out", str(self.layout.regions)]
        argv += [item for name, value in given.items() for item in (ATLAS_FLAGS[name], str(value))]
        argv += [*(["--layout", o.layout] if o.layout else []), "--jobs", str(self.jobs), "--overwrite"]
        options = {"source": str(self.source), "atlas": [o.atlas_image, o.atlas_labels, o.region_table]}
        title = f"atlas regions by registration ({'the given atlas' if given else 'the built-in MNI152 atlas'})"
        return self.add(Step("regions", title, options, [], [argv], run, [self.layout.regions]))

    def subjects(self, config: StudyConfig) -> ConfigSubjects:
        """The subjects a trained configuration uses and those it leaves out (read once per configuration)."""
        if config.name not in self.config_subjects:
            self.config_subjects[config.name] = config_subjects(self.source, self._convert_options(config))
        return self.config_subjects[config.name]

    def convert_options(self, config: StudyConfig) -> ConvertOptions:
        """The conversion of a configuration's dataset (into the study's nnU-Net folders), without the
        subjects that lack its inputs."""
        return replace(self._convert_options(config), exclude=self.subjects(config).excluded_keys)

    def _convert_options(self, config: StudyConfig) -> ConvertOptions:
        o, folders, regions = self.options, self.layout.nnunet, self.region_override(config)
        return ConvertOptions(
            dataset_id=self.layout.dataset_id(config), name=self.layout.dataset_name(config), cv_folds=o.cv_folds,
            seed=o.seed, out=str(folders.raw), preprocessed=str(folders.preprocessed), results=str(folders.results),
            layout=o.layout, test_source=o.test_source, test_layout=o.test_layout, regions=regions,
            region_table=o.region_table if regions else None, **config.convert,
        )  # fmt: skip

    def needs_atlas_regions(self, configs: list[StudyConfig]) -> bool:
        """Whether the study registers an atlas: for ``separate_models``, or for multi-task training on a
        source without region maps of its own."""
        return any(c.name == "separate_models" or self.region_override(c) for c in configs)

    def region_override(self, config: StudyConfig) -> str | None:
        """Atlas regions for a multitask dataset when the source has no region maps of its own."""
        return str(self.layout.regions) if config.regions and not self.source_has_regions else None

    def convert_step(self, config: StudyConfig, after: list[Step]) -> Step:
        """``nnunet_wmh convert`` into ``nnUNet_raw``."""
        convert = self.convert_options(config)

        def run() -> None:
            convert_dataset(self.source, convert, jobs=self.jobs, overwrite=True, progress=False)

        argv = convert_command(self.source, convert, jobs=self.jobs)
        recorded = _jsonable(recorded_options(convert, convert.mode_spec()))
        options = {"source": str(self.source), "test_source": convert.test_source, "convert": recorded}
        options["regions"] = convert.regions
        outputs = [self.layout.dataset_dir(config)]
        return self.add(Step(f"{config.name}/convert", f"{config.name}: convert", options, after, [argv], run, outputs))

    def plan_step(self, config: StudyConfig, after: list[Step]) -> Step:
        """``nnUNetv2_plan_and_preprocess`` for the configuration's dataset."""
        jobs = str(self.jobs)
        argv = ["nnUNetv2_plan_and_preprocess", "-d", str(self.layout.dataset_id(config)), "-c", self.configuration,
                "--verify_dataset_integrity", "-npfp", jobs, "-np", jobs]  # fmt: skip
        return self.nnunet_step(
            f"{config.name}/plan", f"{config.name}: nnUNetv2_plan_and_preprocess", argv,
            {"configuration": self.configuration}, after, outputs=[self.layout.preprocessed_dir(config)],
        )  # fmt: skip

    def train_step(self, config: StudyConfig, fold: int, after: list[Step]) -> Step:
        """``nnUNetv2_train`` of one fold (continued with ``--c`` after an interruption)."""
        trainer = self.trainer(config)
        fold_dir = self.layout.model_dir(config, trainer, self.configuration) / f"fold_{fold}"
        argv = ["nnUNetv2_train", str(self.layout.dataset_id(config)), self.configuration, str(fold), "-tr", trainer,
                "-device", self.device]  # fmt: skip

        def started() -> bool:
            return any((fold_dir / name).is_file() for name in ("checkpoint_latest.pth", "checkpoint_final.pth"))

        return self.nnunet_step(
            f"{config.name}/train_fold{fold}", f"{config.name}: nnUNetv2_train fold {fold} ({trainer}, {self.device})",
            argv, {"trainer": trainer, "fold": fold, **self.seeded}, after, outputs=[fold_dir], started=started,
        )  # fmt: skip

    def predict_step(self, config: StudyConfig, after: list[Step]) -> Step:
        """``nnUNetv2_predict`` on every test case (all input variants), folds ensembled."""
        folds = [str(f) for f in self.options.folds]
        argv = ["nnUNetv2_predict", "-i", str(self.layout.dataset_dir(config) / "imagesTs"),
                "-o", str(self.layout.predictions(config)), "-d", str(self.layout.dataset_id(config)),
                "-c", self.configuration, "-f", *folds, "-tr", self.trainer(config), "-device", self.device,
                "-npp", str(self.jobs), "-nps", str(self.jobs), "--disable_progress_bar"]  # fmt: skip
        if self.profile.name != "gpu":
            argv.append("--disable_tta")
        if config.decode:
            argv.append("--save_probabilities")
        return self.nnunet_step(
            f"{config.name}/predict", f"{config.name}: nnUNetv2_predict -f {' '.join(folds)}", argv,
            {"folds": folds, "tta": "--disable_tta" not in argv}, after, outputs=[self.layout.predictions(config)],
        )  # fmt: skip

    def decode_step(self, config: StudyConfig, after: list[Step]) -> Step:
        """``nnunet_wmh decode``: probabilities of a separate-outputs model → joint labels."""
        predictions, out = self.layout.predictions(config), self.layout.label_maps(config)
        dataset_json = self.layout.dataset_dir(config) / "dataset.json"

        def run() -> None:
            decode_prediction_folder(
                predictions, out=out, dataset_json=dataset_json, jobs=self.jobs, overwrite=True,
                progress=False,
            )  # fmt: skip

        argv = ["nnunet_wmh", "decode", str(predictions), "--dataset-json", str(dataset_json), "--out", str(out),
                "--jobs", str(self.jobs), "--overwrite"]  # fmt: skip
        return self.add(Step(f"{config.name}/decode", f"{config.name}: decode", {}, after, [argv], run, [out]))

    def evaluate_step(self, config: StudyConfig, after: list[Step]) -> Step:
        """``nnunet_wmh evaluate`` of the configuration's label maps against the test labels."""
        dataset = self.layout.dataset_dir(config)
        out = self.layout.evaluation(config)
        predictions = self.layout.label_maps(config)

        def run() -> None:
            evaluate_to_files(
                predictions, dataset / "labelsTs", out, dataset_json=dataset / "dataset.json",
                conversion_tsv=dataset / "conversion.tsv", jobs=self.jobs, overwrite=True, progress=False,
            )  # fmt: skip

        argv = ["nnunet_wmh", "evaluate", str(predictions), str(dataset / "labelsTs"), "--dataset-json",
                str(dataset / "dataset.json"), "--conversion-tsv", str(dataset / "conversion.tsv"),
                "--out", str(out), "--jobs", str(self.jobs), "--overwrite"]  # fmt: skip
        return self.add(Step(f"{config.name}/evaluate", f"{config.name}: evaluate", {}, after, [argv], run, [out]))

    def config_steps(self, config: StudyConfig, before: list[Step]) -> Step:
        """Every step of a trained configuration; returns its evaluation step."""
        convert = self.convert_step(config, before if self.region_override(config) else [])
        plan = self.plan_step(config, [convert])
        trained = [self.train_step(config, fold, [plan]) for fold in self.options.folds]
        predict = self.predict_step(config, trained)
        labelled = self.decode_step(config, [predict]) if config.decode else predict
        return self.evaluate_step(config, [labelled])


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(values, default=lambda v: list(v) if isinstance(v, tuple) else str(v)))


#: ConvertOptions fields the study sets, and their ``convert`` flags (in the order the command lists them).
CONVERT_FLAGS = {
    "mode": "--mode", "dataset_id": "--dataset-id", "name": "--name", "cv_folds": "--cv-folds", "seed": "--seed",
    "encoding": "--encoding", "modalities": "--modalities", "variants": "--variants",
    "train_variants": "--train-variants", "layout": "--layout", "test_source": "--test-source",
    "test_layout": "--test-layout", "regions": "--regions", "region_table": "--region-table", "exclude": "--exclude",
    "out": "--out",
}  # fmt: skip
ALWAYS_SHOWN = ("mode", "dataset_id", "name", "cv_folds", "seed", "out")


def convert_command(source: Path, convert: ConvertOptions, *, jobs: int) -> list[str]:
    """``nnunet_wmh convert`` with the flags of ``convert`` (the dataset's identity, and the options that differ
    from the defaults)."""
    argv = ["nnunet_wmh", "convert", str(source)]
    default = ConvertOptions(mode=convert.mode, dataset_id=convert.dataset_id)
    for name, flag in CONVERT_FLAGS.items():
        value = getattr(convert, name)
        if name in ALWAYS_SHOWN or (value and value != getattr(default, name)):
            argv += [flag, ",".join(value) if isinstance(value, list | tuple) else str(value)]
    return [*argv, "--jobs", str(jobs), "--overwrite"]
