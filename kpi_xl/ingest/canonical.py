"""The canonical long table every export is reduced to.

Columns::

    date_from, date_to, channel, source, campaign, segment, currency, <measures...>

Every adapter's output, and every DataFrame a user passes, goes through :func:`validate`,
which checks and normalizes it:

* ``date_from``, ``date_to`` - the calendar days (inclusive) the row covers
  (``datetime64[ns]``, time of day dropped): equal for a daily row; a report downloaded
  for "last month" without a date dimension gives one row per campaign covering the
  month. A frame with a single ``date`` column holds daily rows (both equal to it);
* ``channel`` - one of :data:`kpi_xl.vocabulary.CHANNELS`, or ``all`` for figures that are
  not split by channel (a site or store total), which only the overall plan reads;
* ``source`` - the platform the row comes from (``ga4``, ``google_ads``...);
* ``campaign``, ``segment`` - plain strings exactly as given (``""`` when absent), never
  parsed, never turned into formulas; at most :data:`~kpi_xl.ingest.limits.MAX_CELL_CHARS`
  characters (an Excel cell's limit), like ``source`` and ``currency``;
* ``currency`` - the ISO code of the row's money (cost, revenue, values), ``""`` when the
  source does not say;
* measures - named as in the catalog, ``float64``; NaN means "not reported". Costs,
  impressions and every other base measure must not be negative nor beyond
  :data:`~kpi_xl.ingest.limits.MAX_VALUE`, and no row may break a
  relation of ``kpi_xl/catalog/relations.yaml`` (a part above its whole, such as more
  bounces than sessions, beyond :data:`RELATION_SLACK`): most often a rate read in the
  wrong unit.

Unknown columns are an error (a typo in a measure name must not vanish silently).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from kpi_xl.catalog.records import measures
from kpi_xl.catalog.relations import relations
from kpi_xl.errors import KpiXlError
from kpi_xl.frames import TEXT
from kpi_xl.ingest.dates import FIRST_YEAR, LAST_YEAR, out_of_range
from kpi_xl.ingest.limits import MAX_CELL_CHARS, MAX_VALUE
from kpi_xl.vocabulary import CHANNELS, nearest

#: Rows not split by channel (a site or store total): only the overall plan reads them.
ALL_CHANNELS = "all"
CHANNEL_VALUES = (*CHANNELS, ALL_CHANNELS)
DATES = ("date_from", "date_to")
DIMENSIONS = ("channel", "source", "campaign", "segment")
TEXT_COLUMNS = ("source", "campaign", "segment", "currency")
COLUMNS = (*DATES, *DIMENSIONS, "currency")
#: The columns that make a row's key: one row per key and source file.
KEYS = (*DATES, *DIMENSIONS)
# The first data row of a file with a header line is line 2.
HEADER_LINES = 1
#: How far a part may exceed its whole before the row is refused: half a unit, the
#: rounding of a count derived from a rate (bounces = bounce rate x sessions).
RELATION_SLACK = 0.5


def with_ranges(frame: pd.DataFrame) -> pd.DataFrame:
    """A table with one ``date`` per row (daily rows) as one with ``date_from`` and
    ``date_to``; any other table as it is."""
    if "date" in frame.columns and not {"date_from", "date_to"} & set(frame.columns):
        days = frame["date"]
        return frame.drop(columns=["date"]).assign(date_from=days, date_to=days)
    return frame


def measure_columns(frame: pd.DataFrame) -> list[str]:
    """The base-measure columns of ``frame``, in catalog order."""
    return [m for m in measures() if m in frame.columns]


def _line(position: int, line_of: pd.Series | None) -> int:
    if line_of is not None:
        return int(line_of.iloc[position])
    return position + HEADER_LINES + 1


def validate(
    frame: pd.DataFrame,
    file: str,
    *,
    source: str | None = None,
    line_of: pd.Series | None = None,
) -> pd.DataFrame:
    """``frame`` as a checked canonical table, or :class:`KpiXlError` naming the problem.

    ``line_of`` gives each row's line number in the original file (for messages);
    without it rows are numbered as in a CSV with one header line. ``source`` fills the
    ``source`` column when the frame has none.
    """
    frame = frame.reset_index(drop=True)
    if line_of is not None:
        line_of = line_of.reset_index(drop=True)
    catalog = measures()
    allowed = {"date", *COLUMNS, *catalog}
    unknown = [c for c in frame.columns if c not in allowed]
    if unknown:
        raise KpiXlError(
            f"unknown column {unknown[0]!r}{nearest(str(unknown[0]), allowed)}: expected date "
            "(or date_from and date_to), "
            f"{', '.join(DIMENSIONS)}, currency or a base measure of the catalog "
            "(see `kpi-xl kpis` and docs/ingest.md)",
            file=file,
            column=str(unknown[0]),
        )
    date_from, date_to = _date_columns(frame, file)
    if "channel" not in frame.columns:
        raise KpiXlError("missing required column 'channel'", file=file, column="channel")
    start = _dates(frame[date_from], date_from, file, line_of)
    end = start if date_to == date_from else _dates(frame[date_to], date_to, file, line_of)
    backwards = (end < start).to_numpy()
    if backwards.any():
        pos = int(np.flatnonzero(backwards)[0])
        raise KpiXlError(
            f"the row ends ({end.iloc[pos]:%Y-%m-%d}) before it starts "
            f"({start.iloc[pos]:%Y-%m-%d}): expected date_from on or before date_to",
            file=file,
            line=_line(pos, line_of),
            column="date_to",
        )
    columns: dict[str, pd.Series | str] = {
        "date_from": start,
        "date_to": end,
        "channel": _channels(frame["channel"], file, line_of),
    }
    for col in TEXT_COLUMNS:
        if col in frame.columns:
            text = _text(frame[col])
            _check_length(text, col, file, line_of)
            columns[col] = text
        else:
            columns[col] = source if col == "source" and source else ""
    if isinstance(columns["currency"], pd.Series):
        columns["currency"] = shared_strings(columns["currency"].str.strip().str.upper())
    for m in measure_columns(frame):
        columns[m] = _numbers(frame[m], m, file, line_of)
    _check_relations(columns, file, line_of)
    return pd.DataFrame(columns, index=frame.index, copy=False)


def _check_relations(
    columns: Mapping[str, pd.Series | str], file: str, line_of: pd.Series | None
) -> None:
    """Refuse the first row where a part exceeds its whole (both reported)."""
    for relation in relations():
        part, whole = columns.get(relation.part), columns.get(relation.whole)
        if not isinstance(part, pd.Series) or not isinstance(whole, pd.Series):
            continue
        a, b = part.to_numpy(dtype="float64"), whole.to_numpy(dtype="float64")
        with np.errstate(invalid="ignore"):
            broken = a > b + RELATION_SLACK  # NaN (not reported) compares false
        if broken.any():
            pos = int(np.flatnonzero(broken)[0])
            p, w = relation.part, relation.whole
            raise KpiXlError(
                f"{p} ({_shown(a[pos])}) exceed {w} ({_shown(b[pos])}) on the same row: a "
                f"rate read in the wrong unit? expected {p} <= {w}",
                file=file,
                line=_line(pos, line_of),
                column=p,
            )


def _shown(value: float) -> str:
    """A measure's value in a message: whole numbers without ``.0``."""
    if value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return format(value, ".15g")


def _date_columns(frame: pd.DataFrame, file: str) -> tuple[str, str]:
    """The columns holding each row's first and last day."""
    if "date_from" in frame.columns or "date_to" in frame.columns:
        for required in DATES:
            if required not in frame.columns:
                raise KpiXlError(
                    f"missing column {required!r}: a row's range needs both date_from and "
                    "date_to (or one 'date' column for daily rows)",
                    file=file,
                    column=required,
                )
        return DATES
    if "date" not in frame.columns:
        raise KpiXlError(
            "missing required column 'date' (or date_from and date_to)", file=file, column="date"
        )
    return "date", "date"


def _text(values: pd.Series) -> pd.Series:
    """Plain strings (object dtype), ``""`` for missing; strings already are kept."""
    if values.dtype == object and pd.api.types.infer_dtype(values, skipna=False) == "string":
        return values
    return shared_strings(values.astype(TEXT).where(values.notna(), ""))


def _check_length(text: pd.Series, name: str, file: str, line_of: pd.Series | None) -> None:
    """Refuse a text longer than an Excel cell holds: written to a workbook it would be cut
    (and two campaigns differing after the cut would become one)."""
    values = text.to_numpy()
    if max(map(len, values), default=0) <= MAX_CELL_CHARS:
        return
    pos = next(i for i, v in enumerate(values) if len(v) > MAX_CELL_CHARS)
    raise KpiXlError(
        f"the {name} is {len(values[pos]):,} characters long ({values[pos][:20]!r}...): an "
        f"Excel cell holds at most {MAX_CELL_CHARS:,}; expected a shorter name",
        file=file,
        line=_line(pos, line_of),
        column=name,
    )


#: Text a spreadsheet would read as a formula (OWASP "CSV injection"): starting with
#: ``=``, ``+``, ``-``, ``@``, a tab or a carriage return, after any apostrophes.
_FORMULA_LIKE = re.compile(r"'*[=+\-@\t\r]")


def _mapped(text: pd.Series, change: re.Pattern[str], edit: str) -> pd.Series:
    codes, uniques = pd.factorize(text, use_na_sentinel=True)
    if not any(isinstance(u, str) and change.match(u) for u in uniques):
        return text
    fixed = [
        (("'" + u) if edit == "escape" else u[1:]) if isinstance(u, str) and change.match(u)
        else u
        for u in uniques
    ]  # fmt: skip
    out = np.array([*fixed, ""], dtype=object)[codes]
    return pd.Series(out, index=text.index).where(text.notna(), text)


def escape_formulas(text: pd.Series) -> pd.Series:
    """Text cells a spreadsheet would run as formulas, made plain text: a ``'`` before
    ``=cmd|...``, ``+``, ``-``, ``@``, a tab or a carriage return (also before a text that
    already starts with ``'`` and one of those, so that :func:`unescape_formulas` gives
    back exactly what was written)."""
    return _mapped(text, _FORMULA_LIKE, "escape")


#: A text :func:`escape_formulas` escaped (matched at its start).
ESCAPED = re.compile(r"''*[=+\-@\t\r]")


def unescape_formulas(text: pd.Series) -> pd.Series:
    """The text :func:`escape_formulas` escaped, as it was (one leading ``'`` removed
    where it escapes a formula character, as a spreadsheet shows such a cell)."""
    return _mapped(text, ESCAPED, "unescape")


def shared_strings(text: pd.Series) -> pd.Series:
    """``text`` as an object column whose equal values share one ``str`` object.

    Channels, sources and campaigns repeat on every day: built from the distinct values,
    a million rows cost a pointer each instead of a string object each."""
    codes, uniques = pd.factorize(text, use_na_sentinel=True)
    strings = np.array([*(str(u) for u in uniques), ""], dtype=object)  # code -1: ""
    return pd.Series(strings[codes], index=text.index)


def _dates(values: pd.Series, name: str, file: str, line_of: pd.Series | None) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        parsed = values
        if parsed.dt.tz is not None:
            parsed = parsed.dt.tz_localize(None)
    else:
        parsed = pd.to_datetime(values, errors="coerce", format="ISO8601")
    bad = parsed.isna() | (parsed.dt.year < FIRST_YEAR) | (parsed.dt.year > LAST_YEAR)
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raw = values.iloc[pos]
        text = raw.date().isoformat() if isinstance(raw, pd.Timestamp) else str(raw)
        message = (
            out_of_range(text)
            if not pd.isna(parsed.iloc[pos])
            else f"{text!r} is not a date: expected a calendar date such as 2026-03-31"
        )
        raise KpiXlError(message, file=file, line=_line(pos, line_of), column=name)
    normalized: pd.Series = parsed.dt.normalize().astype("datetime64[ns]")
    return normalized


def _channels(values: pd.Series, file: str, line_of: pd.Series | None) -> pd.Series:
    text = values.astype(TEXT).str.strip().str.lower().where(values.notna(), "")
    bad = ~text.isin(CHANNEL_VALUES)
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise KpiXlError(
            f"unknown channel {values.iloc[pos]!r}{nearest(str(values.iloc[pos]), CHANNELS)}: "
            f"expected one of {', '.join(CHANNELS)} "
            f"(or {ALL_CHANNELS} for a total not split by channel)",
            file=file,
            line=_line(pos, line_of),
            column="channel",
        )
    return shared_strings(text)


def _numbers(values: pd.Series, name: str, file: str, line_of: pd.Series | None) -> pd.Series:
    if values.dtype.kind == "f":
        numbers = values.astype("float64")
        bad: pd.Series = pd.Series(np.isinf(numbers.to_numpy()), index=values.index)
    else:
        numbers = pd.to_numeric(values, errors="coerce").astype("float64")
        unread = numbers.isna() & values.notna()
        if unread.any():
            unread[unread] = values[unread].astype(TEXT).str.strip() != ""
        bad = unread | np.isinf(numbers)
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise KpiXlError(
            f"{values.iloc[pos]!r} is not a number: expected a number such as 1234.5",
            file=file,
            line=_line(pos, line_of),
            column=name,
        )
    negative = numbers < 0
    if negative.any():
        pos = int(np.flatnonzero(negative.to_numpy())[0])
        raise KpiXlError(
            f"{values.iloc[pos]!r} is negative: expected {name} of 0 or more",
            file=file,
            line=_line(pos, line_of),
            column=name,
        )
    huge = numbers > MAX_VALUE
    if huge.any():
        pos = int(np.flatnonzero(huge.to_numpy())[0])
        raise KpiXlError(
            f"{numbers.iloc[pos]:.6g} is too large: expected {name} of at most {MAX_VALUE:.0e} "
            "(no export holds a larger figure; a damaged file?)",
            file=file,
            line=_line(pos, line_of),
            column=name,
        )
    return numbers


def check_conflicts(
    frame: pd.DataFrame,
    file: str,
    line_of: pd.Series | None = None,
    names: Mapping[str, str] | None = None,
    files: np.ndarray | None = None,
) -> np.ndarray:
    """Duplicate rows for one key (date range, channel, source, campaign, segment) must
    agree.

    Rows of the same key with different values are a conflict (which one is right?) and
    raise; exact repeats are harmless: the mask returned marks those after the first, for
    the caller to drop. ``names`` gives the file's own name of a measure's column, for the
    message; ``files`` the file of each row when the rows come from several files.
    """
    keys = list(KEYS)
    dup = frame.duplicated(keys, keep=False).to_numpy()
    repeats = np.zeros(len(frame), dtype=bool)
    if not dup.any():
        return repeats
    subset = frame[dup]
    differing = subset.groupby(keys, sort=False, dropna=False).nunique(dropna=False)
    conflict = differing[(differing > 1).any(axis=1)]
    if conflict.empty:
        repeats[dup] = subset.duplicated(keep="first").to_numpy()
        return repeats
    key = conflict.index[0]
    column = str(conflict.columns[(conflict.iloc[0] > 1).to_numpy()][0])
    column = (names or {}).get(column, column)
    match = (subset[keys] == pd.Series(key, index=keys)).all(axis=1)
    positions = [int(p) for p in np.flatnonzero(dup)[match.to_numpy()][:2]]
    lines = [_line(p, line_of) for p in positions]
    where = [f"line {n}" for n in lines]
    if files is not None:
        file = str(files[positions[1]])
        if files[positions[0]] != files[positions[1]]:
            where = [f"{files[p]} line {n}" for p, n in zip(positions, lines, strict=True)]
    raise KpiXlError(
        f"rows at {where[0]} and {where[1]} have the same dates, channel, source, campaign "
        f"and segment but different {column} values: expected one row per key",
        file=file,
        line=lines[1],
        column=column,
    )
