"""The e-mail a manager reads on a phone (issue 13, item 7).

The verdict comes first (the subject and the first sentences), every status shows its
symbol and word, the marketer's notes sit under their KPI, every overall KPI is in the
chart, drawn in the body's font, and the body fits a 390 px wide screen in headless
Chromium (English, Persian, Hebrew). Expected values are computed from the workbook's
stored values read with openpyxl (test_mail's readers), never by the code under test.
"""

from __future__ import annotations

import importlib.util
import io
import math
import os
import re
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from test_mail import (
    STATUS_CODES,
    SYMBOLS,
    BodyText,
    Stored,
    html_of,
    mark,
    read_stored,
    shown,
    status_code,
)

from kpi_xl.mail import compose_email
from kpi_xl.mail.body import subject, verdict
from kpi_xl.mail.chart import render_chart
from kpi_xl.mail.summary import KpiLine, PlanSummary, read_summary
from kpi_xl.pipeline import plan_model, write_plan
from kpi_xl.plan.spec import load_template
from kpi_xl.sample_data import load_sample
from kpi_xl.style import STATUS_COLORS

ROOT = Path(__file__).resolve().parent.parent
LRI, PDI = "\u2066", "\u2069"
PHONE = 390
#: Notes typed on the Targets sheet: markup to escape, two lines, a long unbroken address
#: (it must wrap, not widen the page), and one on a KPI the message does not show.
NOTES = {
    ("revenue", "all"): 'Promo "<b>Black Friday</b>" & bundles from 27 November',
    ("sessions", "all"): "Tracking fixed, see https://example.com/" + "tracking-fix-" * 8,
    ("roas", "paid_social"): "New creatives on 22 October.\nBudget moves to search.",
    ("ctr", "seo"): "Title tests: not in the e-mail (not a headline KPI)",
}


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo plan, with the notes of :data:`NOTES` typed on its Targets sheet."""
    model = plan_model(load_sample(), load_template("ecommerce").with_choices(lang="en"),
                       notes=NOTES)  # fmt: skip
    return write_plan(model, tmp_path_factory.mktemp("mobile") / "kpi_plan.xlsx")


@pytest.fixture(scope="module")
def stored(plan: Path) -> Stored:
    """What the plan's Overview and Targets sheets hold, read with openpyxl."""
    return read_stored(plan)


@pytest.fixture(scope="module")
def summary(plan: Path) -> PlanSummary:
    return read_summary(plan)


@pytest.fixture(scope="module")
def message(plan: Path) -> Callable[[str], EmailMessage]:
    """The plan's message in a language, composed once."""
    cache: dict[str, EmailMessage] = {}

    def make(lang: str) -> EmailMessage:
        if lang not in cache:
            cache[lang] = compose_email(plan, "boss@example.com", lang=lang,
                                        sender="analyst@example.com")  # fmt: skip
        return cache[lang]

    return make


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


# -- the verdict ------------------------------------------------------------------------------


def test_the_verdict_comes_first(stored: Stored, message: Callable[[str], EmailMessage]) -> None:
    codes = [status_code(row["Status"]) for row in stored.kpis]
    info, revenue = stored.info, stored.kpis[0]
    assert revenue["KPI"] == "Revenue"
    assert info["Current period"] == "2026-10"  # the key; the message names the month
    first = (
        f"{codes.count('on_track')} of {len(codes)} KPIs on track in October 2026 "
        f"(day {info['Days elapsed']} of {info['Days in period']})."
    )
    assert first == "2 of 7 KPIs on track in October 2026 (day 20 of 31)."
    second = (
        f"Revenue is on pace for {shown(revenue['Pace to period end'], 'Currency')} "
        f"against a {shown(revenue['Target'], 'Currency')} target."
    )
    html = html_of(message("en"))
    assert BodyText(html).lines[:3] == [first, second, "E-commerce plan"]
    text = text_of(message("en"))
    counts = ", ".join(f"{mark(c)}: {codes.count(c)}" for c in SYMBOLS if codes.count(c))
    assert counts == "✓ On track: 2, ! At risk: 4, ✗ Off track: 1"
    assert text.splitlines()[:2] == [f"{first} {second}", counts]
    assert "recalculates" not in html + text  # the old first sentence is gone


def test_the_subject_is_the_verdict(
    stored: Stored, summary: PlanSummary, message: Callable[[str], EmailMessage]
) -> None:
    on = sum(status_code(row["Status"]) == "on_track" for row in stored.kpis)
    total = len(stored.kpis)
    revenue = stored.kpis[0]
    change = f"{revenue['Pace to period end'] / revenue['Target'] - 1:+.1%}"
    # the period by its month's name in each language (typed by hand)
    counts = f"October 2026: {on}/{total}"
    assert message("en")["Subject"] == f"{counts} on track, Revenue on pace {change} vs target"
    fi = f"lokakuu 2026: {on}/{total} tavoitteessa, Liikevaihto tahdilla {change} tavoitteesta"
    assert subject(summary, "fi") == fi
    assert subject(summary, "uz") == (
        f"oktabr, 2026: {on}/{total} reja boʻyicha, Daromad joriy surʼatda maqsadga nisbatan "
        f"{change}"
    )
    # right to left: each number isolated, so "-5.1%" keeps its sign on the left
    for lang, words in (("fa", ("در مسیر", "درآمد")), ("he", ("במסלול", "הכנסות"))):
        subject_line = message(lang)["Subject"]
        month = {"fa": "اکتبر 2026", "he": "אוקטובר 2026"}[lang]  # a Gregorian plan's month
        assert subject_line.startswith(f"{month}: {LRI}{on}{PDI}/{LRI}{total}{PDI} ")
        assert f"{LRI}{change}{PDI}" in subject_line and all(w in subject_line for w in words)


def _line(status: str, actual: float, target: float, pace: float = math.nan) -> KpiLine:
    attainment = (pace if not math.isnan(pace) else actual) / target
    return KpiLine("revenue", "currency", False, actual, target, attainment, status, pace)


def _summary(elapsed: int, days: int, *lines: KpiLine) -> PlanSummary:
    return PlanSummary(path=Path("plan.xlsx"), lang="en", template="ecommerce", title="",
                       period="2026-09", currency="EUR", data_range="", last_refreshed="",
                       days_elapsed=elapsed, days_in_period=days, kpis=list(lines))  # fmt: skip


def test_the_verdict_of_a_closed_period_and_without_a_target() -> None:
    """A complete month gives the attainment; a partial one above target a "+"; a KPI
    without a target says so, and the subject falls back to the count."""
    closed = _summary(30, 30, _line("on_track", 310_000, 300_000), _line("off_track", 5, 10))
    assert subject(closed, "en") == "September 2026: 1/2 on track, Revenue at 103.3% of target"
    assert [p.text("en") for p in verdict(closed, "en")] == [
        "1 of 2 KPIs on track in September 2026.",
        "Revenue is at €310,000 against a €300,000 target.",
    ]
    ahead = _summary(10, 30, _line("on_track", 110_000, 300_000, pace=330_000))
    assert subject(ahead, "en") == "September 2026: 1/1 on track, Revenue on pace +10.0% vs target"
    untargeted = _summary(30, 30, _line("no_target", 310_000, math.nan))
    assert subject(untargeted, "en") == "September 2026: 0/1 on track"
    assert verdict(untargeted, "en")[1].text("en") == "Revenue is at €310,000; no target is set."
    assert subject(_summary(30, 30), "en") == "September 2026: 0/0 on track"


# -- notes and status marks -------------------------------------------------------------------


def test_notes_sit_under_their_kpi(stored: Stored, message: Callable[[str], EmailMessage]) -> None:
    assert stored.notes == {f"{kpi}|{scope}": note for (kpi, scope), note in NOTES.items()}
    revenue, paid_social = stored.notes["revenue|all"], stored.notes["roas|paid_social"]
    html, text = html_of(message("en")), text_of(message("en"))
    assert "&lt;b&gt;Black Friday&lt;/b&gt;" in html and "<b>Black Friday</b>" not in html
    lines = BodyText(html).lines
    start = lines.index("Revenue", lines.index("Overall plan"))
    assert f"Note: {revenue}" in lines[start : lines.index("Sales growth", start)]
    at = lines.index("Return on ad spend (ROAS, platform)")
    first, second = paid_social.splitlines()
    note = lines.index(f"Note: {first}", at)
    assert lines[note + 1] == second and note < lines.index("Organic social ✓ 1 ! 3 ✗ 0", at)
    assert stored.notes["ctr|seo"] not in html + text
    rows = text.splitlines()
    row = rows.index("- Revenue: ! At risk")
    assert rows[row + 1 : row + 3] == [
        "  Actual €184,238 (on pace for €285,568), Target €300,968, Attainment 94.9%",
        f"  Note: {revenue}",
    ]
    row = rows.index("  Return on ad spend (ROAS, platform): ✗ Off track")
    assert rows[row + 2 : row + 4] == [f"  Note: {first}", f"    {second}"]


@pytest.mark.parametrize("lang", ["en", "fa", "he"])
def test_status_is_never_colour_alone(
    stored: Stored, message: Callable[[str], EmailMessage], lang: str
) -> None:
    """Every coloured chip carries its status's symbol, in that status's colours; the
    text names each status with its symbol too."""
    body = BodyText(html_of(message(lang)))
    by_symbol = {symbol: code for code, symbol in SYMBOLS.items()}
    for text, style in body.chips:
        bg, fg = STATUS_COLORS[by_symbol[text[0]]]
        assert f"background:{bg};color:{fg}" in style, (text, style)
    # each channel's counts, symbol and number
    counts = [f"{SYMBOLS[c]} {row[w]}" for row in stored.channels for w, c in STATUS_CODES.items()]
    assert [t for t, _ in body.chips if re.fullmatch(r"\W \d+", t)] == counts
    if lang == "en":
        text = text_of(message(lang))
        for word, code in STATUS_CODES.items():
            assert text.count(word) == text.count(f"{SYMBOLS[code]} {word}") > 0


# -- the chart --------------------------------------------------------------------------------


TARGET_FILL = (0xD9, 0xD9, 0xD9)  # the chart's target bars (grey, as on the workbook)


def _runs(image: Any, colors: dict[tuple[int, int, int], str]) -> list[str]:
    """Top to bottom, the bars of the given fill colours: one name per run of rows with
    at least 8 pixels of one of them."""
    pixels = np.asarray(image)
    found = np.full(pixels.shape[0], "", dtype=object)
    for color, name in colors.items():
        found[(pixels == color).all(axis=2).sum(axis=1) >= 8] = name
    runs = [name for i, name in enumerate(found) if name and (i == 0 or found[i - 1] != name)]
    return [str(name) for name in runs]


@pytest.mark.parametrize("lang", ["en", "fa"])
def test_the_chart_shows_every_overall_kpi(stored: Stored, summary: PlanSummary, lang: str) -> None:
    from PIL import Image

    statuses = [status_code(row["Status"]) for row in stored.kpis]
    with Image.open(io.BytesIO(render_chart(summary, lang))) as png:
        image = png.convert("RGB")
    assert _runs(image, {TARGET_FILL: "target"}) == ["target"] * len(statuses) == ["target"] * 7
    fills = {_rgb(STATUS_COLORS[code][0]): code for code in set(statuses)}
    assert _runs(image, fills) == statuses  # each KPI's actual bar, in order


def _rgb(hex_color: str) -> tuple[int, int, int]:
    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return r, g, b


def test_the_chart_is_in_the_body_font(
    summary: PlanSummary, message: Callable[[str], EmailMessage], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The chart's text is drawn with the font the HTML asks for first, found as a file
    (not a fallback)."""
    from matplotlib import font_manager
    from matplotlib.figure import Figure
    from matplotlib.ft2font import FT2Font
    from matplotlib.text import Text

    family = re.search(r"font-family:'([^']+)'", html_of(message("en")))
    assert family is not None
    drawn: list[Figure] = []
    save = Figure.savefig

    def keep(self: Figure, *args: Any, **kwargs: Any) -> None:
        drawn.append(self)
        save(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", keep)
    render_chart(summary, "en")
    texts = [t for t in drawn[0].findobj(Text) if t.get_text()]
    assert len(texts) > 7 * 3  # titles, value labels, tick labels
    files = {font_manager.findfont(t.get_fontproperties(), fallback_to_default=False)
             for t in texts}  # fmt: skip
    assert {FT2Font(f).family_name for f in files} == {family.group(1)}


# -- in Chromium ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chromium() -> str:
    """Chromium's path; skips without it unless ``KPI_XL_REQUIRE_CHROMIUM=1`` (then fails)."""
    render = load_render_script()
    path = render.find_chromium()
    if path:
        return str(path)
    if os.environ.get("KPI_XL_REQUIRE_CHROMIUM") == "1":
        pytest.fail("Chromium is required here but not installed")
    pytest.skip("Chromium is not installed")


def load_render_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "render_email", ROOT / "scripts" / "render_email.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_body_fits_a_phone(message: Callable[[str], EmailMessage], chromium: str) -> None:
    """In a 390 px wide viewport the page is no wider than the screen (no sideways
    scrolling), left to right and right to left; pages made too wide are caught."""
    render = load_render_script()
    langs = ("en", "fa", "he")
    pages = [render.browser_html(message(lang)) for lang in langs]
    too_wide = [
        f'<!DOCTYPE html><html dir="{d}"><body><div style="width:500px">x</div></body></html>'
        for d in ("ltr", "rtl")
    ]
    # one Chromium run: the three at 390 px, the two too wide, and English at 640 px
    widths = [PHONE] * 5 + [640]
    *fitted, wide_ltr, wide_rtl, desktop = render.measure(
        [*pages, *too_wide, pages[0]], chromium, widths
    )
    for lang, width in zip(langs, fitted, strict=True):
        assert width["clientWidth"] == PHONE, (lang, width)
        assert width["scrollWidth"] <= PHONE, (lang, width)
    assert wide_ltr["scrollWidth"] > PHONE and wide_rtl["scrollWidth"] > PHONE
    assert desktop == {"scrollWidth": 640, "clientWidth": 640}


@pytest.mark.parametrize(("lang", "width"), [("en", 900), ("fa", PHONE)])
def test_rendered_body(
    message: Callable[[str], EmailMessage], chromium: str, tmp_path: Path, lang: str, width: int
) -> None:
    from PIL import Image

    render = load_render_script()
    assert "cid:" not in render.browser_html(message(lang))
    png = render.render(message(lang), tmp_path / f"email_{lang}.png", chromium, width)
    with Image.open(png) as image:
        rgb = image.convert("RGB")
    assert rgb.size[0] == width and 1500 < rgb.size[1] < render.MAX_HEIGHT
    pixels = np.asarray(rgb)
    for hex_color in ("#1F4E78", STATUS_COLORS["off_track"][0], STATUS_COLORS["at_risk"][0]):
        assert (pixels == _rgb(hex_color)).all(axis=2).any(), hex_color
