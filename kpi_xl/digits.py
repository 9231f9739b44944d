"""Persian (Extended Arabic-Indic) digits: in text we write, and in the workbook's numbers.

Text. :func:`to_persian_digits` maps 0-9 to ۰-۹ (U+06F0..U+06F9) and, between two digits
only, the decimal point to ``٫`` (U+066B ARABIC DECIMAL SEPARATOR) and the comma to ``٬``
(U+066C ARABIC THOUSANDS SEPARATOR): ``"1,234.5"`` -> ``"۱٬۲۳۴٫۵"``. These are the
separators of CLDR's ``fa`` locale with its ``arabext`` digits and exactly what LibreOffice
shows for a number formatted with :data:`PERSIAN_LOCALE` (checked by
``tests/test_calendars.py``), so a label and a number beside it agree. A ``.`` or ``,``
that is not between two digits is punctuation and stays; so does ``%`` (LibreOffice keeps
it in the numbers too).

Numbers. A cell keeps its number; only its number format changes.
:func:`persian_digit_format` prefixes every section of a format code with the extended
locale ID ``[$-3000429]``: ``[$-NNCCLLLL]`` with numeral system NN = 03 (Persian),
calendar CC = 00 (Gregorian, so dates are unchanged) and LCID LLLL = 0429 (Persian - Iran).

* LibreOffice reads it as ``[NatNum1]`` in the fa-IR locale (its import of Excel's
  extended LCID, ``SvNumberformat::ImpObtainCalendarAndNumerals``; the help page *Number
  Format Codes*, section *Extended LCID*, lists NN = 03 Persian ۱۲۳۴۵۶۷۸۹۰ for LCID 429)
  and shows ۱٬۲۳۴٬۵۶۸ for 1234567.891 under ``#,##0``; it writes the prefix back
  unchanged when it saves to xlsx (both verified by ``tests/test_calendars.py``).
* The locale ID belongs to one section ([MS-OE376] 2.1.739: NFPartLocaleID occurs 0 or 1
  times in each section), so a section without it keeps Latin digits: every section gets
  the prefix.
* Not used: ``[NatNum1]`` (LibreOffice only; Excel does not know it) and the locale-name
  form ``[$-fa-IR,300]`` of newer Excel versions, which LibreOffice 7.4 does not parse (it
  showed the raw value 1234567.891).
* Excel: not verified here (no Excel on this machine). The sources say the NN byte is the
  digit shape Excel applies ("xx - appearance of the number", SheetXL's description of
  Excel's ``[$-xxyyzzzz]``), and LibreOffice exports NatNum digits to Excel this way.
  Separators in Excel come from the reader's system settings, not from the format.
"""

from __future__ import annotations

import re

#: The extended locale ID that makes a section's digits Persian (see the module doc).
PERSIAN_LOCALE = "[$-3000429]"

_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
_SEPARATOR = re.compile(r"(?<=[0-9])([.,])(?=[0-9])")
_SEPARATORS = {".": "٫", ",": "٬"}  # U+066B, U+066C

#: A pure locale token: ``[$-409]``, ``[$-3000429]``, ``[$-fa-IR,300]`` (a currency token
#: such as ``[$€-2]`` has a symbol before the hyphen and is kept).
_LOCALE_TOKEN = re.compile(r"\[\$-[^\]]*\]")


def to_persian_digits(text: str) -> str:
    """``text`` with Persian digits; a ``.`` or ``,`` between two digits becomes the Arabic
    decimal (``٫``) or thousands (``٬``) separator.

    >>> to_persian_digits("Q3 2026: 1,234.5 (12.5%)")
    'Q۳ ۲۰۲۶: ۱٬۲۳۴٫۵ (۱۲٫۵%)'
    """
    text = _SEPARATOR.sub(lambda m: _SEPARATORS[m.group(1)], text)
    return text.translate(_DIGITS)


def split_sections(fmt: str) -> list[str]:
    """A number format code's sections (split at ``;`` outside quotes, brackets and
    backslash escapes)."""
    sections: list[str] = []
    current: list[str] = []
    quoted = bracketed = escaped = False
    for char in fmt:
        current.append(char)
        if escaped:
            escaped = False
        elif quoted:
            quoted = char != '"'
        elif bracketed:
            bracketed = char != "]"
        elif char == "\\":
            escaped = True
        elif char == '"':
            quoted = True
        elif char == "[":
            bracketed = True
        elif char == ";":
            current.pop()
            sections.append("".join(current))
            current = []
    sections.append("".join(current))
    return sections


def _is_text_section(section: str) -> bool:
    """A section that formats text (``@``) has no digits to shape."""
    unquoted = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", section)
    return "@" in unquoted


def persian_digit_format(fmt: str) -> str:
    """The number format ``fmt`` showing Persian digits in LibreOffice (and, by the
    sources, Excel): :data:`PERSIAN_LOCALE` before every numeric section, replacing any
    locale ID already there. Empty and text (``@``) sections are left as they are;
    applying it twice changes nothing.

    >>> persian_digit_format("#,##0;[Red]-#,##0")
    '[$-3000429]#,##0;[$-3000429][Red]-#,##0'
    """
    out = []
    for section in split_sections(fmt):
        if not section or _is_text_section(section):
            out.append(section)
            continue
        out.append(PERSIAN_LOCALE + _LOCALE_TOKEN.sub("", section))
    return ";".join(out)
