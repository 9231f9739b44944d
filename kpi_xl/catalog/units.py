"""How each KPI unit is shown: one table for the workbook's number formats and the
e-mail's text, so a value reads the same in both."""

from __future__ import annotations

import math

CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "ILS": "₪", "IRR": "﷼", "JPY": "¥"}
MISSING = "–"

#: How each unit looks, as an Excel number format and as the same for ``str.format`` (the
#: e-mail's text). Currency depends on the plan's currency: see :func:`currency_symbol`.
UNIT_FORMATS: dict[str, tuple[str, str]] = {
    "percent": ("0.0%", "{:,.1%}"),
    "count": ("#,##0", "{:,.0f}"),
    "ratio_count": ("#,##0.00", "{:,.2f}"),  # a count per something: sessions per user
    "seconds": ('#,##0" s"', "{:,.0f} s"),
    "hours": ('#,##0.0" h"', "{:,.1f} h"),
    "multiple": ('0.00"x"', "{:.2f}x"),
    "position": ("0.0", "{:.1f}"),
    "score": ("0.00", "{:.2f}"),
}


def unit_format_key(unit: str, ratio: bool = False) -> str:
    """The :data:`UNIT_FORMATS` key of a KPI unit (currency has none)."""
    return "ratio_count" if unit == "count" and ratio else unit


def currency_symbol(currency: str) -> tuple[str, bool]:
    """The symbol shown for ``currency`` and whether it stands before the amount."""
    symbol = CURRENCY_SYMBOLS.get(currency.upper())
    return (symbol or currency), symbol in ("$", "£")


def number_format(unit: str, currency: str, ratio: bool = False) -> str:
    """Excel number format for a KPI unit."""
    if unit == "currency":
        symbol, first = currency_symbol(currency)
        return f'"{symbol}"#,##0.00' if first else f'#,##0.00 "{symbol}"'
    return UNIT_FORMATS[unit_format_key(unit, ratio)][0]


def format_value(value: float, unit: str, currency: str, *, ratio: bool = False) -> str:
    """``value`` as text, as the workbook's number format for ``unit`` shows it."""
    if math.isnan(value):
        return MISSING
    if unit == "currency":
        symbol, first = currency_symbol(currency)
        if first:
            return f"{'-' if value < 0 else ''}{symbol}{abs(value):,.2f}"
        return f"{value:,.2f} {symbol}"
    return UNIT_FORMATS[unit_format_key(unit, ratio)][1].format(value)
