"""One number parser for every export: thousands separators, decimal commas, percent signs.

Accepted forms (after trimming, currency symbols ``€ $ £ ¥`` removed):

* ``1234.5``, ``1,234.5``, ``1e-05`` (decimal point; ``,`` groups thousands);
* ``1234,5``, ``1.234,5`` (decimal comma; ``.`` groups thousands);
* ``1 234,5`` with a space, a non-breaking space (U+00A0), a narrow or thin space
  (U+202F, U+2009) or an apostrophe (``1'234.5``) grouping thousands;
* a trailing percent sign, with or without a space before it (``4.95%``, ``62,5 %``),
  allowed only in rate columns, where it turns the value into a fraction;
* a leading ``-``, ``+`` or ``−`` (U+2212);
* ``""``, ``--``, ``-``, ``—``, ``n/a``, ``NaN``, ``null`` mean "not reported" (NaN);
  so do Google Ads' bounded shares ``< 10%`` and ``> 90%`` in rate columns.

Which separator is the decimal mark is decided per column from values only one reading
fits (``12,50`` or ``0,452`` say comma; ``1,234.50`` or ``0.5`` say point), else per
file from its other numeric columns. With no evidence at all every value is an integer
or a 3-digit group (``1,234``, ``1.234``), read as thousands either way. A value that
does not fit the chosen reading is an error, never silently re-read.

Rate columns (a platform's ``rates``: shares of a whole such as GA4's ``Bounce rate``)
are read as fractions by :func:`rate_fractions`, one column of one file at a time:

* ``45.5%`` is 0.455 and ``0.455`` stays 0.455, as everywhere;
* a value without a ``%`` sign that is above 1 proves the column is written in percent:
  a fraction can never exceed 1, while a percent column may hold 0.5 (0.5 %) beside 45.
  So when every value is within 0..100 and at least one value written without ``%`` is
  above 1, the values written without ``%`` are percentages and are divided by 100 (the
  reader says so in the file's report warnings). That reading is unambiguous: no value
  of the column can be a fraction. When every value is 1 or less, the column could be
  fractions (``0.455``) or percentages all at most 1 % (``0.5`` = 0.5 %): it is read as
  fractions, the way every platform kpi_xl knows writes a rate without ``%``;
* a negative value, a value without ``%`` above 100, or a percentage above 100 % cannot
  be a share in either unit: an error naming the line, the column and the value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from kpi_xl.frames import TEXT

try:  # optional (the parquet extra): a faster exact string-to-double cast
    import pyarrow as pa
    import pyarrow.compute as pc
except ImportError:  # pragma: no cover - the test suite runs with every extra
    pa = None

Decimal = Literal[".", ","]

NA_TOKENS = frozenset({"", "--", "-", "—", "–", "n/a", "na", "nan", "null", "none", "(not set)"})

_G = r"[1-9]\d{0,2}"
_EXP = r"(?:[eE][-+]?\d+)?"
_SPACED = rf"{_G}(?:_\d{{3}})+"
DOT = rf"[-+]?(?:(?:\d+|{_G}(?:,\d{{3}})+|{_SPACED})(?:\.\d*)?|\.\d+){_EXP}"
COMMA = rf"[-+]?(?:(?:\d+|{_G}(?:\.\d{{3}})+|{_SPACED})(?:,\d*)?|,\d+)"
GROUPED = rf"[-+]?(?:\d+|{_G}(?:,\d{{3}})+|{_G}(?:\.\d{{3}})+|{_SPACED})"
_GRAMMAR = {".": DOT, ",": COMMA, None: GROUPED}
_REMOVE = {".": r"[,_]", ",": r"[._]", None: r"[.,_]"}

EXAMPLES = {
    ".": "a number such as 1234.5 or 1,234.5",
    ",": "a number with a decimal comma such as 1234,5 or 1.234,5",
    None: "a whole number such as 1234 or 1,234",
}


SIMPLE_INT = r"[-+]?\d+"
SIMPLE_DOT = rf"[-+]?(?:\d+\.?\d*|\.\d+){_EXP}"
AMBIGUOUS_DOT = rf"[-+]?{_G}\.\d{{3}}"


def as_text(values: pd.Series) -> pd.Series:
    """``values`` as a ``str`` Series (missing values become ``""``)."""
    if isinstance(values.dtype, pd.StringDtype):
        return values.fillna("")
    return values.astype(TEXT).where(values.notna(), "")


def clean(text: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Trimmed core of each value, and masks of "missing" values and percent values."""
    t = text.str.strip()
    folded = t.str.casefold()
    missing = folded.isin(NA_TOKENS) | t.str.fullmatch(r"[<>]\s*[\d.,]+\s*%")
    percent = t.str.endswith("%")
    core = t.str.replace(r"\s*%$", "", regex=True)
    core = core.str.replace(r"^[€$£¥]\s*|\s*[€$£¥]$", "", regex=True).str.replace("−", "-")
    core = core.str.replace(r"(?<=\d)[ \u00a0\u202f\u2009'’](?=\d{3})", "_", regex=True)
    return core, missing, percent


def votes(values: pd.Series) -> tuple[int, int]:
    """How many values only a decimal point, or only a decimal comma, can read.

    Plain numbers (``12``, ``0.5``, ``1e-05``) are counted with fast patterns; only
    the other values go through the full grammar.
    """
    if values.dtype.kind in "biufcmM":
        return 0, 0
    text = as_text(values).str.strip()
    simple = text.str.fullmatch(SIMPLE_DOT)
    dotted = text[simple & text.str.contains(r"[.eE]")]
    point = int((~dotted.str.fullmatch(AMBIGUOUS_DOT)).sum()) if len(dotted) else 0
    rest = text[~simple & (text != "")]
    if rest.empty:
        return point, 0
    core, missing, _ = clean(rest)
    core = core[~missing]
    dot, comma = core.str.fullmatch(DOT), core.str.fullmatch(COMMA)
    return point + int((dot & ~comma).sum()), int((comma & ~dot).sum())


def is_numeric_column(values: pd.Series) -> bool:
    """True when every value of a text column reads as a number under some decimal mark."""
    if values.dtype.kind in "biufc":
        return True
    if values.dtype.kind in "mM":
        return False
    text = as_text(values).str.strip()
    rest = text[~text.str.fullmatch(SIMPLE_DOT) & (text != "")]
    if rest.empty:
        return True
    core, missing, _ = clean(rest)
    core = core[~missing]
    return bool((core.str.fullmatch(DOT) | core.str.fullmatch(COMMA)).all())


def decide(point_votes: int, comma_votes: int) -> Decimal | None:
    """The decimal mark the votes point to; ``None`` when there are none."""
    if point_votes == comma_votes == 0:
        return None
    return "." if point_votes >= comma_votes else ","


def parse(
    values: pd.Series, *, decimal: Decimal | None, percent: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Parse text numbers; returns ``(floats, bad)`` where ``bad`` marks non-numbers.

    Missing values give NaN and are not bad. With ``percent`` a value ending in ``%`` is
    divided by 100; without it such a value is bad. Infinite results are bad. Numbers
    that are already numbers (typed columns, spreadsheet cells) are taken as they are.
    """
    if values.dtype.kind in "iuf":
        out = values.to_numpy(dtype="float64", na_value=np.nan)
        if not out.flags.writeable:  # a read-only view of the column's memory
            out = out.copy()
        return out, np.isinf(out)
    if values.dtype == object:
        flags = [_is_number(v) and v == v for v in values.tolist()]
        native = pd.Series(np.array(flags, dtype=bool), index=values.index)
        if native.any():
            out, bad = parse(values.where(~native), decimal=decimal, percent=percent)
            typed = pd.to_numeric(values[native]).to_numpy(dtype="float64")
            out[native.to_numpy()] = typed
            bad[native.to_numpy()] = ~np.isfinite(typed)
            return out, bad
    text = as_text(values).str.strip()
    simple = text.str.fullmatch(SIMPLE_DOT if decimal == "." else SIMPLE_INT)
    out = _to_float(text.where(simple, ""))
    bad = np.zeros(len(text), dtype=bool)
    rest = ~simple & (text != "")
    if rest.any():
        where = rest.to_numpy(dtype=bool)
        out[where], bad[where] = _parse_formatted(text[rest], decimal, percent)
    with np.errstate(invalid="ignore"):
        bad |= np.isinf(out)
    return out, bad


def _to_float(text: pd.Series) -> np.ndarray:
    """Plain numbers (``""`` -> NaN): Arrow's exact string-to-double cast when pyarrow is
    installed (several times faster), else :func:`pandas.to_numeric`."""
    if pa is not None:
        try:
            strings = pa.array(text, type=pa.string(), from_pandas=True)
            strings = pc.if_else(pc.equal(strings, ""), pa.scalar(None, pa.string()), strings)
            return np.array(pc.cast(strings, pa.float64()).to_numpy(zero_copy_only=False))
        except (pa.ArrowException, TypeError, ValueError):
            pass
    numbers = pd.to_numeric(text.replace("", None), errors="coerce")
    return np.array(numbers.to_numpy(dtype="float64", na_value=np.nan))


def _parse_formatted(
    text: pd.Series, decimal: Decimal | None, percent: bool
) -> tuple[np.ndarray, np.ndarray]:
    """The slow path: separators, percent signs, currency symbols, missing markers."""
    core, missing, pct = clean(text)
    grammar_ok = core.str.fullmatch(_GRAMMAR[decimal])
    plain = core.str.replace(_REMOVE[decimal], "", regex=True)
    if decimal == ",":
        plain = plain.str.replace(",", ".")
    out = _to_float(plain.where(grammar_ok & ~missing, ""))
    pct_arr = pct.to_numpy(dtype=bool)
    if percent:
        out = np.where(pct_arr, out / 100.0, out)
    miss = missing.to_numpy(dtype=bool)
    bad = ~miss & (np.isnan(out) | (pct_arr & (not percent)))
    return out, bad


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_
    )


def parse_value(value: object, *, percent: bool = True, default: Decimal | None = None) -> float:
    """One typed or text value (a target typed into a cell, a targets file's field), read by
    the same rules as an export column: ``1.234,5``, ``1 234``, ``12 %``... NaN for a blank;
    ``ValueError`` for text that is not a number. ``default`` is the decimal mark of a
    value only either mark reads (``1,234``, ``1.234``), e.g. the one its file's other
    values show; without it such a value is read as thousands."""
    if value is None:
        return float("nan")
    if _is_number(value):
        return float(value)  # type: ignore[arg-type]
    values = pd.Series([str(value)], dtype=object)
    point, comma = votes(values)
    out, bad = parse(values, decimal=decide(point, comma) or default, percent=percent)
    if bad[0]:
        raise ValueError(f"{value!r} is not a number")
    return float(out[0])


#: What a rate column's message says is expected.
RATE_EXAMPLE = "a rate such as 0.455 or 45.5%"


@dataclass(frozen=True)
class Rates:
    """A rate column read as fractions (see the module docstring).

    ``bad`` is the first row whose value is no share in either unit (negative, above 100
    without ``%``, above 100 % with it) and ``problem`` says which (else ``None`` and ``""``);
    ``percent`` is true when the values written without ``%`` were read as percentages
    (divided by 100), ``example`` then the row of the first such value above 1."""

    values: np.ndarray
    percent: bool = False
    example: int | None = None
    bad: int | None = None
    problem: str = ""


def rate_fractions(values: pd.Series, parsed: np.ndarray) -> Rates:
    """The fractions of a rate column: ``values`` as in the file, ``parsed`` as
    :func:`parse` read them with ``percent=True`` (values ending in ``%`` already divided
    by 100; NaN for missing values)."""
    parsed = np.asarray(parsed, dtype="float64")
    if values.dtype.kind in "iufb":
        signed = np.zeros(len(parsed), dtype=bool)
    else:
        signed = as_text(values).str.strip().str.endswith("%").to_numpy(dtype=bool)
    with np.errstate(invalid="ignore"):
        bare = ~signed & ~np.isnan(parsed)
        negative = parsed < 0
        above = (bare & (parsed > 100)) | (signed & (parsed > 1))
        over_one = bare & (parsed > 1)
    wrong = negative | above
    if wrong.any():
        row = int(np.flatnonzero(wrong)[0])
        problem = "is negative" if negative[row] else "is above 100 %"
        return Rates(parsed, bad=row, problem=problem)
    if not over_one.any():
        return Rates(parsed)
    first = int(np.flatnonzero(over_one)[0])
    return Rates(np.where(bare, parsed / 100.0, parsed), percent=True, example=first)
