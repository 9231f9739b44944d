"""Carry sheets the user added into the rebuilt workbook.

Copied: cell values, formulas with their last computed values, array formulas (as array
formulas, over the same range), number formats, bold / italic / font colour, solid fills,
merged cells, hyperlinks (to web pages, e-mail addresses, files and cells), comments (their
text and author), column widths and row heights, hidden rows and columns, frozen panes and
a right-to-left direction. Not copied (said in the conflict message and docs/refresh.md):
charts, images, shapes, tables (``ListObject``), pivot tables, conditional formats, data
validations, borders, alignment, rich text inside a cell, a comment's size and position, a
what-if data table (its cells keep their values) and sheet protection.

:func:`check_sheet` runs before anything is written: a text longer than a cell holds
(32,767 characters, which only another program can have written) is refused with its cell,
never cut; a hyperlink that cannot be written is listed as not carried.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import xlsxwriter
from openpyxl.cell.cell import MergedCell
from openpyxl.utils import column_index_from_string, range_boundaries
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula
from xlsxwriter.url import Url

from kpi_xl.errors import KpiXlError
from kpi_xl.workbook.xlsx import write_text

#: The most characters a cell (or a comment) holds.
MAX_TEXT = 32_767
#: Link schemes a hyperlink keeps as they are (anything else with "://" too); a target
#: without one is a file, relative to the workbook.
URL_SCHEMES = ("mailto:", "file:")


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


def _link(cell: Any) -> str | None:
    """The hyperlink of ``cell`` as XlsxWriter writes one, or None."""
    link = cell.hyperlink
    if link is None:
        return None
    target, location = link.target or "", link.location or ""
    if target.startswith("#"):  # a place in this workbook written as a target
        target, location = "", location or target[1:]
    if not target:
        return f"internal:{location}" if location else None
    if "://" not in target and not target.startswith(URL_SCHEMES):
        target = "external:" + target
    return f"{target}#{location}" if location else target


def _where(ws: Any, cell: Any) -> str:
    return f"{ws.title}!{cell.coordinate}"


def check_sheet(ws: Any) -> list[tuple[str, str]]:
    """What of the sheet (openpyxl, formulas) cannot be carried: (cell, why). A text longer
    than a cell holds is refused here (:class:`~kpi_xl.errors.KpiXlError` naming the cell),
    before anything is written."""
    problems: list[tuple[str, str]] = []
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell, MergedCell):
                continue
            value = cell.value
            texts = [value] if isinstance(value, str) else []
            if cell.comment is not None:
                texts.append(cell.comment.text or "")
            for text in texts:
                if len(text) > MAX_TEXT:
                    raise KpiXlError(
                        f"{_where(ws, cell)} holds a text of {len(text):,} characters; a "
                        f"cell holds at most {MAX_TEXT:,}, so refresh would cut it: shorten "
                        "it or move it elsewhere, then refresh"
                    )
            if isinstance(value, DataTableFormula):
                problems.append((_where(ws, cell), "a what-if data table: kept as its values"))
            link = _link(cell)
            if link is not None:
                try:
                    Url(link)
                except (ValueError, TypeError):
                    problems.append((_where(ws, cell), "a hyperlink too long to write"))
    return problems


def _array_ranges(ws: Any) -> dict[tuple[int, int], tuple[int, int, int, int]]:
    """Each array formula's first cell -> its range (0-based first row, col, last row, col)."""
    out: dict[tuple[int, int], tuple[int, int, int, int]] = {}
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, ArrayFormula):
                min_col, min_row, max_col, max_row = range_boundaries(cell.value.ref)
                out[(cell.row, cell.column)] = (min_row - 1, min_col - 1, max_row - 1, max_col - 1)
    return out


def carry_sheet(workbook: xlsxwriter.Workbook, formulas_ws: Any, values_ws: Any) -> None:
    """Write a copy of an openpyxl sheet (formulas + cached values) with XlsxWriter."""
    target = workbook.add_worksheet(formulas_ws.title)
    cache: dict[tuple[Any, ...], Any] = {}
    arrays = _array_ranges(formulas_ws)
    inside = {
        (r + 1, c + 1)
        for first, (r0, c0, r1, c1) in arrays.items()
        for r in range(r0, r1 + 1)
        for c in range(c0, c1 + 1)
        if (r + 1, c + 1) != first
    }
    for merged in formulas_ws.merged_cells.ranges:
        if merged.min_row == merged.max_row and merged.min_col == merged.max_col:
            continue
        anchor = formulas_ws.cell(merged.min_row, merged.min_col)
        # blank here: the first cell's value is written below, over it, in its own kind
        target.merge_range(
            merged.min_row - 1, merged.min_col - 1, merged.max_row - 1, merged.max_col - 1,
            "", _format(workbook, anchor, cache),
        )  # fmt: skip
    for row in formulas_ws.iter_rows():
        for cell in row:
            if isinstance(cell, MergedCell) or (cell.row, cell.column) in inside:
                continue
            value = cell.value
            if value is None and not cell.has_style and cell.comment is None:
                continue
            r, c = cell.row - 1, cell.column - 1
            fmt = _format(workbook, cell, cache)
            cached = values_ws.cell(cell.row, cell.column).value
            link = _link(cell)
            if isinstance(value, ArrayFormula):
                r0, c0, r1, c1 = arrays[(cell.row, cell.column)]
                formula = value.text if value.text.startswith("=") else "=" + value.text
                target.write_array_formula(r0, c0, r1, c1, formula, fmt, _cached(cached))
            elif isinstance(value, DataTableFormula):
                _write_value(target, r, c, cached, fmt)
            elif cell.data_type == "f" and isinstance(value, str):
                target.write_formula(r, c, value, fmt, _cached(cached))
            elif link is not None:
                shown = "" if value is None else str(value)
                tip = cell.hyperlink.tooltip or None
                target.write_url(r, c, link, fmt, shown or None, tip)
            else:
                _write_value(target, r, c, value, fmt)
            if cell.comment is not None:
                options = {"author": cell.comment.author} if cell.comment.author else {}
                target.write_comment(r, c, cell.comment.text or "", options)
    for letter, dim in formulas_ws.column_dimensions.items():
        if dim.width or dim.hidden:
            first = column_index_from_string(letter) - 1
            last = max(first, (dim.max or 0) - 1) if dim.min and dim.max else first
            options = {"hidden": True} if dim.hidden else {}
            target.set_column(first, last, dim.width or None, None, options)
    for number, dim in formulas_ws.row_dimensions.items():
        if dim.height or dim.hidden:
            target.set_row(number - 1, dim.height, None, {"hidden": True} if dim.hidden else {})
    if formulas_ws.freeze_panes:
        target.freeze_panes(formulas_ws.freeze_panes)
    if formulas_ws.sheet_view.rightToLeft:
        target.right_to_left()


def _cached(value: Any) -> Any:
    return "" if value is None else value


def _write_value(target: Any, r: int, c: int, value: Any, fmt: Any) -> None:
    if isinstance(value, bool):
        target.write_boolean(r, c, value, fmt)
    elif isinstance(value, int | float):
        target.write_number(r, c, value, fmt)
    elif isinstance(value, dt.datetime | dt.date | dt.time | dt.timedelta):
        target.write_datetime(r, c, value, fmt)
    elif value is None:
        target.write_blank(r, c, None, fmt)
    else:
        write_text(target, r, c, value, fmt)
