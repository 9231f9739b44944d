"""Numbers as the workbook shows them: the catalog's unit formats, as text for e-mail."""

from __future__ import annotations

import math
from typing import Any

from kpi_xl.catalog.units import MISSING, format_value

__all__ = ["MISSING", "format_attainment", "format_value", "number"]


def number(value: Any) -> float:
    """A stored cell value as a float; NaN for blanks, text and errors (``#DIV/0!``)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return math.nan
    return float(value)


def format_attainment(value: float) -> str:
    """Attainment as the workbook shows it (``0.0%``)."""
    return format_value(value, "percent", "")
