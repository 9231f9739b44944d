"""Every command in README.md and docs/*.md runs, and prints what the docs show.

The docs' fenced blocks are read here, not copied, so a doc change that breaks an example
fails this test, with the doc's file and line in the test's id:

* bash, sh and shell blocks, and untagged blocks whose first word is a program (kpi-xl,
  pip, python...): every line is a command (``\\`` continuations joined, a ``# ...``
  comment after it dropped, ``a && b`` two commands);
* console blocks: ``$ `` marks a command, the lines after it are its shown output;
* a json block right after a command block is that command's output (after a block of
  several commands, :data:`OUTPUT_OF` says whose);
* python blocks run statement by statement; an expression followed by a comment holding a
  Python literal (``x  # 25.0``) must give that literal's ``repr``;
* a fenced line ``kpi-xl: error: ...`` is an error the docs show on purpose:
  :data:`SHOWN_ERRORS` says which of the doc's commands, against which server, prints it
  (exit code 2); the parts of every message sent or written must be the tree docs/email.md
  shows under *What the message contains*;
* toml, sql and vb blocks, and untagged blocks of other lines (a file's layout, an error
  text, an Excel formula), are illustrations, not commands.

Each command runs in a fresh folder holding the files it names, copied from :data:`FILES`
(the docs' name -> a fixture here). A command reading what an earlier command of its
block writes (``export-email kpi_plan.xlsm`` after ``demo --macro``, a history store after
the ``ingest --store`` that made it) runs after that command, as a reader types them.
``kpi-xl`` runs in this process (``kpi_xl.cli.main``); ``python scripts/...`` runs through
bash with the script copied into the folder, so it writes there, never into the
repository. ``kpi-xl send`` talks to an SMTP server on 127.0.0.1 that requires STARTTLS
(its certificate made here and trusted through ``SSL_CERT_FILE``): only ``--smtp``'s
host:port is rewritten (and a Python example's ``"smtp.example.com"``); the settings
docs/email.md lists come from the environment (``KPI_XL_SMTP_HOST``, ``_PORT``, ``_FROM``,
and ``_PASSWORD`` for ``--user``); the message must arrive, to everyone the command names.
What cannot run here (installs, Excel, a server on another machine, the whole test suite)
is in :data:`NOT_RUN` with the reason, and may only name lines that are still in the docs.

Shown output is compared after these normalisations only: the SMTP server's
``127.0.0.1:PORT`` is written as the docs' host:port, the working folder's path is removed,
and a shown error's own ``normalise`` (the SMTP deadline the test shortens). JSON is
compared as data (key order and line breaks are free): ``{...}``, ``[...]`` and a value
``...`` stand for anything, ``, ...`` before a closing brace for more keys; an object shown
without it must have exactly the keys shown.
"""

from __future__ import annotations

import ast
import contextlib
import datetime as dt
import email
import email.policy
import io
import itertools
import json
import os
import re
import shlex
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
import tokenize
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage, MIMEPart
from email.utils import getaddresses
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from kpi_xl.cli import main
from kpi_xl.mail.settings import ENV as SMTP_ENV

ROOT = Path(__file__).resolve().parent.parent
DOCS = ("README.md", *sorted(f"docs/{p.name}" for p in (ROOT / "docs").glob("*.md")))
EXPORTS = "tests/fixtures/exports"
OWN = "tests/fixtures/docs"

# -- what the docs' file names are here ------------------------------------------------------


@dataclass(frozen=True)
class Fixture:
    """What a file or folder the docs name is in the test's folder.

    ``source``: a file or folder of this repository, copied; ``members``: only these files
    of the folder; ``zipped``: the folder's files as a zip; ``mtime``: the copy's
    modification time (an export's age, for which download is newer); ``built``: a
    command writing it, run once per module in a folder of its own.
    """

    source: str = ""
    members: tuple[str, ...] = ()
    zipped: bool = False
    mtime: str | None = None
    built: str = ""


#: One month (September 2026, EUR) of GA4, Google Ads and Meta, as downloaded for a date
#: range without a date dimension; LinkedIn's report of the same month is in USD.
MONTH = {
    "ga4": Fixture(f"{EXPORTS}/ga4_traffic_acquisition_month.csv"),
    "google_ads": Fixture(f"{EXPORTS}/google_ads_campaign_report_month.csv"),
    "meta": Fixture(f"{EXPORTS}/meta_ads_ads_month.csv"),
}
#: The name a doc uses -> the fixture; a name followed by ``/`` in a command (a glob such
#: as ``exports/*.csv``) takes the folder.
FILES: dict[str, Fixture] = {
    "ga4.csv": MONTH["ga4"],
    "ga4_export.csv": MONTH["ga4"],
    "ga4_september.csv": MONTH["ga4"],
    "google_ads.csv": MONTH["google_ads"],
    "google_ads_september.csv": MONTH["google_ads"],
    "meta.csv": MONTH["meta"],
    "meta_ads.csv": MONTH["meta"],
    "linkedin.csv": Fixture(f"{EXPORTS}/mixed_2026_09/linkedin_campaigns.csv"),
    "gsc.zip": Fixture(f"{EXPORTS}/mixed_2026_09/search_console", zipped=True),
    # daily exports (GA4 and Meta in March 2025, Google Ads in January 2025), all in EUR:
    # daily rows fit any calendar, so the Persian (Solar Hijri) plan reads them too
    "exports": Fixture(
        EXPORTS, ("ga4_traffic_acquisition.csv", "google_ads_campaigns.csv", "meta_ads_daily.csv")
    ),
    # the newer downloads a refresh reads: the September 2026 month
    "new_exports": Fixture(
        EXPORTS,
        (
            "ga4_traffic_acquisition_month.csv",
            "google_ads_campaign_report_month.csv",
            "meta_ads_ads_month.csv",
        ),
    ),
    "targets.csv": Fixture(f"{OWN}/targets.csv"),  # targets for the 2025 plan of exports/
    # two overlapping weekly Meta downloads (2..8 and 6..12 March 2026), a day apart
    "meta_week1.csv": Fixture(f"{OWN}/meta_week1.csv", mtime="2026-03-18T09:00"),
    "meta_week2.csv": Fixture(f"{OWN}/meta_week2.csv", mtime="2026-03-19T09:00"),
    "ga4_october.csv": Fixture(f"{OWN}/ga4_october.csv"),  # October 2025, last year's month
    "kpi_plan.xlsx": Fixture(built="kpi-xl demo"),
    "plan.xlsx": Fixture(built="kpi-xl build exports/*.csv -o plan.xlsx"),
    "plan.xlsm": Fixture(built="kpi-xl build exports/*.csv --macro -o plan.xlsm"),
    "scripts/render_email.py": Fixture("scripts/render_email.py"),
    "scripts/uzbek_apostrophes.py": Fixture("scripts/uzbek_apostrophes.py"),
    "kpi_xl/catalog": Fixture("kpi_xl/catalog"),
}
#: Commands whose own words ask for other files than :data:`FILES` gives.
OVERRIDES: dict[str, dict[str, Fixture]] = {
    # "Meta in EUR, Google Ads in USD": September 2026 of Meta (EUR), Google Ads and
    # LinkedIn (USD), GA4 and Mailchimp
    "kpi-xl build exports/*.csv -o plan.xlsx --fx USD=0.92": {
        "exports": Fixture(
            f"{EXPORTS}/mixed_2026_09",
            (
                "ga4_traffic_acquisition.csv",
                "google_ads_campaign_report.csv",
                "linkedin_campaigns.csv",
                "mailchimp_campaigns.csv",
                "meta_ads_ads.csv",
            ),
        )
    },
}

#: (doc, command or Python line) -> why it does not run here. Only lines in the docs.
NOT_RUN: dict[tuple[str, str], str] = {
    ("README.md", "pip install -e ."): "installs the package (the suite runs on the install)",
    ("README.md", 'pip install -e ".[test]"'): "installs packages from the network",
    ("README.md", "python -m pytest -p no:cacheprovider"): "the whole suite, this file too: CI",
    ("README.md", "ruff check ."): "CI runs it (.ci/run)",
    ("README.md", "ruff format --check ."): "CI runs it (.ci/run)",
    ("README.md", "mypy"): "CI runs it (.ci/run)",
    ("README.md", "bash .ci/run"): "CI itself: installs system packages, runs the suite",
    ("docs/macro.md", 'pip install ".[excel]"'): "installs packages from the network",
    ("docs/udfs.md", 'pip install ".[excel]"'): "installs packages from the network",
    ("docs/udfs.md", "xlwings addin install"): "installs the add-in into Excel (Windows, macOS)",
    ("docs/warehouse.md", 'pip install "kpi-xl[warehouse]"'): "installs packages",
    ("docs/warehouse.md", 'pip install "ibis-framework[bigquery]"'): "installs packages",
    ("docs/warehouse.md", 'pip install "ibis-framework[snowflake]"'): "installs packages",
    ("docs/warehouse.md", 'eval "$(bash .ci/warehouse_servers start)"'): "CI runs it (.ci/run)",
    ("docs/warehouse.md", "trap 'bash .ci/warehouse_servers stop' EXIT"): "CI runs it (.ci/run)",
    ("docs/warehouse.md", "export KPI_XL_REQUIRE_WAREHOUSE=1"): "CI runs it (.ci/run)",
    (
        "docs/warehouse.md",
        'url = "postgresql://analyst@db.example.com:5432/marketing?table=reporting.kpi_daily"',
    ): "reads a PostgreSQL server on another machine (tests/test_warehouse.py runs load_warehouse)",
}
#: The reasons that claim CI runs the line: it must be in .ci/run as it is in the docs.
IN_CI = ("CI runs it (.ci/run)", "the whole suite, this file too: CI")

#: A ```json block after a block of several commands: the command it is the output of.
OUTPUT_OF: dict[tuple[str, str], str] = {
    ("docs/store.md", '"store": {'): "kpi-xl ingest meta_week2.csv ga4_october.csv "
    "--store marketing.duckdb",
}


@dataclass(frozen=True)
class ShownError:
    """An error the docs show: which command of the doc gives it, against which server."""

    command: str
    reply: str = ""  # the server's answer to the message
    drip: bool = False  # a server sending its greeting a byte at a time
    env: tuple[tuple[str, str], ...] = ()
    #: (what this run prints, what the docs show): the settings the test shortens
    normalise: tuple[tuple[str, str], ...] = ()


FIRST_SEND = (
    "kpi-xl send kpi_plan.xlsx --from me@example.com --to boss@example.com "
    "--smtp smtp.example.com:587 --starttls --user me"
)
SHOWN_ERRORS: dict[tuple[str, str], ShownError] = {
    (
        "docs/email.md",
        "kpi-xl: error: not sent: smtp.example.com:587 refused the message: 554 5.7.1 rejected",
    ): ShownError(FIRST_SEND, reply="554 5.7.1 rejected"),
    (
        "docs/email.md",
        "kpi-xl: error: not sent: smtp.example.com:587 did not finish within the 120 s deadline "
        "(setting: deadline)",
    ): ShownError(
        FIRST_SEND,
        drip=True,
        env=(("KPI_XL_SMTP_DEADLINE", "1"),),  # not the default 120 s: the test waits it
        normalise=(("within the 1 s deadline", "within the 120 s deadline"),),
    ),
}

#: The doc whose block starting ``multipart/mixed`` shows the parts of every message sent.
MIME_DOC = "docs/email.md"

#: Block languages and what they are; an unknown one fails test_every_block_is_known.
SHELL = {"bash", "sh", "shell", "console"}
ILLUSTRATIONS = {"toml", "sql", "vb"}
PROGRAMS = {"kpi-xl", "pip", "python", "python3", "xlwings", "bash", "eval", "trap", "export",
            "ruff", "mypy", "soffice", "duckdb", "gcloud"}  # fmt: skip
#: Programs needing something this machine may lack: skipped without it, unless CI says so.
NEEDS_CHROMIUM = ("scripts/render_email.py",)

# -- reading the docs ------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    doc: str
    line: int  # 1-based line of the block's first line of content
    lang: str
    lines: tuple[str, ...]
    gap: str  # the text between the previous block of the doc and this one


@dataclass
class Command:
    doc: str
    line: int
    text: str  # as in the docs: continuations joined, the comment dropped
    block: int  # index of its block in the doc's blocks
    index: int  # its place among the block's commands
    shown: str | None = None  # the output the docs show for it
    shown_at: int = 0

    @property
    def argv(self) -> list[str]:
        return shlex.split(self.text)

    @property
    def id(self) -> str:
        return f"{self.doc}:{self.line} {self.text}"


@dataclass(frozen=True)
class PythonExample:
    doc: str
    line: int
    source: str

    @property
    def id(self) -> str:
        return f"{self.doc}:{self.line} python"


FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<lang>[^`\s]*)\s*$")


def read_blocks(doc: str) -> list[Block]:
    lines = (ROOT / doc).read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    i, gap_start = 0, 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        indent, fence = len(match["indent"]), match["fence"]
        end = i + 1
        while end < len(lines) and lines[end].strip() != fence:
            end += 1
        body = tuple(line[indent:] if not line[:indent].strip() else line.lstrip()
                     for line in lines[i + 1 : end])  # fmt: skip
        gap = "\n".join(lines[gap_start:i])
        blocks.append(Block(doc, i + 2, match["lang"].lower(), body, gap))
        i = gap_start = end + 1
    return blocks


def _unquoted(text: str) -> Iterator[tuple[int, str]]:
    """(position, character) of ``text`` outside shell quotes."""
    quote = ""
    for pos, char in enumerate(text):
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        else:
            yield pos, char


def strip_comment(text: str) -> str:
    for pos, char in _unquoted(text):
        if char == "#" and (pos == 0 or text[pos - 1].isspace()):
            return text[:pos].rstrip()
    return text.strip()


def split_and(text: str) -> list[str]:
    """``a && b``: two commands."""
    parts, start = [], 0
    for pos, char in _unquoted(text):
        if char == "&" and text.startswith("&&", pos) and pos >= start:
            parts.append(text[start:pos].strip())
            start = pos + 2
    parts.append(text[start:].strip())
    return [p for p in parts if p]


def is_shell(block: Block) -> bool:
    if block.lang in SHELL:
        return True
    if block.lang:
        return False
    first = next((line.split()[0] for line in block.lines if line.strip()), "")
    return first in PROGRAMS


def shell_commands(block: Block, number: int) -> list[Command]:
    console = block.lang == "console"
    commands: list[Command] = []
    shown: list[str] = []
    i = 0
    while i < len(block.lines):
        line, at = block.lines[i].strip(), block.line + i
        i += 1
        if console and not line.startswith("$ "):
            if commands:  # the output of the command above
                shown.append(block.lines[i - 1])
                commands[-1].shown = "\n".join(shown).strip("\n")
                commands[-1].shown_at = commands[-1].shown_at or at
            continue
        shown = []
        text = line[2:] if console else line
        if not text or text.startswith("#"):
            continue
        while text.endswith("\\") and i < len(block.lines):
            text = text[:-1].rstrip() + " " + block.lines[i].strip()
            i += 1
        for part in split_and(strip_comment(text)):
            commands.append(Command(block.doc, at, part, number, len(commands)))
    return commands


@dataclass
class Doc:
    name: str
    blocks: list[Block]
    commands: list[Command] = field(default_factory=list)
    python: list[PythonExample] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)  # fenced kpi-xl: error: lines
    problems: list[str] = field(default_factory=list)  # blocks this harness cannot place


def read_doc(name: str) -> Doc:
    doc = Doc(name, read_blocks(name))
    previous: list[Command] = []
    for number, block in enumerate(doc.blocks):
        for offset, line in enumerate(block.lines):
            if line.startswith("kpi-xl: error:"):
                doc.errors.append((block.line + offset, line.strip()))
        if is_shell(block):
            previous = shell_commands(block, number)
            doc.commands.extend(previous)
            continue
        if block.lang == "python":
            doc.python.append(PythonExample(name, block.line, "\n".join(block.lines)))
        elif block.lang == "json":
            _attach_json(doc, block, previous)
        elif block.lang and block.lang not in ILLUSTRATIONS:
            doc.problems.append(f"{name}:{block.line}: unknown block language {block.lang!r}")
        previous = []
    return doc


def _attach_json(doc: Doc, block: Block, previous: list[Command]) -> None:
    """A ```json block shows the output of the command block right before it."""
    where = f"{doc.name}:{block.line}"
    if not previous or re.search(r"^#", block.gap, re.M):
        doc.problems.append(f"{where}: a JSON block that follows no command block")
        return
    named = OUTPUT_OF.get((doc.name, block.lines[0].strip()))
    owners = [c for c in previous if c.text == named] if named else previous
    if len(owners) != 1:
        doc.problems.append(f"{where}: which command prints this? Name it in OUTPUT_OF")
        return
    owners[0].shown = "\n".join(block.lines)
    owners[0].shown_at = block.line


READ = {name: read_doc(name) for name in DOCS}


def runnable(command: Command) -> bool:
    argv = command.argv
    return argv[0] == "kpi-xl" or (
        argv[0] in ("python", "python3") and len(argv) > 1 and argv[1].startswith("scripts/")
    )


def commands_to_run() -> list[Command]:
    return [
        c
        for doc in READ.values()
        for c in doc.commands
        if (c.doc, c.text) not in NOT_RUN and runnable(c)
    ]


def python_to_run() -> list[PythonExample]:
    return [
        example
        for doc in READ.values()
        for example in doc.python
        if not any(
            doc_name == example.doc and line in example.source.splitlines()
            for doc_name, line in NOT_RUN
        )
    ]


# -- the docs' lists hold what the docs hold -------------------------------------------------


def test_every_block_is_known() -> None:
    problems = [p for doc in READ.values() for p in doc.problems]
    assert not problems, "\n".join(problems)


def test_every_command_runs_or_says_why_not() -> None:
    missing = [
        c.id
        for doc in READ.values()
        for c in doc.commands
        if not runnable(c) and (c.doc, c.text) not in NOT_RUN
    ]
    assert not missing, f"no way to run these; run them here or add them to NOT_RUN: {missing}"


def test_lists_name_only_lines_still_in_the_docs() -> None:
    """NOT_RUN, OUTPUT_OF, OVERRIDES and SHOWN_ERRORS cannot rot."""
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    for (doc, line), reason in NOT_RUN.items():
        texts = {c.text for c in READ[doc].commands}
        lines = {ln for ex in READ[doc].python for ln in ex.source.splitlines()}
        assert line in texts | lines, f"NOT_RUN names {line!r}, no longer in {doc}"
        if reason in IN_CI:
            assert line in (ln.strip() for ln in ci), f"{line!r} is not in .ci/run"
    every = {c.text for doc in READ.values() for c in doc.commands}
    for (doc, _), command in OUTPUT_OF.items():
        assert command in {c.text for c in READ[doc].commands}, command
    for command in OVERRIDES:
        assert command in every, f"OVERRIDES names {command!r}, no longer in the docs"
    shown = {(doc.name, text) for doc in READ.values() for _, text in doc.errors}
    assert set(SHOWN_ERRORS) == shown, "each fenced 'kpi-xl: error:' line needs SHOWN_ERRORS"
    for (doc, _), case in SHOWN_ERRORS.items():
        assert case.command in {c.text for c in READ[doc].commands}, case.command


# -- the working folder ----------------------------------------------------------------------

OUTPUT_OPTIONS = ("-o", "--output", "--eml", "--store")


def outputs(argv: list[str]) -> set[str]:
    """The files a command writes: its -o, --eml and --store, and the demo's own name."""
    made = {value for option, value in itertools.pairwise(argv) if option in OUTPUT_OPTIONS}
    if argv[:2] == ["kpi-xl", "demo"] and not {"-o", "--output"} & set(argv):
        made.add("kpi_plan.xlsm" if "--macro" in argv else "kpi_plan.xlsx")
    return made


def inputs(argv: list[str]) -> set[str]:
    """The words of a command that may name a file it reads (a store is read too)."""
    store = {v for o, v in itertools.pairwise(argv) if o == "--store"}
    return ({a for a in argv[1:] if not a.startswith("-")} - outputs(argv)) | store


def chain(command: Command) -> list[Command]:
    """The command, after the commands of its block that write what it reads."""
    block = [c for c in READ[command.doc].commands if c.block == command.block]
    needed, steps = inputs(command.argv), [command]
    for earlier in reversed(block[: command.index]):
        made = outputs(earlier.argv) & needed
        if made:
            steps.insert(0, earlier)
            needed = (needed - made) | inputs(earlier.argv)
    return steps


def fixture_for(word: str, command: str = "") -> tuple[str, Fixture] | None:
    table = {**FILES, **OVERRIDES.get(command, {})}
    for name in sorted(table, key=len, reverse=True):
        if word == name or word.startswith(name + "/"):
            return name, table[name]
    return None


class Workshop:
    """Builds the :data:`FILES` made by a command, once per module, each in its folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.built: dict[str, Path] = {}

    def get(self, name: str, fixture: Fixture) -> Path:
        if name not in self.built:
            folder = self.root / name
            folder.mkdir()
            argv = shlex.split(fixture.built)
            self.place(folder, inputs(argv), fixture.built)
            with contextlib.chdir(folder):
                stdout, stderr = io.StringIO(), io.StringIO()
                with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
                    code = run_main(expand(argv[1:]))
            assert code == 0, f"{fixture.built}: {stderr.getvalue()}"
            self.built[name] = folder / name
        return self.built[name]

    def place(self, folder: Path, words: set[str], command: str = "") -> None:
        for word in sorted(words):
            found = fixture_for(word, command)
            if found is None:
                continue
            name, fixture = found
            target = folder / name
            if target.exists():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if fixture.built:
                shutil.copy2(self.get(name, fixture), target)
                continue
            source = ROOT / fixture.source
            if fixture.zipped:
                with zipfile.ZipFile(target, "w") as archive:
                    for file in sorted(source.iterdir()):
                        archive.write(file, file.name)
            elif fixture.members:
                target.mkdir()
                for member in fixture.members:
                    shutil.copy2(source / member, target / member)
            elif source.is_dir():
                shutil.copytree(source, target)
            else:
                shutil.copy2(source, target)
            if fixture.mtime:
                stamp = dt.datetime.fromisoformat(fixture.mtime).timestamp()
                os.utime(target, (stamp, stamp))


@pytest.fixture(scope="module")
def workshop(tmp_path_factory: pytest.TempPathFactory) -> Workshop:
    return Workshop(tmp_path_factory.mktemp("docs-fixtures"))


def expand(words: list[str]) -> list[str]:
    """Globs expanded as bash does (sorted; a pattern matching nothing stays as it is)."""
    out: list[str] = []
    for word in words:
        magic = any(char in word for char in "*?[")
        matches = sorted(str(p) for p in Path().glob(word)) if magic else []
        out.extend(matches or [word])
    return out


def run_main(argv: list[str]) -> int:
    """``kpi-xl`` in this process; pandas' options as they were (the CLI sets one)."""
    with pd.option_context("mode.string_storage", pd.get_option("mode.string_storage")):
        try:
            return main(argv)
        except SystemExit as exc:  # argparse: a bad command line
            return exc.code if isinstance(exc.code, int) else 2


# -- an SMTP server on this machine ----------------------------------------------------------

USER, PASSWORD = "me", "docs-Pa55-word"


def make_certificate(cert: Path, key: Path) -> None:
    """A self-signed certificate for 127.0.0.1 and localhost."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(private, hashes.SHA256())
    )
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


class Mailbox:
    """aiosmtpd handler: keeps what arrives, or answers the message with ``reply``."""

    def __init__(self, reply: str = "250 Message accepted") -> None:
        self.reply = reply
        self.received: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append((list(envelope.rcpt_tos), message))
        return self.reply


def check_login(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)


@dataclass
class Smtp:
    cert: Path
    key: Path

    @contextlib.contextmanager
    def server(self, mailbox: Mailbox) -> Iterator[int]:
        """STARTTLS required, a login optional (and only over TLS)."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        controller = Controller(mailbox, hostname="127.0.0.1", port=port, tls_context=context,
                                require_starttls=True, authenticator=check_login,
                                auth_require_tls=True)  # fmt: skip
        controller.start()
        try:
            yield port
        finally:
            controller.stop()

    def environment(self, monkeypatch: pytest.MonkeyPatch, port: int) -> None:
        """The mail setup of docs/email.md's *Settings*, on this machine."""
        monkeypatch.setenv("SSL_CERT_FILE", str(self.cert))  # trusts the certificate
        monkeypatch.setenv("KPI_XL_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("KPI_XL_SMTP_PORT", str(port))
        monkeypatch.setenv("KPI_XL_SMTP_FROM", "me@example.com")
        monkeypatch.setenv("KPI_XL_SMTP_PASSWORD", PASSWORD)


@pytest.fixture(scope="module")
def smtp(tmp_path_factory: pytest.TempPathFactory) -> Smtp:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    make_certificate(cert, key)
    return Smtp(cert, key)


@contextlib.contextmanager
def dripping_server() -> Iterator[int]:
    """A server sending its greeting one byte every 0.2 s, for at most 10 s."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)
    stop = threading.Event()

    def serve() -> None:
        with contextlib.suppress(OSError):
            conn, _ = listener.accept()
            with conn:
                end = time.monotonic() + 10
                while not stop.is_set() and time.monotonic() < end:
                    for byte in b"220 slow.example ESMTP\r\n":
                        conn.sendall(bytes([byte]))
                        time.sleep(0.2)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        listener.close()
        thread.join(timeout=15)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No SMTP settings or config file of the machine running the tests."""
    for name in SMTP_ENV.values():
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


# -- comparing what the docs show -----------------------------------------------------------

ELIDED, MORE = "\u2026elided", "\u2026more"
JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def parse_shown_json(text: str) -> Any:
    """The docs' JSON with its elisions as markers; a ``"key": value`` fragment as an object
    that may hold more keys."""
    chunks, pos = [], 0
    for match in JSON_STRING.finditer(text):
        chunks.append(_elide(text[pos : match.start()]))
        chunks.append(match.group())
        pos = match.end()
    chunks.append(_elide(text[pos:]))
    data = "".join(chunks).strip()
    if data.startswith('"'):
        data = "{" + data + f', "{MORE}": "{ELIDED}"' + "}"
    return json.loads(data)


def _elide(chunk: str) -> str:
    chunk = re.sub(r"\{\s*\.\.\.\s*\}|\[\s*\.\.\.\s*\]", f'"{ELIDED}"', chunk)
    chunk = re.sub(r",\s*\.\.\.(?=\s*\})", f', "{MORE}": "{ELIDED}"', chunk)
    chunk = re.sub(r",\s*\.\.\.(?=\s*\])", f', "{MORE}"', chunk)
    return re.sub(r"(?<=:)\s*\.\.\.", f' "{ELIDED}"', chunk)


def differences(shown: Any, actual: Any, path: str = "") -> list[str]:
    here = path or "the output"
    if shown == ELIDED:
        return []
    if isinstance(shown, dict):
        if not isinstance(actual, dict):
            return [f"{here}: the docs show an object, the command prints {actual!r}"]
        keys = set(shown) - {MORE}
        found = [f"{here}: the docs show {k!r}, the command prints no such key"
                 for k in sorted(keys - set(actual))]  # fmt: skip
        if MORE not in shown and set(actual) - keys:
            found.append(f"{here}: the command prints also {sorted(set(actual) - keys)}, "
                         "which the docs leave out without '...'")  # fmt: skip
        for key in sorted(keys & set(actual)):
            found += differences(shown[key], actual[key], f"{path}.{key}" if path else key)
        return found
    if isinstance(shown, list):
        if not isinstance(actual, list):
            return [f"{here}: the docs show a list, the command prints {actual!r}"]
        more = bool(shown) and shown[-1] == MORE
        items = shown[:-1] if more else shown
        if len(actual) < len(items) or (not more and len(actual) != len(items)):
            return [f"{here}: the docs show {items!r}, the command prints {actual!r}"]
        return [d for i, s in enumerate(items) for d in differences(s, actual[i], f"{here}[{i}]")]
    if shown != actual:
        return [f"{here}: the docs show {shown!r}, the command prints {actual!r}"]
    return []


def compare(command: Command, out: str) -> None:
    """The command's output against what the docs show for it."""
    assert command.shown is not None
    where = f"{command.doc}:{command.shown_at}"
    if command.shown.lstrip().startswith(("{", '"', "[")):
        shown = parse_shown_json(command.shown)
        try:
            actual, _ = json.JSONDecoder().raw_decode(out.lstrip())
        except json.JSONDecodeError:
            raise AssertionError(f"{where} shows JSON, {command.text!r} prints:\n{out}") from None
        found = differences(shown, actual)
        assert not found, f"{where} shows other output than {command.text!r} prints:\n" + (
            "\n".join(found)
        )
    else:
        printed = [line.rstrip() for line in out.strip("\n").splitlines()]
        assert printed == [line.rstrip() for line in command.shown.splitlines()], where


# -- running the examples --------------------------------------------------------------------


@dataclass
class Run:
    code: int
    out: str
    err: str


def chromium_or_skip() -> None:
    names = ("chromium", "chromium-browser", "google-chrome", "chrome")
    if not any(shutil.which(n) for n in names) and not Path("/usr/bin/chromium").exists():
        if os.environ.get("KPI_XL_REQUIRE_CHROMIUM") == "1":
            pytest.fail("Chromium is required (KPI_XL_REQUIRE_CHROMIUM=1) but not installed")
        pytest.skip("needs Chromium")


def run_script(command: Command, folder: Path) -> Run:
    """``python scripts/...`` through bash in ``folder``, with this interpreter."""
    argv = command.argv
    line = " ".join([shlex.quote(sys.executable), *command.text.split()[1:]])
    assert shlex.split(line)[1:] == argv[1:], command.text
    result = subprocess.run(["bash", "-c", line], cwd=folder, capture_output=True, text=True,
                            timeout=300, check=False)  # fmt: skip
    return Run(result.returncode, result.stdout, result.stderr)


@dataclass
class Context:
    folder: Path
    capsys: pytest.CaptureFixture[str]
    monkeypatch: pytest.MonkeyPatch
    request: pytest.FixtureRequest
    mailbox: Mailbox | None = None
    server: str = ""  # 127.0.0.1:PORT of the SMTP server

    def smtp(self) -> tuple[Mailbox, str]:
        """The SMTP server, started on first use for this test."""
        if self.mailbox is None:
            smtp: Smtp = self.request.getfixturevalue("smtp")
            self.mailbox = Mailbox()
            stack: contextlib.ExitStack[bool | None] = self.request.getfixturevalue("exit_stack")
            port = stack.enter_context(smtp.server(self.mailbox))
            smtp.environment(self.monkeypatch, port)
            self.server = f"127.0.0.1:{port}"
        return self.mailbox, self.server


@pytest.fixture
def exit_stack() -> Iterator[contextlib.ExitStack[bool | None]]:
    with contextlib.ExitStack() as stack:
        yield stack


def run_kpi_xl(command: Command, ctx: Context) -> tuple[Run, dict[str, str]]:
    """``kpi-xl`` as the docs write it; ``--smtp``'s host:port pointed at the test's
    server. Returns the run and the replacements that turn its output into the docs'."""
    argv, back = command.argv[1:], {str(ctx.folder) + os.sep: "", str(ctx.folder): "."}
    if argv[0] == "send" and "--eml" not in argv:
        _, server = ctx.smtp()
        if "--smtp" in argv:
            at = argv.index("--smtp") + 1
            back[server] = argv[at]
            argv[at] = server
    ctx.capsys.readouterr()
    code = run_main(expand(argv))
    out, err = ctx.capsys.readouterr()
    return Run(code, out, err), back


def normalised(text: str, back: dict[str, str]) -> str:
    for this, docs in back.items():
        text = text.replace(this, docs)
    return text


def check_sent(command: Command, run: Run, ctx: Context, before: int) -> None:
    """``kpi-xl send``: the message arrived, to everyone it names."""
    argv = command.argv
    assert ctx.mailbox is not None
    assert len(ctx.mailbox.received) == before + 1, "the message did not arrive"
    recipients, message = ctx.mailbox.received[-1]
    named = [v for o, v in itertools.pairwise(argv) if o in ("--to", "--cc")]
    assert recipients == [address for _, address in getaddresses(named)]
    assert mime_tree(message) == shown_mime_tree(), f"{MIME_DOC} shows other parts"
    assert re.fullmatch(rf"sent \S+ to .+ via {re.escape(ctx.server)} \(starttls\)\n", run.out)


def check_written(command: Command, folder: Path) -> None:
    """``kpi-xl send --eml``: the message in the file, as it would be sent."""
    argv = command.argv
    data = (folder / argv[argv.index("--eml") + 1]).read_bytes()
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    assert mime_tree(message) == shown_mime_tree(), f"{MIME_DOC} shows other parts"
    named = [v for o, v in itertools.pairwise(argv) if o in ("--to", "--cc")]
    assert [a for _, a in getaddresses(message.get_all("To", []) + message.get_all("Cc", []))] == [
        a for _, a in getaddresses(named)
    ]


def mime_tree(part: MIMEPart, depth: int = 0) -> list[str]:
    """The message's parts, one content type a line, indented by two spaces per level."""
    lines = ["  " * depth + part.get_content_type()]
    for child in part.iter_parts() if part.is_multipart() else ():
        lines += mime_tree(child, depth + 1)
    return lines


def shown_mime_tree() -> list[str]:
    """docs/email.md's *What the message contains*, without the words after each type."""
    block = next(b for b in READ[MIME_DOC].blocks if b.lines[:1] == ("multipart/mixed",))
    return [line[: len(line) - len(line.lstrip())] + line.split()[0] for line in block.lines]


def expected_code(command: Command) -> int:
    """0, or 2 where the docs show the command failing on purpose."""
    return 2 if (command.shown or "").startswith("kpi-xl: error:") else 0


def run_command(command: Command, ctx: Context, *, compared: bool) -> Run:
    """Run one command; check what it writes and sends, and (``compared``: the command
    under test, not one run before it) what it prints where the docs show it."""
    argv = command.argv
    if argv[0] == "kpi-xl":
        before = len(ctx.mailbox.received) if ctx.mailbox else 0
        run, back = run_kpi_xl(command, ctx)
    else:
        if any(script in argv for script in NEEDS_CHROMIUM):
            chromium_or_skip()
        run, back = run_script(command, ctx.folder), {str(ctx.folder) + os.sep: ""}
    if compared and command.shown is not None:
        compare(command, normalised(run.out + run.err, back))
    assert run.code == expected_code(command), (
        f"{command.id} exited {run.code}:\n{run.err}{run.out}"
    )
    if run.code != 0:
        return run
    for name in outputs(argv):
        assert (ctx.folder / name).exists(), f"{command.text}: no {name} written"
    if argv[:2] == ["kpi-xl", "send"]:
        if "--eml" in argv:
            check_written(command, ctx.folder)
        else:
            check_sent(command, run, ctx, before)
    return run


@pytest.mark.parametrize("command", commands_to_run(), ids=lambda c: c.id)
def test_command(
    command: Command,
    workshop: Workshop,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    """The command, after the commands of its block whose files it reads, in a folder
    holding the files it names."""
    folder = tmp_path / "work"
    folder.mkdir()
    steps = chain(command)
    made: set[str] = set()
    for step in steps:
        argv = step.argv
        workshop.place(folder, inputs(argv) - made, step.text)
        made |= outputs(argv)
    monkeypatch.chdir(folder)
    ctx = Context(folder, capsys, monkeypatch, request)
    for step in steps:
        run_command(step, ctx, compared=step is command)


# -- the errors the docs show ----------------------------------------------------------------


def shown_error_id(key: tuple[str, str]) -> str:
    doc, text = key
    lines = [line for line, shown in READ[doc].errors if shown == text] or [0]
    return f"{doc}:{lines[0]} shown error"


@pytest.mark.parametrize(
    ("doc", "shown"), list(SHOWN_ERRORS), ids=map(shown_error_id, SHOWN_ERRORS)
)
def test_shown_error(
    doc: str,
    shown: str,
    smtp: Smtp,
    workshop: Workshop,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    case = SHOWN_ERRORS[(doc, shown)]
    command = next(c for c in READ[doc].commands if c.text == case.command)
    workshop.place(tmp_path, inputs(command.argv), command.text)
    monkeypatch.chdir(tmp_path)
    for name, value in case.env:
        monkeypatch.setenv(name, value)
    mailbox = Mailbox(case.reply)
    with contextlib.ExitStack() as stack:
        port = stack.enter_context(dripping_server() if case.drip else smtp.server(mailbox))
        smtp.environment(monkeypatch, port)
        argv = command.argv[1:]
        at = argv.index("--smtp") + 1
        docs_server, argv[at] = argv[at], f"127.0.0.1:{port}"
        capsys.readouterr()
        code = run_main(argv)
    out, err = capsys.readouterr()
    printed = normalised(err, {f"127.0.0.1:{port}": docs_server, **dict(case.normalise)})
    assert (code, out, printed) == (2, "", shown + "\n")
    if case.reply:
        assert len(mailbox.received) == 1  # the whole message went out, and was refused


# -- Python examples -------------------------------------------------------------------------

#: Calls whose string argument at this position is a file the example writes.
WRITES = {"build_plan": 1, "write_canonical": 1}
#: What a Python example's string literals are rewritten to here.
PYTHON_SERVER = '"smtp.example.com"'


def python_files(tree: ast.Module) -> tuple[set[str], set[str]]:
    """The string literals of an example: (read, written)."""
    written: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            at = WRITES.get(name)
            if at is not None and len(node.args) > at:
                argument = node.args[at]
                if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                    written.add(argument.value)
    literals = {n.value for n in ast.walk(tree)
                if isinstance(n, ast.Constant) and isinstance(n.value, str)}  # fmt: skip
    return literals - written, written


def trailing_comments(source: str) -> dict[int, str]:
    """Line number -> the comment ending that line."""
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return {t.start[0]: t.string[1:].strip() for t in tokens if t.type == tokenize.COMMENT}


def shown_value(comment: str) -> str | None:
    """The ``repr`` a comment shows, when the comment is a Python literal."""
    try:
        value = ast.literal_eval(comment)
    except (ValueError, SyntaxError):
        return None
    return repr(value)


@pytest.mark.parametrize("example", python_to_run(), ids=lambda e: e.id)
def test_python(
    example: PythonExample,
    workshop: Workshop,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = example.source
    ctx = Context(tmp_path, capsys, monkeypatch, request)
    if PYTHON_SERVER in source:
        ctx.smtp()  # the port and the password come from the environment
        source = source.replace(PYTHON_SERVER, '"127.0.0.1"')
    tree = ast.parse(source)
    read, _ = python_files(tree)
    workshop.place(tmp_path, read)
    monkeypatch.chdir(tmp_path)
    comments = trailing_comments(source)
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    name = f"{example.doc}:{example.line}"
    for statement in tree.body:
        line = example.line + statement.lineno - 1
        assert statement.end_lineno is not None
        expected = shown_value(comments.get(statement.end_lineno, ""))
        if isinstance(statement, ast.Expr) and expected is not None:
            value = eval(compile(ast.Expression(statement.value), name, "eval"), namespace)
            assert repr(value) == expected, f"{example.doc}:{line} shows {expected}"
        else:
            exec(compile(ast.Module([statement], []), name, "exec"), namespace)
    if ctx.mailbox is not None:
        assert len(ctx.mailbox.received) == 1, "the message did not arrive"
