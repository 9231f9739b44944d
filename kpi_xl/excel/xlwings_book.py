"""The workbook operations of the Refresh button, on a workbook open in Excel (xlwings).

Only this module and :mod:`kpi_xl.udfs` import xlwings. It is exercised in Excel; on
Linux the same logic runs against the in-memory fake of the test suite.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from kpi_xl.refresh.reader import parse_meta_rows

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def as_excel_text(value: Any) -> Any:
    """Text that Excel would parse as a formula gets the text prefix ``'`` (not shown)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


class XlwingsBook:
    """:class:`~kpi_xl.excel.refresh_logic.WorkbookOps` over an ``xlwings.Book``."""

    def __init__(self, book: Any) -> None:
        self.book = book

    @property
    def folder(self) -> Path:
        return Path(self.book.fullname).parent

    def meta(self) -> dict[str, Any]:
        values = self.book.sheets["_meta"].used_range.value
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
            values = [[as_excel_text(v) for v in row] for row in rows]
            sheet.range(header[0, 0].offset(1, 0)).value = values

    def write_cell(self, reference: str, value: Any) -> None:
        sheet, cell = reference.rsplit("!", 1)
        sheet = sheet[1:-1].replace("''", "'") if sheet.startswith("'") else sheet
        ws = self.book.sheets[sheet]
        _unprotect(ws)
        try:
            ws.range(cell.replace("$", "")).value = as_excel_text(value)
        finally:
            _protect(ws)

    def message(self, text: str) -> None:
        self.book.app.alert(text, title="kpi_xl")


def _unprotect(ws: Any) -> None:
    try:
        ws.api.Unprotect()
    except Exception:
        pass


def _protect(ws: Any) -> None:
    try:
        ws.api.Protect(DrawingObjects=True, Contents=True, AllowFiltering=True)
    except Exception:
        pass
