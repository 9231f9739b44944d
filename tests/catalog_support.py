"""Shared by the catalog tests (``test_catalog_*.py``): the golden snapshot of the
catalog (also written by ``scripts/regenerate_catalog_golden.py``), the portability check
of formula text, cell references for a KPI's measures, and the named scenarios of sample
base-measure values that the evaluator and the engine workbook both use.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
from xlsxwriter.utility import xl_rowcol_to_cell

from kpi_xl import catalog
from kpi_xl.catalog import KPI, LANGUAGES, Expression
from kpi_xl.catalog.records import PARAMETERS

GOLDEN = Path(__file__).parent / "golden" / "catalog.json"

# -- golden snapshot -------------------------------------------------------------------------


def catalog_snapshot() -> dict[str, Any]:
    """What must not drift unnoticed: every KPI's identity and math, every measure's kind."""
    return {
        "kpis": [
            {
                "id": kpi.id,
                "category": kpi.category,
                "channels": list(kpi.channels),
                "channel_filter": kpi.channel_filter,
                "unit": kpi.unit,
                "unbounded": kpi.unbounded,
                "direction": kpi.direction,
                "expression": kpi.expression.text,
                "sources": "same platform" if kpi.matched else "blended",
                "names": {lang: kpi.names[lang] for lang in LANGUAGES},
                "definitions": {lang: kpi.describe(lang) for lang in LANGUAGES},
                "kind": kpi.kind,
                "pace_kind": kpi.pace_kind,
                "starts_at": kpi.starts_at,
                "derived_target": kpi.derived_target,
                "min_bases": dict(kpi.min_bases),
            }
            for kpi in catalog.kpis().values()
        ],
        "measures": [
            {
                "id": m.id,
                "aggregation": m.aggregation,
                "record": m.record,
                "systems": list(m.systems),
                "unit": m.unit,
                "non_additive": m.non_additive,
                "notes": {lang: m.note_in(lang) for lang in LANGUAGES},
            }
            for m in catalog.measures().values()
        ],
        # every KPI id the catalog renamed, with the id that replaced it and why
        "renames": [{"old": r.old, "new": r.new, "why": r.why} for r in catalog.renames().values()],
    }


def snapshot_text() -> str:
    return json.dumps(catalog_snapshot(), indent=2, ensure_ascii=False) + "\n"


# -- Excel formula text ----------------------------------------------------------------------

#: Every function the catalog's and helpers' formulas may use: in every Excel since 2007,
#: LibreOffice and formualizer; no dynamic arrays, no _xlfn. future functions.
PORTABLE_FUNCTIONS = {"IFERROR", "IF", "OR", "AND", "ABS", "ROUND"}
FORBIDDEN = ("XLOOKUP", "XMATCH", "LET", "LAMBDA", "FILTER", "SORT", "SORTBY", "UNIQUE",
             "SEQUENCE", "RANDARRAY", "TEXTJOIN", "IFS", "SWITCH", "_XLFN", "_XLWS",
             "@")  # fmt: skip


def function_names(formula: str) -> set[str]:
    text = re.sub(r'"[^"]*"', '""', formula)  # not what is inside text literals
    return set(re.findall(r"([A-Za-z_][A-Za-z0-9_.]*)\(", text))


def assert_portable(formula: str) -> None:
    names = function_names(formula)
    assert names <= PORTABLE_FUNCTIONS, (formula, names - PORTABLE_FUNCTIONS)
    outside_text = re.sub(r'"[^"]*"', '""', formula).upper()
    for word in FORBIDDEN:
        assert word not in outside_text, (word, formula)


def inputs() -> list[str]:
    """What a KPI expression may read: the base measures, then the plan parameters."""
    return [*catalog.measures(), *PARAMETERS]


def cell_refs(kpi: KPI, row: int = 1) -> tuple[dict[str, str], dict[str, str]]:
    measures = inputs()
    refs = {m: xl_rowcol_to_cell(row, 2 + measures.index(m)) for m in kpi.expression.measures}
    prev = {
        m: xl_rowcol_to_cell(row, 2 + len(measures) + measures.index(m))
        for m in kpi.expression.previous
    }
    return refs, prev


# -- scenarios -------------------------------------------------------------------------------

SCENARIOS = ("typical", "zero", "zero_denominator", "large", "small", "fractional")
_RNG_SEED = 20240601


def _typical() -> tuple[dict[str, float], dict[str, float]]:
    rng = np.random.default_rng(_RNG_SEED)
    ids = inputs()
    current = {m: round(float(rng.uniform(50, 50_000)), 2) for m in ids}
    previous = {m: round(float(rng.uniform(50, 50_000)), 2) for m in ids}
    return current, previous


def _fractional() -> tuple[dict[str, float], dict[str, float]]:
    rng = np.random.default_rng(_RNG_SEED + 1)
    ids = inputs()
    return (
        {m: float(rng.uniform(0.001, 3.0)) for m in ids},
        {m: float(rng.uniform(0.001, 3.0)) for m in ids},
    )


def denominators(expression: Expression) -> tuple[set[str], set[str]]:
    """Measures read in some division's denominator: (current period, previous period)."""
    current: set[str] = set()
    previous: set[str] = set()
    for node in ast.walk(expression.tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            inside_prev: set[int] = set()
            for sub in ast.walk(node.right):
                if isinstance(sub, ast.Call) and isinstance(sub.args[0], ast.Name):
                    previous.add(sub.args[0].id)
                    inside_prev.update({id(sub.func), id(sub.args[0])})
            for sub in ast.walk(node.right):
                if isinstance(sub, ast.Name) and id(sub) not in inside_prev:
                    current.add(sub.id)
    return current, previous


def scenario_inputs(kpi: KPI, scenario: str) -> tuple[dict[str, float], dict[str, float]]:
    """Sample base-measure values (current, previous) for the KPI in a named scenario."""
    typical, typical_prev = _typical()
    if scenario == "fractional":
        typical, typical_prev = _fractional()
    scale = {"large": 1e9, "small": 1e-7}.get(scenario, 1.0)
    current = {m: typical[m] * scale for m in kpi.expression.measures}
    previous = {m: typical_prev[m] * scale for m in kpi.expression.previous}
    if scenario == "zero":
        current = dict.fromkeys(current, 0.0)
        previous = dict.fromkeys(previous, 0.0)
    elif scenario == "zero_denominator":
        zero_now, zero_prev = denominators(kpi.expression)
        current.update(dict.fromkeys(zero_now, 0.0))
        previous.update(dict.fromkeys(zero_prev, 0.0))
    return current, previous
