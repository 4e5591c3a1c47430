"""``nnunet_wmh study`` end to end on the command line (slow): two micro studies with tiny-schedule trainers.

* flair + interchangeable_dropout: every output file, results equal to ``nnunet_wmh evaluate`` on the study's
  own predictions, a rerun that trains nothing, a changed option refused, both pages in a real browser.
* flair_t1 + multitask_separate + separate_models (atlas = the cohort's template): the localization table,
  with the ground-truth burden counted by hand from the source maps.
"""

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from nnunet_wmh.tsv import read_tsv
from tests.helpers.browser import open_page, screenshot

BIN = Path(sys.executable).parent
TEST_TRAINERS = Path(__file__).parent / "nnunet_trainers"
pytestmark = pytest.mark.slow


def run(command: list[str], cwd: Path, *, expect: int = 0, env: dict[str, str] | None = None) -> str:
    completed = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=1500, env=env)
    output = completed.stdout + completed.stderr
    assert completed.returncode == expect, f"{' '.join(command)} exit {completed.returncode}:\n{output[-5000:]}"
    return output


def micro_cohort(root: Path, env: dict[str, str] | None = None) -> Path:
    """The micro studies' cohort: 6 training and 3 test phantoms, one training subject without FLAIR (a mixed
    cohort: left out of flair, kept in interchangeable_dropout, which fills a missing modality)."""
    run([str(BIN / "nnunet_wmh"), "synth", "--out", "cohort", "--subjects", "6", "--test-subjects", "3",
         "--size", "small", "--seed", "5", "-q"], root, env=env)  # fmt: skip
    (root / "cohort" / "training" / "Utrecht" / "0" / "pre" / "FLAIR.nii.gz").unlink()
    return root / "cohort"


def _study_command(configs: str, trainers: list[str], *extra: str) -> list[str]:
    command = [str(BIN / "nnunet_wmh"), "study", "cohort", "--out", "study", "--configs", configs, "--trainer-path",
               str(TEST_TRAINERS), "--device", "cpu", "--cv-folds", "2", "--jobs", "2", "--deterministic",
               *extra]  # fmt: skip
    for trainer in trainers:
        command += ["--trainer", trainer]
    return command


@pytest.fixture(scope="module")
def micro_study(tmp_path_factory):
    """The two-configuration micro study, run once: its folder, command and wall time."""
    root = tmp_path_factory.mktemp("study")
    micro_cohort(root)
    command = _study_command(
        "flair,interchangeable_dropout",
        ["flair=nnUNetTrainer_tiny", "interchangeable_dropout=nnUNetTrainerModalityDropout_tiny"],
    )
    started = time.perf_counter()
    output = run(command, root)
    return root, command, time.perf_counter() - started, output


def test_every_output_is_written_with_one_row_per_configuration_input_and_case(micro_study):
    root, _, _, output = micro_study
    study = root / "study"
    for name in ("results.tsv", "table_segmentation.tsv", "table_segmentation.md", "comparisons.tsv", "index.html",
                 "study.json", "commands.sh", "figures/dice.png", "figures/hd95_mm.png"):  # fmt: skip
        assert (study / name).is_file(), name
    results = read_tsv(study / "results.tsv")
    counts = {}
    for row in results:
        counts[(row["config"], row["variant"])] = counts.get((row["config"], row["variant"]), 0) + 1
    dropout = "interchangeable_dropout"
    assert counts == {("flair", "flair_only"): 3, (dropout, "paired"): 3, (dropout, "flair_only"): 3,
                      (dropout, "t1_only"): 3}  # fmt: skip
    segmentation = read_tsv(study / "table_segmentation.tsv")
    assert (segmentation[0]["config"], segmentation[0]["variant"], segmentation[0]["n"]) == ("flair", "flair_only", "3")
    comparisons = read_tsv(study / "comparisons.tsv")
    assert {r["comparison"] for r in comparisons} == {"interchangeable_dropout[flair_only] vs flair[flair_only]"}
    assert (
        "| interchangeable_dropout | t1_only | 3 |" in output
        or "| interchangeable_dropout (**did not learn**) | t1_only | 3 |" in output
    )
    checks = read_tsv(study / "model_checks.tsv")
    assert {c["config"] for c in checks} == {"flair", "interchangeable_dropout"}
    for check in checks:  # a tiny schedule may learn nothing: then the console says so, and why
        assert (f"warning: {check['config']} did not learn: {check['reason']}" in output) == (
            check["status"] == "did not learn"
        )
    assert (study / "figures" / "learning_curves.png").is_file()
    study_json = json.loads((study / "study.json").read_text())
    left_out = [{"subject": "Utrecht/0", "reason": "no FLAIR image"}]
    assert study_json["configs"]["flair"]["subjects"] == {"train": 5, "test": 3, "excluded": left_out}
    assert study_json["configs"]["interchangeable_dropout"]["subjects"] == {"train": 6, "test": 3, "excluded": []}
    flair_dataset = next((study / "nnUNet_raw").glob("Dataset800_*"))
    assert len(list((flair_dataset / "imagesTr").iterdir())) == 5  # left out of flair only
    # the dropout model trained on paired cases only, and predictions keep the test images' grid
    dataset = next((study / "nnUNet_raw").glob("Dataset804_*"))
    assert len(list((dataset / "imagesTr").iterdir())) == 6 * 2  # the subject without FLAIR is kept (T1 twice)
    case = results[0]
    prediction, reference = nib.load(case["prediction"]), nib.load(case["reference"])
    assert prediction.shape == reference.shape and np.allclose(prediction.affine, reference.affine, atol=1e-4)


def test_results_equal_nnunet_wmh_evaluate_on_the_study_predictions(micro_study, tmp_path):
    root, _, _, _ = micro_study
    study = root / "study"
    results = {(r["config"], r["case"]): r for r in read_tsv(study / "results.tsv")}
    for config, dataset_id in (("flair", 800), ("interchangeable_dropout", 804)):
        dataset = next((study / "nnUNet_raw").glob(f"Dataset{dataset_id}_*"))
        out = tmp_path / config
        run([str(BIN / "nnunet_wmh"), "evaluate", str(study / "predictions" / config), str(dataset / "labelsTs"),
             "--dataset-json", str(dataset / "dataset.json"), "--conversion-tsv", str(dataset / "conversion.tsv"),
             "--out", str(out), "-q"], root)  # fmt: skip
        rows = read_tsv(out / "metrics.tsv")
        assert len(rows) == sum(1 for key in results if key[0] == config)
        for row in rows:
            mine = results[(config, row["case"])]
            for metric in ("dice", "hd95_mm", "avd_percent", "lesion_recall", "lesion_f1"):
                assert mine[metric] == row[metric], (config, row["case"], metric)
            assert (mine["variant"], mine["participant_id"], mine["site"]) == (
                row["variant"],
                row["subject"],
                row["site"],
            )


def test_a_rerun_trains_nothing_and_a_changed_option_is_refused(micro_study):
    root, command, first_seconds, _ = micro_study
    checkpoints = sorted((root / "study" / "nnUNet_results").rglob("checkpoint_final.pth"))
    stamps = [p.stat().st_mtime_ns for p in checkpoints]
    started = time.perf_counter()
    output = run(command, root)
    assert time.perf_counter() - started < 0.25 * first_seconds
    assert output.count(": done earlier") == 10 and "nnUNetv2_train fold 0 (nnUNetTrainer_tiny, cpu) ..." not in output
    summary = [line for line in output.splitlines() if line.startswith("study: ")]  # stdout's last line
    assert summary and summary[-1].startswith("study: 0 step(s) done, 10 done earlier in ")
    assert [p.stat().st_mtime_ns for p in checkpoints] == stamps and len(checkpoints) == 2
    refused = run([*command, "--seed", "7"], root, expect=1)
    assert "finished step(s) flair/convert" in refused and "--overwrite" in refused


def test_commands_sh_on_its_own_in_a_fresh_shell_reproduces_the_results(micro_study, tmp_path):
    """The dry run's commands.sh, run by bash with nothing but PATH: every step, then the tables, and the same
    results.tsv as the study run in-process (training is seeded: --deterministic)."""
    root, command, _, _ = micro_study
    micro_cohort(tmp_path)
    run([*command, "--dry-run"], tmp_path)
    study = tmp_path / "study"
    output = run(
        ["bash", str(study / "commands.sh")], tmp_path, env={"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(tmp_path)}
    )
    assert "study: 0 step(s) done, 10 done earlier" in output  # the tables step found every step recorded
    local = read_tsv(root / "study/results.tsv")
    mine = read_tsv(study / "results.tsv")
    assert len(mine) == len(local)
    # seeded training repeats to the last bit on an idle machine (CI); under load torch's threads may add in
    # another order, and a 2-epoch model's masks then differ by a few voxels: metrics within a tolerance
    tolerance = {"dice": 0.02, "avd_percent": 0.02, "prediction_volume_mm3": 0.02, "hd95_mm": 0.5,
                 "lesion_recall": 0.2, "lesion_f1": 0.2}  # fmt: skip
    for row, expected in zip(mine, local, strict=True):
        for column, value in expected.items():
            if column in tolerance:
                close = pytest.approx(float(value), rel=tolerance[column], abs=tolerance[column], nan_ok=True)
                assert float(row[column]) == close, (column, row["case"])
            else:
                assert row[column].replace(str(study), "STUDY") == value.replace(str(root / "study"), "STUDY")
    assert (study / "index.html").is_file()
    again = run([*command], tmp_path)  # the command continues the script's work: nothing to redo
    assert again.count(": done earlier") == 10


def test_study_and_report_pages_load_every_image_and_link_in_a_real_browser(micro_study, tmp_path):
    root, _, _, _ = micro_study
    study = root / "study"
    dataset = next((study / "nnUNet_raw").glob("Dataset804_*"))
    run([str(BIN / "nnunet_wmh"), "report", str(study / "predictions" / "interchangeable_dropout"), "--out", "report",
         "--dataset-json", str(dataset / "dataset.json"), "--conversion-tsv", str(dataset / "conversion.tsv"),
         "--images", str(dataset / "imagesTs"), "-q"], root)  # fmt: skip
    for page, expected_images in ((study / "index.html", 2), (root / "report" / "index.html", 1 + 9)):
        found = open_page(page, tmp_path / page.parent.name)
        assert len(found["images"]) >= expected_images, found
        assert all(image["loaded"] and image["width"] > 100 for image in found["images"]), found["images"]
        files = [link for link in found["links"] if not link.startswith("#")]
        assert files and all((page.parent / link).exists() for link in files), files
        anchors = [link[1:] for link in found["links"] if link.startswith("#")]
        text = page.read_text()
        assert all(f'id="{anchor}"' in text for anchor in anchors), anchors
    shot = screenshot(study / "index.html", tmp_path / "study.png", tmp_path / "shot")
    assert shot.stat().st_size > 20_000


@pytest.fixture(scope="module")
def localization_study(tmp_path_factory):
    """flair_t1, multitask_separate and separate_models with the cohort's template as the atlas."""
    root = tmp_path_factory.mktemp("localization")
    run([str(BIN / "nnunet_wmh"), "synth", "--out", "cohort", "--subjects", "6", "--test-subjects", "2",
         "--size", "small", "--seed", "6", "-q"], root)  # fmt: skip
    template = root / "cohort" / "template"
    command = _study_command(
        "flair_t1,multitask_separate,separate_models",
        ["flair_t1=nnUNetTrainer_tiny", "multitask_separate=nnUNetTrainerMultiTaskLesionWeighted_tiny"],
        "--atlas-image", str(template / "template_T1w.nii.gz"), "--atlas-labels",
        str(template / "template_regions.nii.gz"), "--region-table", str(template / "regions.tsv"),
    )  # fmt: skip
    run(command, root)
    return root


def test_localization_table_and_ground_truth_burden_counted_by_hand(localization_study):
    study = localization_study / "study"
    table = read_tsv(study / "table_localization.tsv")
    assert {r["config"] for r in table} == {"multitask_separate", "separate_models"}
    assert sum(r["region_name"] == "all_regions" for r in table) == 2
    assert len(table) == 2 * (16 + 1)
    cases = read_tsv(study / "localization_cases.tsv")
    separate = [r for r in cases if r["config"] == "separate_models"]
    results = {r["case"]: r for r in read_tsv(study / "results.tsv")}
    subject = results[separate[0]["case"]]
    folder = localization_study / "cohort" / "test" / subject["site"] / subject["participant_id"]
    lesion = np.asanyarray(nib.load(folder / "wmh.nii.gz").dataobj)
    regions = np.asanyarray(nib.load(folder / "regions.nii.gz").dataobj)
    voxel_ml = float(np.prod(nib.load(folder / "wmh.nii.gz").header.get_zooms()[:3])) / 1000
    for row in (r for r in separate if r["case"] == separate[0]["case"]):
        by_hand = int(((lesion == 1) & (regions == int(row["region_id"]))).sum()) * voxel_ml
        assert float(row["true_volume_ml"]) == pytest.approx(by_hand, abs=1e-9), row["region_name"]
    # separate_models' regions come from the registered atlas: close to the phantom's true regions
    region_dice = [float(r["region_dice_mean"]) for r in table if r["config"] == "separate_models"]
    assert np.mean(region_dice) > 0.6
    assert (study / "figures" / "region_volume_agreement.png").is_file()
    assert any(r["metric"] == "region_volume_error_ml" for r in read_tsv(study / "comparisons.tsv"))
    shutil.rmtree(study / "nnUNet_preprocessed")  # large; not needed after training


def test_the_micro_study_on_slurm_gives_the_local_results_and_a_resubmission_runs_only_the_tables(
    micro_study, slurm_cluster, tmp_path
):
    """The same two-configuration study submitted to a real (single-node) SLURM: prepare, train, predict and
    tables jobs; the same results.tsv as the local run (training is seeded: --deterministic)."""
    root, command, _, _ = micro_study
    env = slurm_cluster.env
    micro_cohort(tmp_path, env)
    # each job gets both CPUs, as the local run had: seeded training repeats exactly only with the same threads
    slurm = ["--slurm", "--slurm-partition", "cpu", "--slurm-gpu-partition", "gpu", "--slurm-cpus", "2"]
    started = time.perf_counter()
    output = run([*command, *slurm], tmp_path, env=env)
    assert "7 job(s) submitted" in output and "study.flair.train_fold0" in output
    slurm_cluster.wait_idle(timeout=1200)
    print(f"study on SLURM: {time.perf_counter() - started:.0f} s")
    jobs = run([str(BIN / "nnunet_wmh"), "jobs", "study"], tmp_path, env=env)
    assert jobs.splitlines()[-1].startswith("7 done"), jobs
    study = tmp_path / "study"
    local = (root / "study/results.tsv").read_text().replace(str(root / "study"), "STUDY")
    assert (study / "results.tsv").read_text().replace(str(study), "STUDY") == local
    assert (study / "index.html").is_file() and (study / "table_segmentation.md").is_file()
    train = (study / "slurm/study.interchangeable_dropout.train_fold0.sbatch").read_text()
    assert "#SBATCH --partition=gpu" in train and "export nnunet_wmh_training_seed=12345" in train
    log = next((study / "slurm/logs").glob("study.interchangeable_dropout.train_fold0_*.out"))
    assert "steps interchangeable_dropout/train_fold0: ran" in log.read_text()
    assert "#SBATCH --partition=cpu" in (study / "slurm/study.flair.prepare.sbatch").read_text()

    again = run([*command, *slurm], tmp_path, env=env)  # every step is finished: only the tables job
    assert "1 job(s) submitted" in again and again.count("done earlier") == 6
    slurm_cluster.wait_idle(timeout=300)
    assert run([str(BIN / "nnunet_wmh"), "jobs", "study"], tmp_path, env=env).splitlines()[-1].startswith("7 done")
