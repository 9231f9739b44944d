"""The KPI catalog's records: coverage of the KPIs the spec names, directions, ids and
names in every language, the measures expressions read, and the golden snapshot.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from catalog_support import GOLDEN, catalog_snapshot, snapshot_text

from kpi_xl import catalog
from kpi_xl.catalog import LANGUAGES, records

# -- coverage --------------------------------------------------------------------------------

#: SPEC section 2 "Catalog coverage": each KPI the spec names, and the catalog id(s) of it.
REQUIRED: dict[str, tuple[str, ...]] = {
    "sales growth": ("sales_growth",),
    "leads": ("leads",),
    "CLV/LTV": ("clv",),
    "CAC": ("cac",),
    "sales team response time": ("sales_response_time",),
    "traffic-to-lead ratio": ("traffic_to_lead_ratio",),
    "sessions": ("sessions",),
    "users": ("users",),
    "pageviews": ("pageviews",),
    "pages per session": ("pages_per_session",),
    "average session duration": ("average_session_duration",),
    "bounce rate": ("bounce_rate",),
    "social reach": ("social_reach",),
    "social engagement rate": ("social_engagement_rate",),
    "email open rate": ("email_open_rate",),
    "email click rate": ("email_click_rate",),
    "inbound links / referring domains": ("backlinks", "referring_domains"),
    "landing page conversion rate": ("landing_page_conversion_rate",),
    "blog post visits": ("blog_post_views",),
    # GA4 key events and the ad platforms' conversions are different counts: both are kept
    "conversions": ("key_events", "conversions"),
    "conversion rate": ("key_event_rate", "click_conversion_rate"),
    "cost per conversion (CPA)": ("cost_per_conversion",),
    "cost per lead": ("cost_per_lead",),
    "new customers": ("new_customers",),
    "social shares": ("social_shares",),
    "social mentions": ("social_mentions",),
    "CTR": ("ctr",),
    "organic traffic": ("organic_traffic",),
    "average order value": ("average_order_value",),
    "retention rate": ("retention_rate",),
    "ROI": ("roi", "revenue_roi"),
    "keyword position": ("keyword_position",),
    "customer satisfaction": ("csat", "average_satisfaction"),
    "ROAS": ("roas",),
    "CPC": ("cost_per_click",),
    "CPM": ("cpm",),
    "frequency": ("frequency",),
    "click-to-open rate": ("click_to_open_rate",),
    "unsubscribe rate": ("unsubscribe_rate",),
    "email bounce rate": ("email_bounce_rate",),
    "list growth rate": ("list_growth_rate",),
    "engagement rate (GA4 sense)": ("engagement_rate",),
    "lead-to-customer rate": ("lead_to_customer_rate",),
    "churn": ("churn_rate",),
}

#: KPIs where less is better (a spend, a cost per result, a loss or a delay).
LOWER_IS_BETTER = {
    "cac",
    "cost_per_conversion",
    "cost_per_lead",
    "blended_cpa",
    "blended_cpl",
    "cost_per_click",
    "cpm",
    "sales_response_time",
    "bounce_rate",
    "churn_rate",
    "keyword_position",
    "frequency",
    "unsubscribe_rate",
    "email_bounce_rate",
}

SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


def test_catalog_has_at_least_forty_kpis() -> None:
    assert len(catalog.kpis()) >= 40


@pytest.mark.parametrize("spec_name", list(REQUIRED))
def test_every_kpi_the_spec_names_is_present(spec_name: str) -> None:
    for kpi_id in REQUIRED[spec_name]:
        assert kpi_id in catalog.kpis(), f"SPEC names {spec_name!r}; catalog lacks {kpi_id!r}"


def test_directions_of_costs_losses_and_delays() -> None:
    for kpi in catalog.kpis().values():
        if kpi.id in LOWER_IS_BETTER:
            assert kpi.direction == "lower_is_better", kpi.id
    assert catalog.get("key_event_rate").higher_is_better
    assert catalog.get("roi").higher_is_better
    # a budget: underspending is as far from plan as overspending
    assert catalog.get("marketing_spend").direction == "near_target"


def test_ids_are_snake_case_and_names_complete_in_every_language() -> None:
    for kpi in catalog.kpis().values():
        assert SNAKE_CASE.match(kpi.id), kpi.id
        names = [kpi.names[lang] for lang in LANGUAGES]
        assert all(n.strip() == n and n for n in names), (kpi.id, names)
        assert len(set(names)) == len(LANGUAGES), f"{kpi.id}: a language copies another {names}"
    for measure in catalog.measures().values():
        assert SNAKE_CASE.match(measure.id), measure.id
        assert all(measure.names[lang].strip() for lang in LANGUAGES), measure.id


@pytest.mark.parametrize("lang", LANGUAGES)
def test_names_are_unique_within_a_language(lang: str) -> None:
    names = [kpi.name(lang) for kpi in catalog.kpis().values()]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    assert not duplicated


def test_names_are_in_their_script() -> None:
    """Persian and Hebrew names are written in their own alphabets (not left in English)."""
    for kpi in catalog.kpis().values():
        assert re.search("[\u0600-\u06ff]", kpi.name("fa")), kpi.id
        assert re.search("[\u0590-\u05ff]", kpi.name("he")), kpi.id


def test_every_expression_reads_only_base_measures() -> None:
    known = catalog.measures()
    for kpi in catalog.kpis().values():
        assert kpi.all_measures, kpi.id
        assert set(kpi.all_measures) <= set(known), kpi.id
        assert kpi.is_ratio == ("/" in kpi.expression.text)


def test_get_names_close_matches_for_an_unknown_id() -> None:
    assert catalog.get("cpm").id == "cpm"
    with pytest.raises(KeyError, match="did you mean key_event_rate"):
        catalog.get("key_event_rte")


def test_renamed_ids_read_as_the_kpis_that_replaced_them() -> None:
    assert catalog.get("conversion_rate").id == "key_event_rate"
    assert catalog.get("customer_satisfaction").id == "average_satisfaction"
    assert catalog.get("blog_post_visits").id == "blog_post_views"
    for rename in catalog.renames().values():
        assert rename.old not in catalog.kpis() and rename.why


def test_same_platform_kpis_read_only_platform_measures() -> None:
    """Google Ads' CPA is Google Ads' cost over Google Ads' conversions; a KPI dividing by a
    site figure (GA4 key events) is blended."""
    same = {k for k, kpi in catalog.kpis().items() if kpi.matched}
    assert {"cost_per_conversion", "roas", "cost_per_lead", "ctr", "frequency"} <= same
    assert not {"blended_cpa", "blended_cpl", "key_event_rate", "cac", "roi"} & same


# -- definitions and notes in every language --------------------------------------------------


def _raw_kpi(definition: Any) -> dict[str, Any]:
    raw: dict[str, Any] = dict(records._load_yaml("kpis.yaml")[0])
    raw["definition"] = definition
    return raw


def test_definitions_and_notes_are_given_in_every_language() -> None:
    kpi = catalog.get("csat")
    assert kpi.definition == kpi.describe("en") == kpi.definitions["en"]
    assert "4 or 5 on a 1-5 scale" in kpi.definition
    assert "۴ یا ۵" in kpi.describe("fa") and "4 או 5" in kpi.describe("he")
    users = catalog.measures()["users"]
    assert users.note == users.note_in("en") and users.note_in("fi") != users.note
    sessions = catalog.measures()["sessions"]  # a measure without a note
    assert sessions.notes == {} and sessions.note == sessions.note_in("uz") == ""
    with pytest.raises(KeyError, match="KPI 'csat': definition: no text in 'de'"):
        kpi.describe("de")


def test_a_definition_must_map_every_language() -> None:
    known = catalog.measures()
    english = {"en": "Revenue in the period."}
    with pytest.raises(catalog.CatalogError, match="KPI 'revenue': definition must map each"):
        records._kpi(_raw_kpi("Revenue in the period."), known)  # the old string form
    with pytest.raises(catalog.CatalogError, match="KPI 'revenue': definition missing in fa, uz"):
        records._kpi(_raw_kpi({**english, "he": "הכנסות", "fi": "Liikevaihto"}), known)
    every = {lang: f"text {lang}" for lang in LANGUAGES}
    with pytest.raises(catalog.CatalogError, match="definition has unknown languages xx"):
        records._kpi(_raw_kpi({**every, "xx": "?"}), known)
    kpi = records._kpi(_raw_kpi({**every, "fi": "  two\n  lines "}), known)
    assert kpi.describe("fi") == "two lines" and kpi.definition == "text en"


def test_a_measure_note_must_map_every_language(monkeypatch: pytest.MonkeyPatch) -> None:
    names = dict.fromkeys(LANGUAGES, "Users")
    raw = {"aggregation": "whole", "record": "site", "unit": "count", "names": names}
    monkeypatch.setattr(records, "_load_yaml", lambda name: {"users": {**raw, "note": "x"}})
    with pytest.raises(catalog.CatalogError, match="measure 'users': note must map each"):
        records.measures.__wrapped__()
    note = {"en": "Distinct users.", "fa": "کاربران یکتا"}
    monkeypatch.setattr(records, "_load_yaml", lambda name: {"users": {**raw, "note": note}})
    with pytest.raises(catalog.CatalogError, match="measure 'users': note missing in he, fi, uz"):
        records.measures.__wrapped__()


# -- golden snapshot -------------------------------------------------------------------------


def _by_id(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["id"]: item for item in items}


def test_catalog_matches_the_golden_snapshot() -> None:
    """Regenerate deliberately with ``python scripts/regenerate_catalog_golden.py``."""
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    live = catalog_snapshot()
    for part in ("kpis", "measures"):
        old, new = _by_id(golden[part]), _by_id(live[part])
        assert list(new) == list(old), f"{part}: ids or order changed"
        changed = {k: (old[k], new[k]) for k in new if old[k] != new[k]}
        assert not changed, f"{part} changed (old, new): {changed}"
    assert golden == live


def test_golden_snapshot_is_the_regeneration_output() -> None:
    """The file is byte-for-byte what the regeneration script writes."""
    assert GOLDEN.read_text(encoding="utf-8") == snapshot_text()
