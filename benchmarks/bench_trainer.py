"""Benchmark the cost of modality dropout in nnU-Net's training data pipeline.

Builds a synthetic interchangeable dataset at Utrecht size (240×240×48), runs nnU-Net's own planning and
preprocessing, then times, in one process and in alternating pairs with the same seeds, one training batch
of nnU-Net's data pipeline (data loader + augmentation, as ``nnUNetTrainer.get_dataloaders`` builds it)
with ``nnUNetTrainer``'s transforms and with ``nnUNetTrainerModalityDropout``'s. The dropout transform sits
near the end of the pipeline, so with the same seed both runs draw the same cases, patches and
augmentations up to it. Target: overhead ≤ 2 %.

Where a CUDA GPU is present, it also times whole epochs of both trainers (``--epochs``, first epoch
dropped: torch.compile warms up there); target ≤ 1.02×.

Usage: ``python benchmarks/bench_trainer.py [--subjects 6] [--batches 40] [--work DIR]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch


def prepare_dataset(work: Path, subjects: int) -> None:
    from nnunet_wmh.dataset_conversion import convert_dataset
    from nnunet_wmh.synthetic import make_synthetic_cohort

    make_synthetic_cohort(work / "cohort", subjects=subjects, sites=["Utrecht"], seed=3, jobs=2, progress=False)
    convert_dataset(work / "cohort", mode="interchangeable", dataset_id=901, out=work / "raw", progress=False)
    planner = Path(sys.executable).parent / "nnUNetv2_plan_and_preprocess"
    subprocess.run([str(planner), "-d", "901", "-c", "3d_fullres", "-npfp", "2", "-np", "2"], check=True,
                   capture_output=True)  # fmt: skip


def make_loader(trainer_class, device: torch.device):
    """The training data loader nnUNetTrainer.get_dataloaders builds, without worker processes."""
    from batchgenerators.utilities.file_and_folder_operations import join, load_json
    from nnunetv2.paths import nnUNet_preprocessed
    from nnunetv2.training.dataloading.data_loader import nnUNetDataLoader

    folder = join(str(nnUNet_preprocessed), "Dataset901_WMH_interchangeable")
    plans, dataset_json = load_json(join(folder, "nnUNetPlans.json")), load_json(join(folder, "dataset.json"))
    plans["continue_training"] = False  # nnUNetv2_train sets this before building a trainer
    trainer = trainer_class(plans, "3d_fullres", 0, dataset_json, device)
    trainer.initialize()
    patch_size = trainer.configuration_manager.patch_size
    rotation, dummy_2d, initial_patch_size, mirror_axes = (
        trainer.configure_rotation_dummyDA_mirroring_and_inital_patch_size()
    )
    transforms = trainer.get_training_transforms(
        patch_size, rotation, trainer._get_deep_supervision_scales(), mirror_axes, dummy_2d,
        use_mask_for_norm=trainer.configuration_manager.use_mask_for_norm, is_cascaded=trainer.is_cascaded,
        foreground_labels=trainer.label_manager.foreground_labels, regions=None,
        ignore_label=trainer.label_manager.ignore_label,
    )  # fmt: skip
    dataset_tr, _ = trainer.get_tr_and_val_datasets()
    return nnUNetDataLoader(dataset_tr, trainer.batch_size, initial_patch_size, patch_size, trainer.label_manager,
                            oversample_foreground_percent=trainer.oversample_foreground_percent,
                            transforms=transforms), trainer  # fmt: skip


def timed_batch(loader, seed: int) -> float:
    np.random.seed(seed)
    torch.manual_seed(seed)
    started = time.perf_counter()
    loader.generate_train_batch()
    return time.perf_counter() - started


def time_epochs(trainer_class, epochs: int, device: torch.device) -> list[float]:
    from batchgenerators.utilities.file_and_folder_operations import join, load_json
    from nnunetv2.paths import nnUNet_preprocessed

    folder = join(str(nnUNet_preprocessed), "Dataset901_WMH_interchangeable")
    plans, dataset_json = load_json(join(folder, "nnUNetPlans.json")), load_json(join(folder, "dataset.json"))
    plans["continue_training"] = False  # nnUNetv2_train sets this before building a trainer
    trainer = trainer_class(plans, "3d_fullres", 0, dataset_json, device)
    trainer.num_epochs = epochs
    trainer.perform_actual_validation = lambda *a, **k: None
    durations: list[float] = []
    original = trainer.on_epoch_end

    def record_epoch_end():
        durations.append(time.perf_counter() - trainer._epoch_started)
        original()

    original_start = trainer.on_epoch_start

    def record_epoch_start():
        trainer._epoch_started = time.perf_counter()
        original_start()

    trainer.on_epoch_start, trainer.on_epoch_end = record_epoch_start, record_epoch_end
    trainer.run_training()
    return durations[1:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subjects", type=int, default=6)
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--epochs", type=int, default=6, help="GPU only: epochs per trainer")
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(dir=args.work))
    for variable, folder in (
        ("nnUNet_raw", "raw"),
        ("nnUNet_preprocessed", "preprocessed"),
        ("nnUNet_results", "results"),
    ):
        (work / folder).mkdir()
        os.environ[variable] = str(work / folder)
    os.environ.setdefault("nnUNet_compile", "false")
    try:
        started = time.perf_counter()
        prepare_dataset(work, args.subjects)
        print(f"dataset: {args.subjects} Utrecht-size subjects, interchangeable (3 cases each), planned and "
              f"preprocessed in {time.perf_counter() - started:.0f} s")  # fmt: skip
        from nnunetv2.training.nnUNetTrainer.nnUNetTrainer import nnUNetTrainer

        from nnunet_wmh.trainers.nnunet_wmh_modality_dropout import nnUNetTrainerModalityDropout

        cpu = torch.device("cpu")
        baseline, trainer = make_loader(nnUNetTrainer, cpu)
        dropout, _ = make_loader(nnUNetTrainerModalityDropout, cpu)
        print(f"batch: {trainer.batch_size} x {trainer.configuration_manager.patch_size} patches, 2 channels")
        for seed in range(3):  # warm-up (file caches, allocator)
            timed_batch(baseline, seed), timed_batch(dropout, seed)
        pairs = [(timed_batch(baseline, seed), timed_batch(dropout, seed)) for seed in range(100, 100 + args.batches)]
        base_total, dropout_total = sum(b for b, _ in pairs), sum(d for _, d in pairs)
        ratios = [d / b for b, d in pairs]
        overhead = dropout_total / base_total - 1
        print(f"nnUNetTrainer data pipeline:                {1000 * base_total / len(pairs):8.1f} ms/batch")
        print(f"nnUNetTrainerModalityDropout data pipeline: {1000 * dropout_total / len(pairs):8.1f} ms/batch")
        verdict = "PASS" if overhead <= 0.02 else "FAIL"
        print(f"overhead: {100 * overhead:+.2f} % of total time, median per-batch ratio "
              f"{statistics.median(ratios):.4f}  -> {verdict} (target <= 2 %)")  # fmt: skip

        from nnunet_wmh.training.augmentation import ModalityDropoutTransform

        image = torch.randn(2, *trainer.configuration_manager.patch_size)
        transform = ModalityDropoutTransform(p=1.0)
        started = time.perf_counter()
        for _ in range(200):
            transform(image=image.clone())
        clone_started = time.perf_counter()
        for _ in range(200):
            image.clone()
        cost = (clone_started - started) - (time.perf_counter() - clone_started)
        print(f"the transform alone, always dropping: {1e6 * cost / 200 * trainer.batch_size:.0f} us per batch")

        if torch.cuda.is_available():
            gpu = torch.device("cuda")
            base_epochs = time_epochs(nnUNetTrainer, args.epochs, gpu)
            dropout_epochs = time_epochs(nnUNetTrainerModalityDropout, args.epochs, gpu)
            ratio = statistics.median(dropout_epochs) / statistics.median(base_epochs)
            print(f"GPU epoch time: nnUNetTrainer {statistics.median(base_epochs):.1f} s, "
                  f"nnUNetTrainerModalityDropout {statistics.median(dropout_epochs):.1f} s, ratio {ratio:.3f} "
                  f"-> {'PASS' if ratio <= 1.02 else 'FAIL'} (target <= 1.02)")  # fmt: skip
        else:
            print("GPU epoch time: no CUDA device here, not measured")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
