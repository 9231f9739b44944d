"""Column widths and row heights from the texts a cell holds, so that no label is cut in any
language.

A spreadsheet measures a column in characters of the workbook font's widest digit: with
Calibri 11 (the plan's font) one character is 7 pixels and a column of ``w`` characters is
``7 w + 5`` pixels. Text widths are estimated from Calibri's advance widths (those of
Carlito, its metric-compatible twin) for ASCII, letters with diacritics as their base
letter, and an average for Persian and Hebrew letters, which the spreadsheet draws from
another font (with a margin, as those fonts differ between computers). The estimate errs
wide: a column a little too wide costs nothing, a cut label costs the reader.
tests/test_readability.py measures the built plan with the real fonts.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable

#: Carlito's advance widths of printable ASCII (U+0020..U+007E), in 1/2048 em.
_REGULAR = (
    463, 667, 821, 1020, 1038, 1464, 1397, 452, 621, 621, 1020, 1020, 511, 627, 517, 791,
    1038, 1038, 1038, 1038, 1038, 1038, 1038, 1038, 1038, 1038, 548, 548, 1020, 1020, 1020,
    949, 1831, 1185, 1114, 1092, 1260, 1000, 941, 1292, 1276, 516, 653, 1064, 861, 1751,
    1322, 1356, 1058, 1378, 1112, 941, 998, 1314, 1162, 1822, 1063, 998, 959, 628, 791, 628,
    1020, 1020, 596, 981, 1076, 866, 1076, 1019, 625, 964, 1076, 470, 490, 931, 470, 1636,
    1076, 1080, 1076, 1076, 714, 801, 686, 1076, 925, 1464, 887, 927, 809, 644, 943, 644, 1020,
)  # fmt: skip
#: Bold is about 3 % wider than regular in Calibri.
_BOLD = 1.03
#: A Persian or Hebrew letter, and a character of any other script, on average (1/2048 em),
#: with a margin for the fallback font of the reader's computer.
_ARABIC, _HEBREW, _OTHER = 960, 1100, 1200
#: One character of column width: Calibri 11's digit, 7 px at 96 dpi; a column adds 5 px.
_CHAR_PX, _COLUMN_PX = 7.0, 5.0
#: The space a cell keeps between its border and its text, both sides, in pixels.
_CELL_MARGIN = 8.0
#: A line of text is about 1.25 times its font size high.
_LINE = 1.25


def _units(ch: str) -> float:
    code = ord(ch)
    if 0x20 <= code < 0x7F:
        return _REGULAR[code - 0x20]
    if unicodedata.combining(ch) or code in (0x200C, 0x200D, 0x200E, 0x200F):
        return 0
    base = unicodedata.normalize("NFD", ch)[0]
    if base != ch and 0x20 <= ord(base) < 0x7F:
        return _REGULAR[ord(base) - 0x20]
    if 0x0600 <= code <= 0x06FF or 0xFB50 <= code <= 0xFEFF:
        return _ARABIC
    if 0x0590 <= code <= 0x05FF:
        return _HEBREW
    if ch in "ʻʼ’‘":
        return _REGULAR[ord("'") - 0x20] * 1.2
    if ch in "–−·…":
        return 1020
    return _OTHER


def text_px(text: str, size: float = 11, bold: bool = False) -> float:
    """The width of ``text`` on one line, in pixels at 96 dpi."""
    em = size * 96 / 72
    return sum(_units(ch) for ch in text) / 2048 * em * (_BOLD if bold else 1)


def width_for(
    texts: Iterable[str], size: float = 11, bold: bool = False, minimum: float = 0,
    maximum: float = 80,
) -> float:  # fmt: skip
    """The column width (in characters) that shows the longest of ``texts`` on one line,
    between ``minimum`` and ``maximum``."""
    widest = max((text_px(t, size, bold) for t in texts if t), default=0.0)
    return min(max(width_for_px(widest), minimum), maximum)


def width_for_px(px: float) -> float:
    """The column width (in characters, whole) that holds ``px`` pixels of text."""
    return float(math.ceil((px + _CELL_MARGIN - _COLUMN_PX) / _CHAR_PX)) if px > 0 else 0.0


def column_px(width: float) -> float:
    """A column of ``width`` characters, in pixels."""
    return float(int(width * _CHAR_PX + 0.5) + _COLUMN_PX) if width > 0 else 0.0


def lines_for(text: str, width_px: float, size: float = 11, bold: bool = False) -> int:
    """How many lines ``text`` takes, wrapped at words in ``width_px`` pixels of cell."""
    room = width_px - _CELL_MARGIN
    lines = 0
    for paragraph in text.split("\n"):
        lines += 1
        current = ""
        for word in paragraph.split(" "):
            trial = f"{current} {word}" if current else word
            if current and text_px(trial, size, bold) > room:
                lines += 1 + int(text_px(word, size, bold) // max(room, 1))
                current = word
            else:
                current = trial
    return lines


def height_for(
    texts: Iterable[str], width_px: float, size: float = 11, bold: bool = False,
    minimum: float = 15,
) -> float:  # fmt: skip
    """The row height (in points) that shows each of ``texts`` wrapped in ``width_px``."""
    lines = max((lines_for(t, width_px, size, bold) for t in texts if t), default=1)
    return max(minimum, math.ceil(lines * size * _LINE + 3))
