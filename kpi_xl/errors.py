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
