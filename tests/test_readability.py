"""What a reader sees in a built plan, checked from the file: no English left in a plan in
another language, no label cut by its column, charts that cache no 0 for a month without
data, a header and footer on every printed sheet, and an Overview whose answer fits a
1366x768 laptop screen.

Text widths are measured with Pillow on the fonts a reader's spreadsheet draws with:
Carlito (metric-compatible with Calibri, the plan's font; Debian ``fonts-crosextra-carlito``)
and, for Persian and Hebrew letters, Noto Sans Arabic and Noto Sans Hebrew
(``fonts-noto-core``). Nothing here uses kpi_xl's own width estimate.
"""

from __future__ import annotations

import math
import os
import re
import zipfile
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from kpi_xl.catalog import kpis
from kpi_xl.catalog.records import _labels as label_table
from kpi_xl.vocabulary import LANGUAGES

FONT_DIRS = (Path("/usr/share/fonts/truetype/crosextra"), Path("/usr/share/fonts/truetype/noto"))
LANGS = ("en", "fa", "he", "fi", "uz")
TEMPLATES = ("ecommerce", "leadgen", "content", "saas")


# -- fonts -----------------------------------------------------------------------------------


def _font_file(name: str) -> Path | None:
    for folder in FONT_DIRS:
        if (folder / name).is_file():
            return folder / name
    return None


@cache
def _font(family: str, bold: bool, px: int) -> Any:
    from PIL import ImageFont

    files = {
        "latin": ("Carlito-Bold.ttf" if bold else "Carlito-Regular.ttf"),
        "arabic": ("NotoSansArabic-Bold.ttf" if bold else "NotoSansArabic-Regular.ttf"),
        "hebrew": ("NotoSansHebrew-Bold.ttf" if bold else "NotoSansHebrew-Regular.ttf"),
    }
    path = _font_file(files[family])
    if path is None:
        message = f"needs the font {files[family]} (fonts-crosextra-carlito, fonts-noto-core)"
        if os.environ.get("KPI_XL_REQUIRE_LIBREOFFICE"):
            pytest.fail(message)
        pytest.skip(message)
    return ImageFont.truetype(str(path), px)


def _script(ch: str) -> str:
    code = ord(ch)
    if 0x0590 <= code <= 0x05FF:
        return "hebrew"
    if 0x0600 <= code <= 0x06FF or 0xFB50 <= code <= 0xFEFF or code in (0x200C, 0x200F):
        return "arabic"
    return "latin"


@cache
def text_width(text: str, size_pt: float = 11, bold: bool = False) -> float:
    """The width of ``text`` in pixels at 96 dpi, each run of a script in its font."""
    px = round(size_pt * 96 / 72)
    arabic = "\u0600-\u06ff\ufb50-\ufeff\u200c\u200f"
    runs = re.findall(rf"[\u0590-\u05ff]+|[{arabic}]+|[^\u0590-\u05ff{arabic}]+", text)
    return float(sum(_font(_script(run[0]), bold, px).getlength(run) for run in runs))


# -- the sheet's geometry ----------------------------------------------------------------------


def column_px(ws: Any, col: int) -> float:
    """A column's width in pixels as Excel draws it with Calibri 11 (7 px per character
    plus 5 px of padding); a hidden column is 0."""
    dim = ws.column_dimensions.get(get_column_letter(col))
    # openpyxl groups columns: find the group holding col
    for d in ws.column_dimensions.values():
        if d.min and d.max and d.min <= col <= d.max:
            dim = d
            break
    if dim is not None and dim.hidden:
        return 0
    width = dim.width if dim is not None and dim.width else 8.43
    return float(int(width * 7 + 0.5) + 5)


def row_px(ws: Any, row: int) -> float:
    dim = ws.row_dimensions.get(row)
    if dim is not None and dim.hidden:
        return 0
    height = dim.height if dim is not None and dim.height else 15
    return height * 96 / 72


def merged_range(ws: Any, row: int, col: int) -> Any | None:
    for rng in ws.merged_cells.ranges:
        if rng.min_row <= row <= rng.max_row and rng.min_col <= col <= rng.max_col:
            return rng
    return None


def wrapped_lines(text: str, width: float, size: float, bold: bool) -> int:
    lines = 0
    for paragraph in text.split("\n"):
        current = ""
        lines += 1
        for word in paragraph.split(" "):
            trial = f"{current} {word}".strip()
            if current and text_width(trial, size, bold) > width:
                lines += 1
                current = word
            else:
                current = trial
    return lines


def cut_labels(path: Path) -> Iterator[str]:
    """Every text cell a reader sees cut: wider than its cell (or merged cells) while the
    cell it would spill into is not empty, or wrapped into more lines than its row holds."""
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        if ws.sheet_state != "visible":
            continue
        rtl = bool(ws.sheet_view.rightToLeft)
        for row in ws.iter_rows():
            for cell in row:
                value = cell.value
                if not isinstance(value, str) or value.startswith("=") or not value.strip():
                    continue
                if ws.row_dimensions[cell.row].hidden:
                    continue
                if column_px(ws, cell.column) == 0:
                    continue
                align = cell.alignment
                if align.shrink_to_fit:
                    continue
                size = float(cell.font.sz or 11)
                bold = bool(cell.font.b)
                rng = merged_range(ws, cell.row, cell.column)
                cols = (
                    range(rng.min_col, rng.max_col + 1)
                    if rng
                    else range(cell.column, cell.column + 1)
                )
                rows = range(rng.min_row, rng.max_row + 1) if rng else range(cell.row, cell.row + 1)
                room = sum(column_px(ws, c) for c in cols) - 6 - 9 * (align.indent or 0)
                height = sum(row_px(ws, r) for r in rows)
                where = f"{ws.title}!{cell.coordinate} {value[:40]!r}"
                if align.wrap_text or "\n" in value:
                    lines = wrapped_lines(value, room, size, bold)
                    needed = lines * size * 96 / 72 * 1.22
                    if needed > height + 2:
                        yield f"{where}: {lines} lines need {needed:.0f} px, the row {height:.0f}"
                    continue
                width = text_width(value, size, bold)
                if width <= room:
                    continue
                if rng is not None:
                    yield f"{where}: {width:.0f} px in merged cells of {room:.0f} px"
                    continue
                horizontal = align.horizontal or "general"
                after = cell.column - 1 if rtl else cell.column + 1
                before = cell.column + 1 if rtl else cell.column - 1
                if horizontal in ("right",):
                    after, before = before, after
                neighbours = (
                    [after] if horizontal in ("general", "left", "right") else [after, before]
                )
                blocked = [
                    c for c in neighbours if c >= 1 and ws.cell(cell.row, c).value not in (None, "")
                ]
                if blocked or horizontal in ("fill", "justify", "distributed"):
                    yield f"{where}: {width:.0f} px in {room:.0f} px"


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("template", TEMPLATES)
def test_no_label_is_cut(demo_plan: Callable[..., Path], template: str, lang: str) -> None:
    cuts = list(cut_labels(demo_plan(template, lang)))
    assert not cuts, "\n".join(cuts[:40])


def test_the_cut_check_finds_a_cut_label(tmp_path: Path) -> None:
    """The check itself: a long label with a neighbour is cut, alone it spills, wrapped
    in a short row it is cut, in a tall row it is not."""
    import xlsxwriter

    path = tmp_path / "cut.xlsx"
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet("S")
    wrap = wb.add_format({"text_wrap": True})
    ws.set_column(0, 0, 10)
    ws.write(0, 0, "Customer acquisition cost")
    ws.write(0, 1, 1)
    ws.write(1, 0, "Customer acquisition cost")
    ws.write(2, 0, "Customer acquisition cost by channel", wrap)
    ws.write(3, 0, "Customer acquisition cost by channel", wrap)
    ws.set_row(3, 60)
    wb.close()
    found = list(cut_labels(path))
    assert [f.split(" ")[0] for f in found] == ["S!A1", "S!A3"], found


# -- no English left ---------------------------------------------------------------------------

#: Names that stay as they are in every language: platforms, products, acronyms.
NAMES = {
    "google",
    "ads",
    "meta",
    "linkedin",
    "mailchimp",
    "search",
    "console",
    "ga4",
    "shopify",
    "hubspot",
    "klaviyo",
    "microsoft",
    "excel",
    "python",
    "kpi_xl",
    "xlwings",
    "roas",
    "cpa",
    "cac",
    "aov",
    "ltv",
    "mrr",
    "arr",
    "seo",
    "sms",
    "kpi",
    "ctr",
    "cpc",
    "cpm",
    "url",
    "pp",
    "libreoffice",
    "sample",
    "ecommerce",
}


@cache
def english_words() -> frozenset[str]:
    """Words of four letters or more from the English texts of the catalog's labels that
    no other language's texts use (cognates such as "Excel" or "sessio" drop out)."""
    table = list(label_table().values())
    for kpi in kpis().values():
        table.append({lang: kpi.name(lang) + " " + kpi.describe(lang) for lang in LANGUAGES})
    english: set[str] = set()
    other: set[str] = set()
    for texts in table:
        for lang, text in texts.items():
            words = {w.lower() for w in re.findall(r"[A-Za-z]{4,}", text)}
            (english if lang == "en" else other).update(words)
    return frozenset(english - other - NAMES)


def english_sentences(text: str) -> bool:
    """Two words or more of the English texts, in a text that is not an identifier (a KPI
    id such as ``key_event_rate`` on Definitions is what a formula types, not prose)."""
    if re.fullmatch(r"[a-z0-9_|.]+", text):
        return False
    words = [w.lower() for w in re.findall(r"[A-Za-z]{4,}", text)]
    return sum(w in english_words() for w in words) >= 2


def visible_texts(path: Path) -> Iterator[tuple[str, str]]:
    """Every text a reader of the plan sees: cells of visible sheets (except the rows of
    exported data on Data), input prompts and error messages, chart titles and axes."""
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        if ws.sheet_state != "visible":
            continue
        data_rows_from = None
        if ws.tables:
            data_rows_from = min(
                openpyxl.utils.cell.range_boundaries(t.ref)[1] for t in ws.tables.values()
            )
        for row in ws.iter_rows():
            for cell in row:
                if not isinstance(cell.value, str) or cell.value.startswith("="):
                    continue
                if data_rows_from is not None and cell.row >= data_rows_from:
                    continue  # the tables' key headers, the user's data (campaign names)
                if column_px(ws, cell.column) == 0 or row_px(ws, cell.row) == 0:
                    continue  # hidden helpers (target keys, period numbers)
                yield f"{ws.title}!{cell.coordinate}", cell.value
        for dv in ws.data_validations.dataValidation:
            for text in (dv.prompt, dv.promptTitle, dv.error, dv.errorTitle):
                if text:
                    yield f"{ws.title} input message {dv.sqref}", text
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if name.startswith("xl/charts/chart"):
                for text in re.findall(r"<a:t>([^<]*)</a:t>", zf.read(name).decode("utf-8")):
                    yield name, text


@pytest.mark.parametrize("lang", ["fa", "he", "fi", "uz"])
@pytest.mark.parametrize("template", TEMPLATES)
def test_a_non_english_plan_has_no_english_sentence(
    demo_plan: Callable[..., Path], template: str, lang: str
) -> None:
    english = [
        f"{where}: {text[:80]!r}"
        for where, text in visible_texts(demo_plan(template, lang))
        if english_sentences(text)
    ]
    assert not english, "\n".join(english[:30])


def test_the_english_check_finds_english() -> None:
    assert english_sentences("Type your targets in the white cells")
    assert not english_sentences("Kirjoita tavoitteet valkoisiin soluihin")
    assert not english_sentences("Google Ads (CPA)")


# -- charts ----------------------------------------------------------------------------------


def _cached_values(cache_xml: str) -> dict[int, float]:
    return {
        int(i): float(v)
        for i, v in re.findall(r'<c:pt idx="(\d+)">\s*<c:v>([^<]*)</c:v>', cache_xml)
    }


@pytest.mark.parametrize("lang", ["en", "fa"])
def test_charts_cache_no_zero_for_a_period_without_data(
    demo_plan: Callable[..., Path], lang: str
) -> None:
    """Each series' cache holds exactly the points whose cells hold a number, with that
    number; a chart shows the gap, not a plunge to zero."""
    path = demo_plan("ecommerce", lang)
    wb = openpyxl.load_workbook(path, data_only=True)
    checked = 0
    with zipfile.ZipFile(path) as zf:
        for name in sorted(n for n in zf.namelist() if n.startswith("xl/charts/chart")):
            xml = zf.read(name).decode("utf-8")
            assert '<c:dispBlanksAs val="gap"/>' in xml, name
            for ref, cache_xml in re.findall(
                r"<c:val>\s*<c:numRef>\s*<c:f>([^<]+)</c:f>\s*<c:numCache>(.*?)</c:numCache>",
                xml,
                re.S,
            ):
                sheet, cells = ref.rsplit("!", 1)
                ws = wb[sheet.strip("'").replace("''", "'")]
                values = [c.value for row in ws[cells.replace("$", "")] for c in row]
                cached = _cached_values(cache_xml)
                numbers = {
                    i: float(v)
                    for i, v in enumerate(values)
                    if isinstance(v, int | float) and not isinstance(v, bool)
                }
                assert set(cached) == set(numbers), (name, ref)
                for i, v in numbers.items():
                    assert math.isclose(cached[i], v, rel_tol=1e-6, abs_tol=1e-9), (name, ref, i)
                checked += 1
    assert checked >= 8


# -- print -----------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "fa"])
def test_every_printed_sheet_has_a_header_and_footer(
    demo_plan: Callable[..., Path], lang: str
) -> None:
    wb = openpyxl.load_workbook(demo_plan("ecommerce", lang))
    for ws in wb.worksheets:
        if ws.sheet_state != "visible":
            continue
        header = ws.oddHeader
        footer = ws.oddFooter
        head = " ".join(p.text or "" for p in (header.left, header.center, header.right))
        foot = " ".join(p.text or "" for p in (footer.left, footer.center, footer.right))
        assert "&A" in head or ws.title in head, ws.title  # the sheet's name
        assert "&P" in foot and "&N" in foot, ws.title  # page x of y
        assert "&D" in foot, ws.title  # printed date
        assert wb.properties.title and wb.properties.title in head, ws.title
    data = wb.worksheets[
        [ws.title for ws in wb.worksheets].index(label_table()["sheet_data"][lang])
    ]
    assert data.print_area, "Data prints only its note, not thousands of rows"
    assert wb.worksheets[-1].sheet_state == "veryHidden"  # _meta never prints


# -- the first screen ------------------------------------------------------------------------

#: Excel at 100 % on a 1366x768 laptop (taskbar, title bar, ribbon, formula bar, column
#: headers, sheet tabs and status bar take about 300 px; row headers and the scroll bar
#: about 50 px).
SCREEN_WIDTH, SCREEN_HEIGHT = 1366 - 50, 768 - 300


def _extent(ws: Any, last_col: int, last_row: int) -> tuple[float, float]:
    return (
        sum(column_px(ws, c) for c in range(1, last_col + 1)),
        sum(row_px(ws, r) for r in range(1, last_row + 1)),
    )


@pytest.mark.parametrize("lang", ["en", "fa", "fi"])
def test_the_answer_fits_the_first_laptop_screen(demo_plan: Callable[..., Path], lang: str) -> None:
    """The verdict, the cards and the Status column lie inside the first 1316x468 px of the
    Overview (right to left, the first screen is measured from the right edge: the same
    columns)."""
    from kpi_xl.plan.layout import CARD_ROWS
    from kpi_xl.plan.planfile import read_meta

    path = demo_plan("ecommerce", lang)
    wb = openpyxl.load_workbook(path)
    layout = read_meta(wb, path).layout.overview
    ws = wb.worksheets[0]
    verdict = layout.verdict
    assert verdict is not None
    rng = merged_range(ws, verdict.row + 1, verdict.col + 1)
    width, height = _extent(ws, rng.max_col if rng else verdict.col + 1, verdict.row + 1)
    assert width <= SCREEN_WIDTH and height <= SCREEN_HEIGHT, ("verdict", width, height)
    last_card = max(layout.cards.values(), key=lambda c: c.col)
    width, height = _extent(ws, last_card.col + layout.card_width, last_card.row + len(CARD_ROWS))
    assert width <= SCREEN_WIDTH and height <= SCREEN_HEIGHT, ("cards", width, height)
    status_col = layout.columns.index("status") + 1
    width, height = _extent(ws, status_col + 1, layout.header_row + 2)
    assert width <= SCREEN_WIDTH and height <= SCREEN_HEIGHT, ("status", width, height)
