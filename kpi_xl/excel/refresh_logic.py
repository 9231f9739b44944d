"""The Refresh button's logic, written against a small interface of workbook operations.

``RefreshKpiPlan`` (VBA) runs ``kpi_xl.excel.refresh_from_excel`` through xlwings'
``RunPython``; that wraps the calling workbook in :class:`kpi_xl.excel.xlwings_book.XlwingsBook`
and calls :func:`refresh_open_workbook`. The logic only:

1. reads the data source and grain from the Settings sheet's named cells,
2. loads and aggregates the data (the same pipeline as ``kpi-xl build``),
3. rewrites the ``ChannelData`` table (resized to the new rows; columns stay as built:
   a measure the table has no column for is left out - a full ``kpi-xl refresh`` adds it),
4. stamps the Overview's period cells, data range and "last refreshed",

and then Excel recalculates. Every cell it touches comes from the plan record's layout. It
never writes to an input cell (targets, notes, settings): the test suite checks that
against an in-memory fake workbook.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from kpi_xl import pipeline
from kpi_xl.errors import KpiXlError
from kpi_xl.ingest.aggregate import aggregate
from kpi_xl.plan.layout import SETTINGS
from kpi_xl.plan.model import ID_COLUMNS, period_stamps
from kpi_xl.plan.planfile import PlanMeta


class WorkbookOps(Protocol):
    """What the refresh needs from an open workbook."""

    @property
    def folder(self) -> Path: ...

    def meta(self) -> PlanMeta: ...

    def read_name(self, name: str) -> Any: ...

    def table_columns(self, table: str) -> list[str]: ...

    def replace_table_rows(self, table: str, rows: list[list[Any]]) -> None: ...

    def write_cell(self, reference: str, value: Any) -> None: ...

    def message(self, text: str) -> None: ...


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


def refresh_open_workbook(book: WorkbookOps, now: dt.datetime | None = None) -> bool:
    """Update the open plan's data and stamps; errors go to a message box. True if done."""
    try:
        meta = book.meta()
        spec = meta.plan_spec()
        grain = book.read_name(SETTINGS["grain"]) or spec.grain
        if grain != spec.grain:
            raise KpiXlError(
                f"the grain on Settings is now {grain!r} but the plan is laid out by "
                f"{spec.grain!r}; run 'kpi-xl refresh' on the file to rebuild it"
            )
        text = str(book.read_name(SETTINGS["data_source"]) or "")
        frame = pipeline.load(pipeline.parse_source(text, book.folder), grain)
        aggregated = aggregate(frame, grain, by=("channel", "campaign"))
        table = meta.layout.data.table
        book.replace_table_rows(table, table_rows(aggregated, book.table_columns(table)))
        start = pd.Timestamp(frame["date_from"].min()) if len(frame) else None
        end = pd.Timestamp(frame["date_to"].max()) if len(frame) else None
        stamps = period_stamps(spec, end)
        data_range = ""
        if start is not None and end is not None:
            data_range = f"{start.date().isoformat()} – {end.date().isoformat()}"
        cells = meta.layout.overview.info
        for key, value in (
            ("current_period", stamps.current),
            ("previous_period", stamps.previous),
            ("prior_period", stamps.prior),
            ("data_range", data_range),
            ("days_elapsed", stamps.elapsed_days),
            ("days_in_period", stamps.total_days),
            ("last_refreshed", (now or dt.datetime.now()).replace(microsecond=0)),
        ):
            book.write_cell(cells[key].ref, value)
    except KpiXlError as exc:
        book.message(f"kpi_xl: {exc}")
        return False
    return True
