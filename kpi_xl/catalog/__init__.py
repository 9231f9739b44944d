"""The KPI catalog: one record per KPI, from which everything else is derived.

>>> from kpi_xl import catalog
>>> kpi = catalog.get("key_event_rate")
>>> kpi.evaluate({"key_event_sessions": 30, "sessions": 1200})
0.025
>>> kpi.expression.to_excel({"key_event_sessions": "B2", "sessions": "C2"})
'IFERROR(B2/C2,"")'
"""

from kpi_xl.catalog.expression import Expression, ExpressionError
from kpi_xl.catalog.helpers import (
    ATTAINMENT_CAP,
    STATUSES,
    attainment,
    attainment_formula,
    change,
    change_formula,
    change_is_difference,
    pace,
    pace_factor,
    pace_formula,
    smart_target,
    status,
    status_formula,
    status_label,
)
from kpi_xl.catalog.records import (
    KPI,
    CatalogError,
    Measure,
    Rename,
    current_id,
    get,
    kpis,
    label,
    measures,
    renames,
)
from kpi_xl.vocabulary import CHANNELS, LANGUAGES, RTL_LANGUAGES

__all__ = [
    "ATTAINMENT_CAP",
    "CHANNELS",
    "KPI",
    "LANGUAGES",
    "RTL_LANGUAGES",
    "STATUSES",
    "CatalogError",
    "Expression",
    "ExpressionError",
    "Measure",
    "Rename",
    "attainment",
    "attainment_formula",
    "change",
    "change_formula",
    "change_is_difference",
    "current_id",
    "get",
    "kpis",
    "label",
    "measures",
    "pace",
    "pace_factor",
    "pace_formula",
    "renames",
    "smart_target",
    "status",
    "status_formula",
    "status_label",
]
