"""How the e-mail looks, in one place: its font (the chart's too) and the status marks.

A status is never told by colour alone: wherever the message shows one, it shows its
symbol (the workbook's, :data:`kpi_xl.style.STATUS_SYMBOLS`) and its word.
"""

from __future__ import annotations

from kpi_xl.catalog import label
from kpi_xl.style import STATUS_SYMBOLS

__all__ = ["FONT_FAMILY", "FONT_STACK", "STATUS_SYMBOLS", "status_mark", "status_word"]

#: The one font family of the message: the chart draws with it (matplotlib ships it; it
#: covers Latin, Persian, Hebrew and the status symbols) and the HTML asks for it first.
FONT_FAMILY = "DejaVu Sans"
#: The HTML font stack: the chart's family first, then common system fonts.
FONT_STACK = f"'{FONT_FAMILY}','Segoe UI',Tahoma,Arial,Helvetica,sans-serif"


def status_word(code: str, lang: str) -> str:
    """A status's word alone (``On track``)."""
    return label(f"status_{code}", lang)


def status_mark(code: str, lang: str) -> str:
    """A status as the message shows it: its symbol and its word (``✓ On track``)."""
    return f"{STATUS_SYMBOLS[code]} {status_word(code, lang)}"
