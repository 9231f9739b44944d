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

import pandas as pd

from kpi_xl.errors import KpiXlError
from kpi_xl.ingest import canonical
from kpi_xl.ingest.adapters import read_source

Source = str | Path | pd.DataFrame

__all__ = ["describe", "load_channel_data", "write_canonical"]


def load_channel_data(
    *sources: Source, channel_map: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Read marketing exports (or canonical DataFrames) into the canonical long table.

    Columns: ``date`` (datetime64, day), ``channel`` (see :data:`kpi_xl.catalog.CHANNELS`),
    ``source`` (the adapter that read the row), ``campaign``, ``segment`` (strings, may
    be empty), then the base measures present, named as in the catalog, ``float64``.
    Rows of several sources are concatenated in the order given.

    ``channel_map`` maps channel names as found in the data (e.g. a GA4 channel group
    or a custom ``channel`` value, case-insensitive) to the channel vocabulary; it takes
    precedence over the built-in mapping.
    """
    if not sources:
        raise KpiXlError("no data given: pass at least one export file or a DataFrame")
    mapping = {str(k).strip().casefold(): v for k, v in (channel_map or {}).items()}
    frames = [read_source(src, mapping) for src in sources]
    frames = [f for f in frames if len(f.columns)]
    if not frames:
        return canonical.empty()
    combined = pd.concat(frames, ignore_index=True, sort=False) if len(frames) > 1 else frames[0]
    dims = ["date", *canonical.DIMENSIONS]
    ordered = dims + canonical.measure_columns(combined)
    combined = combined[ordered]
    for col in canonical.measure_columns(combined):
        combined[col] = combined[col].astype("float64")
    return combined.reset_index(drop=True)


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
    atomically. The file reads back with :func:`load_channel_data` unchanged."""
    from kpi_xl.fileio import atomic_path
    from kpi_xl.sample_data.generate import write_table

    suffixes = "".join(path.suffixes[-2:]).lower()
    with atomic_path(path) as tmp:
        if path.suffix.lower() == ".xlsx":
            _write_xlsx(frame, tmp)
        elif path.suffix.lower() in (".csv", ".parquet") or suffixes == ".csv.gz":
            # write_table picks the format from the suffix; the temporary file keeps it
            staged = tmp.with_name(tmp.name.removesuffix(".tmp"))
            try:
                write_table(frame, staged)
                staged.replace(tmp)
            finally:
                staged.unlink(missing_ok=True)
        else:
            raise KpiXlError(
                "unsupported output format: expected .csv, .csv.gz, .parquet or .xlsx",
                file=path,
            )
    return path


def _write_xlsx(frame: pd.DataFrame, path: Path) -> None:
    import xlsxwriter

    from kpi_xl.workbook.xlsx import new_workbook

    workbook: xlsxwriter.Workbook = new_workbook(str(path))
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
