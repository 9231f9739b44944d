"""A month the data is still inside, judged on its pace: known answers for every kind of KPI.

The data are made by hand, with the same figure every day of a month so that every
expected number below is arithmetic on the page (10 of October's 31 days are in). The
targets file types October's targets. The plan must give these answers in Python, in the
values the workbook stores, and in LibreOffice's and formualizer's recalculation of it,
also after a reader turns the Overview's period selector to September.
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

from kpi_xl.catalog import status_label
from kpi_xl.catalog.records import get
from kpi_xl.pipeline import build_plan, plan_model
from kpi_xl.plan.judgement import Figures, figures, selection
from kpi_xl.plan.layout import ChannelLayout, PlanLayout
from kpi_xl.plan.model import ALL, PlanModel
from kpi_xl.plan.planfile import read_meta
from kpi_xl.plan.spec import load_template
from kpi_xl.plan.targets import load_targets

#: Per month: the same figures every day (levels: the value on day d is base + step x d).
COLUMNS = ("revenue", "sessions", "kes", "churned", "customers", "new", "followers", "cost",
           "delivered", "unsubscribes", "leads")  # fmt: skip
DAILY: dict[str, dict[str, Any]] = {
    month: dict(zip(COLUMNS, values, strict=True))
    for month, values in {
        "2025-09": (800, 1000, 30, 1, 1000, 2, (4000, 1), 100, 200, 1, math.nan),
        "2025-10": (900, 1000, 30, 1, 1000, 2, (4030, 1), 100, 200, 1, math.nan),
        "2026-08": (1000, 1200, 36, 2, 1200, 2, (4700, 10), 150, 300, 1, math.nan),
        "2026-09": (1000, 1200, 36, 2, 1200, 2, (5000, 10), 150, 300, 1, math.nan),
        "2026-10": (1200, 1100, 44, 3, 1180, 0, (5300, 12), 160, 300, 2, 5),
    }.items()
}
DAYS = {"2025-09": 30, "2025-10": 31, "2026-08": 31, "2026-09": 30, "2026-10": 10}
#: October's first two days bring one new customer each: 2 in all, under CAC's minimum of 5.
OCTOBER_NEW_CUSTOMERS = {1: 1, 2: 1}

TEMPLATE = {
    "name": "kinds",
    "title": "Every kind of KPI",
    "grain": "month",
    "currency": "EUR",
    "overall": [
        "revenue", "churn_rate", "key_event_rate", "sales_growth", "marketing_spend",
        "leads", "cac",
    ],
    "channels": {"organic_social": ["followers"], "email": ["unsubscribe_rate"]},
}  # fmt: skip
TARGETS = [  # October 2026, typed
    ("revenue", "all", 36000), ("churn_rate", "all", 0.06), ("key_event_rate", "all", 0.035),
    ("sales_growth", "all", 0.15), ("marketing_spend", "all", 5000), ("cac", "all", 50),
    ("followers", "organic_social", 5650), ("unsubscribe_rate", "email", 0),
]  # fmt: skip

W = 10 / 31  # October's share elapsed
F = 31 / 10  # its pace factor


def _rows() -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    for month, d in DAILY.items():
        for day in range(1, DAYS[month] + 1):
            date = pd.Timestamp(f"{month}-{day:02d}")
            base, step = d["followers"]
            new = OCTOBER_NEW_CUSTOMERS.get(day, 0) if month == "2026-10" else d["new"]
            site = {
                "revenue": d["revenue"], "sessions": d["sessions"],
                "key_event_sessions": d["kes"], "churned_customers": d["churned"],
                "customers": d["customers"], "new_customers": new,
                "leads": d["leads"],
            }  # fmt: skip
            rows += [
                {"date": date, "channel": "direct", **site},
                {"date": date, "channel": "organic_social", "followers": base + step * day},
                {"date": date, "channel": "paid_social", "cost": d["cost"]},
                {"date": date, "channel": "email", "emails_delivered": d["delivered"],
                 "unsubscribes": d["unsubscribes"]},
            ]  # fmt: skip
    frame = pd.DataFrame(rows)
    return frame.assign(source="shop", campaign="", segment="", currency="EUR")


# -- the answers, by hand -------------------------------------------------------------------
# name: (scope, actual, target, attainment, status, previous, change, last year, vs last year)
EXPECTED: dict[str, tuple[Any, ...]] = {
    # flow, higher is better: 10 x 1,200 so far, on pace for 37,200 > 36,000
    "revenue": ("all", 12000, 36000, 12000 * F / 36000, "on_track",
                10 * 1000, 12000 / 10000 - 1, 10 * 900, 12000 / 9000 - 1),
    # flow, lower is better: 30 lost of September's 1,200 customers; pace 7.75 % > 6 %
    "churn_rate": ("all", 30 / 1200, 0.06, 0.06 / (30 / 1200 * F), "off_track",
                   20 / 1200, 30 / 1200 - 20 / 1200, 10 / 1000, 30 / 1200 - 10 / 1000),
    # ratio: 440 / 11,000 = 4 % against 3.5 %; changes in percentage points
    "key_event_rate": ("all", 0.04, 0.035, 0.04 / 0.035, "on_track",
                       360 / 12000, 0.04 - 0.03, 300 / 10000, 0.04 - 0.03),
    # growth, like for like: 1-10 Oct against 1-10 Sep, +20 % against +15 %
    "sales_growth": ("all", 12000 / 10000 - 1, 0.15, 1.2 / 1.15, "on_track",
                     30000 / 31000 - 1, 0.2 - (30000 / 31000 - 1),
                     27900 / 24000 - 1, 0.2 - (27900 / 24000 - 1)),
    # budget: 1,600 spent, on pace for 4,960 of 5,000 (within 5 %)
    "marketing_spend": ("all", 1600, 5000, 1600 * F / 5000, "on_track",
                        1500, 1600 / 1500 - 1, 1000, 1600 / 1000 - 1),
    # no target: leads began in October, no history to suggest one from
    "leads": ("all", 50, math.nan, math.nan, "no_target",
              math.nan, math.nan, math.nan, math.nan),
    # too early: 2 new customers so far, under CAC's minimum base of 5
    "cac": ("all", 1600 / 2, 50, 50 / 800, "too_early",
            1500 / 20, 800 / 75 - 1, 1000 / 20, 800 / 50 - 1),
    # stock: 5,420 followers against the path 5,300 -> 5,650 at 10/31 of the way
    "followers": ("organic_social", 5420, 5650, 5420 / (5300 + 350 * W), "on_track",
                  5100, 5420 / 5100 - 1, 4040, 5420 / 4040 - 1),
    # zero target, lower is better: any unsubscribe misses it
    "unsubscribe_rate": ("email", 20 / 3000, 0.0, 0.0, "off_track",
                         10 / 3000, 20 / 3000 - 10 / 3000, 10 / 2000, 20 / 3000 - 10 / 2000),
}  # fmt: skip
FIELDS = ("actual", "target", "attainment", "status", "previous", "change", "last_year",
          "vs_last_year")  # fmt: skip


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, PlanModel]:
    folder = tmp_path_factory.mktemp("kinds")
    template = folder / "kinds.yaml"
    template.write_text(yaml.safe_dump(TEMPLATE), encoding="utf-8")
    targets = folder / "targets.csv"
    targets.write_text(
        "kpi_id,channel,period,target\n" + "".join(f"{k},{s},2026-10,{v}\n" for k, s, v in TARGETS),
        encoding="utf-8",
    )
    frame = _rows()
    plan = build_plan(frame, folder / "plan.xlsx", template=template, year=2026, targets=targets)
    spec = load_template(template).with_choices(year=2026)
    model = plan_model(frame, spec, targets=load_targets(targets))
    return plan, model


def _close(a: float, b: float) -> bool:
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def test_python_gives_the_hand_computed_answers(built: tuple[Path, PlanModel]) -> None:
    _, model = built
    sel = selection(model)
    assert (sel.period, sel.elapsed, sel.total, sel.previous, sel.last_year) == (
        "2026-10",
        10,
        31,
        "2026-09",
        "2025-10",
    )
    for kpi_id, (scope, *expected) in EXPECTED.items():
        got = figures(model, get(kpi_id), scope, sel)
        for field, want in zip(FIELDS, expected, strict=True):
            value = getattr(got, field)
            ok = value == want if field == "status" else _close(float(value), float(want))
            assert ok, f"{kpi_id} {field}: {value!r}, expected {want!r}"
        assert not got.projected and not got.projected_last_year, kpi_id  # daily data


# -- the workbook ---------------------------------------------------------------------------


def _values(path: Path) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return openpyxl.load_workbook(path, data_only=True)


HEADERS = {
    "actual": "Actual", "target": "Target", "attainment": "Attainment", "status": "Status",
    "previous": "Previous period, same days", "change": "Change, same days",
    "last_year": "Last year, same days", "vs_last_year": "vs last year",
    "pace": "Pace to period end", "progress": "Progress vs full target",
    "ytd_actual": "Year to date", "ytd_target": "Year-to-date target",
    "fy_target": "Full-year target", "gap": "Gap to target",
}  # fmt: skip


def _overview(wb: Any) -> dict[str, dict[str, Any]]:
    """The Overview's KPI rows as stored: {kpi name: {column key: value}}."""
    rows = list(wb["Overview"].iter_rows(values_only=True))
    h = next(i for i, r in enumerate(rows) if r[0] == "KPI")
    cols = {key: rows[h].index(text) for key, text in HEADERS.items()}
    out = {}
    for row in rows[h + 1 :]:
        if row[0] is None:
            break
        out[row[0]] = {key: row[c] for key, c in cols.items()}
    return out


def _layout(path: Path) -> PlanLayout:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return read_meta(openpyxl.load_workbook(path, read_only=True), path).layout


def _channel_row(wb: Any, layout: ChannelLayout, kpi_id: str, period: str) -> dict[str, Any]:
    """A channel sheet's actual, target, attainment and status of ``period`` for a KPI
    (the sheet's hidden key row says which column holds the period)."""
    ws = wb[layout.sheet]
    keys = [c.value for c in ws[layout.key_row + 1]]
    col = keys.index(period) + 1
    rows = layout.rows[kpi_id]
    return {key: ws.cell(getattr(rows, key) + 1, col).value
            for key in ("actual", "target", "attainment", "status")}  # fmt: skip


def _stored(value: Any) -> float:
    return math.nan if value in (None, "") else float(value)


#: Percentages whose changes the Overview shows in percentage points (x 100: +0.8 pp).
POINTS = {"churn_rate", "key_event_rate", "sales_growth", "unsubscribe_rate"}


def _shown(kpi_id: str, field: str, value: float) -> float:
    """A figure as the Overview stores it: changes of percentages in points."""
    scaled = kpi_id in POINTS and field in ("change", "vs_last_year", "gap")
    return value * 100 if scaled else value


def test_the_workbook_stores_the_same_answers(built: tuple[Path, PlanModel]) -> None:
    plan, _ = built
    wb, layout = _values(plan), _layout(plan)
    overview = _overview(wb)
    for kpi_id, (scope, *expected) in EXPECTED.items():
        want = dict(zip(FIELDS, expected, strict=True))
        if scope == ALL:
            row = overview[get(kpi_id).name("en")]
            assert row["status"] == status_label(want["status"], "en"), kpi_id
            for field in FIELDS:
                if field != "status":
                    expected_value = _shown(kpi_id, field, float(want[field]))
                    assert _close(_stored(row[field]), expected_value), (kpi_id, field)
        else:
            row = _channel_row(wb, layout.channels[scope], kpi_id, "2026-10")
            for field in ("actual", "target", "attainment"):
                assert _close(_stored(row[field]), float(want[field])), (kpi_id, field)
            assert row["status"] == status_label(want["status"], "en"), kpi_id
    revenue = overview["Revenue"]
    assert _close(revenue["pace"], 37200) and _close(revenue["progress"], 12000 / 36000)
    assert _close(revenue["gap"], 37200 - 36000)  # on pace for 1,200 more than the target
    assert _close(overview["Churn rate"]["gap"], (30 / 1200 * F - 0.06) * 100)  # points
    selector = layout.overview.info["selected"]
    assert wb[selector.sheet].cell(selector.row + 1, selector.col + 1).value == "Latest period"


def test_engines_recompute_every_cell_alike(built: tuple[Path, PlanModel], tmp_path: Path) -> None:
    plan, _ = built
    recomputed = libreoffice_recalc(plan, tmp_path / "lo")
    assert not compare_cached(plan, recomputed)
    assert not compare_cached(plan, formualizer_recalc(plan, tmp_path / "fz.xlsx"))


def _python_row(model: PlanModel, kpi_id: str, period: str) -> Figures:
    return figures(model, get(kpi_id), ALL, selection(model, period))


@pytest.mark.libreoffice
def test_selecting_september_recomputes_to_what_python_says(
    built: tuple[Path, PlanModel], tmp_path: Path
) -> None:
    """A reader picks September in the selector of a copy: both engines recompute every
    Overview figure to Python's figures for a finished September."""
    plan, model = built
    ov = _layout(plan).overview
    selector, current = ov.info["selected"], ov.info["current_period"]
    copy = set_cell(plan, tmp_path / "september.xlsx", selector.sheet, selector.a1, "2026-09")
    for engine in ("libreoffice", "formualizer"):
        if engine == "libreoffice":
            out = libreoffice_recalc(copy, tmp_path / "lo")
        else:
            out = formualizer_recalc(copy, tmp_path / "fz.xlsx")
        wb = _values(out)
        assert wb[current.sheet].cell(current.row + 1, current.col + 1).value == "2026-09"
        overview = _overview(wb)
        for kpi_id in TEMPLATE["overall"]:
            want = _python_row(model, kpi_id, "2026-09")
            row = overview[get(kpi_id).name("en")]
            assert row["status"] == status_label(want.status, "en"), (engine, kpi_id)
            for field in HEADERS:
                if field == "status":
                    continue
                got, expected = _stored(row[field]), _shown(kpi_id, field, getattr(want, field))
                assert _close(got, expected), (engine, kpi_id, field, got, expected)
    # September is whole: revenue 30 x 1,000 against August's 31 x 1,000
    september = _python_row(model, "revenue", "2026-09")
    assert (september.actual, september.previous) == (30000, 31000)
    assert _close(september.change, 30000 / 31000 - 1)


# -- the demo: 20 of October's 31 days ------------------------------------------------------


def _daily_sum(sample: pd.DataFrame, measure: str, first: str, last: str) -> float:
    """A measure summed by hand over the sample's daily channel rows from ``first`` to
    ``last`` (the whole-period total rows, channel "all", left out)."""
    daily = sample[(sample["date_from"] == sample["date_to"]) & (sample["channel"] != "all")]
    days = daily[(daily["date_from"] >= first) & (daily["date_from"] <= last)]
    return float(days[measure].sum())


def test_demo_changes_are_like_for_like(demo_plan: Any, sample: pd.DataFrame) -> None:
    """Sessions' change compares 1-20 October with 1-20 September; sales growth is the
    growth of those same days, judged as (1 + growth) / (1 + target)."""
    overview = _overview(_values(demo_plan("ecommerce", "en")))
    sessions, growth = overview["Sessions"], overview["Sales growth"]
    now = _daily_sum(sample, "sessions", "2026-10-01", "2026-10-20")
    then = _daily_sum(sample, "sessions", "2026-09-01", "2026-09-20")
    assert _close(sessions["actual"], now) and _close(sessions["previous"], then)
    assert _close(sessions["change"], now / then - 1)
    revenue = [_daily_sum(sample, "revenue", f"2026-{m}-01", f"2026-{m}-20") for m in ("09", "10")]
    assert _close(growth["actual"], revenue[1] / revenue[0] - 1)
    assert _close(growth["attainment"], (1 + growth["actual"]) / (1 + growth["target"]))
    assert 0.8 < growth["attainment"] < 1.2


def test_demo_revenue_on_pace_for_its_target_is_on_track(
    sample: pd.DataFrame, tmp_path: Path
) -> None:
    """Revenue so far is below its target, but its pace beats it: on track."""
    typed = {("revenue", "all", "2026-10"): 250_000.0}
    plan = build_plan(sample, tmp_path / "plan.xlsx", targets=typed)
    revenue = _overview(_values(plan))["Revenue"]
    so_far = _daily_sum(sample, "revenue", "2026-10-01", "2026-10-20")
    assert _close(revenue["actual"], so_far) and so_far < 250_000 < so_far * 31 / 20
    assert _close(revenue["pace"], so_far * 31 / 20)
    assert _close(revenue["attainment"], so_far * 31 / 20 / 250_000)
    assert revenue["status"] == "✓ On track"
    assert _close(revenue["progress"], so_far / 250_000)
