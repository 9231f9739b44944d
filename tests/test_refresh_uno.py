"""A plan edited by a real spreadsheet application, then refreshed.

LibreOffice is driven through UNO (the Debian ``python3-uno`` of the system Python, run in
a subprocess: the project's Python need not import ``uno``): Targets is unprotected, a row
is inserted above the target rows (which moves the other sheets' references to the grid)
and one inside them, the rows are sorted by the KPI column (descending), a column is
inserted before the Note column, targets are typed in several rows and periods and notes
beside them, and the file is saved as .xlsx. Then:

* the channel sheets show the typed targets once LibreOffice recomputed the edited file
  (they look targets up by key);
* refresh without ``force`` takes it (inserted and sorted rows and an inserted column are
  the user's to make), and with ``force`` too; afterwards every typed target and note is
  on its key (read by key from the refreshed file) and the channel sheets' stored values
  show them;
* a generated cell edited in the same session is the only cell the conflict names.

Skipped without LibreOffice or ``python3-uno``, unless ``KPI_XL_REQUIRE_LIBREOFFICE=1``
(as tests/engines.py does).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from engines import libreoffice_recalc, soffice
from refresh_support import read_inputs, small_data

from kpi_xl.catalog import label
from kpi_xl.errors import ConflictError
from kpi_xl.pipeline import build_plan
from kpi_xl.plan.layout import PlanLayout
from kpi_xl.plan.planfile import read_meta
from kpi_xl.refreshing import refresh

pytestmark = pytest.mark.libreoffice

SYSTEM_PYTHON = "/usr/bin/python3"

#: Run by the system Python: edits a plan's Targets sheet as a user would, in LibreOffice.
UNO_SCRIPT = r"""
import json, sys, time
import uno
from com.sun.star.beans import PropertyValue
from com.sun.star.table import TableSortField


def prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


port, jobs = sys.argv[1], json.loads(sys.argv[2])
local = uno.getComponentContext()
resolver = local.ServiceManager.createInstanceWithContext(
    "com.sun.star.bridge.UnoUrlResolver", local)
deadline = time.time() + 120
while True:
    try:
        ctx = resolver.resolve(
            f"uno:socket,host=localhost,port={port};urp;StarOffice.ComponentContext")
        break
    except Exception:
        if time.time() > deadline:
            raise
        time.sleep(0.25)
desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)

for job in jobs:
    doc = desktop.loadComponentFromURL(
        uno.systemPathToFileUrl(job["src"]), "_blank", 0, (prop("Hidden", True),))
    sheet = doc.Sheets.getByName(job["sheet"])
    sheet.unprotect("")

    def used():
        cursor = sheet.createCursor()
        cursor.gotoEndOfUsedArea(False)
        return cursor.RangeAddress.EndRow, cursor.RangeAddress.EndColumn

    def header(text):
        last_row, last_col = used()
        for r in range(0, 12):
            for c in range(0, last_col + 1):
                if sheet.getCellByPosition(c, r).getString() == text:
                    return r, c
        raise KeyError(text)

    def key_rows():
        top, key_col = header("key")
        last_row, _ = used()
        rows = {}
        for r in range(top + 1, last_row + 1):
            text = sheet.getCellByPosition(key_col, r).getString()
            if "|" in text:
                rows[text] = r
        return rows

    inserted = None
    for step in job["steps"]:
        if step["do"] == "insert_row":  # inside the target rows, or above the first
            rows = sorted(key_rows().values())
            at = rows[0] if step.get("where") == "first" else rows[len(rows) // 2]
            sheet.Rows.insertByIndex(at, 1)
            inserted = at if step.get("where") != "first" else inserted
        elif step["do"] == "sort":  # the target rows (and the inserted one), every column
            rows = key_rows()
            first = min(rows.values())
            last = max([*rows.values(), inserted if inserted is not None else 0])
            _, last_col = used()
            _, col = header(step["header"])
            area = sheet.getCellRangeByPosition(0, first, last_col, last)
            field = TableSortField()
            field.Field, field.IsAscending = col, False
            descriptor = area.createSortDescriptor()
            for p in descriptor:
                if p.Name == "SortFields":
                    p.Value = uno.Any("[]com.sun.star.table.TableSortField", (field,))
                elif p.Name == "ContainsHeader":
                    p.Value = False
            area.sort(descriptor)
        elif step["do"] == "insert_column_before":
            _, col = header(step["header"])
            sheet.Columns.insertByIndex(col, 1)
        elif step["do"] == "type":
            _, col = header(step["header"])
            cell = sheet.getCellByPosition(col, key_rows()[step["key"]])
            if isinstance(step["value"], str):
                cell.setString(step["value"])
            else:
                cell.setValue(step["value"])
    doc.storeToURL(uno.systemPathToFileUrl(job["out"]),
                   (prop("FilterName", "Calc MS Excel 2007 XML"),))
    doc.close(True)
"""


def _system_uno() -> None:
    """Skip (fail when LibreOffice is required) without a system Python that has ``uno``."""
    found = (
        Path(SYSTEM_PYTHON).exists()
        and (
            subprocess.run([SYSTEM_PYTHON, "-c", "import uno"], capture_output=True, check=False)
        ).returncode
        == 0
    )
    if found:
        return
    if os.environ.get("KPI_XL_REQUIRE_LIBREOFFICE") == "1":
        pytest.fail(f"{SYSTEM_PYTHON} cannot import uno (install python3-uno)")
    pytest.skip(f"{SYSTEM_PYTHON} cannot import uno (python3-uno is not installed)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def libreoffice(tmp_path: Path) -> Iterator[int]:
    """A headless LibreOffice of our own (private profile) listening on a free port."""
    exe = soffice()
    _system_uno()
    port = _free_port()
    profile = tmp_path / "uno-profile"
    proc = subprocess.Popen(
        [
            exe,
            f"-env:UserInstallation={profile.resolve().as_uri()}",
            "--headless",
            "--invisible",
            "--norestore",
            "--nologo",
            "--nodefault",
            f"--accept=socket,host=localhost,port={port};urp;",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: ended with it, by its id
    )
    try:
        yield port
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


def _edit(port: int, jobs: list[dict[str, Any]], tmp_path: Path) -> None:
    script = tmp_path / "edit_with_uno.py"
    script.write_text(UNO_SCRIPT, encoding="utf-8")
    result = subprocess.run(
        [SYSTEM_PYTHON, str(script), str(port), json.dumps(jobs)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    for job in jobs:
        assert Path(job["out"]).exists(), f"LibreOffice did not save {job['out']}"


def _load(path: Path, **options: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return openpyxl.load_workbook(path, **options)


def _layout(path: Path) -> PlanLayout:
    return read_meta(_load(path), path).layout


def _channel_targets(path: Path, typed: dict[tuple[str, str, str], float]) -> dict[Any, Any]:
    """The stored value of each typed target's cell on its channel sheet (found through the
    file's own layout: the channel sheets are not edited)."""
    layout = _layout(path)
    values = _load(path, data_only=True)
    out = {}
    for kpi, channel, period in typed:
        ch = layout.channels[channel]
        col = ch.first_col + layout.targets.periods.index(period)
        out[(kpi, channel, period)] = values[ch.sheet].cell(ch.rows[kpi].target + 1, col + 1).value
    return out


def _keys_in_order(path: Path) -> list[str]:
    layout = _layout(path)
    ws = _load(path, data_only=True)[layout.targets.sheet]
    col = layout.targets.key_col + 1
    return [str(v) for r in range(1, ws.max_row + 1) if "|" in str(v := ws.cell(r, col).value)]


def test_a_plan_edited_in_libreoffice_refreshes_with_every_input_on_its_key(
    libreoffice: int, tmp_path: Path
) -> None:
    plan = build_plan(small_data(), tmp_path / "plan.xlsx")
    layout = _layout(plan)
    built_keys = list(layout.targets.keys)
    channels = ("paid_search", "seo", "email")
    picks = [(next(iter(layout.channels[ch].rows)), ch) for ch in channels]
    periods = ("2026-02", "2026-05", "2026-09")  # with data, partly, without
    typed = {
        (kpi, ch, period): value
        for (kpi, ch), period, value in zip(picks, periods, (4321.5, 0.375, 12.25), strict=True)
    }
    notes = {(picks[0][0], picks[0][1]): "agreed with the agency", ("revenue", "all"): "board"}
    steps: list[dict[str, Any]] = [
        {"do": "insert_row", "where": "first"},  # moves other sheets' references to the grid
        {"do": "insert_row"},
        {"do": "sort", "header": label("kpi", "en")},
        {"do": "insert_column_before", "header": label("note", "en")},
    ]
    steps += [
        {"do": "type", "key": f"{k}|{c}", "header": p, "value": v} for (k, c, p), v in typed.items()
    ]
    steps += [
        {"do": "type", "key": f"{k}|{c}", "header": label("note", "en"), "value": text}
        for (k, c), text in notes.items()
    ]
    edited = tmp_path / "edited.xlsx"
    with_edit = tmp_path / "edited-label.xlsx"
    unit_edit = {"do": "type", "key": built_keys[3], "header": label("unit", "en"), "value": "?"}
    _edit(
        libreoffice,
        [
            {"src": str(plan), "out": str(edited), "sheet": layout.targets.sheet, "steps": steps},
            {"src": str(plan), "out": str(with_edit), "sheet": layout.targets.sheet,
             "steps": [*steps, unit_edit]},
        ],
        tmp_path,
    )  # fmt: skip

    # LibreOffice did what a user does: sorted rows, a blank row inside, a column before Note
    now = _keys_in_order(edited)
    assert sorted(now) == sorted(built_keys) and now != built_keys
    ws = _load(edited)[layout.targets.sheet]
    header_row = layout.targets.header_row + 1
    note = [
        c
        for c in range(1, ws.max_column + 1)
        if ws.cell(header_row, c).value == label("note", "en")
    ]
    assert note == [layout.targets.note_col + 2]  # 1-based, one column to the right

    # before refresh: LibreOffice's own recalculation shows the typed targets by key
    recomputed = libreoffice_recalc(edited, tmp_path / "lo-before")
    assert _channel_targets(recomputed, typed) == pytest.approx(typed)

    for force in (False, True):
        copy = tmp_path / f"refresh-{force}.xlsx"
        shutil.copy2(edited, copy)
        out = refresh(copy, small_data(), force=force)
        assert out.report == ()  # nothing was left out or regenerated
        inputs = read_inputs(copy)
        for (kpi, ch, period), value in typed.items():
            assert inputs[f"target|{kpi}|{ch}|{period}"] == pytest.approx(value)
        for (kpi, ch), text in notes.items():
            assert inputs[f"note|{kpi}|{ch}"] == text
        typed_notes = {k for k, v in inputs.items() if k.startswith("note|") and v}
        assert typed_notes == {f"note|{k}|{c}" for k, c in notes}  # on no other key
        assert _channel_targets(copy, typed) == pytest.approx(typed)  # stored by kpi_xl
    recomputed = libreoffice_recalc(tmp_path / "refresh-False.xlsx", tmp_path / "lo-after")
    assert _channel_targets(recomputed, typed) == pytest.approx(typed)

    # the generated cell edited in the same session is all the conflict names
    with pytest.raises(ConflictError) as err:
        refresh(with_edit, small_data())
    ws = _load(with_edit)[layout.targets.sheet]
    unit = [c.coordinate for r in ws.iter_rows() for c in r if c.value == "?"]
    assert len(unit) == 1
    assert str(err.value) == (
        f"{with_edit}: refresh would change your edits: generated cells edited: "
        f"{layout.targets.sheet}!{unit[0]} (--force regenerates them)"
    )
    out = refresh(with_edit, small_data(), force=True)
    assert out.report and f"{layout.targets.sheet}!{unit[0]}" in out.report[0]
    inputs = read_inputs(with_edit)
    for (kpi, ch, period), value in typed.items():
        assert inputs[f"target|{kpi}|{ch}|{period}"] == pytest.approx(value)
