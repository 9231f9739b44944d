"""E-mail addresses from the command line or the API, checked before anything is sent."""

from __future__ import annotations

import re
from collections.abc import Iterable
from email.errors import HeaderParseError, MessageError
from email.headerregistry import Address
from email.utils import getaddresses

from kpi_xl.errors import KpiXlError

_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
#: Characters the part before the ``@`` of a plain address cannot hold.
_NOT_IN_LOCAL = re.compile(r"[\s<>()\[\]\\,;:\"@]")
EXAMPLE = "name@example.com"


def _domain_problem(domain: str) -> str | None:
    """What is wrong with the domain of an address (``None``: nothing)."""
    if domain.startswith("[") and domain.endswith("]"):
        return None  # an address literal, e.g. [127.0.0.1]
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return f"the domain {domain!r} is not a valid domain name"
    labels = ascii_domain.split(".")
    if not all(_LABEL.match(x) for x in labels):
        return f"the domain {domain!r} is not a valid domain name (such as example.com)"
    if len(labels) < 2 and ascii_domain.lower() != "localhost":
        return f"the domain {domain!r} is not a full domain name (such as example.com)"
    return None


def _problem(piece: str) -> str | None:
    """What is wrong with one address as typed (``Ann <a@x.com>`` or ``a@x.com``), in
    words; ``None`` when nothing shows."""
    spec = piece.strip()
    if "<" in spec:
        spec = spec.split("<", 1)[1].split(">", 1)[0].strip()
    if not spec:
        return "it is empty"
    if "@" not in spec:
        return "it has no @ and domain"
    if spec.count("@") > 1:
        return "it has more than one @"
    local, _, domain = spec.rpartition("@")
    if not local:
        return "nothing comes before the @"
    if not domain:
        return "nothing comes after the @"
    if not local.isascii():
        return "the part before the @ holds non-ASCII letters, which kpi_xl cannot send to"
    if (
        _NOT_IN_LOCAL.search(local.strip('"'))
        or local.startswith(".")
        or local.endswith(".")
        or ".." in local
    ):
        return "the part before the @ holds a space or a character addresses cannot have"
    return _domain_problem(domain)


def parse_address(text: str, option: str = "") -> list[Address]:
    """``a@x.com``, ``Ann <a@x.com>`` or a comma-separated list of them; ``option`` (such
    as ``--to``) names where the text was given in messages."""
    where = f" ({option})" if option else ""

    def bad(why: str, todo: str = f"write it as {EXAMPLE}") -> KpiXlError:
        return KpiXlError(f"bad e-mail address {text!r}{where}: {why}; {todo}")

    if _CONTROL.search(text):
        raise bad("it holds a control character (a line break or a tab)", "type it on one line")
    if ";" in re.sub(r'"[^"]*"', "", text):  # outside a quoted name
        raise bad(
            "addresses are separated by ';'", "separate them with commas, or repeat the option"
        )
    pairs = getaddresses([text])
    if not pairs or any(not spec for _, spec in pairs):
        pieces = text.split(",") if text.strip() else [text]
        why = next((p for p in map(_problem, pieces) if p), None)
        raise bad(why or "it is not an address mail servers accept")
    found = []
    for name, spec in pairs:
        why = _problem(spec)
        if why is None:
            try:
                address = Address(display_name=name, addr_spec=spec)
            except (MessageError, HeaderParseError, IndexError, ValueError):
                why = "it is not an address mail servers accept"
            else:
                if not address.username or not address.domain:
                    why = "it is not an address mail servers accept"
        if why is not None:
            raise bad(why)
        domain = address.domain
        if not (domain.startswith("[") and domain.endswith("]")):
            domain = domain.encode("idna").decode("ascii")
        found.append(Address(display_name=name, username=address.username, domain=domain))
    return found


def parse_addresses(values: str | Iterable[str], option: str = "") -> list[Address]:
    """Every address of ``values`` (one string or several), duplicates dropped; ``option``
    names where they were given in messages (``--to``)."""
    items = [values] if isinstance(values, str) else list(values)
    out: list[Address] = []
    seen: set[str] = set()
    for item in items:
        for address in parse_address(item, option):
            key = address.addr_spec.lower()
            if key not in seen:
                seen.add(key)
                out.append(address)
    return out
