"""Opening a workbook we did not necessarily write: checks before any parsing.

A refresh reads a file that went through Excel, e-mail and other people's hands. Before
openpyxl parses it (with defusedxml, which refuses entity expansion), these checks turn
every kind of bad file into one clear :class:`~kpi_xl.errors.KpiXlError`:

* open in Excel (``~$name.xlsx`` owner file) or LibreOffice (``.~lock.name.xlsx#``);
* not a zip (truncated, corrupt, or an old binary ``.xls``); encrypted (an OLE compound
  file, which is how Office stores password-protected workbooks);
* a zip bomb: more than :data:`MAX_MEMBERS` members, a member larger than
  :data:`MAX_MEMBER_BYTES` uncompressed, more than :data:`MAX_TOTAL_BYTES` in all, or a
  compression ratio above :data:`MAX_RATIO`;
* DTDs or entities in any XML part (an XML bomb or an external-entity attack).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from kpi_xl.errors import KpiXlError

MAX_MEMBERS = 10_000
MAX_MEMBER_BYTES = 256 * 1024 * 1024
MAX_TOTAL_BYTES = 1024 * 1024 * 1024
MAX_RATIO = 200
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def lock_files(path: Path) -> list[Path]:
    """Lock files that say another program has the workbook open."""
    candidates = [
        path.with_name("~$" + path.name),
        path.with_name("~$" + path.name[2:]) if len(path.name) > 2 else None,
        path.with_name(f".~lock.{path.name}#"),
    ]
    return [p for p in candidates if p is not None and p.exists()]


def check_not_open(path: Path) -> None:
    locks = lock_files(path)
    if locks:
        program = "LibreOffice" if locks[0].name.startswith(".~lock") else "Excel"
        raise KpiXlError(
            f"the workbook is open in {program} (lock file {locks[0].name}); "
            "save and close it, then refresh again",
            file=path,
        )


def check_zip(path: Path) -> None:
    """Raise a clear error unless ``path`` is a sane, unencrypted OOXML zip."""
    if not path.is_file():
        raise KpiXlError("no such workbook", file=path)
    with path.open("rb") as fh:
        head = fh.read(8)
    if head == OLE_MAGIC:
        raise KpiXlError(
            "the workbook is encrypted (password-protected) or an old .xls file; "
            "remove the password or save it as .xlsx",
            file=path,
        )
    if not zipfile.is_zipfile(path):
        raise KpiXlError("not an Excel workbook: the file is corrupt or truncated", file=path)
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_MEMBERS:
                raise KpiXlError(f"refused: {len(infos)} parts in the zip", file=path)
            total = 0
            for info in infos:
                total += info.file_size
                ratio = info.file_size / max(info.compress_size, 1)
                if info.file_size > MAX_MEMBER_BYTES or (
                    ratio > MAX_RATIO and info.file_size > 1e6
                ):
                    raise KpiXlError(
                        f"refused: part {info.filename} expands to {info.file_size} bytes "
                        "(a zip bomb?)",
                        file=path,
                    )
            if total > MAX_TOTAL_BYTES:
                raise KpiXlError(f"refused: the zip expands to {total} bytes", file=path)
            names = {i.filename for i in infos}
            if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
                raise KpiXlError("not an Excel workbook (no xl/workbook.xml)", file=path)
            for info in infos:
                if info.filename.endswith((".xml", ".rels", ".vml")):
                    with zf.open(info) as part:
                        head_text = part.read(4096)
                    if b"<!DOCTYPE" in head_text or b"<!ENTITY" in head_text:
                        raise KpiXlError(
                            f"refused: part {info.filename} declares a DTD or entities",
                            file=path,
                        )
            bad = zf.testzip()
            if bad is not None:
                raise KpiXlError(f"the workbook is corrupt (part {bad})", file=path)
    except zipfile.BadZipFile as exc:
        raise KpiXlError(f"the workbook is corrupt: {exc}", file=path) from None
