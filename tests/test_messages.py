"""Every message says what was given, what was expected and what to do next, in one line
of plain words (no internal names, Python reprs or parser internals); and the cheap checks
(options, addresses, output names and folders) come before any expensive work.

Each case runs ``kpi-xl`` as a user would (``kpi_xl.cli.main``) and asserts the whole
standard error line, the exit code 2 and that no traceback was printed.
"""

from __future__ import annotations

import shlex
import shutil
import struct
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import pytest
from refresh_support import type_inputs

from kpi_xl.cli import main
from kpi_xl.filetypes import ENCRYPTED, LEGACY_XLS, ole_kind
from kpi_xl.pipeline import build_plan

EXPORTS = Path(__file__).parent / "fixtures" / "exports"
GA4_2026 = EXPORTS / "mixed_2026_09" / "ga4_traffic_acquisition.csv"  # September 2026
PLATFORMS = (
    "  kpi_xl reads: GA4, Google Ads, HubSpot contacts, HubSpot deals, Klaviyo, LinkedIn Ads, "
    "Mailchimp, Meta Ads, Microsoft Advertising, Search Console, Semrush Position Tracking, "
    "Shopify, TikTok Ads, and its canonical table (see docs/ingest.md)"
)
EXPORT_KINDS = "pass a report exported from the platform (CSV, TSV, Excel .xlsx, Parquet or a zip of CSV files)"  # noqa: E501


def run(argv: Sequence[object], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``kpi-xl ARGV``: its exit code (argparse's too), standard output and error."""
    try:
        code = main([str(a) for a in argv])
    except SystemExit as done:  # a bad command line: argparse exits
        code = done.code if isinstance(done.code, int) else 2
    out, err = capsys.readouterr()
    return code, out, err


def error_of(argv: Sequence[object], capsys: pytest.CaptureFixture[str]) -> str:
    """The one error line of a failing ``kpi-xl ARGV`` (exit code 2, no traceback)."""
    code, _, err = run(argv, capsys)
    assert "Traceback" not in err
    assert code == 2, err
    assert err.startswith("kpi-xl: error: ") and err.endswith("\n"), err
    return err.removeprefix("kpi-xl: error: ").removesuffix("\n")


@pytest.fixture
def ga4(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A GA4 export of September 2026, as ga4.csv in the working folder."""
    monkeypatch.chdir(tmp_path)
    shutil.copyfile(GA4_2026, tmp_path / "ga4.csv")
    return Path("ga4.csv")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A plan built from the GA4 export (the source every copy of it records)."""
    folder = tmp_path_factory.mktemp("built")
    shutil.copyfile(GA4_2026, folder / "ga4.csv")
    return build_plan(folder / "ga4.csv", folder / "kpi_plan.xlsx")


@pytest.fixture
def plan(built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the plan, as kpi_plan.xlsx in the working folder."""
    monkeypatch.chdir(tmp_path)
    shutil.copyfile(built, tmp_path / "kpi_plan.xlsx")
    return Path("kpi_plan.xlsx")


# -- 1. a plan year without data ------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        (
            2025,
            "ga4.csv: the data covers 2026-09-01 to 2026-09-30, no day of the plan year 2025: "
            "build the 2026 plan (--year 2026), or add exports of 2025",
        ),
        (
            2030,
            "ga4.csv: the data covers 2026-09-01 to 2026-09-30, no day of the plan year 2030: "
            "build the 2026 plan (--year 2026), or 2027 to plan the year after the data",
        ),
    ],
)
def test_a_plan_year_without_data_is_refused(
    ga4: Path, capsys: pytest.CaptureFixture[str], year: int, expected: str
) -> None:
    assert error_of(["build", ga4, "-o", "plan.xlsx", "--year", year, "-q"], capsys) == expected
    assert not Path("plan.xlsx").exists()


def test_the_year_after_the_data_is_planned_with_a_warning(
    ga4: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["build", ga4, "-o", "plan.xlsx", "--year", "2027", "-q"], capsys)
    assert code == 0
    assert err == (
        "kpi-xl: warning: ga4.csv: the data covers 2026-09-01 to 2026-09-30: the 2027 plan "
        "has no actuals yet; its targets are suggested from the data before it (refresh the "
        "plan as 2027's exports come in)\n"
    )
    assert out.startswith("wrote plan.xlsx")


def test_the_api_warns_of_a_plan_year_after_the_data(ga4: Path) -> None:
    from kpi_xl.errors import KpiXlWarning

    with pytest.warns(KpiXlWarning, match="the 2027 plan has no actuals yet"):
        build_plan(ga4, "plan.xlsx", year=2027)


def test_data_without_rows_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "meta.csv"
    shutil.copyfile(EXPORTS / "meta_ads_no_data.csv", empty)
    assert error_of(["build", empty, "-o", tmp_path / "plan.xlsx", "-q"], capsys) == (
        f"{empty}: the data holds no rows: there is nothing to build a plan from ({empty}: "
        "the Meta Ads export holds no data (no rows read)); export a date range that has data"
    )


# -- 2. a plan given as data ----------------------------------------------------------------


@pytest.mark.parametrize("name", ["kpi_plan.xlsx", "kpi_plan.xlsm"])
def test_a_plan_is_not_an_export(
    built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    shutil.copyfile(built, name)
    assert error_of(["build", name, "-o", "x.xlsx", "-q"], capsys) == (
        f"{name}: this is a kpi_xl plan, not an export: pass the exports it was built from "
        f"(its Settings sheet names them); to update the plan with new data, run kpi-xl "
        f"refresh {name}"
    )
    assert error_of(["ingest", name], capsys).startswith(f"{name}: this is a kpi_xl plan")


# -- 3. an export given as the plan ---------------------------------------------------------


def test_refreshing_an_export_says_to_build(ga4: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert error_of(["refresh", ga4, "-q"], capsys) == (
        "ga4.csv: this is a CSV export, not a plan: refresh a plan .xlsx (or .xlsm), or build "
        "one from it: kpi-xl build ga4.csv -o kpi_plan.xlsx"
    )


def test_an_export_renamed_xlsx_is_named_for_what_it_is(
    ga4: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copyfile(ga4, "report.xlsx")
    assert error_of(["send", "report.xlsx", "--to", "a@example.com", "--from",
                     "me@example.com", "--eml", "m.eml"], capsys) == (
        "report.xlsx: this is a CSV export, not a plan: send a plan .xlsx, or build one from "
        "it: kpi-xl build report.xlsx -o kpi_plan.xlsx"
    )  # fmt: skip


# -- 4. binary files ------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(40)
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01" + bytes(40)


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("chart.png", PNG, "a PNG image"),
        ("report.pdf", PDF, "a PDF document"),
        ("photo.csv", JPEG, "a JPEG image"),  # the name says CSV: the content decides
    ],
)
def test_binary_files_are_named_for_what_they_are(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: bytes, kind: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    expected = f"{path}: this is {kind}, not an export: {EXPORT_KINDS}"
    assert error_of(["ingest", path], capsys) == expected
    assert error_of(["build", path, "-o", tmp_path / "plan.xlsx", "-q"], capsys) == expected


def test_text_is_never_taken_for_a_binary_format() -> None:
    from kpi_xl.filetypes import binary_kind

    for text in (b"channel,DUCK,x\n", b"MZ,1\n", b"ID,name\n", b"date,channel\n" * 40):
        assert binary_kind(text) is None
    assert binary_kind(b"\x00" * 8 + b"DUCK" + b"\x00" * 20) == "a DuckDB database"


def test_a_binary_file_of_no_known_kind_has_no_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "data.bin"
    path.write_bytes(b"abc\n\x00\x01\x02\x03" * 10)
    assert error_of(["ingest", path], capsys) == (
        f"{path}: this is a binary file, not an export: {EXPORT_KINDS}"
    )


# -- 5. a password-protected workbook -------------------------------------------------------


def _compound_file(*names: str) -> bytes:
    """A minimal OLE2 compound file whose directory holds ``names`` (512-byte sectors: the
    header, the FAT in sector 0, the directory in sector 1)."""
    end, free, fat_sector = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
    header = bytearray(512)
    header[:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 0x18, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<III", header, 0x2C, 1, 1, 0)  # 1 FAT sector, the directory at 1
    struct.pack_into("<IIIII", header, 0x38, 4096, end, 0, end, 0)
    struct.pack_into("<109I", header, 0x4C, 0, *([free] * 108))
    fat = struct.pack("<128I", fat_sector, end, *([free] * 126))
    directory = bytearray(512)
    for i, name in enumerate(("Root Entry", *names)):
        encoded = name.encode("utf-16-le") + b"\x00\x00"
        directory[i * 128 : i * 128 + len(encoded)] = encoded
        struct.pack_into("<HB", directory, i * 128 + 64, len(encoded), 5 if i == 0 else 2)
    return bytes(header) + fat + bytes(directory)


def test_compound_files_are_told_apart() -> None:
    assert ole_kind(_compound_file("EncryptionInfo", "EncryptedPackage")) == ENCRYPTED
    assert ole_kind(_compound_file("Workbook", "\x05SummaryInformation")) == LEGACY_XLS
    assert "Word" in ole_kind(_compound_file("WordDocument"))


def test_a_password_protected_workbook_is_not_legacy_excel(
    plan: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ooxml = pytest.importorskip("msoffcrypto.format.ooxml")
    with plan.open("rb") as source, Path("secret.xlsx").open("wb") as out:
        ooxml.OOXMLFile(source).encrypt("pass", out)
    assert error_of(["ingest", "secret.xlsx"], capsys) == (
        "secret.xlsx: this workbook is password-protected (encrypted): open it in Excel and "
        "save a copy without a password (File > Info > Protect Workbook > Encrypt with "
        "Password, cleared), or export CSV"
    )
    assert error_of(["refresh", "secret.xlsx", "-q"], capsys) == (
        "secret.xlsx: the workbook is password-protected (encrypted): kpi_xl cannot read it; "
        "open it in Excel and save a copy without a password (File > Info > Protect Workbook "
        "> Encrypt with Password, cleared), then use the copy"
    )


def test_a_legacy_xls_is_named_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "report.xls"
    path.write_bytes(_compound_file("Workbook"))
    assert error_of(["ingest", path], capsys) == (
        f"{path}: this is a legacy Excel .xls workbook: open it in Excel or LibreOffice and "
        "save it as .xlsx or CSV"
    )


# -- 6. a symbolic link loop ----------------------------------------------------------------


def test_a_symbolic_link_loop_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    one.symlink_to(two)
    two.symlink_to(one)
    expected = (
        f"{one}: this is a symbolic link loop (the link points back at itself, directly or "
        "through other links): fix the link, or name the file it should point to"
    )
    assert error_of(["ingest", one], capsys) == expected
    assert error_of(["build", one, "-o", tmp_path / "plan.xlsx", "-q"], capsys) == expected


def test_a_missing_file_gets_the_nearest_name(
    ga4: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert error_of(["ingest", "ga4.cvs"], capsys) == (
        "ga4.cvs: no such file (did you mean ga4.csv?): check the name and the folder"
    )


# -- 7. dates beyond the plan's years ---------------------------------------------------------


def test_a_date_beyond_the_plans_years(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "data.csv"
    path.write_text("date,channel,sessions\n2026-01-05,seo,10\n9999-12-31,seo,5\n")
    assert error_of(["ingest", path], capsys) == (
        f"{path}, line 3, column 'date': '9999-12-31' is outside the dates kpi_xl plans (1900 "
        "to 2200): correct the date, or leave the row out (a placeholder such as 9999-12-31 "
        "is no day of a plan)"
    )


def test_a_plan_year_beyond_the_plans_years(ga4: Path, capsys: pytest.CaptureFixture[str]) -> None:
    expected = (
        "plan year 9999 is out of range: kpi_xl plans the years 1900 to 2200; give the year "
        "of your data, such as 2026"
    )
    assert error_of(["build", ga4, "-o", "p.xlsx", "--year", "9999", "-q"], capsys) == expected
    assert error_of(["build", ga4, "-o", "p.xlsx", "--year", "abc", "-q"], capsys) == (
        "argument --year: 'abc' is not a year: give a year such as 2026 (1405 in a Solar "
        "Hijri plan); see 'kpi-xl build --help'"
    )


# -- 8. a macro-enabled workbook named .xlsx --------------------------------------------------


def test_the_macro_free_copy_command_works_as_written(
    plan: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An .xlsm renamed .xlsx: send names the export-email command that works on it."""
    renamed = Path("renamed_macro.xlsx")
    shutil.copyfile(plan, renamed)
    with zipfile.ZipFile(renamed, "a") as archive:
        archive.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0not really VBA")
    send = ["send", renamed, "--to", "boss@example.com", "--from", "me@example.com",
            "--eml", "plan.eml"]  # fmt: skip
    message = error_of(send, capsys)
    assert message == (
        "renamed_macro.xlsx: macro-enabled workbooks are not mailed (this .xlsx holds "
        "macros); make the macro-free copy with `kpi-xl export-email renamed_macro.xlsx -o "
        "renamed_macro_macro_free.xlsx` and send that"
    )
    suggested = shlex.split(message.split("`")[1])
    assert suggested[:2] == ["kpi-xl", "export-email"]
    code, out, err = run(suggested[1:], capsys)
    assert (code, err) == (0, "")
    assert out == "wrote renamed_macro_macro_free.xlsx (macro-free copy for e-mail)\n"
    code, _, err = run(["send", "renamed_macro_macro_free.xlsx", *send[2:]], capsys)
    assert (code, err) == (0, "")


def test_an_xlsm_elsewhere_gets_a_command_that_runs_here(
    plan: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Path("plans").mkdir()
    shutil.copyfile(plan, "plans/q3 plan.xlsm")
    assert error_of(["send", "plans/q3 plan.xlsm", "--to", "boss@example.com", "--from",
                     "me@example.com", "--eml", "plan.eml"], capsys) == (
        "plans/q3 plan.xlsm: macro-enabled workbooks are not mailed; make the macro-free copy "
        "with `kpi-xl export-email 'plans/q3 plan.xlsm' -o 'plans/q3 plan.xlsx'` and send that"
    )  # fmt: skip


def test_export_email_checks_its_output_name_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "plan.xlsm"
    assert error_of(["export-email", missing, "-o", tmp_path / "plan.xlsm"], capsys) == (
        f"{missing}: the macro-free copy must be named .xlsx: use -o {tmp_path / 'plan.xlsx'}"
    )


# -- 9. a Settings data source that is no export ----------------------------------------------


def test_a_settings_source_that_is_no_export_is_not_quoted(
    plan: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = Path("passwd").absolute()
    secret.write_text(
        "root:x:0:0:root:/root:/bin/bash\n"
        "postgres:x:101:104:PostgreSQL administrator,,,:/var/lib/postgresql:/bin/bash\n"
        "ann:x:1000:1000:Ann Smith,,,:/home/ann:/bin/zsh\n"
    )
    type_inputs(plan, {"setting|data_source": str(secret)})
    message = error_of(["refresh", plan, "-q"], capsys)
    assert message == (
        f"{secret}: this does not look like an export: no table of a platform kpi_xl reads "
        f"was found; {EXPORT_KINDS} (this file is the data source the Settings sheet of "
        f"{plan} names: fix it there, or pass the exports with --data)"
    )
    assert not any(word in message for word in ("postgres", "bash", "zsh", "Smith"))


def test_an_export_with_an_unknown_header_is_quoted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "notes.csv"
    path.write_text("hello,world\n1,2\n")
    code, _, err = run(["ingest", path], capsys)
    assert code == 2
    assert err == (
        f"kpi-xl: error: {path}, line 1: unknown layout, no known header (the first one found: "
        "hello, world): pass an export of a platform listed below, as the platform writes it "
        f"(docs/ingest.md shows each layout)\n{PLATFORMS}\n"
    )


# -- 10. no jargon ----------------------------------------------------------------------------


def test_a_workbook_that_is_no_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import openpyxl

    path = tmp_path / "budget.xlsx"
    openpyxl.Workbook().save(path)
    assert error_of(["refresh", path, "-q"], capsys) == (
        f"{path}: this Excel workbook is not a kpi_xl plan workbook: refresh a plan .xlsx (or "
        f".xlsm) written by kpi-xl build or kpi-xl demo; if this is an export, build a plan "
        f"from it: kpi-xl build {path} -o kpi_plan.xlsx"
    )


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("boss", "it has no @ and domain; write it as name@example.com"),
        ("boss@example", "the domain 'example' is not a full domain name (such as "
                         "example.com); write it as name@example.com"),
        ("a b@example.com", "the part before the @ holds a space or a character addresses "
                            "cannot have; write it as name@example.com"),
        ("a@example.com;b@example.com", "addresses are separated by ';'; separate them with "
                                        "commas, or repeat the option"),
    ],
)  # fmt: skip
def test_bad_addresses_in_plain_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], address: str, why: str
) -> None:
    """Addresses are checked first: the plan named does not even exist."""
    argv = ["send", tmp_path / "none.xlsx", "--to", address, "--from", "me@example.com",
            "--eml", tmp_path / "m.eml"]  # fmt: skip
    assert error_of(argv, capsys) == f"bad e-mail address {address!r} (--to): {why}"


def test_yaml_errors_in_plain_words(ga4: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Path("targets.yaml").write_text("- kpi_id: revenue\n  channel: all\n  period: year: 2026\n")
    assert error_of(["build", ga4, "-o", "p.xlsx", "--targets", "targets.yaml"], capsys) == (
        "targets.yaml, line 3: not valid YAML at column 15: a ': ' where a value was expected: "
        "quote a value that holds ': ' (\"a: b\"), and do not indent a key under a value"
    )
    Path("plan.yaml").write_text("name: x\noverall: [revenue\nchannels:\n  seo: [sessions]\n")
    assert error_of(["build", ga4, "-o", "p.xlsx", "--template", "plan.yaml"], capsys) == (
        "plan.yaml, line 3: not valid YAML at column 9: a list opened with '[' on line 2 is "
        "not closed with ']' (or a ',' is missing)"
    )


def test_template_choices_are_words_not_tuples(
    ga4: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Path("plan.yaml").write_text(
        "name: x\ngrain: months\noverall: [revenue]\nchannels:\n  seo: [sessions]\n"
    )
    assert error_of(["build", ga4, "-o", "p.xlsx", "--template", "plan.yaml"], capsys) == (
        "plan.yaml: key 'grain': unknown grain 'months' (did you mean 'month'?): use one of "
        "month, week, quarter"
    )
    Path("plan.yaml").write_text("name: x\noverall: [revenue]\nchannels:\n  sea: [sessions]\n")
    assert error_of(["build", ga4, "-o", "p.xlsx", "--template", "plan.yaml"], capsys) == (
        "plan.yaml: key 'channels.sea': unknown channel (did you mean 'seo'?): use one of seo, "
        "paid_search, paid_social, organic_social, email, content, display, referral, direct, "
        "affiliate, other"
    )


# -- 11. did you mean ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("revenu,all,year,1", "line 2, column 'kpi_id': unknown KPI id 'revenu' (did you mean "
                              "'revenue'?)"),
        ("revenue,sea,year,1", "line 2, column 'channel': unknown channel 'sea' (did you mean "
                               "'seo'?); expected 'all' or one of seo, paid_search, "
                               "paid_social, organic_social, email, content, display, "
                               "referral, direct, affiliate, other"),
        ("revenue,all,yaer,1", "line 2, column 'period': period 'yaer' is not a period key: "
                               "expected a month such as 2026-03, a quarter 2026-Q1, a week "
                               "2026-W05, or year (did you mean 'year'?)"),
    ],
)  # fmt: skip
def test_targets_get_the_nearest_match(
    ga4: Path, capsys: pytest.CaptureFixture[str], row: str, expected: str
) -> None:
    Path("targets.csv").write_text(f"kpi_id,channel,period,target\n{row}\n")
    argv = ["build", ga4, "-o", "p.xlsx", "--targets", "targets.csv", "-q"]
    assert error_of(argv, capsys) == f"targets.csv, {expected}"


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["build", "ga4.csv", "-o", "p.xlsx", "--template", "ecomerce"],
         "unknown template 'ecomerce' (did you mean 'ecommerce'?): use one of ecommerce, "
         "leadgen, content, saas, or the path of a YAML file"),
        (["kpis", "--channel", "sea"],
         "unknown channel 'sea' (did you mean 'seo'?): use one of seo, paid_search, "
         "paid_social, organic_social, email, content, display, referral, direct, affiliate, "
         "other"),
        (["kpis", "--lang", "fr"],
         "argument --lang: unknown language 'fr': use one of en, fa, he, fi, uz; see 'kpi-xl "
         "kpis --help'"),
        (["kpis", "--lang", "Finnish"],
         "argument --lang: unknown language 'Finnish' (did you mean 'fi'?): use one of en, fa, "
         "he, fi, uz; see 'kpi-xl kpis --help'"),
        (["build", "ga4.csv", "-o", "p.xlsx", "--grain", "months"],
         "argument --grain: unknown grain 'months' (did you mean 'month'?): use one of month, "
         "week, quarter; see 'kpi-xl build --help'"),
        (["biuld", "ga4.csv"],
         "argument COMMAND: unknown command 'biuld' (did you mean 'build'?): use one of demo, "
         "build, ingest, store, kpis, refresh, export-email, send; see 'kpi-xl --help'"),
    ],
)  # fmt: skip
def test_options_get_the_nearest_match(
    ga4: Path, capsys: pytest.CaptureFixture[str], argv: list[str], expected: str
) -> None:
    assert error_of(argv, capsys) == expected


def test_measures_get_the_nearest_match(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "data.csv"
    path.write_text("date,channel,sesions\n2026-01-05,seo,10\n")
    assert error_of(["ingest", path], capsys) == (
        f"{path}, line 1, column 'sesions': unknown column 'sesions' (did you mean "
        "'sessions'?): expected date (or date_from and date_to), channel, source, campaign, "
        "segment, currency or a base measure of the catalog (see docs/ingest.md)"
    )


# -- 12. targets saved by Excel in European locales ---------------------------------------------


def test_semicolon_targets_with_decimal_commas_are_read(
    ga4: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from kpi_xl.plan.targets import load_targets

    Path("targets.csv").write_text(
        "kpi_id;channel;period;target\nrevenue;all;2026-09;45.000,50\n"
        "key_event_rate;all;2026-09;2,5%\n"
    )
    assert dict(load_targets("targets.csv")) == {
        ("revenue", "all", "2026-09"): 45000.5,
        ("key_event_rate", "all", "2026-09"): 0.025,
    }
    code, _, err = run(["build", ga4, "-o", "p.xlsx", "--targets", "targets.csv", "-q"], capsys)
    assert (code, err) == (0, "")


def test_a_decimal_comma_in_a_comma_file(ga4: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Path("targets.csv").write_text("kpi_id,channel,period,target\nkey_event_rate,all,year,0,06\n")
    assert error_of(["build", ga4, "-o", "p.xlsx", "--targets", "targets.csv"], capsys) == (
        "targets.csv, line 2: this row has more fields than the header (4 separated by ','): "
        'a decimal comma in a comma-separated file? quote the value ("0,06") or write 0.06'
    )


def test_a_targets_header_names_what_it_holds(
    ga4: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Path("targets.csv").write_text("kpi,channel,period,value\nrevenue,all,year,1\n")
    assert error_of(["build", ga4, "-o", "p.xlsx", "--targets", "targets.csv"], capsys) == (
        "targets.csv, line 1: missing column(s) kpi_id, target: the first line names kpi, "
        "channel, period, value; name the columns kpi_id,channel,period,target"
    )


# -- 13. cheap checks first ---------------------------------------------------------------------


def test_ingest_checks_its_output_before_reading(
    ga4: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["ingest", ga4, "-o", "out.json"], capsys)
    assert (code, out) == (2, "")  # no summary printed: nothing was read
    assert err == (
        "kpi-xl: error: out.json: the canonical table is written as .csv, .csv.gz, .parquet "
        "or .xlsx: name the file so (such as out.csv)\n"
    )
    assert error_of(["ingest", ga4, "--store", "history.json"], capsys) == (
        "history.json: a history store is named .duckdb or .ddb (build reads it by that "
        "name): use --store history.duckdb"
    )


def test_ingest_checks_its_output_folder_before_reading(
    ga4: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import kpi_xl.ingest as ingest

    def never(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the exports were read before the output was checked")

    monkeypatch.setattr(ingest, "load_report", never)
    Path("out").mkdir()
    Path("out").chmod(0o555)
    try:
        assert error_of(["ingest", ga4, "-o", "out/table.csv"], capsys) == (
            f"out/table.csv: the folder {Path('out').resolve()} is read-only (no write "
            "permission); write elsewhere"
        )
    finally:
        Path("out").chmod(0o755)


def test_every_input_is_checked_before_the_first_is_read(
    ga4: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import kpi_xl.ingest as ingest

    def never(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("an export was read before every name was checked")

    monkeypatch.setattr(ingest, "read_source", never)
    assert error_of(["ingest", ga4, "missing.csv"], capsys) == (
        "missing.csv: no such file: check the name and the folder"
    )


def test_send_checks_the_plan_before_asking_for_a_password(
    ga4: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import kpi_xl.mail.command as command

    def never(settings: object) -> object:
        raise AssertionError("the password was asked for before the plan was checked")

    monkeypatch.setattr(command, "_password", never)
    argv = ["send", ga4, "--to", "boss@example.com", "--from", "me@example.com", "--smtp",
            "smtp.example.com:587", "--user", "me"]  # fmt: skip
    assert error_of(argv, capsys) == (
        "ga4.csv: this is a CSV export, not a plan: send a plan .xlsx, or build one from it: "
        "kpi-xl build ga4.csv -o kpi_plan.xlsx"
    )


def test_build_checks_the_currency_before_reading(
    ga4: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import kpi_xl.pipeline as pipeline

    def never(*_args: object, **_kwargs: object) -> pd.DataFrame:
        raise AssertionError("the data was read before the options were checked")

    monkeypatch.setattr(pipeline, "load_ingested", never)
    assert error_of(["build", ga4, "-o", "p.xlsx", "--currency", "E;R"], capsys) == (
        "currency: expected a currency code such as EUR (1 to 5 characters), got 'E;R'"
    )
