"""Mailchimp campaign report CSV (Reports > Export: one row per sent campaign).

Layout::

    Title,Subject,List,Send Date,Send Weekday,Total Recipients,Successful Deliveries,
    Soft Bounces,Hard Bounces,Total Bounces,Unique Opens,Open Rate,Unique Clicks,
    Click Rate,Unsubscribes,Abuse Complaints,Total Orders,Total Revenue
    Spring newsletter,Hello,Main list,"Mar 31, 2025 10:00 am",Monday,"1,000",980,...

Detected by a ``Send Date`` column with ``Unique Opens``, ``Successful Deliveries`` or
``Total Recipients``.

Columns:

* ``Send Date`` -> date, the calendar day as written (``Mar 31, 2025 10:00 am``,
  ``Mar 31, 2025``, ISO, ``3/31/2025``);
* ``Campaign Title`` / ``Title`` -> campaign; ``List`` / ``Audience`` -> segment;
* ``Total Recipients`` / ``Emails Sent`` -> emails_sent; ``Successful Deliveries`` ->
  emails_delivered; ``Unique Opens``; ``Unique Clicks`` (``Unique Subscriber Clicks``);
  ``Unsubscribes``;
* ``Hard Bounces`` + ``Soft Bounces`` -> email_bounces (else ``Total Bounces``);
* ``Total Orders`` -> orders and ``Total Revenue`` -> revenue, when present.

Rates (open rate, click rate) are derived and ignored. Channel: ``email``.
"""

from __future__ import annotations

import numpy as np

from kpi_xl.ingest.adapters.base import Adapter, has_any
from kpi_xl.ingest.dates import ISO, ISO_TIME, MAILCHIMP, MONTH_NAME, US_SLASH
from kpi_xl.ingest.fields import Context, Loaded, Reader, finish
from kpi_xl.ingest.table import Document, Table

NAME = "mailchimp"

SEND_DATE = ("send date", "send time", "sent date")
TITLE = ("campaign title", "title", "campaign name")
LIST = ("list", "audience", "list name", "audience name")
MEASURES = {
    "emails_sent": ("total recipients", "emails sent", "recipients"),
    "emails_delivered": ("successful deliveries", "delivered"),
    "unique_opens": ("unique opens",),
    "unique_clicks": ("unique clicks", "unique subscriber clicks"),
    "unsubscribes": ("unsubscribes", "unsubscribed"),
    "orders": ("total orders",),
    "revenue": ("total revenue",),
}
BOUNCES = {"hard": ("hard bounces",), "soft": ("soft bounces",), "total": ("total bounces",)}


def is_header(names: frozenset[str]) -> bool:
    return has_any(names, *SEND_DATE) and has_any(
        names, "unique opens", "successful deliveries", "total recipients"
    )


def read(tables: list[Table], doc: Document, ctx: Context) -> Loaded:
    reader = Reader(tables[0])
    date = reader.require("Send Date", *SEND_DATE)
    title = reader.find(*TITLE)
    audience = reader.find(*LIST)
    found = reader.find_each(MEASURES)
    bounces = reader.find_each(BOUNCES)
    reader = Reader(reader.table.take(~reader.summary_rows(date, [title], empty_labels=False)))
    dates = reader.dates(date, (MAILCHIMP, MONTH_NAME, ISO_TIME, ISO, US_SLASH))
    values = reader.numbers({**found, **{f"bounces_{k}": p for k, p in bounces.items()}})
    measures = {k: values[k] for k in found}
    labels = dict(found)
    if "hard" in bounces or "soft" in bounces:
        parts = [values[f"bounces_{k}"] for k in ("hard", "soft") if k in bounces]
        stacked = np.vstack(parts)
        total = np.nansum(stacked, axis=0)
        total[np.isnan(stacked).all(axis=0)] = np.nan
        measures["email_bounces"] = total
        labels["email_bounces"] = bounces.get("hard", bounces.get("soft", 0))
    elif "total" in bounces:
        measures["email_bounces"] = values["bounces_total"]
        labels["email_bounces"] = bounces["total"]
    return finish(
        reader,
        source=NAME,
        dates=dates,
        channel=ctx.channels(NAME, "email"),
        measures=measures,
        campaign=reader.text(title),
        segment=reader.text(audience),
        labels=labels,
    )


ADAPTER = Adapter(
    NAME,
    "Mailchimp campaign report (Title, Send Date, Total Recipients, Successful Deliveries, "
    "Unique Opens...)",
    is_header,
    read,
)
