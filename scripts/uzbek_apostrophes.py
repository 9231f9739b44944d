"""Write the Uzbek (``uz:``) texts of catalog YAML files with Uzbek Latin's own marks.

    python scripts/uzbek_apostrophes.py kpi_xl/catalog/kpis.yaml kpi_xl/catalog/measures.yaml
    python scripts/uzbek_apostrophes.py --check kpi_xl/catalog/labels/*.yaml   # exit 1 if any

Uzbek Latin writes the letters oʻ and gʻ (Oʻ, Gʻ) with U+02BB MODIFIER LETTER TURNED COMMA
and the tutuq belgisi (maʼlumot, taʼrif) with U+02BC MODIFIER LETTER APOSTROPHE, never with
the ASCII apostrophe (nor ‘ ’ or `). In every value under a ``uz`` key, an apostrophe (or one
of its look-alikes, or the other modifier letter) between two letters becomes ʻ after o or g
and ʼ after any other letter; one that ends a word after o or g (togʻ, bogʻ) becomes ʻ.
Nothing else changes: the file is rewritten byte for byte except for those characters, and
the script checks that the YAML then reads as before with only the Uzbek texts fixed.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml

TURNED_COMMA = "\u02bb"  # ʻ  oʻ, gʻ
APOSTROPHE = "\u02bc"  # ʼ  tutuq belgisi
#: what an Uzbek apostrophe gets typed as: ASCII, typographic quotes, backtick, either modifier
MARKS = ("'", "\u2018", "\u2019", "`", TURNED_COMMA, APOSTROPHE)
_LETTER = r"[^\W\d_]"


def _patterns(quote: str) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """The marks as they appear in the source: in a single-quoted YAML scalar the ASCII
    apostrophe is written twice."""
    alternatives = [re.escape(m) for m in MARKS if m != "'"]
    alternatives.insert(0, "''" if quote == "'" else "'")
    mark = "(?:" + "|".join(alternatives) + ")"
    return (
        re.compile(rf"(?<=[oOgG]){mark}(?={_LETTER})"),  # oʻzgarish, Oʻrtacha, bogʻlangan
        re.compile(rf"(?<={_LETTER}[oOgG]){mark}(?!{_LETTER})"),  # bogʻ, togʻ at a word's end
        re.compile(rf"(?<={_LETTER})(?<![oOgG]){mark}(?={_LETTER})"),  # maʼlumot, taʼrif
    )


def fix(text: str, quote: str = "") -> str:
    """The Uzbek text with oʻ/gʻ and ʼ; ``quote`` is the YAML scalar's quote character when
    ``text`` is its source (``'`` doubles the ASCII apostrophe)."""
    return _fix(text, quote)[0]


def _fix(text: str, quote: str) -> tuple[str, int]:
    """The fixed text and how many marks changed."""
    changed = 0

    def to(mark: str) -> Callable[[re.Match[str]], str]:
        def replace(match: re.Match[str]) -> str:
            nonlocal changed
            changed += match.group() != mark
            return mark

        return replace

    after_og, word_end, between = _patterns(quote)
    text = after_og.sub(to(TURNED_COMMA), text)
    text = word_end.sub(to(TURNED_COMMA), text)
    return between.sub(to(APOSTROPHE), text), changed


def _uz_scalars(node: yaml.Node, uz: bool = False) -> Iterator[yaml.ScalarNode]:
    """Every scalar under a ``uz`` key, at any depth."""
    if isinstance(node, yaml.ScalarNode):
        if uz:
            yield node
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            is_uz = isinstance(key, yaml.ScalarNode) and key.value == "uz"
            yield from _uz_scalars(value, uz or is_uz)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _uz_scalars(item, uz)


def _fixed_data(data: Any, uz: bool = False) -> Any:
    """What the YAML must read as afterwards: ``data`` with every ``uz`` text fixed."""
    if isinstance(data, dict):
        return {k: _fixed_data(v, uz or k == "uz") for k, v in data.items()}
    if isinstance(data, list):
        return [_fixed_data(v, uz) for v in data]
    if uz and isinstance(data, str):
        return fix(data)
    return data


def rewrite(source: str) -> tuple[str, int]:
    """``source`` (a YAML document's text) with its Uzbek texts fixed, nothing else, and
    how many marks changed."""
    root = yaml.compose(source, Loader=yaml.SafeLoader)
    if root is None:
        return source, 0
    nodes = {id(n): n for n in _uz_scalars(root)}.values()  # an alias repeats its node
    pieces, at, changed = [], 0, 0
    for node in sorted(nodes, key=lambda n: n.start_mark.index):
        start, end = node.start_mark.index, node.end_mark.index
        quote = source[start] if node.style in ("'", '"') else ""
        text, count = _fix(source[start:end], quote)
        changed += count
        pieces += [source[at:start], text]
        at = end
    pieces.append(source[at:])
    result = "".join(pieces)
    if yaml.safe_load(result) != _fixed_data(yaml.safe_load(source)):  # pragma: no cover
        raise ValueError("rewriting the Uzbek texts changed something else; file left as is")
    return result, changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path, help="catalog YAML files")
    parser.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 if a file needs fixing"
    )
    args = parser.parse_args(argv)
    status = 0
    for path in args.files:
        source = path.read_bytes().decode("utf-8")
        result, changed = rewrite(source)
        if changed and args.check:
            print(f"{path}: {changed} Uzbek apostrophe(s) to fix")
            status = 1
        elif changed:
            path.write_bytes(result.encode("utf-8"))
            print(f"{path}: {changed} Uzbek apostrophe(s) fixed")
        else:
            print(f"{path}: nothing to fix")
    return status


if __name__ == "__main__":
    sys.exit(main())
