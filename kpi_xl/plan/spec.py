"""Plan specs: which KPIs sit at the overall level and in each channel plan.

A plan spec is YAML (the bundled ones live in ``workbook_templates/``). Loading validates
every key and names the offending one in a one-line :class:`~kpi_xl.errors.KpiXlError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from kpi_xl import periods as cal
from kpi_xl.catalog.records import PACKAGE_LOADER, current_id, kpis
from kpi_xl.catalog.status_bands import DEFAULT_NEAR, DEFAULT_THRESHOLDS
from kpi_xl.errors import KpiXlError
from kpi_xl.resources import templates_dir
from kpi_xl.vocabulary import CHANNELS, GRAINS, LANGUAGES, TEMPLATES

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
            raise KpiXlError(f"language {spec.lang!r} is not supported; use one of {LANGUAGES}")
        if spec.grain not in cal.ALL_GRAINS:
            raise KpiXlError(f"grain {spec.grain!r} is not supported; use one of {GRAINS}")
        calendar = spec.calendar or LOCAL_CALENDARS.get(spec.lang, "gregorian")
        if calendar not in cal.CALENDARS:
            raise KpiXlError(
                f"calendar {calendar!r} is not supported; use one of {', '.join(cal.CALENDARS)}"
            )
        digits = spec.digits or LOCAL_DIGITS.get(spec.lang, "latin")
        if digits not in cal.DIGITS:
            raise KpiXlError(f"digits {digits!r}: use one of {', '.join(cal.DIGITS)}")
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


def _fail(source: str, key: str, message: str) -> KpiXlError:
    return KpiXlError(f"key {key!r}: {message}", file=source)


def _kpi_list(source: str, key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise _fail(source, key, "expected a non-empty list of KPI ids")
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
        raise _fail(source, key, f"expected a number between {low} and {high}, got {value!r}")
    if not low <= float(value) <= high:
        raise _fail(source, key, f"expected a number between {low} and {high}, got {value!r}")
    return float(value)


def parse_spec(raw: Any, source: str = "<plan spec>") -> PlanSpec:
    """Validate plan-spec data (as loaded from YAML) into a :class:`PlanSpec`."""
    if not isinstance(raw, dict):
        raise KpiXlError("expected a mapping of plan keys", file=source)
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise _fail(source, unknown[0], f"unknown key; expected one of {sorted(_KEYS)}")
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
                source, f"channels.{channel}", f"unknown channel; expected one of {CHANNELS}"
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
    if grain not in GRAINS:
        raise _fail(source, "grain", f"expected one of {GRAINS}, got {grain!r}")
    calendar = str(raw.get("calendar") or "")
    if calendar and calendar not in cal.CALENDARS:
        raise _fail(source, "calendar", f"expected one of {cal.CALENDARS}, got {calendar!r}")
    digits = str(raw.get("digits") or "")
    if digits and digits not in cal.DIGITS:
        raise _fail(source, "digits", f"expected one of {cal.DIGITS}, got {digits!r}")
    currency = str(raw.get("currency", "EUR")).strip()
    if not (1 <= len(currency) <= 5):
        raise _fail(source, "currency", f"expected a currency code such as EUR, got {currency!r}")
    return PlanSpec(
        name=str(raw["name"]),
        title=str(raw.get("title") or ""),
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
        unlock_targets=bool(raw.get("unlock_targets", False)),
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
    if not path.is_file():
        raise KpiXlError(
            f"no such template; use one of {', '.join(BUNDLED)} or a path to a YAML file",
            file=path,
        )
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise KpiXlError(f"not valid YAML: {exc}", file=path, line=line) from None
    return parse_spec(raw, str(path))
