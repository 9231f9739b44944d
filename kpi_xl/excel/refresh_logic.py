"""The Refresh button's logic, written against a small interface of workbook operations.

``RefreshKpiPlan`` (VBA) runs ``kpi_xl.excel.refresh_from_excel`` through xlwings'
``RunPython``; that wraps the calling workbook in :class:`kpi_xl.excel.xlwings_book.XlwingsBook`
and calls :func:`refresh_open_workbook`. The logic only:

1. reads the data source and grain from the Settings sheet's named cells,
2. loads and aggregates the data,
3. rewrites the ``ChannelData`` table (resized to the new rows; columns stay as built:
   a measure the table has no column for is left out - a full ``kpi-xl refresh`` adds it),
4. stamps the Overview's period cells, data range and "last refreshed",

and then Excel recalculates. It never writes to an input cell (targets, notes,
settings): the test suite checks that against an in-memory fake workbook.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from kpi_xl.errors import KpiXlError
from kpi_xl.plan.model import ID_COLUMNS, period_stamps
from kpi_xl.plan.spec import PlanSpec, parse_spec
from kpi_xl.workbook import formulas as f

SAMPLE_PREFIX = "sample:"


class WorkbookOps(Protocol):
    """What the refresh needs from an open workbook."""

    @property
    def folder(self) -> Path: ...

    def meta(self) -> dict[str, Any]: ...

    def read_name(self, name: str) -> Any: ...

    def table_columns(self, table: str) -> list[str]: ...

    def replace_table_rows(self, table: str, rows: list[list[Any]]) -> None: ...

    def write_cell(self, reference: str, value: Any) -> None: ...

    def message(self, text: str) -> None: ...


def _load(source: str, folder: Path) -> pd.DataFrame:
    from kpi_xl.workbook.build import load_data

    source = (source or "").strip()
    if not source:
        raise KpiXlError("no data source: type the export file path on the Settings sheet")
    if source.startswith(SAMPLE_PREFIX):
        from kpi_xl.sample_data import load_sample

        return load_sample()
    paths = [Path(p.strip()) for p in source.split(";") if p.strip()]
    paths = [p if p.is_absolute() else folder / p for p in paths]
    for p in paths:
        if not p.exists():
            raise KpiXlError("the data source on the Settings sheet does not exist", file=p)
    return load_data(paths)


def table_rows(aggregated: pd.DataFrame, columns: list[str]) -> list[list[Any]]:
    """The new ``ChannelData`` rows in the table's own column order (None = blank)."""
    frame = aggregated.reindex(columns=columns)
    rows: list[list[Any]] = []
    for record in frame.itertuples(index=False, name=None):
        row: list[Any] = []
        for name, value in zip(columns, record, strict=True):
            if name in ID_COLUMNS:
                row.append("" if value is None or value != value else str(value))
            elif value is None or (isinstance(value, float) and math.isnan(value)):
                row.append(None)
            else:
                row.append(float(value))
        rows.append(row)
    return rows


def _spec(meta: dict[str, Any]) -> PlanSpec:
    raw = dict(meta["spec"])
    lang, year = raw.pop("lang", "en"), raw.pop("year", None)
    return parse_spec(raw, "_meta").with_choices(lang=lang, year=year)


def refresh_open_workbook(book: WorkbookOps, now: dt.datetime | None = None) -> bool:
    """Update the open plan's data and stamps; errors go to a message box. True if done."""
    from kpi_xl.ingest.aggregate import aggregate

    try:
        meta = book.meta()
        spec = _spec(meta)
        grain = book.read_name("kpi_Grain") or spec.grain
        if grain != spec.grain:
            raise KpiXlError(
                f"the grain on Settings is now {grain!r} but the plan is laid out by "
                f"{spec.grain!r}; run 'kpi-xl refresh' on the file to rebuild it"
            )
        frame = _load(str(book.read_name("kpi_DataSource") or ""), book.folder)
        aggregated = aggregate(frame, grain, by=("channel", "campaign"))
        columns = book.table_columns(f.TABLE)
        book.replace_table_rows(f.TABLE, table_rows(aggregated, columns))
        start = pd.Timestamp(frame["date"].min()) if len(frame) else None
        end = pd.Timestamp(frame["date"].max()) if len(frame) else None
        stamps = period_stamps(spec, end)
        cells = meta["layout"]["overview"]
        data_range = ""
        if start is not None and end is not None:
            data_range = f"{start.date().isoformat()} – {end.date().isoformat()}"
        for key, value in (
            ("current_period", stamps.current),
            ("previous_period", stamps.previous),
            ("prior_period", stamps.prior),
            ("data_range", data_range),
            ("days_elapsed", stamps.elapsed_days),
            ("days_in_period", stamps.total_days),
            ("last_refreshed", (now or dt.datetime.now()).replace(microsecond=0)),
        ):
            book.write_cell(cells[key], value)
    except KpiXlError as exc:
        book.message(f"kpi_xl: {exc}")
        return False
    return True
