"""Which configurations a study runs, and what each needs."""

import pytest

from nnunet_wmh.cli.main import build_parser
from nnunet_wmh.errors import UsageError
from nnunet_wmh.runs.options import RunOptions
from nnunet_wmh.study.configs import CONFIGS, join_config_tokens, parse_list_config, resolve_configs, select_configs
from nnunet_wmh.study.layout import StudyLayout
from nnunet_wmh.study.options import StudyOptions
from nnunet_wmh.study.paper_tables import table_order
from nnunet_wmh.study.plan import StudyPlanner
from nnunet_wmh.study.profiles import PROFILES, parse_trainers
from nnunet_wmh.study.slurm import study_command
from nnunet_wmh.study.subjects import ConfigSubjects


def _names(configs):
    return [c.name for c in configs]


def test_default_is_the_papers_eight_the_region_ones_on_atlas_regions_when_the_source_has_none():
    assert _names(select_configs(None)) == list(CONFIGS)
    assert _names(select_configs([])) == list(CONFIGS)


def test_chosen_configurations_keep_the_study_order():
    assert _names(select_configs(["interchangeable_dropout", "flair"])) == ["flair", "interchangeable_dropout"]


@pytest.mark.parametrize(
    ("names", "message"),
    [
        (["flair", "bogus"], r"unknown `configs` \['bogus'\]"),
        (["separate_models"], "needs a lesion configuration"),
        (["multitask_joint", "separate_models"], "needs a lesion configuration"),
    ],
)
def test_configurations_the_inputs_cannot_serve_are_refused_saying_why(names, message):
    with pytest.raises(UsageError, match=message) as raised:
        select_configs(names)
    assert raised.value.parameter == "configs"


def test_each_configuration_has_its_dataset_index_variants_and_trainer_family():
    assert [c.index for c in CONFIGS.values()] == list(range(8))
    assert CONFIGS["interchangeable_dropout"].convert == {"mode": "interchangeable", "train_variants": ("paired",)}
    assert CONFIGS["interchangeable"].variants == ("paired", "flair_only", "t1_only")
    assert CONFIGS["flair"].variants == ("flair_only",)
    assert CONFIGS["multitask_separate"].decode and CONFIGS["multitask_separate"].family == "multitask"
    assert not CONFIGS["separate_models"].trained


def test_a_list_configuration_has_one_canonical_name_and_follows_the_papers_eight():
    assert parse_list_config("interchangeable_dropout:flair,t1,t2") == (
        "interchangeable_dropout",
        ("flair", "t1", "t2"),
    )
    assert parse_list_config("interchangeable:flair+t2") == ("interchangeable", ("flair", "t2"))
    assert parse_list_config("interchangeable_dropout_flair_t1_t2") == ("interchangeable_dropout",
                                                                         ("flair", "t1", "t2"))  # fmt: skip
    assert parse_list_config("flair_t1") is None and parse_list_config("interchangeable_dropout") is None
    configs = resolve_configs(["fixed:flair,t2", "interchangeable_dropout:flair,t1,t2", "flair",
                               "interchangeable_dropout_flair_t1_t2"])  # fmt: skip
    assert [(c.name, c.index) for c in configs] == [
        ("flair", 0), ("fixed_flair_t2", 8), ("interchangeable_dropout_flair_t1_t2", 9)
    ]  # fmt: skip
    for bad, message in (("flair_t1:flair,t2", "only interchangeable_dropout, interchangeable, fixed take a list"),
                         ("interchangeable:flair", "needs at least two modalities"),
                         ("fixed:flair,dwi", "unknown `configs` dwi")):  # fmt: skip
        with pytest.raises(UsageError, match=message):
            resolve_configs([bad])


def test_list_configurations_convert_train_and_test_as_documented():
    dropout, stock, fixed = resolve_configs(
        ["interchangeable_dropout:flair,t1,t2", "interchangeable:flair,t1,t2", "fixed:t2"]
    )
    assert dropout.convert == {"mode": "interchangeable", "modalities": ("flair", "t1", "t2"), "variants": ("all",),
                               "train_variants": ("full",)}  # fmt: skip
    assert dropout.family == "dropout" and dropout.is_lesion_config and dropout.trained
    assert dropout.variants == ("flair+t1+t2", "flair+t1", "flair+t2", "t1+t2", "flair", "t1", "t2")
    assert stock.convert["train_variants"] == ("full", "flair", "t1", "t2") and stock.family == "stock"
    assert (fixed.convert, fixed.variants) == ({"mode": "t2"}, ("t2",))
    assert parse_trainers(["interchangeable_dropout_flair_t1_t2=MyTrainer"]) == {
        "interchangeable_dropout_flair_t1_t2": "MyTrainer"
    }


def test_the_convert_step_passes_modalities_and_variants(tmp_path):
    (config,) = select_configs(["interchangeable_dropout:flair,t1,t2"])
    planner = StudyPlanner(tmp_path / "cohort", StudyOptions(), StudyLayout(tmp_path / "study", 800),
                           PROFILES["quick"], "2d", {}, "cpu", 1, {}, False)  # fmt: skip
    planner.config_subjects = {name: ConfigSubjects(6, 3) for name in (config.name, "flair")}  # no cohort is read
    convert = planner.convert_step(config, [])
    argv = convert.commands[0]
    assert argv[argv.index("--modalities") + 1] == "flair,t1,t2" and argv[argv.index("--variants") + 1] == "all"
    assert argv[argv.index("--train-variants") + 1] == "full"
    assert argv[argv.index("--dataset-id") + 1] == "808"
    assert convert.options["convert"]["modalities"] == ["flair", "t1", "t2"]
    flair = planner.convert_step(resolve_configs(["flair"])[0], [])
    assert "modalities" not in flair.options["convert"] and flair.options["convert"]["channels"] == 2


def test_the_command_line_joins_modalities_to_their_configuration(tmp_path):
    assert join_config_tokens(["flair", "interchangeable_dropout:flair", "t1", "t2"]) == [
        "flair", "interchangeable_dropout:flair,t1,t2"]  # fmt: skip
    args = build_parser().parse_args(
        ["study", "cohort", "--out", "s", "--configs", "flair_t1,interchangeable_dropout:flair,t1,t2"]
    )
    assert args.configs == ["flair_t1", "interchangeable_dropout:flair,t1,t2"]
    options = StudyOptions(configs=args.configs)
    argv = study_command("cohort", tmp_path, options, RunOptions())
    assert argv[argv.index("--configs") + 1] == "flair_t1,interchangeable_dropout_flair_t1_t2"
    with pytest.raises(UsageError, match=r"`dataset_id_base` must be 1..991 \(ids up to base \+ 8\)"):
        StudyOptions(configs=["flair", "fixed:t2"], dataset_id_base=995).check()


def test_tables_list_subsets_largest_first_after_the_papers_configurations():
    rows = [{"config": "interchangeable_dropout_flair_t1_t2", "variant": v} for v in ("t2", "flair+t1", "t1+t2",
            "flair", "flair+t1+t2")] + [{"config": "flair_t1", "variant": "paired"}]  # fmt: skip
    ordered = sorted(rows, key=table_order)
    assert [r["variant"] for r in ordered] == ["paired", "flair+t1+t2", "flair+t1", "t1+t2", "flair", "t2"]
