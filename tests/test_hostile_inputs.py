"""Hostile input: bounded work, one-line errors, never a traceback (see SECURITY.md).

Every file here is made small inside the test: a "bomb" is a few kilobytes that would
expand to far more, a worksheet declaring a million rows is a hand-written 1.6 KB zip.
Time bounds are generous (the machine may be busy); memory is measured with tracemalloc
around the call, so the figures are the reader's own allocations.
"""

from __future__ import annotations

import csv
import gzip
import io
import math
import time
import tracemalloc
import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from refresh_support import small_data

from kpi_xl.catalog.records import kpis
from kpi_xl.cli import main
from kpi_xl.errors import KpiXlError
from kpi_xl.ingest import limits, load_channel_data, write_canonical
from kpi_xl.ingest.sources import MAX_MEMBER_BYTES
from kpi_xl.pipeline import build_plan
from kpi_xl.plan.spec import BUNDLED, load_template
from kpi_xl.plan.suggest import round_target
from kpi_xl.plan.targets import load_targets
from kpi_xl.resources import load_user_yaml, templates_dir

EXPORTS = Path(__file__).parent / "fixtures" / "exports"
SECONDS = 10.0  # generous: each case below takes well under a second

# -- helpers -------------------------------------------------------------------------------

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)


def _cell(ref: str, value: object) -> str:
    if isinstance(value, str):
        return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'
    return f'<c r="{ref}"><v>{value}</v></c>'


def row_xml(number: int, values: list[object]) -> str:
    cells = "".join(_cell(f"{chr(65 + i)}{number}", v) for i, v in enumerate(values))
    return f'<row r="{number}">{cells}</row>'


def xlsx(path: Path, rows: str | list[str], dimension: str) -> Path:
    """A minimal workbook, written by hand: one sheet whose ``<sheetData>`` is ``rows``
    (XML) and whose ``<dimension>`` declares ``dimension``."""
    body = rows if isinstance(rows, str) else "".join(rows)
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="{dimension}"/><sheetData>{body}</sheetData></worksheet>'
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("[Content_Types].xml", _CONTENT_TYPES)
        book.writestr("_rels/.rels", _RELS)
        book.writestr("xl/workbook.xml", _WORKBOOK)
        book.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        book.writestr("xl/worksheets/sheet1.xml", sheet)
    return path


def canonical_rows(count: int, first: int = 2) -> list[str]:
    """Header and ``count`` daily rows of a canonical table, as worksheet rows."""
    rows = [row_xml(1, ["date", "channel", "clicks"])]
    for i in range(count):
        day = pd.Timestamp("2025-01-01") + pd.Timedelta(days=i)
        rows.append(row_xml(first + i, [day.date().isoformat(), "seo", i + 1]))
    return rows


def gzip_bomb(path: Path, megabytes: int) -> Path:
    """A .csv.gz of ``megabytes`` MB of canonical rows, streamed (never held whole)."""
    row = b"2025-01-01,seo,campaign,1\n"
    chunk = row * (2**20 // len(row))
    z = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip framing
    parts = [z.compress(b"date,channel,campaign,clicks\n")]
    parts.extend(z.compress(chunk) for _ in range(megabytes))
    parts.append(z.flush())
    path.write_bytes(b"".join(parts))
    return path


@contextmanager
def bounded(seconds: float = SECONDS) -> Iterator[Callable[[], tuple[float, int]]]:
    """Time and peak traced memory of the block: call the yielded function after it."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    start = time.perf_counter()
    result: list[tuple[float, int]] = []
    try:
        yield lambda: result[0]
    finally:
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] - base
        tracemalloc.stop()
        result.append((elapsed, peak))
    assert elapsed < seconds, f"took {elapsed:.1f} s"


def refused(source: object, **kwargs: object) -> KpiXlError:
    with pytest.raises(KpiXlError) as info:
        load_channel_data(source, **kwargs)  # type: ignore[arg-type]
    assert "\n" not in str(info.value)
    return info.value


# -- 1. worksheets are read by their rows, never by their declared dimension ---------------


def test_a_stale_dimension_reads_every_row(tmp_path: Path) -> None:
    """A writer that never updated ``<dimension>``: 31 rows declared as 2."""
    path = xlsx(tmp_path / "stale.xlsx", canonical_rows(30), "A1:C2")
    frame = load_channel_data(path)
    assert len(frame) == 30
    assert frame["clicks"].sum() == sum(range(1, 31))


def test_a_huge_declared_dimension_costs_nothing(tmp_path: Path) -> None:
    """1.6 KB declaring A1:XFD1048576 (17 billion cells): only the real rows are read."""
    path = xlsx(tmp_path / "huge.xlsx", canonical_rows(2), "A1:XFD1048576")
    assert path.stat().st_size < 2000
    with bounded(seconds=2) as measured:
        frame = load_channel_data(path)
    assert frame["clicks"].tolist() == [1, 2]
    assert measured()[1] < 2**20


def test_a_row_at_the_bottom_of_the_sheet_is_read_in_bounded_time(tmp_path: Path) -> None:
    """The last row Excel has, under a huge dimension: the rows between cost a step each
    (the bottom row is a block of its own, not part of the table)."""
    rows = [*canonical_rows(2), row_xml(1_048_576, ["2025-03-01", "seo", 9])]
    path = xlsx(tmp_path / "bottom.xlsx", rows, "A1:XFD1048576")
    start = time.perf_counter()
    assert load_channel_data(path)["clicks"].tolist() == [1, 2]
    assert time.perf_counter() - start < SECONDS


def test_rows_declared_billions_below_are_refused(tmp_path: Path) -> None:
    rows = [*canonical_rows(2), row_xml(3_000_000_000, ["2025-03-01", "seo", 9])]
    path = xlsx(tmp_path / "gap.xlsx", rows, "A1:C3")
    start = time.perf_counter()
    err = refused(path)
    assert time.perf_counter() - start < SECONDS
    assert err.file == f"{path}:Sheet1"
    assert err.message.startswith("more than 1,048,576 empty rows: refusing to read it")


def test_a_value_beyond_column_1000_is_refused(tmp_path: Path) -> None:
    rows = [*canonical_rows(2), '<row r="5"><c r="ALM5"><v>1</v></c></row>']
    err = refused(xlsx(tmp_path / "wide.xlsx", rows, "A1:C3"))
    assert (err.line, err.file) == (5, f"{tmp_path / 'wide.xlsx'}:Sheet1")
    assert "row 5 has a value in column ALM: kpi_xl reads at most 1,000 columns" in err.message


def test_formatting_far_right_is_trimmed_then_bounded(tmp_path: Path) -> None:
    """An empty styled cell in column XFD: a few are harmless, every row is refused."""

    def rows(count: int) -> list[str]:
        out = canonical_rows(count)
        return [r.replace("</row>", f'<c r="XFD{n + 1}" s="0"/></row>') for n, r in enumerate(out)]

    frame = load_channel_data(xlsx(tmp_path / "few.xlsx", rows(3), "A1:XFD4"))
    assert frame["clicks"].tolist() == [1, 2, 3]
    with bounded():
        err = refused(xlsx(tmp_path / "many.xlsx", rows(2000), "A1:XFD2001"))
    assert "empty cells right of column 1,000: refusing to read it" in err.message


# -- 2. bombs: compressed rows, columns, fields --------------------------------------------


def test_a_gzip_row_bomb_is_refused_holding_little(tmp_path: Path) -> None:
    """50 MB of rows in a ~130 KB .csv.gz: refused while measuring, never held."""
    path = gzip_bomb(tmp_path / "bomb.csv.gz", 50)
    size = path.stat().st_size
    assert size < 200_000
    with bounded() as measured:
        err = refused(path)
    assert err.message.startswith(
        f"unpacks to more than 100 times its compressed size ({size:,} bytes): refusing"
    )
    assert measured()[1] < 4 * size + 2 * 2**20  # the file, plus a chunk or two


def test_a_zip_member_bomb_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "exports.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Dates.csv", b"Date,Clicks\n" + b"2025-01-01,1\n" * 2_000_000)
    err = refused(path)
    assert err.file == f"{path}:Dates.csv"
    assert "unpacks to more than 100 times its compressed size" in err.message


def test_an_xlsx_part_bomb_is_refused(tmp_path: Path) -> None:
    """The sheet of an .xlsx is a zip member like any other."""
    rows = '<row><c t="inlineStr"><is><t>x</t></is></c></row>' * 300_000
    path = xlsx(tmp_path / "rows.xlsx", rows, "A1:A1")
    assert path.stat().st_size < 100_000
    err = refused(path)
    assert err.file == f"{path}:xl/worksheets/sheet1.xml"
    assert "unpacks to more than 100 times" in err.message


def test_ordinary_compressed_exports_still_read(tmp_path: Path) -> None:
    plain = EXPORTS / "meta_ads_daily.csv"
    packed = tmp_path / "meta.csv.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    pd.testing.assert_frame_equal(
        load_channel_data(packed).drop(columns="source"),
        load_channel_data(plain).drop(columns="source"),
    )
    assert limits.expansion_limit(10, MAX_MEMBER_BYTES) == (limits.RATIO_FLOOR, True)
    assert limits.expansion_limit(10 * 2**20, MAX_MEMBER_BYTES) == (MAX_MEMBER_BYTES, False)


def test_a_column_bomb_is_refused_from_the_header(tmp_path: Path) -> None:
    """A million columns: refused before any parser splits the line into cells."""
    path = tmp_path / "columns.csv"
    path.write_bytes(b"c," * 1_000_000 + b"c\n2025-01-01,1\n")
    with bounded() as measured:
        err = refused(path)
    assert err.line == 1
    assert err.message == (
        "this line has 1,000,001 fields separated by ',': kpi_xl reads at most 1,000 "
        "columns; expected an exported table"
    )
    assert measured()[1] < 4 * path.stat().st_size


def test_a_wide_data_row_is_refused_naming_its_line(tmp_path: Path) -> None:
    path = tmp_path / "row.csv"
    path.write_bytes(b"date,channel,clicks\n2025-01-01,seo,1\n" + b"1," * 5000 + b"1\n")
    err = refused(path)
    assert err.line == 3 and "5,001 fields" in err.message


def test_quoted_separators_are_not_columns(tmp_path: Path) -> None:
    path = tmp_path / "quoted.csv"
    name = "a," * 2000
    path.write_text(f'date,channel,campaign,clicks\n2025-01-01,seo,"{name}",1\n')
    assert load_channel_data(path)["campaign"].tolist() == [name]


def test_a_field_longer_than_the_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "field.csv"
    path.write_text("date,channel,campaign,clicks\n2025-01-01,seo," + "x" * 200_000 + ",1\n")
    err = refused(path)
    assert err.line == 2
    assert "a field of this line is longer than 131,072 characters" in err.message


def test_a_block_bomb_is_refused(tmp_path: Path) -> None:
    """Every blank-line separated block is searched for a header by every platform: a
    megabyte of tiny blocks took 24 s."""
    text = tmp_path / "blocks.csv"
    text.write_text("x,y\n\n" * 200_000)
    with bounded():
        err = refused(text)
    assert err.message.startswith("more than 10,000 tables separated by blank lines")
    rows = [row_xml(2 * n + 1, ["x", "y"]) for n in range(10_001)]
    with bounded():
        err = refused(xlsx(tmp_path / "blocks.xlsx", rows, "A1:B2"))
    assert err.message.startswith("more than 10,000 tables separated by blank lines")


def test_a_parquet_file_is_bounded_before_it_is_read(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    wide = tmp_path / "wide.parquet"
    pq.write_table(pa.table({f"c{i}": [1.0] for i in range(1001)}), wide)
    assert "has 1,001 columns: kpi_xl reads at most 1,000" in refused(wide).message
    constant = tmp_path / "constant.parquet"
    pq.write_table(pa.table({"clicks": pa.array(bytes(4_000_000), pa.int8())}), constant)
    assert constant.stat().st_size < 100_000
    err = refused(constant)
    assert "4,000,000 rows x 1 columns would take more than" in err.message


# -- 3. YAML the user gives: templates and targets -----------------------------------------


def _alias_bomb(indent: str = "") -> str:
    """A billion laughs: 9 levels of 9 aliases each, about a kilobyte."""
    lines = [f"{indent}l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, 9):
        lines.append(f"{indent}l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


MINIMAL = "name: mine\noverall: [revenue]\nchannels: {seo: [sessions]}\n"


def _template(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "template.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_yaml_alias_bomb_under_title_is_refused(tmp_path: Path) -> None:
    path = _template(tmp_path, MINIMAL + "title:\n" + _alias_bomb("  "))
    assert path.stat().st_size < 1500
    with bounded() as measured, pytest.raises(KpiXlError) as info:
        load_template(path)
    assert str(info.value) == (
        f"{path}, line 6: key 'title.l1[0]': YAML aliases (*l0) are not accepted: write the "
        "value out"
    )
    assert measured()[1] < 16 * 2**20


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("title: " + "[" * 5000 + "]" * 5000, "nested more than 20 levels deep"),
        ("title: &t x\ncurrency: *t", "key 'currency': YAML aliases (*t) are not accepted"),
        ("growth: " + "9" * 5000, "key 'growth': a number of 5,000 characters"),
        ("growth: 1" + "0" * 30, "key 'growth': 1000000000000000000000000000000 is too large"),
        ("growth: !!int 12abc", "key 'growth': '12abc' is not a number"),
        ("name: twice", "key 'name': given twice: expected each key once"),
        (
            "title: !!python/object/apply:os.system [ls]",
            "not valid YAML at column 8: the tag !!python/object/apply:os.system is not accepted",
        ),
        (
            "title: !!timestamp 2025-13-45",
            "not valid YAML: a value cannot be read (month must be in 1..12)",
        ),
        ("title: [a, b]", "key 'title': expected a text, got a list"),
        ('title: "Plan\\x01"', "key 'title': holds the control character U+0001"),
        ('title: "Plan\\nBcc: x@y"', "key 'title': holds the control character U+000A"),
        ("title: " + "T" * 101, "key 'title': is 101 characters long: expected at most 100"),
        ('currency: "E\\x02R"', "key 'currency': holds the control character U+0002"),
        ("currency: 'E\"R'", "key 'currency': expected a currency code such as EUR"),
        ("unlock_targets: sure", "key 'unlock_targets': expected true or false, got 'sure'"),
    ],
)
def test_hostile_templates_are_one_line_errors(tmp_path: Path, text: str, expected: str) -> None:
    path = _template(tmp_path, MINIMAL + text + "\n")
    with pytest.raises(KpiXlError) as info:
        load_template(path)
    message = str(info.value)
    assert message.startswith(str(path)) and "\n" not in message
    assert expected in message


@pytest.mark.parametrize(
    ("kpi_list", "expected"),
    [
        ("[[revenue, sessions]]", "key 'overall': expected KPI ids (text), got a list"),
        ("[{revenue: 1}]", "key 'overall': expected KPI ids (text), got a mapping (key: value)"),
        ("[1, 2]", "key 'overall': expected KPI ids (text), got the number 1"),
        ("[null]", "key 'overall': expected KPI ids (text), got nothing (an empty value)"),
    ],
)
def test_kpi_lists_hold_only_kpi_ids(tmp_path: Path, kpi_list: str, expected: str) -> None:
    path = _template(tmp_path, f"name: x\noverall: {kpi_list}\nchannels: {{seo: [sessions]}}\n")
    with pytest.raises(KpiXlError) as info:
        load_template(path)
    assert expected in str(info.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (_alias_bomb(), "YAML aliases (*l0) are not accepted"),
        ("[" * 5000 + "]" * 5000, "nested more than 20 levels deep"),
        (
            "- {kpi_id: revenue, channel: all, period: '2026-02', target: " + "9" * 5000 + "}",
            "key '[0].target': a number of 5,000 characters",
        ),
    ],
)
def test_hostile_targets_yaml_is_refused(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "targets.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(KpiXlError) as info:
        load_targets(path)
    assert expected in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("name", BUNDLED)
def test_the_yaml_bounds_accept_every_bundled_template(name: str) -> None:
    import yaml

    text = templates_dir().joinpath(f"{name}.yaml").read_text(encoding="utf-8")
    assert load_user_yaml(text, f"{name}.yaml") == yaml.safe_load(text)


# -- 4. a copied template: its own name, no title -------------------------------------------


def test_a_copied_template_without_a_title_is_titled_by_its_name(tmp_path: Path) -> None:
    """The README's "copy one, edit it": the bundled files have no title."""
    text = templates_dir().joinpath("ecommerce.yaml").read_text(encoding="utf-8")
    assert "\ntitle:" not in text
    path = _template(tmp_path, text.replace("name: ecommerce", "name: my_shop"))
    spec = load_template(path)
    assert (spec.name, spec.title) == ("my_shop", "")
    out = build_plan(small_data(), tmp_path / "plan.xlsx", template=path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        book = openpyxl.load_workbook(out, read_only=True)
        try:
            assert book.worksheets[0]["A1"].value == "my_shop"
        finally:
            book.close()


def test_a_currency_from_the_data_must_fit_a_number_format() -> None:
    spec = load_template("ecommerce")
    assert spec.with_choices(currency="US$").currency == "US$"
    with pytest.raises(KpiXlError, match="currency: expected a currency code such as EUR"):
        spec.with_choices(currency='E"UR')


# -- 5. what kpi_xl writes: no formula runs, no text is cut --------------------------------

FORMULAS = ["=cmd|'/C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "'=1", "''-x"]


def _hostile_frame() -> pd.DataFrame:
    n = len(FORMULAS) + 2
    return load_channel_data(
        pd.DataFrame(
            {
                "date": pd.date_range("2025-01-01", periods=n),
                "channel": ["seo"] * n,
                "campaign": [*FORMULAS, "plain", "it's"],
                "segment": ["-5", *[""] * (n - 1)],
                "cost": [5.0, 1.5, *[2.0] * (n - 2)],
            }
        )
    )


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz"])
def test_csv_output_never_starts_a_text_cell_with_a_formula(tmp_path: Path, suffix: str) -> None:
    frame = _hostile_frame()
    path = write_canonical(frame, tmp_path / f"data{suffix}")
    raw = gzip.decompress(path.read_bytes()) if suffix.endswith(".gz") else path.read_bytes()
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8"), newline="")))
    for row in rows:
        for column in ("source", "campaign", "segment", "currency"):
            assert not row[column].startswith(("=", "+", "-", "@", "\t", "\r")), row
    assert [r["campaign"] for r in rows[:3]] == ["'=cmd|'/C calc'!A0", "'+1+1", "'-2+3"]
    assert rows[0]["segment"] == "'-5"  # text, although it reads as a number
    assert [r["cost"] for r in rows[:2]] == ["5.0", "1.5"]  # numbers are never escaped
    assert [r["campaign"] for r in rows[6:]] == ["''=1", "'''-x", "plain", "it's"]
    pd.testing.assert_frame_equal(load_channel_data(path), frame)  # read back exactly


def test_ingest_output_from_the_cli_is_escaped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = tmp_path / "export.csv"
    export.write_text("date,channel,campaign,clicks\n2025-01-01,seo,\"=cmd|'/C calc'!A0\",1\n")
    out = tmp_path / "x.csv"
    assert main(["ingest", str(export), "-o", str(out)]) == 0
    capsys.readouterr()
    assert out.read_text().splitlines()[1].split(",")[4] == "'=cmd|'/C calc'!A0"


def test_xlsx_output_refuses_text_an_excel_cell_cannot_hold(tmp_path: Path) -> None:
    frame = _hostile_frame()
    frame.loc[1, "campaign"] = "c" * 40_000
    out = tmp_path / "data.xlsx"
    with pytest.raises(KpiXlError) as info:
        write_canonical(frame, out)
    assert str(info.value) == (
        f"{out}, column 'campaign': row 3: the campaign is 40,000 characters long and an "
        "Excel cell holds at most 32,767: refusing to cut it; write .csv or .parquet instead"
    )
    assert not out.exists()


def test_input_text_an_excel_cell_cannot_hold_is_refused(tmp_path: Path) -> None:
    """Three campaigns alike in their first 32,767 characters would become one."""
    stem = "x" * 32_767
    path = tmp_path / "long.csv"
    path.write_text(
        "date,channel,campaign,clicks\n"
        + "".join(f"2025-01-01,seo,{stem}{tail},1\n" for tail in ("", "a", "b"))
    )
    err = refused(path)
    assert (err.line, err.column) == (3, "campaign")
    assert err.message.startswith("the campaign is 32,768 characters long")


# -- 6. absurd figures ---------------------------------------------------------------------


@pytest.mark.parametrize("value", ["1.7e308", "1e300", "2e18"])
def test_absurd_figures_are_refused_at_the_door(tmp_path: Path, value: str) -> None:
    path = tmp_path / "data.csv"
    path.write_text(f"date,channel,sessions\n2025-01-01,seo,5\n2025-01-02,seo,{value}\n")
    err = refused(path)
    assert (err.line, err.column) == (3, "sessions")
    assert "is too large: expected sessions of at most 1e+18" in err.message


def test_absurd_figures_in_a_worksheet_are_refused(tmp_path: Path) -> None:
    rows = [row_xml(1, ["date", "channel", "cost"]), row_xml(2, ["2025-01-01", "seo", 1e300])]
    err = refused(xlsx(tmp_path / "cost.xlsx", rows, "A1:C2"))
    assert (err.line, err.column) == (2, "cost")


def test_large_but_real_figures_still_read(tmp_path: Path) -> None:
    """A year's revenue in Iranian rial is around 1e16."""
    path = tmp_path / "rial.csv"
    path.write_text("date,channel,revenue,currency\n2025-01-01,all,9.5e17,IRR\n")
    assert load_channel_data(path)["revenue"].tolist() == [9.5e17]


def test_round_target_of_a_non_finite_value_is_no_target() -> None:
    count = kpis()["sessions"]
    assert math.isnan(round_target(count, math.inf))
    assert math.isnan(round_target(count, -math.inf))
    assert round_target(count, 1.7e308) == 1.7e308


# -- the command line: exit 2, one line, no traceback, for every class ---------------------


def _csv(tmp_path: Path, name: str, data: bytes) -> list[str]:
    path = tmp_path / name
    path.write_bytes(data)
    return ["ingest", str(path)]


def _template_case(tmp_path: Path, text: str) -> list[str]:
    data = tmp_path / "data.csv"
    small_data().to_csv(data, index=False)
    path = _template(tmp_path, text)
    return ["build", str(data), "-o", str(tmp_path / "p.xlsx"), "--template", str(path)]


def _targets_case(tmp_path: Path, text: str) -> list[str]:
    data = tmp_path / "data.csv"
    small_data().to_csv(data, index=False)
    targets = tmp_path / "targets.yaml"
    targets.write_text(text, encoding="utf-8")
    return ["build", str(data), "-o", str(tmp_path / "p.xlsx"), "--targets", str(targets)]


def _long_xlsx_output(tmp_path: Path) -> list[str]:
    path = tmp_path / "data.csv"
    path.write_text("date,channel,campaign,clicks\n2025-01-01,seo," + "x" * 40_000 + ",1\n")
    return ["ingest", str(path), "-o", str(tmp_path / "out.xlsx")]


FAR_RIGHT = '<row r="3"><c r="XFD3"><v>1</v></c></row>'
CLI_CASES: dict[str, Callable[[Path], list[str]]] = {
    "gzip row bomb": lambda t: ["ingest", str(gzip_bomb(t / "bomb.csv.gz", 30))],
    "zip member bomb": lambda t: ["ingest", str(_zip_bomb(t / "bomb.zip"))],
    "column bomb": lambda t: _csv(t, "cols.csv", b"c," * 1_000_000 + b"c\n"),
    "long field": lambda t: _csv(t, "f.csv", b"date,channel\n2025-01-01," + b"x" * 200_000),
    "sheet rows far below": lambda t: [
        "ingest",
        str(xlsx(t / "g.xlsx", [*canonical_rows(1), row_xml(2**31, ["x"])], "A1:C2")),
    ],
    "sheet value far right": lambda t: [
        "ingest",
        str(xlsx(t / "w.xlsx", [*canonical_rows(1), FAR_RIGHT], "A1:XFD1048576")),
    ],
    "block bomb": lambda t: _csv(t, "b.csv", b"x,y\n\n" * 200_000),
    "absurd figure": lambda t: _csv(t, "n.csv", b"date,channel,cost\n2025-01-01,seo,1.7e308\n"),
    "text over 32,767 into .xlsx": _long_xlsx_output,
    "yaml alias bomb": lambda t: _template_case(t, MINIMAL + "title:\n" + _alias_bomb("  ")),
    "yaml deep nesting": lambda t: _template_case(t, MINIMAL + "title: " + "[" * 9999),
    "yaml huge integer": lambda t: _template_case(t, MINIMAL + "growth: " + "9" * 5000),
    "yaml list in a KPI list": lambda t: _template_case(
        t, "name: x\noverall: [[a, b]]\nchannels: {seo: [sessions]}\n"
    ),
    "control character in title": lambda t: _template_case(t, MINIMAL + 'title: "a\\x1b[2J"\n'),
    "targets alias bomb": lambda t: _targets_case(t, _alias_bomb()),
    "targets huge integer": lambda t: _targets_case(
        t, "- {kpi_id: revenue, channel: all, period: '2026-02', target: " + "9" * 5000 + "}\n"
    ),
}


def _zip_bomb(path: Path) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Dates.csv", b"Date,Clicks\n" + b"2025-01-01,1\n" * 2_000_000)
    return path


@pytest.mark.parametrize("case", list(CLI_CASES))
def test_the_cli_refuses_each_hostile_file_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    argv = CLI_CASES[case](tmp_path)
    capsys.readouterr()
    start = time.perf_counter()
    code = main(argv)
    elapsed = time.perf_counter() - start
    captured = capsys.readouterr()
    assert code == 2, captured.err
    assert captured.err.startswith("kpi-xl: error: ")
    assert captured.err.count("\n") == 1, captured.err
    assert "Traceback" not in captured.err + captured.out
    assert elapsed < SECONDS
    assert not (tmp_path / "p.xlsx").exists() and not (tmp_path / "out.xlsx").exists()


def test_the_cli_reads_a_worksheet_declaring_a_million_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = xlsx(tmp_path / "huge.xlsx", canonical_rows(3), "A1:XFD1048576")
    start = time.perf_counter()
    assert main(["ingest", str(path)]) == 0
    assert time.perf_counter() - start < SECONDS
    assert '"rows": 3' in capsys.readouterr().out
