"""Refresh keeps every input on its key and nothing the user made disappears.

* Targets read by key and header: sorted, inserted and deleted rows, inserted columns;
  what cannot be put back by key is a conflict naming its cells, and ``force`` leaves it
  out, says so in its report and keeps it in the backup - never on another key.
* Every number typed as text is read by the exports' parser (Targets, Settings, targets
  files); a targets file's row is never left out without a word; no separator in a key.
* Sheets the user added keep array formulas, merged cells, hyperlinks and comments; a text
  longer than a cell holds is refused, not cut. The VBA the user added to an ``.xlsm`` is
  carried; a UserForm, which cannot be, is a conflict.
* The Refresh button runs the installed kpi_xl, never a ``kpi_xl`` folder beside the
  workbook, and a stray ``xlwings.conf`` stops it unless its owner trusts it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.comments import Comment
from openpyxl.formula.translate import Translator
from openpyxl.worksheet.formula import ArrayFormula
from refresh_support import read_inputs, small_data, type_inputs

import kpi_xl
from kpi_xl.errors import ConflictError, KpiXlError
from kpi_xl.pipeline import build_plan
from kpi_xl.plan.planfile import read_meta
from kpi_xl.plan.targets import check_in_plan, load_targets
from kpi_xl.refreshing import backups_of, refresh
from kpi_xl.workbook.vba_project import KPI_MODULE


def _load(path: Path, **options: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return openpyxl.load_workbook(path, **options)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_plan(small_data(), tmp_path_factory.mktemp("keys") / "plan.xlsx")


@pytest.fixture
def plan(built: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "plan.xlsx"
    shutil.copy2(built, copy)
    return copy


def _targets(path: Path) -> tuple[Any, Any, Any]:
    """(workbook, Targets sheet, Targets layout) of ``path`` (formulas)."""
    wb = _load(path)
    t = read_meta(wb, path).layout.targets
    return wb, wb[t.sheet], t


def _row_of(ws: Any, key: str) -> int:
    return next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == key)


# -- Targets by key ---------------------------------------------------------------------------


def test_rows_sorted_without_the_key_column_put_no_input_on_another_key(plan: Path) -> None:
    """A sort that leaves the hidden key column behind: each row's labels now belong to
    another key. Refresh says so; ``force`` puts none of those rows' inputs anywhere."""
    typed = {"target|revenue|all|2026-03": 1234.0, "note|revenue|all": "mine"}
    type_inputs(plan, typed)
    wb, ws, t = _targets(plan)
    first, last = t.first_row + 1, t.last_row + 1
    cols = range(2, ws.max_column + 1)
    rows = [[ws.cell(r, c).value for c in cols] for r in range(first, last + 1)]
    for r, values in zip(range(first, last + 1), reversed(rows), strict=True):
        for c, value in enumerate(values, start=2):
            ws.cell(r, c).value = value  # every column but A (the key) reversed
    wb.save(plan)
    with pytest.raises(ConflictError, match=r"its key is \S+ but its labels are those of"):
        refresh(plan, small_data())
    before = plan.read_bytes()
    out = refresh(plan, small_data(), force=True)
    assert any(line.startswith("left out (kept in the backup") for line in out.report)
    assert backups_of(plan)[-1].read_bytes() == before  # what was left out is in the backup
    after = read_inputs(plan)
    assert after["note|revenue|all"] in (None, "")
    assert not [k for k, v in after.items() if k.startswith("note|") and v]  # on no key
    formulas = _targets(plan)[1]
    typed_cells = [
        c.coordinate
        for row in formulas.iter_rows(min_row=first, max_row=last, min_col=t.first_period_col + 1,
                                      max_col=t.last_period_col + 1)
        for c in row if isinstance(c.value, int | float)
    ]  # fmt: skip
    assert typed_cells == []  # every target cell is a suggestion again: none typed elsewhere


def test_what_has_no_key_is_named_and_left_out(plan: Path) -> None:
    """A value typed into an inserted row or column, a second row of one key and a target
    that is not a number: the conflict names exactly those cells; ``force`` leaves them
    out (the typed inputs on keyed rows stay on their keys)."""
    type_inputs(plan, {"target|revenue|all|2026-03": 777.0})
    wb, ws, t = _targets(plan)
    revenue = _row_of(ws, "revenue|all")
    ws.insert_rows(t.last_row + 2)  # a new row just below the grid, typed into
    ws.cell(t.last_row + 2, t.first_period_col + 2).value = 5
    duplicate = t.last_row + 3
    for c in range(1, ws.max_column + 1):  # a copy of revenue's row, its target changed
        ws.cell(duplicate, c).value = ws.cell(revenue, c).value
    ws.cell(duplicate, t.first_period_col + 3).value = 999
    ws.cell(_row_of(ws, "sessions|all"), t.first_period_col + 1).value = "lots"
    wb.save(plan)
    with pytest.raises(ConflictError) as err:
        refresh(plan, small_data())
    message = str(err.value)
    assert "refresh cannot put back by key" in message
    assert "generated cells edited" not in message  # nothing generated was touched
    assert f"{t.sheet}!G{t.last_row + 2} (in a row without a key" in message
    assert f"{t.sheet}!A{t.last_row + 3}:" in message  # the whole row, once
    assert "(a second row with the key revenue|all)" in message
    assert "'lots' is not a number" in message
    out = refresh(plan, small_data(), force=True)
    assert out.report
    after = read_inputs(plan)
    assert after["target|revenue|all|2026-03"] == 777.0
    assert 999 not in after.values() and 5 not in after.values()


def test_deleted_rows_are_named_and_come_back(plan: Path) -> None:
    type_inputs(plan, {"target|revenue|all|2026-03": 321.0})
    wb, ws, _t = _targets(plan)
    ws.delete_rows(_row_of(ws, "sessions|all"))
    wb.save(plan)
    with pytest.raises(ConflictError, match=r"the rows of sessions\|all were deleted"):
        refresh(plan, small_data())
    refresh(plan, small_data(), force=True)
    after = read_inputs(plan)
    assert after["target|revenue|all|2026-03"] == 321.0
    assert "target|sessions|all|2026-03" in after


def _sort_like_a_spreadsheet(path: Path, order: Callable[[list[Any]], Any]) -> None:
    """Sort the Targets rows (every column) as Excel and LibreOffice do: a moved formula's
    relative references move with it; references from other sheets stay."""
    wb, ws, t = _targets(path)
    first, last = t.first_row + 1, t.last_row + 1
    rows = [[ws.cell(r, c) for c in range(1, ws.max_column + 1)] for r in range(first, last + 1)]
    moved = sorted(range(len(rows)), key=lambda i: order([c.value for c in rows[i]]))
    copies = [[(c.value, c.data_type, c.coordinate) for c in row] for row in rows]
    for target, source in enumerate(moved):
        for c, (value, kind, origin) in enumerate(copies[source], start=1):
            cell = ws.cell(first + target, c)
            if kind == "f" and isinstance(value, str):
                value = Translator(value, origin=origin).translate_formula(cell.coordinate)
            cell.value = value
    wb.save(path)


def test_a_sort_is_no_conflict(plan: Path) -> None:
    typed = {"target|revenue|all|2026-03": 42.0, "note|ctr|seo": "check"}
    type_inputs(plan, typed)
    _sort_like_a_spreadsheet(plan, lambda row: str(row[2]))  # by channel
    out = refresh(plan, small_data())
    assert out.report == ()
    after = read_inputs(plan)
    assert {k: after[k] for k in typed} == typed


def test_a_separator_in_a_recorded_key_is_named_not_a_crash(plan: Path) -> None:
    """A plan record holding a target key with one ``|`` too many (a release that let one
    in) is named in the conflict, not a ValueError; ``force`` refreshes without it."""
    wb = _load(plan)
    meta = wb["_meta"]
    row = next(r for r in range(1, meta.max_row + 1) if meta.cell(r, 1).value == "orphans")
    meta.cell(row, 2).value = '{"revenue|all|2026|03": 5.0}'
    wb.save(plan)
    with pytest.raises(ConflictError, match=r"the plan record's target 'revenue\|all\|2026\|03'"):
        refresh(plan, small_data())
    out = refresh(plan, small_data(), force=True)
    assert any("its key has a '|'" in line for line in out.report)


# -- one number parser ------------------------------------------------------------------------


def test_numbers_typed_as_text_are_read_by_the_number_parser(plan: Path) -> None:
    type_inputs(
        plan,
        {
            "target|revenue|all|2026-03": "1.234,5",
            "target|revenue|all|2026-04": "1 234",
            "target|revenue|all|2026-05": "1\u00a0234,5",
            "setting|on_track": "95 %",
            "setting|at_risk": "0,8",
        },
    )
    refresh(plan, small_data())
    after = read_inputs(plan)
    assert after["target|revenue|all|2026-03"] == 1234.5
    assert after["target|revenue|all|2026-04"] == 1234
    assert after["target|revenue|all|2026-05"] == 1234.5
    assert after["setting|on_track"] == pytest.approx(0.95)
    assert after["setting|at_risk"] == pytest.approx(0.8)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("revenue,all,March 2026,5", "line 2, column 'period': period 'March 2026' is not a "
         "period key: expected a month such as 2026-03, a quarter 2026-Q1, a week 2026-W05, "
         "or year (did you mean '2026-03'?)"),
        ("revenue,all,2026-3,5", "(did you mean '2026-03'?)"),
        ("revenue,all,Q2 2026,5", "(did you mean '2026-Q2'?)"),
        ("revnue,all,2026-03,5", "line 2, column 'kpi_id': unknown KPI id 'revnue' (did you "
         "mean 'revenue'?)"),
        ("revenue,paid_serach,2026-03,5", "unknown channel 'paid_serach' (did you mean "
         "'paid_search'?)"),
        ("revenue,all,2026|03,5", "line 2, column 'period': period '2026|03' holds '|'"),
        ("revenue,all|seo,2026-03,5", "column 'channel': channel 'all|seo' holds '|'"),
        ('"reve;nue",all,2026-03,5', "column 'kpi_id': kpi_id 'reve;nue' holds ';'"),
        ('revenue,all,"2026\t03",5', "column 'period': period '2026\\t03' holds '\\t'"),
    ],
)  # fmt: skip
def test_a_targets_file_row_is_never_left_out_without_a_word(
    tmp_path: Path, row: str, message: str
) -> None:
    path = tmp_path / "targets.csv"
    path.write_text(f"kpi_id,channel,period,target\n{row}\n", encoding="utf-8")
    with pytest.raises(KpiXlError) as err:
        load_targets(path)
    text = str(err.value)
    assert text.startswith(f"{path}, line 2") and message in text and "\n" not in text


def test_a_target_outside_the_plan_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "targets.yaml"
    path.write_text(
        "- {kpi_id: revenue, channel: all, period: '2026-03', target: 5}\n"
        "- {kpi_id: revenue, channel: all, period: '2027-03', target: 5}\n",
        encoding="utf-8",
    )
    targets = load_targets(path)
    periods = [f"2026-{m:02d}" for m in range(1, 13)]
    rows = [("revenue", "all"), ("revenue", "email"), ("sessions", "seo")]
    with pytest.raises(KpiXlError) as err:
        check_in_plan(targets, periods, rows)
    assert str(err.value) == (
        f"{path}, line 2, column 'period': period '2027-03' is not in the plan (2026-01 to "
        "2026-12) (did you mean '2026-03'?)"
    )
    path.write_text(
        "- {kpi_id: revenue, channel: emial, period: '2026-03', target: 5}\n", encoding="utf-8"
    )
    with pytest.raises(KpiXlError, match=r"unknown channel 'emial' \(did you mean 'email'"):
        load_targets(path)
    path.write_text(
        "- {kpi_id: revenue, channel: seo, period: '2026-03', target: 5}\n", encoding="utf-8"
    )
    with pytest.raises(KpiXlError) as err:
        check_in_plan(load_targets(path), periods, rows)
    assert "line 1" in str(err.value) and "no row of revenue for the channel 'seo'" in str(
        err.value
    )
    path.write_text(
        "- {kpi_id: revenue, channel: all, period: '2026-03', target: 5}\n"
        "- {kpi_id: revenue, channel: all, period: '2026-03', target: 6}\n",
        encoding="utf-8",
    )
    with pytest.raises(KpiXlError, match="line 2: a second target of revenue, all, 2026-03"):
        load_targets(path)


# -- carried sheets ---------------------------------------------------------------------------


def test_added_sheet_keeps_arrays_merges_links_and_comments(plan: Path) -> None:
    wb = _load(plan)
    ws = wb.create_sheet("Mine")
    ws["A1"], ws["A2"], ws["A3"] = 1, 2, 3
    ws["B1"] = ArrayFormula("B1:B3", "=A1:A3*2")
    ws["D1"] = "Title over three cells"
    ws.merge_cells("D1:F2")
    ws["A5"] = "kpi_xl"
    ws["A5"].hyperlink = "https://example.com/plan"
    ws["A6"] = "mail"
    ws["A6"].hyperlink = "mailto:team@example.com"
    ws["A7"] = "back to targets"
    ws["A7"].hyperlink = "#'Targets'!A1"
    ws["A8"] = "noted"
    ws["A8"].comment = Comment("check with finance", "Ana")
    wb.save(plan)
    out = refresh(plan, small_data(), force=True)
    assert out.report == ()  # all carried
    mine = _load(plan)["Mine"]
    assert isinstance(mine["B1"].value, ArrayFormula)
    assert mine["B1"].value.ref == "B1:B3" and mine["B1"].value.text == "=A1:A3*2"
    texts = [c.value for row in mine.iter_rows() for c in row if isinstance(c.value, str)]
    assert not [t for t in texts if "openpyxl" in t]  # no object written as its repr
    assert [str(r) for r in mine.merged_cells.ranges] == ["D1:F2"]
    assert mine["D1"].value == "Title over three cells"
    assert mine["A5"].hyperlink.target == "https://example.com/plan"
    assert mine["A6"].hyperlink.target == "mailto:team@example.com"
    assert mine["A7"].hyperlink.location == "'Targets'!A1"
    assert mine["A8"].comment.text == "check with finance" and mine["A8"].comment.author == "Ana"


def test_a_text_longer_than_a_cell_is_refused_not_cut(plan: Path) -> None:
    """Excel cannot hold more than 32,767 characters in a cell, but another program can
    write a file that does (openpyxl cuts on writing: the text is put into the XML)."""
    wb = _load(plan)
    ws = wb.create_sheet("Long")
    ws["C4"] = "PLACEHOLDER"
    wb.save(plan)
    with zipfile.ZipFile(plan) as zf:
        package = {n: zf.read(n) for n in zf.namelist()}
    with zipfile.ZipFile(plan, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in package.items():
            zf.writestr(name, data.replace(b"PLACEHOLDER", b"x" * 40_000))
    before = plan.read_bytes()
    with pytest.raises(KpiXlError, match=r"Long!C4 holds a text of 40,000 characters"):
        refresh(plan, small_data(), force=True)
    assert plan.read_bytes() == before


# -- the user's VBA -----------------------------------------------------------------------------

USER_MODULE = 'Public Sub Hello()\r\n    MsgBox "hi"\r\nEnd Sub\r\n'
WORKBOOK_CODE = "Private Sub Workbook_Open()\r\n    Hello\r\nEnd Sub\r\n"
SHEET_CODE = "Private Sub Worksheet_Activate()\r\n    Hello\r\nEnd Sub\r\n"


@pytest.fixture(scope="module")
def xlsm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_plan(small_data(), tmp_path_factory.mktemp("vba") / "plan.xlsm", macro=True)


def _user_vba(path: Path, *, form: bool = False) -> None:
    """Add VBA as a user does in the VBA editor: a module, a class, code in the workbook's
    and the Overview's modules, a library reference (and a UserForm)."""
    from pyopenvba import ExcelFile, VBAModuleKind  # type: ignore[import-untyped]

    overview = next(ws.sheet_properties.codeName for ws in _load(path, keep_vba=True).worksheets)
    with ExcelFile(path) as book:
        project = book.vba_project()
        project.add_module("MyMacros", USER_MODULE)
        project.add_module("MyClass", "Public Name As String\r\n", kind=VBAModuleKind.other)
        book.set_module("ThisWorkbook", WORKBOOK_CODE)
        book.set_module(overview, SHEET_CODE)
        book.add_reference("Scripting", "{420B2830-E718-11CF-893D-00A0C9054228}", 1, 0,
                           path=r"C:\Windows\System32\scrrun.dll",
                           description="Microsoft Scripting Runtime")  # fmt: skip
        if form:
            book.add_form("MyForm")
        book.save()


def _modules(path: Path) -> dict[str, str]:
    from test_macro import vba_modules

    return vba_modules(path)


def test_vba_the_user_added_is_carried(xlsm: Path, tmp_path: Path) -> None:
    plan = tmp_path / "plan.xlsm"
    shutil.copy2(xlsm, plan)
    _user_vba(plan)
    out = refresh(plan, small_data())  # carried: no conflict
    assert out.report == ()
    modules = _modules(plan)
    assert 'MsgBox "hi"' in modules["MyMacros"] and "Public Name As String" in modules["MyClass"]
    assert WORKBOOK_CODE.replace("\r\n", "\n") in modules["ThisWorkbook"]
    overview = next(ws for ws in _load(plan, keep_vba=True).worksheets)
    assert SHEET_CODE.replace("\r\n", "\n") in modules[overview.sheet_properties.codeName]
    assert 'RunPython "import kpi_xl.excel.entry' in modules[KPI_MODULE]  # kpi_xl's own too
    from pyopenvba import ExcelFile

    with ExcelFile(plan) as book:
        assert "Scripting" in [r.name for r in book.references()]


def test_a_userform_is_a_conflict_and_force_says_it_is_dropped(xlsm: Path, tmp_path: Path) -> None:
    plan = tmp_path / "plan.xlsm"
    shutil.copy2(xlsm, plan)
    _user_vba(plan, form=True)
    with pytest.raises(ConflictError, match="VBA that cannot be carried: the UserForm 'MyForm'"):
        refresh(plan, small_data())
    before = plan.read_bytes()
    out = refresh(plan, small_data(), force=True)
    assert any(
        "VBA dropped (kept in the backup" in line and "MyForm" in line for line in out.report
    )
    assert backups_of(plan)[-1].read_bytes() == before
    assert "MyForm" not in _modules(plan) and "MyMacros" in _modules(plan)


# -- the Refresh button runs the installed kpi_xl -------------------------------------------------

HOSTILE = "raise SystemExit('the kpi_xl folder beside the workbook ran')\n"


def _vba_string(expression: str) -> str:
    """The value of a VBA constant expression of string literals."""
    parts = re.findall(r'"((?:[^"]|"")*)"', expression)
    return "".join(p.replace('""', '"') for p in parts)


def _char_codes(text: str) -> str:
    """What KpiXl's CharCodes() writes: the UTF-16 code units, comma separated."""
    data = text.encode("utf-16-le")
    return ",".join(str(int.from_bytes(data[i : i + 2], "little")) for i in range(0, len(data), 2))


@pytest.mark.parametrize("name", ["plan.xlsm", "Q1 plan 'final' 100% & more 📈.xlsm"])
def test_the_button_imports_the_installed_kpi_xl(xlsm: Path, tmp_path: Path, name: str) -> None:
    """The command the button builds, run as xlwings' RunPython runs it: from the
    workbook's folder, after xlwings put that folder first on sys.path - which holds a
    ``kpi_xl`` folder of its own."""
    module = _modules(xlsm)[KPI_MODULE]
    consts = dict(re.findall(r"^Private Const (\w+) As String = (.*)$", module, re.M))
    begin, end = _vba_string(consts["SAFE_PATH_BEGIN"]), _vba_string(consts["SAFE_PATH_END"])
    # the button's line calls this module's RunPython, which puts the Python before it
    assert re.search(r"^Private Function RunPython\(ByVal pythonCommand As String\)$", module, re.M)
    assert re.search(
        r"RunPython = xlwings\.RunPython\(SAFE_PATH_BEGIN & CharCodes\(ThisWorkbook\.Name\) & _"
        r"\n\s+SAFE_PATH_END & pythonCommand\)", module
    )  # fmt: skip
    command = re.search(r'^\s+RunPython "([^"]+)"$', module, re.M)
    assert command and command.group(1).startswith("import kpi_xl.excel.entry as e;")
    probe = command.group(1).replace("e.refresh_from_excel()", "print(e.__file__)")
    for char in '"%$`|\\':
        assert char not in begin + end, f"{char!r} would break the command line"

    book = tmp_path / "book"
    (book / "kpi_xl" / "excel").mkdir(parents=True)
    (book / "kpi_xl" / "__init__.py").write_text(HOSTILE, encoding="utf-8")
    (book / "kpi_xl" / "excel" / "__init__.py").write_text("", encoding="utf-8")
    (book / "kpi_xl" / "excel" / "entry.py").write_text(HOSTILE, encoding="utf-8")
    shutil.copy2(xlsm, book / name)
    full = str(book / name)
    xlwings_part = (
        f'import xlwings.utils;xlwings.utils.prepare_sys_path("true;{full};{full};;;;"); '
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}

    def run(python: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-B", "-c", xlwings_part + python, f"--wb={name}", "--from_xl=1"],
            cwd=book, env=env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip

    hijacked = run(probe)  # without kpi_xl's Python: the folder beside the workbook wins
    assert "the kpi_xl folder beside the workbook ran" in hijacked.stderr
    safe = run(begin + _char_codes(name) + end + probe)
    assert safe.returncode == 0, safe.stderr
    installed = Path(kpi_xl.__file__).resolve().parent / "excel" / "entry.py"
    assert Path(safe.stdout.strip()).resolve() == installed


def test_a_stray_xlwings_conf_stops_the_button(xlsm: Path) -> None:
    """Before anything runs (the check for Python starts the configured interpreter), an
    xlwings.conf sheet or file that came with the workbook stops the button, unless the
    owner's own user-level configuration trusts it."""
    module = _modules(xlsm)[KPI_MODULE]
    body = module.split("Public Sub RefreshKpiPlan()", 1)[1].split("End Sub", 1)[0]
    assert body.index("If StrayConfig() Then") < body.index("PythonStatus()")
    assert 'ShowMessage vba_failed() & " " & vba_stray_config()\n        Exit Sub' in body
    stray = module.split("Private Function StrayConfig() As Boolean", 1)[1].split("End Function")[0]
    assert 'GetConfig(TRUST_CONFIG, "", USER_CONFIG)' in stray  # the user's file only
    assert "SheetExists(ThisWorkbook, CONFIG_NAME)" in stray
    assert "FileExists(GetDirectoryConfigFilePath())" in stray
    consts = dict(re.findall(r"^Private Const (\w+) As String = \"(.*)\"$", module, re.M))
    assert consts["CONFIG_NAME"] == "xlwings.conf" and consts["USER_CONFIG"] == "user"
    assert consts["TRUST_CONFIG"] == "KPI_XL_TRUST_WORKBOOK_CONFIG"
    xlwings = _modules(xlsm)["xlwings"]  # what those names mean in the embedded xlwings
    assert re.search(r'If source = "" Or source = "user" Then', xlwings)
    assert "Set sht = wb.Sheets(sheetName)" in xlwings
    docs = (Path(__file__).resolve().parent.parent / "docs" / "macro.md").read_text("utf-8")
    assert '"KPI_XL_TRUST_WORKBOOK_CONFIG","true"' in docs
