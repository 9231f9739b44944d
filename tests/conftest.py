"""Shared fixtures: demo workbooks are built once per session and reused."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from kpi_xl.pipeline import DataSource, build_plan
from kpi_xl.sample_data import load_sample


@pytest.fixture(scope="session")
def sample() -> pd.DataFrame:
    return load_sample()


@pytest.fixture(scope="session")
def demo_plan(
    tmp_path_factory: pytest.TempPathFactory, sample: pd.DataFrame
) -> Callable[..., Path]:
    """Build (once) the demo plan for a template and language; returns its path."""
    cache: dict[tuple[str, str, bool], Path] = {}

    def make(template: str = "ecommerce", lang: str = "en", macro: bool = False) -> Path:
        key = (template, lang, macro)
        if key not in cache:
            folder = tmp_path_factory.mktemp(f"{template}-{lang}")
            out = folder / f"plan.{'xlsm' if macro else 'xlsx'}"
            # the bundled sample as the demo reads it: its whole-month rows (e-mail, Search
            # Console) follow the plan's calendar (Solar Hijri months for Persian)
            cache[key] = build_plan(
                DataSource(sample="ecommerce"), out, template=template, lang=lang, macro=macro
            )
        return cache[key]

    return make
