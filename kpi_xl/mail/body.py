"""The message body: an HTML summary (status table, workbook colors) and a text twin.

E-mail clients ignore style sheets and most CSS, so the HTML is plain tables with inline
styles. Every text from the workbook or the catalog is escaped. Right-to-left languages
get ``dir="rtl"`` with mirrored alignment; numbers sit in left-to-right spans so a minus
sign or a currency symbol stays where the workbook shows it.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from kpi_xl.catalog import RTL_LANGUAGES, STATUSES, label, status_label
from kpi_xl.mail.summary import ChannelLine, KpiLine, PlanSummary
from kpi_xl.mail.values import format_attainment, format_value
from kpi_xl.style import HEADER_FILL, STATUS_COLORS

FONT = "'Segoe UI',Tahoma,Arial,Helvetica,sans-serif"
BORDER = "#D9D9D9"
MUTED = "#595959"
WIDTH = 640
CHART_WIDTH = 600
NOWRAP = "white-space:nowrap;"
LRI, PDI = "\u2066", "\u2069"  # isolate numbers in right-to-left plain text
#: Statuses a channel line shows only when some KPI has them.
QUIET = ("too_early", "no_target", "no_data")


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _number(text: str) -> str:
    return f'<span dir="ltr">{_e(text)}</span>'


class _Html:
    """Cells and tables in one text direction."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.rtl = lang in RTL_LANGUAGES
        self.start = "right" if self.rtl else "left"
        self.end = "left" if self.rtl else "right"

    def cell(self, content: str, *, align: str, style: str = "", header: bool = False) -> str:
        tag = "th" if header else "td"
        base = f"padding:6px 8px;border:1px solid {BORDER};text-align:{align};"
        if header:
            base += f"background:{HEADER_FILL};color:#FFFFFF;font-weight:bold;font-size:12px;"
        return f'<{tag} align="{align}" style="{base}{style}">{content}</{tag}>'

    def status_cell(self, content: str, code: str, *, align: str) -> str:
        bg, fg = STATUS_COLORS[code]
        return self.cell(content, align=align, style=f"background:{bg};color:{fg};{NOWRAP}")

    def table(self, heads: Sequence[tuple[str, str]], rows: Sequence[str]) -> str:
        head = "".join(self.cell(_e(text), align=align, header=True) for text, align in heads)
        body = "".join(f"<tr>{row}</tr>" for row in rows)
        return (
            f'<table role="presentation" width="100%" cellspacing="0" cellpadding="0" '
            f'dir="{"rtl" if self.rtl else "ltr"}" style="border-collapse:collapse;'
            f'font-size:13px;font-family:{FONT};">'
            f"<tr>{head}</tr>{body}</table>"
        )

    def heading(self, text: str) -> str:
        return (
            f'<h2 style="margin:22px 0 8px;font-size:15px;color:{HEADER_FILL};'
            f'text-align:{self.start};">{_e(text)}</h2>'
        )


def period_text(summary: PlanSummary, lang: str) -> str:
    """The period reported, and how far through it the data goes when it is partial."""
    if not summary.partial:
        return summary.period
    return label("email_period_partial", lang).format(
        period=summary.period, day=int(summary.days_elapsed), days=int(summary.days_in_period)
    )


def on_pace(summary: PlanSummary, line: KpiLine, lang: str) -> str:
    """The "on pace for ..." of a flow, budget or stock in a partial period; else empty."""
    if not (summary.partial and line.projected):
        return ""
    value = format_value(line.pace, line.unit, summary.currency, ratio=line.ratio, lang=lang)
    return label("email_on_pace", lang).format(value=value)


def _figures(h: _Html, line: KpiLine, summary: PlanSummary) -> list[str]:
    """Actual (with its pace in a partial period), target and attainment cells; attainment
    in the status colors."""
    currency = summary.currency

    def fmt(value: float) -> str:
        return _number(format_value(value, line.unit, currency, ratio=line.ratio, lang=h.lang))

    actual = fmt(line.actual)
    pace = on_pace(summary, line, h.lang)
    if pace:
        value = format_value(line.pace, line.unit, currency, ratio=line.ratio, lang=h.lang)
        words = _e(pace).replace(_e(value), _number(value))
        actual += f'<br><span style="font-size:11px;color:{MUTED};">{words}</span>'
    return [
        h.cell(actual, align=h.end, style=NOWRAP),
        h.cell(fmt(line.target), align=h.end, style=NOWRAP),
        h.status_cell(_number(format_attainment(line.attainment)), line.status, align=h.end),
    ]


def _kpi_table(h: _Html, summary: PlanSummary) -> str:
    lang = h.lang
    heads = [(label("kpi", lang), h.start)]
    heads += [(label(k, lang), h.end) for k in ("actual", "target", "attainment")]
    heads.append((label("status", lang), h.start))
    rows = []
    for line in summary.kpis:
        cells = [h.cell(_e(line.name(lang)), align=h.start, style="font-weight:bold;")]
        cells += _figures(h, line, summary)
        cells.append(h.status_cell(_e(status_label(line.status, lang)), line.status,
                                   align=h.start))  # fmt: skip
        rows.append("".join(cells))
    return h.table(heads, rows)


def _pill(code: str, text: str, lang: str) -> str:
    bg, fg = STATUS_COLORS[code]
    return (
        f'<span title="{_e(status_label(code, lang))}" style="display:inline-block;'
        f"min-width:18px;margin:1px;padding:1px 4px;text-align:center;background:{bg};"
        f'color:{fg};border-radius:3px;">{text}</span>'
    )


def _pills(h: _Html, channel: ChannelLine) -> str:
    """The channel's KPI counts per status as small colored boxes."""
    return "".join(
        _pill(code, str(channel.counts.get(code, 0)), h.lang)
        for code in STATUSES
        if code not in QUIET or channel.counts.get(code, 0)
    )


def _legend(h: _Html, summary: PlanSummary) -> str:
    """What the pill colors mean (status labels in their own colors)."""
    codes = [
        c for c in STATUSES if c not in QUIET or any(ch.counts.get(c, 0) for ch in summary.channels)
    ]
    pills = " ".join(_pill(c, _e(status_label(c, h.lang)), h.lang) for c in codes)
    return (
        f'<p style="margin:6px 0 0;font-size:12px;color:{MUTED};text-align:{h.start};">'
        f"{_e(label('status', h.lang))}: {pills}</p>"
    )


def _channel_table(h: _Html, summary: PlanSummary) -> str:
    lang = h.lang
    heads = [(label("channel", lang), h.start), (label("kpi", lang), h.start)]
    heads += [(label(k, lang), h.end) for k in ("actual", "target", "attainment")]
    heads.append((label("status", lang), "center"))
    rows = []
    for channel in summary.channels:
        cells = [
            h.cell(_e(channel.name(lang)), align=h.start, style="font-weight:bold;"),
            h.cell(_e(channel.headline.name(lang)), align=h.start),
            *_figures(h, channel.headline, summary),
            h.cell(_pills(h, channel), align="center", style="white-space:nowrap;"),
        ]
        rows.append("".join(cells))
    return h.table(heads, rows)


def render_html(summary: PlanSummary, lang: str, chart_cid: str | None) -> str:
    """The HTML body; ``chart_cid`` is the inline chart's Content-ID (without ``<>``)."""
    h = _Html(lang)
    direction = "rtl" if h.rtl else "ltr"
    name = summary.plan_name(lang)
    intro = _e(label("email_intro", lang)).format(period=_number(summary.period))
    period = _e(period_text(summary, lang)).replace(_e(summary.period), _number(summary.period))
    parts = [
        f'<div style="background:{HEADER_FILL};color:#FFFFFF;padding:16px 20px;">'
        f'<div style="font-size:20px;font-weight:bold;">{_e(name)}</div>'
        f'<div style="font-size:14px;margin-top:4px;">{_e(label("current_period", lang))}: '
        f"{period}</div></div>",
        '<div style="padding:4px 20px 20px;">',
        f'<p style="margin:16px 0;font-size:14px;line-height:1.5;">{intro}</p>',
        h.heading(label("overall_plan", lang)),
        _kpi_table(h, summary),
    ]
    if chart_cid:
        alt = label("email_chart_alt", lang)
        parts.append(
            f'<div style="margin:18px 0 4px;text-align:center;">'
            f'<img src="cid:{_e(chart_cid)}" alt="{_e(alt)}" width="{CHART_WIDTH}" '
            f'style="display:block;margin:0 auto;width:100%;max-width:{CHART_WIDTH}px;'
            f'height:auto;border:0;"></div>'
        )
    if summary.channels:
        parts += [
            h.heading(label("channel_status", lang)),
            _channel_table(h, summary),
            _legend(h, summary),
        ]
    footer = [
        f"{_e(label('data_range', lang))}: {_number(summary.data_range)}"
        if summary.data_range
        else "",
        f"{_e(label('last_refreshed', lang))}: {_number(summary.last_refreshed)}"
        if summary.last_refreshed
        else "",
        _e(summary.path.name),
    ]
    parts.append(
        f'<p style="margin:18px 0 0;font-size:12px;color:{MUTED};">'
        + " &middot; ".join(p for p in footer if p)
        + "</p></div>"
    )
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}" dir="{direction}">\n<head>\n'
        '<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(name)}</title>\n</head>\n"
        f'<body dir="{direction}" style="margin:0;padding:16px 0;background:#F2F4F7;'
        f'font-family:{FONT};color:#262626;">\n'
        f'<div dir="{direction}" style="max-width:{WIDTH}px;margin:0 auto;background:#FFFFFF;'
        f'border:1px solid {BORDER};text-align:{h.start};">\n'
        + "\n".join(parts)
        + "\n</div>\n</body>\n</html>\n"
    )


def render_text(summary: PlanSummary, lang: str) -> str:
    """The plain-text alternative, for clients (and people) that do not show HTML."""
    rtl = lang in RTL_LANGUAGES

    def n(text: str) -> str:
        return f"{LRI}{text}{PDI}" if rtl else text

    def figures(line: KpiLine) -> str:
        actual, target = (
            format_value(v, line.unit, summary.currency, ratio=line.ratio, lang=lang)
            for v in (line.actual, line.target)
        )
        pace = on_pace(summary, line, lang)
        if pace:
            value = format_value(line.pace, line.unit, summary.currency, ratio=line.ratio,
                                 lang=lang)  # fmt: skip
            actual = f"{n(actual)} ({pace.replace(value, n(value))})"
        else:
            actual = n(actual)
        return (
            f"{label('actual', lang)} {actual} / {label('target', lang)} {n(target)}, "
            f"{label('attainment', lang)} {n(format_attainment(line.attainment))}"
        )

    name = summary.plan_name(lang)
    period = period_text(summary, lang).replace(summary.period, n(summary.period))
    lines = [name, f"{label('current_period', lang)}: {period}", ""]
    lines += [label("email_intro", lang).format(period=summary.period), ""]
    lines += [label("overall_plan", lang), "=" * len(label("overall_plan", lang))]
    for line in summary.kpis:
        lines.append(f"- {line.name(lang)}: {figures(line)} - {status_label(line.status, lang)}")
    if summary.channels:
        lines += ["", label("channel_status", lang), "=" * len(label("channel_status", lang))]
        for channel in summary.channels:
            counts = ", ".join(
                f"{status_label(code, lang)} {channel.counts.get(code, 0)}"
                for code in STATUSES
                if code not in QUIET or channel.counts.get(code, 0)
            )
            lines.append(
                f"- {channel.name(lang)} ({counts}): "
                f"{channel.headline.name(lang)}: {figures(channel.headline)}"
            )
    lines.append("")
    if summary.data_range:
        lines.append(f"{label('data_range', lang)}: {n(summary.data_range)}")
    if summary.last_refreshed:
        lines.append(f"{label('last_refreshed', lang)}: {n(summary.last_refreshed)}")
    lines.append(summary.path.name)
    return "\n".join(lines) + "\n"
