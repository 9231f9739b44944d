"""Regenerate the UDF goldens and the UDF list in docs/udfs.md (a deliberate act: review the diff).

python scripts/regenerate_udf_golden.py

Writes tests/golden/udf_metadata.json (each UDF's xlwings ``__xlfunc__`` and the
``MacroOptions`` descriptions Excel gets), workbook_templates/vba/xlwings_udfs.bas (the VBA
module xlwings' *Import Functions* writes; the macro-enabled plan ships it) and the generated
section of docs/udfs.md. It runs xlwings' Windows registration with pywin32 stubbed, the
same code as tests/test_udfs.py (tests/udf_golden.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from udf_golden import (  # noqa: E402
    DOCS,
    METADATA_GOLDEN,
    VBA_GOLDEN,
    docs_with_list,
    metadata_text,
    register_udfs,
)


def main() -> None:
    with pytest.MonkeyPatch.context() as mp:
        registration = register_udfs(mp)
        METADATA_GOLDEN.write_text(metadata_text(registration), encoding="utf-8")
        VBA_GOLDEN.write_text(registration.vba, encoding="utf-8", newline="")
    DOCS.write_text(docs_with_list(DOCS.read_text(encoding="utf-8")), encoding="utf-8")
    for path in (METADATA_GOLDEN, VBA_GOLDEN, DOCS):
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
