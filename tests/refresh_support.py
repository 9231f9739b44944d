"""Helpers for refresh tests: small plans, and typing into them as a user would."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd

CHANNELS = ("seo", "paid_search", "email")


def small_data(
    start: str = "2026-01-01",
    end: str = "2026-04-15",
    campaigns: int = 2,
    seed: int = 7,
    channels: tuple[str, ...] = CHANNELS,
) -> pd.DataFrame:
    """A small canonical table with the measures the ecommerce plan reads."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range(start, end, freq="D")
    frames = []
    for channel in channels:
        for c in range(campaigns):
            n = len(dates)
            sessions = rng.integers(100, 400, n).astype(float)
            orders = np.floor(sessions * 0.03)
            frame = pd.DataFrame(
                {
                    "date": dates,
                    "channel": channel,
                    "source": "test",
                    "campaign": f"{channel} campaign {c}",
                    "segment": "",
                    "sessions": sessions,
                    "engaged_sessions": np.floor(sessions * 0.6),
                    "pageviews": sessions * 2,
                    "session_duration_s": sessions * 80,
                    "conversions": orders,
                    "orders": orders,
                    "revenue": orders * 50.0,
                    "new_customers": np.floor(orders / 2),
                    "impressions": sessions * 20,
                    "clicks": sessions,
                    "cost": sessions * 0.5,
                    "conversion_value": orders * 52.0,
                    "position_x_impressions": sessions * 20 * 6.0,
                    "emails_sent": sessions * 10,
                    "emails_delivered": sessions * 9.8,
                    "unique_opens": sessions * 4,
                    "unique_clicks": sessions * 0.4,
                    "unsubscribes": np.floor(sessions * 0.01),
                    "list_size": 5000.0 + np.arange(n),
                }
            )
            frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _split(reference: str) -> tuple[str, str]:
    sheet, cell = reference.rsplit("!", 1)
    if sheet.startswith("'"):
        sheet = sheet[1:-1].replace("''", "'")
    return sheet, cell.replace("$", "")


def meta_inputs(path: Path) -> dict[str, str]:
    from kpi_xl.plan.planfile import read_meta

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(path)
    layout = read_meta(wb, path).layout
    refs = {f"target|{k}|{s}|{p}": c.ref for (k, s, p), c in layout.target_cells().items()}
    refs.update({f"note|{k}|{s}": c.ref for (k, s), c in layout.note_cells().items()})
    refs.update({f"setting|{k}": c.ref for k, c in layout.settings.cells.items()})
    return refs


def type_inputs(path: Path, values: dict[str, Any]) -> None:
    """Write input values by key into the workbook with openpyxl, as a user would type.

    (openpyxl drops cached values and charts; that is fine for an input round trip.)
    """
    inputs = meta_inputs(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(path)
        for key, value in values.items():
            sheet, cell = _split(inputs[key])
            wb[sheet][cell].value = value
        wb.save(path)


def read_inputs(path: Path) -> dict[str, Any]:
    inputs = meta_inputs(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(path, data_only=True)
    out = {}
    for key, reference in inputs.items():
        sheet, cell = _split(reference)
        out[key] = wb[sheet][cell].value
    return out


def overview_value(plan: Path, key: str) -> Any:
    """The stored value of an Overview info cell (``current_period``, ...), found by key
    through the ``_meta`` layout map, not by a fixed address."""
    from kpi_xl.plan.planfile import read_meta

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(plan, data_only=True)
    cell = read_meta(wb, plan).layout.overview.info[key]
    return wb[cell.sheet][cell.a1].value
