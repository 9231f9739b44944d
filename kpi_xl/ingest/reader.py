"""The one reader every platform goes through.

For a :class:`~kpi_xl.ingest.spec.Platform` and the tables found under its header:

1. pick the table (a hook when a file holds several) and refuse the reports the
   platform declares unusable, with what to export instead;
2. an empty export ("No data available.") gives no rows and a warning;
3. find the columns: dates, campaign, segment parts, channel, currency, measures, rates;
4. drop total rows (a label reading ``Total...``, or all labels empty);
5. read each row's first and last day from the first date source the file has;
6. parse numbers with the one number parser, rates as fractions (a rate column whose
   values without ``%`` go above 1 is in percent: a fraction never exceeds 1; see
   :mod:`kpi_xl.ingest.numbers`), derive measures (hook), pick channels;
7. collapse hourly rows to days, then check and return the canonical rows with a
   :class:`~kpi_xl.ingest.fields.Report` of what was read.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from kpi_xl.errors import KpiXlError
from kpi_xl.ingest import numbers
from kpi_xl.ingest.dates import COMPACT, ISO
from kpi_xl.ingest.fields import Context, Loaded, Reader, Report, finish, header_names, norm
from kpi_xl.ingest.spec import (
    DateSource,
    DayColumn,
    Names,
    PeriodColumn,
    Platform,
    RangeColumns,
    ReportRange,
)
from kpi_xl.ingest.table import TOTAL, Document, Table, cell_text

NO_DATA = re.compile(r"^\s*no data(?: available)?\.?\s*$", re.IGNORECASE)
WHOLE_PERIOD = "whole period"


def _no_data(table: Table) -> bool:
    """Ads Manager's empty export: the header, then one line ``No data available.``."""
    if len(table) == 0:
        return True
    first = Reader(table).text(0)
    return len(table) <= 2 and bool(first.str.match(NO_DATA).all())


def _find_source(
    platform: Platform, reader: Reader
) -> tuple[DateSource, tuple[int, ...], tuple[dt.date, dt.date] | None]:
    """The first date source the table has: its columns, or the report's range."""
    for source in platform.dates:
        if isinstance(source, DayColumn | PeriodColumn):
            pos = reader.find_names(source.names)
            if pos is not None:
                return source, (pos,), _report_range(platform, reader.table)
        elif isinstance(source, RangeColumns):
            start, end = reader.find_names(source.start), reader.find_names(source.end)
            if start is not None and end is not None:
                return source, (start, end), None
        else:
            found = source.parser(reader.table)
            if found is not None:
                return source, (), found
    first = next((s for s in platform.dates if not isinstance(s, ReportRange)), None)
    column = None
    if isinstance(first, DayColumn | PeriodColumn):
        column = first.names.english
    elif isinstance(first, RangeColumns):
        column = first.start.english
    hint = platform.extras.get("no_dates_hint", "")
    raise KpiXlError(
        f"this {platform.title} report has no dates: expected {_expected_dates(platform)}"
        + (f" ({hint})" if hint else ""),
        file=reader.file,
        line=reader.table.header_line,
        column=column,
    )


def _expected_dates(platform: Platform) -> str:
    parts = []
    for source in platform.dates:
        if isinstance(source, DayColumn | PeriodColumn):
            if "en" in source.names.by_language:  # a language variant is named once
                parts.append(f"a {source.names.english!r} column")
        elif isinstance(source, RangeColumns):
            parts.append(f"{source.start.english!r} and {source.end.english!r} columns")
        else:
            parts.append(source.where)
    return " or ".join(parts)


def _report_range(platform: Platform, table: Table) -> tuple[dt.date, dt.date] | None:
    for source in platform.dates:
        if isinstance(source, ReportRange):
            return source.parser(table)
    return None


def _timestamps(days: Sequence[dt.date]) -> pd.Series:
    return pd.Series(pd.to_datetime(list(days)), dtype="datetime64[ns]")


def _week_of_year(year: int, week: int) -> tuple[dt.date, dt.date]:
    """GA4's ``Week``: weeks start on Sunday and 1 January is always in week 01."""
    first = dt.date(year, 1, 1)
    sunday = first - dt.timedelta(days=(first.weekday() + 1) % 7)
    start = max(sunday + dt.timedelta(weeks=week - 1), first)
    end = min(sunday + dt.timedelta(weeks=week, days=-1), dt.date(year, 12, 31))
    return start, end


def _week_numbers(
    reader: Reader, pos: int, report: tuple[dt.date, dt.date] | None
) -> tuple[pd.Series, pd.Series]:
    if report is None:
        raise reader.error(
            "a week number needs the report's date range: expected the export's "
            "'Start date' and 'End date' lines",
            pos,
            None,
        )
    weeks = reader.numbers({"w": pos})["w"]
    bad = np.isnan(weeks) | (weeks != np.floor(weeks)) | (weeks < 1) | (weeks > 54)
    if bad.any():
        raise reader.error("expected a week number such as 07", pos, int(np.flatnonzero(bad)[0]))
    first_week = _week_number(report[0])
    starts, ends = [], []
    for number in weeks.astype(int).tolist():
        year = report[0].year if number >= first_week else report[1].year
        start, end = _week_of_year(year, number)
        starts.append(max(start, report[0]))
        ends.append(min(end, report[1]))
    return _timestamps(starts), _timestamps(ends)


def _week_number(day: dt.date) -> int:
    first = dt.date(day.year, 1, 1)
    sunday = first - dt.timedelta(days=(first.weekday() + 1) % 7)
    return (day - sunday).days // 7 + 1


def _row_dates(
    source: DateSource,
    positions: tuple[int, ...],
    report: tuple[dt.date, dt.date] | None,
    reader: Reader,
) -> tuple[pd.Series, pd.Series, str]:
    n = len(reader.table)
    if isinstance(source, ReportRange):
        assert report is not None
        start, end = _timestamps([report[0]] * n), _timestamps([report[1]] * n)
        return start, end, WHOLE_PERIOD
    if isinstance(source, RangeColumns):
        start = reader.dates(positions[0], source.formats)
        end = reader.dates(positions[1], source.formats)
        same = bool((start == end).all())
        return start, end, "daily" if same else WHOLE_PERIOD
    pos = positions[0]
    if isinstance(source, DayColumn):
        day = reader.dates(pos, source.formats)
        return day, day, source.granularity
    if source.span == "hour":
        days = reader.text(pos).str.strip().str.slice(0, 8)
        columns = [days if i == pos else c for i, c in enumerate(reader.table.columns)]
        day = Reader(dataclasses.replace(reader.table, columns=columns)).dates(pos, (COMPACT,))
        return day, day, source.granularity
    if source.span == "nthday":
        if report is None:
            raise reader.error(
                "'Nth day' needs the report's start date: expected a '# Start date: YYYYMMDD' line",
                pos,
                None,
            )
        numbers_read = reader.numbers({"n": pos})["n"]
        bad = np.isnan(numbers_read) | (numbers_read != np.floor(numbers_read)) | (numbers_read < 0)
        if bad.any():
            raise reader.error(
                "expected a day number such as 0003", pos, int(np.flatnonzero(bad)[0])
            )
        day = pd.Series(pd.Timestamp(report[0]) + pd.to_timedelta(numbers_read, unit="D"))
        day = day.astype("datetime64[ns]")
        return day, day, source.granularity
    if source.span == "weeknumber":
        start, end = _week_numbers(reader, pos, report)
        return start, end, source.granularity
    if source.span == "year":
        years = reader.numbers({"y": pos})["y"]
        bad = np.isnan(years) | (years < 1900) | (years > 2200) | (years != np.floor(years))
        if bad.any():
            raise reader.error("expected a year such as 2025", pos, int(np.flatnonzero(bad)[0]))
        start = _timestamps([dt.date(int(y), 1, 1) for y in years])
        end = _timestamps([dt.date(int(y), 12, 31) for y in years])
        return start, end, source.granularity
    day = reader.dates(pos, source.formats or (ISO,))
    if source.span == "week":
        return day, day + pd.Timedelta(days=6), source.granularity
    first = day.dt.to_period("M").dt.start_time.astype("datetime64[ns]")
    last = day.dt.to_period("M").dt.end_time.dt.normalize().astype("datetime64[ns]")
    return first, last, source.granularity


def _currency(platform: Platform, reader: Reader) -> pd.Series | str:
    spec = platform.currency
    if spec is None:
        return ""
    if spec.column is not None:
        pos = reader.find_names(spec.column)
        if pos is not None:
            reader.one_currency(pos)
            codes = reader.text(pos).str.strip().str.upper()
            present = codes[codes != ""]
            return str(present.iloc[0]) if len(present) else ""
    if spec.header_pattern is not None:
        for name in reader.table.header:
            match = re.fullmatch(spec.header_pattern, norm(name))
            if match is not None and match.group(1):
                return match.group(1).upper()
    return ""


def _other_dimensions(reader: Reader, used: set[int | None]) -> list[int]:
    """Unmapped columns holding text (or a known time part): more segment parts."""
    dims = []
    for pos in range(len(reader.table.header)):
        name = norm(reader.name(pos))
        if pos in used or not name:
            continue
        if (
            name in ("hour", "day", "month", "week", "year", "day of week")
            or name.startswith("nth ")
            or not numbers.is_numeric_column(reader.table.columns[pos])
        ):
            dims.append(pos)
    return dims


def read_platform(platform: Platform, tables: list[Table], doc: Document, ctx: Context) -> Loaded:
    """The canonical rows of one export, read as ``platform`` declares."""
    table = platform.pick(tables, doc) if platform.pick is not None else tables[0]
    header = header_names(table.header)
    for refusal in platform.refusals:
        if refusal.applies(table, header):
            raise KpiXlError(refusal.message, file=table.file, line=table.header_line)
    report = Report(table.file, platform.name, platform.title)
    if platform.exported_at is not None:
        report.exported_at = platform.exported_at(table)
    if _no_data(table):
        report.warnings.append(f"the {platform.title} export holds no data (no rows read)")
        return _empty(report)
    reader = Reader(table)
    source, date_pos, report_range = _find_source(platform, reader)
    campaign = reader.find_names(platform.campaign) if platform.campaign else None
    segments = [p for names in platform.segments if (p := reader.find_names(names)) is not None]
    measure_pos = _positions(reader, platform.measures)
    rate_pos = _positions(reader, platform.rates)
    input_pos = _positions(reader, platform.inputs)
    group = reader.find_names(platform.channel.column) if platform.channel.column else None
    duration_pos = _positions(reader, platform.durations)
    used = {*date_pos, campaign, group, *segments, *measure_pos.values(), *rate_pos.values(),
            *duration_pos.values(), *input_pos.values()}  # fmt: skip
    others = _other_dimensions(reader, used) if platform.other_dimensions else []
    labels = [group, campaign, *segments, *others]
    totals = reader.summary_rows(
        date_pos[0] if date_pos else None, labels, empty_labels=platform.totals.empty_labels
    )
    # a total's label may stand in the first column whatever it holds ("Total: Campaigns"
    # under "Campaign status")
    totals |= reader.text(0).str.match(TOTAL).to_numpy(dtype=bool)
    if platform.totals.pattern is not None:
        for pos in [*date_pos[:1], *[p for p in labels if p is not None]]:
            totals |= reader.text(pos).str.match(platform.totals.pattern, case=False).to_numpy()
    total_table = reader.table.take(totals) if platform.totals.keep_whole and totals.any() else None
    reader = Reader(reader.table.take(~totals))
    if len(reader.table) == 0:
        report.warnings.append(f"the {platform.title} export holds only total rows (no rows read)")
        return _empty(report)
    start, end, granularity = _row_dates(source, date_pos, report_range, reader)
    numeric = {**measure_pos, **rate_pos, **input_pos}
    rates = _rates(reader, rate_pos, numeric, report)
    values = {**reader.numbers(numeric, rates=rate_pos), **rates}
    for key, at in duration_pos.items():
        values[key] = reader.seconds(at)
    measures = {k: values[k] for k in measure_pos}
    if platform.derive is not None:
        measures = platform.derive(reader, {**values, **measures})
    if measures:  # rows without a single figure: a note typed under the table
        empty = np.logical_and.reduce([np.isnan(np.asarray(v, dtype="float64"))
                                       for v in measures.values()])  # fmt: skip
        if empty.any() and not empty.all():
            keep = ~empty
            reader = Reader(reader.table.take(keep))
            start, end = start[keep].reset_index(drop=True), end[keep].reset_index(drop=True)
            measures = {k: np.asarray(v)[keep] for k, v in measures.items()}
    if not measures:
        wanted = ", ".join(repr(n.english) for n in platform.measures.values())
        raise KpiXlError(
            f"this {platform.title} report has none of the columns kpi_xl reads: expected "
            f"some of {wanted}",
            file=table.file,
            line=table.header_line,
        )
    channel = _channel(platform, reader, group, ctx)
    labels_of = {k: measure_pos.get(k, next(iter(measure_pos.values()), 0)) for k in measures}
    loaded = finish(
        reader,
        source=platform.name,
        dates=(start, end),
        channel=channel,
        measures=measures,
        campaign=reader.text(campaign) if campaign is not None else None,
        segment=reader.joined([group if platform.channel.in_segment else None, *segments, *others]),
        currency=_currency(platform, reader),
        labels=labels_of,
        repeats="add" if granularity == "hourly" else "sum",
    )
    if total_table is not None:
        kept = _whole_totals(platform, total_table, source, date_pos, report_range, ctx)
        if kept is not None:
            loaded = _with_rows(loaded, kept)
            report.notes.append(
                f"{', '.join(m for m in kept.frame.columns if m in measure_pos)} for the whole "
                "export kept from its total row (distinct people cannot be added up)"
            )
    report.duplicates = loaded.reports[0].duplicates if loaded.reports else 0
    if report.duplicates:
        report.notes.append(
            f"{report.duplicates} row(s) repeat another row exactly (for example two ads with "
            "the same name): each is counted"
        )
    if granularity == "hourly":
        granularity = "daily (from hourly rows)"
    report.granularity = granularity
    report.rows = len(loaded.frame)
    if report.rows:
        report.start = loaded.frame["date_from"].min().date()
        report.end = loaded.frame["date_to"].max().date()
    return Loaded(loaded.frame, loaded.lines, loaded.files, (platform.name,), (report,))


def _rates(
    reader: Reader, rates: Mapping[str, int], numeric: Mapping[str, int], report: Report
) -> dict[str, np.ndarray]:
    """The rate columns as fractions, by the rule of :mod:`kpi_xl.ingest.numbers`: a
    column whose values written without ``%`` go above 1 is in percent (a fraction never
    exceeds 1), divided by 100 with a warning in ``report``; a value that is no share in
    either unit (negative, above 100) is an error. Values that are not numbers are left to
    :meth:`Reader.numbers`, which reads the same columns with the same decimal marks."""
    fallback: list[numbers.Decimal | None] = []  # the file's decimal mark, when needed

    def file_decimal() -> numbers.Decimal | None:
        if not fallback:
            votes = [numbers.votes(reader.table.columns[pos]) for pos in numeric.values()]
            fallback.append(numbers.decide(sum(v[0] for v in votes), sum(v[1] for v in votes)))
        return fallback[0]

    out: dict[str, np.ndarray] = {}
    for key, pos in rates.items():
        column = reader.table.columns[pos]
        decimal = numbers.decide(*numbers.votes(column)) or file_decimal()
        parsed, bad = numbers.parse(column, decimal=decimal, percent=True)
        read = numbers.rate_fractions(column, np.where(bad, np.nan, parsed))
        if read.bad is not None:
            value = cell_text(column.iloc[read.bad]).strip()
            raise reader.error(
                f"{value!r} {read.problem}: expected {numbers.RATE_EXAMPLE}", pos, read.bad
            )
        if read.percent and read.example is not None:
            shown = cell_text(column.iloc[read.example]).strip()
            fraction = format(read.values[read.example], ".15g")
            report.warnings.append(
                f"column {reader.name(pos)!r} has rates without a % sign above 1 (such as "
                f"{shown}): read as percentages ({shown} = {shown}% = {fraction}), since a "
                "fraction is never above 1"
            )
        out[key] = read.values
    return out


def _positions(reader: Reader, columns: Mapping[str, Names]) -> dict[str, int]:
    found = {key: reader.find_names(names) for key, names in columns.items()}
    return {key: pos for key, pos in found.items() if pos is not None}


def _whole_totals(
    platform: Platform,
    table: Table,
    source: DateSource,
    date_pos: tuple[int, ...],
    report_range: tuple[dt.date, dt.date] | None,
    ctx: Context,
) -> Loaded | None:
    """The whole-period measures (reach, users) of the total rows (``Totals.keep_whole``),
    one row each, not split by campaign; None when they give none."""
    from kpi_xl.catalog.records import measures

    reader = Reader(table)
    catalog = measures()
    wanted = {
        m: pos
        for m, pos in _positions(reader, platform.measures).items()
        if m in catalog and catalog[m].non_additive
    }
    if not wanted:
        return None
    try:
        start, end, _ = _row_dates(source, date_pos, report_range, reader)
        values = reader.numbers(wanted)
    except KpiXlError:  # a total row without its dates (a daily export): nothing to keep
        return None
    reported = np.logical_or.reduce([~np.isnan(v) for v in values.values()])
    if not reported.any():
        return None
    reader = Reader(table.take(reported))
    start, end = start[reported].reset_index(drop=True), end[reported].reset_index(drop=True)
    default = platform.channel.default
    channel = "all" if platform.totals.keep_whole == "all" else ctx.channels(platform.name, default)
    blank = pd.Series([""] * len(reader.table), dtype=object)
    return finish(
        reader,
        source=platform.name,
        dates=(start, end),
        channel=channel,
        measures={m: v[reported] for m, v in values.items()},
        campaign=blank,
        segment=blank,
        currency=_currency(platform, reader),
    )


def _with_rows(loaded: Loaded, extra: Loaded) -> Loaded:
    frame = pd.concat([loaded.frame, extra.frame], ignore_index=True, sort=False)
    return Loaded(
        frame,
        np.concatenate([loaded.lines, extra.lines]),
        np.concatenate([loaded.files, extra.files]),
        loaded.formats,
        loaded.reports,
    )


def _channel(
    platform: Platform, reader: Reader, group: int | None, ctx: Context
) -> pd.Series | str:
    rule = platform.channel
    if group is not None:
        return ctx.channels(platform.name, rule.default, reader.text(group), rule.table)
    if rule.rule is not None and platform.name not in ctx.channel_map:
        return rule.rule(reader)
    return ctx.channels(platform.name, rule.default)


def _empty(report: Report) -> Loaded:
    from kpi_xl.ingest.canonical import COLUMNS

    frame = pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if c.startswith("date") else object)
                          for c in COLUMNS})  # fmt: skip
    empty = np.zeros(0, dtype=np.int64)
    return Loaded(frame, empty, np.zeros(0, dtype=object), (report.platform,), (report,))
