"""Calendar dates from export columns: one format per column, checked strictly."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kpi_xl.ingest.numbers import as_text

FIRST_YEAR, LAST_YEAR = 1900, 2200


@dataclass(frozen=True)
class DateFormat:
    """A date layout: its ``strptime`` pattern, the shape it must have, and an example."""

    pattern: str
    shape: str
    example: str


ISO = DateFormat("%Y-%m-%d", r"\d{4}-\d{1,2}-\d{1,2}", "2025-03-31")
ISO_TIME = DateFormat("ISO8601", r"\d{4}-\d{2}-\d{2}[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?", "")
COMPACT = DateFormat("%Y%m%d", r"\d{8}", "20250331")
US_SLASH = DateFormat("%m/%d/%Y", r"\d{1,2}/\d{1,2}/\d{4}", "3/31/2025")
EU_SLASH = DateFormat("%d/%m/%Y", r"\d{1,2}/\d{1,2}/\d{4}", "31/03/2025")
EU_DOT = DateFormat("%d.%m.%Y", r"\d{1,2}\.\d{1,2}\.\d{4}", "31.03.2025")
MAILCHIMP = DateFormat(
    "%b %d, %Y %I:%M %p", r"[A-Za-z]{3} \d{1,2}, \d{4} \d{1,2}:\d{2} [AaPp][Mm]", ""
)
MONTH_NAME = DateFormat("%b %d, %Y", r"[A-Za-z]{3} \d{1,2}, \d{4}", "Mar 31, 2025")


@dataclass
class ParsedDates:
    """Parsed dates (midnight, ``datetime64[ns]``) and the positions that failed."""

    values: pd.Series
    bad: np.ndarray
    expected: str
    #: the bad positions that are real dates outside FIRST_YEAR to LAST_YEAR (9999-12-31)
    outside: np.ndarray | None = None


def _python_dates(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Split an object column into native date cells and the rest as text."""
    flags = [isinstance(v, dt.date) and v == v for v in values.tolist()]
    native = pd.Series(np.array(flags, dtype=bool), index=values.index)
    as_int = values.map(
        lambda v: str(int(v)) if isinstance(v, int | float) and float(v).is_integer() else v,
        na_action="ignore",
    )
    return native, as_int.where(~native)


def parse_dates(values: pd.Series, formats: tuple[DateFormat, ...]) -> ParsedDates:
    """Parse a column with the first of ``formats`` that reads all of its values.

    When none reads them all, the one reading most is used and the rest are bad: a
    value of no accepted shape, a day that does not exist (``2025-02-30``) or a year
    outside 1900-2200. Missing values give NaT and are not bad. Spreadsheet date cells
    are taken as they are; numeric cells are read as their digits (GA4's ``20250331``).
    """
    expected = " or ".join(f.example for f in formats if f.example)
    if values.dtype.kind == "M":
        if getattr(values.dt, "tz", None) is not None:  # the local calendar day
            values = values.dt.tz_localize(None)
        out = pd.Series(values.to_numpy(), index=values.index)
        return _finish(out, np.zeros(len(out), dtype=bool), expected)
    native = pd.Series(False, index=values.index)
    text_values = values
    if values.dtype == object:
        native, text_values = _python_dates(values)
    text = as_text(text_values).str.strip()
    wanted = int((text != "").sum())
    best: tuple[int, pd.Series] | None = None
    for fmt in formats:
        parsed = _try(text, fmt)
        fits = int(parsed.notna().sum())
        if best is None or fits > best[0]:
            best = (fits, parsed)
        if fits == wanted:
            break
    assert best is not None
    out = best[1]
    if native.any():
        cells = values[native].map(lambda v: pd.Timestamp(v).as_unit("us"))
        out = out.astype("datetime64[us]")
        out[native] = cells.to_numpy(dtype="datetime64[us]")
    bad = (text != "").to_numpy() & out.isna().to_numpy()
    return _finish(out, bad, expected)


def _try(text: pd.Series, fmt: DateFormat) -> pd.Series:
    """``text`` read with ``fmt`` (``datetime64[us]``), NaT where it does not fit."""
    shaped = text.str.fullmatch(fmt.shape).to_numpy(dtype=bool)
    if not shaped.any():
        return pd.Series(pd.NaT, index=text.index, dtype="datetime64[us]")
    candidates = text.where(shaped, None)
    if fmt is ISO_TIME:  # the calendar day as written: drop any UTC offset
        candidates = candidates.str.replace(r"(?:Z|[+-]\d{2}:?\d{2})$", "", regex=True)
    try:
        parsed = pd.to_datetime(candidates, format=fmt.pattern, errors="coerce")
    except (ValueError, OverflowError):  # pragma: no cover - coerce handles known cases
        return pd.Series(pd.NaT, index=text.index, dtype="datetime64[us]")
    return parsed.astype("datetime64[us]")


def _finish(out: pd.Series, bad: np.ndarray, expected: str) -> ParsedDates:
    out = out.astype("datetime64[us]")
    years = out.dt.year.to_numpy(dtype="float64", na_value=np.nan)
    with np.errstate(invalid="ignore"):
        outside = (years < FIRST_YEAR) | (years > LAST_YEAR)
    out = out.mask(outside).dt.normalize().astype("datetime64[ns]")
    return ParsedDates(out, bad | outside, expected, outside)


def out_of_range(raw: str) -> str:
    """The message for a date outside the years kpi_xl plans."""
    return (
        f"{raw!r} is outside the dates kpi_xl plans ({FIRST_YEAR} to {LAST_YEAR}): correct "
        "the date, or leave the row out (a placeholder such as 9999-12-31 is no day of a plan)"
    )
