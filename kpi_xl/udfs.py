"""kpi_xl's Excel UDFs: every catalog KPI as ``KPI_<ID>``, plus the plan helpers.

In Excel (Windows, xlwings add-in): set ``UDF Modules`` to ``kpi_xl.udfs`` in the xlwings
ribbon and click *Import Functions* (docs/udfs.md). This module only decorates: the
functions, their names, docstrings and argument descriptions come from
:mod:`kpi_xl.excel.udf_specs`, which derives them from the catalog. The functions are plain
Python and can be called directly, e.g. ``KPI_CONVERSION_RATE([[10, 20]], [[500, 500]])``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kpi_xl.excel.udf_specs import UDFSpec, udf_specs
from kpi_xl.extras import require

xw = require("xlwings", "excel", "the Excel UDFs")


def _decorate(spec: UDFSpec) -> Callable[..., Any]:
    """Apply ``@xw.func``, ``@xw.arg`` and ``@xw.ret`` as if written above the function."""
    function = spec.function
    function.__module__ = __name__  # where users import it from
    for arg in spec.args:
        name = f"*{arg.name}" if arg.vararg else arg.name
        function = xw.arg(name, doc=arg.doc, **arg.options)(function)
    if spec.ret:
        function = xw.ret(**spec.ret)(function)
    # outermost, as in the decorator syntax: xw.arg/xw.ret reset the category
    decorated: Callable[..., Any] = xw.func(
        category=spec.category, call_in_wizard=spec.call_in_wizard
    )(function)
    return decorated


__all__: list[str] = []
for _spec in udf_specs():
    globals()[_spec.name] = _decorate(_spec)
    __all__.append(_spec.name)
del _spec


def __getattr__(name: str) -> Any:
    """Names not defined above: a clear error (and, for type checkers, any ``KPI_...``)."""
    if name.startswith("__"):
        raise AttributeError(name)
    import difflib

    close = difflib.get_close_matches(name, __all__, n=3)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    raise AttributeError(f"module {__name__!r} has no UDF {name!r}{hint}")
