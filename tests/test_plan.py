"""Plan templates, user targets files, grains, and the build/demo commands."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import openpyxl
import pytest
import yaml
from refresh_support import read_inputs, small_data

import kpi_xl
from kpi_xl.cli import main
from kpi_xl.errors import KpiXlError
from kpi_xl.pipeline import build_plan
from kpi_xl.plan.spec import BUNDLED, load_template
from kpi_xl.plan.targets import load_targets
from kpi_xl.resources import templates_dir

# -- templates ---------------------------------------------------------------------------


def _template(tmp_path: Path, **changes: object) -> Path:
    raw = yaml.safe_load(templates_dir().joinpath("ecommerce.yaml").read_text("utf-8"))
    raw.update(changes)
    path = tmp_path / "my_plan.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_templates_are_short_valid_plans(name: str) -> None:
    spec = load_template(name)
    assert spec.name == name
    assert 3 <= len(spec.overall) <= 8  # the seeds warn about analysis paralysis
    assert all(1 <= len(ids) <= 6 for ids in spec.channels.values())
    assert spec.grain == "month" and 0 <= spec.at_risk <= spec.on_track


def test_a_copied_template_builds(tmp_path: Path) -> None:
    path = _template(tmp_path, name="mine", title="Nordic Goods 2026")
    out = build_plan(small_data(), tmp_path / "plan.xlsx", template=path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(out, data_only=True)
    assert wb.worksheets[0]["A1"].value == "Nordic Goods 2026"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"channels": {"seo": ["organic_trafic"]}},
            "key 'channels.seo': unknown KPI id 'organic_trafic' (did you mean 'organic_traffic'?)",
        ),
        ({"channels": {"tiktok": ["ctr"]}}, "key 'channels.tiktok': unknown channel"),
        ({"thresholds": {"on_track": 1.0, "at_risk": 1.2}}, "key 'thresholds.at_risk'"),
        ({"thresholds": {"on_track": "high"}}, "key 'thresholds.on_track': expected a number"),
        ({"grain": "day"}, "key 'grain': unknown grain 'day': use one of month, week, quarter"),
        ({"overall": []}, "key 'overall': expected a non-empty list of KPI ids"),
        ({"colour": "red"}, "key 'colour': unknown key"),
    ],
)
def test_template_errors_name_the_key(
    tmp_path: Path, changes: dict[str, object], message: str
) -> None:
    path = _template(tmp_path, **changes)
    with pytest.raises(KpiXlError) as info:
        load_template(path)
    assert str(info.value).startswith(f"{path}: ")
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_template_errors_from_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _template(tmp_path, channels={"seo": ["nope"]})
    csv = tmp_path / "data.csv"
    small_data().to_csv(csv, index=False)
    code = main(["build", str(csv), "-o", str(tmp_path / "p.xlsx"), "--template", str(path)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("kpi-xl: error: ") and err.count("\n") == 1 and "channels.seo" in err
    assert not (tmp_path / "p.xlsx").exists()


# -- targets -----------------------------------------------------------------------------


def test_targets_csv_and_yaml_override_the_suggestions(tmp_path: Path) -> None:
    csv = tmp_path / "targets.csv"
    csv.write_text(
        "kpi_id,channel,period,target\nrevenue,all,2026-02,12345\nctr,seo,2026-03,4.5%\n",
        encoding="utf-8",
    )
    assert load_targets(csv) == {
        ("revenue", "all", "2026-02"): 12345.0,
        ("ctr", "seo", "2026-03"): 0.045,
    }
    yml = tmp_path / "targets.yaml"
    yml.write_text(
        "- {kpi_id: revenue, channel: all, period: '2026-02', target: 12345}\n"
        "- {kpi_id: ctr, channel: seo, period: '2026-03', target: 0.045}\n",
        encoding="utf-8",
    )
    assert load_targets(yml) == load_targets(csv)
    out = build_plan(small_data(), tmp_path / "plan.xlsx", targets=yml)
    typed = read_inputs(out)
    assert typed["target|revenue|all|2026-02"] == 12345.0
    assert typed["target|ctr|seo|2026-03"] == pytest.approx(0.045)
    # other targets are still the SMART suggestions: numbers where the data has complete
    # periods before them; January, with no history before it, has none ("No target")
    suggested = typed["target|revenue|all|2026-04"]
    assert isinstance(suggested, int | float) and suggested > 0
    assert typed["target|revenue|all|2026-01"] in (None, "")


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("kpi_id,channel,period,target\nrevenu,all,2026-02,1\n", "line 2, column 'kpi_id'"),
        ("kpi_id,channel,period,target\nrevenue,tv,2026-02,1\n", "line 2, column 'channel'"),
        ("kpi_id,channel,period,target\nrevenue,all,2026-02,lots\n", "line 2, column 'target'"),
        ("kpi_id,channel,target\nrevenue,all,1\n", "line 1: missing column(s) period"),
    ],
)
def test_bad_targets_file_names_line_and_column(tmp_path: Path, text: str, where: str) -> None:
    path = tmp_path / "targets.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(KpiXlError) as info:
        load_targets(path)
    assert str(info.value).startswith(f"{path}, {where}")


# -- grains and the commands -------------------------------------------------------------


def test_week_grain_builds_weekly_periods(tmp_path: Path) -> None:
    out = build_plan(small_data(), tmp_path / "plan.xlsx", grain="week", year=2026)
    keys = [k for k in read_inputs(out) if k.startswith("target|revenue|all|")]
    periods = [k.rsplit("|", 1)[1] for k in keys]
    assert periods[0] == "2026-W01" and len(periods) == 53  # ISO year 2026 has 53 weeks


def test_build_command_says_what_it_wrote(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = tmp_path / "data.csv"
    small_data().to_csv(csv, index=False)
    out = tmp_path / "plan.xlsx"
    code = main(["build", str(csv), "-o", str(out), "--lang", "fi", "--year", "2026", "-q"])
    captured = capsys.readouterr()
    assert code == 0
    assert captured.out.strip().splitlines() == [
        f"wrote {out} (plan 'ecommerce', fi, from 1 source(s))"
    ]
    assert captured.err == ""  # --quiet: no progress bar
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(out, data_only=True)
    assert wb.sheetnames[0] != "Overview"  # Finnish sheet names


def test_missing_data_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["build", str(tmp_path / "nope.csv"), "-o", str(tmp_path / "p.xlsx")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "nope.csv" in err and "Traceback" not in err


def test_public_api_is_declared() -> None:
    assert set(kpi_xl.__all__) == {
        "__version__",
        "aggregate",
        "build_plan",
        "catalog",
        "compose_email",
        "load_channel_data",
        "refresh",
        "send_email",
    }
    assert set(kpi_xl._PUBLIC) == set(kpi_xl.__all__) - {"__version__"}  # lazy map agrees
    for name in kpi_xl.__all__:
        assert getattr(kpi_xl, name) is not None
    assert kpi_xl.catalog.get("blended_cpl").evaluate({"cost": 1200.0, "leads": 48}) == 25.0
    with pytest.raises(AttributeError):
        kpi_xl.not_public  # noqa: B018


def test_public_api_end_to_end(tmp_path: Path) -> None:
    """The README's Python example: load, aggregate, build."""
    csv = tmp_path / "data.csv"
    small_data().to_csv(csv, index=False)
    data = kpi_xl.load_channel_data(csv)
    monthly = kpi_xl.aggregate(data, grain="month")
    jan_seo = monthly[(monthly["period"] == "2026-01") & (monthly["channel"] == "seo")]
    raw = small_data()
    expected = raw[(raw["channel"] == "seo") & (raw["date"] < "2026-02-01")]["sessions"].sum()
    assert math.isclose(jan_seo["sessions"].sum(), expected)
    out = kpi_xl.build_plan(data, tmp_path / "plan.xlsx", template="leadgen", lang="fi")
    assert out == tmp_path / "plan.xlsx" and out.stat().st_size > 10_000


def test_suggested_targets_of_shares_stay_achievable() -> None:
    """A share (retention rate) is never targeted above 100 %; a change (ROI) may be."""
    from kpi_xl.catalog import get, smart_target

    retention, roi = get("retention_rate"), get("roi")
    assert retention.is_bounded_rate and not roi.is_bounded_rate
    capped = smart_target([0.95, 0.96, 0.97], True, 0.10, percent=retention.is_bounded_rate)
    assert capped == 1.0  # 0.96 * 1.1 would be 105.6 %
    free = smart_target([3.0, 3.0, 3.0], True, 0.10, percent=roi.is_bounded_rate)
    assert math.isclose(free, 3.3)  # 300 % ROI improved by 10 %, not clipped to 100 %
