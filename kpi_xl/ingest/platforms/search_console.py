"""Google Search Console performance export: the zip, or its daily table alone.

The zip holds ``Queries.csv``, ``Pages.csv``, ``Countries.csv``, ``Devices.csv``,
``Search appearance.csv``, ``Filters.csv`` and the daily table, ``Chart.csv`` (newer
exports, oldest day first) or ``Dates.csv`` (older ones, newest first)::

    Date,Clicks,Impressions,CTR,Position
    2025-03-01,120,"4,210",2.85%,12.4

Only the daily table is read (the others break the same clicks down again, and Queries and
Pages hold only the top 1,000 rows). ``Filters.csv`` says what the export covers::

    Filter,Value
    Search type,Web
    Date,1 Jan 2025-31 Dec 2025
    Page,+/blog/

A filter other than search type and date (a page, query, country or device) means the
export is not the whole site: the filter becomes the rows' segment (``Page +/blog/``) and
``kpi-xl ingest`` says so. Discover and Core Web Vitals exports are refused, naming what
they are (:mod:`kpi_xl.ingest.detect`).

``Position`` (the average position) becomes ``position_x_impressions = position x
impressions``, so that average position aggregates as a ratio of sums; ``CTR`` is derived
and ignored. Channel: ``seo``.
"""

from __future__ import annotations

from pathlib import PurePosixPath

import numpy as np

from kpi_xl.errors import KpiXlError
from kpi_xl.ingest.dates import EU_DOT, ISO, US_SLASH
from kpi_xl.ingest.fields import Context, Loaded, Reader, header_names
from kpi_xl.ingest.reader import read_platform
from kpi_xl.ingest.spec import Channels, DayColumn, Detect, Platform, Refusal, Totals, col
from kpi_xl.ingest.table import HEAD_RECORDS, Document, Table

NAME = "search_console"
DATE = col("Date", de="Datum", fr="Date")
CLICKS = col("Clicks", de="Klicks", fr="Clics")
IMPRESSIONS = col("Impressions", de="Impressionen", fr="Impressions")
POSITION = col("Position", de="Position", fr="Position")
CTR = col("CTR", de="CTR", fr="CTR")
DAILY = ("chart.csv", "dates.csv")
#: Filters that keep the export whole-site (anything else is a subset).
PERFORMANCE = (
    "the Search results performance export (Search Console > Performance > Search results > Export)"
)
WHOLE_SITE = {"search type", "date", "time range", "suchtyp", "datum", "type de recherche"}


def _member(table: Table) -> str:
    return PurePosixPath(table.file.rsplit(":", 1)[-1]).name.casefold()


def _pick(tables: list[Table], doc: Document) -> Table:
    dated = [t for t in tables if Reader(t).find_names(DATE) is not None]
    for name in DAILY:
        for table in dated:
            if _member(table) == name:
                return table
    if dated:
        return dated[0]
    first = tables[0]
    raise KpiXlError(
        "this Search Console table has no Date column: expected the daily table (Chart.csv or "
        "Dates.csv: Date, Clicks, Impressions, CTR, Position); export the whole zip",
        file=first.file,
        line=first.header_line,
        column="Date",
    )


def _derive(reader: Reader, values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    measures: dict[str, np.ndarray] = {
        k: values[k] for k in ("clicks", "impressions") if k in values
    }
    if "position" in values and "impressions" in values:
        measures["position_x_impressions"] = values["position"] * values["impressions"]
    return measures


def filters(doc: Document) -> list[tuple[str, str]]:
    """The (filter, value) rows of the export's ``Filters.csv``."""
    out: list[tuple[str, str]] = []
    for block in doc.blocks:
        records = block.head(HEAD_RECORDS)
        if not records or header_names(records[0].cells) != {"filter", "value"}:
            continue
        for record in records[1:]:
            cells = [c.strip() for c in record.cells]
            if len(cells) >= 2 and cells[0]:
                out.append((cells[0], cells[1]))
    return out


def read(tables: list[Table], doc: Document, ctx: Context) -> Loaded:
    loaded = read_platform(PLATFORM, tables, doc, ctx)
    subset = [(f, v) for f, v in filters(doc) if f.casefold() not in WHOLE_SITE]
    if not subset:
        return loaded
    label = "; ".join(f"{f} {v}" for f, v in subset)
    frame = loaded.frame.copy()
    frame["segment"] = label
    report = loaded.reports[0]
    report.notes.append(f"filtered export ({label}): not the whole site")
    return Loaded(frame, loaded.lines, loaded.files, loaded.formats, loaded.reports)


PLATFORM = Platform(
    name=NAME,
    title="Search Console",
    kind="seo",
    layout="Google Search Console export (the zip, or Chart.csv / Dates.csv: Date, Clicks, "
    "Impressions, CTR, Position)",
    detect=Detect(all_of=(CLICKS, IMPRESSIONS, POSITION, CTR)),
    dates=(DayColumn(DATE, (ISO, EU_DOT, US_SLASH)),),
    measures={"clicks": CLICKS, "impressions": IMPRESSIONS},
    inputs={"position": POSITION},
    channel=Channels("seo"),
    derive=_derive,
    pick=_pick,
    read=read,
    archive=True,
    priority=10,
    unsupported=(
        Refusal(
            f"this is a Search Console Discover export: kpi_xl reads {PERFORMANCE}",
            Detect(all_of=(DATE, CLICKS, IMPRESSIONS, CTR), none_of=(POSITION,)),
        ),
        Refusal(
            f"this is a Search Console Discover export: kpi_xl reads {PERFORMANCE}",
            Detect(all_of=(col("Discover appearance"),)),
        ),
        Refusal(
            "this is a Search Console Core Web Vitals export, not performance data: kpi_xl "
            f"reads {PERFORMANCE}",
            Detect(all_of=(col("Poor"), col("Need improvement"), col("Good"))),
        ),
        Refusal(
            "this Search Console export compares two date ranges: export it again without "
            "comparing (one date range)",
            Detect(all_of=(col(pattern=r".*previous .*clicks|.* - .* clicks"),)),
        ),
    ),
    totals=Totals(empty_labels=False),
)
