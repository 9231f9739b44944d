"""How each KPI unit is shown: one table for the workbook's number formats and the
e-mail's text, so a value reads the same in both."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "ILS": "₪", "IRR": "﷼", "JPY": "¥"}
MISSING = "–"

#: How each unit looks, as an Excel number format and as the same for ``str.format`` (the
#: e-mail's text), with the decimals both show. Currency depends on the plan's currency
#: and language: see :func:`number_format`.
UNIT_FORMATS: dict[str, tuple[str, str, int]] = {
    "percent": ("0.0%", "{:,.1%}", 3),  # 1 decimal of a percent: 3 of the fraction
    "count": ("#,##0", "{:,.0f}", 0),
    "ratio_count": ("#,##0.00", "{:,.2f}", 2),  # a count per something: sessions per user
    "seconds": ('#,##0" s"', "{:,.0f} s", 0),
    "hours": ('#,##0.0" h"', "{:,.1f} h", 1),
    "multiple": ('0.00"x"', "{:.2f}x", 2),
    "position": ("0.0", "{:.1f}", 1),
    "score": ("0.00", "{:.2f}", 2),
}


def shown_value(value: float, decimals: int) -> float:
    """``value`` rounded as a spreadsheet shows it: half away from zero, on its shortest
    decimal form (1234.5 shows as 1,235 and 2.675 as 2.68, as in Excel and LibreOffice;
    Python's own formatting would show 1,234 and 2.67)."""
    exact = Decimal(repr(float(value)))
    return float(exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))


def unit_format_key(unit: str, ratio: bool = False) -> str:
    """The :data:`UNIT_FORMATS` key of a KPI unit (currency has none)."""
    return "ratio_count" if unit == "count" and ratio else unit


#: Languages that write a currency symbol before the amount (``€170,264``); the others
#: write it after, with a space (``170 264 €``, Finnish, Hebrew, Persian and Uzbek usage).
SYMBOL_FIRST = frozenset({"en"})


def currency_symbol(currency: str, lang: str = "en") -> tuple[str, bool]:
    """The symbol shown for ``currency`` (its ISO code when it has no symbol here) and
    whether it stands before the amount, as ``lang`` writes money."""
    symbol = CURRENCY_SYMBOLS.get(currency.upper())
    return (symbol or currency.upper()), lang in SYMBOL_FIRST


def _money_decimals(ratio: bool) -> int:
    """Cents where they matter: a cost per click or an order value (a ratio) shows them,
    a sum of money (revenue, spend) is read in whole units."""
    return 2 if ratio else 0


def number_format(unit: str, currency: str, ratio: bool = False, lang: str = "en") -> str:
    """Excel number format for a KPI unit (money: the symbol where ``lang`` puts it)."""
    if unit == "currency":
        symbol, first = currency_symbol(currency, lang)
        digits = "#,##0" + ("." + "0" * _money_decimals(ratio) if _money_decimals(ratio) else "")
        if first:
            gap = " " if symbol.isalpha() else ""  # "USD 12" but "$12"
            return f'"{symbol}{gap}"{digits};-"{symbol}{gap}"{digits}'
        return f'{digits} "{symbol}"'
    return UNIT_FORMATS[unit_format_key(unit, ratio)][0]


def format_value(
    value: float, unit: str, currency: str, *, ratio: bool = False, lang: str = "en"
) -> str:
    """``value`` as text, as the workbook's number format for ``unit`` shows it (grouped
    with commas; the e-mail's reader sees the workbook's figures)."""
    if math.isnan(value):
        return MISSING
    if unit == "currency":
        symbol, first = currency_symbol(currency, lang)
        decimals = _money_decimals(ratio)
        rounded = shown_value(value, decimals)
        amount = f"{abs(rounded):,.{decimals}f}"
        sign = "-" if rounded < 0 else ""
        if first:
            gap = " " if symbol.isalpha() else ""
            return f"{sign}{symbol}{gap}{amount}"
        return f"{sign}{amount} {symbol}"
    _, pattern, decimals = UNIT_FORMATS[unit_format_key(unit, ratio)]
    return pattern.format(shown_value(value, decimals) + 0.0)  # + 0.0: no "-0"


def _sections(fmt: str) -> list[str]:
    """A number format's sections (positive; negative; zero), split outside quotes."""
    out, current, quoted = [], "", False
    for ch in fmt:
        if ch == '"':
            quoted = not quoted
        if ch == ";" and not quoted:
            out.append(current)
            current = ""
        else:
            current += ch
    return [*out, current]


def signed_format(fmt: str) -> str:
    """``fmt`` with an explicit sign: ``+12.5%``, ``-12.5%``, ``0.0%`` (a change or a gap
    reads at a glance which way it went)."""
    first = _sections(fmt)[0]
    return f"+{first};-{first};{first}"


def points_format(lang: str = "en") -> str:
    """A difference of two percentages, stored in percentage points (0.8 = 0.8 pp),
    signed, with the language's abbreviation for percentage points."""
    from kpi_xl.catalog.records import label

    unit = label("unit_pp", lang).replace('"', "'")
    return f'+0.0" {unit}";-0.0" {unit}";0.0" {unit}"'
