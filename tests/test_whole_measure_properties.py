"""Reach and frequency, whatever rows an export holds: reach is never a sum of rows, and
frequency is never above the largest frequency the export itself shows on a row."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from kpi_xl.pipeline import plan_model
from kpi_xl.plan.model import ALL
from kpi_xl.plan.spec import parse_spec

SPEC = parse_spec(
    {
        "name": "reach",
        "overall": ["impressions"],
        "channels": {"paid_social": ["frequency", "social_reach"]},
    }
)


@st.composite
def exports(draw: st.DrawFn) -> tuple[pd.DataFrame, list[float], list[float]]:
    """An ad platform's rows for some days of March 2026 (per campaign and day, or per
    campaign for the month), maybe with its summary row's reach, as the adapters write
    them; and the reach and frequency each row of the export showed."""
    campaigns = draw(st.integers(1, 3))
    whole_month = draw(st.booleans())
    days = 1 if whole_month else draw(st.integers(1, 4))
    rows = []
    for c in range(campaigns):
        for d in range(days):
            impressions = draw(st.integers(1, 10_000))
            reach = draw(st.integers(1, impressions))
            start = pd.Timestamp("2026-03-01") + pd.Timedelta(days=d)
            end = pd.Timestamp("2026-03-31") if whole_month else start
            rows.append((start, end, f"campaign {c}", float(impressions), float(reach)))
    frame = pd.DataFrame(rows, columns=["date_from", "date_to", "campaign", "impressions", "reach"])
    shown_reach = frame["reach"].tolist()
    shown_frequency = (frame["impressions"] / frame["reach"]).tolist()
    if draw(st.booleans()):  # the summary row: the account's reach over the export
        total_impressions = float(frame["impressions"].sum())
        largest, summed = int(frame["reach"].max()), int(frame["reach"].sum())
        account_reach = float(draw(st.integers(largest, max(summed, largest))))
        last = frame["date_to"].max()
        summary = pd.DataFrame(
            [(pd.Timestamp("2026-03-01"), last, "", np.nan, account_reach)],
            columns=frame.columns,
        )
        frame = pd.concat([frame, summary], ignore_index=True)
        shown_reach.append(account_reach)
        shown_frequency.append(total_impressions / account_reach)
    frame = frame.assign(channel="paid_social", source="meta_ads", segment="", currency="")
    return frame, shown_reach, shown_frequency


@settings(max_examples=60, deadline=None)
@given(exports())
def test_reach_is_a_row_never_a_sum_and_frequency_stays_within_the_rows(
    export: tuple[pd.DataFrame, list[float], list[float]],
) -> None:
    frame, shown_reach, shown_frequency = export
    model = plan_model(frame, SPEC.with_choices(year=2026))
    march = model.periods.index("2026-03")
    reach = model.row("social_reach", "paid_social").actual[march]
    frequency = model.row("frequency", "paid_social").actual[march]
    if not math.isnan(reach):
        assert reach in shown_reach
    if not math.isnan(frequency):
        assert frequency <= max(shown_frequency) * (1 + 1e-12)
    ads = frame[frame["campaign"] != ""]
    campaigns, days = ads["campaign"].nunique(), ads["date_from"].nunique()
    has_summary = bool((frame["campaign"] == "").any())
    if not has_summary and (campaigns > 1 or days > 1):
        assert math.isnan(reach)  # campaigns' or days' reach cannot be added
    if not has_summary and campaigns == days == 1:
        # one row covers everything the export has for March (a month so far)
        assert reach == shown_reach[0]
    # impressions still add up: the overall plan counts every ad row once
    impressions = model.row("impressions", ALL).actual[march]
    assert impressions == frame["impressions"].sum()
