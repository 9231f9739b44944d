"""Mailchimp campaign reports (Reports > Export: one row per sent campaign).

Layout::

    Title,Subject,List,Send Date,Send Weekday,Total Recipients,Successful Deliveries,
    Soft Bounces,Hard Bounces,Total Bounces,Unique Opens,Open Rate,Unique Clicks,
    Click Rate,Unsubscribes,Abuse Complaints,Total Orders,Total Revenue
    Spring newsletter,Hello,Main list,"Mar 31, 2025 10:00 am",Monday,"1,000",980,...

The campaigns list (``Title,Subject,Audience,Send Date,Send Weekday,Total Recipients,
Unique Id``) reads as emails sent only. A campaign counts on its send day. ``Total Orders``
and ``Total Revenue`` are what Mailchimp attributes to the e-mails (its own conversions and
conversion value, not the shop's revenue). Rates are derived and ignored. Channel:
``email``.
"""

from __future__ import annotations

import numpy as np

from kpi_xl.ingest.dates import ISO, ISO_TIME, MAILCHIMP, MONTH_NAME, US_SLASH
from kpi_xl.ingest.fields import Reader
from kpi_xl.ingest.spec import Channels, DayColumn, Detect, Platform, Totals, col

NAME = "mailchimp"
SEND_DATE = col("Send Date", "Send Time", "Sent Date")
MEASURES = {
    "emails_sent": col("Total Recipients", "Emails Sent", "Recipients"),
    "emails_delivered": col("Successful Deliveries", "Delivered"),
    "unique_opens": col("Unique Opens"),
    "unique_clicks": col("Unique Clicks", "Unique Subscriber Clicks"),
    "unsubscribes": col("Unsubscribes", "Unsubscribed"),
    "conversions": col("Total Orders"),
    "conversion_value": col("Total Revenue"),
}
BOUNCES = {
    "hard": col("Hard Bounces"),
    "soft": col("Soft Bounces"),
    "total": col("Total Bounces"),
}


def _derive(reader: Reader, values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    measures = {k: v for k, v in values.items() if k in MEASURES}
    parts = [values[k] for k in ("hard", "soft") if k in values]
    if parts:
        stacked = np.vstack(parts)
        total = np.nansum(stacked, axis=0)
        total[np.isnan(stacked).all(axis=0)] = np.nan
        measures["email_bounces"] = total
    elif "total" in values:
        measures["email_bounces"] = values["total"]
    return measures


PLATFORM = Platform(
    name=NAME,
    title="Mailchimp",
    kind="email",
    layout="Mailchimp campaign report (Title, Send Date, Total Recipients, Successful "
    "Deliveries, Unique Opens...)",
    detect=Detect(
        all_of=(SEND_DATE,),
        any_of=((col("Unique Opens"), col("Successful Deliveries"), col("Total Recipients")),),
    ),
    dates=(DayColumn(SEND_DATE, (MAILCHIMP, MONTH_NAME, ISO_TIME, ISO, US_SLASH)),),
    measures=MEASURES,
    inputs=BOUNCES,
    channel=Channels("email"),
    campaign=col("Campaign Title", "Title", "Campaign Name"),
    segments=(col("List", "Audience", "List Name", "Audience Name"),),
    totals=Totals(empty_labels=False),
    derive=_derive,
)
