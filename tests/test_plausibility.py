"""Plausibility at the door: numbers in the wrong unit or impossible relations never pass
silently (rate columns without %, parts above their whole, targets of 600 %, and the
Targets sheet's validation)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest
import yaml
from engines import libreoffice_convert
from refresh_support import small_data

import kpi_xl
from kpi_xl.catalog.records import CatalogError, get, label, measures
from kpi_xl.catalog.relations import Relation, parse_relations, relations
from kpi_xl.errors import KpiXlError
from kpi_xl.ingest import load_report, numbers
from kpi_xl.plan.targets import load_targets
from kpi_xl.vocabulary import LANGUAGES
from kpi_xl.workbook.targets_sheet import target_error, target_rule

# -- 1. rate columns without a % sign ------------------------------------------------------

GA4_PREAMBLE = """\
# ----------------------------------------
# Traffic acquisition: Session primary channel group (Default Channel Group)
# Account: Nordic Goods
# Property: Nordic Goods - GA4
# ----------------------------------------
#
# All Users
# Start date: 20260901
# End date: 20260930
"""
GA4_HEADER = (
    "Session primary channel group (Default Channel Group),Sessions,Engaged sessions,"
    "Bounce rate,Key events\n"
)
FIRST_LINE = 11  # the first data line: 9 preamble lines, then the header


def ga4(tmp_path: Path, *rates: str) -> Path:
    """A GA4 traffic acquisition export: 200, 100 and 400 sessions with these bounce rates."""
    rows = [("Organic Search", 200, 109), ("Direct", 100, 60), ("Paid Search", 400, 396)]
    body = "".join(
        f"{group},{sessions},{engaged},{rate},1\n"
        for (group, sessions, engaged), rate in zip(rows, rates, strict=True)
    )
    path = tmp_path / "ga4_traffic.csv"
    path.write_text(GA4_PREAMBLE + GA4_HEADER + body, encoding="utf-8")
    return path


def bounces(path: Path) -> dict[str, float]:
    frame = kpi_xl.load_channel_data(path)
    return dict(zip(frame["channel"], frame["bounces"], strict=True))


# 45.5 % of 200 = 91, 40 % of 100 = 40, 0.5 % of 400 = 2: a real percent column may hold 0.5
BY_HAND = {"seo": 91.0, "direct": 40.0, "paid_search": 2.0}


def test_a_rate_column_without_percent_signs_and_values_above_1_is_read_as_percent(
    tmp_path: Path,
) -> None:
    path = ga4(tmp_path, "45.5", "40", "0.5")
    ingested = load_report(path)
    frame = ingested.frame
    assert dict(zip(frame["channel"], frame["bounces"], strict=True)) == BY_HAND
    assert frame["bounces"].sum() == 133.0  # not 4,550 + 4,000 + 200
    assert frame["sessions"].sum() == 700.0
    (report,) = ingested.reports
    assert report.warnings == [
        "column 'Bounce rate' has rates without a % sign above 1 (such as 45.5): read as "
        "percentages (45.5 = 45.5% = 0.455), since a fraction is never above 1"
    ]
    assert ingested.warnings == [f"{path}: {report.warnings[0]}"]  # names the file


def test_a_decimal_comma_rate_column_is_read_as_percent_too(tmp_path: Path) -> None:
    path = tmp_path / "ga4_semicolon.csv"
    path.write_text(
        "# Start date: 20250401\n# End date: 20250402\n"
        "Date;Session default channel group;Sessions;Bounce rate;Key events\n"
        "20250401;Paid Social;200;62,5;3\n20250401;Email;80;25;2\n20250402;Paid Social;120;50;1\n",
        encoding="utf-8",
    )
    ingested = load_report(path)
    assert ingested.frame["bounces"].tolist() == [125.0, 20.0, 60.0]  # 62.5 % of 200...
    assert ingested.reports[0].warnings == [
        "column 'Bounce rate' has rates without a % sign above 1 (such as 62,5): read as "
        "percentages (62,5 = 62,5% = 0.625), since a fraction is never above 1"
    ]


def test_fractions_and_percent_signs_keep_their_meaning_without_a_warning(
    tmp_path: Path,
) -> None:
    fractions = load_report(ga4(tmp_path, "0.455", "0.4", "0.005"))
    assert bounces(ga4(tmp_path, "0.455", "0.4", "0.005")) == BY_HAND
    assert fractions.reports[0].warnings == []
    signed = load_report(ga4(tmp_path, "45.5%", "40%", "0.5%"))
    assert bounces(ga4(tmp_path, "45.5%", "40%", "0.5%")) == BY_HAND
    assert signed.reports[0].warnings == []


def test_a_column_of_values_at_most_1_stays_fractions(tmp_path: Path) -> None:
    """0.5 and 1 could be 0.5 % and 1 %, or 50 % and 100 %: every platform writes a rate
    without % as a fraction, so that is the reading kept."""
    ingested = load_report(ga4(tmp_path, "0.5", "1", "0"))
    assert dict(zip(ingested.frame["channel"], ingested.frame["bounces"], strict=True)) == {
        "seo": 100.0,
        "direct": 100.0,
        "paid_search": 0.0,
    }
    assert ingested.reports[0].warnings == []


@pytest.mark.parametrize(
    ("rates", "line", "message"),
    [
        (
            ("45.5", "4550", "1"),
            FIRST_LINE + 1,
            "'4550' is above 100 %: expected a rate such as 0.455 or 45.5%",
        ),
        (
            ("45.5", "40", "-5"),
            FIRST_LINE + 2,
            "'-5' is negative: expected a rate such as 0.455 or 45.5%",
        ),
        (
            ("120%", "40%", "1%"),
            FIRST_LINE,
            "'120%' is above 100 %: expected a rate such as 0.455 or 45.5%",
        ),
    ],
)
def test_a_rate_that_is_no_share_in_either_unit_is_an_error(
    tmp_path: Path, rates: tuple[str, ...], line: int, message: str
) -> None:
    path = ga4(tmp_path, *rates)
    with pytest.raises(KpiXlError) as err:
        kpi_xl.load_channel_data(path)
    assert err.value.message == message
    assert (err.value.file, err.value.line, err.value.column) == (str(path), line, "Bounce rate")
    assert "\n" not in str(err.value)


def test_rate_fractions_reads_each_column_by_its_values() -> None:
    raw = pd.Series(["0.5", "45", "", "12%"], dtype=object)
    parsed, bad = numbers.parse(raw, decimal=".", percent=True)
    assert not bad.any()
    read = numbers.rate_fractions(raw, parsed)
    assert read.percent and read.example == 1 and read.bad is None
    np.testing.assert_allclose(read.values, [0.005, 0.45, np.nan, 0.12])
    typed = pd.Series([0.455, 0.4])  # numbers from a spreadsheet: fractions stay
    kept = numbers.rate_fractions(typed, typed.to_numpy())
    assert not kept.percent
    np.testing.assert_allclose(kept.values, [0.455, 0.4])


# -- 2. impossible relations ----------------------------------------------------------------


def test_relations_are_declared_in_the_catalog() -> None:
    declared = {(r.part, r.whole) for r in relations()}
    assert ("bounces", "sessions") in declared
    assert ("unique_opens", "emails_delivered") in declared
    assert ("key_event_sessions", "sessions") in declared
    assert ("csat_satisfied", "csat_responses") in declared
    assert ("clicks", "impressions") not in declared  # Google Ads: clicks may exceed it
    assert all(r.part in measures() and r.whole in measures() for r in relations())
    assert all(isinstance(r, Relation) and r.note for r in relations())
    with pytest.raises(AttributeError):
        relations()[0].part = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([{"part": "bounce", "whole": "sessions", "note": "n"}], "part 'bounce' is not"),
        ([{"part": "bounces", "whole": "visits", "note": "n"}], "whole 'visits' is not"),
        ([{"part": "bounces", "whole": "sessions"}], "expected exactly the keys"),
        ([{"part": "bounces", "whole": "bounces", "note": "n"}], "part and whole are both"),
        ({"bounces": "sessions"}, "expected a list"),
    ],
)
def test_a_bad_relation_is_a_catalog_error(data: Any, message: str) -> None:
    with pytest.raises(CatalogError, match=message):
        parse_relations(data)


def canonical(**measures_: list[float]) -> pd.DataFrame:
    n = len(next(iter(measures_.values())))
    days = pd.date_range("2026-03-01", periods=n, freq="D")
    return pd.DataFrame({"date": days, "channel": "seo", "source": "ga4", **measures_})


def test_a_canonical_frame_with_more_bounces_than_sessions_is_refused() -> None:
    frame = canonical(sessions=[100.0, 100.0, 80.0], bounces=[40.0, 120.0, 90.0])
    with pytest.raises(KpiXlError) as err:
        kpi_xl.load_channel_data(frame)
    assert err.value.message == (
        "bounces (120) exceed sessions (100) on the same row: a rate read in the wrong "
        "unit? expected bounces <= sessions"
    )
    assert (err.value.file, err.value.line, err.value.column) == ("<DataFrame>", 2, "bounces")


def test_a_canonical_file_names_the_line_of_the_broken_relation(tmp_path: Path) -> None:
    path = tmp_path / "email.csv"
    path.write_text(
        "date,channel,source,emails_sent,emails_delivered,unique_opens\n"
        "2026-03-01,email,mailchimp,1000,990,300\n"
        "2026-03-02,email,mailchimp,1000,980,1200.5\n",
        encoding="utf-8",
    )
    with pytest.raises(KpiXlError) as err:
        kpi_xl.load_channel_data(path)
    assert str(err.value) == (
        f"{path}, line 3, column 'unique_opens': unique_opens (1200.5) exceed "
        "emails_delivered (980) on the same row: a rate read in the wrong unit? expected "
        "unique_opens <= emails_delivered"
    )


def test_rounding_slack_and_values_not_reported_pass() -> None:
    frame = canonical(
        sessions=[100.0, np.nan, 50.0],
        bounces=[100.5, 30.0, np.nan],  # a rate turned into a count: half a unit of slack
        engaged_sessions=[0.0, 30.0, 50.0],
    )
    out = kpi_xl.load_channel_data(frame)
    assert out["bounces"].tolist()[0] == 100.5 and len(out) == 3
    with pytest.raises(KpiXlError, match=r"bounces \(100.51\) exceed sessions \(100\)"):
        kpi_xl.load_channel_data(canonical(sessions=[100.0], bounces=[100.51]))


# -- 3. the targets file ------------------------------------------------------------------

HEADER = "kpi_id,channel,period,target\n"


def targets(tmp_path: Path, text: str, name: str = "targets.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def refused(path: Path) -> KpiXlError:
    with pytest.raises(KpiXlError) as err:
        load_targets(path)
    return err.value


def test_targets_are_read_by_the_export_number_parser(tmp_path: Path) -> None:
    point = targets(
        tmp_path,
        HEADER + 'revenue,all,2026-01,"1,200"\n'
        'revenue,all,2026-02,"1,234.5"\n'
        "email_open_rate,email,2026-01,6 %\n"
        "email_open_rate,email,2026-02,0.06\n"
        "roi,all,2026-01,-5%\n",
    )
    assert load_targets(point) == {
        ("revenue", "all", "2026-01"): 1200.0,
        ("revenue", "all", "2026-02"): 1234.5,
        ("email_open_rate", "email", "2026-01"): 0.06,
        ("email_open_rate", "email", "2026-02"): 0.06,
        ("roi", "all", "2026-01"): -0.05,
    }
    comma = targets(
        tmp_path,
        HEADER + 'email_open_rate,email,2026-01,"0,06"\nrevenue,all,2026-01,1.200\n'
        'revenue,all,2026-02,"1.234,5"\n',
        "comma.csv",
    )
    assert load_targets(comma) == {  # 0,06 shows the decimal comma: 1.200 is 1200
        ("email_open_rate", "email", "2026-01"): 0.06,
        ("revenue", "all", "2026-01"): 1200.0,
        ("revenue", "all", "2026-02"): 1234.5,
    }
    yml = targets(
        tmp_path,
        "- {kpi_id: email_open_rate, channel: email, period: '2026-01', target: '0,06'}\n"
        "- {kpi_id: email_open_rate, channel: email, period: '2026-02', target: 6 %}\n"
        "- {kpi_id: email_open_rate, channel: email, period: '2026-03', target: 0.06}\n"
        "- {kpi_id: revenue, channel: all, period: '2026-01', target: '1 200'}\n",
        "targets.yaml",
    )
    assert load_targets(yml) == {
        ("email_open_rate", "email", "2026-01"): 0.06,
        ("email_open_rate", "email", "2026-02"): 0.06,
        ("email_open_rate", "email", "2026-03"): 0.06,
        ("revenue", "all", "2026-01"): 1200.0,
    }


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            "email_open_rate,email,2026-03,6",
            "target 6 for email_open_rate is 600 %: write 6% or 0.06",
        ),
        (
            'email_open_rate,email,2026-03,"45,5"',
            "target 45,5 for email_open_rate is 4550 %: write 45.5% or 0.455",
        ),
        (
            "email_open_rate,email,2026-03,120%",
            "target 120% for email_open_rate is above 100 %: a share is 0% to 100% (0 to 1)",
        ),
        ("revenue,all,2026-03,-100", "target -100 for revenue is negative: expected 0 or more"),
        (
            "revenue,all,2026-03,12%",
            "target 12% for revenue has a % sign, but revenue is not a percentage (its unit "
            "is currency): write a plain number",
        ),
        (
            "revenue,all,2026-03,lots",
            "'lots' is not a number: expected a number such as 1200, 1,200.5, 0.06 or 6%",
        ),
    ],
)
def test_implausible_targets_name_file_line_and_column(
    tmp_path: Path, row: str, message: str
) -> None:
    path = targets(tmp_path, HEADER + "revenue,all,2026-01,1000\n" + row + "\n")
    err = refused(path)
    assert err.message == message
    assert (err.file, err.line, err.column) == (str(path), 3, "target")


def test_a_yaml_target_names_the_line_it_is_on(tmp_path: Path) -> None:
    path = targets(
        tmp_path,
        "- kpi_id: revenue\n  channel: all\n  period: '2026-01'\n  target: 1000\n"
        "- kpi_id: email_open_rate\n  channel: email\n  period: '2026-01'\n  target: 6\n",
        "targets.yaml",
    )
    err = refused(path)
    assert err.message == "target 6 for email_open_rate is 600 %: write 6% or 0.06"
    assert (err.line, err.column) == (8, "target")


def test_a_changing_kpi_takes_negative_targets_and_targets_above_100_percent(
    tmp_path: Path,
) -> None:
    assert get("roi").allows_negative and not get("roi").is_bounded_rate
    path = targets(tmp_path, HEADER + "roi,all,2026-01,150%\nroi,all,2026-02,-0.2\n")
    assert load_targets(path) == {("roi", "all", "2026-01"): 1.5, ("roi", "all", "2026-02"): -0.2}


# -- 4. the Targets sheet's validation ------------------------------------------------------

TEXTS = ("target_error_share", "target_error_non_negative", "target_error_change")


def test_the_validation_texts_fit_excel_in_every_language() -> None:
    for lang in LANGUAGES:
        assert len(label("target", lang)) <= 32  # the error title
        for key in TEXTS:
            assert 0 < len(label(key, lang)) <= 255
    assert label("target_error_share") == "Type a share between 0% and 100% (12% or 0.12)."
    assert label("target_error_non_negative") == "Type a number of 0 or more."


def test_each_kind_of_kpi_gets_its_rule() -> None:
    share, money, change = get("email_open_rate"), get("revenue"), get("roi")
    assert target_rule(share) == {
        "validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 1,
    }  # fmt: skip
    assert target_rule(money) == {"validate": "decimal", "criteria": ">=", "value": 0}
    assert target_rule(change)["criteria"] == ">=" and target_rule(change)["value"] <= -1e12
    assert [target_error(k) for k in (share, money, change)] == list(TEXTS)


@pytest.fixture(scope="module")
def small_plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A plan of KPIs whose ids are stable: a share, a currency KPI and a change (sales
    growth: it may be negative)."""
    folder = tmp_path_factory.mktemp("plausible-plan")
    template = folder / "small.yaml"
    template.write_text(
        yaml.safe_dump(
            {
                "name": "small",
                "title": "Small plan",
                "overall": ["revenue", "sales_growth"],
                "channels": {"email": ["email_open_rate", "revenue"]},
            }
        ),
        encoding="utf-8",
    )
    return kpi_xl.build_plan(small_data(), folder / "plan.xlsx", template=template)


def validations(path: Path) -> dict[str, list[dict[str, Any]]]:
    """Each Targets row's validations by its key (``kpi_id|scope``), as stored in the xlsx,
    left to right."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        book = openpyxl.load_workbook(path)
    sheet = next(ws for ws in book.worksheets if ws.title == label("sheet_targets"))
    keys: dict[int, str] = {}
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.count("|") == 1:
                keys[cell.row] = cell.value
    out: dict[str, list[dict[str, Any]]] = {}
    for rule in sheet.data_validations.dataValidation:
        for cells in rule.sqref.ranges:
            key = keys.get(cells.min_row)
            if key is not None:
                out.setdefault(key, []).append(
                    {
                        "type": rule.type,
                        "operator": rule.operator or "between",
                        "formula1": rule.formula1,
                        "formula2": rule.formula2,
                        "error": rule.error,
                        "error_title": rule.errorTitle,
                        "columns": (cells.min_col, cells.max_col),
                    }
                )
    return {key: sorted(rules, key=lambda r: r["columns"]) for key, rules in out.items()}


def check_bounds(found: dict[str, list[dict[str, Any]]]) -> None:
    """Months before the data's month are closed (a custom rule: only while Settings unlock
    them); the open months share one rule; the annual column has the open months' rule."""
    (closed_share, share, annual_share) = found["email_open_rate|email"]
    money = found["revenue|all"][1]
    changes = [v[1] for k, v in found.items() if get(k.split("|")[0]).allows_negative]
    assert changes  # sales growth
    assert (share["type"], share["operator"]) == ("decimal", "between")
    assert (float(share["formula1"]), float(share["formula2"])) == (0.0, 1.0)
    assert share["error"] == "Type a share between 0% and 100% (12% or 0.12)."
    assert (money["type"], money["operator"]) == ("decimal", "greaterThanOrEqual")
    assert float(money["formula1"]) == 0.0
    assert money["error"] == "Type a number of 0 or more."
    for change in changes:
        assert change["operator"] == "greaterThanOrEqual" and float(change["formula1"]) <= -1e12
        assert change["error"] == label("target_error_change")
    assert {v["error_title"] for rules in found.values() for v in rules} == {"Target"}
    # the data (small_data) run to 15 April: January to March are closed
    assert closed_share["columns"][1] - closed_share["columns"][0] == 2
    assert share["columns"][0] == closed_share["columns"][1] + 1
    assert share["columns"][1] - closed_share["columns"][0] == 11  # the twelve months
    assert closed_share["type"] == "custom" and "kpi_UnlockTargets" in closed_share["formula1"]
    assert closed_share["error"] == label("target_locked")
    assert annual_share["columns"][0] > share["columns"][1]
    assert (annual_share["formula1"], annual_share["formula2"]) == (
        share["formula1"],
        share["formula2"],
    )


def test_targets_sheet_bounds_shares_to_0_to_100_percent(small_plan: Path) -> None:
    check_bounds(validations(small_plan))


@pytest.mark.libreoffice
def test_libreoffice_reads_the_same_bounds(small_plan: Path, tmp_path: Path) -> None:
    """LibreOffice reads each rule into its own model and writes it back unchanged."""
    check_bounds(validations(libreoffice_convert(small_plan, tmp_path)))
