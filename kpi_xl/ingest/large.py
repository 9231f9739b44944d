"""Large canonical files aggregated by DuckDB: a plan is built without loading them whole.

A canonical CSV/TSV or Parquet file of at least :data:`LARGE_BYTES` (a warehouse export,
years of daily rows per campaign) is scanned by DuckDB, which checks every row and reduces
the table to what the plan computes from: per plan period, channel, source, campaign,
segment and currency, one row for the daily rows. The reduction is exact, so the plan is
the one the whole table gives (``tests/test_large_files.py`` compares the two):

* the daily rows of a group are added up into one daily row on the group's last day
  (``sum`` measures: their sum, blank when none is reported);
* a ``last`` measure (followers, list size) keeps the value of its latest reported day, on
  a row of that day when it is not the group's last;
* a ``whole`` measure (users, reach) on daily rows can never be the period's figure (it
  is not added up, see :mod:`kpi_xl.ingest.aggregate`); it stays reported, on a row that
  does not cover the period, so the plan says why it is blank as before;
* the periods a partial current period is compared with day by day are cut after as
  many days (:func:`kpi_xl.periods.like_for_like`); the first day of data and rows
  covering several days are kept as they are.

Rows are checked as the general reader checks them. When DuckDB finds a row it would not
read the same way (a value that is not a plain number or an ISO date, an unknown channel,
a part above its whole, a row spanning plan periods...), those rows are read by the
general reader, whose message names the file, line and column; when it reads them
without complaint, or the file repeats a key, the whole file goes to the general reader
(:func:`load_large` returns ``None``).
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from kpi_xl import periods as cal
from kpi_xl.catalog.records import measures
from kpi_xl.catalog.relations import relations
from kpi_xl.errors import KpiXlError
from kpi_xl.ingest.canonical import (
    ALL_CHANNELS,
    COLUMNS,
    DIMENSIONS,
    ESCAPED,
    RELATION_SLACK,
    shared_strings,
)
from kpi_xl.ingest.dates import FIRST_YEAR, LAST_YEAR
from kpi_xl.ingest.fields import Report, norm
from kpi_xl.ingest.limits import MAX_CELL_CHARS, MAX_COLUMNS, MAX_RATIO, MAX_VALUE, size_text
from kpi_xl.ingest.platforms.canonical import NAME, is_header
from kpi_xl.vocabulary import CHANNELS

#: Canonical files at least this large are aggregated by DuckDB when a plan is built (on
#: the 22.8 MB benchmark file: 1.6 s and 211 MB, against 2.0 s and 256 MB; README).
LARGE_BYTES = 16 << 20
#: The environment variable that overrides it: a size in MB, or ``off``.
THRESHOLD_VARIABLE = "KPI_XL_LARGE_MB"
#: DuckDB's memory for one scan (it spills to a temporary folder beyond it).
MEMORY_LIMIT = "256MB"
#: Flagged rows handed to the general reader for its message.
SAMPLE_ROWS = 20
#: An ISO date.
_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
#: A text escaping a formula, as the general reader finds it (matched at the start).
_FORMULA_ESCAPED = "^" + ESCAPED.pattern

if TYPE_CHECKING:
    import duckdb

Progress = Callable[[str], None]


@dataclass(frozen=True)
class LargeFile:
    """A canonical file DuckDB can scan: its kind, separator and column names (folded)."""

    path: Path
    kind: str  # "csv" or "parquet"
    names: tuple[str, ...]
    sep: str = ","
    #: DuckDB's type of each column: a Parquet file's own; for a CSV, DOUBLE for the
    #: measures on the first try (empty: every column read as text)
    types: tuple[str, ...] = ()


@dataclass
class Reduced:
    """What :func:`load_large` read: the reduced canonical table and its report (whose
    ``rows`` are the file's)."""

    frame: pd.DataFrame
    report: Report


def threshold() -> int | None:
    """The size from which a canonical file is aggregated by DuckDB: :data:`LARGE_BYTES`,
    or ``KPI_XL_LARGE_MB`` (``0``: every canonical file; ``off``: none)."""
    text = os.environ.get(THRESHOLD_VARIABLE, "").strip().lower()
    if not text:
        return LARGE_BYTES
    if text == "off":
        return None
    try:
        megabytes = float(text)
    except ValueError:
        megabytes = -1.0
    if not megabytes >= 0:
        raise KpiXlError(f"{THRESHOLD_VARIABLE}={text!r}: expected a size in MB (16) or 'off'")
    return int(megabytes * 2**20)


def large_file(path: Path) -> LargeFile | None:
    """``path`` as a :class:`LargeFile` when it is a canonical CSV/TSV or Parquet file of
    at least :func:`threshold`; else ``None`` (the general reader reads it)."""
    minimum = threshold()
    suffix = path.suffix.lower()
    if minimum is None or suffix not in (".csv", ".tsv", ".txt", ".parquet"):
        return None
    if not path.is_file() or path.stat().st_size < minimum:
        return None
    if suffix == ".parquet":
        return _parquet(path)
    with path.open("rb") as handle:
        first = handle.readline(1 << 16).decode("utf-8-sig", errors="replace").rstrip("\r\n")
    for sep in (",", "\t"):
        header = next(csv.reader([first], delimiter=sep))
        if len(header) > 1:
            return _checked(LargeFile(path, "csv", tuple(norm(n) for n in header), sep))
    return None


def _parquet(path: Path) -> LargeFile | None:
    import duckdb

    con = duckdb.connect()
    try:
        query = f"DESCRIBE SELECT * FROM read_parquet({_quote(path)})"
        schema = con.execute(query).fetchall()
        rows = con.execute(f"SELECT count(*) FROM read_parquet({_quote(path)})").fetchall()
    except duckdb.Error:
        return None  # the general reader says what is wrong with it
    finally:
        con.close()
    # DuckDB streams the rows (no 1 GB cap), but a file may not expand beyond MAX_RATIO
    # times its size (a constant column of a billion rows): the general reader refuses it
    if rows[0][0] * len(schema) * 8 > MAX_RATIO * path.stat().st_size:
        return None
    names = tuple(norm(row[0]) for row in schema)
    types = tuple(str(row[1]) for row in schema)
    return _checked(LargeFile(path, "parquet", names, types=types))


def _checked(found: LargeFile) -> LargeFile | None:
    names = found.names
    known = {"date", "date_from", "date_to", *DIMENSIONS, "currency", *measures()}
    if not is_header(frozenset(names)) or not set(names) <= known or len(names) > MAX_COLUMNS:
        return None  # unknown columns: the general reader names them
    if len(set(names)) != len(names) or ("date" not in names and "date_to" not in names):
        return None
    if found.kind == "parquet" and not all(_plain_type(t) for t in found.types):
        return None
    return found


#: Parquet column types DuckDB reads as the general reader does (else: the general reader).
_PLAIN_TYPES = ("VARCHAR", "DATE", "TIMESTAMP", "DOUBLE", "FLOAT", "BIGINT", "INTEGER")


def _plain_type(kind: str) -> bool:
    return kind in _PLAIN_TYPES or kind.startswith(("TIMESTAMP_", "DECIMAL"))


def _quote(value: object) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _scan_sql(large: LargeFile) -> str:
    """The file as rows of (rn, c0, c1...): rn is the row's number from 1."""
    columns = ", ".join(f"{_ident(f'c{i}')}" for i in range(len(large.names)))
    if large.kind == "parquet":
        aliases = ", ".join(f"c{i}" for i in range(len(large.names)))
        source = f"read_parquet({_quote(large.path)}) AS t({aliases})"
    else:
        types = large.types or ("VARCHAR",) * len(large.names)
        spec = ", ".join(f"{_quote(f'c{i}')}: {_quote(t)}" for i, t in enumerate(types))
        source = (
            f"read_csv({_quote(large.path)}, header=false, skip=1, delim={_quote(large.sep)}, "
            f"quote='\"', escape='\"', columns={{{spec}}}, auto_detect=false, "
            "null_padding=false, strict_mode=true, encoding='utf-8')"
        )
    return f"SELECT row_number() OVER () AS rn, {columns} FROM {source}"


def _typed_sql(large: LargeFile) -> tuple[str, list[str]]:
    """Each row typed as the canonical table, with ``bad`` when a check fails (a flagged
    row goes to the general reader); the measure columns' names. The values are typed
    once, in an inner query, and checked together in the outer one."""
    where = {n: f"c{i}" for i, n in enumerate(large.names)}
    types = dict(zip(large.names, large.types, strict=True)) if large.types else {}
    parts: list[str] = ["rn"]
    flags: list[str] = []  # on the raw cells, in the inner query

    def text(name: str) -> str:
        if name not in where:
            return "''"
        value = f"coalesce(CAST({where[name]} AS VARCHAR), '')"
        if large.kind == "csv":  # a leading ' escaping a formula character is dropped
            value = (
                f"CASE WHEN starts_with({value}, {_quote(chr(39))}) AND regexp_matches("
                f"{value}, {_quote(_FORMULA_ESCAPED)}) THEN substr({value}, 2) ELSE {value} END"
            )
        flags.append(f"length({value}) > {MAX_CELL_CHARS}")
        return value

    def day(name: str) -> str:
        column = where[name]
        if types.get(name, "VARCHAR") != "VARCHAR":
            flags.append(f"{column} IS NULL")
            value = f"CAST({column} AS DATE)"
        else:
            flags.append(f"{column} IS NULL OR NOT regexp_matches({column}, {_quote(_DATE)})")
            value = f"TRY_CAST({column} AS DATE)"
        return value

    start = day("date" if "date" in where else "date_from")
    end = start if "date" in where else day("date_to")
    parts += [f"{start} AS date_from", f"{end} AS date_to"]
    channel = f"lower(trim(coalesce({where['channel']}, '')))"
    parts.append(f"{channel} AS channel")
    source = text("source")
    parts.append(f"CASE WHEN {source} = '' THEN {_quote(NAME)} ELSE {source} END AS source")
    parts += [f"{text('campaign')} AS campaign", f"{text('segment')} AS segment"]
    currency = text("currency")
    flags.append(f"regexp_matches({currency}, '[\\t\\r\\n\\f\\v]')")  # Python strips those
    parts.append(f"upper(trim({currency})) AS currency")
    found = [m for m in measures() if m in where]
    given: list[str] = []  # text cells holding something (a number or not)
    texts: list[str] = []  # the measures read from text
    for m in found:
        column = where[m]
        if types.get(m, "VARCHAR") == "VARCHAR":  # DuckDB reads numbers as Python does
            parts.append(f"TRY_CAST(nullif({column}, '') AS DOUBLE) AS {_ident(m)}")
            given.append(f"CAST(coalesce({column}, '') <> '' AS INTEGER)")
            texts.append(_ident(m))
        else:
            parts.append(f"CAST({column} AS DOUBLE) AS {_ident(m)}")
    raw = " OR ".join(f"coalesce({f}, false)" for f in flags)
    parts.append(f"({raw}) AS raw_bad")
    parts.append(f"({' + '.join(given) or '0'}) AS given")
    checks = [
        "raw_bad",
        f"year(date_from) NOT BETWEEN {FIRST_YEAR} AND {LAST_YEAR}",
        f"year(date_to) NOT BETWEEN {FIRST_YEAR} AND {LAST_YEAR}",
        "date_to < date_from",
        f"channel NOT IN ({', '.join(_quote(c) for c in (*CHANNELS, ALL_CHANNELS))})",
    ]
    if texts:  # a text cell that is not a number
        read = " + ".join(f"CAST({v} IS NOT NULL AS INTEGER)" for v in texts)
        checks.append(f"given <> {read}")
    if found:
        values = [_ident(m) for m in found]
        # NaN sorts above every number in DuckDB: greatest() catches it and +inf
        checks += [
            f"greatest({', '.join(values)}) > {MAX_VALUE!r}",
            f"least({', '.join(values)}) < 0",
        ]
    for relation in relations():
        if relation.part in found and relation.whole in found:
            part, whole = _ident(relation.part), _ident(relation.whole)
            checks.append(f"{part} > {whole} + {RELATION_SLACK}")
    bad = " OR ".join(f"coalesce({c}, false)" for c in checks)
    inner = f"SELECT {', '.join(parts)} FROM scan"
    return f"SELECT * EXCLUDE (raw_bad, given), ({bad}) AS bad FROM ({inner})", found


def load_large(
    large: LargeFile,
    grain: str,
    year: int | None,
    progress: Progress | None = None,
) -> Reduced | None:
    """The reduced canonical table of a large file for a plan of ``grain`` and ``year``
    (see the module's docstring); ``None`` when the general reader must read the file."""
    import duckdb

    step = progress or (lambda _msg: None)
    began = time.perf_counter()
    step(f"reading {large.path.name} ({size_text(large.path.stat().st_size)}) with DuckDB")
    tries = [large]
    if large.kind == "csv":  # numbers parsed by the CSV reader: faster; any cell it cannot
        catalog = measures()  # read sends the file to the scan of text cells
        numbers = tuple("DOUBLE" if n in catalog else "VARCHAR" for n in large.names)
        tries.insert(0, replace(large, types=numbers))
    with tempfile.TemporaryDirectory(prefix="kpi-xl-duckdb-") as spill:
        for attempt in tries:
            # one thread when two run out of memory: each thread groups on its own, and
            # many groups (campaigns x periods) fill the limit twice as fast
            for threads in (None, 1):
                con = duckdb.connect(config={"memory_limit": MEMORY_LIMIT, "temp_directory": spill})
                con.execute("SET enable_progress_bar = false")  # kpi-xl reports progress itself
                if threads:
                    con.execute(f"SET threads = {threads}")
                try:
                    return _reduce(con, attempt, grain, year, step, began)
                except duckdb.OutOfMemoryException:
                    continue
                except duckdb.Error:
                    break  # the next try, else the general reader says what is wrong
                finally:
                    con.close()
    return None


def _reduce(
    con: duckdb.DuckDBPyConnection,
    large: LargeFile,
    grain: str,
    year: int | None,
    step: Progress,
    began: float,
) -> Reduced | None:
    """Two scans of the file: its range (which sets the periods and the cut), then every
    row checked and grouped."""
    typed, found = _typed_sql(large)
    con.execute(f"CREATE TEMP VIEW scan AS {_scan_sql(large)}")
    con.execute(f"CREATE TEMP VIEW typed AS {typed}")
    rows, first, last = _one(con, "SELECT count(*), min(date_from), max(date_to) FROM typed")
    if large.kind == "csv" and rows + 1 != _lines(large.path):
        return None  # a field spanning lines: line numbers need the general reader
    if first is None:  # no row, or no date DuckDB reads: the general reader says why
        return None
    first, last = cal.as_date(first), cal.as_date(last)
    keys = _calendar(con, first, last, grain, year)
    rule = {m: measures()[m].aggregation for m in found}
    con.execute(_group_sql(found, rule, first))
    bad, spans, daily = _one(con, "SELECT sum(bad), sum(spans), bool_and(daily) FROM groups")
    if bad:
        _refuse(con, large, grain, "SELECT rn FROM typed WHERE bad")
        return None  # DuckDB was stricter than the general reader: it reads the file
    if spans:
        _refuse(con, large, grain, _SPANNING)
        return None
    if _repeats(con):
        return None  # a key repeated: the general reader drops repeats or names conflicts
    groups = _fetch(con)
    groups["period"] = np.asarray(keys, dtype=object)[groups["period"].to_numpy()]
    frame = _rows(groups, found, rule)
    took = time.perf_counter() - began
    step(f"aggregated {rows:,} rows to {len(frame):,} in {took:.1f} s ({rows / took:,.0f} rows/s)")
    report = Report(
        str(large.path), NAME, "canonical table", "daily" if daily else "ranges", first, last, rows
    )
    report.notes.append(f"{rows:,} rows aggregated by DuckDB to the plan's {len(frame):,}")
    return Reduced(frame, report)


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[Any, ...]:
    rows: list[tuple[Any, ...]] = con.execute(sql).fetchall()
    return rows[0]


#: The rows covering days of several plan periods.
_SPANNING = "SELECT rn FROM typed WHERE period_of(date_from) <> period_of(date_to)"


def _lines(path: Path) -> int:
    """Lines of a text file (a last line without a newline counts)."""
    count, last = 0, b"\n"
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 22):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    return count + (0 if last == b"\n" else 1)


def _calendar(
    con: duckdb.DuckDBPyConnection, first: dt.date, last: dt.date, grain: str, year: int | None
) -> list[str]:
    """The plan periods from ``first`` to ``last``, and two macros of a day from ``first``
    to ``last``: ``period_of`` (its period's position in that list) and ``early`` (among
    the first days of a period a like-for-like comparison cuts, see
    :func:`kpi_xl.periods.like_for_like`)."""
    cut_periods, cut = cal.like_for_like(last, grain, year)
    days = [first + dt.timedelta(d) for d in range((last - first).days + 1)]
    keys = [cal.key_of(d, grain) for d in days]
    periods = list(dict.fromkeys(keys))
    number = {k: i for i, k in enumerate(periods)}
    early = [
        k in cut_periods and cal.day_of(d, k, grain) <= cut for d, k in zip(days, keys, strict=True)
    ]
    offset = f"date_diff('day', DATE {_quote(first)}, d) + 1"
    numbers = ", ".join(str(number[k]) for k in keys)
    flags = ", ".join("true" if e else "false" for e in early)
    con.execute(f"CREATE TEMP MACRO period_of(d) AS [{numbers}][{offset}]")
    con.execute(f"CREATE TEMP MACRO early(d) AS [{flags}][{offset}]")
    return periods


def _group_sql(found: list[str], rule: Mapping[str, str], first: dt.date) -> str:
    """The table ``groups``: a row covering several days, and a row of the first day,
    ``kept`` as it is (its dates are part of its group's key: only a repeat of its key
    shares it); the other daily rows per period, part (early or late), group and currency,
    with the bits of their days (``mask``: a period or part has fewer than 120 days) to
    find repeated keys; the counts of flagged rows. (No row number here: DuckDB would
    number the rows in one thread, half the scan's time.)"""
    day0 = f"DATE {_quote(first)}"
    keys = ["kept", "kept_from", "kept_to"]
    keys += ["period", "early", "channel", "source", "campaign", "segment", "currency"]
    aggregates = [
        "count(*) AS n",
        "min(date_from) AS first_day",
        "max(date_to) AS last_day",
        "count(*) FILTER (WHERE bad) AS bad",
        "count(*) FILTER (WHERE spans) AS spans",
        "bool_and(date_from = date_to) AS daily",
        f"bit_or(1::HUGEINT << CAST(date_diff('day', {day0}, date_from) % 120 AS INTEGER)) AS mask",
    ]
    for i, m in enumerate(found):
        col = _ident(m)
        if rule[m] == "sum":
            aggregates.append(f"sum({col}) AS {col}")
        elif rule[m] == "whole":  # reported, never the period's figure (see the docstring)
            aggregates.append(f"max({col}) AS {col}")
        else:
            reported = f"FILTER (WHERE {col} IS NOT NULL)"
            aggregates.append(f"arg_max({col}, date_from) {reported} AS {col}")
            aggregates.append(f"max(date_from) {reported} AS last_day_{i}")
    kept = f"coalesce(date_from <> date_to OR date_from = {day0}, false)"
    rows = (
        "SELECT *, period_of(date_from) AS period, early(date_from) AS early, "
        "coalesce(period_of(date_from) <> period_of(date_to), false) AS spans, "
        f"{kept} AS kept, CASE WHEN {kept} THEN date_from END AS kept_from, "
        f"CASE WHEN {kept} THEN date_to END AS kept_to FROM typed"
    )
    return (
        f"CREATE TEMP TABLE groups AS SELECT {', '.join(keys)}, {', '.join(aggregates)} "
        f"FROM ({rows}) GROUP BY ALL"
    )


def _repeats(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether a key (dates, channel, source, campaign, segment) has several rows: daily
    rows grouped together whose count is not that of their days, or rows kept as they
    are with the same dates (in one group, or in two currencies)."""
    repeated = _one(
        con,
        "SELECT count(*) FROM (SELECT sum(n) AS n, bit_count(bit_or(mask)) AS days FROM groups "
        "WHERE NOT kept GROUP BY period, early, channel, source, campaign, segment) "
        "WHERE n <> days",
    )[0]
    doubled = _one(
        con,
        "SELECT count(*) FILTER (WHERE n > 1) + count(*) - count(DISTINCT (first_day, "
        "last_day, channel, source, campaign, segment)) FROM groups WHERE kept",
    )[0]
    return bool(repeated or doubled)


def _fetch(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The table ``groups`` as a DataFrame, fetched a column at a time and then dropped:
    at most the table and the frame are in memory, never a whole result besides them."""
    names = [
        str(r[0])
        for r in con.execute("DESCRIBE groups").fetchall()
        if r[0] not in ("n", "mask", "bad", "spans", "daily", "kept_from", "kept_to")
    ]
    columns: dict[str, np.ndarray] = {}
    for name in names:
        fetched = con.execute(f"SELECT {_ident(name)} FROM groups").fetchnumpy()[name]
        columns[name] = _filled(np.asanyarray(fetched))
    con.execute("DROP TABLE groups")
    return pd.DataFrame(columns, copy=False)


def _filled(values: np.ndarray) -> np.ndarray:
    """A fetched column without its mask: NaN (numbers, row numbers), NaT (days), or ""
    (text, equal names one ``str`` as loaded ones are) where DuckDB had NULL."""
    kind = values.dtype.kind
    if kind in "iub" and not np.ma.isMaskedArray(values):
        return values  # the period's position, the early flag
    if kind in "fiub":
        return np.asarray(np.ma.filled(values.astype("float64"), np.nan))
    if kind == "M":
        return np.asarray(np.ma.filled(values, np.datetime64("NaT")))
    missing = np.ma.getmaskarray(values)
    text = pd.Series(np.ma.getdata(values), dtype=object)
    return np.asarray(shared_strings(text.where(~missing, "")).to_numpy())


def _rows(groups: pd.DataFrame, found: list[str], rule: Mapping[str, str]) -> pd.DataFrame:
    """The canonical table from the groups: a row kept as it was, each other group a
    daily row on its last day, and a row per ``last`` measure whose latest value is of
    an earlier day."""
    columns = [*COLUMNS, *found]
    kept = groups.pop("kept").to_numpy(dtype=bool)
    first_day, last_day = groups.pop("first_day"), groups.pop("last_day")
    groups["date_from"] = first_day.where(kept, last_day).astype("datetime64[ns]")
    groups["date_to"] = last_day.astype("datetime64[ns]")
    extras = []
    for i, m in enumerate(found):
        if rule[m] != "last":
            continue
        day = groups.pop(f"last_day_{i}").astype("datetime64[ns]")
        earlier = (day.notna() & (day != last_day)).to_numpy() & ~kept
        if earlier.any():
            extra = groups.loc[earlier, [*COLUMNS[2:], m]]
            extras.append(extra.assign(date_from=day[earlier], date_to=day[earlier]))
            groups.loc[earlier, m] = np.nan
    frame = groups[columns]  # no copy (copy on write), nor below unless rows are added
    if extras:
        frame = pd.concat([frame, *(e.reindex(columns=columns) for e in extras)], ignore_index=True)
    return frame


def _refuse(con: duckdb.DuckDBPyConnection, large: LargeFile, grain: str, flagged: str) -> None:
    """Hand the first rows ``flagged`` (a query of their numbers) to the general reader:
    its message is raised with the file's own line numbers; returns when it reads them
    without complaint."""
    from kpi_xl.ingest import load_report

    query = f"SELECT rn FROM ({flagged}) ORDER BY rn LIMIT {SAMPLE_ROWS}"
    numbers = [int(r[0]) for r in con.execute(query).fetchall()]
    with tempfile.TemporaryDirectory(prefix="kpi-xl-rows-") as folder:
        sample = Path(folder) / f"rows{large.path.suffix.lower()}"
        chosen = ", ".join(str(n) for n in numbers)
        named = ", ".join(f"c{i} AS {_ident(n)}" for i, n in enumerate(large.names))
        cells = _scan_sql(replace(large, types=()) if large.kind == "csv" else large)
        select = f"SELECT {named} FROM ({cells}) WHERE rn IN ({chosen}) ORDER BY rn"
        if large.kind == "parquet":
            con.execute(f"COPY ({select}) TO {_quote(sample)} (FORMAT parquet)")
        else:
            _write_rows(con.execute(select).fetchall(), sample, large)
        try:
            load_report(sample, grain=grain)
        except KpiXlError as exc:
            at = exc.line - 2 if exc.line is not None else -1
            line = numbers[at] + 1 if 0 <= at < len(numbers) else None
            raise KpiXlError(
                exc.message, file=str(large.path), line=line, column=exc.column, detail=exc.detail
            ) from None


def _write_rows(rows: list[tuple[object, ...]], sample: Path, large: LargeFile) -> None:
    with sample.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=large.sep, lineterminator="\n")
        writer.writerow(large.names)
        writer.writerows(["" if v is None else v for v in r] for r in rows)
