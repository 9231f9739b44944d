"""The Refresh button's logic against an in-memory fake of an open workbook."""

from __future__ import annotations

import datetime as dt
import io
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import openpyxl
import pytest
import xlsxwriter
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
from refresh_support import small_data

from kpi_xl.excel.refresh_logic import refresh_open_workbook
from kpi_xl.excel.xlwings_book import PROTECT_OPTIONS, XlwingsBook, as_excel_text
from kpi_xl.pipeline import build_plan
from kpi_xl.plan.planfile import PlanMeta, read_meta
from kpi_xl.workbook.layout import protect


class FakeBook:
    """A plan workbook 'open in Excel': reads from the built file, records every write."""

    def __init__(self, path: Path, settings: dict[str, Any] | None = None) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.wb = openpyxl.load_workbook(path)
        self.path = path
        self._meta = read_meta(self.wb, path)
        self.settings = settings or {}
        self.writes: dict[str, Any] = {}
        self.tables: dict[str, list[list[Any]]] = {}
        self.messages: list[str] = []

    @property
    def folder(self) -> Path:
        return self.path.parent

    def meta(self) -> PlanMeta:
        return self._meta

    def read_name(self, name: str) -> Any:
        if name in self.settings:
            return self.settings[name]
        sheet, cell = self.wb.defined_names[name].attr_text.rsplit("!", 1)
        return self.wb[sheet.strip("'")][cell.replace("$", "")].value

    def table_columns(self, table: str) -> list[str]:
        for ws in self.wb.worksheets:
            if table in ws.tables:
                return list(ws.tables[table].column_names)
        raise KeyError(table)

    def replace_table_rows(self, table: str, rows: list[list[Any]]) -> None:
        self.tables[table] = rows

    def write_cell(self, reference: str, value: Any) -> None:
        self.writes[reference] = value

    def message(self, text: str) -> None:
        self.messages.append(text)


def written_rows(path: Path, table: str) -> list[list[Any]]:
    """The rows of a table as the workbook stores them (formulas as their text)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        if table in ws.tables:
            cells = ws[ws.tables[table].ref]
            return [[c.value for c in row] for row in cells[1:]]
    raise KeyError(table)


@pytest.fixture
def plan(tmp_path: Path) -> Path:
    csv = tmp_path / "data.csv"
    small_data().to_csv(csv, index=False)
    return build_plan([csv], tmp_path / "plan.xlsx")


def test_refresh_rewrites_table_and_stamps_only(plan: Path) -> None:
    csv = plan.parent / "data.csv"
    newer = small_data(end="2026-06-10", campaigns=3)
    newer.to_csv(csv, index=False)
    book = FakeBook(plan)
    now = dt.datetime(2026, 6, 11, 8, 30)
    assert refresh_open_workbook(book, now=now)
    assert book.messages == []
    inputs = {c.ref for c in book.meta().layout.input_cells()}
    assert not inputs & set(book.writes), "the button must never write an input cell"
    # the button writes the tables a build from the same data writes
    fresh = build_plan([csv], plan.parent / "fresh.xlsx")
    for table in ("ChannelData", "PlanData"):
        written = written_rows(fresh, table)
        assert len(book.tables[table]) == len(written), table
        for got, stored in zip(book.tables[table], written, strict=True):
            for a, b in zip(got, stored, strict=True):
                # xlsx stores 15-17 significant digits; text cells are text
                same = a == b or (a in ("", None) and b in ("", None))
                same = same or (isinstance(b, float | int) and a == pytest.approx(b, rel=1e-14))
                assert same, (table, got, stored)
    assert len(book.tables["ChannelData"]) == 6 * 3 * 3  # months x channels x campaigns
    layout = book.meta().layout
    stamps = {k: c.ref for k, c in layout.overview.info.items()}
    selection = {k: c.ref for k, c in layout.selection.items()}
    # the latest period and how far the data goes; the selector's formulas follow
    assert book.writes[selection["data_period"]] == "2026-06"
    assert book.writes[selection["data_days"]] == 10
    assert book.writes[selection["last_complete"]] == "2026-05"
    assert book.writes[stamps["last_refreshed"]] == now
    assert book.writes[stamps["data_range"]] == "2026-01-01 – 2026-06-10"
    formulas = {"current_period", "previous_period", "days_elapsed", "days_in_period"}
    assert not {stamps[k] for k in formulas} & set(book.writes), "formulas stay formulas"


def test_missing_source_shows_a_message(plan: Path) -> None:
    (plan.parent / "data.csv").unlink()
    book = FakeBook(plan)
    assert not refresh_open_workbook(book)
    assert len(book.messages) == 1 and "does not exist" in book.messages[0]
    assert "\n" not in book.messages[0] and not book.writes and not book.tables


def test_bad_file_shows_a_message(plan: Path) -> None:
    (plan.parent / "data.csv").write_text("garbage;;\n\x00\x01")
    book = FakeBook(plan)
    assert not refresh_open_workbook(book)
    assert book.messages and "Traceback" not in book.messages[0]


def test_changed_grain_asks_for_a_full_refresh(plan: Path) -> None:
    book = FakeBook(plan, settings={"kpi_Grain": "week"})
    assert not refresh_open_workbook(book)
    assert "kpi-xl refresh" in book.messages[0]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"), ("@SUM(1)", "'@SUM(1)"), ("+1", "'+1"),
     ("2026-06", "'2026-06"), ("00123", "'00123"), ("TRUE", "'TRUE"), ("Brand", "'Brand"),
     ("", ""), (3.0, 3.0), (None, None), (dt.datetime(2026, 6, 11), dt.datetime(2026, 6, 11))],
)  # fmt: skip
def test_text_written_into_excel_stays_text(value: object, expected: object) -> None:
    """Excel parses what it is given as if typed: a formula, a date, a number, a logical."""
    assert as_excel_text(value) == expected


# -- XlwingsBook against fake xlwings objects ------------------------------------------------


class FakeSheetApi:
    """``sheet.api`` (Excel's COM Worksheet): its protection and the calls made to it."""

    def __init__(self, protected: bool) -> None:
        self.ProtectContents = protected
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def Unprotect(self) -> None:  # noqa: N802 - Excel's COM names
        self.calls.append(("Unprotect", {}))
        self.ProtectContents = False

    def Protect(self, **options: Any) -> None:  # noqa: N802
        self.calls.append(("Protect", options))
        self.ProtectContents = True


class FakeRange:
    """An xlwings range: a block of a :class:`FakeSheet`'s cells."""

    def __init__(self, sheet: FakeSheet, row: int, col: int, rows: int = 1, cols: int = 1) -> None:
        self.sheet, self.row, self.col, self.rows, self.cols = sheet, row, col, rows, cols

    @property
    def value(self) -> Any:
        cells = [
            [self.sheet.cells.get((self.row + r, self.col + c)) for c in range(self.cols)]
            for r in range(self.rows)
        ]
        if self.rows == 1 and self.cols == 1:
            return cells[0][0]
        return cells[0] if self.rows == 1 else cells

    @value.setter
    def value(self, value: Any) -> None:
        if self.sheet.api.ProtectContents:
            raise PermissionError("the cell is protected")
        rows = value if isinstance(value, list) else [[value]]
        for r, row in enumerate(rows):
            for c, item in enumerate(row):
                self.sheet.cells[(self.row + r, self.col + c)] = item

    @property
    def columns(self) -> Any:
        return SimpleNamespace(count=self.cols)

    def __getitem__(self, index: tuple[int, int]) -> FakeRange:
        return FakeRange(self.sheet, self.row + index[0], self.col + index[1])

    def offset(self, rows: int, cols: int) -> FakeRange:
        return FakeRange(self.sheet, self.row + rows, self.col + cols)

    def clear_contents(self) -> None:
        for r in range(self.rows):
            for c in range(self.cols):
                self.sheet.cells.pop((self.row + r, self.col + c), None)


class FakeTable:
    """An xlwings table (Excel ListObject) whose header is in A1."""

    def __init__(self, sheet: FakeSheet, name: str, header: list[str], rows: int) -> None:
        self.parent, self.name, self.rows = sheet, name, rows
        self.header_row_range = FakeRange(sheet, 0, 0, 1, len(header))
        for c, text in enumerate(header):
            sheet.cells[(0, c)] = text

    @property
    def data_body_range(self) -> FakeRange | None:
        width = self.header_row_range.cols
        return FakeRange(self.parent, 1, 0, self.rows, width) if self.rows else None

    def resize(self, rng: FakeRange) -> None:
        assert (rng.row, rng.col, rng.cols) == (0, 0, self.header_row_range.cols)
        self.rows = rng.rows - 1


class FakeSheet:
    def __init__(self, name: str, protected: bool = False) -> None:
        self.name = name
        self.api = FakeSheetApi(protected)
        self.cells: dict[tuple[int, int], Any] = {}
        self.tables = Named()

    def range(self, first: str | FakeRange, last: FakeRange | None = None) -> FakeRange:
        if isinstance(first, str):
            letters, row = coordinate_from_string(first)
            return FakeRange(self, row - 1, column_index_from_string(letters) - 1)
        if last is None:
            return first
        return FakeRange(self, first.row, first.col, last.row - first.row + 1,
                         last.col - first.col + 1)  # fmt: skip


class Named(dict[str, Any]):
    """An xlwings collection (``book.sheets``, ``sheet.tables``): indexed by name, iterated
    as objects."""

    def __iter__(self) -> Iterator[Any]:
        return iter(list(self.values()))


def fake_book(*sheets: FakeSheet) -> XlwingsBook:
    book = SimpleNamespace(sheets=Named({s.name: s for s in sheets}), fullname="/p/plan.xlsm")
    return XlwingsBook(book)


@pytest.mark.parametrize("protected", [True, False])
def test_write_cell_keeps_the_sheets_protection(protected: bool) -> None:
    overview = FakeSheet("My 'plan'", protected=protected)
    fake_book(overview).write_cell("'My ''plan'''!$B$4", "2026-06")
    assert overview.cells[(3, 1)] == "'2026-06"
    if protected:
        assert overview.api.calls == [("Unprotect", {}), ("Protect", PROTECT_OPTIONS)]
    else:
        assert overview.api.calls == []


def test_reprotecting_gives_back_the_builds_protection() -> None:
    sheet = xlsxwriter.Workbook(io.BytesIO(), {"in_memory": True}).add_worksheet()
    protect(sheet)
    built = sheet.protect_options
    assert {
        "DrawingObjects": not built["objects"],
        "Contents": built["sheet"],
        "Scenarios": not built["scenarios"],
        "AllowFormattingColumns": built["format_columns"],
        "AllowFormattingRows": built["format_rows"],
        "AllowFiltering": built["autofilter"],
    } == PROTECT_OPTIONS
    assert not any(built[k] for k in ("format_cells", "insert_rows", "delete_rows", "sort"))


@pytest.mark.parametrize("old_rows", [0, 2, 5])
def test_replace_table_rows_resizes_and_keeps_text(old_rows: int) -> None:
    data = FakeSheet("Data")
    table = FakeTable(data, "ChannelData", ["period", "channel", "sessions"], old_rows)
    data.tables["ChannelData"] = table
    for r in range(old_rows):
        for c in range(3):
            data.cells[(1 + r, c)] = f"old{r}{c}"
    book = fake_book(FakeSheet("Overview"), data)
    assert book.table_columns("ChannelData") == ["period", "channel", "sessions"]
    rows: list[list[Any]] = [
        ["2026-05", "seo", 10.0],
        ["2026-06", "=seo", None],
        ["2026-06", "ads", 3.0],
    ]
    book.replace_table_rows("ChannelData", rows)
    assert table.rows == 3
    body = FakeRange(data, 1, 0, max(old_rows, 3), 3).value
    assert body[:3] == [["'2026-05", "'seo", 10.0], ["'2026-06", "'=seo", None],
                        ["'2026-06", "'ads", 3.0]]  # fmt: skip
    assert all(cell is None for row in body[3:] for cell in row), "old rows are cleared"
    book.replace_table_rows("ChannelData", [])
    assert table.rows == 1  # an Excel table keeps one (blank) body row
    assert FakeRange(data, 1, 0, 1, 3).value == [None, None, None]
