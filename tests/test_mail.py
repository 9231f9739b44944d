"""E-mail: the composed message, and sending it to a real SMTP server on 127.0.0.1.

The server is aiosmtpd's ``Controller`` (its own thread and event loop); STARTTLS and
implicit TLS use a self-signed certificate made here. Numbers in the HTML are checked
against the workbook's stored values read independently with openpyxl. What the body says
on a phone (verdict, notes, status marks, chart, 390 px) is tested in test_mail_mobile.py.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import getpass
import logging
import os
import re
import shutil
import socket
import ssl
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

import kpi_xl.cli
from kpi_xl.errors import KpiXlError
from kpi_xl.mail import SmtpSettings, compose_email, load_settings, send_email
from kpi_xl.mail.settings import parse_server
from kpi_xl.pipeline import build_plan
from kpi_xl.sample_data import load_sample
from kpi_xl.style import STATUS_COLORS

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
USER, PASSWORD = "analyst", "s3cret-Pa55-word!"
#: The English status words the workbook writes, and the symbols the message shows with
#: them (the demo's statuses; by hand, from the issue: a status is never colour alone).
STATUS_CODES = {"On track": "on_track", "At risk": "at_risk", "Off track": "off_track"}
SYMBOLS = {"on_track": "✓", "at_risk": "!", "off_track": "✗"}
SMTP_ENV = ("HOST", "PORT", "USER", "PASSWORD", "SECURITY", "FROM")


# -- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("mail")
    return build_plan(load_sample(), folder / "kpi_plan.xlsx", template="ecommerce", lang="en")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No SMTP settings leak in from the machine running the tests."""
    for name in SMTP_ENV:
        monkeypatch.delenv(f"KPI_XL_SMTP_{name}", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 / localhost: (cert.pem, key.pem)."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    _make_certificate(cert, key)
    return cert, key


def _make_certificate(cert: Path, key: Path) -> None:
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    san = x509.SubjectAlternativeName(
        [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    )
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(private.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=2))
        .add_extension(san, critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(private, hashes.SHA256())
    )  # fmt: skip
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(private.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))  # fmt: skip


def server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    return context


def client_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificate[0]))


# -- an SMTP server on 127.0.0.1 --------------------------------------------------------------


class Mailbox:
    """aiosmtpd handler: keeps what arrives; refuses recipients named ``nobody@``."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], bytes]] = []

    # aiosmtpd calls its hooks by these names
    async def handle_RCPT(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address.startswith("nobody@"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted"

    def message(self) -> EmailMessage:
        assert len(self.received) == 1, self.received
        parsed = email.message_from_bytes(self.received[0][2], policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


def check_login(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        USER.encode(), PASSWORD.encode())  # fmt: skip
    return AuthResult(success=ok, handled=False)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def smtp_server(**options: Any) -> Iterator[tuple[Mailbox, int]]:
    mailbox, port = Mailbox(), free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


def settings(port: int, **options: Any) -> SmtpSettings:
    return SmtpSettings(host="127.0.0.1", port=port, security=options.pop("security", "none"),
                        timeout=10, **options)  # fmt: skip


def compose(plan: Path, **options: Any) -> EmailMessage:
    options.setdefault("sender", "analyst@example.com")
    return compose_email(plan, options.pop("to", "boss@example.com"), **options)


# -- reading the message -----------------------------------------------------------------------


#: Elements that start a new line of text.
BLOCKS = {"body", "div", "p", "table", "tr", "td", "th", "h1", "h2", "br", "img"}


class BodyText(HTMLParser):
    """The visible text of an HTML body, one string per block (a table cell, a paragraph,
    a line), whitespace collapsed; and every coloured chip (a ``span`` with a background):
    its text and style."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.lines: list[str] = []
        self.chips: list[tuple[str, str]] = []
        self._line: list[str] = []
        self._chip: list[str] | None = None
        self._style = ""
        self._in_body = False
        self.feed(html)
        self.close()
        self._flush()

    def _flush(self) -> None:
        text = " ".join("".join(self._line).split())
        if text:
            self.lines.append(text)
        self._line = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        style = dict(attrs).get("style") or ""
        if tag == "body":
            self._in_body = True
        if tag in BLOCKS:
            self._flush()
        elif tag == "span" and "background:" in style:
            self._chip, self._style = [], style

    def handle_endtag(self, tag: str) -> None:
        if tag in BLOCKS:
            self._flush()
        elif tag == "span" and self._chip is not None:
            self.chips.append((" ".join("".join(self._chip).split()), self._style))
            self._chip = None

    def handle_data(self, data: str) -> None:
        if self._in_body:
            self._line.append(data)
            if self._chip is not None:
                self._chip.append(data)


def payload(part: Any) -> bytes:
    data = part.get_payload(decode=True)
    assert isinstance(data, bytes)
    return data


def html_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("html",))
    assert body is not None
    return str(body.get_content())


def check_message(message: EmailMessage, plan: Path) -> None:
    """Text and HTML alternatives, the chart inline by Content-ID, the plan attached."""
    assert message.get_content_type() == "multipart/mixed"
    text = message.get_body(preferencelist=("plain",))
    assert text is not None and "Revenue" in str(text.get_content())
    html = html_of(message)
    images = [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 1 and images[0]["Content-Disposition"].startswith("inline")
    cid = images[0]["Content-ID"].strip("<>")
    assert f'src="cid:{cid}"' in html
    assert payload(images[0])[:8] == b"\x89PNG\r\n\x1a\n"
    attachments = list(message.iter_attachments())
    assert [a.get_content_type() for a in attachments] == [XLSX]
    assert attachments[0].get_filename() == plan.name
    data = payload(attachments[0])
    assert data == plan.read_bytes()


def status_code(text: str) -> str:
    """The status code of a status text as the workbook writes it (``! At risk``, or
    ``At risk`` in plans written before the symbols)."""
    return STATUS_CODES[re.sub(r"^\W+\s", "", text)]


def mark(code: str) -> str:
    """A status as the English message shows it: symbol and word."""
    return f"{SYMBOLS[code]} {next(w for w, c in STATUS_CODES.items() if c == code)}"


@dataclass
class Stored:
    """What a plan's Overview and Targets sheets hold (openpyxl, cached values)."""

    info: dict[str, Any] = field(default_factory=dict)  # "Current period" -> "2026-10"
    kpis: list[dict[str, Any]] = field(default_factory=list)  # header -> value, per KPI
    channels: list[dict[str, Any]] = field(default_factory=list)  # per channel
    targets: list[dict[str, Any]] = field(default_factory=list)  # the Targets rows
    notes: dict[str, str] = field(default_factory=dict)  # "revenue|all" -> note

    def unit(self, kpi: str, channel: str) -> str:
        """The unit of a KPI (its name) in a channel plan (the channel's name)."""
        return str(next(r["Unit"] for r in self.targets
                        if (r["KPI"], r["Channel"]) == (kpi, channel)))  # fmt: skip


def _head(text: Any) -> Any:
    """A header as its words: ``✓ On track`` -> ``On track``."""
    return re.sub(r"^\W+\s", "", text) if isinstance(text, str) else text


def _table(rows: list[tuple[Any, ...]], first: str) -> list[dict[str, Any]]:
    """The rows under the header row whose first cell is ``first``, down to a blank."""
    start = next(i for i, r in enumerate(rows) if r[0] == first)
    heads = [_head(h) for h in rows[start]]
    out = []
    for row in rows[start + 1 :]:
        if row[0] is None:
            break
        out.append({h: v for h, v in zip(heads, row, strict=True) if h is not None})
    return out


def read_stored(plan: Path) -> Stored:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl: unsupported extensions (sparklines)
        wb = openpyxl.load_workbook(plan, data_only=True)
    rows = list(wb["Overview"].iter_rows(values_only=True))
    stored = Stored(
        info={str(r[0]): r[1] for r in rows if r[0] is not None},  # label, value
        kpis=_table(rows, "KPI"),
        channels=_table(rows, "Channel"),
        targets=_table(list(wb["Targets"].iter_rows(values_only=True)), "key"),
    )
    for row in stored.kpis:
        row.setdefault("Unit", stored.unit(row["KPI"], "All channels"))
    for row in stored.targets:
        if row.get("Note"):
            stored.notes[str(row["key"])] = str(row["Note"])
    return stored


#: The ecommerce Overview's money per unit (cents shown), beside sums of money (whole euros).
PER_UNIT = {"Average order value (AOV)", "Customer acquisition cost (CAC)"}
#: Its volumes, whose pace to the end of a partial month the e-mail adds.
SUMS = {"Revenue", "Sessions"}


def shown(value: float, unit: str, name: str = "") -> str:
    """How the workbook's number formats show the ecommerce Overview's units (an English
    plan in EUR: the symbol first, cents only on money per unit)."""
    money = f"€{value:,.2f}" if name in PER_UNIT else f"€{value:,.0f}"
    return {"Currency": money, "Percent": f"{value * 100:.1f}%", "Count": f"{value:,.0f}",
            "Multiple": f"{value:.2f}x"}[unit]  # fmt: skip


# -- the message ------------------------------------------------------------------------------


def test_message_parts(plan: Path) -> None:
    message = compose(plan, cc=["Carol <carol@example.com>"])
    check_message(message, plan)
    assert message["From"] == "analyst@example.com"
    assert message["Cc"] == "Carol <carol@example.com>"
    # the verdict: on-track count of the overall KPIs, the first one's pace vs its target
    stored = read_stored(plan)
    codes = [status_code(row["Status"]) for row in stored.kpis]
    first = stored.kpis[0]
    change = first["Pace to period end"] / first["Target"] - 1
    assert message["Subject"] == (
        f"October 2026: {codes.count('on_track')}/{len(codes)} on track, "
        f"Revenue on pace {change:+.1%} vs target"
    )
    assert message["Subject"] == "October 2026: 2/7 on track, Revenue on pace -5.1% vs target"
    assert compose(plan, subject="Viikko 42")["Subject"] == "Viikko 42"


def test_html_shows_the_stored_values(plan: Path) -> None:
    """One block per KPI: name, status (symbol and word), actual, target, attainment, the
    pace of volumes in the partial month; then one per channel, its counts as chips."""
    body = BodyText(html_of(compose(plan)))
    lines, stored = body.lines, read_stored(plan)
    assert len(stored.kpis) == 7 and len(stored.channels) == 7
    at, paced = lines.index("Overall plan"), set()
    for row in stored.kpis:
        name, unit = row["KPI"], row["Unit"]
        expected = [
            name, mark(status_code(row["Status"])),
            "Actual", shown(row["Actual"], unit, name), "Target", shown(row["Target"], unit, name),
            "Attainment", f"{row['Attainment'] * 100:.1f}%",
        ]  # fmt: skip
        if name in SUMS:  # the demo's data end on 20 October: volumes say their pace
            expected.append(f"on pace for {shown(row['Pace to period end'], unit, name)}")
            paced.add(name)
        at = lines.index(name, at)
        assert lines[at : at + len(expected)] == expected
        at += len(expected)
    assert paced == SUMS
    at = lines.index("Channel status", at)
    for row in stored.channels:
        counts = [f"{SYMBOLS[code]} {row[word]}" for word, code in STATUS_CODES.items()]
        name, unit = row["KPI"], stored.unit(row["KPI"], row["Channel"])
        expected = [
            " ".join([row["Channel"], *counts]), name, mark(status_code(row["Status"])),
            "Actual", shown(row["Actual"], unit, name), "Target", shown(row["Target"], unit, name),
            "Attainment", f"{row['Attainment'] * 100:.1f}%",
        ]  # fmt: skip
        at = lines.index(expected[0], at)
        assert lines[at : at + len(expected)] == expected
    # every chip's colours are its status's, the status its symbol says
    by_symbol = {symbol: code for code, symbol in SYMBOLS.items()}
    assert len(body.chips) > 7 + 7 + 7 * 3
    for text, style in body.chips:
        bg, fg = STATUS_COLORS[by_symbol[text[0]]]
        assert f"background:{bg};color:{fg}" in style, (text, style)


def test_persian_message_is_right_to_left(plan: Path) -> None:
    html = html_of(compose(plan, lang="fa"))
    assert '<html lang="fa" dir="rtl">' in html and 'dir="rtl"' in html.split("<body", 1)[1]
    assert 'dir="ltr"' in html_of(compose(plan)).split(">", 2)[1]


@pytest.mark.parametrize(
    "address",
    ["bad", "a@", "@example.com", "a b@example.com", "a@example.com\r\nBcc: e@evil.example",
     "a@-x.example", "a@nodot", "ä@example.com", ""],
)  # fmt: skip
def test_bad_address_refused(plan: Path, address: str) -> None:
    with pytest.raises(KpiXlError, match=r"address|recipient"):
        compose(plan, to=address)
    with pytest.raises(KpiXlError, match=r"address|recipient"):
        compose(plan, cc=[address or "x"], to="boss@example.com")


def test_macro_workbook_refused(plan: Path, tmp_path: Path) -> None:
    xlsm = tmp_path / "plan.xlsm"
    shutil.copyfile(plan, xlsm)
    command = (
        rf"kpi-xl export-email {re.escape(str(xlsm))} -o {re.escape(str(tmp_path))}/plan\.xlsx"
    )
    with pytest.raises(KpiXlError, match=command):
        compose(xlsm)


def test_not_a_plan_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.xlsx"
    wb = openpyxl.Workbook()
    wb.save(other)
    with pytest.raises(KpiXlError, match="not a kpi_xl plan"):
        compose(other)
    text = tmp_path / "notes.xlsx"
    text.write_text("hello", encoding="utf-8")
    with pytest.raises(KpiXlError, match="not an Excel workbook"):
        compose(text)


# -- sending ----------------------------------------------------------------------------------


def test_send_delivers_the_message(plan: Path) -> None:
    message = compose(plan, cc="carol@example.com")
    with smtp_server() as (mailbox, port):
        sent = send_email(message, settings(port))
    assert sent == ["boss@example.com", "carol@example.com"]
    sender, recipients, _ = mailbox.received[0]
    assert (sender, recipients) == ("analyst@example.com", sent)
    received = mailbox.message()
    check_message(received, plan)
    attachment = payload(next(received.iter_attachments()))
    copy = plan.with_name("received.xlsx")
    copy.write_bytes(attachment)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl: unsupported extensions (sparklines)
        assert "Overview" in openpyxl.load_workbook(copy, data_only=True).sheetnames


def test_non_ascii_attachment_name(plan: Path, tmp_path: Path) -> None:
    named = tmp_path / "KPI-план ösz 2026.xlsx"
    shutil.copyfile(plan, named)
    with smtp_server() as (mailbox, port):
        send_email(compose(named), settings(port))
    raw = mailbox.received[0][2]
    assert raw.isascii() and b"filename*=utf-8''KPI-%D0%BF" in raw  # RFC 2231
    attachment = next(mailbox.message().iter_attachments())
    assert attachment.get_filename() == named.name
    assert payload(attachment) == named.read_bytes()


def test_refused_recipient_sends_nothing(plan: Path) -> None:
    message = compose(plan, cc=["nobody@example.com"])
    with smtp_server() as (mailbox, port), pytest.raises(KpiXlError, match="not sent to anyone"):
        send_email(message, settings(port))
    assert mailbox.received == []


def test_unreachable_server(plan: Path) -> None:
    with pytest.raises(KpiXlError, match=r"cannot reach the SMTP server 127\.0\.0\.1"):
        send_email(compose(plan), settings(free_port()))


def test_starttls_and_login(plan: Path, certificate: tuple[Path, Path]) -> None:
    tls = {
        "tls_context": server_context(certificate), "require_starttls": True,
        "authenticator": check_login, "auth_required": True, "auth_require_tls": True,
    }  # fmt: skip
    good = settings(0, security="starttls", user=USER, password=PASSWORD,
                    ssl_context=client_context(certificate))  # fmt: skip
    with smtp_server(**tls) as (mailbox, port):
        send_email(compose(plan), replace(good, port=port))
        assert len(mailbox.received) == 1
        bad = replace(good, port=port, password="wrong-" + PASSWORD)
        with pytest.raises(KpiXlError, match="refused the login for analyst: 535") as error:
            send_email(compose(plan), bad)
        assert PASSWORD not in str(error.value)
        # the server's certificate is not trusted by the system's default context
        untrusted = replace(good, port=port, ssl_context=None)
        with pytest.raises(KpiXlError, match=r"TLS with 127\.0\.0\.1:\d+ failed: .*certificate"):
            send_email(compose(plan), untrusted)
        assert len(mailbox.received) == 1
    assert PASSWORD not in repr(good) and PASSWORD not in str(good)


def test_implicit_tls(plan: Path, certificate: tuple[Path, Path]) -> None:
    with smtp_server(ssl_context=server_context(certificate)) as (mailbox, port):
        send_email(compose(plan), settings(port, security="ssl",
                                           ssl_context=client_context(certificate)))  # fmt: skip
    check_message(mailbox.message(), plan)


def test_no_starttls_offered(plan: Path) -> None:
    with (
        smtp_server() as (mailbox, port),
        pytest.raises(KpiXlError, match="does not offer STARTTLS"),
    ):
        send_email(compose(plan), settings(port, security="starttls"))
    assert mailbox.received == []


# -- settings ---------------------------------------------------------------------------------


def test_settings_sources(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "config" / "kpi_xl" / "smtp.toml"
    config.parent.mkdir(parents=True)
    config.write_text('[smtp]\nhost = "file.example"\nport = 2525\nuser = "fileuser"\n'
                      'from = "file@example.com"\n', encoding="utf-8")  # fmt: skip
    loaded = load_settings()
    assert (loaded.host, loaded.port, loaded.user, loaded.sender) == (
        "file.example", 2525, "fileuser", "file@example.com")  # fmt: skip
    monkeypatch.setenv("KPI_XL_SMTP_HOST", "env.example")
    monkeypatch.setenv("KPI_XL_SMTP_SECURITY", "ssl")
    monkeypatch.setenv("KPI_XL_SMTP_PASSWORD", PASSWORD)
    loaded = load_settings(port=465)
    assert (loaded.host, loaded.port, loaded.security) == ("env.example", 465, "ssl")
    assert loaded.password == PASSWORD and PASSWORD not in repr(loaded)
    assert load_settings(host="cli.example").host == "cli.example"
    assert parse_server("[::1]:25") == ("::1", 25) and parse_server("smtp.x") == ("smtp.x", None)
    monkeypatch.setenv("KPI_XL_SMTP_SECURITY", "rot13")
    with pytest.raises(KpiXlError, match="unknown SMTP security"):
        load_settings()


def test_config_with_password_must_be_private(tmp_path: Path) -> None:
    config = tmp_path / "smtp.toml"
    config.write_text(f'host = "h.example"\npassword = "{PASSWORD}"\n', encoding="utf-8")
    if os.name == "posix":
        config.chmod(0o644)
        with pytest.raises(KpiXlError, match="chmod 600") as error:
            load_settings(config=config)
        assert PASSWORD not in str(error.value)
        config.chmod(0o600)
    assert load_settings(config=config).password == PASSWORD
    config.write_text("host = \n", encoding="utf-8")
    with pytest.raises(KpiXlError, match="not valid TOML"):
        load_settings(config=config)


# -- the command line -------------------------------------------------------------------------


@pytest.fixture
def cli() -> Callable[[list[str]], int]:
    """``kpi_xl.cli.main``, whose parser must register ``send``."""
    root = kpi_xl.cli.parser()
    commands = next(a for a in root._actions if isinstance(a, argparse._SubParsersAction))
    assert "send" in commands.choices
    return kpi_xl.cli.main


def test_cli_send(plan: Path, cli: Callable[[list[str]], int], certificate: tuple[Path, Path],
                  monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                  caplog: pytest.LogCaptureFixture) -> None:  # fmt: skip
    # OpenSSL reads the trusted certificates of ssl.create_default_context() from here
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    monkeypatch.setenv("KPI_XL_SMTP_PASSWORD", PASSWORD)
    caplog.set_level(logging.DEBUG)
    tls = {"tls_context": server_context(certificate), "authenticator": check_login,
           "auth_required": True, "auth_require_tls": True}  # fmt: skip
    with smtp_server(**tls) as (mailbox, port):
        argv = [
            "send", str(plan), "--to", "boss@example.com", "--cc", "carol@example.com",
            "--from", "analyst@example.com", "--smtp", f"127.0.0.1:{port}", "--starttls",
            "--user", USER, "--lang", "fi", "--subject", "Viikko 42",
        ]  # fmt: skip
        assert cli(argv) == 0
        monkeypatch.setenv("KPI_XL_SMTP_PASSWORD", "wrong-" + PASSWORD)
        assert cli(argv) == 2
    out, err = capsys.readouterr()
    assert out.strip() == (f"sent kpi_plan.xlsx to boss@example.com, carol@example.com via "
                           f"127.0.0.1:{port} (starttls)")  # fmt: skip
    assert err.count("\n") == 1 and err.startswith("kpi-xl: error: ") and "535" in err
    assert mailbox.message()["Subject"] == "Viikko 42"
    assert mailbox.message()["Content-Language"] == "fi"
    assert PASSWORD not in out + err + caplog.text


def test_cli_eml_and_errors(plan: Path, cli: Callable[[list[str]], int], tmp_path: Path,
                            capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    out_file = tmp_path / "out" / "plan.eml"
    sender = ["--from", "analyst@example.com"]  # --eml needs a sender too (test_mail_smtp.py)
    assert cli(["send", str(plan), "--to", "boss@example.com", "--eml", str(out_file),
                *sender]) == 0  # fmt: skip
    assert capsys.readouterr().out.startswith(f"wrote {out_file} (kpi_plan.xlsx for boss@")
    parsed = email.message_from_bytes(out_file.read_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    check_message(parsed, plan)
    assert [p.name for p in out_file.parent.iterdir()] == ["plan.eml"]  # no temporary left
    xlsm = tmp_path / "plan.xlsm"
    shutil.copyfile(plan, xlsm)
    for argv in (
        ["send", str(xlsm), "--to", "boss@example.com", "--eml", str(out_file)],
        ["send", str(plan), "--to", "not an address", "--eml", str(out_file)],
        ["send", str(plan), "--to", "boss@example.com"],  # no server configured
        ["send", str(plan), "--to", "boss@example.com", "--smtp", "127.0.0.1:1", "--user", "u"],
    ):
        assert cli([*argv, *sender]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("kpi-xl: error: "), err


def test_password_prompt_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from kpi_xl.mail import command

    login = SmtpSettings(host="smtp.example.com", user=USER)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False, raising=False)
    with pytest.raises(KpiXlError, match="KPI_XL_SMTP_PASSWORD"):
        command._password(login)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(getpass, "getpass", lambda prompt: PASSWORD)
    assert command._password(login).password == PASSWORD


def test_no_password_in_clear_to_a_remote_server() -> None:
    from kpi_xl.mail.smtp import _session

    class Client:
        def ehlo(self) -> None: ...

        def has_extn(self, name: str) -> bool:
            return True

        def login(self, user: str, password: str) -> None:
            raise AssertionError("the password was sent")

    remote = SmtpSettings(host="smtp.example.com", security="none", user=USER, password=PASSWORD)
    with pytest.raises(KpiXlError, match="unencrypted") as error:
        _session(Client(), remote)  # type: ignore[arg-type]
    assert PASSWORD not in str(error.value)
