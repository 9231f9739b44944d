"""Semrush Position Tracking exports: a wide table of positions turned into one row per
tracked day; every expected number is worked out by hand from the fixtures' rows
(tests/fixtures/exports/semrush_*.csv)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from kpi_xl import aggregate
from kpi_xl.errors import KpiXlError
from kpi_xl.ingest import detect_format, load_channel_data, load_report

EXPORTS = Path(__file__).parent / "fixtures" / "exports"
DETAILED = EXPORTS / "semrush_positions_detailed.csv"
NO_DYNAMICS = EXPORTS / "semrush_positions_no_dynamics.csv"
OVERVIEW = EXPORTS / "semrush_rankings_overview.csv"
LONDON = "Google United Kingdom (London, England, United Kingdom), interface language: English"
UK = "Google United Kingdom, interface language: English"


def days(*texts: str) -> list[pd.Timestamp]:
    return [pd.Timestamp(t) for t in texts]


def refusal(path: Path) -> KpiXlError:
    with pytest.raises(KpiXlError) as err:
        load_channel_data(path)
    return err.value


def test_detailed_export_one_row_per_tracked_day() -> None:
    ingested = load_report(DETAILED)
    frame = ingested.frame
    (report,) = ingested.reports
    assert (report.platform, report.title, report.granularity) == (
        "semrush", "Semrush Position Tracking", "daily"
    )  # fmt: skip
    assert (str(report.start), str(report.end)) == ("2026-02-01", "2026-02-03")
    assert frame["date_from"].tolist() == days("2026-02-01", "2026-02-02", "2026-02-03")
    assert frame["date_to"].tolist() == frame["date_from"].tolist()
    assert set(frame["channel"]) == {"seo"} and set(frame["source"]) == {"semrush"}
    assert set(frame["campaign"]) == {""} and set(frame["currency"]) == {""}
    # the tracked domain (host of the URL column, www. dropped), then the location line
    assert set(frame["segment"]) == {f"fruit4london.co.uk / {LONDON}"}
    # "Office Fruit" (URL --) is a keyword group: dropped. Keywords, positions per day:
    #   office fruit delivery 12, 10, 15; fruit box 2, 2, 3; fruit delivery 17, -, 64;
    #   fruit delivery london 1, 1, 1; home fruit delivery -, -, -;
    #   weekly office fruit delivery No data, 7, 40
    assert frame["ranked_keywords"].tolist() == [4, 4, 5]
    assert frame["top10_keywords"].tolist() == [
        2,  # 2, 1
        4,  # 10, 2, 1, 7
        2,  # 3, 1
    ]
    assert frame["ranked_position_sum"].tolist() == [
        12 + 2 + 17 + 1,
        10 + 2 + 1 + 7,
        15 + 3 + 64 + 1 + 40,
    ]
    assert report.notes == [
        "1 keyword group row(s) (URL '--') not counted",
        "1 keyword-day(s) marked 'No data' (not checked) are not counted",
    ]
    assert detect_format(DETAILED) == "semrush"


def test_the_month_keeps_its_last_tracked_day() -> None:
    monthly = aggregate(load_channel_data(DETAILED), "month", by=("channel",))
    assert monthly["ranked_keywords"].tolist() == [5]  # 3 February
    assert monthly["top10_keywords"].tolist() == [2]
    assert monthly["ranked_position_sum"].tolist() == [15 + 3 + 64 + 1 + 40]


def test_export_without_dynamics_columns() -> None:
    ingested = load_report(NO_DYNAMICS)
    frame = ingested.frame
    assert frame["date_from"].tolist() == days("2026-02-20", "2026-02-21", "2026-02-22")
    assert set(frame["segment"]) == {f"buyshedsdirect.co.uk / {UK}"}
    # "Metal Sheds" (URL --) dropped. Positions: 10x8 metal shed 6, 6, 3;
    # metal shed 3, -, 11; metal sheds for sale 2, 2, No data; metal garden shed -, -, -
    assert frame["ranked_keywords"].tolist() == [3, 2, 2]
    assert frame["top10_keywords"].tolist() == [3, 2, 1]
    assert frame["ranked_position_sum"].tolist() == [6 + 3 + 2, 6 + 2, 3 + 11]
    assert ingested.reports[0].notes == [
        "1 keyword group row(s) (URL '--') not counted",
        "1 keyword-day(s) marked 'No data' (not checked) are not counted",
    ]
    assert detect_format(NO_DYNAMICS) == "semrush"


def test_rankings_overview_positions_on_the_period_end() -> None:
    ingested = load_report(OVERVIEW)
    frame = ingested.frame
    assert frame["date_from"].tolist() == days("2023-09-09")
    assert frame["date_to"].tolist() == days("2023-09-09")
    assert frame["segment"].tolist() == ["nordicgoods.com"]  # the target *.nordicgoods.com/*
    assert frame["channel"].tolist() == ["seo"]
    # wool blanket -, wool socks 32, linen towels 21, nordic throw 4, sauna hat 9
    assert frame["ranked_keywords"].tolist() == [4]
    assert frame["top10_keywords"].tolist() == [2]  # 4, 9
    assert frame["ranked_position_sum"].tolist() == [32 + 21 + 4 + 9]
    assert ingested.reports[0].notes == ["a Rankings Overview: positions on the period's last day"]
    assert detect_format(OVERVIEW) == "semrush"


def test_rankings_overview_with_a_competitor(tmp_path: Path) -> None:
    text = OVERVIEW.read_text(encoding="utf-8").splitlines()
    header = text.index(next(line for line in text if line.startswith("Keyword;")))
    text[header] += ";*.rival.com/*_20230909;*.rival.com/*_20230909_type"
    for i in range(header + 1, len(text)):
        text[i] += ";1;organic" if i == header + 1 else ";-;"
    path = tmp_path / "overview.csv"
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    frame = load_channel_data(path)
    assert frame["segment"].tolist() == ["nordicgoods.com", "rival.com"]
    assert frame["ranked_keywords"].tolist() == [4, 1]
    assert frame["ranked_position_sum"].tolist() == [32 + 21 + 4 + 9, 1]


def test_snapshot_without_url_is_refused(tmp_path: Path) -> None:
    """The shape of ten10_com__positions_detailed_2026-02-20.csv (DanielTheC/internal-lnking-
    tool): a location line padded with commas, one day-first date, ``100+`` for not ranked."""
    path = tmp_path / "ten10_com__positions_detailed_2026-02-20.csv"
    path.write_text(
        f'"{UK}",,\nKeyword,Search vol.,20/02/2026\nsoftware qa,480,10\n'
        "test automation engineer,260,100+\nautomation testing services,260,5\n",
        encoding="utf-8-sig",
    )
    err = refusal(path)
    assert (err.file, err.line) == (str(path), 2)
    assert err.message == (
        "this is a Semrush Position Tracking snapshot (Keyword, Search vol. and one DD/MM/YYYY "
        "position column, no URL): kpi_xl reads the detailed positions export instead "
        "(<domain>_positions_detailed_<date>.csv: Keyword, URL, Search vol., one YYYY-MM-DD "
        "column per day)"
    )


@pytest.mark.parametrize("value", ["101", "0", "top"])
def test_a_value_that_is_not_a_position(tmp_path: Path, value: str) -> None:
    path = tmp_path / "positions.csv"
    path.write_text(
        f'"{UK}"\nKeyword,URL,"Search vol.",2026-02-20,Dynamics\n'
        "shed,https://example.com/,10,4,0\n"
        f"sheds,https://example.com/,10,{value},0\n",
        encoding="utf-8-sig",
    )
    err = refusal(path)
    assert (err.line, err.column) == (4, "2026-02-20")
    assert err.message == (
        f"{value!r} is not a position: expected a position from 1 to 100, '-' (not in the "
        "top 100) or 'No data'"
    )


def test_a_day_no_keyword_was_checked_gives_no_row(tmp_path: Path) -> None:
    path = tmp_path / "positions.csv"
    path.write_text(
        f'"{UK}"\nKeyword,URL,"Search vol.",2026-02-20,2026-02-21\n'
        'shed,https://example.com/,10,"No data",4\n'
        'sheds,,10,"No data",-\n',
        encoding="utf-8-sig",
    )
    frame = load_channel_data(path)
    assert frame["date_from"].tolist() == days("2026-02-21")
    assert frame["ranked_keywords"].tolist() == [1]
    assert frame["segment"].tolist() == [f"example.com / {UK}"]
