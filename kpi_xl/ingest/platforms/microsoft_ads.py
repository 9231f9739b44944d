"""Microsoft Advertising (Bing Ads) report downloads (Reports page; CSV, TSV or .xlsx).

Layout::

    "Report Name: Campaign 3/1/2026"                       <- preamble: one quoted cell each
    "Report Time: 3/1/2026,3/31/2026"                      <- the range (also "2/1/2020, 2/7/2020",
    "Time Zone: (GMT+01:00) Amsterdam, Berlin, ..."           or one day "2/7/2020")
    "Last Completed Available Day: 4/1/2026 7:20:00 AM (GMT)"
    "Last Completed Available Hour: 4/1/2026 7:20:00 AM (GMT)"
    "Report Aggregation: Daily"                             <- or Summary (Hour, Weekly... refused)
    "Report Filter: "
    "Potential Incomplete Data: false"
    "Rows: 7"
                                                            <- blank line
    "Gregorian date","Account name","Campaign name","Ad distribution","Impressions","Clicks",...
    "2026-03-01","Acme EU","Brand - Exact","Search","1200","96","8.00%","0.52","49.92","4",...
                                                            <- blank line
    "©2026 Microsoft Corporation. All rights reserved. "    <- footer, ignored

The preamble is read although a blank line separates it from the header (the block
before the header's stands in as its preamble). Daily
reports have ``Gregorian date`` (API-style files: ``TimePeriod``), one day
per row. Summary reports have no date column: every row covers ``Report Time`` (the
reporting-service schema puts no time column in a Summary report). Hourly, weekly,
monthly, yearly, day-of-week and hour-of-day reports are refused (their date column, where
there is one, names the period's first day, which would be read as one day): run the
report with Daily (or Summary) aggregation.

Measures: ``Impressions`` (``Impr.``), ``Clicks``, ``Spend`` -> cost, ``Conversions``
(``Conv.``), ``Revenue`` -> conversion_value (Microsoft's conversion revenue, not the
shop's). Campaign: ``Campaign name``; segment: ``Ad group``, ``Keyword``, ``Device type``,
``Network``. Channel ``paid_search``; ``display`` where ``Ad distribution`` (else
``Campaign type``, else ``Network``) says ``Audience`` (the Microsoft Audience Network).
Currency: ``Currency code``. The export's own timestamp is ``Last Completed Available
Hour`` (UTC): a newer download of the same days replaces an older one. ``Potential
Incomplete Data: true`` is noted on the report. The footer and any ``Total`` row are
dropped.

Verified: the preamble keys, one quoted ``"Key: value"`` cell per line, blank line, footer
(Microsoft's report file schema and SDK docs, two real UI downloads); ``Report Time:
M/D/YYYY,M/D/YYYY`` without a space (two real files); ``Gregorian date``, ``Campaign
name``, ``Ad group``, ``Ad distribution``, ``Impressions``, ``Clicks``, ``Spend``,
``Conversions``, ``Revenue``, ``Currency code`` (a real 2017 UI report header);
``Ad distribution`` values ``Search`` / ``Audience`` (reporting docs). Not verified: the
``Campaign type`` column label of UI reports (``Search & content``, ``Audience`` are the
values seen in a support thread), ``Impr.`` / ``Conv.`` (the brief's aliases; no real
Microsoft file seen with them), CRLF line ends, the BOM, xlsx downloads' layout, and
whether a UI report ever carries a totals row (none seen). The two-cell preamble form
``"Report Time:","3/1/2026,3/31/2026"`` is read too, but no real file was seen with it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from kpi_xl.ingest import ranges
from kpi_xl.ingest.dates import ISO, US_SLASH
from kpi_xl.ingest.fields import Context, Loaded
from kpi_xl.ingest.reader import read_platform
from kpi_xl.ingest.spec import (
    Channels,
    Currency,
    DayColumn,
    Detect,
    Platform,
    Refusal,
    ReportRange,
    Signal,
    Totals,
    col,
)
from kpi_xl.ingest.table import Document, Table

NAME = "microsoft_ads"
TITLE = "Microsoft Advertising"

DATE = col("Gregorian date", "TimePeriod", "Time period", "GregorianDate")
IMPRESSIONS = col("Impressions", "Impr.")
CLICKS = col("Clicks")
SPEND = col("Spend")
CURRENCY = col("Currency code", "CurrencyCode")
DISTRIBUTION = col("Ad distribution", "AdDistribution")
ACCOUNT = col("Account name", "AccountName", "Account number", "AccountNumber")
HOUR = col("Hour", "HourOfDay", "Hour of day")
#: Where a row says which network it ran on: ``Ad distribution`` per row first, then the
#: campaign's type, then ``Network``.
NETWORK = col(
    "Ad distribution",
    "AdDistribution",
    "Campaign type",
    "CampaignType",
    "Network",
)
NETWORKS = {
    "search": "paid_search",
    "search & content": "paid_search",
    "searchandcontent": "paid_search",
    "shopping": "paid_search",
    "dynamic search ads": "paid_search",
    "dynamicsearch": "paid_search",
    "performance max": "paid_search",
    "performancemax": "paid_search",
    "audience": "display",
    "audience ads": "display",
    "audience network": "display",
    "microsoft audience network": "display",
    "content": "display",  # adCenter's name of the Audience network
}
#: The copyright footer (``©2026 Microsoft Corporation...``; ``@2020`` in the docs,
#: ``Â©`` when the UTF-8 ``©`` was decoded twice), should it reach the table.
FOOTER = r".{0,8}?\d{4}\s+microsoft corporation"


def _preamble_key(table: Table, key: str) -> str | None:
    """The value of the preamble record ``key: value`` (either one cell, or two)."""
    for line in table.preamble:
        match = re.match(rf"\s*{key}\s*:\s*,?\s*(.*)$", line, re.IGNORECASE)
        if match is not None:
            return match.group(1).strip().strip('"').strip()
    return None


def last_completed(table: Table) -> dt.datetime | None:
    """``Last Completed Available Hour: 4/1/2026 7:20:00 AM (GMT)`` (else ``...Day:``), UTC:
    how recent the report's data is."""
    for key in ("last completed available hour", "last completed available day"):
        text = _preamble_key(table, key) or ""
        match = re.match(
            r"(\d{1,2})/(\d{1,2})/(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([ap]m)?",
            text,
            re.IGNORECASE,
        )
        if match is None:
            continue
        month, day, year, hour, minute = (int(match.group(i)) for i in range(1, 6))
        second = int(match.group(6) or 0)
        meridiem = (match.group(7) or "").casefold()
        if meridiem:
            hour = hour % 12 + (12 if meridiem == "pm" else 0)
        try:
            return dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.UTC)
        except ValueError:
            return None
    return None


def _aggregated(pattern: str) -> Callable[[Table], bool]:
    def applies(table: Table) -> bool:
        value = _preamble_key(table, "report aggregation") or ""
        return bool(re.fullmatch(pattern, re.sub(r"[^a-z]", "", value.casefold())))

    return applies


def _refused(what: str) -> str:
    return (
        f"this {TITLE} report is aggregated {what} (its 'Report Aggregation' line): expected "
        "a Daily or Summary report; run the report again with Daily aggregation"
    )


def read(tables: list[Table], doc: Document, ctx: Context) -> Loaded:
    """The generic reader, then ``Potential Incomplete Data: true`` noted."""
    loaded = read_platform(PLATFORM, tables, doc, ctx)
    incomplete = (_preamble_key(tables[0], "potential incomplete data") or "").casefold()
    if incomplete == "true" and loaded.reports:
        loaded.reports[0].notes.append(
            "Microsoft Advertising marks this report 'Potential Incomplete Data': its latest "
            "days may still change (a newer download of them replaces these rows)"
        )
    return loaded


PLATFORM = Platform(
    name=NAME,
    title=TITLE,
    kind="ads",
    layout="Microsoft Advertising report (Report Name/Report Time lines; Gregorian date or "
    "none (Summary), Campaign name, Impressions, Clicks, Spend, Conversions, Revenue...)",
    detect=Detect(
        all_of=(SPEND, IMPRESSIONS, CLICKS),
        any_of=((DATE, CURRENCY, DISTRIBUTION, ACCOUNT, col("CampaignName")),),
    ),
    dates=(
        DayColumn(DATE, (ISO, US_SLASH)),
        ReportRange(ranges.microsoft_ads, "the 'Report Time:' line of the report's preamble"),
    ),
    measures={
        "impressions": IMPRESSIONS,
        "clicks": CLICKS,
        "cost": SPEND,
        "conversions": col("Conversions", "Conv."),
        "conversion_value": col("Revenue"),
    },
    channel=Channels("paid_search", NETWORK, NETWORKS),
    campaign=col("Campaign name", "CampaignName", "Campaign"),
    segments=(
        col("Ad group", "AdGroupName", "Ad group name"),
        col("Keyword"),
        col("Device type", "DeviceType"),
        col("Network"),
    ),
    currency=Currency(CURRENCY),
    totals=Totals(empty_labels=True, pattern=FOOTER),
    signals=(
        Signal("preamble", r"^report (name|time|aggregation)\s*:"),
        Signal("preamble", r"\d{4}\s+microsoft corporation\. all rights reserved"),
    ),
    refusals=(
        Refusal(_refused("by hour"), _aggregated(r"hour(ly)?")),
        Refusal(_refused("by week"), _aggregated(r"week(ly)?(starting\w*)?")),
        Refusal(_refused("by month"), _aggregated(r"month(ly)?")),
        Refusal(_refused("by year"), _aggregated(r"year(ly)?")),
        Refusal(_refused("by day of week or hour of day"), _aggregated(r"dayofweek|hourofday")),
        Refusal(
            f"this {TITLE} report has an 'Hour' column (one row per hour): expected a Daily or "
            "Summary report; run the report again with Daily aggregation",
            Detect(all_of=(HOUR,)),
        ),
    ),
    read=read,
    exported_at=last_completed,
    extras={"no_dates_hint": "run the report with Daily aggregation, or Summary for a date range"},
    docs="``Revenue`` is Microsoft's conversion revenue (conversion_value). Daily or Summary "
    "reports only; a Summary report covers its 'Report Time' range.",
    references=(
        "https://learn.microsoft.com/en-us/advertising/guides/reports (report file schema: "
        "preamble, blank line, header, footer; Summary has no time column)",
        "https://learn.microsoft.com/en-us/advertising/reporting-service/reportrequest "
        "(ExcludeReportHeader/ExcludeReportFooter, Csv/Tsv formats)",
        "https://learn.microsoft.com/en-us/advertising/reporting-service/addistributionreportfilter"
        " (Ad distribution values Search, Audience)",
        "https://learn.microsoft.com/en-us/answers/questions/2101645/unable-to-retrieve-reports-"
        "for-campaigntype-audien (campaign types 'Search & content', 'Audience')",
        "https://gist.github.com/fivetwentysix/4528591 (a real 2013 download: "
        "'©2013 Microsoft Corporation. All rights reserved. ' footer)",
        "gh-file#18777054192 (a real 2017 UI download's preamble and 'Gregorian date', "
        "'Campaign name', 'Ad distribution', 'Spend', 'Revenue', 'Currency code' header)",
        "gh-file#42696082659 ('Report Time: 10/5/2017,10/11/2017', 'Report Aggregation: Daily')",
        "gh-file#8918268672 (Microsoft Advertising SDK docs: a report file's preamble, "
        "'Report Aggregation: Summary', footer)",
    ),
)
