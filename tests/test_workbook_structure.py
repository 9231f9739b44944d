"""Structural golden test: the plan's anatomy must not drift unnoticed.

Regenerate deliberately with ``python scripts/regenerate_workbook_golden.py`` and review
the diff of ``tests/golden/workbook_anatomy.json``.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from anatomy import anatomy
from xml_golden import CASES, golden_parts, normalized_parts

from kpi_xl.pipeline import build_plan
from kpi_xl.plan.layout import OverviewLayout

GOLDEN = Path(__file__).parent / "golden" / "workbook_anatomy.json"


@pytest.mark.parametrize(("key", "template", "lang"), [
    ("ecommerce-en", "ecommerce", "en"), ("leadgen-he", "leadgen", "he")])  # fmt: skip
def test_anatomy_matches_golden(
    demo_plan: Callable[..., Path], key: str, template: str, lang: str
) -> None:
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))[key]
    assert anatomy(demo_plan(template, lang)) == expected


def test_anatomy_essentials(demo_plan: Callable[..., Path]) -> None:
    """Independent of the golden: what SPEC section 4 requires, stated directly."""
    a = anatomy(demo_plan("ecommerce", "en"))
    names = [s["name"] for s in a["sheets"]]
    assert names[0] == "Overview" and names[-1] == "_meta"
    assert names[-6:-1] == ["Targets", "Data", "Plan data", "Definitions", "Settings"]
    assert a["sheets"][-1]["state"] == "veryHidden"
    assert sorted(a["tables"]) == ["ChannelData", "PlanData", "PlanPeriods", "PlanToDate"]
    assert a["tables"]["ChannelData"]["columns"][:5] == [
        "period", "channel", "source", "campaign", "currency"
    ]  # fmt: skip
    for table in ("PlanData", "PlanToDate"):
        assert a["tables"][table]["columns"][:5] == [
            "period", "period_no", "scope", "source", "currency"
        ]  # fmt: skip
    assert a["tables"]["PlanPeriods"]["columns"] == [
        "period", "period_no", "previous", "last_year", "last_year_previous", "days", "label"
    ]  # fmt: skip
    assert {
        "kpi_OnTrack", "kpi_AtRisk", "kpi_NearOnTrack", "kpi_NearAtRisk", "kpi_GrossMargin",
        "kpi_CurrentPeriod", "kpi_DataSource", "kpi_Rec_revenue", "kpi_RecCh_sessions",
        "kpi_Selected", "kpi_DataPeriod", "kpi_Partial", "kpi_TooEarly", "kpi_UnlockTargets",
    } <= set(a["defined_names"])  # fmt: skip
    assert not a["vba"] and not a["external_links"]
    by_name = {s["name"]: s for s in a["sheets"]}
    assert by_name["Overview"]["sparklines"] == 7
    for channel in ("SEO", "Paid search", "Email"):
        sheet = by_name[channel]
        assert sheet["charts"] == 1 and sheet["formulas"] > 100
        assert sheet["conditional_formats"] >= 4 and sheet["protected"] and sheet["frozen"]
        assert sheet["landscape"] and sheet["fit_to_width"]
    assert by_name["Targets"]["validations"] > 0 and by_name["Settings"]["validations"] == 11
    assert not any(s["rtl"] for s in a["sheets"])
    he = anatomy(demo_plan("leadgen", "he"))
    assert all(s["rtl"] for s in he["sheets"] if s["state"] == "visible")


@pytest.mark.parametrize("case", sorted(CASES))
def test_xml_parts_match_the_golden(demo_plan: Callable[..., Path], case: str) -> None:
    """Part by part, line by line: a formula in the wrong cell, a lost format or a moved
    block changes a line. Regenerate with ``python scripts/regenerate_workbook_golden.py``."""
    template, lang = CASES[case]
    actual = normalized_parts(demo_plan(template, lang))
    expected = golden_parts(case)
    assert sorted(actual) == sorted(expected), "the workbook's parts differ"
    for name, text in expected.items():
        if actual[name] != text:
            diff = difflib.unified_diff(
                text.splitlines(), actual[name].splitlines(), "golden", "built", lineterm="", n=1
            )
            pytest.fail(f"{name} differs from the golden:\n" + "\n".join(list(diff)[:40]))


def test_the_xml_golden_catches_a_misplaced_formula(
    sample: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Swap two Overview columns' formulas: the anatomy (counts per sheet) cannot see it,
    the XML golden must."""
    from kpi_xl.workbook import overview_sheet

    writers = dict(overview_sheet.COLUMN_WRITERS)
    swapped = {**writers, "pace": writers["change"], "change": writers["pace"]}

    def write_at_the_other_column(key: str) -> Callable[..., None]:
        def write(cells: overview_sheet.KpiCells) -> None:
            other = {"pace": "change", "change": "pace"}[key]
            moved = overview_sheet.KpiCells(
                cells.ctx, cells.sheet, _renamed(cells.ov, key, other), cells.kpi, cells.row,
                cells.at,
            )  # fmt: skip
            swapped[key](moved)

        return write

    monkeypatch.setattr(
        overview_sheet,
        "COLUMN_WRITERS",
        {**writers, **{k: write_at_the_other_column(k) for k in ("pace", "change")}},
    )
    bad = build_plan(sample, tmp_path / "bad.xlsx")
    assert anatomy(bad) == json.loads(GOLDEN.read_text(encoding="utf-8"))["ecommerce-en"]
    actual = normalized_parts(bad)
    assert (
        actual["xl/worksheets/sheet1.xml"]
        != golden_parts("ecommerce-en")["xl/worksheets/sheet1.xml"]
    )


def _renamed(ov: OverviewLayout, key: str, other: str) -> OverviewLayout:
    """``ov`` with columns ``key`` and ``other`` exchanged."""
    columns = tuple(other if c == key else key if c == other else c for c in ov.columns)
    return dataclasses.replace(ov, columns=columns)


#: The functions a plan's formulas may use (README: computes the same in Excel 2010+,
#: Excel on the web and LibreOffice). XlsxWriter's dynamic-array and future-function
#: rewriting is skipped for plan sheets (kpi_xl.workbook.xlsx.PlanSheet), so this list
#: must never gain one of those.
PLAN_FUNCTIONS = {
    "SUMIFS", "COUNTIFS", "COUNTIF", "COUNT", "IF", "IFERROR", "OR", "AND",
    "INDEX", "MATCH", "ABS", "ROWS", "COLUMNS", "NA", "ISNUMBER", "SUM", "AVERAGE", "ROUND",
    "SUBSTITUTE",
}  # fmt: skip


@pytest.mark.parametrize(("template", "lang"), [("ecommerce", "en"), ("saas", "fa")])
def test_plan_formulas_use_only_the_portable_vocabulary(
    demo_plan: Callable[..., Path], template: str, lang: str
) -> None:
    from catalog_support import function_names
    from engines import formula_cells

    plan = demo_plan(template, lang)
    used: set[str] = set()
    for formula in formula_cells(plan).values():
        used |= function_names(formula)
        assert "_xlfn" not in formula.lower() and "_xlws" not in formula.lower(), formula
    assert used <= PLAN_FUNCTIONS, used - PLAN_FUNCTIONS
    assert {"SUMIFS", "INDEX", "MATCH"} <= used
