"""What adapters read: documents made of blocks, blocks that yield tables.

A :class:`Document` is one input (a text export, a workbook, a Parquet file, a
DataFrame, or a zip's CSV files together). Its blocks are the places a table can start:
the blank-line separated parts of a text export (:class:`kpi_xl.ingest.sniff.TextBlock`),
the empty-row separated parts of a worksheet (:class:`CellBlock`), or a typed frame
(:class:`FrameBlock`). An adapter finds its header among a block's first records and
asks the block for the :class:`Table` under it.

Line numbers: a text export's rows carry their 1-based file line, a worksheet's rows
their sheet row, a Parquet file's or DataFrame's rows their 1-based position.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

import numpy as np
import pandas as pd

HEAD_RECORDS = 40  # a header is looked for among each block's first records

# "Total", "Total: Account" (Google Ads), "Grand total" (GA4), "Gesamt", "Totaux"...
TOTAL = re.compile(
    r"^\s*(?:grand\s+total|total\s+g[ée]n[ée]ral|totals?|totaux|totale|gesamt(?:summe)?|"
    r"summe|insgesamt|ergebnis)\s*(?::.*)?$",
    re.IGNORECASE,
)


class Record(NamedTuple):
    """One record of a block: the line (or row) it starts on and its cells."""

    line: int
    cells: list[str]


@dataclass
class Table:
    """The rows under a header: raw cells, one Series per header position."""

    file: str
    header: list[str]
    header_line: int | None
    columns: list[pd.Series]
    lines: np.ndarray  # int64, the line (or row) of each data row
    comments: tuple[str, ...] = ()
    sep: str | None = None  # a text table's separator
    preamble: tuple[str, ...] = ()  # the block's records above the header, as text

    def __len__(self) -> int:
        return len(self.lines)

    def take(self, keep: np.ndarray) -> Table:
        """The rows where ``keep`` is true."""
        if bool(keep.all()):
            return self
        columns = [c[keep].reset_index(drop=True) for c in self.columns]
        return Table(
            self.file,
            self.header,
            self.header_line,
            columns,
            self.lines[keep],
            self.comments,
            self.sep,
            self.preamble,
        )


class Block(Protocol):
    """A part of a document where one table may start."""

    file: str
    comments: list[str]

    def head(self, count: int) -> list[Record]: ...

    def table(self, header: Record, numeric: Collection[int] = ()) -> Table:
        """The table under ``header``; ``numeric`` positions hold plain numbers with a
        decimal point if the block can tell (read typed when every value parses)."""
        ...


@dataclass
class Document:
    """One input: its name for messages and its blocks in order."""

    file: str
    blocks: Sequence[Block]

    @property
    def comments(self) -> list[str]:
        return [c for b in self.blocks for c in b.comments]


def cell_text(value: object) -> str:
    """A worksheet or frame cell as text: whole numbers without ``.0``, empty for none."""
    if value is None:
        return ""
    if isinstance(value, float):
        if value != value:
            return ""
        if value.is_integer() and abs(value) < 2**53:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime) and value == dt.datetime.combine(value.date(), dt.time()):
        return value.date().isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


@dataclass
class CellBlock:
    """A run of non-empty rows of a worksheet; cells keep their types."""

    file: str
    rows: list[tuple[object, ...]]
    numbers: list[int]
    comments: list[str] = field(default_factory=list)

    def head(self, count: int) -> list[Record]:
        return [
            Record(n, [cell_text(v) for v in row])
            for n, row in zip(self.numbers[:count], self.rows[:count], strict=True)
        ]

    def table(self, header: Record, numeric: Collection[int] = ()) -> Table:
        start = self.numbers.index(header.line) + 1
        rows = self.rows[start:]
        width = len(header.cells)
        padded = [tuple(row[:width]) + (None,) * (width - len(row)) for row in rows]
        if padded:
            columns = [
                pd.Series(np.array(col, dtype=object), dtype=object)
                for col in zip(*padded, strict=True)
            ]
        else:
            columns = [pd.Series([], dtype=object) for _ in range(width)]
        return Table(
            self.file,
            list(header.cells),
            header.line,
            columns,
            np.array(self.numbers[start:], dtype=np.int64),
        )


def cell_blocks(file: str, rows: list[tuple[object, ...]]) -> list[CellBlock]:
    """A worksheet's rows (row 1 first) split at empty rows."""
    blocks: list[CellBlock] = []
    current: list[tuple[object, ...]] = []
    numbers: list[int] = []
    for number, row in enumerate([*rows, ()], start=1):
        if any(v is not None and str(v).strip() for v in row):
            current.append(row)
            numbers.append(number)
        elif current:
            blocks.append(CellBlock(file, current, numbers))
            current, numbers = [], []
    return blocks


@dataclass
class FrameBlock:
    """A typed table (a DataFrame or a Parquet file): its columns are the header."""

    file: str
    frame: pd.DataFrame
    comments: list[str] = field(default_factory=list)

    def head(self, count: int) -> list[Record]:
        return [Record(0, [str(c) for c in self.frame.columns])]

    def table(self, header: Record, numeric: Collection[int] = ()) -> Table:
        frame = self.frame.reset_index(drop=True)
        columns = [frame.iloc[:, i] for i in range(frame.shape[1])]
        lines = np.arange(1, len(frame) + 1, dtype=np.int64)
        return Table(self.file, list(header.cells), None, columns, lines)
