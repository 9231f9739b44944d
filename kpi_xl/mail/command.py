"""``kpi-xl send``: mail a plan, or write the message to an ``.eml`` file.

The password comes from ``KPI_XL_SMTP_PASSWORD``, the config file, or a prompt when
standard input is a terminal; there is deliberately no ``--password`` option (command
lines are visible to other users of the machine and end up in shell history).

Everything that can fail without the server is checked before the message is composed
(composing reads the workbook and draws the chart): the sender (needed for ``--eml``
too: a message without ``From`` is not one a mail app can send), the recipients, the plan
file (a plan, not macro-enabled), the chart's extra, the ``--eml`` file's folder, the SMTP
settings, and last the password (asked for here, not after composing).
"""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kpi_xl.errors import KpiXlError
from kpi_xl.fileio import atomic_path, check_target

if TYPE_CHECKING:
    from kpi_xl.mail.settings import SmtpSettings


def add_send_command(subparsers: Any) -> None:
    """Register ``send`` on the CLI's subparsers (``kpi_xl.cli.parser``)."""
    from kpi_xl.vocabulary import LANGUAGES

    p: argparse.ArgumentParser = subparsers.add_parser(
        "send",
        help="e-mail a plan (.xlsx) with a status summary, or write it as .eml",
        description="E-mail the plan workbook with an HTML status summary and a chart. "
        "SMTP settings: options, then KPI_XL_SMTP_* environment variables, then "
        "~/.config/kpi_xl/smtp.toml (see docs/email.md).",
    )
    p.add_argument("plan", help="the plan workbook (.xlsx; an .xlsm is refused)")
    p.add_argument("--to", action="append", required=True, metavar="ADDRESS",
                   help="recipient (repeat for more)")  # fmt: skip
    p.add_argument("--cc", action="append", default=[], metavar="ADDRESS",
                   help="copy to (repeat for more)")  # fmt: skip
    p.add_argument("--subject", help="subject (default: plan name and period)")
    p.add_argument("--from", dest="sender", metavar="ADDRESS",
                   help="sender (default: KPI_XL_SMTP_FROM or the config file)")  # fmt: skip
    p.add_argument("--smtp", metavar="HOST[:PORT]", help="SMTP server (default: KPI_XL_SMTP_HOST)")
    tls = p.add_mutually_exclusive_group()
    tls.add_argument("--starttls", dest="security", action="store_const", const="starttls",
                     help="upgrade to TLS with STARTTLS (the default; port 587)")  # fmt: skip
    tls.add_argument("--ssl", dest="security", action="store_const", const="ssl",
                     help="TLS from the start (port 465)")  # fmt: skip
    p.add_argument("--user", help="SMTP login (password: KPI_XL_SMTP_PASSWORD or a prompt)")
    p.add_argument("--config", metavar="TOML", help="SMTP config file "
                   "(default: ~/.config/kpi_xl/smtp.toml)")  # fmt: skip
    p.add_argument("--eml", metavar="FILE", help="write the message to FILE instead of sending")
    p.add_argument("--lang", choices=LANGUAGES, help="language (default: the plan's)")
    p.set_defaults(handler=handler)


def _password(settings: SmtpSettings) -> SmtpSettings:
    """Ask for the password on a terminal when a login has none."""
    if not settings.user or settings.password:
        return settings
    if not sys.stdin.isatty():
        raise KpiXlError(
            f"no password for SMTP user {settings.user}: set KPI_XL_SMTP_PASSWORD "
            "(or run on a terminal to be asked)"
        )
    try:
        password = getpass.getpass(f"SMTP password for {settings.user} at {settings.server}: ")
    except EOFError:
        password = ""
    if not password:
        raise KpiXlError("no password given")
    return dataclasses.replace(settings, password=password)


def _sender(settings: SmtpSettings) -> str:
    """The one sender address, required for sending and for ``--eml`` alike."""
    from kpi_xl.mail.addresses import parse_addresses

    if not settings.sender:
        raise KpiXlError(
            "no sender: use --from or set KPI_XL_SMTP_FROM (or 'from' in the SMTP config)"
        )
    senders = parse_addresses(settings.sender, "the sender")
    if len(senders) != 1:
        raise KpiXlError(
            f"the sender {settings.sender!r} holds {len(senders)} addresses: give one "
            "(--from ADDRESS)"
        )
    return settings.sender


def handler(args: argparse.Namespace) -> int:
    from kpi_xl.extras import has, require
    from kpi_xl.mail.addresses import parse_addresses
    from kpi_xl.mail.compose import compose_email
    from kpi_xl.mail.settings import load_settings, parse_server
    from kpi_xl.mail.smtp import check_settings, send_email
    from kpi_xl.mail.summary import check_plan_file

    host, port = parse_server(args.smtp) if args.smtp else (None, None)
    settings = load_settings(
        host=host,
        port=port,
        security=args.security,
        user=args.user,
        sender=args.sender,
        config=args.config,
        require_host=not args.eml,
    )
    # before composing: the sender, the recipients, the plan file, where the message goes,
    # how to log in, the password (asked for last: nothing after it fails without a server)
    sender = _sender(settings)
    recipients = ", ".join(a.addr_spec for a in parse_addresses(args.to, "--to"))
    parse_addresses(args.cc, "--cc")
    plan = Path(args.plan)
    check_plan_file(plan)
    if not has("matplotlib"):  # the chart's extra, before a password is asked for
        require("matplotlib", "mail", "the e-mail's chart")
    if args.eml:
        check_target(Path(args.eml))
    else:
        check_settings(settings)
        settings = _password(settings)
    message = compose_email(plan, args.to, args.subject, args.lang, cc=args.cc,
                            sender=sender)  # fmt: skip
    if args.eml:
        out = Path(args.eml)
        with atomic_path(out) as tmp:
            tmp.write_bytes(message.as_bytes())
        print(f"wrote {out} ({plan.name} for {recipients}; not sent)")
        return 0
    sent = send_email(message, settings)
    print(f"sent {plan.name} to {', '.join(sent)} via {settings.server} ({settings.security})")
    return 0
