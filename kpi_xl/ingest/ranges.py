"""Report date ranges written in exports' preambles, for reports without a date dimension.

Each parser takes the table (its ``#`` comments and the records above its header) and
returns the report's first and last day, ``None`` when the file does not say, or raises a
one-line :class:`~kpi_xl.errors.KpiXlError` for a range that cannot be used ("All time").
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from kpi_xl.errors import KpiXlError
from kpi_xl.ingest.table import Table

#: Month names as UIs write them: English (verified in real Google Ads and Search Console
#: exports); German and French as their UIs write dates (``1. Februar 2025``,
#: ``1 février 2025``; not checked against a real export).
MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan", "januar", "janvier", "janv"),
            ("february", "feb", "februar", "février", "fevrier", "févr"),
            ("march", "mar", "märz", "maerz", "mars"),
            ("april", "apr", "avril", "avr"),
            ("may", "mai"),
            ("june", "jun", "juni", "juin"),
            ("july", "jul", "juli", "juillet", "juil"),
            ("august", "aug", "août", "aout"),
            ("september", "sep", "sept", "septembre"),
            ("october", "oct", "oktober", "okt", "octobre"),
            ("november", "nov", "novembre"),
            ("december", "dec", "dezember", "dez", "décembre", "decembre", "déc"),
        ],
        start=1,
    )
    for name in names
}  # fmt: skip
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
#: "March 27, 2026" (US), "27 January 2026" (UK), "2026-03-27", "3/27/2026" and "27.03.2026"
_DAY_FORMS = (
    (re.compile(rf"^({_MONTH})\.? (\d{{1,2}}), (\d{{4}})$", re.I), ("month", "day", "year")),
    (re.compile(rf"^(\d{{1,2}})\.? ({_MONTH})\.? (\d{{4}})$", re.I), ("day", "month", "year")),
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"), ("year", "month", "day")),
    (re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$"), ("month", "day", "year")),
    (re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$"), ("day", "month", "year")),
    (re.compile(r"^(\d{4})(\d{2})(\d{2})$"), ("year", "month", "day")),
)


def parse_day(text: str) -> dt.date | None:
    """A day written by an export's UI in one of :data:`_DAY_FORMS`; ``None`` otherwise."""
    text = " ".join(text.strip().strip('"').split())
    for pattern, order in _DAY_FORMS:
        match = pattern.match(text)
        if match is None:
            continue
        parts = dict(zip(order, match.groups(), strict=True))
        month = parts["month"]
        number = MONTHS.get(month.casefold().rstrip(".")) if not month.isdigit() else int(month)
        try:
            return dt.date(int(parts["year"]), int(number or 0), int(parts["day"]))
        except ValueError:
            return None
    return None


def parse_range(text: str) -> tuple[dt.date, dt.date] | None:
    """``"March 27, 2026 - April 23, 2026"``, ``27 January 2026 - 23 February 2026``,
    ``1 Jan 2025-31 Dec 2025``, ``2026-03-01 - 2026-03-31``: two days around a dash."""
    text = " ".join(text.strip().strip('"').split())
    for dash in re.finditer(r"\s*[-–—]\s*", text):
        start, end = parse_day(text[: dash.start()]), parse_day(text[dash.end() :])
        if start is not None and end is not None and start <= end:
            return start, end
    return None


def _all_time(table: Table, platform: str, what: str) -> KpiXlError:
    return KpiXlError(
        f"this {platform} report covers 'All time' in one row per {what}: download it for a "
        "date range (for example last month), or segmented by day",
        file=table.file,
        line=table.header_line,
    )


def google_ads(table: Table) -> tuple[dt.date, dt.date] | None:
    """Google Ads UI downloads: the title line, then the range line (``"March 27, 2026 -
    April 23, 2026"`` US, ``27 January 2026 - 23 February 2026`` UK) or ``All time``."""
    for line in table.preamble:
        text = line.strip().strip('"').strip()
        if text.casefold() == "all time":
            raise _all_time(table, "Google Ads", "campaign")
        found = parse_range(text)
        if found is not None:
            return found
    return None


def ga4(table: Table) -> tuple[dt.date, dt.date] | None:
    """GA4: ``# Start date: 20250201`` and ``# End date: 20250804`` (standard reports), or
    ``# 20241122-20260120`` (explorations)."""
    return ga4_comments(table.comments)


def ga4_comments(comments: Iterable[str]) -> tuple[dt.date, dt.date] | None:
    """The range of GA4 preamble comments (see :func:`ga4`)."""
    start = end = None
    for raw in comments:
        comment = raw.rstrip(",;\t ")  # a file re-saved by Excel pads its lines
        if m := re.search(r"start date:\s*(\d{8})", comment, re.I):
            start = parse_day(m.group(1))
        elif m := re.search(r"end date:\s*(\d{8})", comment, re.I):
            end = parse_day(m.group(1))
        elif m := re.fullmatch(r"\s*(\d{8})\s*-\s*(\d{8})\s*", comment):
            start, end = parse_day(m.group(1)), parse_day(m.group(2))
    if start is not None and end is not None and start <= end:
        return start, end
    return None


def linkedin(table: Table) -> tuple[dt.date, dt.date] | None:
    """LinkedIn Campaign Manager: ``Report Start: 3/1/2025, 12:00 AM`` / ``Report End: ...``
    (also written ``Report Start: January 1, 2026, 12:00 AM``)."""
    found: dict[str, dt.date] = {}
    for line in table.preamble:
        match = re.match(r"\s*report (start|end)\s*:?\s*,?\s*(.+)$", line, re.I)
        if match is None:
            continue
        text = re.sub(
            r",?\s*\d{1,2}:\d{2}(?::\d{2})?\s*(?:am|pm)?\s*$", "", match.group(2), flags=re.I
        )
        day = parse_day(text.strip().strip(",").strip())
        if day is not None:
            found[match.group(1).casefold()] = day
    if "start" in found and "end" in found and found["start"] <= found["end"]:
        return found["start"], found["end"]
    return None


def microsoft_ads(table: Table) -> tuple[dt.date, dt.date] | None:
    """Microsoft Advertising: ``Report Time: 3/1/2026,3/31/2026`` (one preamble record, or
    two cells), or one day (``Report Time: 2/7/2020``)."""
    for line in table.preamble:
        match = re.match(r"\s*report time\s*:?\s*,?\s*(.+)$", line, re.I)
        if match is None:
            continue
        parts = [p.strip() for p in re.split(r"\s*,\s*", match.group(1)) if p.strip()]
        if len(parts) == 2:
            start, end = parse_day(parts[0]), parse_day(parts[1])
            if start is not None and end is not None and start <= end:
                return start, end
        if len(parts) == 1 and (day := parse_day(parts[0])) is not None:
            return day, day
        found = parse_range(match.group(1))
        if found is not None:
            return found
    return None
