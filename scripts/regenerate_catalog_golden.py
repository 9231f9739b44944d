"""Regenerate the catalog snapshot (a deliberate act: review the diff before committing).

python scripts/regenerate_catalog_golden.py

Writes tests/golden/catalog.json: every KPI's id, category, channels, channel filter,
unit, direction, expression and names in the five languages, and every base measure's
aggregation and unit. It is the same snapshot tests/test_catalog_records.py compares with the
live catalog (``catalog_snapshot`` there).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from catalog_support import GOLDEN, snapshot_text  # noqa: E402


def main() -> None:
    old = GOLDEN.read_text(encoding="utf-8") if GOLDEN.exists() else None
    new = snapshot_text()
    GOLDEN.write_text(new, encoding="utf-8")
    state = "unchanged" if old == new else "changed"
    print(f"wrote {GOLDEN.relative_to(ROOT)} ({state})")


if __name__ == "__main__":
    main()
