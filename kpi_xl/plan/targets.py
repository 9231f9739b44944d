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
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from kpi_xl.catalog.records import KPI, current_id, kpis
from kpi_xl.errors import KpiXlError
from kpi_xl.ingest import numbers
from kpi_xl.vocabulary import CHANNELS

Targets = dict[tuple[str, str, str], float]
FIELDS = ("kpi_id", "channel", "period", "target")
EXAMPLE = "a number such as 1200, 1,200.5, 0.06 or 6%"


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
    kpi_id = current_id(kpi_id)  # a KPI the catalog renamed is read as its new id
    if kpi_id not in kpis():
        raise KpiXlError(
            f"unknown KPI id {kpi_id!r}", file=path, line=lines["kpi_id"], column="kpi_id"
        )
    if channel != "all" and channel not in CHANNELS:
        raise KpiXlError(
            f"unknown channel {channel!r}; expected 'all' or one of {', '.join(CHANNELS)}",
            file=path, line=lines["channel"], column="channel",
        )  # fmt: skip
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


def load_targets(path: str | Path) -> Targets:
    """Targets keyed by (kpi_id, channel or 'all', period key such as '2026-03')."""
    path = Path(path)
    if not path.is_file():
        raise KpiXlError("targets file not found", file=path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise KpiXlError("targets file is not UTF-8 text", file=path) from None
    rows: list[tuple[dict[str, int], Any]] = []  # each row: its fields' lines, its data
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            data = yaml.safe_load(text) or []
        except yaml.YAMLError as exc:
            raise KpiXlError(f"not valid YAML: {exc}", file=path) from None
        if not isinstance(data, list):
            raise KpiXlError("expected a list of {kpi_id, channel, period, target}", file=path)
        lines = _yaml_lines(text)
        for i, raw in enumerate(data):
            rows.append((lines[i] if i < len(lines) else dict.fromkeys(FIELDS, i + 1), raw))
    else:
        reader = csv.DictReader(text.splitlines())
        missing = [c for c in FIELDS if c not in (reader.fieldnames or [])]
        if missing:
            raise KpiXlError(f"missing column(s) {', '.join(missing)}", file=path, line=1)
        rows.extend((dict.fromkeys(FIELDS, reader.line_num), raw) for raw in reader)
    decimal = _decimal(rows)
    out: Targets = {}
    for where, raw in rows:
        if not isinstance(raw, dict):
            raise KpiXlError("expected a mapping", file=path, line=where["kpi_id"])
        key, value = _row(path, where, raw, decimal)
        out[key] = value
    return out
