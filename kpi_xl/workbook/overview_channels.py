"""The Overview's channel part: a status line per channel plan (linked to its sheet) and
the channel mix, cost and the plan's first volume KPI by channel, with its chart.

Every figure is a formula with its value stored: a channel line reads the channel sheet's
column of the period the selector shows; the mix reads the PlanData table.
"""

from __future__ import annotations

import math
from functools import partial

from kpi_xl.catalog import status_bands as bands
from kpi_xl.catalog.records import KPI, get, kpis
from kpi_xl.plan.judgement import judged, selection, status_counts
from kpi_xl.plan.layout import CONTINUED, Cell, ChannelLayout, OverviewLayout
from kpi_xl.spreadsheet import a1, sheet_ref
from kpi_xl.style import HEADER_FILL, STATUS_COLORS
from kpi_xl.workbook import formulas as f
from kpi_xl.workbook.context import Context
from kpi_xl.workbook.overview_top import overview_widths
from kpi_xl.workbook.text_fit import column_px, height_for
from kpi_xl.workbook.xlsx import PlanSheet, show_gaps, write_formula, write_text

MIX_COLORS = ("#7F7F7F", "#1F4E78")  # cost, volume


def status_fills(
    ctx: Context, sheet: PlanSheet, first: int, last: int, att_col: int, status_col: int
) -> None:
    """Rows ``first``..``last``: the attainment and status cells filled in the colours of
    the row's status text."""
    cols = sorted((att_col, status_col))
    status = a1(first, status_col, col_abs=True)
    ranges = " ".join(f"{a1(first, c)}:{a1(last, c)}" for c in cols)
    for code in bands.STATUSES:
        bg, fg = STATUS_COLORS[code]
        label = bands.status_label(code, ctx.lang).replace('"', '""')
        sheet.conditional_format(
            first, cols[0], first, cols[0],
            {"type": "formula", "multi_range": ranges, "criteria": f'={status}="{label}"',
             "format": ctx.fmt.get(bg_color=bg, font_color=fg)},
        )  # fmt: skip


def write_channels(ctx: Context, sheet: PlanSheet, ov: OverviewLayout) -> None:
    if not ov.channel_rows:
        return
    _channel_lines(ctx, sheet, ov)
    if ov.mix is not None:
        _mix(ctx, sheet, ov, ov.mix)


def _channel_lines(ctx: Context, sheet: PlanSheet, ov: OverviewLayout) -> None:
    """Per channel: its name (a link to its sheet), its headline KPI's status and figures,
    and how many of its KPIs have each status (coloured when there are any)."""
    model, fmt, lang = ctx.model, ctx.fmt, ctx.lang
    header = ov.channel_header_row
    write_text(sheet, header - 1, 0, ctx.t("channel_status"), fmt.get(
        bold=True, font_size=12, font_color=HEADER_FILL))  # fmt: skip
    widths = overview_widths(ctx, ov)
    height = 15.0
    for col, key in enumerate(ov.channel_columns):
        if key == CONTINUED:
            continue
        text = bands.status_label(key, lang) if key in bands.STATUSES else ctx.t(key)
        span = 2 if _continued(ov, key) else 1  # the KPI's name spans the next column too
        if span == 2:
            sheet.merge_range(header, col, header, col + 1, text, fmt.header)
        else:
            write_text(sheet, header, col, text, fmt.header)
        room = sum(column_px(widths[c]) for c in range(col, col + span))
        height = max(height, height_for([text], room, bold=True))
    sheet.set_row(header, height)
    link_fmt = fmt.get(border=1, font_color="#0563C1", underline=1)
    for channel, row in ov.channel_rows.items():
        layout = ctx.layout.channels[channel]
        keys = layout.helper_rows.get("period", layout.header_row)
        periods = (
            sheet_ref(layout.sheet, keys, layout.first_col)
            + ":"
            + a1(keys, layout.last_col, row_abs=True, col_abs=True)
        )
        match = f"MATCH({f.CURRENT_PERIOD},{periods},0)"
        pick = partial(_pick, layout, match)
        at = partial(_at, ov, row)

        cell = at("channel")
        target = "internal:" + sheet_ref(layout.sheet, 0, 0)
        sheet.write_url(cell.row, cell.col, target, link_fmt, ctx.channel_label(channel))
        counts = status_counts(model, channel, model.current)
        for k, code in enumerate(bands.STATUSES):
            cell = at(code)
            write_formula(
                sheet, cell.row, cell.col, pick(layout.count_row + k), counts[code],
                fmt.get(border=1, num_format="0;-0;", align="center"),
            )  # fmt: skip
            bg, fg = STATUS_COLORS[code]
            sheet.conditional_format(cell.row, cell.col, cell.row, cell.col, {
                "type": "cell", "criteria": ">", "value": 0,
                "format": fmt.get(bg_color=bg, font_color=fg, bold=True)})  # fmt: skip
        headline = get(model.spec.channels[channel][0])
        line = judged(model, headline.id, channel)
        number = fmt.unit(headline.unit, ratio=headline.is_ratio)
        cell = at("kpi")
        name_fmt = fmt.get(border=1, text_wrap=True, valign="vcenter")
        if _continued(ov, "kpi"):
            sheet.merge_range(cell.row, cell.col, cell.row, cell.col + 1, "", name_fmt)
        write_text(sheet, cell.row, cell.col, headline.name(lang), name_fmt)
        name_cols = range(cell.col, cell.col + (2 if _continued(ov, "kpi") else 1))
        room = sum(column_px(widths[c]) for c in name_cols)
        sheet.set_row(cell.row, height_for([headline.name(lang)], room))
        rows = layout.rows[headline.id]
        i = model.current_index
        for key, source_row, value in (
            ("actual", rows.actual, line.actual[i]),
            ("target", rows.target, line.target[i]),
            ("attainment", rows.attainment, line.attainment[i]),
            ("status", rows.status, bands.status_label(line.status[i], lang)),
        ):
            cell = at(key)
            cell_fmt = {"attainment": fmt.percent, "status": fmt.text}.get(key, number)
            write_formula(sheet, cell.row, cell.col, pick(source_row), value, cell_fmt)
    first, last = min(ov.channel_rows.values()), max(ov.channel_rows.values())
    status_fills(ctx, sheet, first, last, ov.channel_columns.index("attainment"),
                 ov.channel_columns.index("status"))  # fmt: skip


def _continued(ov: OverviewLayout, key: str) -> bool:
    """Whether ``key``'s column spans the next one (followed by :data:`CONTINUED`)."""
    columns = ov.channel_columns
    i = columns.index(key)
    return i + 1 < len(columns) and columns[i + 1] == CONTINUED


def _pick(layout: ChannelLayout, match: str, row: int) -> str:
    """The shown period's cell of a channel sheet's row (INDEX/MATCH on its period keys)."""
    first = sheet_ref(layout.sheet, row, layout.first_col)
    last = a1(row, layout.last_col, row_abs=True, col_abs=True)
    return f'IFERROR(INDEX({first}:{last},{match}),"")'


def _at(ov: OverviewLayout, row: int, key: str) -> Cell:
    return Cell(ov.sheet, row, ov.channel_columns.index(key))


def mix_kpis(ctx: Context) -> list[KPI]:
    """What the mix compares by channel: the spend (when the data has cost) and the plan's
    first overall volume KPI (revenue, leads, new customers...)."""
    columns = set(ctx.model.data.table.columns)
    out = []
    spend = kpis().get("marketing_spend")
    if spend is not None and "cost" in columns:
        out.append(spend)
    volume = next(
        (get(k) for k in ctx.model.spec.overall
         if get(k).kind == "flow" and set(get(k).measures) <= columns and k != "marketing_spend"),
        None,
    )  # fmt: skip
    if volume is not None:
        out.append(volume)
    return out


def _mix(ctx: Context, sheet: PlanSheet, ov: OverviewLayout, at: Cell) -> None:
    """A small table for the period shown: per channel the spend and the volume, and each
    one's share of the channels' total; a bar chart of the shares beside it (where the
    money goes against where the results come from)."""
    model, fmt = ctx.model, ctx.fmt
    shown = mix_kpis(ctx)
    if not shown:
        return
    sel = selection(model)
    channels = list(ov.channel_rows)
    title = ctx.t("mix_title")
    period = f.period_lookup("label", f.CURRENT_PERIOD)
    write_formula(sheet, at.row, at.col, f.text_template(title, {"period": period}),
                  title.format(period=ctx.period_label(sel.period)),
                  fmt.get(bold=True, font_size=12, font_color=HEADER_FILL))  # fmt: skip
    head, n = at.row + 1, len(shown)
    last = head + len(channels)
    write_text(sheet, head, at.col, ctx.t("channel"), fmt.header)
    share_fmt = fmt.get(num_format="0%", border=1, font_color="#595959")
    chart = ctx.workbook.add_chart({"type": "bar"})
    for k, kpi in enumerate(shown):
        value_col, share_col = at.col + 1 + k, at.col + 1 + n + k
        write_text(sheet, head, value_col, kpi.name(ctx.lang), fmt.header)
        write_text(sheet, head, share_col, ctx.t("share_of", what=kpi.name(ctx.lang)),
                   fmt.header)  # fmt: skip
        values = [model.value(kpi, c, sel.period) for c in channels]
        known = [v for v in values if not math.isnan(v)]
        total = sum(known)
        column = f"{a1(head + 1, value_col, row_abs=True)}:{a1(last, value_col, row_abs=True)}"
        for i, (channel, value) in enumerate(zip(channels, values, strict=True), start=1):
            r = head + i
            formula = f.kpi_formula(kpi, channel, f.CURRENT_PERIOD, f.PREVIOUS_PERIOD)
            write_formula(sheet, r, value_col, f'IFERROR({formula},"")',
                          "" if math.isnan(value) else value,
                          fmt.unit(kpi.unit, ratio=kpi.is_ratio))  # fmt: skip
            share = value / total if total > 0 and not math.isnan(value) else math.nan
            cell = a1(r, value_col)
            write_formula(
                sheet, r, share_col,
                f'IF(OR({cell}="",SUM({column})<=0),"",{cell}/SUM({column}))',
                "" if math.isnan(share) else share, share_fmt,
            )  # fmt: skip
        shares = [v / total if total > 0 and not math.isnan(v) else None for v in values]
        chart.add_series({
            "name": [ov.sheet, head, share_col],
            "categories": [ov.sheet, head + 1, at.col, last, at.col],
            "values": [ov.sheet, head + 1, share_col, last, share_col],
            "values_data": shares,
            "fill": {"color": MIX_COLORS[k % 2] if n > 1 else MIX_COLORS[1]},
            "gap": 50,
        })  # fmt: skip
    for i, channel in enumerate(channels, start=1):
        write_text(sheet, head + i, at.col, ctx.channel_label(channel), fmt.text)
    sheet.set_row(head, 45)  # three lines of a wrapped header
    chart.set_title({"none": True})
    chart.set_legend({"position": "bottom"})
    # a bar chart's y axis is its category axis: channels top to bottom, as in the table
    chart.set_y_axis({"reverse": True})
    chart.set_x_axis({
        "num_format": ctx.fmt.numbers("0%"), "min": 0, "major_gridlines": {"visible": True},
        "reverse": ctx.rtl,  # right to left: the bars grow leftwards
    })  # fmt: skip
    show_gaps(chart)
    chart.set_size({"width": 520, "height": 300})
    sheet.insert_chart(at.row, at.col + 1 + 2 * n + 1, chart)
