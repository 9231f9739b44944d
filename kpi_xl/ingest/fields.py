"""Shared by the adapters: finding columns by name, reading their values strictly, dropping
total rows, picking channels, and handing a checked canonical table back.

Header names are matched after :func:`norm` (case folded, whitespace collapsed, BOM and
non-breaking spaces removed), so ``Impr.`` matches ``impr.`` and ``Amount  spent (EUR)``
matches ``amount spent (eur)``. Every problem with a value raises
:class:`~kpi_xl.errors.KpiXlError` naming the file, the row's line and the column as the
file spells it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from kpi_xl.errors import KpiXlError
from kpi_xl.frames import TEXT
from kpi_xl.ingest import canonical, numbers
from kpi_xl.ingest.dates import DateFormat, out_of_range, parse_dates
from kpi_xl.ingest.spec import Names
from kpi_xl.ingest.table import TOTAL, Table, cell_text


def norm(name: object) -> str:
    """A header name as matched: case folded, spaces collapsed, BOM/quotes dropped."""
    text = str(name).replace("\ufeff", "").replace("\u00a0", " ").replace("\u202f", " ")
    return " ".join(text.split()).strip('"').casefold()


def header_names(cells: Iterable[str]) -> frozenset[str]:
    """The normalized names of a header record (empty cells left out)."""
    return frozenset(n for n in (norm(c) for c in cells) if n)


def text_values(values: pd.Series) -> pd.Series:
    """Cells as plain strings exactly as given (``""`` for empty); never parsed."""
    if isinstance(values.dtype, pd.StringDtype):
        return canonical.shared_strings(values.fillna("")).reset_index(drop=True)
    return values.map(cell_text).astype(object).reset_index(drop=True)


@dataclass
class Context:
    """Per-call options: ``channel_map`` with case-folded keys."""

    channel_map: Mapping[str, str] = field(default_factory=dict)

    def channels(
        self,
        source: str,
        default: str,
        raw: pd.Series | None = None,
        builtin: Mapping[str, str] | None = None,
    ) -> pd.Series | str:
        """Channel per row: ``channel_map`` by the value found in the data (``raw``),
        else ``channel_map`` by adapter name, else the built-in mapping, else ``default``."""
        fallback = self.channel_map.get(source)
        if raw is None:
            return fallback or default
        folded = raw.astype(TEXT).str.strip().str.casefold()
        known = folded.map(builtin or {}).fillna(default) if fallback is None else fallback
        mapped = folded.map(dict(self.channel_map)) if self.channel_map else None
        if mapped is None:
            return known if isinstance(known, pd.Series) else pd.Series(known, index=raw.index)
        return mapped.fillna(known).astype(object)


@dataclass
class Report:
    """What was read from one export: shown by ``kpi-xl ingest``, used for revisions."""

    file: str
    platform: str  # the rows' source, e.g. "google_ads"
    title: str  # e.g. "Google Ads"
    granularity: str = ""  # daily, weekly, monthly, hourly, whole period
    start: dt.date | None = None
    end: dt.date | None = None
    rows: int = 0
    exported_at: dt.datetime | None = None  # the export's own timestamp, when it says
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. a Search Console filter
    replaced: int = 0  # rows of older exports this one replaced (revisions)
    duplicates: int = 0  # exact repeats dropped
    currencies: tuple[str, ...] = ()  # the currencies of its money (cost, revenue...)

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "platform": self.platform,
            "granularity": self.granularity,
            "range": [str(self.start), str(self.end)] if self.start else None,
            "rows": self.rows,
        }
        for key in ("warnings", "notes"):
            if getattr(self, key):
                out[key] = list(getattr(self, key))
        for key in ("replaced", "duplicates"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        if self.currencies:
            out["currencies"] = list(self.currencies)
        if self.exported_at is not None:
            out["exported_at"] = self.exported_at.isoformat(sep=" ")
        return out


@dataclass
class Loaded:
    """A source's canonical rows with the file and line each came from."""

    frame: pd.DataFrame
    lines: np.ndarray
    files: np.ndarray  # object array of file names
    formats: tuple[str, ...] = ()  # the platforms that read it, in order
    reports: tuple[Report, ...] = ()


class Reader:
    """One table's columns, looked up by header name, read strictly."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.file = table.file
        self.index: dict[str, int] = {}
        for pos, name in enumerate(table.header):
            self.index.setdefault(norm(name), pos)

    def find(self, *aliases: str) -> int | None:
        """The position of the first alias present, else ``None``."""
        for alias in aliases:
            pos = self.index.get(alias)
            if pos is not None:
                return pos
        return None

    def find_each(self, aliases: Mapping[str, Sequence[str]]) -> dict[str, int]:
        """For each key, the position of its first alias present (keys without one are left
        out), e.g. ``{"cost": ("Cost", "Kosten")}`` -> ``{"cost": 7}``."""
        found = {key: self.find(*names) for key, names in aliases.items()}
        return {key: pos for key, pos in found.items() if pos is not None}

    def find_names(self, names: Names) -> int | None:
        """The position of the column ``names`` describes: its names first (in order),
        then its pattern."""
        found = self.find(*names.all)
        if found is None and names.pattern is not None:
            found = self.find_re(names.pattern)
        return found

    def find_re(self, pattern: str) -> int | None:
        """The first column whose normalized name fully matches ``pattern``."""
        for name, pos in sorted(self.index.items(), key=lambda item: item[1]):
            if re.fullmatch(pattern, name):
                return pos
        return None

    def require(self, label: str, *aliases: str, hint: str = "") -> int:
        pos = self.find(label.casefold(), *aliases)
        if pos is None:
            others = [a for a in aliases if a != label.casefold()]
            names = ", ".join(repr(a) for a in dict.fromkeys([label, *others]))
            raise KpiXlError(
                f"missing column {label!r}: expected a column named {names}{hint}",
                file=self.file,
                line=self.table.header_line,
                column=label,
            )
        return pos

    def name(self, pos: int) -> str:
        return str(self.table.header[pos])

    def error(self, message: str, pos: int, row: int | None) -> KpiXlError:
        """An error at data row ``row`` (``None``: the header) of column ``pos``."""
        lines = self.table.lines
        line = int(lines[row]) if row is not None and row < len(lines) else None
        if line is None:
            line = self.table.header_line
        return KpiXlError(message, file=self.file, line=line, column=self.name(pos))

    def text(self, pos: int | None) -> pd.Series:
        if pos is None:
            return pd.Series("", index=range(len(self.table)), dtype=object)
        return text_values(self.table.columns[pos])

    def joined(self, positions: Iterable[int | None]) -> pd.Series:
        """The cells of ``positions`` joined with `` / `` (empty cells left out)."""
        found = [p for p in positions if p is not None]
        if len(found) <= 1:
            return self.text(found[0] if found else None)
        parts = [self.text(p).tolist() for p in found]
        rows = zip(*parts, strict=True)
        return pd.Series([" / ".join(v for v in row if v) for row in rows], dtype=object)

    def numbers(
        self,
        positions: Mapping[str, int],
        rates: Iterable[str] = (),
        default: numbers.Decimal | None = None,
    ) -> dict[str, np.ndarray]:
        """Parse numeric columns; rate columns accept ``%`` (read as a fraction).

        The decimal mark is decided per column from its values, else from all the
        columns read together, else ``default``. Values that are not numbers, and
        negative values, are errors naming the line and column.
        """
        rate_set = set(rates)
        columns = {key: self.table.columns[pos] for key, pos in positions.items()}
        votes = {key: numbers.votes(col) for key, col in columns.items()}
        fallback = numbers.decide(
            sum(v[0] for v in votes.values()), sum(v[1] for v in votes.values())
        )
        fallback = fallback or default
        out: dict[str, np.ndarray] = {}
        for key, col in columns.items():
            pos = positions[key]
            decimal = numbers.decide(*votes[key]) or fallback
            values, bad = numbers.parse(col, decimal=decimal, percent=key in rate_set)
            if bad.any():
                row = int(np.flatnonzero(bad)[0])
                expected = numbers.EXAMPLES[decimal]
                if key in rate_set:
                    expected += " (a rate may end in %)"
                raise self.error(
                    f"{cell_text(col.iloc[row])!r} is not a number: expected {expected}", pos, row
                )
            with np.errstate(invalid="ignore"):
                negative = values < 0
            if negative.any():
                row = int(np.flatnonzero(negative)[0])
                raise self.error(
                    f"{cell_text(col.iloc[row])!r} is negative: expected {self.name(pos)} of "
                    "0 or more",
                    pos,
                    row,
                )
            out[key] = values
        return out

    def dates(self, pos: int, formats: tuple[DateFormat, ...]) -> pd.Series:
        """A date column read with the first format that reads it; every row needs one."""
        column = self.table.columns[pos]
        parsed = parse_dates(column, formats)
        bad = parsed.bad | parsed.values.isna().to_numpy()
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raw = cell_text(column.iloc[row]).strip()
            if not raw:
                message = f"the date is missing: expected a date such as {parsed.expected}"
            elif parsed.outside is not None and parsed.outside[row]:
                message = out_of_range(raw)
            elif any(re.fullmatch(f.shape, raw) for f in formats):
                message = f"{raw!r} is not a valid date: no such day (expected a calendar date)"
            else:
                message = f"{raw!r} is not a date: expected a date such as {parsed.expected}"
            raise self.error(message, pos, row)
        return parsed.values.reset_index(drop=True)

    def seconds(self, pos: int) -> np.ndarray:
        """Durations in seconds, written as a number or as ``H:MM:SS`` / ``MM:SS``."""
        text = self.text(pos).str.strip()
        clock = text.str.fullmatch(r"(?:\d+:)?\d{1,2}:\d{2}(?:\.\d+)?").to_numpy(dtype=bool)
        if not clock.any():
            return self.numbers({"d": pos})["d"]
        out = np.full(len(text), np.nan)
        for i in np.flatnonzero(clock):
            parts = [float(x) for x in str(text.iloc[i]).split(":")]
            out[i] = sum(v * 60**k for k, v in enumerate(reversed(parts)))
        if (~clock).any():
            rest = Reader(self.table.take(~clock))
            out[~clock] = rest.numbers({"d": pos})["d"]
        return out

    def one_currency(self, pos: int) -> None:
        """Costs in several currencies cannot be added up: one currency per file."""
        codes = self.text(pos).str.strip()
        present = codes[codes != ""]
        if present.nunique() > 1:
            first = present.iloc[0]
            row = int(np.flatnonzero((codes != "").to_numpy() & (codes != first).to_numpy())[0])
            raise self.error(
                f"currency {codes.iloc[row]!r} differs from {first!r} above: expected one "
                "currency per file (export each account separately)",
                pos,
                row,
            )

    def summary_rows(
        self, date: int | None, labels: Iterable[int | None], *, empty_labels: bool = True
    ) -> np.ndarray:
        """Total/summary rows: a date or label cell reading ``Total``, ``Total: Account``,
        ``Grand total``...; with ``empty_labels`` also rows whose labels are all empty
        (rows without a date either, when the table has no label column)."""
        label_pos = [p for p in labels if p is not None]
        cells = [self.text(p) for p in [date, *label_pos] if p is not None]
        total = np.zeros(len(self.table), dtype=bool)
        for text in cells:
            total |= text.str.match(TOTAL).to_numpy(dtype=bool)
        if empty_labels:
            keys = [self.text(p) for p in label_pos] or (
                [self.text(date)] if date is not None else []
            )
            if keys:
                blank = np.ones(len(self.table), dtype=bool)
                for text in keys:
                    blank &= (text.str.strip() == "").to_numpy(dtype=bool)
                total |= blank
        return total


def finish(
    reader: Reader,
    *,
    source: str | pd.Series,
    dates: pd.Series | tuple[pd.Series, pd.Series],
    channel: pd.Series | str,
    measures: Mapping[str, np.ndarray | pd.Series],
    campaign: pd.Series | None = None,
    segment: pd.Series | None = None,
    currency: pd.Series | str = "",
    labels: Mapping[str, int] | None = None,
    repeats: str = "sum",
) -> Loaded:
    """The checked canonical rows of one table. ``dates`` is each row's day, or its
    (first, last) days; ``source`` is the platform's name (or, for the canonical table,
    the values given); ``labels`` maps measures to the column they came from.

    Rows with the same key (dates and labels) and different values are a conflict and
    an error. Exact repeats are, with ``repeats="sum"``, different things the export
    cannot tell apart (two ads with the same name and the same figures): both count, as
    one row with their sum; with ``repeats="drop"`` (a canonical table, one row per key by
    definition) the repeat is dropped. :class:`Loaded`'s report counts them either way."""
    n = len(reader.table)
    empty = reader.text(None).to_numpy() if campaign is None or segment is None else None
    start, end = dates if isinstance(dates, tuple) else (dates, dates)
    columns: dict[str, Any] = {
        "date_from": start.to_numpy(),
        "date_to": end.to_numpy(),
        "channel": channel.to_numpy() if isinstance(channel, pd.Series) else channel,
        "source": source.to_numpy() if isinstance(source, pd.Series) else source,
        "campaign": empty if campaign is None else campaign.to_numpy(),
        "segment": empty if segment is None else segment.to_numpy(),
        "currency": currency.to_numpy() if isinstance(currency, pd.Series) else currency,
    }
    for name, values in measures.items():
        columns[name] = np.asarray(values, dtype="float64")
    frame = pd.DataFrame(columns, index=range(n), copy=False)
    lines = pd.Series(reader.table.lines)
    table = canonical.validate(frame, reader.file, line_of=lines)
    names = {m: reader.name(p) for m, p in (labels or {}).items()}
    if repeats == "add":  # parts of one key (an hourly report's hours of a day)
        return _added(table, reader)
    repeated = canonical.check_conflicts(table, reader.file, lines, names)
    kept = reader.table.lines
    if repeated.any():
        if repeats == "sum":
            copies = table.groupby(list(canonical.KEYS), sort=False, dropna=False)[
                "channel"
            ].transform("size")
            first = ~repeated
            scale = copies[first].to_numpy(dtype="float64")
            table = table[first].reset_index(drop=True)
            for m in canonical.measure_columns(table):
                table[m] = table[m].to_numpy() * scale
        else:
            table = table[~repeated].reset_index(drop=True)
        kept = kept[~repeated]
    report = Report(reader.file, "", "", duplicates=int(repeated.sum()))
    return Loaded(table, kept, np.full(len(kept), reader.file, dtype=object), (), (report,))


def _added(table: pd.DataFrame, reader: Reader) -> Loaded:
    """Rows of the same key added up into one (the key's first line kept)."""
    keys = list(canonical.KEYS)
    measures = canonical.measure_columns(table)
    frame = table.assign(_line=reader.table.lines)
    grouped = frame.groupby(keys, sort=False, dropna=False)
    out = grouped[measures].sum(min_count=1)
    out["currency"] = grouped["currency"].first()
    out = out.reset_index()[[*table.columns]]
    lines = grouped["_line"].min().to_numpy()
    return Loaded(out, lines, np.full(len(out), reader.file, dtype=object))
