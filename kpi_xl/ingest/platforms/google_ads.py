"""Google Ads report downloads (CSV, the UTF-16 tab-separated "Excel CSV", or .xlsx).

Layout::

    Campaign report                                  <- title
    "March 27, 2026 - April 23, 2026"                <- the range (US; UK: 27 March 2026 - ...)
    Campaign,Campaign type,Currency code,Clicks,Impr.,CTR,Cost,Conversions,Conv. value
    Brand - Exact,Search,EUR,"1,234","12,345",10.00%,555.30,12.00,"1,234.50"
    Total: Campaigns,...                             <- totals, dropped

Without a ``Day`` column (the default download) every row covers the range on the second
line; with ``Day`` (segmented by day) one day. ``All time`` is refused (it spans every plan
period): download a date range. Totals (``Total: Account``, ``Total: Search``,
``Total: Performance Max``...; ``Gesamt: Konto``, ``Total : compte``) are dropped, as are rows
without a campaign. ``Clicks`` are clicks; video, Demand Gen and responsive-search-ad
reports have ``Interactions`` instead, read as ``interactions`` (never as clicks). The ad
asset report is refused: assets serve together, so its rows must not be added up.

Placeholders `` --`` and bounded shares (``< 10%``) are "not reported". Channel:
``paid_search``, or by ``Campaign type``: Display, Video, Demand Gen -> ``display``, App ->
``other``.
"""

from __future__ import annotations

from kpi_xl.ingest import ranges
from kpi_xl.ingest.dates import EU_DOT, EU_SLASH, ISO, MONTH_NAME, US_SLASH
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
from kpi_xl.ingest.table import Table

NAME = "google_ads"

CLICKS = col("Clicks", de="Klicks", fr="Clics", es="Clics", nl="Klikken")
IMPRESSIONS = col("Impr.", "Impressions", de=("Impr.", "Impressionen"), fr="Impr.")
COST = col("Cost", de="Kosten", fr=("Coût", "Cout"), es="Coste", nl="Kosten")
INTERACTIONS = col("Interactions", de="Interaktionen", fr="Interactions")
CAMPAIGN_TYPES = {
    "search": "paid_search",
    "suchnetzwerk": "paid_search",
    "réseau de recherche": "paid_search",
    "shopping": "paid_search",
    "performance max": "paid_search",
    "display": "display",
    "displaynetzwerk": "display",
    "réseau display": "display",
    "video": "display",
    "vidéo": "display",
    "demand gen": "display",
    "discovery": "display",
    "app": "other",
}


def _asset_report(table: Table) -> bool:
    return any("asset report" in line.casefold() for line in table.preamble) or (
        "asset" in {h.strip().casefold() for h in table.header}
        and "asset type" in {h.strip().casefold() for h in table.header}
    )


PLATFORM = Platform(
    name=NAME,
    title="Google Ads",
    kind="ads",
    layout="Google Ads report (title and date-range lines; Campaign, Clicks or Interactions, "
    "Impr., Cost, Conversions...; English, German or French)",
    detect=Detect(all_of=(COST, IMPRESSIONS), any_of=((CLICKS, INTERACTIONS),)),
    dates=(
        DayColumn(
            col("Day", "Date", de=("Tag", "Datum")), (ISO, EU_DOT, US_SLASH, EU_SLASH, MONTH_NAME)
        ),
        DayColumn(col(fr="Jour"), (ISO, EU_DOT, EU_SLASH, US_SLASH)),
        ReportRange(ranges.google_ads, "the date range on the line under the report's title"),
    ),
    measures={
        "clicks": CLICKS,
        "impressions": IMPRESSIONS,
        "cost": COST,
        "conversions": col("Conversions", de="Konversionen", fr="Conversions"),
        "conversion_value": col(
            "Conv. value",
            "Conversion value",
            de=("Konv.-Wert", "Conv.-Wert", "Conversion-Wert"),
            fr=("Valeur de conv.", "Valeur de conversion"),
        ),
        "interactions": INTERACTIONS,
    },
    channel=Channels(
        "paid_search",
        col("Campaign type", de="Kampagnentyp", fr="Type de campagne"),
        CAMPAIGN_TYPES,
    ),
    campaign=col("Campaign", de="Kampagne", fr="Campagne"),
    segments=(
        col("Ad group", de="Anzeigengruppe", fr=("Groupe d'annonces", "Groupe d’annonces")),
        col("Device", de="Gerät", fr="Appareil"),
        col("Network", "Network (with search partners)", de="Netzwerk", fr="Réseau"),
    ),
    currency=Currency(
        col(
            "Currency code",
            "Currency",
            de=("Währungscode", "Währung"),
            fr=("Code de la devise", "Devise"),
        )
    ),
    totals=Totals(empty_labels=True),
    extras={"no_dates_hint": "download it for a date range, or segmented by day"},
    signals=(
        Signal("preamble", r"^(campaign|ad|ad group|keyword|search keyword|asset) .*report$"),
        Signal("preamble", r"^(kampagnenbericht|rapport sur les performances)"),
    ),
    refusals=(
        Refusal(
            "this is a Google Ads asset report: assets are served together, so its rows "
            "cannot be added up; download the Campaign report instead",
            _asset_report,
        ),
    ),
)
