"""Property tests of the plan helpers against the rules documented in ``helpers.py``.

attainment (direction-aware, NaN where undefined, the cap for a zero actual), status
(monotonic in attainment and thresholds), change (relative or difference), pace (flows
scaled, stocks kept, a ratio of flows unchanged) and SMART targets (achievable, bounded,
mirrored for lower-is-better); every vectorized form equals its elementwise results.
Their Excel counterparts are judged in ``test_catalog_engines.py`` by independent engines.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpi_xl import catalog
from kpi_xl.catalog import ATTAINMENT_CAP, LANGUAGES, STATUSES, helpers

NAN = float("nan")
finite = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)
positive = st.floats(min_value=1e-9, max_value=1e12, allow_nan=False, allow_infinity=False)
maybe = st.one_of(finite, st.just(NAN))
rank = {"off_track": 0, "at_risk": 1, "on_track": 2}


def same(a: Any, b: Any) -> bool:
    """Equal, or both NaN."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return bool(a == b)


# -- attainment ------------------------------------------------------------------------------


def test_attainment_by_hand() -> None:
    assert helpers.attainment(120, 100) == 1.2
    assert helpers.attainment(8, 10, higher_is_better=False) == 1.25  # CPA 8 vs target 10
    assert helpers.attainment(0, 10, higher_is_better=False) == ATTAINMENT_CAP
    assert helpers.attainment(0, 10) == 0.0
    assert math.isnan(helpers.attainment(5, 0))
    assert math.isnan(helpers.attainment(5, 0, higher_is_better=False))
    assert math.isnan(helpers.attainment(-1, 10, higher_is_better=False))
    assert helpers.attainment(-1, 10) == -0.1


@given(actual=finite, target=positive)
def test_attainment_higher_is_actual_over_target(actual: float, target: float) -> None:
    assert helpers.attainment(actual, target, True) == actual / target


@given(actual=positive, target=positive)
def test_attainment_lower_is_target_over_actual(actual: float, target: float) -> None:
    assert helpers.attainment(actual, target, False) == target / actual


@given(target=positive)
def test_attainment_of_a_zero_actual(target: float) -> None:
    assert helpers.attainment(0.0, target, False) == ATTAINMENT_CAP
    assert helpers.attainment(-0.0, target, False) == ATTAINMENT_CAP
    assert helpers.attainment(0.0, target, True) == 0.0


@given(value=positive, higher=st.booleans())
def test_attainment_on_target_is_one(value: float, higher: bool) -> None:
    assert helpers.attainment(value, value, higher) == 1.0


@given(actual=maybe, target=maybe, higher=st.booleans())
def test_attainment_undefined_cases_are_nan(actual: float, target: float, higher: bool) -> None:
    result = helpers.attainment(actual, target, higher)
    undefined = (
        math.isnan(actual) or math.isnan(target) or target <= 0 or (not higher and actual < 0)
    )
    assert math.isnan(result) == undefined
    if not undefined:
        assert result >= 0 or (higher and actual < 0)


@given(a=positive, b=positive, target=positive, higher=st.booleans())
def test_attainment_more_is_always_better(a: float, b: float, target: float, higher: bool) -> None:
    """A better actual (more, or less for lower-is-better) never has a lower attainment."""
    better, worse = (max(a, b), min(a, b)) if higher else (min(a, b), max(a, b))
    assert helpers.attainment(better, target, higher) >= helpers.attainment(worse, target, higher)


# -- status ----------------------------------------------------------------------------------


def test_status_by_hand() -> None:
    assert helpers.status(1.0) == "on_track"
    assert helpers.status(0.9) == "at_risk"
    assert helpers.status(0.8999) == "off_track"
    assert helpers.status(NAN) == "no_data"
    assert helpers.status(1.2, on_track=1.2, at_risk=1.0) == "on_track"


def test_near_target_status_is_two_sided() -> None:
    """A budget: 95-105 % on track, 85-115 % at risk, beyond off track, at the edges too
    (105/100 is 1.05 in binary floating point, whose deviation is 0.0500000000000000444)."""
    near = helpers.Near(0.05, 0.15)
    cases = {
        0.95: "on_track", 105 / 100: "on_track", 1.0: "on_track", 0.85: "at_risk",
        115 / 100: "at_risk", 0.70: "off_track", 1.3: "off_track", 0.8499: "off_track",
    }  # fmt: skip
    for attainment, code in cases.items():
        assert helpers.status(attainment, near=near) == code, attainment
    assert helpers.status(NAN, near=near) == "no_data"
    # one-sided thresholds would call a 30 % underspend "on track" for a lower-is-better KPI
    assert helpers.status(0.7 / 1.0, near=near) == "off_track"


def test_status_thresholds_must_be_ordered() -> None:
    with pytest.raises(ValueError, match="on-track threshold"):
        helpers.status(1.0, on_track=0.8, at_risk=0.9)


thresholds = st.tuples(
    st.floats(min_value=0, max_value=5, allow_nan=False),
    st.floats(min_value=0, max_value=5, allow_nan=False),
).map(lambda t: (max(t), min(t)))


@given(a=finite, b=finite, limits=thresholds)
def test_status_is_monotonic_in_attainment(a: float, b: float, limits: tuple[float, float]) -> None:
    low, high = sorted((a, b))
    s_low, s_high = helpers.status(low, *limits), helpers.status(high, *limits)
    assert rank[s_low] <= rank[s_high]


@given(value=finite, on=st.floats(0, 5), risk=st.floats(0, 5))
def test_status_follows_the_thresholds(value: float, on: float, risk: float) -> None:
    on, risk = max(on, risk), min(on, risk)
    expected = "on_track" if value >= on else "at_risk" if value >= risk else "off_track"
    assert helpers.status(value, on, risk) == expected


@given(value=finite, limits=thresholds, stricter=st.floats(0, 2))
def test_stricter_thresholds_never_improve_status(
    value: float, limits: tuple[float, float], stricter: float
) -> None:
    on, risk = limits
    stricter_status = helpers.status(value, on + stricter, risk + stricter)
    assert rank[stricter_status] <= rank[helpers.status(value, on, risk)]


def test_status_labels_in_every_language() -> None:
    for lang in LANGUAGES:
        labels = [helpers.status_label(code, lang) for code in STATUSES]
        assert all(labels) and len(set(labels)) == len(STATUSES)
    with pytest.raises(ValueError, match="unknown status"):
        helpers.status_label("late")


# -- change ----------------------------------------------------------------------------------


def test_change_by_hand() -> None:
    assert helpers.change(110, 100) == pytest.approx(0.1)
    assert helpers.change(5, -10) == 1.5  # from -10 up to 5: +15 on a base of 10
    assert helpers.change(-15, -10) == -0.5
    assert math.isnan(helpers.change(1, 0))
    assert helpers.change(0.05, 0.08, difference=True) == pytest.approx(-0.03)
    assert helpers.change(1, 0, difference=True) == 1.0


@given(current=maybe, previous=maybe)
def test_change_relative(current: float, previous: float) -> None:
    result = helpers.change(current, previous)
    if math.isnan(current) or math.isnan(previous) or previous == 0:
        assert math.isnan(result)
    else:
        assert result == (current - previous) / abs(previous)
        assert (result > 0) == (current > previous)


@given(current=maybe, previous=maybe)
def test_change_difference(current: float, previous: float) -> None:
    result = helpers.change(current, previous, difference=True)
    assert same(result, current - previous)


def test_change_is_a_difference_for_changes_and_margins() -> None:
    by_difference = {k.id for k in catalog.kpis().values() if helpers.change_is_difference(k)}
    assert {"sales_growth", "roi", "list_growth_rate", "follower_growth_rate"} <= by_difference
    # a share changes in percentage points: 3.0 % to 3.2 % is +0.2 points, not +6.7 %
    assert {"key_event_rate", "ctr", "email_open_rate"} <= by_difference
    assert not {"sessions", "cpm", "cac", "average_order_value"} & by_difference


# -- pace ------------------------------------------------------------------------------------

days = st.tuples(st.integers(1, 366), st.integers(1, 366)).map(lambda t: (min(t), max(t)))


def test_pace_by_hand() -> None:
    sessions = catalog.get("sessions")
    assert helpers.pace(sessions, {"sessions": 1000}, 10, 30) == 3000.0
    # 10 of 31 days: 31 / 10 = 3.1 times the flows
    assert helpers.pace(catalog.get("revenue"), {"revenue": 500}, 10, 31) == pytest.approx(1550)
    # a stock is not scaled
    assert helpers.pace(catalog.get("followers"), {"followers": 800}, 10, 31) == 800.0
    # retention mixes a stock (customers) and a flow (new customers, paced 2x):
    # (520 - 40 * 2) / 500 = 0.88
    retention = helpers.pace(
        catalog.get("retention_rate"),
        {"customers": 520, "new_customers": 40},
        15,
        30,
        {"customers": 500},
    )
    assert retention == pytest.approx(0.88)
    assert math.isnan(helpers.pace(sessions, {"sessions": 1000}, 0, 30))
    assert math.isnan(helpers.pace_factor(0, 30))
    assert helpers.pace_factor(10, 31) == 3.1


def _flow_ratio_kpis() -> list[str]:
    catalog_measures = catalog.measures()
    return [
        k.id
        for k in catalog.kpis().values()
        if k.is_ratio
        and not k.expression.previous
        and all(catalog_measures[m].aggregation == "sum" for m in k.measures)
    ]


def test_most_ratios_are_ratios_of_flows() -> None:
    assert {"key_event_rate", "ctr", "cpm", "roi", "email_open_rate"} <= set(_flow_ratio_kpis())


@pytest.mark.parametrize("kpi_id", _flow_ratio_kpis())
@given(data=st.data(), elapsed_total=days)
def test_pacing_a_ratio_of_flows_leaves_it_unchanged(
    kpi_id: str, data: st.DataObject, elapsed_total: tuple[int, int]
) -> None:
    """Numerator and denominator are paced by the same factor, so the ratio stays."""
    kpi = catalog.get(kpi_id)
    values = {m: data.draw(st.floats(1e-3, 1e9), label=m) for m in kpi.expression.measures}
    paced = helpers.pace(kpi, values, *elapsed_total)
    current = kpi.evaluate(values)
    assert paced == pytest.approx(current, rel=1e-12)


IDENTITY_KPIS = [k.id for k in catalog.kpis().values() if k.expression.is_identity]


@pytest.mark.parametrize("kpi_id", IDENTITY_KPIS)
@given(value=st.floats(0, 1e12), elapsed_total=days)
def test_pacing_a_base_measure_scales_flows_only(
    kpi_id: str, value: float, elapsed_total: tuple[int, int]
) -> None:
    kpi = catalog.get(kpi_id)
    (measure,) = kpi.expression.measures
    elapsed, total = elapsed_total
    paced = helpers.pace(kpi, {measure: value}, elapsed, total)
    if catalog.measures()[measure].aggregation == "sum":
        assert paced == value * (total / elapsed)
        assert paced >= value
    else:
        assert paced == value


# -- SMART targets ---------------------------------------------------------------------------

history = st.lists(st.one_of(st.floats(-1e6, 1e6), st.just(NAN)), min_size=1, max_size=12)
rates = st.lists(st.floats(0, 1), min_size=1, max_size=12)
growths = st.floats(-1, 2)


def _baseline(values: list[float], window: int) -> float:
    valid = [v for v in values if not math.isnan(v)]
    return float(np.mean(valid[-window:])) if valid else NAN


def test_smart_target_by_hand() -> None:
    # last three of 0.1, 0.2, 0.3, 0.4 average 0.3; 10% better is 0.33 (or 0.27 if lower)
    assert helpers.smart_target([0.1, 0.2, 0.3, 0.4], True, 0.1) == pytest.approx(0.33)
    assert helpers.smart_target([0.1, 0.2, 0.3, 0.4], False, 0.1) == pytest.approx(0.27)
    assert helpers.smart_target([100, NAN, 200], True, 0.5, window=2) == pytest.approx(225)
    assert helpers.smart_target([0.95], True, 0.5, percent=True) == 1.0
    assert helpers.smart_target([100.0], True, growth=5.0) == 150.0  # growth capped at 50%
    assert math.isnan(helpers.smart_target([NAN, NAN]))
    assert math.isnan(helpers.smart_target([]))


windows = st.integers(1, 6)


@given(values=history, higher=st.booleans(), growth=growths, window=windows, cap=st.floats(0, 1))
def test_smart_target_improves_within_the_cap(
    values: list[float], higher: bool, growth: float, window: int, cap: float
) -> None:
    target = helpers.smart_target(values, higher, growth, window=window, max_growth=cap)
    baseline = _baseline(values, window)
    if math.isnan(baseline):
        assert math.isnan(target)
        return
    step = abs(baseline) * min(max(growth, 0.0), cap)
    tolerance = 1e-9 * max(1.0, abs(baseline))
    if higher:
        assert baseline - tolerance <= target <= baseline + abs(baseline) * cap + tolerance
        assert target == pytest.approx(baseline + step, rel=1e-12, abs=1e-12)
    else:
        assert baseline - abs(baseline) * cap - tolerance <= target <= baseline + tolerance
        assert target == pytest.approx(baseline - step, rel=1e-12, abs=1e-12)


@given(values=rates, higher=st.booleans(), growth=growths, window=st.integers(1, 6))
def test_smart_target_of_a_rate_stays_a_rate(
    values: list[float], higher: bool, growth: float, window: int
) -> None:
    target = helpers.smart_target(values, higher, growth, window=window, percent=True)
    assert 0.0 <= target <= 1.0
    baseline = _baseline(values, window)
    if higher:
        assert target >= baseline - 1e-12  # never below the baseline it improves on
    else:
        assert target <= baseline + 1e-12


@given(values=history, growth=growths, window=st.integers(1, 6))
def test_lower_is_better_mirrors_higher(values: list[float], growth: float, window: int) -> None:
    """target_lower(h) == -target_higher(-h): the same improvement, in the other direction."""
    up = helpers.smart_target([-v for v in values], True, growth, window=window)
    down = helpers.smart_target(values, False, growth, window=window)
    assert same(down, -up) or down == pytest.approx(-up, rel=1e-12, abs=1e-9)


@given(values=st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=8), noise=st.lists(st.just(NAN)))
def test_smart_target_skips_missing_values(values: list[float], noise: list[float]) -> None:
    interleaved = [x for v in values for x in (v, *noise)]
    assert helpers.smart_target(interleaved) == helpers.smart_target(values)


# -- vectorized == elementwise ---------------------------------------------------------------

pairs = st.lists(st.tuples(maybe, maybe), min_size=1, max_size=20)


def _check_vectorized(fn: Any, items: list[tuple[float, float]]) -> None:
    a = [x for x, _ in items]
    b = [y for _, y in items]
    expected = [fn(x, y) for x, y in items]
    as_array = fn(np.array(a), np.array(b))
    index = pd.RangeIndex(10, 10 + len(items))
    as_series = fn(pd.Series(a, index=index), pd.Series(b, index=index))
    assert isinstance(as_array, np.ndarray)
    assert isinstance(as_series, pd.Series) and as_series.index.equals(index)
    for got in (list(as_array), list(as_series), list(fn(a, b))):
        assert all(same(float(g), e) for g, e in zip(got, expected, strict=True)), (got, expected)


@given(items=pairs, higher=st.booleans())
def test_attainment_vectorized(items: list[tuple[float, float]], higher: bool) -> None:
    _check_vectorized(lambda a, t: helpers.attainment(a, t, higher), items)


@given(items=pairs, difference=st.booleans())
def test_change_vectorized(items: list[tuple[float, float]], difference: bool) -> None:
    _check_vectorized(lambda c, p: helpers.change(c, p, difference=difference), items)


@given(items=st.lists(st.tuples(st.integers(-3, 400), st.integers(1, 400)), min_size=1))
def test_pace_factor_vectorized(items: list[tuple[int, int]]) -> None:
    _check_vectorized(helpers.pace_factor, [(float(e), float(t)) for e, t in items])


@given(values=st.lists(maybe, min_size=1, max_size=20), limits=thresholds)
def test_status_vectorized(values: list[float], limits: tuple[float, float]) -> None:
    expected = [helpers.status(v, *limits) for v in values]
    index = pd.RangeIndex(5, 5 + len(values))
    as_series = helpers.status(pd.Series(values, index=index), *limits)
    assert isinstance(as_series, pd.Series) and as_series.index.equals(index)
    assert list(as_series) == expected
    assert list(helpers.status(np.array(values), *limits)) == expected


@given(actual=finite, targets=st.lists(maybe, min_size=1, max_size=8))
def test_a_scalar_against_a_series_keeps_the_series_index(
    actual: float, targets: list[float]
) -> None:
    index = pd.RangeIndex(3, 3 + len(targets))
    series = pd.Series(targets, index=index)
    for result in (
        helpers.attainment(actual, series),
        helpers.change(actual, series),
        helpers.pace_factor(1.0, series),
    ):
        assert isinstance(result, pd.Series) and result.index.equals(index)


@given(values=st.lists(st.floats(1e-3, 1e9), min_size=2, max_size=10), elapsed_total=days)
def test_pace_vectorized(values: list[float], elapsed_total: tuple[int, int]) -> None:
    kpi = catalog.get("cpm")
    impressions = [v * 7 for v in values]
    elapsed, total = elapsed_total
    paced = helpers.pace(
        kpi, {"cost": pd.Series(values), "impressions": pd.Series(impressions)}, elapsed, total
    )
    one_by_one = [
        helpers.pace(kpi, {"cost": c, "impressions": i}, elapsed, total)
        for c, i in zip(values, impressions, strict=True)
    ]
    assert list(paced) == one_by_one
