"""Impossible relations between base measures, declared in ``relations.yaml``.

A :class:`Relation` says that on one row of the canonical table ``part`` can never exceed
``whole`` (bounced sessions are sessions, delivered e-mails were sent). The ingest layer
refuses rows that break one (:func:`kpi_xl.ingest.canonical.validate`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from kpi_xl.catalog.records import PACKAGE_LOADER, CatalogError, measures

_FIELDS = ("part", "whole", "note")


@dataclass(frozen=True)
class Relation:
    """``part <= whole`` on the same row, true by definition (``note`` says why)."""

    part: str
    whole: str
    note: str


def parse_relations(data: Any) -> tuple[Relation, ...]:
    """Validated relations from ``relations.yaml``'s data; :class:`CatalogError` names the
    entry that breaks a rule (unknown measure, missing field, a relation given twice)."""
    if not isinstance(data, list):
        raise CatalogError("relations.yaml: expected a list of {part, whole, note}")
    known = measures()
    out: list[Relation] = []
    for number, raw in enumerate(data, start=1):
        where = f"relations.yaml entry {number}"
        if not isinstance(raw, dict) or set(raw) != set(_FIELDS):
            raise CatalogError(f"{where}: expected exactly the keys part, whole and note")
        part, whole, note = (raw[key] for key in _FIELDS)
        for key, value in (("part", part), ("whole", whole)):
            if value not in known:
                raise CatalogError(f"{where}: {key} {value!r} is not a base measure")
        if part == whole:
            raise CatalogError(f"{where}: part and whole are both {part!r}")
        if not isinstance(note, str) or not note.strip():
            raise CatalogError(f"{where}: note must say why {part} <= {whole}")
        relation = Relation(part, whole, " ".join(note.split()))
        if any((r.part, r.whole) == (part, whole) for r in out):
            raise CatalogError(f"{where}: {part} <= {whole} is declared twice")
        out.append(relation)
    return tuple(out)


@cache
def relations() -> tuple[Relation, ...]:
    """Every declared relation, in file order."""
    text = resources.files("kpi_xl.catalog").joinpath("relations.yaml").read_text("utf-8")
    return parse_relations(yaml.load(text, Loader=PACKAGE_LOADER))
