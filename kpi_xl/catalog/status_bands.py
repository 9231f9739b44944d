"""Status: the bands of attainment, declared once, and everything derived from them.

A status is decided by attainment against two thresholds (Settings cells in the
workbook, ``thresholds`` in a plan template):

* ``on_track`` - attainment at or above the on-track threshold (default 1.0);
* ``at_risk`` - at or above the at-risk threshold (default 0.9), below on-track;
* ``off_track`` - below the at-risk threshold;
* ``no_data`` - no attainment (no actual, or no usable target).

From :data:`BANDS` come the Python function (:func:`status`), the Excel formula giving
the status text (:func:`status_formula`), the conditional-format criteria of the fills
(:func:`band_criteria`), the COUNTIFS of status counts (:func:`count_formula`) and the
icon set's thresholds (:func:`icon_thresholds`), so the fill, the icon, the count and the
word can never disagree, whatever thresholds the user types on Settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from kpi_xl.catalog.records import label

Status = Literal["on_track", "at_risk", "off_track", "no_data"]
STATUSES: tuple[str, ...] = ("on_track", "at_risk", "off_track", "no_data")


@dataclass(frozen=True)
class Thresholds:
    """Attainment thresholds: on-track at or above ``on_track``, at-risk at or above
    ``at_risk``."""

    on_track: float = 1.0
    at_risk: float = 0.9

    def __post_init__(self) -> None:
        if self.on_track < self.at_risk:
            raise ValueError("the on-track threshold must not be below the at-risk threshold")


DEFAULT_THRESHOLDS = Thresholds()
DEFAULT_ON_TRACK = DEFAULT_THRESHOLDS.on_track
DEFAULT_AT_RISK = DEFAULT_THRESHOLDS.at_risk


@dataclass(frozen=True)
class Band:
    """Attainment from ``low`` (inclusive) to ``high`` (exclusive); a side without a
    threshold is open. Thresholds are named by their :class:`Thresholds` field."""

    code: Status
    low: str | None
    high: str | None


#: The bands in the order they are tested; attainment outside every band is ``no_data``.
BANDS = (
    Band("on_track", "on_track", None),
    Band("at_risk", "at_risk", "on_track"),
    Band("off_track", None, "at_risk"),
)


def _arr(value: Any) -> Any:
    if isinstance(value, pd.Series):
        return value.astype("float64")
    return np.asarray(value, dtype="float64")


def status(
    attainment_value: Any,
    on_track: float = DEFAULT_ON_TRACK,
    at_risk: float = DEFAULT_AT_RISK,
) -> Any:
    """Status code(s) from attainment: on_track / at_risk / off_track / no_data."""
    limits = {"on_track": Thresholds(on_track, at_risk).on_track, "at_risk": at_risk}
    values = np.asarray(_arr(attainment_value), dtype="float64")
    conditions = [np.isnan(values)]
    with np.errstate(invalid="ignore"):
        for band in BANDS:
            inside = np.ones(values.shape, dtype=bool)
            if band.low is not None:
                inside &= values >= limits[band.low]
            if band.high is not None:
                inside &= values < limits[band.high]
            conditions.append(inside)
    codes = np.select(conditions, ["no_data", *(b.code for b in BANDS)], default="no_data")
    if isinstance(attainment_value, pd.Series):
        return pd.Series(codes, index=attainment_value.index, dtype=object)
    return str(codes) if codes.ndim == 0 else codes.astype(object)


def status_label(code: str, lang: str = "en") -> str:
    """The localized label of a status code."""
    if code not in STATUSES:
        raise ValueError(f"unknown status {code!r}; expected one of {', '.join(STATUSES)}")
    return label(f"status_{code}", lang)


def _bounds(band: Band, value: str, refs: dict[str, str]) -> list[str]:
    parts = []
    if band.low is not None:
        parts.append(f"{value}>={refs[band.low]}")
    if band.high is not None:
        parts.append(f"{value}<{refs[band.high]}")
    return parts


def status_formula(attainment_ref: str, on_track: str, at_risk: str, lang: str = "en") -> str:
    """Excel formula for :func:`status`, giving the localized label as text.

    ``on_track`` and ``at_risk`` are references (defined names) of the thresholds."""
    refs = {"on_track": on_track, "at_risk": at_risk}

    def text(code: str) -> str:
        return '"' + status_label(code, lang).replace('"', '""') + '"'

    # the bands are tested in order, so each test needs only the band's lower bound
    formula = text(BANDS[-1].code)
    for band in reversed(BANDS[:-1]):
        assert band.low is not None
        formula = f"IF({attainment_ref}>={refs[band.low]},{text(band.code)},{formula})"
    return f'IF({attainment_ref}="",{text("no_data")},{formula})'


def band_criteria(code: str, cell: str, on_track: str, at_risk: str) -> str:
    """Conditional-format criteria (no ``=``) true where ``cell`` is in band ``code``."""
    band = next(b for b in BANDS if b.code == code)
    tests = _bounds(band, cell, {"on_track": on_track, "at_risk": at_risk})
    return f"AND(ISNUMBER({cell}),{','.join(tests)})"


def count_formula(code: str, rng: str, on_track: str, at_risk: str) -> str:
    """Excel formula counting the attainment cells of ``rng`` with status ``code``."""
    if code == "no_data":
        return f"ROWS({rng})-COUNT({rng})"
    band = next(b for b in BANDS if b.code == code)
    refs = {"on_track": on_track, "at_risk": at_risk}
    criteria = []
    if band.low is not None:
        criteria.append(f'{rng},">="&{refs[band.low]}')
    if band.high is not None:
        criteria.append(f'{rng},"<"&{refs[band.high]}')
    return f"COUNTIFS({','.join(criteria)})"


def icon_thresholds(on_track: str, at_risk: str) -> list[dict[str, Any]]:
    """The two thresholds of a three-icon set (XlsxWriter's ``icons``), read from the
    threshold references, so icons change with Settings as fills and words do."""
    return [
        {"criteria": ">=", "type": "formula", "value": f"={on_track}"},
        {"criteria": ">=", "type": "formula", "value": f"={at_risk}"},
    ]
