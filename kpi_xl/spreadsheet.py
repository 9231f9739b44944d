"""Spreadsheet foundations shared by every writer and reader: a safe XlsxWriter workbook
and A1 references (the one place they are spelled)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from xlsxwriter.utility import quote_sheetname, xl_cell_to_rowcol, xl_rowcol_to_cell


def new_workbook(path: str) -> Any:
    """An XlsxWriter workbook that never turns text into formulas, URLs or numbers."""
    import xlsxwriter

    return xlsxwriter.Workbook(
        path,
        {
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "nan_inf_to_errors": False,
            "use_future_functions": False,
        },
    )


def a1(row: int, col: int, *, row_abs: bool = False, col_abs: bool = False) -> str:
    """``B3`` for 0-based ``row`` and ``col`` (``$B$3`` with both absolute)."""
    return str(xl_rowcol_to_cell(row, col, row_abs=row_abs, col_abs=col_abs))


def sheet_ref(sheet: str, row: int, col: int, *, absolute: bool = True) -> str:
    """``'Sheet name'!$B$3``, quoting the sheet name when needed."""
    return f"{quote_sheetname(sheet)}!{a1(row, col, row_abs=absolute, col_abs=absolute)}"


def split_reference(reference: str) -> tuple[str, str]:
    """``'Sheet name'!$B$4`` -> (``Sheet name``, ``B4``)."""
    sheet, cell = reference.rsplit("!", 1)
    if sheet.startswith("'") and sheet.endswith("'"):
        sheet = sheet[1:-1].replace("''", "'")
    return sheet, cell.replace("$", "")


def rowcol(cell: str) -> tuple[int, int]:
    """``B4`` -> (3, 1), 0-based."""
    row, col = xl_cell_to_rowcol(cell.replace("$", ""))
    return int(row), int(col)


def row_runs(rows: Iterable[int]) -> list[tuple[int, int]]:
    """Runs of consecutive rows, as (first, last): ``[3, 4, 6]`` -> ``[(3, 4), (6, 6)]``."""
    runs: list[tuple[int, int]] = []
    for row in sorted(set(rows)):
        if runs and row == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], row)
        else:
            runs.append((row, row))
    return runs
