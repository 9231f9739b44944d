"""The Refresh button's texts: what its macro shows, written into the VBA in the plan's
language as ChrW() expressions at build time, and the note beside the button.

The VBA is read back from the built .xlsm with oletools' olevba (as tests/test_macro.py
does) and its texts decoded by a small VBA string-expression reader written here, apart
from the code that writes them.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from test_macro import drawing_of, overview_part, parts, vba_modules

from kpi_xl.catalog import label
from kpi_xl.excel.export import export_macro_free
from kpi_xl.plan.layout import SETTINGS
from kpi_xl.plan.planfile import read_meta
from kpi_xl.vocabulary import LANGUAGES, RTL_LANGUAGES
from kpi_xl.workbook.vba_project import (
    BUTTON_COLS,
    BUTTON_FONT,
    INSTALL_COMMAND,
    KPI_MODULE,
    RESERVED_COLS,
    RESERVED_ROWS,
    TEXTS_BEGIN,
    TEXTS_END,
    VBA_TEXTS,
    button_caption,
    kpi_sources,
    vba_expression,
    vba_function,
    vba_texts,
)

NOTE_TEXTS = ("refresh_note_needs", "refresh_note_kept", "refresh_note_source",
              "refresh_note_no_source")  # fmt: skip
#: String literals the macro may hold outside its texts: commands, settings, names - none
#: of them shown to the user.
TECHNICAL = {
    "user32",
    "CONDA PATH",
    "PYTHONPATH",
    "INTERPRETER_WIN",
    "INTERPRETER",
    "python",
    "pythonw",
    "WScript.Shell",
    " -c ",
    "import importlib.util as u, sys; ",
    "sys.exit(0 if u.find_spec('xlwings') and u.find_spec('kpi_xl') else 3)",
    "import kpi_xl.excel.entry as e; e.refresh_from_excel()",
}


# -- reading VBA string expressions back --------------------------------------------------------

_PIECE = re.compile(r'\s*(?:"((?:[^"]|"")*)"|ChrW\((\d+)\))\s*(&|$)')


def decode(expression: str) -> str:
    """The string a VBA expression of literals and ChrW(n) joined by & evaluates to."""
    units = bytearray()
    pos = 0
    while pos < len(expression):
        found = _PIECE.match(expression, pos)
        assert found, f"not a literal or ChrW() at {expression[pos:]!r}"
        literal, code, _ = found.groups()
        if literal is not None:
            assert literal.isascii(), literal
            units += literal.replace('""', '"').encode("utf-16-le")
        else:
            assert 0 <= int(code) <= 0xFFFF, code
            units += int(code).to_bytes(2, "little")
        pos = found.end()
    return units.decode("utf-16-le")


def function_text(source: str, name: str) -> str:
    """What the VBA function ``name()`` of ``source`` returns (``name = ...`` lines)."""
    body = re.search(
        rf"^Private Function {name}\(\) As String\n(.*?)^End Function", source, re.M | re.S
    )
    assert body, f"no function {name}() in the module"
    text = ""
    for line in body.group(1).splitlines():
        found = re.fullmatch(rf"\s*{name} = (?:{name} & )?(.*)", line)
        assert found, line
        text += decode(found.group(1))
    return text


def literals(source: str) -> list[str]:
    """The string literals of the code lines of ``source`` (comments skipped)."""
    out: list[str] = []
    for line in source.splitlines():
        if line.lstrip().startswith("'") or line.startswith("Attribute "):
            continue
        out += [m.replace('""', '"') for m in re.findall(r'"((?:[^"]|"")*)"', line)]
    return out


def outside_texts(source: str) -> str:
    lines = source.splitlines()
    return "\n".join(lines[: lines.index(TEXTS_BEGIN)] + lines[lines.index(TEXTS_END) :])


# -- the ChrW helper ---------------------------------------------------------------------------


@given(st.text())
@example("")
@example('He said "no" – then left…')
@example("به‌روزرسانی")  # a zero-width non-joiner inside
@example("Yangilash tugmasi maʼlumotlarni oʻqiydi")  # Uzbek ʼ and ʻ
@example("📈 growth 𝔸")  # beyond U+FFFF: surrogate pairs
@example("tab\there\nnew line\r\x00")
def test_vba_expression_round_trips(text: str) -> None:
    expression = vba_expression(text)
    assert expression.isascii()
    assert decode(expression) == text


def test_vba_expression_keeps_ascii_runs_as_literals() -> None:
    assert vba_expression('Say "hi" – now') == '"Say ""hi"" " & ChrW(8211) & " now"'
    assert vba_expression("پلن 1") == 'ChrW(1662) & ChrW(1604) & ChrW(1606) & " 1"'
    assert vba_expression("😀") == "ChrW(55357) & ChrW(56832)"
    assert vba_expression("") == '""'


def test_a_long_text_is_split_into_lines_vba_accepts() -> None:
    text = label("vba_no_python", "fa") * 20 + " " + "x" * 700
    lines = vba_function("vba_long", text)
    assert max(len(line) for line in lines) <= 1023  # VBA's longest source line
    assert len(lines) > 3
    assert function_text("\n".join(lines) + "\n", "vba_long") == text


# -- the texts in every language ---------------------------------------------------------------


@pytest.mark.parametrize("key", [*VBA_TEXTS, *NOTE_TEXTS])
def test_every_text_is_translated(key: str) -> None:
    english = label(key, "en")
    placeholders = sorted(re.findall(r"\{\w+\}", english))
    for lang in LANGUAGES:
        text = label(key, lang)
        assert text.strip(), (key, lang)
        assert sorted(re.findall(r"\{\w+\}", text)) == placeholders, (key, lang)
        if lang != "en":
            assert text != english, (key, lang)
        if lang == "uz":
            assert "'" not in text, f"{key}: Uzbek takes ʻ (U+02BB) and ʼ (U+02BC), not '"


def test_the_install_hint_names_the_readme_command() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text("utf-8")
    assert f"`{INSTALL_COMMAND}`" in readme
    for lang in LANGUAGES:
        assert vba_texts(lang)["vba_install"].endswith(INSTALL_COMMAND)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_module_is_written_in_the_plan_language(lang: str) -> None:
    source = kpi_sources(lang)[0].text.replace("\r\n", "\n")
    for key, text in vba_texts(lang).items():
        assert function_text(source, key) == text, key
    rtl = "True" if lang in RTL_LANGUAGES else "False"
    assert f"Private Const RIGHT_TO_LEFT As Boolean = {rtl}" in source
    called = set(re.findall(r"\b(vba_\w+)\(\)", outside_texts(source)))
    assert called == set(VBA_TEXTS), "every text the macro shows is one of vba.yaml's"


# -- the built plans ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(demo_plan: Callable[..., Path]) -> Callable[[str, bool], Path]:
    def make(lang: str, macro: bool = True) -> Path:
        return demo_plan("ecommerce", lang, macro=macro)

    return make


def test_a_persian_plan_shows_no_english(built: Callable[[str, bool], Path]) -> None:
    module = vba_modules(built("fa", True))[KPI_MODULE]
    for key, text in vba_texts("fa").items():
        assert "\n".join(vba_function(key, text)) in module, f"{key} is not in its ChrW form"
        assert function_text(module, key) == text
        english = label(key, "en").split("{")[0]
        assert english not in module and vba_expression(english) not in module, key
    shown = [s for s in literals(outside_texts(module)) if re.search(r"[A-Za-z]", s)]
    assert set(shown) <= TECHNICAL, f"user-facing text outside the texts block: {shown}"
    # Windows: MessageBoxW right to left; macOS: MsgBox with vbMsgBoxRtlReading
    assert "Private Const RIGHT_TO_LEFT As Boolean = True" in module
    assert "If RIGHT_TO_LEFT Then flags = flags Or MB_RTLREADING Or MB_RIGHT" in module
    assert "buttons = buttons Or vbMsgBoxRtlReading Or vbMsgBoxRight" in module
    boxes = re.findall(r"^\s*(MsgBox|MessageBoxW) (.*)$", module, re.M)
    assert boxes == [
        ("MsgBox", "message, buttons, title"),
        ("MessageBoxW", "Application.Hwnd, StrPtr(message), StrPtr(title), flags"),
    ]


def _cells(path: Path, **options: Any) -> tuple[Any, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        wb = openpyxl.load_workbook(path, **options)
    meta = read_meta(wb, path)
    return wb[meta.layout.sheets["overview"]], meta.layout.overview.button


def _area(ws: Any, button: Any) -> dict[tuple[int, int], Any]:
    """The reserved area's non-empty cells, (row, col) 0-based -> value."""
    return {
        (r, c): ws.cell(r + 1, c + 1).value
        for r in range(button.row, button.row + RESERVED_ROWS)
        for c in range(button.col, button.col + RESERVED_COLS)
        if ws.cell(r + 1, c + 1).value not in (None, "")
    }


@pytest.mark.parametrize("lang", ["en", "fa"])
def test_the_note_is_beside_the_button(built: Callable[[str, bool], Path], lang: str) -> None:
    path = built(lang, True)
    ws, button = _cells(path)
    note = button.col + BUTTON_COLS
    area = _area(ws, button)
    assert set(area) == {(button.row, note), (button.row + 1, note)}, area
    assert area[(button.row, note)] == label("refresh_note_needs", lang)
    formula = area[(button.row + 1, note)]
    assert formula.startswith("=") and SETTINGS["data_source"] in formula
    values, _ = _cells(path, data_only=True)
    shown = values.cell(button.row + 2, note + 1).value
    assert shown.startswith(label("refresh_note_kept", lang))
    settings = label("sheet_settings", lang)
    assert label("refresh_note_source", lang).format(sheet=settings) in shown
    # the button sits in its own columns, left of the note
    package = parts(path)
    vml = drawing_of(package, overview_part(package, ws.title))
    assert vml is not None
    anchor = re.search(r"<x:Anchor>([^<]+)</x:Anchor>", vml)
    assert anchor
    col1, _, row1, _, col2, _, row2, _ = (int(v) for v in anchor.group(1).split(","))
    assert (col1, row1) == (button.col, button.row)
    assert col2 < note and row2 < button.row + RESERVED_ROWS


@pytest.mark.parametrize("lang", ["en", "fa"])
def test_the_caption_is_localized_and_styled(built: Callable[[str, bool], Path], lang: str) -> None:
    path = built(lang, True)
    ws, _ = _cells(path)
    package = parts(path)
    vml = drawing_of(package, overview_part(package, ws.title))
    assert vml is not None
    assert f"{BUTTON_FONT}<b>{button_caption(lang)}</b></font>" in vml
    assert label("refresh_button", lang) in button_caption(lang)


def test_a_plan_without_macros_has_no_note(built: Callable[[str, bool], Path]) -> None:
    ws, button = _cells(built("en", False))
    assert _area(ws, button) == {}


def test_the_emailed_copy_leaves_out_the_note(
    built: Callable[[str, bool], Path], tmp_path: Path
) -> None:
    emailed = export_macro_free(built("fa", True), tmp_path / "plan.xlsx")
    ws, button = _cells(emailed)
    assert _area(ws, button) == {}
    area = {
        ws.cell(r + 1, c + 1).coordinate
        for r in range(button.row, button.row + RESERVED_ROWS)
        for c in range(button.col, button.col + RESERVED_COLS)
    }
    assert not [r for r in ws.merged_cells.ranges if r.coord.split(":")[0] in area]
