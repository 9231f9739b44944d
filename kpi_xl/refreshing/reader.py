"""Read an existing plan workbook: its plan record, the user's inputs, their edits.

Inputs are found **by key**, never at an assumed address:

* targets - each Targets row by the key in its key column (``kpi_id|scope``) and each
  period by its header, wherever the user sorted, inserted or deleted rows and columns;
* notes - the column under the Note header, on the same keyed rows;
* settings - by their defined names (``kpi_OnTrack``...), wherever the cells moved.
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl

from kpi_xl.catalog.records import current_id, label
from kpi_xl.errors import KpiXlError
from kpi_xl.ingest.numbers import parse_value
from kpi_xl.plan.layout import TARGET_KEY_HEADER, Cell, TargetsLayout, fx_name
from kpi_xl.plan.planfile import PlanMeta, check_not_open, check_workbook, read_meta
from kpi_xl.spreadsheet import rowcol
from kpi_xl.workbook.xlsx import fingerprint

MAX_LISTED = 8


@dataclass
class OldPlan:
    """What a refresh needs from the existing workbook."""

    path: Path
    meta: PlanMeta
    targets: dict[tuple[str, str, str], float] = field(default_factory=dict)
    notes: dict[tuple[str, str], str] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    fx: dict[str, Any] = field(default_factory=dict)  # exchange rates typed on Settings
    annual: dict[tuple[str, str], float] = field(default_factory=dict)  # annual targets
    selected: str = ""  # the Overview's period selector
    target_log: list[list[Any]] = field(default_factory=list)  # closed targets changed
    edits: list[str] = field(default_factory=list)
    inserted: list[str] = field(default_factory=list)
    added_sheets: list[str] = field(default_factory=list)
    user_sheets: list[str] = field(default_factory=list)  # carried before, kept silently
    workbook: Any = None  # openpyxl workbook (formulas), for carrying added sheets
    values: Any = None  # openpyxl workbook (cached values)

    @property
    def conflicts(self) -> bool:
        return bool(self.edits or self.inserted or self.added_sheets)


def _number(value: Any) -> float:
    if isinstance(value, bool):
        return float(value)
    try:
        return parse_value(value)
    except ValueError:
        return math.nan


@dataclass(frozen=True)
class TargetGrid:
    """Where the Targets sheet's keyed rows, period columns and note column are now."""

    rows: dict[str, int]  # "kpi|scope" -> 1-based row
    periods: dict[str, int]  # period key -> 1-based column
    note_col: int | None
    annual_col: int | None = None


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def find_target_grid(
    ws: Any, layout: TargetsLayout, note_header: str, annual_header: str = "\x00"
) -> TargetGrid:
    """Find the Targets grid by its headers and keys (openpyxl sheet, values)."""
    periods = set(layout.periods)
    keys = set(layout.keys)
    header_row, best = None, 0
    max_row = min(ws.max_row, layout.first_row + len(layout.keys) + 200)
    grid = [list(r) for r in ws.iter_rows(min_row=1, max_row=max_row, values_only=True)]
    for r, row in enumerate(grid, start=1):
        found = sum(1 for v in row if _text(v) in periods)
        if found > best:
            header_row, best = r, found
    if header_row is None:
        return TargetGrid({}, {}, None, None)
    header = grid[header_row - 1]
    period_cols = {_text(v): c for c, v in enumerate(header, start=1) if _text(v) in periods}
    note_col = next((c for c, v in enumerate(header, start=1) if _text(v) == note_header), None)
    annual_col = next((c for c, v in enumerate(header, start=1) if _text(v) == annual_header), None)
    key_col = next(
        (c for c, v in enumerate(header, start=1) if _text(v) == TARGET_KEY_HEADER), None
    )
    if key_col is None:  # the header was overwritten: the column holding the most keys
        counts = {
            c: sum(1 for row in grid[header_row:] if c <= len(row) and _text(row[c - 1]) in keys)
            for c in range(1, len(header) + 1)
        }
        key_col = max(counts, key=lambda c: counts[c], default=None)
    rows: dict[str, int] = {}
    if key_col is not None:
        for r, row in enumerate(grid[header_row:], start=header_row + 1):
            key = _text(row[key_col - 1]) if key_col <= len(row) else ""
            if key in keys and key not in rows:
                rows[key] = r
    return TargetGrid(rows, period_cols, note_col, annual_col)


def _defined_cell(wb: Any, name: str) -> tuple[str, str] | None:
    defined = wb.defined_names.get(name)
    if defined is None:
        return None
    for sheet, cell in defined.destinations:
        return sheet, cell.replace("$", "")
    return None


def read_inputs(old: OldPlan) -> None:
    """Targets, notes and settings by key, from the cached-value workbook."""
    meta, wb = old.meta, old.values
    t = meta.layout.targets
    if t.sheet in wb.sheetnames:
        ws = wb[t.sheet]
        formulas = old.workbook[t.sheet] if old.workbook is not None else None
        grid = find_target_grid(ws, t, label("note", meta.lang), label("annual_target", meta.lang))
        for key, row in grid.rows.items():
            kpi_id, scope = key.split("|")
            kpi_id = current_id(kpi_id)  # a plan made before a KPI was renamed
            for period, col in grid.periods.items():
                if formulas is not None and formulas.cell(row, col).data_type == "f":
                    continue  # a suggestion or a part of an annual target: made again
                old.targets[(kpi_id, scope, period)] = _number(ws.cell(row, col).value)
            if grid.annual_col is not None:
                annual = _number(ws.cell(row, grid.annual_col).value)
                if annual == annual:
                    old.annual[(kpi_id, scope)] = annual
            if grid.note_col is not None:
                note = ws.cell(row, grid.note_col).value
                if note not in (None, ""):
                    old.notes[(kpi_id, scope)] = str(note)
    settings = meta.layout.settings
    for key, name in settings.names.items():
        where = _defined_cell(wb, name) or (settings.cells[key].sheet, settings.cells[key].a1)
        sheet, cell = where
        value = wb[sheet][cell].value if sheet in wb.sheetnames else None
        if isinstance(value, dt.datetime):
            value = value.date()
        old.settings[key] = value
    for code, rate_cell in settings.fx.items():
        sheet, ref = _defined_cell(wb, fx_name(code)) or (rate_cell.sheet, rate_cell.a1)
        old.fx[code] = wb[sheet][ref].value if sheet in wb.sheetnames else None
    for key, value in meta.orphans.items():
        kpi_id, scope, period = key.split("|")
        old.targets.setdefault((current_id(kpi_id), scope, period), float(value))
    selected = _defined_cell(wb, "kpi_Selected")
    if selected is not None and selected[0] in wb.sheetnames:
        old.selected = _text(wb[selected[0]][selected[1]].value)
    _closed_changes(old)


def _closed_changes(old: OldPlan) -> None:
    """Closed periods' targets the user changed since the build (the Settings switch
    unlocked them): recorded, with the date, in the plan's target log."""
    old.target_log = [list(e) for e in old.meta.target_log]
    wb, t = old.values, old.meta.layout.targets
    if not old.meta.closed or t.sheet not in wb.sheetnames:
        return
    ws = wb[t.sheet]
    grid = find_target_grid(ws, t, label("note", old.meta.lang))
    today = dt.date.today().isoformat()
    for key, before in old.meta.closed.items():
        kpi_id, scope, period = key.split("|")
        row, col = grid.rows.get(f"{kpi_id}|{scope}"), grid.periods.get(period)
        if row is None or col is None:
            continue
        after = _number(ws.cell(row, col).value)
        if not math.isclose(after, before, rel_tol=1e-9, abs_tol=1e-12):
            old.target_log.append([key, before, None if after != after else after, today])
            old.targets[(current_id(kpi_id), scope, period)] = after  # typed: kept


def setting_cell(old: OldPlan, key: str) -> str:
    """Where a setting is (for messages): ``Settings!$B$4``."""
    cell: Cell = old.meta.layout.settings.cells[key]
    where = _defined_cell(old.values, old.meta.layout.settings.names[key])
    return Cell(where[0], *rowcol(where[1])).ref if where else cell.ref


def _content(cell: Any) -> Any:
    value = cell.value
    if cell.data_type == "s" and isinstance(value, str) and value.startswith("="):
        return "\x00" + value
    if isinstance(value, dt.datetime | dt.date):
        return None  # stamps are not fingerprinted
    return value


def detect_edits(old: OldPlan) -> None:
    """Generated cells changed, rows/columns inserted, sheets added."""
    wb, names = old.workbook, old.meta.layout.sheets
    known = set(names.values())
    acknowledged = set(old.meta.user_sheets)
    old.user_sheets = [s for s in wb.sheetnames if s in acknowledged and s not in known]
    old.added_sheets = [s for s in wb.sheetnames if s not in known and s not in acknowledged]
    for role, cells in old.meta.generated.items():
        sheet_name = names.get(role)
        if sheet_name not in wb.sheetnames:
            old.edits.append(f"sheet {sheet_name!r} was removed or renamed")
            continue
        ws = wb[sheet_name]
        dims = old.meta.dimensions.get(role)
        if dims and (ws.max_row > dims[0] + 1 or ws.max_column > dims[1] + 1):
            old.inserted.append(f"{sheet_name}: cells were added outside the generated area")
        changed = [c for c, fp in cells.items() if fingerprint(_content(ws[c])) != fp]
        if len(changed) > len(cells) // 3 and len(changed) > 5:
            old.inserted.append(f"{sheet_name}: rows or columns were inserted or deleted")
            continue
        old.edits.extend(f"{sheet_name}!{c}" for c in changed)


def read_plan(path: Path) -> OldPlan:
    """Open and check an existing plan; never modifies the file."""
    check_not_open(path)
    check_workbook(path)
    keep_vba = path.suffix.lower() == ".xlsm"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            formulas = openpyxl.load_workbook(path, data_only=False, keep_vba=keep_vba)
            values = openpyxl.load_workbook(path, data_only=True)
    except KpiXlError:
        raise
    except Exception as exc:  # openpyxl raises many types on damaged parts
        raise KpiXlError(f"the workbook cannot be read: {exc}", file=path) from None
    old = OldPlan(path=path, meta=read_meta(formulas, path), workbook=formulas, values=values)
    read_inputs(old)
    detect_edits(old)
    return old


def describe_conflicts(old: OldPlan) -> str:
    """One line: what the user changed and what ``--force`` does with it."""
    parts = []
    if old.edits:
        shown = ", ".join(old.edits[:MAX_LISTED])
        more = f" and {len(old.edits) - MAX_LISTED} more" if len(old.edits) > MAX_LISTED else ""
        parts.append(f"generated cells edited: {shown}{more} (--force regenerates them)")
    if old.inserted:
        parts.append("; ".join(old.inserted) + " (--force rebuilds the layout)")
    if old.added_sheets:
        names = ", ".join(repr(s) for s in old.added_sheets)
        parts.append(
            f"sheets added: {names} (--force carries them over: values, formulas, number "
            "formats, fonts, fills and column widths; charts and images are not carried)"
        )
    return "refresh would change your edits: " + "; ".join(parts)
