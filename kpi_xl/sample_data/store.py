"""The sample store, "Nordic Goods": a small Nordic online shop for outdoor clothing, shoes
and home goods (EUR). Its channels, campaigns and how each behaves are data here; the
simulation that turns them into daily rows is :mod:`kpi_xl.sample_data.generate`.

Which measures each channel reports (its *families*; anything else is NaN):

* every channel - web analytics (GA4): sessions, users (daily; whole-period users are
  added at load, see :func:`kpi_xl.sample_data.load_sample`), new_users, engaged_sessions,
  bounces (= sessions - engaged_sessions), pageviews, session_duration_s,
  engagement_time_s (70 % of it: the site in the foreground), orders,
  revenue, new_customers, leads (newsletter and account sign-ups - every new customer
  signs up first - and contact-form inquiries), key_events (purchases + sign-ups) and
  key_event_sessions, leads_responded / lead_response_hours (inquiries answered by
  customer service), csat_points / csat_satisfied / csat_responses (post-purchase
  survey); and the stocks customers / churned_customers on the channel's anchor campaign
  (see below);
* ``landing`` (paid search, paid social, display, email, content): landing_page_sessions,
  landing_page_conversions;
* ``blog`` (seo, content): blog_pageviews;
* ``ads`` (paid search, paid social, display): impressions, clicks, cost, and the
  platform's conversions (purchases incl. view-through, so >= orders), conversion_value
  and platform_leads (its own lead count, most of the site's leads plus view-through);
* ``search_console`` (seo): impressions, clicks, position_x_impressions;
* ``links`` (seo): backlinks, referring_domains (stocks, anchor row);
* ``reach`` (display) and ``social`` (paid and organic social): reach (daily unique
  people; whole-period reach is added at load), engagements, shares; ``organic_social``
  adds mentions and followers (a stock per profile: each organic-social campaign is one
  profile);
* ``email``: emails_sent, emails_delivered, unique_opens, unique_clicks, unsubscribes,
  email_bounces (= sent - delivered), list_size (stock, anchor row) and the email tool's
  cost (anchor row);
* ``production`` (content): cost of articles and shoots (paid on Mondays), shares;
* ``commission`` (affiliate): cost (8 % commission) and conversion_value.

Stocks sit on single rows so that the catalog's rule for ``last`` measures (the period's
last value, summed over the campaigns and channels collapsed into a group) gives the
store's total. The *anchor* is a channel's first campaign below, always on:

* ``customers`` - active customers acquired through the channel; each day
  ``customers = previous customers + new_customers (whole channel) - churned_customers``;
* ``list_size`` (email anchor, "Newsletter weekly") - each day it grows by the leads of
  every channel and shrinks by the unsubscribes;
* ``followers`` - on every organic-social row, one profile each;
* ``backlinks``, ``referring_domains`` - seo anchor ("Brand queries").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

SOURCE = "sample"
DEFAULT_START = "2025-01-01"
DEFAULT_END = "2026-10-20"
DEFAULT_SEED = 2026
DEFAULT_CHANNELS = (
    "seo",
    "paid_search",
    "paid_social",
    "organic_social",
    "email",
    "content",
    "referral",
)
OUTAGE = (dt.date(2026, 6, 8), dt.date(2026, 6, 14))
LAUNCH = ("paid_social", "Prospecting - Advantage+ Shopping", dt.date(2026, 3, 1))
EPOCH = dt.date(2025, 1, 1)


@dataclass(frozen=True)
class Campaign:
    """One campaign (or page group, profile, email flow) and how it differs from its channel."""

    name: str
    weight: float = 1.0  # relative share of the channel's traffic
    cvr: float = 1.0  # multiplier on the channel's order rate
    aov: float = 1.0  # multiplier on the channel's average order value
    ctr: float = 0.02  # clicks / impressions (ads, search console, social)
    cpc: float = 0.5  # cost per click (ads)
    position: float = 8.0  # average search position (seo)
    audience: float = 1.0  # email: share of the list a send goes to; social: followers
    sends: str = ""  # email schedule: daily | weekly:<weekday> | monthly:<weekday> | event
    cto: float = 0.1  # email: unique clicks / unique opens
    production: float = 0.0  # content: cost of the article or shoot published each Monday
    launch: dt.date | None = None  # first day with rows
    season: str = ""  # yearly window (see SEASONS); rows only inside it


@dataclass(frozen=True)
class Channel:
    """A channel's volume, behaviour on site, and the measure families it reports."""

    sessions: float  # daily sessions (all campaigns) in January 2025
    families: tuple[str, ...]
    weekday: tuple[float, float, float, float, float, float, float]
    events: float = 1.0  # sensitivity to Black Friday / Christmas (exponent)
    engaged: float = 0.6
    pages: float = 3.0
    duration: float = 120.0
    new_users: float = 0.6
    cvr: float = 0.015  # orders per session
    aov: float = 78.0
    leads: float = 0.008  # sign-ups per session
    landing: float = 0.0  # share of sessions on campaign landing pages
    blog: float = 0.0  # share of pageviews on blog posts
    customers: float = 1500.0  # active customers acquired by the channel at the start
    campaigns: tuple[Campaign, ...] = ()
    extra: str = "Campaign"  # name stem of synthetic campaigns (bench sizes)


C = Campaign
SEARCH_WEEK = (1.06, 1.06, 1.04, 1.02, 0.96, 0.88, 0.98)
SOCIAL_WEEK = (0.94, 0.95, 0.96, 0.98, 1.02, 1.08, 1.07)
FLAT_WEEK = (1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0)
OFFICE_WEEK = (1.12, 1.1, 1.08, 1.05, 0.98, 0.82, 0.85)

PROFILES: dict[str, Channel] = {
    "seo": Channel(
        1400,
        ("web", "blog", "search_console", "links"),
        SEARCH_WEEK,
        events=0.6,
        engaged=0.64,
        pages=3.4,
        duration=150,
        cvr=0.014,
        leads=0.007,
        blog=0.22,
        customers=5200,
        campaigns=(
            C("Brand queries", 0.3, cvr=1.9, ctr=0.32, position=3.6),
            C("Category pages", 0.3, ctr=0.045, position=8.5),
            C("Product pages", 0.25, cvr=1.2, ctr=0.035, position=10.5),
            C("Blog articles", 0.15, cvr=0.3, ctr=0.018, position=14.0),
        ),
        extra="Page group",
    ),
    "paid_search": Channel(
        900,
        ("web", "landing", "ads"),
        SEARCH_WEEK,
        engaged=0.62,
        pages=3.1,
        duration=125,
        new_users=0.55,
        cvr=0.022,
        leads=0.005,
        landing=0.92,
        customers=3300,
        campaigns=(
            C("Brand - Exact", 0.25, cvr=1.8, ctr=0.24, cpc=0.22),
            C("Generic - Shoes", 0.25, cvr=0.8, ctr=0.045, cpc=0.68),
            C("Generic - Outerwear", 0.2, cvr=0.7, aov=1.6, ctr=0.04, cpc=0.82),
            C("Shopping - All products", 0.22, cvr=1.0, ctr=0.011, cpc=0.46),
            C("DSA - Catch-all", 0.08, cvr=0.6, ctr=0.03, cpc=0.41),
            C("Black Friday {year}", 0.35, cvr=1.5, aov=0.85, ctr=0.06, cpc=0.9, season="bf"),
        ),
        extra="Generic - Product group",
    ),
    "paid_social": Channel(
        600,
        ("web", "landing", "ads", "social"),
        SOCIAL_WEEK,
        engaged=0.48,
        pages=2.2,
        duration=75,
        new_users=0.78,
        cvr=0.009,
        leads=0.012,
        landing=0.95,
        customers=1800,
        campaigns=(
            C("Retargeting - 30d", 0.3, cvr=2.6, ctr=0.019, cpc=0.38, audience=2.6),
            C("Prospecting - Lookalike 1%", 0.4, cvr=0.8, ctr=0.009, cpc=0.55, audience=1.4),
            C("Prospecting - Interests", 0.3, cvr=0.6, ctr=0.007, cpc=0.61, audience=1.3),
            C(LAUNCH[1], 0.45, cvr=1.2, ctr=0.011, cpc=0.5, audience=1.5, launch=LAUNCH[2]),
            C("Black Friday {year}", 0.5, cvr=1.6, aov=0.85, ctr=0.014, cpc=0.7, season="bf"),
            C("Summer sale {year}", 0.3, cvr=1.2, aov=0.8, ctr=0.012, cpc=0.5, season="summer"),
        ),
        extra="Prospecting - Audience",
    ),
    "organic_social": Channel(
        250,
        ("web", "social", "organic_social"),
        SOCIAL_WEEK,
        events=0.8,
        engaged=0.5,
        pages=2.4,
        duration=85,
        new_users=0.7,
        cvr=0.007,
        leads=0.011,
        customers=700,
        campaigns=(
            C("Instagram", 0.55, ctr=0.006, audience=12400),
            C("Facebook", 0.3, ctr=0.005, audience=8900),
            C("Pinterest", 0.15, ctr=0.009, audience=2300),
        ),
        extra="Profile",
    ),
    "email": Channel(
        350,
        ("web", "landing", "email"),
        FLAT_WEEK,
        engaged=0.7,
        pages=3.6,
        duration=160,
        new_users=0.12,
        cvr=0.028,
        leads=0.002,
        landing=0.6,
        customers=1600,
        campaigns=(
            C("Newsletter weekly", 0.9, audience=0.95, ctr=0.38, sends="weekly:1"),
            C("Welcome series", 0.08, 1.4, audience=0.006, ctr=0.55, cto=0.2, sends="daily"),
            C("Abandoned cart", 0.06, 3.2, 1.1, audience=0.008, ctr=0.5, cto=0.3, sends="daily"),
            C("Win-back", 0.15, 0.8, audience=0.12, ctr=0.22, sends="monthly:3"),
            C("Black Friday {year}", 1.0, 1.4, 0.85, ctr=0.42, cto=0.13, sends="bf", season="bf"),
            C("Christmas gift guide {year}", 0.8, ctr=0.4, sends="weekly:2", season="xmas"),
        ),
        extra="Promo",
    ),
    "content": Channel(
        250,
        ("web", "landing", "blog", "production"),
        OFFICE_WEEK,
        events=0.3,
        engaged=0.66,
        pages=2.1,
        duration=170,
        cvr=0.004,
        leads=0.02,
        landing=0.25,
        blog=0.78,
        customers=500,
        campaigns=(
            C("Blog - Style guides", 0.45, production=260),
            C("Blog - Care & repair", 0.3, cvr=1.3, production=220),
            C("Lookbook - Seasonal", 0.15, cvr=1.8, production=450),
            C("Guide - Capsule wardrobe (PDF)", 0.1, cvr=0.5),
        ),
        extra="Blog - Topic",
    ),
    "referral": Channel(
        150,
        ("web",),
        FLAT_WEEK,
        events=0.5,
        engaged=0.6,
        pages=2.8,
        duration=115,
        cvr=0.016,
        customers=600,
        campaigns=(
            C("Press & media", 0.3),
            C("Partner blogs", 0.4, cvr=1.2),
            C("Gift guides", 0.3, cvr=1.3),
        ),
        extra="Referring site",
    ),
    "display": Channel(
        300,
        ("web", "landing", "ads", "reach"),
        FLAT_WEEK,
        engaged=0.35,
        pages=1.8,
        duration=55,
        new_users=0.8,
        cvr=0.004,
        landing=0.97,
        customers=400,
        campaigns=(
            C("Remarketing - Display", 0.4, cvr=2.0, ctr=0.004, cpc=0.35, audience=3.0),
            C("Prospecting - Custom intent", 0.6, ctr=0.0015, cpc=0.45, audience=1.6),
        ),
        extra="Display - Placement",
    ),
    "direct": Channel(
        700,
        ("web",),
        FLAT_WEEK,
        engaged=0.66,
        pages=3.8,
        duration=170,
        new_users=0.3,
        cvr=0.03,
        customers=4000,
        campaigns=(C("(direct)"),),
        extra="Landing page",
    ),
    "affiliate": Channel(
        120,
        ("web", "commission"),
        FLAT_WEEK,
        cvr=0.025,
        aov=70.0,
        customers=300,
        campaigns=(C("Cashback portals", 0.5), C("Voucher sites", 0.5)),
        extra="Publisher",
    ),
    "other": Channel(60, ("web",), FLAT_WEEK, cvr=0.01, customers=150, campaigns=(C("(not set)"),)),
}


def black_friday(year: int) -> dt.date:
    """The day after the fourth Thursday of November."""
    first = dt.date(year, 11, 1)
    return first + dt.timedelta(days=(3 - first.weekday()) % 7 + 22)


SEASONS: dict[str, Callable[[int], tuple[dt.date, dt.date]]] = {
    "bf": lambda y: (black_friday(y) - dt.timedelta(14), black_friday(y) + dt.timedelta(3)),
    "xmas": lambda y: (dt.date(y, 12, 1), dt.date(y, 12, 20)),
    "summer": lambda y: (dt.date(y, 6, 20), dt.date(y, 7, 10)),
}
