"""What a file is, from its first bytes, for messages that say what was given instead of
what was expected: an image, a PDF, a password-protected workbook, a Word document, a
kpi_xl plan, a CSV export...

Nothing here raises: each function returns a phrase (``"a PNG image"``) or ``None`` when
it cannot tell, and the caller words the error (see :mod:`kpi_xl.ingest.sources` and
:func:`kpi_xl.plan.planfile.check_workbook`).
"""

from __future__ import annotations

import re
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
GZIP_MAGIC = b"\x1f\x8b"
PARQUET_MAGIC = b"PAR1"

#: Phrases of :func:`ole_kind`.
ENCRYPTED = "a password-protected (encrypted) Office file"
LEGACY_XLS = "a legacy Excel .xls workbook"

# (signature, offset, what it is): formats no export is ever in.
_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, "a PNG image"),
    (b"\xff\xd8\xff", 0, "a JPEG image"),
    (b"GIF87a", 0, "a GIF image"),
    (b"GIF89a", 0, "a GIF image"),
    (b"II*\x00", 0, "a TIFF image"),
    (b"MM\x00*", 0, "a TIFF image"),
    (b"%PDF-", 0, "a PDF document"),
    (b"{\\rtf", 0, "an RTF document"),
    (b"ID3", 0, "an MP3 audio file"),
    (b"OggS", 0, "an Ogg audio or video file"),
    (b"fLaC", 0, "a FLAC audio file"),
    (b"\x1aE\xdf\xa3", 0, "a Matroska/WebM video"),
    (b"\x7fELF", 0, "a program (an ELF executable)"),
    (b"\xcf\xfa\xed\xfe", 0, "a program (a macOS executable)"),
    (b"7z\xbc\xaf\x27\x1c", 0, "a 7-Zip archive"),
    (b"Rar!\x1a\x07", 0, "a RAR archive"),
    (b"\xfd7zXZ\x00", 0, "an xz archive"),
    (b"\x28\xb5\x2f\xfd", 0, "a Zstandard archive"),
    (b"SQLite format 3\x00", 0, "an SQLite database"),
    (b"wOFF", 0, "a font file"),
    (b"wOF2", 0, "a font file"),
)
_RIFF = {b"WEBP": "a WebP image", b"WAVE": "a WAV audio file", b"AVI ": "an AVI video"}


def binary_kind(data: bytes) -> str | None:
    """What a file starting with ``data`` is, when its signature is one of a format no
    export comes in (an image, a PDF, audio, video, a program, another archive), else
    None. Zip, gzip, Parquet and OLE files are left to the callers."""
    for signature, offset, what in _SIGNATURES:
        if data[offset : offset + len(signature)] == signature:
            return what
    if data[:4] == b"RIFF" and data[8:12] in _RIFF:
        return _RIFF[data[8:12]]
    if data[4:8] == b"ftyp":
        return "a video or image (MP4, MOV or HEIC)"
    if data[:3] == b"BZh" and data[4:10] == b"1AY&SY":
        return "a bzip2 archive"
    binary = b"\x00" in data[:64]  # no text export holds a NUL byte (UTF-16 aside)
    if data[:2] == b"MZ" and binary:
        return "a Windows program (.exe or .dll)"
    if data[8:12] == b"DUCK" and binary:
        return "a DuckDB database"
    if data[257:262] == b"ustar" and binary:
        return "a tar archive"
    return None


# -- OLE2 compound files (legacy Office formats, and encrypted OOXML) -----------------------

_FREE, _END = 0xFFFFFFFF, 0xFFFFFFFE


def ole_names(data: bytes) -> set[str]:
    """The stream and storage names of an OLE2 compound file (empty when it cannot be
    read): the directory sectors are followed through the FAT the header lists."""
    try:
        shift = struct.unpack_from("<H", data, 0x1E)[0]
        if shift not in (9, 12):
            return set()
        size = 1 << shift
        fat_count, first_dir = (
            struct.unpack_from("<I", data, 0x2C)[0],
            struct.unpack_from("<I", data, 0x30)[0],
        )
        fat_sectors = [s for s in struct.unpack_from("<109I", data, 0x4C) if s < _END]
        fat_sectors = fat_sectors[: max(fat_count, 0)]
        fat: list[int] = []
        for sector in fat_sectors:
            start = (sector + 1) * size
            chunk = data[start : start + size]
            fat.extend(struct.unpack(f"<{len(chunk) // 4}I", chunk[: len(chunk) // 4 * 4]))
        names: set[str] = set()
        sector, seen = first_dir, set[int]()
        while sector < _END and sector not in seen and len(seen) < 10_000:
            seen.add(sector)
            start = (sector + 1) * size
            block = data[start : start + size]
            for at in range(0, len(block) - 127, 128):
                length = struct.unpack_from("<H", block, at + 64)[0]
                if 2 <= length <= 64:
                    names.add(block[at : at + length - 2].decode("utf-16-le", "replace"))
            sector = fat[sector] if sector < len(fat) else _END
        return names
    except (struct.error, IndexError, OverflowError):
        return set()


def _has_name(data: bytes, name: str) -> bool:
    """Whether a directory entry of ``name`` shows in ``data`` (a fallback for compound
    files whose FAT :func:`ole_names` does not follow): the UTF-16 name, zero-padded."""
    return name.encode("utf-16-le") + b"\x00\x00" in data


def ole_kind(data: bytes) -> str:
    """What an OLE2 compound file is: a password-protected Office file (an encrypted
    .xlsx is one: its ``EncryptionInfo`` and ``EncryptedPackage`` streams), a legacy
    .xls, .doc, .ppt or Outlook message, else an OLE file of another program."""
    names = ole_names(data)
    encrypted = ("EncryptionInfo", "EncryptedPackage")
    if any(n in names for n in encrypted) or any(_has_name(data, n) for n in encrypted):
        return ENCRYPTED
    if "Workbook" in names or "Book" in names:
        return LEGACY_XLS
    if "WordDocument" in names:
        return "a legacy Word .doc document"
    if "PowerPoint Document" in names:
        return "a legacy PowerPoint .ppt presentation"
    if any(n.startswith("__substg1.0_") for n in names):
        return "an Outlook message (.msg)"
    return "an OLE compound file (a legacy Office format)"


# -- zip files ------------------------------------------------------------------------------

#: The sheet that marks a kpi_xl plan (``kpi_xl.plan.layout.META_SHEET``).
PLAN_SHEET = "_meta"
_PLAN_SHEET = re.compile(rb"<(?:\w+:)?sheet\b[^>]*\bname=[\"']" + PLAN_SHEET.encode() + rb"[\"']")
_OPEN_DOCUMENT = {
    b"application/vnd.oasis.opendocument.spreadsheet": "an OpenDocument spreadsheet (.ods)",
    b"application/vnd.oasis.opendocument.text": "an OpenDocument text document (.odt)",
    b"application/vnd.oasis.opendocument.presentation": "an OpenDocument presentation (.odp)",
}
PLAN = "a kpi_xl plan"


def zip_kind(names: set[str], read: Callable[[str], bytes]) -> str | None:
    """What a zip holding ``names`` is when it is an Office or OpenDocument file: ``PLAN``
    for a kpi_xl plan (a workbook with the plan's hidden sheet), a Word document, a
    PowerPoint presentation, an OpenDocument file; ``None`` for an Excel workbook that is
    no plan and for other zips. ``read`` returns a member's bytes (only small members are
    read: ``xl/workbook.xml``, ``mimetype``)."""
    if "xl/workbook.xml" in names:
        try:
            workbook = read("xl/workbook.xml")
        except Exception:  # damaged: the caller's reader says so
            return None
        return PLAN if _PLAN_SHEET.search(workbook) else None
    if "word/document.xml" in names:
        return "a Word document (.docx)"
    if "ppt/presentation.xml" in names:
        return "a PowerPoint presentation (.pptx)"
    if "mimetype" in names:
        try:
            kind = read("mimetype")[:100].strip()
        except Exception:  # damaged
            return None
        return _OPEN_DOCUMENT.get(kind)
    return None


def has_macros(names: set[str]) -> bool:
    """Whether a workbook's zip holds a VBA project (a macro-enabled workbook, whatever its
    name ends in)."""
    return any(n.lower().endswith("vbaproject.bin") for n in names)


def macro_free_name(path: Path) -> Path:
    """The name of ``path``'s macro-free copy (``kpi-xl export-email``): ``plan.xlsx`` for
    ``plan.xlsm``, ``plan_macro_free.xlsx`` for a macro-enabled workbook named ``.xlsx``."""
    if path.suffix.lower() == ".xlsx":
        return path.with_name(f"{path.stem}_macro_free.xlsx")
    return path.with_suffix(".xlsx")


def _zip_kind_of(path: Path) -> str | None:
    try:
        with zipfile.ZipFile(path) as archive:
            infos = {i.filename: i for i in archive.infolist()}

            def read(name: str) -> bytes:
                if infos[name].file_size > 16 * 2**20:
                    return b""
                return archive.read(name)

            found = zip_kind(set(infos), read)
    except (zipfile.BadZipFile, OSError, KeyError, EOFError):
        return None
    if found is not None:
        return found
    if "xl/workbook.xml" in infos:
        return "a macro-enabled Excel workbook" if has_macros(set(infos)) else "an Excel workbook"
    if infos and all(n.lower().endswith((".csv", "/")) for n in infos):
        return "a zip of CSV files"
    return "a zip archive"


def text_kind(data: bytes, path: Path) -> str:
    """What a file that holds text is: a CSV export (its name, or separators on its first
    lines, say so), an HTML page, a YAML or JSON file, else a text file."""
    suffix = path.suffix.lower()
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<!doctype html", b"<html")):
        return "an HTML page"
    if suffix in (".yaml", ".yml"):
        return "a YAML file"
    if suffix == ".json" or head.startswith((b"{", b"[")):
        return "a JSON file"
    lines = [ln for ln in head.split(b"\n")[:30] if ln.strip()]
    separated = sum(1 for ln in lines if any(sep in ln for sep in (b",", b";", b"\t")))
    if suffix in (".csv", ".tsv") or separated >= min(2, len(lines)):
        return "a CSV export"
    return "a text file"


def describe(path: Path, head: bytes) -> str | None:
    """What the file at ``path`` (starting with ``head``, at least its first 64 KiB when it
    is longer) is, for a message that expected something else; ``None`` when it cannot tell
    (a damaged zip, bytes of no known format)."""
    if head.startswith(OLE_MAGIC):
        data = head if len(head) < 64 * 1024 else path.read_bytes()
        return ole_kind(data)
    if head.startswith(ZIP_MAGICS):
        return _zip_kind_of(path)
    if head.startswith(GZIP_MAGIC):
        return "a gzip-compressed file (an export?)"
    if head.startswith(PARQUET_MAGIC):
        return "a Parquet file"
    found = binary_kind(head)
    if found is not None:
        return found
    sample = head[:4096]
    if b"\x00" in sample and not sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    return text_kind(head, path)
