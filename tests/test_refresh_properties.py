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
from refresh_support import meta_inputs, read_inputs, small_data, type_inputs

from kpi_xl.pipeline import build_plan
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
    max_examples=12,
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
    for _ in range(8):
        proc = subprocess.Popen([sys.executable, "-c", script], env={**os.environ})
        time.sleep(rng.uniform(1.5, 6.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert _valid(plan)
        assert read_inputs(plan)["target|revenue|all|2026-03"] == 4242.0
        for leftover in tmp_path.glob("*.tmp"):
            leftover.unlink()  # a killed writer's temporary file; the plan itself is intact
