"""Platforms declared as data: how to recognize an export and map it to the canonical table.

A :class:`Platform` says, for one platform's exports:

* how its header is recognized (:class:`Detect`), and which preamble or header signals
  name the platform even when the layout is not one kpi_xl reads (:class:`Signal`);
* which reports of it are refused, and what to export instead (:class:`Refusal`);
* where each row's dates come from (:data:`DateSource`: a day column, a start/end pair,
  a period column, or the report's own range in its preamble);
* its dimensions (campaign, segment parts), measures and rates, each a column found by
  its names in every UI language kpi_xl knows (:class:`Names`);
* the channel rule (:class:`Channels`), the currency (:class:`Currency`) and which rows
  are totals (:class:`Totals`);
* small hooks for what data cannot say (derived measures, picking one of several
  tables, the export's own timestamp).

One generic reader (:mod:`kpi_xl.ingest.reader`) runs every platform through the same
sequence; ``docs/ingest.md``'s alias tables are generated from these records.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from kpi_xl.ingest.dates import DateFormat

if TYPE_CHECKING:
    import pandas as pd

    from kpi_xl.ingest.fields import Context, Loaded, Reader
    from kpi_xl.ingest.table import Document, Table

#: Language codes of the UI languages header names are given in (docs column order).
LANGUAGES = {
    "en": "English",
    "de": "German",
    "fr": "French",
    "es": "Spanish",
    "nl": "Dutch",
    "it": "Italian",
    "pt": "Portuguese",
}


def _norm(text: str) -> str:
    # the same normalization as kpi_xl.ingest.fields.norm (kept here: specs load first)
    text = str(text).replace("\ufeff", "").replace("\u00a0", " ").replace("\u202f", " ")
    return " ".join(text.split()).strip('"').casefold()


@dataclass(frozen=True)
class Names:
    """A column, found by any of its header names (per UI language) or by ``pattern``
    (a regular expression over the normalized name)."""

    by_language: Mapping[str, tuple[str, ...]]
    pattern: str | None = None

    @cached_property
    def all(self) -> tuple[str, ...]:
        """Every name, normalized, English first."""
        out: list[str] = []
        for names in self.by_language.values():
            out.extend(_norm(n) for n in names if _norm(n) not in out)
        return tuple(out)

    def matches(self, name: str) -> bool:
        key = _norm(name)
        return key in self.all or (
            self.pattern is not None and bool(re.fullmatch(self.pattern, key))
        )

    @property
    def english(self) -> str:
        """The name shown in messages: the first English name."""
        names = self.by_language.get("en") or next(iter(self.by_language.values()), ())
        return names[0] if names else (self.pattern or "")


def col(*en: str, pattern: str | None = None, **others: tuple[str, ...] | str) -> Names:
    """``col("Clicks", de="Klicks", fr=("Clics",))``: a column's names per language."""
    by_language: dict[str, tuple[str, ...]] = {"en": tuple(en)} if en else {}
    for lang, names in others.items():
        if lang not in LANGUAGES:
            raise ValueError(f"unknown UI language {lang!r} in a platform spec")
        by_language[lang] = (names,) if isinstance(names, str) else tuple(names)
    return Names(by_language, pattern)


@dataclass(frozen=True)
class Detect:
    """A header is the platform's when it has a column of each of ``all_of``, at least
    one of each group in ``any_of``, and none of ``none_of``."""

    all_of: tuple[Names, ...] = ()
    any_of: tuple[tuple[Names, ...], ...] = ()
    none_of: tuple[Names, ...] = ()

    def fits(self, header: frozenset[str]) -> bool:
        def has(names: Names) -> bool:
            return any(names.matches(h) for h in header)

        return (
            all(has(n) for n in self.all_of)
            and all(any(has(n) for n in group) for group in self.any_of)
            and not any(has(n) for n in self.none_of)
        )


@dataclass(frozen=True)
class Signal:
    """Text that names the platform: a regular expression searched (case-insensitively)
    in the ``#`` comments, the preamble lines or the header names of a table."""

    where: str  # "comment" | "preamble" | "header"
    pattern: str

    def found(self, comments: list[str], preamble: list[str], header: list[str]) -> bool:
        lines = {"comment": comments, "preamble": preamble, "header": header}[self.where]
        return any(re.search(self.pattern, line, re.IGNORECASE) for line in lines)


@dataclass(frozen=True)
class Refusal:
    """A report of the platform that is not read, and why: ``message`` says what it is and
    what to export instead. ``when`` tests the table's header (or is a hook on the table).

    Among a platform's ``refusals`` it applies to tables the platform recognized; among its
    ``unsupported`` exports, to any table of a file no platform recognized."""

    message: str
    when: Detect | Callable[[Table], bool]

    def applies(self, table: Table, header: frozenset[str]) -> bool:
        if isinstance(self.when, Detect):
            return self.when.fits(header)
        return bool(self.when(table))


# -- where the dates come from ------------------------------------------------------------------


@dataclass(frozen=True)
class DayColumn:
    """One day per row (``Day``, ``Date``)."""

    names: Names
    formats: tuple[DateFormat, ...]
    granularity: str = "daily"


@dataclass(frozen=True)
class PeriodColumn:
    """A column naming the period each row covers: ``week`` (the week's first day),
    ``month`` (a day of the month), ``hour`` (``YYYYMMDDHH``: rows of a day are summed),
    ``weeknumber`` (``02``: the year comes from the report's range), ``nthday`` (``0003``:
    days counted from the report's first day) or ``year`` (``2025``)."""

    names: Names
    span: str  # "week" | "month" | "hour" | "weeknumber" | "year"
    formats: tuple[DateFormat, ...] = ()

    @property
    def granularity(self) -> str:
        return {"week": "weekly", "weeknumber": "weekly", "month": "monthly",
                "hour": "hourly", "year": "yearly", "nthday": "daily"}[self.span]  # fmt: skip


@dataclass(frozen=True)
class RangeColumns:
    """Each row's first and last day (Meta's ``Reporting starts`` / ``Reporting ends``)."""

    start: Names
    end: Names
    formats: tuple[DateFormat, ...]


ReportRangeParser = Callable[["Table"], "tuple[dt.date, dt.date] | None"]


@dataclass(frozen=True)
class ReportRange:
    """No date dimension: every row covers the report's range, read from its preamble
    (``parser`` returns it, ``None`` when the file does not say, or raises a
    :class:`~kpi_xl.errors.KpiXlError` for a range kpi_xl cannot use, such as
    "All time"). ``where`` describes it for the docs."""

    parser: ReportRangeParser
    where: str


DateSource = DayColumn | PeriodColumn | RangeColumns | ReportRange


# -- channel, currency, totals ---------------------------------------------------------------


@dataclass(frozen=True)
class Channels:
    """The channel of each row: ``channel_map`` given by the user first (by value, then by
    platform name), then ``table`` on the values of ``column`` (case-insensitive), then
    ``rule`` (a hook on the reader), else ``default``."""

    default: str
    column: Names | None = None
    table: Mapping[str, str] = field(default_factory=dict)
    rule: Callable[[Reader], pd.Series] | None = None
    in_segment: bool = False  # the column's label also leads the segment (GA4)


@dataclass(frozen=True)
class Currency:
    """Where the money's currency is said: a column (one currency per file), or a group of
    a regular expression over a measure column's name (Meta's ``Amount spent (EUR)``)."""

    column: Names | None = None
    header_pattern: str | None = None


@dataclass(frozen=True)
class Totals:
    """Which rows are totals, dropped: a label cell (campaign, segment parts, the date
    cell) reading ``Total``, ``Total: Account``, ``Grand total``...; with ``empty_labels``
    also rows whose label cells are all empty (Ads Manager's and GA4's summary rows).
    See ``keep_whole`` for what a total row still gives."""

    empty_labels: bool = True
    pattern: str | None = None  # more total labels, e.g. Google Ads' "Total: Smart"
    #: A total row is the only honest source of counts of distinct people (reach, users:
    #: ``aggregation: whole``) for the whole export: with ``keep_whole`` its whole measures
    #: are kept, as one row not split by campaign, for the channel ``"all"`` or
    #: ``"default"`` (the platform's channel); its other figures are dropped as before.
    keep_whole: str | None = None


#: What a platform is. Analytics and store platforms measure the site (sessions, key events,
#: orders, revenue): their outcomes add up across channels. Ad, e-mail and social platforms
#: report their own outcomes (conversions, conversion value, leads), which stay with them.
KINDS = {
    "analytics": "web analytics (sessions, users, key events, site revenue)",
    "store": "online store (sessions, orders, sales)",
    "crm": "CRM (leads, customers, deals)",
    "ads": "ad platform (cost, clicks, its own conversions and leads)",
    "email": "e-mail platform (sends, opens, clicks, its own conversions)",
    "social": "organic social (followers, engagements)",
    "seo": "search visibility (search clicks, impressions, positions)",
    "table": "the canonical table (any measure)",
}

Derive = Callable[["Reader", dict[str, np.ndarray]], dict[str, np.ndarray]]
Read = Callable[[list["Table"], "Document", "Context"], "Loaded"]
Pick = Callable[[list["Table"], "Document"], "Table"]
ExportedAt = Callable[["Table"], "dt.datetime | None"]


@dataclass(frozen=True)
class Platform:
    """One platform's exports, as data (see the module docstring)."""

    name: str  # the ``source`` of its rows, e.g. "google_ads"
    title: str  # e.g. "Google Ads"
    layout: str  # one line: the layout kpi_xl reads
    kind: str  # what the platform is: one of KINDS (decides which measures it may report)
    detect: Detect
    dates: tuple[DateSource, ...]
    measures: Mapping[str, Names]
    channel: Channels
    campaign: Names | None = None
    segments: tuple[Names, ...] = ()
    rates: Mapping[str, Names] = field(default_factory=dict)
    durations: Mapping[str, Names] = field(default_factory=dict)  # seconds or H:MM:SS
    inputs: Mapping[str, Names] = field(default_factory=dict)  # numbers only ``derive`` reads
    currency: Currency | None = None
    totals: Totals = Totals()
    signals: tuple[Signal, ...] = ()
    refusals: tuple[Refusal, ...] = ()
    derive: Derive | None = None
    pick: Pick | None = None
    exported_at: ExportedAt | None = None
    read: Read | None = None  # a reader of its own, instead of the generic one
    archive: bool = False  # the export is a zip of several CSV files read as one
    other_dimensions: bool = False  # unmapped text columns become segment parts (GA4)
    numeric: Callable[[list[str]], list[int]] | None = None
    docs: str = ""  # extra notes for docs/ingest.md
    references: tuple[str, ...] = ()  # where the layout was checked (docs/ingest.md cites them)
    priority: int = 50  # platforms are tried lowest first where headers could overlap
    unsupported: tuple[Refusal, ...] = ()  # exports of the platform kpi_xl does not read
    extras: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"platform {self.name!r}: kind must be one of {', '.join(KINDS)}")

    def is_header(self, names: frozenset[str]) -> bool:
        return self.detect.fits(names)
