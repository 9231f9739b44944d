"""Structural golden test: the plan's anatomy must not drift unnoticed.

Regenerate deliberately with ``python scripts/regenerate_workbook_golden.py`` and review
the diff of ``tests/golden/workbook_anatomy.json``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from anatomy import anatomy

GOLDEN = Path(__file__).parent / "golden" / "workbook_anatomy.json"


@pytest.mark.parametrize(("key", "template", "lang"), [
    ("ecommerce-en", "ecommerce", "en"), ("leadgen-he", "leadgen", "he")])  # fmt: skip
def test_anatomy_matches_golden(
    demo_plan: Callable[..., Path], key: str, template: str, lang: str
) -> None:
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))[key]
    assert anatomy(demo_plan(template, lang)) == expected


def test_anatomy_essentials(demo_plan: Callable[..., Path]) -> None:
    """Independent of the golden: what SPEC section 4 requires, stated directly."""
    a = anatomy(demo_plan("ecommerce", "en"))
    names = [s["name"] for s in a["sheets"]]
    assert names[0] == "Overview" and names[-1] == "_meta"
    assert names[-5:-1] == ["Targets", "Data", "Definitions", "Settings"]
    assert a["sheets"][-1]["state"] == "veryHidden"
    assert list(a["tables"]) == ["ChannelData"]
    assert a["tables"]["ChannelData"]["columns"][:3] == ["period", "channel", "campaign"]
    assert {"kpi_OnTrack", "kpi_AtRisk", "kpi_CurrentPeriod", "kpi_DataSource"} <= set(
        a["defined_names"]
    )
    assert not a["vba"] and not a["external_links"]
    by_name = {s["name"]: s for s in a["sheets"]}
    assert by_name["Overview"]["sparklines"] == 7
    for channel in ("SEO", "Paid search", "Email"):
        sheet = by_name[channel]
        assert sheet["charts"] == 1 and sheet["formulas"] > 100
        assert sheet["conditional_formats"] >= 4 and sheet["protected"] and sheet["frozen"]
        assert sheet["landscape"] and sheet["fit_to_width"]
    assert by_name["Targets"]["validations"] > 0 and by_name["Settings"]["validations"] == 7
    assert not any(s["rtl"] for s in a["sheets"])
    he = anatomy(demo_plan("leadgen", "he"))
    assert all(s["rtl"] for s in he["sheets"] if s["state"] == "visible")
