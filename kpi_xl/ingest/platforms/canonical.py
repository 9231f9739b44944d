"""The canonical schema itself: what ``kpi-xl ingest -o`` and :func:`write_canonical` write.

Layout: one table whose header holds ``date`` (daily rows) or ``date_from`` and
``date_to``, and ``channel``; optionally ``source``, ``campaign``, ``segment``,
``currency``, and base measures named as in the catalog (``sessions``, ``cost``...); names
are matched case-insensitively. Any other column is an error (a misspelt measure must not
vanish). As CSV/TSV, ``.csv.gz``, ``.xlsx`` (the first sheet with that header), Parquet, or
a pandas DataFrame.

* dates: ISO (``2025-03-31``; a time of day is dropped) or date cells;
* ``channel``: the channel vocabulary or ``all``, case-insensitive; ``channel_map`` may
  translate other names first (by value, or ``{"canonical": ...}`` for every row);
* ``source``: kept when present (so a table round-trips), else ``canonical``;
* ``campaign``, ``segment``, ``currency``: text as given; in a CSV/TSV file a leading
  ``'`` before ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is dropped (what
  :func:`~kpi_xl.ingest.write_canonical` adds so that a spreadsheet never runs the text as
  a formula, and what a spreadsheet shows of such a cell);
* measures: numbers, empty = not reported. A ``,``- or tab-separated file uses a decimal
  point (``1,234.5`` quoted is fine); a ``;``-separated one may use decimal commas
  (``1.234,5``), decided from the values as for any export.

Exact repeats of a row are dropped (one row per key by definition) and reported.
"""

from __future__ import annotations

import pandas as pd

from kpi_xl.catalog.records import measures
from kpi_xl.errors import KpiXlError
from kpi_xl.ingest.canonical import COLUMNS, unescape_formulas
from kpi_xl.ingest.dates import ISO, ISO_TIME
from kpi_xl.ingest.fields import Context, Loaded, Reader, Report, finish, norm
from kpi_xl.ingest.spec import Channels, Detect, Platform, col
from kpi_xl.ingest.table import Document, Table
from kpi_xl.vocabulary import nearest

NAME = "canonical"
DIMENSIONS = ("channel", "source", "campaign", "segment", "currency")


def is_header(names: frozenset[str]) -> bool:
    return ("date" in names or "date_from" in names) and "channel" in names


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
        if key not in ("date", *COLUMNS) and key not in catalog:
            known = ("date", *COLUMNS, *catalog)
            raise KpiXlError(
                f"unknown column {str(name).strip()!r}{nearest(key, known)}: expected date (or "
                f"date_from and date_to), {', '.join(DIMENSIONS)} or a base measure of the "
                "catalog (see docs/ingest.md)",
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
    if "date" in where:
        dates: pd.Series | tuple[pd.Series, pd.Series] = reader.dates(
            where["date"], (ISO, ISO_TIME)
        )
    elif "date_to" in where:
        dates = (
            reader.dates(where["date_from"], (ISO, ISO_TIME)),
            reader.dates(where["date_to"], (ISO, ISO_TIME)),
        )
    else:
        raise KpiXlError(
            "missing column 'date_to': a row's range needs both date_from and date_to "
            "(or one 'date' column for daily rows)",
            file=table.file,
            line=table.header_line,
            column="date_to",
        )

    def text(pos: int | None) -> pd.Series:
        values = reader.text(pos)
        return values if table.sep is None or pos is None else unescape_formulas(values)

    raw = reader.text(where["channel"])
    source: pd.Series | str = NAME
    if "source" in where:
        given = text(where["source"])
        source = given.where(given != "", NAME)
    found = {m: where[m] for m in catalog if m in where}
    loaded = finish(
        reader,
        source=source,
        dates=dates,
        channel=_channels(raw, ctx),
        # a comma-separated file kpi_xl wrote: no evidence means a decimal point
        measures=reader.numbers(found, default="." if table.sep != ";" else None),
        campaign=text(where.get("campaign")),
        segment=text(where.get("segment")),
        currency=text(where["currency"]) if "currency" in where else "",
        repeats="drop",
    )
    report = Report(table.file, NAME, "canonical table", rows=len(loaded.frame))
    report.duplicates = loaded.reports[0].duplicates if loaded.reports else 0
    if report.duplicates:
        report.warnings.append(f"{report.duplicates} exact repeat(s) of a row dropped")
    frame = loaded.frame
    if len(frame):
        report.start = frame["date_from"].min().date()
        report.end = frame["date_to"].max().date()
        same = bool((frame["date_from"] == frame["date_to"]).all())
        report.granularity = "daily" if same else "ranges"
    return Loaded(frame, loaded.lines, loaded.files, (NAME,), (report,))


def _channels(raw: pd.Series, ctx: Context) -> pd.Series:
    """``channel_map`` by the value, else by the platform name, else the value itself."""
    if not ctx.channel_map:
        return raw
    fallback = ctx.channel_map.get(NAME)
    default = raw if fallback is None else pd.Series(fallback, index=raw.index)
    folded = raw.str.strip().str.casefold()
    return folded.map(dict(ctx.channel_map)).fillna(default).astype(object)


PLATFORM = Platform(
    name=NAME,
    title="canonical table",
    kind="table",
    layout="the canonical table (header: date or date_from/date_to, channel, [source, campaign, "
    "segment, currency,] base measures)",
    detect=Detect(all_of=(col("channel"),), any_of=((col("date"), col("date_from")),)),
    dates=(),
    measures={},
    channel=Channels("other"),
    read=read,
    numeric=numeric,
    priority=0,
)
