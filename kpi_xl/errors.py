"""The package's user-facing error: one clear line naming where and what was expected."""

from __future__ import annotations

from pathlib import Path


class KpiXlError(Exception):
    """A problem with the user's input (a file, a template, an option).

    ``str(error)`` is one line: ``file: line N, column 'C': message``. The CLI prints it
    and exits with code 2; internal bugs raise other exception types. ``detail`` is an
    optional second line (e.g. the list of supported platforms), printed under it.
    """

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        column: str | None = None,
        detail: str | None = None,
    ) -> None:
        self.message = " ".join(str(message).split())
        self.detail = " ".join(detail.split()) if detail else None
        self.file = str(file) if file is not None else None
        self.line = line
        self.column = column
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class ConflictError(KpiXlError):
    """Refresh found user edits it would discard; CLI exit code 3."""

    exit_code = 3


def shown(value: object, limit: int = 40) -> str:
    """A value in a message as a person reads it, never a Python repr: a text quoted (cut
    to ``limit`` characters), ``the number 1.5``, ``the date 2026-03-01``, ``true``,
    ``nothing (an empty value)``, ``a list``, ``a mapping (key: value)``."""
    import datetime as dt
    import math

    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"the number {value:g}" if isinstance(value, float) else f"the number {value}"
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return f"the date {value.date().isoformat()}"
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return f"the date {value.isoformat(sep=' ') if isinstance(value, dt.datetime) else value}"
    if isinstance(value, str):
        text = value if len(value) <= limit else value[: limit - 3] + "..."
        return repr(text)
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "a mapping (key: value)"
    return "a value of another kind"


class KpiXlWarning(UserWarning):
    """Something the user may want to know that is not an error (a plan year after the
    data: no actuals yet). The CLI prints it as ``kpi-xl: warning: ...``."""
