"""What a refresh says: the conflicts it stopped on, and what ``--force`` left out."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from openpyxl.utils import column_index_from_string

if TYPE_CHECKING:
    from kpi_xl.refreshing.reader import OldPlan

#: The most cells or names a message lists before "and N more".
MAX_LISTED = 8


def _listed(items: list[str]) -> str:
    shown = ", ".join(items[:MAX_LISTED])
    more = f" and {len(items) - MAX_LISTED} more" if len(items) > MAX_LISTED else ""
    return shown + more


def _spans(cells: list[str]) -> list[str]:
    """``Targets!A20, Targets!B20, Targets!C20`` -> ``Targets!A20:C20`` (cells of one row
    together, in their order)."""
    rows: dict[tuple[str, int], list[tuple[int, str]]] = {}
    other: list[str] = []
    for cell in cells:
        sheet, _, ref = cell.rpartition("!")
        found = re.fullmatch(r"([A-Z]{1,3})(\d+)", ref)
        if not sheet or found is None:
            other.append(cell)
            continue
        col = column_index_from_string(found[1])
        rows.setdefault((sheet, int(found[2])), []).append((col, found[1]))
    out = []
    for (sheet, row), cols in rows.items():
        cols.sort()
        first, last = cols[0][1], cols[-1][1]
        out.append(f"{sheet}!{first}{row}" + (f":{last}{row}" if len(cols) > 1 else ""))
    return out + other


def describe_unplaced(unplaced: list[tuple[str, str]]) -> str:
    """``Targets!G42 (in a row without a key); Targets!A43:U43 (a second row with the key
    revenue|all)``: each reason once, with at most three of its rows or cells."""
    by_reason: dict[str, list[str]] = {}
    for cell, why in unplaced:
        by_reason.setdefault(why, []).append(cell)
    parts = []
    for why, cells in by_reason.items():
        spans = _spans(cells)
        more = f" and {len(spans) - 3} more" if len(spans) > 3 else ""
        parts.append(f"{', '.join(spans[:3])}{more} ({why})")
    return "; ".join(parts)


def describe_conflicts(old: OldPlan) -> str:
    """One line: what the user changed and what ``--force`` does with it."""
    parts = []
    if old.edits:
        parts.append(f"generated cells edited: {_listed(old.edits)} (--force regenerates them)")
    if old.inserted:
        parts.append("; ".join(old.inserted) + " (--force rebuilds the layout)")
    if old.unplaced:
        parts.append(
            f"what you typed that refresh cannot put back by key: "
            f"{describe_unplaced(old.unplaced)} (--force leaves it out; it stays in the backup)"
        )
    if old.added_sheets:
        names = ", ".join(repr(s) for s in old.added_sheets)
        parts.append(
            f"sheets added: {names} (--force carries them over: values, formulas and array "
            "formulas, number formats, fonts, fills, merged cells, hyperlinks, comments, "
            "column widths and row heights; charts, images, tables, conditional formats "
            "and data validations are not carried)"
        )
    if old.vba_dropped:
        parts.append(
            f"VBA that cannot be carried: {_listed(old.vba_dropped)} (--force drops it; it "
            "stays in the backup)"
        )
    return "refresh would change your edits: " + "; ".join(parts)
