"""A lean core install: the command line starts without the heavy libraries, and a feature
whose optional dependency is missing says which extra to install, in one line."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from refresh_support import small_data

from kpi_xl import extras
from kpi_xl.cli import main
from kpi_xl.errors import KpiXlError
from kpi_xl.pipeline import build_plan

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("pandas", "numpy", "yaml", "openpyxl", "xlsxwriter", "matplotlib", "xlwings")


def test_the_help_imports_nothing_heavy() -> None:
    code = (
        "import sys, contextlib, io\n"
        "from kpi_xl.cli import parser\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    parser().parse_args(['--help'])\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == "", f"building the parser imported {loaded}"


def test_core_dependencies_leave_out_the_edges() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    core = " ".join(project["dependencies"]).lower()
    for edge in ("xlwings", "pyopenvba", "matplotlib", "pyarrow"):
        assert edge not in core
    optional = project["optional-dependencies"]
    assert {"excel", "mail", "parquet", "all"} <= set(optional)
    assert set(extras.EXTRAS) <= set(optional)


@pytest.fixture
def missing(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    gone: set[str] = set()
    real = extras.has
    monkeypatch.setattr(extras, "has", lambda module: module not in gone and real(module))
    return gone


def test_macro_without_the_excel_extra_names_it(
    missing: set[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing.add("pyopenvba")
    with pytest.raises(KpiXlError) as err:
        build_plan(small_data(), tmp_path / "plan.xlsm", macro=True)
    assert str(err.value) == (
        "a macro-enabled plan needs the optional package 'pyopenvba': pip install \"kpi-xl[excel]\""
    )
    assert not (tmp_path / "plan.xlsm").exists()
    assert main(["demo", "--macro", "-q", "-o", str(tmp_path / "demo.xlsm")]) == 2
    err_text = capsys.readouterr().err
    assert err_text.count("\n") == 1 and 'pip install "kpi-xl[excel]"' in err_text


def test_mail_chart_without_the_mail_extra_names_it(missing: set[str], tmp_path: Path) -> None:
    from kpi_xl.mail import compose_email

    plan = build_plan(small_data(), tmp_path / "plan.xlsx")
    missing.add("matplotlib")
    with pytest.raises(KpiXlError, match=r'pip install "kpi-xl\[mail\]"'):
        compose_email(plan, "boss@example.com", sender="me@example.com")


def test_parquet_without_the_parquet_extra_names_it(missing: set[str], tmp_path: Path) -> None:
    from kpi_xl.ingest import write_canonical

    missing.add("pyarrow")
    with pytest.raises(KpiXlError, match=r'pip install "kpi-xl\[parquet\]"'):
        write_canonical(small_data(), tmp_path / "data.parquet")
