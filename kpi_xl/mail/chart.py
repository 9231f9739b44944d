"""The inline chart: actual vs target of every overall KPI, one small panel per KPI.

KPIs have different units (revenue, a rate, a count), so each KPI gets its own panel and
scale: the actual bar in its status colors (as on the workbook), the target bar in grey,
both labelled in the workbook's number format. The panels stack in :data:`COLUMNS`
column(s), as many rows as the KPIs need (none is left out), drawn for a phone: the image
is shown at most :data:`kpi_xl.mail.body.CHART_WIDTH` px wide. The text is in the
message's font (:data:`kpi_xl.mail.look.FONT_FAMILY`). Rendered with matplotlib's Agg
backend (no display, no pyplot global state); right-to-left languages mirror the panels.
"""

from __future__ import annotations

import io
import math
import textwrap
from typing import Any

from kpi_xl.catalog import RTL_LANGUAGES, label
from kpi_xl.extras import require
from kpi_xl.mail.look import FONT_FAMILY
from kpi_xl.mail.summary import KpiLine, PlanSummary
from kpi_xl.mail.values import MISSING, format_value
from kpi_xl.style import HEADER_FILL, STATUS_COLORS

COLUMNS = 1
WIDTH_IN = 3.6  # 540 px at DPI: sharp at the 400 px the HTML shows it at, legible at 360
PANEL_IN = 0.78
DPI = 150
TARGET_COLORS = ("#D9D9D9", "#7F7F7F")
TEXT = "#404040"
TITLE_CHARS = 38
TITLE_SHIFT = 0.22  # axes fraction


def headline(summary: PlanSummary) -> list[KpiLine]:
    """The KPIs charted: every overall KPI of the Overview, in its order."""
    return list(summary.kpis)


def _shapes_text() -> bool:
    """Whether this matplotlib shapes complex scripts (libraqm, matplotlib 3.11+)."""
    from matplotlib import ft2font

    return hasattr(ft2font, "__libraqm_version__")


def _panel(ax: Any, line: KpiLine, summary: PlanSummary, lang: str, rtl: bool) -> None:
    values = [line.actual, line.target]
    bg, fg = STATUS_COLORS[line.status]
    texts = [
        format_value(v, line.unit, summary.currency, ratio=line.ratio, lang=lang) for v in values
    ]
    shown = [0.0 if math.isnan(v) else v for v in values]
    ax.barh([1, 0], shown, height=0.62, color=[bg, TARGET_COLORS[0]],
            edgecolor=[fg, TARGET_COLORS[1]], linewidth=1.0)  # fmt: skip
    low, high = min(0.0, *shown), max(0.0, *shown)
    span = (high - low) or 1.0
    pad = 0.8 * span  # room for the value labels beside the bars
    ax.set_xlim(low - (pad if low < 0 else 0.02 * span), high + (pad if high > 0 else 0.02 * span))
    for y, value, text in zip((1, 0), shown, texts, strict=True):
        outside = span * 0.03 * (1 if value >= 0 else -1)
        ha = "left" if value >= 0 else "right"
        if rtl:  # the x axis is mirrored below, so the label's anchor flips
            ha = "right" if ha == "left" else "left"
        color = fg if y == 1 else TEXT
        ax.text(value + outside, y, text if text != MISSING else MISSING, va="center", ha=ha,
                fontsize=9.5, color=color, fontweight="bold" if y == 1 else "normal")  # fmt: skip
    ax.axvline(0, color="#A6A6A6", linewidth=0.8)
    ax.set_yticks([1, 0], [label("actual", lang), label("target", lang)], fontsize=8.5, color=TEXT)
    ax.set_xticks([])
    ax.tick_params(axis="y", length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_ylim(-0.6, 1.6)
    if rtl:
        ax.invert_xaxis()
        ax.yaxis.tick_right()
    # the title starts above the tick labels, not above the bars: more room for long names
    ax.set_title(textwrap.fill(line.name(lang), TITLE_CHARS), loc="right" if rtl else "left",
                 x=1.0 + TITLE_SHIFT if rtl else -TITLE_SHIFT, fontsize=10.5, color=HEADER_FILL,
                 fontweight="bold", linespacing=1.1)  # fmt: skip


def render_chart(summary: PlanSummary, lang: str) -> bytes:
    """The chart as PNG bytes."""
    matplotlib = require("matplotlib", "mail", "the e-mail's chart")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    lines = headline(summary)
    rtl = lang in RTL_LANGUAGES
    chart_lang = lang if not rtl or _shapes_text() else "en"  # unshaped Persian is unreadable
    rows = max(1, math.ceil(len(lines) / COLUMNS))
    params: Any = {"font.family": [FONT_FAMILY], "svg.hashsalt": "kpi_xl"}
    if "text.language" in matplotlib.rcParams:
        params["text.language"] = chart_lang
    with matplotlib.rc_context(params):
        fig = Figure(figsize=(WIDTH_IN, PANEL_IN * rows + 0.15), dpi=DPI, facecolor="white")
        FigureCanvasAgg(fig)
        axes = fig.subplots(rows, COLUMNS, squeeze=False)
        for i in range(rows * COLUMNS):
            # right-to-left: the first KPI goes in the right-hand column
            col = (COLUMNS - 1 - i % COLUMNS) if rtl else i % COLUMNS
            ax = axes[i // COLUMNS][col]
            if i < len(lines):
                _panel(ax, lines[i], summary, chart_lang, rtl)
            else:
                ax.set_visible(False)
        fig.subplots_adjust(left=0.1, right=0.9, top=0.92, bottom=0.04, wspace=0.5, hspace=0.9)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None},
                    bbox_inches="tight", pad_inches=0.08)  # fmt: skip
    return buffer.getvalue()
