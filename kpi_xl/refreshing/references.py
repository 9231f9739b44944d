"""Formulas read back as the user's spreadsheet moved them: each cell reference parsed
(:class:`Ref`) and rewritten (:func:`rewrite_refs`), so that a formula whose rows the user
inserted, deleted or sorted compares with what kpi_xl wrote."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from openpyxl.utils import column_index_from_string

from kpi_xl.spreadsheet import a1

_STRING = re.compile(r'"(?:[^"]|"")*"')
_REF = re.compile(
    r"(?<![\w.$'!])(?:(?P<sheet>'(?:[^']|'')+'|[^\W\d][\w.]*)!)?"
    r"(?P<c1>\$?[A-Z]{1,3})(?P<r1>\$?\d+)(?::(?P<c2>\$?[A-Z]{1,3})(?P<r2>\$?\d+))?"
    r"(?![\w(\[])"
)


@dataclass(frozen=True)
class Ref:
    """A cell or range reference of a formula, 1-based, as written (absolute or not)."""

    sheet: str | None  # None: the formula's own sheet
    sheet_text: str  # as written, with its quotes and "!" ("" for none)
    c1: int
    r1: int
    c2: int
    r2: int
    absolute: tuple[bool, bool, bool, bool]  # $ before c1, r1, c2, r2
    single: bool = False  # one cell (no ":")

    def text(self, c1: int, r1: int, c2: int, r2: int) -> str:
        """This reference written again at other rows and columns."""
        a, b, c, d = self.absolute
        first = a1(r1 - 1, c1 - 1, row_abs=b, col_abs=a)
        if self.single:
            return self.sheet_text + first
        return f"{self.sheet_text}{first}:{a1(r2 - 1, c2 - 1, row_abs=d, col_abs=c)}"

    @property
    def same(self) -> str:
        """This reference as it is."""
        return self.text(self.c1, self.r1, self.c2, self.r2)


def sheet_name_of(text: str | None) -> str | None:
    if text is None:
        return None
    if text.startswith("'"):
        return text[1:-1].replace("''", "'")
    return text


def ref_of(match: re.Match[str]) -> Ref:
    def col(text: str) -> int:
        return int(column_index_from_string(text.lstrip("$")))

    c1, r1 = match["c1"], match["r1"]
    c2, r2 = match["c2"] or c1, match["r2"] or r1
    sheet = match["sheet"]
    return Ref(
        sheet_name_of(sheet),
        f"{sheet}!" if sheet else "",
        col(c1),
        int(r1.lstrip("$")),
        col(c2),
        int(r2.lstrip("$")),
        (c1.startswith("$"), r1.startswith("$"), c2.startswith("$"), r2.startswith("$")),
        single=match["c2"] is None,
    )


def rewrite_refs(formula: str, move: Callable[[Ref], str | None]) -> str | None:
    """``formula`` with every cell reference outside its string literals replaced by
    ``move(ref)`` (``None``: the formula cannot be read back; the whole result is None)."""
    failed = False

    def one(match: re.Match[str]) -> str:
        nonlocal failed
        out = move(ref_of(match))
        if out is None:
            failed = True
            return match.group(0)
        return out

    pieces: list[str] = []
    last = 0
    for literal in _STRING.finditer(formula):
        pieces.append(_REF.sub(one, formula[last : literal.start()]))
        pieces.append(literal.group(0))
        last = literal.end()
    pieces.append(_REF.sub(one, formula[last:]))
    return None if failed else "".join(pieces)


def cell_content(cell: Any) -> Any:
    value = cell.value
    if cell.data_type == "s" and isinstance(value, str) and value.startswith("="):
        return "\x00" + value
    if isinstance(value, dt.datetime | dt.date):
        return None  # stamps are not fingerprinted
    return value


def cell_formula(cell: Any) -> str | None:
    value = cell.value
    if cell.data_type == "f" and isinstance(value, str):
        return value
    text = getattr(value, "text", None)  # an array formula
    return text if isinstance(text, str) else None


def is_blank(value: Any) -> bool:
    return value is None or value == ""
