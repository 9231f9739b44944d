"""Opening an input: the container is recognized from its first bytes, never its name.

* ``PK`` zip: an Excel workbook (it holds ``xl/workbook.xml``; read with openpyxl, every
  sheet, cached values) or a zip of CSV files (Search Console's export);
* ``PAR1``: Parquet;
* gzip: decompressed, then recognized again (``.csv.gz``);
* anything else: a text export, decoded by :func:`kpi_xl.ingest.decode.decode`.

Archives are bounded: a member over :data:`MAX_MEMBER_BYTES` unpacked, members over
:data:`MAX_ARCHIVE_BYTES` together, more than :data:`MAX_MEMBERS` files, or content that
expands more than :data:`~kpi_xl.ingest.limits.MAX_RATIO` times are refused (a zip bomb),
and archives inside archives are not opened. A worksheet is read by its rows, never by the
size its ``<dimension>`` declares (see :mod:`kpi_xl.ingest.limits`).
"""

from __future__ import annotations

import difflib
import errno
import gzip
import io
import os
import shlex
import stat
import warnings
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import Any

import pandas as pd

from kpi_xl.errors import KpiXlError
from kpi_xl.filetypes import ENCRYPTED, LEGACY_XLS, PLAN, binary_kind, ole_kind, zip_kind
from kpi_xl.ingest import limits
from kpi_xl.ingest.decode import decode
from kpi_xl.ingest.sniff import text_blocks
from kpi_xl.ingest.table import Document, FrameBlock, cell_blocks

MAX_MEMBER_BYTES = 256 * 2**20
MAX_ARCHIVE_BYTES = 1024 * 2**20
MAX_MEMBERS = 1000

ZIP, GZIP, PARQUET, OLE = b"PK\x03\x04", b"\x1f\x8b", b"PAR1", b"\xd0\xcf\x11\xe0"


def open_path(path: Path) -> list[Document]:
    """The documents of a file: one, or one per CSV member of a zip."""
    # no local name keeps the bytes: documents() drops them once decoded (big files)
    return documents(read_file(path), str(path), nested=False)


def is_text(data: bytes) -> bool:
    """True unless ``data`` starts like a zip, gzip, Parquet or OLE (legacy .xls) file, or
    a format no export comes in (an image, a PDF...: :func:`kpi_xl.filetypes.binary_kind`)."""
    return not data.startswith((ZIP, b"PK\x05\x06", GZIP, PARQUET, OLE)) and (
        binary_kind(data[:512]) is None
    )


def _nearest_file(path: Path) -> str:
    """`` (did you mean ga4.csv?)`` for a file of the same folder named almost so."""
    try:
        with os.scandir(path.parent if str(path.parent) else ".") as entries:
            names = [e.name for _, e in zip(range(2000), entries, strict=False)]
    except OSError:
        return ""
    close = difflib.get_close_matches(path.name, names, n=1, cutoff=0.8)
    return f" (did you mean {path.with_name(close[0])}?)" if close else ""


def open_error(exc: OSError, path: Path, what: str = "an export file") -> KpiXlError:
    """The one-line error of an ``OSError`` met opening an input file: what the path is and
    what to do."""
    code = exc.errno
    if code == errno.ELOOP:
        message = (
            "this is a symbolic link loop (the link points back at itself, directly or "
            "through other links): fix the link, or name the file it should point to"
        )
    elif code == errno.ENOENT and path.is_symlink():
        message = (
            f"this symbolic link is broken: it points to {path.readlink()}, which does not "
            "exist; fix the link, or name the file itself"
        )
    elif code == errno.ENOENT:
        message = f"no such file{_nearest_file(path)}: check the name and the folder"
    elif code == errno.ENOTDIR:
        message = "a part of the path is a file, not a folder: check the path"
    elif code in (errno.EACCES, errno.EPERM):
        message = "permission denied: you may not read this file (or its folder)"
    elif code == errno.ENAMETOOLONG:
        message = "the name is too long for this file system: check the path"
    else:
        message = f"cannot read the file ({exc.strerror or exc}): expected {what}"
    return KpiXlError(message, file=path)


def check_input(path: Path, what: str = "an export file") -> None:
    """Refuse, before anything is read, a path that names no readable regular file: a
    missing file (with the nearest name in its folder), a symbolic link loop or a broken
    link, a folder, a device, pipe or socket (reading a pipe would wait forever)."""
    try:
        st = path.stat()
    except OSError as exc:
        raise open_error(exc, path, what) from None
    if stat.S_ISDIR(st.st_mode):
        raise KpiXlError(
            f"this is a folder, not a file: name the files in it (such as {path / '*.csv'})",
            file=path,
        )
    if not stat.S_ISREG(st.st_mode):
        raise KpiXlError(
            f"this is a device, pipe or socket, not a file: expected {what}", file=path
        )
    if not os.access(path, os.R_OK):
        raise KpiXlError("permission denied: you may not read this file", file=path)


def read_file(path: Path) -> bytes:
    """The bytes of an input file, or a one-line error."""
    check_input(path)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise open_error(exc, path) from None


#: What to give instead of a file that is no export.
EXPORTS_EXPECTED = (
    "pass a report exported from the platform (CSV, TSV, Excel .xlsx, Parquet or a zip of "
    "CSV files)"
)


def plan_given(file: str) -> KpiXlError:
    """The error for a kpi_xl plan given as data."""
    return KpiXlError(
        "this is a kpi_xl plan, not an export: pass the exports it was built from (its "
        "Settings sheet names them); to update the plan with new data, run kpi-xl refresh "
        f"{shlex.quote(file)}",
        file=file,
    )


def not_an_export(kind: str, file: str) -> KpiXlError:
    """The error for a file that is ``kind`` (``"a PNG image"``), not an export."""
    if kind == "a DuckDB database":
        return KpiXlError(
            "this is a DuckDB database, not an export: name a kpi_xl history store .duckdb "
            "(rename it), or read a table of it with --source "
            f"'duckdb:///{file}?table=NAME' (docs/warehouse.md)",
            file=file,
        )
    if "spreadsheet" in kind:
        return KpiXlError(f"this is {kind}: save it as Excel .xlsx or CSV", file=file)
    return KpiXlError(f"this is {kind}, not an export: {EXPORTS_EXPECTED}", file=file)


def ole_error(data: bytes, file: str) -> KpiXlError:
    """The error for an OLE compound file: a password-protected workbook, a legacy .xls,
    another legacy Office file."""
    kind = ole_kind(data)
    if kind == ENCRYPTED:
        return KpiXlError(
            "this workbook is password-protected (encrypted): open it in Excel and save a "
            "copy without a password (File > Info > Protect Workbook > Encrypt with "
            "Password, cleared), or export CSV",
            file=file,
        )
    if kind == LEGACY_XLS:
        return KpiXlError(
            "this is a legacy Excel .xls workbook: open it in Excel or LibreOffice and save "
            "it as .xlsx or CSV",
            file=file,
        )
    if kind.startswith("an OLE"):
        return KpiXlError(
            "this is an OLE compound file, not an export (a legacy Excel .xls or another old "
            "Office format): save it as .xlsx or CSV",
            file=file,
        )
    return not_an_export(kind, file)


def documents(data: bytes, file: str, *, nested: bool) -> list[Document]:
    """The documents held by ``data`` (named ``file`` in messages)."""
    if data.startswith((ZIP, b"PK\x05\x06")):
        if nested:
            raise KpiXlError("an archive inside an archive is not supported", file=file)
        return _zip(data, file)
    if data.startswith(GZIP):
        if nested:
            raise KpiXlError("an archive inside an archive is not supported", file=file)
        return documents(_gunzip(data, file), file, nested=True)
    if data.startswith(PARQUET):
        return [_parquet(data, file)]
    if data.startswith(OLE):
        raise ole_error(data, file)
    kind = binary_kind(data[:512])
    if kind is not None:
        raise not_an_export(kind, file)
    text = [decode(data, file)]
    del data  # the decoded text replaces the bytes: one copy of the file in memory
    return [Document(file, text_blocks(text.pop(), file))]


def _too_big(file: str, limit: int | None = None) -> KpiXlError:
    return KpiXlError(
        f"unpacks to more than {limits.size_text(limit or MAX_MEMBER_BYTES)}: refusing to "
        "read it (a damaged file or a zip bomb)",
        file=file,
    )


def _expands_too_much(file: str, compressed: int) -> KpiXlError:
    return KpiXlError(
        f"unpacks to more than {limits.MAX_RATIO} times its compressed size "
        f"({limits.size_text(compressed)}): refusing to read it (a damaged file or a zip "
        "bomb); an export that large can be given uncompressed",
        file=file,
    )


_CHUNK = 1 << 18


def _gunzip(data: bytes, file: str) -> bytes:
    """The decompressed content, measured first without keeping it: a gzip bomb is
    refused holding no more than one chunk of its output."""
    limit, by_ratio = limits.expansion_limit(len(data), MAX_MEMBER_BYTES)
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as fh:
            size = 0
            while chunk := fh.read(_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise _expands_too_much(file, len(data)) if by_ratio else _too_big(file)
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as fh:
            return fh.read(size)
    except (OSError, EOFError, zlib.error) as exc:
        raise KpiXlError(f"damaged gzip file ({exc}): re-export it", file=file) from None


def _open_zip(data: bytes, file: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except Exception as exc:  # zipfile raises many types for damaged archives
        raise KpiXlError(
            f"damaged zip file ({exc}): expected an .xlsx workbook or a zip of CSV files",
            file=file,
        ) from None


def _check_sizes(infos: list[zipfile.ZipInfo], file: str) -> None:
    if len(infos) > MAX_MEMBERS:
        raise KpiXlError(f"the archive holds more than {MAX_MEMBERS} files", file=file)
    for info in infos:
        if info.file_size > MAX_MEMBER_BYTES:
            raise _too_big(f"{file}:{info.filename}")
        if info.file_size > limits.expansion_limit(info.compress_size, MAX_MEMBER_BYTES)[0]:
            raise _expands_too_much(f"{file}:{info.filename}", info.compress_size)
    if sum(i.file_size for i in infos) > MAX_ARCHIVE_BYTES:
        raise _too_big(file, MAX_ARCHIVE_BYTES)


def _zip(data: bytes, file: str) -> list[Document]:
    with _open_zip(data, file) as archive:
        infos = archive.infolist()
        _check_sizes(infos, file)
        names = {i.filename for i in infos}
        kind = zip_kind(names, archive.read)  # the sizes are checked: a small read
        if kind == PLAN:
            raise plan_given(file)
        if kind is not None:
            raise not_an_export(kind, file)
        if "xl/workbook.xml" in names:
            return [_xlsx(data, file)]
        members = [
            i
            for i in infos
            if i.filename
            and not i.filename.endswith("/")
            and not any(p.startswith((".", "__MACOSX")) for p in PurePosixPath(i.filename).parts)
        ]
        if not members:
            raise KpiXlError("the zip holds no files: expected CSV exports", file=file)
        docs: list[Document] = []
        for info in members:
            name = f"{file}:{info.filename}"
            try:
                content = archive.read(info)
            except Exception as exc:  # damaged, encrypted, unknown compression method
                raise KpiXlError(
                    f"cannot unpack this member ({exc}): zip the CSV files again without a "
                    "password, or pass them unzipped",
                    file=name,
                ) from None
            if len(content) > MAX_MEMBER_BYTES:
                raise _too_big(name)
            docs.extend(documents(content, name, nested=True))
        return docs


class _Budget:
    """What a workbook may cost beyond its content (see :mod:`kpi_xl.ingest.limits`)."""

    def __init__(self) -> None:
        self.empty_rows = 0
        self.wide_cells = 0

    def empty(self, name: str, number: int) -> None:
        self.empty_rows += 1
        if self.empty_rows > limits.MAX_EMPTY_ROWS:
            raise KpiXlError(
                f"more than {limits.MAX_EMPTY_ROWS:,} empty rows: refusing to read it (a "
                "damaged or hostile workbook); expected an exported table",
                file=name,
                line=number,
            )

    def trimmed(self, row: tuple[object, ...], name: str, number: int) -> tuple[object, ...]:
        """A row of more than ``MAX_COLUMNS`` cells without its empty cells on the right;
        a value beyond ``MAX_COLUMNS`` is refused."""
        beyond = row[limits.MAX_COLUMNS :]
        if beyond.count(None) != len(beyond):
            from openpyxl.utils import get_column_letter

            last = max(i for i, v in enumerate(beyond) if v is not None) + limits.MAX_COLUMNS
            raise KpiXlError(
                f"row {number} has a value in column {get_column_letter(last + 1)}: kpi_xl "
                f"reads at most {limits.MAX_COLUMNS:,} columns; expected an exported table "
                "(delete the cells right of it, or export CSV)",
                file=name,
                line=number,
            )
        self.wide(len(beyond), name, number)
        width = limits.MAX_COLUMNS
        while width and row[width - 1] is None:
            width -= 1
        self.wide(limits.MAX_COLUMNS - width, name, number)  # the steps just taken
        return row[:width]

    def wide(self, cells: int, name: str, number: int) -> None:
        self.wide_cells += cells
        if self.wide_cells > limits.MAX_WIDE_CELLS:
            raise KpiXlError(
                f"more than {limits.MAX_WIDE_CELLS:,} empty cells right of column "
                f"{limits.MAX_COLUMNS:,}: refusing to read it (a damaged or hostile "
                "workbook); delete the columns right of the table, or export CSV",
                file=name,
                line=number,
            )


_EMPTY: tuple[object, ...] = ()


def _sheet_rows(sheet: Any, name: str, budget: _Budget) -> list[tuple[object, ...]]:
    """A worksheet's rows (row 1 first), as many as the sheet really holds.

    The sheet's ``<dimension>`` is ignored: a stale one (a writer that never updated it)
    would cut the rows short, a huge one (``A1:XFD1048576``) make every row 16,384 cells.
    Empty rows are kept as ``()`` (they only number the rows after them)."""
    if hasattr(sheet, "reset_dimensions"):  # read-only mode: rows as the XML has them
        sheet.reset_dimensions()
    rows: list[tuple[object, ...]] = []
    for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
        if not cells:  # a row the XML skips
            budget.empty(name, number)
            rows.append(_EMPTY)
            continue
        row = tuple(cells)
        if len(row) > limits.MAX_COLUMNS:
            row = budget.trimmed(row, name, number)
        if row.count(None) == len(row):
            budget.empty(name, number)
            row = _EMPTY
        rows.append(row)
    return rows


def _xlsx(data: bytes, file: str) -> Document:
    import openpyxl

    blocks = []
    budget = _Budget()
    try:
        with warnings.catch_warnings():  # "no default style", unsupported extensions...
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                for sheet in book.worksheets:
                    name = f"{file}:{sheet.title}"
                    blocks.extend(cell_blocks(name, _sheet_rows(sheet, name, budget)))
                    if len(blocks) > limits.MAX_BLOCKS:
                        raise limits.too_many_blocks(name)
            finally:
                book.close()
    except KpiXlError:
        raise
    except Exception as exc:  # openpyxl raises many types for damaged workbooks
        raise KpiXlError(
            f"cannot read this Excel workbook, it is damaged ({exc or type(exc).__name__}): "
            "open it in Excel and save it again as .xlsx, or export CSV",
            file=file,
        ) from None
    return Document(file, blocks)


def _parquet(data: bytes, file: str) -> Document:
    from kpi_xl.extras import require

    require("pyarrow", "parquet", "reading a Parquet file")
    _check_parquet(data, file)
    try:
        frame = pd.read_parquet(io.BytesIO(data))
    except Exception as exc:  # pyarrow raises many types for damaged files
        raise _damaged_parquet(exc, file) from None
    return Document(file, [FrameBlock(file, frame)])


def _damaged_parquet(exc: Exception, file: str) -> KpiXlError:
    return KpiXlError(
        f"cannot read this Parquet file, it is damaged ({exc or type(exc).__name__}): "
        "write it again, or export CSV",
        file=file,
    )


def _check_parquet(data: bytes, file: str) -> None:
    """Refuse a Parquet file wider than :data:`~kpi_xl.ingest.limits.MAX_COLUMNS`, or
    whose values would decode to far more than the file (a constant column of a billion
    rows takes a few bytes), before reading it."""
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(io.BytesIO(data)).metadata
    except Exception as exc:  # pyarrow raises many types for damaged files
        raise _damaged_parquet(exc, file) from None
    columns, rows = int(meta.num_columns), int(meta.num_rows)
    if columns > limits.MAX_COLUMNS:
        raise KpiXlError(
            f"the file has {columns:,} columns: kpi_xl reads at most {limits.MAX_COLUMNS:,}; "
            "expected the canonical table",
            file=file,
        )
    decoded = rows * max(columns, 1) * 8
    limit, by_ratio = limits.expansion_limit(len(data), limits.MAX_DECODED_BYTES)
    if decoded > limit:
        raise KpiXlError(
            f"{rows:,} rows x {columns:,} columns would take more than "
            f"{limits.size_text(limit)} once read"
            + (f" ({limits.MAX_RATIO} times the file)" if by_ratio else "")
            + ": refusing to read it (a damaged or hostile file)",
            file=file,
        )
