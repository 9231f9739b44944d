"""KPI expressions: the Python evaluator (hand-computed values, scalars, numpy and pandas,
zero denominators), what an expression may contain, and the Excel formula text and words
derived from the same expression.
"""

from __future__ import annotations

import ast
import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from catalog_support import SCENARIOS, assert_portable, cell_refs, scenario_inputs

from kpi_xl import catalog
from kpi_xl.catalog import LANGUAGES, Expression, ExpressionError, helpers

# -- evaluator -------------------------------------------------------------------------------


def test_hand_computed_values() -> None:
    get = catalog.get
    # 30 sessions with a key event in 1,200 sessions: 30 / 1200 = 1 / 40
    assert get("key_event_rate").evaluate({"key_event_sessions": 30, "sessions": 1200}) == 0.025
    # 50 spent on 20,000 impressions: 50 / 20 thousand = 2.5 per thousand
    assert get("cpm").evaluate({"cost": 50, "impressions": 20_000}) == 2.5
    # revenue 1,500 for a cost of 1,000: a gain of 500 per 1,000
    assert get("revenue_roi").evaluate({"revenue": 1500, "cost": 1000}) == 0.5
    # at a 40 % gross margin that revenue is 600 of profit for a cost of 1,000: a loss of 400
    roi = get("roi").evaluate({"revenue": 1500, "cost": 1000, "gross_margin": 0.4})
    assert roi == pytest.approx(-0.4, rel=1e-15)
    # revenue 1,150 after 1,000 in the previous period: 15% growth
    growth = get("sales_growth").evaluate({"revenue": 1150}, {"revenue": 1000})
    assert growth == pytest.approx(0.15, rel=1e-15)
    # 500 customers at the start, 520 at the end of which 40 are new: 480 kept of 500
    retention = get("retention_rate").evaluate(
        {"customers": 520, "new_customers": 40}, {"customers": 500}
    )
    assert retention == pytest.approx(0.96, rel=1e-15)
    # 10,000 revenue from 400 customers (25 each), 20 of 400 lost (5%): 25 / 0.05 = 500
    clv = get("clv").evaluate(
        {"revenue": 10_000, "customers": 400, "churned_customers": 20}, {"customers": 400}
    )
    assert clv == pytest.approx(500.0, rel=1e-15)
    # 3,500 position-impressions over 1,000 impressions: average position 3.5
    position = get("keyword_position").evaluate(
        {"position_x_impressions": 3500, "impressions": 1000}
    )
    assert position == 3.5
    # 6,000 seconds over 100 sessions: 60 seconds each
    assert get("average_session_duration").evaluate(
        {"session_duration_s": 6000, "sessions": 100}
    ) == pytest.approx(60.0)
    # a base measure is itself
    assert get("sessions").evaluate({"sessions": 1234}) == 1234.0


def test_scalar_results_are_python_floats() -> None:
    value = catalog.get("ctr").evaluate({"clicks": 3, "impressions": 4})
    assert type(value) is float
    assert value == 0.75


def test_vectorized_on_numpy_arrays() -> None:
    kpi = catalog.get("key_event_rate")
    result = kpi.evaluate(
        {"key_event_sessions": np.array([30, 0, 5, 1]), "sessions": np.array([1200, 0, 0, 4])}
    )
    assert isinstance(result, np.ndarray)
    np.testing.assert_array_equal(result, [0.025, np.nan, np.nan, 0.25])


def test_vectorized_on_pandas_series_keeps_the_index() -> None:
    index = pd.Index(["2024-01", "2024-02", "2024-03"], name="period")
    revenue = pd.Series([1100.0, 990.0, 500.0], index=index)
    prev = pd.Series([1000.0, 1100.0, 0.0], index=index)
    result = catalog.get("sales_growth").evaluate({"revenue": revenue}, {"revenue": prev})
    assert isinstance(result, pd.Series)
    assert result.index.equals(index)
    assert result.iloc[0] == pytest.approx(0.1)
    assert result.iloc[1] == pytest.approx(-0.1)
    assert math.isnan(result.iloc[2])


def test_prev_without_previous_values_is_a_clear_error() -> None:
    with pytest.raises(KeyError, match=r"prev\(revenue\)"):
        catalog.get("sales_growth").evaluate({"revenue": 1.0})


@pytest.mark.parametrize("kpi_id", list(catalog.kpis()))
def test_zero_denominators_give_nan_silently(kpi_id: str) -> None:
    kpi = catalog.get(kpi_id)
    for scenario in ("zero", "zero_denominator"):
        values, previous = scenario_inputs(kpi, scenario)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with np.errstate(all="raise"):
                scalar = kpi.evaluate(values, previous)
                array = kpi.evaluate(
                    {m: np.array([v, v]) for m, v in values.items()},
                    {m: np.array([v, v]) for m, v in previous.items()},
                )
        if kpi.is_ratio:
            assert math.isnan(scalar), (kpi_id, scenario, scalar)
            assert np.isnan(array).all()
        elif scenario == "zero":
            assert scalar == 0.0


@pytest.mark.parametrize("kpi_id", list(catalog.kpis()))
def test_vectorized_equals_elementwise(kpi_id: str) -> None:
    kpi = catalog.get(kpi_id)
    rows = [scenario_inputs(kpi, s) for s in SCENARIOS]
    cur = {m: [r[0][m] for r in rows] for m in kpi.expression.measures}
    prv = {m: [r[1][m] for r in rows] for m in kpi.expression.previous}
    one_by_one = np.array([kpi.evaluate(v, p) for v, p in rows], dtype="float64")

    def each(kind: Any) -> Any:
        return kpi.evaluate(
            {m: kind(v) for m, v in cur.items()}, {m: kind(v) for m, v in prv.items()}
        )

    as_array, as_series = each(np.array), each(pd.Series)
    as_list = kpi.evaluate(cur, prv)
    np.testing.assert_array_equal(np.asarray(as_array), one_by_one)
    np.testing.assert_array_equal(np.asarray(as_list), one_by_one)
    assert isinstance(as_series, pd.Series)
    np.testing.assert_array_equal(as_series.to_numpy(), one_by_one)


@pytest.mark.parametrize(
    "text",
    ["sessions ** 2", "abs(cost)", "prev(1)", "__import__('os')", "cost if clicks else 0",
     "cost.real", "clicks // 2", "True * cost", "prev(cost, clicks)", "cost /"],
)  # fmt: skip
def test_expressions_allow_only_arithmetic(text: str) -> None:
    with pytest.raises(ExpressionError):
        Expression.parse(text)


# -- Excel formula text and words ------------------------------------------------------------


def test_formula_text_by_hand() -> None:
    def excel(kpi_id: str, refs: dict[str, str], prev: dict[str, str] | None = None) -> str:
        return catalog.get(kpi_id).expression.to_excel(refs, prev)

    assert excel("key_event_rate", {"key_event_sessions": "B2", "sessions": "C2"}) == (
        'IFERROR(B2/C2,"")'
    )
    assert excel("cpm", {"cost": "B2", "impressions": "C2"}) == 'IFERROR(B2/C2*1000,"")'
    assert excel("revenue_roi", {"revenue": "B2", "cost": "C2"}) == 'IFERROR((B2-C2)/C2,"")'
    assert excel("roi", {"revenue": "B2", "cost": "C2", "gross_margin": "kpi_GrossMargin"}) == (
        'IFERROR((B2*kpi_GrossMargin-C2)/C2,"")'
    )
    growth = excel("sales_growth", {"revenue": "B2"}, {"revenue": "C2"})
    assert growth == 'IFERROR((B2-C2)/C2,"")'
    clv_refs = {"revenue": "B2", "customers": "C2", "churned_customers": "D2"}
    assert excel("clv", clv_refs, {"customers": "E2"}) == 'IFERROR(B2/C2/(D2/E2),"")'
    assert excel("sessions", {"sessions": "B2"}) == "B2"
    ctr = catalog.get("ctr").expression
    refs = {"clicks": "B2", "impressions": "C2"}
    assert ctr.to_excel(refs, blank="NA()") == "IFERROR(B2/C2,NA())"
    assert ctr.to_excel(refs, guard=False) == "B2/C2"


@pytest.mark.parametrize("kpi_id", list(catalog.kpis()))
def test_formula_is_guarded_and_portable(kpi_id: str) -> None:
    kpi = catalog.get(kpi_id)
    refs, prev = cell_refs(kpi)
    formula = kpi.expression.to_excel(refs, prev)
    divides = any(isinstance(n, ast.Div) for n in ast.walk(kpi.expression.tree))
    if divides:
        assert formula.startswith("IFERROR(") and formula.endswith(',"")'), formula
    else:
        assert "IFERROR" not in formula
    assert_portable(formula)
    paced = helpers.pace_formula(kpi, refs, "$Z$1", prev)
    assert_portable(paced)
    assert "$Z$1" in paced or not any(
        catalog.measures()[m].aggregation == "sum" for m in kpi.measures
    )


def test_helper_formulas_are_portable() -> None:
    for higher in (True, False):
        assert_portable(helpers.attainment_formula("B2", "C2", higher))
    for difference in (True, False):
        assert_portable(helpers.change_formula("B2", "C2", difference=difference))
    for lang in LANGUAGES:
        assert_portable(helpers.status_formula("B2", "$H$1", "$H$2", lang))


def test_prev_reference_is_required_in_excel() -> None:
    with pytest.raises(KeyError, match=r"prev\(revenue\)"):
        catalog.get("sales_growth").expression.to_excel({"revenue": "B2"})


@pytest.mark.parametrize("lang", LANGUAGES)
def test_words_name_the_measures_in_each_language(lang: str) -> None:
    measures = catalog.measures()
    for kpi in catalog.kpis().values():
        words = kpi.words(lang)
        for m in kpi.measures:
            assert measures[m].name(lang) in words, (kpi.id, lang, words)
        for p in kpi.parameters:
            assert catalog.label(p, lang) in words, (kpi.id, lang, words)
        for m in kpi.expression.previous:
            prev_name = catalog.label("previous_of", lang).format(name=measures[m].name(lang))
            assert prev_name in words, (kpi.id, lang, words)
        if lang != "en":
            assert words != kpi.words("en")


def test_words_by_hand() -> None:
    assert catalog.get("key_event_rate").words() == "Sessions with a key event ÷ Sessions"
    assert catalog.get("roi").words() == "(Revenue × Gross margin − Cost) ÷ Cost"
    assert catalog.get("cpm").words("fi") == "Kustannukset ÷ Näyttökerrat × 1000"
    assert catalog.get("sales_growth").words() == (
        "(Revenue − Revenue (previous period)) ÷ Revenue (previous period)"
    )
