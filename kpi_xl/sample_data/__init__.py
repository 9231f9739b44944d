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


@cache
def _bundled() -> pd.DataFrame:
    with resources.as_file(resources.files(__name__).joinpath(BUNDLED_FILE)) as path:
        return read_table(path)


def load_sample() -> pd.DataFrame:
    """The bundled sample as a canonical long table (a fresh copy on every call): ``date``
    datetime64, ``channel, source, campaign, segment`` strings, measures float64."""
    return _bundled().copy()
