"""The typed plan layout: one place decides where things sit, and every reader follows it;
the plan record reads back, and a plan written by the previous release still refreshes."""

from __future__ import annotations

import datetime as dt
import math
import shutil
import warnings
from pathlib import Path

import openpyxl
import pytest
from engines import compare_cached, formualizer_recalc
from refresh_support import read_inputs, small_data
from test_excel_refresh import FakeBook

from kpi_xl.catalog import get, status_label
from kpi_xl.errors import KpiXlError
from kpi_xl.excel.refresh_logic import refresh_open_workbook
from kpi_xl.mail.summary import read_summary
from kpi_xl.pipeline import build_plan, plan_model
from kpi_xl.plan import layout as layout_module
from kpi_xl.plan.judgement import judged
from kpi_xl.plan.layout import from_data, to_data
from kpi_xl.plan.model import ALL
from kpi_xl.plan.placement import plan_layout
from kpi_xl.plan.planfile import SCHEMA, meta_rows, parse_meta_rows, read_meta
from kpi_xl.plan.spec import load_template
from kpi_xl.refreshing import refresh

FIXTURES = Path(__file__).parent / "fixtures" / "plans"
REORDERED = (
    "kpi", "data_note", "target", "actual", "pace", "attainment", "status", "gap",
    "change", "unit", "trend", "previous", "progress", "last_year", "vs_last_year",
    "ytd_actual", "ytd_target", "fy_target",
)  # fmt: skip


def quiet_load(path: Path, **options: object) -> openpyxl.Workbook:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return openpyxl.load_workbook(path, **options)


def test_reordering_overview_columns_in_one_place_moves_every_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert sorted(REORDERED) == sorted(layout_module.OVERVIEW_COLUMNS)
    monkeypatch.setattr(layout_module, "OVERVIEW_COLUMNS", REORDERED)
    csv = tmp_path / "data.csv"
    data = small_data()
    data.to_csv(csv, index=False)
    plan = build_plan([csv], tmp_path / "plan.xlsx")
    model = plan_model(data, load_template("ecommerce"))
    ov = read_meta(quiet_load(plan), plan).layout.overview
    assert ov.columns == REORDERED

    # the workbook: headers in the new order, each column holding its own figure
    ws = quiet_load(plan, data_only=True).worksheets[0]
    headers = [ws.cell(ov.header_row + 1, c + 1).value for c in range(len(REORDERED))]
    assert headers == [
        "KPI", "Data note", "Target", "Actual", "Pace to period end", "Attainment", "Status",
        "Gap to target", "Change, same days", "Unit", "Trend", "Previous period, same days",
        "Progress vs full target", "Last year, same days", "vs last year", "Year to date",
        "Year-to-date target", "Full-year target",
    ]  # fmt: skip
    for kpi_id, row in ov.kpi_rows.items():
        line = judged(model, kpi_id, ALL).overview
        value = {key: ws.cell(row + 1, ov.col(key) + 1).value for key in REORDERED}
        assert value["kpi"] == get(kpi_id).name("en")
        assert value["status"] == status_label(line.status, "en")
        for key, expected in (
            ("actual", line.actual), ("target", line.target),
            ("attainment", line.attainment), ("previous", line.previous),
            ("last_year", line.last_year), ("ytd_actual", line.ytd_actual),
        ):  # fmt: skip
            if math.isnan(expected):
                assert value[key] in (None, ""), (kpi_id, key)
            else:
                assert math.isclose(value[key], expected, rel_tol=1e-12), (kpi_id, key)
    # the formulas follow the columns: an independent engine agrees with every stored value
    mismatches = compare_cached(plan, formualizer_recalc(plan, tmp_path / "fz.xlsx"))
    assert not mismatches, "\n".join(map(str, mismatches[:10]))

    # the e-mail reads the same cells
    summary = read_summary(plan)
    for mailed in summary.kpis:
        figures = judged(model, mailed.kpi_id, ALL).overview
        for got, expected in (
            (mailed.actual, figures.actual),
            (mailed.target, figures.target),
        ):
            assert math.isclose(got, expected, rel_tol=1e-12) or (
                math.isnan(got) and math.isnan(expected)
            )

    # the Refresh button stamps the information cells and, in the KPI table, only rewrites
    # the data notes (text that depends on the data), wherever the column went
    book = FakeBook(plan)
    assert refresh_open_workbook(book, now=dt.datetime(2026, 4, 16, 9, 0))
    formulas = [key for key in REORDERED if key != "data_note"]
    table_cells = {ov.cell(k, key).ref for k in ov.kpi_rows for key in formulas}
    assert not table_cells & set(book.writes)
    notes = {ov.cell(k, "data_note").ref for k in ov.kpi_rows}
    stamps = {c.ref for c in read_meta(quiet_load(plan), plan).layout.stamped_cells()}
    assert notes | stamps <= set(book.writes)


def test_layout_reads_back_as_written(sample: object) -> None:
    import pandas as pd

    assert isinstance(sample, pd.DataFrame)
    for template in ("ecommerce", "saas"):
        spec = load_template(template).with_choices(currency="EUR")  # the sample's
        layout = plan_layout(plan_model(sample, spec))
        assert from_data(to_data(layout)) == layout


def test_plan_record_round_trip(tmp_path: Path) -> None:
    plan = build_plan(small_data(), tmp_path / "plan.xlsx")
    meta = read_meta(quiet_load(plan), plan)
    assert meta.schema == SCHEMA
    again = parse_meta_rows(meta_rows(meta), "x")
    assert again.layout == meta.layout and again.spec == meta.spec
    assert again.generated == meta.generated


def test_a_newer_schema_is_refused_with_a_clear_message() -> None:
    rows = [("format", "kpi_xl plan workbook"), ("schema", "99")]
    with pytest.raises(KpiXlError, match=r"newer kpi_xl .*schema 99.*update kpi_xl"):
        parse_meta_rows(rows, "plan.xlsx")


def test_a_damaged_layout_is_a_one_line_error(tmp_path: Path) -> None:
    plan = build_plan(small_data(), tmp_path / "plan.xlsx")
    meta = read_meta(quiet_load(plan), plan)
    rows = [(k, v) for k, v in meta_rows(meta) if k != "layout" and not k.startswith("layout#")]
    rows.append(("layout", '{"sheets": {}}'))
    with pytest.raises(KpiXlError, match="damaged"):
        parse_meta_rows(rows, "plan.xlsx")


# -- a plan written by the previous release (plan-file schema 1) -----------------------------

#: What was typed into tests/fixtures/plans/v1_ecommerce_en.xlsx (see its README).
TYPED_IN_V1 = {
    "target|revenue|all|2026-03": 123456.0,
    "target|revenue|all|2026-11": 99.0,
    "target|roas|paid_search|2026-02": 4.5,
    "target|conversion_rate|all|2026-04": 0.031,
    "target|cost_per_click|paid_search|2026-01": None,
    "note|revenue|all": "Board wants +10 % — see deck",
    "note|ctr|seo": "agreed with the SEO agency",
    "setting|on_track": 0.95,
    "setting|at_risk": 0.8,
    "setting|currency": "USD",
}


@pytest.fixture
def v1_plan(tmp_path: Path) -> Path:
    copy = tmp_path / "plan.xlsx"
    shutil.copy2(FIXTURES / "v1_ecommerce_en.xlsx", copy)
    return copy


def test_previous_release_plan_is_read_through_its_upgrade(v1_plan: Path) -> None:
    meta = read_meta(quiet_load(v1_plan), v1_plan)
    assert meta.schema == 1 and meta.version == "0.1.0"
    assert meta.layout.overview.cell("revenue", "actual").a1 == "C14"
    assert meta.layout.targets.target_cell("revenue", ALL, "2026-03").a1 == "H5"
    assert meta.layout.settings.cells["currency"].a1 == "B6"


def test_previous_release_plan_refreshes_with_every_typed_input(v1_plan: Path) -> None:
    before = read_inputs(v1_plan)
    for key, value in TYPED_IN_V1.items():  # the fixture holds what the test says was typed
        if isinstance(value, float):
            assert before[key] == pytest.approx(value), key
        else:
            assert before[key] == value, key
    refresh(v1_plan, small_data(end="2026-05-10"))
    after = read_inputs(v1_plan)
    for key, value in TYPED_IN_V1.items():
        # the catalog renamed conversion_rate: its targets are kept under key_event_rate
        key = key.replace("|conversion_rate|", "|key_event_rate|")
        assert after[key] == value, key
    meta = read_meta(quiet_load(v1_plan), v1_plan)
    assert meta.schema == SCHEMA, "rewritten in the current plan-file schema"
