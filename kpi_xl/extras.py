"""Optional dependencies: the core install builds and refreshes plans; the Excel edge, the
e-mail chart and Parquet files need extras, named in a one-line error when missing."""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

from kpi_xl.errors import KpiXlError

#: What each extra brings (pyproject.toml's optional dependencies).
EXTRAS = {
    "excel": "the macro-enabled plan (--macro) and the Excel UDFs (xlwings, pyOpenVBA)",
    "mail": "the chart in the e-mail (matplotlib)",
    "parquet": "Parquet files (pyarrow)",
    "warehouse": "warehouse sources: DuckDB, PostgreSQL, BigQuery, Snowflake, Spark (ibis)",
}


def has(module: str) -> bool:
    """True when ``module`` can be imported."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def require(module: str, extra: str, feature: str) -> ModuleType:
    """Import ``module``, or raise a one-line error naming the extra that brings it."""
    if not has(module):
        raise KpiXlError(
            f'{feature} needs the optional package {module!r}: pip install "kpi-xl[{extra}]"'
        )
    return importlib.import_module(module)
