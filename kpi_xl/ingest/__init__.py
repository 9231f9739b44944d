"""Channel data in: marketing exports -> one canonical long table.

:func:`load_channel_data` reads paths (CSV, TSV, XLSX, Parquet, a zip of CSVs) and
DataFrames; each file's platform is recognized from its content (the platforms are
declared in :mod:`kpi_xl.ingest.platforms`, read by :mod:`kpi_xl.ingest.reader`) and its
rows normalized to the canonical schema of :mod:`kpi_xl.ingest.canonical`. Bad input
raises :class:`kpi_xl.errors.KpiXlError` naming the file, line and column; nothing is
returned half-read.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kpi_xl.catalog.records import measures
from kpi_xl.errors import KpiXlError
from kpi_xl.frames import TEXT
from kpi_xl.ingest import canonical
from kpi_xl.ingest.aggregate import check_spans, span_message
from kpi_xl.ingest.dispatch import concat, detect, read_source
from kpi_xl.ingest.fields import Loaded, Report
from kpi_xl.ingest.platforms import platforms
from kpi_xl.ingest.revisions import Replacement, resolve
from kpi_xl.ingest.sources import check_input
from kpi_xl.ingest.store import StoreReport, is_store
from kpi_xl.ingest.store import append as store_append
from kpi_xl.vocabulary import CHANNELS

Source = str | Path | pd.DataFrame

__all__ = [
    "Ingested",
    "describe",
    "detect_format",
    "load_channel_data",
    "load_report",
    "load_with_formats",
    "write_canonical",
]


@dataclass
class Ingested:
    """What :func:`load_report` read: the canonical table, a report per export, and the rows
    newer exports replaced in older ones."""

    frame: pd.DataFrame
    reports: list[Report] = field(default_factory=list)
    replacements: list[Replacement] = field(default_factory=list)
    formats: list[str] = field(default_factory=list)  # per source given: the platform(s)

    @property
    def warnings(self) -> list[str]:
        return [f"{r.file}: {w}" for r in self.reports for w in r.warnings]

    def currency_files(self) -> dict[str, list[str]]:
        """Each currency of the data's money, with the files it comes from."""
        out: dict[str, list[str]] = {}
        for report in self.reports:
            for code in report.currencies:
                out.setdefault(code, []).append(Path(report.file).name)
        return out


def load_channel_data(
    *sources: Source, channel_map: Mapping[str, str] | None = None, grain: str | None = None
) -> pd.DataFrame:
    """Read marketing exports (or canonical DataFrames) into the canonical long table.

    Columns: ``date_from``, ``date_to`` (datetime64, the days each row covers: equal for a
    daily row, a report's range for a report without a date dimension), ``channel`` (see
    :data:`kpi_xl.vocabulary.CHANNELS`; ``all`` for a total not split by channel), ``source``
    (the platform that wrote the row), ``campaign``, ``segment``, ``currency`` (strings, may be
    empty), then the base measures present, named as in the catalog, ``float64``. When two
    exports of the same platform overlap the newer one wins (see
    :mod:`kpi_xl.ingest.revisions`).

    ``channel_map`` maps channel names as found in the data (a GA4 channel group, a
    Google Ads campaign type, a ``channel`` value; case-insensitive) or a platform's name
    (``"google_ads"``, ``"linkedin"``...: every row it reads) to the channel vocabulary;
    it takes precedence over the built-in mapping. With ``grain`` (``month``, ``week``,
    ``quarter``) a row whose range spans several periods is refused, naming its file and
    line. See docs/ingest.md.
    """
    return load_report(*sources, channel_map=channel_map, grain=grain).frame


def load_with_formats(
    *sources: Source, channel_map: Mapping[str, str] | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """:func:`load_channel_data`, plus each source's detected platform (e.g.
    ``"google_ads"``; a zip of several exports: the names joined with ``", "``)."""
    ingested = load_report(*sources, channel_map=channel_map)
    return ingested.frame, ingested.formats


def load_report(
    *sources: Source, channel_map: Mapping[str, str] | None = None, grain: str | None = None
) -> Ingested:
    """:func:`load_channel_data` with what was read from each export (platform, range,
    granularity, warnings, notes) and what newer exports replaced."""
    if not sources:
        raise KpiXlError("no data given: pass at least one export file or a DataFrame")
    mapping = _channel_map(channel_map)
    parts = [read_source(src, mapping, n) for n, src in enumerate(_distinct(sources), start=1)]
    loaded = concat(parts)
    keep, replacements = resolve(loaded)
    if grain is not None:
        _check_spans(loaded, keep, grain)
    combined = loaded.frame[keep] if not keep.all() else loaded.frame
    for replacement in replacements:
        for report in loaded.reports:
            if report.file == replacement.newer:
                report.replaced += replacement.rows
    columns = [*canonical.COLUMNS, *canonical.measure_columns(combined)]
    combined = combined.reindex(columns=columns)
    for col in canonical.measure_columns(combined):
        if combined[col].dtype != "float64":
            combined[col] = combined[col].astype("float64")
    for col in (*canonical.TEXT_COLUMNS, "channel"):
        combined[col] = combined[col].fillna("")
    _note_currencies(loaded, keep)
    formats = [", ".join(part.formats) for part in parts]
    return Ingested(combined.reset_index(drop=True), list(loaded.reports), replacements, formats)


def _note_currencies(loaded: Loaded, keep: np.ndarray) -> None:
    """Each report's currencies: those of its kept rows that report money."""
    frame = loaded.frame
    money = [m for m in canonical.measure_columns(frame) if measures()[m].unit == "currency"]
    if not money or "currency" not in frame.columns or frame.empty:
        return
    has_money = frame[money].notna().any(axis=1).to_numpy() & keep
    codes = frame["currency"].fillna("").astype(str).to_numpy()
    for report in loaded.reports:
        mine = has_money & (loaded.files == report.file)
        report.currencies = tuple(sorted({c for c in codes[mine] if c}))


def _distinct(sources: tuple[Source, ...]) -> list[Source]:
    """The sources, each once (the same file or DataFrame given twice counts once). Every
    path is checked first (:func:`~kpi_xl.ingest.sources.check_input`: it names a readable
    file), so that a typo in the last name is reported before the first file is read."""
    for source in sources:
        if not isinstance(source, pd.DataFrame) and not is_store(source):
            check_input(Path(source))
    seen: set[object] = set()
    out: list[Source] = []
    for source in sources:
        key: object = id(source) if isinstance(source, pd.DataFrame) else os.path.realpath(source)
        if key not in seen:
            seen.add(key)
            out.append(source)
    return out


def _check_spans(loaded: Loaded, keep: np.ndarray, grain: str) -> None:
    frame = loaded.frame
    spanning = [int(p) for p in check_spans(frame, grain) if keep[int(p)]]
    if not spanning:
        return
    pos = spanning[0]
    row = frame.iloc[pos]
    titles = {p.name: p.title for p in platforms()}
    what = f"this {titles.get(str(row['source']), str(row['source']))} export"
    raise KpiXlError(
        span_message(row["date_from"], row["date_to"], grain, what),
        file=str(loaded.files[pos]),
        line=int(loaded.lines[pos]),
    )


def _channel_map(channel_map: Mapping[str, str] | None) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for key, value in (channel_map or {}).items():
        channel = str(value).strip().casefold()
        if channel not in canonical.CHANNEL_VALUES:
            raise KpiXlError(
                f"channel_map maps {key!r} to {value!r}: expected one of {', '.join(CHANNELS)}"
                f" (or {canonical.ALL_CHANNELS})"
            )
        mapping[str(key).strip().casefold()] = channel
    return mapping


def detect_format(path: str | Path) -> str:
    """The layout of an export file as its platform's name (``"google_ads"``, ``"ga4"``,
    ``"canonical"``...; a zip of several exports: the names joined with ``", "``), found
    from the content; :class:`KpiXlError` when no platform knows it."""
    return ", ".join(dict.fromkeys(p.name for p in detect(path)))


def ingest_into_store(
    store_path: str | Path,
    *sources: Source,
    channel_map: Mapping[str, str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[Ingested, StoreReport]:
    """Read ``sources`` as :func:`load_report` does and append their rows to the history
    store at ``store_path`` (see :mod:`kpi_xl.ingest.store`): what was read, and what the
    store added and replaced."""
    if not sources:
        raise KpiXlError("no data given: pass at least one export file to add to the store")
    mapping = _channel_map(channel_map)
    parts = [read_source(src, mapping, n) for n, src in enumerate(_distinct(sources), start=1)]
    loaded = concat(parts)
    stored = store_append(store_path, loaded, progress)
    ingested = Ingested(loaded.frame, list(loaded.reports), stored.replaced, list(loaded.formats))
    return ingested, stored


def describe(frame: pd.DataFrame) -> dict[str, Any]:
    """A summary of a canonical table: per source (detected format) the rows, dates,
    channels and measures; and the same for the whole table."""

    def summary(part: pd.DataFrame) -> dict[str, Any]:
        measures = [m for m in canonical.measure_columns(part) if part[m].notna().any()]
        return {
            "rows": len(part),
            "date_range": (
                [str(part["date_from"].min().date()), str(part["date_to"].max().date())]
                if len(part)
                else None
            ),
            "channels": sorted(part["channel"].unique().tolist()),
            "campaigns": int(part["campaign"].nunique()),
            "measures": measures,
        }

    sources = {str(s): summary(part) for s, part in frame.groupby("source", sort=False)}
    return {"sources": sources, "total": summary(frame)}


def write_canonical(frame: pd.DataFrame, path: Path) -> Path:
    """Write the canonical table as ``.csv``, ``.csv.gz``, ``.parquet`` or ``.xlsx``,
    atomically. The file reads back with :func:`load_channel_data` unchanged (CSV keeps
    every float exactly: whole numbers as integers, others in shortest round-trip form;
    ``.xlsx`` stores numbers as Excel does, with 15-16 significant digits).

    A spreadsheet opening the CSV never runs a text as a formula: a text cell (source,
    campaign, segment, currency) starting with ``=``, ``+``, ``-``, ``@``, a tab or a
    carriage return is written after a ``'`` (OWASP's advice against CSV injection;
    numbers such as ``-5`` are measures, never escaped), which the reader drops again. In
    ``.xlsx`` text is always text, but a cell holds at most 32,767 characters: a longer
    text is refused, naming its row and column, rather than cut."""
    from kpi_xl.fileio import atomic_path

    path = Path(path)
    name = path.name.lower()
    check_canonical_output(path)
    if name.endswith(".xlsx"):
        _check_cells(frame, path)
    with atomic_path(path) as tmp:
        if name.endswith(".xlsx"):
            _write_xlsx(frame, tmp)
        elif name.endswith(".parquet"):
            from kpi_xl.extras import require

            require("pyarrow", "parquet", "writing a Parquet file")
            frame.to_parquet(tmp, index=False)
        else:
            _write_csv(frame, tmp, gzip=name.endswith(".gz"))
    return path


#: The names ``write_canonical`` writes, by how they end.
CANONICAL_OUTPUTS = (".csv", ".csv.gz", ".parquet", ".xlsx")


def check_canonical_output(path: Path) -> None:
    """Refuse, before anything is read, an output :func:`write_canonical` cannot write: a
    name of another format, Parquet without pyarrow, a path that cannot be written (see
    :func:`kpi_xl.fileio.check_target`)."""
    from kpi_xl.fileio import check_target

    name = path.name.lower()
    if not name.endswith(CANONICAL_OUTPUTS):
        stem = path.name.split(".", 1)[0] or "channel_data"
        raise KpiXlError(
            "the canonical table is written as .csv, .csv.gz, .parquet or .xlsx: name the "
            f"file so (such as {path.with_name(stem + '.csv')})",
            file=path,
        )
    if name.endswith(".parquet"):
        from kpi_xl.extras import require

        require("pyarrow", "parquet", "writing a Parquet file")
    check_target(path)


def check_store_path(path: Path) -> None:
    """Refuse, before anything is read, a history store name build would not read as one
    (it goes by the extension) or a path that cannot be written."""
    from kpi_xl.fileio import check_target
    from kpi_xl.ingest.store import SUFFIXES

    if path.suffix.lower() not in SUFFIXES:
        raise KpiXlError(
            f"a history store is named {' or '.join(SUFFIXES)} (build reads it by that name): "
            f"use --store {path.with_suffix('.duckdb')}",
            file=path,
        )
    check_target(path, what="history store")


def _write_csv(frame: pd.DataFrame, path: Path, *, gzip: bool) -> None:
    out = frame.copy()
    for col in canonical.measure_columns(out):
        values = out[col].astype("float64")
        known = values.dropna()
        if ((known == np.floor(known)) & (known.abs() < 2**53)).all():
            out[col] = values.astype("Int64")
    compression: dict[str, Any] | None = None
    if gzip:
        compression = {"method": "gzip", "compresslevel": 9, "mtime": 0}
    for col in canonical.TEXT_COLUMNS:  # no formula runs when a spreadsheet opens it
        if col in out.columns:
            out[col] = canonical.escape_formulas(out[col])
    # a carriage return inside a text is quoted only when it is part of the line end
    texts = [out[c].astype(TEXT) for c in canonical.TEXT_COLUMNS if c in out.columns]
    crlf = any(t.str.contains("\r", regex=False).any() for t in texts)
    out.to_csv(
        path,
        index=False,
        date_format="%Y-%m-%d",
        lineterminator="\r\n" if crlf else "\n",
        compression=compression,
    )


def _check_cells(frame: pd.DataFrame, path: Path) -> None:
    """Refuse a text longer than an Excel cell holds (XlsxWriter would cut it)."""
    from kpi_xl.ingest.limits import MAX_CELL_CHARS

    for name in frame.columns:
        if name not in canonical.TEXT_COLUMNS and name != "channel":
            continue
        values = frame[name].astype(TEXT).fillna("").to_numpy()
        if max(map(len, values), default=0) <= MAX_CELL_CHARS:
            continue
        row = next(i for i, v in enumerate(values) if len(v) > MAX_CELL_CHARS)
        raise KpiXlError(
            f"row {row + 2}: the {name} is {len(values[row]):,} characters long and an Excel "
            f"cell holds at most {MAX_CELL_CHARS:,}: refusing to cut it; write .csv or "
            ".parquet instead",
            file=path,
            column=str(name),
        )


def _write_xlsx(frame: pd.DataFrame, path: Path) -> None:
    from kpi_xl.spreadsheet import new_workbook

    workbook = new_workbook(str(path))
    sheet = workbook.add_worksheet("data")
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    for col, name in enumerate(frame.columns):
        sheet.write_string(0, col, str(name))
    for col, name in enumerate(frame.columns):
        values = frame[name]
        for row, value in enumerate(values.tolist(), start=1):
            if name in canonical.DATES:
                sheet.write_datetime(row, col, value.to_pydatetime(), date_format)
            elif name in canonical.TEXT_COLUMNS or name == "channel":
                sheet.write_string(row, col, str(value))
            elif value == value:  # not NaN
                sheet.write_number(row, col, float(value))
    workbook.close()
