"""Warehouse sources through ibis: one aggregation pushed down to the engine.

:func:`load_warehouse` reads a URL (see :mod:`kpi_xl.warehouse.connect`): DuckDB,
PostgreSQL, BigQuery, Snowflake or Spark, a table in kpi_xl's canonical schema
(:mod:`~kpi_xl.warehouse.canonical_table`) or a GA4 BigQuery export
(:mod:`~kpi_xl.warehouse.ga4_export`). The engine filters the dates and groups by day,
channel and source; only the aggregated rows travel, and come back as the canonical long
table that :func:`kpi_xl.pipeline.build_plan` takes. Needs the ``warehouse`` extra
(``pip install "kpi-xl[warehouse]"``). See docs/warehouse.md.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from kpi_xl.errors import KpiXlError
from kpi_xl.ingest.canonical import HEADER_LINES, validate
from kpi_xl.vocabulary import CHANNELS
from kpi_xl.warehouse import canonical_table, ga4_export
from kpi_xl.warehouse.connect import (
    Warehouse,
    connect,
    engine_errors,
    parse_url,
    public_url,
    split_table,
)

__all__ = ["Progress", "load_warehouse", "parse_url", "public_url"]

#: Told what the reader is doing, with the time since it started and the rows read.
Progress = Callable[[str], None]
DateArg = dt.date | str | None


def _date(value: DateArg, name: str) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value.date() if isinstance(value, dt.datetime) else value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise KpiXlError(f"{name} {value!r} is not a date: expected YYYY-MM-DD") from None


def load_warehouse(
    url: str,
    *,
    start: DateArg = None,
    end: DateArg = None,
    progress: Progress | None = None,
    key_events: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Canonical rows aggregated per day x channel (x source) from a warehouse table.

    ``url`` names the engine and the table (``duckdb:///data.duckdb?table=kpi_daily``,
    ``bigquery://project/dataset?schema=ga4``...); ``start`` and ``end`` bound the days
    (inclusive, ISO text or dates; None: open). ``progress`` is told each step with the
    elapsed time and, at the end, the rows read. ``key_events`` (GA4 export only) names
    the events counted as key events (default: the URL's ``key_events=``, else
    ``purchase``). Whatever the engine refuses (a missing table, a bad column, bad
    credentials, an unreachable host) is a one-line :class:`KpiXlError` with its reason.
    """
    began = time.perf_counter()

    def say(text: str) -> None:
        if progress is not None:
            progress(f"{text} ({time.perf_counter() - began:.1f} s)")

    first, last = _date(start, "start"), _date(end, "end")
    if first is not None and last is not None and last < first:
        raise KpiXlError(f"the end {last} is before the start {first}")
    warehouse = parse_url(url)
    say(f"connecting to {warehouse.url}")
    backend = connect(warehouse)
    try:
        if warehouse.layout == "ga4":
            frame = _ga4(backend, warehouse, first, last, key_events, say)
        else:
            frame = _canonical(backend, warehouse, first, last, say)
    finally:
        _disconnect(backend, warehouse)
    say(f"{len(frame)} row{'' if len(frame) == 1 else 's'} from {warehouse.url}")
    return _checked(frame, warehouse.url)


def _disconnect(backend: Any, warehouse: Warehouse) -> None:
    if warehouse.engine == "pyspark":
        return  # the Spark session may be shared (a notebook's): it stays
    with contextlib.suppress(Exception):  # closing a connection is not the user's problem
        backend.disconnect()


def _table(backend: Any, warehouse: Warehouse, name: str) -> Any:
    table, namespace = split_table(name)
    with engine_errors(warehouse, f"reading the table {name!r}"):
        if namespace is None:
            return backend.table(table)
        return backend.table(table, database=namespace)


def _list_tables(backend: Any, warehouse: Warehouse, namespace: str | None) -> list[str]:
    if warehouse.engine == "duckdb":
        # ibis 12's DuckDB list_tables calls a method DuckDB 2 removed: ask the catalog
        sql = (
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = coalesce(?, current_schema())"
        )
        return [str(r[0]) for r in backend.con.execute(sql, [namespace]).fetchall()]
    names: list[str] = (
        backend.list_tables(database=namespace) if namespace else backend.list_tables()
    )
    return names


def _execute(expr: Any, warehouse: Warehouse, say: Callable[[str], None]) -> pd.DataFrame:
    say(f"running the aggregation on {warehouse.engine}")
    with engine_errors(warehouse, "the query"):
        frame: pd.DataFrame = expr.execute()
    return frame


def _canonical(
    backend: Any,
    warehouse: Warehouse,
    start: dt.date | None,
    end: dt.date | None,
    say: Callable[[str], None],
) -> pd.DataFrame:
    table = _table(backend, warehouse, warehouse.table)
    with engine_errors(warehouse, "the table's columns"):
        query = canonical_table.canonical_query(table, start, end, where=warehouse.url)
    if query.ignored:
        say(f"not read (neither a dimension nor a measure): {', '.join(query.ignored)}")
    frame = _execute(query.expr, warehouse, say)
    unknown = sorted(set(frame["channel"].astype(str)) - {*CHANNELS, "all"})
    if unknown:
        raise KpiXlError(
            f"unknown channel {unknown[0]!r} in the table: expected one of "
            f"{', '.join(CHANNELS)} (or all for a total not split by channel)",
            file=warehouse.url,
            column="channel",
        )
    return canonical_table.finish(frame, query, warehouse.url)


def _ga4(
    backend: Any,
    warehouse: Warehouse,
    start: dt.date | None,
    end: dt.date | None,
    key_events: Sequence[str] | None,
    say: Callable[[str], None],
) -> pd.DataFrame:
    own = warehouse.own
    if key_events is None:
        listed = [e.strip() for e in own.get("key_events", "").split(",") if e.strip()]
        key_events = listed or ga4_export.KEY_EVENTS
    usd = own.get("revenue", "").lower() == "usd"
    currency = "USD" if usd else own.get("currency", "").upper()
    name = warehouse.table or "events_*"
    table_name, namespace = split_table(name)
    if table_name == "events_*":
        with engine_errors(warehouse, "listing the tables"):
            names = _list_tables(backend, warehouse, namespace)
        chosen = ga4_export.export_tables(names, start, end)
        if not chosen:
            span = f"{start or 'the first day'} to {end or 'the last day'}"
            raise KpiXlError(
                f"no GA4 export tables (events_YYYYMMDD) for {span}", file=warehouse.url
            )
        prefix = f"{namespace}." if namespace else ""
        tables = [_table(backend, warehouse, prefix + n) for n in chosen]
        say(f"{len(tables)} GA4 export tables ({chosen[0]} to {chosen[-1]})")
    else:
        tables = [_table(backend, warehouse, name)]
    with engine_errors(warehouse, "the export's columns"):
        expr = ga4_export.ga4_query(
            tables,
            start,
            end,
            key_events=key_events,
            usd=usd,
            no_index=warehouse.engine == "pyspark",
            where=warehouse.url,
        )
    frame = _execute(expr, warehouse, say)
    return ga4_export.finish(frame, currency=currency)


def _checked(frame: pd.DataFrame, where: str) -> pd.DataFrame:
    """``frame`` through the canonical checks; a problem names the aggregated row (day,
    channel, source) instead of a line number."""
    try:
        return validate(frame, where)
    except KpiXlError as exc:
        if exc.line is None:
            raise
        row = frame.iloc[exc.line - HEADER_LINES - 1]
        day = f"{pd.Timestamp(row['date_from']):%Y-%m-%d}"
        raise KpiXlError(
            f"{exc.message} (the total of {day}, channel {row['channel']!r}, "
            f"source {row['source']!r})",
            file=where,
            column=exc.column,
        ) from None
