"""XlsxWriter foundations: safe cell writing, cached formula values, formats per unit."""

from __future__ import annotations

import hashlib
import math
from typing import Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.utility import quote_sheetname, xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "ILS": "₪", "IRR": "﷼", "JPY": "¥"}
INPUT_FILL = "#FFF2CC"
INPUT_BORDER = "#BF9000"
HEADER_FILL = "#1F4E78"
STATUS_COLORS = {
    "on_track": ("#C6EFCE", "#006100"),
    "at_risk": ("#FFEB9C", "#9C5700"),
    "off_track": ("#FFC7CE", "#9C0006"),
    "no_data": ("#EDEDED", "#595959"),
}


class PlanSheet(Worksheet):  # type: ignore[misc]
    """A worksheet whose empty-text formula results are stored as text.

    XlsxWriter stores a formula's cached value ``""`` without ``t="str"``, so readers
    see a number cell with no value; marking it as text makes the stored value equal
    what Excel, LibreOffice and formualizer compute for ``IFERROR(..., "")``.
    """

    def _xml_formula_element(self, formula: str, result: Any, attributes: list[Any]) -> None:
        if result == "" and not any(name == "t" for name, _ in attributes):
            attributes = [*attributes, ("t", "str")]
        super()._xml_formula_element(formula, result, attributes)

    @property
    def fingerprints(self) -> dict[str, str]:
        """Cell -> fingerprint of what kpi_xl wrote there (see :func:`fingerprint`)."""
        if not hasattr(self, "_kpi_fingerprints"):
            self._kpi_fingerprints: dict[str, str] = {}
        return self._kpi_fingerprints


def fingerprint(content: Any) -> str:
    """A short, stable fingerprint of a cell's content: formula text, text or number.

    Formulas are given with their leading ``=`` (as openpyxl reads them back).
    """
    if content is None or content == "":
        return ""
    if isinstance(content, bool):
        return f"b:{int(content)}"
    if isinstance(content, int | float):
        return f"n:{float(content):.12g}"
    text = str(content)
    kind = "f" if text.startswith("=") else "s"
    return f"{kind}:" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]


def _record(sheet: Worksheet, row: int, col: int, content: Any) -> None:
    if isinstance(sheet, PlanSheet):
        sheet.fingerprints[str(xl_rowcol_to_cell(row, col))] = fingerprint(content)


def new_workbook(path: str, *, macro: bool = False) -> xlsxwriter.Workbook:
    """A workbook that never turns text into formulas, URLs or numbers."""
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


def add_sheet(workbook: xlsxwriter.Workbook, name: str, *, rtl: bool = False) -> PlanSheet:
    sheet: PlanSheet = workbook.add_worksheet(name, worksheet_class=PlanSheet)
    if rtl:
        sheet.right_to_left()
    return sheet


def ref(sheet: str, row: int, col: int, *, absolute: bool = True) -> str:
    """``'Sheet name'!$B$3``, quoting the sheet name when needed."""
    cell = xl_rowcol_to_cell(row, col, row_abs=absolute, col_abs=absolute)
    return f"{quote_sheetname(sheet)}!{cell}"


def cell(row: int, col: int, *, row_abs: bool = False, col_abs: bool = False) -> str:
    return str(xl_rowcol_to_cell(row, col, row_abs=row_abs, col_abs=col_abs))


def cached(value: Any) -> Any:
    """A Python value as a formula's cached result (NaN/inf -> empty text)."""
    if value is None:
        return ""
    if isinstance(value, float) and not math.isfinite(value):
        return ""
    return value


def write_text(sheet: Worksheet, row: int, col: int, text: Any, fmt: Format | None = None) -> None:
    """Data text is always a string cell, never a formula (``=cmd|...`` stays text)."""
    value = "" if text is None else str(text)
    sheet.write_string(row, col, value, fmt)
    # record as text even when it starts with "=" (it is not a formula)
    _record(sheet, row, col, "\x00" + value if value.startswith("=") else value)


def write_value(
    sheet: Worksheet, row: int, col: int, value: Any, fmt: Format | None = None
) -> None:
    """A number, a blank for NaN/None, or text through :func:`write_text`."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        sheet.write_blank(row, col, None, fmt)
        _record(sheet, row, col, None)
    elif isinstance(value, bool):
        sheet.write_boolean(row, col, value, fmt)
        _record(sheet, row, col, value)
    elif isinstance(value, int | float):
        sheet.write_number(row, col, value, fmt)
        _record(sheet, row, col, value)
    else:
        write_text(sheet, row, col, value, fmt)


def write_formula(
    sheet: Worksheet, row: int, col: int, formula: str, value: Any, fmt: Format | None = None
) -> None:
    """A formula (generated by us, never from data) with its Python-computed result."""
    sheet.write_formula(row, col, "=" + formula, fmt, cached(value))
    _record(sheet, row, col, "=" + formula)


#: How each unit looks, as an Excel number format and as the same for ``str.format`` (the
#: e-mail's text); one table, so the workbook and the e-mail show a value alike. Currency
#: depends on the plan's currency: see :func:`currency_symbol`.
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


class Formats:
    """The workbook's cell formats, created once and shared by every sheet."""

    def __init__(self, workbook: xlsxwriter.Workbook, currency: str, rtl: bool) -> None:
        self._wb = workbook
        self.currency = currency
        self._cache: dict[tuple[Any, ...], Format] = {}
        base = {"font_name": "Calibri", "font_size": 10, "valign": "vcenter"}
        if rtl:
            base["reading_order"] = 2
        self._base = base

    def get(self, **props: Any) -> Format:
        key = tuple(sorted(props.items()))
        if key not in self._cache:
            self._cache[key] = self._wb.add_format({**self._base, **props})
        return self._cache[key]

    @property
    def title(self) -> Format:
        return self.get(bold=True, font_size=16, font_color=HEADER_FILL)

    @property
    def subtitle(self) -> Format:
        return self.get(italic=True, font_color="#595959")

    @property
    def header(self) -> Format:
        return self.get(
            bold=True, font_color="#FFFFFF", bg_color=HEADER_FILL, border=1, text_wrap=True
        )

    @property
    def section(self) -> Format:
        return self.get(bold=True, bg_color="#DDEBF7", border=1)

    @property
    def text(self) -> Format:
        return self.get(border=1)

    @property
    def label(self) -> Format:
        return self.get(bold=True)

    @property
    def muted(self) -> Format:
        return self.get(font_color="#7F7F7F", border=1)

    def unit(self, unit: str, *, ratio: bool = False, input_cell: bool = False) -> Format:
        fmt = number_format(unit, self.currency, ratio)
        if input_cell:
            return self.input(num_format=fmt)
        return self.get(num_format=fmt, border=1)

    def input(self, **props: Any) -> Format:
        """Input cells: unlocked, yellow, with an amber border."""
        return self.get(
            locked=False, bg_color=INPUT_FILL, border=1, border_color=INPUT_BORDER, **props
        )

    @property
    def percent(self) -> Format:
        return self.get(num_format="0.0%", border=1)

    @property
    def date(self) -> Format:
        return self.get(num_format="yyyy-mm-dd", border=1)

    @property
    def datetime(self) -> Format:
        return self.get(num_format="yyyy-mm-dd hh:mm", border=1)

    def status_fill(self, code: str) -> Format:
        bg, fg = STATUS_COLORS[code]
        return self.get(bg_color=bg, font_color=fg)
