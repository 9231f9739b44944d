"""The Targets sheet: the user's input grid (KPI x channel x period) with a note column.

A target cell accepts what its KPI can be (:func:`target_rule`): a share 0 % to 100 %, a
KPI that may be negative any number, any other KPI 0 or more; Excel's error message says
so in the plan's language (:func:`target_error`).

Each row carries its key (``kpi_id|scope``) in the hidden key column and each period
column its period key in the header: formulas and refresh find targets by those, wherever
the user sorts or moves the rows.
"""

from __future__ import annotations

import math
from typing import Any

from kpi_xl import periods as cal
from kpi_xl.catalog.records import KPI, get
from kpi_xl.catalog.units import number_format
from kpi_xl.plan.annual import Spread, closed_count, spread_of
from kpi_xl.plan.layout import SETTINGS, TARGET_KEY_HEADER, TargetsLayout
from kpi_xl.spreadsheet import a1
from kpi_xl.workbook.context import Context
from kpi_xl.workbook.layout import print_setup, protect
from kpi_xl.workbook.targets_basis import basis
from kpi_xl.workbook.text_fit import width_for
from kpi_xl.workbook.xlsx import PlanSheet, write_formula, write_text, write_value

#: The lowest target of a KPI that may be negative (any number, as far as Excel goes).
LOWEST = -1e12
#: The font of a suggested target (a typed one is the input's plain font).
SUGGESTED_FONT = "#7F6000"
UNLOCK = SETTINGS["unlock_targets"]


def target_rule(kpi: KPI) -> dict[str, Any]:
    """What a target cell of ``kpi`` accepts (XlsxWriter's ``data_validation`` criteria): a
    share (:attr:`~kpi_xl.catalog.records.KPI.is_bounded_rate`) 0 to 1, i.e. 0 % to 100 %;
    a KPI that may be negative (ROI, growth) any number; any other KPI 0 or more."""
    if kpi.is_bounded_rate:
        return {"validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 1}
    if kpi.allows_negative:
        return {"validate": "decimal", "criteria": ">=", "value": LOWEST}
    return {"validate": "decimal", "criteria": ">=", "value": 0}


def target_error(kpi: KPI) -> str:
    """The label key of the message Excel shows when a target cell of ``kpi`` refuses a
    value: what the cell expects, in the plan's language."""
    if kpi.is_bounded_rate:
        return "target_error_share"
    if kpi.allows_negative:
        return "target_error_change"
    return "target_error_non_negative"


def write_targets(ctx: Context) -> None:
    sheet = ctx.sheet("targets")
    model, fmt, t = ctx.model, ctx.fmt, ctx.layout.targets

    write_text(sheet, t.title.row, t.title.col, ctx.t("sheet_targets"), fmt.title)
    write_text(sheet, t.help.row, t.help.col, ctx.t("targets_help"), fmt.subtitle)
    headers = {
        t.key_col: TARGET_KEY_HEADER,
        **{t.key_col + 1 + i: ctx.t(key) for i, key in enumerate(t.label_cols)},
        **{t.first_period_col + j: period for j, period in enumerate(t.periods)},
        t.year_col: ctx.t("year_total"),
        t.annual_col: ctx.t("annual_target"),
        t.basis_col: ctx.t("basis"),
        t.note_col: ctx.t("note"),
    }
    for col, text in headers.items():
        write_text(sheet, t.header_row, col, text, fmt.header)
    for j, period in enumerate(t.periods):  # hidden: formulas compare period numbers
        write_value(sheet, t.number_row, t.first_period_col + j, cal.number(period), fmt.muted)
    closed = closed_count(model)

    for i, key in enumerate(t.keys):
        row = t.first_row + i
        kpi_id, scope = key.split("|")
        kpi = get(kpi_id)
        labels = {
            "kpi": kpi.name(ctx.lang),
            "channel": ctx.channel_label(scope),
            "unit": ctx.t(f"unit_{kpi.unit}"),
            "direction": ctx.t(kpi.direction),
        }
        write_text(sheet, row, t.key_col, key, fmt.muted)
        for c, label_key in enumerate(t.label_cols):
            write_text(sheet, row, t.key_col + 1 + c, labels[label_key], fmt.text)
        _target_cells(ctx, sheet, kpi, scope, row, closed)
        _year_cell(ctx, sheet, kpi, scope, row)
        annual = model.annual.get((kpi_id, scope), math.nan)
        number = fmt.unit(kpi.unit, ratio=kpi.is_ratio, input_cell=True)
        write_value(sheet, row, t.annual_col, annual, number)
        sheet.data_validation(row, t.annual_col, row, t.annual_col, _validation(ctx, kpi))
        write_text(sheet, row, t.basis_col, basis(ctx, kpi, scope), fmt.muted)
        note = model.notes.get((kpi_id, scope), "")
        write_text(sheet, row, t.note_col, note, fmt.input(text_wrap=True))

    _target_log(ctx, sheet)
    sheet.set_row(t.number_row, None, None, {"hidden": True})
    sheet.set_column(t.key_col, t.key_col, 14, None, {"hidden": True})
    scopes = [key.split("|") for key in t.keys]
    names = [get(k).name(ctx.lang) for k, _ in scopes]
    channels = [ctx.channel_label(scope) for _, scope in scopes]
    sheet.set_column(t.key_col + 1, t.key_col + 1, width_for(names, minimum=34, maximum=60))
    sheet.set_column(t.key_col + 2, t.key_col + 2, width_for(channels, minimum=16))
    sheet.fit_columns(t.key_col + 3, t.key_col + 4, minimum=14)
    sheet.set_column(t.first_period_col, t.annual_col, 11)
    sheet.set_column(t.basis_col, t.basis_col, 46)
    sheet.set_column(t.note_col, t.note_col, 40)
    sheet.freeze_panes(t.first_row, t.first_period_col)
    sheet.autofilter(t.header_row, 0, t.last_row, t.note_col)
    print_setup(sheet, t.header_row)
    protect(sheet)


def _target_log(ctx: Context, sheet: PlanSheet) -> None:
    """Below the grid: every change made to a closed period's target, with its date."""
    log, t = ctx.model.target_log, ctx.layout.targets
    if not log:
        return
    row = t.last_row + 3
    write_text(sheet, row, 1, ctx.t("closed_changes"), ctx.fmt.label)
    row += 1
    for col, key in enumerate(("target", "closed_before", "closed_after", "closed_when"), 1):
        write_text(sheet, row, col, ctx.t(key), ctx.fmt.header)
    for i, (key, before, after, when) in enumerate(log, start=1):
        kpi_id, scope, period = str(key).split("|")
        kpi = get(kpi_id)
        name = f"{kpi.name(ctx.lang)} · {ctx.channel_label(scope)} · {period}"
        number = ctx.fmt.unit(kpi.unit, ratio=kpi.is_ratio)
        write_text(sheet, row + i, 1, name, ctx.fmt.text)
        write_value(sheet, row + i, 2, before, number)
        write_value(sheet, row + i, 3, after, number)
        write_text(sheet, row + i, 4, when, ctx.fmt.text)


def _validation(ctx: Context, kpi: KPI, locked: str | None = None) -> dict[str, Any]:
    """What a target cell accepts; with ``locked`` (a closed period's cell), only while
    the Settings switch unlocks closed periods."""
    rule = target_rule(kpi)
    message = ctx.t(target_error(kpi))
    if locked is not None:
        bounds = {
            "between": f"AND({locked}>={rule.get('minimum')},{locked}<={rule.get('maximum')})",
            ">=": f"{locked}>={rule.get('value')}",
        }[rule["criteria"]]
        rule = {
            "validate": "custom",
            "value": f'=AND(OR({UNLOCK}=TRUE,{locked}=""),ISNUMBER({locked}),{bounds})',
        }
        message = ctx.t("target_locked")
    hint = "%  0.12 = 12%. " if kpi.unit == "percent" else ""
    return {
        **rule,
        "ignore_blank": True,
        "input_title": kpi.name(ctx.lang)[:32],
        "input_message": (hint + kpi.describe(ctx.lang))[:255],
        "error_title": ctx.t("target")[:32],
        "error_message": message[:255],
    }


def _target_cells(
    ctx: Context, sheet: PlanSheet, kpi: KPI, scope: str, row: int, closed: int
) -> None:
    """A row's period cells: a typed target as typed; any other a formula - its suggestion,
    or its part of an annual target once one is typed (open periods only)."""
    model, t = ctx.model, ctx.layout.targets
    typed_fmt = ctx.fmt.unit(kpi.unit, ratio=kpi.is_ratio, input_cell=True)
    suggested_fmt = ctx.fmt.input(
        num_format=number_format(kpi.unit, model.spec.currency, kpi.is_ratio, ctx.lang),
        italic=True,
        font_color=SUGGESTED_FONT,
    )
    spread = spread_of(model, kpi.id, scope)
    annual = a1(row, t.annual_col, col_abs=True)
    for j, period in enumerate(t.periods):
        col = t.first_period_col + j
        key = (kpi.id, scope, period)
        value = model.target(kpi.id, scope, period)
        if key in model.typed:
            write_value(sheet, row, col, value, typed_fmt)
        else:
            suggestion = model.suggestions.get(key)
            base = suggestion.value if suggestion is not None else math.nan
            fallback = '""' if math.isnan(base) else repr(float(base))
            formula = fallback
            if j >= closed:
                part = _part(kpi, spread, t, (row, j, closed), annual)
                formula = f"IF(ISNUMBER({annual}),{part},{fallback})"
            shown = "" if math.isnan(value) else value
            write_formula(sheet, row, col, formula, shown, suggested_fmt)
    first, last = t.first_period_col, t.last_period_col
    if closed:  # one rule over the closed months, relative to its first cell
        locked = a1(row, first)
        sheet.data_validation(row, first, row, first + closed - 1, _validation(ctx, kpi, locked))
    if first + closed <= last:
        sheet.data_validation(row, first + closed, row, last, _validation(ctx, kpi))


def _year_cell(ctx: Context, sheet: PlanSheet, kpi: KPI, scope: str, row: int) -> None:
    """The row's year: the sum of a flow's or a budget's targets, a ratio's mean, a stock's
    last target."""
    model, t = ctx.model, ctx.layout.targets
    cells = f"{a1(row, t.first_period_col)}:{a1(row, t.last_period_col)}"
    values = [model.target(kpi.id, scope, p) for p in t.periods]
    known = [v for v in values if not math.isnan(v)]
    number = ctx.fmt.unit(kpi.unit, ratio=kpi.is_ratio)
    if kpi.kind in ("flow", "budget"):
        formula = f'IF(COUNT({cells})<COLUMNS({cells}),"",SUM({cells}))'
        value = sum(values) if len(known) == len(values) else math.nan
    elif kpi.kind == "ratio":
        formula = f'IF(COUNT({cells})=0,"",AVERAGE({cells}))'
        value = sum(known) / len(known) if known else math.nan
    elif kpi.kind == "stock":
        last = a1(row, t.last_period_col)
        formula = f'IF({last}="","",{last})'
        value = values[-1]
    else:
        write_text(sheet, row, t.year_col, "", ctx.fmt.text)
        return
    write_formula(sheet, row, t.year_col, formula, "" if math.isnan(value) else value, number)


def _part(kpi: KPI, spread: Spread, t: TargetsLayout, at: tuple[int, int, int], annual: str) -> str:
    """A period's part of the annual target (:mod:`kpi_xl.plan.annual`), as a formula."""
    row, j, closed = at
    k = j - closed
    n_open = len(t.periods) - closed
    if kpi.kind in ("flow", "budget"):
        fixed = [f"SUM({a1(row, t.first_period_col)}:{a1(row, t.first_period_col + closed - 1)})"]
        fixed = fixed if closed else []
        fixed += [a1(row, t.first_period_col + i) for i in spread.typed]
        done = "-".join(fixed)
        left = f"({annual}-{done})" if done else annual
        return f"{left}*{spread.weights[k]!r}"
    if kpi.kind == "stock":
        start = "" if math.isnan(spread.start) else repr(spread.start)
        base = start
        if closed:
            last = a1(row, t.first_period_col + closed - 1)
            base = f"IF(ISNUMBER({last}),{last},{start or annual})"
        if not base:
            return annual
        return f"{base}+({annual}-{base})*{k + 1}/{n_open}"
    return annual
