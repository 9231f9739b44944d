"""The Overview sheet: the overall plan's KPIs for the current period and channel status.

Every position comes from :class:`~kpi_xl.plan.layout.OverviewLayout`; each KPI table
column is written by the writer registered for its key in :data:`COLUMN_WRITERS`, so the
table follows the layout's column order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from kpi_xl import periods as cal
from kpi_xl.catalog import helpers
from kpi_xl.catalog import status_bands as bands
from kpi_xl.catalog.records import KPI, get, has_label
from kpi_xl.plan.layout import Cell, ChannelLayout, OverviewLayout
from kpi_xl.plan.model import ALL, KpiRow
from kpi_xl.spreadsheet import a1, row_runs, sheet_ref
from kpi_xl.style import STATUS_COLORS
from kpi_xl.workbook import formulas as f
from kpi_xl.workbook.context import Context
from kpi_xl.workbook.layout import print_setup, protect
from kpi_xl.workbook.xlsx import PlanSheet, write_formula, write_text, write_value

#: The label of each information cell.
INFO_LABELS = {
    "plan_name": "plan_name",
    "current_period": "current_period",
    "previous_period": "previous",
    "data_range": "data_range",
    "last_refreshed": "last_refreshed",
    "days_elapsed": "days_elapsed",
    "days_in_period": "days_in_period",
    "pace_factor": "pace_factor",
}


def plan_title(ctx: Context) -> str:
    """The plan's title: the template's ``title``, else the bundled template's name in the
    plan's language, else the template's ``name`` as written."""
    spec = ctx.model.spec
    if spec.title:
        return spec.title
    return ctx.t(f"template_{spec.name}") if has_label(f"template_{spec.name}") else spec.name


def _info(ctx: Context, sheet: PlanSheet, ov: OverviewLayout) -> None:
    """The plan's information block and the defined names formulas read."""
    model, fmt = ctx.model, ctx.fmt
    start = model.data_start.date().isoformat() if model.data_start is not None else ""
    end = model.data_end.date().isoformat() if model.data_end is not None else ""
    values: dict[str, object] = {
        "plan_name": plan_title(ctx),
        "current_period": model.current,
        "previous_period": model.previous,
        "data_range": f"{start} – {end}" if start else "",
        "last_refreshed": dt.datetime.now().replace(microsecond=0),
        "days_elapsed": model.elapsed_days,
        "days_in_period": model.total_days,
    }
    for key, value in values.items():
        cell = ov.info[key]
        write_text(sheet, cell.row, cell.col - 1, ctx.t(INFO_LABELS[key]), fmt.label)
        if isinstance(value, dt.datetime):
            sheet.write_datetime(cell.row, cell.col, value, fmt.datetime)
        else:
            write_value(sheet, cell.row, cell.col, value, fmt.text)
    prior = ov.info["prior_period"]  # the period before the previous one, for prev() KPIs
    write_text(sheet, prior.row, prior.col, model.prior, fmt.get(num_format=";;;"))
    factor = ov.info["pace_factor"]
    elapsed, total = ov.info["days_elapsed"].a1, ov.info["days_in_period"].a1
    write_text(sheet, factor.row, factor.col - 1, ctx.t(INFO_LABELS["pace_factor"]), fmt.label)
    write_formula(
        sheet, factor.row, factor.col, f'IF({elapsed}>0,{total}/{elapsed},"")',
        model.pace_factor, fmt.get(num_format="0.000", border=1),
    )  # fmt: skip


@dataclass(frozen=True)
class KpiCells:
    """What a column writer needs for one KPI row of the table."""

    ctx: Context
    sheet: PlanSheet
    ov: OverviewLayout
    kpi: KPI
    row: KpiRow
    at: int  # sheet row

    def ref(self, key: str) -> str:
        return a1(self.at, self.ov.col(key))

    def write(self, key: str, formula: str, value: object, fmt: object) -> None:
        write_formula(self.sheet, self.at, self.ov.col(key), formula, value, fmt)

    def text(self, key: str, value: str) -> None:
        write_text(self.sheet, self.at, self.ov.col(key), value, self.ctx.fmt.text)

    @property
    def number(self) -> object:
        return self.ctx.fmt.unit(self.kpi.unit, ratio=self.kpi.is_ratio)

    @property
    def current(self) -> int:
        return self.ctx.model.current_index


def _kpi(c: KpiCells) -> None:
    c.text("kpi", c.kpi.name(c.ctx.lang))


def _unit(c: KpiCells) -> None:
    c.text("unit", c.ctx.t(f"unit_{c.kpi.unit}"))


def _actual(c: KpiCells) -> None:
    formula = f.kpi_formula(c.kpi, ALL, f.CURRENT_PERIOD, f.PREVIOUS_PERIOD)
    c.write("actual", formula, c.row.actual[c.current], c.number)


def _target(c: KpiCells) -> None:
    formula = f.target_lookup(c.ctx.layout.targets, c.kpi.id, ALL, f.CURRENT_PERIOD)
    c.write("target", formula, c.row.target[c.current], c.number)


def _attainment(c: KpiCells) -> None:
    formula = helpers.attainment_formula(c.ref("actual"), c.ref("target"), c.kpi.higher_is_better)
    c.write("attainment", formula, c.row.attainment[c.current], c.ctx.fmt.percent)


def _status(c: KpiCells) -> None:
    formula = bands.status_formula(
        c.ref("attainment"), f.ON_TRACK, f.AT_RISK, c.ctx.lang, f.near(c.kpi)
    )
    text = bands.status_label(c.row.status[c.current], c.ctx.lang)
    c.write("status", formula, text, c.ctx.fmt.text)


def _previous(c: KpiCells) -> None:
    formula = f.kpi_formula(c.kpi, ALL, f.PREVIOUS_PERIOD, f.PRIOR_PERIOD)
    c.write("previous", formula, c.row.previous, c.number)


def _change(c: KpiCells) -> None:
    diff = helpers.change_is_difference(c.kpi)
    formula = helpers.change_formula(c.ref("actual"), c.ref("previous"), difference=diff)
    change_fmt = c.ctx.fmt.get(num_format="+0.0%;-0.0%;0.0%", border=1)
    c.write("change", formula, c.row.change, c.number if diff else change_fmt)


def _pace(c: KpiCells) -> None:
    formula = f.kpi_formula(
        c.kpi, ALL, f.CURRENT_PERIOD, f.PREVIOUS_PERIOD, factor_ref=f.PACE_FACTOR
    )
    c.write("pace", formula, c.row.pace, c.number)


def _trend(c: KpiCells) -> None:
    """The monthly values (right of the table) and their sparkline."""
    model, ov = c.ctx.model, c.ov
    for j, period in enumerate(model.periods):
        col = ov.trend_first_col + j
        period_ref = a1(ov.header_row, col, row_abs=True)
        prev_ref = f'"{cal.previous(period, model.spec.grain)}"'
        write_formula(
            c.sheet, c.at, col, f.kpi_formula(c.kpi, ALL, period_ref, prev_ref),
            c.row.actual[j], c.number,
        )  # fmt: skip
    last = ov.trend_first_col + len(model.periods) - 1
    first_cell = sheet_ref(ov.sheet, c.at, ov.trend_first_col, absolute=False)
    c.sheet.add_sparkline(
        c.at, ov.col("trend"),
        {"range": f"{first_cell}:{a1(c.at, last)}",
         "markers": True, "high_point": True, "series_color": "#1F4E78"},
    )  # fmt: skip


def _data_note(c: KpiCells) -> None:
    c.text("data_note", c.ctx.data_note(c.kpi, ALL))


COLUMN_WRITERS: dict[str, Callable[[KpiCells], None]] = {
    "kpi": _kpi,
    "unit": _unit,
    "actual": _actual,
    "target": _target,
    "attainment": _attainment,
    "status": _status,
    "previous": _previous,
    "change": _change,
    "pace": _pace,
    "trend": _trend,
    "data_note": _data_note,
}


def write_overview(ctx: Context) -> None:
    sheet = ctx.sheet("overview")
    model, fmt, ov = ctx.model, ctx.fmt, ctx.layout.overview
    write_text(sheet, ov.title.row, ov.title.col, plan_title(ctx), fmt.title)
    _info(ctx, sheet, ov)
    for col, key in enumerate(ov.columns):
        write_text(sheet, ov.header_row, col, ctx.t(key), fmt.header)
    for j, period in enumerate(model.periods):
        write_text(sheet, ov.header_row, ov.trend_first_col + j, period, fmt.header)
    for kpi_id, row in ov.kpi_rows.items():
        cells = KpiCells(ctx, sheet, ov, get(kpi_id), model.row(kpi_id, ALL), row)
        for key in ov.columns:
            COLUMN_WRITERS[key](cells)
    rows = list(ov.kpi_rows.values())
    if rows:
        _status_formatting(ctx, sheet, ov, min(rows), max(rows))
    _channel_status(ctx, sheet, ov)
    _finish(ctx, sheet, ov)


def _status_formatting(
    ctx: Context, sheet: PlanSheet, ov: OverviewLayout, first: int, last: int
) -> None:
    """Fills on attainment and status, and icons on attainment, from the status bands (the
    two-sided bands for near-target KPIs)."""
    att_col, status_col = ov.col("attainment"), ov.col("status")
    cols = sorted((att_col, status_col))
    near_rows = [r for k, r in ov.kpi_rows.items() if get(k).near_target]
    other_rows = [r for r in ov.kpi_rows.values() if r not in near_rows]
    for rows, near in ((other_rows, None), (near_rows, f.NEAR)):
        if not rows:
            continue
        top = min(rows)
        att = a1(top, att_col, col_abs=True)
        ranges = " ".join(f"{a1(a, c)}:{a1(b, c)}" for a, b in row_runs(rows) for c in cols)
        for band in bands.BANDS:
            bg, fg = STATUS_COLORS[band.code]
            criteria = bands.band_criteria(band.code, att, f.ON_TRACK, f.AT_RISK, near)
            sheet.conditional_format(
                top, cols[0], top, cols[0],
                {"type": "formula", "multi_range": ranges, "criteria": "=" + criteria,
                 "format": ctx.fmt.get(bg_color=bg, font_color=fg)},
            )  # fmt: skip
        if near is None:
            icon_ranges = " ".join(f"{a1(a, att_col)}:{a1(b, att_col)}" for a, b in row_runs(rows))
            sheet.conditional_format(
                top, att_col, top, att_col,
                {"type": "icon_set", "icon_style": "3_traffic_lights", "multi_range": icon_ranges,
                 "icons": bands.icon_thresholds(f.ON_TRACK, f.AT_RISK)},
            )  # fmt: skip


def _channel_status(ctx: Context, sheet: PlanSheet, ov: OverviewLayout) -> None:
    """A status line per channel: counts of KPIs by status and the headline KPI."""
    model, fmt, lang = ctx.model, ctx.fmt, ctx.lang
    header = ov.channel_header_row
    write_text(sheet, header - 1, 0, ctx.t("channel_status"), fmt.label)
    for col, key in enumerate(ov.channel_columns):
        text_key = f"status_{key}" if key in bands.STATUSES else key
        write_text(sheet, header, col, ctx.t(text_key), fmt.header)
    for channel, row in ov.channel_rows.items():
        layout = ctx.layout.channels[channel]
        periods = (
            sheet_ref(layout.sheet, layout.header_row, layout.first_col)
            + ":"
            + a1(layout.header_row, layout.last_col, row_abs=True, col_abs=True)
        )
        match = f"MATCH({f.CURRENT_PERIOD},{periods},0)"
        pick = partial(_pick, layout, match)
        at = partial(_at, ov, row)

        cell = at("channel")
        write_text(sheet, cell.row, cell.col, ctx.channel_label(channel), fmt.text)
        counts = model.status_counts(channel, model.current)
        for k, code in enumerate(bands.STATUSES):
            cell = at(code)
            write_formula(
                sheet, cell.row, cell.col, pick(layout.count_row + k), counts[code],
                fmt.get(border=1, num_format="0"),
            )  # fmt: skip
        headline = get(model.spec.channels[channel][0])
        line = model.row(headline.id, channel)
        number = fmt.unit(headline.unit, ratio=headline.is_ratio)
        cell = at("kpi")
        write_text(sheet, cell.row, cell.col, headline.name(lang), fmt.text)
        rows = layout.rows[headline.id]
        i = model.current_index
        for key, source_row, value in (
            ("actual", rows.actual, line.actual[i]),
            ("target", rows.target, line.target[i]),
            ("attainment", rows.attainment, line.attainment[i]),
        ):
            cell = at(key)
            cell_fmt = fmt.percent if key == "attainment" else number
            write_formula(sheet, cell.row, cell.col, pick(source_row), value, cell_fmt)


def _pick(layout: ChannelLayout, match: str, row: int) -> str:
    """The current period's cell of a channel sheet's row (INDEX/MATCH on its header)."""
    first = sheet_ref(layout.sheet, row, layout.first_col)
    last = a1(row, layout.last_col, row_abs=True, col_abs=True)
    return f'IFERROR(INDEX({first}:{last},{match}),"")'


def _at(ov: OverviewLayout, row: int, key: str) -> Cell:
    return Cell(ov.sheet, row, ov.channel_columns.index(key))


def _finish(ctx: Context, sheet: PlanSheet, ov: OverviewLayout) -> None:
    widths = {"kpi": 36, "unit": 24, "status": 20, "trend": 16, "data_note": 48}
    info_col = ov.info["plan_name"].col  # the info block's values: dates and a timestamp
    for col, key in enumerate(ov.columns):
        width = widths.get(key, 13)
        sheet.set_column(col, col, max(width, 24) if col == info_col else width)
    sheet.set_row(ov.header_row, 45)  # three lines of a wrapped header
    sheet.set_column(ov.trend_first_col - 1, ov.trend_first_col - 1, 2)
    sheet.set_column(ov.trend_first_col, ov.trend_first_col + len(ctx.model.periods), 10)
    sheet.freeze_panes(ov.header_row + 1, 1)
    print_setup(sheet, None, report=True)
    sheet.print_area(0, 0, ov.last_row, len(ov.columns) - 1)
    protect(sheet)
    sheet.activate()
    sheet.set_first_sheet()
