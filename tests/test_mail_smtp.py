"""SMTP that tells the truth: every reply checked, the login never echoed, one deadline,
bounded replies, and the command checking what it can before composing the message.

Well-behaved servers are aiosmtpd's (as in test_mail.py); misbehaving ones (a drip-fed
banner, an endless reply, a server echoing the login) are a scripted raw-socket server
in a thread, :func:`fake_server`.
"""

from __future__ import annotations

import base64
import contextlib
import email
import email.policy
import getpass
import hmac
import logging
import math
import socket
import ssl
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

import kpi_xl.cli
import kpi_xl.mail.compose
from kpi_xl.errors import KpiXlError
from kpi_xl.mail import SmtpSettings, load_settings, send_email
from kpi_xl.mail.settings import ENV
from kpi_xl.mail.smtp import MAX_LINE, MAX_REPLY_LINES, Redactor, secret_forms

USER, PASSWORD = "analyst", "s3cret-Pa55-word!"
SENDER, BOSS = "analyst@example.com", "boss@example.com"
#: The docs' first example (docs/email.md, README before the fix): no sender anywhere.
DOCS_EXAMPLE = ["--to", BOSS, "--smtp", "smtp.example.com:587", "--starttls", "--user", "me"]


def b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No SMTP settings leak in from the machine running the tests."""
    for name in ENV.values():
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


@pytest.fixture
def plan(demo_plan: Callable[..., Path]) -> Path:
    return demo_plan("ecommerce", "en")


def small_message() -> EmailMessage:
    """A message that costs nothing to compose; a lone dot in it tests the dot-stuffing."""
    message = EmailMessage()
    message["From"] = SENDER
    message["To"] = BOSS
    message["Subject"] = "KPI plan"
    message.set_content("first line\n.\n..two dots\nlast line\n")
    return message


def fast(port: int, **options: Any) -> SmtpSettings:
    """Settings for a server on this machine: plain text, short limits."""
    options.setdefault("timeout", 2)
    options.setdefault("deadline", 2.5)
    options.setdefault("security", "none")
    return SmtpSettings(host="127.0.0.1", port=port, **options)


# -- a scripted server ---------------------------------------------------------------------


class Peer:
    """The server's end of one connection."""

    def __init__(self, sock: socket.socket, stop: threading.Event) -> None:
        self.sock = sock
        self.stop = stop
        self.file = sock.makefile("rb")
        self.commands: list[bytes] = []
        self.data = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def hang_up(self) -> None:
        self.sock.shutdown(socket.SHUT_RDWR)

    def line(self) -> bytes:
        line: bytes = self.file.readline(1 << 16)
        self.commands.append(line)
        return line

    def message(self) -> bytes:
        """The DATA up to the lone dot, as it came (dot-stuffed)."""
        lines = []
        while (line := self.file.readline(1 << 20)) not in (b"", b".\r\n"):
            lines.append(line)
        return b"".join(lines)


@dataclass
class Script:
    """A plain SMTP dialogue, any step replaceable by a misbehaving one."""

    banner: Callable[[Peer], None] = lambda peer: peer.send(b"220 fake.example ESMTP\r\n")
    ehlo: Callable[[Peer], None] = lambda peer: peer.send(
        b"250-fake.example\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n"
    )
    auth: Callable[[Peer, bytes], None] = lambda peer, line: peer.send(b"235 2.7.0 ok\r\n")
    mail: bytes = b"250 2.1.0 ok\r\n"
    starttls: bytes = b"454 4.7.0 TLS not available\r\n"
    after_data: Callable[[Peer], None] = lambda peer: peer.send(b"250 2.0.0 queued\r\n")

    def __call__(self, peer: Peer) -> None:
        self.banner(peer)
        while line := peer.line():
            verb = line.split(b" ", 1)[0].strip().upper()
            if verb == b"EHLO":
                self.ehlo(peer)
            elif verb == b"AUTH":
                self.auth(peer, line)
            elif verb == b"MAIL":
                peer.send(self.mail)
            elif verb == b"STARTTLS":
                peer.send(self.starttls)
            elif verb == b"DATA":
                peer.send(b"354 go ahead\r\n")
                peer.data = peer.message()
                self.after_data(peer)
            elif verb == b"QUIT":
                peer.send(b"221 bye\r\n")
                return
            else:  # HELO, RCPT, RSET, NOOP
                peer.send(b"250 ok\r\n")


@contextmanager
def fake_server(script: Callable[[Peer], None]) -> Iterator[tuple[int, list[Peer]]]:
    """A server on 127.0.0.1 running ``script`` for each connection: (port, peers)."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    stop = threading.Event()
    peers: list[Peer] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(10)
                peer = Peer(conn, stop)
                peers.append(peer)
                with contextlib.suppress(OSError):  # the client hung up, as tests expect
                    script(peer)
                peer.file.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], peers
    finally:
        stop.set()
        thread.join(timeout=10)
        listener.close()


def drip(text: bytes, every: float = 0.2, most: float = 6.0) -> Callable[[Peer], None]:
    """Send ``text`` over and over, one byte every ``every`` s, for at most ``most`` s."""

    def send(peer: Peer, *_: Any) -> None:
        end = time.monotonic() + most
        while time.monotonic() < end and not peer.stop.is_set():
            for byte in text:
                peer.send(bytes([byte]))
                time.sleep(every)

    return send


def send_error(message: EmailMessage, settings: SmtpSettings) -> str:
    with pytest.raises(KpiXlError) as error:
        send_email(message, settings)
    text = str(error.value)
    assert "\n" not in text
    return text


# -- aiosmtpd ------------------------------------------------------------------------------


class Refusing:
    """aiosmtpd handler: takes the whole message, then answers ``reply``."""

    def __init__(self, reply: str) -> None:
        self.reply = reply
        self.received: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.received.append(envelope.content)
        return self.reply


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def aiosmtpd_server(handler: Any, **options: Any) -> Iterator[int]:
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = kpi_xl.cli.main(["send", *argv])
    out, err = capsys.readouterr()
    return code, out, err


# -- 1. "sent" only when the server accepted the message -------------------------------------


@pytest.mark.parametrize("reply", ["554 5.7.1 rejected", "552 too much mail data"])
def test_refused_after_data_is_not_sent(reply: str) -> None:
    handler = Refusing(reply)
    with aiosmtpd_server(handler) as port:
        text = send_error(small_message(), fast(port))
    assert len(handler.received) == 1  # the whole message went out, and was refused
    assert text == f"not sent: 127.0.0.1:{port} refused the message: {reply}"


def test_cli_refused_after_data_exits_2(plan: Path, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setenv("KPI_XL_SMTP_SECURITY", "none")
    with aiosmtpd_server(Refusing("554 5.7.1 rejected: spam score too high")) as port:
        argv = [str(plan), "--to", BOSS, "--from", SENDER, "--smtp", f"127.0.0.1:{port}"]
        code, out, err = run_cli(argv, capsys)
    assert (code, out) == (2, "")
    assert err == (f"kpi-xl: error: not sent: 127.0.0.1:{port} refused the message: "
                   "554 5.7.1 rejected: spam score too high\n")  # fmt: skip


def test_accepted_message_arrives_as_written() -> None:
    """The DATA is sent by this package now: dot-stuffed on the wire, intact on arrival."""
    with fake_server(Script()) as (port, peers):
        assert send_email(small_message(), fast(port)) == [BOSS]
    assert b"\r\n..\r\n...two dots\r\n" in peers[0].data
    arrived = email.message_from_bytes(peers[0].data.replace(b"\r\n..", b"\r\n."),
                                       policy=email.policy.default)  # fmt: skip
    assert isinstance(arrived, EmailMessage)
    text = arrived.get_content().replace("\r\n", "\n")
    assert text == "first line\n.\n..two dots\nlast line\n"


def test_no_answer_after_data_is_unconfirmed() -> None:
    """The server takes the whole message and hangs up: delivery is unknown, not denied."""
    with fake_server(Script(after_data=Peer.hang_up)) as (port, _):
        text = send_error(small_message(), fast(port))
    assert text.startswith(f"not confirmed: the whole message went to 127.0.0.1:{port}, but ")
    assert "closed the connection" in text and "may or may not be delivered" in text


# -- 2. the login is never echoed ------------------------------------------------------------


def echo_plain(peer: Peer, line: bytes) -> None:
    """535 quoting the AUTH PLAIN blob, decoded too (and the password shouted)."""
    blob = line.split()[2]
    decoded = base64.b64decode(blob)
    peer.send(b"535 5.7.8 bad credentials " + blob + b" = " + decoded.replace(b"\0", b" ")
              + b" " + decoded.split(b"\0")[2].upper() + b"\r\n")  # fmt: skip


def echo_login(peer: Peer, line: bytes) -> None:
    """535 quoting both AUTH LOGIN answers, encoded and decoded."""
    parts = line.split()
    if len(parts) > 2:
        user = parts[2]
    else:
        peer.send(b"334 VXNlcm5hbWU6\r\n")
        user = peer.line().strip()
    peer.send(b"334 UGFzc3dvcmQ6\r\n")
    password = peer.line().strip()
    peer.send(b"535-5.7.8 bad credentials " + user + b" " + password + b"\r\n535 5.7.8 ("
              + base64.b64decode(user) + b":" + base64.b64decode(password) + b")\r\n")  # fmt: skip


LOGIN_FORMS = [PASSWORD, PASSWORD.upper(), b64(PASSWORD), b64(f"\0{USER}\0{PASSWORD}"), b64(USER)]


@pytest.mark.parametrize(
    ("mechanism", "echo"), [("PLAIN", echo_plain), ("LOGIN", echo_login)], ids=["plain", "login"]
)
def test_echoed_login_is_redacted(mechanism: str, echo: Callable[[Peer, bytes], None],
                                  caplog: pytest.LogCaptureFixture) -> None:  # fmt: skip
    caplog.set_level(logging.DEBUG)
    offer = b"250-fake.example\r\n250 AUTH " + mechanism.encode() + b"\r\n"
    script = Script(ehlo=lambda peer: peer.send(offer), auth=echo)
    with fake_server(script) as (port, peers):
        text = send_error(small_message(), fast(port, user=USER, password=PASSWORD))
    sent = b"".join(peers[0].commands)
    assert f"AUTH {mechanism}".encode() in sent  # the server did get (and echo) the login
    assert text.startswith(f"127.0.0.1:{port} refused the login for {USER}: 535 5.7.8 bad ")
    assert "[redacted]" in text and text.count(USER) == 1  # ours, before the server's text
    for form in LOGIN_FORMS:
        assert form not in text + caplog.text, form


def test_password_echoed_later_is_redacted() -> None:
    """After a good login, a reply quoting the password (here: to MAIL FROM) is redacted."""
    echo = f"550 5.7.1 {USER}:{PASSWORD} may not send as {SENDER}\r\n".encode()
    with fake_server(Script(mail=echo)) as (port, _):
        text = send_error(small_message(), fast(port, user=USER, password=PASSWORD))
    assert text == (f"not sent: the server refused the sender {SENDER}: "
                    f"550 5.7.1 [redacted]:[redacted] may not send as {SENDER}")  # fmt: skip


def test_cli_echoed_login_stays_off_stderr(plan: Path, capsys: pytest.CaptureFixture[str],
                                           caplog: pytest.LogCaptureFixture,
                                           monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("KPI_XL_SMTP_SECURITY", "none")  # allowed to this machine only
    monkeypatch.setenv("KPI_XL_SMTP_PASSWORD", PASSWORD)
    offer = b"250-fake.example\r\n250 AUTH PLAIN\r\n"
    with fake_server(Script(ehlo=lambda peer: peer.send(offer), auth=echo_plain)) as (port, _):
        argv = [str(plan), "--to", BOSS, "--from", SENDER, "--smtp", f"127.0.0.1:{port}",
                "--user", USER]  # fmt: skip
        code, out, err = run_cli(argv, capsys)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith(f"kpi-xl: error: 127.0.0.1:{port} refused the login for {USER}: 535")
    for form in LOGIN_FORMS:
        assert form not in err + caplog.text, form


@pytest.mark.parametrize("prefix", ["", "x", "xy", f"\0{USER}\0", f"user={USER}&pass="])
def test_password_inside_any_base64_is_redacted(prefix: str) -> None:
    """Whatever the server wraps around the password before encoding it, the characters
    of the base64 that encode only the password are removed."""
    redact = Redactor()
    redact.add(PASSWORD)
    encoded = b64(prefix + PASSWORD + "&more").encode()
    start = -(-len(prefix.encode()) // 3) * 4  # the first group of password bytes only
    end = (len(prefix.encode()) + len(PASSWORD)) // 3 * 4
    assert end - start >= 8
    redacted = redact(b"535 " + encoded)
    assert encoded[start:end] not in redacted and b"[redacted]" in redacted


def test_short_user_name_redacted_as_a_word_only() -> None:
    redact = Redactor()
    redact.add("me", word=True)
    assert redact(b"535 no such user me; see the message") == (
        b"535 no such user [redacted]; see the message")  # fmt: skip
    assert b64("me").encode() in secret_forms("me")


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_non_ascii_password_logs_in() -> None:
    """RFC 4616: AUTH PLAIN is UTF-8 (smtplib sends ASCII only, and raised
    UnicodeEncodeError, a traceback)."""
    password = "pässwörd-ü"

    def check(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            USER.encode(), password.encode())  # fmt: skip
        return AuthResult(success=ok, handled=False)

    handler = Refusing("250 accepted")
    options = {"authenticator": check, "auth_required": True, "auth_require_tls": False}
    with aiosmtpd_server(handler, **options) as port:
        send_email(small_message(), fast(port, user=USER, password=password))
    assert len(handler.received) == 1


def test_cram_md5_login() -> None:
    """CRAM-MD5 (which smtplib prefers when offered) through the reimplemented AUTH: the
    challenge decoded, the answer keyed with the UTF-8 password."""
    password, challenge = "pässwörd", b"<1896.697170952@fake.example>"
    logins: list[bool] = []

    def cram(peer: Peer, line: bytes) -> None:
        peer.send(b"334 " + base64.b64encode(challenge) + b"\r\n")
        user, digest = base64.b64decode(peer.line().strip()).split(b" ")
        good = hmac.HMAC(password.encode(), challenge, "md5").hexdigest().encode()
        logins.append((user, digest) == (USER.encode(), good))
        peer.send(b"235 2.7.0 ok\r\n" if logins[-1] else b"535 5.7.8 no\r\n")

    offer = b"250-fake.example\r\n250 AUTH CRAM-MD5 PLAIN\r\n"
    with fake_server(Script(ehlo=lambda peer: peer.send(offer), auth=cram)) as (port, peers):
        send_email(small_message(), fast(port, user=USER, password=password))
    assert logins == [True] and peers[0].data


def test_starttls_injection_is_refused() -> None:
    """Lines after the 220 to STARTTLS would be read as if they had come through TLS."""
    offer = b"250-fake.example\r\n250 STARTTLS\r\n"
    script = Script(ehlo=lambda peer: peer.send(offer),
                    starttls=b"220 go ahead\r\n250-AUTH PLAIN\r\n250 injected\r\n")  # fmt: skip
    with fake_server(script) as (port, _):
        settings = fast(port, security="starttls", ssl_context=ssl.create_default_context())
        text = send_error(small_message(), settings)
    assert text == (f"not sent: 127.0.0.1:{port} sent data before TLS started "
                    "(STARTTLS injection)")  # fmt: skip


# -- 3. one deadline --------------------------------------------------------------------------


def test_drip_fed_banner_hits_the_deadline() -> None:
    """A banner at a byte per 0.2 s never trips a 1 s timeout; the 1.5 s deadline ends it."""
    with fake_server(Script(banner=drip(b"220-fake.example is very slow "))) as (port, _):
        started = time.monotonic()
        text = send_error(small_message(), fast(port, timeout=1, deadline=1.5))
        elapsed = time.monotonic() - started
    assert text == f"not sent: 127.0.0.1:{port} did not finish within the 1.5 s deadline " \
                   "(setting: deadline)"  # fmt: skip
    assert 1.4 < elapsed < 2.5


def test_drip_fed_answer_to_the_message_hits_the_deadline() -> None:
    with fake_server(Script(after_data=drip(b"250 queued as 1234567890"))) as (port, peers):
        started = time.monotonic()
        text = send_error(small_message(), fast(port, timeout=1, deadline=1.5))
        elapsed = time.monotonic() - started
    assert peers[0].data  # the message went out: whether it arrives is unknown
    assert text.startswith("not confirmed: ") and "1.5 s deadline" in text
    assert elapsed < 2.5


def test_silent_server_hits_the_timeout() -> None:
    def silent(peer: Peer) -> None:
        peer.stop.wait(5)

    with fake_server(Script(banner=silent)) as (port, _):
        started = time.monotonic()
        text = send_error(small_message(), fast(port, timeout=0.5, deadline=5))
        elapsed = time.monotonic() - started
    assert text == f"not sent: 127.0.0.1:{port} did not answer within 0.5 s (setting: timeout)"
    assert elapsed < 1.5


def test_deadline_and_timeout_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    default = load_settings(host="h.example")
    assert (default.timeout, default.deadline) == (30.0, 120.0)
    config = tmp_path / "smtp.toml"
    config.write_text('[smtp]\nhost = "h.example"\ntimeout = 10\ndeadline = 45.5\n',
                      encoding="utf-8")  # fmt: skip
    loaded = load_settings(config=config)
    assert (loaded.timeout, loaded.deadline) == (10.0, 45.5)
    monkeypatch.setenv("KPI_XL_SMTP_DEADLINE", "60")
    monkeypatch.setenv("KPI_XL_SMTP_TIMEOUT", "5")
    loaded = load_settings(config=config)
    assert (loaded.timeout, loaded.deadline) == (5.0, 60.0)
    assert load_settings(config=config, deadline=7).deadline == 7.0


BAD_SECONDS = ["-1", "nan", "0", "inf", "-inf", '"soon"', "true", "1e9", "[30]"]


@pytest.mark.parametrize("key", ["timeout", "deadline"])
@pytest.mark.parametrize("value", BAD_SECONDS)
def test_bad_seconds_in_the_config(key: str, value: str, tmp_path: Path) -> None:
    config = tmp_path / "smtp.toml"
    config.write_text(f'host = "h.example"\n{key} = {value}\n', encoding="utf-8")
    with pytest.raises(KpiXlError, match=rf"^{config}: bad SMTP {key} ") as error:
        load_settings(config=config)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("key", ["timeout", "deadline"])
@pytest.mark.parametrize("value", ["-1", "nan", "0", "inf", "soon", " "])
def test_bad_seconds_in_the_environment_or_settings(
    key: str, value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = f"KPI_XL_SMTP_{key.upper()}"
    monkeypatch.setenv(name, value)
    with pytest.raises(KpiXlError, match=rf"^bad SMTP {key} .*\(from {name}\)"):
        load_settings(host="h.example")
    number: dict[str, Any] = {key: math.nan if value.strip() in ("soon", "") else float(value)}
    with pytest.raises(KpiXlError, match=rf"^bad SMTP {key} "):
        SmtpSettings(host="h.example", **number)
    monkeypatch.setenv(name, "")  # an empty variable is no setting
    assert getattr(load_settings(host="h.example"), key) in (30.0, 120.0)


def test_cli_bad_timeout_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setattr(kpi_xl.mail.compose, "compose_email", composing_fails)
    config = tmp_path / "smtp.toml"
    config.write_text('host = "h.example"\ntimeout = nan\n', encoding="utf-8")
    code, out, err = run_cli(["plan.xlsx", "--to", BOSS, "--config", str(config)], capsys)
    assert (code, out) == (2, "")
    assert err == f"kpi-xl: error: {config}: bad SMTP timeout nan; expected a number of " \
                  "seconds above 0 and at most 86400\n"  # fmt: skip


# -- 4. bounded replies -----------------------------------------------------------------------


def endless_ehlo(lines: int, width: int) -> Callable[[Peer], None]:
    """An EHLO answer of ``lines`` continuation lines, then its end (a server that means
    well could still answer the rest: before the bound, the client read it all)."""

    def send(peer: Peer) -> None:
        line = b"250-" + b"x" * width + b"\r\n"
        for _ in range(0, lines, 1000):
            peer.send(line * 1000)
        peer.send(b"250 8BITMIME\r\n")

    return send


@pytest.mark.parametrize(
    ("lines", "width", "reason"),
    [
        (20_000, 8, f"sent a reply longer than {MAX_REPLY_LINES} lines or 64 KB"),
        (1_000, 300, f"sent a reply longer than {MAX_REPLY_LINES} lines or 64 KB"),
        (1_000, MAX_LINE + 10, f"sent a reply line longer than {MAX_LINE} bytes"),
    ],
    ids=["many-lines", "many-bytes", "long-line"],
)
def test_endless_reply_is_cut(lines: int, width: int, reason: str) -> None:
    with fake_server(Script(ehlo=endless_ehlo(lines, width))) as (port, peers):
        text = send_error(small_message(), fast(port))
    assert text == f"not sent: 127.0.0.1:{port} {reason}"
    assert peers[0].data == b""


def test_malformed_reply_is_one_line() -> None:
    banner = b"220 fake.example\r\nhello there \x1b[31m\r\n"
    script = Script(banner=lambda peer: peer.send(banner), ehlo=lambda peer: None)
    with fake_server(script) as (port, _):
        text = send_error(small_message(), fast(port))
    assert text == f"not sent: 127.0.0.1:{port} sent a malformed reply: 'hello there [31m'"


# -- 5. the command checks what it can before composing ---------------------------------------


def composing_fails(*args: Any, **kwargs: Any) -> EmailMessage:
    raise AssertionError("the message was composed")


def test_docs_example_without_sender_fails_before_composing(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kpi_xl.mail.compose, "compose_email", composing_fails)
    monkeypatch.setattr(getpass, "getpass", composing_fails)
    code, out, err = run_cli(["kpi_plan.xlsx", *DOCS_EXAMPLE], capsys)
    assert (code, out) == (2, "")
    assert err == ("kpi-xl: error: no sender: use --from or set KPI_XL_SMTP_FROM "
                   "(or 'from' in the SMTP config)\n")  # fmt: skip


def test_password_is_asked_before_composing(
    plan: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    steps: list[str] = []

    def prompt(text: str) -> str:
        steps.append("password")
        return PASSWORD

    def compose(*args: Any, **kwargs: Any) -> EmailMessage:
        steps.append("compose")
        raise KpiXlError("stop here")

    monkeypatch.setattr(kpi_xl.mail.compose, "compose_email", compose)
    monkeypatch.setattr(getpass, "getpass", prompt)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    # the plan is checked first (cheap), the password asked for last before composing
    code, _, err = run_cli([str(plan), *DOCS_EXAMPLE, "--from", SENDER], capsys)
    assert (code, err, steps) == (2, "kpi-xl: error: stop here\n", ["password", "compose"])


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "no password for SMTP user me: set KPI_XL_SMTP_PASSWORD"),
        ({"KPI_XL_SMTP_SECURITY": "none", "KPI_XL_SMTP_PASSWORD": PASSWORD},
         "refusing to send the password for me unencrypted to smtp.example.com:587"),
        ({"KPI_XL_SMTP_FROM": "a@example.com, b@example.com"},
         "the sender 'a@example.com, b@example.com' holds 2 addresses: give one"),
    ],
    ids=["no-password", "unencrypted", "two-senders"],
)  # fmt: skip
def test_login_problems_before_composing(
    env: dict[str, str], expected: str, plan: Path,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr(kpi_xl.mail.compose, "compose_email", composing_fails)
    monkeypatch.setattr(getpass, "getpass", composing_fails)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False, raising=False)
    env.setdefault("KPI_XL_SMTP_FROM", SENDER)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    argv = [a for a in DOCS_EXAMPLE if a != "--starttls"]
    code, out, err = run_cli([str(plan), *argv], capsys)
    assert (code, out) == (2, "")
    assert err.startswith(f"kpi-xl: error: {expected}") and err.count("\n") == 1, err


def test_eml_needs_a_sender(plan: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                            monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    out_file = tmp_path / "out.eml"
    code, out, err = run_cli([str(plan), "--to", BOSS, "--eml", str(out_file)], capsys)
    assert (code, out) == (2, "")
    assert err.startswith("kpi-xl: error: no sender: use --from or set KPI_XL_SMTP_FROM")
    assert not out_file.exists()
    monkeypatch.setenv("KPI_XL_SMTP_FROM", f"Analyst <{SENDER}>")
    code, out, err = run_cli([str(plan), "--to", BOSS, "--eml", str(out_file)], capsys)
    assert (code, err) == (0, "") and out.startswith(f"wrote {out_file}")
    written = email.message_from_bytes(out_file.read_bytes(), policy=email.policy.default)
    assert written["From"] == f"Analyst <{SENDER}>"
