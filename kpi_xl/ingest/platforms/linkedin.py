"""LinkedIn Campaign Manager exports (campaign performance report: UTF-16 TSV or CSV).

Layout::

    Campaign Performance Report (in UTC)             <- preamble lines
    Report Start: January 1, 2026, 12:00 AM
    Report End: January 31, 2026, 11:59 PM
    Date Generated: February 2, 2026, 9:14 AM
    Start Date (in UTC)  End Date (in UTC)  Campaign Name  Currency  Total Spent  Impressions ...
    1/1/2026             1/1/2026           B2B contractors  USD     33.33        1000 ...
    Total ...                                        <- dropped

Broken down by day, each row covers ``Start Date`` to ``End Date`` (one day). Without a
time breakdown each row is dated with the period's first day only: when every row starts
on the ``Report Start`` day and the report covers more than one day, the rows cover the
report's range. Dates follow the account's locale (``M/D/YYYY`` or ``D/M/YYYY``).

``Clicks to Landing Page`` are clicks; ``Clicks`` are all clicks (reactions, profile,
expand...). ``Leads`` are the platform's leads; ``Conversions`` and ``Conversion Value``
its conversions. Engagements: ``Total Engagements``, else reactions + comments + shares.
Channel: ``paid_social``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kpi_xl.ingest import ranges
from kpi_xl.ingest.dates import EU_SLASH, ISO, MONTH_NAME, US_SLASH
from kpi_xl.ingest.fields import Context, Loaded, Reader
from kpi_xl.ingest.reader import read_platform
from kpi_xl.ingest.spec import (
    Channels,
    Currency,
    DayColumn,
    Detect,
    Platform,
    RangeColumns,
    ReportRange,
    col,
)
from kpi_xl.ingest.table import Document, Table

NAME = "linkedin"
START = col("Start Date (in UTC)", "Start Date")
END = col("End Date (in UTC)", "End Date")
FORMATS = (US_SLASH, EU_SLASH, ISO, MONTH_NAME)
MEASURES = {
    "cost": col("Total Spent", "Amount Spent", "Spent"),
    "impressions": col("Impressions"),
    "clicks": col("Clicks to Landing Page"),
    "clicks_all": col("Clicks"),
    "conversions": col("Conversions", "Total Conversions"),
    "conversion_value": col("Conversion Value", "Total Conversion Value"),
    "platform_leads": col("Leads", "Leads (Work Email)"),
    "reach": col("Reach"),
    "engagements": col("Total Engagements"),
    "shares": col("Shares"),
}
PARTS = {"reactions": col("Reactions"), "comments": col("Comments")}


def _derive(reader: Reader, values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    measures = {k: v for k, v in values.items() if k in MEASURES}
    if "engagements" not in measures and "shares" in values and any(k in values for k in PARTS):
        stacked = np.vstack([values[k] for k in (*PARTS, "shares") if k in values])
        total = np.nansum(stacked, axis=0)
        total[np.isnan(stacked).all(axis=0)] = np.nan
        measures["engagements"] = total
    return measures


def generated(table: Table) -> pd.Timestamp | None:
    for line in table.preamble:
        if line.casefold().startswith("date generated"):
            text = line.split(":", 1)[1].strip().strip(",")
            day = ranges.parse_day(text.rsplit(",", 1)[0] if text.count(",") > 1 else text)
            if day is not None:
                return pd.Timestamp(day)
    return None


def read(tables: list[Table], doc: Document, ctx: Context) -> Loaded:
    """The generic reader, then whole-period rows dated with the period's first day only
    get the report's range."""
    loaded = read_platform(PLATFORM, tables, doc, ctx)
    table = tables[0]
    found = ranges.linkedin(table)
    frame = loaded.frame
    if found is None or found[0] == found[1] or frame.empty:
        return loaded
    start = pd.Timestamp(found[0])
    single = (frame["date_from"] == start).all() and (frame["date_to"] == start).all()
    if not single:
        return loaded
    frame = frame.assign(date_to=pd.Timestamp(found[1]))
    report = loaded.reports[0]
    report.granularity = "whole period"
    report.start, report.end = found
    return Loaded(frame, loaded.lines, loaded.files, loaded.formats, loaded.reports)


PLATFORM = Platform(
    name=NAME,
    title="LinkedIn Ads",
    kind="ads",
    layout="LinkedIn Campaign Manager export (preamble lines; Start Date (in UTC), Campaign "
    "Name, Total Spent, Impressions, Clicks...)",
    detect=Detect(
        all_of=(col("Campaign Name", "Ad Set Name"),), any_of=((MEASURES["cost"], START),)
    ),
    dates=(
        RangeColumns(START, END, FORMATS),
        DayColumn(START, FORMATS),
        ReportRange(ranges.linkedin, "the 'Report Start:' and 'Report End:' lines"),
    ),
    measures=MEASURES,
    inputs=PARTS,
    channel=Channels("paid_social"),
    campaign=col("Campaign Name"),
    segments=(col("Ad Set Name"), col("Creative Name", "Ad Name")),
    currency=Currency(col("Currency")),
    derive=_derive,
    read=read,
    exported_at=lambda table: t.to_pydatetime() if (t := generated(table)) else None,
)
