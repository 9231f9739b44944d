"""Which platform reads a document: headers found among each block's first records.

:func:`read_source` opens a path (or takes a DataFrame); the first platform (in the
registry's order) whose header it finds reads the file. A zip of CSV files is first offered
whole to the platforms whose export is a zip (Search Console); otherwise each member is
read on its own. A file no platform reads gets a short error that names the platform when
the file says which (a GA4 preamble, a Google Ads title line, a distinctive header), or
what the export is when kpi_xl knows it does not read it (a Search Console Discover
export, a Shopify report without a date...), and lists the platforms on a second line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from kpi_xl.errors import KpiXlError
from kpi_xl.ingest.fast_csv import read_canonical_csv
from kpi_xl.ingest.fields import Context, Loaded, header_names
from kpi_xl.ingest.platforms import platforms
from kpi_xl.ingest.reader import read_platform
from kpi_xl.ingest.sources import EXPORTS_EXPECTED, documents, is_text, open_path, read_file
from kpi_xl.ingest.spec import Platform
from kpi_xl.ingest.store import is_store, read_store
from kpi_xl.ingest.table import HEAD_RECORDS, Document, FrameBlock, Table

__all__ = ["concat", "detect", "find_tables", "read_document", "read_source"]


def find_tables(doc: Document, platform: Platform) -> list[Table]:
    """The tables of ``doc`` under a header ``platform`` recognizes (one per block).

    A table's preamble is the records above its header; when the header opens its block
    (a blank line came between, as in Microsoft Advertising's downloads), the records of
    the block before it in the same file, if that block holds no table, stand in."""
    tables: list[Table] = []
    carried: tuple[str, ...] = ()
    carried_file: str | None = None
    for block in doc.blocks:
        above: list[str] = []
        found = False
        for record in block.head(HEAD_RECORDS):
            if platform.is_header(header_names(record.cells)):
                typed = platform.numeric(record.cells) if platform.numeric is not None else []
                table = block.table(record, typed)
                if not above and carried_file == block.file:
                    above = list(carried)
                table.preamble = tuple(above)
                if not table.comments and block.comments:
                    table.comments = tuple(block.comments)
                tables.append(table)
                found = True
                break
            text = ", ".join(c.strip() for c in record.cells if c.strip())
            if text:
                above.append(text)
        carried, carried_file = (() if found else tuple(above)), block.file
    return tables


def _fits(doc: Document, platform: Platform) -> bool:
    return any(
        platform.is_header(header_names(record.cells))
        for block in doc.blocks
        for record in block.head(HEAD_RECORDS)
    )


def _read(platform: Platform, tables: list[Table], doc: Document, ctx: Context) -> Loaded:
    if platform.read is not None:
        return platform.read(tables, doc, ctx)
    return read_platform(platform, tables, doc, ctx)


def read_document(doc: Document, ctx: Context) -> Loaded:
    """The canonical rows of one document, read by the first platform that fits."""
    for platform in platforms():
        tables = find_tables(doc, platform)
        if tables:
            return _read(platform, tables, doc, ctx)
    raise unknown(doc)


def detect(path: str | Path) -> list[Platform]:
    """The platforms that would read ``path`` (one per zip member unless the zip is one
    export); :class:`KpiXlError` for an unknown layout. Nothing is parsed beyond the
    headers."""
    docs = open_path(Path(path))
    if len(docs) > 1 or docs[0].file != str(path):
        whole = Document(str(path), [b for d in docs for b in d.blocks])
        for platform in platforms():
            if platform.archive and _fits(whole, platform):
                return [platform]
    found: list[Platform] = []
    for doc in docs:
        fitting = [p for p in platforms() if _fits(doc, p)]
        if not fitting:
            raise unknown(doc)
        found.append(fitting[0])
    return found


def _first_header(doc: Document) -> tuple[int | None, list[str], str]:
    for block in doc.blocks:
        for record in block.head(HEAD_RECORDS):
            if len(header_names(record.cells)) >= 2:
                return record.line or None, [c.strip() for c in record.cells], block.file
    return None, [], doc.blocks[0].file if doc.blocks else doc.file


def _preamble(doc: Document) -> list[str]:
    lines: list[str] = []
    for block in doc.blocks:
        for record in block.head(6):
            text = ", ".join(c.strip() for c in record.cells if c.strip())
            if text:
                lines.append(text)
    return lines


def unknown(doc: Document) -> KpiXlError:
    """The error for a document no platform reads: what it is when kpi_xl can tell."""
    line, header, where = _first_header(doc)
    for platform in platforms():
        for refusal in platform.unsupported:
            for block in doc.blocks:
                for record in block.head(HEAD_RECORDS):
                    cells = header_names(record.cells)
                    probe = Table(block.file, record.cells, record.line, [], np.zeros(0))
                    if len(cells) >= 2 and refusal.applies(probe, cells):
                        return KpiXlError(refusal.message, file=block.file, line=record.line)
    supported = ", ".join(sorted(p.title for p in platforms() if p.name != "canonical"))
    detail = f"kpi_xl reads: {supported}, and its canonical table (see docs/ingest.md)"
    comments, preamble = doc.comments, _preamble(doc)
    for platform in platforms():
        if any(s.found(comments, preamble, header) for s in platform.signals):
            seen = ", ".join(h for h in header if h)[:80] or "no header row"
            return KpiXlError(
                f"this looks like a {platform.title} export, but not one kpi_xl reads "
                f"(header: {seen}); expected {platform.layout}",
                file=where,
                line=line,
                detail=detail,
            )
    if not _named_like_export(where):  # never quote a file that is no export (a password file)
        return KpiXlError(
            "this does not look like an export: no table of a platform kpi_xl reads was "
            f"found; {EXPORTS_EXPECTED}",
            file=where,
        )
    seen = ", ".join(h for h in header if h)
    if len(seen) > 80:
        seen = seen[:77] + "..."
    found = f"no known header (the first one found: {seen})" if seen else "no table found"
    return KpiXlError(
        f"unknown layout, {found}: pass an export of a platform listed below, as the "
        "platform writes it (docs/ingest.md shows each layout)",
        file=where,
        line=line,
        detail=detail,
    )


#: How an export's name ends (a workbook's sheet and a zip's member follow a ``:``).
_EXPORT_NAME = re.compile(r"\.(?:csv|tsv|tab|txt|gz|zip|xlsx|xlsm|parquet)(?::|$)", re.I)


def _named_like_export(file: str) -> bool:
    """Whether ``file`` is named as exports are (``.csv``, ``.xlsx:Sheet1``...)."""
    return _EXPORT_NAME.search(file) is not None


def read_source(
    source: str | Path | pd.DataFrame, channel_map: Mapping[str, str], number: int = 1
) -> Loaded:
    """The canonical rows of one source (a path or a DataFrame; the ``number``-th
    DataFrame given is called ``<DataFrame number>`` in messages when it is not the
    first)."""
    ctx = Context(channel_map)
    canonical = platforms()[0]
    if isinstance(source, pd.DataFrame):
        name = "<DataFrame>" if number == 1 else f"<DataFrame {number}>"
        doc = Document(name, [FrameBlock(name, source)])
        names = header_names(str(c) for c in source.columns)
        if canonical.is_header(names):
            return _read(canonical, find_tables(doc, canonical), doc, ctx)
        missing = [c for c in ("date", "channel") if c not in names]
        raise KpiXlError(
            f"the DataFrame is not a canonical table: missing column {missing[0]!r} "
            "(expected date or date_from and date_to, channel, [source, campaign, segment, "
            "currency,] base measures)",
            file=name,
            column=missing[0],
        )
    path = Path(source)
    if is_store(path):
        return read_store(path)
    data = [read_file(path)]
    if is_text(data[0]):
        fast = read_canonical_csv(data[0], str(path), ctx)
        if fast is not None:
            return fast
    docs = documents(data.pop(), str(path), nested=False)  # the list drops the bytes
    if len(docs) == 1 and docs[0].file == str(path):
        return read_document(docs[0], ctx)
    whole = Document(str(path), [b for d in docs for b in d.blocks])
    for platform in platforms():
        if platform.archive:
            tables = find_tables(whole, platform)
            if tables:
                return _read(platform, tables, whole, ctx)
    return concat([read_document(d, ctx) for d in docs])


def concat(parts: list[Loaded]) -> Loaded:
    """Several sources' rows, in order; measures missing from one are NaN there."""
    if len(parts) == 1:
        return parts[0]
    frames = [p.frame for p in parts if len(p.frame)] or [parts[0].frame]
    frame = pd.concat(frames, ignore_index=True, sort=False)
    lines = np.concatenate([p.lines for p in parts])
    files = np.concatenate([p.files for p in parts])
    formats = tuple(dict.fromkeys(f for p in parts for f in p.formats))
    reports = tuple(r for p in parts for r in p.reports)
    return Loaded(frame, lines, files, formats, reports)
