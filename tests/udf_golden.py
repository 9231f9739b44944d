"""xlwings' Windows UDF registration, run on any OS; the UDF goldens and docs list.

On Windows, ``import xlwings`` binds ``xw.func`` / ``xw.arg`` / ``xw.ret`` to
``xlwings.udfs.xlfunc`` / ``xlarg`` / ``xlret``, and the add-in's *Import Functions* button
calls ``xlwings.udfs.import_udfs``, which writes the VBA module ``xlwings_udfs`` and sets
each function's descriptions with ``Application.MacroOptions``. ``xlwings.udfs`` needs
pywin32 (``pythoncom``, ``pywintypes``, ``win32com.client``) only to talk to Excel over COM;
what it records and writes is plain Python. :func:`register_udfs`:

1. replaces pywin32's modules in ``sys.modules`` with inert stubs (any other attribute
   raises ``AttributeError``, so a new dependency of xlwings shows up here);
2. imports ``xlwings.udfs`` afresh and binds xlwings' decorators to it, exactly as
   ``xlwings/__init__.py`` does on Windows;
3. imports ``kpi_xl.udfs`` afresh through ``xlwings.udfs.get_udf_module`` (xlwings' own
   loader), so its decorators are the real Windows ones;
4. runs ``xlwings.udfs.import_udfs`` against a fake workbook that keeps the VBA file Excel
   would import and the ``MacroOptions`` calls.

The ``pytest.MonkeyPatch`` undoes all of it (the test passes its fixture; the regeneration
script uses ``pytest.MonkeyPatch.context()``). Nothing of xlwings' logic is re-implemented.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

from kpi_xl import catalog
from kpi_xl.catalog import label
from kpi_xl.excel.udf_specs import udf_specs

ROOT = Path(__file__).resolve().parent.parent
GOLDEN_DIR = ROOT / "tests" / "golden"
METADATA_GOLDEN = GOLDEN_DIR / "udf_metadata.json"
#: The VBA module ``xlwings_udfs`` as xlwings writes it: shipped as package data and built into
#: the macro-enabled plan (kpi_xl/excel/vba_project.py), so it lives with the VBA sources.
VBA_GOLDEN = ROOT / "workbook_templates" / "vba" / "xlwings_udfs.bas"
DOCS = ROOT / "docs" / "udfs.md"
DOCS_START = "<!-- udf-list:start (python scripts/regenerate_udf_golden.py) -->"
DOCS_END = "<!-- udf-list:end -->"

UDF_MODULE = "kpi_xl.udfs"
WORKBOOK_NAME = "kpi_plan.xlsm"  # where Import Functions is clicked (ThisWorkbook in VBA)
EXCEL_VERSION = "16.0"  # Excel 2016 and later, Microsoft 365


class _ComError(Exception):
    """Stands in for ``pywintypes.com_error``."""


def _no_com(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("COM was called: the registration test must not need Excel")


def _module(name: str, **attrs: Any) -> ModuleType:
    module = ModuleType(name)
    module.__dict__.update(attrs)
    return module


def _pywin32_stubs() -> dict[str, ModuleType]:
    """What ``xlwings.udfs`` imports from pywin32, inert."""
    client = _module("win32com.client", Dispatch=_no_com)
    return {
        "pythoncom": _module("pythoncom", CoInitialize=lambda: None),
        "pywintypes": _module("pywintypes", com_error=_ComError),
        "win32com": _module("win32com", client=client),
        "win32com.client": client,
    }


def _forget(mp: pytest.MonkeyPatch, name: str) -> None:
    """Make the next import of ``name`` run afresh; ``mp`` restores the current state."""
    parent, _, child = name.rpartition(".")
    mp.setattr(importlib.import_module(parent), child, None, raising=False)
    # setitem records the entry (or its absence) for undo; then drop it for the import
    mp.setitem(sys.modules, name, ModuleType(name))
    del sys.modules[name]


class _FakeWorkbook:
    """The few members of Excel's ``Workbook`` that ``import_udfs`` touches."""

    def __init__(self) -> None:
        self.Name = WORKBOOK_NAME
        self.vba: list[str] = []
        self.macro_options: list[dict[str, Any]] = []
        self.VBProject = SimpleNamespace(VBComponents=_Components(self.vba))
        self.Application = SimpleNamespace(Version=EXCEL_VERSION, MacroOptions=self._macro_options)

    def _macro_options(self, macro: str, **options: Any) -> None:
        self.macro_options.append({"Macro": macro, **options})


class _Components:
    """``Workbook.VBProject.VBComponents``: a new workbook, so no ``xlwings_udfs`` yet."""

    def __init__(self, imported: list[str]) -> None:
        self.imported = imported

    def __call__(self, name: str) -> Any:
        raise _ComError(f"no VBA component {name!r}")

    def Remove(self, component: Any) -> None:  # noqa: N802 - Excel's name
        raise AssertionError("nothing to remove")

    def Import(self, path: str) -> None:  # noqa: N802 - Excel's name
        self.imported.append(Path(path).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Registration:
    """What Excel gets from *Import Functions* with ``UDF Modules = kpi_xl.udfs``."""

    module: ModuleType  # kpi_xl.udfs imported under xlwings' Windows decorators
    functions: tuple[Any, ...]  # its UDFs, in the order xlwings visits them (dir order)
    vba: str  # the xlwings_udfs VBA module
    macro_options: tuple[dict[str, Any], ...]  # the Application.MacroOptions calls


def register_udfs(mp: pytest.MonkeyPatch, module_name: str = UDF_MODULE) -> Registration:
    """Run xlwings' Windows registration of ``module_name`` (see the module docstring)."""
    for name, stub in _pywin32_stubs().items():
        mp.setitem(sys.modules, name, stub)
    xlwings = importlib.import_module("xlwings")
    _forget(mp, "xlwings.udfs")
    udfs = importlib.import_module("xlwings.udfs")
    # xlwings/__init__.py on Windows: from .udfs import xlarg as arg, xlfunc as func, ...
    for public, windows in (
        ("arg", "xlarg"),
        ("func", "xlfunc"),
        ("ret", "xlret"),
        ("script", "xlsub"),
        ("sub", "xlsub"),
        ("get_udf_module", "get_udf_module"),
        ("import_udfs", "import_udfs"),
    ):
        mp.setattr(xlwings, public, getattr(udfs, windows), raising=False)

    _forget(mp, module_name)
    module = udfs.get_udf_module(module_name, None)
    workbook = _FakeWorkbook()
    with contextlib.redirect_stdout(io.StringIO()):  # "Imported functions from ..."
        udfs.import_udfs(module_name, workbook)
    (vba,) = workbook.vba
    functions = tuple(
        getattr(module, a) for a in dir(module) if hasattr(getattr(module, a), "__xlfunc__")
    )
    return Registration(module, functions, vba, tuple(workbook.macro_options))


def _json_safe(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    raise TypeError(f"unexpected {type(value).__name__} in UDF metadata: {value!r}")


def metadata(registration: Registration) -> dict[str, Any]:
    """The golden metadata: each function's ``__xlfunc__`` and the MacroOptions calls.

    ``argmap`` (``__xlfunc__``'s index of ``args`` by name) is left out; the test checks it
    indexes the same dicts.
    """
    functions = [
        {k: v for k, v in f.__xlfunc__.items() if k != "argmap"} for f in registration.functions
    ]
    result: dict[str, Any] = _json_safe(
        {
            "module": UDF_MODULE,
            "workbook": WORKBOOK_NAME,
            "functions": functions,
            "macro_options": list(registration.macro_options),
        }
    )
    return result


def metadata_text(registration: Registration) -> str:
    return json.dumps(metadata(registration), indent=1, ensure_ascii=False) + "\n"


# -- the docs' list of UDFs ------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def docs_list() -> str:
    """The Markdown list of UDFs in docs/udfs.md, from the UDF specifications."""
    specs = udf_specs()
    kpi_rows = [
        "| function | KPI | formula | unit | direction |",
        "|---|---|---|---|---|",
    ]
    helper_rows = ["| function | what it gives |", "|---|---|"]

    for spec in specs:
        if spec.kpi_id is None:
            helper_rows.append(f"| `{spec.usage}` | {_cell(spec.doc)} |")
            continue
        kpi = catalog.get(spec.kpi_id)
        kpi_rows.append(
            f"| `{spec.usage}` | {_cell(kpi.name())} | {_cell(kpi.words())} "
            f"| {label('unit_' + kpi.unit)} | {label(kpi.direction)} |"
        )
    return "\n".join(
        [
            DOCS_START,
            "",
            f"### KPI functions ({len(kpi_rows) - 2})",
            "",
            *kpi_rows,
            "",
            f"### Helper functions ({len(helper_rows) - 2})",
            "",
            *helper_rows,
            "",
            DOCS_END,
        ]
    )


def docs_with_list(text: str) -> str:
    """``text`` (docs/udfs.md) with its generated UDF list replaced by the current one."""
    head, start, rest = text.partition(DOCS_START)
    _, end, tail = rest.partition(DOCS_END)
    if not start or not end:
        raise ValueError(f"{DOCS}: the markers {DOCS_START!r} and {DOCS_END!r} are missing")
    return head + docs_list() + tail
