"""The Overview sheet: the overall plan's KPIs for the current period and channel status.

Every position comes from :class:`~kpi_xl.plan.layout.OverviewLayout`; each KPI table
column is written by the writer registered for its key in :data:`COLUMN_WRITERS`, so the
table follows the layout's column order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kpi_xl import periods as cal
from kpi_xl.catalog import helpers
from kpi_xl.catalog import status_bands as bands
from kpi_xl.catalog.records import KPI, get
from kpi_xl.plan.judgement import (
    Figures,
    JudgedRow,
    Selection,
    judged,
    selection,
    to_date_ok,
)
from kpi_xl.plan.layout import TO_DATE_TABLE, OverviewLayout
from kpi_xl.plan.model import ALL
from kpi_xl.spreadsheet import a1, sheet_ref
from kpi_xl.style import STATUS_COLORS
from kpi_xl.workbook import formulas as f
from kpi_xl.workbook.context import Context
from kpi_xl.workbook.layout import print_setup, protect
from kpi_xl.workbook.overview_channels import status_fills, write_channels
from kpi_xl.workbook.overview_top import overview_widths, write_about, write_top
from kpi_xl.workbook.text_fit import column_px, height_for
from kpi_xl.workbook.xlsx import PlanSheet, write_formula, write_text

#: The header label of each KPI table column (its key when not listed).
COLUMN_LABELS = {
    "gap": "gap",
    "previous": "previous_same_days",
    "change": "change_same_days",
    "last_year": "last_year_same_days",
}


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
    def difference(self) -> object:
        """The format of a change or a gap: signed; percentage points for rates, a
        percentage for relative changes of levels, the KPI's unit for a gap of a level."""
        return difference_format(self.ctx, self.kpi)

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


def difference_format(ctx: Context, kpi: KPI, *, relative: bool = True) -> object:
    """The cell format of a change (``relative``) or a gap: :func:`formulas.
    difference_number_format`."""
    number = f.difference_number_format(kpi, ctx.model.spec.currency, ctx.lang,
                                        relative=relative)  # fmt: skip
    return ctx.fmt.get(num_format=number, border=1)


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
    c.write(key, formula, f.shown_difference(c.kpi, value), c.difference)
    _color_by_direction(c, key)


def _gap(c: KpiCells) -> None:
    """The judged figure minus its goal (:func:`kpi_xl.plan.judgement._gap`)."""
    actual, target, kind = c.ref("actual"), c.ref("target"), c.kpi.pace_kind
    basis = c.ref("pace") if kind in ("flow", "budget") else actual
    goal = target
    if kind == "stock" and c.start != '""':
        start = c.start
        goal = f'IF(AND({f.PARTIAL},{start}<>""),{start}+({target}-{start})*{f.SHARE},{target})'
    scale = "*100" if f.in_points(c.kpi) else ""
    formula = f'IF(OR({basis}="",{target}=""),"",({basis}-{goal}){scale})'
    number = difference_format(c.ctx, c.kpi, relative=False)
    c.write("gap", formula, f.shown_difference(c.kpi, c.figures.gap), number)
    _color_by_direction(c, "gap")


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
        period_ref = f'"{period}"'  # the header shows the period's name, not its key
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
         "markers": True, "high_point": True, "series_color": "#1F4E78",
         "reverse": c.ctx.rtl},
    )  # fmt: skip


def _data_note(c: KpiCells) -> None:
    """The note, wrapped in its column; the row grows to show it whole."""
    note = c.ctx.data_note(c.kpi, ALL, overview=True)
    col = c.ov.col("data_note")
    write_text(c.sheet, c.at, col, note, c.ctx.fmt.get(border=1, text_wrap=True))
    if note:
        room = column_px(overview_widths(c.ctx, c.ov)[col])
        c.sheet.set_row(c.at, height_for([note], room))


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
    "gap": _gap,
    "ytd_actual": _ytd_actual,
    "ytd_target": _ytd_target,
    "fy_target": _fy_target,
    "trend": _trend,
    "data_note": _data_note,
}


def write_overview(ctx: Context) -> None:
    sheet = ctx.sheet("overview")
    model, fmt, ov = ctx.model, ctx.fmt, ctx.layout.overview
    for col, key in enumerate(ov.columns):
        write_text(sheet, ov.header_row, col, ctx.t(COLUMN_LABELS.get(key, key)), fmt.header)
    for j, period in enumerate(model.periods):
        write_text(sheet, ov.header_row, ov.trend_first_col + j, ctx.period_label(period),
                   fmt.header)  # fmt: skip
    for kpi_id, row in ov.kpi_rows.items():
        cells = KpiCells(ctx, sheet, ov, get(kpi_id), judged(model, kpi_id, ALL), row)
        for key in ov.columns:
            COLUMN_WRITERS[key](cells)
    rows = list(ov.kpi_rows.values())
    if rows:
        status_fills(ctx, sheet, min(rows), max(rows), ov.col("attainment"), ov.col("status"))
    write_top(ctx, sheet, ov)
    write_channels(ctx, sheet, ov)
    write_about(ctx, sheet, ov)
    _finish(ctx, sheet, ov)


def _finish(ctx: Context, sheet: PlanSheet, ov: OverviewLayout) -> None:
    widths = overview_widths(ctx, ov)
    for col, width in widths.items():
        sheet.set_column(col, col, width)
    headers = [
        height_for([ctx.t(COLUMN_LABELS.get(key, key))], column_px(widths[col]), bold=True)
        for col, key in enumerate(ov.columns)
    ]
    sheet.set_row(ov.header_row, max([30.0, *headers]))
    sheet.set_column(ov.trend_first_col - 1, ov.trend_first_col - 1, 2)
    sheet.set_column(ov.trend_first_col, ov.trend_first_col + len(ctx.model.periods), 10)
    sheet.freeze_panes(0, 1)  # the KPI names stay; every row scrolls
    print_setup(sheet, None, report=True)
    sheet.print_area(0, 0, ov.last_row, len(ov.columns) - 1)
    protect(sheet)
    sheet.activate()
    sheet.set_first_sheet()
