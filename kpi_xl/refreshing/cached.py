"""The cached values of a plan's cells, as refresh reads them: only the sheets it reads.

A refresh needs each cell's formula (openpyxl, full) and, on a few sheets, its cached
value: the Targets and Settings sheets (what the user typed, or what their own formulas
computed), the sheet of the period selector, and the user's own sheets, which are carried
over. Those are read with openpyxl's read-only mode, which builds no style or cell objects,
and the file is closed at once (a plan kept open would stop the atomic replace on
Windows); the generated sheets (channel sheets, the data tables) are not read twice.

:class:`CachedValues` offers what the reader uses of an openpyxl workbook loaded with
``data_only=True``: ``sheetnames``, ``defined_names``, ``book[name]``, and per sheet
``cell(row, column).value``, ``sheet["B4"].value``, ``max_row``, ``max_column`` and
``iter_rows(..., values_only=True)`` (``tests/test_refresh.py`` compares them).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils.cell import coordinate_to_tuple


@dataclass(frozen=True)
class Value:
    """A cell's cached value (``.value``, as an openpyxl cell has it)."""

    value: Any


_EMPTY = Value(None)


class CachedSheet:
    """The cached values of one sheet, row by row."""

    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        self._rows = rows
        self.max_row = max(len(rows), 1)
        self.max_column = max((len(r) for r in rows), default=0) or 1

    def cell(self, row: int, column: int) -> Value:
        if 1 <= row <= len(self._rows):
            cells = self._rows[row - 1]
            if 1 <= column <= len(cells):
                return Value(cells[column - 1])
        return _EMPTY

    def __getitem__(self, coordinate: str) -> Value:
        return self.cell(*coordinate_to_tuple(coordinate))

    def iter_rows(
        self, min_row: int = 1, max_row: int | None = None, values_only: bool = True
    ) -> Iterator[tuple[Any, ...]]:
        assert values_only, "cached values only"
        last = self.max_row if max_row is None else max_row
        width = self.max_column
        for row in range(min_row, last + 1):
            cells = self._rows[row - 1] if row <= len(self._rows) else ()
            yield tuple(cells) + (None,) * (width - len(cells))


class CachedValues:
    """The cached values of the sheets ``wanted`` of the workbook at ``path``; the
    defined names are those of ``names_from`` (the same file, loaded with its formulas)."""

    def __init__(self, path: Path, wanted: Iterable[str], names_from: Any) -> None:
        self.defined_names = names_from.defined_names
        self._sheets: dict[str, CachedSheet] = {}
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            self.sheetnames: list[str] = list(book.sheetnames)
            for name in dict.fromkeys(wanted):
                if name in book.sheetnames:
                    ws = book[name]
                    ws.reset_dimensions()  # what the XML holds, not what it declares
                    self._sheets[name] = CachedSheet(list(ws.iter_rows(values_only=True)))
        finally:
            book.close()

    def __getitem__(self, name: str) -> CachedSheet:
        if name not in self._sheets:
            raise KeyError(f"the values of sheet {name!r} were not read (see CachedValues)")
        return self._sheets[name]
