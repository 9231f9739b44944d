"""One sheet per channel plan: KPIs x periods in actual / target / attainment blocks.

Positions come from :class:`~kpi_xl.plan.layout.ChannelLayout`; targets are looked up on
the Targets sheet by key, so sorting or moving the Targets rows cannot mix them up.
"""

from __future__ import annotations

import math

from kpi_xl import periods as cal
from kpi_xl.catalog import helpers
from kpi_xl.catalog import status_bands as bands
from kpi_xl.catalog.records import get
from kpi_xl.catalog.units import number_format
from kpi_xl.plan.layout import ChannelLayout
from kpi_xl.spreadsheet import a1, row_runs
from kpi_xl.style import STATUS_COLORS
from kpi_xl.workbook import formulas as f
from kpi_xl.workbook.context import Context
from kpi_xl.workbook.layout import print_setup, protect
from kpi_xl.workbook.xlsx import PlanSheet, write_formula, write_text


def write_channel(ctx: Context, channel: str) -> None:
    sheet = ctx.sheet(channel)
    model, fmt = ctx.model, ctx.fmt
    layout = ctx.layout.channels[channel]
    kpi_ids = list(layout.rows)
    first_col, last_col = layout.first_col, layout.last_col

    write_text(sheet, layout.title.row, layout.title.col, ctx.channel_label(channel), fmt.title)
    write_text(sheet, layout.header_row, 0, ctx.t("kpi"), fmt.header)
    write_text(sheet, layout.header_row, 1, ctx.t("unit"), fmt.header)
    write_text(sheet, layout.header_row, layout.note_col, ctx.t("data_note"), fmt.header)
    write_text(sheet, layout.prev_row, 0, ctx.t("previous"), fmt.muted)
    write_text(sheet, layout.prev_row, 1, "", fmt.muted)
    for j, period in enumerate(model.periods):
        col = layout.period_col(j)
        write_text(sheet, layout.header_row, col, period, fmt.header)
        write_text(sheet, layout.prev_row, col, cal.previous(period, model.spec.grain), fmt.muted)

    for key in ("actual", "target", "attainment"):
        row = layout.section_rows[key]
        write_text(sheet, row, 0, ctx.t(key), fmt.section)
        for col in range(1, last_col + 1):
            write_text(sheet, row, col, "", fmt.section)

    for kpi_id, rows in layout.rows.items():
        kpi = get(kpi_id)
        line = model.row(kpi_id, channel)
        number = fmt.unit(kpi.unit, ratio=kpi.is_ratio)
        for row in (rows.actual, rows.target, rows.attainment):
            write_text(sheet, row, 0, kpi.name(ctx.lang), fmt.text)
            write_text(sheet, row, 1, ctx.t(f"unit_{kpi.unit}"), fmt.text)
        for j in range(len(model.periods)):
            col = layout.period_col(j)
            period_ref = a1(layout.header_row, col, row_abs=True)
            prev_ref = a1(layout.prev_row, col, row_abs=True)
            write_formula(
                sheet, rows.actual, col, f.kpi_formula(kpi, channel, period_ref, prev_ref),
                line.actual[j], number,
            )  # fmt: skip
            lookup = f.target_lookup(ctx.layout.targets, kpi_id, channel, period_ref)
            write_formula(sheet, rows.target, col, lookup, line.target[j], number)
            formula = helpers.attainment_formula(
                a1(rows.actual, col), a1(rows.target, col), kpi.higher_is_better
            )
            write_formula(sheet, rows.attainment, col, formula, line.attainment[j], fmt.percent)
        sheet.conditional_format(
            rows.actual, first_col, rows.actual, last_col,
            {"type": "data_bar", "bar_color": "#9BC2E6", "bar_solid": True},
        )  # fmt: skip
        note = ctx.data_note(kpi, channel)
        if note:
            write_text(sheet, rows.actual, layout.note_col, note, fmt.muted)

    if kpi_ids:
        _status_formatting(ctx, sheet, layout)
        _status_counts(ctx, sheet, layout)
        _chart_rows(ctx, sheet, layout)
        _chart(ctx, layout)

    sheet.set_column(0, 0, 34)
    sheet.set_column(1, 1, 12)
    sheet.set_column(first_col, last_col, 11)
    sheet.set_column(layout.note_col, layout.note_col, 48)
    sheet.set_row(layout.prev_row, None, None, {"hidden": True})
    sheet.freeze_panes(layout.header_row + 1, first_col)
    print_setup(sheet, layout.header_row, report=True)
    protect(sheet)


def _attainment_rows(layout: ChannelLayout) -> tuple[list[int], list[int]]:
    """The attainment rows of the KPIs judged on the thresholds, and of the near-target
    KPIs (two-sided bands)."""
    near = [r.attainment for k, r in layout.rows.items() if get(k).near_target]
    other = [r.attainment for r in layout.rows.values() if r.attainment not in near]
    return other, near


def _status_formatting(ctx: Context, sheet: PlanSheet, layout: ChannelLayout) -> None:
    """Fills from the status bands and a traffic-light icon set, both on the Settings
    thresholds (near-target KPIs: fills on their two-sided bands, no icons)."""
    c0, c1 = layout.first_col, layout.last_col
    other, near_rows = _attainment_rows(layout)
    for rows, near in ((other, None), (near_rows, f.NEAR)):
        if not rows:
            continue
        top = min(rows)
        ranges = " ".join(f"{a1(a, c0)}:{a1(b, c1)}" for a, b in row_runs(rows))
        for band in bands.BANDS:
            bg, fg = STATUS_COLORS[band.code]
            criteria = bands.band_criteria(band.code, a1(top, c0), f.ON_TRACK, f.AT_RISK, near)
            sheet.conditional_format(
                top, c0, top, c0,
                {"type": "formula", "multi_range": ranges, "criteria": "=" + criteria,
                 "format": ctx.fmt.get(bg_color=bg, font_color=fg)},
            )  # fmt: skip
        if near is None:
            sheet.conditional_format(
                top, c0, top, c0,
                {"type": "icon_set", "icon_style": "3_traffic_lights", "multi_range": ranges,
                 "icons": bands.icon_thresholds(f.ON_TRACK, f.AT_RISK)},
            )  # fmt: skip


def _status_counts(ctx: Context, sheet: PlanSheet, layout: ChannelLayout) -> None:
    model = ctx.model
    other, near_rows = _attainment_rows(layout)
    write_text(sheet, layout.section_rows["status"], 0, ctx.t("status"), ctx.fmt.section)
    for k, code in enumerate(bands.STATUSES):
        row = layout.count_row + k
        write_text(sheet, row, 0, ctx.t(f"status_{code}"), ctx.fmt.status_fill(code))
        for j, period in enumerate(model.periods):
            col = layout.period_col(j)
            ranges = [f"{a1(a, col)}:{a1(b, col)}" for a, b in row_runs(other)]
            terms = [bands.count_formula(code, rng, f.ON_TRACK, f.AT_RISK) for rng in ranges]
            if near_rows:
                cells = tuple(a1(r, col) for r in near_rows)
                terms.append(bands.count_formula(code, None, f.ON_TRACK, f.AT_RISK, f.NEAR, cells))
            value = model.status_counts(layout.channel, period)[code]
            write_formula(
                sheet, row, col, "+".join(terms), value, ctx.fmt.get(border=1, num_format="0")
            )


def _chart_rows(ctx: Context, sheet: PlanSheet, layout: ChannelLayout) -> None:
    """Hidden rows feeding the chart: blanks become #N/A so the line has gaps, not zeros."""
    model = ctx.model
    headline = next(iter(layout.rows))
    line = model.row(headline, layout.channel)
    source_rows = {"actual": layout.rows[headline].actual, "target": layout.rows[headline].target}
    for key, row in layout.chart_rows.items():
        values = line.actual if key == "actual" else line.target
        write_text(sheet, row, 0, ctx.t(key), ctx.fmt.muted)
        for j, value in enumerate(values):
            col = layout.period_col(j)
            source = a1(source_rows[key], col)
            write_formula(
                sheet, row, col, f'IF({source}="",NA(),{source})',
                "#N/A" if math.isnan(value) else value, ctx.fmt.muted,
            )  # fmt: skip
        sheet.set_row(row, None, None, {"hidden": True})


def _chart(ctx: Context, layout: ChannelLayout) -> None:
    model = ctx.model
    kpi = get(next(iter(layout.rows)))
    name, rows = layout.sheet, layout.chart_rows
    chart = ctx.workbook.add_chart({"type": "line"})
    categories = [name, layout.header_row, layout.first_col, layout.header_row, layout.last_col]
    chart.add_series(
        {
            "name": ctx.t("actual"),
            "categories": categories,
            "values": [name, rows["actual"], layout.first_col, rows["actual"], layout.last_col],
            "line": {"color": "#1F4E78", "width": 2.25},
            "marker": {"type": "circle", "size": 5, "fill": {"color": "#1F4E78"}},
        }
    )
    chart.add_series(
        {
            "name": ctx.t("target"),
            "categories": categories,
            "values": [name, rows["target"], layout.first_col, rows["target"], layout.last_col],
            "line": {"color": "#C55A11", "width": 1.75, "dash_type": "dash"},
        }
    )
    chart.set_title(
        {"name": ctx.t("chart_title", kpi=kpi.name(ctx.lang)), "name_font": {"size": 12}}
    )
    chart.set_y_axis(
        {"num_format": number_format(kpi.unit, model.spec.currency, kpi.is_ratio, ctx.lang)}
    )
    chart.set_legend({"position": "bottom"})
    chart.show_blanks_as("gap")
    chart.show_hidden_data()
    chart.show_na_as_empty_cell()
    chart.set_size({"width": 760, "height": 300})
    anchor = layout.chart_anchor
    ctx.sheet(layout.channel).insert_chart(anchor.row, anchor.col, chart)
