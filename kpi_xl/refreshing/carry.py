"""Carry sheets the user added into the rebuilt workbook.

Copied: cell values, formulas with their last computed values, number formats, bold /
italic / font colour, solid fills, column widths and row heights. Not copied (said in the
conflict message): charts, images, conditional formats, validations and comments.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import xlsxwriter
from openpyxl.utils import column_index_from_string

from kpi_xl.workbook.xlsx import write_text


def _color(color: Any) -> str | None:
    rgb = getattr(color, "rgb", None)
    if isinstance(rgb, str) and len(rgb) == 8 and rgb != "00000000":
        return "#" + rgb[2:]
    return None


def _format(workbook: xlsxwriter.Workbook, cell: Any, cache: dict[tuple[Any, ...], Any]) -> Any:
    props: dict[str, Any] = {}
    if cell.number_format and cell.number_format != "General":
        props["num_format"] = cell.number_format
    if cell.font is not None:
        if cell.font.b:
            props["bold"] = True
        if cell.font.i:
            props["italic"] = True
        if (font_color := _color(cell.font.color)) is not None:
            props["font_color"] = font_color
    fill = cell.fill
    if fill is not None and fill.fill_type == "solid" and (bg := _color(fill.fgColor)):
        props["bg_color"] = bg
    key = tuple(sorted(props.items()))
    if key not in cache:
        cache[key] = workbook.add_format(props) if props else None
    return cache[key]


def carry_sheet(workbook: xlsxwriter.Workbook, formulas_ws: Any, values_ws: Any) -> None:
    """Write a copy of an openpyxl sheet (formulas + cached values) with XlsxWriter."""
    target = workbook.add_worksheet(formulas_ws.title)
    cache: dict[tuple[Any, ...], Any] = {}
    for row in formulas_ws.iter_rows():
        for cell in row:
            value = cell.value
            if value is None and not cell.has_style:
                continue
            r, c = cell.row - 1, cell.column - 1
            fmt = _format(workbook, cell, cache)
            if cell.data_type == "f" and isinstance(value, str):
                cached = values_ws.cell(cell.row, cell.column).value
                target.write_formula(r, c, value, fmt, "" if cached is None else cached)
            elif isinstance(value, bool):
                target.write_boolean(r, c, value, fmt)
            elif isinstance(value, int | float):
                target.write_number(r, c, value, fmt)
            elif isinstance(value, dt.datetime | dt.date):
                target.write_datetime(r, c, value, fmt)
            elif value is None:
                target.write_blank(r, c, None, fmt)
            else:
                write_text(target, r, c, value, fmt)
    for letter, dim in formulas_ws.column_dimensions.items():
        if dim.width:
            index = column_index_from_string(letter) - 1
            target.set_column(index, index, dim.width)
    for number, dim in formulas_ws.row_dimensions.items():
        if dim.height:
            target.set_row(number - 1, dim.height)
    if formulas_ws.sheet_view.rightToLeft:
        target.right_to_left()
