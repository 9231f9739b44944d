"""The KPI and base-measure records, loaded from the catalog's YAML and validated."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml

from kpi_xl.catalog.expression import Expression
from kpi_xl.vocabulary import CHANNELS, LANGUAGES

#: The package's own YAML (catalog, labels, templates) is read with libyaml's safe loader
#: when PyYAML has it (several times faster than the pure-Python one).
PACKAGE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

CATEGORIES = ("financial", "marketing", "channel")
UNITS = ("percent", "currency", "count", "seconds", "hours", "multiple", "position", "score")
MEASURE_UNITS = ("count", "currency", "seconds", "hours", "position", "score")
DIRECTIONS = ("higher_is_better", "lower_is_better", "near_target")
#: Plan settings an expression may read besides base measures (Settings inputs).
PARAMETERS = ("gross_margin",)
AGGREGATIONS = ("sum", "last", "whole")
RECORDS = ("site", "platform")
#: The kinds of source a site measure's system of record may be, in order of preference,
#: unless the measure says otherwise (``systems`` in measures.yaml).
SYSTEMS = ("analytics", "store", "crm")
CHANGES = ("relative", "difference")

Direction = Literal["higher_is_better", "lower_is_better", "near_target"]
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


class CatalogError(ValueError):
    """The catalog's YAML breaks a rule; raised at import, a bug in the package data."""


@dataclass(frozen=True)
class Measure:
    """A base measure: a quantity channel data is reduced to (see ``measures.yaml`` for
    ``aggregation`` and ``record``)."""

    id: str
    aggregation: Literal["sum", "last", "whole"]
    record: Literal["site", "platform"]
    unit: str
    names: Mapping[str, str]
    #: what the measure is, by language (every language, or none for a measure without a note)
    notes: Mapping[str, str] = field(default_factory=dict)
    systems: tuple[str, ...] = SYSTEMS
    min_base: float = 0.0  # as a denominator: too little to judge a ratio over, below this

    @property
    def note(self) -> str:
        """The note in English ("" when the measure has none)."""
        return self.notes.get("en", "")

    def note_in(self, lang: str) -> str:
        """The note in ``lang`` ("" when the measure has none)."""
        if not self.notes:
            return ""
        return _in_language(self.notes, lang, f"measure {self.id!r}: note")

    @property
    def non_additive(self) -> bool:
        """True for counts of distinct people (reach, users): never added up."""
        return self.aggregation == "whole"

    @property
    def is_site(self) -> bool:
        """True for site outcomes, counted once by their system of record."""
        return self.record == "site"

    def name(self, lang: str = "en") -> str:
        return self.names.get(lang) or self.names["en"]


@dataclass(frozen=True)
class KPI:
    """One KPI definition; everything about its math comes from ``expression``."""

    id: str
    names: Mapping[str, str]
    category: str
    channels: tuple[str, ...]
    unit: str
    direction: Direction
    expression: Expression
    definitions: Mapping[str, str]  # language -> the definition in that language
    channel_filter: str | None = None
    unbounded: bool = False
    change: Literal["relative", "difference"] = "relative"
    derived_target: bool = False  # its target follows from its measures' targets
    starts_at: float | None = None  # the level every period starts from (retention: 100 %)

    def name(self, lang: str = "en") -> str:
        return self.names.get(lang) or self.names["en"]

    @property
    def definition(self) -> str:
        """The definition in English."""
        return self.definitions["en"]

    def describe(self, lang: str) -> str:
        """The definition in ``lang`` (the catalog has every language for every KPI)."""
        return _in_language(self.definitions, lang, f"KPI {self.id!r}: definition")

    @property
    def higher_is_better(self) -> bool:
        """True unless lower is better: a near-target KPI's attainment is actual / target,
        as for higher-is-better ones (its status is two-sided, see ``near_target``)."""
        return self.direction != "lower_is_better"

    @property
    def near_target(self) -> bool:
        """True for a budget-like KPI: on track near the target on either side."""
        return self.direction == "near_target"

    @property
    def measures(self) -> tuple[str, ...]:
        """The base measures the KPI reads in the current period (parameters excluded)."""
        return tuple(m for m in self.expression.measures if m not in PARAMETERS)

    @property
    def parameters(self) -> tuple[str, ...]:
        """The plan settings the KPI reads (``gross_margin``)."""
        return tuple(m for m in self.expression.measures if m in PARAMETERS)

    @property
    def all_measures(self) -> tuple[str, ...]:
        """Every base measure the KPI reads, current or previous period."""
        return tuple(m for m in self.expression.all_measures if m not in PARAMETERS)

    @property
    def min_bases(self) -> dict[str, float]:
        """Denominators the KPI must have enough of before a part of a period is judged
        (their ``min_base``): ``{"sessions": 100}`` for the key event rate."""
        catalog = measures()
        return {
            m: catalog[m].min_base
            for m in self.expression.denominators
            if m in catalog and catalog[m].min_base > 0
        }

    @property
    def kind(self) -> Literal["flow", "stock", "ratio", "change", "budget"]:
        """How the KPI behaves over a period, which decides how a part of a period is judged
        and how a target is suggested:

        * ``budget`` - spend against a budget (``near_target``): paced, two-sided;
        * ``change`` - a growth or a return (``unbounded`` percent: sales growth, ROI);
        * ``stock`` - a level at the period's end (followers, backlinks);
        * ``flow`` - an amount over the period (revenue, sessions, leads; also counts of
          people, reach and users, which grow through the period);
        * ``ratio`` - an intensive figure (key event rate, CPA, ROAS, AOV, position).
        """
        if self.near_target:
            return "budget"
        if self.unbounded:
            return "change"
        if self.is_ratio or self.expression.previous:
            return "ratio"
        catalog = measures()
        if all(catalog[m].aggregation == "last" for m in self.measures):
            return "stock"
        return "flow"

    @property
    def pace_kind(self) -> Literal["flow", "stock", "ratio", "change", "budget"]:
        """The kind a part of a period is judged as: :attr:`kind`, except that a rate
        whose current-period measures are all amounts added up over the period and whose
        base was fixed before it (churn rate: customers lost so far over the previous
        period's customers) grows through the period like a flow, and is paced as one. A
        rate that starts every period at the same level (:attr:`starts_at`: retention is
        100 % on a period's first day) falls from it through the period, and is judged
        like a stock from that level."""
        kind = self.kind
        if self.starts_at is not None:
            return "stock"
        if kind != "ratio" or not self.expression.previous or self.expression.denominators:
            return kind
        catalog = measures()
        if all(catalog[m].aggregation == "sum" for m in self.expression.measures):
            return "flow"
        return kind

    @property
    def matched(self) -> bool:
        """True when the KPI reads only platform measures: it is taken over the sources
        that report all of them (a platform's own CPA or ROAS). Otherwise it is blended:
        each site measure from its system of record."""
        catalog = measures()
        return all(catalog[m].record == "platform" for m in self.all_measures)

    @property
    def is_ratio(self) -> bool:
        """True when the KPI divides (its value is not itself additive)."""
        return "/" in self.expression.text

    @property
    def allows_negative(self) -> bool:
        """True when a value (and so a target) may be negative: the ``unbounded`` changes."""
        return self.unbounded

    @property
    def is_bounded_rate(self) -> bool:
        """True for a share of a whole (0-100 %), e.g. conversion or open rate.

        Percent KPIs marked ``unbounded`` in the catalog (ROI, sales growth, list growth)
        are changes, not shares: they may exceed 100 % or go negative, so targets for them
        are not capped at 100 %.
        """
        return self.unit == "percent" and not self.unbounded

    def applies_to(self, channel: str) -> bool:
        return "all" in self.channels or channel in self.channels

    def evaluate(self, values: Mapping[str, Any], previous: Mapping[str, Any] | None = None) -> Any:
        """Vectorized value from base measures (NaN where undefined)."""
        return self.expression.evaluate(values, previous)

    def words(self, lang: str = "en") -> str:
        """The formula in words in ``lang``, e.g. ``Conversions ÷ Sessions``."""
        names = {m.id: m.name(lang) for m in measures().values()}
        names.update({p: label(p, lang) for p in self.parameters})
        return self.expression.to_words(names, previous_label=label("previous_of", lang))


def _load_yaml(name: str) -> Any:
    text = resources.files("kpi_xl.catalog").joinpath(name).read_text(encoding="utf-8")
    return yaml.load(text, Loader=PACKAGE_LOADER)


def _in_language(texts: Mapping[str, str], lang: str, what: str) -> str:
    try:
        return texts[lang]
    except KeyError:
        raise KeyError(f"{what}: no text in {lang!r} (languages: {', '.join(LANGUAGES)})") from None


def _check_texts(owner: str, key: str, texts: Any) -> dict[str, str]:
    """A sentence in every language (``definition`` of a KPI, ``note`` of a measure): a
    mapping of exactly the languages, each a non-empty text; runs of whitespace become one
    space (YAML folded lines)."""
    if not isinstance(texts, dict):
        raise CatalogError(
            f"{owner}: {key} must map each language ({', '.join(LANGUAGES)}) to its text"
        )
    missing = [lang for lang in LANGUAGES if not str(texts.get(lang) or "").strip()]
    if missing:
        raise CatalogError(f"{owner}: {key} missing in {', '.join(missing)}")
    unknown = sorted(str(lang) for lang in texts if lang not in LANGUAGES)
    if unknown:
        raise CatalogError(f"{owner}: {key} has unknown languages {', '.join(unknown)}")
    return {lang: " ".join(str(texts[lang]).split()) for lang in LANGUAGES}


def _check_names(owner: str, names: Any) -> dict[str, str]:
    if not isinstance(names, dict):
        raise CatalogError(f"{owner}: names must map language to text")
    missing = [lang for lang in LANGUAGES if not str(names.get(lang) or "").strip()]
    if missing:
        raise CatalogError(f"{owner}: names missing for {', '.join(missing)}")
    return {lang: str(names[lang]).strip() for lang in LANGUAGES}


@cache
def measures() -> dict[str, Measure]:
    """All base measures by id, in catalog order."""
    out: dict[str, Measure] = {}
    for mid, raw in _load_yaml("measures.yaml").items():
        if not _ID.match(mid):
            raise CatalogError(f"measure {mid!r}: id must be snake_case")
        if raw["aggregation"] not in AGGREGATIONS or raw["unit"] not in MEASURE_UNITS:
            raise CatalogError(f"measure {mid!r}: bad aggregation or unit")
        if raw.get("record") not in RECORDS:
            raise CatalogError(f"measure {mid!r}: record must be one of {', '.join(RECORDS)}")
        systems = tuple(raw.get("systems") or (SYSTEMS if raw["record"] == "site" else ()))
        if raw["record"] != "site" and raw.get("systems"):
            raise CatalogError(f"measure {mid!r}: only site measures have systems of record")
        out[mid] = Measure(
            id=mid,
            aggregation=raw["aggregation"],
            record=raw["record"],
            unit=raw["unit"],
            names=_check_names(f"measure {mid!r}", raw.get("names")),
            notes=_check_texts(f"measure {mid!r}", "note", raw["note"]) if "note" in raw else {},
            systems=systems,
            min_base=float(raw.get("min_base", 0)),
        )
    return out


def _kpi(raw: dict[str, Any], known: Mapping[str, Measure]) -> KPI:
    kid = raw.get("id", "")
    if not isinstance(kid, str) or not _ID.match(kid):
        raise CatalogError(f"KPI {kid!r}: id must be snake_case")
    expr = Expression.parse(str(raw["expression"]))
    unknown = [m for m in expr.all_measures if m not in known and m not in PARAMETERS]
    if unknown:
        raise CatalogError(f"KPI {kid!r}: unknown base measures {', '.join(unknown)}")
    channels = tuple(raw.get("channels") or ["all"])
    bad = [c for c in channels if c != "all" and c not in CHANNELS]
    if bad:
        raise CatalogError(f"KPI {kid!r}: unknown channels {', '.join(map(str, bad))}")
    for key, allowed in (
        ("category", CATEGORIES),
        ("unit", UNITS),
        ("direction", DIRECTIONS),
    ):
        if raw.get(key) not in allowed:
            raise CatalogError(f"KPI {kid!r}: {key} must be one of {', '.join(allowed)}")
    channel_filter = raw.get("channel_filter")
    unbounded = raw.get("unbounded", False)
    if not isinstance(unbounded, bool) or (unbounded and raw["unit"] != "percent"):
        raise CatalogError(f"KPI {kid!r}: unbounded is true/false and only for percent KPIs")
    target = raw.get("target")
    if target not in (None, "derived"):
        raise CatalogError(f"KPI {kid!r}: target must be 'derived' when given")
    starts_at = raw.get("starts_at")
    if starts_at is not None and (
        isinstance(starts_at, bool) or not isinstance(starts_at, int | float)
    ):
        raise CatalogError(f"KPI {kid!r}: starts_at must be a number")
    change = raw.get("change", "relative")
    if change not in CHANGES:
        raise CatalogError(f"KPI {kid!r}: change must be one of {', '.join(CHANGES)}")
    if channel_filter is not None and channel_filter not in CHANNELS:
        raise CatalogError(f"KPI {kid!r}: unknown channel_filter {channel_filter!r}")
    return KPI(
        id=kid,
        names=_check_names(f"KPI {kid!r}", raw.get("names")),
        category=raw["category"],
        channels=channels,
        unit=raw["unit"],
        direction=raw["direction"],
        expression=expr,
        definitions=_check_texts(f"KPI {kid!r}", "definition", raw.get("definition")),
        channel_filter=channel_filter,
        unbounded=unbounded,
        change=change,
        derived_target=target == "derived",
        starts_at=None if starts_at is None else float(starts_at),
    )


@dataclass(frozen=True)
class Rename:
    """A KPI id the catalog renamed: ``old`` is read as ``new``."""

    old: str
    new: str
    why: str


@cache
def renames() -> dict[str, Rename]:
    """Renamed KPI ids by old id (``renames.yaml``)."""
    out: dict[str, Rename] = {}
    for old, raw in (_load_yaml("renames.yaml") or {}).items():
        out[old] = Rename(old, str(raw["to"]), " ".join(str(raw["why"]).split()))
    return out


def current_id(kpi_id: str) -> str:
    """The id of the KPI now: a renamed id gives its new id, any other id itself."""
    seen = {kpi_id}
    while kpi_id in renames():
        kpi_id = renames()[kpi_id].new
        if kpi_id in seen:  # pragma: no cover - a bug in the package data
            raise CatalogError(f"renames.yaml loops at {kpi_id!r}")
        seen.add(kpi_id)
    return kpi_id


@cache
def kpis() -> dict[str, KPI]:
    """All KPIs by id, in catalog order."""
    known = measures()
    out: dict[str, KPI] = {}
    for raw in _load_yaml("kpis.yaml"):
        kpi = _kpi(raw, known)
        if kpi.id in out:
            raise CatalogError(f"KPI {kpi.id!r} is defined twice")
        out[kpi.id] = kpi
    for rename in renames().values():
        if rename.old in out or current_id(rename.old) not in out:
            raise CatalogError(f"renames.yaml: {rename.old!r} -> {rename.new!r} is not a rename")
    return out


def get(kpi_id: str) -> KPI:
    """The KPI with this id (a renamed id gives the KPI that replaced it); ``KeyError``
    naming close matches otherwise."""
    try:
        return kpis()[current_id(kpi_id)]
    except KeyError:
        import difflib

        close = difflib.get_close_matches(kpi_id, list(kpis()), n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise KeyError(f"unknown KPI id {kpi_id!r}{hint}") from None


@cache
def _labels() -> dict[str, dict[str, str]]:
    """Every user-interface text: the files of ``catalog/labels/`` (one per part of the
    product: core, mail, cli, ...), merged; a key in two files is an error."""
    data: dict[str, dict[str, str]] = {}
    folder = resources.files("kpi_xl.catalog").joinpath("labels")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yaml"):
            continue
        part: dict[str, dict[str, str]] = (
            yaml.load(entry.read_text(encoding="utf-8"), Loader=PACKAGE_LOADER) or {}
        )
        for key, names in part.items():
            if key in data:
                raise CatalogError(f"label {key!r} is defined twice (labels/{entry.name})")
            data[key] = _check_names(f"label {key!r}", names)
    return data


def has_label(key: str) -> bool:
    """True when ``catalog/labels/`` has a text for ``key``."""
    return key in _labels()


def label(key: str, lang: str = "en") -> str:
    """A user-interface text (sheet names, headers, status labels) in ``lang``."""
    entry = _labels()[key]
    return entry.get(lang) or entry["en"]
