"""HubSpot CRM exports: the contacts and deals index views (Export view / Export all
properties), one row per record, counted here.

Contacts (``hubspot-crm-exports-all-contacts-YYYY-MM-DD.csv``)::

    "Record ID","First Name","Last Name","Email","Create Date","Lifecycle Stage",
    "Original Source","Original Source Drill-Down 1","Became a Customer Date"    <- one line
    "501","Ada","Lovelace","ada@example.com","2025-12-16 19:42","Lead","Organic Search",...
    "502","Bo","Ng","bo@example.com","2025-12-16 20:05","Customer","Offline Sources","IMPORT",
    "2025-12-18 09:30"

Deals (``hubspot-crm-exports-all-deals-YYYY-MM-DD.csv``)::

    "Record ID","Deal Name","Deal Stage","Close Date","Deal owner","Amount","Pipeline",...
    "9001","Acme - New Business","Closed Won","2026-01-31 17:00","Sarah Chen","25000",...

No preamble, no totals. Older exports name the first column ``Contact ID`` / ``Deal ID``.
Date-times are ``YYYY-MM-DD HH:MM`` in the account's time zone: the calendar day as written
counts. Rows are aggregated to one per day, channel and source.

* Contacts: every contact is 1 ``leads`` on its ``Create Date`` (filter the view in
  HubSpot, e.g. by lifecycle stage, to count only some contacts). With a ``Became a
  Customer Date`` column each contact that has one is also 1 ``new_customers`` on that
  day; a ``Lifecycle Stage`` of Customer without that column cannot be dated and is not
  counted (the report says so). Customers are counted from the contacts the view holds:
  export a view that is not limited by create date (a contact created in March may become
  a customer in April), and re-export it whole rather than in create-date windows (a newer
  export replaces an older one's days, channel by channel).
* Deals: a deal whose ``Is Closed Won`` is true (when the export has that column, which
  also covers pipelines with their own won stage), else whose ``Deal Stage`` reads
  ``Closed won``, is 1 ``deals_won`` and its ``Amount`` is ``deal_value`` on its ``Close
  Date``; open and lost deals are not counted (the report says how many). The currency is
  the ``Currency`` column's (multi-currency accounts), one per file; without it, none.
* Channel: ``Original Source`` (contacts) / ``Original Source Type`` (deals), case-
  insensitive: Organic search -> seo, Paid search -> paid_search, Email marketing ->
  email, Organic social (formerly Social Media) -> organic_social, Paid social ->
  paid_social, Direct traffic -> direct, Referrals and AI referrals -> referral, Other
  campaigns, Offline sources, an empty or unknown source -> other. An export without the
  column gives channel ``all`` (not split by channel). The source's label (sentence
  case, as HubSpot's knowledge base writes it) is the segment, so that sources sharing a
  channel (Other campaigns, Offline sources) stay apart; the campaign is empty. The
  ``Original Source Drill-Down 1`` column (a search term, a referring domain, a
  utm_campaign or IMPORT / CRM_UI, depending on the source) is not used: its values mean
  different things per source.

Unverified: the label casing in a given portal (both casings are read), ``AI referrals``
as an Original Source value (seen as a traffic-analytics source), the ``Currency`` column
name in multi-currency exports and the ``Is Closed Won`` values (``true`` / ``false`` as
parsers of real exports read them).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np
import pandas as pd

from kpi_xl.ingest.canonical import COLUMNS
from kpi_xl.ingest.dates import ISO, ISO_TIME
from kpi_xl.ingest.fields import Context, Loaded, Reader, Report, finish
from kpi_xl.ingest.spec import (
    Channels,
    Currency,
    DayColumn,
    Detect,
    Names,
    Platform,
    Signal,
    Totals,
    col,
)
from kpi_xl.ingest.table import Document, Table

CONTACTS_NAME = "hubspot_contacts"
DEALS_NAME = "hubspot_deals"
FORMATS = (ISO_TIME, ISO)

CONTACT_ID = col("Record ID", "Contact ID")
DEAL_ID = col("Record ID", "Deal ID")
CREATE_DATE = col("Create Date")
CLOSE_DATE = col("Close Date")
EMAIL = col("Email")
FIRST_NAME = col("First Name")
LAST_NAME = col("Last Name")
LIFECYCLE_STAGE = col("Lifecycle Stage")
BECAME_CUSTOMER = col("Became a Customer Date")
CONTACT_SOURCE = col("Original Source", "Original Source Type")
DEAL_SOURCE = col("Original Source Type", "Original Source")
DEAL_NAME = col("Deal Name")
DEAL_STAGE = col("Deal Stage")
IS_CLOSED_WON = col("Is Closed Won")
AMOUNT = col("Amount")
CURRENCY = col("Currency", "Deal currency code")

#: Original Source values (labels, matched case-insensitively: HubSpot wrote them in title
#: case, now in sentence case) -> (the label kept as segment, the channel).
SOURCES: Mapping[str, tuple[str, str]] = {
    key: value
    for value, keys in [
        (("Organic search", "seo"), ("organic search",)),
        (("Paid search", "paid_search"), ("paid search",)),
        (("Email marketing", "email"), ("email marketing",)),
        (("Organic social", "organic_social"), ("organic social", "social media")),
        (("Paid social", "paid_social"), ("paid social",)),
        (("Direct traffic", "direct"), ("direct traffic",)),
        (("Referrals", "referral"), ("referrals",)),
        (("AI referrals", "referral"), ("ai referrals",)),
        (("Other campaigns", "other"), ("other campaigns",)),
        (("Offline sources", "other"), ("offline sources",)),
    ]
    for key in keys
}  # fmt: skip
CHANNEL_TABLE = {key: channel for key, (_, channel) in SOURCES.items()}
WON_STAGES = frozenset({"closed won", "closedwon", "closed-won"})
TRUE = frozenset({"true", "yes", "1", "1.0"})


def _empty(report: Report) -> Loaded:
    frame = pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if c.startswith("date") else object)
                          for c in COLUMNS})  # fmt: skip
    return Loaded(frame, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=object),
                  (report.platform,), (report,))  # fmt: skip


def _days(reader: Reader, pos: int) -> pd.Series:
    """The calendar days of a date-time column (``2025-03-04 10:15`` -> 4 March), as
    written: the time (and any zone) is dropped before the date is read."""
    text = reader.text(pos).str.strip()
    days = text.str.replace(r"^(\d{4}-\d{1,2}-\d{1,2})[T ].*$", r"\1", regex=True)
    columns = [days if i == pos else c for i, c in enumerate(reader.table.columns)]
    return Reader(dataclasses.replace(reader.table, columns=columns)).dates(pos, (ISO,))


def _sources(
    reader: Reader, names: Names, platform: str, ctx: Context
) -> tuple[pd.Series, pd.Series]:
    """Each record's channel and segment (the source's label), from its original source."""
    n = len(reader.table)
    pos = reader.find_names(names)
    if pos is None:
        channel = ctx.channels(platform, "all")
        return pd.Series([channel] * n, dtype=object), pd.Series([""] * n, dtype=object)
    raw = reader.text(pos).str.strip()
    channels = ctx.channels(platform, "other", raw, CHANNEL_TABLE)
    if isinstance(channels, str):
        channels = pd.Series([channels] * n, dtype=object)
    labels = [SOURCES.get(v.casefold(), (v, ""))[0] for v in raw.tolist()]
    return channels.reset_index(drop=True), pd.Series(labels, dtype=object)


def _counted(
    reader: Reader,
    events: list[pd.DataFrame],
    measures: list[str],
    platform: str,
    currency: str = "",
) -> Loaded:
    """The events (one per counted record: day, channel, segment, line, measures) summed
    into one canonical row per day, channel and segment."""
    table = reader.table
    frame = pd.concat(events, ignore_index=True)
    grouped = frame.groupby(["day", "channel", "segment"], sort=True)
    sums = grouped[measures].sum().reset_index()
    lines = grouped["line"].min().to_numpy(dtype=np.int64)
    rows = Table(table.file, ["day"], table.header_line, [sums["day"]], lines)
    return finish(
        Reader(rows),
        source=platform,
        dates=sums["day"].astype("datetime64[ns]"),
        channel=sums["channel"].astype(object),
        measures={m: sums[m].to_numpy(dtype="float64") for m in measures},
        segment=sums["segment"].astype(object),
        currency=currency,
    )


def _events(
    days: pd.Series, channel: pd.Series, segment: pd.Series, lines: np.ndarray,
    **measures: np.ndarray | float,
) -> pd.DataFrame:  # fmt: skip
    return pd.DataFrame({
        "day": days.reset_index(drop=True), "channel": channel.reset_index(drop=True),
        "segment": segment.reset_index(drop=True), "line": lines, **measures,
    })  # fmt: skip


def _done(loaded: Loaded, report: Report) -> Loaded:
    report.rows = len(loaded.frame)
    if report.rows:
        report.start = loaded.frame["date_from"].min().date()
        report.end = loaded.frame["date_to"].max().date()
    return Loaded(loaded.frame, loaded.lines, loaded.files, (report.platform,), (report,))


def read_contacts(tables: list[Table], doc: Document, ctx: Context) -> Loaded:
    """Leads by create day, new customers by the day they became customers."""
    table = tables[0]
    report = Report(table.file, CONTACTS_NAME, CONTACTS.title, "daily")
    if len(table) == 0:
        report.warnings.append("the HubSpot contacts export holds no contacts (no rows read)")
        return _empty(report)
    reader = Reader(table)
    created = reader.find_names(CREATE_DATE)
    assert created is not None  # the header was recognized by it
    channel, segment = _sources(reader, CONTACT_SOURCE, CONTACTS_NAME, ctx)
    if reader.find_names(CONTACT_SOURCE) is None:
        report.notes.append("no 'Original Source' column: leads are not split by channel (all)")
    events = [_events(_days(reader, created), channel, segment, table.lines, leads=1.0)]
    measures = ["leads"]
    customer = reader.find_names(BECAME_CUSTOMER)
    stage = reader.find_names(LIFECYCLE_STAGE)
    if customer is not None:
        filled = (reader.text(customer).str.strip() != "").to_numpy(dtype=bool)
        days = _days(Reader(table.take(filled)), customer)
        keep = pd.Series(filled)
        events[0]["new_customers"] = 0.0
        events.append(
            _events(days, channel[keep], segment[keep], table.lines[filled],
                    leads=0.0, new_customers=1.0)
        )  # fmt: skip
        measures.append("new_customers")
    elif stage is not None:
        customers = int((reader.text(stage).str.strip().str.casefold() == "customer").sum())
        if customers:
            report.notes.append(
                f"{customers} customer(s) (Lifecycle Stage) not counted as new customers: "
                "add the 'Became a Customer Date' column to the export to date them"
            )
    return _done(_counted(reader, events, measures, CONTACTS_NAME), report)


def _won(reader: Reader) -> np.ndarray:
    flag = reader.find_names(IS_CLOSED_WON)
    if flag is not None:
        values = reader.text(flag).str.strip().str.casefold()
        return values.isin(TRUE).to_numpy(dtype=bool)
    stage = reader.find_names(DEAL_STAGE)
    assert stage is not None  # the header was recognized by one of them
    return reader.text(stage).str.strip().str.casefold().isin(WON_STAGES).to_numpy(dtype=bool)


def _deal_currency(reader: Reader) -> str:
    pos = reader.find_names(CURRENCY)
    if pos is None:
        return ""
    codes = reader.text(pos).str.strip().str.upper()
    present = codes[codes != ""]
    if present.nunique() > 1:
        first = str(present.iloc[0])
        row = int(np.flatnonzero((codes != "").to_numpy() & (codes != first).to_numpy())[0])
        raise reader.error(
            f"won deals in {first} and {codes.iloc[row]}: expected one currency per file "
            "(filter the deals view by currency and export each)",
            pos,
            row,
        )
    return str(present.iloc[0]) if len(present) else ""


def read_deals(tables: list[Table], doc: Document, ctx: Context) -> Loaded:
    """Won deals and their amounts by close day; open and lost deals are not counted."""
    table = tables[0]
    report = Report(table.file, DEALS_NAME, DEALS.title, "daily")
    if len(table) == 0:
        report.warnings.append("the HubSpot deals export holds no deals (no rows read)")
        return _empty(report)
    all_deals = Reader(table)
    won = _won(all_deals)
    others = int((~won).sum())
    if others:
        report.notes.append(f"{others} open or lost deals not counted")
    if not won.any():
        report.notes.append(
            "no won deal: a deal counts when its Deal Stage is 'Closed won', or with an "
            "'Is Closed Won' column (pipelines with their own won stage) when that is true"
        )
        return _empty(report)
    channel, segment = _sources(all_deals, DEAL_SOURCE, DEALS_NAME, ctx)
    if all_deals.find_names(DEAL_SOURCE) is None:
        report.notes.append("no 'Original Source Type' column: deals are not split by channel")
    keep = pd.Series(won)
    reader = Reader(table.take(won))
    close = reader.find_names(CLOSE_DATE)
    assert close is not None  # the header was recognized by it
    days = _days(reader, close)
    measures: dict[str, np.ndarray | float] = {"deals_won": 1.0}
    amount = reader.find_names(AMOUNT)
    if amount is not None:
        values = reader.numbers({"amount": amount})["amount"]
        missing = int(np.isnan(values).sum())
        if missing:
            report.notes.append(f"{missing} won deal(s) without an Amount (value 0)")
        measures["deal_value"] = np.nan_to_num(values, nan=0.0)
    events = [_events(days, channel[keep], segment[keep], reader.table.lines, **measures)]
    loaded = _counted(reader, events, list(measures), DEALS_NAME, _deal_currency(reader))
    return _done(loaded, report)


CONTACTS = Platform(
    name=CONTACTS_NAME,
    title="HubSpot contacts",
    kind="crm",
    layout="HubSpot contacts export (Record ID, First Name, Last Name, Email, Create Date, "
    "Original Source...; one row per contact)",
    detect=Detect(
        all_of=(CONTACT_ID, CREATE_DATE),
        any_of=((EMAIL, FIRST_NAME, LAST_NAME),),
        none_of=(DEAL_STAGE, DEAL_NAME, IS_CLOSED_WON),
    ),
    dates=(DayColumn(CREATE_DATE, FORMATS),),
    measures={"leads": CREATE_DATE, "new_customers": BECAME_CUSTOMER},
    channel=Channels("all", CONTACT_SOURCE, CHANNEL_TABLE, in_segment=True),
    totals=Totals(empty_labels=False),
    signals=(
        Signal("header", r"^original source drill-down [12]$"),
        Signal("header", r"^(marketing contact status|contact owner)$"),
    ),
    read=read_contacts,
    docs="Each contact is one lead on its Create Date and, with a Became a Customer Date, "
    "one new customer on that date; rows are summed by day, channel and original source.",
    references=(
        "https://knowledge.hubspot.com/properties/understand-source-properties",
        "https://knowledge.hubspot.com/articles/kcs_article/reports/"
        "hubspot-sources-frequently-asked-questions",
        "https://www.databranding.net/blog/ai-referrals-hubspot-why-track-it (AI referrals; "
        "unverified as an Original Source value)",
        "public code: a contacts view export's header (Record ID ... Create Date, Associated "
        "Company), index file 45702832094; Create Date parsed as %Y-%m-%d %H:%M from "
        "hubspot-crm-exports-company-sync-2-2025-12-17.csv, index file 39551232874",
    ),
)

DEALS = Platform(
    name=DEALS_NAME,
    title="HubSpot deals",
    kind="crm",
    layout="HubSpot deals export (Record ID, Deal Name, Deal Stage, Close Date, Amount...; "
    "one row per deal)",
    detect=Detect(all_of=(DEAL_ID, CLOSE_DATE), any_of=((DEAL_STAGE, IS_CLOSED_WON),)),
    dates=(DayColumn(CLOSE_DATE, FORMATS),),
    measures={"deals_won": DEAL_STAGE, "deal_value": AMOUNT},
    channel=Channels("all", DEAL_SOURCE, CHANNEL_TABLE, in_segment=True),
    currency=Currency(CURRENCY),
    totals=Totals(empty_labels=False),
    signals=(Signal("header", r"^(deal owner|original source type|is closed won)$"),),
    read=read_deals,
    docs="Each won deal (Is Closed Won true, else Deal Stage 'Closed won') is one deal won "
    "and its Amount won deal value on its Close Date; open and lost deals are not counted.",
    references=(
        "https://knowledge.hubspot.com/crm-deals/hubspots-default-deal-properties",
        "https://www.blendb2b.com/blog/hubspots-original-source-explained (the deal "
        "property is 'Original Source Type')",
        "public code: an all-properties deals export's header ('Deal ID', 'Deal Stage', "
        "'Close Date', 'Amount', 'Currency', 'Amount in company currency', 'Original Source "
        "Type'), index file 43151518359; exports read with 'Is Closed Won' / 'Is closed "
        "lost' = true/false and Close Date[:10], index files 70337717248, 62068853491",
        'public code: hubspot-crm-exports-all-deals-2024-08-27.csv header ("Record ID",'
        '"Deal Name",...,"Deal Stage","Close Date","Deal owner","Amount"...), '
        "index file 12761626184",
    ),
)

PLATFORMS = (CONTACTS, DEALS)
