"""Small ibis expressions that compile alike on every engine."""

from __future__ import annotations

from typing import Any

#: Leading and trailing spaces. ibis's ``strip()`` writes the whitespace set as a literal
#: with ``\v`` and ``\f``, which Spark SQL reads as the letters v and f (``'facebook'``
#: became ``'acebook'``); a regular expression of plain spaces means the same everywhere.
SPACES = "^ +| +$"


def trim(text: Any) -> Any:
    """``text`` (an ibis string) without leading and trailing spaces."""
    return text.re_replace(SPACES, "")
