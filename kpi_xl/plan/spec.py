"""Plan specs: which KPIs sit at the overall level and in each channel plan.

A plan spec is YAML (the bundled ones live in ``workbook_templates/``). Loading validates
every key and names the offending one in a one-line :class:`~kpi_xl.errors.KpiXlError`.
A user's template is read by :func:`kpi_xl.resources.load_user_yaml` (no aliases, bounded
size, depth and numbers); its texts (``name``, ``title``, ``currency``) must be one line of
printable characters, so that nothing invalid reaches the workbook's XML or a mail header.
A template without a ``title`` is titled by its bundled name, else its ``name``.
"""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from kpi_xl import periods as cal
from kpi_xl.catalog.records import PACKAGE_LOADER, current_id, kpis
from kpi_xl.catalog.status_bands import DEFAULT_NEAR, DEFAULT_THRESHOLDS
from kpi_xl.errors import KpiXlError, shown
from kpi_xl.ingest.dates import FIRST_YEAR, LAST_YEAR
from kpi_xl.resources import load_user_yaml, read_user_text, templates_dir
from kpi_xl.vocabulary import CHANNELS, GRAINS, LANGUAGES, TEMPLATES, nearest, unknown

BUNDLED = TEMPLATES
DEFAULTS = (DEFAULT_THRESHOLDS.on_track, DEFAULT_THRESHOLDS.at_risk)
_KEYS = {
    "name",
    "title",
    "grain",
    "calendar",
    "digits",
    "currency",
    "growth",
    "ratio_growth",
    "thresholds",
    "gross_margin",
    "unlock_targets",
    "overall",
    "channels",
}
_THRESHOLDS = ("on_track", "at_risk", "near_on_track", "near_at_risk")
#: ROI needs the plan's gross margin; without one the plan shows Revenue ROI instead.
ROI, REVENUE_ROI = "roi", "revenue_roi"
#: The longest ``name`` and ``title`` (the title also heads every printed page, where Excel
#: takes 255 characters for the whole header).
MAX_TITLE_CHARS = 100
#: Characters a currency code may not hold: they would end the quoted text of the Excel
#: number formats it is written into.
_NOT_IN_CURRENCY = frozenset('"\\;[]')


#: The calendar and the digits a language's readers expect by default (Persian business
#: years and months are Solar Hijri; Persian text writes Persian digits).
LOCAL_CALENDARS = {"fa": "solar_hijri"}
LOCAL_DIGITS = {"fa": "persian"}


@dataclass(frozen=True)
class PlanSpec:
    """A validated plan template plus the choices made when building (language, year)."""

    name: str
    overall: tuple[str, ...]
    channels: dict[str, tuple[str, ...]]
    grain: str = "month"
    currency: str = "EUR"
    growth: float = 0.10
    #: the smaller improvement suggested for ratios (conversion rate, CPA, ROAS)
    ratio_growth: float = 0.03
    on_track: float = DEFAULT_THRESHOLDS.on_track
    at_risk: float = DEFAULT_THRESHOLDS.at_risk
    near_on_track: float = DEFAULT_NEAR.on_track
    near_at_risk: float = DEFAULT_NEAR.at_risk
    gross_margin: float | None = None
    #: closed periods' targets may be edited (a Settings switch; edits are recorded)
    unlock_targets: bool = False
    #: Exchange rates into the plan currency (1 unit of the key's currency = rate units).
    fx: dict[str, float] = field(default_factory=dict)
    title: str = ""
    lang: str = "en"
    year: int | None = None
    #: "gregorian" or "solar_hijri" ("": the language's own, Solar Hijri for Persian); once
    #: chosen, ``grain`` is the calendar's grain (``sh_month``: Solar Hijri months)
    calendar: str = ""
    #: "latin" or "persian" digits in numbers and period names ("": Persian for Persian)
    digits: str = ""
    source: str = field(default="", compare=False)

    def with_choices(self, **changes: Any) -> PlanSpec:
        """A copy with build-time choices (lang, year, grain, gross margin, fx...) applied
        and validated; ROI becomes Revenue ROI when the plan has no gross margin."""
        spec = replace(self, **{k: v for k, v in changes.items() if v is not None})
        if spec.lang not in LANGUAGES:
            raise KpiXlError(unknown("language", spec.lang, LANGUAGES))
        if spec.grain not in cal.ALL_GRAINS:
            raise KpiXlError(unknown("grain", spec.grain, GRAINS))
        calendar = spec.calendar or LOCAL_CALENDARS.get(spec.lang, "gregorian")
        if calendar not in cal.CALENDARS:
            raise KpiXlError(unknown("calendar", calendar, cal.CALENDARS))
        if spec.year is not None:
            check_plan_year(spec.year, calendar)
        spec = replace(spec, currency=_currency("", "currency", spec.currency, strict=False))
        digits = spec.digits or LOCAL_DIGITS.get(spec.lang, "latin")
        if digits not in cal.DIGITS:
            raise KpiXlError(unknown("digits", digits, cal.DIGITS))
        grain = cal.grain_for(cal.base_grain(spec.grain), calendar)
        spec = replace(spec, calendar=calendar, digits=digits, grain=grain)
        if spec.gross_margin is not None and not 0 < spec.gross_margin <= 1:
            raise KpiXlError(
                f"gross margin {spec.gross_margin:g} is not a share: expected a number above 0 "
                "and at most 1 (0.35 = 35 %)"
            )
        return spec.with_roi()

    def with_roi(self) -> PlanSpec:
        """ROI where the plan has a gross margin, Revenue ROI where it has none."""
        old, new = (REVENUE_ROI, ROI) if self.gross_margin is not None else (ROI, REVENUE_ROI)

        def swap(ids: tuple[str, ...]) -> tuple[str, ...]:
            return tuple(dict.fromkeys(new if k == old else k for k in ids))

        return replace(
            self,
            overall=swap(self.overall),
            channels={c: swap(ids) for c, ids in self.channels.items()},
        )

    def to_dict(self) -> dict[str, Any]:
        """The spec as plain data (stored in the workbook's ``_meta`` sheet)."""
        return {
            "name": self.name,
            "title": self.title,
            "grain": cal.base_grain(self.grain),  # the calendar says which months
            "currency": self.currency,
            "growth": self.growth,
            "ratio_growth": self.ratio_growth,
            "thresholds": {
                "on_track": self.on_track,
                "at_risk": self.at_risk,
                "near_on_track": self.near_on_track,
                "near_at_risk": self.near_at_risk,
            },
            "gross_margin": self.gross_margin,
            "unlock_targets": self.unlock_targets,
            "fx": dict(self.fx),
            "overall": list(self.overall),
            "channels": {c: list(k) for c, k in self.channels.items()},
            "lang": self.lang,
            "year": self.year,
            "calendar": self.calendar,
            "digits": self.digits,
        }


#: The plan years kpi_xl builds: those whose days all lie within the dates it reads
#: (:data:`kpi_xl.ingest.dates.FIRST_YEAR` to ``LAST_YEAR``), per calendar.
PLAN_YEARS = {
    "gregorian": (FIRST_YEAR, LAST_YEAR),
    "solar_hijri": (FIRST_YEAR - 621, LAST_YEAR - 622),
}


def check_plan_year(year: object, calendar: str = "gregorian") -> None:
    """Refuse a plan year outside :data:`PLAN_YEARS` (``--year 9999``, ``--year 0``)."""
    first, last = PLAN_YEARS.get(calendar, PLAN_YEARS["gregorian"])
    if isinstance(year, bool) or not isinstance(year, int) or not first <= year <= last:
        solar = calendar == "solar_hijri"
        raise KpiXlError(
            f"plan year {year} is out of range: kpi_xl plans the years {first} to {last}"
            + (" of the Solar Hijri calendar" if solar else "")
            + f"; give the year of your data, such as {1405 if solar else 2026}"
        )


def _fail(source: str, key: str, message: str) -> KpiXlError:
    if not source:  # a build-time choice (--currency, the data's currency)
        return KpiXlError(f"{key}: {message}")
    return KpiXlError(f"key {key!r}: {message}", file=source)


def _line_text(source: str, key: str, value: Any, max_chars: int) -> str:
    """A one-line text of at most ``max_chars`` printable characters (a number is read as
    its text: ``name: 2026``)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _fail(source, key, f"expected a text, got {shown(value)}")
    text = str(value).strip()
    bad = next((c for c in text if _unprintable(c)), None)
    if bad is not None:
        raise _fail(
            source,
            key,
            f"holds the control character U+{ord(bad):04X}: expected one line of printable text",
        )
    if len(text) > max_chars:
        raise _fail(source, key, f"is {len(text)} characters long: expected at most {max_chars}")
    return text


def _unprintable(char: str) -> bool:
    """Control characters (tab and newlines included), lone surrogates and the two
    non-characters XML refuses; format characters (a right-to-left mark) are text."""
    return unicodedata.category(char) in ("Cc", "Cs") or char in "\ufffe\uffff"


def _currency(source: str, key: str, value: Any, *, strict: bool = True) -> str:
    """A currency code: a template's is 1 to 5 characters without spaces; a build-time
    choice (the data's own) only needs to fit in a number format."""
    code = _line_text(source, key, value, 5 if strict else MAX_TITLE_CHARS)
    if not code or any((strict and c.isspace()) or c in _NOT_IN_CURRENCY for c in code):
        raise _fail(
            source, key, f"expected a currency code such as EUR (1 to 5 characters), got {code!r}"
        )
    return code


def _kpi_list(source: str, key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise _fail(source, key, "expected a non-empty list of KPI ids")
    for item in value:
        if not isinstance(item, str):
            raise _fail(source, key, f"expected KPI ids (text), got {shown(item)}")
    known = kpis()
    ids = [current_id(str(item)) for item in value]  # renamed ids are read as the new ones
    for item, kid in zip(value, ids, strict=True):
        if kid not in known:
            import difflib

            close = difflib.get_close_matches(str(item), list(known), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise _fail(source, key, f"unknown KPI id {item!r}{hint}")
    if len(set(ids)) != len(ids):
        raise _fail(source, key, "a KPI is listed twice")
    return tuple(ids)


def _number(source: str, key: str, value: Any, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(source, key, f"expected a number between {low} and {high}, got {shown(value)}")
    if isinstance(value, int) and abs(value) > 10**18:  # also: float() would overflow
        raise _fail(source, key, f"expected a number between {low} and {high}, got a huge one")
    if not low <= float(value) <= high:
        raise _fail(source, key, f"expected a number between {low} and {high}, got {value:g}")
    return float(value)


def parse_spec(raw: Any, source: str = "<plan spec>") -> PlanSpec:
    """Validate plan-spec data (as loaded from YAML) into a :class:`PlanSpec`."""
    if not isinstance(raw, dict):
        raise KpiXlError("expected a mapping of plan keys", file=source)
    strange = sorted(set(raw) - _KEYS)
    if strange:
        raise _fail(
            source,
            strange[0],
            f"unknown key{nearest(str(strange[0]), _KEYS)}: use one of {', '.join(sorted(_KEYS))}",
        )
    for required in ("name", "overall", "channels"):
        if required not in raw:
            raise _fail(source, required, "is required")
    channels_raw = raw["channels"]
    if not isinstance(channels_raw, dict) or not channels_raw:
        raise _fail(source, "channels", "expected a mapping of channel to KPI ids")
    channels: dict[str, tuple[str, ...]] = {}
    for channel, ids in channels_raw.items():
        if channel not in CHANNELS:
            raise _fail(
                source,
                f"channels.{channel!s:.40}",
                f"unknown channel{nearest(str(channel), CHANNELS)}: use one of "
                f"{', '.join(CHANNELS)}",
            )
        channels[channel] = _kpi_list(source, f"channels.{channel}", ids)
    thresholds = raw.get("thresholds") or {}
    if not isinstance(thresholds, dict):
        raise _fail(
            source, "thresholds", f"expected {{on_track: {DEFAULTS[0]}, at_risk: {DEFAULTS[1]}}}"
        )
    bad = sorted(set(thresholds) - set(_THRESHOLDS))
    if bad:
        raise _fail(
            source, f"thresholds.{bad[0]}", f"unknown threshold; use {', '.join(_THRESHOLDS)}"
        )
    on_track = _number(
        source, "thresholds.on_track", thresholds.get("on_track", DEFAULTS[0]), 0, 10
    )
    at_risk = _number(source, "thresholds.at_risk", thresholds.get("at_risk", DEFAULTS[1]), 0, 10)
    if at_risk > on_track:
        raise _fail(source, "thresholds.at_risk", "must not be above thresholds.on_track")
    near_on = _number(
        source, "thresholds.near_on_track", thresholds.get("near_on_track", DEFAULT_NEAR.on_track),
        0, 1,
    )  # fmt: skip
    near_risk = _number(
        source, "thresholds.near_at_risk", thresholds.get("near_at_risk", DEFAULT_NEAR.at_risk),
        0, 1,
    )  # fmt: skip
    if near_risk < near_on:
        raise _fail(source, "thresholds.near_at_risk", "must not be below thresholds.near_on_track")
    margin = raw.get("gross_margin")
    gross_margin = None if margin is None else _number(source, "gross_margin", margin, 0.001, 1)
    grain = raw.get("grain", "month")
    if not isinstance(grain, str) or grain not in GRAINS:
        raise _fail(source, "grain", unknown("grain", f"{grain!s:.40}", GRAINS))
    calendar = raw.get("calendar") or ""
    if calendar and calendar not in cal.CALENDARS:
        raise _fail(source, "calendar", unknown("calendar", f"{calendar!s:.40}", cal.CALENDARS))
    digits = raw.get("digits") or ""
    if digits and digits not in cal.DIGITS:
        raise _fail(source, "digits", unknown("digits", f"{digits!s:.40}", cal.DIGITS))
    currency = _currency(source, "currency", raw.get("currency", "EUR"))
    unlock = raw.get("unlock_targets", False)
    if not isinstance(unlock, bool):
        raise _fail(source, "unlock_targets", f"expected true or false, got {shown(unlock)}")
    name = _line_text(source, "name", raw["name"], MAX_TITLE_CHARS)
    if not name:
        raise _fail(source, "name", "is empty: expected the plan's name")
    return PlanSpec(
        name=name,
        title=_line_text(source, "title", raw.get("title") or "", MAX_TITLE_CHARS),
        overall=_kpi_list(source, "overall", raw["overall"]),
        channels=channels,
        grain=grain,
        calendar=calendar,
        digits=digits,
        currency=currency,
        growth=_number(source, "growth", raw.get("growth", 0.10), 0, 1),
        ratio_growth=_number(source, "ratio_growth", raw.get("ratio_growth", 0.03), 0, 1),
        on_track=on_track,
        at_risk=at_risk,
        near_on_track=near_on,
        near_at_risk=near_risk,
        gross_margin=gross_margin,
        unlock_targets=unlock,
        source=source,
    ).with_roi()


def load_template(template: str | Path = "ecommerce") -> PlanSpec:
    """A bundled template by name (ecommerce, leadgen, content, saas) or a YAML file path."""
    name = str(template)
    if name in BUNDLED:
        res = templates_dir().joinpath(f"{name}.yaml")
        raw = yaml.load(res.read_text(encoding="utf-8"), Loader=PACKAGE_LOADER)
        return parse_spec(raw, f"{name}.yaml")
    path = Path(template)
    if not os.path.lexists(path) and not path.suffix and len(path.parts) == 1:
        raise KpiXlError(unknown("template", name, BUNDLED, ", or the path of a YAML file"))
    if not path.is_file():
        from kpi_xl.ingest.sources import check_input

        check_input(path, "a template YAML file")  # a missing file, a folder, a loop...
    raw = load_user_yaml(read_user_text(path), path)
    return parse_spec(raw, str(path))
