"""User-supplied targets: a CSV or YAML of ``kpi_id, channel, period, target`` rows.

A target is read by the same number parser as the exports
(:func:`kpi_xl.ingest.numbers.parse_value`): ``1200``, ``1,200`` or ``1 200`` (thousands),
``0,06`` (decimal comma), ``6%`` or ``6 %`` (a percentage: 0.06). A value either mark
reads (``1,234``, ``1.234``) takes the decimal mark the file's other targets show (``0,06``
says comma), else the decimal point: ``1.234`` is 1.234 and ``1,234`` is 1234. Plausibility
is checked at the door, naming the file, the line and the column:

* a KPI that is a share (:attr:`~kpi_xl.catalog.records.KPI.is_bounded_rate`: conversion,
  open or bounce rate) takes 0 to 1 (``0.06``) or 0 % to 100 % (``6%``); a bare number
  above 1 (``6``) would be 600 % and is refused with what to write instead;
* a ``%`` sign only fits a KPI measured in percent;
* a negative target only fits a KPI that may be negative (ROI, growth).

Every row is checked, never left out without a word (each error names the file, the line
and the column, and the nearest match when there is one):

* the KPI id is one of the catalog's and the channel ``all`` or one of
  :data:`~kpi_xl.vocabulary.CHANNELS` (``revnue``: did you mean ``revenue``?);
* the period is a period key (``2026-03``, ``2026-Q1``, ``2026-W05``), a year or ``year``:
  ``March 2026`` or ``2026-3`` is refused with the key meant (``2026-03``);
* no part of a key holds ``|`` (it joins the parts of a key in the plan), ``;``, ``,`` or
  a control character (a tab, a line break);
* once the plan is laid out, :func:`check_in_plan` refuses a row whose period is outside
  the plan's year (``2027-03`` in a 2026 plan) or whose KPI and channel have no row in it.
"""

from __future__ import annotations

import calendar
import csv
import difflib
import math
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from kpi_xl.catalog.records import KPI, current_id, kpis
from kpi_xl.errors import KpiXlError
from kpi_xl.ingest import numbers
from kpi_xl.resources import load_user_yaml
from kpi_xl.vocabulary import CHANNELS

Targets = dict[tuple[str, str, str], float]
FIELDS = ("kpi_id", "channel", "period", "target")
EXAMPLE = "a number such as 1200, 1,200.5, 0.06 or 6%"
#: Characters no part of a key may hold: ``|`` joins a key's parts in the plan (``kpi|scope``),
#: the others separate fields or lines.
SEPARATORS = frozenset("|;,") | {chr(c) for c in range(32)} | {"\x7f"}
#: A period key of any grain, a year (an annual target) or ``year``.
PERIOD_KEY = re.compile(
    r"(?:\d{4}-(?:0[1-9]|1[0-2])|\d{4}-Q[1-4]|\d{4}-W(?:0[1-9]|[1-4]\d|5[0-3])|\d{4}|year)"
)
PERIOD_EXAMPLES = "a month such as 2026-03, a quarter 2026-Q1, a week 2026-W05, or year"


class TargetsFile(dict[tuple[str, str, str], float]):
    """The targets of a file, keyed by (kpi_id, channel, period), with the line each was
    read from (``lines``, for :func:`check_in_plan`'s messages) and the file (``path``)."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self.lines: dict[tuple[str, str, str], int] = {}


def nearest(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'revenue'?)`` for the closest of ``choices``, else ``""``."""
    found = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {found[0]!r}?)" if found else ""


def _period_meant(text: str) -> str | None:
    """The period key a date written another way means: ``March 2026``, ``2026-3``,
    ``3/2026`` -> ``2026-03``; ``Q1 2026`` -> ``2026-Q1``; ``2026 W5`` -> ``2026-W05``;
    None when it shows no year and month."""
    year = re.search(r"(?<!\d)(\d{4})(?!\d)", text)
    if year is None:
        return None
    rest = (text[: year.start()] + " " + text[year.end() :]).strip(" -/.,").casefold()
    quarter = re.fullmatch(r"q\s*([1-4])", rest)
    if quarter:
        return f"{year[1]}-Q{quarter[1]}"
    week = re.fullmatch(r"w(?:eek)?\s*(\d{1,2})", rest)
    if week and 1 <= int(week[1]) <= 53:
        return f"{year[1]}-W{int(week[1]):02d}"
    names = {m.casefold(): i for i, m in enumerate(calendar.month_name) if m}
    names.update({m.casefold(): i for i, m in enumerate(calendar.month_abbr) if m})
    word = re.fullmatch(r"([^\W\d_]+)\.?", rest)
    if word and word[1] in names:
        return f"{year[1]}-{names[word[1]]:02d}"
    number = re.match(r"(\d{1,2})(?!\d)", rest)
    if number and 1 <= int(number[1]) <= 12:
        return f"{year[1]}-{int(number[1]):02d}"
    return None


def _check_part(path: Path, line: int, name: str, value: str) -> None:
    bad = next((c for c in value if c in SEPARATORS), None)
    if bad is not None:
        raise KpiXlError(
            f"{name} {value!r} holds {bad!r}, which separates the parts of a key in the "
            "plan: remove it",
            file=path, line=line, column=name,
        )  # fmt: skip


def _check_period(path: Path, line: int, period: str) -> None:
    if PERIOD_KEY.fullmatch(period):
        return
    meant = _period_meant(period)
    hint = f" (did you mean {meant!r}?)" if meant and meant != period else ""
    if not hint and not any(c.isdigit() for c in period):
        hint = nearest(period, ("year",))  # "yaer", "Year "
    raise KpiXlError(
        f"period {period!r} is not a period key: expected {PERIOD_EXAMPLES}{hint}",
        file=path, line=line, column="period",
    )  # fmt: skip


def _number(value: float) -> str:
    """A number in a message: ``600``, ``0.06``, ``45.5`` (no float noise)."""
    rounded = round(value, 12)
    if rounded.is_integer() and abs(rounded) < 2**53:
        return str(int(rounded))
    return format(rounded, ".15g")


def _target(path: Path, line: int, kpi: KPI, raw: Any, decimal: numbers.Decimal) -> float:
    """The target ``raw`` (a typed YAML value or text) for ``kpi``, checked; ``decimal`` is
    the file's decimal mark, for values either mark reads."""

    def fail(message: str) -> KpiXlError:
        return KpiXlError(message, file=path, line=line, column="target")

    written = str(raw).strip()
    try:
        value = numbers.parse_value(raw, percent=True, default=decimal)
    except ValueError:
        raise fail(f"{written!r} is not a number: expected {EXAMPLE}") from None
    if math.isnan(value):
        raise fail(f"{written!r} is not a number: expected {EXAMPLE}")
    if not math.isfinite(value):
        raise fail("target must be a finite number")
    percent = isinstance(raw, str) and written.endswith("%")
    if percent and kpi.unit != "percent":
        raise fail(
            f"target {written} for {kpi.id} has a % sign, but {kpi.id} is not a "
            f"percentage (its unit is {kpi.unit}): write a plain number"
        )
    if value < 0 and not kpi.allows_negative:
        raise fail(f"target {written} for {kpi.id} is negative: expected 0 or more")
    if kpi.is_bounded_rate and value > 1:
        if percent:
            raise fail(
                f"target {written} for {kpi.id} is above 100 %: a share is 0% to 100% (0 to 1)"
            )
        raise fail(
            f"target {written} for {kpi.id} is {_number(value * 100)} %: write "
            f"{_number(value)}% or {_number(value / 100)}"
        )
    return value


def _row(
    path: Path, lines: dict[str, int], raw: dict[str, Any], decimal: numbers.Decimal
) -> tuple[tuple[str, str, str], float]:
    for name in FIELDS:
        if raw.get(name) is None or str(raw[name]).strip() == "":
            raise KpiXlError(
                f"missing value; expected {name}", file=path, line=lines[name], column=name
            )
    kpi_id, channel, period = (str(raw[k]).strip() for k in FIELDS[:3])
    for name, part in zip(FIELDS[:3], (kpi_id, channel, period), strict=True):
        _check_part(path, lines[name], name, part)
    kpi_id = current_id(kpi_id)  # a KPI the catalog renamed is read as its new id
    if kpi_id not in kpis():
        raise KpiXlError(
            f"unknown KPI id {kpi_id!r}{nearest(kpi_id, kpis())}",
            file=path, line=lines["kpi_id"], column="kpi_id",
        )  # fmt: skip
    if channel != "all" and channel not in CHANNELS:
        raise KpiXlError(
            f"unknown channel {channel!r}{nearest(channel, ('all', *CHANNELS))}; expected "
            f"'all' or one of {', '.join(CHANNELS)}",
            file=path, line=lines["channel"], column="channel",
        )  # fmt: skip
    _check_period(path, lines["period"], period)
    value = _target(path, lines["target"], kpis()[kpi_id], raw["target"], decimal)
    return (kpi_id, channel, period), value


def _yaml_lines(text: str) -> list[dict[str, int]]:
    """For each entry of a YAML list, the line of each of its fields (the entry's line
    when the field is absent); empty when the document is not a list of mappings."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return []
    if not isinstance(root, yaml.SequenceNode):
        return []
    out: list[dict[str, int]] = []
    for item in root.value:
        line = item.start_mark.line + 1
        fields = dict.fromkeys(FIELDS, line)
        if isinstance(item, yaml.MappingNode):
            for key, value in item.value:
                if isinstance(key, yaml.ScalarNode) and key.value in fields:
                    fields[key.value] = value.start_mark.line + 1
        out.append(fields)
    return out


def _decimal(rows: list[tuple[dict[str, int], Any]]) -> numbers.Decimal:
    """The decimal mark the file's targets written as text show, else the point."""
    texts = [str(raw.get("target")) for _, raw in rows
             if isinstance(raw, dict) and isinstance(raw.get("target"), str)]  # fmt: skip
    if not texts:
        return "."
    point, comma = numbers.votes(pd.Series(texts, dtype=object))
    return numbers.decide(point, comma) or "."


def _csv_separator(header: str) -> str:
    """The separator of a targets CSV: the one whose header splits into the four columns
    (Excel in many European locales saves "CSV" with ``;``), else the most frequent."""
    for sep in (",", ";", "\t", "|"):
        names = {c.strip().lower() for c in next(csv.reader([header], delimiter=sep), [])}
        if set(FIELDS) <= names:
            return sep
    return max((",", ";", "\t", "|"), key=header.count)


def _csv_rows(path: Path, text: str) -> list[tuple[dict[str, int], Any]]:
    """The rows of a targets CSV, separated by ``,``, ``;`` or a tab, with each row's line;
    the header's names are read without case or surrounding spaces."""
    lines = text.splitlines()
    header = next((ln for ln in lines if ln.strip()), "")
    sep = _csv_separator(header)
    reader = csv.DictReader(lines, delimiter=sep)
    reader.fieldnames = [str(f).strip().lower() for f in reader.fieldnames or []]
    missing = [c for c in FIELDS if c not in reader.fieldnames]
    if missing:
        found = ", ".join(f for f in reader.fieldnames if f) or "nothing"
        raise KpiXlError(
            f"missing column(s) {', '.join(missing)}: the first line names {found}; name "
            f"the columns {','.join(FIELDS)}",
            file=path,
            line=1,
        )
    rows: list[tuple[dict[str, int], Any]] = []
    for raw in reader:
        line = reader.line_num
        extra = [v for v in raw.get(None) or [] if str(v).strip()]
        if extra:
            shown_sep = {"\t": "a tab"}.get(sep, repr(sep))
            hint = (
                ': a decimal comma in a comma-separated file? quote the value ("0,06") or '
                "write 0.06"
                if sep == ","
                else ""
            )
            raise KpiXlError(
                f"this row has more fields than the header ({len(FIELDS)} separated by "
                f"{shown_sep}){hint}",
                file=path,
                line=line,
            )
        rows.append((dict.fromkeys(FIELDS, line), raw))
    return rows


def load_targets(path: str | Path) -> TargetsFile:
    """Targets keyed by (kpi_id, channel or 'all', period key such as '2026-03')."""
    from kpi_xl.filetypes import describe
    from kpi_xl.ingest.sources import check_input

    path = Path(path)
    check_input(path, "a targets file")
    raw_bytes = path.read_bytes()
    kind = describe(path, raw_bytes[: 64 * 1024])
    if kind is None or not kind.startswith(("a CSV", "a text", "a YAML", "a JSON")):
        raise KpiXlError(
            f"this is {kind or 'a binary file'}, not a targets file: give a CSV or YAML of "
            f"{', '.join(FIELDS)} ('kpi-xl build --help' shows one)",
            file=path,
        )
    try:
        text = raw_bytes.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise KpiXlError(
            "the targets file is not UTF-8 text: save it as UTF-8 (in Excel: CSV UTF-8)",
            file=path,
        ) from None
    rows: list[tuple[dict[str, int], Any]] = []  # each row: its fields' lines, its data
    if path.suffix.lower() in (".yaml", ".yml"):
        data = load_user_yaml(text, path) or []  # bounded: no aliases, depth, size
        if not isinstance(data, list):
            raise KpiXlError(
                "expected a list of entries of kpi_id, channel, period and target ('kpi-xl "
                "build --help' shows the fields)",
                file=path,
            )
        lines = _yaml_lines(text)
        for i, raw in enumerate(data):
            rows.append((lines[i] if i < len(lines) else dict.fromkeys(FIELDS, i + 1), raw))
    else:
        rows.extend(_csv_rows(path, text))
    decimal = _decimal(rows)
    out = TargetsFile(path)
    for where, raw in rows:
        if not isinstance(raw, dict):
            raise KpiXlError(
                "expected an entry of kpi_id, channel, period and target (a '- kpi_id: ...' "
                "line, then the other fields indented under it)",
                file=path,
                line=where["kpi_id"],
            )
        key, value = _row(path, where, raw, decimal)
        if key in out:
            raise KpiXlError(
                f"a second target of {key[0]}, {key[1]}, {key[2]} (the first is on line "
                f"{out.lines[key]}): keep one",
                file=path, line=where["period"],
            )  # fmt: skip
        out[key] = value
        out.lines[key] = where["period"]
    return out


def check_in_plan(
    targets: Targets,
    periods: Sequence[str],
    rows: Iterable[tuple[str, str]],
    path: str | Path | None = None,
) -> None:
    """Every target has a cell in the plan: its period is one of ``periods`` (the plan's,
    one grain), the plan's year or ``year``, and its (KPI, channel) one of ``rows`` (the
    Targets sheet's). A one-line error names the file and line of a
    :class:`TargetsFile`'s row and the nearest match."""
    plan_rows = set(rows)
    years = {"year", periods[0][:4]} if periods else {"year"}
    lines = targets.lines if isinstance(targets, TargetsFile) else {}
    where = targets.path if isinstance(targets, TargetsFile) else path
    for key in targets:
        kpi_id, channel, period = key
        line = lines.get(key)
        if period not in periods and period not in years:
            span = f" ({periods[0]} to {periods[-1]})" if periods else ""
            raise KpiXlError(
                f"period {period!r} is not in the plan{span}{nearest(period, periods)}",
                file=where, line=line, column="period",
            )  # fmt: skip
        if (kpi_id, channel) not in plan_rows:
            same_kpi = sorted(c for k, c in plan_rows if k == kpi_id)
            if same_kpi:
                hint = nearest(channel, same_kpi) or f" (it has {', '.join(same_kpi)})"
                message = f"the plan has no row of {kpi_id} for the channel {channel!r}{hint}"
            else:
                ids = sorted({k for k, _ in plan_rows})
                message = f"the plan has no row of the KPI {kpi_id!r}{nearest(kpi_id, ids)}"
            raise KpiXlError(message, file=where, line=line, column="kpi_id")
