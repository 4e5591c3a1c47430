"""Finding a study's trainers as nnU-Net will, without importing nnU-Net or torch."""

import os
import subprocess
import sys
import textwrap

from nnunet_wmh.nnunet.trainer_search import trainer_search_path, trainers_path
from nnunet_wmh.study.profiles import PROFILES, STOCK_TRAINERS
from nnunet_wmh.study.trainer_lookup import find_trainers, nnunet_trainers_folder, search_folders, trainer_problems


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def test_an_nnunet_trainer_is_found_in_its_nested_variants_folder():
    found = find_trainers(["nnUNetTrainer_5epochs"], [nnunet_trainers_folder()])
    assert found["nnUNetTrainer_5epochs"].name == "nnUNetTrainer_Xepochs.py"
    assert found["nnUNetTrainer_5epochs"].parent.name == "training_length"


def test_a_trainer_of_this_package_is_found_in_its_trainers_folder():
    found = find_trainers(["nnUNetTrainerModalityDropout_p025"], search_folders(trainer_search_path()))
    assert found == {"nnUNetTrainerModalityDropout_p025": trainers_path() / "nnunet_wmh_modality_dropout.py"}


def test_every_trainer_of_every_profile_and_of_stock_is_found():
    names = {*STOCK_TRAINERS.values(), *(t for p in PROFILES.values() for t in p.trainers.values())}
    assert trainer_problems({name: name for name in sorted(names)}, trainer_search_path()) == []


def test_a_trainer_path_is_searched_as_nnunet_imports_it_top_level_modules_then_packages(tmp_path):
    mine = tmp_path / "mine"
    top = _write(mine / "my_trainers.py", "from nnunetv2 import x as Imported\nclass MyTrainer(Base):\n    pass\n")
    nested = _write(mine / "pkg" / "deeper.py", "class NestedTrainer(Base):\n    pass\n")
    _write(mine / "pkg" / "__init__.py", "")
    _write(mine / "not_a_package" / "hidden.py", "class HiddenTrainer(Base):\n    pass\n")
    _write(mine / "broken.py", "class BrokenTrainer(:\n")
    _write(mine / "methods.py", "class Other:\n    class InnerTrainer:\n        pass\n")
    wanted = ["MyTrainer", "Imported", "NestedTrainer", "HiddenTrainer", "BrokenTrainer", "InnerTrainer"]
    found = find_trainers(wanted, [mine])
    assert found == {"MyTrainer": top, "Imported": top, "NestedTrainer": nested}


def test_the_first_folder_that_binds_a_name_is_the_one_nnunet_takes(tmp_path):
    first = _write(tmp_path / "a" / "t.py", "class SameTrainer(Base):\n    pass\n")
    _write(tmp_path / "b" / "t.py", "class SameTrainer(Base):\n    pass\n")
    assert find_trainers(["SameTrainer"], [tmp_path / "a", tmp_path / "b"]) == {"SameTrainer": first}


def test_a_missing_trainer_is_named_with_every_configuration_that_uses_it_and_the_folders_searched(tmp_path):
    mine = tmp_path / "mine"
    _write(mine / "t.py", "class MyTrainer(Base):\n    pass\n")
    chosen = {"flair": "NoSuchTrainer", "t1": "MyTrainer", "flair_t1": "NoSuchTrainer", "x": "Typo_Trainer"}
    problems = trainer_problems(chosen, trainer_search_path([mine]))
    searched = f"{nnunet_trainers_folder()}, {trainers_path()}, {mine}"
    assert problems == [
        f"`trainers` flair, flair_t1: no trainer class NoSuchTrainer in nnU-Net's trainers, nnunet_wmh's or "
        f"`trainer_paths` (searched {searched}); check the name, or pass the folder of its file as `trainer_paths`",
        f"`trainers` x: no trainer class Typo_Trainer in nnU-Net's trainers, nnunet_wmh's or `trainer_paths` "
        f"(searched {searched}); check the name, or pass the folder of its file as `trainer_paths`",
    ]


def test_a_search_path_folder_that_does_not_exist_is_not_searched(tmp_path):
    path = os.pathsep.join([str(trainers_path()), str(tmp_path / "gone"), ""])
    assert search_folders(path) == [nnunet_trainers_folder(), trainers_path()]


def test_the_lookup_imports_neither_nnunet_nor_torch():
    script = (
        "import sys\n"
        "from nnunet_wmh.nnunet.trainer_search import trainer_search_path\n"
        "from nnunet_wmh.study.trainer_lookup import trainer_problems\n"
        "assert trainer_problems({'flair': 'nnUNetTrainer_5epochs'}, trainer_search_path()) == []\n"
        "assert trainer_problems({'flair': 'NoSuchTrainer'}, trainer_search_path())\n"
        "print(sorted(m for m in ('torch', 'nnunetv2') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
