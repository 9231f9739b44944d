"""Bundled sample data: daily channel data of "Nordic Goods", a small online store.

:func:`load_sample` reads the bundled ``ecommerce.csv.gz``; :func:`generate` is the
seeded generator it was written by (``python -m kpi_xl.sample_data`` regenerates it).
See :mod:`kpi_xl.sample_data.store` for the store's channels, campaigns and which
measures each channel carries.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import pandas as pd

from kpi_xl.sample_data.generate import generate, read_table

BUNDLED_FILE = "ecommerce.csv.gz"

__all__ = ["generate", "load_sample"]


#: The sample store's money is in euros.
CURRENCY = "EUR"


def canonical_columns(frame: pd.DataFrame, currency: str = CURRENCY) -> pd.DataFrame:
    """A generated table (one ``date`` per row) in the canonical columns: ``date_from`` and
    ``date_to`` the day, ``currency`` the store's."""
    days = frame["date"]
    rest = frame.drop(columns=["date"])
    dims = [c for c in ("channel", "source", "campaign", "segment") if c in rest.columns]
    return pd.concat(
        [
            pd.DataFrame({"date_from": days, "date_to": days}),
            rest[dims],
            pd.DataFrame({"currency": currency}, index=frame.index),
            rest.drop(columns=dims),
        ],
        axis=1,
    )


@cache
def _bundled() -> pd.DataFrame:
    with resources.as_file(resources.files(__name__).joinpath(BUNDLED_FILE)) as path:
        return canonical_columns(read_table(path))


def load_sample() -> pd.DataFrame:
    """The bundled sample as a canonical long table (a fresh copy on every call):
    ``date_from``, ``date_to`` datetime64 (daily rows), ``channel, source, campaign,
    segment, currency`` strings, measures float64."""
    return _bundled().copy()
