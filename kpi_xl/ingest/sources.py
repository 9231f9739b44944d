"""Opening an input: the container is recognized from its first bytes, never its name.

* ``PK`` zip: an Excel workbook (it holds ``xl/workbook.xml``; read with openpyxl, every
  sheet, cached values) or a zip of CSV files (Search Console's export);
* ``PAR1``: Parquet;
* gzip: decompressed, then recognized again (``.csv.gz``);
* anything else: a text export, decoded by :func:`kpi_xl.ingest.decode.decode`.

Archives are bounded: a member over :data:`MAX_MEMBER_BYTES` unpacked, members over
:data:`MAX_ARCHIVE_BYTES` together or more than :data:`MAX_MEMBERS` files are refused
(a zip bomb), and archives inside archives are not opened.
"""

from __future__ import annotations

import gzip
import io
import warnings
import zipfile
import zlib
from pathlib import Path, PurePosixPath

import pandas as pd

from kpi_xl.errors import KpiXlError
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
    """True unless ``data`` starts like a zip, gzip, Parquet or OLE (legacy .xls) file."""
    return not data.startswith((ZIP, b"PK\x05\x06", GZIP, PARQUET, OLE))


def read_file(path: Path) -> bytes:
    """The bytes of an input file, or a one-line error."""
    if not path.exists():
        raise KpiXlError("no such file", file=path)
    if not path.is_file():
        raise KpiXlError("not a file: expected an export file", file=path)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise KpiXlError(f"cannot read the file: {exc.strerror or exc}", file=path) from None


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
        raise KpiXlError(
            "this is a legacy Excel .xls (or another OLE) file: save it as .xlsx or CSV",
            file=file,
        )
    text = [decode(data, file)]
    del data  # the decoded text replaces the bytes: one copy of the file in memory
    return [Document(file, text_blocks(text.pop(), file))]


def _size(limit: int) -> str:
    return f"{limit // 2**20} MB" if limit >= 2**20 else f"{limit:,} bytes"


def _too_big(file: str, limit: int | None = None) -> KpiXlError:
    return KpiXlError(
        f"unpacks to more than {_size(limit or MAX_MEMBER_BYTES)}: refusing to read it "
        "(a damaged file or a zip bomb)",
        file=file,
    )


def _gunzip(data: bytes, file: str) -> bytes:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as fh:
            out = fh.read(MAX_MEMBER_BYTES + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise KpiXlError(f"damaged gzip file ({exc}): re-export it", file=file) from None
    if len(out) > MAX_MEMBER_BYTES:
        raise _too_big(file)
    return out


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
    if sum(i.file_size for i in infos) > MAX_ARCHIVE_BYTES:
        raise _too_big(file, MAX_ARCHIVE_BYTES)


def _zip(data: bytes, file: str) -> list[Document]:
    with _open_zip(data, file) as archive:
        infos = archive.infolist()
        _check_sizes(infos, file)
        names = {i.filename for i in infos}
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
                raise KpiXlError(f"cannot unpack this member ({exc})", file=name) from None
            if len(content) > MAX_MEMBER_BYTES:
                raise _too_big(name)
            docs.extend(documents(content, name, nested=True))
        return docs


def _xlsx(data: bytes, file: str) -> Document:
    import openpyxl

    blocks = []
    try:
        with warnings.catch_warnings():  # "no default style", unsupported extensions...
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                for sheet in book.worksheets:
                    rows = [tuple(r) for r in sheet.iter_rows(values_only=True)]
                    blocks.extend(cell_blocks(f"{file}:{sheet.title}", rows))
            finally:
                book.close()
    except Exception as exc:  # openpyxl raises many types for damaged workbooks
        raise KpiXlError(
            f"cannot read this Excel workbook ({type(exc).__name__}: {exc}): save it again "
            "as .xlsx or export CSV",
            file=file,
        ) from None
    return Document(file, blocks)


def _parquet(data: bytes, file: str) -> Document:
    from kpi_xl.extras import require

    require("pyarrow", "parquet", "reading a Parquet file")
    try:
        frame = pd.read_parquet(io.BytesIO(data))
    except Exception as exc:  # pyarrow raises many types for damaged files
        raise KpiXlError(
            f"cannot read this Parquet file ({type(exc).__name__}: {exc})", file=file
        ) from None
    return Document(file, [FrameBlock(file, frame)])
