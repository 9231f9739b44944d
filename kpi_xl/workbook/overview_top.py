"""The top of the Overview, what a manager reads in five seconds: the plan's title, the
period shown and how far through it the data goes, the period selector, a one-sentence
verdict and a card per headline KPI; and, at the bottom, "About this plan".

Everything is a formula with its value stored, reading the KPI table below (a card's
figures are the table's cells), so the selector drives it too.
"""

from __future__ import annotations

import datetime as dt
import math

from kpi_xl.catalog import status_bands as bands
from kpi_xl.catalog.records import KPI, get, has_label
from kpi_xl.catalog.units import number_format
from kpi_xl.plan.judgement import JudgedRow, judged, selection
from kpi_xl.plan.layout import CARD_ROWS, Cell, OverviewLayout
from kpi_xl.plan.model import ALL
from kpi_xl.spreadsheet import a1
from kpi_xl.style import HEADER_FILL, STATUS_COLORS
from kpi_xl.workbook import formulas as f
from kpi_xl.workbook.context import Context
from kpi_xl.workbook.text_fit import column_px, height_for, width_for
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
CARD_FILL = "#F3F6FA"


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


def overview_widths(ctx: Context, ov: OverviewLayout) -> dict[int, float]:
    """The width of each column of the KPI table (the cards and the channel block sit in
    the same columns): the KPI column fits the longest name, label or channel in it."""
    widths: dict[str, float] = {"kpi": 30, "status": 17, "unit": 14, "trend": 16, "data_note": 48}
    widths.update(dict.fromkeys(("previous", "last_year", "ytd_target", "fy_target"), 13))
    model = ctx.model
    first = [get(k).name(ctx.lang) for k in model.spec.overall]
    first += [ctx.channel_label(c) for c in model.spec.channels]
    labels = [ctx.t(INFO_LABELS[k]) for k in ov.info if k != "selected"]
    labels += [ctx.t("headline_kpis"), ctx.t("selected")]
    fitted = max(width_for(first), width_for(labels, bold=True))
    widths["kpi"] = min(max(widths["kpi"], fitted), 48)
    return {col: float(widths.get(key, 13)) for col, key in enumerate(ov.columns)}


def write_top(ctx: Context, sheet: PlanSheet, ov: OverviewLayout) -> None:
    fmt = ctx.fmt
    width = max(1 + ov.card_width * len(ov.cards), 7)  # through the last card
    sheet.merge_range(ov.title.row, 0, ov.title.row, width - 1, plan_title(ctx), fmt.get(
        bold=True, font_size=18, font_color=HEADER_FILL))  # fmt: skip
    sheet.set_row(ov.title.row, 30)
    _subtitle(ctx, sheet, ov, width)
    _selector(ctx, sheet, ov)
    _verdict(ctx, sheet, ov, width)
    if ov.cards:
        cards_row = min(c.row for c in ov.cards.values())
        write_text(sheet, cards_row, 0, ctx.t("headline_kpis"), fmt.get(
            bold=True, font_color="#595959", valign="top"))  # fmt: skip
        for kpi_id, cell in ov.cards.items():
            _card(ctx, sheet, ov, get(kpi_id), judged(ctx.model, kpi_id, ALL), cell)
        sheet.set_row(cards_row + CARD_ROWS.index("actual"), 30)
        widths = overview_widths(ctx, ov)
        card_px = min(
            sum(column_px(widths[c]) for c in range(cell.col, cell.col + ov.card_width))
            for cell in ov.cards.values()
        )
        names = [get(k).name(ctx.lang) for k in ov.cards]
        sheet.set_row(cards_row + CARD_ROWS.index("name"), height_for(names, card_px, bold=True))


def _subtitle(ctx: Context, sheet: PlanSheet, ov: OverviewLayout, width: int) -> None:
    """ "October 2026 · day 20 of 31": the period shown, how far the data goes in it."""
    if ov.subtitle is None:
        return
    sel = selection(ctx.model)
    name = f.period_lookup("label", f.CURRENT_PERIOD)
    texts = {k: ctx.t(f"subtitle_{k}") for k in ("partial", "complete", "future")}
    digits = ctx.model.spec.digits
    values = {
        "period": name,
        "day": f.digits_text(f.DAYS_ELAPSED, digits),
        "days": f.digits_text(f.DAYS_IN_PERIOD, digits),
    }
    formula = (
        f"IF({f.DAYS_ELAPSED}=0,{f.text_template(texts['future'], values)},"
        f"IF({f.DAYS_ELAPSED}<{f.DAYS_IN_PERIOD},{f.text_template(texts['partial'], values)},"
        f"{f.text_template(texts['complete'], values)}))"
    )
    state = "future" if sel.elapsed == 0 else "partial" if sel.partial else "complete"
    shown = ctx.digits(
        texts[state].format(period="{period}", day=sel.elapsed, days=sel.total)
    ).replace("{period}", ctx.period_label(sel.period))
    cell = ov.subtitle
    subtitle_fmt = ctx.fmt.get(font_size=12, font_color="#404040")
    sheet.merge_range(cell.row, cell.col, cell.row, width - 1, "", subtitle_fmt)
    write_formula(sheet, cell.row, cell.col, formula, shown, subtitle_fmt)


def _selector(ctx: Context, sheet: PlanSheet, ov: OverviewLayout) -> None:
    fmt = ctx.fmt
    selected = ov.info["selected"]
    write_text(sheet, selected.row, selected.col - 1, ctx.t("selected"), fmt.label)
    write_text(sheet, selected.row, selected.col, ctx.selected or ctx.t("selector_latest"),
               fmt.input(bold=True))  # fmt: skip
    choices = ctx.layout.choices
    sheet.data_validation(
        selected.row, selected.col, selected.row, selected.col,
        {"validate": "list", "source": "=" + choices.ref,
         "input_title": ctx.t("selected")[:32], "input_message": ctx.t("selector_help")[:255]},
    )  # fmt: skip


def _verdict(ctx: Context, sheet: PlanSheet, ov: OverviewLayout, width: int) -> None:
    """ "5 of 7 KPIs on track · 2 at risk · 0 off track", counted on the table's statuses."""
    if ov.verdict is None or not ov.kpi_rows:
        return
    col = ov.col("status")
    rows = list(ov.kpi_rows.values())
    statuses = f"{a1(min(rows), col, row_abs=True, col_abs=True)}:" + a1(
        max(rows), col, row_abs=True, col_abs=True
    )
    lang = ctx.lang

    digits = ctx.model.spec.digits

    def count(code: str) -> str:
        return f.digits_text(f'COUNTIF({statuses},"{bands.status_label(code, lang)}")', digits)

    values = {"on": count("on_track"), "risk": count("at_risk"), "off": count("off_track"),
              "total": f.digits_text(f"ROWS({statuses})", digits)}  # fmt: skip
    text = ctx.t("verdict")
    codes = [judged(ctx.model, k, ALL).overview.status for k in ov.kpi_rows]
    shown = ctx.digits(text.format(
        on=codes.count("on_track"), risk=codes.count("at_risk"), off=codes.count("off_track"),
        total=len(codes),
    ))  # fmt: skip
    cell = ov.verdict
    verdict_fmt = ctx.fmt.get(bold=True, font_size=14, font_color="#262626")
    sheet.merge_range(cell.row, cell.col, cell.row, width - 1, "", verdict_fmt)
    write_formula(sheet, cell.row, cell.col, f.text_template(text, values), shown, verdict_fmt)
    sheet.set_row(cell.row, 24)


def _card(
    ctx: Context, sheet: PlanSheet, ov: OverviewLayout, kpi: KPI, line: JudgedRow, at: Cell
) -> None:
    """One headline KPI: its name, the figure in large type, the target, the pace (flows,
    budgets, stocks) or the change (others), and the status word and symbol."""
    model, fmt = ctx.model, ctx.fmt
    row_of = {key: at.row + i for i, key in enumerate(CARD_ROWS)}
    first, last = at.col, at.col + ov.card_width - 1
    unit = number_format(kpi.unit, model.spec.currency, kpi.is_ratio, ctx.lang)
    figures = line.overview
    base = {"bg_color": CARD_FILL, "left": 1, "right": 1, "border_color": "#BFBFBF",
            "align": "center"}  # fmt: skip

    def put(key: str, formula: str | None, value: object, **props: object) -> None:
        cell_fmt = fmt.get(**{**base, **props})
        r = row_of[key]
        sheet.merge_range(r, first, r, last, "", cell_fmt)
        if formula is None:
            write_text(sheet, r, first, str(value), cell_fmt)
        else:
            write_formula(sheet, r, first, formula, value, cell_fmt)

    def pair(key: str, words: str, formula: str, value: object, number: str) -> None:
        """A label and its figure side by side (not one number format with the words in
        it: LibreOffice garbles right-to-left words before Persian digits)."""
        r, side = row_of[key], {**base, "font_color": "#404040"}
        write_text(sheet, r, first, words, fmt.get(**{**side, "right": 0, "align": "left"}))
        write_formula(sheet, r, last, formula, value, fmt.get(
            **{**side, "left": 0, "align": "right", "num_format": number}))  # fmt: skip

    def table(key: str) -> str:
        return a1(ov.kpi_rows[kpi.id], ov.col(key))

    def shown(value: float) -> object:
        return "" if math.isnan(value) else value

    put("name", None, kpi.name(ctx.lang), bold=True, font_color="#404040", top=1,
        text_wrap=True)  # fmt: skip
    put("actual", f'IF({table("actual")}="","",{table("actual")})', shown(figures.actual),
        num_format=unit, font_size=18, bold=True, font_color=HEADER_FILL)  # fmt: skip
    pair("target", ctx.t("target"), f'IF({table("target")}="","",{table("target")})',
         shown(figures.target), unit)  # fmt: skip
    if kpi.pace_kind in ("flow", "budget", "stock"):
        pair("detail", ctx.t("pace_short"), f'IF({table("pace")}="","",{table("pace")})',
             shown(figures.pace), unit)  # fmt: skip
    else:
        number = f.difference_number_format(kpi, model.spec.currency, ctx.lang)
        change = f.shown_difference(kpi, figures.change)
        pair("detail", ctx.t("change_short"), f'IF({table("change")}="","",{table("change")})',
             shown(change), number)  # fmt: skip
    status = bands.status_label(figures.status, ctx.lang)
    put("status", f'IF({table("status")}="","",{table("status")})', status, bold=True,
        bottom=1, font_color="#262626")  # fmt: skip
    r = row_of["status"]
    for code in bands.STATUSES:
        bg, fg = STATUS_COLORS[code]
        text = bands.status_label(code, ctx.lang).replace('"', '""')
        sheet.conditional_format(r, first, r, last, {
            "type": "formula", "criteria": f'={a1(r, first)}="{text}"',
            "format": fmt.get(bg_color=bg, font_color=fg)})  # fmt: skip


def write_about(ctx: Context, sheet: PlanSheet, ov: OverviewLayout) -> None:
    """ "About this plan": the plan, the period shown and the one before, the data range,
    the last refresh, and how far the data goes (the cells the formulas read)."""
    model, fmt = ctx.model, ctx.fmt
    sel = selection(model)
    if ov.about_row >= 0:
        write_text(sheet, ov.about_row, 0, ctx.t("about_plan"), fmt.get(
            bold=True, font_size=12, font_color=HEADER_FILL))  # fmt: skip
    start = model.data_start.date().isoformat() if model.data_start is not None else ""
    end = model.data_end.date().isoformat() if model.data_end is not None else ""
    for key, cell in ov.info.items():
        if key != "selected":
            write_text(sheet, cell.row, cell.col - 1, ctx.t(INFO_LABELS[key]), fmt.label)
    name = ov.info["plan_name"]
    sheet.merge_range(name.row, name.col, name.row, name.col + 2, "", fmt.text)
    write_text(sheet, name.row, name.col, plan_title(ctx), fmt.text)
    latest, complete = (f'"{ctx.t(k)}"' for k in ("selector_latest", "selector_last_complete"))
    chosen = ov.info["selected"].a1
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
        write_formula(sheet, cell.row, cell.col, formula, value,
                      fmt.get(num_format=number, border=1))  # fmt: skip
    data_range = ov.info["data_range"]
    sheet.merge_range(data_range.row, data_range.col, data_range.row, data_range.col + 2, "",
                      fmt.text)  # fmt: skip
    write_text(sheet, data_range.row, data_range.col, f"{start} – {end}" if start else "",
               fmt.text)  # fmt: skip
    stamp = ov.info["last_refreshed"]
    sheet.write_datetime(stamp.row, stamp.col, dt.datetime.now().replace(microsecond=0),
                         fmt.datetime)  # fmt: skip
