"""Read an existing plan workbook: its plan record, the user's inputs, their edits.

Inputs are found **by key**, never at an assumed address:

* targets - each Targets row by the key in its key column (``kpi_id|scope``) and each
  period by its header, wherever the user sorted, inserted or deleted rows and columns;
* notes - the column under the Note header, on the same keyed rows;
* settings - by their defined names (``kpi_OnTrack``...), wherever the cells moved.

Every number typed as text (``1.234,5``, ``1 234``, ``95 %``) is read by the exports' parser
(:func:`kpi_xl.ingest.numbers.parse_value`).

Edits are found by content, not by address, on the Targets sheet (:func:`scan_targets`):
each generated cell is looked for where its row key and column header are now, a formula
compared with its references moved back, so that rows the user inserted, deleted or sorted
and columns the user inserted are no conflict. What refresh cannot put back by key is
listed (:attr:`OldPlan.unplaced`): a value in a row without a key or in a column without a
header, a row whose labels belong to another key (sorted without the hidden key column), a
second row with one key, a target that is not a number. A formula elsewhere that reads the
Targets grid is compared with its Targets references read back to the grid they name now.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl

from kpi_xl.catalog.records import current_id, label
from kpi_xl.errors import KpiXlError
from kpi_xl.ingest.numbers import parse_value
from kpi_xl.plan.layout import TARGET_KEY_HEADER, Area, Cell, TargetsLayout, fx_name
from kpi_xl.plan.planfile import PlanMeta, check_not_open, check_workbook, read_meta
from kpi_xl.refreshing.cached import CachedValues
from kpi_xl.refreshing.references import Ref, cell_content, cell_formula, is_blank, rewrite_refs
from kpi_xl.refreshing.user_vba import read_vba
from kpi_xl.spreadsheet import a1, rowcol
from kpi_xl.workbook.xlsx import fingerprint

MAX_LISTED = 8
#: The most characters an Excel cell holds.
MAX_TEXT = 32_767
#: Settings that are numbers (a text such as ``95 %`` or ``0,35`` is read as one).
NUMERIC_SETTINGS = ("on_track", "at_risk", "near_on_track", "near_at_risk", "gross_margin")


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
    #: (cell, why) of what the user typed that refresh cannot put back by key
    unplaced: list[tuple[str, str]] = field(default_factory=list)
    vba: Any = None  # the user's own VBA (vba_project.CarriedVBA) of an .xlsm
    vba_dropped: list[str] = field(default_factory=list)  # of it, what cannot be carried
    workbook: Any = None  # openpyxl workbook (formulas), for carrying added sheets
    values: Any = None  # CachedValues: the cached values of the sheets refresh reads

    @property
    def conflicts(self) -> bool:
        return bool(
            self.edits or self.inserted or self.added_sheets or self.unplaced or self.vba_dropped
        )


def _number(value: Any) -> float:
    """A typed value as a number (NaN for a blank); ``ValueError`` for text that is none."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, dt.date | dt.time | dt.timedelta):
        raise ValueError(f"{value!r} is a date, not a number")
    return parse_value(value)


@dataclass(frozen=True)
class TargetGrid:
    """Where the Targets sheet's keyed rows, period columns and note column are now."""

    rows: dict[str, int]  # "kpi|scope" -> 1-based row
    periods: dict[str, int]  # period key -> 1-based column
    note_col: int | None
    annual_col: int | None = None
    header_row: int | None = None
    key_col: int | None = None


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
    period_cols: dict[str, int] = {}
    for c, v in enumerate(header, start=1):
        period_cols.setdefault(_text(v), c)  # a header typed twice: the first (leftmost)
    period_cols = {p: c for p, c in period_cols.items() if p in periods}
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
    return TargetGrid(rows, period_cols, note_col, annual_col, header_row, key_col)


def _defined_cell(wb: Any, name: str) -> tuple[str, str] | None:
    defined = wb.defined_names.get(name)
    if defined is None:
        return None
    for sheet, cell in defined.destinations:
        return sheet, cell.replace("$", "")
    return None


# -- the Targets sheet, by key and header ---------------------------------------------------------


#: The Targets grid's areas other sheets read: (reference as built, does a reference name it)
Areas = list[tuple[str, Callable[[Ref], bool]]]
#: A target cell's formula as a build writes it: its suggestion (a number or blank), or its
#: part of an annual target.
GENERATED_TARGET = re.compile(r'=(?:""|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|IF\(ISNUMBER\()')


@dataclass
class TargetsScan:
    """The Targets sheet as it is now: where each keyed row, period and input column is,
    which rows' inputs cannot be read (``skipped``: row -> why), and where the grid's areas
    that other sheets read (:class:`~kpi_xl.plan.layout.TargetsLayout`'s ``key_area``,
    ``block``, ``period_header``, ``numbers``) are now (``areas``: original ref -> test)."""

    rows: dict[str, int]
    periods: dict[str, int]
    note_col: int | None
    annual_col: int | None
    skipped: dict[int, str] = field(default_factory=dict)
    moved: bool = False  # rows or columns were inserted, deleted or sorted
    areas: Areas = field(default_factory=list)


def _recorded(meta: PlanMeta, role: str) -> dict[tuple[int, int], str]:
    """The generated cells' fingerprints of a sheet role, by (row, col), 1-based."""
    out: dict[tuple[int, int], str] = {}
    for ref, fp in meta.generated.get(role, {}).items():
        row, col = rowcol(ref)
        out[(row + 1, col + 1)] = fp
    return out


def _column_names(t: TargetsLayout, lang: str) -> dict[int, str]:
    """What each column of the grid is, by its original (1-based) column: for messages."""
    names = {t.key_col + 1: "the key column"}
    names.update({t.key_col + 2 + i: label(k, lang) for i, k in enumerate(t.label_cols)})
    names.update({t.first_period_col + 1 + j: p for j, p in enumerate(t.periods)})
    for col, key in ((t.year_col, "year_total"), (t.annual_col, "annual_target"),
                     (t.basis_col, "basis"), (t.note_col, "note")):  # fmt: skip
        if col >= 0:
            names[col + 1] = label(key, lang)
    return names


def _match_columns(
    recorded: dict[tuple[int, int], str], old_header: int, current: dict[int, str]
) -> dict[int, int]:
    """Old column -> column now, by the header's content, in order (a header that is now
    in two columns: the one after the previous match)."""
    col_of: dict[int, int] = {}
    used: set[int] = set()
    last = 0
    for (row, col), fp in sorted(recorded.items(), key=lambda item: item[0][1]):
        if row != old_header or not fp:
            continue
        candidates = [c for c, f in sorted(current.items()) if f == fp and c not in used]
        pick = next((c for c in candidates if c > last), candidates[0] if candidates else None)
        if pick is not None:
            col_of[col] = pick
            used.add(pick)
            last = max(last, pick)
    return col_of


def _same(cell: Any, fp: str, move_back: Callable[[str], str | None]) -> bool:
    """Whether ``cell`` holds what was fingerprinted (a formula with its references moved
    back to where it was written)."""
    if fingerprint(cell_content(cell)) == fp:
        return True
    formula = cell_formula(cell)
    if formula is None or not fp.startswith("f:"):
        return False
    moved = move_back(formula if formula.startswith("=") else "=" + formula)
    return moved is not None and fingerprint(moved) == fp


def _shift(
    rows: Iterable[int],
    guess: int,
    span: int,
    matches: Callable[[int, int], bool],
) -> int:
    """The shift of a block of generated rows: the one nearest ``guess`` (within ``span``)
    under which its first row matches, else ``guess``."""
    first = min(rows, default=None)
    if first is None:
        return guess
    for s in sorted(range(guess - span, guess + span + 1), key=lambda s: (abs(s - guess), s)):
        if first + s >= 1 and matches(first, s):
            return s
    return guess


def scan_targets(old: OldPlan) -> TargetsScan | None:
    """Read the Targets sheet by key and header; record on ``old`` its generated cells the
    user edited, rows and columns deleted, and what cannot be put back by key."""
    meta, t = old.meta, old.meta.layout.targets
    if t.sheet not in old.values.sheetnames or old.workbook is None:
        return None
    values, ws = old.values[t.sheet], old.workbook[t.sheet]
    grid = find_target_grid(values, t, label("note", meta.lang), label("annual_target", meta.lang))
    recorded = _recorded(meta, "targets")
    old_header = t.header_row + 1
    if grid.header_row is None or grid.key_col is None:
        old.inserted.append(f"{t.sheet}: the targets grid (its period headers) was not found")
        return TargetsScan({}, {}, None, None)
    here = {
        c: fingerprint(cell_content(ws.cell(grid.header_row, c)))
        for c in range(1, ws.max_column + 1)
    }
    col_of = _match_columns(recorded, old_header, here)
    if not col_of:  # a plan whose headers were not fingerprinted: by header text alone
        col_of = {t.first_period_col + 1 + j: c for j, p in enumerate(t.periods)
                  if (c := grid.periods.get(p)) is not None}  # fmt: skip
    for col, found in ((t.key_col, grid.key_col), (t.note_col, grid.note_col),
                       (t.annual_col, grid.annual_col)):  # fmt: skip
        if col >= 0 and col + 1 not in col_of and found is not None:
            col_of[col + 1] = found  # found by its text (schema-1 plans)
    key_col = col_of.get(t.key_col + 1, grid.key_col)

    # every row that holds a key now, in order
    keys = set(t.keys)
    where: dict[str, list[int]] = {}
    for r in range(grid.header_row + 1, ws.max_row + 1):
        key = _text(values.cell(r, key_col).value)
        if key in keys:
            where.setdefault(key, []).append(r)
    row_of = {old_header: grid.header_row}
    for i, key in enumerate(t.keys):
        if key in where:
            row_of[t.first_row + 1 + i] = where[key][0]

    def cell_matches(row: int, col: int, fp: str, new_row: int) -> bool:
        new_col = col_of.get(col)
        return new_col is not None and fingerprint(cell_content(ws.cell(new_row, new_col))) == fp

    def block(rows: list[int], guess: int, span: int) -> None:
        by_row = {
            r: [(c, fp) for (rr, c), fp in recorded.items() if rr == r and c in col_of]
            for r in rows
        }

        def matches(first: int, s: int) -> bool:
            return all(cell_matches(first, c, fp, first + s) for c, fp in by_row[first])

        s = _shift(rows, guess, span, matches)
        row_of.update({r: r + s for r in rows if r + s >= 1})

    above = sorted({r for r, _ in recorded if r < old_header})
    below = sorted({r for r, _ in recorded if r > t.last_row + 1})
    delta = grid.header_row - old_header
    for r in above:  # each row on its own: rows inserted between the title and the header
        block([r], delta, abs(delta) + 1)
    if below:
        last_key = max((rs[-1] for rs in where.values()), default=grid.header_row)
        block(below, last_key - (t.last_row + 1), len(t.keys) + 5)

    # rows whose inputs cannot be read: a second row of a key, labels of another key
    skipped: dict[int, str] = {}
    rows = {key: rs[0] for key, rs in where.items()}
    for key, rs in where.items():
        for r in rs[1:]:
            skipped[r] = f"a second row with the key {key}"
    label_cols = [t.key_col + 2 + t.label_cols.index(k) for k in ("kpi", "channel")
                  if k in t.label_cols]  # fmt: skip
    expected = {
        key: tuple(recorded.get((t.first_row + 1 + i, c), "") for c in label_cols)
        for i, key in enumerate(t.keys)
    }
    owner = {labels: key for key, labels in expected.items() if any(labels)}
    for key, r in list(rows.items()):
        now = tuple(
            fingerprint(cell_content(ws.cell(r, col_of[c]))) if c in col_of else ""
            for c in label_cols
        )
        other = owner.get(now)
        if now != expected[key] and other is not None and other != key:
            skipped[r] = f"its key is {key} but its labels are those of {other}"
            del rows[key]

    # generated cells where their key and header are now
    inv_row = {new: r for r, new in row_of.items()}
    inv_col = {new: c for c, new in col_of.items()}

    def back(ref: Ref) -> str | None:
        if ref.sheet not in (None, t.sheet):
            return ref.same
        c1, c2 = inv_col.get(ref.c1), inv_col.get(ref.c2)
        r1, r2 = inv_row.get(ref.r1), inv_row.get(ref.r2)
        if c1 is None or c2 is None or r1 is None or r2 is None:
            return None
        return ref.text(c1, r1, c2, r2)

    names = _column_names(t, meta.lang)
    placed: set[tuple[int, int]] = set()
    missing_cols: set[int] = set()
    for (r, c), fp in sorted(recorded.items()):
        new_r, new_c = row_of.get(r), col_of.get(c)
        if new_c is None:
            missing_cols.add(c)
            continue
        if new_r is None:
            continue  # a deleted keyed row: said once below
        placed.add((new_r, new_c))
        if not _same(ws.cell(new_r, new_c), fp, lambda f: rewrite_refs(f, back)):
            old.edits.append(f"{t.sheet}!{a1(new_r - 1, new_c - 1)}")
    deleted = [key for key in t.keys if key not in where]
    if deleted:
        shown = ", ".join(deleted[:MAX_LISTED]) + (" ..." if len(deleted) > MAX_LISTED else "")
        old.inserted.append(f"{t.sheet}: the rows of {shown} were deleted")
    if missing_cols:
        shown = ", ".join(repr(names.get(c, a1(0, c - 1)[:-1])) for c in sorted(missing_cols))
        old.inserted.append(f"{t.sheet}: the columns {shown} were deleted or their headers changed")

    periods = {p: col_of[t.first_period_col + 1 + j] for j, p in enumerate(t.periods)
               if t.first_period_col + 1 + j in col_of}  # fmt: skip
    note_col = col_of.get(t.note_col + 1) if t.note_col >= 0 else None
    annual_col = col_of.get(t.annual_col + 1) if t.annual_col >= 0 else None
    inputs = {*periods.values(), *(c for c in (note_col, annual_col) if c is not None)}
    good = set(rows.values())
    for row in ws.iter_rows(min_row=1):
        for cell in row:
            if is_blank(cell.value) or (cell.row, cell.column) in placed:
                continue
            if cell.row in good and cell.column in inputs:
                continue
            if cell.row in skipped:
                why = skipped[cell.row]
            elif cell.row in good:
                why = "in a column refresh does not know (inserted, or its header changed)"
            else:
                why = "in a row without a key (inserted, or its key was cleared)"
            old.unplaced.append((f"{t.sheet}!{cell.coordinate}", why))

    moved = any(row_of.get(r, r) != r for r in row_of) or any(col_of[c] != c for c in col_of)
    moved = moved or bool(deleted or missing_cols or skipped)
    return TargetsScan(
        rows, periods, note_col, annual_col, skipped, moved,
        _areas(t, grid.header_row, row_of, col_of, where),
    )  # fmt: skip


def _areas(
    t: TargetsLayout,
    header: int,
    row_of: dict[int, int],
    col_of: dict[int, int],
    where: dict[str, list[int]],
) -> Areas:
    """The grid's areas other sheets read, each as its original reference and a test of
    whether a reference names it now (rows inserted or deleted inside it, rows above it,
    columns inserted left of it move a spreadsheet's references; a sort does not)."""
    key_col = col_of.get(t.key_col + 1)
    first = col_of.get(t.first_period_col + 1)
    last = col_of.get(t.last_period_col + 1)
    numbers_old = (t.number_row if t.number_row >= 0 else t.header_row - 1) + 1
    numbers = row_of.get(numbers_old)
    key_rows = [r for rs in where.values() for r in rs]
    first_key, last_key = min(key_rows, default=header + 1), max(key_rows, default=header)

    def rows_of_grid(ref: Ref) -> bool:  # rows inserted above the first key move its start
        return header < ref.r1 <= first_key and ref.r2 >= last_key

    def test(area: Area, kind: str) -> tuple[str, Callable[[Ref], bool]]:
        cols = (key_col, key_col) if kind == "keys" else (first, last)

        def named(ref: Ref) -> bool:
            if None in cols or (ref.c1, ref.c2) != cols:
                return False
            if kind in ("keys", "block"):
                return rows_of_grid(ref)
            row = header if kind == "header" else numbers
            return ref.r1 == ref.r2 == row

        return area.ref, named

    return [
        test(t.key_area, "keys"),
        test(t.block, "block"),
        test(t.period_header, "header"),
        test(t.numbers, "numbers"),
    ]


def _targets_back(formula: str, sheet: str, areas: Areas) -> str | None:
    """``formula`` (on another sheet) with each reference to a Targets area written as the
    build wrote it, when it names that area now."""

    def back(ref: Ref) -> str | None:
        if ref.sheet == sheet:
            for original, names in areas:
                if names(ref):
                    return original
        return ref.same

    return rewrite_refs(formula, back)


# -- inputs --------------------------------------------------------------------------------------


def _setting_value(key: str, value: Any) -> Any:
    """A Settings value as the rebuild takes it: a number typed as text (``95 %``,
    ``0,35``) read as a number; any other text left for the check that names the cell."""
    if (key in NUMERIC_SETTINGS or key == "fx") and isinstance(value, str):
        try:
            number = parse_value(value, percent=True)
        except ValueError:
            return value
        return "" if math.isnan(number) else number
    return value


def _grid_of(old: OldPlan) -> TargetsScan | None:
    """The Targets grid found by its headers and keys alone (no conflicts recorded)."""
    meta, wb = old.meta, old.values
    t = meta.layout.targets
    if t.sheet not in wb.sheetnames:
        return None
    grid = find_target_grid(
        wb[t.sheet], t, label("note", meta.lang), label("annual_target", meta.lang)
    )
    return TargetsScan(grid.rows, grid.periods, grid.note_col, grid.annual_col)


def read_inputs(old: OldPlan, scan: TargetsScan | None = None) -> None:
    """Targets, notes and settings by key, from the cached-value workbook."""
    meta, wb = old.meta, old.values
    t = meta.layout.targets
    scan = scan if scan is not None else _grid_of(old)
    if scan is not None:
        ws = wb[t.sheet]
        formulas = old.workbook[t.sheet] if old.workbook is not None else None
        for key, row in scan.rows.items():
            kpi_id, scope = key.split("|")
            kpi_id = current_id(kpi_id)  # a plan made before a KPI was renamed
            for period, col in scan.periods.items():
                value = ws.cell(row, col).value
                formula = cell_formula(formulas.cell(row, col)) if formulas is not None else None
                if formula is not None:
                    if GENERATED_TARGET.match(formula):
                        continue  # a suggestion or a part of an annual target: made again
                    at = f"{t.sheet}!{a1(row - 1, col - 1)}"
                    old.unplaced.append((at, "your formula: its value is kept, not the formula"))
                try:
                    old.targets[(kpi_id, scope, period)] = _number(value)
                except ValueError:
                    at = f"{t.sheet}!{a1(row - 1, col - 1)}"
                    old.unplaced.append((at, f"{_text(value)[:40]!r} is not a number"))
            if scan.annual_col is not None:
                value = ws.cell(row, scan.annual_col).value
                try:
                    annual = _number(value)
                except ValueError:
                    at = f"{t.sheet}!{a1(row - 1, scan.annual_col - 1)}"
                    old.unplaced.append((at, f"{_text(value)[:40]!r} is not a number"))
                    annual = math.nan
                if annual == annual:
                    old.annual[(kpi_id, scope)] = annual
            if scan.note_col is not None:
                note = ws.cell(row, scan.note_col).value
                if note not in (None, ""):
                    text = str(note)
                    if len(text) > MAX_TEXT:
                        raise KpiXlError(
                            f"{t.sheet}!{a1(row - 1, scan.note_col - 1)}: the note is "
                            f"{len(text):,} characters long; a cell holds at most "
                            f"{MAX_TEXT:,}: shorten it",
                            file=old.path,
                        )
                    old.notes[(kpi_id, scope)] = text
    settings = meta.layout.settings
    for key, name in settings.names.items():
        where = _defined_cell(wb, name) or (settings.cells[key].sheet, settings.cells[key].a1)
        sheet, cell = where
        value = wb[sheet][cell].value if sheet in wb.sheetnames else None
        if isinstance(value, dt.datetime):
            value = value.date()
        old.settings[key] = _setting_value(key, value)
    for code, rate_cell in settings.fx.items():
        sheet, ref = _defined_cell(wb, fx_name(code)) or (rate_cell.sheet, rate_cell.a1)
        rate = wb[sheet][ref].value if sheet in wb.sheetnames else None
        old.fx[code] = _setting_value("fx", rate)
    for key, value in meta.orphans.items():
        parts = key.split("|")
        if len(parts) != 3:  # written by a release that let a "|" into a key
            old.unplaced.append((f"the plan record's target {key!r}", "its key has a '|'"))
            continue
        kpi_id, scope, period = parts
        old.targets.setdefault((current_id(kpi_id), scope, period), float(value))
    selected = _defined_cell(wb, "kpi_Selected")
    if selected is not None and selected[0] in wb.sheetnames:
        old.selected = _text(wb[selected[0]][selected[1]].value)
    _closed_changes(old, scan)


def _closed_changes(old: OldPlan, scan: TargetsScan | None) -> None:
    """Closed periods' targets the user changed since the build (the Settings switch
    unlocked them): recorded, with the date, in the plan's target log."""
    old.target_log = [list(e) for e in old.meta.target_log]
    wb, t = old.values, old.meta.layout.targets
    if not old.meta.closed or scan is None:
        return
    ws = wb[t.sheet]
    today = dt.date.today().isoformat()
    for key, before in old.meta.closed.items():
        parts = key.split("|")
        if len(parts) != 3:
            continue
        kpi_id, scope, period = parts
        row, col = scan.rows.get(f"{kpi_id}|{scope}"), scan.periods.get(period)
        if row is None or col is None:
            continue
        try:
            after = _number(ws.cell(row, col).value)
        except ValueError:
            continue  # listed as not a number by read_inputs
        if not math.isclose(after, before, rel_tol=1e-9, abs_tol=1e-12):
            old.target_log.append([key, before, None if after != after else after, today])
            old.targets[(current_id(kpi_id), scope, period)] = after  # typed: kept


def setting_cell(old: OldPlan, key: str) -> str:
    """Where a setting is (for messages): ``Settings!$B$4``."""
    cell: Cell = old.meta.layout.settings.cells[key]
    where = _defined_cell(old.values, old.meta.layout.settings.names[key])
    return Cell(where[0], *rowcol(where[1])).ref if where else cell.ref


def detect_edits(old: OldPlan, scan: TargetsScan | None = None) -> None:
    """Generated cells changed, rows/columns inserted, sheets added (the Targets sheet is
    read by :func:`scan_targets`)."""
    wb, names = old.workbook, old.meta.layout.sheets
    known = set(names.values())
    acknowledged = set(old.meta.user_sheets)
    old.user_sheets = [s for s in wb.sheetnames if s in acknowledged and s not in known]
    old.added_sheets = [s for s in wb.sheetnames if s not in known and s not in acknowledged]
    targets = old.meta.layout.targets.sheet
    for role, cells in old.meta.generated.items():
        sheet_name = names.get(role)
        if sheet_name not in wb.sheetnames:
            old.edits.append(f"sheet {sheet_name!r} was removed or renamed")
            continue
        if role == "targets" and scan is not None:
            continue
        ws = wb[sheet_name]
        dims = old.meta.dimensions.get(role)
        if dims and (ws.max_row > dims[0] + 1 or ws.max_column > dims[1] + 1):
            old.inserted.append(f"{sheet_name}: cells were added outside the generated area")
        if scan is not None and scan.moved:

            def back(formula: str) -> str | None:
                if targets not in formula:
                    return None
                return _targets_back(formula, targets, scan.areas)

            changed = [c for c, fp in cells.items() if not _same(ws[c], fp, back)]
        else:
            changed = [c for c, fp in cells.items() if fingerprint(cell_content(ws[c])) != fp]
        if len(changed) > len(cells) // 3 and len(changed) > 5:
            old.inserted.append(f"{sheet_name}: rows or columns were inserted or deleted")
            continue
        old.edits.extend(f"{sheet_name}!{c}" for c in changed)


# -- the plan ------------------------------------------------------------------------------------


def _read_values_of(meta: PlanMeta, formulas: Any) -> list[str]:
    """The sheets whose cached values a refresh reads: Targets, the sheets of the
    settings, rates and period selector (where their names point now), and every sheet
    the plan did not generate (carried over)."""
    layout = meta.layout
    settings = layout.settings
    wanted = [layout.targets.sheet, *(c.sheet for c in settings.cells.values())]
    wanted += [c.sheet for c in settings.fx.values()]
    names = [*settings.names.values(), *(fx_name(code) for code in settings.fx), "kpi_Selected"]
    wanted += [where[0] for name in names if (where := _defined_cell(formulas, name))]
    generated = set(layout.sheets.values())
    return [*wanted, *(s for s in formulas.sheetnames if s not in generated)]


def read_plan(path: Path) -> OldPlan:
    """Open and check an existing plan; never modifies the file."""
    check_not_open(path)
    check_workbook(path)
    keep_vba = path.suffix.lower() == ".xlsm"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            formulas = openpyxl.load_workbook(path, data_only=False, keep_vba=keep_vba)
            meta = read_meta(formulas, path)
            values = CachedValues(path, _read_values_of(meta, formulas), formulas)
    except KpiXlError:
        raise
    except Exception as exc:  # openpyxl raises many types on damaged parts
        raise KpiXlError(f"the workbook cannot be read: {exc}", file=path) from None
    old = OldPlan(path=path, meta=meta, workbook=formulas, values=values)
    scan = scan_targets(old)
    read_inputs(old, scan)
    detect_edits(old, scan)
    if keep_vba:
        read_vba(old)
    return old
