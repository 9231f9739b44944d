"""``kpi-xl kpis``: the catalog as a table, CSV or JSON, by language and channel."""

from __future__ import annotations

import csv
import io
import json

import pytest

from kpi_xl import catalog
from kpi_xl.cli import main

COLUMNS = ["id", "name", "category", "unit", "direction", "formula", "expression", "channels"]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    code = main(["kpis", *args])
    out, err = capsys.readouterr()
    assert code == 0
    assert err == ""
    return out


def test_table_lists_every_kpi(capsys: pytest.CaptureFixture[str]) -> None:
    lines = run(capsys).splitlines()
    assert lines[0].split() == ["id", "name", "unit", "direction", "formula"]
    assert set(lines[1]) <= {"-", " "}
    assert len(lines) == 2 + len(catalog.kpis())
    assert [line.split()[0] for line in lines[2:]] == list(catalog.kpis())
    rate = next(line for line in lines if line.startswith("key_event_rate "))
    assert "Key event rate" in rate and "Sessions with a key event ÷ Sessions" in rate
    assert "Higher is better" in rate


def test_csv_has_one_row_per_kpi(capsys: pytest.CaptureFixture[str]) -> None:
    rows = list(csv.DictReader(io.StringIO(run(capsys, "--format", "csv"))))
    assert list(rows[0]) == COLUMNS
    assert [r["id"] for r in rows] == list(catalog.kpis())
    cpm = next(r for r in rows if r["id"] == "cpm")
    assert cpm["expression"] == "cost / impressions * 1000"
    assert cpm["channels"] == "paid_search,paid_social,display"
    assert cpm["unit"] == "Currency"
    assert cpm["direction"] == "Lower is better"


def test_json_matches_the_catalog(capsys: pytest.CaptureFixture[str]) -> None:
    rows = json.loads(run(capsys, "--format", "json"))
    assert [r["id"] for r in rows] == list(catalog.kpis())
    assert all(list(r) == COLUMNS for r in rows)
    by_id = {r["id"]: r for r in rows}
    assert by_id["revenue_roi"]["formula"] == "(Revenue − Cost) ÷ Cost"
    assert by_id["roi"]["formula"] == "(Revenue × Gross margin − Cost) ÷ Cost"
    assert by_id["roi"]["category"] == "Financial"


def test_persian_names(capsys: pytest.CaptureFixture[str]) -> None:
    out = run(capsys, "--lang", "fa", "--format", "json")
    assert "نرخ تبدیل" in out  # raw UTF-8, not \u escapes
    by_id = {r["id"]: r for r in json.loads(out)}
    assert by_id["click_conversion_rate"]["name"] == "نرخ تبدیل کلیک (پلتفرم)"
    assert by_id["cpm"]["formula"] == "هزینه ÷ نمایش‌ها × 1000"
    assert all(r["name"] == catalog.get(r["id"]).name("fa") for r in by_id.values())
    table = run(capsys, "--lang", "fa")
    assert "نرخ تبدیل" in table


@pytest.mark.parametrize("lang", ["he", "fi", "uz"])
def test_every_language_lists_its_names(capsys: pytest.CaptureFixture[str], lang: str) -> None:
    rows = json.loads(run(capsys, "--lang", lang, "--format", "json"))
    assert [r["name"] for r in rows] == [k.name(lang) for k in catalog.kpis().values()]


def test_channel_filter(capsys: pytest.CaptureFixture[str]) -> None:
    rows = json.loads(run(capsys, "--channel", "email", "--format", "json"))
    ids = [r["id"] for r in rows]
    assert all(catalog.get(i).applies_to("email") for i in ids)
    assert {"email_open_rate", "click_to_open_rate", "list_growth_rate", "sessions"} <= set(ids)
    assert not {"cpm", "ctr", "keyword_position", "followers"} & set(ids)
    assert len(ids) < len(catalog.kpis())
    expected = [k.id for k in catalog.kpis().values() if k.applies_to("email")]
    assert ids == expected


def test_unknown_channel_is_a_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kpis", "--channel", "fax"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("kpi-xl: error:")
    assert err.count("\n") == 1 and err.endswith("\n")
    assert "'fax'" in err and "email" in err


def test_unknown_language_is_rejected(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["kpis", "--lang", "de"])
    assert exc.value.code == 2
    assert "--lang" in capsys.readouterr().err
