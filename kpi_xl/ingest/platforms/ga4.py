"""Google Analytics 4: standard reports, explorations and Reports snapshots (CSV downloads).

Standard report (Traffic acquisition, User acquisition)::

    # ----------------------------------------
    # Traffic acquisition: Session primary channel group (Default Channel Group)
    # Account: Nordic Goods
    # Property: Nordic Goods - GA4
    # ----------------------------------------
    #
    # All Users
    # Start date: 20250201
    # End date: 20250228
    Session default channel group,Sessions,Engaged sessions,Engagement rate,...,Key events
    Organic Search,12040,8033,0.667...,412

With no Date dimension every row covers the report's range (``Start date`` to ``End
date``); with ``Date`` (``20250201``) one day; ``Date + hour (YYYYMMDDHH)`` rows are summed
to days; ``Week`` (``02``: weeks start on Sunday, 1 January is in week 01) takes its year
from the range. An exploration's preamble has the range as ``# 20241122-20260120`` and its
Grand total is the first data row, labelled in an extra trailing field: its figures are
dropped, except the users, which only a total can give for all channels (users visit
through several channels; channel ``all``). The same table repeated after a blank line, or
chart tables below it, are not read again.

``Session key event rate`` (sessions with a key event / sessions) x ``Sessions`` gives
``key_event_sessions``, rounded to whole sessions: summed over channels and divided by the
sessions it is GA4's rate for all channels.

A Reports snapshot (``# Report CSV Export``) holds small tables, one ``Nth day,<metric>``
series each (Users, New users, Average engagement time, Total revenue): they are read as
site-level daily totals (channel ``all``: only the overall plan reads them).

Reports without a channel or source dimension (Events, Pages and screens, Landing page)
are refused: their rows are events or pages, not traffic, and adding them to a channel
report would count the same sessions twice.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pandas as pd

from kpi_xl.errors import KpiXlError
from kpi_xl.ingest import ranges
from kpi_xl.ingest.channel_rules import CHANNEL_GROUPS, channel_group, split_source_medium
from kpi_xl.ingest.dates import COMPACT, ISO
from kpi_xl.ingest.fields import Context, Loaded, Reader, Report, finish
from kpi_xl.ingest.reader import read_platform
from kpi_xl.ingest.spec import (
    Channels,
    DayColumn,
    Detect,
    PeriodColumn,
    Platform,
    Refusal,
    ReportRange,
    Signal,
    Totals,
    col,
)
from kpi_xl.ingest.table import Document, Table

NAME = "ga4"
CHANNEL_COLUMN = r".*channel group(?:ing)?(?: \(.*\))?"
GROUP = col(pattern=CHANNEL_COLUMN)
SOURCE_MEDIUM = col(
    "Session source / medium", "First user source / medium", "Source / medium",
    pattern=r".*source / medium",
)  # fmt: skip
DATE = col("Date")
NTH_DAY = col("Nth day")
DATE_HOUR = col("Date + hour (YYYYMMDDHH)", "Date + hour")
WEEK = col("Week")
CAMPAIGN = col(
    "Session campaign", "Session campaign name", "Session manual campaign name",
    "First user campaign", "Campaign", "Campaign name",
)  # fmt: skip
SESSIONS = col("Sessions")
USERS = col("Total users", "Active users", "Users")
KEY_EVENTS = col("Key events", "Conversions")

MEASURES = {
    "sessions": SESSIONS,
    "users": USERS,
    "new_users": col("New users"),
    "engaged_sessions": col("Engaged sessions"),
    "pageviews": col("Views", "Screen page views", "screenPageViews", "Pageviews", "Page views"),
    "key_events": KEY_EVENTS,
    "revenue": col("Purchase revenue", "Total revenue"),
    "orders": col("Transactions", "Ecommerce purchases"),
}
RATES = {
    "bounce_rate": col("Bounce rate"),
    "engagement_rate": col("Engagement rate"),
    # sessions with a key event / sessions ("Session conversion rate" before March 2024)
    "key_event_rate": col("Session key event rate", "Session conversion rate"),
}
DURATIONS = {
    "session_duration": col("Average session duration", "Avg. session duration"),
    "engagement_per_session": col("Average engagement time per session"),
}
SIGNATURE = (SESSIONS, col("Total users", "Active users"), col("Key events"),
             col("Engaged sessions"))  # fmt: skip

NO_TRAFFIC_DIMENSION = {
    "event name": "Events",
    "page path and screen class": "Pages and screens",
    "page title and screen class": "Pages and screens",
    "page title and screen name": "Pages and screens",
    "page path": "Pages and screens",
    "landing page": "Landing page",
    "landing page + query string": "Landing page",
}


def _traffic_dimension(table: Table) -> bool:
    reader = Reader(table)
    return any(reader.find_names(names) is not None for names in (GROUP, SOURCE_MEDIUM, NTH_DAY))


def _refused_report(table: Table) -> bool:
    return not _traffic_dimension(table) and any(
        re.sub(r"\s+", " ", h.strip().casefold()) in NO_TRAFFIC_DIMENSION for h in table.header
    )


def _refusal_message() -> str:
    return (
        "this GA4 report has no channel or source dimension (an Events, Pages and screens or "
        "Landing page report): export Reports > Acquisition > Traffic acquisition (Session "
        "default channel group) for the same dates instead"
    )


def _pick(tables: list[Table], doc: Document) -> Table:
    """The table to read: one with a date dimension and a traffic dimension, else one
    with a traffic dimension, else the first."""

    def dated(t: Table) -> bool:
        r = Reader(t)
        return any(r.find_names(n) is not None for n in (DATE, DATE_HOUR, WEEK))

    def grouped(t: Table) -> bool:
        r = Reader(t)
        return r.find_names(GROUP) is not None or r.find_names(SOURCE_MEDIUM) is not None

    chosen = next(
        (t for wanted in (lambda t: dated(t) and grouped(t), grouped, dated)
         for t in tables if wanted(t)),
        tables[0],
    )  # fmt: skip
    if ranges.ga4(chosen) is None:  # the range is in the file's first preamble
        return dataclasses.replace(chosen, comments=tuple(doc.comments))
    return chosen


def _derive(reader: Reader, values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Counts from rates and averages, all weighted by sessions."""
    measures = {k: v for k, v in values.items() if k in MEASURES}
    sessions = values.get("sessions")
    if sessions is None:
        return measures
    if "engaged_sessions" not in measures and "engagement_rate" in values:
        measures["engaged_sessions"] = np.floor(values["engagement_rate"] * sessions + 0.5)
    if "bounce_rate" in values:
        measures["bounces"] = np.floor(values["bounce_rate"] * sessions + 0.5)
    elif "engaged_sessions" in measures:
        measures["bounces"] = np.maximum(sessions - measures["engaged_sessions"], 0.0)
    if "key_event_rate" in values:
        measures["key_event_sessions"] = np.floor(values["key_event_rate"] * sessions + 0.5)
    if "session_duration" in values:
        measures["session_duration_s"] = values["session_duration"] * sessions
    if "engagement_per_session" in values:
        measures["engagement_time_s"] = values["engagement_per_session"] * sessions
    return measures


def _source_medium_channels(reader: Reader) -> pd.Series:
    pos = reader.find_names(SOURCE_MEDIUM)
    if pos is None:
        return pd.Series("other", index=range(len(reader.table)), dtype=object)
    source, medium = split_source_medium(reader.text(pos))
    campaign_pos = reader.find_names(CAMPAIGN)
    campaign = reader.text(campaign_pos) if campaign_pos is not None else None
    groups = channel_group(source, medium, campaign)
    return groups.str.casefold().map(CHANNEL_GROUPS).fillna("other").astype(object)


def read(tables: list[Table], doc: Document, ctx: Context) -> Loaded:
    """A snapshot's ``Nth day`` series are merged by day; everything else is the generic
    reader's."""
    if any(re.search(r"report csv export", c, re.I) for c in doc.comments) and not any(
        Reader(t).find_names(GROUP) is not None or Reader(t).find_names(SOURCE_MEDIUM) is not None
        for t in tables
    ):
        return _snapshot(tables, doc, ctx)
    return read_platform(PLATFORM, tables, doc, ctx)


SNAPSHOT = {
    "users": col("Users", "Active users", "Total users"),
    "new_users": col("New users"),
    "revenue": col("Total revenue", "Purchase revenue"),
    "engagement_per_user": col(
        "Average engagement time", "Average engagement time per active user"
    ),
}


def _snapshot(tables: list[Table], doc: Document, ctx: Context) -> Loaded:
    """A Reports snapshot: each ``Nth day,<metric>`` table is one daily series."""
    series: dict[str, pd.Series] = {}
    start = None
    first = tables[0]
    for table in tables:
        reader = Reader(table)
        nth = reader.find_names(NTH_DAY)
        if nth is None or len(table.header) != 2:
            continue  # cohort tables, empty tables, other charts
        metric = next((k for k, n in SNAPSHOT.items() if reader.find_names(n) is not None), None)
        if metric is None or metric in series:
            continue
        found = ranges.ga4(table) or ranges.ga4_comments(doc.comments)
        if found is None:
            raise reader.error(
                "the GA4 snapshot needs its range: expected '# Start date:' and "
                "'# End date:' lines",
                nth,
                None,
            )
        start = found[0]
        days = reader.numbers({"n": nth})["n"]
        keep = ~np.isnan(days) & (days >= 0)
        seen = pd.Series(days).where(keep).duplicated() & keep
        if seen.any():
            row = int(np.flatnonzero(seen.to_numpy())[0])
            raise reader.error(
                f"day {int(days[row])} appears twice in the "
                f"{reader.name(reader.find_names(SNAPSHOT[metric]) or 1)!r} series: the export "
                "looks cut off or edited; download it again from GA4",
                nth,
                row,
            )
        value = reader.numbers({metric: reader.find_names(SNAPSHOT[metric]) or 1})[metric]
        series[metric] = pd.Series(value[keep], index=days[keep].astype(int))
    if not series or start is None:
        raise KpiXlError(
            "this GA4 Reports snapshot holds no daily series kpi_xl reads (Users, New users, "
            "Total revenue by Nth day): export Reports > Acquisition > Traffic acquisition "
            "instead",
            file=first.file,
        )
    frame = pd.DataFrame(series).sort_index()
    measures: dict[str, np.ndarray] = {}
    for key in ("users", "new_users", "revenue"):
        if key in frame:
            measures[key] = frame[key].to_numpy(dtype="float64")
    if "engagement_per_user" in frame and "users" in frame:
        measures["engagement_time_s"] = (frame["engagement_per_user"] * frame["users"]).to_numpy()
    day = pd.Series(pd.Timestamp(start) + pd.to_timedelta(frame.index.to_numpy(), unit="D"))
    day = day.astype("datetime64[ns]")
    table = Table(first.file, ["Nth day"], first.header_line, [pd.Series(frame.index)],
                  np.arange(len(frame), dtype=np.int64) + (first.header_line or 0) + 1)  # fmt: skip
    loaded = finish(
        Reader(table),
        source=NAME,
        dates=day,
        channel=ctx.channels(NAME, "all"),
        measures=measures,
    )
    report = Report(first.file, NAME, "GA4", "daily", rows=len(loaded.frame))
    report.start, report.end = day.min().date(), day.max().date()
    report.notes.append("a Reports snapshot: site totals by day (channel all)")
    return Loaded(loaded.frame, loaded.lines, loaded.files, (NAME,), (report,))


PLATFORM = Platform(
    name=NAME,
    title="GA4",
    kind="analytics",
    layout="GA4 report CSV ('#' preamble; a channel group or source / medium dimension; "
    "Sessions, Total users, Key events...)",
    detect=Detect(any_of=((*SIGNATURE, GROUP, SOURCE_MEDIUM, NTH_DAY),)),
    dates=(
        DayColumn(DATE, (COMPACT, ISO)),
        PeriodColumn(DATE_HOUR, "hour"),
        PeriodColumn(NTH_DAY, "nthday"),
        PeriodColumn(WEEK, "weeknumber"),
        ReportRange(ranges.ga4, "the report's '# Start date:' and '# End date:' lines"),
    ),
    measures=MEASURES,
    rates=RATES,
    durations=DURATIONS,
    channel=Channels("other", GROUP, CHANNEL_GROUPS, _source_medium_channels, in_segment=True),
    campaign=CAMPAIGN,
    signals=(
        Signal("comment", r"^-{10,}$"),
        Signal("comment", r"^(property|account):"),
        Signal("comment", r"^(start|end) date:\s*\d{8}"),
    ),
    refusals=(Refusal(_refusal_message(), _refused_report),),
    totals=Totals(keep_whole="all"),
    derive=_derive,
    pick=_pick,
    read=read,
    other_dimensions=True,
    priority=20,
)
