"""Export adapters: each recognizes one layout from a file's content and reads it.

:func:`read_source` opens a path (or takes a DataFrame), tries every adapter of
:data:`ADAPTERS` in order and uses the first whose ``detect`` accepts the content; a file
no adapter accepts gets a :class:`~kpi_xl.errors.KpiXlError` listing the known layouts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from kpi_xl.errors import KpiXlError
from kpi_xl.ingest import canonical


@dataclass(frozen=True)
class Adapter:
    """One export layout: ``detect`` looks at a table's header, ``read`` normalizes it."""

    name: str
    description: str
    detect: Callable[[pd.DataFrame], bool]
    read: Callable[[pd.DataFrame, str, Mapping[str, str]], pd.DataFrame]


def _detect_canonical(frame: pd.DataFrame) -> bool:
    return {"date", "channel"} <= {str(c) for c in frame.columns}


def _read_canonical(frame: pd.DataFrame, file: str, channel_map: Mapping[str, str]) -> pd.DataFrame:
    if channel_map and "channel" in frame.columns:
        frame = frame.copy()
        folded = frame["channel"].astype("str").str.strip().str.casefold()
        frame["channel"] = folded.map(channel_map).fillna(frame["channel"])
    table = canonical.validate(frame, file, source="canonical")
    canonical.check_conflicts(table, file)
    return canonical.drop_repeats(table)


CANONICAL = Adapter(
    "canonical",
    "kpi_xl's canonical long table (what `kpi-xl ingest -o` writes)",
    _detect_canonical,
    _read_canonical,
)

ADAPTERS: list[Adapter] = [CANONICAL]


def _read_path(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return pd.read_parquet(path)
    if suffix in (".xlsx", ".xlsm"):
        return pd.read_excel(path, dtype=object)
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def read_source(source: str | Path | pd.DataFrame, channel_map: Mapping[str, str]) -> pd.DataFrame:
    """The canonical table of one source (a path or a DataFrame)."""
    if isinstance(source, pd.DataFrame):
        return _read_canonical(source, "<DataFrame>", channel_map)
    path = Path(source)
    if not path.is_file():
        raise KpiXlError("no such file", file=path)
    frame = _read_path(path)
    for adapter in ADAPTERS:
        if adapter.detect(frame):
            return adapter.read(frame, str(path), channel_map)
    known = "; ".join(a.description for a in ADAPTERS)
    raise KpiXlError(f"unknown layout: expected one of: {known}", file=path)
