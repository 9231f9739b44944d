"""The per-channel measure generators: one function per measure family (site analytics,
ads, search console, social, email, links, ...) fills a channel's :class:`Block`, each
count drawn from the count it is a part of; :func:`build_block` runs a channel's families
in order and :func:`add_customers` adds the customer stock it acquired.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np

from kpi_xl.sample_data.campaigns import (
    Block,
    Matrix,
    channel_campaigns,
    session_intensity,
)
from kpi_xl.sample_data.seasonality import Calendar, Rng
from kpi_xl.sample_data.store import PROFILES, Campaign, black_friday

# -- draws ---------------------------------------------------------------------------------


def _binom(rng: Rng, n: Matrix, p: Matrix | float) -> Matrix:
    return rng.binomial(n.astype(np.int64), np.clip(p, 0.0, 1.0)).astype(float)


def _poisson(rng: Rng, lam: Matrix | float) -> Matrix:
    return rng.poisson(np.maximum(lam, 0.0)).astype(float)


def _gamma_sum(rng: Rng, count: Matrix, mean: Matrix | float, shape: float) -> Matrix:
    """The sum of ``count`` gamma-distributed amounts of mean ``mean`` (0 when count is 0)."""
    draw = rng.gamma(np.maximum(count, 1e-9) * shape, np.ones_like(count) * mean / shape)
    return np.where(count > 0, draw, 0.0)


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
    new_customers = _binom(rng, orders, 0.55)
    # leads: sign-ups and contact requests; every new customer signed up first
    leads = _binom(rng, sessions, prof.leads) + new_customers
    responded = _binom(rng, leads, 0.12)  # contact-form inquiries answered
    hours = np.where(cal.weekday >= 5, 19.0, 5.5)
    responses = _binom(rng, orders, 0.12)
    # GA4 key events: purchases and lead sign-ups; a session may have both
    key_events = orders + leads
    key_event_sessions = np.minimum(_binom(rng, key_events, 0.9), sessions)
    v.update(
        _true_sessions=true_sessions,
        sessions=sessions,
        users=users,
        new_users=_binom(rng, users, prof.new_users),
        engaged_sessions=engaged,
        pageviews=sessions + _poisson(rng, extra_pages),
        session_duration_s=(
            duration := np.round(engaged * prof.duration * 1.4 * rng.lognormal(0, 0.1, lam.shape))
        ),
        # GA4 engagement time: the site in the foreground, about 70 % of the session
        engagement_time_s=np.round(duration * 0.7),
        bounces=sessions - engaged,
        key_events=key_events,
        key_event_sessions=key_event_sessions,
        leads=leads,
        lead_response_hours=np.round(_gamma_sum(rng, responded, hours, 2.0), 1),
        leads_responded=responded,
        new_customers=new_customers,
        orders=orders,
        revenue=np.round(_gamma_sum(rng, orders, prof.aov * block.col("aov"), 6.0), 2),
        csat_points=responses + _binom(rng, responses * 4, 0.83),
        csat_satisfied=_binom(rng, responses, 0.8),
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
    # the platform's own lead count (lead forms, attributed sign-ups): most site leads,
    # plus view-through ones
    v["platform_leads"] = _binom(rng, v["leads"], 0.8) + _poisson(rng, v["leads"] * 0.1)


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


def build_block(
    channel: str,
    cal: Calendar,
    rng: Rng,
    per_channel: int | None,
    leads: np.ndarray,
) -> Block:
    """All measures of one channel; ``leads`` (sign-ups of the channels built before) feed
    the email list that email sends go to."""
    prof = PROFILES[channel]
    camps, names, active = channel_campaigns(prof, cal.days, per_channel)
    block = Block(channel, prof, camps, names, active)
    scale = 1.0 if per_channel is None else per_channel / len(prof.campaigns)
    lam = session_intensity(block, cal, rng, scale)
    if "email" in prof.families:
        subscribers = LIST_START + np.concatenate([[0.0], np.cumsum(leads)[:-1]])
        lam = _email(block, cal, rng, subscribers, scale) + lam * 0.05
    for family in prof.families:
        if family in FAMILIES:
            FAMILIES[family](block, cal, rng, lam)
    del block.values["_true_sessions"]
    return block


def add_customers(block: Block, rng: Rng) -> None:
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
