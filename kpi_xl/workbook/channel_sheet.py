"""One sheet per channel plan: KPIs x periods in actual / target / attainment blocks.

Positions come from :class:`~kpi_xl.plan.layout.ChannelLayout`; targets are looked up on
the Targets sheet by key, so sorting or moving the Targets rows cannot mix them up.
"""

from __future__ import annotations

import math

from xlsxwriter.format import Format

from kpi_xl import periods as cal
from kpi_xl.catalog import helpers
from kpi_xl.catalog import status_bands as bands
from kpi_xl.catalog.records import KPI, get
from kpi_xl.catalog.units import number_format
from kpi_xl.plan.judgement import JudgedRow, judged, selection, status_counts, to_date_ok
from kpi_xl.plan.layout import TO_DATE_TABLE, ChannelLayout
from kpi_xl.spreadsheet import a1, row_runs
from kpi_xl.style import STATUS_COLORS
from kpi_xl.workbook import formulas as f
from kpi_xl.workbook.context import Context
from kpi_xl.workbook.layout import print_setup, protect
from kpi_xl.workbook.text_fit import width_for
from kpi_xl.workbook.xlsx import PlanSheet, show_gaps, write_formula, write_text, write_value


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
        write_text(sheet, layout.header_row, col, ctx.period_label(period), fmt.header)
        write_text(sheet, layout.key_row, col, period, fmt.muted)
        write_text(sheet, layout.prev_row, col, cal.previous(period, model.spec.grain), fmt.muted)
    _period_helpers(ctx, sheet, layout)

    for key in ("actual", "target", "attainment", "status"):
        row = layout.section_rows[key]
        write_text(sheet, row, 0, ctx.t(key), fmt.section)
        for col in range(1, last_col + 1):
            write_text(sheet, row, col, "", fmt.section)

    for kpi_id, rows in layout.rows.items():
        kpi = get(kpi_id)
        line = judged(model, kpi_id, channel)
        number = fmt.unit(kpi.unit, ratio=kpi.is_ratio)
        for row in (rows.actual, rows.target, rows.attainment, rows.status):
            write_text(sheet, row, 0, kpi.name(ctx.lang), fmt.text)
            write_text(sheet, row, 1, ctx.t(f"unit_{kpi.unit}"), fmt.text)
        for j in range(len(model.periods)):
            _kpi_column(ctx, sheet, layout, kpi, line, j, number)
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
        _highlight_selected(ctx, sheet, layout)

    names = [get(k).name(ctx.lang) for k in kpi_ids] + [ctx.t("previous")]
    sections = [ctx.t(key) for key in layout.section_rows if key != "counts"]
    sheet.set_column(0, 0, max(width_for(names, minimum=34), width_for(sections, bold=True)))
    units = [ctx.t(f"unit_{get(k).unit}") for k in kpi_ids] + [ctx.t("unit")]
    sheet.set_column(1, 1, width_for(units, minimum=12))
    periods = [ctx.period_label(p) for p in model.periods]
    sheet.set_column(first_col, last_col, width_for(periods, bold=True, minimum=11))
    sheet.set_column(layout.note_col, layout.note_col, 48)
    hidden = [layout.prev_row, *layout.helper_rows.values()]
    for row in hidden:
        sheet.set_row(row, None, None, {"hidden": True})
    sheet.freeze_panes(layout.header_row + 1, first_col)
    print_setup(sheet, layout.header_row, report=True)
    protect(sheet)


def _period_helpers(ctx: Context, sheet: PlanSheet, layout: ChannelLayout) -> None:
    """Hidden rows: each period's number, the share of it the data covers and its pace
    factor (the latest period: how far the data goes; earlier ones: whole; later: none)."""
    model = ctx.model
    rows = layout.helper_rows
    for key in ("share", "factor", "number", "period"):
        write_text(sheet, rows[key], 0, key, ctx.fmt.muted)
    for j, period in enumerate(model.periods):
        col = layout.period_col(j)
        sel = selection(model, period)
        head, no = a1(layout.key_row, col, row_abs=True), a1(rows["number"], col, row_abs=True)
        write_value(sheet, rows["number"], col, cal.number(period), ctx.fmt.muted)
        share = f"IF({head}={f.DATA_PERIOD},{f.DATA_SHARE},IF({no}>{f.DATA_NO},0,1))"
        write_formula(sheet, rows["share"], col, share, sel.share, ctx.fmt.muted)
        factor = f'IF({head}={f.DATA_PERIOD},{f.DATA_FACTOR},IF({no}>{f.DATA_NO},"",1))'
        value = "" if math.isnan(sel.factor) else sel.factor
        write_formula(sheet, rows["factor"], col, factor, value, ctx.fmt.muted)


def _kpi_column(
    ctx: Context,
    sheet: PlanSheet,
    layout: ChannelLayout,
    kpi: KPI,
    line: JudgedRow,
    j: int,
    number: Format,
) -> None:
    """One period of one KPI: actual, target, attainment (judged by kind) and status."""
    model, channel = ctx.model, layout.channel
    rows, col = layout.rows[kpi.id], layout.period_col(j)
    period_ref = a1(layout.key_row, col, row_abs=True)
    prev_ref = a1(layout.prev_row, col, row_abs=True)
    share = a1(layout.helper_rows["share"], col, row_abs=True)
    factor = a1(layout.helper_rows["factor"], col, row_abs=True)
    latest = f"{period_ref}={f.DATA_PERIOD}"
    partial = f"AND({latest},{f.DATA_PARTIAL})"
    actual = f.kpi_formula(kpi, channel, period_ref, prev_ref)
    if kpi.kind == "change" and model.periods[j] == model.current:
        sel = selection(model)
        if sel.partial:
            like = to_date_ok(model, kpi, channel, sel, sel.previous)
            options = {"prev_table": TO_DATE_TABLE} if like else {"factor_ref": factor}
            to_date = f.kpi_formula(kpi, channel, period_ref, prev_ref, **options)
            actual = f"IF({partial},{to_date},{actual})"
    write_formula(sheet, rows.actual, col, actual, line.actual[j], number)
    lookup = f.target_lookup(ctx.layout.targets, kpi.id, channel, period_ref)
    write_formula(sheet, rows.target, col, lookup, line.target[j], number)
    a_ref, t_ref = a1(rows.actual, col), a1(rows.target, col)
    start = "" if kpi.starts_at is None else repr(kpi.starts_at)
    if kpi.kind == "stock":  # the previous close: the cell to the left, or its formula
        start = a1(rows.actual, col - 1)
        if j == 0:
            start = f.kpi_formula(kpi, channel, prev_ref, prev_ref)
    pace = f.pace_of(kpi, a_ref, factor, start or '""', share, partial)
    attainment = helpers.judged_attainment_formula(
        kpi.pace_kind, a_ref, t_ref, kpi.higher_is_better,
        pace=pace, start=start or None, share=share,
    )  # fmt: skip
    write_formula(sheet, rows.attainment, col, attainment, line.attainment[j], ctx.fmt.percent)
    early = f"AND({latest},{f.DATA_TOO_EARLY})"
    early = f.too_early_formula(kpi, channel, period_ref, early, partial)
    status = helpers.judged_status_formula(
        a_ref, t_ref, a1(rows.attainment, col), f.ON_TRACK, f.AT_RISK, ctx.lang,
        too_early=early, near=f.near(kpi),
    )  # fmt: skip
    text = bands.status_label(line.status[j], ctx.lang)
    write_formula(sheet, rows.status, col, status, text, ctx.fmt.get(border=1, font_size=9))


def _status_formatting(ctx: Context, sheet: PlanSheet, layout: ChannelLayout) -> None:
    """Each attainment cell and each status cell filled by its period's status (the status
    row: a symbol and a word, never colour alone)."""
    c0, c1 = layout.first_col, layout.last_col
    for rows in layout.rows.values():
        status_cell = a1(rows.status, c0, row_abs=True)
        ranges = f"{a1(rows.attainment, c0)}:{a1(rows.attainment, c1)} " + (
            f"{a1(rows.status, c0)}:{a1(rows.status, c1)}"
        )
        for code in bands.STATUSES:
            bg, fg = STATUS_COLORS[code]
            label = bands.status_label(code, ctx.lang).replace('"', '""')
            sheet.conditional_format(
                rows.attainment, c0, rows.attainment, c1,
                {"type": "formula", "criteria": f'={status_cell}="{label}"',
                 "multi_range": ranges, "format": ctx.fmt.get(bg_color=bg, font_color=fg)},
            )  # fmt: skip


def _status_counts(ctx: Context, sheet: PlanSheet, layout: ChannelLayout) -> None:
    """How many KPIs have each status, per period: counted from the status rows."""
    model = ctx.model
    status_rows = [r.status for r in layout.rows.values()]
    counts_row = layout.section_rows.get("counts", layout.count_row - 1)
    write_text(sheet, counts_row, 0, ctx.t("kpis_by_status"), ctx.fmt.section)
    for k, code in enumerate(bands.STATUSES):
        row = layout.count_row + k
        write_text(sheet, row, 0, bands.status_label(code, ctx.lang), ctx.fmt.status_fill(code))
        label = bands.status_label(code, ctx.lang).replace('"', '""')
        for j, period in enumerate(model.periods):
            col = layout.period_col(j)
            terms = [
                f'COUNTIF({a1(a, col)}:{a1(b, col)},"{label}")' for a, b in row_runs(status_rows)
            ]
            value = status_counts(model, layout.channel, period)[code]
            write_formula(
                sheet, row, col, "+".join(terms), value, ctx.fmt.get(border=1, num_format="0")
            )


def _highlight_selected(ctx: Context, sheet: PlanSheet, layout: ChannelLayout) -> None:
    """The period the Overview's selector shows stands out in every block."""
    c0, c1 = layout.first_col, layout.last_col
    top = layout.header_row
    bottom = max(r.status for r in layout.rows.values())
    head = a1(layout.key_row, c0, row_abs=True)
    sheet.conditional_format(
        top, c0, bottom, c1,
        {"type": "formula", "criteria": f"={head}={f.CURRENT_PERIOD}",
         "format": ctx.fmt.get(bold=True, border=2, border_color="#1F4E78")},
    )  # fmt: skip


def _chart_rows(ctx: Context, sheet: PlanSheet, layout: ChannelLayout) -> None:
    """Hidden rows feeding the chart: blanks become #N/A so the line has gaps, not zeros."""
    model = ctx.model
    headline = next(iter(layout.rows))
    line = judged(model, headline, layout.channel)
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


def cached(values: tuple[float, ...] | list[float]) -> list[float | None]:
    """A series' cached points: a period without a value has no point (a gap for any
    viewer that draws the cache), never 0."""
    return [None if math.isnan(v) else float(v) for v in values]


def _chart(ctx: Context, layout: ChannelLayout) -> None:
    model = ctx.model
    kpi = get(next(iter(layout.rows)))
    line = judged(model, kpi.id, layout.channel)
    name, rows = layout.sheet, layout.chart_rows
    chart = ctx.workbook.add_chart({"type": "line"})
    categories = [name, layout.header_row, layout.first_col, layout.header_row, layout.last_col]
    chart.add_series(
        {
            "name": ctx.t("actual"),
            "categories": categories,
            "values": [name, rows["actual"], layout.first_col, rows["actual"], layout.last_col],
            "values_data": cached(line.actual),
            "line": {"color": "#1F4E78", "width": 2.25},
            "marker": {"type": "circle", "size": 5, "fill": {"color": "#1F4E78"}},
        }
    )
    chart.add_series(
        {
            "name": ctx.t("target"),
            "categories": categories,
            "values": [name, rows["target"], layout.first_col, rows["target"], layout.last_col],
            "values_data": cached(line.target),
            "line": {"color": "#C55A11", "width": 1.75, "dash_type": "dash"},
        }
    )
    chart.set_title(
        {"name": ctx.t("chart_title", kpi=kpi.name(ctx.lang)), "name_font": {"size": 12}}
    )
    axis = {
        "num_format": ctx.fmt.numbers(
            number_format(kpi.unit, model.spec.currency, kpi.is_ratio, ctx.lang)
        )
    }
    if ctx.rtl:  # the months run right to left, as the table above them; the value axis
        chart.set_x_axis({"reverse": True})  # follows the first month to the right
    chart.set_y_axis(axis)
    chart.set_legend({"position": "bottom"})
    show_gaps(chart)
    chart.show_hidden_data()
    chart.show_na_as_empty_cell()
    chart.set_size({"width": 760, "height": 300})
    anchor = layout.chart_anchor
    ctx.sheet(layout.channel).insert_chart(anchor.row, anchor.col, chart)
