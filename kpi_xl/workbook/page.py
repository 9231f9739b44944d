"""What every sheet carries besides its cells: the tab colour (inputs, reports, reference)
and, on paper, a header and a footer naming the plan, the period, the sheet and the page.

The tables meant for pivots and formulas (Data, Plan data) would print as dozens of pages
of numbers: their print area is their first line, which says so.
"""

from __future__ import annotations

from kpi_xl.plan.layout import META_SHEET
from kpi_xl.style import HEADER_FILL, INPUT_BORDER
from kpi_xl.workbook.context import Context

#: Tab colours: what the reader types into, what they read, what formulas read.
TAB_COLORS = {"input": INPUT_BORDER, "report": HEADER_FILL, "reference": "#A6A6A6"}
INPUT_SHEETS = ("targets", "settings")
REFERENCE_SHEETS = ("data", "plan_data", "definitions")
NOT_PRINTED = ("data", "plan_data")


def _escape(text: str) -> str:
    """Text for a header or footer: ``&`` starts a code there."""
    return text.replace("&", "&&")


def page_furniture(ctx: Context, title: str) -> None:
    """Tab colours, headers and footers on every generated sheet (not ``_meta``)."""
    period = ctx.period_label(ctx.model.current)
    page = _escape(ctx.t("page_of")).replace("{page}", "&P").replace("{pages}", "&N")
    header = f"&L{_escape(title)}&C&A&R{_escape(period)}"  # &A: the sheet's name
    footer = f"&L{_escape(ctx.t('printed'))} &D&R{page}"
    for role, sheet in ctx.sheets.items():
        if role == META_SHEET:
            continue
        kind = "input" if role in INPUT_SHEETS else (
            "reference" if role in REFERENCE_SHEETS else "report")  # fmt: skip
        sheet.set_tab_color(TAB_COLORS[kind])
        sheet.set_header(header, {"margin": 0.2})
        sheet.set_footer(footer, {"margin": 0.2})
        if role in NOT_PRINTED:
            sheet.print_area(0, 0, 0, 7)  # the sheet's title line: what it is for
