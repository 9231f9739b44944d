"""The adapter record and the header search every adapter shares."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kpi_xl.ingest.fields import Context, Loaded, header_names
from kpi_xl.ingest.table import HEAD_RECORDS, Document, Table

IsHeader = Callable[[frozenset[str]], bool]
Numeric = Callable[[list[str]], list[int]]


@dataclass(frozen=True)
class Adapter:
    """One export layout.

    ``is_header`` says whether a record's normalized cell names are this layout's
    header; the first matching record of each block starts a table. ``read`` gets those
    tables (at least one) with the whole document and returns the canonical rows.
    ``archive``: the layout spans a zip's several CSV files (Search Console), so it is
    tried on the zip as a whole before each member is read on its own. ``numeric``: the
    header positions that hold plain machine-written numbers (read typed when possible).
    """

    name: str
    layout: str
    is_header: IsHeader
    read: Callable[[list[Table], Document, Context], Loaded]
    archive: bool = False
    numeric: Numeric | None = None


def find_tables(doc: Document, is_header: IsHeader, numeric: Numeric | None = None) -> list[Table]:
    """The tables of ``doc`` under a header ``is_header`` accepts (one per block at most)."""
    tables: list[Table] = []
    for block in doc.blocks:
        for record in block.head(HEAD_RECORDS):
            if is_header(header_names(record.cells)):
                typed = numeric(record.cells) if numeric is not None else []
                tables.append(block.table(record, typed))
                break
    return tables


def has_any(names: frozenset[str], *wanted: str) -> bool:
    return any(w in names for w in wanted)
