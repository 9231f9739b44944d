"""Shopify Analytics reports exported over time (Analytics > Reports > a report > Export, CSV).

Layout (a report compared with the previous year, with its %-change block)::

    "Day","Online store visitors","Sessions",...,"Transactions","Day (previous_year)",
    "Online store visitors (previous_year)","Sessions (previous_year)",...,
    "Online store visitors (previous_year) ","Sessions (previous_year) ",...
    "2025-01-01",29572,32630,0.0684646031259577,...,581,"2024-01-01",20521,23010,...,44.106...
    ...
    "2025-03-01",12612,13702,...,"2024-02-29",12242,...        <- fixed offset after a leap day
    ,0,0,,,,,0,"2024-12-01",36043,39237,...,,,,,,,              <- previous year only: dropped

Every header cell is quoted, dates are quoted ISO days, numbers bare with a decimal point
and no thousands separators, rates fractions, no BOM, LF. The first column is the time:
``Day`` (one day per row), ``Week`` (the week's first day: the row covers 7 days) or
``Month`` (a day of the month: the row covers the whole month, even when the export's range
ends inside it, which the file does not say). A week row fits a monthly plan only when it
lies in one month, and a weekly plan (ISO weeks) only when it starts on a Monday: other
rows are refused with the plan's grain, so export by day for those plans. The store's
totals are not split by channel: channel ``all`` (only the overall plan reads them).

Read: ``Sessions`` -> ``sessions``; ``Orders`` -> ``orders``; ``Total sales`` -> ``revenue``
(net sales plus shipping, duties, fees and taxes), or ``Net sales`` (gross sales less
discounts and returns) when a report has no ``Total sales``; ``Sessions that reached
checkout`` (older name ``Reached checkout``) -> ``checkout_sessions``. Rates (``Conversion
rate``, ``Checkout conversion rate``, ``Added to cart rate``, ``Reached checkout rate``),
``Average order value`` and ``Transactions`` (close to ``Orders`` but not equal: 581
transactions and 575 orders on the same day in one store's two reports) are not read. A
comparison adds ``<name> (previous_year)`` or ``(previous_period)`` columns and, in newer
exports, a %-change block with the same names and a trailing space; they are never read
(only the columns named exactly as above are), and the extra previous-year row with an
empty current ``Day`` is dropped. A day's ``Total sales`` can be negative (returns
processed that day exceed its sales): kpi_xl refuses negative measures, so export such a
store by week or month.

Seen in real exports: the ``Day`` and ``Month`` layouts above, both comparison blocks, the
leap-day row, ``Total sales``/``Net sales``/``Orders``/``Sessions``. Not seen in a real
file (from Shopify's docs, public code, or our own observation): ``Week`` and the weekday
its rows start on, ``Sessions that reached checkout``, ``Reached checkout``, ``Checkout
conversion rate``, the ``(previous_period)`` suffix.

Refused: a report grouped by two time columns (``Month`` and ``Day`` give a cross product of
mostly empty rows); a report broken down by anything besides time (product, vendor, new or
returning customer, referrer, UTM, order...): kpi_xl reads the store's totals, and no
referrer or channel report was seen to map channels from; the Marketing > Reports >
Channels export (``Referring platform,Channel,Type,Sessions,Sales,Orders,...``, unquoted),
which holds no dates. A report without a time column (``Total sales by product`` for a
range, which only the file name holds) cannot be placed in time: export it over time.
"""

from __future__ import annotations

import re

from kpi_xl.ingest import numbers
from kpi_xl.ingest.dates import ISO
from kpi_xl.ingest.fields import norm
from kpi_xl.ingest.spec import (
    Channels,
    DayColumn,
    Detect,
    PeriodColumn,
    Platform,
    Refusal,
    Signal,
    Totals,
    col,
)
from kpi_xl.ingest.table import Table

NAME = "shopify"
DAY = col("Day")
WEEK = col("Week")
MONTH = col("Month")
REFERRING_PLATFORM = col("Referring platform")
TIMES = ("day", "week", "month")
#: A comparison column: ``Sessions (previous_year)``, ``Day (previous_period)``.
COMPARISON = re.compile(r".*\(previous_[a-z_]+\)")
#: A cell an unmapped metric may hold besides a number: a duration.
DURATION = r"(?:\d+:)?\d{1,2}:\d{2}(?:\.\d+)?"

MEASURES = {
    "sessions": col("Sessions"),
    "orders": col("Orders"),
    "revenue": col("Total sales", "Net sales"),
    "checkout_sessions": col("Sessions that reached checkout", "Reached checkout"),
}
#: Column names only Shopify's reports use (one is enough to recognize a report).
SIGNATURE = (
    col("Online store visitors"),
    col("Total sales"),
    col("Net sales"),
    col("Gross sales"),
    col("Net items sold"),
    col("Sessions with cart additions"),
    col("Sessions that reached checkout"),
    col("Sessions that completed checkout"),
    col("Reached checkout"),
    col("Added to cart rate"),
    col("Reached checkout rate"),
    col("Checkout conversion rate"),
    col("Orders from new customers"),
    col("Orders from returning customers"),
)


def _two_times(table: Table) -> bool:
    return sum(norm(name) in TIMES for name in table.header) > 1


def _other_dimension(table: Table) -> bool:
    """A column besides the time and comparison columns holding text, not numbers."""
    for name, column in zip(table.header, table.columns, strict=True):
        key = norm(name)
        if not key or key in TIMES or COMPARISON.fullmatch(key):
            continue
        if numbers.is_numeric_column(column):
            continue
        text = numbers.as_text(column).str.strip()
        if not (text[text != ""].str.fullmatch(DURATION)).all():
            return True
    return False


MARKETING = (
    "this is Shopify's Marketing channels report (Referring platform, Channel, Sessions, "
    "Sales...): it holds no dates; export Analytics > Reports > Sessions over time or Total "
    "sales over time, by day, week or month, instead"
)
TWO_TIMES = (
    "this Shopify report is grouped by two time columns (such as Month and Day: a cross "
    "product of mostly empty rows): export it over time by one of Day, Week or Month"
)
OTHER_DIMENSION = (
    "this Shopify report is broken down by more than time (a product, customer, referrer, "
    "UTM or order column): kpi_xl reads the store's totals; export the report over time (by "
    "day, week or month) with no other dimension"
)
NO_TIME = (
    "this Shopify report has no Day, Week or Month column (a report for a date range, such "
    "as Total sales by product): its rows cannot be placed in time; export the report over "
    "time (by day, week or month) instead"
)


PLATFORM = Platform(
    name=NAME,
    title="Shopify",
    kind="store",
    layout="Shopify Analytics report over time (quoted header; Day, Week or Month; Sessions, "
    "Orders, Total sales, Sessions that reached checkout...)",
    detect=Detect(any_of=((DAY, WEEK, MONTH, REFERRING_PLATFORM), SIGNATURE)),
    dates=(
        DayColumn(DAY, (ISO,)),
        PeriodColumn(WEEK, "week", (ISO,)),
        PeriodColumn(MONTH, "month", (ISO,)),
    ),
    measures=MEASURES,
    channel=Channels("all"),
    totals=Totals(empty_labels=True),
    signals=(Signal("header", r"\(previous_(?:year|period)\)\s*$"),),
    refusals=(
        Refusal(MARKETING, Detect(all_of=(REFERRING_PLATFORM,), none_of=(DAY, WEEK, MONTH))),
        Refusal(TWO_TIMES, _two_times),
        Refusal(OTHER_DIMENSION, _other_dimension),
    ),
    unsupported=(
        Refusal(
            NO_TIME,
            Detect(any_of=(SIGNATURE,), none_of=(DAY, WEEK, MONTH, col("Date"))),
        ),
    ),
    extras={"no_dates_hint": "export the report over time, by day, week or month"},
    docs="The time column comes first; ``(previous_year)`` / ``(previous_period)`` comparison "
    "columns and the %-change block are ignored. ``Net sales`` is read as ``revenue`` only "
    "when the report has no ``Total sales``.",
    references=(
        "public repo OuCodes/HigherDOSE-Dashboards, data/ads/exec-sum/, real exports read "
        "in full: 'Sessions over time - OU - 2025-01-01 - 2025-12-01.csv' @8b5430e0 "
        "(Day, previous_year and trailing-space %-change blocks, the leap-day offset, the "
        "empty-Day last row), 'Total sales over time - 2025-01-01 - 2025-07-30.csv' @6138cc69 "
        "(Month, previous_year block only), 'Total sales over time - OU - 2025-01-01 - "
        "2025-12-01.csv' @970318c2 (Day, 39 columns), 'Total sales by product - 2025-01-01 - "
        "2025-07-30.csv' @6138cc69 (no time column)",
        "https://shopify.dev/docs/api/shopifyql/latest/syntax/timeseries (the day, week and "
        "month time dimensions are written yyyy-MM-dd)",
        "https://shopify.dev/docs/api/shopifyql/latest/schemas/sessions_and_behavior/sessions "
        "(sessions_with_cart_additions, sessions_that_reached_checkout, "
        "sessions_that_completed_checkout)",
        "https://help.shopify.com/manual/reports-and-analytics/shopify-reports/report-types/"
        "sales-report (sales positive on the day they are made, returns negative on the day "
        "they are processed)",
        "public code: a fixture of a Shopify export with quoted 'Day', 'Sessions that "
        "completed checkout', 'Sessions that reached checkout', 'Sessions with cart "
        "additions' (index file 11781064678); a layout list with 'Day', 'Sessions', "
        "'Conversion rate', 'Sessions that reached checkout' (index file 33210785552); an "
        "importer reading 'Day (previous_period)', 'Sessions (previous_period)', 'Total sales "
        "(previous_period)' (index file 27272470300)",
        "public repo kev106/Shopify_project downloads/shopify_channel_performance_US_"
        "2025-09-01_2025-12-19_20251219_173932.csv @265d0031 (the Marketing channels export, "
        "saved raw: no dates in the file)",
        "unverified: a Week export (its first day's weekday), the older 'Reached checkout' "
        "name, 'Checkout conversion rate', the '(previous_period)' suffix in a real file",
    ),
    priority=15,  # before GA4 (20), whose header test accepts any 'Sessions' column
)
