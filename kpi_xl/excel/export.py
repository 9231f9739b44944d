"""The macro-free copy of a macro-enabled plan, for e-mail.

The ``.xlsx`` is made at the zip level: every part is copied byte for byte except the VBA
project, its relationship and content type, and the Refresh button (a VML form control)
with the note beside it (the cells the Overview keeps for them, found from the button's
anchor: a note about a button that is not there would only puzzle the reader). Formulas,
cached values, charts, formats and the ``_meta`` record are untouched, so the copy shows
exactly the same numbers. Nothing is parsed with a spreadsheet library.
"""

from __future__ import annotations

import os
import re
import shlex
import zipfile
from pathlib import Path

from kpi_xl.errors import KpiXlError
from kpi_xl.fileio import atomic_path, check_target
from kpi_xl.filetypes import has_macros, macro_free_name
from kpi_xl.plan.planfile import check_workbook
from kpi_xl.spreadsheet import a1
from kpi_xl.workbook.vba_project import RESERVED_COLS, RESERVED_ROWS

MACRO_MAIN = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
PLAIN_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
VBA_PARTS = ("xl/vbaProject.bin", "xl/vbaProjectSignature.bin")


def _strip_rels(xml: str, pattern: str) -> tuple[str, list[str]]:
    """Remove relationships whose Type matches; return the XML and their Ids."""
    removed: list[str] = []

    def drop(match: re.Match[str]) -> str:
        if re.search(pattern, match.group(0)):
            rid = re.search(r'Id="([^"]+)"', match.group(0))
            if rid:
                removed.append(rid.group(1))
            return ""
        return match.group(0)

    return re.sub(r"<Relationship\b[^>]*/>", drop, xml), removed


def button_areas(vml: str) -> set[str]:
    """The cells kept for each button of a VML drawing and its note (A1 references): the
    button's row and the next, from its column to ``RESERVED_COLS`` columns on."""
    cells: set[str] = set()
    for anchor in re.findall(r"<x:Anchor>([^<]+)</x:Anchor>", vml):
        col, _, row = (int(v) for v in anchor.split(",")[:3])
        cells |= {
            a1(r, c)
            for r in range(row, row + RESERVED_ROWS)
            for c in range(col, col + RESERVED_COLS)
        }
    return cells


def without_cells(sheet_xml: str, cells: set[str]) -> str:
    """The sheet's XML without ``cells`` (their content and format) and the merges that
    start in them."""
    if not cells:
        return sheet_xml
    refs = "|".join(sorted(cells))
    sheet_xml = re.sub(rf'<c r="(?:{refs})"[^>]*?(?:/>|>.*?</c>)', "", sheet_xml, flags=re.S)

    def merges(match: re.Match[str]) -> str:
        merged = re.findall(r'<mergeCell ref="([^"]+)"/>', match.group(0))
        kept = [ref for ref in merged if ref.split(":")[0] not in cells]
        inner = "".join(f'<mergeCell ref="{ref}"/>' for ref in kept)
        return f'<mergeCells count="{len(kept)}">{inner}</mergeCells>' if kept else ""

    return re.sub(r"<mergeCells\b[^>]*>.*?</mergeCells>", merges, sheet_xml, flags=re.S)


def export_macro_free(src: Path, out: Path) -> Path:
    """Write ``out`` (.xlsx): ``src`` (an .xlsm, or an .xlsx that holds macros: an .xlsm
    renamed) without its VBA project and buttons."""
    src, out = Path(src), Path(out)
    copy = macro_free_name(src)
    if out.suffix.lower() != ".xlsx":
        raise KpiXlError(
            f"the macro-free copy must be named .xlsx: use -o {shlex.quote(str(copy))}", file=out
        )
    check_target(out)  # before the plan is read
    check_workbook(src, "give a macro-enabled plan .xlsm", macro=True)
    with zipfile.ZipFile(src) as zin:
        names = zin.namelist()
        if src.suffix.lower() != ".xlsm" and not has_macros(set(names)):
            raise KpiXlError(
                "this workbook holds no macros: it needs no macro-free copy; send it as it is "
                f"(kpi-xl send {shlex.quote(str(src))} --to ...)",
                file=src,
            )
        if os.path.realpath(src) == os.path.realpath(out):
            raise KpiXlError(
                "the copy would replace the plan itself: name another file, such as "
                f"-o {shlex.quote(str(copy))}",
                file=out,
            )
        parts = {n: zin.read(n) for n in names}
    vml_drop: set[str] = set()
    for name in names:
        if name.startswith("xl/drawings/vmlDrawing") and b"FmlaMacro" in parts[name]:
            vml_drop.add(name)
    out_parts: dict[str, bytes] = {}
    for name in names:
        data = parts[name]
        if name in VBA_PARTS or name in vml_drop:
            continue
        if name == "[Content_Types].xml":
            text = data.decode("utf-8").replace(MACRO_MAIN, PLAIN_MAIN)
            text = re.sub(r'<Default Extension="bin"[^>]*/>', "", text)
            text = re.sub(r'<Override PartName="/xl/vbaProject[^>]*/>', "", text)
            data = text.encode("utf-8")
        elif name == "xl/_rels/workbook.xml.rels":
            text, _ = _strip_rels(data.decode("utf-8"), r"vbaProject")
            data = text.encode("utf-8")
        elif name.startswith("xl/worksheets/_rels/"):
            text = data.decode("utf-8")
            targets = "|".join(re.escape(Path(v).name) for v in vml_drop) or "(?!)"
            dropped = [v for v in vml_drop if re.search(re.escape(Path(v).name), text)]
            text, removed = _strip_rels(text, targets)
            data = text.encode("utf-8")
            if removed:
                sheet = name.replace("_rels/", "").removesuffix(".rels")
                sheet_xml = out_parts.get(sheet, parts[sheet]).decode("utf-8")
                for rid in removed:
                    sheet_xml = re.sub(rf'<legacyDrawing r:id="{rid}"/>', "", sheet_xml)
                for vml in dropped:
                    sheet_xml = without_cells(sheet_xml, button_areas(parts[vml].decode("utf-8")))
                out_parts[sheet] = sheet_xml.encode("utf-8")
        out_parts.setdefault(name, data)
    with atomic_path(out) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for name in names:
            if name in out_parts:
                zout.writestr(name, out_parts[name])
    return out
