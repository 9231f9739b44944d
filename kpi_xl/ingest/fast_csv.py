"""A fast path for large well-formed canonical CSV files.

A canonical table written by ``kpi-xl ingest -o`` (or a warehouse export in that schema)
can be millions of rows. Splitting it into lines and cells as Python strings costs several
times its size in memory, so such a file is first offered to pandas' C parser straight
from its bytes, measures typed as float64. The fast path is taken only when nothing can
go wrong with line numbers in messages: UTF-8, a ``,`` or tab separator, a header of
canonical names only, and exactly one data row per line (no blank or comment lines, no
field spanning lines). Otherwise, or when pandas refuses a value, ``None`` is returned
and the general reader reads the file, with its precise line-by-line messages.
"""

from __future__ import annotations

import codecs
import csv
import io
import warnings

import numpy as np
import pandas as pd

from kpi_xl.catalog.records import measures
from kpi_xl.frames import TEXT
from kpi_xl.ingest.canonical import DIMENSIONS
from kpi_xl.ingest.fields import Context, Loaded, norm
from kpi_xl.ingest.platforms import canonical
from kpi_xl.ingest.table import Document, Table

#: Smaller files are read by the general reader (its cost does not matter there).
MIN_BYTES = 1 << 20


def _header(data: bytes) -> tuple[str, list[str]] | None:
    end = data.find(b"\n", 0, 1 << 16)
    if end < 0:
        return None
    try:
        first = data[:end].decode("utf-8").rstrip("\r")
    except UnicodeDecodeError:
        return None
    for sep in (",", "\t"):
        names = next(csv.reader([first], delimiter=sep))
        if len(names) > 1:
            return sep, names
    return None


def read_canonical_csv(data: bytes, file: str, ctx: Context) -> Loaded | None:
    """The canonical rows of ``data``, or ``None`` when the general reader must read it."""
    if len(data) < MIN_BYTES:
        return None
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    found = _header(data)
    if found is None:
        return None
    sep, header = found
    names = [norm(n) for n in header]
    catalog = measures()
    known = {"date", "date_from", "date_to", *DIMENSIONS, "currency", *catalog}
    if not canonical.is_header(frozenset(names)) or not set(names) <= known:
        return None
    if len(set(names)) != len(names):
        return None
    dtypes = {i: ("float64" if n in catalog else TEXT) for i, n in enumerate(names)}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            frame = pd.read_csv(  # type: ignore[call-overload]
                io.BytesIO(data),
                sep=sep,
                header=0,
                names=list(range(len(names))),
                index_col=False,
                dtype=dtypes,
                keep_default_na=False,
                na_values={i: [""] for i, n in enumerate(names) if n in catalog},
                skip_blank_lines=False,
                engine="c",
                encoding="utf-8",
            )
    except (Warning, ValueError, OverflowError, pd.errors.ParserError, UnicodeDecodeError):
        return None
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    if len(frame) != lines - 1 or any(frame[i].isna().any() for i, n in enumerate(names)
                                      if n not in catalog):  # fmt: skip
        return None
    columns = [frame[i] for i in range(len(names))]
    del frame
    numbers = np.arange(2, len(columns[0]) + 2, dtype=np.int64)
    table = Table(file, header, 1, columns, numbers, sep=sep)
    return canonical.read([table], Document(file, []), ctx)
