"""The package as a whole: its public facade, and the rules that keep its code readable.

* no function is longer than 80 lines or takes more than 8 parameters (options belong in an options class);
* an import inside a function is there for a heavy dependency, and says so (``# heavy: ...``);
* every library module is imported directly by a test, and the tests mirror the package;
* the layers and the absence of import cycles are checked by ``lint-imports`` (pyproject.toml), run by CI.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

import nnunet_wmh

PACKAGE = Path(nnunet_wmh.__file__).parent
TESTS = Path(__file__).parent
MAX_FUNCTION_LINES = 80
MAX_PARAMETERS = 8
#: Methods whose parameters nnU-Net fixes (the trainers override its own static methods with its signature).
NNUNET_SIGNATURES = {"get_training_transforms"}
#: Test folders that check the product across modules rather than one module.
CROSS_CUTTING = {"end_to_end", "fuzz", "helpers"}


def _module_files() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if p.name != "__main__.py")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _functions(tree: ast.AST):
    return [node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)]


def test_no_function_is_longer_than_80_lines():
    long = []
    for path in _module_files():
        for function in _functions(ast.parse(path.read_text())):
            length = function.end_lineno - function.lineno + 1
            if length > MAX_FUNCTION_LINES:
                long.append(f"{path.relative_to(PACKAGE)}:{function.lineno} {function.name} ({length} lines)")
    assert long == []


def _parameter_count(function: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    arguments = function.args
    named = [a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)]
    return len([n for n in named if n not in ("self", "cls")]) + bool(arguments.vararg) + bool(arguments.kwarg)


def test_no_function_takes_more_than_8_parameters():
    wide = []
    for path in _module_files():
        for function in _functions(ast.parse(path.read_text())):
            if _parameter_count(function) > MAX_PARAMETERS and function.name not in NNUNET_SIGNATURES:
                wide.append(f"{path.relative_to(PACKAGE)}:{function.lineno} {function.name}")
    assert wide == []


def _import_runs(function: ast.AST) -> list[list[ast.stmt]]:
    """The import statements of a function, grouped into runs of consecutive lines."""
    statements = sorted(
        (node for node in ast.walk(function) if isinstance(node, ast.Import | ast.ImportFrom)), key=lambda n: n.lineno
    )
    runs: list[list[ast.stmt]] = []
    for node in statements:
        if runs and node.lineno <= runs[-1][-1].end_lineno + 1:
            runs[-1].append(node)
        else:
            runs.append([node])
    return runs


def _unmarked_function_imports(path: Path) -> set[str]:
    """Runs of imports inside functions without a ``# heavy`` comment on them or on the line above."""
    lines = path.read_text().splitlines()
    unmarked = set()
    for function in _functions(ast.parse("\n".join(lines))):
        for run in _import_runs(function):
            text = "\n".join(lines[max(run[0].lineno - 2, 0) : run[-1].end_lineno])
            if "# heavy" not in text:
                unmarked.add(f"{path.relative_to(PACKAGE)}:{run[0].lineno} {lines[run[0].lineno - 1].strip()}")
    return unmarked


def test_every_import_inside_a_function_says_why():
    unmarked = sorted(line for path in _module_files() for line in _unmarked_function_imports(path))
    assert unmarked == []


def _has_code(path: Path) -> bool:
    body = ast.parse(path.read_text()).body
    return any(not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)) for node in body)


def _imported_modules(test_file: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(test_file.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_every_library_module_is_imported_directly_by_a_test():
    imported = set().union(*(_imported_modules(p) for p in TESTS.rglob("*.py")))
    modules = [_module_name(p) for p in _module_files() if _has_code(p)]
    assert [module for module in modules if module not in imported] == []


def test_the_tests_mirror_the_package():
    strays = []
    for test_file in TESTS.rglob("test_*.py"):
        relative = test_file.relative_to(TESTS)
        if relative.parts[0] in CROSS_CUTTING or relative == Path("test_package.py"):
            continue
        target = PACKAGE.joinpath(*relative.parts[:-1], relative.name.removeprefix("test_"))
        if not (target.is_file() or target.with_suffix("").is_dir()):
            strays.append(str(relative))
    assert strays == []


def test_the_facade_names_resolve_lazily():
    code = (
        "import sys, nnunet_wmh; "
        "assert 'nnunet_wmh.report.run' not in sys.modules; "
        "print(nnunet_wmh.make_report.__module__, nnunet_wmh.ConvertOptions.__module__, nnunet_wmh.__version__)"
    )
    printed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert printed.split() == ["nnunet_wmh.report.run", "nnunet_wmh.dataset_conversion.options", nnunet_wmh.__version__]
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        nnunet_wmh.nope  # noqa: B018


def test_the_import_contracts_hold():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    completed = subprocess.run([str(lint_imports)], capture_output=True, text=True, cwd=PACKAGE.parent)
    assert completed.returncode == 0, completed.stdout[-3000:]
    assert re.search(r"Contracts: 2 kept, 0 broken", completed.stdout)


def _third_party_imports() -> set[str]:
    """Top-level names of the modules the package imports that are neither its own nor the standard library."""
    names = set()
    for path in _module_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
    return {n for n in names if n not in sys.stdlib_module_names and n not in ("nnunet_wmh", "__future__")}


def test_every_imported_package_is_declared_and_nnunet_is_bounded():
    from importlib.metadata import packages_distributions

    tomllib = pytest.importorskip("tomllib")  # Python 3.11 and later

    project = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text())["project"]
    declared = {re.split(r"[<>=!\[ ;]", spec)[0].lower().replace("_", "-") for spec in project["dependencies"]}
    providers = packages_distributions()
    undeclared = sorted(
        module for module in _third_party_imports()
        if not {d.lower().replace("_", "-") for d in providers.get(module, [module])} & declared
    )  # fmt: skip
    assert undeclared == []
    nnunet = next(spec for spec in project["dependencies"] if spec.startswith("nnunetv2"))
    assert "<" in nnunet  # the trainers subclass its internals: bounded to the tested minor versions
    assert set(project["optional-dependencies"]) == {"test", "docs", "dev"}
    assert "ruff" not in " ".join(project["optional-dependencies"]["test"])  # linters are dev tools
