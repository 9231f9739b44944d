"""docs/ingest.md's platform sections, generated from the platform specs.

Each platform's section is its module's docstring (the layout, what maps to what, what is
refused) followed by tables made from its :class:`~kpi_xl.ingest.spec.Platform` record: the
header names per UI language of every column kpi_xl reads, where the dates come from, the
channel and currency rules, what is refused, and where the layout was checked.
``tests/test_ingest_docs.py`` keeps the document in sync; regenerate it with
``python scripts/regenerate_ingest_docs.py``.
"""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path

from kpi_xl.ingest.platforms import platforms
from kpi_xl.ingest.spec import (
    KINDS,
    LANGUAGES,
    DayColumn,
    Detect,
    Names,
    PeriodColumn,
    Platform,
    RangeColumns,
    ReportRange,
)

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "ingest.md"
START = "<!-- platforms:start (python scripts/regenerate_ingest_docs.py) -->"
END = "<!-- platforms:end -->"


def _code(text: str) -> str:
    return "`" + text.replace("`", "'").replace("|", "\\|") + "`"


def _docstring(platform: Platform) -> str:
    """The platform module's docstring as Markdown (``::`` blocks fenced)."""
    module = sys.modules.get(_module_of(platform)) or importlib.import_module(_module_of(platform))
    lines = (module.__doc__ or "").strip("\n").splitlines()
    parts: list[str] = []  # prose and fenced blocks, in order
    prose: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.rstrip().endswith("::"):
            prose.append(line)
            i += 1
            continue
        head = line.rstrip()[:-2].rstrip()
        if head:
            prose.append(head + ":")
        parts.append(_prose("\n".join(prose)))
        prose = []
        i += 1
        block: list[str] = []
        while i < len(lines) and (not lines[i].strip() or lines[i].startswith("    ")):
            block.append(lines[i][4:])
            i += 1
        text = "\n".join(block).strip("\n")
        parts.append(f"\n```\n{text}\n```\n")
    parts.append(_prose("\n".join(prose)))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(parts)).strip()


def _prose(text: str) -> str:
    """Docstring prose as Markdown: ````code```` and Sphinx roles as `code`."""
    text = re.sub(r"``([^`]+)``", r"`\1`", text)
    return re.sub(r":(?:class|func|mod|data):`~?([^`]+)`", r"`\1`", text)


def _module_of(platform: Platform) -> str:
    for module in sorted(sys.modules):
        if module.startswith("kpi_xl.ingest.platforms."):
            loaded = sys.modules[module]
            specs = getattr(loaded, "PLATFORMS", None) or (getattr(loaded, "PLATFORM", None),)
            if platform in specs:
                return module
    raise LookupError(platform.name)


def _languages(columns: list[Names]) -> list[str]:
    used = {lang for names in columns for lang in names.by_language}
    return [lang for lang in LANGUAGES if lang in used]


def _cell(names: Names, lang: str) -> str:
    found = names.by_language.get(lang, ())
    parts = [_code(n) for n in found]
    if lang == "en" and names.pattern and not found:
        parts.append(f"matching {_code(names.pattern)}")
    return ", ".join(parts) or "—"


def _columns(platform: Platform) -> list[tuple[str, Names]]:
    rows: list[tuple[str, Names]] = []
    for source in platform.dates:
        if isinstance(source, DayColumn):
            rows.append(("`date_from` = `date_to` (the day)", source.names))
        elif isinstance(source, PeriodColumn):
            rows.append((f"`date_from`..`date_to` ({source.granularity} rows)", source.names))
        elif isinstance(source, RangeColumns):
            rows.append(("`date_from`", source.start))
            rows.append(("`date_to`", source.end))
    if platform.campaign is not None:
        rows.append(("`campaign`", platform.campaign))
    rows.extend(("`segment` (joined with ` / `)", names) for names in platform.segments)
    if platform.channel.column is not None:
        rows.append(("`channel` (see below)", platform.channel.column))
    rows.extend((f"`{key}`", names) for key, names in platform.measures.items())
    for kind, group in (
        ("a rate: a fraction or `%`", platform.rates),
        ("seconds, or `H:MM:SS`", platform.durations),
        ("read for derived measures", platform.inputs),
    ):
        rows.extend((f"{key} ({kind})", names) for key, names in group.items())
    if platform.currency is not None and platform.currency.column is not None:
        rows.append(("`currency` (one per file)", platform.currency.column))
    return rows


def _detect(detect: Detect) -> str:
    def one(names: Names) -> str:
        named = " / ".join(_code(n) for n in names.all[:3])
        return named or f"a name matching {_code(names.pattern or '')}"

    parts = [one(n) for n in detect.all_of]
    parts.extend("one of " + ", ".join(one(n) for n in group) for group in detect.any_of)
    text = " and ".join(parts)
    if detect.none_of:
        text += " (and no " + ", ".join(one(n) for n in detect.none_of) + ")"
    return text


def section(platform: Platform) -> str:
    """One platform's Markdown section."""
    lines = [f"### {platform.title} — `{platform.name}`", "", _docstring(platform), ""]
    columns = _columns(platform)
    if columns:
        langs = _languages([n for _, n in columns])
        lines.append("| canonical | " + " | ".join(LANGUAGES[lang] for lang in langs) + " |")
        lines.append("|---|" + "---|" * len(langs))
        for label, names in columns:
            lines.append(f"| {label} | " + " | ".join(_cell(names, lang) for lang in langs) + " |")
        lines.append("")
    facts = [
        f"* **What it is:** {KINDS[platform.kind]}.",
        f"* **Recognized by** a header with {_detect(platform.detect)}.",
    ]
    reports = [s.where for s in platform.dates if isinstance(s, ReportRange)]
    if reports:
        facts.append(
            f"* **Without a date column** every row covers the report's range: {reports[0]}."
        )
    channel = f"`{platform.channel.default}`"
    if platform.channel.table:
        pairs = ", ".join(f"{_code(k)} → `{v}`" for k, v in platform.channel.table.items())
        channel += f"; by the channel column: {pairs}"
    override = f'`{{"{platform.name}": ...}}`'
    facts.append(f"* **Channel:** {channel} (`channel_map` overrides, by value or {override}).")
    if platform.currency is not None and platform.currency.header_pattern:
        pattern = _code(platform.currency.header_pattern)
        facts.append(f"* **Currency:** from a column name matching {pattern}.")
    for refusal in (*platform.refusals, *platform.unsupported):
        facts.append(f'* **Refused:** "{refusal.message}"')
    if platform.docs:
        facts.append(f"* {platform.docs}")
    if platform.references:
        facts.append("* **Layout checked against:** " + "; ".join(platform.references) + ".")
    lines.extend(facts)
    return "\n".join(lines).rstrip() + "\n"


def platform_sections() -> str:
    """Every platform's section, the canonical table first, then by title."""
    ordered = sorted(platforms(), key=lambda p: (p.name != "canonical", p.title.casefold()))
    return "\n".join(section(p) for p in ordered)


def with_sections(text: str) -> str:
    """``text`` (docs/ingest.md) with its generated platform sections replaced."""
    head, found, rest = text.partition(START)
    if not found:
        raise ValueError(f"docs/ingest.md has no {START!r} marker")
    _, found, tail = rest.partition(END)
    if not found:
        raise ValueError(f"docs/ingest.md has no {END!r} marker")
    return f"{head}{START}\n\n{platform_sections()}\n{END}{tail}"
