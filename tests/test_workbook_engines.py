"""Every formula's stored value equals what independent engines compute from the formula.

LibreOffice recomputes everything (private profile, OOXMLRecalcMode=0); formualizer
recomputes into a copy. Values must agree within 1e-9 relative; empty results are stored
as text so they compare equal.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from engines import compare_cached, formualizer_recalc, formula_cells, libreoffice_recalc

CASES = [(t, lang) for t in ("ecommerce", "leadgen", "content", "saas") for lang in ("en", "fa")]


@pytest.mark.libreoffice
@pytest.mark.parametrize(("template", "lang"), CASES)
def test_libreoffice_recomputes_every_stored_value(
    demo_plan: Callable[..., Path], tmp_path: Path, template: str, lang: str
) -> None:
    plan = demo_plan(template, lang)
    recomputed = libreoffice_recalc(plan, tmp_path / "lo")
    mismatches = compare_cached(plan, recomputed)
    assert not mismatches, "\n".join(map(str, mismatches[:20]))
    assert len(formula_cells(plan)) > 300


@pytest.mark.parametrize(("template", "lang"), CASES)
def test_formualizer_recomputes_every_stored_value(
    demo_plan: Callable[..., Path], tmp_path: Path, template: str, lang: str
) -> None:
    plan = demo_plan(template, lang)
    recomputed = formualizer_recalc(plan, tmp_path / "fz.xlsx")
    mismatches = compare_cached(plan, recomputed)
    assert not mismatches, "\n".join(map(str, mismatches[:20]))


def test_a_wrong_stored_value_is_caught(demo_plan: Callable[..., Path], tmp_path: Path) -> None:
    """The judge is not blind: corrupt one cached value and the comparison finds it."""
    import re
    import zipfile

    plan = demo_plan("ecommerce", "en")
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(plan) as src, zipfile.ZipFile(broken, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                text = re.sub(r"(</f><v>)([0-9.]+)(</v>)", r"\g<1>12345.678\g<3>", text, count=1)
                data = text.encode()
            dst.writestr(item, data)
    recomputed = formualizer_recalc(broken, tmp_path / "fz.xlsx")
    assert compare_cached(broken, recomputed)
