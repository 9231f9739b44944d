"""The workbook operations of the Refresh button, on a workbook open in Excel (xlwings).

It works on the ``xlwings.Book`` it is given (:mod:`kpi_xl.excel.entry` passes the calling
workbook). It is exercised in Excel; on Linux the test suite runs the refresh logic against
an in-memory fake workbook, and this class against fake xlwings objects.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kpi_xl.excel.refresh_logic import Formula
from kpi_xl.plan.planfile import META_SHEET, PlanMeta, parse_meta_rows
from kpi_xl.spreadsheet import split_reference

TEXT_PREFIX = "'"
#: How the build protects a sheet (kpi_xl.workbook.layout.protect), in Excel's terms.
PROTECT_OPTIONS: dict[str, Any] = {
    "DrawingObjects": True,
    "Contents": True,
    "Scenarios": True,
    "AllowFormattingColumns": True,
    "AllowFormattingRows": True,
    "AllowFiltering": True,
}


def as_excel_text(value: Any) -> Any:
    """Text written into Excel stays that text: it gets the text prefix ``'`` (not shown).

    Excel parses a value set from VBA or Python as if it were typed: ``=cmd|...`` would
    become a formula, and the period ``2026-06`` a date or ``00123`` a number, after which
    the SUMIFS over ``ChannelData`` no longer match. The prefix keeps every string a string.
    """
    if isinstance(value, str) and value:
        return TEXT_PREFIX + value
    return value


class XlwingsBook:
    """:class:`~kpi_xl.excel.refresh_logic.WorkbookOps` over an ``xlwings.Book``."""

    def __init__(self, book: Any) -> None:
        self.book = book

    @property
    def folder(self) -> Path:
        return Path(self.book.fullname).parent

    def meta(self) -> PlanMeta:
        values = self.book.sheets[META_SHEET].used_range.value
        return parse_meta_rows(values, self.book.fullname)

    def read_name(self, name: str) -> Any:
        return self.book.names[name].refers_to_range.value

    def _table(self, name: str) -> Any:
        for sheet in self.book.sheets:
            if name in [t.name for t in sheet.tables]:
                return sheet.tables[name]
        raise KeyError(f"no table {name!r} in the workbook")

    def table_columns(self, table: str) -> list[str]:
        return [str(v) for v in self._table(table).header_row_range.value]

    def replace_table_rows(self, table: str, rows: list[list[Any]]) -> None:
        t = self._table(table)
        sheet = t.parent
        header = t.header_row_range
        width = header.columns.count
        body = max(len(rows), 1)
        old = t.data_body_range
        if old is not None:
            old.clear_contents()
        t.resize(sheet.range(header[0, 0], header[0, 0].offset(body, width - 1)))
        if rows:
            # a Formula is written for Excel to parse; any other text stays text
            values = [
                [v if isinstance(v, Formula) else as_excel_text(v) for v in row] for row in rows
            ]
            sheet.range(header[0, 0].offset(1, 0)).value = values

    def write_cell(self, reference: str, value: Any) -> None:
        sheet, cell = split_reference(reference)
        ws = self.book.sheets[sheet]
        with _unprotected(ws):
            ws.range(cell).value = as_excel_text(value)

    def message(self, text: str) -> None:
        self.book.app.alert(text, title="kpi_xl")


def _is_protected(ws: Any) -> bool:
    try:
        return bool(ws.api.ProtectContents)
    except Exception:  # not Excel for Windows: leave protection alone
        return False


@contextlib.contextmanager
def _unprotected(ws: Any) -> Iterator[None]:
    """Lift the sheet's protection (no password) while writing; restore it as built."""
    if not _is_protected(ws):
        yield
        return
    ws.api.Unprotect()
    try:
        yield
    finally:
        ws.api.Protect(**PROTECT_OPTIONS)
