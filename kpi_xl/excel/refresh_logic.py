"""The Refresh button's logic, written against a small interface of workbook operations.

``RefreshKpiPlan`` (VBA) runs ``kpi_xl.excel.refresh_from_excel`` through xlwings'
``RunPython``; that wraps the calling workbook in :class:`kpi_xl.excel.xlwings_book.XlwingsBook`
and calls :func:`refresh_open_workbook`. The logic only:

1. reads the data source, grain, currency, gross margin and exchange rates from the
   Settings sheet's named cells,
2. loads and aggregates the data (the same pipeline as ``kpi-xl build``; money in a
   currency without a rate on Settings is refused with a message),
3. rewrites the ``ChannelData`` table and the ``PlanData`` table the formulas read
   (resized to the new rows; columns stay as built: a measure a table has no column for
   is left out - a full ``kpi-xl refresh`` adds it); money in a foreign currency is
   written as a formula over its exchange rate, as the build writes it,
4. rewrites the generated cells that depend on the data: the systems of record on
   Settings and the data notes (why a KPI is blank),
5. stamps the latest period of the data and how far it goes (the period selector's
   formulas follow), the data range and "last refreshed",

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
from kpi_xl.plan.judgement import data_note, last_complete
from kpi_xl.plan.layout import SETTINGS, Cell, PlanLayout, fx_name
from kpi_xl.plan.model import ID_COLUMNS, PeriodStamps, PlanModel, period_stamps
from kpi_xl.plan.planfile import PlanMeta
from kpi_xl.plan.scopes import KEY_COLUMNS, PlanData
from kpi_xl.plan.spec import PlanSpec


class Formula(str):
    """A cell to write as a formula (every other text is written as text)."""


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


def table_rows(
    aggregated: pd.DataFrame, columns: list[str], text: tuple[str, ...] = ID_COLUMNS
) -> list[list[Any]]:
    """The new rows of a table in its own column order (None = blank); ``text`` names
    the text columns."""
    frame = aggregated.reindex(columns=columns)
    rows: list[list[Any]] = []
    for record in frame.itertuples(index=False, name=None):
        row: list[Any] = []
        for name, value in zip(columns, record, strict=True):
            if name in text:
                row.append("" if value is None or value != value else str(value))
            elif value is None or (isinstance(value, float) and math.isnan(value)):
                row.append(None)
            else:
                row.append(float(value))
        rows.append(row)
    return rows


def plan_data_rows(data: PlanData, columns: list[str]) -> list[list[Any]]:
    """The new ``PlanData`` rows: money of a row in a foreign currency as the formula the
    build writes (the amount times the exchange rate's defined name)."""
    text = tuple(c for c in KEY_COLUMNS if c != "period_no")  # period_no is a number
    rows = table_rows(data.table, columns, text)
    currency = data.table["currency"].astype(str).tolist()
    for i, row in enumerate(rows):
        if currency[i] == data.currency:
            continue
        for c, name in enumerate(columns):
            if name in data.native and row[c] is not None:
                row[c] = Formula(f"={float(data.native[name][i])!r}*{fx_name(currency[i])}")
    return rows


def _spec(book: WorkbookOps, meta: PlanMeta) -> PlanSpec:
    """The plan spec with the Settings the user may have changed since the build."""
    spec = meta.plan_spec()
    grain = book.read_name(SETTINGS["grain"]) or spec.grain
    if grain != spec.grain:
        raise KpiXlError(
            f"the grain on Settings is now {grain!r} but the plan is laid out by "
            f"{spec.grain!r}; run 'kpi-xl refresh' on the file to rebuild it"
        )
    fx = dict(spec.fx)
    for code in meta.layout.settings.fx:
        rate = book.read_name(fx_name(code))
        if isinstance(rate, int | float) and not isinstance(rate, bool) and rate > 0:
            fx[code] = float(rate)
    currency = str(book.read_name(SETTINGS["currency"]) or spec.currency).strip()
    return spec.with_choices(currency=currency, fx=fx)


def _stamps(
    model: PlanModel,
    layout: PlanLayout,
    stamps: PeriodStamps,
    data_range: str,
    now: dt.datetime | None,
) -> list[tuple[Cell, Any]]:
    """The cells stamped with what the data holds: the latest period and how far it goes,
    the data range and "last refreshed" (a plan made before the period selector: its
    current and previous period cells)."""
    info = layout.overview.info
    refreshed = (now or dt.datetime.now()).replace(microsecond=0)
    cells: list[tuple[Cell, Any]] = [
        (info["data_range"], data_range),
        (info["last_refreshed"], refreshed),
    ]
    if layout.selection:
        values = {
            "data_period": stamps.current,
            "data_days": stamps.elapsed_days,
            "last_complete": last_complete(model),
        }
        cells += [(layout.selection[k], v) for k, v in values.items()]
    else:  # an older plan: its period cells are stamped values
        old = {
            "current_period": stamps.current,
            "previous_period": stamps.previous,
            "prior_period": stamps.prior,
            "days_elapsed": stamps.elapsed_days,
            "days_in_period": stamps.total_days,
        }
        cells += [(info[k], v) for k, v in old.items() if k in info]
    return cells


def _generated_cells(model: PlanModel, layout: PlanLayout) -> list[tuple[Cell, Any]]:
    """The generated cells that depend on the data: systems of record and data notes."""
    cells: list[tuple[Cell, Any]] = []
    settings, data = layout.settings, model.data
    for m, cell in settings.record_all.items():
        record = data.records.get(m)
        cells.append((cell, record.all if record else ""))
        cells.append((settings.record_channels[m], record.channels if record else ""))
    lang = model.spec.lang

    def note(kpi_id: str, scope: str, overview: bool = False) -> str:
        from kpi_xl.catalog.records import get

        return data_note(model, get(kpi_id), scope, lang, overview=overview)

    ov = layout.overview
    if "data_note" in ov.columns:
        for kpi_id in ov.kpi_rows:
            cells.append((ov.cell(kpi_id, "data_note"), note(kpi_id, "all", overview=True)))
    for channel, ch in layout.channels.items():
        for kpi_id, rows in ch.rows.items():
            cells.append((Cell(ch.sheet, rows.actual, ch.note_col), note(kpi_id, channel)))
    return cells


def refresh_open_workbook(book: WorkbookOps, now: dt.datetime | None = None) -> bool:
    """Update the open plan's data and stamps; errors go to a message box. True if done."""
    try:
        meta = book.meta()
        spec = _spec(book, meta)
        text = str(book.read_name(SETTINGS["data_source"]) or "")
        ingested = pipeline.load_ingested(
            pipeline.parse_source(text, book.folder), spec.grain, year=spec.year
        )
        spec = pipeline.with_data_currency(spec, ingested, spec.currency)
        frame = ingested.frame
        model = pipeline.plan_model(frame, spec)
        layout = meta.layout
        table = layout.data.table
        book.replace_table_rows(table, table_rows(model.table, book.table_columns(table)))
        if layout.plan_data.table and layout.plan_data.columns:
            name = layout.plan_data.table
            book.replace_table_rows(name, plan_data_rows(model.data, book.table_columns(name)))
        for cell, value in _generated_cells(model, layout):
            book.write_cell(cell.ref, value)
        if layout.to_date.table and layout.to_date.columns and model.to_date is not None:
            name = layout.to_date.table
            rows = plan_data_rows(model.to_date, book.table_columns(name))
            book.replace_table_rows(name, rows)
        start = pd.Timestamp(frame["date_from"].min()) if len(frame) else None
        end = pd.Timestamp(frame["date_to"].max()) if len(frame) else None
        stamps = period_stamps(spec, end)
        data_range = ""
        if start is not None and end is not None:
            data_range = f"{start.date().isoformat()} – {end.date().isoformat()}"
        for cell, value in _stamps(model, layout, stamps, data_range, now):
            book.write_cell(cell.ref, value)
    except KpiXlError as exc:
        book.message(f"kpi_xl: {exc}")
        return False
    return True
