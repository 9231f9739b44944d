"""Suggested targets: figures a marketer would keep rather than type over.

A suggestion is made for every KPI row and plan period, the past periods included, from
history alone, measure by measure as the KPI reads it (each measure's
:class:`~kpi_xl.plan.scopes.Leaf` in the KPI's scope), so that the targets of one plan
agree with each other.

**History.** Only *complete* periods (:meth:`PlanModel.complete`: the data covers all of
the period) strictly *before* the target period count: never the target period itself or
a later one (no look-ahead), never the current partial period, never a first period the
data starts inside. A complete period in which a measure has no reported value is no data
for it, not a zero. "The last 3 complete periods" are the 3 latest complete periods before
the target period (fewer when the data has fewer); a period after the data reads the last
3 complete periods there are.

**Measure baselines** (the level expected in the target period, before any improvement):

* flows (``sum`` and ``whole`` measures), method ``last_year``: last year's same period
  (:func:`~kpi_xl.periods.same_period_last_year`) x *trend*, where trend = (sum of the last
  3 complete periods) / (sum of the same 3 periods one year earlier), only when all six
  are complete, reported and above zero (else 1), clipped to [:data:`TREND_MIN`,
  :data:`TREND_MAX`] (growth or decline steeper than that over a quarter is an event, not
  a trend to plan on). Last year's same period must be complete, reported and above zero:
  a zero there (the channel did not run) is no baseline, and the next rule applies;
* flows, method ``recent`` (no usable last year): the mean of the last 3 complete periods
  that report the measure, times a *seasonal index* when one can be estimated: with a full
  year of complete history before the target period (its last 12 months, 4 quarters or 52
  weeks, all reported and above zero), a period's index is its share of that year against
  the mean share (its value / the year's mean); the target period takes the index of its
  position in that year, divided by the mean index of the recent periods (the recent mean
  is itself seasonal: a recent peak must not be counted twice). With one year of history
  this is that year's value at the same position; without a full year the index is 1;
* stocks (``last`` measures: followers, list size, backlinks), method ``stock``: the last
  complete close before the target period, plus the average net change per period over
  the last 3 complete periods (from the close before them, or from the earliest close
  there is) times the number of periods from that close to the target period.

A flow baseline of 0 (last year and the recent periods report only zeros: the platform
truly had none) and a stock projected at or below 0 are no usable baseline.

**KPI targets**, by :attr:`~kpi_xl.catalog.records.KPI.kind`:

* ``flow``: the baseline x (1 + growth) (``spec.growth``); a lower-is-better flow
  x (1 - growth). Method ``last_year`` or ``recent``;
* ``stock``: the projected close with the projected net change improved by growth in the
  KPI's direction: close + change + |change| x growth. Growth applies to the change, not
  to the level - 10 % more followers *every month* is not a plan anyone keeps. A flat
  stock's target is its close;
* ``budget`` (``near_target``: marketing spend): the baseline itself, no growth - a
  budget is planned, not improved on;
* ``ratio``: the KPI's expression evaluated on its measures' baselines - a ratio of sums
  over the same windows: when its flow measures would not all take the same method (one
  has last year, another not), every flow measure takes the plain mean of the last 3
  complete periods, without seasonal index - then improved by ``spec.ratio_growth`` in the
  KPI's direction (x (1 + r); x (1 - r) when lower is better); a share
  (``is_bounded_rate``) is kept within [0, 1]; ``prev(m)`` is the actual of the period
  before when complete, else that period's baseline. A ratio of 0 has nothing to improve
  on: no target;
* ``derived_target`` KPIs (AOV, CAC, sales growth, ROI, revenue ROI, follower and list
  growth, blended CPA and CPL, revenue per session) and ``change`` KPIs, method
  ``derived``: the expression evaluated on the measures' *targets* - a flow measure's
  baseline x (1 + growth), except cost (the budget: no growth); a stock measure's target
  as for a stock KPI - with ``prev(m)`` the actual of the period before when that period
  is complete and reports m, else that period's measure target, and the plan settings the
  KPI reads (gross margin) from :meth:`PlanModel.parameters`. So sales growth's target is
  revenue's target over the previous period's revenue, and AOV's is revenue's target over
  orders' target.

No usable baseline gives NaN ("No target", method ``none``), never 0. Targets are rounded
as people type them (:func:`round_target`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kpi_xl import periods as cal
from kpi_xl.catalog.records import KPI, get, measures
from kpi_xl.plan.scopes import Leaf, leaves

if TYPE_CHECKING:  # model.py calls suggest(): a run-time import would be a cycle
    from kpi_xl.plan.model import PlanModel

#: The trend factor is clipped to this range.
TREND_MIN, TREND_MAX = 0.5, 2.0
#: How many complete periods make "recent" history (the recent mean, the trend, a stock's
#: net change).
RECENT = 3
#: Periods of a full year of history, by grain (for the seasonal index).
YEAR_PERIODS = {"month": 12, "quarter": 4, "week": 52}
#: Measures that are a budget: derived targets take them without growth.
BUDGET_MEASURES = frozenset({"cost"})

METHODS = ("last_year", "recent", "stock", "ratio", "derived", "budget", "none")


@dataclass(frozen=True)
class Suggestion:
    """A suggested target and how it was reached."""

    value: float  # NaN: no usable baseline
    method: str  # one of METHODS
    baseline: float  # the history figure it starts from (NaN when none)
    trend: float  # the trend factor applied (1.0 when none); "recent": the seasonal index
    growth: float  # the improvement applied (0.10, -0.10 for lower-is-better, 0 for a budget)
    periods: tuple[str, ...]  # the history periods used


NONE = Suggestion(math.nan, "none", math.nan, 1.0, 0.0, ())
#: A measure's target the user set: (its leaf, scope, period).
Fixed = tuple[Leaf, str, str]


def round_target(kpi: KPI, value: float) -> float:
    """Targets are typed by people: round suggestions to what a person would type (the
    one rule, which the model uses too). A value that is not finite (a projection beyond
    the float range) is no target: NaN, as when there is no baseline."""
    if not math.isfinite(value):
        return math.nan
    if kpi.unit == "percent":
        return round(value, 4)
    if kpi.unit == "count" and not kpi.is_ratio:
        return float(round(value))
    return round(value, 2)


@dataclass(frozen=True)
class _Baseline:
    """A measure's expected level in a period, before any improvement."""

    value: float  # the projected level: last year x trend, recent mean x index, close + change
    method: str  # "last_year", "recent" or "stock"
    start: float  # the history figure: last year's actual, the recent mean, the last close
    factor: float  # the trend or seasonal index (1.0 for stocks)
    change: float  # stocks: the projected net change from the last close; 0 otherwise
    periods: tuple[str, ...]


def _sorted(*groups: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({p for group in groups for p in group}))


def _improve(value: float, growth: float, higher_is_better: bool) -> float:
    return value * (1 + growth) if higher_is_better else value * (1 - growth)


class _History:
    """The complete history of one model, read measure by measure (cached)."""

    def __init__(self, model: PlanModel, fixed: Mapping[Fixed, float] | None = None) -> None:
        self.model = model
        self.grain = model.spec.grain
        self.growth = model.spec.growth
        self.fixed = dict(fixed or {})
        self._before: dict[tuple[str, int], tuple[str, ...]] = {}
        self._baselines: dict[tuple[Leaf, str, str, bool], _Baseline | None] = {}

    # -- periods -----------------------------------------------------------------------------

    def complete_before(self, period: str, n: int) -> tuple[str, ...]:
        """The (at most) ``n`` latest complete periods before ``period``, oldest first."""
        key = (period, n)
        if key not in self._before:
            self._before[key] = self._complete_before(period, n)
        return self._before[key]

    def _complete_before(self, period: str, n: int) -> tuple[str, ...]:
        model = self.model
        if model.data_start is None or model.data_end is None:
            return ()
        q = cal.previous(period, self.grain)
        end = cal.as_date(model.data_end)
        last = cal.key_of(end, self.grain)
        if q > last:  # a period after the data: its history ends where the data does
            q = last
        if not model.complete(q) and cal.bounds(q, self.grain)[1] > end:
            q = cal.previous(q, self.grain)  # the partial period the data ends in
        out: list[str] = []
        while len(out) < n and model.complete(q):  # complete periods are consecutive
            out.append(q)
            q = cal.previous(q, self.grain)
        return tuple(reversed(out))

    def last_year(self, period: str) -> str:
        return cal.same_period_last_year(period, self.grain)

    def steps(self, start: str, end: str) -> int:
        """How many periods ``end`` lies after ``start`` (``start`` <= ``end``)."""
        count, q = 0, end
        while q > start:
            q = cal.previous(q, self.grain)
            count += 1
        return count

    # -- measures ----------------------------------------------------------------------------

    def actual(self, leaf: Leaf, scope: str, period: str) -> float:
        """The measure in a complete period (NaN: incomplete, or not reported there)."""
        if not self.model.complete(period):
            return math.nan
        total, count = self.model.data.leaf_sum(leaf, scope, period)
        if count == 0 or (leaf.whole and count != 1):
            return math.nan
        return total

    def baseline(
        self, leaf: Leaf, scope: str, period: str, plain: bool = False
    ) -> _Baseline | None:
        """The measure's baseline for ``period`` (None: no usable one); ``plain``: a flow's
        plain recent mean (no last year, no seasonal index), for ratios whose measures must
        read the same windows."""
        stock = measures()[leaf.measure].aggregation == "last"
        key = (leaf, scope, period, plain and not stock)
        if key not in self._baselines:
            if stock:
                found = self._stock(leaf, scope, period)
            elif plain:
                found = self._recent(leaf, scope, period, seasonal=False)
            else:
                found = self._last_year(leaf, scope, period) or self._recent(leaf, scope, period)
            self._baselines[key] = found
        return self._baselines[key]

    def _last_year(self, leaf: Leaf, scope: str, period: str) -> _Baseline | None:
        ly = self.last_year(period)
        value = self.actual(leaf, scope, ly)
        if not value > 0:  # NaN (incomplete, not reported) or zero: not a baseline
            return None
        trend, used = self._trend(leaf, scope, period)
        return _Baseline(value * trend, "last_year", value, trend, 0.0, _sorted([ly], used))

    def _trend(self, leaf: Leaf, scope: str, period: str) -> tuple[float, tuple[str, ...]]:
        recent = self.complete_before(period, RECENT)
        if len(recent) < RECENT:
            return 1.0, ()
        earlier = [self.last_year(q) for q in recent]
        now = [self.actual(leaf, scope, q) for q in recent]
        then = [self.actual(leaf, scope, q) for q in earlier]
        if not all(v > 0 for v in (*now, *then)):  # NaN compares False
            return 1.0, ()
        trend = min(max(sum(now) / sum(then), TREND_MIN), TREND_MAX)
        return trend, (*earlier, *recent)

    def _recent(
        self, leaf: Leaf, scope: str, period: str, seasonal: bool = True
    ) -> _Baseline | None:
        recent = self.complete_before(period, RECENT)
        values = {q: self.actual(leaf, scope, q) for q in recent}
        used = {q: v for q, v in values.items() if not math.isnan(v)}
        if not used:
            return None
        mean = sum(used.values()) / len(used)
        if not mean > 0:
            return None
        index, year = self._season(leaf, scope, period, tuple(used)) if seasonal else (1.0, ())
        return _Baseline(mean * index, "recent", mean, index, 0.0, _sorted(used, year))

    def _season(
        self, leaf: Leaf, scope: str, period: str, recent: tuple[str, ...]
    ) -> tuple[float, tuple[str, ...]]:
        """The seasonal index of ``period`` against the ``recent`` periods (see the module
        docstring), and the year of history it comes from; (1.0, ()) when there is none."""
        n = YEAR_PERIODS[cal.base_grain(self.grain)]
        year = self.complete_before(period, n)
        if len(year) < n:
            return 1.0, ()
        values = {q: self.actual(leaf, scope, q) for q in year}
        if not all(v > 0 for v in values.values()):
            return 1.0, ()
        same = period
        while same >= year[0] and same not in values:
            same = self.last_year(same)
        if same not in values or not all(q in values for q in recent):
            return 1.0, ()
        mean = sum(values.values()) / n
        index = values[same] / mean
        recent_index = sum(values[q] for q in recent) / len(recent) / mean
        return index / recent_index, year

    def _stock(self, leaf: Leaf, scope: str, period: str) -> _Baseline | None:
        window = self.complete_before(period, RECENT + 1)
        closes = [(q, v) for q in window if not math.isnan(v := self.actual(leaf, scope, q))]
        if not closes:
            return None
        (first, opening), (last, close) = closes[0], closes[-1]
        span = self.steps(first, last)
        per_period = (close - opening) / span if span else 0.0
        change = per_period * self.steps(last, period)
        if not close + change > 0:
            return None
        used = tuple(q for q, _ in closes)
        return _Baseline(close + change, "stock", close, 1.0, change, used)

    def target(self, leaf: Leaf, scope: str, period: str) -> float:
        """The measure's target, as a derived KPI reads it: a flow's baseline x (1 +
        growth) (cost, the budget, without growth), a stock's projected change improved
        by growth; NaN without a usable baseline. A measure whose own KPI row has a target
        the user set (typed, or part of an annual target) takes that target."""
        if (leaf, scope, period) in self.fixed:
            return self.fixed[(leaf, scope, period)]
        found = self.baseline(leaf, scope, period)
        if found is None:
            return math.nan
        if found.method == "stock":
            return found.value + abs(found.change) * self.growth
        if leaf.measure in BUDGET_MEASURES:
            return found.value
        return found.value * (1 + self.growth)

    def previous(
        self, leaf: Leaf, scope: str, period: str, *, targets: bool
    ) -> tuple[float, tuple[str, ...]]:
        """``prev(m)`` for ``period``: the actual of the period before when it is complete,
        else that period's measure target (``targets``) or baseline; and the history used."""
        before = cal.previous(period, self.grain)
        value = self.actual(leaf, scope, before)
        if not math.isnan(value):
            return value, (before,)
        found = self.baseline(leaf, scope, before)
        if found is None:
            return math.nan, ()
        return (self.target(leaf, scope, before) if targets else found.value), found.periods


def _single(kpi: KPI) -> str | None:
    return kpi.measures[0] if len(kpi.measures) == 1 and not kpi.expression.previous else None


def _measure_kpi(
    history: _History, kpi: KPI, scope: str, period: str, parameters: Mapping[str, float]
) -> Suggestion:
    """A flow, stock or budget KPI: its expression on its measures' baselines."""
    leaf = leaves(kpi)
    found = {m: history.baseline(leaf[m], scope, period) for m in kpi.measures}
    if any(b is None for b in found.values()):
        return NONE
    baselines = {m: b for m, b in found.items() if b is not None}
    used = _sorted(*(b.periods for b in baselines.values()))
    growth = history.growth
    direction = 1.0 if kpi.higher_is_better else -1.0
    if kpi.kind == "budget":
        value = float(kpi.evaluate({**{m: b.value for m, b in baselines.items()}, **parameters}))
        growth, method = 0.0, "budget"
    elif kpi.kind == "stock":
        levels = {m: b.value + direction * abs(b.change) * growth for m, b in baselines.items()}
        value = float(kpi.evaluate({**levels, **parameters}))
        method = "stock"
    else:
        projected = float(
            kpi.evaluate({**{m: b.value for m, b in baselines.items()}, **parameters})
        )
        value = _improve(projected, growth, kpi.higher_is_better)
        method = next(iter(baselines.values())).method
    if not value > 0 or not math.isfinite(value):
        return NONE
    only = _single(kpi)
    if only is not None:
        start, factor = baselines[only].start, baselines[only].factor
    else:
        start = float(kpi.evaluate({**{m: b.start for m, b in baselines.items()}, **parameters}))
        factor = 1.0
    return Suggestion(round_target(kpi, value), method, start, factor, direction * growth, used)


def _ratio_kpi(
    history: _History, kpi: KPI, scope: str, period: str, parameters: Mapping[str, float]
) -> Suggestion:
    """A ratio: its expression on its measures' baselines over the same windows, improved
    by the plan's ratio growth."""
    leaf = leaves(kpi)
    found = {m: history.baseline(leaf[m], scope, period) for m in kpi.measures}
    flows = {b.method for b in found.values() if b is not None and b.method != "stock"}
    if len(flows) > 1:  # not the same windows: the recent mean for every flow measure
        found = {m: history.baseline(leaf[m], scope, period, plain=True) for m in found}
    if any(b is None for b in found.values()):
        return NONE
    values = {m: b.value for m, b in found.items() if b is not None}
    used = _sorted(*(b.periods for b in found.values() if b is not None))
    prev: dict[str, float] = {}
    for m in kpi.expression.previous:
        prev[m], more = history.previous(leaf[m], scope, period, targets=False)
        used = _sorted(used, more)
    ratio = float(kpi.evaluate({**values, **parameters}, prev))
    if not math.isfinite(ratio) or ratio == 0:
        return NONE
    growth = history.model.spec.ratio_growth
    value = _improve(ratio, growth, kpi.higher_is_better)
    if kpi.is_bounded_rate:
        value = min(max(value, 0.0), 1.0)
    sign = 1.0 if kpi.higher_is_better else -1.0
    return Suggestion(round_target(kpi, value), "ratio", ratio, 1.0, sign * growth, used)


def _derived_kpi(
    history: _History, kpi: KPI, scope: str, period: str, parameters: Mapping[str, float]
) -> Suggestion:
    """A derived or change KPI: its expression on its measures' targets."""
    leaf = leaves(kpi)
    targets = {m: history.target(leaf[m], scope, period) for m in kpi.measures}
    prev: dict[str, float] = {}
    used: tuple[str, ...] = ()
    for m in kpi.expression.previous:
        prev[m], more = history.previous(leaf[m], scope, period, targets=True)
        used = _sorted(used, more)
    value = float(kpi.evaluate({**targets, **parameters}, prev))
    if not math.isfinite(value):
        return NONE
    found = {m: history.baseline(leaf[m], scope, period) for m in kpi.measures}
    used = _sorted(used, *(b.periods for b in found.values() if b is not None))
    baseline = math.nan
    if all(b is not None for b in found.values()):
        plain = {m: b.value for m, b in found.items() if b is not None}
        before = {m: history.previous(leaf[m], scope, period, targets=False)[0] for m in prev}
        baseline = float(kpi.evaluate({**plain, **parameters}, before))
    if kpi.is_bounded_rate:
        value = min(max(value, 0.0), 1.0)
    return Suggestion(
        round_target(kpi, value),
        "derived",
        baseline if math.isfinite(baseline) else math.nan,
        1.0,
        history.growth,
        used,
    )


def _suggest_one(history: _History, kpi: KPI, scope: str, period: str) -> Suggestion:
    model = history.model
    scope = model.scope_of(kpi, scope)
    parameters = model.parameters(kpi)
    if kpi.derived_target or kpi.kind == "change":
        return _derived_kpi(history, kpi, scope, period, parameters)
    if kpi.kind == "ratio":
        return _ratio_kpi(history, kpi, scope, period, parameters)
    return _measure_kpi(history, kpi, scope, period, parameters)


def suggest(
    model: PlanModel,
    scopes: Iterable[tuple[str, str]],
    fixed: Mapping[Fixed, float] | None = None,
) -> dict[tuple[str, str, str], Suggestion]:
    """A suggestion for every (kpi id, scope) in every plan period (model.periods);
    ``fixed`` are measure targets the user set (see :func:`fixed_targets`), which derived
    KPIs follow."""
    history = _History(model, fixed)
    out: dict[tuple[str, str, str], Suggestion] = {}
    for kpi_id, scope in scopes:
        kpi = get(kpi_id)
        for period in model.periods:
            out[(kpi_id, scope, period)] = _suggest_one(history, kpi, scope, period)
    return out


def fixed_targets(model: PlanModel, keys: Iterable[tuple[str, str, str]]) -> dict[Fixed, float]:
    """The measure targets that ``keys`` (targets the user set) give: a KPI that is one
    measure (Revenue, Orders, Marketing spend) gives that measure's target in its scope,
    which the KPIs derived from it (sales growth, AOV, ROI) then follow."""
    out: dict[Fixed, float] = {}
    for kpi_id, scope, period in keys:
        kpi = get(kpi_id)
        measure = _single(kpi)
        value = model.targets.get((kpi_id, scope, period), math.nan)
        if measure is None or kpi.kind == "ratio" or math.isnan(value):
            continue
        out[(leaves(kpi)[measure], model.scope_of(kpi, scope), period)] = value
    return out
