"""The Excel UDFs: registration as Excel gets it (goldens), names, and values by hand."""

from __future__ import annotations

import ast
import inspect
import json
import math
import re
import sys
from collections import Counter
from typing import Any

import numpy as np
import pytest
from openpyxl.utils import FORMULAE
from udf_golden import (
    DOCS,
    METADATA_GOLDEN,
    ROOT,
    VBA_GOLDEN,
    Registration,
    docs_with_list,
    metadata,
    register_udfs,
)

from kpi_xl import catalog, udfs
from kpi_xl.excel import udf_specs as specs_module
from kpi_xl.excel.udf_specs import (
    FIELDS,
    MAX_DESCRIPTION,
    RANGE_OPTIONS,
    UDFSpec,
    kpi_arg_names,
    udf_name,
    udf_specs,
)

HELPERS = {
    "KPI_ATTAINMENT": ["actual", "target", "direction"],
    "KPI_STATUS": ["attainment", "on_track", "at_risk", "lang"],
    "KPI_CHANGE": ["current", "previous", "kpi_id"],
    "KPI_PACE": ["kpi_id", "elapsed_days", "total_days", "measures"],
    "KPI_SMART_TARGET": ["history", "direction", "growth", "window"],
    "KPI_CATALOG": ["lang"],
    "KPI_INFO": ["kpi_id", "field", "lang"],
}


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Excel's worksheet functions: openpyxl's list (Excel 2007) plus those added since.
EXCEL_SINCE_2010 = _words(
    """
AGGREGATE BETA.DIST BETA.INV BINOM.DIST BINOM.INV CEILING.PRECISE CHISQ.DIST CHISQ.DIST.RT
CHISQ.INV CHISQ.INV.RT CHISQ.TEST CONFIDENCE.NORM CONFIDENCE.T COVARIANCE.P COVARIANCE.S
ERF.PRECISE ERFC.PRECISE EXPON.DIST F.DIST F.DIST.RT F.INV F.INV.RT F.TEST FLOOR.PRECISE
GAMMA.DIST GAMMA.INV GAMMALN.PRECISE HYPGEOM.DIST ISO.CEILING LOGNORM.DIST LOGNORM.INV
MODE.MULT MODE.SNGL NEGBINOM.DIST NETWORKDAYS.INTL NORM.DIST NORM.INV NORM.S.DIST NORM.S.INV
PERCENTILE.EXC PERCENTILE.INC PERCENTRANK.EXC PERCENTRANK.INC POISSON.DIST QUARTILE.EXC
QUARTILE.INC RANK.AVG RANK.EQ STDEV.P STDEV.S T.DIST T.DIST.2T T.DIST.RT T.INV T.INV.2T T.TEST
VAR.P VAR.S WEIBULL.DIST WORKDAY.INTL
ACOT ACOTH ARABIC BASE BINOM.DIST.RANGE BITAND BITLSHIFT BITOR BITRSHIFT BITXOR CEILING.MATH
COMBINA COT COTH CSC CSCH DAYS DECIMAL ENCODEURL FILTERXML FLOOR.MATH FORMULATEXT GAMMA GAUSS
IFNA IMCOSH IMCOT IMCSC IMCSCH IMSEC IMSECH IMSINH IMTAN ISFORMULA ISOWEEKNUM MUNIT NUMBERVALUE
PDURATION PERMUTATIONA PHI RRI SEC SECH SHEET SHEETS SKEW.P UNICHAR UNICODE WEBSERVICE XOR
CONCAT FORECAST.ETS FORECAST.ETS.CONFINT FORECAST.ETS.SEASONALITY FORECAST.ETS.STAT
FORECAST.LINEAR IFS MAXIFS MINIFS SWITCH TEXTJOIN
ANCHORARRAY ARRAYTOTEXT BYCOL BYROW CHOOSECOLS CHOOSEROWS DROP EXPAND FILTER GROUPBY HSTACK
IMAGE ISOMITTED LAMBDA LET MAKEARRAY MAP PERCENTOF PIVOTBY PY RANDARRAY REDUCE REGEXEXTRACT
REGEXREPLACE REGEXTEST SCAN SEQUENCE SINGLE SORT SORTBY STOCKHISTORY TAKE TEXTAFTER TEXTBEFORE
TEXTSPLIT TOCOL TOROW TRIMRANGE TRANSLATE DETECTLANGUAGE UNIQUE VALUETOTEXT VSTACK WRAPCOLS
WRAPROWS XLOOKUP XMATCH COPILOT
"""
)
EXCEL_FUNCTIONS = frozenset(FORMULAE) | EXCEL_SINCE_2010

# VBA keywords and the names the xlwings wrapper's body uses: an argument must be none.
VBA_RESERVED = frozenset(
    name.casefold()
    for name in _words(
        """
    AddressOf Alias And Any As Attribute Boolean ByRef Byte ByVal Call Case CBool CByte CCur
    CDate CDbl CDec CInt CLng CLngLng CLngPtr Close Const CSng CStr Currency CVar CVErr Date
    Decimal Declare DefBool DefByte DefCur DefDate DefDbl DefDec DefInt DefLng DefLngLng
    DefLngPtr DefObj DefSng DefStr DefVar Dim Do DoEvents Double Each Else ElseIf Empty End
    EndIf Enum Eqv Erase Error Event Exit False For Friend Function Get Global GoSub GoTo If
    Imp Implements In Input Integer Is LBound Len LenB Let Lib Like Line Local Lock Long
    LongLong LongPtr Loop LSet Me Mid Mod Name New Next Not Nothing Null Object On Open Option
    Optional Or ParamArray Preserve Print Private Property PtrSafe Public Put RaiseEvent ReDim
    Rem Reset Resume Return RSet Seek Select Set Shared Single Spc Static Step Stop String Sub
    Tab Then To True Type TypeOf UBound Unlock Until Variant Wend While Width With WithEvents
    Write Xor
    Application Range Err Array XLPy ThisWorkbook ActiveWorkbook argsArray k failed App
    """
    )
)


def _is_cell_reference(name: str) -> bool:
    """True if Excel could read ``name`` as an A1 or R1C1 reference."""
    return bool(
        re.fullmatch(r"\$?[A-Za-z]{1,3}\$?[0-9]+", name)
        or re.fullmatch(r"[Rr]([0-9]+|\[-?[0-9]+\])?([Cc]([0-9]+|\[-?[0-9]+\])?)?", name)
        or re.fullmatch(r"[Cc]([0-9]+|\[-?[0-9]+\])?", name)
    )


@pytest.fixture(scope="module")
def registration() -> Registration:
    """The registration's results; the stubs and patches are undone before the tests run."""
    with pytest.MonkeyPatch.context() as mp:
        return register_udfs(mp)


@pytest.fixture(scope="module")
def specs() -> dict[str, UDFSpec]:
    return {s.name: s for s in udf_specs()}


# -- registration as Excel gets it ------------------------------------------------------------


def test_metadata_matches_golden(registration: Registration) -> None:
    golden = json.loads(METADATA_GOLDEN.read_text(encoding="utf-8"))
    assert metadata(registration) == golden, (
        "UDF metadata changed; if intended: python scripts/regenerate_udf_golden.py"
    )


def test_vba_wrappers_match_golden(registration: Registration) -> None:
    golden = VBA_GOLDEN.read_text(encoding="utf-8")
    assert registration.vba == golden, (
        "VBA wrappers changed; if intended: python scripts/regenerate_udf_golden.py"
    )


def test_registration_records_every_udf(
    registration: Registration, specs: dict[str, UDFSpec]
) -> None:
    names = [f.__xlfunc__["name"] for f in registration.functions]
    assert sorted(names) == sorted(specs)
    assert len(set(names)) == len(names)
    for f in registration.functions:
        xlf = f.__xlfunc__
        spec = specs[xlf["name"]]
        assert [a["name"] for a in xlf["args"]] == [a.name for a in spec.args]
        assert all(xlf["argmap"][a["name"]] is a for a in xlf["args"])
        for arg, arg_spec in zip(xlf["args"], spec.args, strict=True):
            assert arg["doc"] == arg_spec.doc
            assert arg["options"] == dict(arg_spec.options)  # no type-hint converters
            assert arg["vararg"] == arg_spec.vararg
            assert ("optional" in arg) == arg_spec.optional
        assert xlf["ret"]["doc"] == spec.doc
        assert xlf["ret"]["options"] == dict(spec.ret)
        assert xlf["category"] == "kpi_xl"
        assert xlf["call_in_wizard"] == spec.call_in_wizard == (spec.name != "KPI_CATALOG")
        assert not xlf["sub"] and not xlf["volatile"] and xlf["async_mode"] is None
    catalog_udf = next(f for f in registration.functions if f.__name__ == "KPI_CATALOG")
    assert catalog_udf.__xlfunc__["ret"]["options"] == {"expand": "table"}


def test_excel_descriptions_are_not_truncated(
    registration: Registration, specs: dict[str, UDFSpec]
) -> None:
    """xlwings cuts descriptions to 255 characters; ours already fit."""
    assert len(registration.macro_options) == len(specs)
    for call in registration.macro_options:
        spec = specs[call["Macro"].rsplit("!", 1)[1]]
        assert call["Description"] == spec.doc
        assert call["ArgumentDescriptions"] == [a.doc for a in spec.args]
        assert call["Category"] == "kpi_xl"
    for spec in specs.values():
        assert 0 < len(spec.doc) <= MAX_DESCRIPTION
        assert all(0 < len(a.doc) <= MAX_DESCRIPTION for a in spec.args)


def test_vba_declares_each_function_with_its_arguments(
    registration: Registration, specs: dict[str, UDFSpec]
) -> None:
    for spec in specs.values():
        params = [
            f"ParamArray {a.name}()" if a.vararg else f"Optional {a.name}" if a.optional else a.name
            for a in spec.args
        ]
        assert f"Function {spec.name}({', '.join(params)})\n" in registration.vba
        assert f'XLPy.CallUDF("kpi_xl.udfs", "{spec.name}", ' in registration.vba


def test_registration_is_undone() -> None:
    before = {name: sys.modules.get(name) for name in ("kpi_xl.udfs", "xlwings.udfs")}
    import xlwings

    func = xlwings.func
    with pytest.MonkeyPatch.context() as mp:
        registration = register_udfs(mp)
        assert registration.module is not before["kpi_xl.udfs"]
        assert xlwings.func is not func
    assert {name: sys.modules.get(name) for name in before} == before
    assert xlwings.func is func
    assert not {"pythoncom", "pywintypes", "win32com", "win32com.client"} & set(sys.modules)


@pytest.mark.skipif(sys.platform == "win32", reason="xlwings' decorators are real on Windows")
def test_plain_import_is_plain_python() -> None:
    """Off Windows xlwings' decorators do nothing: the UDFs are the spec's functions."""
    for name in udfs.__all__:
        assert not hasattr(getattr(udfs, name), "__xlfunc__")


def test_udf_specs_does_not_import_xlwings() -> None:
    tree = ast.parse(inspect.getsource(specs_module))
    imported = [
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    ] + [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    assert not [m for m in imported if m.split(".")[0] == "xlwings"]


def test_docs_list_is_current() -> None:
    text = DOCS.read_text(encoding="utf-8")
    assert docs_with_list(text) == text, (
        "docs/udfs.md's list of UDFs is out of date: python scripts/regenerate_udf_golden.py"
    )


def test_docs_python_example_runs() -> None:
    text = DOCS.read_text(encoding="utf-8")
    block = text.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, Any] = {}
    checked = 0
    for line in block.splitlines():
        code, _, comment = line.partition("  # ")
        if not comment:
            exec(code, namespace)
            continue
        expected = ast.literal_eval(comment.strip())
        result = eval(code, namespace)
        assert result == (expected if isinstance(expected, str) else pytest.approx(expected))
        checked += 1
    assert checked >= 2


def test_golden_readme_names_the_command() -> None:
    readme = (ROOT / "tests" / "golden" / "README.md").read_text(encoding="utf-8")
    assert "python scripts/regenerate_udf_golden.py" in readme
    assert (ROOT / "scripts" / "regenerate_udf_golden.py").is_file()


# -- names ------------------------------------------------------------------------------------


def test_every_kpi_has_exactly_one_udf(specs: dict[str, UDFSpec]) -> None:
    own = [s for s in specs.values() if s.kpi_id is not None and s.name == udf_name(s.kpi_id)]
    assert Counter(s.kpi_id for s in own) == Counter(list(catalog.kpis()))
    # renamed KPIs keep their old UDF name, computing the KPI that replaced them
    renamed = {s.name: s.kpi_id for s in specs.values() if s.kpi_id and s not in own}
    assert renamed == {udf_name(r.old): r.new for r in catalog.renames().values()}
    for kpi in catalog.kpis().values():
        spec = specs[udf_name(kpi.id)]
        assert spec.kpi_id == kpi.id
        assert getattr(udfs, spec.name) is not None
    helpers = {n: [a.name for a in s.args] for n, s in specs.items() if s.kpi_id is None}
    assert helpers == HELPERS
    assert sorted(udfs.__all__) == sorted(specs)


def test_udf_names_are_unique() -> None:
    names = [s.name for s in udf_specs()]
    assert len({n.casefold() for n in names}) == len(names)  # VBA and Excel ignore case


def test_names_are_valid_excel_function_names(specs: dict[str, UDFSpec]) -> None:
    for name in specs:
        assert re.fullmatch(r"KPI_[A-Z][A-Z0-9_]*", name), name
        assert len(name) <= 255
        assert not _is_cell_reference(name), name
        assert name not in EXCEL_FUNCTIONS, name


def test_prefix_cannot_collide_with_excel() -> None:
    assert "KURT" in EXCEL_FUNCTIONS and "CUBEKPIMEMBER" in EXCEL_FUNCTIONS  # the list is real
    assert len(EXCEL_FUNCTIONS) > 450
    assert not [f for f in EXCEL_FUNCTIONS if f.upper().startswith("KPI_")]
    assert [f for f in EXCEL_FUNCTIONS if f.startswith("K")] == ["KURT"]
    assert _is_cell_reference("KPI1") and _is_cell_reference("R1C1") and _is_cell_reference("A1")
    assert not _is_cell_reference("KPI_CTR")


def test_kpi_udf_arguments_follow_the_expression(specs: dict[str, UDFSpec]) -> None:
    for kpi in catalog.kpis().values():
        spec = specs[udf_name(kpi.id)]
        expected = [*kpi.measures, *(f"{m}_prev" for m in kpi.expression.previous), *kpi.parameters]
        assert [a.name for a in spec.args] == expected == list(kpi_arg_names(kpi))
        assert all(a.options == RANGE_OPTIONS and not a.optional for a in spec.args)
        assert list(inspect.signature(getattr(udfs, spec.name)).parameters) == expected
    assert [a.name for a in specs["KPI_CLV"].args] == [
        "revenue",
        "customers",
        "churned_customers",
        "customers_prev",
    ]


def test_argument_names_are_valid_vba(specs: dict[str, UDFSpec]) -> None:
    for spec in specs.values():
        names = [a.name for a in spec.args]
        assert len({n.casefold() for n in names}) == len(names), spec.name
        for name in names:
            assert re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,254}", name), name
            assert name.casefold() not in VBA_RESERVED, (spec.name, name)
            assert name.casefold() != spec.name.casefold()


def test_kpi_docstrings_come_from_the_catalog(specs: dict[str, UDFSpec]) -> None:
    ctr = specs["KPI_CTR"]
    kpi = catalog.get("ctr")
    assert ctr.doc.startswith(f"{kpi.name()} = {kpi.words()} [percent as a fraction; ")
    assert kpi.definition[:40] in ctr.doc
    assert udfs.KPI_CTR.__doc__ == ctr.doc
    for spec in specs.values():
        if spec.kpi_id and spec.name == udf_name(spec.kpi_id):
            assert spec.doc.startswith(catalog.get(spec.kpi_id).name()), spec.name
        elif spec.kpi_id:  # a renamed KPI's old name
            assert spec.doc.startswith(f"Renamed: use {udf_name(spec.kpi_id)} instead."), spec.name
    assert specs["KPI_ORGANIC_TRAFFIC"].args[0].doc.startswith("Sessions (SEO only)")
    assert "period-end value" in specs["KPI_FOLLOWERS"].args[0].doc


# -- KPI values, computed by hand -------------------------------------------------------------


def test_ratio_of_sums_over_2d_ranges_with_empty_cells() -> None:
    key_event_sessions = [[10, 20], [None, 30]]
    sessions = [[100, 100], [100, None]]
    assert udfs.KPI_KEY_EVENT_RATE(key_event_sessions, sessions) == pytest.approx(60 / 300)
    # the old name of a renamed KPI still works in workbooks that call it
    assert udfs.KPI_CONVERSION_RATE(key_event_sessions, sessions) == pytest.approx(60 / 300)


def test_scalars_lists_and_arrays() -> None:
    assert udfs.KPI_CTR(5, 200) == pytest.approx(0.025)
    assert udfs.KPI_CTR(clicks=5, impressions=200) == pytest.approx(0.025)
    assert udfs.KPI_COST_PER_CONVERSION([100, 50.5, None], [3, "", 0]) == pytest.approx(150.5 / 3)
    assert udfs.KPI_CPM(np.array([[2.0, 3.0]]), np.array([[1000.0], [4000.0]])) == pytest.approx(
        5 / 5000 * 1000
    )
    assert udfs.KPI_SESSIONS([[1, None], [2, 3]]) == 6.0
    assert udfs.KPI_ROAS([[250.0]], [[100.0]]) == pytest.approx(2.5)
    assert udfs.KPI_REVENUE_ROI(150, 100) == pytest.approx(0.5)
    # ROI on gross profit: 150 x 40 % = 60 for a cost of 100
    assert udfs.KPI_ROI(150, 100, 0.4) == pytest.approx(-0.4)


def test_text_logical_values_and_nan_are_ignored_like_sum() -> None:
    assert udfs.KPI_CTR([["5", 5, True, math.nan]], [[100, "x"]]) == pytest.approx(0.05)


def test_previous_period_arguments() -> None:
    assert udfs.KPI_SALES_GROWTH([[60], [60]], [[100]]) == pytest.approx(0.2)
    # CLV = revenue / customers / (churned / customers_prev) = 1000 / 50 / (5 / 100) = 400
    assert udfs.KPI_CLV(1000, 50, 5, 100) == pytest.approx(400.0)
    assert udfs.KPI_FOLLOWER_GROWTH_RATE(550, 500) == pytest.approx(0.1)


def test_undefined_is_empty_text_never_an_exception() -> None:
    assert udfs.KPI_KEY_EVENT_RATE(10, 0) == ""
    assert udfs.KPI_KEY_EVENT_RATE([[None, ""]], [[100]]) == ""
    assert udfs.KPI_KEY_EVENT_RATE(None, None) == ""
    assert udfs.KPI_KEY_EVENT_RATE([[10, "#N/A"]], [[100]]) == ""  # an error cell
    assert udfs.KPI_SALES_GROWTH(100, 0) == ""
    assert udfs.KPI_CTR([], 100) == ""


def test_every_kpi_udf_agrees_with_the_catalog() -> None:
    for kpi in catalog.kpis().values():
        names = kpi_arg_names(kpi)
        cells = [[[float(i + 2), None], [float(i + 3), ""]] for i in range(len(names))]
        sums = dict(zip(names, (2 * i + 5.0 for i in range(len(names))), strict=True))
        values = {m: sums[m] for m in (*kpi.measures, *kpi.parameters)}
        previous = {m: sums[m + "_prev"] for m in kpi.expression.previous} or None
        expected = kpi.evaluate(values, previous)
        assert getattr(udfs, udf_name(kpi.id))(*cells) == pytest.approx(expected), kpi.id


# -- helpers, computed by hand ----------------------------------------------------------------


def test_attainment() -> None:
    assert udfs.KPI_ATTAINMENT(12, 10, "higher_is_better") == pytest.approx(1.2)
    assert udfs.KPI_ATTAINMENT(12, 10, 1) == pytest.approx(1.2)
    assert udfs.KPI_ATTAINMENT(8, 10, "lower_is_better") == pytest.approx(1.25)
    assert udfs.KPI_ATTAINMENT(8, 10, -1.0) == pytest.approx(1.25)
    assert udfs.KPI_ATTAINMENT(8, 10, "cost_per_conversion") == pytest.approx(1.25)
    assert udfs.KPI_ATTAINMENT(8, 10, " Lower is better ") == pytest.approx(1.25)
    assert udfs.KPI_ATTAINMENT([[8]], [[10]], "CTR") == pytest.approx(0.8)
    assert udfs.KPI_ATTAINMENT(0, 10, -1) == catalog.ATTAINMENT_CAP
    assert udfs.KPI_ATTAINMENT("", 10, 1) == ""
    assert udfs.KPI_ATTAINMENT(None, 10, 1) == ""
    assert udfs.KPI_ATTAINMENT(5, 0, 1) == ""
    assert udfs.KPI_ATTAINMENT("#DIV/0!", 10, 1) == ""


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        ((1, 1, "up"), "direction"),
        ((1, 1, 2), "direction"),
        ((1, 1, None), "direction"),
        (("ten", 1, 1), "actual: expected a number"),
        (([[1, 2]], 1, 1), "actual: expected a single cell"),
    ],
)
def test_attainment_bad_arguments(args: tuple[Any, ...], fragment: str) -> None:
    result = udfs.KPI_ATTAINMENT(*args)
    assert isinstance(result, str) and result.startswith("#VALUE! ") and fragment in result


def test_status() -> None:
    assert udfs.KPI_STATUS(1.0) == "✓ On track"
    assert udfs.KPI_STATUS(0.95) == "! At risk"
    assert udfs.KPI_STATUS(0.5) == "✗ Off track"
    assert udfs.KPI_STATUS("") == "∅ No data"
    assert udfs.KPI_STATUS(None) == "∅ No data"
    assert udfs.KPI_STATUS(1.15, 1.2, 1.1) == "! At risk"
    assert udfs.KPI_STATUS(1.15, None, None) == "✓ On track"  # empty cells: the defaults
    assert udfs.KPI_STATUS(0.95, lang="code") == "at_risk"
    assert udfs.KPI_STATUS(0.95, 1, 0.9, "fi") == catalog.status_label("at_risk", "fi")
    assert udfs.KPI_STATUS(0.95, 0.8, 0.9).startswith("#VALUE! on_track")
    assert udfs.KPI_STATUS(0.95, lang="de").startswith("#VALUE! lang")


def test_change() -> None:
    assert udfs.KPI_CHANGE(110, 100) == pytest.approx(0.1)
    assert udfs.KPI_CHANGE(90, -100) == pytest.approx(1.9)  # (90 - -100) / |-100|
    assert udfs.KPI_CHANGE(5, 0) == ""
    assert udfs.KPI_CHANGE("", 5) == ""
    assert udfs.KPI_CHANGE(0.25, 0.1, "roi") == pytest.approx(0.15)  # a difference
    assert udfs.KPI_CHANGE(0.25, 0.1, "ctr") == pytest.approx(0.15)  # a share: points
    assert udfs.KPI_CHANGE(250, 100, "cpm") == pytest.approx(1.5)
    assert udfs.KPI_CHANGE(1, 2, "nope").startswith("#VALUE! unknown KPI id 'nope'")


def test_pace() -> None:
    assert udfs.KPI_PACE("conversions", 10, 30, [[5, 5]]) == pytest.approx(30.0)
    assert udfs.KPI_PACE("key_event_rate", 10, 30, [[4, 6]], 100) == pytest.approx(0.1)
    assert udfs.KPI_PACE("followers", 10, 30, 500) == pytest.approx(500.0)  # a stock
    assert udfs.KPI_PACE("sales_growth", 10, 30, 40, 100) == pytest.approx(0.2)  # 120 vs 100
    assert udfs.KPI_PACE("conversions", 0, 30, 5) == ""
    assert udfs.KPI_PACE("conversions", 10, 30, None) == ""
    expected = (
        "#VALUE! key_event_rate needs 2 measure(s) after total_days: key_event_sessions, sessions"
    )
    assert udfs.KPI_PACE("key_event_rate", 10, 30, 5) == expected
    assert udfs.KPI_PACE("conversion_rat", 10, 30, 5).startswith("#VALUE! unknown KPI id")


def test_smart_target() -> None:
    history = [[1], [2], [None], [3], [4]]
    assert udfs.KPI_SMART_TARGET(history, "higher_is_better") == pytest.approx(3 * 1.1)
    assert udfs.KPI_SMART_TARGET([[10, 12]], -1, 0.1, 2) == pytest.approx(11 * 0.9)
    assert udfs.KPI_SMART_TARGET([[100, "n/a"]], 1, 2) == pytest.approx(150.0)  # growth <= 50%
    assert udfs.KPI_SMART_TARGET([[0.9]], "key_event_rate", 0.5) == pytest.approx(1.0)
    assert udfs.KPI_SMART_TARGET([[0.9]], "higher_is_better", 0.5) == pytest.approx(1.35)
    assert udfs.KPI_SMART_TARGET([[None, ""]], 1) == ""
    assert udfs.KPI_SMART_TARGET([[1]], 1, 0.1, 0).startswith("#VALUE! growth and window")
    assert udfs.KPI_SMART_TARGET([[1]], 1, 0.1, 2.5).startswith("#VALUE!")


def test_catalog_table() -> None:
    table = udfs.KPI_CATALOG()
    header = ["id", "name", "category", "unit", "direction", "formula", "definition", "function"]
    assert table[0] == list(FIELDS) == header
    assert [row[0] for row in table[1:]] == list(catalog.kpis())
    assert all(len(row) == len(FIELDS) for row in table)
    kpi = catalog.get("key_event_rate")
    row = next(r for r in table if r[0] == "key_event_rate")
    assert row == [
        "key_event_rate",
        kpi.name(),
        catalog.label("category_" + kpi.category),
        catalog.label("unit_percent"),
        catalog.label("higher_is_better"),
        kpi.words(),
        kpi.definition,
        "KPI_KEY_EVENT_RATE(key_event_sessions, sessions)",
    ]
    # Excel may show #VALUE! for an array result holding text over 255 characters
    for lang in catalog.LANGUAGES:
        assert max(len(cell) for row in udfs.KPI_CATALOG(lang) for cell in row) <= 255
    fa = udfs.KPI_CATALOG("fa")
    assert fa[1][1] == catalog.get(fa[1][0]).name("fa")
    assert udfs.KPI_CATALOG(None) == table


def test_info() -> None:
    assert udfs.KPI_INFO("ctr", "function") == "KPI_CTR(clicks, impressions)"
    assert udfs.KPI_INFO("CTR", " Name ") == catalog.get("ctr").name()
    assert udfs.KPI_INFO("ctr", "formula", "he") == catalog.get("ctr").words("he")
    assert udfs.KPI_INFO("sales_growth", "function") == "KPI_SALES_GROWTH(revenue, revenue_prev)"
    assert udfs.KPI_INFO("ctx", "name").startswith("#VALUE! unknown KPI id 'ctx' (did you mean")
    assert udfs.KPI_INFO("ctr", "colour").startswith("#VALUE! field")
