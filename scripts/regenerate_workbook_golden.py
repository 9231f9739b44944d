"""Regenerate the workbook goldens (a deliberate act: review the diff).

    python scripts/regenerate_workbook_golden.py

Writes ``tests/golden/workbook/<case>/`` (the demo workbooks' normalized XML parts) and
``tests/golden/workbook_anatomy.json``. Before writing, every formula cell's stored value
of each new workbook is checked against LibreOffice (full recalculation) and formualizer;
a single mismatch stops the script and nothing is written.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from anatomy import anatomy  # noqa: E402
from engines import compare_cached, formualizer_recalc, libreoffice_recalc  # noqa: E402
from xml_golden import CASES, normalized_parts, write_golden  # noqa: E402

from kpi_xl.pipeline import DataSource, build_plan  # noqa: E402

ANATOMY_CASES = {"ecommerce-en": ("ecommerce", "en"), "leadgen-he": ("leadgen", "he")}


def checked(path: Path, tmp: Path) -> None:
    mismatches = compare_cached(path, libreoffice_recalc(path, tmp / f"lo-{path.stem}"))
    if mismatches:
        raise SystemExit(f"{path.name}: LibreOffice disagrees: {mismatches[:5]}")
    mismatches = compare_cached(path, formualizer_recalc(path, tmp / f"fz-{path.name}"))
    if mismatches:
        raise SystemExit(f"{path.name}: formualizer disagrees: {mismatches[:5]}")
    print(f"{path.name}: LibreOffice and formualizer agree with every stored value")


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        built = {}
        for key, (template, lang) in {**CASES, **ANATOMY_CASES}.items():
            path = build_plan(
                DataSource(sample="ecommerce"), tmp / f"{key}.xlsx", template=template, lang=lang
            )
            checked(path, tmp)
            built[key] = path
        for key in CASES:
            write_golden(key, normalized_parts(built[key]))
            print(f"wrote tests/golden/workbook/{key}/")
        golden = {key: anatomy(built[key]) for key in ANATOMY_CASES}
        out = ROOT / "tests" / "golden" / "workbook_anatomy.json"
        out.write_text(json.dumps(golden, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
