"""docs/ingest.md documents every platform, its generated tables in sync with the specs."""

from __future__ import annotations

from ingest_docs import DOCS, with_sections

from kpi_xl.ingest.platforms import platforms


def test_docs_platform_sections_are_up_to_date() -> None:
    text = DOCS.read_text(encoding="utf-8")
    assert text == with_sections(text), (
        "docs/ingest.md's platform sections are out of date: "
        "python scripts/regenerate_ingest_docs.py"
    )


def test_every_platform_has_a_section_and_a_documented_layout() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for platform in platforms():
        assert f"— `{platform.name}`" in text, platform.name
        assert platform.layout, platform.name
