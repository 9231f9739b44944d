"""One sheet per channel plan: KPIs x periods in actual / target / attainment blocks."""

from __future__ import annotations

import math

from kpi_xl.catalog import helpers
from kpi_xl.catalog.records import get
from kpi_xl.catalog.units import number_format
from kpi_xl.periods import previous as previous_period
from kpi_xl.style import STATUS_COLORS
from kpi_xl.workbook import formulas as f
from kpi_xl.workbook.context import Context
from kpi_xl.workbook.layout import print_setup, protect
from kpi_xl.workbook.targets_sheet import target_key
from kpi_xl.workbook.xlsx import (
    PlanSheet,
    cell,
    ref,
    write_formula,
    write_text,
)

HEADER_ROW = 2
PREV_ROW = 3
FIRST_COL = 2


def write_channel(ctx: Context, channel: str) -> None:
    sheet = ctx.sheet(channel)
    model, fmt = ctx.model, ctx.fmt
    kpi_ids = list(model.spec.channels[channel])
    periods = model.periods
    last_col = FIRST_COL + len(periods) - 1
    targets = ctx.layout["targets"]
    targets_sheet = ctx.sheet_names["targets"]

    write_text(sheet, 0, 0, ctx.channel_label(channel), fmt.title)
    write_text(sheet, HEADER_ROW, 0, ctx.t("kpi"), fmt.header)
    write_text(sheet, HEADER_ROW, 1, ctx.t("unit"), fmt.header)
    write_text(sheet, PREV_ROW, 0, ctx.t("previous"), fmt.muted)
    write_text(sheet, PREV_ROW, 1, "", fmt.muted)
    for j, period in enumerate(periods):
        write_text(sheet, HEADER_ROW, FIRST_COL + j, period, fmt.header)
        write_text(
            sheet, PREV_ROW, FIRST_COL + j, previous_period(period, model.spec.grain), fmt.muted
        )

    def section(row: int, key: str) -> None:
        write_text(sheet, row, 0, ctx.t(key), fmt.section)
        for col in range(1, last_col + 1):
            write_text(sheet, row, col, "", fmt.section)

    n = len(kpi_ids)
    actual_row = PREV_ROW + 2
    target_row = actual_row + n + 1
    att_row = target_row + n + 1
    count_row = att_row + n + 1
    rows: dict[str, dict[str, int]] = {}
    for block_row, key in ((actual_row, "actual"), (target_row, "target"), (att_row, "attainment")):
        section(block_row - 1, key)

    for i, kpi_id in enumerate(kpi_ids):
        kpi = get(kpi_id)
        number = fmt.unit(kpi.unit, ratio=kpi.is_ratio)
        a_row, t_row, p_row = actual_row + i, target_row + i, att_row + i
        rows[kpi_id] = {"actual": a_row, "target": t_row, "attainment": p_row}
        for row in (a_row, t_row, p_row):
            write_text(sheet, row, 0, kpi.name(ctx.lang), fmt.text)
            write_text(sheet, row, 1, ctx.t(f"unit_{kpi.unit}"), fmt.text)
        t_sheet_row = targets["rows"][target_key(kpi_id, channel)]
        for j, period in enumerate(periods):
            col = FIRST_COL + j
            period_ref = cell(HEADER_ROW, col, row_abs=True)
            prev_ref = cell(PREV_ROW, col, row_abs=True)
            actual = model.value(kpi, channel, period)
            target = model.target(kpi_id, channel, period)
            write_formula(
                sheet, a_row, col, f.kpi_formula(kpi, channel, period_ref, prev_ref), actual, number
            )
            t_ref = ref(targets_sheet, t_sheet_row, targets["first_period_col"] + j, absolute=False)
            write_formula(sheet, t_row, col, f.blank_or(t_ref), target, number)
            att = helpers.attainment(actual, target, kpi.higher_is_better)
            write_formula(
                sheet,
                p_row,
                col,
                helpers.attainment_formula(
                    cell(a_row, col), cell(t_row, col), kpi.higher_is_better
                ),
                att,
                fmt.percent,
            )
        sheet.conditional_format(
            a_row,
            FIRST_COL,
            a_row,
            last_col,
            {"type": "data_bar", "bar_color": "#9BC2E6", "bar_solid": True},
        )

    att_range = (att_row, FIRST_COL, att_row + n - 1, last_col)
    _status_formatting(ctx, sheet, att_range)
    _status_counts(ctx, sheet, channel, count_row, att_row, n)
    ctx.layout.setdefault("channels", {})[channel] = {
        "rows": rows,
        "count_row": count_row,
        "first_col": FIRST_COL,
    }
    if kpi_ids:
        chart_rows = _chart_rows(
            ctx, sheet, channel, rows[kpi_ids[0]], count_row + len(helpers.STATUSES)
        )
        _chart(ctx, channel, chart_rows, count_row + len(helpers.STATUSES) + 3)

    sheet.set_column(0, 0, 34)
    sheet.set_column(1, 1, 12)
    sheet.set_column(FIRST_COL, last_col, 11)
    sheet.set_row(PREV_ROW, None, None, {"hidden": True})
    sheet.freeze_panes(HEADER_ROW + 1, FIRST_COL)
    print_setup(sheet, HEADER_ROW, report=True)
    protect(sheet)


def _status_formatting(ctx: Context, sheet: PlanSheet, area: tuple[int, int, int, int]) -> None:
    """Fills from the Settings thresholds and a traffic-light icon set on attainment."""
    r0, c0, r1, c1 = area
    top = cell(r0, c0)
    rules = [
        ("on_track", f"AND(ISNUMBER({top}),{top}>={f.ON_TRACK})"),
        ("at_risk", f"AND(ISNUMBER({top}),{top}>={f.AT_RISK},{top}<{f.ON_TRACK})"),
        ("off_track", f"AND(ISNUMBER({top}),{top}<{f.AT_RISK})"),
    ]
    for code, criteria in rules:
        bg, fg = STATUS_COLORS[code]
        sheet.conditional_format(
            r0,
            c0,
            r1,
            c1,
            {
                "type": "formula",
                "criteria": "=" + criteria,
                "format": ctx.fmt.get(bg_color=bg, font_color=fg),
            },
        )
    spec = ctx.model.spec
    sheet.conditional_format(
        r0,
        c0,
        r1,
        c1,
        {
            "type": "icon_set",
            "icon_style": "3_traffic_lights",
            "icons": [
                {"criteria": ">=", "type": "number", "value": spec.on_track},
                {"criteria": ">=", "type": "number", "value": spec.at_risk},
            ],
        },
    )


def _status_counts(
    ctx: Context, sheet: PlanSheet, channel: str, count_row: int, att_row: int, n: int
) -> None:
    model = ctx.model
    write_text(sheet, count_row - 1, 0, ctx.t("status"), ctx.fmt.section)
    for k, code in enumerate(helpers.STATUSES):
        row = count_row + k
        write_text(sheet, row, 0, ctx.t(f"status_{code}"), ctx.fmt.status_fill(code))
        for j, period in enumerate(model.periods):
            col = FIRST_COL + j
            rng = f"{cell(att_row, col)}:{cell(att_row + n - 1, col)}"
            formula = {
                "on_track": f'COUNTIF({rng},">="&{f.ON_TRACK})',
                "at_risk": f'COUNTIFS({rng},">="&{f.AT_RISK},{rng},"<"&{f.ON_TRACK})',
                "off_track": f'COUNTIF({rng},"<"&{f.AT_RISK})',
                "no_data": f"ROWS({rng})-COUNT({rng})",
            }[code]
            value = model.status_counts(channel, period)[code]
            write_formula(sheet, row, col, formula, value, ctx.fmt.get(border=1, num_format="0"))


def _chart_rows(
    ctx: Context, sheet: PlanSheet, channel: str, rows: dict[str, int], first: int
) -> dict[str, int]:
    """Hidden rows feeding the chart: blanks become #N/A so the line has gaps, not zeros."""
    model = ctx.model
    kpi = get(model.spec.channels[channel][0])
    out = {}
    for k, key in enumerate(("actual", "target")):
        row = first + k
        out[key] = row
        write_text(sheet, row, 0, ctx.t(key), ctx.fmt.muted)
        for j, period in enumerate(model.periods):
            col = FIRST_COL + j
            if key == "actual":
                value = model.value(kpi, channel, period)
            else:
                value = model.target(kpi.id, channel, period)
            source = cell(rows[key], col)
            write_formula(
                sheet, row, col, f'IF({source}="",NA(),{source})',
                "#N/A" if math.isnan(value) else value, ctx.fmt.muted,
            )  # fmt: skip
        sheet.set_row(row, None, None, {"hidden": True})
    return out


def _chart(ctx: Context, channel: str, rows: dict[str, int], anchor_row: int) -> None:
    model = ctx.model
    kpi = get(model.spec.channels[channel][0])
    name = ctx.sheet_names[channel]
    last_col = FIRST_COL + len(model.periods) - 1
    chart = ctx.workbook.add_chart({"type": "line"})
    categories = [name, HEADER_ROW, FIRST_COL, HEADER_ROW, last_col]
    chart.add_series(
        {
            "name": ctx.t("actual"),
            "categories": categories,
            "values": [name, rows["actual"], FIRST_COL, rows["actual"], last_col],
            "line": {"color": "#1F4E78", "width": 2.25},
            "marker": {"type": "circle", "size": 5, "fill": {"color": "#1F4E78"}},
        }
    )
    chart.add_series(
        {
            "name": ctx.t("target"),
            "categories": categories,
            "values": [name, rows["target"], FIRST_COL, rows["target"], last_col],
            "line": {"color": "#C55A11", "width": 1.75, "dash_type": "dash"},
        }
    )
    chart.set_title(
        {"name": ctx.t("chart_title", kpi=kpi.name(ctx.lang)), "name_font": {"size": 12}}
    )
    chart.set_y_axis({"num_format": number_format(kpi.unit, model.spec.currency, kpi.is_ratio)})
    chart.set_legend({"position": "bottom"})
    chart.show_blanks_as("gap")
    chart.show_hidden_data()
    chart.show_na_as_empty_cell()
    chart.set_size({"width": 760, "height": 300})
    ctx.sheet(channel).insert_chart(anchor_row, 0, chart)
