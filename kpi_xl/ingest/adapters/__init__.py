"""Export adapters: each recognizes one layout from a file's content and reads it.

:func:`read_source` opens a path (or takes a DataFrame), and the first adapter of
:data:`ADAPTERS` whose header it finds among a block's first records reads the file. The
order matters only where headers could overlap: the canonical table (lower-case
``date`` and ``channel``) first, then Search Console (clicks, impressions, CTR *and*
position), GA4 (sessions/users), and the ad platforms. A file no adapter accepts gets a
:class:`~kpi_xl.errors.KpiXlError` listing the known layouts.

A zip of CSV files is first offered whole to the adapters that span several files
(Search Console); otherwise each member is read on its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from kpi_xl.errors import KpiXlError
from kpi_xl.ingest.adapters import (
    canonical,
    ga4,
    google_ads,
    linkedin,
    mailchimp,
    meta_ads,
    search_console,
)
from kpi_xl.ingest.adapters.base import Adapter, find_tables
from kpi_xl.ingest.fast_csv import read_canonical_csv
from kpi_xl.ingest.fields import Context, Loaded, header_names
from kpi_xl.ingest.sources import documents, is_text, open_path, read_file
from kpi_xl.ingest.table import HEAD_RECORDS, Document, FrameBlock, Table

ADAPTERS: list[Adapter] = [
    canonical.ADAPTER,
    search_console.ADAPTER,
    ga4.ADAPTER,
    google_ads.ADAPTER,
    meta_ads.ADAPTER,
    linkedin.ADAPTER,
    mailchimp.ADAPTER,
]

__all__ = ["ADAPTERS", "Adapter", "detect", "read_document", "read_source"]


def _fits(doc: Document, adapter: Adapter) -> bool:
    return any(
        adapter.is_header(header_names(record.cells))
        for block in doc.blocks
        for record in block.head(HEAD_RECORDS)
    )


def read_document(doc: Document, ctx: Context) -> Loaded:
    """The canonical rows of one document, read by the first adapter that fits."""
    for adapter in ADAPTERS:
        tables = find_tables(doc, adapter.is_header, adapter.numeric)
        if tables:
            return _read(adapter, tables, doc, ctx)
    raise _unknown(doc)


def _read(adapter: Adapter, tables: list[Table], doc: Document, ctx: Context) -> Loaded:
    """``adapter.read``, recording which adapter read the rows."""
    return replace(adapter.read(tables, doc, ctx), formats=(adapter.name,))


def detect(path: str | Path) -> list[Adapter]:
    """The adapters that would read ``path`` (one per zip member unless the zip is one
    export); :class:`KpiXlError` for an unknown layout. Nothing is parsed beyond the
    headers."""
    docs = open_path(Path(path))
    if len(docs) > 1 or docs[0].file != str(path):
        whole = Document(str(path), [b for d in docs for b in d.blocks])
        for adapter in ADAPTERS:
            if adapter.archive and _fits(whole, adapter):
                return [adapter]
    found: list[Adapter] = []
    for doc in docs:
        fitting = [a for a in ADAPTERS if _fits(doc, a)]
        if not fitting:
            raise _unknown(doc)
        found.append(fitting[0])
    return found


def _unknown(doc: Document) -> KpiXlError:
    known = "; ".join(a.layout for a in ADAPTERS)
    line, seen = None, ""
    for block in doc.blocks:
        for record in block.head(HEAD_RECORDS):
            if len(header_names(record.cells)) >= 2:
                line = record.line or None
                seen = ", ".join(c.strip() for c in record.cells if c.strip())
                break
        if seen:
            break
    if len(seen) > 80:
        seen = seen[:77] + "..."
    found = f"no known header (the first one found: {seen})" if seen else "no table found"
    return KpiXlError(
        f"unknown layout, {found}: expected one of: {known}", file=doc.file, line=line
    )


def read_source(source: str | Path | pd.DataFrame, channel_map: Mapping[str, str]) -> Loaded:
    """The canonical rows of one source (a path or a DataFrame)."""
    ctx = Context(channel_map)
    if isinstance(source, pd.DataFrame):
        doc = Document("<DataFrame>", [FrameBlock("<DataFrame>", source)])
        if canonical.is_header(header_names(str(c) for c in source.columns)):
            return _read(canonical.ADAPTER, find_tables(doc, canonical.is_header), doc, ctx)
        names = header_names(str(c) for c in source.columns)
        missing = [c for c in ("date", "channel") if c not in names]
        raise KpiXlError(
            f"the DataFrame is not a canonical table: missing column {missing[0]!r} "
            "(expected date, channel, [source, campaign, segment,] base measures)",
            file="<DataFrame>",
            column=missing[0],
        )
    path = Path(source)
    data = [read_file(path)]
    if is_text(data[0]):
        fast = read_canonical_csv(data[0], str(path), ctx)
        if fast is not None:
            return fast
    docs = documents(data.pop(), str(path), nested=False)  # the list drops the bytes
    if len(docs) == 1 and docs[0].file == str(path):
        return read_document(docs[0], ctx)
    whole = Document(str(path), [b for d in docs for b in d.blocks])
    for adapter in ADAPTERS:
        if adapter.archive:
            tables = find_tables(whole, adapter.is_header)
            if tables:
                return _read(adapter, tables, whole, ctx)
    return concat([read_document(d, ctx) for d in docs])


def concat(parts: list[Loaded]) -> Loaded:
    """Several sources' rows, in order; measures missing from one are NaN there."""
    if len(parts) == 1:
        return parts[0]
    frame = pd.concat([p.frame for p in parts], ignore_index=True, sort=False)
    lines = np.concatenate([p.lines for p in parts])
    files = np.concatenate([p.files for p in parts])
    formats = tuple(dict.fromkeys(f for p in parts for f in p.formats))
    return Loaded(frame, lines, files, formats)
