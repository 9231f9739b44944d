"""Independent spreadsheet engines judge the catalog's Excel text: a workbook of every
KPI's formula (and the helpers' attainment, status, change and pace formulas) whose stored
results are the Python evaluator's values, recomputed by formualizer and by LibreOffice
with full recalculation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from catalog_support import SCENARIOS, assert_portable, cell_refs, inputs, scenario_inputs
from engines import (
    Mismatch,
    compare_cached,
    formualizer_recalc,
    formula_cells,
    libreoffice_recalc,
)
from xlsxwriter.utility import xl_rowcol_to_cell

from kpi_xl import catalog
from kpi_xl.catalog import LANGUAGES, Expression, helpers
from kpi_xl.spreadsheet import new_workbook
from kpi_xl.workbook.xlsx import PlanSheet, add_sheet, write_formula, write_text

#: Expressions beyond the catalog's, to check the rendering's brackets and constants.
SYNTHETIC = (
    "a - (b - c)",
    "a - b - c",
    "a / (b * c)",
    "a / b * c",
    "a / b / c",
    "(a + b) * 2.5 / c",
    "-a + b",
    "a - -b",
    "-(a - b) / c",
    "a * 1e-07 + b * 1000000",
    "a / (b / c) - (a - c) / (b + c)",
)


@dataclass
class KpiWorkbook:
    path: Path
    formulas: int
    blanks: int
    control: str


def _input(sheet: PlanSheet, row: int, col: int, value: float | None) -> None:
    if value is None:
        sheet.write_blank(row, col, None)
    else:
        sheet.write_number(row, col, value)


def _kpi_sheet(sheet: PlanSheet) -> tuple[int, int]:
    """One row per (KPI, scenario): inputs and the KPI's formula with the Python value."""
    measures = inputs()
    header = ["kpi", "scenario", *measures, *(f"prev({m})" for m in measures), "value"]
    for col, text in enumerate(header):
        write_text(sheet, 0, col, text)
    value_col = len(header) - 1
    row, formulas, blanks = 1, 0, 0
    for kpi in catalog.kpis().values():
        for scenario in SCENARIOS:
            current, previous = scenario_inputs(kpi, scenario)
            write_text(sheet, row, 0, kpi.id)
            write_text(sheet, row, 1, scenario)
            for m, v in current.items():
                _input(sheet, row, 2 + measures.index(m), v)
            for m, v in previous.items():
                _input(sheet, row, 2 + len(measures) + measures.index(m), v)
            refs, prev_refs = cell_refs(kpi, row)
            value = kpi.evaluate(current, previous)
            write_formula(sheet, row, value_col, kpi.expression.to_excel(refs, prev_refs), value)
            formulas += 1
            blanks += math.isnan(value)
            row += 1
    return formulas, blanks


ATTAINMENT_CASES: tuple[tuple[float | None, float | None], ...] = (
    (120, 100), (100, 100), (90, 100), (80, 100), (0, 100), (-5, 100), (100, 0), (0, 0),
    (100, -5), (None, 100), (100, None), (None, None), (8, 10), (12.5, 10), (1e-9, 3e-9),
    (3.7e12, 4.1e12), (0.0123, 0.0456),
)  # fmt: skip
THRESHOLDS = ((1.0, 0.9), (1.1, 0.95), (0.8, 0.8), (1.0, 0.5))


def _attainment_sheet(sheet: PlanSheet) -> int:
    """actual, target -> attainment; thresholds -> localized status of that attainment."""
    for col, text in enumerate(
        ["actual", "target", "direction", "attainment", "on track", "at risk", "lang", "status"]
    ):
        write_text(sheet, 0, col, text)
    row, formulas = 1, 0
    for higher in (True, False):
        for i, (actual, target) in enumerate(ATTAINMENT_CASES):
            _input(sheet, row, 0, actual)
            _input(sheet, row, 1, target)
            write_text(sheet, row, 2, "higher" if higher else "lower")
            a_ref, t_ref = xl_rowcol_to_cell(row, 0), xl_rowcol_to_cell(row, 1)
            att = helpers.attainment(
                np.nan if actual is None else actual, np.nan if target is None else target, higher
            )
            write_formula(sheet, row, 3, helpers.attainment_formula(a_ref, t_ref, higher), att)
            on, risk = THRESHOLDS[i % len(THRESHOLDS)]
            lang = LANGUAGES[i % len(LANGUAGES)]
            sheet.write_number(row, 4, on)
            sheet.write_number(row, 5, risk)
            write_text(sheet, row, 6, lang)
            code = helpers.status(att, on, risk)
            formula = helpers.status_formula(
                xl_rowcol_to_cell(row, 3),
                xl_rowcol_to_cell(row, 4),
                xl_rowcol_to_cell(row, 5),
                lang,
            )
            write_formula(sheet, row, 7, formula, helpers.status_label(code, lang))
            formulas += 2
            row += 1
    # a near-target KPI (a budget): two-sided bands around 100 %, at their edges too
    for i, (actual, target) in enumerate(NEAR_CASES):
        _input(sheet, row, 0, actual)
        _input(sheet, row, 1, target)
        write_text(sheet, row, 2, "near")
        a_ref, t_ref = xl_rowcol_to_cell(row, 0), xl_rowcol_to_cell(row, 1)
        att = helpers.attainment(np.nan if actual is None else actual, target, True)
        write_formula(sheet, row, 3, helpers.attainment_formula(a_ref, t_ref, True), att)
        on, risk = NEAR_BANDS[i % len(NEAR_BANDS)]
        lang = LANGUAGES[i % len(LANGUAGES)]
        sheet.write_number(row, 4, on)
        sheet.write_number(row, 5, risk)
        write_text(sheet, row, 6, lang)
        code = helpers.status(att, near=helpers.Near(on, risk))
        near_refs = (xl_rowcol_to_cell(row, 4), xl_rowcol_to_cell(row, 5))
        formula = helpers.status_formula(xl_rowcol_to_cell(row, 3), "1", "0.9", lang, near_refs)
        write_formula(sheet, row, 7, formula, helpers.status_label(code, lang))
        formulas += 2
        row += 1
    return formulas


#: (actual, target) of a budget: on the band edges 95 %, 105 %, 85 %, 115 % and inside
NEAR_CASES: tuple[tuple[float | None, float], ...] = (
    (95, 100), (105, 100), (85, 100), (115, 100), (70, 100), (130, 100), (100, 100),
    (94.9, 100), (1050, 1000), (84.99, 100), (None, 100), (0.3, 0.3), (11_500, 10_000),
)  # fmt: skip
NEAR_BANDS = ((0.05, 0.15), (0.1, 0.2), (0.0, 0.05))


CHANGE_CASES: tuple[tuple[float | None, float | None], ...] = (
    (110, 100), (90, 100), (5, -10), (-15, -10), (1, 0), (0, 0), (0, 5), (None, 100),
    (100, None), (0.052, 0.047), (-0.2, 0.35), (7.5e11, 6.25e11), (3e-8, 4e-8),
)  # fmt: skip


def _change_sheet(sheet: PlanSheet) -> int:
    for col, text in enumerate(["current", "previous", "relative change", "difference"]):
        write_text(sheet, 0, col, text)
    for row, (current, previous) in enumerate(CHANGE_CASES, start=1):
        _input(sheet, row, 0, current)
        _input(sheet, row, 1, previous)
        c_ref, p_ref = xl_rowcol_to_cell(row, 0), xl_rowcol_to_cell(row, 1)
        c = np.nan if current is None else current
        p = np.nan if previous is None else previous
        for col, difference in ((2, False), (3, True)):
            write_formula(
                sheet,
                row,
                col,
                helpers.change_formula(c_ref, p_ref, difference=difference),
                helpers.change(c, p, difference=difference),
            )
    return 2 * len(CHANGE_CASES)


PACE_DAYS = ((10, 31), (30, 30), (1, 92), (45, 365))


def _pace_sheet(sheet: PlanSheet) -> int:
    """Every KPI paced to the period end: a factor cell scales each flow's reference."""
    measures = inputs()
    header = ["kpi", "elapsed", "total", "factor", *measures, *(f"prev({m})" for m in measures)]
    for col, text in enumerate([*header, "paced"]):
        write_text(sheet, 0, col, text)
    offset = 2  # measure columns start two further right than on the KPI sheet
    row, formulas = 1, 0
    for kpi in catalog.kpis().values():
        for elapsed, total in PACE_DAYS:
            current, previous = scenario_inputs(kpi, "typical")
            write_text(sheet, row, 0, kpi.id)
            sheet.write_number(row, 1, elapsed)
            sheet.write_number(row, 2, total)
            e_ref, t_ref = xl_rowcol_to_cell(row, 1), xl_rowcol_to_cell(row, 2)
            factor = helpers.pace_factor(elapsed, total)
            write_formula(sheet, row, 3, f'IFERROR({t_ref}/{e_ref},"")', factor)
            for m, v in current.items():
                sheet.write_number(row, offset + 2 + measures.index(m), v)
            for m, v in previous.items():
                sheet.write_number(row, offset + 2 + len(measures) + measures.index(m), v)
            refs = {
                m: xl_rowcol_to_cell(row, offset + 2 + measures.index(m))
                for m in kpi.expression.measures
            }
            prev_refs = {
                m: xl_rowcol_to_cell(row, offset + 2 + len(measures) + measures.index(m))
                for m in kpi.expression.previous
            }
            factor_ref = xl_rowcol_to_cell(row, 3, row_abs=True, col_abs=True)
            paced = helpers.pace(kpi, current, elapsed, total, previous)
            formula = helpers.pace_formula(kpi, refs, factor_ref, prev_refs)
            write_formula(sheet, row, len(header), formula, paced)
            formulas += 2
            row += 1
    return formulas


def _expression_sheet(sheet: PlanSheet) -> int:
    inputs = (
        {"a": 7.0, "b": 3.0, "c": 2.0},
        {"a": -1.25, "b": 0.5, "c": 4e3},
        {"a": 12345.678, "b": 0.001, "c": 9.75},
    )
    for col, text in enumerate(["expression", "a", "b", "c", "value"]):
        write_text(sheet, 0, col, text)
    row = 1
    for text in SYNTHETIC:
        expression = Expression.parse(text)
        for values in inputs:
            write_text(sheet, row, 0, text)
            for col, name in enumerate("abc", start=1):
                sheet.write_number(row, col, values[name])
            refs = {name: xl_rowcol_to_cell(row, col) for col, name in enumerate("abc", start=1)}
            write_formula(sheet, row, 4, expression.to_excel(refs), expression.evaluate(values))
            row += 1
    return len(SYNTHETIC) * len(inputs)


def build_kpi_workbook(path: Path) -> KpiWorkbook:
    """Every KPI's formula and the helpers' formulas, with Python values stored as results.

    The *Control* sheet holds one deliberately wrong stored value, so a judge that does
    not really recompute is caught.
    """
    workbook = new_workbook(str(path))
    formulas, blanks = _kpi_sheet(add_sheet(workbook, "KPIs"))
    formulas += _attainment_sheet(add_sheet(workbook, "Attainment"))
    formulas += _change_sheet(add_sheet(workbook, "Change"))
    formulas += _pace_sheet(add_sheet(workbook, "Pace"))
    formulas += _expression_sheet(add_sheet(workbook, "Expressions"))
    control = add_sheet(workbook, "Control")
    write_formula(control, 0, 0, "1+1", 3)
    workbook.close()
    return KpiWorkbook(path, formulas, blanks, "A1")


@pytest.fixture(scope="module")
def kpi_workbook(tmp_path_factory: pytest.TempPathFactory) -> KpiWorkbook:
    return build_kpi_workbook(tmp_path_factory.mktemp("kpi-engines") / "kpis.xlsx")


@pytest.fixture(scope="module")
def formualizer_result(
    kpi_workbook: KpiWorkbook, tmp_path_factory: pytest.TempPathFactory
) -> list[Mismatch]:
    out = tmp_path_factory.mktemp("kpi-formualizer") / "kpis.xlsx"
    return compare_cached(kpi_workbook.path, formualizer_recalc(kpi_workbook.path, out))


@pytest.fixture(scope="module")
def libreoffice_result(
    kpi_workbook: KpiWorkbook, tmp_path_factory: pytest.TempPathFactory
) -> list[Mismatch]:
    recomputed = libreoffice_recalc(kpi_workbook.path, tmp_path_factory.mktemp("kpi-lo"))
    return compare_cached(kpi_workbook.path, recomputed)


def test_kpi_workbook_covers_every_kpi_and_helper(kpi_workbook: KpiWorkbook) -> None:
    cells = formula_cells(kpi_workbook.path)
    assert len(cells) == kpi_workbook.formulas + 1  # + the control cell
    per_sheet = {sheet for sheet, _ in cells}
    assert per_sheet == {"KPIs", "Attainment", "Change", "Pace", "Expressions", "Control"}
    assert kpi_workbook.formulas >= len(catalog.kpis()) * len(SCENARIOS)
    assert kpi_workbook.blanks > len(catalog.kpis())  # zero denominators stored as ""
    for formula in cells.values():
        assert_portable(formula.removeprefix("="))


def _split(mismatches: list[Mismatch], control: str) -> tuple[list[Mismatch], list[Mismatch]]:
    caught = [m for m in mismatches if m.sheet == "Control" and m.cell == control]
    rest = [m for m in mismatches if m not in caught]
    return caught, rest


def _report(mismatches: list[Mismatch]) -> str:
    return f"{len(mismatches)} mismatches:\n" + "\n".join(map(str, mismatches[:30]))


def test_formualizer_agrees_with_every_stored_value(
    kpi_workbook: KpiWorkbook, formualizer_result: list[Mismatch]
) -> None:
    caught, rest = _split(formualizer_result, kpi_workbook.control)
    assert not rest, _report(rest)
    assert len(caught) == 1 and caught[0].recomputed == 2, "the judge did not recompute"


@pytest.mark.libreoffice
def test_libreoffice_agrees_with_every_stored_value(
    kpi_workbook: KpiWorkbook, libreoffice_result: list[Mismatch]
) -> None:
    caught, rest = _split(libreoffice_result, kpi_workbook.control)
    assert not rest, _report(rest)
    assert len(caught) == 1 and caught[0].recomputed == 2, "the judge did not recompute"
