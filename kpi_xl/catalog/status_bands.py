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

A near-target KPI (a budget: ``direction: near_target``) is judged on both sides: on track
while its attainment (actual / target) is within ``near_on_track`` of 100 % either way
(default 5 %: 95-105 %), at risk within ``near_at_risk`` (15 %), off track beyond. Its
deviation ``|attainment - 1|`` is rounded to 9 decimals in Python and in the formulas
alike, so 105 % is on track in both (binary floating point would make it 5.0000000001 %).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from kpi_xl.catalog.records import label
from kpi_xl.style import STATUS_SYMBOLS

Status = Literal["on_track", "at_risk", "off_track", "no_data", "too_early", "no_target"]
#: Every status, in the order counts and legends show them: the three bands, then a KPI
#: without data, one in a period too young to judge, one with data but no target.
STATUSES: tuple[str, ...] = (
    "on_track", "at_risk", "off_track", "no_data", "too_early", "no_target"
)  # fmt: skip


@dataclass(frozen=True)
class Thresholds:
    """Attainment thresholds: on-track at or above ``on_track``, at-risk at or above
    ``at_risk``."""

    on_track: float = 1.0
    at_risk: float = 0.9

    def __post_init__(self) -> None:
        if self.on_track < self.at_risk:
            raise ValueError("the on-track threshold must not be below the at-risk threshold")


@dataclass(frozen=True)
class Near:
    """Two-sided bands of near-target KPIs: on track while ``|attainment - 1|`` is at most
    ``on_track``, at risk while at most ``at_risk``."""

    on_track: float = 0.05
    at_risk: float = 0.15

    def __post_init__(self) -> None:
        if self.at_risk < self.on_track:
            raise ValueError("the near at-risk band must not be narrower than the on-track one")


DEFAULT_THRESHOLDS = Thresholds()
DEFAULT_NEAR = Near()
#: Decimals a near-target deviation is rounded to before it is compared.
NEAR_DECIMALS = 9
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
    near: Near | None = None,
) -> Any:
    """Status code(s) from attainment: on_track / at_risk / off_track / no_data; with
    ``near``, the two-sided bands of a near-target KPI."""
    limits = {"on_track": Thresholds(on_track, at_risk).on_track, "at_risk": at_risk}
    values = np.asarray(_arr(attainment_value), dtype="float64")
    conditions = [np.isnan(values)]
    with np.errstate(invalid="ignore"):
        if near is not None:
            deviation = np.round(np.abs(values - 1), NEAR_DECIMALS)
            conditions += [
                deviation <= near.on_track,
                deviation <= near.at_risk,
                deviation > near.at_risk,
            ]
        else:
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
    """The localized label of a status code, after its symbol: ``✓ On track``."""
    if code not in STATUSES:
        raise ValueError(f"unknown status {code!r}; expected one of {', '.join(STATUSES)}")
    return f"{STATUS_SYMBOLS[code]} {label(f'status_{code}', lang)}"


def _bounds(band: Band, value: str, refs: dict[str, str]) -> list[str]:
    parts = []
    if band.low is not None:
        parts.append(f"{value}>={refs[band.low]}")
    if band.high is not None:
        parts.append(f"{value}<{refs[band.high]}")
    return parts


def deviation_formula(cell: str) -> str:
    """``|attainment - 1|`` of a near-target KPI, rounded as :func:`status` rounds it."""
    return f"ROUND(ABS({cell}-1),{NEAR_DECIMALS})"


def _near_tests(code: str, cell: str, near: tuple[str, str]) -> list[str]:
    deviation = deviation_formula(cell)
    on, risk = near
    return {
        "on_track": [f"{deviation}<={on}"],
        "at_risk": [f"{deviation}>{on}", f"{deviation}<={risk}"],
        "off_track": [f"{deviation}>{risk}"],
    }[code]


def status_formula(
    attainment_ref: str,
    on_track: str,
    at_risk: str,
    lang: str = "en",
    near: tuple[str, str] | None = None,
) -> str:
    """Excel formula for :func:`status`, giving the localized label as text.

    ``on_track`` and ``at_risk`` are references (defined names) of the thresholds; ``near``
    those of a near-target KPI's two-sided bands."""
    refs = {"on_track": on_track, "at_risk": at_risk}

    def text(code: str) -> str:
        return '"' + status_label(code, lang).replace('"', '""') + '"'

    formula = text(BANDS[-1].code)
    for band in reversed(BANDS[:-1]):
        if near is not None:
            test = _near_tests(band.code, attainment_ref, near)[-1]
        else:  # the bands are tested in order, so each test needs only the lower bound
            assert band.low is not None
            test = f"{attainment_ref}>={refs[band.low]}"
        formula = f"IF({test},{text(band.code)},{formula})"
    return f'IF({attainment_ref}="",{text("no_data")},{formula})'


def band_criteria(
    code: str, cell: str, on_track: str, at_risk: str, near: tuple[str, str] | None = None
) -> str:
    """Conditional-format criteria (no ``=``) true where ``cell`` is in band ``code``."""
    band = next(b for b in BANDS if b.code == code)
    if near is not None:
        tests = _near_tests(code, cell, near)
    else:
        tests = _bounds(band, cell, {"on_track": on_track, "at_risk": at_risk})
    return f"AND(ISNUMBER({cell}),{','.join(tests)})"


def count_formula(
    code: str,
    rng: str | None,
    on_track: str,
    at_risk: str,
    near: tuple[str, str] | None = None,
    near_cells: tuple[str, ...] = (),
) -> str:
    """Excel formula counting the attainment cells with status ``code``: those of ``rng``
    on the thresholds, plus ``near_cells`` (near-target KPIs) on the ``near`` bands."""
    terms: list[str] = []
    if rng is not None:
        if code == "no_data":
            terms.append(f"ROWS({rng})-COUNT({rng})")
        else:
            band = next(b for b in BANDS if b.code == code)
            refs = {"on_track": on_track, "at_risk": at_risk}
            criteria = []
            if band.low is not None:
                criteria.append(f'{rng},">="&{refs[band.low]}')
            if band.high is not None:
                criteria.append(f'{rng},"<"&{refs[band.high]}')
            terms.append(f"COUNTIFS({','.join(criteria)})")
    for cell in near_cells:
        if code == "no_data":
            terms.append(f"IF(ISNUMBER({cell}),0,1)")
        else:
            assert near is not None
            test = ",".join(_near_tests(code, cell, near))
            terms.append(f"IF(ISNUMBER({cell}),IF(AND({test}),1,0),0)")
    return "+".join(terms) if terms else "0"


def icon_thresholds(on_track: str, at_risk: str) -> list[dict[str, Any]]:
    """The two thresholds of a three-icon set (XlsxWriter's ``icons``), read from the
    threshold references, so icons change with Settings as fills and words do."""
    return [
        {"criteria": ">=", "type": "formula", "value": f"={on_track}"},
        {"criteria": ">=", "type": "formula", "value": f"={at_risk}"},
    ]
