"""What the e-mail reports, read from a plan workbook's stored values.

Nothing is recalculated: the numbers are the cached results of the workbook's formulas,
exactly what Excel, a phone or a mail app's preview shows. Cells are found through the
plan record's typed layout (:mod:`kpi_xl.plan.planfile`), never by assumed addresses.
"""

from __future__ import annotations

import math
import shlex
import warnings
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl

from kpi_xl import periods as cal
from kpi_xl.catalog import STATUSES, get, label, status, status_label
from kpi_xl.catalog.status_bands import DEFAULT_THRESHOLDS
from kpi_xl.errors import KpiXlError
from kpi_xl.filetypes import has_macros, macro_free_name
from kpi_xl.mail.values import number
from kpi_xl.plan.layout import Cell
from kpi_xl.plan.planfile import PlanMeta, check_workbook, damaged_record, read_meta
from kpi_xl.plan.scopes import SCOPE_ALL

THRESHOLDS = ("on_track", "at_risk")
INFO = ("current_period", "data_range", "last_refreshed", "days_elapsed", "days_in_period")
MACRO_SUFFIXES = (".xlsm", ".xltm", ".xlsb")
FIGURES = ("actual", "target", "attainment")
#: Read when the plan has them (plans of kpi_xl 0.2 and later).
EXTRA = ("status", "pace")


@dataclass(frozen=True)
class KpiLine:
    """One KPI's figures for the current period."""

    kpi_id: str
    unit: str
    ratio: bool
    actual: float
    target: float
    attainment: float
    status: str  # a code of kpi_xl.catalog.STATUSES
    pace: float = math.nan  # where the period is partial: the projection to its end
    note: str = ""  # the marketer's note on the Targets sheet (this KPI and scope)

    @property
    def projected(self) -> bool:
        """Whether the line has its own projection to period end (a flow, budget or stock,
        whose pace differs from what the data holds so far)."""
        paced = get(self.kpi_id).pace_kind in ("flow", "budget", "stock")
        return paced and not math.isnan(self.pace)

    def name(self, lang: str) -> str:
        return get(self.kpi_id).name(lang)


@dataclass(frozen=True)
class ChannelLine:
    """A channel plan's status line: KPI counts per status and its headline KPI."""

    channel: str
    counts: dict[str, int]
    headline: KpiLine

    def name(self, lang: str) -> str:
        return label(f"channel_{self.channel}", lang)


@dataclass
class PlanSummary:
    """The Overview of a plan for its current period."""

    path: Path
    lang: str
    template: str
    title: str
    period: str
    currency: str
    data_range: str
    last_refreshed: str
    days_elapsed: float = math.nan
    days_in_period: float = math.nan
    grain: str = "month"  # in the plan's calendar: "month", "sh_month", "week"...
    digits: str = "latin"
    kpis: list[KpiLine] = field(default_factory=list)
    channels: list[ChannelLine] = field(default_factory=list)

    @property
    def partial(self) -> bool:
        """Whether the data covers only part of the period reported."""
        elapsed, days = self.days_elapsed, self.days_in_period
        return not (math.isnan(elapsed) or math.isnan(days)) and 0 < elapsed < days

    def plan_name(self, lang: str) -> str:
        """The plan's own title, or its template's name in ``lang``."""
        if self.title:
            return self.title
        try:
            return label(f"template_{self.template}", lang)
        except KeyError:  # a plan from the user's own template YAML
            return self.template


def macro_error(path: Path) -> KpiXlError:
    """The error for a macro-enabled workbook given to send: the command that makes its
    macro-free copy, as it can be run (``export-email`` takes an ``.xlsm`` and an
    ``.xlsx`` that holds macros; an ``.xlsb`` or ``.xltm`` is saved as ``.xlsx`` in Excel)."""
    if path.suffix.lower() not in (".xlsm", ".xlsx"):
        return KpiXlError(
            "macro-enabled workbooks are not mailed: open it in Excel, save a copy as Excel "
            "Workbook (.xlsx) and send that",
            file=path,
        )
    src, out = shlex.quote(str(path)), shlex.quote(str(macro_free_name(path)))
    holds = " (this .xlsx holds macros)" if path.suffix.lower() == ".xlsx" else ""
    return KpiXlError(
        f"macro-enabled workbooks are not mailed{holds}; make the macro-free copy with "
        f"`kpi-xl export-email {src} -o {out}` and send that",
        file=path,
    )


def check_plan_file(path: Path) -> None:
    """Refuse, before anything is read, a file that cannot be mailed: not a plan, damaged,
    or macro-enabled (by its name or its content)."""
    if path.suffix.lower() in MACRO_SUFFIXES:
        raise macro_error(path)
    check_workbook(path, "send a plan .xlsx")
    with zipfile.ZipFile(path) as zf:
        if has_macros(set(zf.namelist())):
            raise macro_error(path)


def _read_cells(wb: Any, cells: Iterable[Cell]) -> dict[Cell, Any]:
    """Stored values of ``cells``, reading each sheet's rows once."""
    wanted: dict[str, set[Cell]] = {}
    for cell in cells:
        wanted.setdefault(cell.sheet, set()).add(cell)
    values: dict[Cell, Any] = {}
    for sheet, group in wanted.items():
        if sheet not in wb.sheetnames:
            continue
        max_row = max(c.row for c in group) + 1
        max_col = max(c.col for c in group) + 1
        rows = wb[sheet].iter_rows(min_row=1, max_row=max_row, max_col=max_col, values_only=True)
        by_position = {(c.row, c.col): c for c in group}
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if (r, c) in by_position:
                    values[by_position[(r, c)]] = value
    return values


def _thresholds(meta: PlanMeta, stored: dict[Cell, Any]) -> tuple[float, float]:
    spec = meta.spec.get("thresholds") or {}
    cells = meta.layout.settings.cells
    on, at = (number(stored.get(cells[k])) for k in THRESHOLDS)
    if math.isnan(on) or math.isnan(at) or on < at:
        default = DEFAULT_THRESHOLDS
        return (
            float(spec.get("on_track", default.on_track)),
            float(spec.get("at_risk", default.at_risk)),
        )
    return on, at


def _text(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "strftime"):
        return str(value.strftime("%Y-%m-%d %H:%M"))
    return str(value)


def read_summary(path: str | Path) -> PlanSummary:
    """The Overview's KPIs and channel status lines for the current period of ``path``."""
    path = Path(path)
    check_plan_file(path)
    # openpyxl warns (lazily, while rows are read) that it drops sparklines and other
    # extensions: irrelevant here, nothing is written back.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
        try:
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types on damaged parts
            raise KpiXlError(
                f"the workbook cannot be read, it is damaged ({exc}): restore it from a backup "
                "or build it again",
                file=path,
            ) from None
        try:
            return _summary(wb, read_meta(wb, path), path)
        except (KeyError, IndexError, TypeError, AttributeError):
            raise damaged_record(path, "an entry is missing") from None
        finally:
            wb.close()


def _summary(wb: Any, meta: PlanMeta, path: Path) -> PlanSummary:
    spec, ov = meta.spec, meta.layout.overview
    settings = meta.layout.settings.cells
    kpi_keys = [k for k in (*FIGURES, *EXTRA) if k in ov.columns]
    kpi_cells = {(k, key): ov.cell(k, key) for k in ov.kpi_rows for key in kpi_keys}
    channel_keys = [k for k in (*STATUSES, *FIGURES, "status") if k in ov.channel_columns]
    channel_cells = {
        (channel, key): ov.channel_cell(channel, key)
        for channel in ov.channel_rows
        for key in channel_keys
    }
    info = [k for k in INFO if k in ov.info]
    # the notes of the KPIs shown: the overall KPIs and each channel's headline
    shown = [(k, SCOPE_ALL) for k in ov.kpi_rows]
    shown += [(get(spec["channels"][channel][0]).id, channel) for channel in ov.channel_rows]
    all_notes = meta.layout.note_cells() if meta.layout.targets.note_col >= 0 else {}
    note_cells = {key: all_notes[key] for key in shown if key in all_notes}
    stored = _read_cells(
        wb,
        [
            *kpi_cells.values(),
            *channel_cells.values(),
            *note_cells.values(),
            *(settings[k] for k in (*THRESHOLDS, "currency")),
            *(ov.info[k] for k in info),
        ],
    )
    on_track, at_risk = _thresholds(meta, stored)
    lang = str(spec.get("lang") or meta.lang or "en")
    # the status words as the workbook writes them (with their symbols), and as plans
    # written before the symbols did
    codes = {label(f"status_{code}", lang): code for code in STATUSES}
    codes |= {status_label(code, lang): code for code in STATUSES}

    def note(kpi_id: str, scope: str) -> str:
        cell = note_cells.get((kpi_id, scope))
        return _text(stored.get(cell)).strip() if cell else ""

    def line(kpi_id: str, values: dict[str, Any], scope: str) -> KpiLine:
        kpi = get(kpi_id)
        att = number(values.get("attainment"))
        # the workbook's own status (it knows the pace, a missing target, too early);
        # plans without a status cell are judged on attainment alone
        code = codes.get(str(values.get("status") or "").strip())
        if code is None:
            code = str(status(att, on_track, at_risk))
        return KpiLine(kpi_id, kpi.unit, kpi.is_ratio, number(values.get("actual")),
                       number(values.get("target")), att, code,
                       number(values.get("pace")), note(kpi.id, scope))  # fmt: skip

    kpis = [
        line(k, {key: stored.get(kpi_cells[(k, key)]) for key in kpi_keys}, SCOPE_ALL)
        for k in ov.kpi_rows
    ]
    channels = []
    for channel in ov.channel_rows:
        values = {key: stored.get(channel_cells[(channel, key)]) for key in channel_keys}
        counted = {code: number(values.get(code)) for code in STATUSES}
        counts = {code: 0 if math.isnan(v) else int(v) for code, v in counted.items()}
        headline = spec["channels"][channel][0]
        channels.append(ChannelLine(channel, counts, line(headline, values, channel)))
    currency = stored.get(settings["currency"]) or spec.get("currency", "")

    def text(key: str) -> str:
        return _text(stored.get(ov.info[key])) if key in ov.info else ""

    def count(key: str) -> float:
        return number(stored.get(ov.info[key])) if key in ov.info else math.nan

    return PlanSummary(
        path=path,
        lang=lang,
        template=str(spec.get("name", "")),
        title=str(spec.get("title") or ""),
        period=text("current_period") or meta.layout.targets.periods[-1],
        currency=str(currency),
        data_range=text("data_range"),
        last_refreshed=text("last_refreshed"),
        days_elapsed=count("days_elapsed"),
        days_in_period=count("days_in_period"),
        grain=cal.grain_for(
            str(spec.get("grain") or "month"), str(spec.get("calendar") or "gregorian")
        ),
        digits=str(spec.get("digits") or "latin"),
        kpis=kpis,
        channels=channels,
    )
