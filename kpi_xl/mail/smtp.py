"""Sending over SMTP, all or nothing, and "sent" only when the server said so.

Every recipient is offered to the server (``RCPT TO``) before the message itself; if the
server refuses any of them the transaction is reset and nothing is sent, so a message
never reaches only part of its recipients. Every reply code is checked, the one to the end
of the message (after ``DATA``) too: :func:`send_email` returns only when the server has
accepted the message for every recipient (``250``).

Every failure (server unreachable, TLS, authentication, refused sender, recipients or
message, a server too slow or answering too much) becomes one :class:`KpiXlError` line.
The conversation runs under one deadline (``SmtpSettings.deadline``) besides the timeout
of each wait, and each reply is bounded (:data:`MAX_REPLY_LINES`, :data:`MAX_REPLY_BYTES`).
Server text is shown without control characters and without anything the client sent
while logging in (the user, the password, their base64 forms), so a server that echoes
the login cannot put the password in an error message or a log.
"""

from __future__ import annotations

import base64
import binascii
import copy
import hmac
import io
import logging
import re
import smtplib
import socket
import ssl
import sys
import time
from email.generator import BytesGenerator
from email.message import EmailMessage
from email.utils import getaddresses
from typing import TYPE_CHECKING, Any

from kpi_xl.errors import KpiXlError
from kpi_xl.mail.addresses import parse_addresses
from kpi_xl.mail.settings import SmtpSettings, load_settings

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

log = logging.getLogger(__name__)
ACCEPTED = (250, 251)
#: The most lines and bytes one reply may have (an EHLO answer has a dozen lines).
MAX_REPLY_LINES = 512
MAX_REPLY_BYTES = 64 * 1024
#: The longest reply line (smtplib's limit; RFC 5321 allows 512 bytes).
MAX_LINE = 8192
#: The message goes out in pieces of this size, each within the timeout.
CHUNK = 64 * 1024
#: Server text longer than this is cut in error messages.
MAX_SHOWN = 300
REDACTED = b"[redacted]"
_MAX_CHALLENGES = 5


class SmtpTimeout(smtplib.SMTPException):
    """The server was too slow: the text says which limit (``timeout`` or ``deadline``)."""


class SmtpProtocolError(smtplib.SMTPException):
    """The server broke the protocol: a reply too long or malformed, data before TLS."""


def _shown(text: bytes | str) -> str:
    """Server text for a message: one line, printable characters only, cut when long."""
    message = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    message = "".join(c if c.isprintable() else " " for c in message)
    message = " ".join(message.split())
    return message[:MAX_SHOWN] + "…" if len(message) > MAX_SHOWN else message


def _reply(code: int, text: bytes | str) -> str:
    return f"{code} {_shown(text)}".rstrip()


def secret_forms(secret: str) -> set[bytes]:
    """``secret`` as sent while logging in: its UTF-8, its base64 (with and without the
    padding), and the part of the base64 of any longer text that only ``secret`` decides,
    at each of the three alignments (so the password inside an echoed ``AUTH PLAIN`` blob
    is found whatever came before it)."""
    data = secret.encode("utf-8")
    if not data:
        return set()
    encoded = base64.b64encode(data)
    forms = {data, encoded, encoded.rstrip(b"=")}
    for shift in (1, 2):
        shifted = base64.b64encode(b"\0" * shift + data)
        core = shifted[4 : (shift + len(data)) // 3 * 4]  # whole groups of secret bytes only
        if len(core) >= 8:
            forms.add(core)
    core = encoded[: len(data) // 3 * 4]
    if len(core) >= 8:
        forms.add(core)
    return forms


class Redactor:
    """Removes from server text what the client sent while logging in.

    Each secret goes anywhere in any letter case, its encoded forms anywhere as they are
    (base64 is case-sensitive); a user name only where it stands as a word (a short name
    such as ``me`` also occurs inside ordinary words), its encoded forms anywhere.
    """

    def __init__(self) -> None:
        self._secrets: set[bytes] = set()
        self._words: set[bytes] = set()
        self._encoded: set[bytes] = set()
        self._pattern: re.Pattern[bytes] | None = None

    def add(self, secret: str, *, word: bool = False) -> None:
        data = secret.encode("utf-8")
        if not data:
            return
        (self._words if word else self._secrets).add(data)
        self._encoded |= secret_forms(secret) - {data}
        self._pattern = None

    def __call__(self, text: bytes) -> bytes:
        if self._pattern is None:
            if not (self._secrets or self._encoded or self._words):
                return text
            found = [(s, b"(?i:" + re.escape(s) + b")") for s in self._secrets]
            found += [(e, re.escape(e)) for e in self._encoded]
            found += [(w, rb"(?<![\w.@+-])(?i:" + re.escape(w) + rb")(?![\w.@+-])")
                      for w in self._words]  # fmt: skip
            found.sort(key=lambda item: len(item[0]), reverse=True)  # the longest first
            self._pattern = re.compile(b"|".join(pattern for _, pattern in found))
        return self._pattern.sub(REDACTED, text)


class Client(smtplib.SMTP):
    """smtplib's client under one deadline, with bounded replies and redacted server text.

    Replies are read from the socket here (not through smtplib's file), so every wait is
    cut to what is left of the deadline, and a reply longer than :data:`MAX_REPLY_LINES`
    lines or :data:`MAX_REPLY_BYTES` bytes ends the conversation. Logging in remembers
    everything it sends, and every reply afterwards is redacted of it.
    """

    def __init__(self, settings: SmtpSettings, deadline_at: float) -> None:
        super().__init__(timeout=settings.timeout)  # no host: connect() below, not here
        self._host = settings.host
        self._deadline = settings.deadline
        self._deadline_at = deadline_at
        self._deadline_bound = False
        self._buffer = bytearray()
        self.redact = Redactor()

    # -- time ------------------------------------------------------------------------------

    def _wait(self) -> float:
        """The time the next wait may take: the timeout, or what is left of the deadline."""
        left = self._deadline_at - time.monotonic()
        if left <= 0:
            self.close()
            raise SmtpTimeout(self._too_slow(deadline=True))
        self._deadline_bound = left < self.timeout
        return min(self.timeout, left)

    def _too_slow(self, *, deadline: bool | None = None) -> str:
        if deadline is None:
            deadline = self._deadline_bound
        if deadline:
            return f"did not finish within the {self._deadline:g} s deadline (setting: deadline)"
        return f"did not answer within {self.timeout:g} s (setting: timeout)"

    def _timed_out(self) -> SmtpTimeout:
        self.close()
        return SmtpTimeout(self._too_slow())

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        wait = self._wait()
        try:
            return socket.create_connection((host, port), wait, self.source_address)
        except TimeoutError:
            if self._deadline_bound:
                raise SmtpTimeout(self._too_slow()) from None
            raise

    # -- reading replies -------------------------------------------------------------------

    def _receive(self) -> bytes:
        if self.sock is None:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        self.sock.settimeout(self._wait())
        try:
            return self.sock.recv(4096)
        except TimeoutError:
            raise self._timed_out() from None
        except OSError as exc:
            self.close()
            raise smtplib.SMTPServerDisconnected(f"Connection unexpectedly closed: {exc}") from None

    def _line(self) -> bytes:
        while True:
            end = self._buffer.find(b"\n")
            if 0 <= end < MAX_LINE:
                line = bytes(self._buffer[: end + 1])
                del self._buffer[: end + 1]
                return line
            if end >= MAX_LINE or len(self._buffer) >= MAX_LINE:
                self.close()
                raise SmtpProtocolError(f"sent a reply line longer than {MAX_LINE} bytes")
            chunk = self._receive()
            if not chunk:
                self.close()
                raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
            self._buffer += chunk

    def read_reply(self) -> tuple[int, bytes]:
        """The next reply as the server sent it (code, text lines joined by ``\\n``)."""
        lines: list[bytes] = []
        size = 0
        while True:
            line = self._line()
            size += len(line)
            if len(lines) >= MAX_REPLY_LINES or size > MAX_REPLY_BYTES:
                self.close()
                raise SmtpProtocolError(
                    f"sent a reply longer than {MAX_REPLY_LINES} lines or "
                    f"{MAX_REPLY_BYTES // 1024} KB"
                )
            code, sep = line[:3], line[3:4]
            if not (code.isdigit() and sep in (b" ", b"-", b"\r", b"\n", b"")):
                self.close()
                shown = _shown(self.redact(line))
                raise SmtpProtocolError(f"sent a malformed reply: {shown!r}")
            lines.append(line[4:].strip(b" \t\r\n"))
            if sep != b"-":
                return int(code), b"\n".join(lines)

    def getreply(self) -> tuple[int, bytes]:
        """The next reply, its text redacted of what logging in sent."""
        code, text = self.read_reply()
        return code, self.redact(text)

    # -- sending ---------------------------------------------------------------------------

    def send(self, s: ReadableBuffer | str) -> None:
        """Send ``s`` in pieces, each within the timeout and all within the deadline."""
        if self.sock is None:
            raise smtplib.SMTPServerDisconnected("please run connect() first")
        data = s.encode(self.command_encoding) if isinstance(s, str) else bytes(s)
        sys.audit("smtplib.send", self, data)
        view = memoryview(data)
        for start in range(0, len(data), CHUNK):
            self.sock.settimeout(self._wait())
            try:
                self.sock.sendall(view[start : start + CHUNK])
            except TimeoutError:
                raise self._timed_out() from None
            except OSError as exc:
                self.close()
                raise smtplib.SMTPServerDisconnected(
                    f"Connection lost while sending: {exc}"
                ) from None

    # -- TLS and login ---------------------------------------------------------------------

    def start_tls(self, context: ssl.SSLContext) -> None:
        """STARTTLS (as smtplib's ``starttls``, which reads through its own file); anything
        the server sent after its ``220`` is refused, as it would be read as if it had
        come through TLS (RFC 3207; the "STARTTLS command injection")."""
        code, reply = self.docmd("STARTTLS")
        if code != 220:
            raise smtplib.SMTPResponseException(code, reply)
        if self._buffer:
            self.close()
            raise SmtpProtocolError("sent data before TLS started (STARTTLS injection)")
        assert self.sock is not None
        self.sock.settimeout(self._wait())
        try:
            self.sock = context.wrap_socket(self.sock, server_hostname=self._host)
        except TimeoutError:
            raise self._timed_out() from None
        # RFC 3207: forget what the server said before TLS
        self.helo_resp = self.ehlo_resp = None
        self.esmtp_features = {}
        self.does_esmtp = False

    def login(
        self, user: str, password: str, *, initial_response_ok: bool = True
    ) -> tuple[int, bytes]:
        self.redact.add(user, word=True)
        self.redact.add(password)
        self.redact.add(f"\0{user}\0{password}")
        return super().login(user, password, initial_response_ok=initial_response_ok)

    def _respond(self, text: str) -> str:
        """An AUTH response: UTF-8, base64, remembered for redaction."""
        self.redact.add(text, word=text == self.user)
        encoded = base64.b64encode(text.encode("utf-8")).decode("ascii")
        self.redact.add(encoded)
        return encoded

    def _cram_md5(self, challenge: bytes | None = None) -> str | None:
        if challenge is None:
            return None  # no initial response
        digest = hmac.HMAC(self.password.encode("utf-8"), challenge, "md5").hexdigest()
        return f"{self.user} {digest}"

    def auth(
        self, mechanism: str, authobject: Any, *, initial_response_ok: bool = True
    ) -> tuple[int, bytes]:
        """smtplib's AUTH, sending UTF-8 (RFC 4616; smtplib sends ASCII only) and
        remembering every response it sends so that no reply can echo it."""
        mechanism = mechanism.upper()
        if mechanism == "CRAM-MD5":
            authobject = self._cram_md5
        first = authobject() if initial_response_ok else None
        if first is not None:
            self.putcmd("AUTH", f"{mechanism} {self._respond(first)}")
            self._auth_challenge_count = 1
        else:
            self.putcmd("AUTH", mechanism)
            self._auth_challenge_count = 0
        code, text = self.read_reply()
        while code == 334:
            self._auth_challenge_count += 1
            if self._auth_challenge_count > _MAX_CHALLENGES:
                self.close()
                raise SmtpProtocolError(f"kept asking for more ({mechanism} login)")
            try:
                challenge = base64.b64decode(text, validate=True)
            except (binascii.Error, ValueError):
                self.close()
                raise SmtpProtocolError(f"sent a malformed {mechanism} challenge") from None
            self.putcmd(self._respond(authobject(challenge)))
            code, text = self.read_reply()
        text = self.redact(text)
        if code in (235, 503):  # 503: already logged in
            return code, text
        raise smtplib.SMTPAuthenticationError(code, text)


class ClientSSL(Client):
    """:class:`Client` with TLS from the start (port 465)."""

    def __init__(self, settings: SmtpSettings, deadline_at: float) -> None:
        self._context = settings.context()
        super().__init__(settings, deadline_at)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        plain = super()._get_socket(host, port, timeout)
        try:
            return self._context.wrap_socket(plain, server_hostname=self._host)
        except TimeoutError:
            plain.close()
            if self._deadline_bound:
                raise SmtpTimeout(self._too_slow()) from None
            raise
        except BaseException:
            plain.close()
            raise


def envelope(message: EmailMessage, settings: SmtpSettings) -> tuple[str, list[str]]:
    """The envelope sender and recipients; fills ``From`` from the settings if missing."""
    if not message["From"]:
        if not settings.sender:
            raise KpiXlError("no sender: use --from or set KPI_XL_SMTP_FROM")
        senders = parse_addresses(settings.sender)
        if len(senders) != 1:
            raise KpiXlError(
                f"the sender {settings.sender!r} holds {len(senders)} addresses: give one "
                "(--from ADDRESS)"
            )
        message["From"] = senders[0]
    headers = [str(v) for key in ("To", "Cc", "Bcc") for v in message.get_all(key, [])]
    recipients = [spec for _, spec in getaddresses(headers) if spec]
    if not recipients:
        raise KpiXlError("the message has no recipient")
    senders_found = [spec for _, spec in getaddresses([str(message["From"])]) if spec]
    if len(senders_found) != 1:
        raise KpiXlError(f"one sender address expected in From, got {str(message['From'])!r}")
    return senders_found[0], list(dict.fromkeys(recipients))


def _flatten(message: EmailMessage) -> bytes:
    """The message as sent on the wire: CRLF line ends, no ``Bcc`` header."""
    if "Bcc" in message:
        message = copy.copy(message)  # as smtplib.send_message does
        del message["Bcc"]
    buffer = io.BytesIO()
    BytesGenerator(buffer, policy=message.policy).flatten(message, linesep="\r\n")
    return buffer.getvalue()


def _dot_stuffed(data: bytes) -> bytes:
    """The message as the DATA command sends it, ending with the lone dot."""
    quoted = re.sub(rb"(?m)^\.", b"..", data)
    if not quoted.endswith(b"\r\n"):
        quoted += b"\r\n"
    return quoted + b".\r\n"


def _reset(client: smtplib.SMTP) -> None:
    """RSET after a refusal; a server that hangs up instead changes nothing."""
    try:
        client.rset()
    except (smtplib.SMTPException, OSError):
        client.close()


def _transaction(
    client: smtplib.SMTP, sender: str, recipients: list[str], data: bytes, where: str
) -> None:
    code, reply = client.mail(sender)
    if code not in ACCEPTED:
        _reset(client)
        raise KpiXlError(f"not sent: the server refused the sender {sender}: {_reply(code, reply)}")
    refused = {}
    for address in recipients:
        code, reply = client.rcpt(address)
        if code not in ACCEPTED:
            refused[address] = _reply(code, reply)
    if refused:
        _reset(client)
        listed = "; ".join(f"{a} ({r})" for a, r in refused.items())
        raise KpiXlError(f"not sent to anyone: the server refused {listed}")
    code, reply = client.docmd("DATA")
    if code != 354:
        _reset(client)
        raise KpiXlError(f"not sent: {where} refused the message (DATA): {_reply(code, reply)}")
    client.send(_dot_stuffed(data))
    try:
        code, reply = client.getreply()
    except (smtplib.SMTPException, OSError) as exc:
        raise KpiXlError(
            f"not confirmed: the whole message went to {where}, but it {_failure(exc)} "
            "before accepting it; it may or may not be delivered"
        ) from None
    if code != 250:
        raise KpiXlError(f"not sent: {where} refused the message: {_reply(code, reply)}")


def check_settings(settings: SmtpSettings) -> None:
    """What can be checked before connecting (and before composing the message)."""
    if settings.user and settings.security == "none" and not settings.loopback:
        raise KpiXlError(
            f"refusing to send the password for {settings.user} unencrypted to "
            f"{settings.server}; use --starttls or --ssl"
        )


def _hello(client: smtplib.SMTP) -> None:
    """EHLO, else HELO; a server refusing both ends the conversation."""
    code, reply = client.ehlo()
    if not 200 <= code <= 299:
        code, reply = client.helo()
        if not 200 <= code <= 299:
            raise smtplib.SMTPHeloError(code, reply)


def _session(client: smtplib.SMTP, settings: SmtpSettings) -> None:
    check_settings(settings)
    _hello(client)
    if settings.security == "starttls":
        if not client.has_extn("starttls"):
            raise KpiXlError(f"{settings.server} does not offer STARTTLS; use --ssl or check "
                             "the port")  # fmt: skip
        if isinstance(client, Client):
            client.start_tls(settings.context())
        else:
            client.starttls(context=settings.context())
        _hello(client)
    if settings.user:
        if not client.has_extn("auth"):
            raise KpiXlError(f"{settings.server} does not offer authentication (AUTH)")
        client.login(settings.user, settings.password or "")


def _connect(settings: SmtpSettings) -> Client:
    """A client connected and greeted (``220``); the deadline starts here."""
    deadline_at = time.monotonic() + settings.deadline
    kind = ClientSSL if settings.security == "ssl" else Client
    client = kind(settings, deadline_at)
    try:
        code, reply = client.connect(settings.host, settings.effective_port)
        if code != 220:
            raise smtplib.SMTPConnectError(code, reply)
    except BaseException:
        client.close()
        raise
    return client


def _failure(exc: BaseException) -> str:
    """What went wrong, as the end of a sentence about the server."""
    if isinstance(exc, SmtpTimeout | SmtpProtocolError):
        return str(exc)
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"answered {_reply(exc.smtp_code, exc.smtp_error)}"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return f"closed the connection ({exc})"
    return f"failed ({exc or type(exc).__name__})"


def send_email(message: EmailMessage, smtp: SmtpSettings | None = None) -> list[str]:
    """Send ``message`` (from :func:`compose_email`); returns the recipients.

    ``smtp`` defaults to :func:`load_settings` (environment, then config file). Returns
    only when the server accepted the message for every recipient; raises
    :class:`KpiXlError` otherwise (nothing was sent, or, when the connection failed after
    the whole message went out, the error says that delivery is unconfirmed).
    """
    settings = smtp or load_settings()
    check_settings(settings)
    sender, recipients = envelope(message, settings)
    data = _flatten(message)
    where = settings.server
    log.debug("sending to %s via %s (%s)", ", ".join(recipients), where, settings.security)
    client: Client | None = None
    try:
        client = _connect(settings)
        _session(client, settings)
        _transaction(client, sender, recipients, data, where)
    except KpiXlError:
        raise
    except (SmtpTimeout, SmtpProtocolError) as exc:
        raise KpiXlError(f"not sent: {where} {exc}") from None
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
