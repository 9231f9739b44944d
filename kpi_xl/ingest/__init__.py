"""Channel data in: marketing exports -> one canonical long table.

:func:`load_channel_data` reads paths (CSV, TSV, XLSX, Parquet, a zip of CSVs) and
DataFrames; each file's layout is detected from its content by the adapters in
:mod:`kpi_xl.ingest.adapters` and normalized to the canonical schema of
:mod:`kpi_xl.ingest.canonical`. Bad input raises :class:`kpi_xl.errors.KpiXlError` naming
the file, line and column; nothing is returned half-read.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kpi_xl.errors import KpiXlError
from kpi_xl.frames import TEXT
from kpi_xl.ingest import canonical
from kpi_xl.ingest.adapters import concat, detect, read_source
from kpi_xl.vocabulary import CHANNELS

Source = str | Path | pd.DataFrame

__all__ = [
    "describe",
    "detect_format",
    "load_channel_data",
    "load_with_formats",
    "write_canonical",
]


def load_channel_data(
    *sources: Source, channel_map: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Read marketing exports (or canonical DataFrames) into the canonical long table.

    Columns: ``date`` (datetime64, day), ``channel`` (see :data:`kpi_xl.catalog.CHANNELS`),
    ``source`` (the adapter that read the row), ``campaign``, ``segment`` (strings, may
    be empty), then the base measures present, named as in the catalog, ``float64``.
    Rows of several sources are concatenated in the order given; a row repeated exactly
    in several sources is kept once, and the same key with different values in two
    sources is an error.

    ``channel_map`` maps channel names as found in the data (a GA4 channel group, a
    Google Ads campaign type, a ``channel`` value; case-insensitive) or an adapter's name
    (``"google_ads"``, ``"linkedin"``...: every row it reads) to the channel vocabulary;
    it takes precedence over the built-in mapping. See docs/ingest.md.
    """
    return load_with_formats(*sources, channel_map=channel_map)[0]


def load_with_formats(
    *sources: Source, channel_map: Mapping[str, str] | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """:func:`load_channel_data`, plus each source's detected layout (its adapter's name,
    e.g. ``"google_ads"``; a zip of several exports: the names joined with ``", "``),
    found while reading, so nothing is read twice."""
    if not sources:
        raise KpiXlError("no data given: pass at least one export file or a DataFrame")
    mapping = _channel_map(channel_map)
    parts = [read_source(src, mapping) for src in sources]
    loaded = concat(parts)
    combined = loaded.frame
    if len(parts) > 1:
        repeats = canonical.check_conflicts(
            combined, str(loaded.files[0]), pd.Series(loaded.lines), files=loaded.files
        )
        if repeats.any():
            combined = combined[~repeats]
    dims = ["date", *canonical.DIMENSIONS]
    combined = combined[dims + canonical.measure_columns(combined)]
    for col in canonical.measure_columns(combined):
        if combined[col].dtype != "float64":
            combined[col] = combined[col].astype("float64")
    formats = [", ".join(part.formats) for part in parts]
    return combined.reset_index(drop=True), formats


def _channel_map(channel_map: Mapping[str, str] | None) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for key, value in (channel_map or {}).items():
        channel = str(value).strip().casefold()
        if channel not in CHANNELS:
            raise KpiXlError(
                f"channel_map maps {key!r} to {value!r}: expected one of {', '.join(CHANNELS)}"
            )
        mapping[str(key).strip().casefold()] = channel
    return mapping


def detect_format(path: str | Path) -> str:
    """The layout of an export file as its adapter's name (``"google_ads"``, ``"ga4"``,
    ``"canonical"``...; a zip of several exports: the names joined with ``", "``), found
    from the content; :class:`KpiXlError` when no adapter knows it."""
    return ", ".join(dict.fromkeys(a.name for a in detect(path)))


def describe(frame: pd.DataFrame) -> dict[str, Any]:
    """A summary of a canonical table: per source (detected format) the rows, dates,
    channels and measures; and the same for the whole table."""

    def summary(part: pd.DataFrame) -> dict[str, Any]:
        measures = [m for m in canonical.measure_columns(part) if part[m].notna().any()]
        dates = part["date"]
        return {
            "rows": len(part),
            "date_range": (
                [str(dates.min().date()), str(dates.max().date())] if len(part) else None
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
    ``.xlsx`` stores numbers as Excel does, with 15-16 significant digits)."""
    from kpi_xl.fileio import atomic_path

    path = Path(path)
    name = path.name.lower()
    if not name.endswith((".csv", ".csv.gz", ".parquet", ".xlsx")):
        raise KpiXlError(
            "unsupported output format: expected .csv, .csv.gz, .parquet or .xlsx",
            file=path,
        )
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
    # a carriage return inside a text is quoted only when it is part of the line end
    texts = [out[c].astype(TEXT) for c in canonical.DIMENSIONS if c in out.columns]
    crlf = any(t.str.contains("\r", regex=False).any() for t in texts)
    out.to_csv(
        path,
        index=False,
        date_format="%Y-%m-%d",
        lineterminator="\r\n" if crlf else "\n",
        compression=compression,
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
            if name == "date":
                sheet.write_datetime(row, col, value.to_pydatetime(), date_format)
            elif name in canonical.DIMENSIONS:
                sheet.write_string(row, col, str(value))
            elif value == value:  # not NaN
                sheet.write_number(row, col, float(value))
    workbook.close()
