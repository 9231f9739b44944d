"""Every Excel UDF's specification, derived from the KPI catalog (pure Python, no xlwings).

:func:`udf_specs` returns one :class:`UDFSpec` per catalog KPI (in catalog order), then the
helper UDFs. A spec holds everything :mod:`kpi_xl.udfs` needs to register the function with
xlwings: the Excel name, the plain-Python callable (with a real signature and the docstring
Excel's function wizard shows) and, per argument, its description and xlwings conversion
options. The callables only adapt Excel's cells to the catalog and the catalog's answer to a
cell: no KPI math is written here.

Conventions (see docs/udfs.md):

* **names** - ``KPI_`` + the KPI id in upper case (``KPI_CONVERSION_RATE``); the helpers are
  ``KPI_ATTAINMENT``, ``KPI_STATUS``, ``KPI_CHANGE``, ``KPI_PACE``, ``KPI_SMART_TARGET``,
  ``KPI_CATALOG`` and ``KPI_INFO``.
* **arguments** - a KPI's UDF takes one argument per base measure of its expression, in
  expression order, then one per ``prev(measure)`` named ``<measure>_prev``. Each is a cell
  or a range whose numbers are summed (empty cells, text and logical values are ignored, as
  SUM ignores them), so a ratio over ranges is a ratio of sums.
* **undefined** - a value that does not exist (zero denominator, a measure argument with no
  number, an input cell holding an Excel error) is returned as ``""`` (empty text), like
  the plan workbook's ``IFERROR(...,"")``. Nothing raises into Excel.
* **bad arguments** - an unknown KPI id, direction, language or field, or the wrong number of
  measures give the text ``#VALUE! <what to fix>``.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Final

import numpy as np

from kpi_xl import catalog
from kpi_xl.catalog import KPI, LANGUAGES, CatalogError, label
from kpi_xl.catalog.records import PARAMETERS
from kpi_xl.catalog.status_bands import DEFAULT_AT_RISK, DEFAULT_ON_TRACK
from kpi_xl.errors import shown
from kpi_xl.vocabulary import nearest

PREFIX: Final = "KPI_"
CATEGORY: Final = "kpi_xl"
MAX_DESCRIPTION: Final = 255  # Excel's limit for a function's or an argument's description
PREVIOUS_SUFFIX: Final = "_prev"
BLANK: Final = ""
BAD_ARGUMENT: Final = "#VALUE!"
STATUS_CODE_LANG: Final = "code"

#: xlwings conversion options of a measure argument: always a 2-D list, errors as text.
RANGE_OPTIONS: Final[Mapping[str, Any]] = {"ndim": 2, "err_to_str": True}
#: xlwings conversion options of a single-number argument: errors as text (not None).
NUMBER_OPTIONS: Final[Mapping[str, Any]] = {"err_to_str": True}

_REQUIRED = inspect.Parameter.empty
_SMART_DEFAULTS = inspect.signature(catalog.smart_target).parameters


class _BadArgumentError(ValueError):
    """An argument the user must fix; becomes the cell text ``#VALUE! <message>``."""


@dataclass(frozen=True)
class ArgSpec:
    """One UDF argument: its name, the wizard's description and xlwings options."""

    name: str
    doc: str
    options: Mapping[str, Any] = field(default_factory=dict)
    default: Any = _REQUIRED
    vararg: bool = False

    @property
    def optional(self) -> bool:
        return self.default is not _REQUIRED

    def parameter(self) -> inspect.Parameter:
        if self.vararg:
            return inspect.Parameter(self.name, inspect.Parameter.VAR_POSITIONAL)
        kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
        return inspect.Parameter(self.name, kind, default=self.default)


@dataclass(frozen=True)
class UDFSpec:
    """One Excel UDF: what :mod:`kpi_xl.udfs` registers with xlwings."""

    name: str
    doc: str
    args: tuple[ArgSpec, ...]
    function: Callable[..., Any]
    ret: Mapping[str, Any] = field(default_factory=dict)
    category: str = CATEGORY
    kpi_id: str | None = None
    #: False keeps Excel's function wizard from running it while the user types arguments
    call_in_wizard: bool = True

    @property
    def usage(self) -> str:
        """How the function is called, e.g. ``KPI_STATUS(attainment, [on_track], ...)``."""
        parts = [
            f"{a.name}..." if a.vararg else f"[{a.name}]" if a.optional else a.name
            for a in self.args
        ]
        return f"{self.name}({', '.join(parts)})"


# -- names -----------------------------------------------------------------------------------


def udf_name(kpi_id: str) -> str:
    """The Excel name of a KPI's UDF: ``conversion_rate`` -> ``KPI_CONVERSION_RATE``."""
    return PREFIX + kpi_id.upper()


def kpi_arg_names(kpi: KPI) -> tuple[str, ...]:
    """A KPI UDF's argument names: its measures, then ``<measure>_prev`` per prev(), then
    the plan settings it reads (``gross_margin``)."""
    prev = tuple(m + PREVIOUS_SUFFIX for m in kpi.expression.previous)
    return kpi.measures + prev + kpi.parameters


def _clip(text: str, limit: int = MAX_DESCRIPTION) -> str:
    """``text`` on one line, cut at a word boundary to fit Excel's description limit."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:.-")
    return cut + "\u2026"


# -- reading cells ---------------------------------------------------------------------------


def _cells(value: Any) -> Iterator[Any]:
    """The cells of a value xlwings passes: a scalar, a 1-D or 2-D list (or an array)."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, list | tuple):
        for item in value:
            yield from _cells(item)
    else:
        yield value


def _is_error(cell: Any) -> bool:
    """An Excel error read with ``err_to_str`` (``#DIV/0!``) or a ``#VALUE! ...`` text."""
    return isinstance(cell, str) and cell.startswith("#")


def _is_number(cell: Any) -> bool:
    return isinstance(cell, int | float | np.number) and not isinstance(cell, bool | np.bool_)


def _is_blank(cell: Any) -> bool:
    return cell is None or cell == "" or (_is_number(cell) and math.isnan(cell))


def _sum(value: Any) -> float | None:
    """Sum of the numbers in a cell or range; None when it has none or holds an error."""
    total, seen = 0.0, False
    for cell in _cells(value):
        if _is_error(cell):
            return None
        if _is_number(cell) and not math.isnan(cell):
            total += float(cell)
            seen = True
    return total if seen else None


def _one(value: Any, arg: str) -> Any:
    cells = list(_cells(value))
    if len(cells) != 1:
        raise _BadArgumentError(f"{arg}: expected a single cell, got {len(cells)} cells")
    return cells[0]


def _number(value: Any, arg: str, default: float | None = None) -> float | None:
    """A single number; ``default`` when blank, None when it holds an Excel error."""
    cell = _one(value, arg)
    if _is_blank(cell):
        return default
    if _is_error(cell):
        return None
    if _is_number(cell):
        return float(cell)
    raise _BadArgumentError(f"{arg}: expected a number, got {shown(cell)}")


def _text(value: Any, arg: str, default: str | None = None) -> str:
    cell = _one(value, arg)
    if _is_blank(cell) and default is not None:
        return default
    if not isinstance(cell, str) or not cell.strip():
        raise _BadArgumentError(f"{arg}: expected text, got {shown(cell)}")
    return cell.strip()


def _lang(value: Any, *extra: str) -> str:
    lang = _text(value, "lang", "en").lower()
    if lang not in LANGUAGES + extra:
        raise _BadArgumentError(
            f"lang: expected one of {', '.join(LANGUAGES + extra)}, got {lang!r}"
            + nearest(lang, LANGUAGES + extra)
        )
    return lang


def _kpi(value: Any) -> KPI:
    kpi_id = _text(value, "kpi_id").lower()
    try:
        return catalog.get(kpi_id)
    except KeyError as exc:
        raise _BadArgumentError(str(exc.args[0])) from None


@cache
def _direction_words() -> dict[str, bool]:
    """Direction texts accepted: the codes and their labels in every language."""
    words = {code: code == "higher_is_better" for code in ("higher_is_better", "lower_is_better")}
    for code, higher in list(words.items()):
        for lang in LANGUAGES:
            words[label(code, lang).casefold()] = higher
    return words


def _direction(value: Any) -> tuple[bool, KPI | None]:
    """(higher_is_better, the KPI when a KPI id was given)."""
    cell = _one(value, "direction")
    if _is_number(cell) and cell in (1, -1):
        return cell == 1, None
    if isinstance(cell, str) and cell.strip():
        text = " ".join(cell.split()).casefold()
        if text in _direction_words():
            return _direction_words()[text], None
        kpi = catalog.kpis().get(text)
        if kpi is not None:
            return kpi.higher_is_better, kpi
    raise _BadArgumentError(
        f'direction: expected "higher_is_better", "lower_is_better", 1, -1 or a KPI id, '
        f"got {shown(cell)}"
    )


def _result(value: Any) -> float | str:
    """A catalog result as a cell value: the number, or ``""`` when undefined."""
    number = float(value)
    return number if math.isfinite(number) else BLANK


# -- building callables ----------------------------------------------------------------------


def _function(
    name: str, doc: str, args: Sequence[ArgSpec], body: Callable[..., Any]
) -> Callable[..., Any]:
    """A plain function named ``name`` with the signature of ``args`` calling ``body``.

    Its signature is what xlwings reads to write the VBA wrapper; it has no annotations
    (xlwings would read them as converters). A :class:`_BadArgumentError` becomes its text.
    """
    signature = inspect.Signature([a.parameter() for a in args])

    def udf(*args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        try:
            return body(*bound.args)
        except _BadArgumentError as exc:
            return f"{BAD_ARGUMENT} {exc}"

    udf.__name__ = udf.__qualname__ = name
    udf.__doc__ = doc
    udf.__signature__ = signature  # type: ignore[attr-defined]
    udf.__annotations__ = {}
    return udf


def _spec(
    name: str,
    doc: str,
    args: Sequence[ArgSpec],
    body: Callable[..., Any],
    *,
    ret: Mapping[str, Any] | None = None,
    kpi_id: str | None = None,
    call_in_wizard: bool = True,
) -> UDFSpec:
    doc = _clip(doc)
    args = tuple(ArgSpec(a.name, _clip(a.doc), a.options, a.default, a.vararg) for a in args)
    function = _function(name, doc, args, body)
    return UDFSpec(name, doc, args, function, dict(ret or {}), CATEGORY, kpi_id, call_in_wizard)


# -- KPI UDFs --------------------------------------------------------------------------------


def _measure_doc(kpi: KPI, measure_id: str, previous: bool) -> str:
    if measure_id in PARAMETERS:
        return f"{label(measure_id)}: the plan's setting, a share (0.35 = 35%)."
    measure = catalog.measures()[measure_id]
    what = measure.name()
    if previous:
        what += ", previous period"
    if kpi.channel_filter:
        what += f" ({label(f'channel_{kpi.channel_filter}')} only)"
    how = {
        "sum": "a cell or range, summed; empty cells ignored",
        "last": "the period-end value; a range is summed (e.g. one cell per channel)",
        "whole": "the whole period's figure as the platform reports it (never a sum of days)",
    }[measure.aggregation]
    return f"{what}: {how}."


def kpi_doc(kpi: KPI) -> str:
    """The function wizard's description of a KPI's UDF (at most 255 characters)."""
    unit = label(f"unit_{kpi.unit}").lower()
    if kpi.unit == "percent":
        unit += " as a fraction"
    direction = label(kpi.direction).lower()
    return _clip(f"{kpi.name()} = {kpi.words()} [{unit}; {direction}]. {kpi.definition}")


def _evaluate(kpi: KPI, cells: Sequence[Any]) -> float | str:
    """The KPI from its measures' cells (current period, then prev); ``""`` if undefined."""
    sums = [_sum(c) for c in cells]
    if any(s is None for s in sums):
        return BLANK
    values, previous = _split_args(kpi, sums)
    return _result(kpi.evaluate(values, previous or None))


def _split_args(kpi: KPI, sums: Sequence[Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A KPI UDF's argument values (:func:`kpi_arg_names` order) as (current values and
    parameters, previous values)."""
    n, p = len(kpi.measures), len(kpi.expression.previous)
    values = dict(zip(kpi.measures, sums[:n], strict=True))
    values.update(zip(kpi.parameters, sums[n + p :], strict=True))
    return values, dict(zip(kpi.expression.previous, sums[n : n + p], strict=True))


def _kpi_spec(kpi: KPI, name: str | None = None, note: str = "") -> UDFSpec:
    """The UDF of a KPI (``name``: another name for it, e.g. the name of a renamed KPI)."""
    expr = kpi.expression
    args = [ArgSpec(m, _measure_doc(kpi, m, False), RANGE_OPTIONS) for m in kpi.measures]
    args += [
        ArgSpec(m + PREVIOUS_SUFFIX, _measure_doc(kpi, m, True), RANGE_OPTIONS)
        for m in expr.previous
    ]
    args += [ArgSpec(p, _measure_doc(kpi, p, False), RANGE_OPTIONS) for p in kpi.parameters]

    def body(*cells: Any) -> float | str:
        return _evaluate(kpi, cells)

    doc = f"{note} {kpi_doc(kpi)}" if note else kpi_doc(kpi)
    return _spec(name or udf_name(kpi.id), doc, args, body, kpi_id=kpi.id)


def _renamed_specs() -> list[UDFSpec]:
    """The UDFs of renamed KPIs, kept so that workbooks calling them still work: each
    computes the KPI that replaced it."""
    return [
        _kpi_spec(catalog.get(r.new), udf_name(r.old), f"Renamed: use {udf_name(r.new)} instead.")
        for r in catalog.renames().values()
    ]


# -- helper UDFs -----------------------------------------------------------------------------

_DIRECTION_DOC = (
    "higher_is_better or lower_is_better (or 1 / -1, or a KPI id to use that KPI's direction)"
)


def _attainment(actual: Any, target: Any, direction: Any) -> float | str:
    higher, _ = _direction(direction)
    a, t = _number(actual, "actual"), _number(target, "target")
    if a is None or t is None:
        return BLANK
    return _result(catalog.attainment(a, t, higher))


def _status(attainment: Any, on_track: Any, at_risk: Any, lang: Any) -> str:
    value = _number(attainment, "attainment")
    on = _number(on_track, "on_track", DEFAULT_ON_TRACK)
    risk = _number(at_risk, "at_risk", DEFAULT_AT_RISK)
    language = _lang(lang, STATUS_CODE_LANG)
    if on is None or risk is None or on < risk:
        raise _BadArgumentError("on_track and at_risk: expected numbers with on_track >= at_risk")
    code = str(catalog.status(math.nan if value is None else value, on, risk))
    return code if language == STATUS_CODE_LANG else catalog.status_label(code, language)


def _change(current: Any, previous: Any, kpi_id: Any) -> float | str:
    difference = False
    if not _is_blank(_one(kpi_id, "kpi_id")):
        difference = catalog.change_is_difference(_kpi(kpi_id))
    c, p = _number(current, "current"), _number(previous, "previous")
    if c is None or p is None:
        return BLANK
    return _result(catalog.change(c, p, difference=difference))


def _pace(kpi_id: Any, elapsed_days: Any, total_days: Any, *measures: Any) -> float | str:
    kpi = _kpi(kpi_id)
    names = kpi_arg_names(kpi)
    if len(measures) != len(names):
        raise _BadArgumentError(
            f"{kpi.id} needs {len(names)} measure(s) after total_days: {', '.join(names)}"
        )
    elapsed, total = _number(elapsed_days, "elapsed_days"), _number(total_days, "total_days")
    sums = [_sum(m) for m in measures]
    if elapsed is None or total is None or any(s is None for s in sums):
        return BLANK
    values, previous = _split_args(kpi, sums)
    return _result(catalog.pace(kpi, values, elapsed, total, previous or None))


def _smart_target(history: Any, direction: Any, growth: Any, window: Any) -> float | str:
    higher, kpi = _direction(direction)
    rate = _number(growth, "growth", _SMART_DEFAULTS["growth"].default)
    size = _number(window, "window", _SMART_DEFAULTS["window"].default)
    if rate is None or size is None or size < 1 or size != int(size):
        raise _BadArgumentError("growth and window: expected a number and a whole number >= 1")
    values = [
        float(c) for c in _cells(history) if _is_number(c) and not math.isnan(c)
    ]  # reading order: row by row, oldest first; blanks, text and errors skipped
    capped = kpi is not None and kpi.is_bounded_rate  # shares only; ROI may pass 100 %
    return _result(catalog.smart_target(values, higher, rate, window=int(size), percent=capped))


#: The catalog's fields, in KPI_CATALOG's column order; each is also a KPI_INFO field.
FIELDS: Final[Mapping[str, Callable[[KPI, str], str]]] = {
    "id": lambda k, lang: k.id,
    "name": lambda k, lang: k.name(lang),
    "category": lambda k, lang: label(f"category_{k.category}", lang),
    "unit": lambda k, lang: label(f"unit_{k.unit}", lang),
    "direction": lambda k, lang: label(k.direction, lang),
    "formula": lambda k, lang: k.words(lang),
    "definition": lambda k, lang: k.definition,
    "function": lambda k, lang: f"{udf_name(k.id)}({', '.join(kpi_arg_names(k))})",
}


def _catalog(lang: Any) -> list[list[str]]:
    language = _lang(lang)
    rows = [list(FIELDS)]
    rows += [[get(k, language) for get in FIELDS.values()] for k in catalog.kpis().values()]
    return rows


def _info(kpi_id: Any, field_name: Any, lang: Any) -> str:
    kpi = _kpi(kpi_id)
    key = _text(field_name, "field").lower()
    if key not in FIELDS:
        raise _BadArgumentError(
            f"field: expected one of {', '.join(FIELDS)}, got {key!r}{nearest(key, FIELDS)}"
        )
    return FIELDS[key](kpi, _lang(lang))


def _helper_specs() -> list[UDFSpec]:
    langs = ", ".join(LANGUAGES)
    growth = _SMART_DEFAULTS["growth"].default
    max_growth = _SMART_DEFAULTS["max_growth"].default
    window = _SMART_DEFAULTS["window"].default
    kpi_id_doc = "A KPI id from KPI_CATALOG, e.g. conversion_rate."
    return [
        _spec(
            PREFIX + "ATTAINMENT",
            "Direction-aware attainment, 1 = on target and more is better: actual / target "
            "when higher is better, target / actual when lower is better. Empty when actual "
            "or target is empty or the target is not above 0.",
            [
                ArgSpec("actual", "The KPI's actual value (a cell).", NUMBER_OPTIONS),
                ArgSpec("target", "The KPI's target (a cell).", NUMBER_OPTIONS),
                ArgSpec("direction", _DIRECTION_DOC + ".", NUMBER_OPTIONS),
            ],
            _attainment,
        ),
        _spec(
            PREFIX + "STATUS",
            f"Status from attainment: On track when >= on_track (default "
            f"{DEFAULT_ON_TRACK:g}), At risk when >= at_risk (default {DEFAULT_AT_RISK:g}), "
            f"else Off track; No data when attainment is empty. In lang ({langs}) or, with "
            f'lang "{STATUS_CODE_LANG}", the status code.',
            [
                ArgSpec("attainment", "Attainment, e.g. from KPI_ATTAINMENT.", NUMBER_OPTIONS),
                ArgSpec(
                    "on_track",
                    f"Attainment from which the KPI is on track (default {DEFAULT_ON_TRACK:g}).",
                    NUMBER_OPTIONS,
                    DEFAULT_ON_TRACK,
                ),
                ArgSpec(
                    "at_risk",
                    f"Attainment from which the KPI is at risk (default {DEFAULT_AT_RISK:g}).",
                    NUMBER_OPTIONS,
                    DEFAULT_AT_RISK,
                ),
                ArgSpec(
                    "lang",
                    f'Language of the label: {langs} (default en), or "{STATUS_CODE_LANG}".',
                    default="en",
                ),
            ],
            _status,
        ),
        _spec(
            PREFIX + "CHANGE",
            "Change against the previous period: (current - previous) / |previous|; empty "
            "when undefined. With the kpi_id of a KPI whose formula subtracts (ROI, sales "
            "growth...), the difference current - previous.",
            [
                ArgSpec("current", "This period's value (a cell).", NUMBER_OPTIONS),
                ArgSpec("previous", "The previous period's value (a cell).", NUMBER_OPTIONS),
                ArgSpec(
                    "kpi_id",
                    "Optional KPI id: a difference is given for KPIs whose formula subtracts.",
                    default="",
                ),
            ],
            _change,
        ),
        _spec(
            PREFIX + "PACE",
            "The KPI projected to the period end at the current run rate: flow measures "
            "scaled by total_days / elapsed_days, stocks kept, then the KPI's formula (a "
            "ratio's pace is its value). Measures as in the KPI's own KPI_ function.",
            [
                ArgSpec("kpi_id", kpi_id_doc),
                ArgSpec("elapsed_days", "Days of the period elapsed so far.", NUMBER_OPTIONS),
                ArgSpec("total_days", "Days in the whole period.", NUMBER_OPTIONS),
                ArgSpec(
                    "measures",
                    "The KPI's measures so far, in the order of its KPI_ function "
                    '(KPI_INFO(kpi_id, "function") lists them); cells or ranges, summed.',
                    RANGE_OPTIONS,
                    vararg=True,
                ),
            ],
            _pace,
        ),
        _spec(
            PREFIX + "SMART_TARGET",
            f"SMART target from a history range (oldest first, blanks skipped): the mean of "
            f"the last window values improved by growth (default {growth:.0%}, at most "
            f"{max_growth:.0%}) in the KPI's direction; a percent KPI's target stays within "
            f"0-100%.",
            [
                ArgSpec(
                    "history",
                    "Past values of the KPI, oldest first (row by row); blanks skipped.",
                    RANGE_OPTIONS,
                ),
                ArgSpec("direction", _DIRECTION_DOC + ".", NUMBER_OPTIONS),
                ArgSpec(
                    "growth",
                    f"Improvement on the baseline, e.g. 0.1 for 10% (default {growth:g}).",
                    NUMBER_OPTIONS,
                    growth,
                ),
                ArgSpec(
                    "window",
                    f"How many of the latest values make the baseline (default {window}).",
                    NUMBER_OPTIONS,
                    window,
                ),
            ],
            _smart_target,
        ),
        _spec(
            PREFIX + "CATALOG",
            f"The KPI catalog as a table: a header row ({', '.join(FIELDS)}) then one row "
            f"per KPI. Enter it in one cell: it expands to fit.",
            [
                ArgSpec(
                    "lang", f"Language of names and formulas: {langs} (default en).", default="en"
                )
            ],
            _catalog,
            ret={"expand": "table"},
            call_in_wizard=False,  # it resizes its range: not while the wizard is open
        ),
        _spec(
            PREFIX + "INFO",
            f"One field of a catalog KPI: {', '.join(FIELDS)}.",
            [
                ArgSpec("kpi_id", kpi_id_doc),
                ArgSpec("field", f"One of: {', '.join(FIELDS)}."),
                ArgSpec("lang", f"Language: {langs} (default en).", default="en"),
            ],
            _info,
        ),
    ]


def udf_specs() -> tuple[UDFSpec, ...]:
    """Every UDF: one per catalog KPI (catalog order), the helpers, then the old names of
    renamed KPIs.

    Built afresh on each call: xlwings' decorators annotate the function objects in place,
    so each import of :mod:`kpi_xl.udfs` gets its own.
    """
    specs = [_kpi_spec(kpi) for kpi in catalog.kpis().values()] + _helper_specs()
    specs += _renamed_specs()
    seen: dict[str, UDFSpec] = {}
    for spec in specs:
        if spec.name in seen:
            raise CatalogError(
                f"UDF name {spec.name} is used twice (KPI id {spec.kpi_id!r} clashes with "
                f"a helper or another KPI)"
            )
        seen[spec.name] = spec
    return tuple(specs)
