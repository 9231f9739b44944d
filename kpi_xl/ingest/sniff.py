"""Delimited text to blocks of records: lines, separator, ``#`` comments, blank-line splits.

An export's text is split into *blocks*: runs of non-blank lines (a line holding only
whitespace and separators, as Excel pads them, counts as blank). Lines starting with ``#``
at the start of a block are its comments (GA4's preamble: property, date range); a block
of comments only passes them on to the next block. Everything else is left to the
adapters, which look for their header among a block's first records
(:meth:`TextBlock.head`); the records before it (a report title, a quoted date range,
LinkedIn's ``Report Start: ...`` lines) are preamble.

The separator is sniffed once per file among ``,`` ``;`` tab and ``|``: the one whose
most common record width (at least two fields) times the number of records of that width
is largest.

Before any line is split into cells, its width and length are bounded (see
:mod:`kpi_xl.ingest.limits`): a line of more than ``MAX_COLUMNS`` fields or a field of more
than ``MAX_FIELD_CHARS`` characters is refused, naming the line.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from collections import Counter
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any

import numpy as np
import pandas as pd

from kpi_xl.errors import KpiXlError
from kpi_xl.frames import TEXT
from kpi_xl.ingest import limits
from kpi_xl.ingest.table import TOTAL, Record, Table

SEPARATORS = (",", ";", "\t", "|")
SNIFF_LINES = 400


def split_lines(text: str) -> list[str]:
    """Physical lines split at ``\n``; a ``\r`` before it stays (the CSV reader treats
    ``\r\n`` as the line end, and keeps it inside a quoted field). Text with only
    ``\r`` line ends (old Mac exports) is split at those."""
    if "\n" not in text and "\r" in text:
        text = text.replace("\r", "\n")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _records(lines: list[str], sep: str, file: str, first_line: int) -> Iterator[Record]:
    """CSV records of ``lines`` with the file line each starts on."""
    reader = csv.reader((ln + "\n" for ln in lines), delimiter=sep, strict=False)
    start = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # a field over csv.field_size_limit(): not an export
            raise KpiXlError(
                f"cannot read this as delimited text ({exc}): expected a CSV/TSV export",
                file=file,
                line=first_line + start,
            ) from None
        yield Record(first_line + start, cells)
        start = reader.line_num


_QUOTED = re.compile(r'"[^"]*"')


def _fields(line: str, sep: str) -> int:
    """How many fields ``line`` holds (separators inside quotes not counted)."""
    count = line.count(sep) + 1
    if count <= limits.MAX_COLUMNS or '"' not in line:
        return count
    return _QUOTED.sub("", line).count(sep) + 1


def _too_wide(lines: list[str], sep: str, first_line: int = 1) -> tuple[int, int] | None:
    """The first line (its number and fields) wider than ``MAX_COLUMNS``, else None."""
    if max(map(str.count, lines, repeat(sep)), default=0) < limits.MAX_COLUMNS:
        return None  # the common case, decided at C speed
    for number, line in enumerate(lines, start=first_line):
        if line.count(sep) >= limits.MAX_COLUMNS:
            fields = _fields(line, sep)
            if fields > limits.MAX_COLUMNS:
                return number, fields
    return None


def _wide_error(file: str, sep: str, where: tuple[int, int]) -> KpiXlError:
    line, fields = where
    return KpiXlError(
        f"this line has {fields:,} fields separated by {sep!r}: kpi_xl reads at most "
        f"{limits.MAX_COLUMNS:,} columns; expected an exported table",
        file=file,
        line=line,
    )


def check_lines(lines: list[str], sep: str, file: str) -> None:
    """Refuse a line of more than ``MAX_COLUMNS`` fields or with a field of more than
    ``MAX_FIELD_CHARS`` characters, before any parser splits the lines into cells."""
    wide = _too_wide(lines, sep)
    if wide is not None:
        raise _wide_error(file, sep, wide)
    if max(map(len, lines), default=0) <= limits.MAX_FIELD_CHARS:
        return
    for number, line in enumerate(lines, start=1):
        if len(line) <= limits.MAX_FIELD_CHARS:
            continue
        try:
            cells = next(csv.reader([line], delimiter=sep, strict=False), [])
            longest = max(map(len, cells), default=0)
        except csv.Error:  # over csv.field_size_limit()
            longest = limits.MAX_FIELD_CHARS + 1
        if longest > limits.MAX_FIELD_CHARS:
            raise KpiXlError(
                f"a field of this line is longer than {limits.MAX_FIELD_CHARS:,} characters: "
                "expected an exported table",
                file=file,
                line=number,
            )


def sniff_separator(lines: list[str], file: str) -> str:
    """The separator giving most fields in records of one common width (>= 2 fields).

    A separator that would make a line wider than ``MAX_COLUMNS`` is not tried (its
    records are never split); when it is the only one found, the file is refused."""
    sample = [ln for ln in lines[:SNIFF_LINES] if ln.strip() and not ln.lstrip().startswith("#")]
    best, best_score = ",", (0, 0)
    wide: tuple[str, tuple[int, int]] | None = None
    for sep in SEPARATORS:
        if not any(sep in ln for ln in sample):
            continue
        too_wide = _too_wide(sample, sep)
        if too_wide is not None:
            wide = wide or (sep, too_wide)
            continue
        try:
            counts = Counter(
                len(r.cells) for r in _records(sample, sep, file, 1) if len(r.cells) > 1
            )
        except KpiXlError:  # unreadable with this separator
            continue
        if not counts:
            continue
        width, freq = counts.most_common(1)[0]
        score = (freq * width, freq)
        if score > best_score:
            best, best_score = sep, score
    if wide is not None and best_score == (0, 0):
        sep, (line, fields) = wide
        number = lines.index(sample[line - 1]) + 1  # the sample leaves out blank lines
        raise _wide_error(file, sep, (number, fields))
    return best


def _is_blank(line: str, sep: str) -> bool:
    return not line.strip().strip(sep + " \t")


@dataclass
class TextBlock:
    """A run of non-blank lines of a text export."""

    file: str
    sep: str
    lines: list[str]
    first_line: int  # the file line of ``lines[0]``
    comments: list[str] = field(default_factory=list)
    read_from: int | None = None  # set by table(): the data lines are gone

    def head(self, count: int) -> list[Record]:
        """The first ``count`` records (a header is searched among them)."""
        out: list[Record] = []
        for record in _records(self.lines[: count * 4], self.sep, self.file, self.first_line):
            out.append(record)
            if len(out) == count:
                break
        return out

    def table(self, header: Record, numeric: Collection[int] = ()) -> Table:
        """The table whose header is ``header`` (one of :meth:`head`'s records).

        ``numeric`` columns are read as floats straight away when every value is a plain
        number and the separator rules out unquoted decimal commas (``,``); else as text."""
        offset = header.line - self.first_line
        # the header may span lines (a quoted newline): data starts after its last line
        reader = csv.reader(
            (ln + "\n" for ln in self.lines[offset:]), delimiter=self.sep, strict=False
        )
        next(reader, None)
        consumed = max(reader.line_num, 1)
        if self.read_from is not None:  # pragma: no cover - a bug, not a user error
            raise AssertionError(f"the table of this block was already read ({self.file})")
        data = self.lines[offset + consumed :]
        # the data lines live on only as the table's columns: drop them here (a large
        # export would otherwise be held twice); head() still finds the header
        self.read_from = offset + consumed
        del self.lines[self.read_from :]
        first = header.line + consumed
        width = len(header.cells)
        typed = [p for p in numeric if p < width] if self.sep == "," else []
        columns = _fast_columns(data, self.sep, width, typed)
        if columns is not None:
            lines = np.arange(first, first + len(data), dtype=np.int64)
        else:
            columns, lines = self._slow_columns(data, first, width, header)
        return Table(
            file=self.file,
            header=[str(c) for c in header.cells],
            header_line=header.line,
            columns=columns,
            lines=lines,
            comments=tuple(self.comments),
            sep=self.sep,
        )

    def _slow_columns(
        self, data: list[str], first: int, width: int, header: Record
    ) -> tuple[list[pd.Series], np.ndarray]:
        rows: list[list[str]] = []
        lines: list[int] = []
        for record in _records(data, self.sep, self.file, first):
            cells = record.cells
            if len(cells) > width:
                extra = [c.strip() for c in cells[width:] if c.strip()]
                if extra and all(TOTAL.match(c) for c in extra):
                    continue  # a total row labelled in an extra field (GA4 explorations)
                if extra:
                    raise KpiXlError(
                        f"this row has {len(cells)} fields but the header (line {header.line}) "
                        f"has {width}: expected one value per column",
                        file=self.file,
                        line=record.line,
                    )
                cells = cells[:width]
            elif len(cells) < width:
                cells = cells + [""] * (width - len(cells))
            rows.append(cells)
            lines.append(record.line)
        if rows:
            columns = [pd.Series(col, dtype=TEXT) for col in zip(*rows, strict=True)]
        else:
            columns = [pd.Series([], dtype=TEXT) for _ in range(width)]
        return columns, np.array(lines, dtype=np.int64)


class LinesReader(io.RawIOBase):
    """The lines as a UTF-8 byte stream, encoded as the parser reads them (a large export
    is never held twice: no joined copy of its text)."""

    def __init__(self, lines: list[str]) -> None:
        self._lines = lines
        self._next = 0
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        while len(self._pending) < len(view) and self._next < len(self._lines):
            stop = min(self._next + 2048, len(self._lines))
            chunk = "\n".join(self._lines[self._next : stop])
            self._pending += (chunk + ("\n" if stop < len(self._lines) else "")).encode("utf-8")
            self._next = stop
        size = min(len(view), len(self._pending))
        view[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def _fast_columns(
    data: list[str], sep: str, width: int, typed: list[int]
) -> list[pd.Series] | None:
    """Columns read by pandas' C parser, or ``None`` when line numbers could not be kept
    (a quoted field spanning lines, a carriage return inside a field) or a row has more
    fields than the header (the slow path explains). ``typed`` columns are read as
    float64 if all their values allow, else everything is read as text."""
    if not data or width == 0 or any(ln.count('"') % 2 or "\r" in ln[:-1] for ln in data):
        return None
    text: dict[int, Any] = dict.fromkeys(range(width), TEXT)
    attempts = [{**text, **dict.fromkeys(typed, "float64")}] if typed else []
    for dtypes in [*attempts, text]:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                frame = pd.read_csv(
                    io.BufferedReader(LinesReader(data), 1 << 20),
                    sep=sep,
                    header=None,
                    names=range(width),
                    index_col=False,
                    dtype=dtypes,
                    keep_default_na=False,
                    na_values=[""],
                    na_filter=dtypes is not text,  # empty floats: NaN; empty texts: ""
                    skip_blank_lines=False,
                    quoting=csv.QUOTE_MINIMAL,
                    engine="c",
                    encoding="utf-8",
                )
        except Warning:  # e.g. a first row wider than the header: the slow path explains
            return None
        except (pd.errors.ParserError, ValueError, OverflowError):
            continue
        if len(frame) != len(data):
            return None
        return [
            frame[i] if frame[i].dtype.kind == "f" else frame[i].fillna("") for i in range(width)
        ]
    return None


def text_blocks(text: str, file: str) -> list[TextBlock]:
    """The blocks of a decoded text export. A line inside a quoted field (an odd number
    of quotes opened it) is never blank nor a comment."""
    lines = split_lines(text)
    del text  # the lines replace the text (the caller holds no other reference)
    sep = sniff_separator(lines, file)
    check_lines(lines, sep, file)
    blocks: list[TextBlock] = []
    comments: list[str] = []
    start: int | None = None
    quoted = False
    for i, line in enumerate([*lines, ""]):
        inside, quoted = quoted, quoted ^ bool(line.count('"') % 2)
        if inside or (i < len(lines) and not _is_blank(line, sep)):
            if start is None:
                if line.lstrip().startswith("#"):
                    comments.append(line.strip().lstrip("#").strip())
                    quoted = False
                    continue
                start = i
            continue
        if start is not None:
            blocks.append(TextBlock(file, sep, lines[start:i], start + 1, comments))
            comments, start = [], None
            if len(blocks) > limits.MAX_BLOCKS:
                raise limits.too_many_blocks(file)
    return blocks
