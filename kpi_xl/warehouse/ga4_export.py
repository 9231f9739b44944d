"""The GA4 BigQuery export, reduced in the engine to daily rows per default channel group.

The export (https://support.google.com/analytics/answer/7029846, schema:
https://developers.google.com/analytics/bigquery/event-schema) writes one table per day,
``events_YYYYMMDD`` (``events_intraday_YYYYMMDD`` while the day is being streamed), one row
per event. The columns read here:

* ``event_date`` (STRING, ``YYYYMMDD`` in the property's time zone), ``event_timestamp``
  (INT64, microseconds), ``event_name``, ``user_pseudo_id``;
* ``event_params`` (ARRAY<STRUCT<key STRING, value STRUCT<string_value STRING, int_value
  INT64, float_value FLOAT64, double_value FLOAT64>>>) with the keys ``ga_session_id``
  (int), ``session_engaged`` (``'1'``), ``engagement_time_msec`` (int) and, in exports
  older than the traffic-source columns, ``source``, ``medium``, ``campaign``;
* the session's traffic source, from the first of these the table has and the session
  fills (https://developers.google.com/analytics/bigquery/traffic-attribution-data):
  ``session_traffic_source_last_click`` (since July 2024: ``manual_campaign.source``,
  ``.medium``, ``.campaign_name``; ``google_ads_campaign.campaign_name``, which is
  google / cpc), ``collected_traffic_source`` (since 2023: ``manual_source``,
  ``manual_medium``, ``manual_campaign_name``; a ``gclid`` alone is google / cpc), the
  ``source``/``medium``/``campaign`` event parameters. A session with none is
  ``(direct) / (none)``. ``traffic_source`` is the user's *first* source (user-scoped),
  not the session's, and is not used;
* ``ecommerce.purchase_revenue`` (or ``purchase_revenue_in_usd`` with ``revenue=usd``).

A session is a distinct ``user_pseudo_id`` + ``ga_session_id``; its traffic source is taken
from its event with the highest-priority source above, the earliest first (a window
function; the day before the range is read too, for sessions that began then), and its
default channel group is computed **in the engine** from that source, medium and campaign
by an ibis ``CASE`` compiled from :data:`kpi_xl.ingest.channel_rules.RULES`, GA4's
documented default channel group rules in Google's order, first match wins
(https://support.google.com/analytics/answer/9756891, "[GA4] Default channel group":
Direct, Cross-network, Paid Shopping, Paid Search, Paid Social, Paid Video, Display, Paid
Other, Organic Shopping, Organic Social, Organic Video, Organic Search, Referral, Email,
Affiliates, Audio, SMS, Mobile Push Notifications, else Unassigned; source categories as
in that module). The group then maps to kpi_xl's channel with
:data:`~kpi_xl.ingest.channel_rules.CHANNEL_GROUPS`, and is kept as the row's segment (as
the GA4 CSV reader does).

Per day (``event_date``) and channel group:

* ``sessions`` - distinct sessions with an event that day (a session across midnight
  counts on both days, as in GA4's daily reports);
* ``engaged_sessions`` - those of them with ``session_engaged = '1'`` on any event;
* ``users`` - distinct ``user_pseudo_id`` (the day's distinct count: *not* additive across
  days or channels; the catalog's ``whole`` aggregation, so a plan reads users only from a
  row covering its whole period and leaves daily users out of a month);
* ``new_users`` - distinct users with a ``first_visit`` or ``first_open`` event;
* ``key_events`` - events whose name is a key event (default ``purchase``);
* ``key_event_sessions`` - distinct sessions with a key event;
* ``engagement_time_s`` - the sum of ``engagement_time_msec`` / 1000;
* ``revenue`` - the sum of ``ecommerce.purchase_revenue`` (in each event's own currency:
  a property selling in several currencies reads ``revenue=usd``, the USD amounts).

Events without a ``ga_session_id`` (some Measurement Protocol hits) count in users, key
events and revenue under their own traffic source, not as sessions.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

import pandas as pd

from kpi_xl.errors import KpiXlError
from kpi_xl.ingest.channel_rules import CHANNEL_GROUPS, RULES, SOURCE_CATEGORIES, UNASSIGNED, Test
from kpi_xl.warehouse.sql import trim

#: The GA4 export's daily and streaming tables.
DAILY = re.compile(r"events_(\d{8})")
INTRADAY = re.compile(r"events_intraday_(\d{8})")
#: Key events unless the caller names others.
KEY_EVENTS = ("purchase",)
NEW_USER_EVENTS = ("first_visit", "first_open")
#: The columns every GA4 export table has and this reader needs.
REQUIRED = ("event_date", "event_timestamp", "event_name", "user_pseudo_id", "event_params")
SOURCE = "ga4"
#: A session without a traffic source.
DIRECT = ("(direct)", "(none)", "(direct)")
#: The measures computed, in order.
MEASURES = (
    "sessions",
    "engaged_sessions",
    "users",
    "new_users",
    "key_events",
    "key_event_sessions",
    "engagement_time_s",
    "revenue",
)


# -- the default channel group as an ibis expression -----------------------------------------


def _test(test: Test, fields: dict[str, Any]) -> Any:
    value = fields[test.field]
    if test.op == "is":
        return value.isin([v.casefold() for v in test.values])
    if test.op == "regex":
        return value.re_search(test.values[0])  # Google's patterns are anchored: ^(...)$
    if test.op == "contains":
        return value.contains(test.values[0])
    if test.op == "endswith":
        return value.endswith(test.values[0])
    if test.op == "category":
        return value.isin(sorted(SOURCE_CATEGORIES[test.values[0]]))
    raise ValueError(f"unknown test {test.op!r}")  # pragma: no cover - a bug in RULES


def channel_group_expr(source: Any, medium: Any, campaign: Any) -> Any:
    """GA4's default channel group of (source, medium, campaign) as one ibis ``CASE``
    (case-insensitive, surrounding spaces ignored), compiled from
    :data:`~kpi_xl.ingest.channel_rules.RULES` in Google's order."""
    return group_case(
        {
            "source": normalized(source),
            "medium": normalized(medium),
            "campaign": normalized(campaign),
        }
    )


def normalized(text: Any) -> Any:
    """A source, medium or campaign as the rules compare it: lower case, trimmed, NULL ''."""
    return trim(text.fill_null("")).lower()


def group_case(fields: dict[str, Any]) -> Any:
    """The ``CASE`` of :func:`channel_group_expr` over already :func:`normalized` fields."""
    import ibis

    branches = []
    for rule in RULES:
        condition = None
        for alternative in rule.alternatives:
            holds = None
            for test in alternative:
                term = _test(test, fields)
                holds = term if holds is None else holds & term
            condition = holds if condition is None else condition | holds
        branches.append((condition, rule.group))
    return ibis.cases(*branches, else_=UNASSIGNED)


# -- one table's events, narrowed to what the aggregation reads ------------------------------


def _fields(kind: Any) -> dict[str, Any]:
    return dict(kind.fields) if kind.is_struct() else {}


def _param(table: Any, key: str, kind: str, *, no_index: bool = False) -> Any:
    """The value of ``kind`` of the event parameter ``key`` (NULL when absent): the first
    one, or with ``no_index`` the largest (a key appears once per event), for Spark, whose
    ANSI mode refuses the first element of an empty array."""
    values = table.event_params.filter(lambda p: p.key == key).map(lambda p: p.value[kind])
    return values.maxs() if no_index else values[0]


def _levels(table: Any, no_index: bool) -> list[tuple[Any, Any, Any]]:
    """The traffic-source columns the table has, highest priority first: (source, medium,
    campaign), NULL source meaning "this level says nothing for the event"."""
    import ibis

    schema = table.schema()
    null = ibis.null("string")
    levels: list[tuple[Any, Any, Any]] = []
    last_click = _fields(schema.get("session_traffic_source_last_click"))
    if last_click:
        column = table.session_traffic_source_last_click
        manual = _fields(last_click.get("manual_campaign"))
        ads = _fields(last_click.get("google_ads_campaign"))
        source = column.manual_campaign.source if "source" in manual else null
        medium = column.manual_campaign.medium if "medium" in manual else null
        campaign = column.manual_campaign.campaign_name if "campaign_name" in manual else null
        if "campaign_name" in ads:
            on_ads = source.isnull() & column.google_ads_campaign.campaign_name.notnull()
            source = ibis.ifelse(on_ads, "google", source)
            medium = ibis.ifelse(on_ads, "cpc", medium)
            campaign = ibis.ifelse(on_ads, column.google_ads_campaign.campaign_name, campaign)
        levels.append((source, medium, campaign))
    collected = _fields(schema.get("collected_traffic_source"))
    if "manual_source" in collected:
        column = table.collected_traffic_source
        source = column.manual_source
        medium = column.manual_medium if "manual_medium" in collected else null
        campaign = column.manual_campaign_name if "manual_campaign_name" in collected else null
        if "gclid" in collected:
            on_ads = source.isnull() & column.gclid.notnull()
            source = ibis.ifelse(on_ads, "google", source)
            medium = ibis.ifelse(on_ads, "cpc", medium)
        levels.append((source, medium, campaign))
    levels.append(
        (
            _param(table, "source", "string_value", no_index=no_index),
            _param(table, "medium", "string_value", no_index=no_index),
            _param(table, "campaign", "string_value", no_index=no_index),
        )
    )
    return levels


def _revenue(table: Any, usd: bool) -> Any:
    import ibis

    wanted = "purchase_revenue_in_usd" if usd else "purchase_revenue"
    if wanted in _fields(table.schema().get("ecommerce")):
        return table.ecommerce[wanted].cast("float64")
    return ibis.null("float64")


def events(table: Any, *, usd: bool = False, no_index: bool = False, where: str = "") -> Any:
    """One export table's events as narrow typed columns (the same for every table, so
    tables of different export generations union)."""
    import ibis

    missing = [c for c in REQUIRED if c not in table.columns]
    if missing:
        raise KpiXlError(
            f"table {table.get_name()!r} is not a GA4 export: it has no {missing[0]!r} column",
            file=where,
        )
    # first the nested values, each extracted once; then what is derived from them
    levels = _levels(table, no_index)
    parts = ("source", "medium", "campaign")

    def param(key: str, kind: str) -> Any:
        return _param(table, key, kind, no_index=no_index)

    raw = table.select(
        day=table.event_date.cast("string"),
        name=table.event_name.cast("string"),
        user=table.user_pseudo_id.cast("string"),
        timestamp=table.event_timestamp.cast("int64"),
        session_id=param("ga_session_id", "int_value").cast("int64"),
        engaged_text=param("session_engaged", "string_value"),
        engaged_int=param("session_engaged", "int_value").cast("int64"),
        engagement_msec=param("engagement_time_msec", "int_value").cast("int64"),
        revenue=_revenue(table, usd),
        **{
            f"l{i}_{part}": level[p].cast("string")
            for i, level in enumerate(levels)
            for p, part in enumerate(parts)
        },
    )
    session = ibis.ifelse(
        raw.session_id.isnull(),
        ibis.null("string"),
        raw.user.concat(".", raw.session_id.cast("string")),
    )
    said = [raw[f"l{i}_source"].notnull() for i in range(len(levels))]
    rank = ibis.cases(*((s, i) for i, s in enumerate(said)), else_=len(levels)).cast("int16")

    def pick(part: str) -> Any:
        return ibis.cases(
            *((s, raw[f"l{i}_{part}"]) for i, s in enumerate(said)), else_=ibis.null("string")
        )

    engaged = raw.engaged_text.fill_null(raw.engaged_int.cast("string")) == "1"
    return raw.select(
        "day",
        "name",
        "user",
        session=session,
        # the partition a sessionless event's source is taken from: the event alone
        attribution=session.fill_null(raw.user.concat("#", raw.timestamp.cast("string"))),
        timestamp=raw.timestamp,
        rank=rank,
        source=pick("source"),
        medium=pick("medium"),
        campaign=pick("campaign"),
        engaged=engaged.fill_null(False),
        engagement_msec=raw.engagement_msec,
        revenue=raw.revenue,
    )


# -- the aggregation -------------------------------------------------------------------------


def _compact(day: dt.date | None) -> str | None:
    return None if day is None else f"{day:%Y%m%d}"


def before(day: dt.date | None) -> dt.date | None:
    """The day before ``day``: read too, for the sources of sessions that began then."""
    return None if day is None else day - dt.timedelta(days=1)


def ga4_query(
    tables: Sequence[Any],
    start: dt.date | None = None,
    end: dt.date | None = None,
    *,
    key_events: Sequence[str] = KEY_EVENTS,
    usd: bool = False,
    no_index: bool = False,
    where: str = "",
) -> Any:
    """The one ibis expression reducing GA4 export tables (bound or not) to
    ``day, channel_group`` and :data:`MEASURES`, over ``start``..``end`` (inclusive);
    ``no_index`` for Spark (see :func:`_param`)."""
    import ibis

    parts = [events(t, usd=usd, no_index=no_index, where=where) for t in tables]
    if not parts:
        raise ValueError("no tables")  # pragma: no cover - the caller checks
    rows = parts[0] if len(parts) == 1 else ibis.union(*parts, distinct=False)
    # the day before the range too: a session that began then takes its source from there
    first, last = _compact(start), _compact(end)
    if first is not None:
        rows = rows.filter(rows.day >= _compact(before(start)))
    if last is not None:
        rows = rows.filter(rows.day <= last)
    by_source = ibis.window(
        group_by=rows.attribution,
        order_by=[rows.rank, rows.timestamp, rows.source, rows.medium, rows.campaign],
    )
    by_session = ibis.window(group_by=rows.attribution)
    found = rows.source.first().over(by_source)
    rows = rows.mutate(
        s_source=found.fill_null(DIRECT[0]),
        s_medium=rows.medium.first()
        .over(by_source)
        .fill_null(ibis.ifelse(found.isnull(), DIRECT[1], "(not set)")),
        s_campaign=rows.campaign.first()
        .over(by_source)
        .fill_null(ibis.ifelse(found.isnull(), DIRECT[2], "(not set)")),
        s_engaged=rows.engaged.cast("int8").max().over(by_session) == 1,
    )
    rows = rows.mutate(
        g_source=normalized(rows.s_source),
        g_medium=normalized(rows.s_medium),
        g_campaign=normalized(rows.s_campaign),
    )
    rows = rows.mutate(
        channel_group=group_case(
            {"source": rows.g_source, "medium": rows.g_medium, "campaign": rows.g_campaign}
        )
    )
    if first is not None:
        rows = rows.filter(rows.day >= first)
    is_key = rows.name.isin(list(key_events))
    return (
        rows.group_by(["day", "channel_group"])
        .aggregate(
            sessions=rows.session.nunique(),
            engaged_sessions=rows.session.nunique(where=rows.s_engaged),
            users=rows.user.nunique(),
            new_users=rows.user.nunique(where=rows.name.isin(list(NEW_USER_EVENTS))),
            key_events=rows.name.count(where=is_key),
            key_event_sessions=rows.session.nunique(where=is_key),
            engagement_time_s=rows.engagement_msec.sum().fill_null(0).cast("float64") / 1000.0,
            revenue=rows.revenue.sum().fill_null(0.0),
        )
        .order_by(["day", "channel_group"])
    )


def export_tables(names: Sequence[str], start: dt.date | None, end: dt.date | None) -> list[str]:
    """The export's tables for ``start``..``end`` and the day before (see :func:`before`):
    each day's ``events_YYYYMMDD``, or its ``events_intraday_YYYYMMDD`` while the daily
    table is not written yet."""
    first, last = _compact(before(start)) or "", _compact(end) or "99999999"
    daily: dict[str, str] = {}
    intraday: dict[str, str] = {}
    for name in names:
        if match := DAILY.fullmatch(name):
            daily[match.group(1)] = name
        elif match := INTRADAY.fullmatch(name):
            intraday[match.group(1)] = name
    days = {**intraday, **daily}
    return [days[d] for d in sorted(days) if first <= d <= last]


def finish(frame: pd.DataFrame, *, currency: str = "") -> pd.DataFrame:
    """The executed aggregation as canonical rows: the channel group mapped to kpi_xl's
    channel and kept as the segment."""
    groups = frame["channel_group"].astype(str)
    out = pd.DataFrame(
        {
            "date_from": pd.to_datetime(frame["day"].astype(str), format="%Y%m%d"),
            "channel": groups.str.casefold().map(CHANNEL_GROUPS).fillna("other").astype(object),
            "source": SOURCE,
            "campaign": "",
            "segment": groups.astype(object),
            "currency": currency,
        }
    )
    out["date_to"] = out["date_from"]
    for m in MEASURES:
        out[m] = pd.to_numeric(frame[m]).astype("float64")
    columns = ["date_from", "date_to", "channel", "source", "campaign", "segment", "currency"]
    return out[[*columns, *MEASURES]].reset_index(drop=True)
