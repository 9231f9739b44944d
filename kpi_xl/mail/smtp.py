"""Sending over SMTP, all or nothing.

Every recipient is offered to the server (``RCPT TO``) before the message itself; if the
server refuses any of them the transaction is reset and nothing is sent, so a message
never reaches only part of its recipients. Every failure (server unreachable, TLS,
authentication, refused sender or recipients) becomes one :class:`KpiXlError` line that
never contains the password.
"""

from __future__ import annotations

import copy
import io
import logging
import smtplib
import ssl
from email.generator import BytesGenerator
from email.message import EmailMessage
from email.utils import getaddresses

from kpi_xl.errors import KpiXlError
from kpi_xl.mail.addresses import parse_addresses
from kpi_xl.mail.settings import SmtpSettings, load_settings

log = logging.getLogger(__name__)
ACCEPTED = (250, 251)


def _reply(code: int, text: bytes | str) -> str:
    message = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(message.split())}"


def envelope(message: EmailMessage, settings: SmtpSettings) -> tuple[str, list[str]]:
    """The envelope sender and recipients; fills ``From`` from the settings if missing."""
    if not message["From"]:
        if not settings.sender:
            raise KpiXlError("no sender: use --from or set KPI_XL_SMTP_FROM")
        message["From"] = parse_addresses(settings.sender)[0]
    headers = [str(v) for key in ("To", "Cc", "Bcc") for v in message.get_all(key, [])]
    recipients = [spec for _, spec in getaddresses(headers) if spec]
    if not recipients:
        raise KpiXlError("the message has no recipient")
    sender = getaddresses([str(message["From"])])[0][1]
    return sender, list(dict.fromkeys(recipients))


def _flatten(message: EmailMessage) -> bytes:
    """The message as sent on the wire: CRLF line ends, no ``Bcc`` header."""
    if "Bcc" in message:
        message = copy.copy(message)  # as smtplib.send_message does
        del message["Bcc"]
    buffer = io.BytesIO()
    BytesGenerator(buffer, policy=message.policy).flatten(message, linesep="\r\n")
    return buffer.getvalue()


def _transaction(client: smtplib.SMTP, sender: str, recipients: list[str], data: bytes) -> None:
    code, reply = client.mail(sender)
    if code not in ACCEPTED:
        client.rset()
        raise KpiXlError(f"not sent: the server refused the sender {sender}: {_reply(code, reply)}")
    refused = {}
    for address in recipients:
        code, reply = client.rcpt(address)
        if code not in ACCEPTED:
            refused[address] = _reply(code, reply)
    if refused:
        client.rset()
        listed = "; ".join(f"{a} ({r})" for a, r in refused.items())
        raise KpiXlError(f"not sent to anyone: the server refused {listed}")
    client.data(data)


def _session(client: smtplib.SMTP, settings: SmtpSettings) -> None:
    client.ehlo()
    if settings.security == "starttls":
        if not client.has_extn("starttls"):
            raise KpiXlError(f"{settings.server} does not offer STARTTLS; use --ssl or check "
                             "the port")  # fmt: skip
        client.starttls(context=settings.context())
        client.ehlo()
    if settings.user:
        if settings.security == "none" and not settings.loopback:
            raise KpiXlError(
                f"refusing to send the password for {settings.user} unencrypted to "
                f"{settings.server}; use --starttls or --ssl"
            )
        if not client.has_extn("auth"):
            raise KpiXlError(f"{settings.server} does not offer authentication (AUTH)")
        client.login(settings.user, settings.password or "")


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    if settings.security == "ssl":
        return smtplib.SMTP_SSL(settings.host, settings.effective_port,
                                timeout=settings.timeout, context=settings.context())  # fmt: skip
    return smtplib.SMTP(settings.host, settings.effective_port, timeout=settings.timeout)


def send_email(message: EmailMessage, smtp: SmtpSettings | None = None) -> list[str]:
    """Send ``message`` (from :func:`compose_email`); returns the recipients.

    ``smtp`` defaults to :func:`load_settings` (environment, then config file). Raises
    :class:`KpiXlError` when nothing was sent; never returns after a partial send.
    """
    settings = smtp or load_settings()
    sender, recipients = envelope(message, settings)
    data = _flatten(message)
    where = settings.server
    log.debug("sending to %s via %s (%s)", ", ".join(recipients), where, settings.security)
    client: smtplib.SMTP | None = None
    try:
        client = _connect(settings)
        _session(client, settings)
        _transaction(client, sender, recipients, data)
    except KpiXlError:
        raise
    except smtplib.SMTPAuthenticationError as exc:
        raise KpiXlError(f"{where} refused the login for {settings.user}: "
                         f"{_reply(exc.smtp_code, exc.smtp_error)}") from None  # fmt: skip
    except smtplib.SMTPResponseException as exc:
        raise KpiXlError(f"not sent: {where} answered {_reply(exc.smtp_code, exc.smtp_error)}"
                         ) from None  # fmt: skip
    except smtplib.SMTPServerDisconnected as exc:
        raise KpiXlError(f"not sent: {where} closed the connection ({exc})") from None
    except smtplib.SMTPException as exc:
        raise KpiXlError(f"not sent: SMTP error with {where}: {exc}") from None
    except ssl.SSLError as exc:
        reason = getattr(exc, "verify_message", None) or exc.reason or str(exc)
        raise KpiXlError(f"not sent: TLS with {where} failed: {reason}") from None
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise KpiXlError(f"not sent: cannot reach the SMTP server {where}: {reason}") from None
    finally:
        if client is not None:
            _close(client)
    log.debug("sent to %s via %s", ", ".join(recipients), where)
    return recipients


def _close(client: smtplib.SMTP) -> None:
    """QUIT politely; once the message is accepted, a failing QUIT changes nothing."""
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()
