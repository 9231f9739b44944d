"""A warehouse table already in kpi_xl's canonical schema, aggregated in the engine.

The table holds the columns of the canonical long table (docs/ingest.md, "The canonical
schema"), named case-insensitively (Snowflake's upper-case names are fine)::

    CREATE TABLE kpi_daily (
        date              DATE NOT NULL,      -- or date_from DATE, date_to DATE (a range)
        channel           VARCHAR NOT NULL,   -- seo, paid_search, ... or all
        source            VARCHAR,            -- ga4, google_ads, ... ('' or NULL: canonical)
        campaign          VARCHAR,            -- '' or NULL when the row is not split
        segment           VARCHAR,
        currency          VARCHAR(3),         -- ISO code of the row's money, '' when unknown
        sessions          DOUBLE PRECISION,   -- base measures named as in the catalog,
        engaged_sessions  DOUBLE PRECISION,   -- any numeric type; NULL = not reported
        key_events        DOUBLE PRECISION,
        users             DOUBLE PRECISION,
        revenue           DOUBLE PRECISION,
        cost              DOUBLE PRECISION
        -- ... any other measure of `kpi-xl kpis`
    );

``date`` may be a DATE, a TIMESTAMP (its day is taken) or ISO text (``2025-03-31``).
Columns that are neither these dimensions nor a base measure of the catalog (a load id, a
timestamp of the load) are not read, and the progress callback names them.

One ibis expression does the work in the engine: rows of the date range (a range row
only when it lies wholly inside it), grouped by day (or range), channel, source and
currency, each measure aggregated as the catalog says (``kpi_xl/catalog/measures.yaml``):

* ``sum`` (flows: sessions, cost...) and ``last`` (stocks: followers, customers, summed
  across campaigns and segments on the same day) are summed;
* ``whole`` (counts of distinct people: users, reach) are never added: they are taken from
  the day's row that is not split by campaign or segment (both empty), as they are. Two such
  rows for the same day, channel and source are refused (which one is right?). A plan reads
  a whole measure only from a row covering its whole period (a monthly row for a monthly
  plan): daily users stay in the table but are not added up into a month.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from kpi_xl.catalog.records import measures
from kpi_xl.errors import KpiXlError
from kpi_xl.warehouse.sql import trim

#: The dimensions of the result, in order.
KEYS_DAY = ("date",)
KEYS_RANGE = ("date_from", "date_to")
GROUPS = ("channel", "source", "currency")
#: Text columns the canonical schema knows besides the measures.
TEXT = ("channel", "source", "campaign", "segment", "currency")
#: The prefix of the helper counts of whole measures (dropped from the result).
COUNT_PREFIX = "_rows_"
#: The source of rows whose table has no source (as for a canonical file).
DEFAULT_SOURCE = "canonical"


@dataclass(frozen=True)
class CanonicalQuery:
    """The aggregation of a canonical table and what it found in the table."""

    expr: Any  # ibis Table
    dates: tuple[str, ...]  # ("date",) or ("date_from", "date_to")
    measures: tuple[str, ...]
    wholes: tuple[str, ...]
    ignored: tuple[str, ...]  # columns neither dimension nor measure


def _day(column: Any, name: str, where: str) -> Any:
    kind = column.type()
    if kind.is_date():
        return column
    if kind.is_timestamp():
        return column.date()
    if kind.is_string():
        return trim(column).cast("date")
    raise KpiXlError(
        f"column {name!r} holds {kind}: expected a DATE, a TIMESTAMP or ISO text", file=where
    )


def _text(table: Any, names: dict[str, str], column: str) -> Any:
    import ibis

    if column not in names:
        return ibis.literal("")
    return trim(table[names[column]].cast("string")).fill_null("")


def canonical_query(
    table: Any,
    start: dt.date | None = None,
    end: dt.date | None = None,
    *,
    where: str = "",
) -> CanonicalQuery:
    """The one ibis expression aggregating ``table`` (an ibis table in the canonical
    schema, bound or not) over ``start``..``end`` (inclusive; None: open)."""
    import ibis

    names = {c.lower(): c for c in table.columns}
    catalog = measures()
    if "channel" not in names:
        raise KpiXlError("the table has no 'channel' column (see docs/warehouse.md)", file=where)
    if "date" in names:
        dates: tuple[str, ...] = KEYS_DAY
        first = last = _day(table[names["date"]], "date", where)
    elif "date_from" in names and "date_to" in names:
        dates = KEYS_RANGE
        first = _day(table[names["date_from"]], "date_from", where)
        last = _day(table[names["date_to"]], "date_to", where)
    else:
        raise KpiXlError(
            "the table has no 'date' column (nor 'date_from' and 'date_to'): see docs/warehouse.md",
            file=where,
        )
    found = [m for m in catalog if m in names]
    for m in found:
        kind = table[names[m]].type()
        if not kind.is_numeric() or kind.is_boolean():
            raise KpiXlError(f"column {names[m]!r} holds {kind}: expected numbers", file=where)
    known = {*dates, *TEXT, *catalog}
    ignored = tuple(c for c in table.columns if c.lower() not in known)

    conditions = []
    if start is not None:
        conditions.append(first >= ibis.literal(start, type="date"))
    if end is not None:
        conditions.append(last <= ibis.literal(end, type="date"))
    unsplit = (_text(table, names, "campaign") == "") & (_text(table, names, "segment") == "")
    rows = table.select(
        **({"date": first} if dates == KEYS_DAY else {"date_from": first, "date_to": last}),
        channel=_text(table, names, "channel").lower(),
        source=_text(table, names, "source"),
        currency=_text(table, names, "currency").upper(),
        _unsplit=unsplit,
        **{f"_m_{m}": table[names[m]].cast("float64") for m in found},
    )
    if conditions:
        rows = rows.filter(*conditions)
    aggregates: dict[str, Any] = {}
    wholes = []
    for m in found:
        value = rows[f"_m_{m}"]
        if catalog[m].aggregation == "whole":
            wholes.append(m)
            aggregates[m] = value.sum(where=rows["_unsplit"])
            aggregates[COUNT_PREFIX + m] = value.count(where=rows["_unsplit"])
        else:
            aggregates[m] = value.sum()
    keys = [*dates, *GROUPS]
    expr = rows.group_by(keys).aggregate(**aggregates).order_by(keys)
    return CanonicalQuery(expr, dates, tuple(found), tuple(wholes), ignored)


def finish(frame: pd.DataFrame, query: CanonicalQuery, where: str) -> pd.DataFrame:
    """The executed aggregation as canonical rows (``date_from``, ``date_to``, channel,
    source, campaign, segment, currency, measures), refusing a whole measure given twice."""
    for m in query.wholes:
        counts = frame[COUNT_PREFIX + m]
        twice = counts.to_numpy() > 1
        if twice.any():
            row = frame.loc[twice].iloc[0]
            day = " to ".join(f"{pd.Timestamp(row[d]):%Y-%m-%d}" for d in query.dates)
            raise KpiXlError(
                f"{int(row[COUNT_PREFIX + m])} rows give {m!r} for {day}, channel "
                f"{row['channel']!r}, source {row['source']!r}, none split by campaign or "
                f"segment: {m} counts distinct people and is never added up; keep one such row",
                file=where,
            )
    out = pd.DataFrame(index=frame.index)
    for d in query.dates:
        out[d] = pd.to_datetime(frame[d]).astype("datetime64[ns]")
    if query.dates == KEYS_DAY:
        out = out.rename(columns={"date": "date_from"})
        out["date_to"] = out["date_from"]
    out["channel"] = frame["channel"].astype(object)
    source = frame["source"].astype(object)
    out["source"] = source.where(source != "", DEFAULT_SOURCE)
    out["campaign"] = ""
    out["segment"] = ""
    out["currency"] = frame["currency"].astype(object)
    for m in query.measures:
        out[m] = pd.to_numeric(frame[m], errors="coerce").astype("float64")
    return out.reset_index(drop=True)


def columns_of(query: CanonicalQuery) -> Sequence[str]:
    """The columns of the result (for an empty frame)."""
    return (
        "date_from",
        "date_to",
        "channel",
        "source",
        "campaign",
        "segment",
        "currency",
        *query.measures,
    )
