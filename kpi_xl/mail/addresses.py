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


def _domain(domain: str, text: str) -> str:
    """The domain in ASCII (IDNA for internationalized names), or a clear error."""
    if domain.startswith("[") and domain.endswith("]"):
        return domain  # an address literal, e.g. [127.0.0.1]
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise KpiXlError(f"bad e-mail address {text!r}: invalid domain") from None
    labels = ascii_domain.split(".")
    if not all(_LABEL.match(x) for x in labels) or (
        len(labels) < 2 and ascii_domain.lower() != "localhost"
    ):
        raise KpiXlError(f"bad e-mail address {text!r}: invalid domain {domain!r}")
    return ascii_domain


def parse_address(text: str) -> list[Address]:
    """``a@x.com``, ``Ann <a@x.com>`` or a comma-separated list of them."""
    if _CONTROL.search(text):
        raise KpiXlError(f"bad e-mail address {text!r}: control characters")
    pairs = getaddresses([text])
    if not pairs or any(not spec for _, spec in pairs):
        raise KpiXlError(f"bad e-mail address {text!r}")
    found = []
    for name, spec in pairs:
        try:
            address = Address(display_name=name, addr_spec=spec)
        except (MessageError, HeaderParseError, IndexError, ValueError) as exc:
            reason = str(exc).split("\n", 1)[0] or type(exc).__name__
            raise KpiXlError(f"bad e-mail address {text!r}: {reason}") from None
        if not address.username or not address.domain or spec.count("@") != 1:
            raise KpiXlError(f"bad e-mail address {text!r}: expected name@domain")
        if not address.username.isascii():
            raise KpiXlError(f"bad e-mail address {text!r}: non-ASCII user names are not supported")
        domain = _domain(address.domain, text)
        found.append(Address(display_name=name, username=address.username, domain=domain))
    return found


def parse_addresses(values: str | Iterable[str]) -> list[Address]:
    """Every address of ``values`` (one string or several), duplicates dropped."""
    items = [values] if isinstance(values, str) else list(values)
    out: list[Address] = []
    seen: set[str] = set()
    for item in items:
        for address in parse_address(item):
            key = address.addr_spec.lower()
            if key not in seen:
                seen.add(key)
                out.append(address)
    return out
