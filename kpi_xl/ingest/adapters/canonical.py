"""The canonical schema itself: what ``kpi-xl ingest -o`` and :func:`write_canonical` write.

Layout: one table whose header holds ``date`` and ``channel``, optionally ``source``,
``campaign``, ``segment``, and base measures named as in the catalog (``sessions``,
``cost``, ``position_x_impressions``...); names are matched case-insensitively. Any other
column is an error (a misspelt measure must not vanish). As CSV/TSV, ``.csv.gz``,
``.xlsx`` (the first sheet with that header), Parquet, or a pandas DataFrame.

* ``date``: ISO dates (``2025-03-31``; a time of day is dropped) or date cells;
* ``channel``: the channel vocabulary, case-insensitive; ``channel_map`` may translate
  other names first (by value, or ``{"canonical": ...}`` for every row);
* ``source``: kept when present (so a table round-trips), else ``canonical``;
* ``campaign``, ``segment``: text as given;
* measures: numbers, empty = not reported. A ``,``- or tab-separated file uses a
  decimal point (``1,234.5`` quoted is fine); a ``;``-separated one may use decimal
  commas (``1.234,5``), decided from the values as for any export.
"""

from __future__ import annotations

import pandas as pd

from kpi_xl.catalog.records import measures
from kpi_xl.errors import KpiXlError
from kpi_xl.ingest.adapters.base import Adapter
from kpi_xl.ingest.dates import ISO, ISO_TIME
from kpi_xl.ingest.fields import Context, Loaded, Reader, finish, norm
from kpi_xl.ingest.table import Document, Table

NAME = "canonical"
DIMENSIONS = ("channel", "source", "campaign", "segment")


def is_header(names: frozenset[str]) -> bool:
    return "date" in names and "channel" in names


def numeric(cells: list[str]) -> list[int]:
    """Measure columns: machine-written numbers in a file kpi_xl wrote."""
    catalog = measures()
    return [pos for pos, name in enumerate(cells) if norm(name) in catalog]


def read(tables: list[Table], doc: Document, ctx: Context) -> Loaded:
    table = tables[0]
    reader = Reader(table)
    catalog = measures()
    where: dict[str, int] = {}
    for pos, name in enumerate(table.header):
        key = norm(name)
        if key != "date" and key not in DIMENSIONS and key not in catalog:
            raise KpiXlError(
                f"unknown column {str(name).strip()!r}: expected date, {', '.join(DIMENSIONS)} "
                "or a base measure of the catalog (see docs/ingest.md)",
                file=table.file,
                line=table.header_line,
                column=str(name),
            )
        if key in where:
            raise KpiXlError(
                f"column {key!r} appears twice: expected each column once",
                file=table.file,
                line=table.header_line,
                column=str(name),
            )
        where[key] = pos
    dates = reader.dates(where["date"], (ISO, ISO_TIME))
    raw = reader.text(where["channel"])
    source: pd.Series | str = NAME
    if "source" in where:
        given = reader.text(where["source"])
        source = given.where(given != "", NAME)
    found = {m: where[m] for m in catalog if m in where}
    return finish(
        reader,
        source=source,
        dates=dates,
        channel=_channels(raw, ctx),
        # a comma-separated file kpi_xl wrote: no evidence means a decimal point
        measures=reader.numbers(found, default="." if table.sep != ";" else None),
        campaign=reader.text(where.get("campaign")),
        segment=reader.text(where.get("segment")),
    )


def _channels(raw: pd.Series, ctx: Context) -> pd.Series:
    """``channel_map`` by the value, else by the adapter name, else the value itself."""
    if not ctx.channel_map:
        return raw
    fallback = ctx.channel_map.get(NAME)
    default = raw if fallback is None else pd.Series(fallback, index=raw.index)
    folded = raw.str.strip().str.casefold()
    return folded.map(dict(ctx.channel_map)).fillna(default).astype(object)


ADAPTER = Adapter(
    NAME,
    "the canonical table (header: date, channel, [source, campaign, segment,] base measures)",
    is_header,
    read,
    numeric=numeric,
)
