"""The simulation behind the sample data: the store of :mod:`kpi_xl.sample_data.store`
turned into a canonical long table, one row per day, channel and campaign (``source`` is
``"sample"``, ``segment`` is ``""``). Regenerate the bundled file with
``python -m kpi_xl.sample_data``; ``--size bench`` / ``--size million`` write the
benchmark tables.

Deterministic for a seed (one numpy ``Generator``, drawn in a fixed order). Internally
consistent: every count is drawn from the count it is a part of (clicks from impressions,
orders from engaged sessions, opens from delivered emails, ...), so the inequalities a
reader expects hold on every row; counts are whole numbers and money is rounded to cents.

What it shows: a growth trend (+25 % a year), weekly patterns (weekend dips for search,
weekend peaks for social, newsletters on Tuesdays), yearly seasonality (summer dip, Q4
peak, Black Friday week, Christmas), seasonal campaigns (``Black Friday <year>``,
``Summer sale <year>``), a paid-social campaign launched on 2026-03-01 (no rows before),
and a tracking outage 2026-06-08..2026-06-14 (a site release broke the tag: web-analytics
measures fall to about a fifth; ad-platform impressions, clicks and cost do not).
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from kpi_xl.catalog.records import measures
from kpi_xl.errors import KpiXlError
from kpi_xl.sample_data.store import (
    DEFAULT_CHANNELS,
    DEFAULT_END,
    DEFAULT_SEED,
    DEFAULT_START,
    EPOCH,
    OUTAGE,
    PROFILES,
    SEASONS,
    SOURCE,
    Campaign,
    Channel,
    black_friday,
)
from kpi_xl.vocabulary import CHANNELS

Matrix = np.ndarray  # (campaigns, days) float64
Rng = np.random.Generator
BUNDLED = Path(__file__).with_name("ecommerce.csv.gz")


# -- calendar ------------------------------------------------------------------------------


def _event_lift(days: pd.DatetimeIndex) -> np.ndarray:
    """Shopping events: Black Friday week, Cyber Monday, Christmas shopping and sales."""
    lift = np.ones(len(days))
    dates = days.date
    for year in sorted(set(days.year.tolist())):
        bf = black_friday(year)
        spans = [
            (bf - dt.timedelta(7), bf - dt.timedelta(2), 1.25),
            (bf - dt.timedelta(1), bf - dt.timedelta(1), 1.5),
            (bf, bf, 2.6),
            (bf + dt.timedelta(1), bf + dt.timedelta(2), 1.8),
            (bf + dt.timedelta(3), bf + dt.timedelta(3), 2.0),  # Cyber Monday
            (bf + dt.timedelta(4), bf + dt.timedelta(10), 1.15),
            (dt.date(year, 12, 12), dt.date(year, 12, 20), 1.3),
            (dt.date(year, 12, 24), dt.date(year, 12, 26), 0.55),
            (dt.date(year, 12, 27), dt.date(year, 12, 31), 1.2),
            (dt.date(year, 1, 1), dt.date(year, 1, 6), 1.15),
        ]
        for first, last, factor in spans:
            lift[(dates >= first) & (dates <= last)] = factor
    return lift


@dataclass
class Calendar:
    """Day-level drivers shared by every channel."""

    days: pd.DatetimeIndex
    years: np.ndarray  # years since 2025-01-01
    yearly: np.ndarray  # summer dip, winter peak
    events: np.ndarray  # shopping events
    weekday: np.ndarray  # 0 = Monday
    kept: np.ndarray  # share of web-analytics hits recorded (1 except in the outage)

    @classmethod
    def of(cls, days: pd.DatetimeIndex, rng: Rng) -> Calendar:
        years = np.asarray((days - pd.Timestamp(EPOCH)).days, dtype=float) / 365.25
        doy = np.asarray(days.day_of_year, dtype=float)
        yearly = (
            1
            + 0.1 * np.cos(2 * np.pi * (doy - 355) / 365.25)
            - 0.18 * np.exp(-(((doy - 205) / 25) ** 2))
        )
        kept = np.ones(len(days))
        outage = (days.date >= OUTAGE[0]) & (days.date <= OUTAGE[1])
        kept[outage] = rng.uniform(0.15, 0.25, int(outage.sum()))
        weekday = np.asarray(days.day_of_week)
        return cls(days, years, yearly, _event_lift(days), weekday, kept)

    @property
    def trend(self) -> np.ndarray:
        return np.asarray(1.25**self.years)

    def factor(self, channel: Channel) -> np.ndarray:
        week = np.asarray(channel.weekday)[self.weekday] / np.mean(channel.weekday)
        return np.asarray(self.trend * self.yearly * self.events**channel.events * week)


# -- campaigns -----------------------------------------------------------------------------


@dataclass
class Block:
    """One channel's campaigns over the calendar: measures as (campaigns, days) matrices."""

    channel: str
    profile: Channel
    campaigns: list[Campaign]
    names: list[str]
    active: np.ndarray  # bool (campaigns, days): the campaign has a row that day
    values: dict[str, Matrix] = field(default_factory=dict)

    def col(self, attr: str) -> Matrix:
        """A campaign attribute as a column to broadcast over days."""
        return np.array([float(getattr(c, attr)) for c in self.campaigns])[:, None]

    def daily_total(self, measure: str) -> np.ndarray:
        return np.asarray(np.where(self.active, self.values[measure], 0.0).sum(axis=0))

    def anchor(self, measure: str, series: np.ndarray) -> None:
        """A stock (or a channel-level flow) on the channel's anchor campaign only."""
        out = np.full(self.active.shape, np.nan)
        out[0] = series
        self.values[measure] = out


def _campaigns(
    profile: Channel, days: pd.DatetimeIndex, per_channel: int | None
) -> tuple[list[Campaign], list[str], np.ndarray]:
    """The channel's campaigns, their names and the days each has rows; the first one is
    always on (the anchor)."""
    dates = days.date
    steady = [c for c in profile.campaigns if not c.season and c.launch is None]
    if per_channel is not None:
        chosen = steady[:per_channel]
        for i in range(len(chosen), per_channel):
            chosen.append(replace(steady[i % len(steady)], name=f"{profile.extra} {i + 1:03d}"))
        return chosen, [c.name for c in chosen], np.ones((per_channel, len(days)), dtype=bool)
    out: list[Campaign] = []
    names: list[str] = []
    rows: list[np.ndarray] = []
    for camp in profile.campaigns:
        windows = [(camp.name, np.ones(len(days), dtype=bool))]
        if camp.launch is not None:
            windows = [(camp.name, dates >= camp.launch)]
        if camp.season:
            bounds = {y: SEASONS[camp.season](y) for y in sorted(set(days.year.tolist()))}
            windows = [
                (camp.name.format(year=y), (dates >= a) & (dates <= b))
                for y, (a, b) in bounds.items()
            ]
        for name, window in windows:
            if window.any():
                out.append(camp)
                names.append(name)
                rows.append(window)
    return out, names, np.array(rows, dtype=bool).reshape(len(out), len(days))


def _binom(rng: Rng, n: Matrix, p: Matrix | float) -> Matrix:
    return rng.binomial(n.astype(np.int64), np.clip(p, 0.0, 1.0)).astype(float)


def _poisson(rng: Rng, lam: Matrix | float) -> Matrix:
    return rng.poisson(np.maximum(lam, 0.0)).astype(float)


def _gamma_sum(rng: Rng, count: Matrix, mean: Matrix | float, shape: float) -> Matrix:
    """The sum of ``count`` gamma-distributed amounts of mean ``mean`` (0 when count is 0)."""
    draw = rng.gamma(np.maximum(count, 1e-9) * shape, np.ones_like(count) * mean / shape)
    return np.where(count > 0, draw, 0.0)


def _intensity(block: Block, cal: Calendar, rng: Rng, scale: float) -> Matrix:
    """Expected daily sessions of each campaign (before the outage)."""
    steady = np.array([not c.season and c.launch is None for c in block.campaigns])
    weights = block.col("weight")
    share = weights / max(float(weights[steady].sum()), 1e-9)
    day_noise = rng.lognormal(0.0, 0.06, len(cal.days))
    camp_noise = rng.lognormal(0.0, 0.12, block.active.shape)
    base = block.profile.sessions * scale * cal.factor(block.profile) * day_noise
    return np.asarray(share * base * camp_noise)


# -- measure families ----------------------------------------------------------------------


def _web(block: Block, cal: Calendar, rng: Rng, lam: Matrix) -> None:
    """GA4-style site measures. ``_true_sessions`` (before the outage) drives clicks."""
    prof, v = block.profile, block.values
    true_sessions = _poisson(rng, lam)
    sessions = _binom(rng, true_sessions, cal.kept)
    engaged = _binom(rng, sessions, prof.engaged * rng.uniform(0.95, 1.05, lam.shape))
    users = _binom(rng, sessions, 0.86)
    extra_pages = engaged * (prof.pages - 1) * 1.2 + (sessions - engaged) * 0.1
    orders = _binom(rng, engaged, prof.cvr / prof.engaged * block.col("cvr"))
    leads = _binom(rng, sessions, prof.leads)
    responded = _binom(rng, leads, 0.12)  # contact-form inquiries answered
    hours = np.where(cal.weekday >= 5, 19.0, 5.5)
    responses = _binom(rng, orders, 0.12)
    v.update(
        _true_sessions=true_sessions,
        sessions=sessions,
        users=users,
        new_users=_binom(rng, users, prof.new_users),
        engaged_sessions=engaged,
        pageviews=sessions + _poisson(rng, extra_pages),
        session_duration_s=np.round(
            engaged * prof.duration * 1.4 * rng.lognormal(0, 0.1, lam.shape)
        ),
        bounces=sessions - engaged,
        conversions=orders.copy(),
        leads=leads,
        lead_response_hours=np.round(_gamma_sum(rng, responded, hours, 2.0), 1),
        leads_responded=responded,
        new_customers=_binom(rng, orders, 0.55),
        orders=orders,
        revenue=np.round(_gamma_sum(rng, orders, prof.aov * block.col("aov"), 6.0), 2),
        csat_points=responses + _binom(rng, responses * 4, 0.83),
        csat_responses=responses,
    )


def _landing(block: Block, cal: Calendar, rng: Rng, lam: Matrix) -> None:
    v = block.values
    lp = _binom(rng, v["sessions"], block.profile.landing)
    rate = (v["orders"] + v["leads"]) / np.maximum(v["sessions"], 1) * 1.15
    v["landing_page_sessions"] = lp
    v["landing_page_conversions"] = _binom(rng, lp, rate)


def _blog(block: Block, cal: Calendar, rng: Rng, lam: Matrix) -> None:
    block.values["blog_pageviews"] = _binom(rng, block.values["pageviews"], block.profile.blog)


def _clicks_impressions(block: Block, rng: Rng, lam: Matrix, clicks: Matrix) -> Matrix:
    ctr = np.clip(block.col("ctr") * rng.lognormal(0, 0.08, clicks.shape), 1e-4, 0.9)
    impressions: Matrix = clicks + _poisson(rng, lam * (1 / ctr - 1))
    block.values.update(impressions=impressions, clicks=clicks)
    return impressions


def _ads(block: Block, cal: Calendar, rng: Rng, lam: Matrix) -> None:
    """Ad platform: clicks (some never land), impressions, cost, platform conversions."""
    v = block.values
    clicks = v["_true_sessions"] + _poisson(rng, lam * 0.12)
    _clicks_impressions(block, rng, lam * 1.12, clicks)
    peak = 1 + 0.3 * (cal.events > 1.4)  # auction prices rise around Black Friday
    cpc = block.col("cpc") * peak * rng.lognormal(0, 0.1, lam.shape)
    extra = _poisson(rng, v["orders"] * 0.18 + lam * 0.001)  # view-through, cross-device
    value = _gamma_sum(rng, extra, block.profile.aov * block.col("aov"), 6.0)
    v["cost"] = np.round(clicks * cpc, 2)
    v["conversions"] = v["orders"] + extra
    v["conversion_value"] = np.round(v["revenue"] + value, 2)


def _commission(block: Block, cal: Calendar, rng: Rng, lam: Matrix) -> None:
    v = block.values
    v["cost"] = np.round(v["revenue"] * 0.08, 2)
    v["conversion_value"] = v["revenue"].copy()


def _search_console(block: Block, cal: Calendar, rng: Rng, lam: Matrix) -> None:
    """Search Console: clicks, impressions, and position (improving 8 % a year)."""
    clicks = _binom(rng, block.values["_true_sessions"], 0.94)
    impressions = _clicks_impressions(block, rng, lam * 0.94, clicks)
    drift = 0.92**cal.years * rng.lognormal(0, 0.05, lam.shape)
    position = np.clip(block.col("position") * drift, 1.0, 60.0)
    block.values["position_x_impressions"] = np.round(impressions * position)


def _reach(block: Block, cal: Calendar, rng: Rng, lam: Matrix) -> None:
    """Daily unique reach from impressions and the campaign's daily frequency."""
    v = block.values
    if "impressions" not in v:  # organic: link clicks bring the sessions
        clicks = v["_true_sessions"] + _poisson(rng, lam * 0.1)
        _clicks_impressions(block, rng, lam * 1.1, clicks)
    organic = "organic_social" in block.profile.families
    frequency = np.full_like(lam, 1.3) if organic else block.col("audience")
    v["reach"] = _binom(rng, v["impressions"], rng.uniform(0.9, 1.0, lam.shape) / frequency)


def _social(block: Block, cal: Calendar, rng: Rng, lam: Matrix) -> None:
    _reach(block, cal, rng, lam)
    v = block.values
    organic = "organic_social" in block.profile.families
    v["engagements"] = _binom(rng, v["impressions"], 0.045 if organic else 0.012)
    v["shares"] = _binom(rng, v["engagements"], 0.07 if organic else 0.05)


def _organic_social(block: Block, cal: Calendar, rng: Rng, lam: Matrix) -> None:
    """Mentions, and followers per profile (a stock on every profile's row)."""
    v = block.values
    v["mentions"] = _poisson(rng, v["impressions"] * 0.0004)
    start = block.col("audience")
    gained = _poisson(rng, v["engagements"] * 0.012 + 2)
    lost = _poisson(rng, start * 0.00035 * np.ones_like(lam))
    v["followers"] = np.maximum(start + np.cumsum(gained - lost, axis=1), 0)


def _production(block: Block, cal: Calendar, rng: Rng, lam: Matrix) -> None:
    """Content production: an article (or shoot) paid each Monday; shares of the content."""
    v = block.values
    price = block.col("production") * rng.uniform(0.7, 1.3, lam.shape)
    v["cost"] = np.round(np.where(cal.weekday == 0, price, 0.0), 2)
    v["shares"] = _poisson(rng, v["sessions"] * 0.012)


def _links(block: Block, cal: Calendar, rng: Rng, lam: Matrix) -> None:
    """Backlinks and referring domains (stocks) on the anchor row."""
    lost = np.ones(len(cal.days))
    links = 4200 + np.cumsum(_poisson(rng, 3.2 * cal.trend) - _poisson(rng, lost * 1.6))
    domains = 310 + np.cumsum(_poisson(rng, 0.22 * cal.trend) - _poisson(rng, lost * 0.06))
    block.anchor("backlinks", links)
    block.anchor("referring_domains", np.minimum(domains, links))


def _send_days(camp: Campaign, cal: Calendar) -> np.ndarray:
    kind, _, arg = camp.sends.partition(":")
    if kind == "daily":
        return np.ones(len(cal.days), dtype=bool)
    if kind == "weekly":
        return np.asarray(cal.weekday == int(arg))
    if kind == "monthly":  # the first <weekday> of each month
        return np.asarray((cal.weekday == int(arg)) & (cal.days.day <= 7))
    # bf: a week before Black Friday, its eve, the day, and Cyber Monday
    offsets = (-7, -1, 0, 3)
    sends = {black_friday(y) + dt.timedelta(d) for y in set(cal.days.year) for d in offsets}
    return np.array([d in sends for d in cal.days.date], dtype=bool)


def _email(
    block: Block, cal: Calendar, rng: Rng, subscribers: np.ndarray, scale: float = 1.0
) -> Matrix:
    """Sends by schedule to a share of the list; opens and clicks counted on the send day.
    Returns the session intensity: clicks spread over the send day and the next days.

    With ``scale`` times the store's campaigns (benchmark sizes) each campaign mails a
    segment of its audience, so a subscriber gets as much mail as in the sample and
    unsubscribes never outrun the list."""
    v = block.values
    sends = np.vstack([_send_days(c, cal) for c in block.campaigns]) & block.active
    daily = np.array([c.sends == "daily" for c in block.campaigns])[:, None]
    season = np.where(daily, cal.yearly * cal.events**0.5, 1.0)
    audience = block.col("audience") / max(scale, 1.0)
    sent = _poisson(rng, np.where(sends, subscribers * audience * season, 0.0))
    delivered = _binom(rng, sent, 0.988)
    opens = _binom(rng, delivered, block.col("ctr") * rng.uniform(0.9, 1.1, sent.shape))
    clicks = _binom(rng, opens, block.col("cto") * np.where(cal.events > 1.4, 1.3, 1.0))
    v.update(
        emails_sent=sent,
        emails_delivered=delivered,
        unique_opens=opens,
        unique_clicks=clicks,
        unsubscribes=_binom(rng, delivered, 0.0018),
        email_bounces=sent - delivered,
    )
    block.anchor("cost", np.full(len(cal.days), 8.3))  # the email tool: EUR 249 a month
    spread = np.zeros_like(clicks)
    days = clicks.shape[1]
    for lag, share in enumerate((0.55, 0.22, 0.1, 0.06, 0.04, 0.03)[:days]):
        spread[:, lag:] += clicks[:, : days - lag] * share
    return spread * 1.25


FAMILIES: dict[str, Callable[[Block, Calendar, Rng, Matrix], None]] = {
    "web": _web,
    "landing": _landing,
    "blog": _blog,
    "ads": _ads,
    "commission": _commission,
    "search_console": _search_console,
    "reach": _reach,
    "social": _social,
    "organic_social": _organic_social,
    "production": _production,
    "links": _links,
}
LIST_START = 9500.0


def _block(
    channel: str,
    cal: Calendar,
    rng: Rng,
    per_channel: int | None,
    leads: np.ndarray,
) -> Block:
    """All measures of one channel; ``leads`` (sign-ups of the channels built before) feed
    the email list that email sends go to."""
    prof = PROFILES[channel]
    camps, names, active = _campaigns(prof, cal.days, per_channel)
    block = Block(channel, prof, camps, names, active)
    scale = 1.0 if per_channel is None else per_channel / len(prof.campaigns)
    lam = _intensity(block, cal, rng, scale)
    if "email" in prof.families:
        subscribers = LIST_START + np.concatenate([[0.0], np.cumsum(leads)[:-1]])
        lam = _email(block, cal, rng, subscribers, scale) + lam * 0.05
    for family in prof.families:
        if family in FAMILIES:
            FAMILIES[family](block, cal, rng, lam)
    del block.values["_true_sessions"]
    return block


def _customers(block: Block, rng: Rng) -> None:
    """Active customers acquired by the channel: the stock moves by new minus churned."""
    new = block.daily_total("new_customers")
    stock = float(block.profile.customers)
    churned = np.zeros(len(new))
    level = np.zeros(len(new))
    for i, gained in enumerate(new):
        churned[i] = rng.binomial(int(stock), 0.0024)
        stock += gained - churned[i]
        level[i] = stock
    block.anchor("churned_customers", churned)
    block.anchor("customers", level)


# -- assembly ------------------------------------------------------------------------------


def generate(
    start: str = DEFAULT_START,
    end: str = DEFAULT_END,
    channels: Sequence[str] | None = None,
    campaigns_per_channel: int | None = None,
    seed: int = DEFAULT_SEED,
) -> pd.DataFrame:
    """The sample store's daily data as a canonical long table, sorted by date, channel
    (catalog order) and campaign.

    With ``campaigns_per_channel`` every channel has exactly that many always-on campaigns
    (benchmark sizes: rows = days x channels x campaigns); without it, the store's own
    campaigns, including seasonal ones and the 2026-03-01 launch.
    """
    chosen = tuple(channels) if channels is not None else DEFAULT_CHANNELS
    unknown = [c for c in chosen if c not in PROFILES]
    if unknown:
        raise KpiXlError(f"unknown channels {unknown}: expected some of {', '.join(CHANNELS)}")
    if campaigns_per_channel is not None and campaigns_per_channel < 1:
        raise KpiXlError("campaigns_per_channel must be at least 1")
    days = pd.date_range(start, end, freq="D")
    if len(days) == 0:
        raise KpiXlError(f"no days between {start} and {end}")
    rng = np.random.default_rng(seed)
    cal = Calendar.of(days, rng)
    ordered = [c for c in CHANNELS if c in chosen]
    # email last: its sends go to the list the other channels' sign-ups built
    built: dict[str, Block] = {}
    leads = np.zeros(len(days))
    for channel in sorted(ordered, key=lambda c: "email" in PROFILES[c].families):
        built[channel] = _block(channel, cal, rng, campaigns_per_channel, leads)
        leads = leads + built[channel].daily_total("leads")
    blocks = [built[c] for c in ordered]
    for block in blocks:
        _customers(block, rng)
    email = next((b for b in blocks if "email" in b.profile.families), None)
    if email is not None:
        email.anchor("list_size", LIST_START + np.cumsum(leads - email.daily_total("unsubscribes")))
    return _frame(blocks, days)


def _frame(blocks: list[Block], days: pd.DatetimeIndex) -> pd.DataFrame:
    """The long table: rows where campaigns are active, sorted by date, channel, campaign."""
    present = [m for m in measures() if any(m in b.values for b in blocks)]
    day_idx: list[np.ndarray] = []
    chan_idx: list[np.ndarray] = []
    camp_idx: list[np.ndarray] = []
    names: list[str] = []
    columns: dict[str, list[np.ndarray]] = {m: [] for m in present}
    for ci, block in enumerate(blocks):
        k, d = np.nonzero(block.active)
        by_name = sorted(range(len(block.names)), key=lambda i: block.names[i])
        rank = np.empty(len(by_name), dtype=np.int64)
        rank[by_name] = np.arange(len(by_name)) + len(names)
        names.extend(block.names[i] for i in by_name)
        day_idx.append(d)
        chan_idx.append(np.full(len(d), ci))
        camp_idx.append(rank[k])
        for m in present:
            matrix = block.values.get(m)
            columns[m].append(matrix[k, d] if matrix is not None else np.full(len(d), np.nan))
    d_all, c_all, k_all = (np.concatenate(a) for a in (day_idx, chan_idx, camp_idx))
    order = np.lexsort((k_all, c_all, d_all))
    index = pd.RangeIndex(len(order))

    def text(values: list[str], codes: np.ndarray) -> pd.Series:
        return pd.Series(pd.Series(values, dtype="str").take(codes).to_numpy(), index=index)

    frame = pd.DataFrame(
        {
            "date": days[d_all[order]],
            "channel": text([b.channel for b in blocks], c_all[order]),
            "source": pd.Series(SOURCE, index=index, dtype="str"),
            "campaign": text(names, k_all[order]),
            "segment": pd.Series("", index=index, dtype="str"),
        }
    )
    for m in present:
        frame[m] = np.concatenate(columns[m])[order].astype("float64")
    return frame


# -- files and command line ----------------------------------------------------------------

DIMENSION_COLUMNS = ("channel", "source", "campaign", "segment")
CHANNEL_ORDER = (*DEFAULT_CHANNELS, "display", "direct", "affiliate", "other")


@dataclass(frozen=True)
class Size:
    """A named dataset size for ``python -m kpi_xl.sample_data --size``."""

    days: int | None = None  # from DEFAULT_START; None: the store's own range
    channels: int | None = None  # the first N of CHANNEL_ORDER
    campaigns: int | None = None  # per channel; None: the store's own campaigns
    output: str = ""


SIZES: dict[str, Size] = {
    "sample": Size(output=str(BUNDLED)),
    "bench": Size(365, 8, 40, "kpi_xl_bench.csv"),  # 116,800 rows
    "million": Size(365, 8, 343, "kpi_xl_million.csv"),  # 1,001,560 rows
}


def generate_size(
    size: str = "sample",
    *,
    days: int | None = None,
    channels: int | None = None,
    campaigns: int | None = None,
    seed: int = DEFAULT_SEED,
) -> pd.DataFrame:
    """A named size, optionally overridden (``days`` from 2025-01-01, the first
    ``channels`` of :data:`CHANNEL_ORDER`, ``campaigns`` per channel)."""
    if size not in SIZES:
        raise KpiXlError(f"unknown size {size!r}: expected one of {', '.join(SIZES)}")
    preset = SIZES[size]
    days = days if days is not None else preset.days
    channels = channels if channels is not None else preset.channels
    campaigns = campaigns if campaigns is not None else preset.campaigns
    if channels is not None and not 1 <= channels <= len(CHANNEL_ORDER):
        raise KpiXlError(f"channels must be 1..{len(CHANNEL_ORDER)}")
    if days is not None and days < 1:
        raise KpiXlError("days must be at least 1")
    end = DEFAULT_END
    if days is not None:
        end = str(pd.Timestamp(DEFAULT_START) + pd.Timedelta(days=days - 1))[:10]
    return generate(
        DEFAULT_START,
        end,
        channels=CHANNEL_ORDER[:channels] if channels is not None else None,
        campaigns_per_channel=campaigns,
        seed=seed,
    )


def write_table(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a canonical table: ``.parquet``, ``.csv`` or ``.csv.gz`` (gzip level 9 with a
    fixed timestamp, so the same frame gives the same bytes)."""
    path = Path(path)
    if path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
        return path
    options: dict[str, object] = {
        "index": False,
        "float_format": "%.15g",  # whole numbers without ".0"; cents stay exact
        "date_format": "%Y-%m-%d",
        "lineterminator": "\n",
    }
    if path.suffix == ".gz":
        options["compression"] = {"method": "gzip", "compresslevel": 9, "mtime": 0}
    frame.to_csv(path, **options)  # type: ignore[call-overload]
    return path


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a table written by :func:`write_table` back with the canonical dtypes: dates
    as datetime64, dimensions as strings (``""``, never NaN), measures as float64."""
    path = Path(path)
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    dtypes = dict.fromkeys(DIMENSION_COLUMNS, "str") | dict.fromkeys(measures(), "float64")
    frame = pd.read_csv(
        path,
        dtype=dtypes,
        keep_default_na=False,
        na_values=[""],
        parse_dates=["date"],
        date_format="%Y-%m-%d",
    )
    for col in DIMENSION_COLUMNS:
        if col in frame.columns:
            frame[col] = frame[col].fillna("")
    return frame


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m kpi_xl.sample_data``: write the bundled sample or a benchmark table."""
    parser = argparse.ArgumentParser(
        prog="python -m kpi_xl.sample_data",
        description="Write the sample store's daily channel data (canonical long table).",
    )
    parser.add_argument("--size", default="sample", type=str.lower, help=", ".join(SIZES))
    parser.add_argument("--channels", type=int, help="the first N channels")
    parser.add_argument("--campaigns", type=int, help="campaigns per channel")
    parser.add_argument("--days", type=int, help="days from 2025-01-01")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("-o", "--output", help=".csv, .csv.gz or .parquet")
    args = parser.parse_args(argv)
    size = "sample" if args.size == "small" else args.size
    try:
        frame = generate_size(
            size, days=args.days, channels=args.channels, campaigns=args.campaigns, seed=args.seed
        )
        output = args.output or SIZES[size].output
        custom = (args.days, args.channels, args.campaigns) != (None, None, None)
        if args.output is None and (custom or args.seed != DEFAULT_SEED):
            output = "kpi_xl_sample.csv"  # never overwrite the bundled file by accident
        path = write_table(frame, output)
    except KpiXlError as exc:
        print(f"error: {exc}")
        return exc.exit_code
    size_mb = path.stat().st_size / 1e6
    print(f"wrote {len(frame):,} rows x {frame.shape[1]} columns to {path} ({size_mb:.2f} MB)")
    return 0
