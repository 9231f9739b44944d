"""Google Analytics 4 report CSV (a standard report's or an exploration's "Download CSV").

Layout::

    # ----------------------------------------
    # Traffic acquisition: Session primary channel group (Default Channel Group)
    # Account: ...   # Property: ...
    # Start date: 20250301
    # End date: 20250331
    Session primary channel group (Default Channel Group),Date,Sessions,Engaged sessions,...
    Organic Search,20250301,120,80,...
    Grand total,,...                       <- optional, dropped

    # ----------------------------------------     <- more tables, after a blank line
    Nth day,Sessions
    0000,250

Detected by a header with ``Sessions``, ``Total users``, ``Active users``, ``Key events``,
``Engaged sessions`` or a channel group column. The file may hold several tables: the
first one with a date dimension (``Date``, ``YYYYMMDD``; or ``Nth day`` counted from the
preamble's ``Start date``) *and* a channel group is read, else the first dated one. Only
one table is read, so nothing is counted twice.

Columns:

* channel group (``Session primary channel group (Default Channel Group)``,
  ``Session default channel group``, ``First user ...``, any ``... channel group``)
  -> ``channel`` via :data:`CHANNEL_GROUPS` (unknown groups -> ``other``); without such a
  column every row is ``other`` (use ``channel_map={"ga4": ...}``);
* ``Session campaign`` / ``Campaign`` -> ``campaign``;
* ``segment``: the text of the other dimension columns (the channel group's own label
  first, e.g. ``Organic Search``; then device, country...) joined with `` / ``;
* ``Sessions``; ``Total users`` (else ``Active users``, ``Users``) -> users; ``New users``;
  ``Engaged sessions`` (else engagement rate x sessions, rounded); ``Views`` -> pageviews;
  ``Average session duration`` (seconds, or ``H:MM:SS``) x sessions ->
  ``session_duration_s``; ``Bounce rate`` x sessions (rounded) -> ``bounces``, else
  sessions - engaged sessions (GA4 defines bounce rate as 1 - engagement rate);
  ``Key events`` (older: ``Conversions``) -> conversions; ``Total revenue`` (else
  ``Purchase revenue``) -> revenue; ``Transactions`` / ``Ecommerce purchases`` -> orders.

Rates are fractions (``0.4567``) or percentages (``45.67%``). Other columns are ignored.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from kpi_xl.errors import KpiXlError
from kpi_xl.ingest import numbers
from kpi_xl.ingest.adapters.base import Adapter, has_any
from kpi_xl.ingest.dates import COMPACT, ISO
from kpi_xl.ingest.fields import Context, Loaded, Reader, finish, norm
from kpi_xl.ingest.table import Document, Table

NAME = "ga4"

CHANNEL_GROUPS = {
    "organic search": "seo",
    "paid search": "paid_search",
    "paid social": "paid_social",
    "organic social": "organic_social",
    "email": "email",
    "referral": "referral",
    "direct": "direct",
    "display": "display",
    "affiliates": "affiliate",
    "organic video": "organic_social",
    "paid video": "display",
    "organic shopping": "seo",
    "paid shopping": "paid_search",
    "cross-network": "paid_search",
    "paid other": "other",
    "audio": "other",
    "sms": "other",
    "mobile push notifications": "other",
    "unassigned": "other",
    "(other)": "other",
    "(not set)": "other",
}

CHANNEL_COLUMN = r".*channel group(?:ing)?(?: \(.*\))?"
DATE = ("date",)
NTH_DAY = ("nth day",)
CAMPAIGN = ("session campaign", "session campaign name", "session manual campaign name",
            "first user campaign", "campaign", "campaign name")  # fmt: skip
METRICS = {
    "sessions": ("sessions",),
    "users": ("total users", "active users", "users"),
    "new_users": ("new users",),
    "engaged_sessions": ("engaged sessions",),
    "pageviews": ("views", "screen page views", "screenpageviews", "pageviews", "page views"),
    "conversions": ("key events", "conversions"),
    "revenue": ("total revenue", "purchase revenue"),
    "orders": ("transactions", "ecommerce purchases"),
}
RATES = {"bounce_rate": ("bounce rate",), "engagement_rate": ("engagement rate",)}
DURATION = ("average session duration", "avg. session duration")
SIGNATURE = ("sessions", "total users", "active users", "key events", "engaged sessions")


def is_header(names: frozenset[str]) -> bool:
    return has_any(names, *SIGNATURE) or any(re.fullmatch(CHANNEL_COLUMN, n) for n in names)


def _pick(tables: list[Table], doc: Document) -> Table:
    def dated(t: Table) -> bool:
        return Reader(t).find(*DATE, *NTH_DAY) is not None

    def grouped(t: Table) -> bool:
        return Reader(t).find_re(CHANNEL_COLUMN) is not None

    for wanted in (lambda t: dated(t) and grouped(t), dated):
        for table in tables:
            if wanted(table):
                return table
    first = tables[0]
    raise KpiXlError(
        "the GA4 report has no date dimension: expected a table with a 'Date' column "
        "(add the Date dimension to the report, or export a chart by day)",
        file=first.file,
        line=first.header_line,
        column="Date",
    )


def read(tables: list[Table], doc: Document, ctx: Context) -> Loaded:
    reader = Reader(_pick(tables, doc))
    date = reader.find(*DATE)
    nth = reader.find(*NTH_DAY) if date is None else None
    group = reader.find_re(CHANNEL_COLUMN)
    campaign = reader.find(*CAMPAIGN)
    metrics = reader.find_each(METRICS)
    rates = reader.find_each(RATES)
    duration = reader.find(*DURATION)
    used = {date, nth, group, campaign, duration, *metrics.values(), *rates.values()}
    dims = [p for p in range(len(reader.table.header)) if p not in used and _dimension(reader, p)]
    labels = [group, campaign, *dims]
    when = date if date is not None else nth
    reader = Reader(reader.table.take(~reader.summary_rows(when, labels)))

    if date is not None:
        dates = reader.dates(date, (COMPACT, ISO))
    else:
        assert nth is not None
        dates = _nth_days(reader, nth, doc)
    values = reader.numbers({**metrics, **rates}, rates=rates)
    measures = {k: values[k] for k in metrics}
    sessions = values.get("sessions")
    if sessions is not None:
        _derive(measures, values, sessions, reader, duration)
    channel = ctx.channels(NAME, "other")
    if group is not None:
        channel = ctx.channels(NAME, "other", reader.text(group), CHANNEL_GROUPS)
    return finish(
        reader,
        source=NAME,
        dates=dates,
        channel=channel,
        measures=measures,
        campaign=reader.text(campaign),
        segment=reader.joined([group, *dims]),
        labels=metrics,
    )


def _derive(
    measures: dict[str, np.ndarray],
    values: dict[str, np.ndarray],
    sessions: np.ndarray,
    reader: Reader,
    duration: int | None,
) -> None:
    """Counts from rates and averages, all weighted by sessions."""
    if "engaged_sessions" not in measures and "engagement_rate" in values:
        measures["engaged_sessions"] = np.floor(values["engagement_rate"] * sessions + 0.5)
    if "bounce_rate" in values:
        measures["bounces"] = np.floor(values["bounce_rate"] * sessions + 0.5)
    elif "engaged_sessions" in measures:
        measures["bounces"] = np.maximum(sessions - measures["engaged_sessions"], 0.0)
    if duration is not None:
        measures["session_duration_s"] = _seconds(reader, duration) * sessions


def _seconds(reader: Reader, pos: int) -> np.ndarray:
    """Seconds, written as a number or as ``H:MM:SS`` / ``MM:SS``."""
    text = reader.text(pos).str.strip()
    clock = text.str.fullmatch(r"(?:\d+:)?\d{1,2}:\d{2}(?:\.\d+)?")
    if not clock.any():
        return reader.numbers({"d": pos})["d"]
    out = np.full(len(text), np.nan)
    for i in np.flatnonzero(clock.to_numpy(dtype=bool)):
        parts = [float(x) for x in str(text.iloc[i]).split(":")]
        out[i] = sum(v * 60**k for k, v in enumerate(reversed(parts)))
    rest = ~clock.to_numpy(dtype=bool)
    if rest.any():
        sub = Reader(reader.table.take(rest))
        out[rest] = sub.numbers({"d": pos})["d"]
    return out


def _nth_days(reader: Reader, pos: int, doc: Document) -> pd.Series:
    starts = [
        m.group(1) for c in doc.comments if (m := re.search(r"start date:\s*(\d{8})", c, re.I))
    ]
    if not starts:
        raise reader.error(
            "'Nth day' needs the report's start date: expected a '# Start date: YYYYMMDD' line",
            pos,
            None,
        )
    start = pd.Timestamp(starts[0])
    days = reader.numbers({"n": pos})["n"]
    bad = np.isnan(days) | (days != np.floor(days))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise reader.error("expected a day number such as 0003", pos, row)
    return pd.Series(start + pd.to_timedelta(days, unit="D")).astype("datetime64[ns]")


def _dimension(reader: Reader, pos: int) -> bool:
    """An unmapped column is a dimension when it holds text (or is a known time part)."""
    name = norm(reader.name(pos))
    if not name:
        return False
    if name in ("hour", "day", "month", "week", "year", "day of week") or name.startswith("nth "):
        return True
    return not numbers.is_numeric_column(reader.table.columns[pos])


ADAPTER = Adapter(
    NAME,
    "GA4 report CSV ('#' preamble; Date, channel group, Sessions, Total users, Key events...)",
    is_header,
    read,
)
