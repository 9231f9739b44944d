"""Numbers as the workbook shows them: the same unit formats, as plain text for e-mail."""

from __future__ import annotations

import math
from typing import Any

from kpi_xl.workbook.xlsx import CURRENCY_SYMBOLS

MISSING = "–"


def number(value: Any) -> float:
    """A stored cell value as a float; NaN for blanks, text and errors (``#DIV/0!``)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return math.nan
    return float(value)


def format_value(value: float, unit: str, currency: str, *, ratio: bool = False) -> str:
    """``value`` in the Excel number format the workbook uses for ``unit``.

    Mirrors :func:`kpi_xl.workbook.xlsx.number_format`: percent ``0.0%``, currency with two
    decimals and its symbol, counts as integers (two decimals for ratios), and so on.
    """
    if math.isnan(value):
        return MISSING
    if unit == "percent":
        return f"{value * 100:,.1f}%"
    if unit == "currency":
        symbol = CURRENCY_SYMBOLS.get(currency.upper())
        if symbol in ("$", "£"):
            return f"{'-' if value < 0 else ''}{symbol}{abs(value):,.2f}"
        return f"{value:,.2f} {symbol or currency}"
    formats = {
        "count": "{:,.2f}" if ratio else "{:,.0f}",
        "seconds": "{:,.0f} s",
        "hours": "{:,.1f} h",
        "multiple": "{:.2f}x",
        "position": "{:.1f}",
        "score": "{:.2f}",
    }
    return formats.get(unit, "{:,.2f}").format(value)


def format_attainment(value: float) -> str:
    """Attainment as the workbook shows it (``0.0%``)."""
    return MISSING if math.isnan(value) else f"{value * 100:,.1f}%"
