"""Meta (Facebook/Instagram) Ads Manager export (CSV or .xlsx, "Export table data").

Layout::

    Reporting starts,Reporting ends,Campaign name,Amount spent (EUR),Impressions,Reach,...
    2025-03-01,2025-03-31,,123.45,...          <- summary row (empty name), dropped
    2025-03-01,2025-03-01,Spring Sale,61.20,...

Detected by an ``Amount spent (XXX)`` column (the currency is part of the name; German
``Betrag ausgegeben (EUR)``, French ``Montant dépensé (EUR)``) or by ``Reporting starts``
with ``Reporting ends``.

Columns:

* date: ``Day`` (``Tag``, ``Jour``) when the export is broken down by day, else
  ``Reporting starts`` (``Berichtsbeginn``, ``Début des rapports``), and then
  ``Reporting ends`` must be the same day: rows spanning several days are an error;
* ``Campaign name`` (``Kampagnenname``, ``Nom de la campagne``) -> campaign; rows with an
  empty campaign name are Ads Manager's summary rows and dropped;
* ``Ad set name`` / ``Ad name`` and breakdowns (``Age``, ``Gender``, ``Platform``,
  ``Placement``, ``Country``) -> segment, joined with `` / ``;
* ``Amount spent (...)`` -> cost; ``Impressions`` (``Impressionen``); ``Reach``
  (``Reichweite``, ``Couverture``) -> reach, kept per row as reported (not additive: the
  catalog aggregates it with ``max``);
* ``Link clicks`` (``Link-Klicks``, ``Clics sur un lien``), else ``Clicks (all)`` ->
  clicks;
* ``Purchases`` (``Käufe``, ``Achats``), else ``Results`` (``Ergebnisse``,
  ``Résultats``: whatever the campaign's objective counts) -> conversions;
  ``Purchases conversion value`` -> conversion_value; ``Leads`` -> leads;
  ``Post engagements`` -> engagements; ``Post shares`` -> shares.

``CTR`` (percent units without ``%``), ``Frequency``, costs per result and other
columns are ignored. Channel: ``paid_social``.
"""

from __future__ import annotations

import re

from kpi_xl.ingest.adapters.base import Adapter, has_any
from kpi_xl.ingest.dates import EU_DOT, EU_SLASH, ISO, ISO_TIME, US_SLASH
from kpi_xl.ingest.fields import Context, Loaded, Reader, finish, rows_between
from kpi_xl.ingest.table import Document, Table

NAME = "meta_ads"

SPENT = r"(?:amount spent|betrag ausgegeben|montant dépensé)(?: \([a-z]{3}\))?"
DAY = ("day", "tag", "jour", "date")
STARTS = ("reporting starts", "berichtsbeginn", "début des rapports")
ENDS = ("reporting ends", "berichtsende", "fin des rapports")
CAMPAIGN = ("campaign name", "kampagnenname", "nom de la campagne")
SEGMENTS = (
    ("ad set name", "anzeigengruppenname", "nom de l'ensemble de publicités"),
    ("ad name", "anzeigenname", "nom de la publicité"),
    ("age", "alter", "âge"),
    ("gender", "geschlecht", "genre"),
    ("platform", "plattform", "plateforme"),
    ("placement", "platzierung", "placement"),
    ("country", "land", "pays"),
)
MEASURES = {
    "impressions": ("impressions", "impressionen"),
    "reach": ("reach", "reichweite", "couverture"),
    "clicks": ("link clicks", "link-klicks", "clics sur un lien",
               "clicks (all)", "klicks (alle)", "clics (tous)"),
    "conversions": ("purchases", "käufe", "achats", "results", "ergebnisse", "résultats"),
    "conversion_value": ("purchases conversion value", "website purchases conversion value"),
    "leads": ("leads",),
    "engagements": ("post engagements", "post engagement"),
    "shares": ("post shares",),
}  # fmt: skip


def is_header(names: frozenset[str]) -> bool:
    if any(re.fullmatch(SPENT, n) for n in names):
        return True
    return has_any(names, *STARTS) and has_any(names, *ENDS)


def read(tables: list[Table], doc: Document, ctx: Context) -> Loaded:
    reader = Reader(tables[0])
    day = reader.find(*DAY)
    starts = reader.find(*STARTS)
    ends = reader.find(*ENDS)
    when = day if day is not None else reader.require("Reporting starts", *STARTS, *DAY)
    campaign = reader.find(*CAMPAIGN)
    segments = [p for aliases in SEGMENTS if (p := reader.find(*aliases)) is not None]
    found = reader.find_each(MEASURES)
    spent = reader.find_re(SPENT)
    if spent is not None:
        found["cost"] = spent
    labels = [campaign, *segments] if campaign is not None else segments
    reader = Reader(reader.table.take(~reader.summary_rows(when, labels)))
    formats = (ISO, ISO_TIME, EU_DOT, US_SLASH, EU_SLASH)
    dates = reader.dates(when, formats)
    if day is None and ends is not None and starts is not None:
        rows_between(reader, dates, reader.dates(ends, formats), ends)
    return finish(
        reader,
        source=NAME,
        dates=dates,
        channel=ctx.channels(NAME, "paid_social"),
        measures=reader.numbers(found),
        campaign=reader.text(campaign),
        segment=reader.joined(segments),
        labels=found,
    )


ADAPTER = Adapter(
    NAME,
    "Meta Ads Manager export (Reporting starts/ends or Day, Campaign name, "
    "Amount spent (EUR), Impressions, Reach...)",
    is_header,
    read,
)
