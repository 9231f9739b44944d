"""The plan calendar: period keys, their bounds and neighbours, computed once per key.

Period keys are strings that sort chronologically within a grain: ``"2026-03"`` (month),
``"2026-W05"`` (ISO week of the ISO week-year), ``"2026-Q1"`` (quarter). They are the
``period`` column of the plan's ``ChannelData`` table and its SUMIFS criteria.

Two calendars (:func:`calendar_of`): the grains above are Gregorian; ``sh_month``
(``"1405-07"``: Mehr 1405) and ``sh_quarter`` (``"1405-Q3"``: Mehr-Azar 1405) are Solar
Hijri, the Iranian civil calendar, whose year starts at Nowruz (1 Farvardin, 20 or 21
March): months 1-6 have 31 days, 7-11 have 30, Esfand 29 (30 in a leap year); its
quarters are the seasons. Weeks stay ISO weeks in both calendars (:func:`grain_for`).
Days are converted by persiantools (the official calendar's leap years). Every function
here takes any of the five grains.

Labels for people (:func:`period_label`, :func:`short_period_label`) come from one table
of names per language, :data:`LABELS`, never from the operating system's locale.

Every scalar function is cached (a plan asks for the same few dozen keys thousands of
times); :func:`period_key` maps a whole column of dates by computing each distinct day's
key once. No pandas object is built per call.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cache
from typing import Literal

import numpy as np
import pandas as pd
from persiantools.jdatetime import JalaliDate

from kpi_xl.digits import to_persian_digits
from kpi_xl.errors import KpiXlError
from kpi_xl.frames import TEXT
from kpi_xl.vocabulary import GRAINS, LANGUAGES

Grain = Literal["month", "week", "quarter", "sh_month", "sh_quarter"]
Calendar = Literal["gregorian", "solar_hijri"]

#: The Solar Hijri grains (keys in Solar Hijri years).
SOLAR_HIJRI_GRAINS = ("sh_month", "sh_quarter")
#: Every grain this module computes: the plan grains, then the Solar Hijri ones.
ALL_GRAINS: tuple[str, ...] = tuple(dict.fromkeys((*GRAINS, *SOLAR_HIJRI_GRAINS)))
#: The calendars a plan can be read in.
CALENDARS: tuple[Calendar, ...] = ("gregorian", "solar_hijri")

_MONTH_KEY = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_QUARTER_KEY = re.compile(r"^(\d{4})-Q([1-4])$")
_KEY_PATTERNS: dict[str, re.Pattern[str]] = {
    "month": _MONTH_KEY,
    "week": re.compile(r"^(\d{4})-W(0[1-9]|[1-4]\d|5[0-3])$"),
    "quarter": _QUARTER_KEY,
    "sh_month": _MONTH_KEY,
    "sh_quarter": _QUARTER_KEY,
}
_KEY_EXAMPLES = {
    "month": "2026-03",
    "week": "2026-W05",
    "quarter": "2026-Q1",
    "sh_month": "1405-07",
    "sh_quarter": "1405-Q3",
}
_EPOCH = dt.date(1970, 1, 1)


def check_grain(grain: str) -> Grain:
    """``grain`` when this module knows it (:data:`ALL_GRAINS`); else a one-line error."""
    if grain not in ALL_GRAINS:
        raise KpiXlError(f"unknown grain {grain!r}: expected one of {', '.join(ALL_GRAINS)}")
    return grain  # type: ignore[return-value]


def calendar_of(grain: str) -> Calendar:
    """The calendar a grain's keys count in: ``"solar_hijri"`` for ``sh_month`` and
    ``sh_quarter``, ``"gregorian"`` for the rest (ISO weeks included)."""
    return "solar_hijri" if check_grain(grain) in SOLAR_HIJRI_GRAINS else "gregorian"


def base_grain(grain: str) -> Literal["month", "week", "quarter"]:
    """The grain's unit whatever its calendar: ``sh_month`` -> ``month``."""
    return check_grain(grain).removeprefix("sh_")  # type: ignore[return-value]


def grain_for(grain: str, calendar: str) -> Grain:
    """The grain of the same unit in ``calendar``: ``("month", "solar_hijri")`` ->
    ``"sh_month"``, ``("sh_quarter", "gregorian")`` -> ``"quarter"``. Weeks stay ISO weeks
    (Monday to Sunday, numbered in the ISO week-year) in both calendars:
    ``("week", "solar_hijri")`` -> ``"week"``."""
    unit = base_grain(grain)
    if calendar not in CALENDARS:
        raise KpiXlError(f"unknown calendar {calendar!r}: expected one of {', '.join(CALENDARS)}")
    if calendar == "solar_hijri" and unit != "week":
        return check_grain("sh_" + unit)
    return unit


@cache
def _solar_hijri(day: dt.date) -> tuple[int, int]:
    """The Solar Hijri year and month of a Gregorian day."""
    jalali = JalaliDate(day)  # type: ignore[no-untyped-call]
    return int(jalali.year), int(jalali.month)


@cache
def _solar_hijri_month(year: int, month: int) -> tuple[dt.date, dt.date]:
    """First and last Gregorian day of Solar Hijri ``year``-``month``."""
    try:
        start = JalaliDate(year, month, 1).to_gregorian()  # type: ignore[no-untyped-call]
    except ValueError as err:
        raise KpiXlError(f"Solar Hijri year {year} is out of range: {err}") from None
    return start, start + dt.timedelta(days=JalaliDate.days_in_month(month, year) - 1)


def iso_weeks(year: int) -> int:
    """Number of ISO weeks of ``year`` (52 or 53): 28 December is in the last one."""
    return dt.date(year, 12, 28).isocalendar().week


@cache
def key_of(day: dt.date, grain: str) -> str:
    """The period key of one calendar day."""
    g = check_grain(grain)
    if g == "week":
        iso = day.isocalendar()
        return f"{iso.year:04d}-W{iso.week:02d}"
    if g == "quarter":
        return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"
    if g in SOLAR_HIJRI_GRAINS:
        year, month = _solar_hijri(as_date(day))
        if g == "sh_quarter":
            return f"{year:04d}-Q{(month - 1) // 3 + 1}"
        return f"{year:04d}-{month:02d}"
    return f"{day.year:04d}-{day.month:02d}"


def year_of(day: dt.date, grain: str) -> int:
    """The plan year ``day`` belongs to in the grain's calendar, the year whose
    :func:`periods_of_year` holds it: the Solar Hijri year for ``sh_*`` grains, the ISO
    week-year for weeks, else the calendar year."""
    return int(key_of(as_date(day), grain)[:4])


def period_key(dates: pd.Series | pd.DatetimeIndex, grain: str) -> pd.Series:
    """The period key of each date (a missing date gives a missing key).

    >>> period_key(pd.Series(pd.to_datetime(["2027-01-01"])), "week").tolist()
    ['2026-W53']
    """
    g = check_grain(grain)
    series = dates if isinstance(dates, pd.Series) else pd.Series(dates)
    if not pd.api.types.is_datetime64_any_dtype(series.dtype):
        series = pd.Series(pd.to_datetime(series), index=series.index)
    days = series.to_numpy(dtype="datetime64[D]")
    codes, uniques = pd.factorize(days, use_na_sentinel=True)
    keys = [key_of(_EPOCH + dt.timedelta(days=int(d)), g) for d in uniques.astype(np.int64)]
    table = np.array([*keys, None], dtype=object)
    return pd.Series(table[codes], index=series.index, dtype=TEXT, name="period")


@cache
def bounds(key: str, grain: str) -> tuple[dt.date, dt.date]:
    """First and last day (inclusive) of the period ``key``."""
    g = check_grain(grain)
    match = _KEY_PATTERNS[g].match(str(key))
    if match is None:
        raise KpiXlError(
            f"period {key!r} is not a {g} key: expected a key such as {_KEY_EXAMPLES[g]!r}"
        )
    year, part = int(match.group(1)), int(match.group(2))
    if g == "sh_month":
        return _solar_hijri_month(year, part)
    if g == "sh_quarter":
        return _solar_hijri_month(year, 3 * part - 2)[0], _solar_hijri_month(year, 3 * part)[1]
    if g == "month":
        start = dt.date(year, part, 1)
        end = dt.date(year + part // 12, part % 12 + 1, 1) - dt.timedelta(days=1)
    elif g == "quarter":
        start = dt.date(year, 3 * part - 2, 1)
        end = dt.date(year + part // 4, (3 * part) % 12 + 1, 1) - dt.timedelta(days=1)
    else:
        if part > iso_weeks(year):
            raise KpiXlError(f"period {key!r}: ISO year {year} has only {iso_weeks(year)} weeks")
        start = dt.date.fromisocalendar(year, part, 1)
        end = start + dt.timedelta(days=6)
    return start, end


def period_bounds(key: str, grain: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """:func:`bounds` as pandas timestamps (for date columns)."""
    start, end = bounds(key, grain)
    return pd.Timestamp(start), pd.Timestamp(end)


def days_in(key: str, grain: str) -> int:
    """How many days the period ``key`` has."""
    start, end = bounds(key, grain)
    return (end - start).days + 1


@cache
def previous(key: str, grain: str) -> str:
    """The period just before ``key``."""
    start, _ = bounds(key, grain)
    return key_of(start - dt.timedelta(days=1), grain)


@cache
def same_period_last_year(key: str, grain: str) -> str:
    """The same period one year earlier (week 53 of a year whose previous year has 52
    weeks maps to week 52)."""
    g = check_grain(grain)
    year = int(str(key)[:4]) - 1
    rest = str(key)[4:]
    if g == "week":
        week = min(int(rest[2:]), iso_weeks(year))
        return f"{year:04d}-W{week:02d}"
    return f"{year:04d}{rest}"


@cache
def _year_periods(year: int, grain: str) -> tuple[str, ...]:
    g = base_grain(grain)
    if g == "month":
        return tuple(f"{year:04d}-{m:02d}" for m in range(1, 13))
    if g == "quarter":
        return tuple(f"{year:04d}-Q{q}" for q in range(1, 5))
    return tuple(f"{year:04d}-W{w:02d}" for w in range(1, iso_weeks(year) + 1))


def periods_of_year(year: int, grain: str) -> list[str]:
    """All period keys of a plan year: 12 months, 4 quarters, or its 52/53 ISO weeks
    (the weeks whose Thursday falls in ``year``). For ``sh_month`` and ``sh_quarter``,
    ``year`` is the Solar Hijri year (1405 runs from 21 March 2026 to 20 March 2027)."""
    return list(_year_periods(year, grain))


def current_period(latest: dt.date, grain: str, year: int | None = None) -> tuple[str, int, int]:
    """The plan period holding ``latest`` (the last day of data), clamped to the plan
    ``year`` (default: ``latest``'s), with the days of it up to ``latest`` (0 when
    ``latest`` is before it) and its length in days."""
    periods = periods_of_year(year or year_of(latest, grain), grain)
    current = min(max(key_of(latest, grain), periods[0]), periods[-1])
    start, end = bounds(current, grain)
    total = (end - start).days + 1
    elapsed = 0 if latest < start else min((latest - start).days + 1, total)
    return current, elapsed, total


def like_for_like(
    latest: dt.date, grain: str, year: int | None = None
) -> tuple[tuple[str, str], int]:
    """What a partial current period is compared with day by day: the previous period
    and the same period last year, and how many of their first days (the days the data
    covers of the current period; 0 when it is complete: it is compared whole)."""
    current, elapsed, total = current_period(latest, grain, year)
    periods = (previous(current, grain), same_period_last_year(current, grain))
    return periods, elapsed if elapsed < total else 0


def as_date(value: dt.date | pd.Timestamp) -> dt.date:
    """A day as ``datetime.date`` (a timestamp's time of day dropped)."""
    if isinstance(value, pd.Timestamp | dt.datetime):
        return dt.date(value.year, value.month, value.day)
    return value


def number(key: str) -> int:
    """A period key as a number that sorts as the periods do (formulas compare these):
    ``2026-03`` -> 202603, ``2026-W05`` -> 202605, ``2026-Q1`` -> 20261; Solar Hijri keys
    the same way (``1405-07`` -> 140507)."""
    return int(key.replace("-W", "").replace("-Q", "").replace("-", ""))


def day_of(day: dt.date, key: str, grain: str) -> int:
    """The day's position in its period, from 1 (the period's first day)."""
    return (day - bounds(key, grain)[0]).days + 1


# --- labels ----------------------------------------------------------------------------
#
# Sources: CLDR 37 (cldr-dates-modern ca-gregorian.json, cldr-cal-persian-full
# ca-persian.json) for the month and quarter names and the order of name and year
# (yMMMM, yMMM, yQQQ); the Hebrew spellings of the Solar Hijri months from Hebrew
# Wikibooks' Persian dictionary ("פרסית/מילון/ימים וחודשים"; CLDR has only the Latin
# names for he, fi and uz, which those languages keep). Choices beyond CLDR:
#
# * fi quarters follow Finnish financial reporting ("heinä–syyskuu 2026", "7–9/26")
#   and weeks its "vko 5/2026" habit;
# * fa Solar Hijri quarters are the seasons in the narrow form ("پاییز ۰۵": Mehr-Azar
#   is autumn), the Gregorian ones CLDR's "س‌م۳";
# * the short forms use a two-digit year ("Oct 26", "مهر ۰۵") where the name comes
#   first; uz, whose patterns start with the year, keeps it whole.
#
# Placeholders: {name} {abbr} (the month's), {year} {yy}, {q} {q_word} {season},
# {first} {last} (first month's short and last month's full name of the quarter),
# {first_n} {last_n} (their numbers), {w} (ISO week number).

_GREGORIAN_EN = (
    "January February March April May June July August September October November December"
)
_SH_LATIN = "Farvardin Ordibehesht Khordad Tir Mordad Shahrivar Mehr Aban Azar Dey Bahman Esfand"


@dataclass(frozen=True)
class Words:
    """One language's names and label patterns (see the comment above :data:`LABELS`)."""

    months: tuple[str, ...]
    months_short: tuple[str, ...]
    sh_months: tuple[str, ...]
    patterns: dict[str, str]
    quarter_words: tuple[str, ...] = ("1", "2", "3", "4")
    seasons: tuple[str, ...] = ("1", "2", "3", "4")

    def pattern(self, grain: str, short: bool) -> str:
        """The pattern of ``grain``: its own (``sh_quarter_short``) or its unit's."""
        suffix = "_short" if short else ""
        return self.patterns.get(grain + suffix) or self.patterns[base_grain(grain) + suffix]


def _names(text: str) -> tuple[str, ...]:
    names = tuple(text.split())
    assert len(names) == 12, names
    return names


#: Month names and label patterns per language: the one table labels come from.
LABELS: dict[str, Words] = {
    "en": Words(
        months=_names(_GREGORIAN_EN),
        months_short=_names("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec"),
        sh_months=_names(_SH_LATIN),
        patterns={
            "month": "{name} {year}",
            "month_short": "{abbr} {yy}",
            "quarter": "Q{q} {year}",
            "quarter_short": "Q{q} {yy}",
            "week": "Week {w}, {year}",
            "week_short": "W{w} {yy}",
        },
    ),
    "fi": Words(
        months=_names(
            "tammikuu helmikuu maaliskuu huhtikuu toukokuu kesäkuu heinäkuu elokuu syyskuu "
            "lokakuu marraskuu joulukuu"
        ),
        months_short=_names("tammi helmi maalis huhti touko kesä heinä elo syys loka marras joulu"),
        sh_months=_names(_SH_LATIN),
        patterns={
            "month": "{name} {year}",
            "month_short": "{abbr} {yy}",
            "quarter": "{first}–{last} {year}",
            "quarter_short": "{first_n}–{last_n}/{yy}",
            "week": "viikko {w}/{year}",
            "week_short": "vko {w}/{yy}",
        },
    ),
    "he": Words(
        months=_names("ינואר פברואר מרץ אפריל מאי יוני יולי אוגוסט ספטמבר אוקטובר נובמבר דצמבר"),
        months_short=_names("ינו׳ פבר׳ מרץ אפר׳ מאי יוני יולי אוג׳ ספט׳ אוק׳ נוב׳ דצמ׳"),
        sh_months=_names("פרברדין אורדיבהשת חורדאד תיר מורדאד שהריבר מהר אבאן אזר די בהמן אספנד"),
        patterns={
            "month": "{name} {year}",
            "month_short": "{abbr} {yy}",
            "quarter": "רבעון {q} {year}",
            "quarter_short": "Q{q} {yy}",
            "week": "שבוע {w} בשנת {year}",
            "week_short": "שבוע {w}, {yy}",
        },
    ),
    "fa": Words(
        # CLDR's format forms: the ezafe (ـهٔ) joins a month ending in ه to its year
        months=_names("ژانویهٔ فوریهٔ مارس آوریل مهٔ ژوئن ژوئیهٔ اوت سپتامبر اکتبر نوامبر دسامبر"),
        months_short=_names(
            "ژانویهٔ فوریهٔ مارس آوریل مهٔ ژوئن ژوئیهٔ اوت سپتامبر اکتبر نوامبر دسامبر"
        ),
        sh_months=_names("فروردین اردیبهشت خرداد تیر مرداد شهریور مهر آبان آذر دی بهمن اسفند"),
        quarter_words=("اول", "دوم", "سوم", "چهارم"),
        seasons=("بهار", "تابستان", "پاییز", "زمستان"),
        patterns={
            "month": "{name} {year}",
            "month_short": "{abbr} {yy}",
            "quarter": "سه‌ماههٔ {q_word} {year}",
            "quarter_short": "س‌م{q} {yy}",
            "sh_quarter_short": "{season} {yy}",
            "week": "هفتهٔ {w}م {year}",
            "week_short": "هفتهٔ {w}م {yy}",
        },
    ),
    "uz": Words(
        months=_names("yanvar fevral mart aprel may iyun iyul avgust sentabr oktabr noyabr dekabr"),
        months_short=_names("yan fev mar apr may iyn iyl avg sen okt noy dek"),
        sh_months=_names(_SH_LATIN),
        patterns={
            "month": "{name}, {year}",
            "month_short": "{abbr}, {yy}",
            "quarter": "{year}, {q}-chorak",
            "quarter_short": "{year}, {q}-ch",
            "week": "{year}, {w}-hafta",
            "week_short": "{year}, {w}-hafta",
        },
    ),
}
assert set(LABELS) == set(LANGUAGES), "every language needs its labels"

#: Digit systems a label can be written in.
DIGITS = ("latin", "persian")


def _label(key: str, grain: str, lang: str, digits: str, short: bool) -> str:
    g = check_grain(grain)
    if lang not in LABELS:
        raise KpiXlError(f"unknown language {lang!r}: expected one of {', '.join(LABELS)}")
    if digits not in DIGITS:
        raise KpiXlError(f"unknown digits {digits!r}: expected one of {', '.join(DIGITS)}")
    bounds(key, g)  # validates the key (a week 53 of a 52-week year included)
    words = LABELS[lang]
    year, part = int(key[:4]), int(key.rsplit("-", 1)[1].lstrip("WQ"))
    solar = g in SOLAR_HIJRI_GRAINS
    names = words.sh_months if solar else words.months
    short_names = words.sh_months if solar else words.months_short
    unit = base_grain(g)
    first_n, last_n = (3 * part - 2, 3 * part) if unit == "quarter" else (part, part)
    values = {
        "year": str(year),
        "yy": f"{year % 100:02d}",
        "name": names[part - 1] if unit == "month" else "",
        "abbr": short_names[part - 1] if unit == "month" else "",
        "q": str(part),
        "q_word": words.quarter_words[part - 1] if unit == "quarter" else "",
        "season": words.seasons[part - 1] if unit == "quarter" else "",
        "first": short_names[first_n - 1] if unit != "week" else "",
        "last": names[last_n - 1] if unit != "week" else "",
        "first_n": str(first_n),
        "last_n": str(last_n),
        "w": str(part),
    }
    text = words.pattern(g, short).format(**values)
    return to_persian_digits(text) if digits == "persian" else text


def period_label(key: str, grain: str, lang: str, *, digits: str = "latin") -> str:
    """The period ``key`` as a reader of ``lang`` names it: ``"October 2026"``,
    ``"Mehr 1405"``, ``"Q3 2026"``, ``"Week 5, 2026"``; ``"مهر ۱۴۰۵"`` with
    ``lang="fa", digits="persian"``. Names come from :data:`LABELS`."""
    return _label(key, grain, lang, digits, short=False)


def short_period_label(key: str, grain: str, lang: str, *, digits: str = "latin") -> str:
    """A compact :func:`period_label` for narrow column headers: ``"Oct 26"``,
    ``"Q3 26"``, ``"W5 26"``, ``"loka 26"``, ``"مهر ۰۵"`` (two-digit years)."""
    return _label(key, grain, lang, digits, short=True)
