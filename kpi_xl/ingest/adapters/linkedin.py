"""LinkedIn Campaign Manager export (campaign performance report, CSV or UTF-16 TSV).

Layout::

    Campaign Performance Report (in UTC)          <- preamble lines, ignored
    Report Start: 3/1/2025, 12:00 AM
    Report End: 3/31/2025, 11:59 PM
    Date Generated: 4/1/2025, 9:00 AM
    Time zone: (UTC) Coordinated Universal Time
    Start Date (in UTC),End Date (in UTC),Account Name,Campaign Group Name,Campaign Name,
    Currency,Total Spent,Impressions,Clicks,Reactions,Comments,Shares,Conversions,Leads
    3/1/2025,3/1/2025,Acme,Always on,CFO webinar,EUR,"1,234.50","12,000",85,...
    Total,,,,,,"2,469.00",...                    <- dropped

Detected by a ``Campaign Name`` column with ``Total Spent`` or ``Start Date (in UTC)``.

Columns:

* ``Start Date (in UTC)`` / ``Start Date`` -> date (``M/D/YYYY``, or ISO); with an
  ``End Date`` column the row must cover one day (export with time breakdown "Daily");
* ``Campaign Name`` -> campaign; segment is empty;
* ``Total Spent`` / ``Amount Spent`` -> cost; ``Impressions``; ``Clicks``;
  ``Conversions``; ``Leads``;
* ``Total Engagements`` -> engagements, else ``Reactions + Comments + Shares``;
  ``Shares`` -> shares;
* ``Currency``: one currency per file.

Channel: ``paid_social``. A row whose first cell reads ``Total`` is dropped.
"""

from __future__ import annotations

import numpy as np

from kpi_xl.ingest.adapters.base import Adapter, has_any
from kpi_xl.ingest.dates import ISO, US_SLASH
from kpi_xl.ingest.fields import Context, Loaded, Reader, finish, rows_between
from kpi_xl.ingest.table import Document, Table

NAME = "linkedin"

START = ("start date (in utc)", "start date")
END = ("end date (in utc)", "end date")
CAMPAIGN = ("campaign name", "campaign")
CURRENCY = ("currency",)
MEASURES = {
    "cost": ("total spent", "amount spent", "spent"),
    "impressions": ("impressions",),
    "clicks": ("clicks",),
    "conversions": ("conversions", "total conversions"),
    "leads": ("leads",),
    "engagements": ("total engagements",),
    "shares": ("shares",),
}
PARTS = {"reactions": ("reactions",), "comments": ("comments",)}


def is_header(names: frozenset[str]) -> bool:
    return "campaign name" in names and has_any(names, "total spent", "start date (in utc)")


def read(tables: list[Table], doc: Document, ctx: Context) -> Loaded:
    reader = Reader(tables[0])
    start = reader.require("Start Date (in UTC)", *START)
    end = reader.find(*END)
    campaign = reader.find(*CAMPAIGN)
    found = reader.find_each(MEASURES)
    parts = reader.find_each(PARTS)
    reader = Reader(reader.table.take(~reader.summary_rows(start, [campaign])))
    currency = reader.find(*CURRENCY)
    if currency is not None:
        reader.one_currency(currency)
    dates = reader.dates(start, (US_SLASH, ISO))
    if end is not None:
        rows_between(reader, dates, reader.dates(end, (US_SLASH, ISO)), end)
    values = reader.numbers({**found, **parts})
    measures = {k: values[k] for k in found}
    labels = dict(found)
    if "engagements" not in found and parts and "shares" in found:
        stacked = np.vstack([values[k] for k in (*parts, "shares")])
        total = np.nansum(stacked, axis=0)
        total[np.isnan(stacked).all(axis=0)] = np.nan
        measures["engagements"] = total
        labels["engagements"] = next(iter(parts.values()))
    return finish(
        reader,
        source=NAME,
        dates=dates,
        channel=ctx.channels(NAME, "paid_social"),
        measures=measures,
        campaign=reader.text(campaign),
        labels=labels,
    )


ADAPTER = Adapter(
    NAME,
    "LinkedIn Campaign Manager export (preamble lines; Start Date (in UTC), Campaign Name, "
    "Total Spent, Impressions, Clicks...)",
    is_header,
    read,
)
