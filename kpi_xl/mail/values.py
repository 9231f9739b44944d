"""Numbers as the workbook shows them: the same unit formats, as plain text for e-mail."""

from __future__ import annotations

import math
from typing import Any

from kpi_xl.workbook.xlsx import UNIT_FORMATS, currency_symbol, unit_format_key

MISSING = "–"


def number(value: Any) -> float:
    """A stored cell value as a float; NaN for blanks, text and errors (``#DIV/0!``)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return math.nan
    return float(value)


def format_value(value: float, unit: str, currency: str, *, ratio: bool = False) -> str:
    """``value`` as the workbook shows it (:data:`kpi_xl.workbook.xlsx.UNIT_FORMATS`)."""
    if math.isnan(value):
        return MISSING
    if unit == "currency":
        symbol, first = currency_symbol(currency)
        if first:
            return f"{'-' if value < 0 else ''}{symbol}{abs(value):,.2f}"
        return f"{value:,.2f} {symbol}"
    return UNIT_FORMATS[unit_format_key(unit, ratio)][1].format(value)


def format_attainment(value: float) -> str:
    """Attainment as the workbook shows it (``0.0%``)."""
    return format_value(value, "percent", "")
