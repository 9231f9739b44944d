"""Warehouse URLs: which engine, which table, and the connection through ibis.

A URL names the engine, where it is and what to read::

    duckdb:///srv/marketing.duckdb?table=kpi_daily
    postgresql://analyst@db.example.com:5432/marketing?table=reporting.kpi_daily
    bigquery://my-project/analytics_123456789?schema=ga4
    snowflake://analyst@myorg-account1/MARKETING/REPORTING?warehouse=WH&table=KPI_DAILY
    pyspark://local?table=kpi_daily

``table`` is a table in kpi_xl's canonical schema (``namespace.table`` for another schema
of the database); ``schema=ga4`` reads a GA4 BigQuery export (``events_YYYYMMDD`` tables,
or one table of them with ``table=``). Any other parameter goes to the engine's connect
call (``sslmode``, ``connect_timeout``, ``warehouse``, ``role``, ``location``...).

Secrets never travel in a URL: a URL is what the plan's Settings sheet records, so a
password in it (``user:secret@host``, ``?password=``) is refused, and :func:`public_url`
is the form to store. Credentials come from each engine's own mechanism: libpq's
``PGPASSWORD``, ``PGPASSFILE`` or ``~/.pgpass`` for PostgreSQL; Google's Application
Default Credentials for BigQuery; Snowflake's ``connections.toml`` (``connection_name=``),
key-pair files (``private_key_file=``), ``authenticator=externalbrowser`` or the
``SNOWFLAKE_PASSWORD`` environment variable; the file system for DuckDB; the Spark
deployment for Spark.
"""

from __future__ import annotations

import contextlib
import gc
import os
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from kpi_xl.errors import KpiXlError
from kpi_xl.extras import require

if TYPE_CHECKING:
    from ibis.backends import BaseBackend

#: URL schemes -> the engine (ibis backend) that reads them.
SCHEMES = {
    "duckdb": "duckdb",
    "postgres": "postgres",
    "postgresql": "postgres",
    "bigquery": "bigquery",
    "snowflake": "snowflake",
    "pyspark": "pyspark",
    "spark": "pyspark",
}
#: What each engine needs besides ibis (``pip install "ibis-framework[NAME]"``).
DRIVERS = {
    "duckdb": "duckdb",
    "postgres": "psycopg",
    "bigquery": "google.cloud.bigquery",
    "snowflake": "snowflake.connector",
    "pyspark": "pyspark",
}
#: The layouts a table may have (the ``schema`` parameter).
LAYOUTS = ("canonical", "ga4")
#: URL parameters kpi_xl reads itself (the rest go to the engine).
OWN_PARAMETERS = ("table", "schema", "key_events", "currency", "revenue")
#: Query parameters that hold secrets: refused in a URL, dropped by :func:`public_url`.
SECRET_PARAMETERS = frozenset({
    "password", "passwd", "pwd", "pass", "secret", "client_secret", "token", "access_token",
    "refresh_token", "private_key", "private_key_passphrase", "private_key_file_pwd",
    "passcode", "credentials", "credentials_json", "api_key", "apikey", "sas_token",
})  # fmt: skip
#: How long a PostgreSQL connection attempt may take (seconds) unless the URL says.
CONNECT_TIMEOUT = "10"
#: The longest engine message kept in an error (one line).
REASON_LENGTH = 400


@dataclass(frozen=True)
class Warehouse:
    """A parsed warehouse URL (never holding a secret)."""

    engine: str
    url: str  # the URL as it may be stored (see public_url)
    host: str = ""
    port: int | None = None
    user: str = ""
    path: str = ""  # the database file, database, project/dataset, database/schema
    table: str = ""
    layout: str = "canonical"
    parameters: Mapping[str, str] = field(default_factory=dict)  # the engine's own
    own: Mapping[str, str] = field(default_factory=dict)  # kpi_xl's (key_events, currency...)


def _is_secret(key: str) -> bool:
    return key.strip().lower() in SECRET_PARAMETERS


def public_url(url: str) -> str:
    """``url`` without credentials: the password of its user part and any secret
    parameter removed, the form a plan's Settings sheet may record."""
    parts = urlsplit(url.strip())
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}@{hostport}" if user else hostport
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_secret(k)]
    text = f"{parts.scheme}://{netloc}{parts.path}"
    return f"{text}?{urlencode(query, safe='*,/')}" if query else text


def parse_url(url: str) -> Warehouse:
    """The engine, place and table ``url`` names, or :class:`KpiXlError` saying what is
    wrong with it (an unknown scheme, a password in it, no table)."""
    text = url.strip()
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    shown = public_url(text)
    if scheme not in SCHEMES:
        known = ", ".join(f"{s}://" for s in SCHEMES)
        raise KpiXlError(f"unknown warehouse URL {shown!r}: expected one of {known}")
    try:
        password, port = parts.password, parts.port
    except ValueError as exc:
        raise KpiXlError(f"warehouse URL {shown!r}: {exc}") from None
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    secret = [k for k, _ in pairs if _is_secret(k)]
    if password is not None or secret:
        what = "a password" if password is not None else f"the secret parameter {secret[0]!r}"
        raise KpiXlError(
            f"warehouse URL {shown!r} carries {what}: the URL is stored on the plan's Settings "
            "sheet, so credentials must come from the engine's own mechanism (PGPASSWORD or "
            "~/.pgpass, Application Default Credentials, Snowflake's connections.toml...; "
            "see docs/warehouse.md)"
        )
    query = {k.strip().lower(): v.strip() for k, v in pairs}
    own = {k: v for k, v in query.items() if k in OWN_PARAMETERS}
    engine_params = {k: v for k, v in query.items() if k not in OWN_PARAMETERS}
    layout = own.pop("schema", "").lower() or "canonical"
    if layout not in LAYOUTS:
        raise KpiXlError(
            f"warehouse URL {shown!r}: unknown schema={layout!r}: expected "
            + " or ".join(f"schema={s}" for s in LAYOUTS)
        )
    table = own.pop("table", "")
    if layout == "canonical" and not table:
        raise KpiXlError(
            f"warehouse URL {shown!r} names no table: add ?table=NAME (a table in kpi_xl's "
            "canonical schema) or ?schema=ga4 (a GA4 BigQuery export)"
        )
    return Warehouse(
        engine=SCHEMES[scheme],
        url=shown,
        host=unquote(parts.hostname or ""),
        port=port,
        user=unquote(parts.username or ""),
        path=unquote(parts.path),
        table=table,
        layout=layout,
        parameters=engine_params,
        own=own,
    )


def first_line(exc: BaseException) -> str:
    """The engine's reason in one line: the first non-empty line of its message."""
    from ibis.common.exceptions import TableNotFound

    text = str(exc).strip()
    if isinstance(exc, TableNotFound):
        return f"table {text!r} not found"
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), type(exc).__name__)
    if len(line) > REASON_LENGTH:
        line = line[: REASON_LENGTH - 3].rstrip() + "..."
    return line


@contextmanager
def engine_errors(warehouse: Warehouse, doing: str) -> Iterator[None]:
    """Turn whatever the engine raises while ``doing`` into one-line :class:`KpiXlError`
    carrying the engine's own reason (``doing``: "connecting", "running the query")."""
    try:
        with warnings.catch_warnings():
            # a driver's deprecation notice about ibis's own calls is nothing the user can act on
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", FutureWarning)
            warnings.simplefilter("ignore", ResourceWarning)
            yield
            if warehouse.engine == "pyspark":
                # PySpark leaves each result's local socket to the garbage collector: close
                # them now, not as a warning in whatever code runs next
                gc.collect()
    except KpiXlError:
        raise
    except Exception as exc:  # any engine, any driver: its reason is the message
        raise KpiXlError(
            f"{warehouse.engine} refused {doing}: {first_line(exc)}", file=warehouse.url
        ) from exc


def _driver(warehouse: Warehouse) -> None:
    require("ibis", "warehouse", f"reading {warehouse.url}")
    module = DRIVERS[warehouse.engine]
    try:
        require(module, "warehouse", f"reading {warehouse.url}")
    except KpiXlError:
        raise KpiXlError(
            f"reading {warehouse.url} needs the {warehouse.engine} driver {module!r}: "
            f'pip install "ibis-framework[{warehouse.engine}]"'
        ) from None


def connect(warehouse: Warehouse) -> BaseBackend:
    """An ibis connection to the warehouse (credentials from the engine's own mechanism)."""
    _driver(warehouse)
    with engine_errors(warehouse, "the connection"):
        return _CONNECT[warehouse.engine](warehouse)


def _duckdb(warehouse: Warehouse) -> BaseBackend:
    import ibis

    path = (warehouse.host + warehouse.path) if warehouse.host else warehouse.path
    if path in ("", "/", ":memory:", "/:memory:"):
        backend = ibis.duckdb.connect(":memory:", **warehouse.parameters)
    elif not Path(path).exists():  # duckdb would create an empty database
        raise KpiXlError(f"no DuckDB database file {path!r}", file=warehouse.url)
    else:
        backend = ibis.duckdb.connect(path, read_only=True, **warehouse.parameters)
    lambdas(backend)
    return backend


def lambdas(backend: Any) -> None:
    """Let DuckDB 1.3+ read the ``x -> ...`` lambdas ibis 12 writes for array filters
    (DuckDB 2 refuses them by default); older DuckDB has no such setting and reads them."""
    with contextlib.suppress(Exception):  # an older DuckDB: arrow lambdas are its only syntax
        backend.con.execute("SET lambda_syntax = 'ENABLE_SINGLE_ARROW'")


def _postgres(warehouse: Warehouse) -> BaseBackend:
    import ibis

    parameters = dict(warehouse.parameters)
    parameters.setdefault("connect_timeout", CONNECT_TIMEOUT)
    host = warehouse.host or parameters.pop("host", "")  # a socket directory: ?host=/run/pg
    database = warehouse.path.strip("/") or None
    kwargs: dict[str, Any] = {
        "host": host or None,
        "port": warehouse.port,
        "user": warehouse.user or None,
        "database": database,
    }
    # None leaves a setting to libpq's defaults and environment (PGHOST, PGUSER...)
    return ibis.postgres.connect(**{k: v for k, v in kwargs.items() if v is not None}, **parameters)


def _bigquery(warehouse: Warehouse) -> BaseBackend:
    import ibis

    dataset = warehouse.path.strip("/")
    if not warehouse.host or not dataset:
        raise KpiXlError(
            f"warehouse URL {warehouse.url!r}: expected bigquery://PROJECT/DATASET",
            file=warehouse.url,
        )
    return ibis.bigquery.connect(
        project_id=warehouse.host, dataset_id=dataset, **warehouse.parameters
    )


def _snowflake(warehouse: Warehouse) -> BaseBackend:
    import ibis

    parameters: dict[str, Any] = dict(warehouse.parameters)
    if warehouse.user:
        parameters["user"] = warehouse.user
    if warehouse.host:
        parameters["account"] = warehouse.host
    database, _, schema = warehouse.path.strip("/").partition("/")
    if database:
        parameters["database"] = database
    if schema:
        parameters["schema"] = schema
    password = os.environ.get("SNOWFLAKE_PASSWORD")
    if password and "authenticator" not in parameters and "connection_name" not in parameters:
        parameters["password"] = password
    # kpi_xl only reads: no object UDFs are created in the user's database
    return ibis.snowflake.connect(create_object_udfs=False, **parameters)


def _pyspark(warehouse: Warehouse) -> BaseBackend:
    import ibis
    from pyspark.sql import SparkSession

    master = warehouse.host or "local"
    if warehouse.port:
        master = f"spark://{master}:{warehouse.port}"
    elif master == "local":
        master = f"local[{warehouse.parameters.get('cores', '*')}]"
    builder = SparkSession.builder.master(master).appName("kpi_xl")
    for key, value in warehouse.parameters.items():
        if key.startswith("spark."):
            builder = builder.config(key, value)
    # an existing session (a notebook's, a test's) is reused as it is
    session = builder.getOrCreate()
    return ibis.pyspark.connect(session)


_CONNECT = {
    "duckdb": _duckdb,
    "postgres": _postgres,
    "bigquery": _bigquery,
    "snowflake": _snowflake,
    "pyspark": _pyspark,
}


def split_table(name: str) -> tuple[str, str | None]:
    """``namespace.table`` as (table, namespace); a plain name as (name, None)."""
    namespace, dot, table = name.rpartition(".")
    return (table, namespace) if dot else (name, None)
