"""A history store: the canonical rows of every export ingested, kept in one DuckDB file.

Marketers export every week; last year's baseline should not depend on keeping every old
file. ``kpi-xl ingest FILES --store marketing.duckdb`` appends what the files hold to the
store (created on first use); ``kpi-xl build marketing.duckdb`` (or a Settings data source
naming it) builds from everything it holds.

The store keeps each row with the file it came from and that file's age (its export
timestamp, else its modification time). Rows are replaced by the revision rule of
:mod:`kpi_xl.ingest.revisions`, across everything ever ingested: a newer export of the same
platform, channel, campaign and segment replaces the stored rows whose days it covers; an
older export ingested late does not overwrite newer figures (its covered rows are dropped);
a daily export over a stored period total of the same labels is an error naming both.

Layout (schema version :data:`SCHEMA_VERSION`):

* ``kpi_store`` - ``key``, ``value``: ``schema_version`` and the kpi_xl version that wrote;
* ``facts`` - ``date_from``, ``date_to`` (DATE), ``channel``, ``source``, ``campaign``,
  ``segment``, ``currency`` (VARCHAR), ``file`` (VARCHAR), ``stamp`` (DOUBLE, seconds),
  ``loaded_at`` (TIMESTAMP), then one DOUBLE column per base measure ever stored (added as
  new measures arrive; NULL where a row does not report it).

A store written by an older release is migrated forward when opened for writing
(:data:`MIGRATIONS`); one written by a newer release is refused.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kpi_xl._version import __version__
from kpi_xl.errors import KpiXlError
from kpi_xl.ingest import canonical
from kpi_xl.ingest.fields import Loaded, Report
from kpi_xl.ingest.revisions import Replacement, file_stamps, resolve

SCHEMA_VERSION = 1
#: How a stored row's file is told apart from a file being added, while they are compared.
STORED = " (stored)"
SUFFIXES = (".duckdb", ".ddb")
LABELS = ("channel", "source", "campaign", "segment", "currency")
_MEASURE = re.compile(r"^[a-z][a-z0-9_]*$")

#: Schema version -> the statements that bring a store from it to the next version.
MIGRATIONS: dict[int, tuple[str, ...]] = {}


def is_store(path: str | Path) -> bool:
    """Whether ``path`` names a history store (by its extension)."""
    return Path(path).suffix.lower() in SUFFIXES


@dataclass
class StoreReport:
    """What an append did."""

    store: str
    added: int = 0
    replaced: list[Replacement] = field(default_factory=list)
    dropped: int = 0  # rows of older exports that newer stored rows already cover
    total: int = 0

    def summary(self) -> dict[str, Any]:
        return {
            "store": self.store,
            "added": self.added,
            "replaced": [str(r) for r in self.replaced],
            "dropped_as_older": self.dropped,
            "rows_in_store": self.total,
        }


@contextmanager
def _connect(path: Path, *, write: bool) -> Iterator[Any]:
    import duckdb  # a core dependency, imported only when a store is used

    if not write and not path.exists():
        raise KpiXlError("no such history store: create it with kpi-xl ingest FILES --store "
                         f"{path.name}", file=path)  # fmt: skip
    if path.exists() and not path.is_file():
        raise KpiXlError("not a file: expected a DuckDB history store", file=path)
    try:
        con = duckdb.connect(str(path), read_only=not write)
    except duckdb.Error as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise KpiXlError(f"cannot open the history store: {first}", file=path) from None
    try:
        yield con
    finally:
        con.close()


def _version(con: Any, path: Path) -> int:
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables")
              .fetchall()}  # fmt: skip
    if "kpi_store" not in tables:
        if tables:
            raise KpiXlError(
                "not a kpi_xl history store (a DuckDB file with other tables): to read a "
                f"table of it, use --source 'duckdb:///{path}?table=NAME' (docs/warehouse.md)",
                file=path,
            )
        return 0
    row = con.execute("SELECT value FROM kpi_store WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def _prepare(con: Any, path: Path) -> None:
    """Create the store's tables, or migrate an older store to :data:`SCHEMA_VERSION`."""
    version = _version(con, path)
    if version > SCHEMA_VERSION:
        raise KpiXlError(
            f"this history store has schema version {version}, written by a newer kpi_xl "
            f"(this one reads up to {SCHEMA_VERSION}): upgrade kpi_xl",
            file=path,
        )
    if version == 0:
        con.execute("CREATE TABLE kpi_store (key VARCHAR PRIMARY KEY, value VARCHAR)")
        con.execute(
            "CREATE TABLE facts (date_from DATE, date_to DATE, channel VARCHAR, source VARCHAR,"
            " campaign VARCHAR, segment VARCHAR, currency VARCHAR, file VARCHAR,"
            " stamp DOUBLE, loaded_at TIMESTAMP)"
        )
        version = SCHEMA_VERSION
    while version < SCHEMA_VERSION:  # pragma: no cover - no migration yet (version 1)
        for statement in MIGRATIONS[version]:
            con.execute(statement)
        version += 1
    con.execute(
        "INSERT OR REPLACE INTO kpi_store VALUES ('schema_version', ?), ('written_by', ?)",
        [str(version), __version__],
    )


def _measures(con: Any) -> list[str]:
    fixed = {"date_from", "date_to", *LABELS, "file", "stamp", "loaded_at"}
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'facts' "
        "ORDER BY ordinal_position"
    ).fetchall()
    return [r[0] for r in rows if r[0] not in fixed]


def _stored(con: Any, sources: list[str], start: Any, end: Any) -> pd.DataFrame:
    """The stored rows of ``sources`` that touch ``start``..``end``, with their row ids."""
    marks = ",".join("?" for _ in sources)
    frame: pd.DataFrame = con.execute(
        f"SELECT rowid AS _rowid, * EXCLUDE (loaded_at) FROM facts WHERE source IN ({marks}) "
        "AND date_from <= ? AND date_to >= ?",
        [*sources, end, start],
    ).df()
    return frame


def append(
    path: str | Path, loaded: Loaded, progress: Callable[[str], None] | None = None
) -> StoreReport:
    """Add ``loaded`` (one or several files' canonical rows, with their files) to the store
    at ``path``, replacing by the revision rule; returns what was added and replaced."""
    path = Path(path)
    report = StoreReport(str(path))
    frame = loaded.frame
    say = progress or (lambda _message: None)
    with _connect(path, write=True) as con:
        _prepare(con, path)
        measures = canonical.measure_columns(frame)
        for name in measures:
            if not _MEASURE.match(name):  # pragma: no cover - validated canonical names
                raise KpiXlError(f"not a measure name: {name!r}", file=path)
            if name not in _measures(con):
                con.execute(f'ALTER TABLE facts ADD COLUMN "{name}" DOUBLE')
        if frame.empty:
            report.total = con.execute("SELECT count(*) FROM facts").fetchone()[0]
            return report
        new_stamps = file_stamps(loaded)
        sources = sorted(set(frame["source"].astype(str)))
        stored = _stored(con, sources, frame["date_from"].min(), frame["date_to"].max())
        say(f"{len(stored):,} stored row(s) of {', '.join(sources)} overlap the new data")
        new_files = np.array([str(f) for f in loaded.files], dtype=object)
        stamps = {**new_stamps}
        if not stored.empty:
            # stored rows go by their own name: the same export added again replaces its
            # stored rows (it counts as the newer), it is never added twice
            labels = stored["file"].astype(str) + STORED
            latest = stored.assign(label=labels).groupby("label")["stamp"].max()
            stamps.update({str(f): float(v) for f, v in latest.items()})
            for file in set(new_files):
                before = stamps.get(file + STORED)
                if before is not None and stamps[file] <= before:
                    stamps[file] = before + 1e-3
            old = stored.drop(columns=["_rowid", "file", "stamp"])
            for col in ("date_from", "date_to"):
                old[col] = pd.to_datetime(old[col])
            both = pd.concat([old, frame], ignore_index=True, sort=False)
            files = np.concatenate([labels.to_numpy(dtype=object), new_files])
        else:
            both, files = frame, new_files
        combined = Loaded(both, np.zeros(len(both), dtype=np.int64), files)
        keep, replaced = resolve(combined, stamps)
        n_old = len(stored)
        gone_ids = stored["_rowid"].to_numpy()[~keep[:n_old]] if n_old else np.array([])
        kept_new = frame[keep[n_old:]].copy()
        report.dropped = int((~keep[n_old:]).sum())
        report.replaced = [
            Replacement(r.newer, r.older.removesuffix(STORED), r.rows, r.start, r.end)
            for r in replaced
        ]
        if len(gone_ids):
            con.execute("DELETE FROM facts WHERE rowid IN (SELECT unnest(?))",
                        [gone_ids.tolist()])  # fmt: skip
        kept_new["file"] = new_files[keep[n_old:]]
        kept_new["stamp"] = kept_new["file"].map(stamps).astype("float64")
        kept_new["loaded_at"] = dt.datetime.now().replace(microsecond=0)
        columns = ["date_from", "date_to", *LABELS, "file", "stamp", "loaded_at", *measures]
        kept_new = kept_new.reindex(columns=columns)
        con.register("incoming", kept_new)
        names = ", ".join(f'"{c}"' for c in columns)
        con.execute(f"INSERT INTO facts ({names}) SELECT {names} FROM incoming")
        con.unregister("incoming")
        report.added = len(kept_new)
        report.total = con.execute("SELECT count(*) FROM facts").fetchone()[0]
        say(f"added {report.added:,} row(s); the store holds {report.total:,}")
    return report


def read_store(path: str | Path) -> Loaded:
    """Every stored row as canonical rows, each with the file it came from."""
    path = Path(path)
    with _connect(path, write=False) as con:
        if _version(con, path) == 0:
            raise KpiXlError("the history store is empty: add exports with kpi-xl ingest "
                             f"FILES --store {path.name}", file=path)  # fmt: skip
        measures = _measures(con)
        columns = ", ".join(f'"{c}"' for c in ("date_from", "date_to", *LABELS, *measures))
        frame = con.execute(
            f"SELECT {columns}, file FROM facts ORDER BY date_from, source, channel, campaign"
        ).df()
    files = frame.pop("file").to_numpy(dtype=object)
    for col in ("date_from", "date_to"):
        frame[col] = pd.to_datetime(frame[col]).astype("datetime64[ns]")
    for col in LABELS:
        frame[col] = frame[col].fillna("").astype(str)
    frame = frame.dropna(axis=1, how="all")
    start = frame["date_from"].min().date() if len(frame) else None
    end = frame["date_to"].max().date() if len(frame) else None
    report = Report(str(path), "store", "History store", "stored rows", start, end, len(frame))
    return Loaded(frame, np.zeros(len(frame), dtype=np.int64), files, ("store",), (report,))


def store_info(path: str | Path) -> dict[str, Any]:
    """What the store holds: schema version, and per source its files, range and rows."""
    path = Path(path)
    with _connect(path, write=False) as con:
        version = _version(con, path)
        if version == 0:
            return {"store": str(path), "schema_version": 0, "sources": {}, "rows": 0}
        rows = con.execute(
            "SELECT source, count(DISTINCT file), min(date_from), max(date_to), count(*), "
            "max(loaded_at) FROM facts GROUP BY source ORDER BY source"
        ).fetchall()
        written = con.execute("SELECT value FROM kpi_store WHERE key = 'written_by'").fetchone()
    sources = {
        str(source): {
            "files": int(files),
            "range": [str(start), str(end)],
            "rows": int(count),
            "last_ingested": str(last),
        }
        for source, files, start, end, count, last in rows
    }
    return {
        "store": str(path),
        "schema_version": version,
        "written_by": written[0] if written else "",
        "sources": sources,
        "rows": sum(s["rows"] for s in sources.values()),
    }
