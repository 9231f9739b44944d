"""Klaviyo campaign analytics (Campaigns > Export analytics: one row per sent campaign).

Layout (comma-separated, only fields holding a comma or a line break quoted)::

    Campaign Name,Tags,Subject,List,Send Time,Send Weekday,Total Recipients,
    Unique Placed Order,Placed Order Rate,Revenue,Unique Opens,Open Rate,Total Opens,
    Unique Clicks,Click Rate,Total Clicks,Unsubscribes,Spam Complaints,Spam Complaints Rate,
    Successful Deliveries,Bounces,Bounce Rate,Campaign ID,Campaign Channel
    Email Promo | Free shipping April 2025,"Email, promo, shipping",[MULTIPLE VARIATIONS],
    MiiR - All Subscribers,2025-04-06 11:00:00,Sunday,121401.0,23.0,0.02%,1222.91,58647.0,
    48.43%,83753.0,770.0,0.64%,929.0,476.0,16.0,0.01%,121108.0,293.0,0.24%,01JQYYRSHT...,Email

Counts are written with ``.0``, rates as ``48.43%`` (unique opens / successful deliveries);
a subject can hold a line break, ``List`` several lists and segments joined with commas.
Exported with "include all email variations", ``Variant Name`` follows ``Campaign Name``
and ``Winning Variant?`` ends the row: an A/B campaign gives one row per variation.

Each row holds the campaign's totals since it was sent and counts on its send day (``Send
Time``, the account's time zone as written). Read: ``Total Recipients`` -> ``emails_sent``,
``Successful Deliveries`` -> ``emails_delivered``, ``Unique Opens`` -> ``unique_opens``,
``Unique Clicks`` -> ``unique_clicks``, ``Unsubscribes`` -> ``unsubscribes``, ``Bounces``
-> ``email_bounces``; ``Unique Placed Order`` and ``Revenue`` are what Klaviyo attributes
to the campaign (its own ``conversions`` and ``conversion_value``, never the shop's
revenue). Rates, total opens and clicks, spam complaints are not read. ``campaign`` is the
campaign name, ``segment`` the list (and the variation). Channel ``email``; a campaign
whose ``Campaign Channel`` is ``SMS`` or push is kept apart as ``other``.

A second layout has ``Date`` holding only the year (``2025``), ``Group Id`` and
``List/Segment``, and rates as fractions (``0.4843``): each row covers its whole year, so a
monthly or weekly plan refuses it (export the campaign analytics instead, where each
campaign has its send time). ``Group Id`` joins the segment, so that two sends of a
campaign name in one year stay two rows.

Seen in real exports (pasted into public code, so bytes such as a BOM or CRLF are not
known): the 24-column layout above and its formats. From the column list of a public
parser and Klaviyo's help only: ``Variant Name`` and ``Winning Variant?`` (their values
here are assumed). Not seen: an SMS or push row, and the year-only layout (our own
observation; no public copy was found), including its column names besides ``Date``,
``Group Id`` and ``List/Segment``.
"""

from __future__ import annotations

from kpi_xl.ingest.dates import ISO, ISO_TIME
from kpi_xl.ingest.fields import Context, Loaded
from kpi_xl.ingest.reader import read_platform
from kpi_xl.ingest.spec import Channels, DayColumn, Detect, PeriodColumn, Platform, Totals, col
from kpi_xl.ingest.table import Document, Table

NAME = "klaviyo"
CAMPAIGN = col("Campaign Name")
CHANNEL = col("Campaign Channel")
LIST = col("List", "List/Segment")
MEASURES = {
    "emails_sent": col("Total Recipients"),
    "emails_delivered": col("Successful Deliveries"),
    "unique_opens": col("Unique Opens"),
    "unique_clicks": col("Unique Clicks"),
    "unsubscribes": col("Unsubscribes"),
    "email_bounces": col("Bounces"),
    "conversions": col("Unique Placed Order"),
    "conversion_value": col("Revenue"),
}
#: ``Campaign Channel``: SMS and push campaigns are not e-mails (their recipients, opens and
#: clicks would be added to the e-mails'): their rows are left out, and the report says so.
CHANNELS = {"email": "email", "sms": "other", "push": "other", "mobile push": "other"}
NOT_EMAIL = "other"
#: Column names of Klaviyo's exports that Mailchimp's (``Abuse Complaints``) do not have.
SIGNATURE = (
    col("Spam Complaints"),
    col("Spam Complaints Rate"),
    CHANNEL,
    col("Unique Placed Order"),
    col("Placed Order Rate"),
    col("Winning Variant?"),
    col("List/Segment"),
    col("Group Id"),
)


def read(tables: list[Table], doc: Document, ctx: Context) -> Loaded:
    """The generic reader, without the SMS and push campaigns (noted on the report)."""
    loaded = read_platform(PLATFORM, tables, doc, ctx)
    sms = (loaded.frame["channel"] == NOT_EMAIL).to_numpy()
    if not sms.any():
        return loaded
    keep = ~sms
    for report in loaded.reports:
        report.rows = int(keep.sum())
        report.notes.append(
            f"{int(sms.sum())} SMS or push campaign row(s) left out: kpi_xl plans e-mail here, "
            "and their sends, opens and clicks are not e-mails"
        )
    frame = loaded.frame[keep].reset_index(drop=True)
    return Loaded(frame, loaded.lines[keep], loaded.files[keep], loaded.formats, loaded.reports)


PLATFORM = Platform(
    name=NAME,
    title="Klaviyo",
    kind="email",
    layout="Klaviyo campaign analytics export (Campaign Name, List, Send Time, Total "
    "Recipients, Unique Opens, Unique Clicks, Unique Placed Order, Revenue...)",
    detect=Detect(all_of=(CAMPAIGN,), any_of=(SIGNATURE,)),
    dates=(
        DayColumn(col("Send Time", "Send Date"), (ISO_TIME, ISO)),
        PeriodColumn(col("Date"), "year"),
    ),
    measures=MEASURES,
    channel=Channels("email", CHANNEL, CHANNELS),
    campaign=CAMPAIGN,
    segments=(LIST, col("Variant Name"), col("Group Id")),
    totals=Totals(empty_labels=False),
    read=read,
    docs="``Unique Placed Order`` and ``Revenue`` are Klaviyo's attributed conversions and "
    "value. The year-only layout (``Date`` = ``2025``) is read as whole-year rows. SMS and "
    "push campaigns are left out (they are not e-mails), with a note.",
    references=(
        "https://help.klaviyo.com/hc/en-us/articles/115005258568-Review-Campaign-Analytics "
        "(Export Analytics: time range or all sent campaigns, folder, 'include all email "
        "variations'; the list holds email, SMS and push campaigns)",
        "public repo ishika-riq/zipsense-analytics-agent backend/server.js: two pasted real "
        "exports with the 24-column header (counts with .0, rates with %, a quoted "
        "comma-joined List, a subject with a line break, Send Time seconds :01/:07, "
        "Campaign Channel Email; open rate = unique opens / successful deliveries checks out)",
        "public repo J3diHunt3r/BGN-Email-Marketing-Dashboard README.md, src/lib/csvParser.ts "
        "(the variations header: Variant Name, Winning Variant?)",
        "https://docs.coupler.io/sources/category/marketing/klaviyo/data-overview (campaign "
        "channel: email or SMS)",
        "unverified: the values of Variant Name and Winning Variant?, an SMS or push row, the "
        "year-only layout (Date, Group Id, List/Segment: our own observation, not found in "
        "public files), BOM and line ends of a raw download",
    ),
    priority=40,  # before Mailchimp (50), whose header test accepts Send Time + Unique Opens
)
