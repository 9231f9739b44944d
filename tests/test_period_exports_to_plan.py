"""A plan built from the reports people download: GA4's traffic acquisition for last month
and Google Ads' campaign report for the same month, neither segmented by day. The plan's
current-period figures must be the platforms' own totals (worked out by hand here from
the fixtures' rows)."""

from __future__ import annotations

import warnings
from pathlib import Path

import openpyxl
import pytest

from kpi_xl.pipeline import build_plan
from kpi_xl.plan.planfile import read_meta

EXPORTS = Path(__file__).parent / "fixtures" / "exports"
GA4 = EXPORTS / "ga4_traffic_acquisition_month.csv"
ADS = EXPORTS / "google_ads_campaign_report_month.csv"

# GA4's totals for September 2026 (the report's rows added up)
SESSIONS = 12040 + 6010 + 4150 + 820 + 95 + 130 + 12 + 44
REVENUE = 25310.5 + 11020 + 9876.25 + 480 + 35.5
# Google Ads, the three paid-search campaigns (Search and Performance Max)
COST = 555.30 + 1050.00 + 1220.00
CONVERSIONS = 12 + 18.5 + 30
CONV_VALUE = 1234.50 + 2220.00 + 3900.00
CLICKS = 1234 + 2100 + 3050
IMPRESSIONS = 12345 + 42000 + 120500


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("period") / "plan.xlsx"
    return build_plan([GA4, ADS], out, template="ecommerce")


def stored(plan: Path) -> tuple[object, object]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        values = openpyxl.load_workbook(plan, data_only=True)
        meta = read_meta(openpyxl.load_workbook(plan), plan)
    return values, meta


def test_the_current_period_is_the_reports_month(plan: Path) -> None:
    values, meta = stored(plan)
    info = meta.layout.overview.info  # type: ignore[attr-defined]
    sheet = values[info["current_period"].sheet]  # type: ignore[index]
    assert sheet[info["current_period"].a1].value == "2026-09"
    assert sheet[info["days_elapsed"].a1].value == 30  # the whole month is covered
    assert sheet[info["data_range"].a1].value == "2026-09-01 – 2026-09-30"


def test_overview_figures_are_ga4s_totals(plan: Path) -> None:
    values, meta = stored(plan)
    ov = meta.layout.overview  # type: ignore[attr-defined]
    sheet = values[ov.sheet]  # type: ignore[index]
    actual = {k: sheet[ov.cell(k, "actual").a1].value for k in ov.kpi_rows}
    assert actual["sessions"] == SESSIONS
    assert actual["revenue"] == pytest.approx(REVENUE)


def test_paid_search_figures_are_google_ads_own(plan: Path) -> None:
    values, meta = stored(plan)
    layout = meta.layout.channels["paid_search"]  # type: ignore[attr-defined]
    sheet = values[layout.sheet]  # type: ignore[index]
    september = layout.period_col(8) + 1  # the ninth period column (1-based for openpyxl)
    actual = {k: sheet.cell(rows.actual + 1, september).value for k, rows in layout.rows.items()}
    assert actual["cost_per_conversion"] == pytest.approx(COST / CONVERSIONS)  # Google's CPA
    assert actual["roas"] == pytest.approx(CONV_VALUE / COST)
    assert actual["conversion_value"] == pytest.approx(CONV_VALUE)
    assert actual["ctr"] == pytest.approx(CLICKS / IMPRESSIONS)
    assert actual["cost_per_click"] == pytest.approx(COST / CLICKS)
