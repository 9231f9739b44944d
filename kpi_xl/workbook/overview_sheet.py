"""The Overview sheet: the overall plan's KPIs for the current period and channel status.

Every position comes from :class:`~kpi_xl.plan.layout.OverviewLayout`; each KPI table
column is written by the writer registered for its key in :data:`COLUMN_WRITERS`, so the
table follows the layout's column order.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from kpi_xl import periods as cal
from kpi_xl.catalog import helpers
from kpi_xl.catalog import status_bands as bands
from kpi_xl.catalog.records import KPI, get, has_label
from kpi_xl.plan.judgement import (
    Figures,
    JudgedRow,
    Selection,
    judged,
    selection,
    status_counts,
    to_date_ok,
)
from kpi_xl.plan.layout import TO_DATE_TABLE, Cell, ChannelLayout, OverviewLayout
from kpi_xl.plan.model import ALL
from kpi_xl.spreadsheet import a1, sheet_ref
from kpi_xl.style import STATUS_COLORS
from kpi_xl.workbook import formulas as f
from kpi_xl.workbook.context import Context
from kpi_xl.workbook.layout import print_setup, protect
from kpi_xl.workbook.xlsx import PlanSheet, write_formula, write_text

#: The label of each information cell.
INFO_LABELS = {
    "plan_name": "plan_name",
    "selected": "selected",
    "current_period": "current_period",
    "previous_period": "previous",
    "data_range": "data_range",
    "last_refreshed": "last_refreshed",
    "days_elapsed": "days_elapsed",
    "days_in_period": "days_in_period",
    "pace_factor": "pace_factor",
}
#: The header label of each KPI table column (its key when not listed).
COLUMN_LABELS = {
    "previous": "previous_same_days",
    "change": "change_same_days",
    "last_year": "last_year_same_days",
}


def plan_title(ctx: Context) -> str:
    """The plan's title: the template's ``title``, else the bundled template's name in the
    plan's language, else the template's ``name`` as written."""
    spec = ctx.model.spec
    if spec.title:
        return spec.title
    return ctx.t(f"template_{spec.name}") if has_label(f"template_{spec.name}") else spec.name


def selector_choices(ctx: Context) -> list[str]:
    """What the period selector offers: the latest period, the last complete one, then
    every period of the plan."""
    return [ctx.t("selector_latest"), ctx.t("selector_last_complete"), *ctx.model.periods]


def _info(ctx: Context, sheet: PlanSheet, ov: OverviewLayout) -> None:
    """The plan's information block: the period selector and what it resolves to."""
    model, fmt = ctx.model, ctx.fmt
    sel = selection(model)
    start = model.data_start.date().isoformat() if model.data_start is not None else ""
    end = model.data_end.date().isoformat() if model.data_end is not None else ""
    for key, cell in ov.info.items():
        write_text(sheet, cell.row, cell.col - 1, ctx.t(INFO_LABELS[key]), fmt.label)
    write_text(sheet, ov.info["plan_name"].row, 1, plan_title(ctx), fmt.text)
    selected = ov.info["selected"]
    write_text(sheet, selected.row, selected.col, ctx.selected or ctx.t("selector_latest"),
               fmt.input())  # fmt: skip
    choices = ctx.layout.choices
    sheet.data_validation(
        selected.row, selected.col, selected.row, selected.col,
        {"validate": "list", "source": "=" + choices.ref,
         "input_title": ctx.t("selected")[:32], "input_message": ctx.t("selector_help")[:255]},
    )  # fmt: skip
    latest, complete = (f'"{ctx.t(k)}"' for k in ("selector_latest", "selector_last_complete"))
    chosen = selected.a1
    cells = {
        "current_period": (
            f"IF({chosen}={latest},{f.DATA_PERIOD},IF({chosen}={complete},"
            f"{f.LAST_COMPLETE},{chosen}))",
            sel.period,
        ),
        "previous_period": (f.period_lookup("previous", f.CURRENT_PERIOD), sel.previous),
        "days_in_period": (f.period_lookup("days", f.CURRENT_PERIOD), sel.total),
        "days_elapsed": (
            f"IF({f.CURRENT_PERIOD}={f.DATA_PERIOD},{f.DATA_DAYS},"
            f"IF({f.CURRENT_NO}>{f.DATA_NO},0,{f.DAYS_IN_PERIOD}))",
            sel.elapsed,
        ),
        "pace_factor": (
            f'IF({f.DAYS_ELAPSED}>0,{f.DAYS_IN_PERIOD}/{f.DAYS_ELAPSED},"")',
            "" if math.isnan(sel.factor) else sel.factor,
        ),
    }
    for key, (formula, value) in cells.items():
        cell = ov.info[key]
        number = "0.000" if key == "pace_factor" else "General"
        cell_fmt = fmt.get(num_format=number, border=1)
        write_formula(sheet, cell.row, cell.col, formula, value, cell_fmt)
    write_text(sheet, ov.info["data_range"].row, 1, f"{start} – {end}" if start else "", fmt.text)
    stamp = ov.info["last_refreshed"]
    sheet.write_datetime(stamp.row, stamp.col, dt.datetime.now().replace(microsecond=0),
                         fmt.datetime)  # fmt: skip


@dataclass(frozen=True)
class KpiCells:
    """What a column writer needs for one KPI row of the table."""

    ctx: Context
    sheet: PlanSheet
    ov: OverviewLayout
    kpi: KPI
    row: JudgedRow
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
    def figures(self) -> Figures:
        return self.row.overview

    @property
    def sel(self) -> Selection:
        return selection(self.ctx.model)

    def like_for_like(self, other: str) -> bool:
        """Whether the latest period can be compared day for day with ``other``."""
        sel = self.sel
        return sel.partial and to_date_ok(self.ctx.model, self.kpi, ALL, sel, other)

    @property
    def start(self) -> str:
        """Where a stock starts the period: its previous close, or the level every period
        starts from; ``""`` for other kinds."""
        if self.kpi.starts_at is not None:
            return repr(self.kpi.starts_at)
        if self.kpi.kind == "stock":
            return f.kpi_formula(self.kpi, ALL, f.PREVIOUS_PERIOD, f.PRIOR_PERIOD)
        return '""'


def _kpi(c: KpiCells) -> None:
    c.text("kpi", c.kpi.name(c.ctx.lang))


def _unit(c: KpiCells) -> None:
    c.text("unit", c.ctx.t(f"unit_{c.kpi.unit}"))


def _actual(c: KpiCells) -> None:
    formula = f.kpi_formula(c.kpi, ALL, f.CURRENT_PERIOD, f.PREVIOUS_PERIOD)
    if c.kpi.kind == "change" and c.sel.partial:  # like for like, else projected
        option = (
            {"prev_table": TO_DATE_TABLE}
            if c.like_for_like(c.sel.previous)
            else {"factor_ref": f.PACE_FACTOR}
        )
        so_far = f.kpi_formula(c.kpi, ALL, f.CURRENT_PERIOD, f.PREVIOUS_PERIOD, **option)
        formula = f"IF({f.PARTIAL},{so_far},{formula})"
    c.write("actual", formula, c.figures.actual, c.number)


def _target(c: KpiCells) -> None:
    formula = f.target_lookup(c.ctx.layout.targets, c.kpi.id, ALL, f.CURRENT_PERIOD)
    c.write("target", formula, c.figures.target, c.number)


def _attainment(c: KpiCells) -> None:
    start = c.start if c.kpi.pace_kind == "stock" else None
    formula = helpers.judged_attainment_formula(
        c.kpi.pace_kind, c.ref("actual"), c.ref("target"), c.kpi.higher_is_better,
        pace=c.ref("pace"), start=start, share=f.SHARE,
    )  # fmt: skip
    c.write("attainment", formula, c.figures.attainment, c.ctx.fmt.percent)


def _status(c: KpiCells) -> None:
    early = f.too_early_formula(c.kpi, ALL, f.CURRENT_PERIOD, f.TOO_EARLY, f.PARTIAL)
    formula = helpers.judged_status_formula(
        c.ref("actual"), c.ref("target"), c.ref("attainment"), f.ON_TRACK, f.AT_RISK,
        c.ctx.lang, too_early=early, near=f.near(c.kpi),
    )  # fmt: skip
    c.write("status", formula, bands.status_label(c.figures.status, c.ctx.lang), c.ctx.fmt.text)


def _progress(c: KpiCells) -> None:
    actual, target = c.ref("actual"), c.ref("target")
    if c.kpi.kind in ("flow", "budget"):
        formula = f'IF(OR({actual}="",{target}="",{target}<=0),"",{actual}/{target})'
        c.write("progress", formula, c.figures.progress, c.ctx.fmt.percent)
    else:
        c.text("progress", "")


def _compared(c: KpiCells, other: str, other_prev: str, key: str) -> str:
    """The KPI in the same days of ``other`` (the previous period or last year's) when the
    data holds them, else in the whole of it."""
    whole = f.kpi_formula(c.kpi, ALL, other, other_prev)
    period = c.sel.previous if key == "previous" else c.sel.last_year
    if c.kpi.kind != "change" and c.like_for_like(period):
        same_days = f.kpi_formula(c.kpi, ALL, other, other_prev, table=TO_DATE_TABLE)
        return f"IF({f.PARTIAL},{same_days},{whole})"
    return whole


def _change_cell(c: KpiCells, key: str, against: str, value: float, projected: bool) -> None:
    current = c.ref("actual")
    formula = f.change_formula(c.kpi, current, c.ref(against))
    if projected:  # the earlier period is one total: the pace against it
        paced = f.change_formula(c.kpi, c.ref("pace"), c.ref(against))
        formula = f"IF({f.PARTIAL},{paced},{formula})"
    diff = helpers.change_is_difference(c.kpi)
    points = c.kpi.unit == "percent"
    number = c.ctx.fmt.get(num_format="+0.0%;-0.0%;0.0%", border=1)
    if diff and not points:
        number = c.number
    c.write(key, formula, value, number)
    _color_by_direction(c, key)


def _color_by_direction(c: KpiCells, key: str) -> None:
    """Green when the change is good for this KPI (up for higher-is-better), red when bad."""
    cell = c.ref(key)
    good, bad = (">", "<") if c.kpi.higher_is_better and not c.kpi.near_target else ("<", ">")
    if c.kpi.near_target:
        return  # a budget is good near its target, not in one direction
    for sign, code in ((good, "on_track"), (bad, "off_track")):
        _, fg = STATUS_COLORS[code]
        c.sheet.conditional_format(
            c.at, c.ov.col(key), c.at, c.ov.col(key),
            {"type": "formula", "criteria": f"=AND(ISNUMBER({cell}),{cell}{sign}0)",
             "format": c.ctx.fmt.get(font_color=fg)},
        )  # fmt: skip


def _previous(c: KpiCells) -> None:
    formula = _compared(c, f.PREVIOUS_PERIOD, f.PRIOR_PERIOD, "previous")
    c.write("previous", formula, c.figures.previous, c.number)


def _change(c: KpiCells) -> None:
    projected = c.sel.partial and c.figures.projected
    _change_cell(c, "change", "previous", c.figures.change, projected)


def _last_year(c: KpiCells) -> None:
    formula = _compared(c, f.LAST_YEAR_PERIOD, f.LAST_YEAR_PRIOR, "last_year")
    c.write("last_year", formula, c.figures.last_year, c.number)


def _vs_last_year(c: KpiCells) -> None:
    projected = c.sel.partial and c.figures.projected_last_year
    _change_cell(c, "vs_last_year", "last_year", c.figures.vs_last_year, projected)


def _pace(c: KpiCells) -> None:
    start = c.start
    formula = f.pace_of(c.kpi, c.ref("actual"), f.PACE_FACTOR, start, f.SHARE, f.PARTIAL)
    c.write("pace", formula, c.figures.pace, c.number)


def _ytd_actual(c: KpiCells) -> None:
    kind = c.kpi.kind
    if kind == "change" or (kind != "stock" and c.kpi.expression.previous):
        c.text("ytd_actual", "")  # a year of churn over one month's base means nothing
        return
    if kind == "stock":
        formula = f'IF({c.ref("actual")}="","",{c.ref("actual")})'
    else:
        span = (f.YEAR_FIRST_NO, f.CURRENT_NO)
        formula = f.kpi_formula(c.kpi, ALL, span, f.PREVIOUS_PERIOD)
    c.write("ytd_actual", formula, c.figures.ytd_actual, c.number)


def _ytd_target(c: KpiCells) -> None:
    if c.kpi.kind == "change":
        c.text("ytd_target", "")
        return
    row = f.target_row(c.ctx.layout.targets, c.kpi.id, ALL)
    numbers = c.ctx.layout.targets.numbers.ref
    upto = f'{numbers},"<="&{f.CURRENT_NO}'
    known = f'COUNTIFS({row},">-1E+300",{upto})'  # the numbers among them
    if c.kpi.kind == "stock":
        formula = f'IF({c.ref("target")}="","",{c.ref("target")})'
    elif c.kpi.kind == "ratio":
        formula = f'IFERROR(IF({known}=0,"",SUMIFS({row},{upto})/{known}),"")'
    else:
        complete = f"{known}=COUNTIFS({upto})"
        before = f'SUMIFS({row},{numbers},"<"&{f.CURRENT_NO})'
        formula = (
            f'IFERROR(IF(AND({complete},{c.ref("target")}<>""),'
            f'{before}+{c.ref("target")}*{f.SHARE},""),"")'
        )
    c.write("ytd_target", formula, c.figures.ytd_target, c.number)


def _fy_target(c: KpiCells) -> None:
    if c.kpi.kind == "change":
        c.text("fy_target", "")
        return
    row = f.target_row(c.ctx.layout.targets, c.kpi.id, ALL)
    if c.kpi.kind == "stock":
        formula = f'IFERROR(IF(INDEX({row},COLUMNS({row}))="","",INDEX({row},COLUMNS({row}))),"")'
    elif c.kpi.kind == "ratio":
        formula = f'IFERROR(IF(COUNT({row})=0,"",AVERAGE({row})),"")'
    else:
        formula = f'IFERROR(IF(COUNT({row})<COLUMNS({row}),"",SUM({row})),"")'
    c.write("fy_target", formula, c.figures.fy_target, c.number)


def _trend(c: KpiCells) -> None:
    """The monthly values (right of the table) and their sparkline."""
    model, ov = c.ctx.model, c.ov
    line = model.row(c.kpi.id, ALL)
    for j, period in enumerate(model.periods):
        col = ov.trend_first_col + j
        period_ref = a1(ov.header_row, col, row_abs=True)
        prev_ref = f'"{cal.previous(period, model.spec.grain)}"'
        write_formula(
            c.sheet, c.at, col, f.kpi_formula(c.kpi, ALL, period_ref, prev_ref),
            line.actual[j], c.number,
        )  # fmt: skip
    last = ov.trend_first_col + len(model.periods) - 1
    first_cell = sheet_ref(ov.sheet, c.at, ov.trend_first_col, absolute=False)
    c.sheet.add_sparkline(
        c.at, ov.col("trend"),
        {"range": f"{first_cell}:{a1(c.at, last)}",
         "markers": True, "high_point": True, "series_color": "#1F4E78"},
    )  # fmt: skip


def _data_note(c: KpiCells) -> None:
    c.text("data_note", c.ctx.data_note(c.kpi, ALL, overview=True))


COLUMN_WRITERS: dict[str, Callable[[KpiCells], None]] = {
    "kpi": _kpi,
    "unit": _unit,
    "actual": _actual,
    "target": _target,
    "attainment": _attainment,
    "status": _status,
    "progress": _progress,
    "previous": _previous,
    "change": _change,
    "last_year": _last_year,
    "vs_last_year": _vs_last_year,
    "pace": _pace,
    "ytd_actual": _ytd_actual,
    "ytd_target": _ytd_target,
    "fy_target": _fy_target,
    "trend": _trend,
    "data_note": _data_note,
}


def write_overview(ctx: Context) -> None:
    sheet = ctx.sheet("overview")
    model, fmt, ov = ctx.model, ctx.fmt, ctx.layout.overview
    write_text(sheet, ov.title.row, ov.title.col, plan_title(ctx), fmt.title)
    _info(ctx, sheet, ov)
    for col, key in enumerate(ov.columns):
        write_text(sheet, ov.header_row, col, ctx.t(COLUMN_LABELS.get(key, key)), fmt.header)
    for j, period in enumerate(model.periods):
        write_text(sheet, ov.header_row, ov.trend_first_col + j, period, fmt.header)
    for kpi_id, row in ov.kpi_rows.items():
        cells = KpiCells(ctx, sheet, ov, get(kpi_id), judged(model, kpi_id, ALL), row)
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
    """Fills on attainment and status, from each row's status."""
    _status_fills(ctx, sheet, first, last, ov.col("attainment"), ov.col("status"))


def _status_fills(
    ctx: Context, sheet: PlanSheet, first: int, last: int, att_col: int, status_col: int
) -> None:
    """Rows ``first``..``last``: the attainment and status cells filled in the colors of
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
        counts = status_counts(model, channel, model.current)
        for k, code in enumerate(bands.STATUSES):
            cell = at(code)
            write_formula(
                sheet, cell.row, cell.col, pick(layout.count_row + k), counts[code],
                fmt.get(border=1, num_format="0"),
            )  # fmt: skip
        headline = get(model.spec.channels[channel][0])
        line = judged(model, headline.id, channel)
        number = fmt.unit(headline.unit, ratio=headline.is_ratio)
        cell = at("kpi")
        write_text(sheet, cell.row, cell.col, headline.name(lang), fmt.text)
        rows = layout.rows[headline.id]
        i = model.current_index
        for key, source_row, value in (
            ("actual", rows.actual, line.actual[i]),
            ("target", rows.target, line.target[i]),
            ("attainment", rows.attainment, line.attainment[i]),
            ("status", rows.status, bands.status_label(line.status[i], lang)),
        ):
            if key not in ov.channel_columns:
                continue
            cell = at(key)
            cell_fmt = {"attainment": fmt.percent, "status": fmt.text}.get(key, number)
            write_formula(sheet, cell.row, cell.col, pick(source_row), value, cell_fmt)
    if ov.channel_rows and "status" in ov.channel_columns:
        first, last = min(ov.channel_rows.values()), max(ov.channel_rows.values())
        _status_fills(ctx, sheet, first, last, ov.channel_columns.index("attainment"),
                      ov.channel_columns.index("status"))  # fmt: skip


def _pick(layout: ChannelLayout, match: str, row: int) -> str:
    """The current period's cell of a channel sheet's row (INDEX/MATCH on its header)."""
    first = sheet_ref(layout.sheet, row, layout.first_col)
    last = a1(row, layout.last_col, row_abs=True, col_abs=True)
    return f'IFERROR(INDEX({first}:{last},{match}),"")'


def _at(ov: OverviewLayout, row: int, key: str) -> Cell:
    return Cell(ov.sheet, row, ov.channel_columns.index(key))


def _finish(ctx: Context, sheet: PlanSheet, ov: OverviewLayout) -> None:
    widths = {"kpi": 36, "unit": 24, "status": 20, "trend": 16, "data_note": 48}
    widths.update(dict.fromkeys(("previous", "last_year", "ytd_target", "fy_target"), 14))
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
