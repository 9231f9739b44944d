"""The plan file: the ``_meta`` record every plan workbook carries, and opening a workbook
we did not necessarily write.

**The record.** A very hidden ``_meta`` sheet holds, key in column A and JSON in B (split
into chunks below Excel's cell limit): the marker, the schema version (:data:`SCHEMA`),
the kpi_xl version, the plan spec and language, the layout
(:class:`~kpi_xl.plan.layout.PlanLayout`), the data source, the user's carried sheets,
fingerprints of generated cells (what refresh checks for edits), targets without a cell
(kept for later) and the generated sheets' dimensions. :func:`meta_rows` writes it;
:func:`parse_meta_rows` reads it back into a :class:`PlanMeta`, upgrading older schemas
(schema 1: the first release, whose layout was an untyped map).

**Opening a workbook.** A refresh or an e-mail reads a file that went through Excel,
e-mail and other people's hands. Before any spreadsheet library parses it,
:func:`check_workbook` turns every kind of bad file into one clear
:class:`~kpi_xl.errors.KpiXlError`: open in Excel (``~$name.xlsx``) or LibreOffice
(``.~lock.name.xlsx#``); not a zip (truncated, corrupt, an old ``.xls``); encrypted (an OLE
compound file); a zip bomb (more than :data:`MAX_MEMBERS` members, a member over
:data:`MAX_MEMBER_BYTES`, more than :data:`MAX_TOTAL_BYTES` in all, a compression ratio
over :data:`MAX_RATIO`); DTDs or entities in an XML part.
"""

from __future__ import annotations

import json
import shlex
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kpi_xl import fileio, filetypes
from kpi_xl._version import __version__
from kpi_xl.errors import KpiXlError
from kpi_xl.plan import layout as lay
from kpi_xl.plan.layout import Cell, PlanLayout
from kpi_xl.plan.spec import PlanSpec, parse_spec

META_MARKER = "kpi_xl plan workbook"
META_SHEET = lay.META_SHEET
SCHEMA = 2
META_CHUNK = 30_000  # an Excel cell holds at most 32,767 characters

MAX_MEMBERS = 10_000
MAX_MEMBER_BYTES = 256 * 1024 * 1024
MAX_TOTAL_BYTES = 1024 * 1024 * 1024
MAX_RATIO = 200
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: What a command that reads a plan asks for (``check_workbook``'s ``todo``).
REFRESH_TODO = "refresh a plan .xlsx (or .xlsm)"


@dataclass
class PlanMeta:
    """The ``_meta`` record of a plan workbook."""

    spec: dict[str, Any]  # PlanSpec.to_dict()
    lang: str
    layout: PlanLayout
    data_source: str = ""
    user_sheets: list[str] = field(default_factory=list)
    generated: dict[str, dict[str, str]] = field(default_factory=dict)  # role -> cell -> fp
    orphans: dict[str, float] = field(default_factory=dict)  # "kpi|scope|period" -> target
    dimensions: dict[str, list[int]] = field(default_factory=dict)  # role -> [rows, cols]
    #: closed periods' targets as built ("kpi|scope|period" -> target): a refresh finds
    #: the ones changed since and records them in ``target_log``
    closed: dict[str, float] = field(default_factory=dict)
    #: changes to closed periods' targets: [key, before, after, when (ISO date)]
    target_log: list[list[Any]] = field(default_factory=list)
    version: str = __version__
    schema: int = SCHEMA

    def plan_spec(self, source: str = "_meta") -> PlanSpec:
        """The plan spec recorded in the file, validated."""
        raw = dict(self.spec)
        lang, year = raw.pop("lang", self.lang), raw.pop("year", None)
        fx = {str(k): float(v) for k, v in (raw.pop("fx", None) or {}).items()}
        return parse_spec(raw, source).with_choices(lang=lang, year=year, fx=fx or None)


def meta_rows(meta: PlanMeta) -> list[tuple[str, str]]:
    """(key, text) rows of the ``_meta`` sheet, long texts split into chunks ``key#n``."""
    records: dict[str, Any] = {
        "format": META_MARKER,
        "schema": str(meta.schema),
        "version": meta.version,
        "spec": meta.spec,
        "lang": meta.lang,
        "layout": lay.to_data(meta.layout),
        "data_source": meta.data_source,
        "user_sheets": meta.user_sheets,
        "generated": meta.generated,
        "orphans": meta.orphans,
        "closed": meta.closed,
        "target_log": meta.target_log,
        "dimensions": meta.dimensions,
    }
    rows: list[tuple[str, str]] = []
    for key, value in records.items():
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        chunks = [text[i : i + META_CHUNK] for i in range(0, len(text), META_CHUNK)] or [""]
        rows.extend((key if n == 0 else f"{key}#{n}", chunk) for n, chunk in enumerate(chunks))
    return rows


_TEXT_KEYS = ("format", "schema", "version", "lang", "data_source")


def parse_meta_rows(rows: Iterable[Sequence[Any]], path: Path | str) -> PlanMeta:
    """The ``_meta`` record from its (key, chunk) rows, upgraded to the current schema."""
    parts: dict[str, str] = {}
    for key, value, *_ in rows:
        if not isinstance(key, str):
            continue
        base = key.split("#", 1)[0]
        parts[base] = parts.get(base, "") + ("" if value is None else str(value))
    if parts.get("format") != META_MARKER:
        raise damaged_record(path, "it does not say it is a kpi_xl plan")
    raw: dict[str, Any] = {}
    for key, text in parts.items():
        try:
            raw[key] = text if key in _TEXT_KEYS else json.loads(text)
        except json.JSONDecodeError:
            raise damaged_record(path, f"its entry {key} cannot be read") from None
    schema = raw.get("schema", "1")
    try:
        if schema == "1":
            return _from_schema_1(raw)
        if schema == str(SCHEMA):
            return _from_schema_2(raw)
    except (KeyError, TypeError, ValueError, AttributeError):
        raise damaged_record(path, "an entry is missing or wrong") from None
    raise KpiXlError(
        f"the plan was written by a newer kpi_xl (plan file schema {schema}); "
        "update kpi_xl to refresh it",
        file=path,
    )


def not_a_plan_workbook(path: Path | str, todo: str = REFRESH_TODO) -> KpiXlError:
    """The error for an Excel workbook that is no kpi_xl plan (no plan record sheet)."""
    return KpiXlError(
        f"this Excel workbook is not a kpi_xl plan workbook: {todo} written by kpi-xl build "
        f"or kpi-xl demo; if this is an export, build a plan from it: kpi-xl build "
        f"{shlex.quote(str(path))} -o kpi_plan.xlsx",
        file=path,
    )


def damaged_record(path: Path | str, what: str) -> KpiXlError:
    """The error for a plan whose hidden plan record (the ``_meta`` sheet, which refresh
    and send read) was damaged: ``what`` says how."""
    return KpiXlError(
        f"the plan's hidden record sheet is damaged ({what}): restore the plan from a "
        f"backup ({_BACKUP} beside it) or build it again with kpi-xl build",
        file=path,
    )


def _from_schema_2(raw: dict[str, Any]) -> PlanMeta:
    return PlanMeta(
        spec=dict(raw["spec"]),
        lang=str(raw["lang"]),
        layout=lay.from_data(raw["layout"]),
        data_source=str(raw.get("data_source", "")),
        user_sheets=[str(s) for s in raw.get("user_sheets") or []],
        generated=dict(raw.get("generated") or {}),
        orphans={str(k): float(v) for k, v in (raw.get("orphans") or {}).items()},
        dimensions=dict(raw.get("dimensions") or {}),
        closed={str(k): float(v) for k, v in (raw.get("closed") or {}).items()},
        target_log=[list(e) for e in raw.get("target_log") or []],
        version=str(raw.get("version", "")),
    )


def _ordered(columns: Mapping[str, int]) -> tuple[str, ...]:
    return tuple(sorted(columns, key=lambda k: columns[k]))


def _from_schema_1(raw: dict[str, Any]) -> PlanMeta:
    """Schema 1 (kpi_xl 0.1.0): the layout was a map of strings and references; its fixed
    rows and columns (the first release's constants) are filled in here."""
    old = raw["layout"]
    sheets = dict(raw["sheets"])
    periods = tuple(str(p) for p in raw["periods"])
    spec = dict(raw["spec"])
    ov = old["overview"]
    info_keys = {"plan": "plan_name"}
    v1_info = (
        "plan", "current_period", "previous_period", "data_range", "last_refreshed",
        "days_elapsed", "days_in_period", "prior_period", "pace_factor",
    )  # fmt: skip
    info = {info_keys.get(key, key): Cell.from_ref(ov[key]) for key in v1_info}
    overview = lay.OverviewLayout(
        sheet=sheets["overview"],
        title=Cell(sheets["overview"], 0, 0),
        info=info,
        header_row=int(ov["header_row"]),
        columns=_ordered(ov["columns"]),
        kpi_rows={str(k): int(v) for k, v in ov["kpi_rows"].items()},
        trend_first_col=int(ov["trend_col"]),
        channel_header_row=int(ov["channel_status_header"]),
        channel_columns=_ordered(ov["channel_columns"]),
        channel_rows={str(k): int(v) for k, v in ov["channel_rows"].items()},
        button=Cell(sheets["overview"], 2, 3),
    )
    channels = {}
    for channel, ch in old["channels"].items():
        rows = {
            k: lay.KpiBlockRows(int(r["actual"]), int(r["target"]), int(r["attainment"]))
            for k, r in ch["rows"].items()
        }
        first = min(r.actual for r in rows.values())
        n = len(rows)
        count = int(ch["count_row"])
        chart = count + 4
        channels[channel] = lay.ChannelLayout(
            sheet=sheets[channel],
            channel=channel,
            title=Cell(sheets[channel], 0, 0),
            header_row=2,
            prev_row=3,
            first_col=int(ch["first_col"]),
            last_col=int(ch["first_col"]) + len(periods) - 1,
            rows=rows,
            section_rows={
                "actual": first - 1,
                "target": first + n,
                "attainment": first + 2 * n + 1,
                "status": count - 1,
            },
            count_row=count,
            chart_rows={"actual": chart, "target": chart + 1},
            chart_anchor=Cell(sheets[channel], chart + 3, 0),
        )
    t = old["targets"]
    keys = tuple(sorted(t["rows"], key=lambda k: t["rows"][k]))
    first_period = int(t["first_period_col"])
    targets = lay.TargetsLayout(
        sheet=sheets["targets"],
        title=Cell(sheets["targets"], 0, 1),
        help=Cell(sheets["targets"], 1, 1),
        header_row=3,
        first_row=min(int(r) for r in t["rows"].values()),
        key_col=0,
        label_cols=("kpi", "channel", "unit", "direction"),
        first_period_col=first_period,
        periods=periods,
        note_col=first_period + len(periods),
        keys=keys,
    )
    inputs = raw["inputs"]
    settings = lay.SettingsLayout(
        sheet=sheets["settings"],
        title=Cell(sheets["settings"], 0, 0),
        header_row=2,
        cells={
            k: Cell.from_ref(inputs[f"setting|{k}"])
            for k in lay.SETTINGS
            if f"setting|{k}" in inputs
        },
        names={k: name for k, name in lay.SETTINGS.items() if f"setting|{k}" in inputs},
    )
    names = {name: settings.cells[key].ref for key, name in settings.names.items()}
    names.update(
        {name: overview.info[key].ref for key, name in lay.OVERVIEW_NAMES.items() if key in info}
    )
    kpi_ids = list(spec["overall"])
    for ids in spec["channels"].values():
        kpi_ids.extend(k for k in ids if k not in kpi_ids)
    layout = lay.PlanLayout(
        sheets=sheets,
        overview=overview,
        channels=channels,
        targets=targets,
        data=lay.DataLayout(
            sheets["data"], lay.TABLE, tuple(old["data"]["columns"]), int(old["data"]["rows"])
        ),
        definitions=lay.DefinitionsLayout(
            sheets["definitions"], Cell(sheets["definitions"], 0, 0), 2, tuple(kpi_ids)
        ),
        settings=settings,
        names=names,
    )
    return PlanMeta(
        spec=spec,
        lang=str(raw.get("lang", "en")),
        layout=layout,
        data_source=str(old.get("data_source", "")),
        user_sheets=[str(s) for s in raw.get("user_sheets") or []],
        generated=dict(raw.get("generated") or {}),
        orphans={str(k): float(v) for k, v in (raw.get("orphans") or {}).items()},
        dimensions=dict(raw.get("dimensions") or {}),
        version=str(raw.get("version", "")),
        schema=1,
    )


def read_meta(wb: Any, path: Path | str) -> PlanMeta:
    """The record of an openpyxl workbook (any mode)."""
    if META_SHEET not in wb.sheetnames:
        raise not_a_plan_workbook(path)
    rows = wb[META_SHEET].iter_rows(min_col=1, max_col=2, values_only=True)
    return parse_meta_rows(rows, path)


# -- opening a workbook safely -------------------------------------------------------------------


def lock_files(path: Path) -> list[Path]:
    """Lock files that say another program has the workbook open (the rules:
    :func:`kpi_xl.fileio.lock_files`)."""
    return fileio.lock_files(path)


def check_not_open(path: Path) -> None:
    """Refuse a workbook that LibreOffice or Excel has open (a lock file beside it)."""
    fileio.check_not_open(path, what="workbook")


def check_workbook(path: Path, todo: str = REFRESH_TODO, *, macro: bool = False) -> None:
    """Raise a clear error unless ``path`` is a sane, unencrypted OOXML zip.

    ``todo`` says what the command takes (``"refresh a plan .xlsx (or .xlsm)"``); a file
    that is no workbook is named for what it is (a CSV export: build a plan from it, with
    ``--macro`` when ``macro``)."""
    from kpi_xl.ingest.sources import check_input

    check_input(path, "a plan workbook")
    with path.open("rb") as fh:
        head = fh.read(64 * 1024)
    if head.startswith(OLE_MAGIC):
        kind = filetypes.describe(path, head)
        if kind == filetypes.LEGACY_XLS:
            raise KpiXlError(
                "this is a legacy Excel .xls workbook, not a kpi_xl plan: "
                f"{todo} written by kpi-xl build or kpi-xl demo",
                file=path,
            )
        if kind != filetypes.ENCRYPTED and path.suffix.lower() not in (".xlsx", ".xlsm"):
            raise KpiXlError(f"this is {kind}, not an Excel workbook: {todo}", file=path)
        raise KpiXlError(
            "the workbook is password-protected (encrypted): kpi_xl cannot read it; open it in "
            "Excel and save a copy without a password (File > Info > Protect Workbook > "
            "Encrypt with Password, cleared), then use the copy",
            file=path,
        )
    if not zipfile.is_zipfile(path):
        kind = filetypes.describe(path, head)
        if head.startswith(filetypes.ZIP_MAGICS) or kind is None:
            raise KpiXlError(
                "not an Excel workbook: the file is corrupt or truncated; restore it from a "
                f"backup ({_BACKUP} beside it) or build it again",
                file=path,
            )
        raise _not_a_plan(path, kind, todo, macro)
    try:
        with zipfile.ZipFile(path) as zf:
            if "xl/workbook.xml" not in zf.namelist():
                raise _not_a_plan(path, filetypes.describe(path, head) or "a zip", todo, macro)
            _check_members(zf, path)
            if filetypes.zip_kind({"xl/workbook.xml"}, zf.read) != filetypes.PLAN:
                raise not_a_plan_workbook(path, todo)
    except zipfile.BadZipFile as exc:
        raise KpiXlError(
            f"the workbook is corrupt ({exc}): restore it from a backup ({_BACKUP} beside "
            "it) or build it again",
            file=path,
        ) from None


_BACKUP = "PLAN.backup-YYYYmmdd-HHMMSS.xlsx"
#: Files a plan can be built from (``filetypes.describe``'s phrases).
_EXPORT_KINDS = {
    "a CSV export": "a CSV export",
    "a gzip-compressed file (an export?)": "a gzip-compressed file",
    "a Parquet file": "a Parquet file",
    "a zip of CSV files": "a zip of CSV files",
}


def _not_a_plan(path: Path, kind: str, todo: str, macro: bool) -> KpiXlError:
    """The error for a file that is ``kind`` (``"a CSV export"``), not a plan workbook."""
    if kind in _EXPORT_KINDS:
        out = "kpi_plan.xlsm --macro" if macro else "kpi_plan.xlsx"
        return KpiXlError(
            f"this is {_EXPORT_KINDS[kind]}, not a plan: {todo}, or build one from it: "
            f"kpi-xl build {shlex.quote(str(path))} -o {out}",
            file=path,
        )
    return KpiXlError(f"this is {kind}, not an Excel workbook: {todo}", file=path)


def _check_members(zf: zipfile.ZipFile, path: Path) -> None:
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise KpiXlError(f"refused: {len(infos)} parts in the zip", file=path)
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > MAX_MEMBER_BYTES or (ratio > MAX_RATIO and info.file_size > 1e6):
            raise KpiXlError(
                f"refused: part {info.filename} expands to {info.file_size} bytes (a zip bomb?)",
                file=path,
            )
    if total > MAX_TOTAL_BYTES:
        raise KpiXlError(f"refused: the zip expands to {total} bytes", file=path)
    names = {i.filename for i in infos}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise KpiXlError("not an Excel workbook (no xl/workbook.xml)", file=path)
    for info in infos:
        if info.filename.endswith((".xml", ".rels", ".vml")):
            with zf.open(info) as part:
                head_text = part.read(4096)
            if b"<!DOCTYPE" in head_text or b"<!ENTITY" in head_text:
                raise KpiXlError(
                    f"refused: part {info.filename} declares a DTD or entities", file=path
                )
    bad = zf.testzip()
    if bad is not None:
        raise KpiXlError(f"the workbook is corrupt (part {bad})", file=path)
