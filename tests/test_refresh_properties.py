"""Inputs survive any sequence of refreshes; a killed refresh never breaks the file."""

from __future__ import annotations

import math
import os
import random
import signal
import subprocess
import sys
import time
import warnings
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.formula.translate import Translator
from refresh_support import meta_inputs, read_inputs, small_data, type_inputs

from kpi_xl.pipeline import build_plan
from kpi_xl.plan.planfile import read_meta
from kpi_xl.refreshing import refresh

DATASETS: dict[str, dict[str, Any]] = {
    "grow": {"end": "2026-07-31", "campaigns": 3},
    "shrink": {"end": "2026-02-10", "campaigns": 1},
    "change": {"end": "2026-04-15", "campaigns": 2, "seed": 99},
    "fewer_channels": {"end": "2026-05-31", "channels": ("seo", "email")},
}


@pytest.fixture(scope="module")
def base_plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_plan(small_data(), tmp_path_factory.mktemp("base") / "plan.xlsx")


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    data=st.data(),
    steps=st.lists(st.sampled_from(sorted(DATASETS)), min_size=1, max_size=3),
)
def test_typed_inputs_survive_any_refresh_sequence(
    base_plan: Path, tmp_path_factory: pytest.TempPathFactory, data: st.DataObject,
    steps: list[str],
) -> None:  # fmt: skip
    plan = tmp_path_factory.mktemp("prop") / "plan.xlsx"
    plan.write_bytes(base_plan.read_bytes())
    keys = sorted(meta_inputs(plan))
    targets = [k for k in keys if k.startswith("target|")]
    notes = [k for k in keys if k.startswith("note|")]
    typed: dict[str, object] = {}
    for key in data.draw(st.lists(st.sampled_from(targets), max_size=8, unique=True)):
        typed[key] = data.draw(st.floats(0, 1e7, allow_nan=False).map(lambda x: round(x, 4)))
    for key in data.draw(st.lists(st.sampled_from(notes), max_size=3, unique=True)):
        typed[key] = data.draw(
            st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40)
            .map(str.strip).filter(lambda s: bool(s) and not s.startswith("="))
        )  # fmt: skip
    if data.draw(st.booleans()):
        typed["setting|at_risk"] = 0.85
        typed["setting|on_track"] = 0.97
    type_inputs(plan, typed)
    for step in steps:
        refresh(plan, small_data(**DATASETS[step]), backup=False)
        after = read_inputs(plan)
        for key, value in typed.items():
            got = after[key]
            if isinstance(value, float):
                assert isinstance(got, int | float) and math.isclose(got, value), key
            else:
                assert got == value, key


def _targets_sheet(path: Path) -> tuple[Any, Any, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(path)
    t = read_meta(wb, path).layout.targets
    return wb, wb[t.sheet], t


def _grid_rows(ws: Any, key_col: int) -> list[int]:
    return [r for r in range(1, ws.max_row + 1) if "|" in str(ws.cell(r, key_col).value or "")]


def _structure(path: Path, edits: list[tuple[str, int]], keep: set[str]) -> None:
    """Edit the Targets sheet's structure as a user does (openpyxl): insert an empty row
    inside the target rows, delete the row of a key not in ``keep``, sort the rows by a
    column (formulas moved as a spreadsheet moves them), insert an empty column."""
    wb, ws, t = _targets_sheet(path)
    for kind, pick in edits:
        key_col = next(c for c in range(1, ws.max_column + 1)
                       if ws.cell(t.header_row + 1, c).value == "key")  # fmt: skip
        rows = _grid_rows(ws, key_col)
        if kind == "insert_row":
            ws.insert_rows(rows[pick % len(rows)])
        elif kind == "delete_row":
            gone = [r for r in rows if ws.cell(r, key_col).value not in keep]
            if gone:
                ws.delete_rows(gone[pick % len(gone)])
        elif kind == "insert_column":
            ws.insert_cols(2 + pick % (ws.max_column - 1))
        elif kind == "sort":
            first, last = min(rows), max(rows)
            width = ws.max_column
            cells = [[(c.value, c.data_type, c.coordinate) for c in ws[r][:width]]
                     for r in range(first, last + 1)]  # fmt: skip
            column = pick % width

            def order(i: int, column: int = column, cells: list[Any] = cells) -> tuple[bool, str]:
                value = cells[i][column][0]
                return value is None, str(value)

            for target, source in enumerate(sorted(range(len(cells)), key=order)):
                for c, (value, kind_, origin) in enumerate(cells[source], start=1):
                    cell = ws.cell(first + target, c)
                    if kind_ == "f" and isinstance(value, str):
                        value = Translator(value, origin=origin).translate_formula(cell.coordinate)
                    cell.value = value
    wb.save(path)


STRUCTURE = st.lists(
    st.tuples(st.sampled_from(["insert_row", "delete_row", "insert_column", "sort"]),
              st.integers(0, 10_000)),
    min_size=1, max_size=4,
)  # fmt: skip


@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data(), edits=STRUCTURE)
def test_inputs_stay_on_their_keys_when_targets_rows_move(
    base_plan: Path, tmp_path_factory: pytest.TempPathFactory, data: st.DataObject,
    edits: list[tuple[str, int]],
) -> None:  # fmt: skip
    """Rows inserted, deleted and sorted and columns inserted on Targets between refreshes:
    every typed target and note is back on its key, and no input lands on another key
    (the cells holding typed targets and notes are exactly those of the typed keys)."""
    plan = tmp_path_factory.mktemp("moved") / "plan.xlsx"
    plan.write_bytes(base_plan.read_bytes())
    keys = sorted(meta_inputs(plan))
    targets = [k for k in keys if k.startswith("target|")]
    notes = [k for k in keys if k.startswith("note|")]
    typed: dict[str, object] = {}
    for key in data.draw(st.lists(st.sampled_from(targets), min_size=1, max_size=6, unique=True)):
        typed[key] = data.draw(st.floats(0, 1e6, allow_nan=False).map(lambda x: round(x, 3)))
    for key in data.draw(st.lists(st.sampled_from(notes), max_size=3, unique=True)):
        typed[key] = data.draw(st.text("abc xyz-1", min_size=1, max_size=12).map(str.strip)
                               .filter(bool))  # fmt: skip
    type_inputs(plan, typed)
    rows_typed = {"|".join(k.split("|")[1:3]) for k in typed}
    _structure(plan, edits, rows_typed)
    refresh(plan, small_data(**DATASETS["grow"]), force=True, backup=False)
    after = read_inputs(plan)
    for key, value in typed.items():
        got = after[key]
        if isinstance(value, float):
            assert isinstance(got, int | float) and math.isclose(got, value), key
        else:
            assert got == value, key
    assert {k for k, v in after.items() if k.startswith("note|") and v} == {
        k for k in typed if k.startswith("note|")
    }
    _wb, ws, _t = _targets_sheet(plan)
    constant = set()
    for key, ref in meta_inputs(plan).items():
        if key.startswith("target|"):
            cell = ws[ref.rsplit("!", 1)[1].replace("$", "")]
            if cell.data_type != "f" and cell.value is not None:
                constant.add(key)
    assert constant == {k for k in typed if k.startswith("target|")}
    assert refresh(plan, small_data(**DATASETS["grow"]), backup=False).report == ()


KILL_SCRIPT = """
import sys
from kpi_xl.refreshing import refresh
sys.path.insert(0, {tests!r})
from refresh_support import small_data
while True:
    month = 1 + int(__import__("time").time()) % 8
    refresh({plan!r}, small_data(end=f"2026-0{{month}}-28"))
"""


def _valid(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as zf:
            if zf.testzip() is not None:
                return False
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(path)
        return "_meta" in wb.sheetnames
    except Exception:
        return False


def test_sigkill_at_random_points_never_breaks_the_file(base_plan: Path, tmp_path: Path) -> None:
    plan = tmp_path / "plan.xlsx"
    plan.write_bytes(base_plan.read_bytes())
    type_inputs(plan, {"target|revenue|all|2026-03": 4242.0})
    rng = random.Random(1)
    script = KILL_SCRIPT.format(tests=str(Path(__file__).parent), plan=str(plan))
    for _ in range(4):  # the writer loops refreshes: each kill lands somewhere in one
        proc = subprocess.Popen([sys.executable, "-c", script], env={**os.environ})
        time.sleep(rng.uniform(1.2, 2.6))  # start-up, then two refreshes or more
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert _valid(plan)
        assert read_inputs(plan)["target|revenue|all|2026-03"] == 4242.0
        for leftover in tmp_path.glob("*.tmp"):
            leftover.unlink()  # a killed writer's temporary file; the plan itself is intact
