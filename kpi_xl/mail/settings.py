"""SMTP settings: options, then environment variables, then a TOML config file.

Environment: ``KPI_XL_SMTP_HOST``, ``KPI_XL_SMTP_PORT``, ``KPI_XL_SMTP_USER``,
``KPI_XL_SMTP_PASSWORD``, ``KPI_XL_SMTP_SECURITY`` (starttls | ssl | none),
``KPI_XL_SMTP_FROM``, ``KPI_XL_SMTP_TIMEOUT``, ``KPI_XL_SMTP_DEADLINE``. Config file:
``--config PATH`` or ``$XDG_CONFIG_HOME/kpi_xl/smtp.toml`` (``~/.config/kpi_xl/smtp.toml``),
keys ``host``, ``port``, ``security``, ``user``, ``password``, ``from``, ``timeout``,
``deadline``, at the top level or in an ``[smtp]`` table. A config file holding a password
must not be readable by others.

``timeout`` is how long to wait for the server to answer or take data (seconds, default
30); ``deadline`` bounds the whole conversation, connecting to the last reply (seconds,
default 120), so a server that answers a byte at a time cannot hold the command forever.

The password is kept out of ``repr()`` and out of every message this package prints.
"""

from __future__ import annotations

import contextlib
import ipaddress
import math
import os
import ssl
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kpi_xl.errors import KpiXlError

SECURITY = ("starttls", "ssl", "none")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
ENV = {
    "host": "KPI_XL_SMTP_HOST",
    "port": "KPI_XL_SMTP_PORT",
    "user": "KPI_XL_SMTP_USER",
    "password": "KPI_XL_SMTP_PASSWORD",
    "security": "KPI_XL_SMTP_SECURITY",
    "sender": "KPI_XL_SMTP_FROM",
    "timeout": "KPI_XL_SMTP_TIMEOUT",
    "deadline": "KPI_XL_SMTP_DEADLINE",
}
FILE_KEYS = {"host", "port", "security", "user", "password", "from", "timeout", "deadline"}
DEFAULT_TIMEOUT = 30.0
DEFAULT_DEADLINE = 120.0
#: The longest timeout or deadline accepted (a day): larger values are typos, and the
#: operating system refuses socket timeouts beyond a limit.
MAX_SECONDS = 86400.0


def parse_seconds(name: str, value: Any, *, source: str | None = None) -> float:
    """A ``timeout`` or ``deadline``: a number of seconds above 0 (a number or its text).

    ``source`` names where a bad value came from (an environment variable); the caller adds
    the config file's path.
    """
    seconds = math.nan
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            seconds = float(value.strip())
    elif isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    if not (math.isfinite(seconds) and 0 < seconds <= MAX_SECONDS):
        origin = f" (from {source})" if source else ""
        raise KpiXlError(
            f"bad SMTP {name} {value!r}{origin}; expected a number of seconds above 0 "
            f"and at most {MAX_SECONDS:g}"
        )
    return seconds


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send. ``password`` and ``ssl_context`` are left out of ``repr``."""

    host: str
    port: int | None = None
    security: str = "starttls"
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str | None = None
    #: Seconds to wait for each answer (or for the server to take data).
    timeout: float = DEFAULT_TIMEOUT
    #: Seconds for the whole conversation, from connecting to the last reply.
    deadline: float = DEFAULT_DEADLINE
    ssl_context: ssl.SSLContext | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.security not in SECURITY:
            raise KpiXlError(
                f"unknown SMTP security {self.security!r}; expected one of {', '.join(SECURITY)}"
            )
        parse_seconds("timeout", self.timeout)
        parse_seconds("deadline", self.deadline)

    @property
    def effective_port(self) -> int:
        return self.port or DEFAULT_PORTS[self.security]

    @property
    def server(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.effective_port}"

    @property
    def loopback(self) -> bool:
        if self.host.lower() == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    def context(self) -> ssl.SSLContext:
        """The TLS context: the given one (tests) or the system's verified default."""
        return self.ssl_context or ssl.create_default_context()


def parse_server(text: str) -> tuple[str, int | None]:
    """``host``, ``host:port`` or ``[v6-address]:port``."""
    text = text.strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else ""
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    else:
        host, port_text = text, ""
    if not host:
        raise KpiXlError(f"bad SMTP server {text!r}; expected host or host:port")
    return host, (parse_port(port_text) if port_text else None)


def parse_port(value: Any) -> int:
    try:
        port = int(value)
    except (TypeError, ValueError):
        port = 0
    if not 0 < port < 65536:
        raise KpiXlError(f"bad SMTP port {value!r}; expected a number from 1 to 65535")
    return port


def default_config_path(env: Mapping[str, str]) -> Path:
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "kpi_xl" / "smtp.toml"


def read_config(path: Path, *, required: bool) -> dict[str, Any]:
    """The SMTP table of a TOML config file ({} when an optional file is missing)."""
    if not path.is_file():
        if required:
            raise KpiXlError("no such SMTP config file", file=path)
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise KpiXlError(f"the SMTP config is not valid TOML: {exc}", file=path) from None
    table = data.get("smtp", data)
    if not isinstance(table, dict):
        raise KpiXlError("the [smtp] entry must be a table", file=path)
    unknown = sorted(set(table) - FILE_KEYS)
    if unknown:
        raise KpiXlError(
            f"unknown key(s) {', '.join(unknown)}; expected {', '.join(sorted(FILE_KEYS))}",
            file=path,
        )
    if table.get("password") and os.name == "posix":
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise KpiXlError(
                f"the SMTP config holds a password but others can read it; run `chmod 600 {path}`",
                file=path,
            )
    return dict(table)


def load_settings(
    *,
    host: str | None = None,
    port: int | None = None,
    security: str | None = None,
    user: str | None = None,
    password: str | None = None,
    sender: str | None = None,
    timeout: float | None = None,
    deadline: float | None = None,
    config: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    ssl_context: ssl.SSLContext | None = None,
    require_host: bool = True,
) -> SmtpSettings:
    """Settings from the arguments, else the environment, else the config file."""
    env = os.environ if env is None else env
    path = Path(config).expanduser() if config else default_config_path(env)
    file = read_config(path, required=config is not None)

    def pick(key: str, given: Any, file_key: str | None = None) -> Any:
        if given not in (None, ""):
            return given
        env_value = env.get(ENV[key], "") if key in ENV else ""
        if env_value:
            return env_value
        return file.get(file_key or key)

    host = pick("host", host)
    if not host and require_host:
        raise KpiXlError(f"no SMTP server: use --smtp HOST:PORT, set {ENV['host']} or write {path}")
    chosen_port = pick("port", port)

    def seconds(key: str, given: float | None, default: float) -> float:
        if given is not None:
            return parse_seconds(key, given)
        if env.get(ENV[key], ""):
            return parse_seconds(key, env[ENV[key]], source=ENV[key])
        if key not in file:
            return default
        try:
            return parse_seconds(key, file[key])
        except KpiXlError as exc:
            raise KpiXlError(exc.message, file=path) from None

    timeout_value = seconds("timeout", timeout, DEFAULT_TIMEOUT)
    deadline_value = seconds("deadline", deadline, DEFAULT_DEADLINE)
    return SmtpSettings(
        host=str(host or ""),
        port=parse_port(chosen_port) if chosen_port not in (None, "") else None,
        security=str(pick("security", security) or "starttls").lower(),
        user=pick("user", user) or None,
        password=pick("password", password) or None,
        sender=pick("sender", sender, "from") or None,
        timeout=timeout_value,
        deadline=deadline_value,
        ssl_context=ssl_context,
    )
