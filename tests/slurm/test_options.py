"""SlurmOptions: values sbatch would refuse are refused here, and each job's #SBATCH lines."""

import pytest

from nnunet_wmh.errors import UsageError
from nnunet_wmh.slurm.options import SlurmOptions, sbatch_line


@pytest.mark.parametrize(
    ("field", "value", "parameter"),
    [
        ("mem", "16 GB", "mem"),
        ("mem", "lots", "mem"),
        ("time", "4h", "time"),
        ("time", "1-2:3", "time"),
        ("partition", "gpu; rm -rf /", "partition"),
        ("gres", "gpu 1", "gres"),
        ("account", "a'b", "account"),
        ("cpus", 0, "cpus"),
        ("extra", ("qos high\n#SBATCH --x",), "extra"),
        ("extra", ("",), "extra"),
        ("setup", ("module load cuda\nrm x",), "setup"),
        ("setup", ("  ",), "setup"),
    ],
)
def test_values_sbatch_would_refuse_are_refused_naming_the_option(field, value, parameter):
    with pytest.raises(UsageError) as caught:
        SlurmOptions(**{field: value}).check()
    assert caught.value.parameter == parameter


@pytest.mark.parametrize("time", ["30", "30:00", "04:00:00", "1-00", "1-04:00", "2-04:00:00", "UNLIMITED"])
def test_every_time_format_of_sbatch_is_taken(time):
    SlurmOptions(time=time, mem="16G", cpus=4, partition="gpu-a100", gres="gpu:a100:1").check()


def test_gpu_jobs_get_the_gpu_partition_and_gres_cpu_jobs_neither():
    options = SlurmOptions(partition="cpu", gpu_partition="gpu", gres="gpu:1", mem="8G", time="01:00:00",
                           account="lab", extra=("--qos=high", "#SBATCH --constraint=a100"))  # fmt: skip
    assert options.directives(gpu=True, cpus=4) == [
        "#SBATCH --partition=gpu", "#SBATCH --cpus-per-task=4", "#SBATCH --mem=8G", "#SBATCH --time=01:00:00",
        "#SBATCH --account=lab", "#SBATCH --gres=gpu:1", "#SBATCH --qos=high", "#SBATCH --constraint=a100",
    ]  # fmt: skip
    assert options.directives(gpu=False, cpus=4)[:2] == ["#SBATCH --partition=cpu", "#SBATCH --cpus-per-task=4"]
    assert not any("gres" in line for line in options.directives(gpu=False, cpus=4))


def test_without_a_gpu_partition_gpu_jobs_use_the_partition_and_cpus_override_the_command():
    options = SlurmOptions(partition="short", cpus=8)
    assert options.directives(gpu=True, cpus=2) == ["#SBATCH --partition=short", "#SBATCH --cpus-per-task=8"]
    assert SlurmOptions().directives(gpu=True, cpus=2) == ["#SBATCH --cpus-per-task=2"]


def test_extra_lines_are_normalised_to_sbatch_lines():
    assert sbatch_line("qos=high") == "#SBATCH --qos=high"
    assert sbatch_line("  #SBATCH -C a100 ") == "#SBATCH -C a100"
    assert sbatch_line("--mail-type=END") == "#SBATCH --mail-type=END"
