"""The package's shape: lower layers never import higher ones, and no import cycle hides
behind a function-level import; the public API names one thing each."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

import kpi_xl

PACKAGE = Path(kpi_xl.__file__).resolve().parent

#: Bottom to top: a module may import its own layer and the layers below it.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "foundations",
        (
            "kpi_xl._version",
            "kpi_xl.errors",
            "kpi_xl.vocabulary",
            "kpi_xl.fileio",
            "kpi_xl.filetypes",
            "kpi_xl.resources",
            "kpi_xl.periods",
            "kpi_xl.digits",
            "kpi_xl.spreadsheet",
            "kpi_xl.extras",
            "kpi_xl.style",
            "kpi_xl.frames",
        ),
    ),
    ("catalog", ("kpi_xl.catalog",)),
    ("ingest", ("kpi_xl.ingest", "kpi_xl.sample_data", "kpi_xl.warehouse")),
    ("plan", ("kpi_xl.plan",)),
    ("workbook", ("kpi_xl.workbook",)),
    ("pipeline", ("kpi_xl.pipeline",)),
    ("refresh", ("kpi_xl.refreshing",)),
    ("edges", ("kpi_xl.excel", "kpi_xl.mail", "kpi_xl.udfs")),
    ("cli", ("kpi_xl.cli", "kpi_xl.__main__", "kpi_xl")),
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer_of(module: str) -> int:
    best, index = -1, -1
    for i, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, index = len(prefix), i
    assert index >= 0, f"{module} belongs to no layer: add it to LAYERS"
    return index


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(path: Path) -> set[str]:
    """Every kpi_xl module ``path`` imports at run time, at any depth (functions included;
    ``if TYPE_CHECKING:`` blocks excluded)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _type_checking(node):
            for other in node.orelse:
                visit(other)
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = importlib.util.resolve_name("." * node.level + base, package)
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if _is_module(candidate) else base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return {m for m in found if m == "kpi_xl" or m.startswith("kpi_xl.")}


def _is_module(name: str) -> bool:
    parts = name.split(".")
    base = PACKAGE.parent.joinpath(*parts)
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def test_every_module_has_a_layer() -> None:
    for module in all_modules():
        layer_of(module)


def test_no_module_imports_a_layer_above_it() -> None:
    wrong = []
    for module, path in all_modules().items():
        mine = layer_of(module)
        for imported in imports_of(path):
            if layer_of(imported) > mine:
                wrong.append(
                    f"{module} ({LAYERS[mine][0]}) imports {imported} "
                    f"({LAYERS[layer_of(imported)][0]})"
                )
    assert not wrong, "\n".join(wrong)


def test_no_import_cycle_even_through_function_level_imports() -> None:
    modules = all_modules()
    graph = {
        m: {i for i in imports_of(p) if i in modules and i != m and i != "kpi_xl"}
        for m, p in modules.items()
    }
    # a package's __init__ re-exporting its own submodules is not a cycle worth naming
    for m in graph:
        graph[m] = {i for i in graph[m] if not (m.startswith(i + ".") and _is_package(i))}
    state: dict[str, int] = {}
    stack: list[str] = []

    def dfs(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := dfs(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for module in sorted(graph):
        if module not in state and (cycle := dfs(module)):
            pytest.fail("import cycle: " + " -> ".join(cycle))


def _is_package(name: str) -> bool:
    return (PACKAGE.parent.joinpath(*name.split(".")) / "__init__.py").is_file()


def test_the_checker_sees_a_function_level_import() -> None:
    """The import walk must look inside functions, or a hidden cycle would pass."""
    imported = imports_of(PACKAGE / "refreshing" / "__init__.py")
    assert "kpi_xl.pipeline" in imported
    assert "kpi_xl.sample_data" in imports_of(PACKAGE / "pipeline.py")  # inside load()


def test_refresh_stays_the_function_after_importing_its_package() -> None:
    code = (
        "import kpi_xl, kpi_xl.refreshing, kpi_xl.refreshing.reader, inspect;"
        "from kpi_xl import refresh;"
        "assert inspect.isfunction(kpi_xl.refresh) and kpi_xl.refresh is refresh;"
        "assert refresh.__module__ == 'kpi_xl.refreshing';"
        "import importlib.util; assert importlib.util.find_spec('kpi_xl.refresh') is None"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_dir_lists_each_public_name_once() -> None:
    names = dir(kpi_xl)
    assert len(names) == len(set(names))
    for name in kpi_xl.__all__:
        getattr(kpi_xl, name)
    names = dir(kpi_xl)  # after every lazy attribute was loaded into the module
    assert len(names) == len(set(names))
    assert set(kpi_xl.__all__) <= set(names)


def test_every_package_directory_is_declared_in_pyproject() -> None:
    """A package renamed or added without updating pyproject's list breaks `pip install` on a
    fresh clone (the editable install here would still work from the old egg-info)."""
    import tomllib

    root = PACKAGE.parent
    declared = set(
        tomllib.loads((root / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"][
            "packages"
        ]
    )
    on_disk = {module_name(init.parent / "__init__.py") for init in PACKAGE.rglob("__init__.py")}
    on_disk |= {"kpi_xl.workbook_templates", "kpi_xl.workbook_templates.vba"}
    assert declared == on_disk
