"""Independent spreadsheet engines that judge our stored formula values.

* :func:`libreoffice_recalc` - LibreOffice with a private profile that forces a full
  recalculation on load (``OOXMLRecalcMode=0``), re-saved as xlsx.
* :func:`formualizer_check` - ``formualizer recalc --check`` (exit 3 when a cache is stale).
* :func:`compare_cached` - every formula cell's stored value against the recomputed one.

LibreOffice tests skip when ``soffice`` is missing, unless ``KPI_XL_REQUIRE_LIBREOFFICE=1``
(set by ``.ci/run``) turns the skip into a failure.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import os
import re
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest

_XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
<prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
<prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def soffice() -> str:
    """Path of LibreOffice's soffice, or skip (fail in CI) when it is not installed."""
    path = shutil.which("soffice") or shutil.which("libreoffice")
    if path:
        return path
    if os.environ.get("KPI_XL_REQUIRE_LIBREOFFICE") == "1":
        pytest.fail("LibreOffice (soffice) is required here but not installed")
    pytest.skip("LibreOffice (soffice) is not installed")


def libreoffice_convert(src: Path, out_dir: Path, fmt: str = "xlsx") -> Path:
    """Convert ``src`` with a private, full-recalculation LibreOffice profile."""
    return libreoffice_convert_many([src], out_dir, fmt)[0]


def libreoffice_recalc_many(sources: list[Path], out_dir: Path) -> list[Path]:
    """Copies of ``sources`` (their names may repeat) fully recalculated by one
    LibreOffice process: its start, a few seconds, is paid once."""
    staged = out_dir / "in"
    staged.mkdir(parents=True, exist_ok=True)
    copies = []
    for n, src in enumerate(sources):
        copy = staged / f"{n:03d}-{src.name}"
        shutil.copyfile(src, copy)
        copies.append(copy)
    return libreoffice_convert_many(copies, out_dir, "xlsx")


def libreoffice_convert_many(sources: list[Path], out_dir: Path, fmt: str) -> list[Path]:
    """Convert ``sources`` (distinct names) in one LibreOffice run, with a private,
    full-recalculation profile."""
    exe = soffice()
    profile = out_dir / "lo-profile"
    (profile / "user").mkdir(parents=True, exist_ok=True)
    (profile / "user" / "registrymodifications.xcu").write_text(_XCU, encoding="utf-8")
    result = subprocess.run(
        [
            exe,
            f"-env:UserInstallation={profile.resolve().as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            fmt,
            "--outdir",
            str(out_dir),
            *(str(src) for src in sources),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    outs = [out_dir / (src.stem + "." + fmt.split(":")[0]) for src in sources]
    for src, out in zip(sources, outs, strict=True):
        assert out.exists(), f"LibreOffice did not convert {src}: {result.stdout} {result.stderr}"
    return outs


def libreoffice_recalc(src: Path, out_dir: Path) -> Path:
    """A copy of ``src`` fully recalculated by LibreOffice."""
    out_dir.mkdir(parents=True, exist_ok=True)
    return libreoffice_convert(src, out_dir, "xlsx")


def formualizer_check(src: Path) -> subprocess.CompletedProcess[str]:
    """Run ``formualizer recalc --check --json``; returncode 0 = current, 3 = stale."""
    exe = shutil.which("formualizer")
    assert exe, "formualizer is a test dependency (pip install -e '.[test]')"
    return subprocess.run(
        [exe, "recalc", str(src), "--check", "--json", "--max-errors", "50"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def formualizer_recalc(src: Path, out: Path) -> Path:
    exe = shutil.which("formualizer")
    assert exe
    subprocess.run([exe, "recalc", str(src), "-o", str(out)], check=True, capture_output=True)
    return out


@dataclass(frozen=True)
class Mismatch:
    sheet: str
    cell: str
    stored: Any
    recomputed: Any

    def __str__(self) -> str:
        return f"{self.sheet}!{self.cell}: stored {self.stored!r}, recomputed {self.recomputed!r}"


def _same(a: Any, b: Any, rel: float) -> bool:
    if a in (None, "") and b in (None, ""):
        return True
    if isinstance(a, bool) or isinstance(b, bool):
        return bool(a == b)
    if isinstance(a, int | float) and isinstance(b, int | float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return math.isclose(a, b, rel_tol=rel, abs_tol=1e-12)
    return bool(a == b)


def formula_cells(path: Path) -> dict[tuple[str, str], str]:
    """(sheet, cell) -> formula text of every formula cell (read once per file version:
    the session's demo plans are compared by several engines)."""
    st = Path(path).stat()
    return dict(_formula_cells(str(path), st.st_mtime_ns, st.st_size))


@functools.lru_cache(maxsize=64)
def _formula_cells(path: str, _mtime: int, _size: int) -> dict[tuple[str, str], str]:
    wb = openpyxl.load_workbook(path, data_only=False)
    out: dict[tuple[str, str], str] = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    out[(ws.title, cell.coordinate)] = str(cell.value)
    return out


@functools.lru_cache(maxsize=64)
def _stored_values(path: str, _mtime: int, _size: int) -> dict[tuple[str, str], Any]:
    """The stored value of every formula cell of ``path``."""
    stored = openpyxl.load_workbook(path, data_only=True)
    return {(sheet, ref): stored[sheet][ref].value for sheet, ref in formula_cells(Path(path))}


def compare_cached(original: Path, recomputed: Path, rel: float = 1e-9) -> list[Mismatch]:
    """Stored values of ``original``'s formula cells against ``recomputed``'s values."""
    cells = formula_cells(original)
    assert cells, f"{original} has no formula cells"
    st = Path(original).stat()
    stored = _stored_values(str(original), st.st_mtime_ns, st.st_size)
    fresh = openpyxl.load_workbook(recomputed, data_only=True)
    mismatches = []
    for sheet, ref in cells:
        a = stored[(sheet, ref)]
        b = fresh[sheet][ref].value
        if not _same(a, b, rel):
            mismatches.append(Mismatch(sheet, ref, a, b))
    return mismatches


def sheet_xml(path: Path) -> dict[str, str]:
    """Every worksheet part's XML text by part name."""
    with zipfile.ZipFile(path) as zf:
        return {
            n: zf.read(n).decode("utf-8")
            for n in zf.namelist()
            if n.startswith("xl/worksheets/sheet") and n.endswith(".xml")
        }


def sheet_values(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every sheet's stored values, row by row, as a reader sees them (openpyxl); the
    build's time stamps (datetime cells) left out."""
    book = openpyxl.load_workbook(path, data_only=True)
    try:
        return {
            ws.title: [
                tuple(None if isinstance(v, dt.datetime) else v for v in row)
                for row in ws.iter_rows(values_only=True)
            ]
            for ws in book.worksheets
        }
    finally:
        book.close()


def set_cell(path: Path, out: Path, sheet: str, cell: str, value: float | str) -> Path:
    """A copy of ``path`` with one cell's value replaced, as a user types it: a number, or
    a text (written inline). The cell's cached formula results elsewhere stay as they
    were; a recalculating engine brings them up to date."""
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    book = parts["xl/workbook.xml"].decode()
    rels = parts["xl/_rels/workbook.xml.rels"].decode()
    rid = re.search(rf'<sheet name="{re.escape(sheet)}" sheetId="\d+" r:id="(rId\d+)"', book)
    assert rid, sheet
    target = re.search(rf'Id="{rid[1]}"[^>]*Target="([^"]+)"', rels)
    assert target
    name = "xl/" + target[1].removeprefix("/xl/")
    xml = parts[name].decode()
    found = re.search(rf'<c r="{cell}"( s="\d+")?[^>]*?(/>|>.*?</c>)', xml)
    assert found, cell
    style = found[1] or ""
    if isinstance(value, str):
        text = value.replace("&", "&amp;").replace("<", "&lt;")
        new = f'<c r="{cell}"{style} t="inlineStr"><is><t>{text}</t></is></c>'
    else:
        new = f'<c r="{cell}"{style}><v>{value!r}</v></c>'
    parts[name] = (xml[: found.start()] + new + xml[found.end() :]).encode()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for part, data in parts.items():
            zf.writestr(part, data)
    return out
