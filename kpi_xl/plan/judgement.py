"""A KPI judged in one period, as the Overview shows it for the period a reader selects.

A **selection** is the period looked at (by default the latest period of the data), its
previous period and the same period last year, and how far through it the data goes. A
finished period is judged as it is; a period the data is still inside (20 of 31 days) is
judged on its pace, by kind of KPI (:attr:`kpi_xl.catalog.records.KPI.kind`):

* flows (revenue, sessions, leads) and budgets: the pace (the figure so far projected to
  the period's end, ``actual x days / days elapsed``) against the target - the same as the
  figure so far against the target prorated to the days elapsed; *progress* (so far
  against the full target) is shown beside it;
* stocks (followers): against the path from the previous close to the target;
* ratios (key event rate, CPA, ROAS): as they are, a ratio needs no proration;
* changes (sales growth): like for like, the days so far against the same days of the
  previous period, and ``(1 + growth) / (1 + target)``;
* a period less than a tenth through, or a ratio over less than its denominator's
  ``min_base``, is *too early* to judge.

Comparisons are like for like: the same days of the previous period and of the same period
last year, from the daily rows the data has for them (the workbook carries them in its
``PlanToDate`` table). A previous period exported as one total (a monthly report) cannot be
cut at a day: a flow is then compared on its pace, marked *projected*.

Year to date sums the plan year's periods up to the selected one (a ratio: the ratio of the
sums); its target sums the periods' targets, the selected one prorated. The full-year
target sums the year's targets (ratios: their mean; stocks: the last one).

Every function here has its formula twin in :mod:`kpi_xl.workbook.formulas`, and the
engines test checks them against each other.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from kpi_xl import periods as cal
from kpi_xl.catalog import helpers
from kpi_xl.catalog.records import KPI
from kpi_xl.catalog.status_bands import Near
from kpi_xl.plan.model import PlanModel
from kpi_xl.plan.scopes import PlanData, leaves

#: A partial period less than this far through is too early to judge.
TOO_EARLY_SHARE = 0.1


@dataclass(frozen=True)
class Selection:
    """The period looked at, its neighbours, and how far through it the data goes."""

    period: str
    previous: str
    prior: str
    last_year: str
    elapsed: int  # days of the period the data covers (0: a period after the data)
    total: int

    @property
    def share(self) -> float:
        return self.elapsed / self.total if self.total else 0.0

    @property
    def partial(self) -> bool:
        return 0 < self.elapsed < self.total

    @property
    def factor(self) -> float:
        """How much a flow grows by the period's end at the current rate."""
        return self.total / self.elapsed if self.elapsed else math.nan

    @property
    def too_early(self) -> bool:
        return self.partial and self.share < TOO_EARLY_SHARE


def selection(model: PlanModel, period: str | None = None) -> Selection:
    """The selection of ``period`` (default: the latest period of the data)."""
    grain = model.spec.grain
    key = period or model.current
    start, end = cal.bounds(key, grain)
    total = (end - start).days + 1
    if model.data_end is None or cal.as_date(model.data_end) < start:
        elapsed = 0
    else:
        elapsed = min((cal.as_date(model.data_end) - start).days + 1, total)
    previous = cal.previous(key, grain)
    return Selection(
        key,
        previous,
        cal.previous(previous, grain),
        cal.same_period_last_year(key, grain),
        elapsed,
        total,
    )


def last_complete(model: PlanModel) -> str:
    """The latest plan-year period the data covers entirely (the first one when none)."""
    done = [p for p in model.periods if model.complete(p)]
    return done[-1] if done else model.periods[0]


@dataclass(frozen=True)
class Figures:
    """One KPI in one scope for a selection: what a row of the Overview shows."""

    actual: float
    target: float
    attainment: float
    status: str
    progress: float  # flows and budgets: so far against the full target
    pace: float
    previous: float  # the same days of the previous period (or all of it)
    change: float
    projected: bool  # the change compares the pace with the whole previous period
    last_year: float
    vs_last_year: float
    projected_last_year: bool
    ytd_actual: float
    ytd_target: float
    fy_target: float
    too_early: bool
    gap: float = math.nan  # what the judged figure lacks (-) or exceeds (+) against its goal


def to_date_ok(model: PlanModel, kpi: KPI, scope: str, sel: Selection, other: str) -> bool:
    """True when every source the KPI reads in the selected period has daily rows for the
    same days of ``other`` (the previous period, or last year's)."""
    if model.to_date is None:
        return False
    scope = model.scope_of(kpi, scope)
    leaf = leaves(kpi)
    for m in kpi.measures:
        now = _sources(model.data, leaf[m], scope, sel.period)
        then = _sources(model.to_date, leaf[m], scope, other)
        if not now or not now <= then:
            return False
    return True


def _sources(data: PlanData, leaf: object, scope: str, period: str) -> set[str]:
    from kpi_xl.plan.scopes import Leaf

    assert isinstance(leaf, Leaf)
    rows = data.leaf_rows(leaf, scope, period)
    if leaf.measure not in data.table.columns:
        return set()
    values = data.table[leaf.measure].to_numpy()[rows]
    return set(data.table["source"].to_numpy()[rows][~np.isnan(values)])


def too_early(model: PlanModel, kpi: KPI, scope: str, sel: Selection) -> bool:
    """A partial period too young to judge, or a ratio over too small a denominator."""
    if sel.too_early:
        return True
    if not sel.partial:
        return False
    leaf = leaves(kpi)
    scope = model.scope_of(kpi, scope)
    return any(
        model.data.leaf_sum(leaf[m], scope, sel.period)[0] < minimum
        for m, minimum in kpi.min_bases.items()
    )


def figures(model: PlanModel, kpi: KPI, scope: str, sel: Selection) -> Figures:
    """The KPI's figures for ``sel`` (see the module docstring)."""
    kind, higher = kpi.kind, kpi.higher_is_better
    lfl_prev = sel.partial and to_date_ok(model, kpi, scope, sel, sel.previous)
    lfl_ly = sel.partial and to_date_ok(model, kpi, scope, sel, sel.last_year)
    if kind == "change" and sel.partial and lfl_prev:
        actual = model.value(kpi, scope, sel.period, prev_table="to_date")
    elif kind == "change" and sel.partial:
        actual = model.value(kpi, scope, sel.period, factor=sel.factor)  # projected
    else:
        actual = model.value(kpi, scope, sel.period)
    target = model.target(kpi.id, scope, sel.period)
    start = period_start(model, kpi, scope, sel)
    pace = _pace(model, kpi, scope, sel, actual, start)
    attainment = helpers.judged_attainment(
        kpi.pace_kind, actual, target, higher, pace=pace, start=start, share=sel.share
    )
    early = too_early(model, kpi, scope, sel)
    near = Near(model.spec.near_on_track, model.spec.near_at_risk) if kpi.near_target else None
    status = helpers.judged_status(
        actual, target, attainment, too_early=early,
        on_track=model.spec.on_track, at_risk=model.spec.at_risk, near=near,
    )  # fmt: skip
    progress = math.nan
    if kind in ("flow", "budget") and not math.isnan(actual) and target > 0:
        progress = actual / target
    difference = helpers.change_is_difference(kpi)
    previous, change, projected = _compare(
        model, kpi, scope, sel, sel.previous, lfl_prev, actual, pace, difference
    )
    last_year, vs_ly, projected_ly = _compare(
        model, kpi, scope, sel, sel.last_year, lfl_ly, actual, pace, difference
    )
    ytd_actual, ytd_target, fy_target = _year(model, kpi, scope, sel, actual)
    gap = _gap(kpi, actual, target, pace, start, sel)
    return Figures(
        actual, target, attainment, status, progress, pace, previous, change, projected,
        last_year, vs_ly, projected_ly, ytd_actual, ytd_target, fy_target, early, gap,
    )  # fmt: skip


def _gap(
    kpi: KPI, actual: float, target: float, pace: float, start: float, sel: Selection
) -> float:
    """The judged figure minus its goal: a flow's or a budget's pace against the target, a
    stock against its path to the target, others as they are (a shortfall is negative
    for every KPI; whether that is bad depends on its direction)."""
    kind = kpi.pace_kind
    if kind in ("flow", "budget"):
        return pace - target
    if kind == "stock" and sel.partial and not math.isnan(start):
        return actual - (start + (target - start) * sel.share)
    return actual - target


def period_start(model: PlanModel, kpi: KPI, scope: str, sel: Selection) -> float:
    """Where a stock starts the selected period: the previous close (or the level every
    period starts from); NaN for other kinds."""
    if kpi.starts_at is not None:
        return kpi.starts_at
    if kpi.kind == "stock":
        return model.value(kpi, scope, sel.previous)
    return math.nan


def _pace(
    model: PlanModel, kpi: KPI, scope: str, sel: Selection, actual: float, start: float
) -> float:
    if sel.elapsed == 0 or math.isnan(actual):
        return math.nan
    if kpi.pace_kind in ("flow", "budget"):
        return actual * sel.factor  # a flow's expression adds amounts: it scales as they do
    if kpi.pace_kind == "stock" and sel.partial and not math.isnan(start):
        return start + (actual - start) / sel.share
    return actual


def _compare(
    model: PlanModel,
    kpi: KPI,
    scope: str,
    sel: Selection,
    other: str,
    like_for_like: bool,
    actual: float,
    pace: float,
    difference: bool,
) -> tuple[float, float, bool]:
    """(the other period's figure, the change to it, whether the change is projected)."""
    if sel.partial and like_for_like and kpi.kind != "change":
        then = model.value(kpi, scope, other, table="to_date")
        return then, float(helpers.change(actual, then, difference=difference)), False
    then = model.value(kpi, scope, other)
    if sel.partial and kpi.pace_kind in ("flow", "budget") and not math.isnan(then):
        return then, float(helpers.change(pace, then, difference=difference)), True
    return then, float(helpers.change(actual, then, difference=difference)), False


def year_periods(model: PlanModel, sel: Selection) -> list[str]:
    """The plan year's periods up to the selected one."""
    if sel.period not in model.periods:
        return []
    return model.periods[: model.periods.index(sel.period) + 1]


def _year(
    model: PlanModel, kpi: KPI, scope: str, sel: Selection, actual: float
) -> tuple[float, float, float]:
    """(year-to-date actual, year-to-date target, full-year target)."""
    kind = kpi.kind
    upto = year_periods(model, sel)
    targets = [model.target(kpi.id, scope, p) for p in model.periods]
    so_far = targets[: len(upto)]
    if kind == "change" or not upto:
        return math.nan, math.nan, math.nan
    if kind == "stock":
        return actual, so_far[-1], targets[-1]
    ytd_actual = model.value_over(kpi, scope, upto)
    if kind == "ratio":
        known = [t for t in so_far if not math.isnan(t)]
        year = [t for t in targets if not math.isnan(t)]
        return (
            ytd_actual,
            float(np.mean(known)) if known else math.nan,
            float(np.mean(year)) if year else math.nan,
        )
    if any(math.isnan(t) for t in so_far):
        ytd_target = math.nan
    else:
        ytd_target = sum(so_far[:-1]) + so_far[-1] * sel.share
    full = math.nan if any(math.isnan(t) for t in targets) else sum(targets)
    return ytd_actual, ytd_target, full


@dataclass(frozen=True)
class JudgedRow:
    """One KPI in one scope judged in every plan period (each period as if selected: the
    latest one on its pace, the others whole), and its Overview figures for the latest
    period."""

    kpi: KPI
    scope: str
    actual: tuple[float, ...]
    target: tuple[float, ...]
    attainment: tuple[float, ...]
    status: tuple[str, ...]
    overview: Figures


def judged(model: PlanModel, kpi_id: str, scope: str) -> JudgedRow:
    """The KPI's judged row (computed once per plan)."""
    from kpi_xl.catalog.records import get

    key = ("row", kpi_id, scope)
    if key not in model.judged:
        kpi = get(kpi_id)
        per_period = [figures(model, kpi, scope, selection(model, p)) for p in model.periods]
        model.judged[key] = JudgedRow(
            kpi,
            scope,
            tuple(f.actual for f in per_period),
            tuple(f.target for f in per_period),
            tuple(f.attainment for f in per_period),
            tuple(f.status for f in per_period),
            figures(model, kpi, scope, selection(model)),
        )
    row: JudgedRow = model.judged[key]
    return row


def status_counts(model: PlanModel, channel: str, period: str) -> dict[str, int]:
    """How many of the channel plan's KPIs have each status in ``period``."""
    from kpi_xl.catalog.status_bands import STATUSES

    i = model.periods.index(period)
    counts = dict.fromkeys(STATUSES, 0)
    for kid in model.spec.channels[channel]:
        counts[judged(model, kid, channel).status[i]] += 1
    return counts


def data_note(model: PlanModel, kpi: KPI, scope: str, lang: str, *, overview: bool = False) -> str:
    """What the sheet says beside a KPI in the latest period: why it is blank although data
    reports its measures (a whole-period measure the data cannot give), and, on the
    Overview, when its changes are projected rather than like for like."""
    from kpi_xl.catalog.records import label, measures

    notes = []
    reason = model.blank_reason(kpi, scope, model.current)
    if reason is not None:
        measure, gap = reason
        notes.append(label(f"gap_{gap}", lang).format(measure=measures()[measure].name(lang)))
    if overview:
        sel = selection(model)
        row = judged(model, kpi.id, scope).overview
        if sel.partial and (row.projected or row.projected_last_year):
            notes.append(label("projected_note", lang).format(day=str(sel.elapsed)))
    return " ".join(notes)
