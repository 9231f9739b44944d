"""TikTok Ads Manager exports (the campaign / ad group / ad table exported as CSV or .xlsx).

Layout::

    By Day,Campaign name,Primary status,Cost,Impressions,Reach,Clicks (destination),...,Currency
    Total of 3 campaigns,-,-,415.15,"75,400",-,845,1.12%,0.49,27,...   <- totals, dropped
    2026-03-01,Spring Sale - Conversions,Active,120.50,"12,400","9,800",310,2.50%,0.39,12,...

The header is the first row (no preamble). Broken down by day (``By Day``; custom reports:
``Date``) each row is one day. Without a date column TikTok writes the report's date range
nowhere in the file, so such an export is refused: export it again broken down by day.

Measures: ``Cost``, ``Impressions``, ``Clicks (destination)`` -> clicks (clicks to the
advertiser's destination; never ``Clicks (all)``), ``Conversions`` -> conversions (never
``Results``: a result is whatever the campaign optimizes for, reach or video views
included), ``Reach`` (kept per row as reported: not additive). Rates and costs per result
are derived and ignored. ``-`` is "not reported". Campaign: ``Campaign name``; segment:
``Ad group name``, ``Ad name``. Channel: ``paid_social``. Currency: ``Currency``. The
``Total of ...`` row (in whichever label column it stands) and rows without a name are
dropped.

Verified in parsers of real exports (no official sample): the header names ``By Day``,
``Campaign name``, ``Ad group name``, ``Ad name``, ``Cost``, ``Impressions``, ``Reach``,
``Clicks (destination)``, ``CTR (destination)``, ``CPC (destination)``, ``Conversions``,
``Cost per conversion``, ``Results``, ``Cost per result``, ``Currency``; the ``Total of``
row; ``-`` for missing values; thousands separators; UTF-8 with BOM. Not verified: the
exact totals wording (``Total of 3 campaigns`` is assumed) and its position (top is
assumed, as in the Ads Manager table; any position is dropped), whether ``By Day`` is
``Date`` in some exports, the date format of CSV exports (``YYYY-MM-DD`` assumed), and
``Spend`` / ``Total cost`` as cost names (read too, seen only in third-party code).
"""

from __future__ import annotations

from kpi_xl.ingest.dates import ISO, ISO_TIME, US_SLASH
from kpi_xl.ingest.spec import (
    Channels,
    Currency,
    DayColumn,
    Detect,
    Platform,
    Refusal,
    Signal,
    Totals,
    col,
)

NAME = "tiktok_ads"
TITLE = "TikTok Ads"

DAY = col("By Day", "Date", "Day")
COST = col("Cost", "Spend", "Total cost")
IMPRESSIONS = col("Impressions")
#: Columns only TikTok names so: ``Clicks (destination)``, ``CTR (destination)``...
DESTINATION = col(pattern=r"(?:clicks|ctr|cpc) \(destination\)")
MARKERS = (DESTINATION, col("By Day"))

PLATFORM = Platform(
    name=NAME,
    title=TITLE,
    kind="ads",
    layout="TikTok Ads Manager export broken down by day (By Day, Campaign name, Cost, "
    "Impressions, Clicks (destination), Conversions, Reach, Currency...)",
    detect=Detect(all_of=(COST, IMPRESSIONS), any_of=(MARKERS,)),
    dates=(DayColumn(DAY, (ISO, ISO_TIME, US_SLASH)),),
    measures={
        "cost": COST,
        "impressions": IMPRESSIONS,
        "clicks": col("Clicks (destination)"),
        "conversions": col("Conversions"),
        "reach": col("Reach"),
    },
    channel=Channels("paid_social"),
    campaign=col("Campaign name"),
    segments=(col("Ad group name"), col("Ad name")),
    currency=Currency(col("Currency")),
    totals=Totals(empty_labels=True, pattern=r"\s*total of\b"),
    signals=(Signal("header", r"^(?:clicks|ctr|cpc) \(destination\)$"),),
    refusals=(
        Refusal(
            f"this {TITLE} export has no date column (TikTok does not write its date range "
            "into the file): expected a 'By Day' column; export it again with the breakdown "
            "By Day",
            Detect(none_of=(DAY,)),
        ),
    ),
    # before Google Ads, whose header (Cost, Impressions, Clicks) an export with a plain
    # "Clicks" column would also fit; the TikTok markers keep Google Ads files out
    priority=45,
    docs="``Conversions`` are conversions; ``Results`` never are (a result may be reach or "
    "a video view). Exports without ``By Day`` are refused: the file does not say its dates.",
    references=(
        "https://ads.tiktok.com/help/article/create-scheduled-reports?lang=en (CSV or XLSX)",
        "gh-file#70933400832 (analysis of two real Ads Manager .xlsx exports: 15 columns, "
        "'Total of' rows split off, '-' for missing)",
        "gh-file#63199821226 (uploader mapping real export headers: Campaign name, Cost, "
        "Clicks (destination), CTR (destination), Conversions, Cost per conversion, Results; "
        "rows starting 'total of' removed)",
        "gh-file#59936999925 (parser of real English/Korean CSV exports: 'By Day', "
        "'Clicks (destination)', 'Conversions', 'Cost'; utf-8-sig; thousands commas)",
        "gh-file#53883461605 (converter of real exports: \"TikTok 'Total of X' footer\")",
    ),
)
