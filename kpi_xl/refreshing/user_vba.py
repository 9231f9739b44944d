"""The user's own VBA in a macro-enabled plan, read so that a refresh carries it into the
rebuilt project (:mod:`kpi_xl.workbook.vba_project`)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from kpi_xl.errors import KpiXlError

if TYPE_CHECKING:
    from kpi_xl.refreshing.reader import OldPlan

#: kpi_xl's own VBA modules (rewritten by every build; anything else is the user's).
OWN_MODULES = frozenset({"kpixl", "xlwings_udfs", "xlwings", "dictionary"})
#: ``Attribute VB_Base`` of Excel's document modules (the workbook's, a worksheet's).
DOCUMENT_BASES = ("0{00020819-", "0{00020820-", "0{00020821-")


def read_vba(old: OldPlan) -> None:
    """The user's own VBA of an ``.xlsm`` (modules, classes, code in the workbook's and
    sheets' modules, library references), for the rebuilt project; what cannot be carried
    (a UserForm's design, a reference to another VBA project) in ``old.vba_dropped``."""
    from kpi_xl.extras import require

    require("pyopenvba", "excel", "refreshing a macro-enabled plan")
    from pyopenvba import ExcelFile  # type: ignore[import-untyped]
    from pyopenvba.vba import split_attribute_header  # type: ignore[import-untyped]

    from kpi_xl.workbook.vba_project import CarriedVBA, VBASource

    try:
        with ExcelFile(old.path) as book:
            if not book.has_vba_project():
                return
            project = book.vba_project()
            forms = {f.name for f in book.forms()}
            modules = [(m.name, m.kind.name, m.source) for m in project.modules]
            references = list(book.references())
    except Exception as exc:  # pyOpenVBA raises its own types on a damaged project
        raise KpiXlError(
            f"the workbook's VBA project cannot be read: {exc}", file=old.path
        ) from None
    sheets = {ws.sheet_properties.codeName: ws.title for ws in old.workbook.worksheets
              if ws.sheet_properties.codeName}  # fmt: skip
    workbook_code = getattr(old.workbook, "code_name", None) or "ThisWorkbook"
    carried: list[VBASource] = []
    documents: dict[str, str] = {}
    for name, kind, source in modules:
        if name.casefold() in OWN_MODULES:
            continue
        if name in forms:
            old.vba_dropped.append(f"the UserForm {name!r}")
            continue
        base = re.search(r'^Attribute VB_Base = "([^"]*)"', source, re.M)
        if base and base.group(1).startswith(DOCUMENT_BASES):
            _header, body = split_attribute_header(source)
            if not _has_code(body):
                continue
            if name == workbook_code:
                documents[""] = body
            elif name in sheets:
                documents[sheets[name]] = body
            else:
                old.vba_dropped.append(f"the code of the sheet module {name!r}")
            continue
        carried.append(VBASource(name, source, is_class=kind != "standard"))
    kept: list[tuple[str, str]] = []
    for ref in references:
        if ref.kind in ("registered", "control") and ref.libid:
            kept.append((ref.name, ref.libid))
        elif ref.name not in ("stdole", "Office"):
            old.vba_dropped.append(f"the reference to {ref.name!r}")
    old.vba = CarriedVBA(tuple(carried), documents, tuple(kept), sheets_code_names=sheets)


def _has_code(body: str) -> bool:
    lines = [line.strip() for line in body.splitlines()]
    return any(line and not line.lower().startswith("option ") for line in lines)
