"""The plan computed in Python: what every formula cell of the workbook must show.

The workbook's formulas read the ``PlanData`` table with SUMIFS; this module computes the
same numbers from the same table (:mod:`kpi_xl.plan.scopes`), following the same rules:

* a KPI's *scope* is ``"all"`` (every channel) or one channel; a KPI with a
  ``channel_filter`` always reads that channel;
* each measure it reads is summed as its :class:`~kpi_xl.plan.scopes.Leaf` says (system of
  record, same-platform rows, whole-period rows);
* a KPI is blank ("no data") when any measure it reads in the current period has no
  non-blank value there (``COUNTIFS(..., "<>")`` is 0), or a whole-period measure has
  more than one row; otherwise its expression is applied to the SUMIFS sums (a previous
  period with no rows sums to 0);
* targets, attainment, status, change and pace follow :mod:`kpi_xl.catalog.helpers`.

Sums are computed once per scope and period; each KPI row of the plan
(:class:`KpiRow`: actual, target, attainment and status per period, plus the current
period's previous value, change and pace) is computed once and read by every writer.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pandas as pd

from kpi_xl import periods as cal
from kpi_xl.catalog import helpers
from kpi_xl.catalog.records import KPI, get, measures
from kpi_xl.plan.scopes import SCOPE_ALL, PlanData, leaves
from kpi_xl.plan.spec import PlanSpec

ALL = SCOPE_ALL
#: The campaign-level table of the Data sheet (for the user's pivots), left to right.
ID_COLUMNS = ("period", "channel", "source", "campaign", "currency")


def plan_measures(spec: PlanSpec) -> list[str]:
    """Every base measure the plan's KPIs read, in catalog order."""
    needed = {m for kid in all_kpi_ids(spec) for m in get(kid).all_measures}
    return [m for m in measures() if m in needed]


def all_kpi_ids(spec: PlanSpec) -> list[str]:
    ids = list(spec.overall)
    for kpi_ids in spec.channels.values():
        ids.extend(k for k in kpi_ids if k not in ids)
    return ids


def target_scopes(spec: PlanSpec) -> list[tuple[str, str]]:
    """(kpi id, scope) of every target row, overall plan first."""
    rows = [(k, ALL) for k in spec.overall]
    for channel, kpi_ids in spec.channels.items():
        rows.extend((k, channel) for k in kpi_ids)
    return rows


@dataclass(frozen=True)
class KpiRow:
    """One KPI in one scope: its actual and target per plan period (how each period is
    judged: :mod:`kpi_xl.plan.judgement`)."""

    kpi: KPI
    scope: str
    actual: tuple[float, ...]  # per plan period (NaN = blank)
    target: tuple[float, ...]


@dataclass
class PlanModel:
    """All values of one plan. Build with :func:`compute`."""

    spec: PlanSpec
    table: pd.DataFrame  # the Data sheet's table: ID_COLUMNS, then measures
    table_measures: list[str]
    data: PlanData  # what the formulas read
    periods: list[str]  # the plan year's periods
    current: str
    previous: str
    prior: str  # the period before the previous one
    data_start: pd.Timestamp | None
    data_end: pd.Timestamp | None
    elapsed_days: int
    total_days: int
    targets: dict[tuple[str, str, str], float] = field(default_factory=dict)
    notes: dict[tuple[str, str], str] = field(default_factory=dict)
    #: the same days of the previous period and of last year as the latest period holds
    to_date: PlanData | None = None
    #: how each suggested target was made (kpi, scope, period) -> plan.suggest.Suggestion
    suggestions: dict[tuple[str, str, str], Any] = field(default_factory=dict)
    #: the targets the user typed (the others are suggested or spread from an annual one)
    typed: set[tuple[str, str, str]] = field(default_factory=set)
    #: annual targets typed per (kpi, scope) (:mod:`kpi_xl.plan.annual`)
    annual: dict[tuple[str, str], float] = field(default_factory=dict)
    #: changes to closed periods' targets, oldest first: [key, before, after, ISO date]
    target_log: list[list[Any]] = field(default_factory=list)
    _values: dict[tuple[Any, ...], float] = field(default_factory=dict, repr=False)
    _rows: dict[tuple[str, str], KpiRow] = field(default_factory=dict, repr=False)
    #: what :mod:`kpi_xl.plan.judgement` computed once for this plan
    judged: dict[Any, Any] = field(default_factory=dict, repr=False)

    # -- measures and KPIs -------------------------------------------------------------------

    def scope_of(self, kpi: KPI, scope: str) -> str:
        return kpi.channel_filter or scope

    def data_table(self, name: str) -> PlanData:
        """``"main"`` (PlanData) or ``"to_date"`` (PlanToDate: the same days as the latest
        period holds, of the previous period and of last year)."""
        if name == "to_date":
            if self.to_date is None:
                raise ValueError("this plan has no to-date table (its latest period is whole)")
            return self.to_date
        return self.data

    def value(
        self,
        kpi: KPI,
        scope: str,
        period: str,
        factor: float = 1.0,
        *,
        table: str = "main",
        prev_table: str = "main",
    ) -> float:
        """The KPI's value (NaN = blank); ``factor`` scales sum measures (pace); ``table``
        and ``prev_table`` say which table the period and ``prev()`` read."""
        key = (kpi.id, scope, period, factor, table, prev_table)
        if key not in self._values:
            self._values[key] = self._value(
                kpi, self.scope_of(kpi, scope), [period], factor, table, prev_table
            )
        return self._values[key]

    def value_over(self, kpi: KPI, scope: str, periods: list[str]) -> float:
        """The KPI over several periods (year to date): each measure summed over them, as
        SUMIFS over a range of periods does; NaN for a KPI reading ``prev()``."""
        if kpi.expression.previous or not periods:
            return math.nan
        key = (kpi.id, scope, tuple(periods), "over")
        if key not in self._values:
            self._values[key] = self._value(
                kpi, self.scope_of(kpi, scope), periods, 1.0, "main", "main"
            )
        return self._values[key]

    def _value(
        self,
        kpi: KPI,
        scope: str,
        periods: list[str],
        factor: float,
        table: str,
        prev_table: str,
    ) -> float:
        leaf = leaves(kpi)
        data, prev_data = self.data_table(table), self.data_table(prev_table)
        current: dict[str, tuple[float, int]] = {}
        for m in kpi.measures:
            sums = [data.leaf_sum(leaf[m], scope, p) for p in periods]
            current[m] = (float(sum(s for s, _ in sums)), sum(c for _, c in sums))
        if any(count == 0 for _, count in current.values()):
            return math.nan
        if any(leaf[m].whole and count != 1 for m, (_, count) in current.items()):
            return math.nan
        prev_key = cal.previous(periods[0], self.spec.grain)
        prev = {m: prev_data.leaf_sum(leaf[m], scope, prev_key)[0] for m in kpi.expression.previous}
        values: dict[str, float] = {m: s for m, (s, _) in current.items()}
        values.update(self.parameters(kpi))
        if factor != 1.0:
            return float(helpers.pace(kpi, values, 1.0, factor, prev))
        return float(kpi.evaluate(values, prev))

    def parameters(self, kpi: KPI) -> dict[str, float]:
        """The plan settings the KPI reads (``gross_margin``; NaN when not set)."""
        margin = self.spec.gross_margin
        return dict.fromkeys(kpi.parameters, math.nan if margin is None else margin)

    def blank_reason(self, kpi: KPI, scope: str, period: str) -> tuple[str, str] | None:
        """Why the KPI is blank although data reports its measures: (whole-period measure,
        gap code of :meth:`PlanData.whole_gap`); None otherwise."""
        scope = self.scope_of(kpi, scope)
        leaf = leaves(kpi)
        for m in kpi.measures:
            if not leaf[m].whole:
                continue
            _, count = self.data.leaf_sum(leaf[m], scope, period)
            if count > 1:
                return m, "several"
            if count == 0:
                gap = self.data.whole_gap(m, scope, period)
                if gap is not None:
                    return m, gap
        return None

    def target(self, kpi_id: str, scope: str, period: str) -> float:
        return self.targets.get((kpi_id, scope, period), math.nan)

    def complete(self, period: str) -> bool:
        """True when the data covers all of ``period`` (a finished period, not the first
        one when the data starts inside it)."""
        if self.data_start is None or self.data_end is None:
            return False
        start, end = cal.bounds(period, self.spec.grain)
        return cal.as_date(self.data_start) <= start and cal.as_date(self.data_end) >= end

    @cached_property
    def pace_factor(self) -> float:
        return float(helpers.pace_factor(self.elapsed_days, self.total_days))

    def row(self, kpi_id: str, scope: str) -> KpiRow:
        """The KPI's figures in ``scope`` (computed once)."""
        key = (kpi_id, scope)
        if key not in self._rows:
            self._rows[key] = self._row(get(kpi_id), scope)
        return self._rows[key]

    def _row(self, kpi: KPI, scope: str) -> KpiRow:
        actual = tuple(self.value(kpi, scope, p) for p in self.periods)
        target = tuple(self.target(kpi.id, scope, p) for p in self.periods)
        return KpiRow(kpi, scope, actual, target)

    @property
    def current_index(self) -> int:
        return self.periods.index(self.current)


def suggest_targets(model: PlanModel, scopes: Iterable[tuple[str, str]]) -> None:
    """SMART suggestions (:mod:`kpi_xl.plan.suggest`) for every (kpi, scope) in every plan
    period, unless the user set one; each suggestion's basis is kept for the Targets
    sheet."""
    from kpi_xl.plan.suggest import suggest

    for key, suggestion in suggest(model, scopes).items():
        model.suggestions[key] = suggestion
        if key not in model.targets:
            model.targets[key] = suggestion.value


def follow_set_targets(
    model: PlanModel, scopes: list[tuple[str, str]], set_keys: set[tuple[str, str, str]]
) -> None:
    """Derived KPIs' suggestions again, from the targets the user set for their parts
    (sales growth from typed or annual revenue targets), so that they never contradict."""
    from kpi_xl.plan.suggest import fixed_targets, suggest

    fixed = fixed_targets(model, set_keys)
    if not fixed:
        return
    derived = [(k, s) for k, s in scopes if get(k).derived_target or get(k).kind == "change"]
    for key, suggestion in suggest(model, derived, fixed).items():
        model.suggestions[key] = suggestion
        if key not in set_keys:
            model.targets[key] = suggestion.value


@dataclass(frozen=True)
class PeriodStamps:
    """The plan's periods and where the data stands in them."""

    periods: list[str]
    current: str
    previous: str
    prior: str
    elapsed_days: int
    total_days: int


def period_stamps(spec: PlanSpec, data_end: pd.Timestamp | None) -> PeriodStamps:
    """Current period = the plan period holding the latest data (clamped to the plan
    year); elapsed days = days of it the data covers."""
    latest = cal.as_date(data_end) if data_end is not None else dt.date.today()
    year = spec.year or cal.year_of(latest, spec.grain)  # a Solar Hijri plan: 1405
    periods = cal.periods_of_year(year, spec.grain)
    if data_end is None:
        current, elapsed, total = periods[0], 0, cal.days_in(periods[0], spec.grain)
    else:
        current, elapsed, total = cal.current_period(latest, spec.grain, year)
    previous = cal.previous(current, spec.grain)
    return PeriodStamps(
        periods, current, previous, cal.previous(previous, spec.grain), int(elapsed), total
    )


#: The period a targets file gives for a target of the whole plan year (besides the year).
YEAR_KEY = "year"


def split_annual(
    targets: dict[tuple[str, str, str], float],
    periods: list[str],
    annual: dict[tuple[str, str], float] | None,
) -> tuple[dict[tuple[str, str, str], float], dict[tuple[str, str], float]]:
    """Period targets and annual ones: a target whose period is ``year`` or the plan's year
    (``2026``) is an annual target (one given as ``annual`` wins)."""
    year = {YEAR_KEY, periods[0][:4]} if periods else {YEAR_KEY}
    yearly = {(k, s): v for (k, s, p), v in targets.items() if p in year}
    periodic = {key: v for key, v in targets.items() if key[2] not in year}
    return periodic, {**yearly, **(annual or {})}


def compute(
    spec: PlanSpec,
    aggregated: pd.DataFrame,
    data: PlanData,
    *,
    targets: dict[tuple[str, str, str], float] | None = None,
    notes: dict[tuple[str, str], str] | None = None,
    data_start: pd.Timestamp | None = None,
    data_end: pd.Timestamp | None = None,
    to_date: PlanData | None = None,
    annual: dict[tuple[str, str], float] | None = None,
) -> PlanModel:
    """The plan's values from ``data`` (what the formulas read) and the campaign-level table
    of the Data sheet (``aggregate(..., by=ID_COLUMNS[1:])``).

    ``targets`` given by the user (or carried over by refresh) win over suggestions; a NaN
    target is an explicit blank. ``annual`` targets per (kpi, scope) are spread over the
    open periods they do not override (:mod:`kpi_xl.plan.annual`).
    """
    cols = plan_measures(spec)
    extra = [m for m in measures() if m in aggregated.columns and m not in cols]
    table_measures = cols + extra
    table = aggregated.reindex(columns=[*ID_COLUMNS, *table_measures])
    table = table.astype(dict.fromkeys(table_measures, "float64"))
    table["currency"] = table["currency"].fillna("").replace("", data.currency)
    stamps = period_stamps(spec, data_end)
    targets, annual = split_annual(targets or {}, stamps.periods, annual)
    model = PlanModel(
        spec=spec,
        table=table,
        table_measures=table_measures,
        data=data,
        periods=stamps.periods,
        current=stamps.current,
        previous=stamps.previous,
        prior=stamps.prior,
        data_start=data_start,
        data_end=data_end,
        elapsed_days=stamps.elapsed_days,
        total_days=stamps.total_days,
        targets=dict(targets or {}),
        notes=dict(notes or {}),
        to_date=to_date,
        typed=set(targets or {}),
        annual=dict(annual or {}),
    )
    scopes = target_scopes(spec)
    suggest_targets(model, scopes)
    from kpi_xl.plan.annual import apply_annual

    spread = apply_annual(model, model.annual)
    follow_set_targets(model, scopes, model.typed | spread)
    return model
