"""kpi_xl: digital-marketing KPI plans in Excel.

The public API (everything else may move between releases):

* :func:`load_channel_data` - read marketing exports into the canonical long table
* :func:`aggregate` - period-aggregate it following each base measure's rule
* :mod:`catalog` - the KPI catalog (records, evaluators, Excel formulas, helpers)
* :func:`build_plan` - build a KPI plan workbook
* :func:`refresh` - rebuild a plan with new data, keeping every input
* :func:`compose_email` / :func:`send_email` - mail the plan

Attributes are imported on first use, so ``import kpi_xl`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from kpi_xl._version import __version__

if TYPE_CHECKING:
    from kpi_xl import catalog
    from kpi_xl.ingest import load_channel_data
    from kpi_xl.ingest.aggregate import aggregate
    from kpi_xl.mail import compose_email, send_email
    from kpi_xl.pipeline import build_plan
    from kpi_xl.refreshing import refresh

_PUBLIC = {
    "aggregate": "kpi_xl.ingest.aggregate",
    "build_plan": "kpi_xl.pipeline",
    "catalog": "kpi_xl.catalog",
    "compose_email": "kpi_xl.mail",
    "load_channel_data": "kpi_xl.ingest",
    "refresh": "kpi_xl.refreshing",
    "send_email": "kpi_xl.mail",
}

__all__ = [
    "__version__",
    "aggregate",
    "build_plan",
    "catalog",
    "compose_email",
    "load_channel_data",
    "refresh",
    "send_email",
]


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module 'kpi_xl' has no attribute {name!r}")
    module = importlib.import_module(_PUBLIC[name])
    value = module if name == "catalog" else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_PUBLIC})
