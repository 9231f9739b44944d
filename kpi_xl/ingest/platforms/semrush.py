"""Semrush Position Tracking exports: the detailed positions CSV (one column per tracked
day) and the Rankings Overview (positions on the period's last day).

Positions, ``<domain>_positions_detailed_YYYY-MM-DD.csv`` (UTF-8 with BOM)::

    "Google United Kingdom (London, England, United Kingdom), interface language: English"
    Keyword,URL,Tags,"Search vol.",2026-01-31,Dynamics,2026-02-01,Dynamics
    Awning,--,,22508,22,0,21,1                     <- a keyword group: dropped
    Awning,https://awningdepot.co.uk/,,18100,22,0,18,4
    "Awning canopy",https://awningdepot.co.uk/,,4400,-,0,"No data","No data"

Variants: no ``Tags`` column; no ``Dynamics`` columns (``...,"Search vol.",2026-02-20,
2026-02-21``); a ``Map`` column after each ``Dynamics``; ``Content Score`` and SERP
feature columns. Only the date columns (``YYYY-MM-DD``) are read: a position 1-100, ``-``
(not in the top 100) or ``No data`` (the keyword was not checked that day; also an empty
cell). Rows whose URL is ``--`` are keyword groups (their search volume is the sum of the
keywords under them on every group row of 13 real exports; their position is about their
average): they would count their keywords twice and are dropped.

Rankings Overview (``*_position_tracking_rankings_overview_YYYYMMDD.csv``; ``;`` or ``,``)::

    ------------------------------
    ID: 12858612_1170961
    Report type: position_tracking_rankings_overview
    Period: 20230903 - 20230909
    ------------------------------

    Keyword;*.example.com/*_20230909;*.example.com/*_20230909_type;*.example.com/*_20230909_landing;
    *.example.com/*_difference;Tags;Intents;CPC;Search Volume;Keyword Difficulty    <- one line
    starfield ps5;32;organic;https://example.com/starfield-ps5;68;;i;0.92;18100;43

Each ``<target>_YYYYMMDD`` column holds the positions of that target (the project's
domain, or a competitor's) on that day, the period's last; ``_type``, ``_landing`` and
``_difference`` are not read.

Each tracked day becomes one row (channel ``seo``, campaign empty): ``ranked_keywords``
(keywords at a position 1-100 that day), ``top10_keywords`` (1-10) and
``ranked_position_sum`` (the sum of those positions: average position = sum / ranked).
The catalog keeps the period's last tracked day of each. A day no keyword was checked on
gives no row; keywords marked ``No data`` on a day are left out of that day (the report
counts them). A keyword tracked in two groups is counted twice, as Semrush lists it. The
segment is the tracked domain (the most common host of the URL column; the Overview's
target) followed by the location line when the export has one, so that projects of
different domains or locations stay apart.

The snapshot shape ``Keyword,Search vol.,20/02/2026`` (no URL, ``100+`` for not ranked,
one day-first date) is not read: its date order is not certain.
"""

from __future__ import annotations

import re
from collections import Counter
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

from kpi_xl.ingest.canonical import COLUMNS
from kpi_xl.ingest.dates import COMPACT, ISO
from kpi_xl.ingest.fields import Context, Loaded, Reader, Report, finish, norm
from kpi_xl.ingest.ranges import parse_day
from kpi_xl.ingest.spec import (
    Channels,
    DayColumn,
    Detect,
    Platform,
    Refusal,
    Signal,
    Totals,
    col,
)
from kpi_xl.ingest.table import Document, Table

NAME = "semrush"
KEYWORD = col("Keyword")
URL = col("URL")
SEARCH_VOLUME = col("Search vol.", "Search Volume")
DAY_HEADER = r"\d{4}-\d{2}-\d{2}"
DAY = col(pattern=DAY_HEADER)
TARGET_DAY = col(pattern=r".+_\d{8}")
GROUP_URL = "--"
NOT_RANKED = "-"
NOT_CHECKED = ("no data", "")
POSITION = re.compile(r"\d{1,3}")
MEASURES = ("ranked_keywords", "top10_keywords", "ranked_position_sum")


def _empty(report: Report) -> Loaded:
    frame = pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if c.startswith("date") else object)
                          for c in COLUMNS})  # fmt: skip
    return Loaded(frame, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=object),
                  (report.platform,), (report,))  # fmt: skip


def _header_day(reader: Reader, pos: int, text: str) -> pd.Timestamp:
    day = parse_day(text)
    if day is None:
        raise reader.error(
            f"{text!r} is not a valid date: no such day (expected a column per tracked day "
            "such as 2026-01-31)",
            pos,
            None,
        )
    return pd.Timestamp(day)


def _positions(reader: Reader, pos: int) -> tuple[np.ndarray, np.ndarray]:
    """A day's positions (NaN when not ranked) and which keywords were checked that day."""
    text = reader.text(pos).str.strip()
    folded = text.str.casefold()
    checked = ~folded.isin(NOT_CHECKED).to_numpy(dtype=bool)
    ranked = text.str.fullmatch(POSITION.pattern).to_numpy(dtype=bool)
    values = np.full(len(text), np.nan)
    values[ranked] = text[ranked].astype(int).to_numpy(dtype="float64")
    bad = (checked & ~ranked & (text != NOT_RANKED).to_numpy(dtype=bool)) | (
        ranked & ((values < 1) | (values > 100))
    )
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise reader.error(
            f"{text.iloc[row]!r} is not a position: expected a position from 1 to 100, '-' "
            "(not in the top 100) or 'No data'",
            pos,
            row,
        )
    return values, checked


def _domain(urls: pd.Series) -> str:
    hosts = Counter(
        host.removeprefix("www.")
        for url in urls.tolist()
        if url.strip() not in ("", GROUP_URL) and (host := urlsplit(url.strip()).hostname)
    )
    return hosts.most_common(1)[0][0] if hosts else ""


def _target(header: str) -> str:
    """``*.example.com/*`` -> ``example.com``: the tracked target as a label."""
    return header.strip().removeprefix("*.").removesuffix("/*").removesuffix("*")


def _rows(
    table: Table, days: list[pd.Timestamp], segments: list[str], counts: dict[str, list[float]],
    ctx: Context,
) -> Loaded:  # fmt: skip
    n = len(days)
    lines = np.full(n, table.header_line or 1, dtype=np.int64)
    dates = pd.Series(days, dtype="datetime64[ns]")
    rows = Table(table.file, ["day"], table.header_line, [dates], lines)
    channel = ctx.channels(NAME, "seo")
    return finish(
        Reader(rows),
        source=NAME,
        dates=dates,
        channel=pd.Series([channel] * n, dtype=object),
        measures={m: np.array(counts[m], dtype="float64") for m in MEASURES},
        segment=pd.Series(segments, dtype=object),
    )


def _count(values: np.ndarray) -> tuple[float, float, float]:
    ranked = ~np.isnan(values)
    return float(ranked.sum()), float((values[ranked] <= 10).sum()), float(values[ranked].sum())


def _detailed(table: Table, report: Report, ctx: Context) -> Loaded:
    reader = Reader(table)
    url = reader.find_names(URL)
    assert url is not None  # the layout was recognized by it
    groups = (reader.text(url).str.strip() == GROUP_URL).to_numpy(dtype=bool)
    if groups.any():
        report.notes.append(f"{int(groups.sum())} keyword group row(s) (URL '--') not counted")
    reader = Reader(table.take(~groups))
    location = table.preamble[0].strip() if table.preamble else ""
    segment = " / ".join(p for p in (_domain(reader.text(url)), location) if p)
    days: list[pd.Timestamp] = []
    counts: dict[str, list[float]] = {m: [] for m in MEASURES}
    unchecked = 0
    for pos, name in enumerate(table.header):
        if not re.fullmatch(DAY_HEADER, norm(name)):
            continue
        day = _header_day(reader, pos, norm(name))
        values, checked = _positions(reader, pos)
        if not checked.any():
            continue
        unchecked += int((~checked).sum())
        days.append(day)
        for key, value in zip(MEASURES, _count(values), strict=True):
            counts[key].append(value)
    if unchecked:
        report.notes.append(
            f"{unchecked} keyword-day(s) marked 'No data' (not checked) are not counted"
        )
    return _rows(table, days, [segment] * len(days), counts, ctx)


def _overview(table: Table, report: Report, ctx: Context) -> Loaded:
    reader = Reader(table)
    days: list[pd.Timestamp] = []
    segments: list[str] = []
    counts: dict[str, list[float]] = {m: [] for m in MEASURES}
    for pos, name in enumerate(table.header):
        match = re.fullmatch(r"(.+)_(\d{8})", name.strip().replace("\ufeff", ""))
        if match is None:
            continue
        days.append(_header_day(reader, pos, match.group(2)))
        segments.append(_target(match.group(1)))
        values, _ = _positions(reader, pos)
        for key, value in zip(MEASURES, _count(values), strict=True):
            counts[key].append(value)
    report.notes.append("a Rankings Overview: positions on the period's last day")
    return _rows(table, days, segments, counts, ctx)


def read(tables: list[Table], doc: Document, ctx: Context) -> Loaded:
    """One row per tracked day (and target) from the wide table of positions."""
    table = tables[0]
    report = Report(table.file, NAME, PLATFORM.title, "daily")
    if len(table) == 0:
        report.warnings.append("the Semrush export holds no keywords (no rows read)")
        return _empty(report)
    detailed = Reader(table).find_names(URL) is not None
    loaded = _detailed(table, report, ctx) if detailed else _overview(table, report, ctx)
    report.rows = len(loaded.frame)
    if report.rows:
        report.start = loaded.frame["date_from"].min().date()
        report.end = loaded.frame["date_to"].max().date()
    else:
        report.warnings.append("no tracked day in the Semrush export (no rows read)")
    return Loaded(loaded.frame, loaded.lines, loaded.files, (NAME,), (report,))


def _snapshot(table: Table) -> bool:
    """``Keyword,Search vol.,20/02/2026``: positions of one day, no URL column."""
    reader = Reader(table)
    return (
        reader.find_names(KEYWORD) is not None
        and reader.find_names(SEARCH_VOLUME) is not None
        and reader.find_names(URL) is None
        and reader.find_re(r"\d{1,2}/\d{1,2}/\d{4}") is not None
    )


PLATFORM = Platform(
    name=NAME,
    title="Semrush Position Tracking",
    kind="seo",
    layout='Semrush Position Tracking export (Keyword, URL, "Search vol.", one YYYY-MM-DD '
    "column per day; or the Rankings Overview: Keyword, <target>_YYYYMMDD)",
    detect=Detect(all_of=(KEYWORD, SEARCH_VOLUME), any_of=((DAY, TARGET_DAY),)),
    dates=(DayColumn(DAY, (ISO,)), DayColumn(TARGET_DAY, (COMPACT,))),
    measures=dict.fromkeys(MEASURES, DAY),
    channel=Channels("seo"),
    totals=Totals(empty_labels=False),
    signals=(
        Signal("preamble", r"^report type: position_tracking"),
        Signal("preamble", r"^google .*, interface language: "),
    ),
    read=read,
    unsupported=(
        Refusal(
            "this is a Semrush Position Tracking snapshot (Keyword, Search vol. and one "
            "DD/MM/YYYY position column, no URL): kpi_xl reads the detailed positions export "
            "instead (<domain>_positions_detailed_<date>.csv: Keyword, URL, Search vol., one "
            "YYYY-MM-DD column per day)",
            _snapshot,
        ),
    ),
    docs="A wide table: each tracked day's column is counted into ranked keywords (top "
    "100), top-10 keywords and the sum of their positions; keyword-group rows (URL '--') "
    "are dropped.",
    references=(
        "DanielTheC/internal-lnking-tool @ c5c9d192c73da2eda1308d6b39acabe90facd9be: 38 "
        "real *_positions_detailed_*.csv exports (BOM, location line, Dynamics / Map / no "
        "Dynamics variants, '-', 'No data', '--' group rows whose volume sums the keywords "
        "under them) and 12858612_1170961_position_tracking_rankings_overview_20230926"
        ".csv.xls (the Rankings Overview)",
        "zgraphservers/jetendo core/mvc/z/inquiries/admin/controller/"
        "import-keyword-ranking.cfc (the 2016 comma Rankings Overview header)",
    ),
)
