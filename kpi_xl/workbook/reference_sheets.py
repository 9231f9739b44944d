"""The Data, Definitions and Settings sheets, and the hidden plan record (``_meta``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np

from kpi_xl.catalog.records import get, measures
from kpi_xl.plan import planfile
from kpi_xl.plan.model import ID_COLUMNS
from kpi_xl.vocabulary import GRAINS, LANGUAGES
from kpi_xl.workbook.context import Context
from kpi_xl.workbook.layout import print_setup, protect
from kpi_xl.workbook.text_fit import column_px, height_for, width_for
from kpi_xl.workbook.xlsx import PlanSheet, write_text

#: Rows of the Data table converted from the model at a time.
_CHUNK_ROWS = 8192
#: The label of each key column of the data tables (measures: their catalog name).
COLUMN_NAMES = {
    "period": "period", "channel": "channel", "source": "col_source",
    "campaign": "col_campaign", "segment": "col_segment", "currency": "col_currency",
    "scope": "col_scope", "period_no": "col_period_no",
}  # fmt: skip


def column_names(
    ctx: Context,
    sheet: PlanSheet,
    row: int,
    col: int,
    columns: Sequence[str],
    widths: Sequence[float],
) -> None:
    """A row of the columns' names in the plan's language, above a table whose headers are
    the stable keys formulas and refresh read (``revenue``, ``period``). Each column is at
    least its ``widths`` entry and as wide as its key; the row is as high as the longest
    name wrapped in its column."""
    catalog = measures()
    fmt = ctx.fmt.get(bold=True, font_color="#404040", text_wrap=True, valign="bottom")
    height = 30.0
    for c, key in enumerate(columns):
        if key in COLUMN_NAMES:
            text = ctx.t(COLUMN_NAMES[key])
        elif key in catalog:
            text = catalog[key].name(ctx.lang)
        else:
            text = key
        write_text(sheet, row, col + c, text, fmt)
        width = max(widths[c], width_for([key], bold=True))
        sheet.set_column(col + c, col + c, width)
        height = max(height, height_for([text], column_px(width), bold=True))
    sheet.set_row(row, height)


def write_data(ctx: Context) -> None:
    """The ``ChannelData`` table: period-aggregated measures per channel, source and
    campaign (money in each row's currency), for the user's pivots and filters."""
    sheet = ctx.sheet("data")
    table, data = ctx.model.table, ctx.layout.data
    n, top = data.rows, data.row
    number = ctx.fmt.get(num_format="#,##0.##")
    if top >= 2:  # what the sheet is for, and each column's name above its key
        write_text(sheet, 0, 0, ctx.t("data_help"), ctx.fmt.subtitle)
        base = [14.0, 14.0, 14.0, 32.0] + [13.0] * (len(data.columns) - 4)
        column_names(ctx, sheet, top - 1, 0, data.columns, base)
    sheet.add_data_table(
        top, 0, top + max(n, 1), len(data.columns) - 1,
        {"name": data.table, "style": "Table Style Light 9",
         "columns": [{"header": c} for c in data.columns]},
    )  # fmt: skip
    measures = list(data.columns[len(ID_COLUMNS) :])
    write_string, write_numbers, first = sheet.write_string, sheet.write_numbers, len(ID_COLUMNS)
    for start in range(0, n, _CHUNK_ROWS):  # a chunk of rows at a time: memory
        chunk = table.iloc[start : start + _CHUNK_ROWS]
        text_cols = [chunk[c].astype(str).tolist() for c in ID_COLUMNS]
        values = chunk[measures].to_numpy(dtype="float64", na_value=np.nan)
        for i in range(len(chunk)):
            row = top + start + i + 1
            for c, col_values in enumerate(text_cols):
                write_string(row, c, col_values[i])
            write_numbers(row, first, values[i].tolist(), number)  # NaN: an empty cell
    if top < 2:
        sheet.set_column(0, 2, 14)
        sheet.set_column(3, 3, 32)
        sheet.set_column(4, len(data.columns) - 1, 13)
    sheet.freeze_panes(top + 1, 4)
    print_setup(sheet, top)


def write_definitions(ctx: Context) -> None:
    sheet = ctx.sheet("definitions")
    fmt, lang, d = ctx.fmt, ctx.lang, ctx.layout.definitions
    heads = ["kpi", "category", "unit", "direction", "sources", "formula", "definition"]
    write_text(sheet, d.title.row, d.title.col, ctx.t("sheet_definitions"), fmt.title)
    rule_row, last_col = d.title.row + 1, len(heads)
    sheet.merge_range(rule_row, 0, rule_row, last_col, "", fmt.get(text_wrap=True, valign="top"))
    write_text(sheet, rule_row, 0, ctx.t("sources_rule"), fmt.get(text_wrap=True, valign="top"))
    sheet.set_row(rule_row, 15 * _lines(ctx.t("sources_rule"), 220))
    for col, key in enumerate(heads):
        write_text(sheet, d.header_row, col, ctx.t(key), fmt.header)
    write_text(sheet, d.header_row, len(heads), "id", fmt.header)
    wrap = fmt.get(border=1, text_wrap=True, valign="top")
    for i, kpi_id in enumerate(d.kpis):
        kpi = get(kpi_id)
        row = d.header_row + 1 + i
        cells = [
            kpi.name(lang),
            ctx.t(f"category_{kpi.category}"),
            ctx.t(f"unit_{kpi.unit}"),
            ctx.t(kpi.direction),
            ctx.t("sources_matched" if kpi.matched else "sources_blended"),
            kpi.words(lang),
            kpi.describe(lang),
            kpi.id,
        ]
        for col, text in enumerate(cells):
            write_text(sheet, row, col, text, wrap)
        # wrapped rows grow to their text (Excel does on open; LibreOffice needs a height)
        sheet.set_row(row, 15 * max(_lines(kpi.describe(lang), 66), _lines(kpi.words(lang), 42)))
    sheet.set_column(0, 0, 34)
    sheet.set_column(1, 4, 16)
    sheet.set_column(5, 5, 44)
    sheet.set_column(6, 6, 70)
    sheet.set_column(7, 7, 24)
    sheet.freeze_panes(d.header_row + 1, 1)
    print_setup(sheet, d.header_row)
    protect(sheet)


def _lines(text: str, width: int) -> int:
    """How many lines ``text`` wraps to in a column about ``width`` characters wide."""
    return max(1, -(-len(text) // width))


def settings_values(ctx: Context, data_source: str) -> dict[str, Any]:
    """The value of every Settings input."""
    spec = ctx.model.spec
    return {
        "on_track": spec.on_track,
        "at_risk": spec.at_risk,
        "near_on_track": spec.near_on_track,
        "near_at_risk": spec.near_at_risk,
        "gross_margin": spec.gross_margin,
        "unlock_targets": spec.unlock_targets,
        "currency": spec.currency,
        "plan_start": dt.date(int(ctx.model.periods[0][:4]), 1, 1),
        "language": ctx.lang,
        "grain": spec.grain,
        "data_source": data_source,
    }


_VALIDATIONS: dict[str, dict[str, Any]] = {
    "on_track": {"validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 10},
    "at_risk": {"validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 10},
    "near_on_track": {"validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 1},
    "near_at_risk": {"validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 1},
    "gross_margin": {
        "validate": "decimal", "criteria": "between", "minimum": 0.001, "maximum": 1,
        "ignore_blank": True,
    },
    "unlock_targets": {"validate": "list", "source": ["TRUE", "FALSE"]},
    "currency": {"validate": "length", "criteria": "between", "minimum": 1, "maximum": 5},
    "plan_start": {
        "validate": "date", "criteria": "between",
        "minimum": dt.date(2000, 1, 1), "maximum": dt.date(2100, 12, 31),
    },
    "language": {"validate": "list", "source": list(LANGUAGES)},
    "grain": {"validate": "list", "source": list(GRAINS)},
    # paths separated by ';' (or sample:NAME); a bound keeps pasted junk out
    "data_source": {"validate": "length", "criteria": "<=", "value": 2000},
}  # fmt: skip


def write_settings(ctx: Context, data_source: str) -> None:
    sheet = ctx.sheet("settings")
    fmt, s = ctx.fmt, ctx.layout.settings
    write_text(sheet, s.title.row, s.title.col, ctx.t("sheet_settings"), fmt.title)
    write_text(sheet, s.header_row, 0, ctx.t("setting"), fmt.header)
    write_text(sheet, s.header_row, 1, ctx.t("value"), fmt.header)
    values = settings_values(ctx, data_source)
    for key, cell in s.cells.items():
        row, col, value = cell.row, cell.col, values[key]
        write_text(sheet, row, col - 1, ctx.t(f"setting_{key}"), fmt.text)
        if key in ("on_track", "at_risk", "near_on_track", "near_at_risk", "gross_margin"):
            percent = fmt.input(num_format="0%" if key in ("on_track", "at_risk") else "0.0%")
            if value is None:
                sheet.write_blank(row, col, None, percent)
            else:
                sheet.write_number(row, col, float(value), percent)
        elif key == "plan_start":
            sheet.write_datetime(
                row, col, dt.datetime.combine(value, dt.time()), fmt.input(num_format="yyyy-mm-dd")
            )
        elif isinstance(value, bool):
            sheet.write_boolean(row, col, value, fmt.input())
        else:
            write_text(sheet, row, col, value, fmt.input())
        sheet.data_validation(row, col, row, col, _VALIDATIONS[key])
    _exchange_rates(ctx, sheet)
    _systems_of_record(ctx, sheet)
    labels = [ctx.t(f"setting_{key}") for key in s.cells]
    sheet.set_column(0, 0, width_for(labels, minimum=42, maximum=70))
    sheet.set_column(1, 2, 24)
    print_setup(sheet, s.header_row)
    protect(sheet)


def _exchange_rates(ctx: Context, sheet: Any) -> None:
    """One input per foreign currency of the data: 1 unit of it in the plan currency."""
    s, data, fmt = ctx.layout.settings, ctx.model.data, ctx.fmt
    if not s.fx:
        return
    plan = data.currency
    write_text(sheet, s.fx_header_row, 0, ctx.t("settings_fx", currency=plan), fmt.header)
    write_text(sheet, s.fx_header_row, 1, "", fmt.header)
    for code, cell in s.fx.items():
        write_text(sheet, cell.row, 0, f"1 {code} =", fmt.text)
        sheet.write_number(cell.row, cell.col, data.rates[code], fmt.input(num_format="0.0000"))
        sheet.data_validation(
            cell.row, cell.col, cell.row, cell.col,
            {"validate": "decimal", "criteria": ">", "value": 0},
        )  # fmt: skip


def _systems_of_record(ctx: Context, sheet: Any) -> None:
    """Where each site measure is read from, for all channels and by channel (generated:
    the formulas read these cells)."""
    s, data, fmt = ctx.layout.settings, ctx.model.data, ctx.fmt
    if not s.record_all:
        return
    row = s.records_header_row
    write_text(sheet, row - 1, 0, ctx.t("settings_records"), fmt.label)
    for col, key in enumerate(("measure", "channel_all", "by_channel")):
        write_text(sheet, row, col, ctx.t(key), fmt.header)
    catalog = measures()
    for m, cell in s.record_all.items():
        record = data.records[m]
        write_text(sheet, cell.row, 0, catalog[m].name(ctx.lang), fmt.text)
        write_text(sheet, cell.row, cell.col, record.all, fmt.text)
        other = s.record_channels[m]
        write_text(sheet, other.row, other.col, record.channels, fmt.text)


def generated_cells(ctx: Context) -> dict[str, dict[str, str]]:
    """Fingerprints of generated cells per sheet role: what a refresh checks for edits.

    Left out: input cells (they are the user's), the cells a refresh stamps on Overview,
    and the Data sheet (the refresh replaces it by design).
    """
    skip = {(c.sheet, c.a1) for c in ctx.layout.input_cells() + ctx.layout.stamped_cells()}
    out: dict[str, dict[str, str]] = {}
    for role, sheet in ctx.sheets.items():
        if role in ("data", planfile.META_SHEET):
            continue
        name = ctx.layout.sheets[role]
        out[role] = {c: fp for c, fp in sheet.fingerprints.items() if (name, c) not in skip}
    return out


def write_meta(ctx: Context, meta: planfile.PlanMeta) -> None:
    """The very hidden ``_meta`` sheet: the plan record (see :mod:`kpi_xl.plan.planfile`)."""
    sheet = ctx.sheet(planfile.META_SHEET)
    meta.generated = generated_cells(ctx)
    meta.dimensions = {
        role: [s.dim_rowmax, s.dim_colmax]
        for role, s in ctx.sheets.items()
        if role != planfile.META_SHEET
    }
    for row, (key, text) in enumerate(planfile.meta_rows(meta)):
        sheet.write_string(row, 0, key)
        sheet.write_string(row, 1, text)
    sheet.very_hidden()
    protect(sheet)
