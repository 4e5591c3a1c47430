"""Whether nnU-Net will find each trainer of a study, checked before the study does any work.

``nnUNetv2_train -tr NAME`` (nnU-Net 2.x, ``recursive_find_trainer_class_by_name``) looks for the class in
nnU-Net's own trainers (``nnunetv2/training/nnUNetTrainer``), then in each folder of ``nnUNet_extTrainer`` (the
study sets it to nnunet_wmh's trainers, then ``trainer_paths``). In each folder it imports every module, then
those of each sub-package (a sub-folder with an ``__init__.py``), until one has an attribute of that name.

Importing them here would load torch and nnU-Net; :func:`trainer_files` walks the same files in the same order
and :func:`bound_names` reads each one's top-level names with :mod:`ast` instead (about 30 ms for nnU-Net's
trainers and nnunet_wmh's): a class, function, assignment or import at module level counts as found. A file
that is not valid Python binds nothing here (nnU-Net would stop on it). Whether the class derives from
``nnUNetTrainer`` is left to nnU-Net.
"""

from __future__ import annotations

import ast
import importlib.util
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path


def nnunet_trainers_folder() -> Path | None:
    """nnU-Net's own trainers (``nnunetv2/training/nnUNetTrainer``), found without importing nnU-Net; None when
    nnU-Net is not installed."""
    spec = importlib.util.find_spec("nnunetv2")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "training" / "nnUNetTrainer"


def search_folders(search_path: str) -> list[Path]:
    """The folders nnU-Net searches for a trainer, in its order: its own trainers, then the existing folders of
    ``search_path`` (an ``nnUNet_extTrainer`` value, joined by os.pathsep)."""
    own = nnunet_trainers_folder()
    listed = [Path(p) for p in search_path.split(os.pathsep) if p.strip() and os.path.exists(p)]
    return [*([own] if own is not None else []), *listed]


def trainer_files(folder: Path) -> Iterator[Path]:
    """The module files nnU-Net imports from ``folder`` while it searches: the folder's modules in name order,
    then each sub-package's, recursively (``pkgutil.iter_modules``)."""
    try:
        children = sorted(folder.iterdir())
    except OSError:
        return
    yield from (f for f in children if f.suffix == ".py" and f.stem != "__init__" and f.is_file())
    for child in children:
        if "." not in child.name and child.is_dir() and (child / "__init__.py").is_file():
            yield from trainer_files(child)


def bound_names(file: Path) -> set[str]:
    """The names a module file binds at its top level (classes, functions, assignments, imports); empty for a
    file that cannot be read or parsed."""
    try:
        tree = ast.parse(file.read_bytes(), filename=str(file))
    except (OSError, SyntaxError, ValueError):
        return set()
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(target.id for target in node.targets if isinstance(target, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return names


def find_trainers(names: Sequence[str], folders: Sequence[Path]) -> dict[str, Path]:
    """Trainer name → the file nnU-Net would take it from (the first that binds it), for the ``names`` found
    in ``folders``; files are read only until every name is found."""
    wanted, found = set(names), {}
    for folder in folders:
        for file in trainer_files(folder):
            for name in sorted(wanted & bound_names(file)):
                found[name] = file
            wanted -= set(found)
            if not wanted:
                return found
    return found


def trainer_problems(trainers: Mapping[str, str], search_path: str) -> list[str]:
    """One message per trainer nnU-Net would not find, naming the configurations that use it.

    Parameters
    ----------
    trainers
        Configuration name → its trainer.
    search_path
        The ``nnUNet_extTrainer`` the study's nnU-Net commands get (nnunet_wmh's trainers, ``trainer_paths``).

    Returns
    -------
    list of str
        ``"`trainers` flair: no trainer class NoSuchTrainer in ..."``; empty when every trainer is found.
    """
    folders = search_folders(search_path)
    found = find_trainers(sorted(set(trainers.values())), folders)
    searched = ", ".join(str(folder) for folder in folders)
    problems = []
    for trainer in dict.fromkeys(trainers.values()):
        if trainer not in found:
            configs = ", ".join(name for name, chosen in trainers.items() if chosen == trainer)
            problems.append(
                f"`trainers` {configs}: no trainer class {trainer} in nnU-Net's trainers, nnunet_wmh's or "
                f"`trainer_paths` (searched {searched}); check the name, or pass the folder of its file as "
                "`trainer_paths`"
            )
    return problems
