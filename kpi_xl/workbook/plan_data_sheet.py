"""The Plan data sheet: what the plan's formulas read.

Left to right: the ``PlanData`` table (:mod:`kpi_xl.plan.scopes`), the ``PlanToDate``
table (the same days of the previous period and of last year as the latest period holds,
for like-for-like comparisons), the ``PlanPeriods`` table (each plan period's number,
previous period, last year's period and length), the selection's helper cells (the latest
period of the data and how far it goes, stamped; then formulas of the period the
Overview's selector resolves to) and the selector's choices. Money of a row in a foreign
currency is a formula: the amount times the exchange rate on Settings, so a changed rate
recomputes the plan.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from kpi_xl import periods as cal
from kpi_xl.plan.judgement import last_complete, selection
from kpi_xl.plan.layout import SELECTION, DataLayout, fx_name
from kpi_xl.plan.scopes import KEY_COLUMNS, PlanData
from kpi_xl.workbook import formulas as f
from kpi_xl.workbook.context import Context
from kpi_xl.workbook.layout import print_setup, protect
from kpi_xl.workbook.overview_top import selector_choices
from kpi_xl.workbook.reference_sheets import column_names
from kpi_xl.workbook.text_fit import width_for
from kpi_xl.workbook.xlsx import PlanSheet, write_formula, write_text, write_value


def write_plan_data(ctx: Context) -> None:
    sheet = ctx.sheet("plan_data")
    layout = ctx.layout
    write_text(sheet, 0, 0, ctx.t("plan_data_help"), ctx.fmt.subtitle)
    sheet.set_column(0, len(layout.plan_data.columns) * 3 + 12, 12)
    _table(ctx, sheet, layout.plan_data, ctx.model.data)
    if layout.to_date.sheet:
        to_date = ctx.model.to_date
        _table(ctx, sheet, layout.to_date, to_date if to_date is not None else None)
    _periods(ctx, sheet, layout.periods_table)
    _selection(ctx, sheet)
    _choices(ctx, sheet)
    sheet.freeze_panes(layout.plan_data.row + 1, 0)
    print_setup(sheet, layout.plan_data.row)
    protect(sheet)


def _table(ctx: Context, sheet: PlanSheet, layout: DataLayout, data: PlanData | None) -> None:
    top, left, n = layout.row, layout.col, layout.rows
    column_names(ctx, sheet, top - 1, left, layout.columns, [12.0] * len(layout.columns))
    sheet.add_data_table(
        top, left, top + max(n, 1), left + len(layout.columns) - 1,
        {"name": layout.table, "style": "Table Style Light 1",
         "columns": [{"header": c} for c in layout.columns]},
    )  # fmt: skip
    if data is None or not n:
        return
    table = data.table
    number = ctx.fmt.get(num_format="#,##0.##")
    keys = {c: table[c].astype(str).tolist() for c in KEY_COLUMNS}
    columns = list(layout.columns[len(KEY_COLUMNS) :])
    values = table.reindex(columns=columns).to_numpy(dtype="float64", na_value=np.nan)
    currency = table["currency"].astype(str).to_numpy()
    period_no = table["period_no"].to_numpy()
    for i in range(n):
        row = top + 1 + i
        for c, key in enumerate(KEY_COLUMNS):
            if key == "period_no":  # a number: formulas compare it
                sheet.write_number(row, left + c, float(period_no[i]))
            else:
                sheet.write_string(row, left + c, keys[key][i])
        foreign = currency[i] != data.currency
        for c, value in enumerate(values[i].tolist(), start=len(KEY_COLUMNS)):
            if value != value:  # NaN: blank cells stay empty (COUNTIFS "<>" skips them)
                continue
            name = layout.columns[c]
            if foreign and name in data.native:
                native = float(data.native[name][i])
                formula = f"={native!r}*{fx_name(currency[i])}"
                sheet.write_formula(row, left + c, formula, number, value)
            else:
                sheet.write_number(row, left + c, value, number)


def _periods(ctx: Context, sheet: PlanSheet, layout: DataLayout) -> None:
    """Each plan period's number, previous period, last year's period and its previous,
    length and name: the selector's formulas look them up here."""
    grain = ctx.model.spec.grain
    top, left = layout.row, layout.col
    sheet.add_data_table(
        top, left, top + max(layout.rows, 1), left + len(layout.columns) - 1,
        {"name": layout.table, "style": "Table Style Light 1",
         "columns": [{"header": c} for c in layout.columns]},
    )  # fmt: skip
    for i, period in enumerate(ctx.model.periods):
        last_year = cal.same_period_last_year(period, grain)
        cells: dict[str, Any] = {
            "period": period,
            "period_no": cal.number(period),
            "previous": cal.previous(period, grain),
            "last_year": last_year,
            "last_year_previous": cal.previous(last_year, grain),
            "days": cal.days_in(period, grain),
            "label": ctx.period_label(period),
        }
        for c, name in enumerate(layout.columns):
            write_value(sheet, top + 1 + i, left + c, cells[name])
    for c, name in enumerate(layout.columns):
        texts = [ctx.period_label(p) for p in ctx.model.periods] if name == "label" else []
        width = max(12.0, width_for([name], bold=True), width_for(texts))
        sheet.set_column(left + c, left + c, width)


def _selection(ctx: Context, sheet: PlanSheet) -> None:
    """The latest period of the data and how far it goes (stamped), then formulas of the
    period the Overview's selector resolves to."""
    model, cells = ctx.model, ctx.layout.selection
    data_sel, sel = selection(model), selection(model)
    first = model.periods[0]
    values: dict[str, tuple[str | None, Any]] = {
        "data_period": (None, data_sel.period),
        "data_days": (None, data_sel.elapsed),
        "last_complete": (None, last_complete(model)),
        "data_no": (f.period_lookup("period_no", f.DATA_PERIOD), cal.number(data_sel.period)),
        "data_days_in": (f.period_lookup("days", f.DATA_PERIOD), data_sel.total),
        "data_share": (f"{f.DATA_DAYS}/{f.DATA_DAYS_IN}", data_sel.share),
        "data_factor": (
            f'IF({f.DATA_DAYS}>0,{f.DATA_DAYS_IN}/{f.DATA_DAYS},"")',
            "" if math.isnan(data_sel.factor) else data_sel.factor,
        ),
        "data_partial": (f"AND({f.DATA_DAYS}>0,{f.DATA_DAYS}<{f.DATA_DAYS_IN})", data_sel.partial),
        "data_too_early": (
            f"AND({f.DATA_PARTIAL},{f.DATA_SHARE}<{_share_limit()})",
            data_sel.too_early,
        ),
        "current_no": (f.period_lookup("period_no", f.CURRENT_PERIOD), cal.number(sel.period)),
        "year_first_no": (None, cal.number(first)),
        "prior_period": (f.period_lookup("previous", f.PREVIOUS_PERIOD), sel.prior),
        "last_year_period": (f.period_lookup("last_year", f.CURRENT_PERIOD), sel.last_year),
        "last_year_prior": (
            f.period_lookup("last_year_previous", f.CURRENT_PERIOD),
            cal.previous(sel.last_year, model.spec.grain),
        ),
        "share": (f"IF({f.DAYS_IN_PERIOD}>0,{f.DAYS_ELAPSED}/{f.DAYS_IN_PERIOD},0)", sel.share),
        "partial": (f"AND({f.DAYS_ELAPSED}>0,{f.DAYS_ELAPSED}<{f.DAYS_IN_PERIOD})", sel.partial),
        "too_early": (f"AND({f.PARTIAL},{f.SHARE}<{_share_limit()})", sel.too_early),
    }
    fmt = ctx.fmt.muted
    for key, cell in cells.items():
        formula, value = values[key]
        write_text(sheet, cell.row, cell.col - 1, SELECTION[key], fmt)
        if formula is None:
            write_value(sheet, cell.row, cell.col, value, fmt)
        else:
            write_formula(sheet, cell.row, cell.col, formula, value, fmt)
    names = {cell.col - 1 for cell in cells.values()}
    sheet.fit_columns(min(names), max(names), minimum=12)


def _share_limit() -> str:
    from kpi_xl.plan.judgement import TOO_EARLY_SHARE

    return f"{TOO_EARLY_SHARE:g}"


def _choices(ctx: Context, sheet: PlanSheet) -> None:
    area = ctx.layout.choices
    for i, text in enumerate(selector_choices(ctx)):
        write_text(sheet, area.first_row + i, area.first_col, text, ctx.fmt.muted)
    sheet.fit_columns(area.first_col, area.first_col, minimum=12)
