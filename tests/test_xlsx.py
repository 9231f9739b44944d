"""PlanSheet's fast paths for data tables write the XML XlsxWriter's own calls write."""

from __future__ import annotations

import datetime as dt
import math
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from kpi_xl.workbook.xlsx import PlanSheet

COLUMNS = [{"header": h} for h in ("period", "channel", "cost", "clicks")]
OPTIONS = {"name": "Data", "style": "Table Style Light 9", "columns": COLUMNS}


def _book(path: Path, fast: bool, rows: int) -> dict[str, bytes]:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Data", worksheet_class=PlanSheet)
    number = book.add_format({"num_format": "#,##0.##"})
    if fast:
        sheet.add_data_table(2, 1, 2 + rows, 4, dict(OPTIONS))
    else:
        sheet.add_table(2, 1, 2 + rows, 4, dict(OPTIONS))
    for i in range(rows):
        sheet.write_string(3 + i, 1, f"2026-{i % 12 + 1:02d}")
        sheet.write_string(3 + i, 2, "seo")
        values = [i * 1.5, math.nan if i % 3 else float(i)]
        if fast:
            sheet.write_numbers(3 + i, 3, values, number)
        else:
            for c, v in enumerate(values, start=3):
                if v == v:
                    sheet.write_number(3 + i, c, v, number)
    book.set_properties({"created": None})
    book.close()
    with zipfile.ZipFile(path) as archive:
        return {n: archive.read(n) for n in archive.namelist() if not n.startswith("docProps")}


@pytest.mark.parametrize("rows", [1, 2, 3, 500])
def test_data_table_and_numbers_write_what_xlsxwriter_writes(tmp_path: Path, rows: int) -> None:
    fast = _book(tmp_path / "fast.xlsx", True, rows)
    plain = _book(tmp_path / "plain.xlsx", False, rows)
    assert fast == plain
    if rows == 500:
        assert b'ref="B3:E503"' in fast["xl/tables/table1.xml"]


def test_numbers_outside_the_sheet_are_refused(tmp_path: Path) -> None:
    book = xlsxwriter.Workbook(str(tmp_path / "x.xlsx"))
    sheet = book.add_worksheet("Data", worksheet_class=PlanSheet)
    with pytest.raises(ValueError, match="outside the worksheet"):
        sheet.write_numbers(1_048_576, 0, [1.0], None)
    with pytest.raises(ValueError, match="outside the worksheet"):
        sheet.write_numbers(0, 16_383, [1.0, 2.0], None)
    book.close()


def test_a_streamed_data_sheet_holds_the_same_plan(
    demo_plan: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Data table of STREAMED_ROWS rows or more is written row by row (inline strings,
    the table added with XlsxWriter's constant_memory mode off for a moment): with the
    threshold at 0 the demo plan reads the same in every sheet, its numbers written as
    XlsxWriter writes them. (LibreOffice recalculates and reads it:
    tests/test_workbook_engines.py.)"""
    from kpi_xl.pipeline import DataSource, build_plan
    from kpi_xl.workbook import context

    plain = demo_plan("ecommerce", "en")
    monkeypatch.setattr(context, "STREAMED_ROWS", 0)
    streamed = build_plan(DataSource(sample="ecommerce"), tmp_path / "streamed.xlsx")
    data_xml = {}
    for name, path in (("plain", plain), ("streamed", streamed)):
        with zipfile.ZipFile(path) as archive:
            data_xml[name] = archive.read("xl/worksheets/sheet10.xml").decode()
    assert 't="inlineStr"' in data_xml["streamed"]  # it was streamed
    # its numbers are written as XlsxWriter writes them (the style numbers differ: a
    # streamed sheet's formats are numbered first), in the format of the others
    number = re.compile(r'<c r="([A-Z]+[0-9]+)" s="[0-9]+"><v>([^<]*)</v></c>')
    assert len(number.findall(data_xml["plain"])) > 1000
    assert number.findall(data_xml["streamed"]) == number.findall(data_xml["plain"])
    cells = {}  # every cell's content and number format, in every sheet (not build times)
    for name, path in (("plain", plain), ("streamed", streamed)):
        book = openpyxl.load_workbook(path)
        cells[name] = {
            ws.title: [
                (None if isinstance(c.value, dt.datetime) else c.value, c.number_format)
                for row in ws.iter_rows()
                for c in row
            ]
            for ws in book.worksheets
        }
        book.close()
    assert cells["streamed"] == cells["plain"]


def _numbers_book(path: Path, kind: type) -> dict[str, bytes]:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Numbers", worksheet_class=kind)
    money = book.add_format({"num_format": "#,##0.00"})
    sheet.set_row(5, None, book.add_format({"bold": True}))
    sheet.set_column(3, 3, None, book.add_format({"italic": True}))
    values = [0.0, -1.5, 1 / 3, 1e-7, 123456789.123, 2**53 + 1.0, 1e18]
    for i, value in enumerate(values):
        sheet.write_number(i, 0, value, money)  # its own format
        sheet.write_number(i, 1, value)  # none
        sheet.write_number(5, i + 4, value)  # the row's format
        sheet.write_number(i + 8, 3, value)  # the column's
    book.set_properties({"created": None})
    book.close()
    with zipfile.ZipFile(path) as archive:
        return {n: archive.read(n) for n in archive.namelist() if not n.startswith("docProps")}


def test_plan_sheets_write_numbers_as_xlsxwriter_does(tmp_path: Path) -> None:
    from xlsxwriter.worksheet import Worksheet

    ours = _numbers_book(tmp_path / "ours.xlsx", PlanSheet)
    vanilla = _numbers_book(tmp_path / "vanilla.xlsx", Worksheet)
    assert ours == vanilla
    assert b'<c r="A3" s="2"><v>0.3333333333333333</v></c>' in ours["xl/worksheets/sheet1.xml"]
