"""A plan from six platforms' exports of one month: numbers each platform would recognise.

The fixture set (tests/fixtures/exports/mixed_2026_09/) is September 2026 of one shop, as
the platforms' UIs export it: GA4's traffic acquisition report (no Date column), a Google
Ads campaign report (USD), Meta Ads Manager ad rows with their summary row (EUR), a
LinkedIn campaign report (USD), Mailchimp's campaign list and a Search Console zip. Every
expected figure below is computed by hand from those files; the double-counted figures are
what adding up different events, different platforms' costs or two currencies would give.
"""

from __future__ import annotations

import math
import shutil
import warnings
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from engines import compare_cached, formualizer_recalc, libreoffice_recalc, set_cell

from kpi_xl.errors import KpiXlError
from kpi_xl.ingest import load_report
from kpi_xl.pipeline import build_plan

MIXED = Path(__file__).parent / "fixtures" / "exports" / "mixed_2026_09"
FILES = (
    "ga4_traffic_acquisition.csv",
    "google_ads_campaign_report.csv",
    "meta_ads_ads.csv",
    "linkedin_campaigns.csv",
    "mailchimp_campaigns.csv",
)
USD = 0.92  # 1 USD = 0.92 EUR, the rate given to the build

# -- the platforms' own figures, by hand from the files ---------------------------------------
GA4_SESSIONS = 12000 + 5000 + 4000 + 3000 + 1000 + 800  # 25,800
# Session key event rate x sessions, per channel group
GA4_KEY_EVENT_SESSIONS = 300 + 200 + 120 + 45 + 70 + 20  # 755
GA4_KEY_EVENT_RATE = GA4_KEY_EVENT_SESSIONS / GA4_SESSIONS  # what GA4 shows for all channels
GA4_KEY_EVENTS = 400 + 250 + 150 + 60 + 90 + 20  # 970
GA4_REVENUE = 20000 + 15000 + 9000 + 4000 + 6000 + 1000  # Purchase revenue: 55,000
ADS_COST_USD, ADS_CONVERSIONS = 600 + 1400, 30 + 20  # its Total: Account row says the same
ADS_CPA_EUR = ADS_COST_USD * USD / ADS_CONVERSIONS  # Google Ads' 40.00 USD, in EUR
META_COST, META_VALUE, META_PURCHASES = 1150.50, 5290.00, 30 + 14  # EUR, its summary row
META_ROAS = META_VALUE / META_COST  # Meta's own "Purchase ROAS" for the account
META_LEADS, META_REACH, META_IMPRESSIONS = 6 + 6, 52000, 91000
LINKEDIN_COST_USD, LINKEDIN_LEADS, LINKEDIN_CONVERSIONS = 1500 + 500, 10 + 5, 6 + 2
MAILCHIMP_REVENUE, MAILCHIMP_ORDERS = 600 + 1250, 10 + 20
COST_EUR = ADS_COST_USD * USD + META_COST + LINKEDIN_COST_USD * USD  # 4,830.50

# -- what a tool adding up the wrong things shows ----------------------------------------------
ALL_CONVERSIONS = (
    GA4_KEY_EVENTS + ADS_CONVERSIONS + META_PURCHASES + LINKEDIN_CONVERSIONS + MAILCHIMP_ORDERS
)
DOUBLE_COUNTED = {
    "conversions summed over GA4 and the platforms": ALL_CONVERSIONS,
    "conversion rate over them": ALL_CONVERSIONS / GA4_SESSIONS,
    "key events and platform conversions, without e-mail": ALL_CONVERSIONS - MAILCHIMP_ORDERS,
    "paid-search CPA over Ads conversions + GA4 key events": ADS_COST_USD * USD / (50 + 250),
    "paid-social ROAS over Meta + LinkedIn cost": META_VALUE / (META_COST + 2000 * USD),
    "CPL of all ad spend over LinkedIn's leads": COST_EUR / LINKEDIN_LEADS,
    "revenue plus Mailchimp's attributed revenue": GA4_REVENUE + MAILCHIMP_REVENUE,
    "cost with dollars counted as euros": ADS_COST_USD + META_COST + LINKEDIN_COST_USD,
    "reach summed over Meta's ads": 21000 + 12000 + 15000 + 4000 + 4000,
    "frequency over that sum": META_IMPRESSIONS / (21000 + 12000 + 15000 + 4000 + 4000),
}


def _sources(tmp_path: Path) -> list[Path]:
    archive = tmp_path / "search_console.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name in ("Chart.csv", "Filters.csv"):
            zf.write(MIXED / "search_console" / name, name)
    return [*(MIXED / f for f in FILES), archive]


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("mixed")
    out = folder / "plan.xlsx"
    return build_plan(_sources(folder), out, template=MIXED / "plan.yaml", fx={"USD": USD})


def _values(path: Path) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return openpyxl.load_workbook(path, data_only=True)


def _actual(wb: Any, sheet: str, kpi_name: str) -> Any:
    """The current period's (September's) actual of a KPI on a channel sheet."""
    ws = wb[sheet]
    header = [c.value for c in ws[3]]
    col = header.index("September 2026") + 1  # the header names the month
    for row in ws.iter_rows(min_row=5):
        if row[0].value == kpi_name:
            return ws.cell(row[0].row, col).value
    raise KeyError(kpi_name)


def _overview(wb: Any, kpi_name: str, column: str = "Actual") -> Any:
    ws = wb["Overview"]
    for row in ws.iter_rows():
        cells = [c.value for c in row]
        if "KPI" in cells and column in cells:
            header_row, col = row[0].row, cells.index(column) + 1
            break
    for row in ws.iter_rows(min_row=header_row + 1):
        if row[0].value == kpi_name:
            return ws.cell(row[0].row, col).value
    raise KeyError(kpi_name)


def test_mixed_currencies_without_rates_are_refused_naming_them(tmp_path: Path) -> None:
    with pytest.raises(KpiXlError) as caught:
        build_plan(_sources(tmp_path), tmp_path / "plan.xlsx", template=MIXED / "plan.yaml")
    assert caught.value.message == (
        "the data mixes currencies: EUR (meta_ads_ads.csv) and USD "
        "(google_ads_campaign_report.csv, linkedin_campaigns.csv); a EUR plan cannot add them "
        "up without exchange rates: give them with --fx USD=RATE (1 USD = RATE EUR), or "
        "choose the plan currency with --currency"
    )
    assert not (tmp_path / "plan.xlsx").exists()


def test_every_export_is_read_as_its_platform(tmp_path: Path) -> None:
    ingested = load_report(*_sources(tmp_path), grain="month")
    platforms = [r.platform for r in ingested.reports]
    assert platforms == [
        "ga4", "google_ads", "meta_ads", "linkedin", "mailchimp", "search_console"
    ]  # fmt: skip
    assert {r.platform: r.currencies for r in ingested.reports if r.currencies} == {
        "google_ads": ("USD",), "meta_ads": ("EUR",), "linkedin": ("USD",)
    }  # fmt: skip


def test_each_figure_is_the_platforms_own(plan: Path) -> None:
    wb = _values(plan)
    approx = pytest.approx
    # GA4: its key events and its session key event rate for all channels
    assert _overview(wb, "Key events") == GA4_KEY_EVENTS
    assert _overview(wb, "Key event rate") == approx(GA4_KEY_EVENT_RATE, rel=1e-12)
    assert _overview(wb, "Revenue") == approx(GA4_REVENUE, rel=1e-12)
    # Google Ads' own CPA (its Cost / conv. column: 40.00 USD), in euros
    assert _actual(wb, "Paid search", "Cost per conversion (CPA, platform)") == approx(
        ADS_CPA_EUR, rel=1e-12
    )
    assert _actual(wb, "Paid search", "Return on ad spend (ROAS, platform)") == approx(
        4200 / 2000, rel=1e-12
    )
    # Meta's own ROAS; LinkedIn reports cost but no conversion value, so it is not in it
    assert _actual(wb, "Paid social", "Return on ad spend (ROAS, platform)") == approx(
        META_ROAS, rel=1e-12
    )
    # the platforms that report both cost and leads: Meta's lead forms and LinkedIn
    cpl = (META_COST + LINKEDIN_COST_USD * USD) / (META_LEADS + LINKEDIN_LEADS)
    assert _actual(wb, "Paid social", "Cost per lead (CPL, platform)") == approx(cpl, rel=1e-12)
    # reach and frequency from Meta's summary row, the only whole-month reach
    assert _actual(wb, "Paid social", "Social media reach") == META_REACH
    assert _actual(wb, "Paid social", "Ad frequency") == approx(1.75, rel=1e-12)
    # blended: the platforms' cost over GA4's key events, labelled as such
    assert _overview(wb, "Cost per key event (blended CPA)") == approx(
        COST_EUR / GA4_KEY_EVENTS, rel=1e-12
    )
    assert _overview(wb, "Marketing spend") == approx(COST_EUR, rel=1e-12)
    # e-mail: Mailchimp's own attributed value stays a platform figure; revenue is GA4's
    assert _actual(wb, "Email", "Conversion value (platform)") == approx(MAILCHIMP_REVENUE)
    assert _actual(wb, "Email", "Revenue") == 6000
    assert _actual(wb, "Email", "Email open rate") == approx((882 + 990) / (1960 + 1980))
    # Search Console: 30 days of clicks 400..690 and impressions 10,000..12,900
    clicks, impressions = 30 * 400 + 10 * 435, 30 * 10000 + 100 * 435
    assert _actual(wb, "SEO", "Click-through rate (CTR)") == approx(clicks / impressions)
    assert _actual(wb, "SEO", "Organic traffic") == 12000  # GA4's organic search sessions
    assert _actual(wb, "SEO", "Users") == 9000  # one channel group: its users are whole


def test_users_are_never_added_across_channels(plan: Path) -> None:
    """GA4's report has users per channel group but no total: the overall figure is blank
    and the sheet says why (one person visits through several channels)."""
    wb = _values(plan)
    assert _overview(wb, "Users") in (None, "")
    assert _overview(wb, "Users", "Data note") == (
        "Users: cannot be added across channels; it needs a total for all channels"
    )


def test_no_double_counted_figure_appears_anywhere(plan: Path) -> None:
    numbers = [
        (ws.title, cell.coordinate, float(cell.value))
        for ws in _values(plan).worksheets
        for row in ws.iter_rows()
        for cell in row
        if isinstance(cell.value, int | float) and not isinstance(cell.value, bool)
    ]
    assert numbers
    for what, wrong in DOUBLE_COUNTED.items():
        found = [(s, c) for s, c, v in numbers if math.isclose(v, wrong, rel_tol=1e-9)]
        assert not found, f"{what} ({wrong}) appears at {found}"


def test_independent_engines_agree_with_every_stored_value(plan: Path, tmp_path: Path) -> None:
    mismatches = compare_cached(plan, libreoffice_recalc(plan, tmp_path / "lo"))
    assert not mismatches, "\n".join(map(str, mismatches[:10]))
    mismatches = compare_cached(plan, formualizer_recalc(plan, tmp_path / "fz.xlsx"))
    assert not mismatches, "\n".join(map(str, mismatches[:10]))


def test_a_changed_exchange_rate_recomputes_the_plan(plan: Path, tmp_path: Path) -> None:
    """The rates are inputs on Settings that the formulas read: a recipient who types a new
    rate sees every dollar figure follow (LibreOffice recalculates the plan)."""
    wb = _values(plan)
    settings = wb["Settings"]
    cell = next(row[1].coordinate for row in settings.iter_rows() if row[0].value == "1 USD =")
    assert settings[cell].value == USD
    edited = set_cell(plan, tmp_path / "edited.xlsx", "Settings", cell, 1.1)
    shutil.rmtree(tmp_path / "lo", ignore_errors=True)
    after = _values(libreoffice_recalc(edited, tmp_path / "lo"))
    assert _actual(after, "Paid search", "Cost per conversion (CPA, platform)") == (
        pytest.approx(ADS_COST_USD * 1.1 / ADS_CONVERSIONS, rel=1e-12)
    )
    cost = ADS_COST_USD * 1.1 + META_COST + LINKEDIN_COST_USD * 1.1
    assert _overview(after, "Marketing spend") == pytest.approx(cost, rel=1e-12)
    # ratios of one platform's own money do not move
    assert _actual(after, "Paid social", "Return on ad spend (ROAS, platform)") == (
        pytest.approx(META_ROAS, rel=1e-12)
    )


def test_refresh_keeps_the_exchange_rate_typed_on_settings(plan: Path, tmp_path: Path) -> None:
    from kpi_xl import refresh

    settings = _values(plan)["Settings"]
    cell = next(row[1].coordinate for row in settings.iter_rows() if row[0].value == "1 USD =")
    edited = set_cell(plan, tmp_path / "plan.xlsx", "Settings", cell, 1.1)
    refresh(edited, _sources(tmp_path), backup=False)
    after = _values(edited)
    assert after["Settings"][cell].value == 1.1
    assert _actual(after, "Paid search", "Cost per conversion (CPA, platform)") == (
        pytest.approx(ADS_COST_USD * 1.1 / ADS_CONVERSIONS, rel=1e-12)
    )


def test_the_refresh_button_writes_foreign_money_as_the_build_does(plan: Path) -> None:
    """The button rewrites PlanData: dollar amounts are formulas over the rate, as built."""
    from test_excel_refresh import FakeBook, written_rows

    from kpi_xl.excel.refresh_logic import Formula, refresh_open_workbook

    book = FakeBook(plan)
    assert refresh_open_workbook(book), book.messages
    rows = book.tables["PlanData"]
    assert rows == written_rows(plan, "PlanData")
    formulas = [v for row in rows for v in row if isinstance(v, Formula)]
    assert formulas and all(f.endswith("*kpi_Fx_USD") for f in formulas)
    assert "=2000.0*kpi_Fx_USD" in formulas  # Google Ads' cost in paid search, in dollars
