"""An annual target, spread over the months that are still open.

The data are made by hand: 2025 in full (each month's revenue a round figure per day, so
last year's seasonal profile is arithmetic) and 2026 up to 10 October. January to September
2026 are closed; October to December are open. The targets file types the closed months,
November, and one annual figure per KPI; the rest must follow, in Python, in the stored
workbook, in LibreOffice and formualizer after the annual cell is edited, and through a
refresh.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
import yaml
from engines import compare_cached, formualizer_recalc, libreoffice_recalc, set_cell

import kpi_xl
from kpi_xl.pipeline import plan_model
from kpi_xl.plan.spec import load_template
from kpi_xl.plan.targets import load_targets

TEMPLATE = {
    "name": "annual",
    "grain": "month",
    "currency": "EUR",
    "overall": ["revenue", "sales_growth", "key_event_rate"],
    "channels": {"organic_social": ["followers"]},
}
MONTHS = [f"2026-{m:02d}" for m in range(1, 13)]
ANNUAL = 1_000_000.0
CLOSED = 9 * 50_000.0  # January to September, typed
NOVEMBER = 100_000.0  # typed
# last year's October and December: 1,000 and 1,200 a day, 31 days each
LY_OCT, LY_DEC = 1000 * 31, 1200 * 31


def _rows() -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    for day in pd.date_range("2025-01-01", "2026-10-10"):
        revenue = 100.0 * day.month if day.year == 2025 else 1500.0
        rows += [
            {"date": day, "channel": "direct", "revenue": revenue, "sessions": 1000.0,
             "key_event_sessions": 40.0},
            {"date": day, "channel": "organic_social", "followers": 5000.0 + day.day_of_year},
        ]  # fmt: skip
    return pd.DataFrame(rows).assign(source="shop", campaign="", segment="", currency="EUR")


def _targets_file(folder: Path) -> Path:
    lines = ["kpi_id,channel,period,target"]
    lines += [f"revenue,all,{m},50000" for m in MONTHS[:9]]
    lines += [
        f"revenue,all,2026-11,{NOVEMBER:.0f}",
        f"revenue,all,2026,{ANNUAL:.0f}",  # the plan's year: an annual target
        "followers,organic_social,2026-09,7000",
        "followers,organic_social,year,10000",  # or the word year
        "key_event_rate,all,year,5%",
    ]
    path = folder / "targets.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("annual")
    template = folder / "annual.yaml"
    template.write_text(yaml.safe_dump(TEMPLATE), encoding="utf-8")
    targets = _targets_file(folder)
    return kpi_xl.build_plan(_rows(), folder / "plan.xlsx", template=template, targets=targets)


def _targets_sheet(path: Path) -> dict[str, dict[str, Any]]:
    """The Targets rows as stored: {key: {month or column title: value}}."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ws = openpyxl.load_workbook(path, data_only=True)["Targets"]
    rows = list(ws.iter_rows(values_only=True))
    h = next(i for i, r in enumerate(rows) if r[0] == "key")
    head = rows[h]
    return {r[0]: dict(zip(head, r, strict=True)) for r in rows[h + 1 :] if r[0]}


def _spread(annual: float) -> tuple[float, float]:
    """October's and December's revenue targets: what the annual figure leaves after the
    closed months and November, by last year's October and December."""
    left = annual - CLOSED - NOVEMBER
    return left * LY_OCT / (LY_OCT + LY_DEC), left * LY_DEC / (LY_OCT + LY_DEC)


def test_python_spreads_the_annual_target(tmp_path: Path) -> None:
    template = tmp_path / "annual.yaml"
    template.write_text(yaml.safe_dump(TEMPLATE), encoding="utf-8")
    spec = load_template(template)
    model = plan_model(_rows(), spec, targets=load_targets(_targets_file(tmp_path)))
    october, december = _spread(ANNUAL)
    revenue = [model.target("revenue", "all", m) for m in MONTHS]
    assert revenue[:9] == [50_000.0] * 9 and revenue[10] == NOVEMBER
    assert math.isclose(revenue[9], october) and math.isclose(revenue[11], december)
    assert math.isclose(sum(revenue), ANNUAL)
    # a stock: a straight line from September's 7,000 to 10,000 at the year's end
    followers = [model.target("followers", "organic_social", m) for m in MONTHS[9:]]
    assert followers == pytest.approx([8000, 9000, 10000])
    assert [model.target("key_event_rate", "all", m) for m in MONTHS[9:]] == [0.05] * 3
    # sales growth follows the revenue targets: December's over November's
    growth = model.target("sales_growth", "all", "2026-12")
    assert growth == pytest.approx(december / NOVEMBER - 1, abs=1e-4)


def test_the_workbook_stores_the_spread_and_the_year(plan: Path) -> None:
    rows = _targets_sheet(plan)
    revenue = rows["revenue|all"]
    october, december = _spread(ANNUAL)
    assert revenue["Annual target"] == ANNUAL
    assert math.isclose(revenue["2026-10"], october) and math.isclose(revenue["2026-12"], december)
    assert math.isclose(revenue["Year"], ANNUAL)
    assert revenue["How suggested"] == "the annual target, spread by last year's seasonal profile"
    followers = rows["followers|organic_social"]
    assert [followers[m] for m in MONTHS[9:]] == pytest.approx([8000, 9000, 10000])
    assert (
        followers["How suggested"]
        == "the annual target, reached in a straight line by the year's end"
    )


def test_editing_the_annual_cell_re_spreads_in_both_engines(plan: Path, tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ws = openpyxl.load_workbook(plan)["Targets"]
    head = next(r for r in ws.iter_rows() if r[0].value == "key")
    col = next(c.column_letter for c in head if c.value == "Annual target")
    row = next(r[0].row for r in ws.iter_rows() if r[0].value == "revenue|all")
    assert not compare_cached(plan, libreoffice_recalc(plan, tmp_path / "lo0"))
    copy = set_cell(plan, tmp_path / "edited.xlsx", "Targets", f"{col}{row}", 1_200_000.0)
    october, december = _spread(1_200_000.0)
    for out in (
        libreoffice_recalc(copy, tmp_path / "lo"),
        formualizer_recalc(copy, tmp_path / "fz.xlsx"),
    ):
        revenue = _targets_sheet(out)["revenue|all"]
        assert math.isclose(revenue["2026-10"], october), out
        assert math.isclose(revenue["2026-12"], december), out
        assert math.isclose(revenue["Year"], 1_200_000.0), out
        assert revenue["2026-11"] == NOVEMBER and revenue["2026-09"] == 50_000


def test_refresh_reads_the_edited_annual_target(plan: Path, tmp_path: Path) -> None:
    """A user types a new annual figure and refreshes: the months follow it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ws = openpyxl.load_workbook(plan)["Targets"]
    head = next(r for r in ws.iter_rows() if r[0].value == "key")
    col = next(c.column_letter for c in head if c.value == "Annual target")
    row = next(r[0].row for r in ws.iter_rows() if r[0].value == "revenue|all")
    copy = set_cell(plan, tmp_path / "plan.xlsx", "Targets", f"{col}{row}", 900_000.0)
    kpi_xl.refresh(copy, _rows(), backup=False)
    revenue = _targets_sheet(copy)["revenue|all"]
    october, december = _spread(900_000.0)
    assert revenue["Annual target"] == 900_000.0
    assert math.isclose(revenue["2026-10"], october) and math.isclose(revenue["2026-12"], december)
    assert revenue["2026-11"] == NOVEMBER and revenue["2026-01"] == 50_000


def test_a_changed_closed_target_is_kept_and_logged(plan: Path, tmp_path: Path) -> None:
    """January is closed: its cell is locked unless Settings unlock it. A change made
    anyway is kept by refresh and recorded under the grid, once, with its date."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ws = openpyxl.load_workbook(plan)["Targets"]
    head = next(r for r in ws.iter_rows() if r[0].value == "key")
    col = next(c.column_letter for c in head if c.value == "2026-01")
    row = next(r[0].row for r in ws.iter_rows() if r[0].value == "revenue|all")
    copy = set_cell(plan, tmp_path / "plan.xlsx", "Targets", f"{col}{row}", 60_000.0)
    kpi_xl.refresh(copy, _rows(), backup=False)
    kpi_xl.refresh(copy, _rows(), backup=False)  # a second refresh logs nothing new
    rows = _targets_sheet(copy)
    assert rows["revenue|all"]["2026-01"] == 60_000
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ws = openpyxl.load_workbook(copy, data_only=True)["Targets"]
    cells = [[c for c in r if c is not None] for r in ws.iter_rows(values_only=True)]
    title = cells.index(["Changes to closed periods' targets"])
    assert cells[title + 1] == ["Target", "Before", "After", "Changed on"]
    logged = [r for r in cells[title + 2 :] if r]
    assert len(logged) == 1
    name, before, after, when = logged[0]
    assert (name, before, after) == ("Revenue · All channels · 2026-01", 50_000, 60_000)
    assert when == pd.Timestamp.today().date().isoformat()
