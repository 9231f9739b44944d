"""Garbage in, KpiXlError out: random bytes, truncated and corrupted exports, mixed
encodings and damaged containers never raise anything else."""

from __future__ import annotations

import io
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpi_xl.errors import KpiXlError
from kpi_xl.ingest import load_channel_data, write_canonical

EXPORTS = Path(__file__).parent / "fixtures" / "exports"
FIXTURES = sorted(p.read_bytes() for p in EXPORTS.rglob("*.csv"))
ENCODINGS = ["utf-8", "utf-16-le", "utf-16", "cp1252", "latin-1", "utf-8-sig"]
SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        yield Path(tmp)


def only_kpixl_errors(folder: Path, data: bytes, name: str = "input.csv") -> None:
    path = folder / name
    path.write_bytes(data)
    try:
        frame = load_channel_data(path)
    except KpiXlError as exc:
        assert str(exc)
        assert "\n" not in str(exc)
    else:
        assert list(frame.columns[:7]) == [
            "date_from", "date_to", "channel", "source", "campaign", "segment", "currency"
        ]  # fmt: skip


@SETTINGS
@given(data=st.binary(max_size=600))
def test_random_bytes(folder: Path, data: bytes) -> None:
    only_kpixl_errors(folder, data)


@SETTINGS
@given(
    text=st.text(
        alphabet=st.sampled_from(list('abcDay,;\t"\n\r#%-.0123456789 €:/Total\u00a0')),
        max_size=400,
    )
)
def test_random_delimited_text(folder: Path, text: str) -> None:
    header = "Day,Campaign,Clicks,Impr.,Cost\n"
    only_kpixl_errors(folder, (header + text).encode("utf-8"))


@SETTINGS
@given(fixture=st.sampled_from(FIXTURES), cut=st.floats(0, 1))
def test_truncated_exports(folder: Path, fixture: bytes, cut: float) -> None:
    only_kpixl_errors(folder, fixture[: int(len(fixture) * cut)])


@SETTINGS
@given(
    fixture=st.sampled_from(FIXTURES),
    edits=st.lists(st.tuples(st.floats(0, 1), st.binary(max_size=4)), min_size=1, max_size=6),
)
def test_corrupted_exports(folder: Path, fixture: bytes, edits: list[tuple[float, bytes]]) -> None:
    data = bytearray(fixture)
    for where, insert in edits:
        at = int(len(data) * where)
        data[at : at + len(insert)] = insert
    only_kpixl_errors(folder, bytes(data))


@SETTINGS
@given(
    fixture=st.sampled_from(FIXTURES),
    cut=st.floats(0, 1),
    first=st.sampled_from(ENCODINGS),
    second=st.sampled_from(ENCODINGS),
)
def test_mixed_encodings(folder: Path, fixture: bytes, cut: float, first: str, second: str) -> None:
    for codec in ("utf-8-sig", "utf-16", "cp1252"):
        try:
            text = fixture.decode(codec)
            break
        except UnicodeDecodeError:
            continue
    at = int(len(text) * cut)
    data = text[:at].encode(first, "replace") + text[at:].encode(second, "replace")
    only_kpixl_errors(folder, data)


def containers() -> list[bytes]:
    frame = load_channel_data(EXPORTS / "google_ads_campaigns.csv", EXPORTS / "meta_ads_daily.csv")
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("t.xlsx", "t.parquet", "t.csv.gz"):
            path = Path(tmp) / name
            write_canonical(frame, path)
            out.append(path.read_bytes())
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for member in (EXPORTS / "search_console").glob("*.csv"):
            archive.write(member, member.name)
    out.append(buffer.getvalue())
    return out


CONTAINERS = containers()


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    container=st.sampled_from(CONTAINERS),
    cut=st.floats(0, 1),
    flips=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), max_size=8),
)
def test_damaged_containers(
    folder: Path, container: bytes, cut: float, flips: list[tuple[float, int]]
) -> None:
    data = bytearray(container[: max(4, int(len(container) * cut))])
    for where, value in flips:
        data[min(len(data) - 1, int(len(data) * where))] = value
    only_kpixl_errors(folder, bytes(data), "input.bin")
