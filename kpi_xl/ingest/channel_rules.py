"""GA4's default channel group, from source, medium and campaign, declared as data.

Google documents the rules of the default channel group in order, first match wins
(https://support.google.com/analytics/answer/9756891; the wording used here is the one
Velir's dbt-ga4 package copies from that page). They are written once, as :data:`RULES`,
and evaluated here on pandas columns; the warehouse reader compiles the same rules into
the engine's SQL, so a GA4 BigQuery export is grouped exactly as a GA4 report is.

Four rules need Google's source categories (its published list of search, social,
shopping and video sites, about 800 sources). :data:`SOURCE_CATEGORIES` holds the common
ones; a source it does not know falls through to the rules that need no list (a paid
medium without a known site is "Paid Other"). ``channel_map`` (by the GA4 channel group,
or by ``source / medium``) overrides anything. Matching is case-insensitive, as in GA4.

:data:`CHANNEL_GROUPS` maps each GA4 channel group to kpi_xl's channel vocabulary.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

PAID = r"^(.*cp.*|ppc|retargeting|paid.*)$"
SHOPPING_CAMPAIGN = r"^(.*(([^a-df-z]|^)shop|shopping).*)$"

SOURCE_CATEGORIES: Mapping[str, frozenset[str]] = {
    "search": frozenset({
        "google", "bing", "yahoo", "duckduckgo", "baidu", "yandex", "ecosia", "naver",
        "seznam", "qwant", "ask", "aol", "startpage", "brave", "search.brave.com",
        "yandex.ru", "go.mail.ru", "daum", "sogou", "so.com", "cn.bing.com", "msn",
        "google.com", "bing.com", "yahoo.com", "duckduckgo.com", "ecosia.org",
    }),
    "social": frozenset({
        "facebook", "facebook.com", "fb", "m.facebook.com", "l.facebook.com",
        "lm.facebook.com", "instagram", "instagram.com", "ig", "l.instagram.com",
        "linkedin", "linkedin.com", "lnkd.in", "twitter", "twitter.com", "t.co", "x.com",
        "tiktok", "tiktok.com", "pinterest", "pinterest.com", "reddit", "reddit.com",
        "snapchat", "whatsapp", "telegram", "t.me", "threads.net", "vk.com", "quora",
        "quora.com", "tumblr", "discord", "discord.com", "xing", "weibo", "line",
        "mastodon", "bluesky", "bsky.app",
    }),
    "video": frozenset({
        "youtube", "youtube.com", "m.youtube.com", "vimeo", "vimeo.com", "twitch",
        "twitch.tv", "dailymotion", "dailymotion.com", "wistia", "youku",
    }),
    "shopping": frozenset({
        "amazon", "amazon.com", "ebay", "ebay.com", "google shopping", "igshopping",
        "shopping.google.com", "etsy", "etsy.com", "walmart", "walmart.com", "shopify",
        "shopzilla", "stripe", "checkout.stripe.com", "paypal", "zalando", "allegro",
    }),
}  # fmt: skip


@dataclass(frozen=True)
class Test:
    """One condition on a field: ``op`` is ``is`` (one of ``values``), ``regex`` (full
    match), ``contains``, ``endswith`` or ``category`` (in :data:`SOURCE_CATEGORIES`)."""

    field: str  # "source" | "medium" | "campaign"
    op: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Rule:
    """A channel group and its condition: any of ``alternatives``, each all of its tests."""

    group: str
    alternatives: tuple[tuple[Test, ...], ...]


def _is(field: str, *values: str) -> Test:
    return Test(field, "is", values)


def _re(field: str, pattern: str) -> Test:
    return Test(field, "regex", (pattern,))


def _category(name: str) -> Test:
    return Test("source", "category", (name,))


EMAIL = ("email", "e-mail", "e_mail", "e mail")
SOCIAL_MEDIA = ("social", "social-network", "social-media", "sm", "social network", "social media")

#: Google's order: the first rule that matches gives the group.
RULES: tuple[Rule, ...] = (
    Rule("Direct", ((_is("source", "(direct)"), _is("medium", "(not set)", "(none)")),)),
    Rule("Cross-network", ((Test("campaign", "contains", ("cross-network",)),),)),
    Rule("Paid Shopping", (
        (_category("shopping"), _re("medium", PAID)),
        (_re("campaign", SHOPPING_CAMPAIGN), _re("medium", PAID)),
    )),
    Rule("Paid Search", ((_category("search"), _re("medium", PAID)),)),
    Rule("Paid Social", ((_category("social"), _re("medium", PAID)),)),
    Rule("Paid Video", ((_category("video"), _re("medium", PAID)),)),
    Rule("Display", ((_is("medium", "display", "banner", "expandable", "interstitial", "cpm"),),)),
    Rule("Paid Other", ((_re("medium", PAID),),)),
    Rule("Organic Shopping", ((_category("shopping"),), (_re("campaign", SHOPPING_CAMPAIGN),))),
    Rule("Organic Social", ((_category("social"),), (_is("medium", *SOCIAL_MEDIA),))),
    Rule("Organic Video", ((_category("video"),), (_re("medium", r"^(.*video.*)$"),))),
    Rule("Organic Search", ((_category("search"),), (_is("medium", "organic"),))),
    Rule("Referral", ((_is("medium", "referral", "app", "link"),),)),
    Rule("Email", ((_is("source", *EMAIL),), (_is("medium", *EMAIL),))),
    Rule("Affiliates", ((_is("medium", "affiliate"),),)),
    Rule("Audio", ((_is("medium", "audio"),),)),
    Rule("SMS", ((_is("source", "sms"),), (_is("medium", "sms"),))),
    Rule("Mobile Push Notifications", (
        (Test("medium", "endswith", ("push",)),),
        (Test("medium", "contains", ("mobile",)),),
        (Test("medium", "contains", ("notification",)),),
        (_is("source", "firebase"),),
    )),
)  # fmt: skip
UNASSIGNED = "Unassigned"

#: GA4 channel groups (session or first-user; default or primary) -> kpi_xl channels.
CHANNEL_GROUPS = {
    "organic search": "seo",
    "paid search": "paid_search",
    "paid social": "paid_social",
    "organic social": "organic_social",
    "email": "email",
    "referral": "referral",
    "direct": "direct",
    "display": "display",
    "affiliates": "affiliate",
    "organic video": "organic_social",
    "paid video": "display",
    "organic shopping": "seo",
    "paid shopping": "paid_search",
    "cross-network": "paid_search",
    "paid other": "other",
    "audio": "other",
    "sms": "other",
    "mobile push notifications": "other",
    "unassigned": "other",
    "(other)": "other",
    "(not set)": "other",
}


def _holds(test: Test, fields: Mapping[str, pd.Series]) -> np.ndarray:
    text = fields[test.field]
    if test.op == "is":
        return text.isin([v.casefold() for v in test.values]).to_numpy(dtype=bool)
    if test.op == "regex":
        return text.str.fullmatch(test.values[0], flags=re.IGNORECASE).to_numpy(dtype=bool)
    if test.op == "contains":
        return text.str.contains(test.values[0], regex=False).to_numpy(dtype=bool)
    if test.op == "endswith":
        return text.str.endswith(test.values[0]).to_numpy(dtype=bool)
    return text.isin(SOURCE_CATEGORIES[test.values[0]]).to_numpy(dtype=bool)


def channel_group(
    source: pd.Series, medium: pd.Series, campaign: pd.Series | None = None
) -> pd.Series:
    """GA4's default channel group of each (source, medium, campaign)."""
    fields = {
        "source": source.astype(object).fillna("").astype(str).str.strip().str.casefold(),
        "medium": medium.astype(object).fillna("").astype(str).str.strip().str.casefold(),
    }
    fields["campaign"] = (
        campaign.astype(object).fillna("").astype(str).str.strip().str.casefold()
        if campaign is not None
        else pd.Series("", index=source.index)
    )
    group = np.full(len(source), UNASSIGNED, dtype=object)
    open_rows = np.ones(len(source), dtype=bool)
    for rule in RULES:
        matched = np.zeros(len(source), dtype=bool)
        for alternative in rule.alternatives:
            holds = np.ones(len(source), dtype=bool)
            for test in alternative:
                holds &= _holds(test, fields)
            matched |= holds
        take = matched & open_rows
        group[take] = rule.group
        open_rows &= ~take
    return pd.Series(group, index=source.index, dtype=object)


def split_source_medium(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """GA4's ``Session source / medium`` (``google / cpc``) as source and medium."""
    parts = text.astype(object).fillna("").astype(str).str.split(" / ", n=1, expand=True)
    source = parts[0].str.strip()
    medium = parts[1].str.strip() if parts.shape[1] > 1 else pd.Series("", index=text.index)
    return source, medium.fillna("")
