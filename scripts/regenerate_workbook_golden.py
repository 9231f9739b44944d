"""Regenerate tests/golden/workbook_anatomy.json (a deliberate act: review the diff).

python scripts/regenerate_workbook_golden.py
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from anatomy import anatomy  # noqa: E402

from kpi_xl.pipeline import build_plan  # noqa: E402
from kpi_xl.sample_data import load_sample  # noqa: E402

CASES = {"ecommerce-en": ("ecommerce", "en"), "leadgen-he": ("leadgen", "he")}


def main() -> None:
    golden = {}
    with tempfile.TemporaryDirectory() as tmp:
        for key, (template, lang) in CASES.items():
            path = build_plan(
                load_sample(), Path(tmp) / f"{key}.xlsx", template=template, lang=lang
            )
            golden[key] = anatomy(path)
    out = ROOT / "tests" / "golden" / "workbook_anatomy.json"
    out.write_text(json.dumps(golden, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
