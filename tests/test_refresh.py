"""Refresh: every rule of kpi_xl.refresh's docstring, each tested."""

from __future__ import annotations

import math
import warnings
import zipfile
from pathlib import Path

import openpyxl
import pytest
from refresh_support import meta_inputs, overview_value, read_inputs, small_data, type_inputs

from kpi_xl.cli import main
from kpi_xl.errors import ConflictError, KpiXlError
from kpi_xl.pipeline import build_plan
from kpi_xl.refreshing import BACKUPS, backups_of, refresh


@pytest.fixture
def plan(tmp_path: Path) -> Path:
    return build_plan(small_data(), tmp_path / "plan.xlsx")


def _bytes(path: Path) -> bytes:
    return path.read_bytes()


def test_typed_targets_notes_and_settings_survive(plan: Path) -> None:
    typed = {
        "target|revenue|all|2026-03": 123456.0,
        "target|revenue|all|2026-11": 99.0,  # a period with no data at all
        "target|roas|paid_search|2026-02": 4.5,
        "note|revenue|all": "Board wants +10 % — see deck",
        "note|roas|paid_search": "=looks like a formula but is a note",
        "setting|on_track": 0.95,
        "setting|at_risk": 0.8,
        "setting|currency": "USD",
    }
    type_inputs(plan, typed)
    refresh(plan, small_data(end="2026-05-20"))
    after = read_inputs(plan)
    for key, value in typed.items():
        if key.startswith("note|roas"):
            continue  # openpyxl typed it as a formula; checked as text below
        assert after[key] == value, key


def test_note_that_starts_with_equals_stays_text(plan: Path) -> None:
    inputs = meta_inputs(plan)
    sheet, cell = inputs["note|revenue|all"].rsplit("!", 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(plan)
        target = wb[sheet.strip("'")][cell.replace("$", "")]
        target.value = "=1+1 is my note"
        target.data_type = "s"
        wb.save(plan)
    refresh(plan, small_data())
    assert read_inputs(plan)["note|revenue|all"] == "=1+1 is my note"


def test_cleared_target_stays_blank(plan: Path) -> None:
    type_inputs(plan, {"target|revenue|all|2026-02": None})
    refresh(plan, small_data())
    assert read_inputs(plan)["target|revenue|all|2026-02"] is None


def test_grown_layout_keeps_inputs_by_key(plan: Path) -> None:
    """New campaigns and a new channel's data move nothing that is keyed."""
    type_inputs(plan, {"target|cost_per_click|paid_search|2026-04": 0.42})
    bigger = small_data(campaigns=5, end="2026-09-30")
    refresh(plan, bigger)
    assert read_inputs(plan)["target|cost_per_click|paid_search|2026-04"] == 0.42


def test_grain_change_keeps_month_targets_for_later(plan: Path) -> None:
    type_inputs(plan, {"target|revenue|all|2026-03": 777.0, "setting|grain": "quarter"})
    refresh(plan, small_data())
    after = read_inputs(plan)
    assert "target|revenue|all|2026-Q1" in after
    assert "target|revenue|all|2026-03" not in after
    type_inputs(plan, {"setting|grain": "month"})
    refresh(plan, small_data())
    assert read_inputs(plan)["target|revenue|all|2026-03"] == 777.0


def test_backup_is_kept_and_bounded(plan: Path) -> None:
    original = _bytes(plan)
    refresh(plan, small_data())
    backups = backups_of(plan)
    assert len(backups) == 1 and _bytes(backups[0]) == original
    # older backups of earlier refreshes (their names carry their time)
    older = [plan.with_name(f"plan.backup-2020010{d}-120000.xlsx") for d in range(1, BACKUPS + 2)]
    for path in older:
        path.write_bytes(original)
    refresh(plan, small_data())
    kept = backups_of(plan)
    assert len(kept) == BACKUPS  # the oldest went, the two of today's refreshes stayed
    assert backups[0] in kept and kept[-1] not in older
    assert [p for p in older if p.exists()] == older[-(BACKUPS - 2) :]


def test_no_backup_option(plan: Path) -> None:
    refresh(plan, small_data(), backup=False)
    assert backups_of(plan) == []


def test_default_data_source_is_the_settings_one(tmp_path: Path) -> None:
    csv = tmp_path / "exports" / "data.csv"
    csv.parent.mkdir()
    small_data().to_csv(csv, index=False)
    plan = build_plan([csv], tmp_path / "plan.xlsx")
    csv.write_text("")  # the source is read again on refresh: an empty file is an error
    with pytest.raises(KpiXlError):
        refresh(plan)
    small_data(end="2026-06-30").to_csv(csv, index=False)
    refresh(plan)
    assert overview_value(plan, "current_period") == "2026-06"


# -- conflicts ---------------------------------------------------------------------------


def _edit(plan: Path, sheet: str, cell: str, value: object) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(plan)
        wb[sheet][cell] = value
        wb.save(plan)


def test_edited_generated_cell_is_a_conflict(plan: Path) -> None:
    _edit(plan, "Overview", "C14", 5)
    before = _bytes(plan)
    with pytest.raises(ConflictError) as err:
        refresh(plan, small_data())
    assert str(err.value) == (
        f"{plan}: refresh would change your edits: generated cells edited: Overview!C14 "
        "(--force regenerates them)"
    )
    assert _bytes(plan) == before
    refresh(plan, small_data(), force=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        formula = openpyxl.load_workbook(plan)["Overview"]["C14"].value
    assert isinstance(formula, str) and formula.startswith("=IF(")


def test_added_sheet_is_a_conflict_then_carried(plan: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(plan)
        ws = wb.create_sheet("My notes")
        ws["A1"] = "Budget"
        ws["B1"] = 1200
        ws["B2"] = "=B1*2"
        ws["A1"].font = openpyxl.styles.Font(bold=True)
        wb.save(plan)
    with pytest.raises(ConflictError) as err:
        refresh(plan, small_data())
    assert "sheets added: 'My notes' (--force carries them over" in str(err.value)
    refresh(plan, small_data(), force=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(plan)
    assert wb["My notes"]["A1"].value == "Budget" and wb["My notes"]["A1"].font.b
    assert wb["My notes"]["B2"].value == "=B1*2"
    refresh(plan, small_data())  # carried sheets are not a conflict the second time
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert "My notes" in openpyxl.load_workbook(plan).sheetnames


def test_inserted_rows_are_a_conflict(plan: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(plan)
        wb["SEO"].insert_rows(6, 3)
        wb.save(plan)
    with pytest.raises(ConflictError, match="SEO: rows or columns were inserted or deleted"):
        refresh(plan, small_data())


def test_cli_exit_codes(plan: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = plan.parent / "d.csv"
    small_data().to_csv(data, index=False)
    _edit(plan, "Overview", "C14", 5)
    assert main(["refresh", str(plan), "--data", str(data), "-q"]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and "Overview!C14" in err
    assert main(["refresh", str(plan), "--data", str(data), "-q", "--force"]) == 0


# -- hostile files ------------------------------------------------------------------------


def _check_refused(path: Path, message: str) -> None:
    before = _bytes(path) if path.exists() else None
    with pytest.raises(KpiXlError, match=message):
        refresh(path, small_data())
    assert (_bytes(path) if path.exists() else None) == before
    assert main(["refresh", str(path), "-q"]) == 2


def test_not_a_plan(tmp_path: Path) -> None:
    path = tmp_path / "other.xlsx"
    wb = openpyxl.Workbook()
    wb.active["A1"] = "hello"
    wb.save(path)
    _check_refused(path, "not a kpi_xl plan workbook")


def test_truncated_file(plan: Path) -> None:
    data = _bytes(plan)
    plan.write_bytes(data[: len(data) // 2])
    _check_refused(plan, "corrupt or truncated")


def test_encrypted_file(tmp_path: Path) -> None:
    path = tmp_path / "secret.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4096)
    _check_refused(path, "encrypted")


def test_zip_bomb(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * (300 * 1024 * 1024))
    _check_refused(path, "zip bomb")


def test_xml_bomb(plan: Path, tmp_path: Path) -> None:
    bomb = tmp_path / "xmlbomb.xlsx"
    lol = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        "<sst>&lol2;</sst>"
    )
    with zipfile.ZipFile(plan) as src, zipfile.ZipFile(bomb, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/sharedStrings.xml":
                data = lol.encode()
            dst.writestr(item, data)
    _check_refused(bomb, "DTD or entities")


@pytest.mark.parametrize("lock", ["~$plan.xlsx", ".~lock.plan.xlsx#"])
def test_open_in_excel_or_libreoffice(plan: Path, lock: str) -> None:
    (plan.parent / lock).write_text("someone")
    _check_refused(plan, "open in")


def test_bad_setting_names_the_cell(plan: Path) -> None:
    type_inputs(plan, {"setting|on_track": "lots"})
    with pytest.raises(KpiXlError, match=r"Settings .*\$B\$4: expected a number"):
        refresh(plan, small_data())


def test_failed_refresh_leaves_the_file(plan: Path, tmp_path: Path) -> None:
    before = _bytes(plan)
    bad = tmp_path / "bad.csv"
    bad.write_text("not,a,known,layout\n1,2,3,4\n")
    with pytest.raises(KpiXlError):
        refresh(plan, [bad])
    assert _bytes(plan) == before
    assert not list(plan.parent.glob("*.tmp"))


def test_values_after_refresh_are_current(plan: Path) -> None:
    """The refreshed file's stored numbers come from the new data."""
    refresh(plan, small_data(end="2026-08-31"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ws = openpyxl.load_workbook(plan, data_only=True).worksheets[0]
    assert overview_value(plan, "current_period") == "2026-08"
    assert isinstance(ws["C14"].value, float) and not math.isnan(ws["C14"].value)


def test_cached_values_read_what_openpyxl_reads(plan: Path, tmp_path: Path) -> None:
    """Refresh reads cached values in openpyxl's read-only mode (kpi_xl.refreshing.cached):
    every cell of every sheet reads as a full ``data_only`` load reads it, with a user's
    sheet of gaps, a date, text and a formula in it."""
    import datetime as dt

    from kpi_xl.refreshing.cached import CachedValues

    wb = openpyxl.load_workbook(plan)
    mine = wb.create_sheet("Mine")
    mine["A1"], mine["C5"], mine["F2"], mine["B9"] = "x", 3.5, dt.date(2026, 3, 1), "=C5*2"
    wb["Targets"]["E7"] = 1234.5
    edited = tmp_path / "edited.xlsx"
    wb.save(edited)
    full = openpyxl.load_workbook(edited, data_only=True)
    cached = CachedValues(edited, full.sheetnames, full)
    assert cached.sheetnames == full.sheetnames
    for name in full.sheetnames:
        a, b = full[name], cached[name]
        rows, cols = a.max_row, a.max_column
        grid = [[a.cell(r, c).value for c in range(1, cols + 1)] for r in range(1, rows + 1)]
        assert [[b.cell(r, c).value for c in range(1, cols + 1)]
                for r in range(1, rows + 1)] == grid, name  # fmt: skip
        assert [list(r[:cols]) + [None] * (cols - len(r))
                for r in b.iter_rows(min_row=1, max_row=rows)] == grid, name  # fmt: skip
    assert cached["Mine"]["C5"].value == 3.5 and cached["Mine"].cell(9, 2).value is None
