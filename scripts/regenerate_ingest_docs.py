"""Regenerate the platform sections of docs/ingest.md from the platform specs.

    python scripts/regenerate_ingest_docs.py

A deliberate act: review the diff (``git diff docs/ingest.md``).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from ingest_docs import DOCS, with_sections  # noqa: E402


def main() -> None:
    text = DOCS.read_text(encoding="utf-8")
    new = with_sections(text)
    DOCS.write_text(new, encoding="utf-8")
    print(f"wrote {DOCS.relative_to(ROOT)}" + (" (changed)" if new != text else " (unchanged)"))


if __name__ == "__main__":
    main()
