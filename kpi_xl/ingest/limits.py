"""Bounds on what an input may make kpi_xl do: hostile or broken files are refused early.

An export is read whole into memory, so what a file can make the reader allocate is
bounded by what is really in it, never by what the file declares (an ``.xlsx``
``<dimension>``, a zip member's size) or by how far it decompresses:

* compressed input (``.csv.gz``, a zip member, an ``.xlsx`` part) may expand at most
  :data:`MAX_RATIO` times (small parts up to :data:`RATIO_FLOOR` are not counted), and
  a single member to at most ``kpi_xl.ingest.sources.MAX_MEMBER_BYTES``; a gzip file is
  measured while being decompressed and discarded, so refusing a bomb costs about the
  compressed file's size in memory;
* a table has at most :data:`MAX_COLUMNS` columns (real exports have fewer than 200), a
  text field at most :data:`MAX_FIELD_CHARS` characters (the ``csv`` module's own limit),
  checked on the raw lines before any parser splits them into cells;
* a document splits into at most :data:`MAX_BLOCKS` blocks (tables separated by blank
  lines or empty rows: each is searched for a header by every platform);
* a worksheet may hold at most :data:`MAX_EMPTY_ROWS` empty rows (a row declared far below
  the table costs one step per missing row), and at most :data:`MAX_WIDE_CELLS` empty
  cells beyond column :data:`MAX_COLUMNS` (formatting far right of the table);
* a Parquet file at most :data:`MAX_COLUMNS` columns, and rows x columns x 8 bytes at most
  :data:`MAX_RATIO` times the file (at most :data:`MAX_DECODED_BYTES`);
* a figure's absolute value is at most :data:`MAX_VALUE`: beyond it sums, growth and
  formatting lose meaning long before a float overflows (1e308), and no export holds one;
* the canonical text columns (campaign, segment, source, currency) at most
  :data:`MAX_CELL_CHARS` characters: an Excel cell holds no more, and a longer name would
  be cut (two campaigns could become one).

Every refusal is a one-line :class:`~kpi_xl.errors.KpiXlError`. See SECURITY.md.
"""

from __future__ import annotations

from kpi_xl.errors import KpiXlError

#: Columns of one table (a header, a worksheet row, a Parquet file).
MAX_COLUMNS = 1_000
#: Characters of one delimited field (Python's ``csv.field_size_limit()`` default).
MAX_FIELD_CHARS = 131_072
#: Characters of one text cell of the canonical table: Excel's cell limit.
MAX_CELL_CHARS = 32_767
#: How many times compressed content may expand.
MAX_RATIO = 100
#: Decompressed sizes up to this are accepted whatever the ratio (small, repetitive parts).
RATIO_FLOOR = 2**20
#: Blocks (blank-line separated parts) of one document.
MAX_BLOCKS = 10_000
#: Empty rows of one workbook (gaps between rows, rows of empty cells).
MAX_EMPTY_ROWS = 1_048_576
#: Empty cells beyond column MAX_COLUMNS of one workbook, together.
MAX_WIDE_CELLS = 16 * 2**20
#: rows x columns x 8 bytes of a Parquet file, at most.
MAX_DECODED_BYTES = 2**30
#: The largest absolute value of a figure (a quintillion: rial amounts included).
MAX_VALUE = 1e18


def expansion_limit(compressed: int, absolute: int) -> tuple[int, bool]:
    """The most bytes ``compressed`` bytes may expand to, and whether that limit is the
    ratio's (rather than ``absolute``)."""
    by_ratio = max(MAX_RATIO * compressed, RATIO_FLOOR)
    return (by_ratio, True) if by_ratio < absolute else (absolute, False)


def too_many_blocks(file: str) -> KpiXlError:
    return KpiXlError(
        f"more than {MAX_BLOCKS:,} tables separated by blank lines or empty rows: refusing "
        "to read it (a damaged or hostile file); expected an exported report",
        file=file,
    )


def size_text(size: int) -> str:
    """A size in a message: ``256 MB``, ``1.5 MB``, ``10,000 bytes``."""
    if size >= 2**20:
        mb = size / 2**20
        return f"{mb:.0f} MB" if mb == int(mb) or mb >= 10 else f"{mb:.1f} MB"
    return f"{size:,} bytes"
