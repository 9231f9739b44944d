"""Read an existing plan workbook: its ``_meta`` record, the user's inputs, their edits.

Inputs are read *by key* through the ``_meta`` map (never by assumed cell addresses), so
a refresh finds a target wherever the last build put it.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl

from kpi_xl.errors import KpiXlError
from kpi_xl.refresh.safety import check_not_open, check_zip
from kpi_xl.workbook.reference_sheets import META_MARKER
from kpi_xl.workbook.xlsx import fingerprint

MAX_LISTED = 8


@dataclass
class OldPlan:
    """What a refresh needs from the existing workbook."""

    path: Path
    meta: dict[str, Any]
    targets: dict[tuple[str, str, str], float] = field(default_factory=dict)
    notes: dict[tuple[str, str], str] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    edits: list[str] = field(default_factory=list)
    inserted: list[str] = field(default_factory=list)
    added_sheets: list[str] = field(default_factory=list)
    user_sheets: list[str] = field(default_factory=list)  # carried before, kept silently
    workbook: Any = None  # openpyxl workbook (formulas), for carrying added sheets
    values: Any = None  # openpyxl workbook (cached values)

    @property
    def conflicts(self) -> bool:
        return bool(self.edits or self.inserted or self.added_sheets)


def split_reference(reference: str) -> tuple[str, str]:
    """``'Sheet name'!$B$4`` -> (``Sheet name``, ``B4``)."""
    sheet, cell = reference.rsplit("!", 1)
    if sheet.startswith("'") and sheet.endswith("'"):
        sheet = sheet[1:-1].replace("''", "'")
    return sheet, cell.replace("$", "")


def read_meta(wb: Any, path: Path) -> dict[str, Any]:
    if "_meta" not in wb.sheetnames:
        raise KpiXlError("not a kpi_xl plan workbook (no _meta sheet)", file=path)
    rows = wb["_meta"].iter_rows(min_col=1, max_col=2, values_only=True)
    return parse_meta_rows(rows, path)


def parse_meta_rows(rows: Iterable[Sequence[Any]], path: Path | str) -> dict[str, Any]:
    """The ``_meta`` record from its (key, chunk) rows."""
    parts: dict[str, str] = {}
    for key, value, *_ in rows:
        if not isinstance(key, str):
            continue
        base = key.split("#", 1)[0]
        parts[base] = parts.get(base, "") + ("" if value is None else str(value))
    if parts.get("format") != META_MARKER:
        raise KpiXlError("not a kpi_xl plan workbook (_meta sheet has no kpi_xl marker)", file=path)
    meta: dict[str, Any] = {}
    for key, text in parts.items():
        try:
            meta[key] = json.loads(text) if key not in ("format", "version", "lang") else text
        except json.JSONDecodeError:
            raise KpiXlError(f"the _meta record {key!r} is damaged", file=path) from None
    for required in ("spec", "inputs", "sheets"):
        if required not in meta:
            raise KpiXlError(f"the _meta record has no {required!r}", file=path)
    return meta


def _number(value: Any) -> float:
    if value is None or value == "":
        return math.nan
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip().replace(",", ".")
    percent = text.endswith("%")
    try:
        number = float(text.rstrip("%").strip())
    except ValueError:
        return math.nan
    return number / 100 if percent else number


def _cell(wb: Any, reference: str) -> Any:
    sheet, cell = split_reference(reference)
    if sheet not in wb.sheetnames:
        return None
    return wb[sheet][cell].value


def read_inputs(old: OldPlan) -> None:
    """Targets, notes and settings by key, from the cached-value workbook."""
    for key, reference in old.meta["inputs"].items():
        value = _cell(old.values, reference)
        kind, _, rest = key.partition("|")
        if kind == "target":
            kpi_id, scope, period = rest.split("|")
            old.targets[(kpi_id, scope, period)] = _number(value)
        elif kind == "note":
            kpi_id, scope = rest.split("|")
            if value not in (None, ""):
                old.notes[(kpi_id, scope)] = str(value)
        elif kind == "setting":
            if isinstance(value, dt.datetime):
                value = value.date()
            old.settings[rest] = value
    for key, value in (old.meta.get("orphans") or {}).items():
        kpi_id, scope, period = key.split("|")
        old.targets.setdefault((kpi_id, scope, period), float(value))


def _content(cell: Any) -> Any:
    value = cell.value
    if cell.data_type == "s" and isinstance(value, str) and value.startswith("="):
        return "\x00" + value
    if isinstance(value, dt.datetime | dt.date):
        return None  # stamps are not fingerprinted
    return value


def detect_edits(old: OldPlan) -> None:
    """Generated cells changed, rows/columns inserted, sheets added."""
    wb, names = old.workbook, old.meta["sheets"]
    known = set(names.values())
    acknowledged = set(old.meta.get("user_sheets") or [])
    old.user_sheets = [s for s in wb.sheetnames if s in acknowledged and s not in known]
    old.added_sheets = [s for s in wb.sheetnames if s not in known and s not in acknowledged]
    for role, cells in (old.meta.get("generated") or {}).items():
        sheet_name = names.get(role)
        if sheet_name not in wb.sheetnames:
            old.edits.append(f"sheet {sheet_name!r} was removed or renamed")
            continue
        ws = wb[sheet_name]
        dims = (old.meta.get("dimensions") or {}).get(role)
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
    check_zip(path)
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
