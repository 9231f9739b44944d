"""HubSpot contacts and deals exports, counted record by record; every expected number is
worked out by hand from the fixtures' rows (tests/fixtures/exports/hubspot_*.csv)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from kpi_xl.errors import KpiXlError
from kpi_xl.ingest import detect_format, load_channel_data, load_report

EXPORTS = Path(__file__).parent / "fixtures" / "exports"
CONTACTS = EXPORTS / "hubspot_contacts.csv"
DEALS = EXPORTS / "hubspot_deals.csv"
DEALS_HEADER = '"Record ID","Deal Name","Deal Stage","Close Date","Amount"'


def day(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


def write(tmp_path: Path, text: str, name: str = "hubspot-crm-exports-view.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def refusal(path: Path) -> KpiXlError:
    with pytest.raises(KpiXlError) as err:
        load_channel_data(path)
    return err.value


def test_contacts_count_leads_by_create_day_and_customers_by_their_day() -> None:
    ingested = load_report(CONTACTS)
    frame = ingested.frame
    (report,) = ingested.reports
    assert (report.platform, report.title, report.granularity) == (
        "hubspot_contacts", "HubSpot contacts", "daily"
    )  # fmt: skip
    assert (str(report.start), str(report.end)) == ("2025-03-04", "2025-03-06")
    assert report.rows == 7
    assert set(frame["source"]) == {"hubspot_contacts"}
    assert set(frame["campaign"]) == {""} and set(frame["currency"]) == {""}
    assert (frame["date_from"] == frame["date_to"]).all()
    rows = list(zip(
        frame["date_from"].dt.strftime("%Y-%m-%d"), frame["channel"], frame["segment"],
        frame["leads"], frame["new_customers"], strict=True,
    ))  # fmt: skip
    assert rows == [
        ("2025-03-04", "paid_search", "Paid search", 1, 0),  # 102
        # 101 "Organic Search" and 103 "Organic search" (created 23:59: still the 4th)
        ("2025-03-04", "seo", "Organic search", 1 + 1, 0),
        ("2025-03-05", "email", "Email marketing", 1, 0),  # 104
        ("2025-03-05", "organic_social", "Organic social", 1, 0),  # 106 "Social Media"
        ("2025-03-05", "other", "Offline sources", 1, 0),  # 105
        ("2025-03-06", "other", "", 1, 0),  # 107, no Original Source
        ("2025-03-06", "seo", "Organic search", 0, 1),  # 103 became a customer on the 6th
    ]
    assert frame["leads"].sum() == 7  # one per contact row
    assert frame["new_customers"].sum() == 1  # 103, the one Became a Customer Date
    assert detect_format(CONTACTS) == "hubspot_contacts"


def test_deals_count_won_deals_and_their_amounts_on_the_close_day() -> None:
    ingested = load_report(DEALS)
    frame = ingested.frame
    (report,) = ingested.reports
    assert (report.platform, report.title, report.granularity) == (
        "hubspot_deals", "HubSpot deals", "daily"
    )  # fmt: skip
    assert (str(report.start), str(report.end)) == ("2025-03-04", "2025-03-06")
    # 9003 Closed Lost, 9004 Appointment Scheduled, 9006 Contract Sent
    assert report.notes == ["3 open or lost deals not counted"]
    rows = list(zip(
        frame["date_from"].dt.strftime("%Y-%m-%d"), frame["date_to"].dt.strftime("%Y-%m-%d"),
        frame["channel"], frame["segment"], frame["deals_won"], frame["deal_value"], strict=True,
    ))  # fmt: skip
    assert rows == [
        ("2025-03-04", "2025-03-04", "paid_search", "Paid search", 1, 1250.50),  # 9002
        ("2025-03-04", "2025-03-04", "seo", "Organic search", 1, 25000),  # 9001
        ("2025-03-06", "2025-03-06", "email", "Email marketing", 1, 3000),  # 9005
    ]
    assert frame["deals_won"].sum() == 1 + 1 + 1
    assert frame["deal_value"].sum() == 25000 + 1250.50 + 3000
    assert set(frame["currency"]) == {"EUR"}
    assert set(frame["campaign"]) == {""}
    assert set(frame["source"]) == {"hubspot_deals"}
    assert detect_format(DEALS) == "hubspot_deals"


def test_daily_counts_pass_a_monthly_plan() -> None:
    frame = load_channel_data(CONTACTS, DEALS, grain="month")
    assert len(frame) == 7 + 3


def test_is_closed_won_decides_and_no_source_column_gives_channel_all(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '"Deal ID","Deal Name","Deal Stage","Close Date","Amount","Is Closed Won"\n'
        '"1","A","Signed (won)","2025-04-01 10:00","100","true"\n'
        '"2","B","Closed Won","2025-04-01 11:00","250.5","true"\n'
        '"3","C","Lost to competitor","2025-04-02 09:00","900","false"\n'
        '"4","D","Signed (won)","2025-04-03","40","True"\n',
    )
    ingested = load_report(path)
    frame = ingested.frame
    assert frame["date_from"].tolist() == [day("2025-04-01"), day("2025-04-03")]
    assert frame["deals_won"].tolist() == [1 + 1, 1]
    assert frame["deal_value"].tolist() == [100 + 250.5, 40]
    assert set(frame["channel"]) == {"all"} and set(frame["segment"]) == {""}
    assert set(frame["currency"]) == {""}
    assert ingested.reports[0].notes == [
        "1 open or lost deals not counted",
        "no 'Original Source Type' column: deals are not split by channel",
    ]


def test_a_pipeline_without_a_closed_won_stage_counts_nothing_and_says_why(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        DEALS_HEADER + '\n"1","A","#09 WON","2025-04-01 10:00","100"\n'
        '"2","B","Qualified","2025-04-30 00:00","50"\n',
    )
    ingested = load_report(path)
    assert ingested.frame.empty
    assert ingested.reports[0].notes == [
        "2 open or lost deals not counted",
        "no won deal: a deal counts when its Deal Stage is 'Closed won', or with an "
        "'Is Closed Won' column (pipelines with their own won stage) when that is true",
    ]


def test_won_deals_in_two_currencies_are_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        DEALS_HEADER + ',"Currency"\n'
        '"1","A","Closed Won","2025-04-01 10:00","100","EUR"\n'
        '"2","B","Closed Lost","2025-04-01 10:00","100","SEK"\n'
        '"3","C","Closed Won","2025-04-02 10:00","100","USD"\n',
    )
    err = refusal(path)
    assert (err.file, err.line, err.column) == (str(path), 4, "Currency")
    assert err.message == (
        "won deals in EUR and USD: expected one currency per file (filter the deals view by "
        "currency and export each)"
    )


def test_a_won_deal_without_a_close_date_is_an_error(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        DEALS_HEADER + '\n"1","A","Closed Won","2025-04-01 10:00","100"\n'
        '"2","B","Closed Won","","100"\n',
    )
    err = refusal(path)
    assert (err.line, err.column) == (3, "Close Date")
    assert err.message == "the date is missing: expected a date such as 2025-03-31"


def test_won_deal_without_amount_counts_with_value_zero(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        DEALS_HEADER + ',"Original Source Type"\n'
        '"1","A","Closed Won","2025-04-01 10:00","","Referrals"\n'
        '"2","B","Closed Won","2025-04-01 12:00","300","AI referrals"\n',
    )
    ingested = load_report(path)
    frame = ingested.frame
    # both referral; the segment keeps the two sources apart
    assert frame["channel"].tolist() == ["referral", "referral"]
    assert frame["segment"].tolist() == ["AI referrals", "Referrals"]
    assert frame["deals_won"].tolist() == [1, 1]
    assert frame["deal_value"].tolist() == [300, 0]
    assert ingested.reports[0].notes == ["1 won deal(s) without an Amount (value 0)"]


def test_contacts_without_a_customer_date_or_a_source(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '"Contact ID","First Name","Last Name","Email","Create Date","Lifecycle Stage"\n'
        '"1","A","B","a@example.com","2025-04-01 10:00","Customer"\n'
        '"2","C","D","c@example.com","2025-04-01 18:30","Lead"\n'
        '"3","E","F","e@example.com","2025-04-02","Customer"\n',
    )
    ingested = load_report(path)
    frame = ingested.frame
    assert frame["leads"].tolist() == [1 + 1, 1]
    assert "new_customers" not in frame
    assert set(frame["channel"]) == {"all"}
    assert ingested.reports[0].notes == [
        "no 'Original Source' column: leads are not split by channel (all)",
        "2 customer(s) (Lifecycle Stage) not counted as new customers: add the 'Became a "
        "Customer Date' column to the export to date them",
    ]
    assert detect_format(path) == "hubspot_contacts"


def test_channel_map_overrides_by_source_and_by_platform() -> None:
    frame = load_channel_data(
        CONTACTS, DEALS, channel_map={"Offline Sources": "direct", "hubspot_deals": "referral"}
    )
    contacts = frame[frame["source"] == "hubspot_contacts"]
    assert contacts.loc[contacts["segment"] == "Offline sources", "channel"].tolist() == ["direct"]
    assert set(frame.loc[frame["source"] == "hubspot_deals", "channel"]) == {"referral"}


def test_an_empty_export_reads_no_rows(tmp_path: Path) -> None:
    path = write(tmp_path, DEALS_HEADER + "\n")
    ingested = load_report(path)
    assert ingested.frame.empty
    assert ingested.reports[0].warnings == [
        "the HubSpot deals export holds no deals (no rows read)"
    ]


def test_an_unreadable_create_date(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '"Record ID","Email","Create Date"\n"1","a@example.com","yesterday"\n',
    )
    err = refusal(path)
    assert (err.line, err.column) == (2, "Create Date")
    assert err.message == "'yesterday' is not a date: expected a date such as 2025-03-31"
