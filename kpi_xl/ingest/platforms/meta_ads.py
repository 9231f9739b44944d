"""Meta (Facebook/Instagram) Ads Manager exports ("Export table data", CSV or .xlsx).

Layout::

    Reporting starts,Reporting ends,Campaign name,Ad set name,Amount spent (EUR),Impressions,...
    2025-02-01,2025-02-28,,,1210.50,...            <- the summary row (no name): its reach
    2025-02-01,2025-02-28,Spring Sale,Lookalike,610.20,...

Without a time breakdown every row spans the report range (``Reporting starts`` to
``Reporting ends``); broken down by day (``Day``) one day. An empty period is the header and
one line ``No data available.`` (a warning, no rows). Rows repeated exactly (two ads with
the same name) are each counted, and reported.

Conversions come only from explicit conversion columns: ``Purchases`` (else ``Results``
where the ``Result indicator`` is a conversion action: ``offsite_conversion.*``,
``onsite_conversion.purchase``, ``onsite_web_purchase``, ``lead``...). Results of other
objectives (post engagements, landing-page views, profile visits) are never conversions.
``Leads`` are the platform's leads (``platform_leads``). ``Link clicks`` are clicks,
``Clicks (all)`` all clicks. ``Reach`` counts people: the ad rows' reach cannot be added
up (one person sees several ads), so the summary row's reach - the account's reach over the
report range - is kept (campaign empty, its other figures dropped). The currency is the
one in ``Amount spent (EUR)``.
"""

from __future__ import annotations

import re

import numpy as np

from kpi_xl.ingest.dates import EU_DOT, EU_SLASH, ISO, ISO_TIME, US_SLASH
from kpi_xl.ingest.fields import Reader
from kpi_xl.ingest.spec import (
    Channels,
    Currency,
    DayColumn,
    Detect,
    Platform,
    RangeColumns,
    Totals,
    col,
)

NAME = "meta_ads"
SPENT = r"(?:amount spent|betrag ausgegeben|montant dépensé|importe gastado)(?: \(([a-z]{3})\))?"
STARTS = col("Reporting starts", de="Berichtsbeginn", fr="Début des rapports")
ENDS = col("Reporting ends", de="Berichtsende", fr="Fin des rapports")
FORMATS = (ISO, ISO_TIME, EU_DOT, US_SLASH, EU_SLASH)
RESULTS = col("Results", de="Ergebnisse", fr="Résultats")
RESULT_INDICATOR = col("Result indicator", de="Ergebnisindikator", fr="Indicateur de résultat")
#: Result indicators that are conversions (a purchase, a lead, a registration...).
CONVERSION_RESULT = re.compile(
    r"(?:^|[:.])(?:offsite_conversion\.\S+|onsite_conversion\.(?:purchase|lead_grouped|"
    r"flow_complete)|onsite_web_purchase|omni_purchase|purchase|lead|complete_registration)$",
    re.IGNORECASE,
)


def _derive(reader: Reader, values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    measures = {k: v for k, v in values.items() if k in PLATFORM.measures}
    if "conversions" in measures or "results" not in values:
        return measures
    pos = reader.find_names(RESULT_INDICATOR)
    if pos is None:
        return measures  # Results without their indicator: what they count is unknown
    indicator = reader.text(pos).str.strip()
    converting = indicator.map(lambda v: bool(CONVERSION_RESULT.search(v))).to_numpy(dtype=bool)
    if converting.any():
        measures["conversions"] = np.where(converting, values["results"], np.nan)
    return measures


PLATFORM = Platform(
    name=NAME,
    title="Meta Ads",
    kind="ads",
    layout="Meta Ads Manager export (Reporting starts/ends or Day, Campaign name, "
    "Amount spent (EUR), Impressions, Reach...)",
    detect=Detect(any_of=((col(pattern=SPENT), col(pattern="reporting starts")),)),
    dates=(
        DayColumn(col("Day", de="Tag", fr="Jour"), FORMATS),
        RangeColumns(STARTS, ENDS, FORMATS),
    ),
    measures={
        "cost": col(pattern=SPENT),
        "impressions": col("Impressions", de="Impressionen", fr="Impressions"),
        "reach": col("Reach", de="Reichweite", fr="Couverture"),
        "clicks": col("Link clicks", de="Link-Klicks", fr="Clics sur un lien"),
        "clicks_all": col("Clicks (all)", de="Klicks (alle)", fr="Clics (tous)"),
        "conversions": col("Purchases", "Website purchases", de="Käufe", fr="Achats"),
        "conversion_value": col(
            "Purchases conversion value",
            "Website purchases conversion value",
            de="Conversion-Wert der Käufe",
            fr="Valeur de conversion des achats",
        ),
        "platform_leads": col("Leads", "Meta leads", de="Leads", fr="Prospects"),
        "engagements": col("Post engagements", "Post engagement", de="Beitragsinteraktionen"),
        "shares": col("Post shares", de="Geteilte Beiträge"),
    },
    inputs={"results": RESULTS},
    channel=Channels("paid_social"),
    campaign=col("Campaign name", de="Kampagnenname", fr="Nom de la campagne"),
    segments=(
        col("Ad set name", de="Anzeigengruppenname", fr="Nom de l'ensemble de publicités"),
        col("Ad name", de="Anzeigenname", fr="Nom de la publicité"),
        col("Age", de="Alter", fr="Âge"),
        col("Gender", de="Geschlecht", fr="Genre"),
        col("Platform", de="Plattform", fr="Plateforme"),
        col("Placement", de="Platzierung", fr="Placement"),
        col("Impression device", de="Impressionsgerät", fr="Appareil d'impression"),
        col("Country", de="Land", fr="Pays"),
        col("Region", de="Region", fr="Région"),
    ),
    currency=Currency(col("Currency", de="Währung", fr="Devise"), header_pattern=SPENT),
    totals=Totals(keep_whole="default"),
    derive=_derive,
    docs="``Results`` count as conversions only where the ``Result indicator`` is a "
    "conversion action.",
)
