"""Bytes to text: byte-order marks, UTF-16 "Excel CSV", legacy Windows-1252, binary files."""

from __future__ import annotations

import codecs
import re

from kpi_xl.errors import KpiXlError

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Valid UTF-8 multi-byte sequences: their presence means the file is meant as UTF-8.
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}")
# Control characters no text export contains (tab, newlines and form feed are fine).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def _line_of(data: bytes, position: int) -> int:
    return data.count(b"\n", 0, position) + 1


def _utf16_without_bom(data: bytes) -> str | None:
    """The codec of BOM-less UTF-16 text (zero high bytes of ASCII), else ``None``."""
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) == 0:
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) == 0:
        return "utf-16-be"
    return None


def decode(data: bytes, file: str) -> str:
    """The text of an export file, or :class:`KpiXlError` naming what is wrong.

    UTF-8 (with or without BOM) and UTF-16 (BOM, or BOM-less little/big endian) are
    read as such; text that is not UTF-8 and holds no UTF-8 sequence at all is read
    as Windows-1252 (legacy Excel "CSV (semicolon)" saves). A UTF-8 file with a broken
    byte, bytes no encoding accepts, or control characters (a binary file) are errors.
    """
    if not data.strip():
        raise KpiXlError("the file is empty: expected an exported report", file=file)
    codec = None
    for bom, name in _BOMS:
        if data.startswith(bom):
            codec, data = name, data[len(bom) :]
            break
    if codec is None and b"\x00" in data:
        codec = _utf16_without_bom(data)
        if codec is None:  # no line: a binary file has none
            raise KpiXlError(
                "this is a binary file, not an export: pass a report exported from the "
                "platform (CSV, TSV, Excel .xlsx, Parquet or a zip of CSV files)",
                file=file,
            )
    if codec is not None:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError as exc:
            where = _line_of(data, exc.start) if codec == "utf-8" else None
            raise KpiXlError(
                f"the file starts like {codec.upper()} text but byte {exc.start} cannot be "
                "decoded; re-export it or save it as UTF-8",
                file=file,
                line=where,
            ) from None
    else:
        text = _decode_8bit(data, file)
    return _checked(text.lstrip("\ufeff"), file)


def _decode_8bit(data: bytes, file: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    if _UTF8_MULTIBYTE.search(data):
        raise KpiXlError(
            f"invalid UTF-8 byte 0x{data[utf8_error.start]:02x}: the text cannot be decoded; "
            "save the file as UTF-8",
            file=file,
            line=_line_of(data, utf8_error.start),
        )
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise KpiXlError(
            f"byte 0x{data[exc.start]:02x} is neither UTF-8 nor Windows-1252 text: the "
            "text cannot be decoded; save the file as UTF-8",
            file=file,
            line=_line_of(data, exc.start),
        ) from None


def _checked(text: str, file: str) -> str:
    if not text.strip():
        raise KpiXlError("the file is empty: expected an exported report", file=file)
    bad = _CONTROL.search(text)
    if bad is not None:
        raise KpiXlError(
            f"control character U+{ord(bad.group()):04X} found: this looks like a binary "
            "file, not a text export; pass the report exported from the platform as CSV",
            file=file,
            line=text.count("\n", 0, bad.start()) + 1,
        )
    return text
