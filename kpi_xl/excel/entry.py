"""Entry point of the Refresh button.

VBA: ``RunPython "import kpi_xl.excel.entry as e; e.refresh_from_excel()"``.
"""

from __future__ import annotations

import xlwings as xw

from kpi_xl.excel.refresh_logic import refresh_open_workbook
from kpi_xl.excel.xlwings_book import XlwingsBook


def refresh_from_excel() -> None:
    """Refresh the workbook that called (``xlwings.Book.caller()``)."""
    refresh_open_workbook(XlwingsBook(xw.Book.caller()))
