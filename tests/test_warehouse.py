"""Warehouse sources (kpi_xl.warehouse) on real engines, not mocks.

* A canonical table of generated rows in DuckDB (a file), PostgreSQL (a real server: the
  one ``KPI_XL_TEST_POSTGRES_URL`` names, else a throwaway one started here with
  ``.ci/warehouse_servers``) and Spark (local mode through ibis's PySpark backend): each
  engine's aggregation equals totals computed here in plain Python from the rows, and the
  three plans built from them hold identical Plan data.
* A GA4 BigQuery export (``events_YYYYMMDD`` tables with nested ``event_params`` and
  traffic-source structs) of generated events in DuckDB and Spark: daily sessions, engaged
  sessions, users, key events and revenue per default channel group equal totals computed
  here in plain Python from the events; the channel group the engine computes equals the
  pandas rules of kpi_xl.ingest.channel_rules.
* BigQuery and Snowflake: the SQL ibis compiles for both queries, against golden files
  (tests/fixtures/warehouse/; ``KPI_XL_REGENERATE_WAREHOUSE_SQL=1`` rewrites them).
* What an engine refuses is one line with its reason.

PostgreSQL and Spark tests skip when the server or Java is missing, unless
``KPI_XL_REQUIRE_WAREHOUSE=1`` (CI), where they fail.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import random
import shutil
import subprocess
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

from kpi_xl.catalog.records import measures
from kpi_xl.errors import KpiXlError
from kpi_xl.ingest.channel_rules import CHANNEL_GROUPS, channel_group
from kpi_xl.pipeline import build_plan

ibis = pytest.importorskip("ibis")
duckdb = pytest.importorskip("duckdb")

from kpi_xl.warehouse import load_warehouse, parse_url, public_url  # noqa: E402
from kpi_xl.warehouse.canonical_table import canonical_query  # noqa: E402
from kpi_xl.warehouse.ga4_export import channel_group_expr, ga4_query  # noqa: E402

# ibis 12 still calls DuckDB's deprecated fetch_arrow_table() when it reads a schema, and
# pandas 3's deprecated future.infer_string option when it makes a DataFrame (the tests' own
# ibis calls; kpi_xl.warehouse silences both where it calls ibis)
pytestmark = [
    pytest.mark.filterwarnings("ignore:fetch_arrow_table:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The 'future.infer_string' option:DeprecationWarning"),
]

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).parent / "fixtures" / "warehouse"
SERVERS = ROOT / ".ci" / "warehouse_servers"
REQUIRE = os.environ.get("KPI_XL_REQUIRE_WAREHOUSE") == "1"
REGENERATE = os.environ.get("KPI_XL_REGENERATE_WAREHOUSE_SQL") == "1"

START, END = dt.date(2025, 1, 1), dt.date(2025, 3, 31)
TABLE = "kpi_daily"


def unavailable(reason: str) -> None:
    """Skip, or fail where the warehouse engines are required (CI)."""
    if REQUIRE:
        pytest.fail(f"{reason} (KPI_XL_REQUIRE_WAREHOUSE=1)")
    pytest.skip(reason)


# -- the canonical table: generated rows and their totals in plain Python ----------------------

SITE = ("sessions", "engaged_sessions", "key_events", "revenue")
PLATFORM = ("cost", "impressions", "clicks", "conversions")
TEXT_COLUMNS = ("channel", "source", "campaign", "segment", "currency")
COLUMNS = ("date", *TEXT_COLUMNS, *SITE, "users", *PLATFORM, "loaded_at")


def canonical_rows() -> list[dict[str, Any]]:
    """Rows of a canonical table: GA4 rows (site measures, users on the unsplit row only)
    per day and channel, ad platform rows per campaign, a few rows outside the range and a
    few with an upper-case channel; money in multiples of 1/4 (exact in binary)."""
    rng = random.Random(20250101)
    rows: list[dict[str, Any]] = []
    days = [START + dt.timedelta(days=i) for i in range((END - START).days + 1)]
    days = [START - dt.timedelta(days=1), *days, END + dt.timedelta(days=1)]
    for day in days:
        for channel in ("seo", "paid_search", "paid_social", "email", "direct"):
            sessions = rng.randint(50, 400)
            engaged = rng.randint(0, sessions)
            rows.append(
                {
                    "date": day,
                    "channel": channel.upper() if day.day == 7 and channel == "seo" else channel,
                    "source": "ga4",
                    "campaign": "",
                    "segment": "",
                    "currency": "EUR",
                    "sessions": float(sessions),
                    "engaged_sessions": float(engaged),
                    "key_events": float(rng.randint(0, engaged // 10)),
                    "revenue": rng.randint(0, 40000) / 4,
                    "users": float(rng.randint(sessions // 2, sessions)),
                }
            )
            if channel == "email" and day.day % 10 == 3:  # a campaign row: no users
                rows.append(
                    {
                        "date": day,
                        "channel": channel,
                        "source": "ga4",
                        "campaign": "newsletter",
                        "segment": "",
                        "currency": "EUR",
                        "sessions": float(rng.randint(1, 30)),
                        "users": None,
                    }
                )
        for channel, platform in (("paid_search", "google_ads"), ("paid_social", "meta_ads")):
            for campaign in ("brand", "prospecting"):
                clicks = rng.randint(10, 300)
                rows.append(
                    {
                        "date": day,
                        "channel": channel,
                        "source": platform,
                        "campaign": campaign,
                        "segment": "",
                        "currency": "EUR",
                        "cost": rng.randint(100, 20000) / 4,
                        "impressions": float(clicks * rng.randint(10, 60)),
                        "clicks": float(clicks),
                        "conversions": float(rng.randint(0, clicks // 20)),
                    }
                )
    for row in rows:
        for column in COLUMNS:
            row.setdefault(column, None)
        row["loaded_at"] = dt.datetime(2025, 4, 2, 6, 0)
    return rows


Key = tuple[dt.date, str, str, str]


def canonical_totals(rows: list[dict[str, Any]]) -> dict[Key, dict[str, float]]:
    """The expected result: rows inside START..END summed per day, channel, source and
    currency; users (distinct people) only from the unsplit row; NaN when nothing reports."""
    totals: dict[Key, dict[str, float]] = defaultdict(dict)
    for row in rows:
        if not START <= row["date"] <= END:
            continue
        key = (row["date"], row["channel"].lower(), row["source"], row["currency"])
        sums = totals[key]
        for m in (*SITE, *PLATFORM):
            if row[m] is not None:
                sums[m] = sums.get(m, 0.0) + row[m]
        if row["users"] is not None and not row["campaign"] and not row["segment"]:
            sums["users"] = row["users"]
    return totals


def assert_canonical(frame: pd.DataFrame, rows: list[dict[str, Any]]) -> None:
    expected = canonical_totals(rows)
    assert list(frame.columns[:7]) == [
        "date_from", "date_to", "channel", "source", "campaign", "segment", "currency",
    ]  # fmt: skip
    assert sorted(frame.columns[7:]) == sorted((*SITE, "users", *PLATFORM))
    assert (frame["date_from"] == frame["date_to"]).all()
    assert (frame["campaign"] == "").all() and (frame["segment"] == "").all()
    got: dict[Key, dict[str, float]] = {}
    for record in frame.to_dict("records"):
        key = (record["date_from"].date(), record["channel"], record["source"], record["currency"])
        assert key not in got, f"{key} twice"
        got[key] = {m: record[m] for m in (*SITE, "users", *PLATFORM)}
    assert got.keys() == expected.keys()
    for key, values in got.items():
        for m, value in values.items():
            want = expected[key].get(m, math.nan)
            assert value == want or (math.isnan(value) and math.isnan(want)), (key, m, value, want)


@pytest.fixture(scope="module")
def rows() -> list[dict[str, Any]]:
    return canonical_rows()


def canonical_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    for m in (*SITE, "users", *PLATFORM):
        frame[m] = frame[m].astype("float64")
    return frame


CANONICAL_DDL = """
CREATE TABLE {name} (
    date DATE NOT NULL, channel VARCHAR NOT NULL, source VARCHAR, campaign VARCHAR,
    segment VARCHAR, currency VARCHAR(3), sessions DOUBLE PRECISION,
    engaged_sessions DOUBLE PRECISION, key_events DOUBLE PRECISION, revenue NUMERIC(14, 2),
    users DOUBLE PRECISION, cost NUMERIC(14, 2), impressions BIGINT, clicks INTEGER,
    conversions DOUBLE PRECISION, loaded_at TIMESTAMP
)
"""


def _values(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row[c] for c in COLUMNS)


# -- DuckDB ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def duckdb_path(tmp_path_factory: pytest.TempPathFactory, rows: list[dict[str, Any]]) -> Path:
    """A DuckDB file holding the canonical table and the GA4 export tables."""
    path = tmp_path_factory.mktemp("duckdb") / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    con.execute(CANONICAL_DDL.format(name=TABLE))
    con.executemany(
        f"INSERT INTO {TABLE} VALUES ({', '.join('?' * len(COLUMNS))})", [_values(r) for r in rows]
    )
    for name, events in ga4_arrow_tables().items():
        con.register("arrow_events", events)
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM arrow_events")
        con.unregister("arrow_events")
    con.close()
    return path


@pytest.fixture(scope="module")
def duckdb_frame(duckdb_path: Path) -> pd.DataFrame:
    return load_warehouse(f"duckdb://{duckdb_path}?table={TABLE}", start=START, end=END)


def test_duckdb_canonical_totals(duckdb_frame: pd.DataFrame, rows: list[dict[str, Any]]) -> None:
    assert_canonical(duckdb_frame, rows)


def test_progress_tells_elapsed_time_and_rows(duckdb_path: Path) -> None:
    said: list[str] = []
    frame = load_warehouse(
        f"duckdb://{duckdb_path}?table={TABLE}", start="2025-02-01", end="2025-02-28",
        progress=said.append,
    )  # fmt: skip
    assert said[0].startswith(f"connecting to duckdb://{duckdb_path}")
    assert said[1] == "not read (neither a dimension nor a measure): loaded_at" + said[1][-8:]
    assert said[-1].startswith(f"{len(frame)} rows from duckdb://")
    assert all(s.endswith(" s)") for s in said)
    assert frame["date_from"].min() == pd.Timestamp("2025-02-01")
    assert frame["date_to"].max() == pd.Timestamp("2025-02-28")


# -- PostgreSQL --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """The test server's URL: KPI_XL_TEST_POSTGRES_URL, else a throwaway server started with
    .ci/warehouse_servers (as the `postgres` user or `nobody`: initdb refuses root)."""
    pytest.importorskip("psycopg")
    given = os.environ.get("KPI_XL_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    if shutil.which("bash") is None:
        unavailable("no bash to start PostgreSQL")
    started = subprocess.run(
        ["bash", str(SERVERS), "start"], capture_output=True, text=True, check=False
    )
    if started.returncode != 0:
        unavailable(f"no PostgreSQL server: {started.stderr.strip().splitlines()[-1:]}")
    exports = dict(
        line.removeprefix("export ").split("=", 1)
        for line in started.stdout.splitlines()
        if line.startswith("export ")
    )
    exports = {k: v.strip("'") for k, v in exports.items()}
    saved = os.environ.get("PGPASSFILE")
    os.environ["PGPASSFILE"] = exports["PGPASSFILE"]  # libpq reads the password there
    try:
        yield exports["KPI_XL_TEST_POSTGRES_URL"]
    finally:
        if saved is None:
            os.environ.pop("PGPASSFILE", None)
        else:
            os.environ["PGPASSFILE"] = saved
        subprocess.run(
            ["bash", str(SERVERS), "stop", exports["KPI_XL_TEST_POSTGRES_DIR"]], check=False
        )


@pytest.fixture(scope="module")
def postgres_table(postgres_url: str, rows: list[dict[str, Any]]) -> str:
    import psycopg

    with psycopg.connect(postgres_url) as con:
        con.execute(f"DROP TABLE IF EXISTS {TABLE}")
        con.execute("DROP SCHEMA IF EXISTS reporting CASCADE")
        con.execute(CANONICAL_DDL.format(name=TABLE))
        with con.cursor() as cur:
            cur.executemany(
                f"INSERT INTO {TABLE} VALUES ({', '.join(['%s'] * len(COLUMNS))})",
                [_values(r) for r in rows],
            )
        con.execute("CREATE SCHEMA reporting")
        con.execute(f"CREATE VIEW reporting.kpi AS SELECT * FROM {TABLE}")
    return postgres_url


@pytest.fixture(scope="module")
def postgres_frame(postgres_table: str) -> pd.DataFrame:
    return load_warehouse(f"{postgres_table}?table={TABLE}", start=START, end=END)


def test_postgres_canonical_totals(
    postgres_frame: pd.DataFrame, rows: list[dict[str, Any]]
) -> None:
    assert_canonical(postgres_frame, rows)


def test_postgres_table_in_another_schema(
    postgres_table: str, postgres_frame: pd.DataFrame
) -> None:
    frame = load_warehouse(f"{postgres_table}?table=reporting.kpi", start=START, end=END)
    pd.testing.assert_frame_equal(frame, postgres_frame)


def test_postgres_bad_credentials_give_the_servers_reason(
    postgres_table: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PGPASSWORD", "wrong")  # libpq's own mechanism, before PGPASSFILE
    with pytest.raises(KpiXlError) as err:
        load_warehouse(f"{postgres_table}?table={TABLE}")
    text = str(err.value)
    assert "\n" not in text
    assert text.startswith(public_url(postgres_table))
    assert "postgres refused the connection:" in text
    assert 'password authentication failed for user "kpi_xl"' in text


def test_postgres_unreachable_host(postgres_table: str) -> None:
    parts = parse_url(f"{postgres_table}?table={TABLE}")
    closed = f"postgresql://{parts.user}@127.0.0.1:1{parts.path}?table={TABLE}&connect_timeout=3"
    with pytest.raises(
        KpiXlError, match=r"postgres refused the connection: .*127\.0\.0\.1.*port 1"
    ):
        load_warehouse(closed)


def test_postgres_missing_table(postgres_table: str) -> None:
    with pytest.raises(KpiXlError, match=r"reading the table 'no_such_table'.*not found"):
        load_warehouse(f"{postgres_table}?table=no_such_table")


# -- Spark -------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One local SparkSession for the whole run: one core, no UI, one shuffle partition,
    bound to the loopback address."""
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        unavailable("no Java for Spark")
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        unavailable("pyspark is not installed")
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    session = (
        SparkSession.builder.master("local[1]")
        .appName("kpi_xl tests")
        .config("spark.ui.enabled", "false")
        # its metastore folder in a temporary folder, not ./spark-warehouse
        .config("spark.sql.warehouse.dir", str(tmp_path_factory.mktemp("spark-warehouse")))
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.default.parallelism", "1")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.ansi.enabled", "true")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    try:
        yield session
    finally:
        session.stop()
        # close py4j's sockets and the JVM now, not at some later test's garbage collection
        from pyspark import SparkContext

        gateway = SparkContext._gateway
        if gateway is not None:
            gateway.shutdown()
            gateway.proc.stdin.close()
            gateway.proc.wait(timeout=30)
            SparkContext._gateway = None
            SparkContext._jvm = None


SPARK_CANONICAL = (
    "date DATE, channel STRING, source STRING, campaign STRING, segment STRING, currency STRING, "
    "sessions DOUBLE, engaged_sessions DOUBLE, key_events DOUBLE, revenue DECIMAL(14,2), "
    "users DOUBLE, cost DECIMAL(14,2), impressions BIGINT, clicks INT, conversions DOUBLE, "
    "loaded_at TIMESTAMP"
)


@pytest.fixture(scope="module")
def spark_tables(spark: Any, rows: list[dict[str, Any]]) -> Any:
    """The canonical table and the GA4 export tables as temporary views."""
    from decimal import Decimal

    def row(r: dict[str, Any]) -> tuple[Any, ...]:
        values = dict(r)
        for m in ("revenue", "cost"):
            values[m] = None if r[m] is None else Decimal(str(r[m]))
        for m in ("impressions", "clicks"):
            values[m] = None if r[m] is None else int(r[m])
        return _values(values)

    spark.createDataFrame([row(r) for r in rows], SPARK_CANONICAL).createOrReplaceTempView(TABLE)
    from ibis.backends.pyspark.datatypes import PySparkSchema

    schema = PySparkSchema.from_ibis(GA4_SCHEMA)
    for name, events in ga4_events_by_table().items():
        spark.createDataFrame([ga4_row(e) for e in events], schema).createOrReplaceTempView(name)
    return spark


@pytest.fixture(scope="module")
def spark_frame(spark_tables: Any) -> pd.DataFrame:
    return load_warehouse(f"pyspark://local?table={TABLE}", start=START, end=END)


def test_spark_canonical_totals(spark_frame: pd.DataFrame, rows: list[dict[str, Any]]) -> None:
    assert_canonical(spark_frame, rows)


def test_spark_missing_table(spark_tables: Any) -> None:
    with pytest.raises(KpiXlError) as err:
        load_warehouse("pyspark://local?table=no_such_table")
    assert "\n" not in str(err.value)
    assert "pyspark refused reading the table 'no_such_table'" in str(err.value)


# -- the same plan from every engine -----------------------------------------------------------


def plan_data(path: Path) -> list[tuple[Any, ...]]:
    book = openpyxl.load_workbook(path, data_only=True)
    try:
        return [tuple(r) for r in book["Plan data"].iter_rows(values_only=True)]
    finally:
        book.close()


def test_plans_from_duckdb_postgres_and_spark_are_identical(
    tmp_path: Path,
    duckdb_frame: pd.DataFrame,
    postgres_frame: pd.DataFrame,
    spark_frame: pd.DataFrame,
) -> None:
    pd.testing.assert_frame_equal(postgres_frame, duckdb_frame)
    pd.testing.assert_frame_equal(spark_frame, duckdb_frame)
    data = {}
    for engine, frame in (
        ("duckdb", duckdb_frame), ("postgres", postgres_frame), ("spark", spark_frame)
    ):  # fmt: skip
        data[engine] = plan_data(build_plan(frame, tmp_path / f"plan_{engine}.xlsx"))
    assert data["duckdb"] == data["postgres"] == data["spark"]
    numbers = [v for r in data["duckdb"] for v in r if isinstance(v, int | float) and v]
    assert len(numbers) > 100  # the plan holds the data, not an empty sheet


# -- GA4 BigQuery export: generated events and their daily totals in plain Python -------------

PARAM_VALUE = (
    "struct<string_value: string, int_value: int64, float_value: float64, double_value: float64>"
)
GA4_SCHEMA = ibis.schema(
    {
        "event_date": "string",
        "event_timestamp": "int64",
        "event_name": "string",
        "user_pseudo_id": "string",
        "event_params": f"array<struct<key: string, value: {PARAM_VALUE}>>",
        "traffic_source": "struct<name: string, medium: string, source: string>",
        "collected_traffic_source": (
            "struct<manual_campaign_id: string, manual_campaign_name: string, "
            "manual_source: string, manual_medium: string, manual_term: string, "
            "manual_content: string, gclid: string, dclid: string, srsltid: string>"
        ),
        "session_traffic_source_last_click": (
            "struct<manual_campaign: struct<campaign_id: string, campaign_name: string, "
            "source: string, medium: string, term: string, content: string>, "
            "google_ads_campaign: struct<customer_id: string, account_name: string, "
            "campaign_id: string, campaign_name: string>>"
        ),
        "ecommerce": (
            "struct<total_item_quantity: int64, purchase_revenue_in_usd: float64, "
            "purchase_revenue: float64, transaction_id: string>"
        ),
    }
)

Triple = tuple[str | None, str | None, str | None]


@dataclass(frozen=True)
class Traffic:
    """How a session arrived, as the export records it, and the channel group GA4 gives."""

    group: str
    last_click: Triple | None = None  # session_traffic_source_last_click.manual_campaign
    ads_campaign: str | None = None  # ... .google_ads_campaign.campaign_name
    collected: Triple | None = None  # collected_traffic_source, on the first event
    gclid: bool = False
    params: Triple | None = None  # source/medium/campaign event parameters
    later: Triple | None = None  # another collected source on a later event (ignored)


TRAFFIC = (
    Traffic("Paid Search", last_click=("google", "cpc", "spring")),
    Traffic("Paid Social", last_click=("Facebook", "Paid", "retarget")),
    Traffic("Email", collected=("newsletter", "email", "may")),
    Traffic("Paid Search", gclid=True),
    Traffic("Paid Search", ads_campaign="Brand"),
    Traffic("Organic Search", params=("bing", "organic", None)),
    Traffic("Direct"),
    Traffic("Organic Video", collected=("youtube.com", "referral", None)),
    Traffic("Referral", collected=("example.com", "referral", None)),
    Traffic("Affiliates", last_click=("partner", "affiliate", None)),
    Traffic("Display", collected=("news-site", "display", None)),
    Traffic("Unassigned", collected=("foo", "bar", None)),
    Traffic("Cross-network", last_click=("google", "cpc", "Cross-network PMax")),
    Traffic("Organic Social", collected=("t.co", None, None)),
    Traffic("Paid Search", last_click=("google", "cpc", "x"), collected=("foo", "bar", None)),
    Traffic(
        "Organic Search", collected=(" Bing ", "organic", None), later=("a.com", "referral", None)
    ),
    Traffic("Organic Shopping", collected=("shopping.google.com", "referral", None)),
    Traffic("Paid Other", collected=("network", "ppc", None)),
)  # fmt: skip
GA4_DAYS = (dt.date(2025, 3, 1), dt.date(2025, 3, 2), dt.date(2025, 3, 3))
KEYS = ("purchase", "generate_lead")


@dataclass
class Event:
    day: dt.date
    timestamp: int  # microseconds
    name: str
    user: str
    session_id: int | None
    traffic: Traffic
    first: bool  # the session's first event (carries the collected source)
    engaged: bool = False
    engagement_msec: int | None = None
    revenue: float | None = None
    intraday: bool = False
    params: dict[str, Any] = field(default_factory=dict)


def ga4_events() -> list[Event]:
    """Sessions over three days: users returning, sessions engaged or not, purchases with
    revenue in quarters, a session across midnight, an event without a session."""
    rng = random.Random(4)
    events: list[Event] = []
    users = [f"{rng.randint(10**8, 10**9)}.{1700000000 + i}" for i in range(25)]
    seen: set[str] = set()
    session_id = 1740000000
    for day in GA4_DAYS:
        midnight = int(dt.datetime(day.year, day.month, day.day).timestamp()) * 10**6
        for _ in range(45):
            user = rng.choice(users)
            session_id += rng.randint(1, 500)
            traffic = rng.choice(TRAFFIC)
            clock = midnight + rng.randint(0, 20 * 3600) * 10**6
            names = ["session_start", "page_view"]
            if user not in seen:
                names.insert(0, "first_visit")
                seen.add(user)
            names += ["page_view"] * rng.randint(0, 3)
            engaged = rng.random() < 0.6
            if engaged:
                names.append("user_engagement")
            if rng.random() < 0.3:
                names.append("purchase")
            if rng.random() < 0.15:
                names.append("generate_lead")
            for i, name in enumerate(names):
                clock += rng.randint(1, 90) * 10**6
                events.append(
                    Event(
                        day, clock, name, user, session_id, traffic, first=i == 0,
                        engaged=engaged and name == "user_engagement",
                        engagement_msec=(
                            rng.randint(1, 60000) if name == "user_engagement" else None
                        ),
                        revenue=rng.randint(400, 40000) / 4 if name == "purchase" else None,
                    )
                )  # fmt: skip
    # a session across midnight: engaged on its second day only, counted on both days
    late = int(dt.datetime(2025, 3, 1, 23, 59).timestamp()) * 10**6
    mail = TRAFFIC[2]
    events.append(Event(GA4_DAYS[0], late, "session_start", users[0], 99, mail, first=True))
    events.append(Event(GA4_DAYS[0], late + 10**6, "page_view", users[0], 99, mail, first=False))
    events.append(
        Event(GA4_DAYS[1], late + 120 * 10**6, "user_engagement", users[0], 99, mail,
              first=False, engaged=True, engagement_msec=5000)
    )  # fmt: skip
    # a Measurement Protocol purchase without a session: revenue and users, not a session
    events.append(
        Event(GA4_DAYS[2], late + 2 * 86400 * 10**6, "purchase", "mp.1", None,
              Traffic("Email", collected=("newsletter", "email", None)), first=True,
              revenue=99.75)
    )  # fmt: skip
    return events


def ga4_tables_of(events: list[Event]) -> dict[str, list[Event]]:
    """The day's table of each event: the last day is still an intraday table."""
    tables: dict[str, list[Event]] = defaultdict(list)
    for e in events:
        prefix = "events_intraday_" if e.day == GA4_DAYS[-1] else "events_"
        tables[f"{prefix}{e.day:%Y%m%d}"].append(e)
    return dict(tables)


def ga4_events_by_table() -> dict[str, list[Event]]:
    return ga4_tables_of(ga4_events())


def _param(key: str, string: str | None = None, integer: int | None = None) -> dict[str, Any]:
    value = {
        "string_value": string,
        "int_value": integer,
        "float_value": None,
        "double_value": None,
    }
    return {"key": key, "value": value}


def ga4_row(e: Event) -> dict[str, Any]:
    """The event as the export writes it."""
    t = e.traffic
    params = [_param("page_location", "https://shop.example/")]
    if e.session_id is not None:
        params.append(_param("ga_session_id", integer=e.session_id))
    if e.engaged:
        params.append(_param("session_engaged", "1"))
    if e.engagement_msec is not None:
        params.append(_param("engagement_time_msec", integer=e.engagement_msec))
    if t.params and e.first:
        for key, value in zip(("source", "medium", "campaign"), t.params, strict=True):
            if value is not None:
                params.append(_param(key, value))
    collected = t.collected if e.first else (t.later if e.name == "page_view" else None)
    last_click = None
    if t.last_click or t.ads_campaign:
        source, medium, campaign = t.last_click or (None, None, None)
        last_click = {
            "manual_campaign": {
                "campaign_id": None, "campaign_name": campaign, "source": source,
                "medium": medium, "term": None, "content": None,
            },
            "google_ads_campaign": None if not t.ads_campaign else {
                "customer_id": "123", "account_name": "Shop", "campaign_id": "9",
                "campaign_name": t.ads_campaign,
            },
        }  # fmt: skip
    return {
        "event_date": f"{e.day:%Y%m%d}",
        "event_timestamp": e.timestamp,
        "event_name": e.name,
        "user_pseudo_id": e.user,
        "event_params": params,
        # the user's first source, the same on every event: must not decide the session
        "traffic_source": {"name": "(organic)", "medium": "organic", "source": "google"},
        "collected_traffic_source": None if not (collected or (t.gclid and e.first)) else {
            "manual_campaign_id": None,
            "manual_campaign_name": collected[2] if collected else None,
            "manual_source": collected[0] if collected else None,
            "manual_medium": collected[1] if collected else None,
            "manual_term": None, "manual_content": None,
            "gclid": "Cj0KCQ" if t.gclid else None, "dclid": None, "srsltid": None,
        },
        "session_traffic_source_last_click": last_click,
        "ecommerce": None if e.revenue is None else {
            "total_item_quantity": 1, "purchase_revenue_in_usd": e.revenue * 2,
            "purchase_revenue": e.revenue, "transaction_id": f"T{e.timestamp}",
        },
    }  # fmt: skip


def ga4_arrow_tables() -> dict[str, Any]:
    arrow = GA4_SCHEMA.to_pyarrow()
    import pyarrow as pa

    return {
        name: pa.Table.from_pylist([ga4_row(e) for e in events], schema=arrow)
        for name, events in ga4_events_by_table().items()
    }


GA4_MEASURES = (
    "sessions", "engaged_sessions", "users", "new_users", "key_events", "key_event_sessions",
    "engagement_time_s", "revenue",
)  # fmt: skip


def ga4_totals(
    events: list[Event], key_events: tuple[str, ...] = ("purchase",)
) -> dict[tuple[dt.date, str], dict[str, float]]:
    """Per day and channel group, in plain Python: a session's group is its traffic's; a
    session is engaged when any of its events (any day) says so."""
    engaged = {(e.user, e.session_id) for e in events if e.engaged and e.session_id is not None}
    sets: dict[tuple[dt.date, str], dict[str, set[Any]]] = defaultdict(lambda: defaultdict(set))
    sums: dict[tuple[dt.date, str], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for e in events:
        key = (e.day, e.traffic.group)
        session = (e.user, e.session_id) if e.session_id is not None else None
        if session:
            sets[key]["sessions"].add(session)
            if session in engaged:
                sets[key]["engaged_sessions"].add(session)
        sets[key]["users"].add(e.user)
        if e.name in ("first_visit", "first_open"):
            sets[key]["new_users"].add(e.user)
        if e.name in key_events:
            sums[key]["key_events"] += 1
            if session:
                sets[key]["key_event_sessions"].add(session)
        sums[key]["engagement_time_s"] += (e.engagement_msec or 0) / 1000
        sums[key]["revenue"] += e.revenue or 0.0
    out = {}
    for key in sets.keys() | sums.keys():
        out[key] = {m: float(len(sets[key][m])) for m in GA4_MEASURES if m not in sums[key]}
        out[key].update(sums[key])
        out[key].setdefault("key_events", 0.0)
    return out


def assert_ga4(frame: pd.DataFrame, key_events: tuple[str, ...] = ("purchase",)) -> None:
    events = ga4_events()
    expected = ga4_totals(events, key_events)
    assert (frame["source"] == "ga4").all() and (frame["date_from"] == frame["date_to"]).all()
    got = {}
    for record in frame.to_dict("records"):
        key = (record["date_from"].date(), record["segment"])
        assert record["channel"] == CHANNEL_GROUPS[record["segment"].lower()]
        got[key] = {m: record[m] for m in GA4_MEASURES}
    assert sorted(got) == sorted(expected)
    for key, values in got.items():
        for m, value in values.items():
            want = expected[key][m]
            if m == "engagement_time_s":  # milliseconds / 1000: compare to the millisecond
                assert round(value, 3) == round(want, 3), (key, m, value, want)
            else:
                assert value == want, (key, m, value, want)
    # every traffic kind is there, and the test's own channel groups agree with the rules
    assert {t.group for t in TRAFFIC} <= set(frame["segment"])


def test_the_generated_traffic_groups_follow_the_pandas_rules() -> None:
    """The hand-written groups of TRAFFIC are what kpi_xl's pandas rules give."""
    for t in TRAFFIC:
        source, medium, campaign = t.last_click or t.collected or t.params or (None, None, None)
        if t.ads_campaign or t.gclid:
            source, medium, campaign = "google", "cpc", t.ads_campaign
        if source is None:
            source, medium = "(direct)", "(none)"
        elif medium is None:
            medium = "(not set)"
        got = channel_group(pd.Series([source]), pd.Series([medium]), pd.Series([campaign]))
        assert got.iloc[0] == t.group, t


def test_duckdb_ga4_export_daily_totals(duckdb_path: Path) -> None:
    said: list[str] = []
    frame = load_warehouse(
        f"duckdb://{duckdb_path}?schema=ga4", start=GA4_DAYS[0], end=GA4_DAYS[-1],
        progress=said.append,
    )  # fmt: skip
    assert_ga4(frame)
    assert any(
        "3 GA4 export tables (events_20250301 to events_intraday_20250303)" in s for s in said
    )


def test_duckdb_ga4_key_events_from_the_url(duckdb_path: Path) -> None:
    frame = load_warehouse(f"duckdb://{duckdb_path}?schema=ga4&key_events=purchase,generate_lead")
    assert_ga4(frame, KEYS)


def test_duckdb_ga4_one_day(duckdb_path: Path) -> None:
    """The second day alone: the same figures as in the three days' result (the session
    across midnight takes its e-mail source from the first day's events)."""
    frame = load_warehouse(
        f"duckdb://{duckdb_path}?schema=ga4", start="2025-03-02", end="2025-03-02"
    )
    assert set(frame["date_from"]) == {pd.Timestamp("2025-03-02")}
    expected = ga4_totals(ga4_events())
    got = {r["segment"]: r for r in frame.to_dict("records")}
    assert got.keys() == {group for day, group in expected if day == GA4_DAYS[1]}
    for group, record in got.items():
        for m in ("sessions", "engaged_sessions", "users", "key_events", "revenue"):
            assert record[m] == expected[(GA4_DAYS[1], group)][m], (group, m)


def test_duckdb_ga4_one_table_and_usd_revenue(duckdb_path: Path, tmp_path: Path) -> None:
    """A table holding the whole export (a view over events_*) reads the same; revenue=usd
    takes purchase_revenue_in_usd (twice the local revenue in these events) as USD."""
    daily = load_warehouse(f"duckdb://{duckdb_path}?schema=ga4&currency=eur")
    assert (daily["currency"] == "EUR").all()
    copy = tmp_path / "one_table.duckdb"
    shutil.copy(duckdb_path, copy)
    con = duckdb.connect(str(copy))
    tables = con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    names = [r[0] for r in tables]
    union = " UNION ALL ".join(f"SELECT * FROM {n}" for n in names if n.startswith("events_"))
    con.execute(f"CREATE VIEW all_events AS {union}")
    con.close()
    one = load_warehouse(f"duckdb://{copy}?schema=ga4&table=all_events&revenue=usd")
    assert (one["currency"] == "USD").all()
    assert one["revenue"].tolist() == (daily["revenue"] * 2).tolist()
    columns = ["date_from", "channel", "segment", "sessions", "users", "key_events"]
    pd.testing.assert_frame_equal(one[columns], daily[columns])


def test_spark_ga4_export_daily_totals(spark_tables: Any) -> None:
    assert_ga4(load_warehouse("pyspark://local?schema=ga4", start=GA4_DAYS[0], end=GA4_DAYS[-1]))


def _combinations() -> pd.DataFrame:
    sources = [
        "google",
        "Bing",
        "facebook",
        "t.co",
        "youtube.com",
        "amazon",
        "example.com",
        "(direct)",
        "newsletter",
        "email",
        "sms",
        "firebase",
        "",
        "partner",
        " google ",
    ]
    media = [
        "cpc",
        "ppc",
        "paid",
        "PaidSearch",
        "retargeting",
        "organic",
        "referral",
        "email",
        "display",
        "cpm",
        "social",
        "affiliate",
        "audio",
        "sms",
        "web-push",
        "mobile",
        "video",
        "(none)",
        "(not set)",
        "app",
        "link",
        "",
    ]
    campaigns = ["", "summer_shop", "cross-network", "shopping ads", "brand"]
    rows = [(s, m, c) for s in sources for m in media for c in campaigns]
    return pd.DataFrame(rows, columns=["source", "medium", "campaign"])  # fmt: skip


def _groups_in_engine(table: Any) -> pd.DataFrame:
    expr = table.mutate(group=channel_group_expr(table.source, table.medium, table.campaign))
    frame: pd.DataFrame = expr.execute()
    return frame.sort_values(["source", "medium", "campaign"]).reset_index(drop=True)


def test_channel_group_in_duckdb_equals_the_pandas_rules() -> None:
    combos = _combinations()
    con = ibis.duckdb.connect()
    import pyarrow as pa

    got = _groups_in_engine(con.create_table("combos", pa.Table.from_pandas(combos)))
    expected = channel_group(got["source"], got["medium"], got["campaign"])
    assert got["group"].tolist() == expected.tolist()
    assert got["group"].nunique() >= 15


def test_channel_group_in_spark_equals_the_pandas_rules(spark: Any) -> None:
    import gc
    import warnings

    spark.createDataFrame(_combinations()).createOrReplaceTempView("combos")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)  # PySpark leaves its sockets to gc
        got = _groups_in_engine(ibis.pyspark.connect(spark).table("combos"))
        gc.collect()
    expected = channel_group(got["source"], got["medium"], got["campaign"])
    assert got["group"].tolist() == expected.tolist()


# -- BigQuery and Snowflake: the compiled SQL against golden files -----------------------------


def _canonical_sql(dialect: str) -> str:
    table = ibis.table(
        {"date": "date", "channel": "string", "source": "string", "campaign": "string",
         "segment": "string", "currency": "string", "sessions": "float64", "users": "float64",
         "revenue": "decimal(14, 2)", "cost": "float64", "followers": "int64"},
        name=TABLE,
    )  # fmt: skip
    return str(ibis.to_sql(canonical_query(table, START, END).expr, dialect=dialect))


def _ga4_sql(dialect: str) -> str:
    tables = [ibis.table(GA4_SCHEMA, name=f"events_{d:%Y%m%d}") for d in GA4_DAYS[:2]]
    return str(ibis.to_sql(ga4_query(tables, GA4_DAYS[0], GA4_DAYS[1]), dialect=dialect))


@pytest.mark.parametrize("dialect", ["bigquery", "snowflake"])
@pytest.mark.parametrize("layout", ["canonical", "ga4"])
def test_compiled_sql_matches_the_golden_file(layout: str, dialect: str) -> None:
    sql = (_canonical_sql if layout == "canonical" else _ga4_sql)(dialect).strip() + "\n"
    golden = GOLDEN / f"{layout}.{dialect}.sql"
    if REGENERATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(sql, encoding="utf-8")
    assert golden.exists(), f"no {golden.name}: run with KPI_XL_REGENERATE_WAREHOUSE_SQL=1"
    assert sql == golden.read_text(encoding="utf-8"), (
        f"{golden.name} differs from what ibis compiles now: review, then regenerate with "
        "KPI_XL_REGENERATE_WAREHOUSE_SQL=1"
    )


def test_the_golden_sql_is_one_pushed_down_aggregation() -> None:
    canonical = (GOLDEN / "canonical.bigquery.sql").read_text(encoding="utf-8")
    assert "GROUP BY" in canonical and "SUM(" in canonical
    assert "`t0`.`date` >= DATE(2025, 1, 1)" in canonical or "2025-01-01" in canonical
    ga4 = (GOLDEN / "ga4.bigquery.sql").read_text(encoding="utf-8")
    assert "UNION ALL" in ga4 and "COUNT(DISTINCT" in ga4 and "FIRST_VALUE(" in ga4
    assert "Organic Search" in ga4 and "REGEXP_CONTAINS(" in ga4
    snowflake = (GOLDEN / "ga4.snowflake.sql").read_text(encoding="utf-8")
    assert "FILTER(" in snowflake and "TRANSFORM(" in snowflake  # no UDFs to create


# -- what the engines refuse, in one line ------------------------------------------------------


def one_line(call: Callable[[], object]) -> str:
    with pytest.raises(KpiXlError) as err:
        call()
    text = str(err.value)
    assert "\n" not in text and "Traceback" not in text
    return text


def test_duckdb_missing_table(duckdb_path: Path) -> None:
    text = one_line(lambda: load_warehouse(f"duckdb://{duckdb_path}?table=nope"))
    assert text.startswith(f"duckdb://{duckdb_path}?table=nope: duckdb refused reading the table")
    assert "not found" in text or "does not exist" in text


def test_duckdb_missing_file(tmp_path: Path) -> None:
    text = one_line(lambda: load_warehouse(f"duckdb://{tmp_path}/none.duckdb?table=t"))
    assert "no DuckDB database file" in text


def test_duckdb_bad_column_gives_the_engines_reason(tmp_path: Path) -> None:
    path = tmp_path / "bad.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE t (date VARCHAR, channel VARCHAR, sessions DOUBLE)")
    con.execute("INSERT INTO t VALUES ('2025-01-01', 'seo', 1), ('2025-13-45', 'seo', 2)")
    con.execute("CREATE TABLE words (date DATE, channel VARCHAR, sessions VARCHAR)")
    con.execute("CREATE TABLE nochannel (date DATE, sessions DOUBLE)")
    con.execute("CREATE TABLE oddchannel (date DATE, channel VARCHAR, sessions DOUBLE)")
    con.execute("INSERT INTO oddchannel VALUES ('2025-01-01', 'tv', 1)")
    con.execute("CREATE TABLE events_20250101 (event_date VARCHAR, event_name VARCHAR)")
    con.close()
    url = f"duckdb://{path}"
    text = one_line(lambda: load_warehouse(f"{url}?table=t"))
    assert "duckdb refused the query:" in text and "2025-13-45" in text
    text = one_line(lambda: load_warehouse(f"{url}?table=words"))
    assert "column 'sessions' holds string: expected numbers" in text
    text = one_line(lambda: load_warehouse(f"{url}?table=nochannel"))
    assert "the table has no 'channel' column" in text
    text = one_line(lambda: load_warehouse(f"{url}?table=oddchannel"))
    assert "unknown channel 'tv' in the table" in text
    text = one_line(lambda: load_warehouse(f"{url}?schema=ga4"))
    assert "table 'events_20250101' is not a GA4 export: it has no 'event_timestamp' column" in text
    text = one_line(lambda: load_warehouse(f"{url}?schema=ga4", start="2026-01-01"))
    assert "no GA4 export tables (events_YYYYMMDD) for 2026-01-01 to the last day" in text


def test_a_count_of_people_given_twice_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "twice.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE t (date DATE, channel VARCHAR, source VARCHAR, users DOUBLE)")
    con.execute(
        "INSERT INTO t VALUES ('2025-01-01', 'seo', 'ga4', 5), ('2025-01-01', 'seo', 'ga4', 6)"
    )
    con.close()
    text = one_line(lambda: load_warehouse(f"duckdb://{path}?table=t"))
    assert "2 rows give 'users' for 2025-01-01, channel 'seo', source 'ga4'" in text


def test_a_row_breaking_a_relation_names_the_days_total(tmp_path: Path) -> None:
    path = tmp_path / "relation.duckdb"
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE TABLE t (date DATE, channel VARCHAR, sessions DOUBLE, engaged_sessions DOUBLE)"
    )
    con.execute("INSERT INTO t VALUES ('2025-01-01', 'seo', 5, 2), ('2025-01-02', 'seo', 5, 9)")
    con.close()
    text = one_line(lambda: load_warehouse(f"duckdb://{path}?table=t"))
    assert "(the total of 2025-01-02, channel 'seo', source 'canonical')" in text
    assert "line" not in text


def test_date_ranges_and_timestamps(tmp_path: Path) -> None:
    path = tmp_path / "ranges.duckdb"
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE TABLE t (DATE_FROM TIMESTAMP, DATE_TO TIMESTAMP, CHANNEL VARCHAR, COST DOUBLE, "
        "CAMPAIGN VARCHAR, REACH DOUBLE)"
    )
    con.execute(
        "INSERT INTO t VALUES "
        "('2025-01-01 00:00', '2025-01-31 00:00', 'paid_social', 10, 'a', 100),"
        "('2025-01-01', '2025-01-31', 'paid_social', 5, 'b', 50),"
        "('2025-01-01', '2025-01-31', 'paid_social', NULL, NULL, 120),"
        "('2024-12-15', '2025-01-14', 'paid_social', 7, 'c', 1)"
    )  # fmt: skip
    con.close()
    frame = load_warehouse(f"duckdb://{path}?table=t", start="2025-01-01", end="2025-03-31")
    assert len(frame) == 1  # the range row reaching into December is not inside the range
    row = frame.iloc[0]
    assert (row["date_from"], row["date_to"]) == (
        pd.Timestamp("2025-01-01"),
        pd.Timestamp("2025-01-31"),
    )
    assert (row["cost"], row["reach"]) == (15.0, 120.0)  # reach: the unsplit row, not a sum


def test_passwords_never_travel_in_the_url() -> None:
    for url in (
        "postgres://bob:hunter2@db.example.com:5432/shop?table=kpi",
        "snowflake://bob@acme/DB/PUBLIC?table=KPI&password=hunter2",
        "bigquery://proj/ds?schema=ga4&private_key=hunter2",
    ):
        text = one_line(partial(load_warehouse, url))
        assert "hunter2" not in text
        assert "carries" in text and "docs/warehouse.md" in text
    assert public_url(
        "postgres://bob:secret@db:5432/shop?table=kpi&sslmode=require&password=x"
    ) == ("postgres://bob@db:5432/shop?table=kpi&sslmode=require")
    assert public_url("duckdb:///srv/m.duckdb?table=kpi") == "duckdb:///srv/m.duckdb?table=kpi"
    assert public_url("bigquery://proj/ds?schema=ga4&table=events_*") == (
        "bigquery://proj/ds?schema=ga4&table=events_*"
    )


def test_urls_name_engine_table_and_layout() -> None:
    assert parse_url("duckdb:///srv/m.duckdb?table=kpi").engine == "duckdb"
    pg = parse_url("postgresql://bob@db:5433/shop?table=reporting.kpi&sslmode=require")
    assert (pg.engine, pg.host, pg.port, pg.user, pg.path, pg.table) == (
        "postgres", "db", 5433, "bob", "/shop", "reporting.kpi",
    )  # fmt: skip
    assert pg.parameters == {"sslmode": "require"}
    bq = parse_url("bigquery://proj/analytics_123?schema=ga4&key_events=purchase,sign_up")
    assert (bq.engine, bq.layout, bq.own["key_events"]) == ("bigquery", "ga4", "purchase,sign_up")
    assert parse_url("spark://master:7077?table=t").engine == "pyspark"
    for url, message in (
        ("mysql://db/x?table=t", "unknown warehouse URL"),
        ("duckdb:///x.duckdb", "names no table"),
        ("duckdb:///x.duckdb?schema=ga5", "unknown schema='ga5'"),
    ):
        assert message in one_line(partial(parse_url, url))


def test_engines_not_installed_are_named() -> None:
    from kpi_xl.extras import has

    if has("snowflake.connector"):  # it would try to reach Snowflake: no such traffic here
        pytest.skip("snowflake-connector-python is installed")
    text = one_line(lambda: load_warehouse("snowflake://bob@acme/DB/PUBLIC?table=KPI"))
    assert text == (
        "reading snowflake://bob@acme/DB/PUBLIC?table=KPI needs the snowflake driver "
        "'snowflake.connector': pip install \"ibis-framework[snowflake]\""
    )


def test_non_additive_measures_are_the_catalogs() -> None:
    """users and reach are the catalog's whole (never added) measures the reader keeps apart."""
    wholes = {m for m, r in measures().items() if r.aggregation == "whole"}
    assert {"users", "reach"} <= wholes


def test_build_from_a_warehouse_url_records_it_on_settings(
    duckdb_path: Path, tmp_path: Path
) -> None:
    """``kpi-xl build --source URL``: the plan is built from the engine's rows, and its
    Settings data source is the URL (what the Refresh button reads again)."""
    import openpyxl

    from kpi_xl.cli import main
    from kpi_xl.plan.planfile import read_meta

    url = f"duckdb://{duckdb_path}?table={TABLE}"
    out = tmp_path / "plan.xlsx"
    assert main(["build", "--source", url, "-o", str(out), "-q", "--year", str(START.year)]) == 0
    wb = openpyxl.load_workbook(out)
    cell = read_meta(wb, out).layout.settings.cells["data_source"]
    assert wb[cell.sheet][cell.a1].value == url
