"""E-mail delivery of plan workbooks: compose the message, send it over SMTP.

Usage::

    from kpi_xl.mail import compose_email, load_settings, send_email

    message = compose_email("kpi_plan.xlsx", to="boss@example.com", sender="me@example.com")
    send_email(message, load_settings(host="smtp.example.com", user="me"))

Settings default to the environment and ``~/.config/kpi_xl/smtp.toml``; see docs/email.md.
Attributes are imported on first use, so registering the ``send`` command stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kpi_xl.mail.compose import compose_email
    from kpi_xl.mail.settings import SmtpSettings, load_settings
    from kpi_xl.mail.smtp import send_email

_PUBLIC = {
    "SmtpSettings": "kpi_xl.mail.settings",
    "compose_email": "kpi_xl.mail.compose",
    "load_settings": "kpi_xl.mail.settings",
    "send_email": "kpi_xl.mail.smtp",
}

__all__ = ["SmtpSettings", "compose_email", "load_settings", "send_email"]


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module 'kpi_xl.mail' has no attribute {name!r}")
    value = getattr(importlib.import_module(_PUBLIC[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_PUBLIC])
