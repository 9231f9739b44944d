"""Klaviyo campaign analytics exports, on fixtures in the exports' shapes (see
kpi_xl/ingest/platforms/klaviyo.py for where each layout comes from); expected values
worked out by hand from the fixtures' rows."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from kpi_xl.errors import KpiXlError
from kpi_xl.ingest import detect_format, load_channel_data, load_report

EXPORTS = Path(__file__).parent / "fixtures" / "exports"
CAMPAIGNS = EXPORTS / "klaviyo_campaigns.csv"
VARIATIONS = EXPORTS / "klaviyo_variations.csv"
YEARLY = EXPORTS / "klaviyo_yearly.csv"
HEADER = (
    "Campaign Name,Tags,Subject,List,Send Time,Send Weekday,Total Recipients,"
    "Unique Placed Order,Placed Order Rate,Revenue,Unique Opens,Open Rate,Total Opens,"
    "Unique Clicks,Click Rate,Total Clicks,Unsubscribes,Spam Complaints,Spam Complaints Rate,"
    "Successful Deliveries,Bounces,Bounce Rate,Campaign ID,Campaign Channel\n"
)


def days(*texts: str) -> list[pd.Timestamp]:
    return [pd.Timestamp(t) for t in texts]


@pytest.mark.parametrize("path", [CAMPAIGNS, VARIATIONS, YEARLY], ids=lambda p: p.name)
def test_detected_as_klaviyo_not_mailchimp(path: Path) -> None:
    assert detect_format(path) == "klaviyo"


def test_campaign_export() -> None:
    ingested = load_report(CAMPAIGNS)
    frame = ingested.frame
    # each campaign on its send day (Send Time's date, the time dropped)
    assert frame["date_from"].tolist() == days("2025-04-06", "2025-04-16", "2025-04-17")
    assert frame["date_to"].tolist() == frame["date_from"].tolist()
    assert frame["campaign"].tolist() == [
        "Spring Sale | Free shipping April 2025",
        "Win back Campaign - Apr 16, 2025",
        "Summer Sneak Peek",  # its subject spans two lines
    ]
    assert frame["segment"].tolist() == [
        "Nordic Goods - All Subscribers",
        "Win back _ no visit or purchase 90 days",
        "Engaged (1 month), Engaged (3 Months)",
    ]
    assert frame["emails_sent"].tolist() == [12140, 2406, 6342]  # Total Recipients
    assert frame["emails_sent"].sum() == 12140 + 2406 + 6342
    assert frame["emails_delivered"].tolist() == [12140 - 29, 2406 - 12, 6342 - 18]
    assert frame["unique_opens"].sum() == 5864 + 802 + 4102
    assert frame["unique_clicks"].sum() == 77 + 41 + 96
    assert frame["unsubscribes"].sum() == 48 + 11 + 14
    assert frame["email_bounces"].tolist() == [29, 12, 18]
    # what Klaviyo attributes to the campaigns: its conversions and their value
    assert frame["conversions"].tolist() == [23, 9, 31]  # Unique Placed Order
    assert frame["conversion_value"].tolist() == [1222.91, 431.5, 2075.07]  # Revenue
    assert frame["conversion_value"].sum() == 1222.91 + 431.5 + 2075.07
    assert "revenue" not in frame and "orders" not in frame  # never the shop's revenue
    assert set(frame["channel"]) == {"email"}
    assert set(frame["source"]) == {"klaviyo"}
    assert set(frame["currency"]) == {""}
    report = ingested.reports[0]
    assert (report.platform, report.title, report.granularity) == ("klaviyo", "Klaviyo", "daily")
    assert (str(report.start), str(report.end), report.rows) == ("2025-04-06", "2025-04-17", 3)


def test_campaigns_fit_a_monthly_plan() -> None:
    assert len(load_channel_data(CAMPAIGNS, grain="month")) == 3


def test_ab_variations_are_segments_of_one_campaign() -> None:
    frame = load_channel_data(VARIATIONS)
    assert frame["date_from"].tolist() == days("2025-05-01", "2025-05-01", "2025-05-08")
    assert frame["campaign"].tolist() == [
        "Mother's Day Gift Guide 2025",
        "Mother's Day Gift Guide 2025",
        "May Newsletter",
    ]
    assert frame["segment"].tolist() == [
        "Nordic Goods - All Subscribers / Variation A",
        "Nordic Goods - All Subscribers / Variation B",
        "Newsletter",  # no variant name
    ]
    gift_guide = frame[frame["campaign"] == "Mother's Day Gift Guide 2025"]
    assert gift_guide["emails_sent"].sum() == 6010 + 5994
    assert gift_guide["conversions"].sum() == 14 + 9
    assert gift_guide["conversion_value"].sum() == 980.4 + 612.25
    assert frame["emails_sent"].sum() == 6010 + 5994 + 8120
    assert frame["email_bounces"].sum() == 15 + 11 + 20
    assert set(frame["channel"]) == {"email"}


def test_year_only_variant_covers_whole_years() -> None:
    ingested = load_report(YEARLY)
    frame = ingested.frame
    assert frame["date_from"].tolist() == days("2024-01-01", "2025-01-01", "2025-01-01")
    assert frame["date_to"].tolist() == days("2024-12-31", "2025-12-31", "2025-12-31")
    # List/Segment, then Group Id
    assert frame["segment"].tolist() == [
        "Nordic Goods - All Subscribers / 4711",
        "Nordic Goods - All Subscribers / 4790",
        "Engaged (1 month), Engaged (3 Months) / 4802",
    ]
    assert frame["emails_sent"].tolist() == [11880, 12140, 6342]
    assert frame["emails_delivered"].tolist() == [11849, 12111, 6324]
    assert frame["unique_opens"].sum() == 5502 + 5864 + 4102  # not Open Rate (0.4643...)
    assert frame["unique_clicks"].sum() == 140 + 77 + 96
    assert frame["unsubscribes"].sum() == 40 + 48 + 14
    assert frame["email_bounces"].sum() == 31 + 29 + 18
    assert frame["conversions"].tolist() == [61, 23, 31]
    assert frame["conversion_value"].sum() == 4120.6 + 1222.91 + 2075.07
    assert set(frame["channel"]) == {"email"}
    report = ingested.reports[0]
    assert (report.platform, report.granularity, report.rows) == ("klaviyo", "yearly", 3)
    assert (str(report.start), str(report.end)) == ("2024-01-01", "2025-12-31")


def test_year_rows_are_refused_by_a_monthly_plan() -> None:
    with pytest.raises(KpiXlError) as info:
        load_channel_data(YEARLY, grain="month")
    err = info.value
    assert err.message == (
        "this Klaviyo export covers 2024-01-01..2024-12-31, 12 months of a monthly plan, in one "
        "row: export it broken down by month or by day"
    )
    assert (err.file, err.line) == (str(YEARLY), 2)


def test_sms_campaigns_are_left_out_of_email(tmp_path: Path) -> None:
    text = HEADER + (
        "April newsletter,,Hello,Newsletter,2025-04-02 09:00:00,Wednesday,1000.0,5.0,0.51%,"
        "250.0,420.0,42.86%,600.0,30.0,3.06%,41.0,4.0,0.0,0.00%,980.0,20.0,2.00%,01JA,Email\n"
        "April text,,,SMS subscribers,2025-04-03 18:00:00,Thursday,300.0,2.0,0.67%,80.0,0.0,"
        "0.00%,0.0,12.0,4.00%,14.0,3.0,0.0,0.00%,300.0,0.0,0.00%,01JB,SMS\n"
    )
    path = tmp_path / "campaigns.csv"
    path.write_text(text, encoding="utf-8")
    ingested = load_report(path)
    # 300 text messages are not e-mails sent: only the newsletter's 1,000 count
    assert ingested.frame["channel"].tolist() == ["email"]
    assert ingested.frame["emails_sent"].tolist() == [1000]
    assert ingested.reports[0].notes == [
        "1 SMS or push campaign row(s) left out: kpi_xl plans e-mail here, and their sends, "
        "opens and clicks are not e-mails"
    ]
    assert ingested.reports[0].rows == 1
    # a user who maps SMS to the e-mail channel keeps them there
    mapped = load_channel_data(path, channel_map={"sms": "email"})
    assert mapped["channel"].tolist() == ["email", "email"]


def test_mailchimp_keeps_its_file() -> None:
    assert detect_format(EXPORTS / "mailchimp_campaigns.csv") == "mailchimp"
