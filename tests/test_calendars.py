"""The reader's calendar: Solar Hijri grains, period labels in five languages, Persian digits.

The Solar Hijri dates are checked by hand against sources independent of the conversion
library (persiantools):

* 1 Farvardin 1403 = 20 March 2024, and Esfand 1403 has 30 days, so 1403 is a leap year
  of 366 days (cloobarya.ir, "تقویم سال ۱۴۰۳": "یکم فروردین ۱۴۰۳ برابر با ۲۰ مارس ۲۰۲۴",
  "اسفند ماه ۱۴۰۳ سی روز کامل است ... سال ۱۴۰۳ کبیسه است");
* Nowruz falls on 21 March 2025 (a Friday) and 21 March 2026 (a Saturday)
  (excelnotes.com, "Nowruz"); with the 366 days of 1403 and 365 of 1404 this is the same
  count: 2024-03-20 + 366 days = 2025-03-21, + 365 days = 2026-03-21;
* the first six months have 31 days, the next five 30, Esfand 29 (30 in a leap year);
  Mehr runs from 23 September to 22 October, Dey starts on 22 December (the Iranian
  calendar table of saee.travel, "Iranian Calendar"; the University of Texas' Persian
  online resources, "Calendar"). So 1 Mehr 1405 = 2026-03-21 + 6 x 31 days = 2026-09-23.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import xlsxwriter
from engines import libreoffice_convert, soffice

from kpi_xl import periods as cal
from kpi_xl.digits import (
    PERSIAN_LOCALE,
    persian_digit_format,
    split_sections,
    to_persian_digits,
)
from kpi_xl.errors import KpiXlError
from kpi_xl.frames import TEXT

D = dt.date

# -- Solar Hijri days, checked by hand (module docstring) ----------------------------------


@pytest.mark.parametrize(
    ("day", "month_key", "quarter_key"),
    [
        (D(2024, 3, 20), "1403-01", "1403-Q1"),  # Nowruz 1403
        (D(2024, 3, 19), "1402-12", "1402-Q4"),
        (D(2025, 3, 20), "1403-12", "1403-Q4"),  # 30 Esfand 1403: the leap day
        (D(2025, 3, 21), "1404-01", "1404-Q1"),  # Nowruz 1404
        (D(2026, 3, 20), "1404-12", "1404-Q4"),
        (D(2026, 3, 21), "1405-01", "1405-Q1"),  # Nowruz 1405
        (D(2026, 9, 22), "1405-06", "1405-Q2"),  # 31 Shahrivar
        (D(2026, 9, 23), "1405-07", "1405-Q3"),  # 1 Mehr 1405
        (D(2026, 10, 22), "1405-07", "1405-Q3"),  # 30 Mehr
        (D(2026, 12, 22), "1405-10", "1405-Q4"),  # 1 Dey
    ],
)
def test_known_solar_hijri_days(day: dt.date, month_key: str, quarter_key: str) -> None:
    assert cal.key_of(day, "sh_month") == month_key
    assert cal.key_of(day, "sh_quarter") == quarter_key


def test_nowruz_and_mehr_bounds() -> None:
    assert cal.bounds("1405-01", "sh_month") == (D(2026, 3, 21), D(2026, 4, 20))
    assert cal.bounds("1405-07", "sh_month") == (D(2026, 9, 23), D(2026, 10, 22))
    assert cal.bounds("1403-12", "sh_month") == (D(2025, 2, 19), D(2025, 3, 20))
    assert cal.bounds("1405-Q3", "sh_quarter") == (D(2026, 9, 23), D(2026, 12, 21))
    assert cal.bounds("1405-Q4", "sh_quarter") == (D(2026, 12, 22), D(2027, 3, 20))
    assert cal.period_bounds("1405-07", "sh_month") == (
        pd.Timestamp("2026-09-23"),
        pd.Timestamp("2026-10-22"),
    )


@pytest.mark.parametrize(("year", "esfand"), [(1403, 30), (1404, 29), (1405, 29)])
def test_month_lengths(year: int, esfand: int) -> None:
    lengths = [cal.days_in(k, "sh_month") for k in cal.periods_of_year(year, "sh_month")]
    assert lengths == [31] * 6 + [30] * 5 + [esfand]
    quarters = [cal.days_in(k, "sh_quarter") for k in cal.periods_of_year(year, "sh_quarter")]
    assert quarters == [93, 93, 90, 89 + (esfand - 29)]


def test_months_tile_the_days_without_gap_or_overlap() -> None:
    keys = [k for y in range(1395, 1415) for k in cal.periods_of_year(y, "sh_month")]
    for key, nxt in itertools.pairwise(keys):
        assert (
            cal.bounds(key, "sh_month")[1] + dt.timedelta(days=1) == cal.bounds(nxt, "sh_month")[0]
        )
    first, last = cal.bounds(keys[0], "sh_month")[0], cal.bounds(keys[-1], "sh_month")[1]
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    assert {cal.key_of(d, "sh_month") for d in days} == set(keys)


# -- the calendar functions on Solar Hijri grains ------------------------------------------


def test_neighbours_and_numbers() -> None:
    assert cal.previous("1405-08", "sh_month") == "1405-07"
    assert cal.previous("1405-01", "sh_month") == "1404-12"
    assert cal.previous("1405-Q1", "sh_quarter") == "1404-Q4"
    assert cal.same_period_last_year("1405-07", "sh_month") == "1404-07"
    assert cal.same_period_last_year("1405-Q3", "sh_quarter") == "1404-Q3"
    assert cal.number("1405-07") == 140507
    assert cal.number("1405-Q3") == 14053
    assert cal.day_of(D(2026, 10, 5), "1405-07", "sh_month") == 13  # 13 Mehr
    assert cal.day_of(D(2026, 3, 21), "1405-Q1", "sh_quarter") == 1
    assert cal.days_in("1405-07", "sh_month") == 30


def test_periods_of_a_solar_hijri_year() -> None:
    months = cal.periods_of_year(1405, "sh_month")
    assert months == [f"1405-{m:02d}" for m in range(1, 13)]
    assert cal.periods_of_year(1405, "sh_quarter") == ["1405-Q1", "1405-Q2", "1405-Q3", "1405-Q4"]
    assert cal.bounds(months[0], "sh_month")[0] == D(2026, 3, 21)
    assert cal.bounds(months[-1], "sh_month")[1] == D(2027, 3, 20)


def test_period_key_across_nowruz_converts_each_distinct_day_once() -> None:
    days = ["2026-03-19", "2026-03-20", "2026-03-21", "2026-09-22", "2026-09-23", "NaT"]
    dates = pd.Series(pd.to_datetime(days * 1000), index=np.arange(6000) * 2)
    cal.key_of.cache_clear()
    cal._solar_hijri.cache_clear()
    months = cal.period_key(dates, "sh_month")
    assert cal._solar_hijri.cache_info().currsize == 5
    assert months.iloc[:5].tolist() == ["1404-12", "1404-12", "1405-01", "1405-06", "1405-07"]
    assert pd.isna(months.iloc[5]) and months.isna().sum() == 1000
    assert months.index.equals(dates.index) and months.dtype == TEXT
    assert months.name == "period"
    quarters = cal.period_key(dates.iloc[:6], "sh_quarter")
    assert quarters.iloc[:5].tolist() == ["1404-Q4", "1404-Q4", "1405-Q1", "1405-Q2", "1405-Q3"]


def test_calendar_and_grain_mapping() -> None:
    assert [cal.calendar_of(g) for g in cal.ALL_GRAINS] == [
        "gregorian",
        "gregorian",
        "gregorian",
        "solar_hijri",
        "solar_hijri",
    ]
    assert cal.grain_for("month", "solar_hijri") == "sh_month"
    assert cal.grain_for("quarter", "solar_hijri") == "sh_quarter"
    assert cal.grain_for("week", "solar_hijri") == "week"  # weeks stay ISO weeks
    assert cal.grain_for("sh_month", "gregorian") == "month"
    assert cal.grain_for("sh_quarter", "solar_hijri") == "sh_quarter"
    assert cal.grain_for("week", "gregorian") == "week"
    assert cal.base_grain("sh_quarter") == "quarter"
    assert cal.year_of(D(2026, 3, 20), "sh_month") == 1404
    assert cal.year_of(D(2026, 3, 21), "sh_quarter") == 1405
    assert cal.year_of(D(2027, 1, 1), "week") == 2026  # ISO week-year
    assert cal.year_of(D(2027, 1, 1), "month") == 2027


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: cal.grain_for("month", "julian"), "unknown calendar 'julian'"),
        (lambda: cal.check_grain("sh_week"), "unknown grain 'sh_week'"),
        (lambda: cal.bounds("1405-13", "sh_month"), "'1405-13' is not a sh_month key"),
        (lambda: cal.bounds("1405-07", "sh_quarter"), "expected a key such as '1405-Q3'"),
        (lambda: cal.period_label("2026-10", "month", "de"), "unknown language 'de'"),
        (lambda: cal.period_label("2026-10", "month", "fa", digits="arab"), "unknown digits"),
        (lambda: cal.period_label("2025-W53", "week", "en"), "has only 52 weeks"),
    ],
)
def test_errors(call: object, message: str) -> None:
    with pytest.raises(KpiXlError, match=re.escape(message)):
        call()  # type: ignore[operator]


def test_gregorian_grains_are_untouched() -> None:
    """The Gregorian keys are what they were before the Solar Hijri grains came."""
    for offset in range(0, 3 * 366, 5):
        day = D(2024, 12, 20) + dt.timedelta(days=offset)
        iso = day.isocalendar()
        assert cal.key_of(day, "month") == f"{day.year}-{day.month:02d}"
        assert cal.key_of(day, "quarter") == f"{day.year}-Q{(day.month - 1) // 3 + 1}"
        assert cal.key_of(day, "week") == f"{iso.year}-W{iso.week:02d}"
    assert cal.bounds("2026-02", "month") == (D(2026, 2, 1), D(2026, 2, 28))
    assert cal.periods_of_year(2026, "quarter") == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    assert cal.same_period_last_year("2026-W53", "week") == "2025-W52"


# -- labels ----------------------------------------------------------------------------------

LABELS = [
    # (key, grain, lang, label, short label)
    ("2026-10", "month", "en", "October 2026", "Oct 26"),
    ("1405-07", "sh_month", "en", "Mehr 1405", "Mehr 05"),
    ("2026-Q3", "quarter", "en", "Q3 2026", "Q3 26"),
    ("1405-Q3", "sh_quarter", "en", "Q3 1405", "Q3 05"),
    ("2026-W05", "week", "en", "Week 5, 2026", "W5 26"),
    ("2026-10", "month", "fi", "lokakuu 2026", "loka 26"),
    ("1405-07", "sh_month", "fi", "Mehr 1405", "Mehr 05"),
    ("2026-Q3", "quarter", "fi", "heinä–syyskuu 2026", "7–9/26"),
    ("1405-Q3", "sh_quarter", "fi", "Mehr–Azar 1405", "7–9/05"),
    ("2026-W05", "week", "fi", "viikko 5/2026", "vko 5/26"),
    ("2026-10", "month", "he", "אוקטובר 2026", "אוק׳ 26"),
    ("1405-07", "sh_month", "he", "מהר 1405", "מהר 05"),
    ("2026-Q3", "quarter", "he", "רבעון 3 2026", "Q3 26"),
    ("1405-Q3", "sh_quarter", "he", "רבעון 3 1405", "Q3 05"),
    ("2026-W05", "week", "he", "שבוע 5 בשנת 2026", "שבוע 5, 26"),
    ("2026-10", "month", "fa", "اکتبر 2026", "اکتبر 26"),
    ("2026-01", "month", "fa", "ژانویهٔ 2026", "ژانویهٔ 26"),
    ("1405-07", "sh_month", "fa", "مهر 1405", "مهر 05"),
    ("2026-Q3", "quarter", "fa", "سه‌ماههٔ سوم 2026", "س‌م3 26"),
    ("1405-Q3", "sh_quarter", "fa", "سه‌ماههٔ سوم 1405", "پاییز 05"),
    ("2026-W05", "week", "fa", "هفتهٔ 5م 2026", "هفتهٔ 5م 26"),
    ("2026-10", "month", "uz", "oktabr, 2026", "okt, 26"),
    ("1405-07", "sh_month", "uz", "Mehr, 1405", "Mehr, 05"),
    ("2026-Q3", "quarter", "uz", "2026, 3-chorak", "2026, 3-ch"),
    ("1405-Q3", "sh_quarter", "uz", "1405, 3-chorak", "1405, 3-ch"),
    ("2026-W05", "week", "uz", "2026, 5-hafta", "2026, 5-hafta"),
]


@pytest.mark.parametrize(("key", "grain", "lang", "label", "short"), LABELS)
def test_period_labels(key: str, grain: str, lang: str, label: str, short: str) -> None:
    assert cal.period_label(key, grain, lang) == label
    assert cal.short_period_label(key, grain, lang) == short


def test_every_language_and_grain_has_a_label() -> None:
    covered = {(lang, grain) for _, grain, lang, _, _ in LABELS}
    assert covered == {(lang, grain) for lang in cal.LABELS for grain in cal.ALL_GRAINS}


def test_persian_labels_with_persian_digits() -> None:
    assert cal.period_label("2026-10", "month", "fa", digits="persian") == "اکتبر ۲۰۲۶"
    assert cal.period_label("1405-07", "sh_month", "fa", digits="persian") == "مهر ۱۴۰۵"
    assert cal.short_period_label("1405-07", "sh_month", "fa", digits="persian") == "مهر ۰۵"
    assert cal.period_label("1405-Q3", "sh_quarter", "fa", digits="persian") == (
        "سه\u200cماههٔ سوم ۱۴۰۵"
    )
    assert cal.short_period_label("1405-Q1", "sh_quarter", "fa", digits="persian") == "بهار ۰۵"
    assert cal.short_period_label("2026-Q3", "quarter", "fa", digits="persian") == "س\u200cم۳ ۲۶"
    assert cal.period_label("2026-W05", "week", "fa", digits="persian") == "هفتهٔ ۵م ۲۰۲۶"


def test_month_names_are_twelve_per_language() -> None:
    for words in cal.LABELS.values():
        for names in (words.months, words.months_short, words.sh_months):
            assert len(names) == 12 and len(set(names)) == 12


# -- Persian digits ------------------------------------------------------------------------


def test_to_persian_digits() -> None:
    assert to_persian_digits("1,234,567.89") == "۱٬۲۳۴٬۵۶۷٫۸۹"
    assert to_persian_digits("12.5%") == "۱۲٫۵%"
    assert to_persian_digits("Q3, 2026.") == "Q۳, ۲۰۲۶."  # punctuation is not a separator
    assert to_persian_digits("0123456789") == "۰۱۲۳۴۵۶۷۸۹"
    assert to_persian_digits("مهر") == "مهر"


@pytest.mark.parametrize(
    ("fmt", "persian"),
    [
        ("#,##0", "[$-3000429]#,##0"),
        ("General", "[$-3000429]General"),
        ("0.0%;-0.0%", "[$-3000429]0.0%;[$-3000429]-0.0%"),
        ('#,##0;[Red]-#,##0;"–"', '[$-3000429]#,##0;[$-3000429][Red]-#,##0;[$-3000429]"–"'),
        ("[$-409]#,##0", "[$-3000429]#,##0"),
        ("[$€-2]\\ #,##0.00", "[$-3000429][$€-2]\\ #,##0.00"),
        ('0" a;b"', '[$-3000429]0" a;b"'),
        ("0\\;0", "[$-3000429]0\\;0"),
        ("0;;", "[$-3000429]0;;"),
        ("0;-0;0;@", "[$-3000429]0;[$-3000429]-0;[$-3000429]0;@"),
        ("@", "@"),
    ],
)
def test_persian_digit_format(fmt: str, persian: str) -> None:
    assert persian_digit_format(fmt) == persian
    assert persian_digit_format(persian) == persian  # idempotent


def test_split_sections_respects_quotes_brackets_and_escapes() -> None:
    assert split_sections('[>=100]0;"x;y"0;\\;0;@') == ["[>=100]0", '"x;y"0', "\\;0", "@"]


# -- LibreOffice shows the digits ----------------------------------------------------------

#: (format, value, what LibreOffice shows with the Persian-digit format)
SHOWN = [
    ("#,##0", 1234567.891, "۱٬۲۳۴٬۵۶۸"),
    ("#,##0.00", 1234567.891, "۱٬۲۳۴٬۵۶۷٫۸۹"),
    ("0.0%", 0.1234, "۱۲٫۳%"),
    ('"€"#,##0.00', 1234567.891, "€۱٬۲۳۴٬۵۶۷٫۸۹"),
    ("#,##0;-#,##0", -1234567.891, "-۱٬۲۳۴٬۵۶۸"),
    ("General", 1234567.891, "۱۲۳۴۵۶۷٫۸۹۱"),
]
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _pdftotext() -> str:
    exe = shutil.which("pdftotext")
    if exe:
        return exe
    if os.environ.get("KPI_XL_REQUIRE_LIBREOFFICE") == "1":
        pytest.fail("pdftotext (poppler-utils) is required here but not installed")
    pytest.skip("pdftotext (poppler-utils) is not installed")


def _shown(xlsx: Path, out: Path) -> dict[str, str]:
    """Each row's marker -> the text LibreOffice shows in the row's value cells."""
    pdf = libreoffice_convert(xlsx, out, "pdf")
    text = subprocess.run(
        [_pdftotext(), "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    rows = {}
    for line in _BIDI.sub("", text).splitlines():
        found = re.match(r"\s*(ROW\d\d)\s+(.*?)\s*$", line)
        if found:
            rows[found[1]] = found[2].replace("−", "-")  # U+2212: LibreOffice's minus
    return rows


@pytest.mark.libreoffice
def test_libreoffice_shows_persian_digits_and_keeps_the_format(tmp_path: Path) -> None:
    soffice()
    src = tmp_path / "digits.xlsx"
    book = xlsxwriter.Workbook(str(src))
    sheet = book.add_worksheet()
    sheet.set_column(0, 0, 8)
    sheet.set_column(1, 2, 24)
    for row, (fmt, value, _) in enumerate(SHOWN):
        sheet.write_string(row, 0, f"ROW{row:02d}")
        sheet.write_number(row, 1, value, book.add_format({"num_format": fmt}))
        persian = book.add_format({"num_format": persian_digit_format(fmt)})
        sheet.write_number(row, 2, value, persian)
    book.close()

    shown = _shown(src, tmp_path / "pdf")
    for row, (fmt, _, persian) in enumerate(SHOWN):
        latin, ours = shown[f"ROW{row:02d}"].rsplit(maxsplit=1)
        assert ours == persian, fmt
        assert not re.search("[۰-۹]", latin), f"{fmt} without the prefix stays Latin"

    # LibreOffice writes the format back to xlsx as it read it, and shows it the same
    again = libreoffice_convert(src, tmp_path / "xlsx", "xlsx")
    cells = openpyxl.load_workbook(again).active
    assert cells is not None
    for row, (fmt, _, _) in enumerate(SHOWN):
        kept = cells.cell(row=row + 1, column=3).number_format
        sections = split_sections(kept)
        assert len(sections) == len(split_sections(fmt))
        assert all(s.startswith(PERSIAN_LOCALE) for s in sections), kept
    again_shown = _shown(again, tmp_path / "pdf-again")
    for row, (_, _, persian) in enumerate(SHOWN):
        assert again_shown[f"ROW{row:02d}"].rsplit(maxsplit=1)[1] == persian
