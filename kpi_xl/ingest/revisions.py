"""Revisions: when exports of the same platform overlap, the newer one wins.

Platforms revise recent days (GA4 within 72 hours, ad conversions with attribution lag),
and marketers re-export overlapping windows every week. Between two files of the same
platform (``source``), for the same channel, campaign and segment:

* a row of the older file whose days a row of the newer file covers (the same day, or a
  newer period total that contains it) is replaced by it;
* rows whose ranges overlap without one containing the other (a newer daily export over an
  older month-to-date total) cannot be reconciled: an error naming both files asks for
  exports of the same granularity.

"Newer" is the export's own timestamp where it has one (LinkedIn's ``Date Generated``...),
else the file's modification time, else the order the files were given. Rows repeated
within one file are that file's business (see :func:`kpi_xl.ingest.fields.finish`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from kpi_xl.catalog.records import measures
from kpi_xl.errors import KpiXlError
from kpi_xl.ingest.fields import Loaded

LABELS = ["source", "channel", "campaign", "segment"]


@dataclass(frozen=True)
class Replacement:
    """Rows of ``older`` that ``newer`` replaced."""

    newer: str
    older: str
    rows: int
    start: dt.date
    end: dt.date

    def __str__(self) -> str:
        return (
            f"{self.newer} replaced {self.rows} row(s) of {self.older} "
            f"({self.start:%Y-%m-%d}..{self.end:%Y-%m-%d})"
        )


def file_stamps(loaded: Loaded) -> dict[str, float]:
    """Each file's age: its export timestamp, else its modification time, else its order."""
    stamps: dict[str, float] = {}
    exported = {r.file: r.exported_at for r in loaded.reports if r.exported_at is not None}
    for order, file in enumerate(dict.fromkeys(str(f) for f in loaded.files)):
        base = file.split(":", 1)[0] if not Path(file).exists() else file
        if file in exported:
            stamps[file] = exported[file].timestamp()
        elif Path(base).exists():
            stamps[file] = Path(base).stat().st_mtime + order * 1e-6
        else:
            stamps[file] = float(order)
    return stamps


def _whole_only(frame: pd.DataFrame) -> np.ndarray:
    """Per row: whether every measure it reports is a whole measure (reach, users...)."""
    catalog = measures()
    present = [c for c in frame.columns if c in catalog]
    additive = [c for c in present if not catalog[c].non_additive]
    if not additive:
        return np.ones(len(frame), dtype=bool)
    return np.asarray(frame[additive].isna().all(axis=1).to_numpy(), dtype=bool)


def resolve(
    loaded: Loaded, stamps: dict[str, float] | None = None
) -> tuple[np.ndarray, list[Replacement]]:
    """Which rows to keep, and what was replaced. ``stamps`` gives each file's age where
    it is known already (files kept in a history store), else :func:`file_stamps`."""
    frame = loaded.frame
    keep = np.ones(len(frame), dtype=bool)
    if frame.empty or len(set(loaded.files.tolist())) < 2:
        return keep, []
    stamps = stamps if stamps is not None else file_stamps(loaded)
    rows = frame[[*LABELS, "date_from", "date_to"]].copy()
    rows["file"] = loaded.files
    rows["stamp"] = rows["file"].map(stamps)
    rows["row"] = np.arange(len(frame))
    per_source = rows.groupby("source")["file"].nunique()
    rows = rows[rows["source"].isin(per_source[per_source > 1].index)]
    if rows.empty:
        return keep, []
    # the same key in two files: the newer wins
    exact = rows.merge(rows, on=[*LABELS, "date_from", "date_to"], suffixes=("", "_new"))
    exact = exact[exact["stamp_new"] > exact["stamp"]]
    replaced = [exact]
    # a multi-day row against the other files' rows of the same labels
    multi = rows[rows["date_from"] != rows["date_to"]]
    if not multi.empty:
        pairs = multi.merge(rows, on=LABELS, suffixes=("_m", "_o"))
        pairs = pairs[pairs["file_m"] != pairs["file_o"]]
        overlap = (pairs["date_from_m"] <= pairs["date_to_o"]) & (
            pairs["date_from_o"] <= pairs["date_to_m"]
        )
        pairs = pairs[overlap & ~(
            (pairs["date_from_m"] == pairs["date_from_o"])
            & (pairs["date_to_m"] == pairs["date_to_o"])
        )]  # fmt: skip
        if not pairs.empty:
            newer_m = pairs["stamp_m"] > pairs["stamp_o"]
            new_from = pairs["date_from_m"].where(newer_m, pairs["date_from_o"])
            new_to = pairs["date_to_m"].where(newer_m, pairs["date_to_o"])
            old_from = pairs["date_from_o"].where(newer_m, pairs["date_from_m"])
            old_to = pairs["date_to_o"].where(newer_m, pairs["date_to_m"])
            contained = (new_from <= old_from) & (old_to <= new_to)
            # rows that hold only whole measures (reach over their own range) are never
            # added up: both stay, each for its own days (weekly downloads overlap)
            whole_only = _whole_only(frame)
            both_whole = (
                whole_only[pairs["row_m"].to_numpy(dtype=np.int64)]
                & whole_only[pairs["row_o"].to_numpy(dtype=np.int64)]
            )
            pairs, newer_m = pairs[~both_whole], newer_m[~both_whole]
            new_from, new_to = new_from[~both_whole], new_to[~both_whole]
            old_from, old_to = old_from[~both_whole], old_to[~both_whole]
            contained = contained[~both_whole]
            if not contained.all():
                bad = pairs[~contained].iloc[0]
                raise KpiXlError(
                    f"{bad['file_m']} and {bad['file_o']} overlap for "
                    f"{bad['source']} campaign {bad['campaign']!r} with different date ranges "
                    f"({bad['date_from_m']:%Y-%m-%d}..{bad['date_to_m']:%Y-%m-%d} and "
                    f"{bad['date_from_o']:%Y-%m-%d}..{bad['date_to_o']:%Y-%m-%d}): export both "
                    "with the same granularity (both by day, or both for whole periods)",
                    file=str(bad["file_m"]),
                )
            older = pd.DataFrame({
                "row": pairs["row_o"].where(newer_m, pairs["row_m"]),
                "file": pairs["file_o"].where(newer_m, pairs["file_m"]),
                "file_new": pairs["file_m"].where(newer_m, pairs["file_o"]),
                "date_from": old_from,
                "date_to": old_to,
            })  # fmt: skip
            replaced.append(older)
    gone = pd.concat([r[["row", "file", "file_new", "date_from", "date_to"]] for r in replaced])
    gone = gone.drop_duplicates("row")
    keep[gone["row"].to_numpy(dtype=np.int64)] = False
    out = [
        Replacement(
            str(newer),
            str(older),
            len(group),
            group["date_from"].min().date(),
            group["date_to"].max().date(),
        )
        for (newer, older), group in gone.groupby(["file_new", "file"], sort=False)
    ]
    return keep, out
