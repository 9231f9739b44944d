"""The message: text and HTML summary, the inline chart, and the workbook attached.

Structure (what mail apps expect for an HTML mail with an inline image)::

    multipart/mixed
      multipart/alternative
        text/plain
        multipart/related
          text/html             <img src="cid:...">
          image/png             Content-ID, inline
      application/vnd.openxmlformats-officedocument.spreadsheetml.sheet   (attachment)
"""

from __future__ import annotations

import email.utils
from collections.abc import Iterable
from email.message import EmailMessage, MIMEPart
from pathlib import Path

from kpi_xl.catalog import LANGUAGES
from kpi_xl.errors import KpiXlError
from kpi_xl.mail.addresses import parse_addresses
from kpi_xl.mail.body import render_html, render_text
from kpi_xl.mail.body import subject as verdict_subject
from kpi_xl.mail.chart import render_chart
from kpi_xl.mail.summary import read_summary

XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
MSGID_DOMAIN = "kpi-xl.localhost"


def _subject(subject: str | None, default: str) -> str:
    text = default if subject is None else subject
    if any(c in text for c in "\r\n\x00"):
        raise KpiXlError("the subject must be one line")
    return " ".join(text.split()) or default


def compose_email(
    plan_path: str | Path,
    to: str | Iterable[str],
    subject: str | None = None,
    lang: str | None = None,
    *,
    cc: str | Iterable[str] = (),
    sender: str | None = None,
) -> EmailMessage:
    """The e-mail for a plan workbook (``.xlsx``), ready for :func:`send_email`.

    The summary's numbers are the workbook's stored values (nothing is recalculated).
    ``subject`` defaults to the verdict (``October 2026: 2/7 on track, Revenue on pace -5.1%
    vs target``, see :func:`kpi_xl.mail.body.subject`). ``lang`` defaults to the plan's
    language; ``sender`` may be left out here and given by the SMTP settings when
    sending. Raises :class:`~kpi_xl.errors.KpiXlError` for a bad
    address, a macro-enabled workbook or a file that is not a kpi_xl plan.
    """
    path = Path(plan_path)
    recipients = parse_addresses(to, "to")
    if not recipients:
        raise KpiXlError("no recipient: give at least one address")
    copies = parse_addresses(cc, "cc")
    senders = parse_addresses(sender, "sender") if sender else []
    if len(senders) > 1:
        raise KpiXlError(f"the sender {sender!r} holds {len(senders)} addresses: give one")
    summary = read_summary(path)
    lang = lang or summary.lang
    if lang not in LANGUAGES:
        raise KpiXlError(f"unknown language {lang!r}; expected one of {', '.join(LANGUAGES)}")
    data = path.read_bytes()

    msg = EmailMessage()
    msg["Subject"] = _subject(subject, verdict_subject(summary, lang))
    if senders:
        msg["From"] = senders[0]
    msg["To"] = recipients
    if copies:
        msg["Cc"] = copies
    msg["Date"] = email.utils.formatdate(localtime=True)
    domain = senders[0].domain if senders else MSGID_DOMAIN
    msg["Message-ID"] = email.utils.make_msgid(domain=domain)
    msg["X-Mailer"] = "kpi-xl"

    chart = render_chart(summary, lang)
    cid = email.utils.make_msgid(domain=MSGID_DOMAIN)
    msg.set_content(render_text(summary, lang))
    msg.add_alternative(render_html(summary, lang, cid[1:-1]), subtype="html")
    html_part = msg.get_body(preferencelist=("html",))
    assert isinstance(html_part, MIMEPart)
    html_part.add_related(chart, "image", "png", cid=cid, filename="kpi_chart.png",
                          disposition="inline")  # fmt: skip
    msg.add_attachment(data, *XLSX_TYPE, filename=path.name)
    for attachment in msg.iter_attachments():
        if attachment.get_filename() == path.name:
            attachment.set_param("name", path.name)  # older clients read the name here
    msg["Content-Language"] = lang  # after the parts: set_content moves Content-* headers
    return msg
