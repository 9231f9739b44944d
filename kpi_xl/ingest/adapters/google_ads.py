"""Google Ads report download (CSV, the UTF-16LE tab-separated "Excel CSV", or .xlsx).

Layout::

    Campaign performance report                  <- title (preamble, ignored)
    "January 1, 2025 - January 31, 2025"         <- date range (preamble, ignored)
    Day,Campaign,Campaign type,Currency code,Clicks,Impr.,CTR,Cost,Conversions,Conv. value
    2025-01-01,Brand,Search,EUR,"1,234","12,345",9.99%,"1,234.56",12.00,"3,456.78"
    Total: Account,--,--,EUR,"2,468",...         <- "Total: ..." footers, dropped

Detected by a header with clicks, impressions and cost columns in English, German or
French. Values may use thousands separators, decimal commas (``"1.234,56"``), ``%``,
``--`` (not reported) and ``< 10%``.

Columns (English / German / French):

* ``Day`` / ``Tag`` / ``Jour`` (also ``Date``, ``Datum``) -> date, required (segment the
  report by day); ISO, ``31.01.2025``, ``1/31/2025`` (``31/01/2025`` for French headers);
* ``Campaign`` / ``Kampagne`` / ``Campagne`` -> campaign;
* ``Ad group`` / ``Anzeigengruppe`` / ``Groupe d'annonces``, ``Device`` / ``Gerät`` /
  ``Appareil``, ``Network`` / ``Netzwerk`` / ``Réseau`` -> segment (joined with `` / ``);
* ``Clicks`` / ``Klicks`` / ``Clics``; ``Impr.`` / ``Impressions`` / ``Impressionen``;
  ``Cost`` / ``Kosten`` / ``Coût``; ``Conversions`` / ``Konversionen`` / ``Conv.``;
  ``Conv. value`` / ``Konv.-Wert`` / ``Conv.-Wert`` / ``Valeur de conv.``;
* ``Currency code`` / ``Währungscode`` / ``Code de la devise``: one currency per file.

Channel: ``paid_search``; with a ``Campaign type`` / ``Kampagnentyp`` /
``Type de campagne`` column, Display, Video, Demand Gen and Discovery campaigns are
``display``, App campaigns ``other``, the rest (Search, Shopping, Performance Max...)
``paid_search``. Rows whose day or campaign reads ``Total...`` (or whose labels are all
empty) are totals and dropped.
"""

from __future__ import annotations

from kpi_xl.ingest.adapters.base import Adapter, has_any
from kpi_xl.ingest.dates import EU_DOT, EU_SLASH, ISO, MONTH_NAME, US_SLASH
from kpi_xl.ingest.fields import Context, Loaded, Reader, finish
from kpi_xl.ingest.table import Document, Table

NAME = "google_ads"

DAY = ("day", "tag", "jour", "date", "datum")
CAMPAIGN = ("campaign", "kampagne", "campagne")
CAMPAIGN_TYPE = ("campaign type", "kampagnentyp", "type de campagne")
SEGMENTS = (
    ("ad group", "anzeigengruppe", "groupe d'annonces", "groupe d’annonces"),
    ("device", "gerät", "appareil"),
    ("network", "network (with search partners)", "netzwerk", "réseau"),
)
CURRENCY = ("currency code", "currency", "währungscode", "währung", "code de la devise", "devise")
CLICKS = ("clicks", "klicks", "clics")
IMPRESSIONS = ("impr.", "impressions", "impressionen")
COST = ("cost", "kosten", "coût", "cout")
MEASURES = {
    "clicks": CLICKS,
    "impressions": IMPRESSIONS,
    "cost": COST,
    "conversions": ("conversions", "konversionen", "conv."),
    "conversion_value": ("conv. value", "conversion value", "konv.-wert", "conv.-wert",
                         "conversion-wert", "valeur de conv.", "valeur de conversion"),
}  # fmt: skip
CAMPAIGN_TYPES = {
    "search": "paid_search",
    "suchnetzwerk": "paid_search",
    "réseau de recherche": "paid_search",
    "display": "display",
    "displaynetzwerk": "display",
    "réseau display": "display",
    "video": "display",
    "vidéo": "display",
    "demand gen": "display",
    "discovery": "display",
    "app": "other",
}
FRENCH = ("jour", "campagne", "clics", "coût")


def is_header(names: frozenset[str]) -> bool:
    return has_any(names, *COST) and has_any(names, *IMPRESSIONS) and has_any(names, *CLICKS)


def read(tables: list[Table], doc: Document, ctx: Context) -> Loaded:
    reader = Reader(tables[0])
    day = reader.require("Day", *DAY, hint=" (download the report segmented by day)")
    campaign = reader.find(*CAMPAIGN)
    kind = reader.find(*CAMPAIGN_TYPE)
    segments = [p for aliases in SEGMENTS if (p := reader.find(*aliases)) is not None]
    found = reader.find_each(MEASURES)
    keep = ~reader.summary_rows(day, [campaign, *segments])
    reader = Reader(reader.table.take(keep))
    currency = reader.find(*CURRENCY)
    if currency is not None:
        reader.one_currency(currency)
    french = any(reader.find(n) is not None for n in FRENCH)
    slashes = (EU_SLASH, US_SLASH) if french else (US_SLASH, EU_SLASH)
    dates = reader.dates(day, (ISO, EU_DOT, *slashes, MONTH_NAME))
    channel = ctx.channels(NAME, "paid_search")
    if kind is not None:
        channel = ctx.channels(NAME, "paid_search", reader.text(kind), CAMPAIGN_TYPES)
    return finish(
        reader,
        source=NAME,
        dates=dates,
        channel=channel,
        measures=reader.numbers(found),
        campaign=reader.text(campaign),
        segment=reader.joined(segments),
        labels=found,
    )


ADAPTER = Adapter(
    NAME,
    "Google Ads report (title lines; Day, Campaign, Clicks, Impr., Cost, Conversions...; "
    "English, German or French)",
    is_header,
    read,
)
