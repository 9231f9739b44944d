"""The macro-enabled plan (.xlsm): its VBA project, the Refresh button, and the e-mail copy.

One demo .xlsm is built for the module (in Finnish: a translated caption) and every test
reads it; LibreOffice opens it three times. (Not in Hebrew or Persian: LibreOffice 7.4
cannot save a right-to-left sheet that holds a form button as ODF, so the .fods check
would fail there; LibreOffice reads those files and saves them as .xlsx.)
"""

from __future__ import annotations

import re
import tomllib
import warnings
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from engines import compare_cached, formula_cells, libreoffice_convert, libreoffice_recalc
from refresh_support import small_data

from kpi_xl.catalog import label
from kpi_xl.errors import KpiXlError
from kpi_xl.excel.export import export_macro_free
from kpi_xl.pipeline import build_plan
from kpi_xl.plan.planfile import read_meta
from kpi_xl.spreadsheet import a1
from kpi_xl.workbook import vba_project
from kpi_xl.workbook.vba_project import (
    DICTIONARY_CLASS,
    KPI_MODULE,
    REFRESH_MACRO,
    RESERVED_COLS,
    RESERVED_ROWS,
    UDF_MODULE,
    XLWINGS_MODULE,
    button_caption,
    project_bin,
    vba_sources,
    vba_text,
    with_texts,
    xlwings_vba_version,
)

ROOT = Path(__file__).resolve().parent.parent
VBA_DIR = ROOT / "workbook_templates" / "vba"
LANG = "fi"
MODULES = (KPI_MODULE, UDF_MODULE, XLWINGS_MODULE, DICTIONARY_CLASS)
#: VB_Base of Excel's document modules: the workbook's and a worksheet's
DOCUMENT_BASE = r'VB_Base = "0\{000208(19|20)-0000-0000-C000-000000000046\}"'


@pytest.fixture(scope="module")
def xlsm(demo_plan: Callable[..., Path]) -> Path:
    return demo_plan("ecommerce", LANG, macro=True)


@pytest.fixture(scope="module")
def emailed(xlsm: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_macro_free(xlsm, tmp_path_factory.mktemp("mail") / "plan-mail.xlsx")


def quiet_load(path: Path, **options: Any) -> Any:
    """openpyxl's workbook (it warns that it drops sparklines; nothing else is hidden)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return openpyxl.load_workbook(path, **options)


def vba_modules(path: Path | bytes) -> dict[str, str]:
    """Module name -> source, as oletools' olevba extracts them (LF line ends)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyparsing deprecations inside oletools
        from oletools.olevba import VBA_Parser

    if isinstance(path, bytes):
        parser = VBA_Parser("vbaProject.bin", data=path)
    else:
        parser = VBA_Parser(str(path))
    try:
        modules: dict[str, str] = {}
        for _, stream, _, code in parser.extract_macros():
            assert isinstance(code, str), f"olevba could not read {stream}"
            modules[stream.rsplit("/", 1)[-1]] = code.replace("\r\n", "\n")
        return modules
    finally:
        parser.close()


def _lf(text: str) -> str:
    return vba_text(text).replace("\r\n", "\n")


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def overview_part(package: dict[str, bytes], sheet_name: str) -> str:
    """The part name of the sheet called ``sheet_name``."""
    workbook = package["xl/workbook.xml"].decode("utf-8")
    rels = package["xl/_rels/workbook.xml.rels"].decode("utf-8")
    for tag in re.findall(r"<sheet\b[^>]*/>", workbook):
        if f'name="{sheet_name}"' in tag:
            rid = re.search(r'r:id="([^"]+)"', tag)
            assert rid
            target = re.search(rf'Id="{rid.group(1)}"[^>]*Target="([^"]+)"', rels)
            target = target or re.search(rf'Target="([^"]+)"[^>]*Id="{rid.group(1)}"', rels)
            assert target
            return "xl/" + target.group(1).removeprefix("/xl/")
    raise AssertionError(f"no sheet {sheet_name!r}")


def drawing_of(package: dict[str, bytes], sheet_part: str) -> str | None:
    folder, name = sheet_part.rsplit("/", 1)
    rels = package.get(f"{folder}/_rels/{name}.rels", b"").decode("utf-8")
    found = re.search(r'Target="\.\./drawings/(vmlDrawing\d+\.vml)"', rels)
    return package[f"xl/drawings/{found.group(1)}"].decode("utf-8") if found else None


def formulas(path: Path) -> dict[tuple[str, str], str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return formula_cells(path)


def values(path: Path) -> Iterator[tuple[str, str, Any]]:
    wb = quiet_load(path, data_only=True)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is not None:
                    yield ws.title, cell.coordinate, cell.value


def button_area(path: Path) -> set[tuple[str, str]]:
    """The Overview cells kept for the Refresh button and its note (only an .xlsm fills
    them)."""
    layout = read_meta(quiet_load(path), path).layout
    button = layout.overview.button
    return {
        (layout.sheets["overview"], a1(r, c))
        for r in range(button.row, button.row + RESERVED_ROWS)
        for c in range(button.col, button.col + RESERVED_COLS)
    }


# -- the VBA project --------------------------------------------------------------------------


def test_the_project_holds_every_module_with_its_source(xlsm: Path) -> None:
    modules = vba_modules(xlsm)
    assert set(MODULES) <= set(modules)
    kpi = (VBA_DIR / "KpiXl.bas").read_text(encoding="utf-8")
    assert modules[KPI_MODULE] == _lf(with_texts(kpi, LANG))  # its texts in Finnish
    assert f"Public Sub {REFRESH_MACRO}()" in modules[KPI_MODULE]
    assert 'RunPython "import kpi_xl.excel.entry as e; e.refresh_from_excel()"' in kpi
    udfs = (VBA_DIR / "xlwings_udfs.bas").read_text(encoding="utf-8")
    assert modules[UDF_MODULE] == _lf(udfs)
    import xlwings

    xlwings_dir = Path(xlwings.__file__).parent
    assert modules[XLWINGS_MODULE] == _lf((xlwings_dir / "xlwings.bas").read_text("utf-8"))
    assert xlwings_vba_version() == xlwings.__version__
    assert "Public Function RunPython(" in modules[XLWINGS_MODULE]
    assert "Function XLPy()" in modules[XLWINGS_MODULE]  # what the UDF wrappers call
    # a class in stream form: the export header goes, the code stays
    dictionary = (xlwings_dir / "addin" / "Dictionary.cls").read_text("utf-8")
    body = dictionary.replace("\r\n", "\n").split("Attribute VB_Description", 1)[1]
    assert modules[DICTIONARY_CLASS].endswith(body.split("\n", 1)[1].rstrip("\n") + "\n")
    assert "VERSION 1.0 CLASS" not in modules[DICTIONARY_CLASS]


def test_every_sheet_has_its_document_module(xlsm: Path) -> None:
    package = parts(xlsm)
    modules = vba_modules(xlsm)
    workbook = package["xl/workbook.xml"].decode("utf-8")
    assert re.search(r'<workbookPr\b[^>]*codeName="ThisWorkbook"', workbook)
    sheets = [n for n in package if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n)]
    code_names = set()
    for name in sheets:
        found = re.search(r'<sheetPr\b[^>]*codeName="([^"]+)"', package[name].decode("utf-8"))
        assert found, f"{name} has no code name"
        code_names.add(found.group(1))
    assert len(code_names) == len(sheets) == len(workbook.split("<sheet ")) - 1
    documents = {n for n, code in modules.items() if re.search(DOCUMENT_BASE, code)}
    assert documents == {"ThisWorkbook", *code_names}


def test_it_is_a_macro_enabled_package(xlsm: Path) -> None:
    package = parts(xlsm)
    types = package["[Content_Types].xml"].decode("utf-8")
    assert "application/vnd.ms-excel.sheet.macroEnabled.main+xml" in types
    assert "application/vnd.ms-office.vbaProject" in types
    assert "vbaProject.bin" in package["xl/_rels/workbook.xml.rels"].decode("utf-8")
    assert "xl/vbaProject.bin" in package


def test_project_bin_is_deterministic_and_complete() -> None:
    sources = vba_sources()
    first = project_bin(["Sheet1", "Sheet2"], sources)
    assert first == project_bin(["Sheet1", "Sheet2"], sources)
    modules = vba_modules(first)
    assert list(modules) == ["ThisWorkbook", "Sheet1", "Sheet2", *(s.name for s in sources)]


def test_missing_or_wrong_vba_sources_are_clear_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(vba_project, "templates_dir", lambda: tmp_path)
    with pytest.raises(KpiXlError, match=r"KpiXl\.bas is missing"):
        vba_project.kpi_sources()
    (tmp_path / "vba").mkdir()
    (tmp_path / "vba" / "KpiXl.bas").write_text('Attribute VB_Name = "Other"\n', "utf-8")
    with pytest.raises(KpiXlError, match="is not the module 'KpiXl'"):
        vba_project.kpi_sources()


# -- the Refresh button -----------------------------------------------------------------------


def test_the_refresh_button_runs_the_macro_and_covers_nothing(xlsm: Path) -> None:
    wb = quiet_load(xlsm, keep_vba=True)
    meta = read_meta(wb, xlsm)
    overview = meta.layout.sheets["overview"]
    package = parts(xlsm)
    vml = drawing_of(package, overview_part(package, overview))
    assert vml is not None, "Overview has no VML drawing"
    assert f"<x:FmlaMacro>[0]!{REFRESH_MACRO}</x:FmlaMacro>" in vml
    assert 'ObjectType="Button"' in vml and "<x:PrintObject>False</x:PrintObject>" in vml
    assert button_caption(LANG) in vml and label("refresh_button", LANG) in vml
    anchor = re.search(r"<x:Anchor>([^<]+)</x:Anchor>", vml)
    assert anchor
    col1, _, row1, _, col2, _, row2, _ = (int(v) for v in anchor.group(1).split(","))
    ws = wb[overview]
    covered = [
        ws.cell(row + 1, col + 1).coordinate
        for row in range(row1, row2 + 1)
        for col in range(col1, col2 + 1)
        if ws.cell(row + 1, col + 1).value not in (None, "")
    ]
    assert not covered, f"the button covers {covered}"
    first_table_row = meta.layout.overview.header_row
    assert row2 < first_table_row
    others = [n for n in package if n.startswith("xl/drawings/vmlDrawing")]
    assert len(others) == 1, "the button is on Overview only"


def test_openpyxl_reads_the_xlsm_with_its_project(xlsm: Path) -> None:
    wb = quiet_load(xlsm, keep_vba=True)
    assert wb.vba_archive is not None
    assert "xl/vbaProject.bin" in wb.vba_archive.namelist()
    read_meta(wb, xlsm)  # a kpi_xl plan


def test_it_is_the_same_plan_as_the_xlsx(xlsm: Path, demo_plan: Callable[..., Path]) -> None:
    xlsx = demo_plan("ecommerce", LANG)
    stamp = read_meta(quiet_load(xlsx), xlsx).layout.overview.info["last_refreshed"]
    skip = {(stamp.sheet, stamp.a1)}  # built a few seconds apart
    plain = {(s, c): v for s, c, v in values(xlsx) if (s, c) not in skip}
    macro = {(s, c): v for s, c, v in values(xlsm) if (s, c) not in skip}
    note = button_area(xlsm)  # the note beside the button: the .xlsm's only addition
    assert not note & set(plain) and note & set(macro)
    assert plain == {k: v for k, v in macro.items() if k not in note}
    assert formulas(xlsx) == {k: f for k, f in formulas(xlsm).items() if k not in note}


def test_the_suffix_must_match_the_macros(tmp_path: Path) -> None:
    data = small_data()
    with pytest.raises(KpiXlError, match=r"\.xlsm"):
        build_plan(data, tmp_path / "plan.xlsx", macro=True)
    with pytest.raises(KpiXlError, match=r"\.xlsm"):
        build_plan(data, tmp_path / "plan.xlsm")
    assert not list(tmp_path.iterdir())


def test_vba_sources_are_package_data() -> None:
    """The wheel must ship workbook_templates/vba/*.bas (setuptools globs one folder deep)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    package_data = config["tool"]["setuptools"]["package-data"]
    patterns = [*package_data.get("*", []), *package_data.get("kpi_xl.workbook_templates", [])]
    shipped = {
        p.relative_to(ROOT / "workbook_templates").as_posix()
        for pattern in patterns
        for p in (ROOT / "workbook_templates").glob(pattern)
    }
    wanted = {f"vba/{p.name}" for p in VBA_DIR.glob("*.bas")}
    assert wanted == {"vba/KpiXl.bas", "vba/xlwings_udfs.bas"}
    missing = sorted(w for w in wanted if w not in shipped)
    assert not missing, (
        f"{missing} would be left out of the wheel: add 'vba/*.bas' to "
        "[tool.setuptools.package-data] for kpi_xl.workbook_templates in pyproject.toml"
    )


# -- LibreOffice ------------------------------------------------------------------------------


@pytest.mark.libreoffice
def test_libreoffice_opens_it_with_its_macros_and_button(xlsm: Path, tmp_path: Path) -> None:
    flat = libreoffice_convert(xlsm, tmp_path, "fods").read_text(encoding="utf-8")
    scripts = flat[flat.index("<office:scripts>") : flat.index("</office:scripts>")]
    library = re.search(
        r'<ooo:library-embedded ooo:name="VBAProject">(.*?)</ooo:library-embedded>', scripts, re.S
    )
    assert library, "LibreOffice did not load the VBA project"
    names = re.findall(r'<ooo:module ooo:name="([^"]+)">', library.group(1))
    assert set(MODULES) <= set(names)
    kpi = re.search(
        r'<ooo:module ooo:name="KpiXl">\s*<ooo:source-code>(.*?)</ooo:source-code>',
        library.group(1),
        re.S,
    )
    assert kpi and f"Public Sub {REFRESH_MACRO}()" in kpi.group(1)
    assert "RunPython &quot;import kpi_xl.excel.entry" in kpi.group(1)
    button = re.search(r"<form:button\b[^>]*>", flat)
    assert button and f'form:label="{button_caption(LANG)}"' in button.group(0)
    assert f"vnd.sun.star.script:VBAProject.{KPI_MODULE}.{REFRESH_MACRO}?" in flat


@pytest.mark.libreoffice
def test_libreoffice_recomputes_the_xlsm(xlsm: Path, tmp_path: Path) -> None:
    recomputed = libreoffice_recalc(xlsm, tmp_path / "lo")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        mismatches = compare_cached(xlsm, recomputed)
    assert not mismatches, "\n".join(map(str, mismatches[:20]))


# -- the macro-free copy for e-mail -----------------------------------------------------------


def test_the_emailed_copy_has_no_macros_and_no_button(xlsm: Path, emailed: Path) -> None:
    package = parts(emailed)
    assert not [n for n in package if "vbaProject" in n]
    assert not [n for n in package if n.startswith("xl/drawings/vmlDrawing")]
    text = b"".join(package.values()).decode("utf-8", "replace")
    assert "FmlaMacro" not in text and "vbaProject" not in text and "legacyDrawing" not in text
    assert "macroEnabled" not in package["[Content_Types].xml"].decode("utf-8")
    assert vba_modules(emailed) == {}
    assert set(package) < set(parts(xlsm))


def test_the_emailed_copy_shows_the_same_values(xlsm: Path, emailed: Path) -> None:
    """Every value but the note beside the button, which is about the button."""
    emailed_values = {(s, c): v for s, c, v in values(emailed)}
    note = button_area(xlsm)
    assert not note & set(emailed_values)
    assert emailed_values == {(s, c): v for s, c, v in values(xlsm) if (s, c) not in note}
    assert formulas(emailed) == {k: f for k, f in formulas(xlsm).items() if k not in note}
    wb = quiet_load(emailed)
    assert wb.vba_archive is None
    read_meta(wb, emailed)


def test_the_emailed_copy_is_refused_the_wrong_names(xlsm: Path, tmp_path: Path) -> None:
    with pytest.raises(KpiXlError):
        export_macro_free(xlsm, tmp_path / "plan.xlsm")
    with pytest.raises(KpiXlError):
        export_macro_free(tmp_path / "plan.xlsx", tmp_path / "out.xlsx")
    assert not list(tmp_path.iterdir())


@pytest.mark.libreoffice
def test_libreoffice_recomputes_the_emailed_copy(emailed: Path, tmp_path: Path) -> None:
    recomputed = libreoffice_recalc(emailed, tmp_path / "lo")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        mismatches = compare_cached(emailed, recomputed)
    assert not mismatches, "\n".join(map(str, mismatches[:20]))
