"""The anatomy of a plan workbook, read from its XML parts (no spreadsheet library).

Used by the structural golden test: sheet names and states, right-to-left and protection
flags, and per sheet the number of formulas, conditional-format rules, validations,
charts and sparklines; the tables with their columns; the defined names.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from pathlib import Path
from typing import Any

from defusedxml import ElementTree

NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
}
R_ID = "{{{}}}id".format(NS["r"])


def _rels(zf: zipfile.ZipFile, part: str) -> dict[str, str]:
    folder, name = posixpath.split(part)
    rels_name = posixpath.join(folder, "_rels", name + ".rels")
    if rels_name not in zf.namelist():
        return {}
    root = ElementTree.fromstring(zf.read(rels_name))
    return {
        r.get("Id"): posixpath.normpath(posixpath.join(folder, r.get("Target")))
        for r in root.findall("rel:Relationship", NS)
    }


def anatomy(path: Path) -> dict[str, Any]:
    with zipfile.ZipFile(path) as zf:
        book = ElementTree.fromstring(zf.read("xl/workbook.xml"))
        book_rels = _rels(zf, "xl/workbook.xml")
        sheets = []
        tables = {}
        for sheet in book.findall("m:sheets/m:sheet", NS):
            part = book_rels[sheet.get(R_ID)]
            xml = zf.read(part).decode("utf-8")
            rels = _rels(zf, part)
            charts = 0
            for target in rels.values():
                if "drawings/drawing" in target:
                    charts += len(re.findall(r"charts/chart\d+\.xml", str(_rels(zf, target))))
                if "/tables/" in target:
                    t = ElementTree.fromstring(zf.read(target))
                    tables[t.get("name")] = {
                        "sheet": sheet.get("name"),
                        "columns": [
                            c.get("name") for c in t.findall("m:tableColumns/m:tableColumn", NS)
                        ],
                    }
            sheets.append(
                {
                    "name": sheet.get("name"),
                    "state": sheet.get("state", "visible"),
                    "rtl": 'rightToLeft="1"' in xml,
                    "protected": "<sheetProtection" in xml,
                    "formulas": xml.count("<f>") + xml.count("<f "),
                    "conditional_formats": xml.count("<cfRule"),
                    "validations": xml.count("<dataValidation "),
                    "charts": charts,
                    "sparklines": xml.count("<x14:sparkline>"),
                    "frozen": 'state="frozen"' in xml,
                    "landscape": 'orientation="landscape"' in xml,
                    "fit_to_width": 'fitToWidth="1"' in xml or "fitToPage" in xml,
                }
            )
        names = sorted(n.get("name") for n in book.findall("m:definedNames/m:definedName", NS))
        has_vba = "xl/vbaProject.bin" in zf.namelist()
        external = any("externalLink" in n for n in zf.namelist())
    return {
        "sheets": sheets,
        "tables": tables,
        "defined_names": names,
        "vba": has_vba,
        "external_links": external,
    }
