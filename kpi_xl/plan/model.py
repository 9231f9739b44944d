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

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd

from kpi_xl import periods as cal
from kpi_xl.catalog import helpers
from kpi_xl.catalog.records import KPI, get, measures
from kpi_xl.catalog.status_bands import STATUSES, Near
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


def round_target(kpi: KPI, value: float) -> float:
    """Targets are typed by people: round suggestions to what a person would type."""
    if math.isnan(value):
        return value
    if kpi.unit == "percent":
        return round(value, 4)
    if kpi.unit == "count" and not kpi.is_ratio:
        return float(round(value))
    return round(value, 2)


@dataclass(frozen=True)
class KpiRow:
    """One KPI in one scope: its figures per plan period and for the current period."""

    kpi: KPI
    scope: str
    actual: tuple[float, ...]  # per plan period (NaN = blank)
    target: tuple[float, ...]
    attainment: tuple[float, ...]
    status: tuple[str, ...]  # status codes
    previous: float  # the KPI in the period before the current one
    change: float  # current against previous
    pace: float  # current projected to the period end


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
    _values: dict[tuple[str, str, str, float], float] = field(default_factory=dict, repr=False)
    _rows: dict[tuple[str, str], KpiRow] = field(default_factory=dict, repr=False)

    # -- measures and KPIs -------------------------------------------------------------------

    def scope_of(self, kpi: KPI, scope: str) -> str:
        return kpi.channel_filter or scope

    def value(self, kpi: KPI, scope: str, period: str, factor: float = 1.0) -> float:
        """The KPI's value (NaN = blank); ``factor`` scales sum measures (pace)."""
        key = (kpi.id, scope, period, factor)
        if key not in self._values:
            self._values[key] = self._value(kpi, self.scope_of(kpi, scope), period, factor)
        return self._values[key]

    def _value(self, kpi: KPI, scope: str, period: str, factor: float) -> float:
        leaf = leaves(kpi)
        current = {m: self.data.leaf_sum(leaf[m], scope, period) for m in kpi.measures}
        if any(count == 0 for _, count in current.values()):
            return math.nan
        if any(leaf[m].whole and count != 1 for m, (_, count) in current.items()):
            return math.nan
        prev_key = cal.previous(period, self.spec.grain)
        prev = {m: self.data.leaf_sum(leaf[m], scope, prev_key)[0] for m in kpi.expression.previous}
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
        attainment = tuple(
            float(helpers.attainment(a, t, kpi.higher_is_better))
            for a, t in zip(actual, target, strict=True)
        )
        near = Near(self.spec.near_on_track, self.spec.near_at_risk) if kpi.near_target else None
        codes = tuple(
            str(helpers.status(a, self.spec.on_track, self.spec.at_risk, near)) for a in attainment
        )
        current = self.value(kpi, scope, self.current)
        previous = self.value(kpi, scope, self.previous)
        change = float(
            helpers.change(current, previous, difference=helpers.change_is_difference(kpi))
        )
        pace = self.value(kpi, scope, self.current, factor=self.pace_factor)
        return KpiRow(kpi, scope, actual, target, attainment, codes, previous, change, pace)

    @property
    def current_index(self) -> int:
        return self.periods.index(self.current)

    # -- the current period, one figure at a time (tests and readers) -----------------------

    def attainment(self, kpi: KPI, scope: str, period: str) -> float:
        return self.row(kpi.id, scope).attainment[self.periods.index(period)]

    def status(self, kpi: KPI, scope: str, period: str) -> str:
        return self.row(kpi.id, scope).status[self.periods.index(period)]

    def change(self, kpi: KPI, scope: str) -> float:
        return self.row(kpi.id, scope).change

    def pace(self, kpi: KPI, scope: str) -> float:
        return self.row(kpi.id, scope).pace

    def status_counts(self, channel: str, period: str) -> dict[str, int]:
        """How many of the channel plan's KPIs have each status in ``period``."""
        i = self.periods.index(period)
        counts = dict.fromkeys(STATUSES, 0)
        for kid in self.spec.channels[channel]:
            counts[self.row(kid, channel).status[i]] += 1
        return counts


def _history_target(
    model: PlanModel, kpi: KPI, scope: str, period: str, history: list[float]
) -> float:
    last_year = model.value(kpi, scope, cal.same_period_last_year(period, model.spec.grain))
    series = [last_year] if not math.isnan(last_year) else history
    return round_target(
        kpi,
        helpers.smart_target(
            series,
            kpi.higher_is_better,
            0.0 if kpi.near_target else model.spec.growth,
            window=1 if series is not history else 3,
            percent=kpi.is_bounded_rate,
        ),
    )


def suggest_targets(model: PlanModel, scopes: Iterable[tuple[str, str]]) -> None:
    """SMART suggestions for every (kpi, scope) in every plan period, unless already set.

    Baseline: the same period last year when it has data (seasonality), else the mean of
    the last three periods before the plan year with data, else of the plan year's first
    three periods with data. Growth is the plan's ``growth``; see ``smart_target``.
    """
    first = model.periods[0]
    table = model.data.table
    keys = sorted(set(table["period"].astype(str))) if not table.empty else []
    before = [k for k in keys if k < first]
    inside = [k for k in keys if k >= first]
    for kpi_id, scope in scopes:
        kpi = get(kpi_id)
        history = [model.value(kpi, scope, k) for k in before]
        history = [v for v in history if not math.isnan(v)]
        if not history:
            history = [
                v for v in (model.value(kpi, scope, k) for k in inside) if not math.isnan(v)
            ][:3]
        for period in model.periods:
            key = (kpi_id, scope, period)
            if key not in model.targets:
                model.targets[key] = _history_target(model, kpi, scope, period, history)


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
    year = spec.year or (data_end.year if data_end is not None else pd.Timestamp.today().year)
    periods = cal.periods_of_year(year, spec.grain)
    if data_end is None:
        current = periods[0]
    else:
        key = cal.key_of(cal.as_date(data_end), spec.grain)
        current = min(max(key, periods[0]), periods[-1])
    start, end = cal.bounds(current, spec.grain)
    total = (end - start).days + 1
    if data_end is None or cal.as_date(data_end) < start:
        elapsed = 0
    else:
        elapsed = min((cal.as_date(data_end) - start).days + 1, total)
    previous = cal.previous(current, spec.grain)
    return PeriodStamps(
        periods, current, previous, cal.previous(previous, spec.grain), int(elapsed), total
    )


def compute(
    spec: PlanSpec,
    aggregated: pd.DataFrame,
    data: PlanData,
    *,
    targets: dict[tuple[str, str, str], float] | None = None,
    notes: dict[tuple[str, str], str] | None = None,
    data_start: pd.Timestamp | None = None,
    data_end: pd.Timestamp | None = None,
) -> PlanModel:
    """The plan's values from ``data`` (what the formulas read) and the campaign-level table
    of the Data sheet (``aggregate(..., by=ID_COLUMNS[1:])``).

    ``targets`` given by the user (or carried over by refresh) win over suggestions; a NaN
    target is an explicit blank.
    """
    cols = plan_measures(spec)
    extra = [m for m in measures() if m in aggregated.columns and m not in cols]
    table_measures = cols + extra
    table = aggregated.reindex(columns=[*ID_COLUMNS, *table_measures])
    table = table.astype(dict.fromkeys(table_measures, "float64"))
    table["currency"] = table["currency"].fillna("").replace("", data.currency)
    stamps = period_stamps(spec, data_end)
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
    )
    suggest_targets(model, target_scopes(spec))
    return model
