"""Google Search Console performance export: ``Dates.csv`` or the whole export zip.

Layout: the zip holds ``Queries.csv``, ``Pages.csv``, ``Countries.csv``,
``Devices.csv``, ``Search appearance.csv``, ``Dates.csv``, ``Filters.csv`` (newer
exports: ``Chart.csv``). Only the dated table is read (``Dates.csv``, else the first
table with a ``Date`` column, e.g. ``Chart.csv``), so no click is counted twice::

    Date,Clicks,Impressions,CTR,Position
    2025-03-01,120,"4,210",2.85%,12.4

Detected by a header with clicks, impressions, CTR and position columns (English,
German ``Datum/Klicks/Impressionen/CTR/Position``, French ``Date/Clics/Impressions/
CTR/Position``), in a plain CSV or any member of a zip.

Columns: ``Date`` -> date; ``Clicks``; ``Impressions``; ``Position`` (the average
position) -> ``position_x_impressions = position * impressions``, so that average
position aggregates as a ratio of sums. ``CTR`` (``"2.5%"``) is derived and ignored.
Channel: ``seo``. Campaign and segment are empty.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from kpi_xl.errors import KpiXlError
from kpi_xl.ingest.adapters.base import Adapter, has_any
from kpi_xl.ingest.dates import EU_DOT, ISO, US_SLASH
from kpi_xl.ingest.fields import Context, Loaded, Reader, finish
from kpi_xl.ingest.table import Document, Table

NAME = "search_console"

DATE = ("date", "datum")
CLICKS = ("clicks", "klicks", "clics")
IMPRESSIONS = ("impressions", "impressionen")
POSITION = ("position",)
CTR = ("ctr",)


def is_header(names: frozenset[str]) -> bool:
    return (
        has_any(names, *CLICKS)
        and has_any(names, *IMPRESSIONS)
        and has_any(names, *POSITION)
        and has_any(names, *CTR)
    )


def _member(table: Table) -> str:
    return PurePosixPath(table.file.rsplit(":", 1)[-1]).name.casefold()


def _pick(tables: list[Table]) -> Table:
    dated = [t for t in tables if Reader(t).find(*DATE) is not None]
    for table in dated:
        if _member(table) == "dates.csv":
            return table
    if dated:
        return dated[0]
    first = tables[0]
    raise KpiXlError(
        "this Search Console table has no Date column: expected the Dates table "
        "(Date, Clicks, Impressions, CTR, Position); export the zip or Dates.csv",
        file=first.file,
        line=first.header_line,
        column="Date",
    )


def read(tables: list[Table], doc: Document, ctx: Context) -> Loaded:
    reader = Reader(_pick(tables))
    date = reader.require("Date", *DATE)
    clicks = reader.require("Clicks", *CLICKS)
    impressions = reader.require("Impressions", *IMPRESSIONS)
    position = reader.require("Position", *POSITION)
    reader = Reader(reader.table.take(~reader.summary_rows(date, [])))
    dates = reader.dates(date, (ISO, EU_DOT, US_SLASH))
    values = reader.numbers({"clicks": clicks, "impressions": impressions, "position": position})
    measures = {
        "clicks": values["clicks"],
        "impressions": values["impressions"],
        "position_x_impressions": values["position"] * values["impressions"],
    }
    return finish(
        reader,
        source=NAME,
        dates=dates,
        channel=ctx.channels(NAME, "seo"),
        measures=measures,
        labels={"clicks": clicks, "impressions": impressions, "position_x_impressions": position},
    )


ADAPTER = Adapter(
    NAME,
    "Google Search Console export (Dates.csv or the zip: Date, Clicks, Impressions, CTR, Position)",
    is_header,
    read,
    archive=True,
)
