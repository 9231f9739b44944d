"""The README's commands are true: run them (examples are tests)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def first_commands() -> list[str]:
    block = re.search(r"```(?:bash|sh)\n(.*?)```", README, re.S)
    assert block, "the README must open with a shell block"
    return [line.strip() for line in block.group(1).splitlines() if line.strip()]


def test_readme_opens_with_the_two_commands() -> None:
    demo, tests = first_commands()
    assert demo.endswith("kpi-xl demo") and "pip install" in demo
    assert "pip install" in tests and "pytest" in tests


def test_ci_runs_the_readme_test_command() -> None:
    tests = first_commands()[1].split("&&")[-1].strip()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert f"\n{tests}\n" in ci


def test_demo_command_writes_a_plan(tmp_path: Path) -> None:
    demo = first_commands()[0].split("&&")[-1].strip()
    assert demo == "kpi-xl demo"
    exe = Path(sys.executable).with_name("kpi-xl")
    result = subprocess.run(
        [str(exe) if exe.exists() else "kpi-xl", "demo"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("wrote kpi_plan.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "kpi_plan.xlsx", read_only=True)
    assert wb.sheetnames[0] == "Overview"


def test_the_commands_table_names_every_command_and_only_real_ones() -> None:
    """The README's "What each command does": a row per subcommand, each a real one."""
    from kpi_xl.cli import parser

    section = README.split("## What each command does", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `kpi-xl ([a-z-]+)[^`]*` \|", section, re.M)
    sub = next(a for a in parser()._actions if a.__class__.__name__ == "_SubParsersAction")
    commands = sorted(getattr(sub, "choices", None) or {})
    assert sorted(rows) == commands, "add or remove the README row"
