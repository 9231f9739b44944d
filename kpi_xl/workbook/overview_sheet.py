"""The Overview sheet: the overall plan's KPIs for the current period and channel status."""

from __future__ import annotations

import datetime as dt
from functools import partial

from kpi_xl.catalog import helpers
from kpi_xl.catalog.records import get
from kpi_xl.periods import previous as previous_period
from kpi_xl.plan.model import ALL
from kpi_xl.style import STATUS_COLORS
from kpi_xl.workbook import formulas as f
from kpi_xl.workbook.channel_sheet import HEADER_ROW as CH_HEADER_ROW
from kpi_xl.workbook.context import Context
from kpi_xl.workbook.layout import print_setup, protect
from kpi_xl.workbook.targets_sheet import target_key
from kpi_xl.workbook.xlsx import (
    PlanSheet,
    cell,
    ref,
    write_formula,
    write_text,
    write_value,
)

INFO_ROW = 2
TABLE_HEADER = 12
COLUMNS = (
    "kpi", "unit", "actual", "target", "attainment", "status",
    "previous", "change", "pace", "trend",
)  # fmt: skip
TREND_COL = len(COLUMNS) + 1


def _info(ctx: Context, sheet: PlanSheet) -> dict[str, str]:
    """The plan's info block; returns the cells that refresh stamps."""
    model, fmt = ctx.model, ctx.fmt
    name = ctx.sheet_names["overview"]
    title = model.spec.title or ctx.t(f"template_{model.spec.name}")
    start = model.data_start.date().isoformat() if model.data_start is not None else ""
    end = model.data_end.date().isoformat() if model.data_end is not None else ""
    rows: list[tuple[str, str, object]] = [
        ("plan_name", "plan", title),
        ("current_period", "current_period", model.current),
        ("previous", "previous_period", model.previous),
        ("data_range", "data_range", f"{start} – {end}" if start else ""),
        ("last_refreshed", "last_refreshed", dt.datetime.now().replace(microsecond=0)),
        ("days_elapsed", "days_elapsed", model.elapsed_days),
        ("days_in_period", "days_in_period", model.total_days),
    ]
    cells: dict[str, str] = {}
    for i, (label_key, key, value) in enumerate(rows):
        row = INFO_ROW + i
        write_text(sheet, row, 0, ctx.t(label_key), fmt.label)
        if isinstance(value, dt.datetime):
            sheet.write_datetime(row, 1, value, fmt.datetime)
        else:
            write_value(sheet, row, 1, value, fmt.text)
        cells[key] = ref(name, row, 1)
    # the period before the previous one, for KPIs that compare with prev()
    prior = previous_period(model.previous, model.spec.grain)
    write_text(sheet, INFO_ROW + 2, 2, prior, fmt.get(num_format=";;;"))  # hidden
    cells["prior_period"] = ref(name, INFO_ROW + 2, 2)
    factor_row = INFO_ROW + len(rows)
    write_text(sheet, factor_row, 0, ctx.t("pace_factor"), fmt.label)
    elapsed, total = cell(factor_row - 2, 1), cell(factor_row - 1, 1)
    write_formula(
        sheet, factor_row, 1, f'IF({elapsed}>0,{total}/{elapsed},"")',
        model.pace_factor, fmt.get(num_format="0.000", border=1),
    )  # fmt: skip
    cells["pace_factor"] = ref(name, factor_row, 1)
    wb = ctx.workbook
    wb.define_name(f.CURRENT_PERIOD, "=" + cells["current_period"])
    wb.define_name(f.PREVIOUS_PERIOD, "=" + cells["previous_period"])
    wb.define_name("kpi_PriorPeriod", "=" + cells["prior_period"])
    wb.define_name(f.PACE_FACTOR, "=" + cells["pace_factor"])
    return cells


def write_overview(ctx: Context) -> None:
    sheet = ctx.sheet("overview")
    model, fmt, lang = ctx.model, ctx.fmt, ctx.lang
    title = model.spec.title or ctx.t(f"template_{model.spec.name}")
    write_text(sheet, 0, 0, title, fmt.title)
    ctx.layout["overview"] = _info(ctx, sheet)

    for col, key in enumerate(COLUMNS):
        write_text(sheet, TABLE_HEADER, col, ctx.t(key), fmt.header)
    for j, period in enumerate(model.periods):
        write_text(sheet, TABLE_HEADER, TREND_COL + j, period, fmt.header)
    t = ctx.layout["targets"]
    first = TABLE_HEADER + 1
    for i, kpi_id in enumerate(model.spec.overall):
        row = first + i
        kpi = get(kpi_id)
        number = fmt.unit(kpi.unit, ratio=kpi.is_ratio)
        actual = model.value(kpi, ALL, model.current)
        target = model.target(kpi_id, ALL, model.current)
        att = helpers.attainment(actual, target, kpi.higher_is_better)
        prev = model.value(kpi, ALL, model.previous)
        a, tg, at, pv = (cell(row, c) for c in (2, 3, 4, 6))
        write_text(sheet, row, 0, kpi.name(lang), fmt.text)
        write_text(sheet, row, 1, ctx.t(f"unit_{kpi.unit}"), fmt.text)
        write_formula(
            sheet, row, 2, f.kpi_formula(kpi, ALL, f.CURRENT_PERIOD, f.PREVIOUS_PERIOD),
            actual, number,
        )  # fmt: skip
        lookup = f.target_lookup(
            t["block"], t["keys"], t["periods"], target_key(kpi_id, ALL), f.CURRENT_PERIOD
        )
        write_formula(sheet, row, 3, lookup, target, number)
        write_formula(
            sheet, row, 4, helpers.attainment_formula(a, tg, kpi.higher_is_better), att, fmt.percent
        )
        code = str(helpers.status(att, model.spec.on_track, model.spec.at_risk))
        write_formula(
            sheet, row, 5, helpers.status_formula(at, f.ON_TRACK, f.AT_RISK, lang),
            helpers.status_label(code, lang), fmt.text,
        )  # fmt: skip
        write_formula(
            sheet, row, 6, f.kpi_formula(kpi, ALL, f.PREVIOUS_PERIOD, "kpi_PriorPeriod"),
            prev, number,
        )  # fmt: skip
        diff = helpers.change_is_difference(kpi)
        write_formula(
            sheet, row, 7, helpers.change_formula(a, pv, difference=diff), model.change(kpi, ALL),
            number if diff else fmt.get(num_format="+0.0%;-0.0%;0.0%", border=1),
        )  # fmt: skip
        write_formula(
            sheet, row, 8,
            f.kpi_formula(kpi, ALL, f.CURRENT_PERIOD, f.PREVIOUS_PERIOD, factor_ref=f.PACE_FACTOR),
            model.pace(kpi, ALL), number,
        )  # fmt: skip
        for j, period in enumerate(model.periods):
            col = TREND_COL + j
            period_ref = cell(TABLE_HEADER, col, row_abs=True)
            prev_ref = f'"{previous_period(period, model.spec.grain)}"'
            write_formula(
                sheet, row, col, f.kpi_formula(kpi, ALL, period_ref, prev_ref),
                model.value(kpi, ALL, period), fmt.unit(kpi.unit, ratio=kpi.is_ratio),
            )  # fmt: skip
        last_trend = TREND_COL + len(model.periods) - 1
        sheet.add_sparkline(
            row, 9,
            {
                "range": ref(ctx.sheet_names["overview"], row, TREND_COL, absolute=False)
                + ":" + cell(row, last_trend),
                "markers": True, "high_point": True, "series_color": "#1F4E78",
            },
        )  # fmt: skip
    last = first + len(model.spec.overall) - 1
    ctx.layout["overview"]["kpi_rows"] = {k: first + i for i, k in enumerate(model.spec.overall)}
    ctx.layout["overview"]["columns"] = {key: col for col, key in enumerate(COLUMNS)}
    ctx.layout["overview"]["trend_col"] = TREND_COL
    ctx.layout["overview"]["header_row"] = TABLE_HEADER
    _status_fills(ctx, sheet, first, last)
    _channel_status(ctx, sheet, last + 3)
    _finish(ctx, sheet)


def _status_fills(ctx: Context, sheet: PlanSheet, first: int, last: int) -> None:
    att = cell(first, 4, col_abs=True)
    for code, rule in (
        ("on_track", f"{att}>={f.ON_TRACK}"),
        ("at_risk", f"AND({att}>={f.AT_RISK},{att}<{f.ON_TRACK})"),
        ("off_track", f"{att}<{f.AT_RISK}"),
    ):
        bg, fg = STATUS_COLORS[code]
        sheet.conditional_format(
            first, 4, last, 5,
            {"type": "formula", "criteria": f"=AND(ISNUMBER({att}),{rule})",
             "format": ctx.fmt.get(bg_color=bg, font_color=fg)},
        )  # fmt: skip
    spec = ctx.model.spec
    sheet.conditional_format(
        first, 4, last, 4,
        {"type": "icon_set", "icon_style": "3_traffic_lights", "icons": [
            {"criteria": ">=", "type": "number", "value": spec.on_track},
            {"criteria": ">=", "type": "number", "value": spec.at_risk}]},
    )  # fmt: skip


def _channel_status(ctx: Context, sheet: PlanSheet, header: int) -> None:
    """A status line per channel: counts of KPIs by status and the headline KPI."""
    model, fmt, lang = ctx.model, ctx.fmt, ctx.lang
    write_text(sheet, header - 1, 0, ctx.t("channel_status"), fmt.label)
    heads = ["channel", *(f"status_{s}" for s in helpers.STATUSES), "kpi", "actual", "target",
             "attainment"]  # fmt: skip
    for col, key in enumerate(heads):
        write_text(sheet, header, col, ctx.t(key), fmt.header)
    # column of each status count and headline figure, recorded for readers (the e-mail)
    columns = {key.removeprefix("status_"): col for col, key in enumerate(heads)}
    for i, channel in enumerate(model.spec.channels):
        row = header + 1 + i
        layout = ctx.layout["channels"][channel]
        name = ctx.sheet_names[channel]
        last_col = layout["first_col"] + len(model.periods) - 1
        periods = (
            ref(name, CH_HEADER_ROW, layout["first_col"])
            + ":"
            + cell(CH_HEADER_ROW, last_col, row_abs=True, col_abs=True)
        )
        match = f"MATCH({f.CURRENT_PERIOD},{periods},0)"
        pick = partial(_pick, name, layout["first_col"], last_col, match)

        write_text(sheet, row, 0, ctx.channel_label(channel), fmt.text)
        counts = model.status_counts(channel, model.current)
        for k, code in enumerate(helpers.STATUSES):
            write_formula(
                sheet, row, columns[code], f'IFERROR({pick(layout["count_row"] + k)},"")',
                counts[code], fmt.get(border=1, num_format="0"),
            )  # fmt: skip
        headline = get(model.spec.channels[channel][0])
        rows = layout["rows"][headline.id]
        number = fmt.unit(headline.unit, ratio=headline.is_ratio)
        write_text(sheet, row, columns["kpi"], headline.name(lang), fmt.text)
        values = (
            model.value(headline, channel, model.current),
            model.target(headline.id, channel, model.current),
            model.attainment(headline, channel, model.current),
        )
        for key, value in zip(("actual", "target", "attainment"), values, strict=True):
            cell_fmt = fmt.percent if key == "attainment" else number
            write_formula(
                sheet, row, columns[key], f'IFERROR({pick(rows[key])},"")', value, cell_fmt
            )
    ctx.layout["overview"]["channel_status_header"] = header
    ctx.layout["overview"]["channel_columns"] = columns
    ctx.layout["overview"]["channel_rows"] = {
        c: header + 1 + i for i, c in enumerate(model.spec.channels)
    }


def _pick(sheet_name: str, first_col: int, last_col: int, match: str, row: int) -> str:
    """The current period's cell of a channel sheet's row (INDEX/MATCH on its header)."""
    rng = ref(sheet_name, row, first_col) + ":" + cell(row, last_col, row_abs=True, col_abs=True)
    return f"INDEX({rng},{match})"


def _finish(ctx: Context, sheet: PlanSheet) -> None:
    sheet.set_column(0, 0, 36)
    sheet.set_column(1, 1, 24)  # fits the info block's data range and timestamp
    sheet.set_column(2, 4, 13)
    sheet.set_column(5, 5, 20)
    sheet.set_column(6, 8, 13)
    sheet.set_row(TABLE_HEADER, 45)  # three lines of a wrapped header
    sheet.set_column(9, 9, 16)
    sheet.set_column(10, 10, 2)
    sheet.set_column(TREND_COL, TREND_COL + len(ctx.model.periods), 10)
    sheet.freeze_panes(TABLE_HEADER + 1, 1)
    print_setup(sheet, None, report=True)
    last_row = ctx.layout["overview"]["channel_status_header"] + len(ctx.model.spec.channels)
    sheet.print_area(0, 0, last_row, len(COLUMNS) - 1)
    protect(sheet)
    sheet.activate()
    sheet.set_first_sheet()
