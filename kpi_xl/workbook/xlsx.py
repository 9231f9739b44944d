"""Writing cells with XlsxWriter: text stays text, formulas carry their computed values,
formats per unit, and a fingerprint of every generated cell (what refresh checks)."""

from __future__ import annotations

import hashlib
import math
import types
from typing import Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_range, xl_rowcol_to_cell, xl_rowcol_to_cell_fast
from xlsxwriter.worksheet import CellNumberTuple, Worksheet

from kpi_xl.catalog.units import number_format
from kpi_xl.digits import persian_digit_format
from kpi_xl.style import HEADER_FILL, INPUT_BORDER, INPUT_FILL, STATUS_COLORS
from kpi_xl.vocabulary import RTL_LANGUAGES
from kpi_xl.workbook.text_fit import text_px, width_for_px


class PlanSheet(Worksheet):  # type: ignore[misc]
    """A worksheet whose empty-text formula results are stored as text.

    XlsxWriter stores a formula's cached value ``""`` without ``t="str"``, so readers
    see a number cell with no value; marking it as text makes the stored value equal
    what Excel, LibreOffice and formualizer compute for ``IFERROR(..., "")``.
    """

    def _prepare_formula(self, formula: str, expand_future_functions: bool = False) -> str:
        """The formula without its ``=``. XlsxWriter also rewrites some thirty dynamic-array
        and future functions here (``FILTER`` to ``_xlfn._xlws.FILTER``...); the plan's
        formulas use only the portable vocabulary (none of those: ``tests`` check every
        generated formula), so the rewriting, a fifth of a build's formula time, is skipped."""
        return formula[1:] if formula.startswith("=") else formula

    def _write_cell(self, row: int, col: int, cell: Any) -> None:
        """A number with its own format written as XlsxWriter writes it (its
        ``_write_cell`` and ``_xml_number_element``, without escaping a cell reference and
        a style number, which need none): most of a plan's cells (tests/test_xlsx.py)."""
        if cell.__class__ is CellNumberTuple and cell.format:
            ref = xl_rowcol_to_cell_fast(row, col)
            style = cell.format._get_xf_index()
            self.fh.write(f'<c r="{ref}" s="{style}"><v>{cell.number:.16G}</v></c>')
        else:
            super()._write_cell(row, col, cell)

    def _xml_formula_element(self, formula: str, result: Any, attributes: list[Any]) -> None:
        if result == "" and not any(name == "t" for name, _ in attributes):
            attributes = [*attributes, ("t", "str")]
        super()._xml_formula_element(formula, result, attributes)

    def add_data_table(
        self, first_row: int, first_col: int, last_row: int, last_col: int, options: Any
    ) -> None:
        """``add_table`` for a table whose cells the caller writes (a header row; no
        ``data``, formulas or total row), at a cost that does not grow with its rows.

        XlsxWriter records every cell of a table's range in a dict to catch a later
        overlapping table or merge: for the million-row plan's ``ChannelData`` (32,929
        rows x 50 columns) 1.6 million entries, about 270 MB and 0.7 s. The table is added
        on its header and first row, then given its whole range as XlsxWriter computes
        it; the table's XML is the same (tests/test_xlsx.py compares them)."""
        assert not {"data", "total_row"} & set(options), "the cells are written apart"
        assert all("formula" not in c for c in options.get("columns", ())), "no formulas"
        if last_row <= first_row + 1:
            self.add_table(first_row, first_col, last_row, last_col, options)
            return
        self.add_table(first_row, first_col, first_row + 1, last_col, options)
        table = self.tables[-1]
        table["range"] = table["a_range"] = xl_range(first_row, first_col, last_row, last_col)
        if table.get("autofilter"):
            table["autofilter"] = table["a_range"]

    def write_numbers(self, row: int, col: int, values: list[float], cell_format: Any) -> None:
        """Write the numbers of ``values`` from ``col`` on, leaving a NaN's cell empty: a
        row of a data table (XlsxWriter's checks of ``write_number`` are made once for the
        row, not per cell: ``row`` and ``col`` are numbers within the sheet, every value a
        finite number or NaN)."""
        if not values:
            return
        if self._check_dimensions(row, col) or self._check_dimensions(row, col + len(values) - 1):
            raise ValueError(f"row {row}, columns {col}+{len(values)}: outside the worksheet")
        if self.constant_memory and row > self.previous_row:  # a StreamedSheet's last row out
            self._write_single_row(row)
        cells = self.table[row]
        for c, value in enumerate(values, start=col):
            if value == value:  # NaN: blank cells stay empty (COUNTIFS "<>" skips them)
                cells[c] = CellNumberTuple(value, cell_format)

    def fit_columns(self, first: int, last: int, minimum: float, maximum: float = 80) -> None:
        """Set columns ``first``..``last`` as wide as the widest one-line text
        :func:`write_text` put in each (at least ``minimum``, at most ``maximum``)."""
        widest = text_widths(self)
        for col in range(first, last + 1):
            px = widest.get(col, 0.0)
            self.set_column(col, col, min(max(minimum, width_for_px(px)), maximum))

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


class StreamedSheet(PlanSheet):
    """A sheet XlsxWriter writes out row by row (its ``constant_memory`` mode, for this
    sheet only): a large data table costs one row in memory, not a tuple per cell. Its
    cells must be written row after row, and its text is stored in the cells (inline
    strings) rather than in the workbook's shared strings."""

    def _initialize(self, init_data: dict[str, Any]) -> None:
        super()._initialize({**init_data, "constant_memory": True})

    def add_data_table(
        self, first_row: int, first_col: int, last_row: int, last_col: int, options: Any
    ) -> None:
        """The table, added as :meth:`PlanSheet.add_data_table` does; XlsxWriter refuses
        tables in ``constant_memory`` mode only because their cells could come out of
        order, so it is added with the mode off and its header row (the next row to
        write) written again as inline strings."""
        self.constant_memory = False
        try:
            super().add_data_table(first_row, first_col, last_row, last_col, options)
        finally:
            self.constant_memory = True
        table = self.tables[-1]
        for i, column in enumerate(table["columns"]):
            self._write_string(first_row, first_col + i, column["name"], column["name_format"])


def add_sheet(
    workbook: xlsxwriter.Workbook, name: str, *, rtl: bool = False, streamed: bool = False
) -> PlanSheet:
    """A plan sheet (``streamed``: a :class:`StreamedSheet`)."""
    kind = StreamedSheet if streamed else PlanSheet
    sheet: PlanSheet = workbook.add_worksheet(name, worksheet_class=kind)
    if rtl:
        sheet.right_to_left()
    return sheet


def cached(value: Any) -> Any:
    """A Python value as a formula's cached result (NaN/inf -> empty text)."""
    if value is None:
        return ""
    if isinstance(value, float) and not math.isfinite(value):
        return ""
    return value


def text_widths(sheet: Worksheet) -> dict[int, float]:
    """Column -> the widest one-line text written with :func:`write_text`, in pixels."""
    widths: dict[int, float] = sheet.__dict__.setdefault("_kpi_text_px", {})
    return widths


def write_text(sheet: Worksheet, row: int, col: int, text: Any, fmt: Format | None = None) -> None:
    """Data text is always a string cell, never a formula (``=cmd|...`` stays text)."""
    value = "" if text is None else str(text)
    sheet.write_string(row, col, value, fmt)
    if value and (fmt is None or not fmt.text_wrap):
        size = float(fmt.font_size) if fmt is not None else 11.0
        px = text_px(value, size, bool(fmt is not None and fmt.bold))
        widths = text_widths(sheet)
        if px > widths.get(col, 0.0):
            widths[col] = px
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


class Formats:
    """The workbook's cell formats, created once and shared by every sheet."""

    def __init__(
        self, workbook: xlsxwriter.Workbook, currency: str, lang: str = "en", digits: str = "latin"
    ) -> None:
        self._wb = workbook
        self.currency = currency
        self.lang = lang
        self.digits = digits
        self._cache: dict[tuple[Any, ...], Format] = {}
        self._base: dict[str, Any] = {"font_name": "Calibri", "font_size": 10, "valign": "vcenter"}
        if lang in RTL_LANGUAGES:  # text reads right to left: numbers and words in order
            self._base["reading_order"] = 2

    def numbers(self, num_format: str) -> str:
        """A number format in the plan's digits (Persian digits: the locale code Excel and
        LibreOffice read, :func:`kpi_xl.digits.persian_digit_format`)."""
        return persian_digit_format(num_format) if self.digits == "persian" else num_format

    def get(self, **props: Any) -> Format:
        if "num_format" in props:
            props["num_format"] = self.numbers(str(props["num_format"]))
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
        fmt = number_format(unit, self.currency, ratio, self.lang)
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


def show_gaps(chart: Any) -> None:
    """A period without data is a gap in ``chart``, said in its XML.

    XlsxWriter leaves ``<c:dispBlanksAs val="gap"/>`` out as Excel's default, but the
    schema's default is ``zero`` and other readers (LibreOffice, previews) may draw a
    plunge to zero; so the element is always written.
    """
    chart.show_blanks_as("gap")

    def write_gap(self: Any) -> None:
        self._xml_empty_tag("c:dispBlanksAs", [("val", self.show_blanks)])

    chart._write_disp_blanks_as = types.MethodType(write_gap, chart)
