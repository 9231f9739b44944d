"""Where the package's bundled files are, installed or in a source checkout."""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path


def templates_dir() -> Traversable:
    """``workbook_templates/``: plan YAML files and VBA sources.

    In a wheel it is installed as the ``kpi_xl.workbook_templates`` package data (see
    ``package-dir`` in pyproject.toml); in a source checkout it sits beside ``kpi_xl/``.
    """
    installed = resources.files("kpi_xl").joinpath("workbook_templates")
    if installed.is_dir():
        return installed
    return Path(__file__).resolve().parent.parent / "workbook_templates"
