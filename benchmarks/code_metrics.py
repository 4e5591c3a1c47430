"""Figures of the code itself: function sizes, parameter counts, and two parameter walks.

* **longest function** and **functions over 8 parameters** of the package (``self``/``cls`` not counted);
* **walks**: one call of a command's library function is traced (``sys.setprofile``) and one of its
  parameters is followed through the package: a *stop* is a package function that receives the parameter's
  value, or a value made from it (a stop's return value that holds it; a path inside a path that was followed;
  an object holding either in a field or an item, two levels deep; the other fields of such an object are not
  followed). Stops are listed in the order they are first reached; a *return* is
  a step of that list into a module that was already left once. Fewer stops, modules and returns: a reader
  follows the value through fewer places.

  - ``segment``: ``segment_cohort``'s ``model`` on 2 subjects of a small synthetic cohort (regions from the
    phantom's atlas, no pictures), with the model of ``nnunet_wmh demo --quick`` (``--model``);
  - ``report``: ``make_report``'s ``prediction_dir`` on 3 synthetic lesion maps with region maps.

Usage: ``python benchmarks/code_metrics.py [--model MODEL_FOLDER] [--work DIR]`` (without ``--model`` the
segment walk is left out).
"""

from __future__ import annotations

import argparse
import ast
import inspect
import os
import sys
import tempfile
from collections.abc import Callable
from dataclasses import fields, is_dataclass
from pathlib import Path

import nnunet_wmh

PACKAGE = Path(nnunet_wmh.__file__).parent


def _functions(path: Path) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    tree = ast.parse(path.read_text())
    return [node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)]


def _parameters(function: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    arguments = function.args
    named = [a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)]
    return len([n for n in named if n not in ("self", "cls")]) + bool(arguments.vararg) + bool(arguments.kwarg)


def static_figures() -> None:
    """Print the longest functions and every function over 8 parameters."""
    sizes, wide = [], []
    for path in sorted(PACKAGE.rglob("*.py")):
        for function in _functions(path):
            where = f"{path.relative_to(PACKAGE.parent)}:{function.lineno} {function.name}"
            sizes.append((function.end_lineno - function.lineno + 1, where))
            if _parameters(function) > 8:
                wide.append((_parameters(function), where))
    sizes.sort(reverse=True)
    print("longest functions: " + "; ".join(f"{where} ({lines} lines)" for lines, where in sizes[:3]))
    print(f"functions over 8 parameters: {len(wide)}")
    for count, where in sorted(wide, reverse=True):
        print(f"  {where}: {count}")
    modules = sum(1 for _ in PACKAGE.rglob("*.py"))
    readme = PACKAGE.parent / "README.md"
    docs = PACKAGE.parent / "docs"
    pages = sum(1 for _ in docs.rglob("*.md")) if docs.is_dir() else 0
    print(f"modules: {modules}; README.md: {len(readme.read_text().splitlines())} lines; docs pages: {pages}")


class _Walk:
    """Follows values made from one parameter through the package's functions while a call runs."""

    def __init__(self, start: object) -> None:
        self.objects: dict[int, object] = {}
        self.paths: set[str] = set()
        self.stops: list[tuple[str, str]] = []
        self.frames: set[int] = set()
        self._mark(start)

    def _mark(self, value: object) -> None:
        if value is None or isinstance(value, bool | int | float):
            return
        self.objects[id(value)] = value  # kept alive, so that ids stay unique
        if isinstance(value, str | os.PathLike):
            text = os.fspath(value)
            if isinstance(text, str) and len(text) > 1:
                self.paths.add(os.path.abspath(text))

    def _carries(self, value: object, depth: int = 0) -> bool:
        if id(value) in self.objects:
            return True
        if isinstance(value, str | os.PathLike):
            text = os.fspath(value)
            if isinstance(text, str) and len(text) > 1 and ("/" in text or os.sep in text):
                absolute = os.path.abspath(text)
                return any(absolute == p or absolute.startswith(p + os.sep) for p in self.paths)
            return False
        if depth >= 2:
            return False
        return any(self._carries(member, depth + 1) for member in self._members(value))

    def profile(self, frame, event: str, argument: object) -> None:
        code = frame.f_code
        if not code.co_filename.startswith(str(PACKAGE)) or code.co_name.startswith("<"):
            return
        if event == "call":
            names = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
            values = [frame.f_locals.get(name) for name in names if name not in ("self", "cls")]
            if code.co_flags & inspect.CO_VARKEYWORDS:
                values += list(frame.f_locals.get(code.co_varnames[len(names) + bool(code.co_flags & 4)], {}) or {})
            if any(self._carries(v) for v in values):
                self.frames.add(id(frame))
                module = frame.f_globals.get("__name__", "?")
                stop = (module, code.co_qualname if hasattr(code, "co_qualname") else code.co_name)
                if stop not in self.stops:
                    self.stops.append(stop)
        elif event == "return" and id(frame) in self.frames:
            self.frames.discard(id(frame))
            if argument is not None and not isinstance(argument, str | os.PathLike) and self._carries(argument):
                self._mark(argument)  # a value made from the followed one; its other members were not

    @staticmethod
    def _members(value: object) -> list[object]:
        if is_dataclass(value) and not isinstance(value, type):
            return [getattr(value, f.name, None) for f in fields(value)]
        if isinstance(value, list | tuple | set | frozenset):
            return list(value)[:50]
        if isinstance(value, dict):
            return list(value.values())[:50]
        return list(getattr(value, "__dict__", {}).values())[:50]

    def figures(self) -> tuple[int, int, int]:
        """Stops, modules, returns to a module already left."""
        sequence: list[str] = []
        for module, _ in self.stops:
            if not sequence or sequence[-1] != module:
                sequence.append(module)
        returns = sum(1 for i, module in enumerate(sequence) if module in sequence[:i])
        return len(self.stops), len({m for m, _ in self.stops}), returns


def walk(name: str, start: object, call: Callable[[], object]) -> None:
    """Run ``call`` while following ``start``; print the figures and the stops."""
    tracer = _Walk(start)
    sys.setprofile(tracer.profile)
    try:
        call()
    finally:
        sys.setprofile(None)
    stops, modules, returns = tracer.figures()
    print(f"walk {name}: {stops} stops in {modules} modules, {returns} returns to a module already left")
    for module, function in tracer.stops:
        print(f"    {module}.{function}")


def _report_walk(work: Path) -> None:
    import nibabel as nib
    import numpy as np

    from nnunet_wmh import make_report

    predictions, regions = work / "report_predictions", work / "report_regions"
    predictions.mkdir()
    regions.mkdir()
    for number in range(3):
        lesion = np.zeros((20, 20, 8), np.uint8)
        lesion[4 + number : 8 + number, 5:9, 2:4] = 1
        region = np.zeros((20, 20, 8), np.uint8)
        region[:10], region[10:] = 1, 2
        affine = np.diag([1.0, 1.0, 3.0, 1.0])
        nib.save(nib.Nifti1Image(lesion, affine), predictions / f"case_{number}.nii.gz")
        nib.save(nib.Nifti1Image(region, affine), regions / f"case_{number}.nii.gz")
    prediction_dir = str(predictions)
    out = work / "report"
    if "run" in inspect.signature(make_report).parameters:
        call = lambda: make_report(prediction_dir, out, regions=str(regions), pictures=False, progress=False)  # noqa: E731
    else:  # the API before the shared run options
        from nnunet_wmh import ReportOptions

        options = ReportOptions(pictures=False)
        call = lambda: make_report(prediction_dir, out, regions=str(regions), options=options, progress=False)  # noqa: E731
    walk("report (make_report's prediction_dir)", prediction_dir, call)


def _segment_walk(work: Path, model: str) -> None:
    from nnunet_wmh import segment_cohort
    from nnunet_wmh.synthetic import make_synthetic_cohort

    cohort = work / "segment_cohort"
    make_synthetic_cohort(cohort, subjects=2, size="small", seed=3, progress=False)
    template = cohort / "template"
    atlas = {"atlas_image": str(template / "template_T1w.nii.gz"),
             "atlas_labels": str(template / "template_regions.nii.gz"),
             "region_table": str(template / "regions.tsv")}  # fmt: skip
    out = work / "segment"
    if "run" not in inspect.signature(segment_cohort).parameters:  # the API before the shared run options
        from nnunet_wmh import ReportOptions, SegmentOptions

        options = SegmentOptions(device="cpu", mirroring=False, report=ReportOptions(pictures=False), **atlas)
        call = lambda: segment_cohort(str(cohort), model, out, options=options, progress=False)  # noqa: E731
    else:
        call = lambda: segment_cohort(str(cohort), model, out, device="cpu", mirroring=False,  # noqa: E731
                                      pictures=False, progress=False, **atlas)  # fmt: skip
    walk("segment (segment_cohort's model)", model, call)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="a trained model folder (e.g. the demo's); without it no segment walk")
    parser.add_argument("--work", type=Path, help="scratch folder (default: a temporary one)")
    args = parser.parse_args()
    static_figures()
    with tempfile.TemporaryDirectory() as scratch:
        work = args.work or Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        _report_walk(work)
        if args.model:
            _segment_walk(work, os.path.abspath(args.model))


if __name__ == "__main__":
    main()
