"""The Refresh button's logic against an in-memory fake of an open workbook."""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from kpi_xl.ingest.aggregate import aggregate
from refresh_support import small_data

from kpi_xl.excel.refresh_logic import refresh_open_workbook, table_rows
from kpi_xl.excel.xlwings_book import as_excel_text
from kpi_xl.refresh.reader import read_meta
from kpi_xl.workbook.build import build_plan


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

    def meta(self) -> dict[str, Any]:
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
    inputs = set(book.meta()["inputs"].values())
    assert not inputs & set(book.writes), "the button must never write an input cell"
    columns = book.table_columns("ChannelData")
    expected = table_rows(aggregate(newer, "month", by=("channel", "campaign")), columns)
    assert book.tables["ChannelData"] == expected
    assert len(expected) == 6 * 3 * 3  # months x channels x campaigns
    stamps = book.meta()["layout"]["overview"]
    assert book.writes[stamps["current_period"]] == "2026-06"
    assert book.writes[stamps["previous_period"]] == "2026-05"
    assert book.writes[stamps["days_elapsed"]] == 10
    assert book.writes[stamps["days_in_period"]] == 30
    assert book.writes[stamps["last_refreshed"]] == now
    assert book.writes[stamps["data_range"]] == "2026-01-01 – 2026-06-10"


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
    ("text", "expected"),
    [("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"), ("@SUM(1)", "'@SUM(1)"),
     ("+1", "'+1"), ("Brand", "Brand"), (3.0, 3.0)],
)  # fmt: skip
def test_text_written_into_excel_never_becomes_a_formula(text: object, expected: object) -> None:
    assert as_excel_text(text) == expected
