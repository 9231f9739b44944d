"""User-supplied targets: a CSV or YAML of ``kpi_id, channel, period, target`` rows."""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

import yaml

from kpi_xl.catalog.records import kpis
from kpi_xl.errors import KpiXlError
from kpi_xl.vocabulary import CHANNELS

Targets = dict[tuple[str, str, str], float]
FIELDS = ("kpi_id", "channel", "period", "target")


def _row(path: Path, line: int, raw: dict[str, Any]) -> tuple[tuple[str, str, str], float]:
    for name in FIELDS:
        if raw.get(name) in (None, ""):
            raise KpiXlError(f"missing value; expected {name}", file=path, line=line, column=name)
    kpi_id, channel, period = (str(raw[k]).strip() for k in FIELDS[:3])
    if kpi_id not in kpis():
        raise KpiXlError(f"unknown KPI id {kpi_id!r}", file=path, line=line, column="kpi_id")
    if channel != "all" and channel not in CHANNELS:
        raise KpiXlError(
            f"unknown channel {channel!r}; expected 'all' or one of {', '.join(CHANNELS)}",
            file=path, line=line, column="channel",
        )  # fmt: skip
    text = str(raw["target"]).strip().replace(",", ".")
    percent = text.endswith("%")
    try:
        value = float(text.rstrip("%").strip()) / (100 if percent else 1)
    except ValueError:
        raise KpiXlError(
            f"{raw['target']!r} is not a number", file=path, line=line, column="target"
        ) from None
    if not math.isfinite(value):
        raise KpiXlError("target must be a finite number", file=path, line=line, column="target")
    return (kpi_id, channel, period), value


def load_targets(path: str | Path) -> Targets:
    """Targets keyed by (kpi_id, channel or 'all', period key such as '2026-03')."""
    path = Path(path)
    if not path.is_file():
        raise KpiXlError("targets file not found", file=path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise KpiXlError("targets file is not UTF-8 text", file=path) from None
    out: Targets = {}
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            data = yaml.safe_load(text) or []
        except yaml.YAMLError as exc:
            raise KpiXlError(f"not valid YAML: {exc}", file=path) from None
        if not isinstance(data, list):
            raise KpiXlError("expected a list of {kpi_id, channel, period, target}", file=path)
        for i, raw in enumerate(data, start=1):
            if not isinstance(raw, dict):
                raise KpiXlError("expected a mapping", file=path, line=i)
            key, value = _row(path, i, raw)
            out[key] = value
        return out
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in FIELDS if c not in (reader.fieldnames or [])]
    if missing:
        raise KpiXlError(f"missing column(s) {', '.join(missing)}", file=path, line=1)
    for line, raw in enumerate(reader, start=2):
        key, value = _row(path, line, raw)
        out[key] = value
    return out
