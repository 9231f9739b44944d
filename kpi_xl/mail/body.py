"""The message: its subject, an HTML body read on a phone first, and a text twin.

Both bodies open with the verdict (how many overall KPIs are on track, and the first
KPI against its target), then one block per KPI: its name and status (symbol and word),
actual, target, attainment, the pace in a partial period, and the marketer's note from the
Targets sheet. The HTML is one column that fits a 390 px wide screen: stacked blocks of
small tables with inline styles only (mail apps ignore most style sheets), at most 640 px
wide on a larger screen. Every text from the workbook or the catalog is escaped.
Right-to-left languages get ``dir="rtl"`` with mirrored alignment; numbers sit in
left-to-right spans (isolates in the text) so a minus sign or a currency symbol stays
where the workbook shows it.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from kpi_xl import periods as cal
from kpi_xl.catalog import RTL_LANGUAGES, STATUSES, label
from kpi_xl.errors import KpiXlError
from kpi_xl.mail.look import FONT_STACK, STATUS_SYMBOLS, status_mark, status_word
from kpi_xl.mail.summary import ChannelLine, KpiLine, PlanSummary
from kpi_xl.mail.values import format_attainment, format_value
from kpi_xl.style import HEADER_FILL, INPUT_FILL, STATUS_COLORS

BACKGROUND = "#F2F4F7"
BORDER = "#D9D9D9"
MUTED = "#595959"
INK = "#262626"
WIDTH = 640  # the card's width on a larger screen; it fills a phone's
PAD = 16  # the card's inner margin, each side
CHART_WIDTH = 400  # CSS px: the chart is drawn at 1.5 times this (sharp on phones)
NOWRAP = "white-space:nowrap;"
LRI, FSI, PDI = "\u2066", "\u2068", "\u2069"  # isolates in right-to-left plain text
#: Statuses a channel line shows only when some KPI has them.
QUIET = ("too_early", "no_target", "no_data")


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _number(text: str) -> str:
    return f'<span dir="ltr" style="{NOWRAP}">{_e(text)}</span>'


def _isolated(text: str, lang: str) -> str:
    return f"{LRI}{text}{PDI}" if lang in RTL_LANGUAGES else text


def display_period(summary: PlanSummary, lang: str) -> str:
    """The period reported, as the message shows it everywhere (subject, verdict,
    header): the one place that decides how a period key such as ``2026-10`` reads:
    ``October 2026``, ``مهر ۱۴۰۵`` (the plan's calendar and digits)."""
    try:
        return cal.period_label(summary.period, summary.grain, lang, digits=summary.digits)
    except KpiXlError:  # a plan whose period cell was typed over: show what it holds
        return summary.period


# -- texts with numbers in them ----------------------------------------------------------------


@dataclass(frozen=True)
class Phrase:
    """A label filled with values; the values named in ``numbers`` stay left-to-right."""

    key: str
    values: Mapping[str, str]
    numbers: frozenset[str] = field(default_factory=frozenset)

    def text(self, lang: str) -> str:
        return label(self.key, lang).format(
            **{k: _isolated(v, lang) if k in self.numbers else v for k, v in self.values.items()}
        )

    def html(self, lang: str) -> str:
        return _e(label(self.key, lang)).format(
            **{k: _number(v) if k in self.numbers else _e(v) for k, v in self.values.items()}
        )


def _phrase(key: str, words: Mapping[str, str], numbers: Mapping[str, str]) -> Phrase:
    return Phrase(key, {**words, **numbers}, frozenset(numbers))


def _fmt(line: KpiLine, value: float, summary: PlanSummary, lang: str) -> str:
    return format_value(value, line.unit, summary.currency, ratio=line.ratio, lang=lang)


def status_counts(summary: PlanSummary) -> dict[str, int]:
    """How many overall KPIs have each status (every status, zeros included)."""
    return {code: sum(line.status == code for line in summary.kpis) for code in STATUSES}


def _count_values(summary: PlanSummary) -> dict[str, str]:
    return {
        "on_track": str(status_counts(summary)["on_track"]),
        "total": str(len(summary.kpis)),
    }


def verdict(summary: PlanSummary, lang: str) -> list[Phrase]:
    """The message's first sentences: how many overall KPIs are on track in the period,
    then the first overall KPI against its target (its pace in a partial period)."""
    numbers = _count_values(summary)
    if summary.partial:
        numbers |= {"day": str(int(summary.days_elapsed)), "days": str(int(summary.days_in_period))}
    # the period's name is words ("مهر ۱۴۰۵"), not a number kept left to right
    period = {"period": display_period(summary, lang)}
    phrases = [_phrase("email_verdict_partial" if summary.partial else "email_verdict", period,
                       numbers)]  # fmt: skip
    if not summary.kpis or math.isnan(summary.kpis[0].actual):
        return phrases
    line = summary.kpis[0]
    words = {"kpi": line.name(lang)}
    actual, target = (_fmt(line, v, summary, lang) for v in (line.actual, line.target))
    if math.isnan(line.target):
        phrases.append(_phrase("email_verdict_no_target", words, {"actual": actual}))
    elif summary.partial and line.projected:
        pace = _fmt(line, line.pace, summary, lang)
        phrases.append(_phrase("email_verdict_pace", words, {"pace": pace, "target": target}))
    else:
        phrases.append(_phrase("email_verdict_actual", words, {"actual": actual, "target": target}))
    return phrases


def signed_percent(value: float) -> str:
    """A change as a signed percent, as the workbook shows percents (``+4.2%``, ``-5.1%``)."""
    text = format_attainment(value)
    return f"+{text}" if value > 0 and text != format_attainment(0.0) else text


def subject(summary: PlanSummary, lang: str) -> str:
    """The default subject: the verdict in short (``October 2026: 2/7 on track, Revenue on pace
    -5.1% vs target``). The first overall KPI's pace against its target in a partial
    period, else its attainment; only the count when it has neither."""
    numbers = _count_values(summary)
    period = {"period": display_period(summary, lang)}
    line = summary.kpis[0] if summary.kpis else None
    if line is None:
        return _phrase("email_subject_counts", period, numbers).text(lang)
    words = {"kpi": line.name(lang), **period}
    if summary.partial and line.projected and line.target and not math.isnan(line.target):
        change = signed_percent(line.pace / line.target - 1)
        return _phrase("email_subject_pace", words, {**numbers, "change": change}).text(lang)
    if not math.isnan(line.attainment):
        percent = format_attainment(line.attainment)
        return _phrase("email_subject_percent", words, {**numbers, "percent": percent}).text(lang)
    return _phrase("email_subject_counts", period, numbers).text(lang)


def on_pace(summary: PlanSummary, line: KpiLine, lang: str) -> Phrase | None:
    """The "on pace for ..." of a flow, budget or stock in a partial period."""
    if not (summary.partial and line.projected):
        return None
    return _phrase("email_on_pace", {}, {"value": _fmt(line, line.pace, summary, lang)})


# -- HTML --------------------------------------------------------------------------------------


class _Html:
    """Pieces of the HTML body in one text direction."""

    def __init__(self, summary: PlanSummary, lang: str) -> None:
        self.summary = summary
        self.lang = lang
        self.rtl = lang in RTL_LANGUAGES
        self.dir = "rtl" if self.rtl else "ltr"
        self.start = "right" if self.rtl else "left"
        self.end = "left" if self.rtl else "right"

    def table(self, rows: str, style: str = "") -> str:
        return (
            f'<table role="presentation" width="100%" cellspacing="0" cellpadding="0" '
            f'dir="{self.dir}" style="width:100%;border-collapse:collapse;{style}">'
            f"{rows}</table>"
        )

    def heading(self, text: str) -> str:
        return (
            f'<h2 style="margin:24px 0 10px;font-size:16px;line-height:1.3;color:{HEADER_FILL};'
            f'text-align:{self.start};">{_e(text)}</h2>'
        )

    def chip(self, code: str, content: str, title: str = "") -> str:
        """A status in its colours; ``content`` always holds its symbol."""
        bg, fg = STATUS_COLORS[code]
        hint = f' title="{_e(title)}"' if title else ""
        return (
            f'<span{hint} style="display:inline-block;margin:2px 0;padding:2px 8px;'
            f"border:1px solid {fg};border-radius:10px;background:{bg};color:{fg};"
            f'font-size:12px;line-height:16px;font-weight:bold;{NOWRAP}">{content}</span>'
        )

    def status(self, code: str) -> str:
        return self.chip(code, _e(status_mark(code, self.lang)))

    def figures(self, line: KpiLine) -> str:
        """Actual, target and attainment side by side, each under its name; then the pace
        in a partial period."""
        summary, lang = self.summary, self.lang
        fg = STATUS_COLORS[line.status][1]
        figures = (
            ("actual", _fmt(line, line.actual, summary, lang), INK),
            ("target", _fmt(line, line.target, summary, lang), INK),
            ("attainment", format_attainment(line.attainment), fg),
        )
        # side by side in thirds where they fit, the last ones on the next line where not
        # (a long figure or word on a narrow screen): inline blocks, no table
        out = " ".join(
            f'<div style="display:inline-block;min-width:31%;vertical-align:top;'
            f'text-align:{self.start};"><div style="font-size:11px;line-height:15px;'
            f'color:{MUTED};">{_e(label(key, lang))}</div><div style="font-size:15px;'
            f'line-height:20px;font-weight:bold;color:{color};">{_number(value)}</div></div>'
            for key, value, color in figures
        )
        pace = on_pace(summary, line, lang)
        if pace:
            out += (
                f'<div style="margin-top:4px;font-size:12px;line-height:16px;color:{MUTED};">'
                f"{pace.html(lang)}</div>"
            )
        return out

    def note(self, text: str) -> str:
        """The marketer's note, as typed (escaped; line breaks kept), in its own text
        direction (an English note in a Hebrew message keeps its full stop at its end)."""
        if not text:
            return ""
        body = "<br>".join(_e(part) for part in text.splitlines())
        return (
            f'<div style="margin-top:8px;padding:6px 8px;background:{INPUT_FILL};'
            f"font-size:13px;line-height:18px;color:{INK};overflow-wrap:anywhere;"
            f'word-break:break-word;"><b>{_e(label("note", self.lang))}:</b> '
            f'<span dir="auto">{body}</span></div>'
        )

    def pair(self, first: str, second: str, style: str) -> str:
        """Two cells on one line, ``first`` at the start, ``second`` at the end: a table of
        its own, so that its columns are sized by its own content only."""
        cell = "vertical-align:top;padding:0;"
        return self.table(
            f'<tr><td style="{cell}text-align:{self.start};overflow-wrap:anywhere;{style}">'
            f"{first}</td>"
            f'<td align="{self.end}" style="{cell}padding-{self.start}:8px;'
            f'text-align:{self.end};">{second}</td></tr>'
        )

    def block(self, line: KpiLine, caption: tuple[str, str] | None = None) -> str:
        """One KPI: name and status on one line, the figures under them, then its note; a
        channel's block has its own line above (``caption``: name and count chips)."""
        fg = STATUS_COLORS[line.status][1]
        rows = []
        if caption:  # the chips follow the name, together on the next line if need be
            name, chips = caption
            rows.append(
                f'<div style="margin-bottom:4px;line-height:24px;text-align:{self.start};">'
                f'<span style="font-size:15px;font-weight:bold;color:{HEADER_FILL};">'
                f'{_e(name)}</span> <span style="{NOWRAP}">{chips}</span></div>'
            )
        weight = "font-size:14px;" if caption else "font-size:15px;font-weight:bold;"
        rows.append(self.pair(_e(line.name(self.lang)), self.status(line.status),
                              f"line-height:22px;{weight}"))  # fmt: skip
        rows.append(f'<div style="margin-top:6px;">{self.figures(line)}</div>')
        rows.append(self.note(line.note))
        side = "right" if self.rtl else "left"
        return self.table(
            f'<tr><td style="padding:10px 12px;text-align:{self.start};">'
            + "".join(r for r in rows if r)
            + "</td></tr>",
            f"margin:0 0 10px;background:#FFFFFF;border:1px solid {BORDER};"
            f"border-{side}:4px solid {fg};",
        )

    def counts(self, channel: ChannelLine) -> str:
        """A channel's KPI counts per status: symbol and number in the status colours."""
        return " ".join(
            self.chip(code, f"{_e(STATUS_SYMBOLS[code])} {n}", status_word(code, self.lang))
            for code in STATUSES
            if (n := channel.counts.get(code, 0)) or code not in QUIET
        )

    def legend(self) -> str:
        """What the channel chips' symbols mean."""
        codes = [
            c
            for c in STATUSES
            if c not in QUIET or any(ch.counts.get(c, 0) for ch in self.summary.channels)
        ]
        marks = " ".join(self.status(c) for c in codes)
        return (
            f'<p style="margin:4px 0 0;font-size:12px;line-height:22px;color:{MUTED};'
            f'text-align:{self.start};">{_e(label("status", self.lang))}: {marks}</p>'
        )

    def overview(self) -> str:
        """The overall KPIs' statuses in short, under the verdict."""
        counted = status_counts(self.summary)
        return " ".join(
            self.chip(code, f"{_e(status_mark(code, self.lang))}: {n}")
            for code in STATUSES
            if (n := counted[code])
        )


def render_html(summary: PlanSummary, lang: str, chart_cid: str | None) -> str:
    """The HTML body; ``chart_cid`` is the inline chart's Content-ID (without ``<>``)."""
    h = _Html(summary, lang)
    first, *rest = verdict(summary, lang)
    parts = [
        f'<div style="background:{HEADER_FILL};color:#FFFFFF;padding:18px {PAD}px 16px;">'
        f'<p style="margin:0;font-size:20px;line-height:26px;font-weight:bold;">'
        f"{first.html(lang)}</p>",
        *(
            f'<p style="margin:8px 0 0;font-size:15px;line-height:21px;">{p.html(lang)}</p>'
            for p in rest
        ),
        f'<p style="margin:10px 0 0;font-size:13px;line-height:18px;color:#DDE6F0;">'
        f'<span dir="auto">{_e(summary.plan_name(lang))}</span></p></div>',
        f'<div style="padding:12px {PAD}px 20px;">',
        f'<p style="margin:0;line-height:24px;text-align:{h.start};">{h.overview()}</p>',
        h.heading(label("overall_plan", lang)),
        *(h.block(line) for line in summary.kpis),
    ]
    if chart_cid:
        alt = label("email_chart_alt", lang)
        parts.append(
            f'<div style="margin:16px 0 4px;text-align:center;">'
            f'<img src="cid:{_e(chart_cid)}" alt="{_e(alt)}" width="{CHART_WIDTH}" '
            f'style="display:block;margin:0 auto;width:100%;max-width:{CHART_WIDTH}px;'
            f'height:auto;border:0;"></div>'
        )
    if summary.channels:
        parts.append(h.heading(label("channel_status", lang)))
        parts += [h.block(c.headline, (c.name(lang), h.counts(c))) for c in summary.channels]
        parts.append(h.legend())
    footer = [
        f"{_e(label('data_range', lang))}: {_number(summary.data_range)}"
        if summary.data_range
        else "",
        f"{_e(label('last_refreshed', lang))}: {_number(summary.last_refreshed)}"
        if summary.last_refreshed
        else "",
        f'<span style="overflow-wrap:anywhere;">{_e(summary.path.name)}</span>',
    ]
    parts.append(
        f'<p style="margin:18px 0 0;font-size:12px;line-height:18px;color:{MUTED};">'
        + "<br>".join(p for p in footer if p)
        + "</p></div>"
    )
    name = summary.plan_name(lang)
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}" dir="{h.dir}">\n<head>\n'
        '<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(name)}</title>\n</head>\n"
        f'<body dir="{h.dir}" style="margin:0;padding:0;background:{BACKGROUND};'
        f'font-family:{FONT_STACK};color:{INK};-webkit-text-size-adjust:100%;">\n'
        f'<div dir="{h.dir}" style="max-width:{WIDTH}px;margin:0 auto;background:#FFFFFF;'
        f'text-align:{h.start};">\n' + "\n".join(parts) + "\n</div>\n</body>\n</html>\n"
    )


# -- text --------------------------------------------------------------------------------------


def render_text(summary: PlanSummary, lang: str) -> str:
    """The plain-text alternative, for clients (and people) that do not show HTML: the
    same content in the same order."""

    def n(text: str) -> str:
        return _isolated(text, lang)

    def block(line: KpiLine, indent: str = "  ") -> list[str]:
        actual = n(_fmt(line, line.actual, summary, lang))
        pace = on_pace(summary, line, lang)
        if pace:
            actual += f" ({pace.text(lang)})"
        figures = (
            f"{label('actual', lang)} {actual}, "
            f"{label('target', lang)} {n(_fmt(line, line.target, summary, lang))}, "
            f"{label('attainment', lang)} {n(format_attainment(line.attainment))}"
        )
        out = [f"{indent}{figures}"]
        for i, part in enumerate(line.note.splitlines()):
            part = f"{FSI}{part}{PDI}" if lang in RTL_LANGUAGES else part  # its own direction
            out.append(f"{indent}{label('note', lang) + ': ' if i == 0 else '  '}{part}")
        return out

    def underline(text: str) -> list[str]:
        return ["", text, "=" * len(text)]

    counted = status_counts(summary)
    lines = [" ".join(p.text(lang) for p in verdict(summary, lang))]
    lines.append(", ".join(f"{status_mark(c, lang)}: {k}" for c in STATUSES if (k := counted[c])))
    lines += ["", summary.plan_name(lang)]
    lines += underline(label("overall_plan", lang))
    for line in summary.kpis:
        lines.append(f"- {line.name(lang)}: {status_mark(line.status, lang)}")
        lines += block(line)
    if summary.channels:
        lines += underline(label("channel_status", lang))
        for channel in summary.channels:
            counts = ", ".join(
                f"{STATUS_SYMBOLS[code]} {k}"
                for code in STATUSES
                if (k := channel.counts.get(code, 0)) or code not in QUIET
            )
            head = channel.headline
            lines.append(f"- {channel.name(lang)} ({counts})")
            lines.append(f"  {head.name(lang)}: {status_mark(head.status, lang)}")
            lines += block(head)
        codes = [
            c
            for c in STATUSES
            if c not in QUIET or any(ch.counts.get(c, 0) for ch in summary.channels)
        ]
        lines.append(f"{label('status', lang)}: " + ", ".join(status_mark(c, lang) for c in codes))
    lines.append("")
    if summary.data_range:
        lines.append(f"{label('data_range', lang)}: {n(summary.data_range)}")
    if summary.last_refreshed:
        lines.append(f"{label('last_refreshed', lang)}: {n(summary.last_refreshed)}")
    lines.append(summary.path.name)
    return "\n".join(lines) + "\n"
