"""Where everything sits in a plan workbook, decided before anything is written.

:func:`plan_layout` is a pure function of the plan model: it returns frozen dataclasses for
every sheet (sheet names, the Overview's info cells, KPI table columns and rows, the
channel sheets' blocks, the Targets grid and its key column, Settings cells and their
defined names, the Data table, the Refresh button's anchor). Sheet writers write *at* it;
the plan file records it (:mod:`kpi_xl.plan.fileformat`), and every reader (refresh, the
e-mail, the Refresh button) reads it back as the same dataclasses. Changing a position, or
the order of :data:`OVERVIEW_COLUMNS`, here changes the workbook and every reader alike.

Rows and columns are 0-based, as XlsxWriter counts them.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

from kpi_xl.catalog.records import label
from kpi_xl.catalog.status_bands import STATUSES
from kpi_xl.plan.model import ID_COLUMNS, PlanModel, all_kpi_ids, target_scopes
from kpi_xl.spreadsheet import a1, rowcol, sheet_ref, split_reference
from kpi_xl.vocabulary import CHANNELS

#: The Overview's KPI table, left to right (the trend sparkline, then one column per period,
#: follow after a narrow gap).
OVERVIEW_COLUMNS = (
    "kpi", "unit", "actual", "target", "attainment", "status", "progress",
    "previous", "change", "last_year", "vs_last_year", "pace",
    "ytd_actual", "ytd_target", "fy_target", "trend", "data_note",
)  # fmt: skip
#: The Overview's information block, top to bottom (label in column A, value in B): the
#: period selector (an input), then the period it resolves to and how far the data goes.
OVERVIEW_INFO = (
    "plan_name", "selected", "current_period", "previous_period", "data_range",
    "last_refreshed", "days_elapsed", "days_in_period",
)  # fmt: skip
#: The Overview cells the Refresh button rewrites (besides the tables and the selection's
#: stamped cells).
STAMPED = ("data_range", "last_refreshed")
#: The selection's helper cells (on the Plan data sheet), each a defined name: what the
#: data holds (stamped by a build or the Refresh button), then formulas of the period the
#: Overview's selector resolves to.
SELECTION = {
    "data_period": "kpi_DataPeriod",  # the latest period of the data (stamped)
    "data_days": "kpi_DataDays",  # the days of it the data covers (stamped)
    "last_complete": "kpi_LastComplete",  # the latest period the data covers whole
    "data_no": "kpi_DataNo",
    "data_days_in": "kpi_DataDaysIn",
    "data_share": "kpi_DataShare",
    "data_factor": "kpi_DataFactor",
    "data_partial": "kpi_DataPartial",
    "data_too_early": "kpi_DataTooEarly",
    "current_no": "kpi_CurrentNo",
    "year_first_no": "kpi_YearFirstNo",
    "prior_period": "kpi_PriorPeriod",
    "last_year_period": "kpi_LastYearPeriod",
    "last_year_prior": "kpi_LastYearPrior",
    "share": "kpi_Share",
    "partial": "kpi_Partial",
    "too_early": "kpi_TooEarly",
}
#: The selection cells a build writes and the Refresh button rewrites.
SELECTION_STAMPED = ("data_period", "data_days", "last_complete")
#: The tables of the Plan data sheet, left to right, and the periods table's columns.
TO_DATE_TABLE = "PlanToDate"
PERIODS_TABLE = "PlanPeriods"
PERIOD_COLUMNS = ("period", "period_no", "previous", "last_year", "last_year_previous", "days")
#: The channel-status block on Overview, left to right.
CHANNEL_COLUMNS = ("channel", *STATUSES, "kpi", "actual", "target", "attainment", "status")
#: The Settings inputs, top to bottom, and the defined name of each value cell.
SETTINGS = {
    "on_track": "kpi_OnTrack",
    "at_risk": "kpi_AtRisk",
    "near_on_track": "kpi_NearOnTrack",
    "near_at_risk": "kpi_NearAtRisk",
    "gross_margin": "kpi_GrossMargin",
    "unlock_targets": "kpi_UnlockTargets",
    "currency": "kpi_Currency",
    "plan_start": "kpi_PlanStart",
    "language": "kpi_Language",
    "grain": "kpi_Grain",
    "data_source": "kpi_DataSource",
}
#: Defined names of Overview cells that formulas read.
OVERVIEW_NAMES = {
    "selected": "kpi_Selected",
    "current_period": "kpi_CurrentPeriod",
    "previous_period": "kpi_PreviousPeriod",
    "days_elapsed": "kpi_DaysElapsed",
    "days_in_period": "kpi_DaysInPeriod",
    "pace_factor": "kpi_PaceFactor",
}
TABLE = "ChannelData"
#: The table the formulas read (period x scope x source x currency; see plan.scopes).
PLAN_TABLE = "PlanData"
META_SHEET = "_meta"
TARGET_KEY_HEADER = "key"
SHEET_NAME_LIMIT = 31
_FORBIDDEN = set("[]:*?/\\")


@dataclass(frozen=True)
class Cell:
    """One cell of a sheet."""

    sheet: str
    row: int
    col: int

    @classmethod
    def from_ref(cls, reference: str) -> Cell:
        """The cell of ``'Sheet name'!$B$3``."""
        sheet, cell = split_reference(reference)
        return cls(sheet, *rowcol(cell))

    @property
    def a1(self) -> str:
        """``B3``"""
        return a1(self.row, self.col)

    @property
    def ref(self) -> str:
        """``'Sheet name'!$B$3``"""
        return sheet_ref(self.sheet, self.row, self.col)


@dataclass(frozen=True)
class Area:
    """A rectangle of cells of a sheet (inclusive bounds)."""

    sheet: str
    first_row: int
    first_col: int
    last_row: int
    last_col: int

    @property
    def ref(self) -> str:
        """``'Sheet'!$A$1:$C$9``"""
        last = a1(self.last_row, self.last_col, row_abs=True, col_abs=True)
        return f"{sheet_ref(self.sheet, self.first_row, self.first_col)}:{last}"


@dataclass(frozen=True)
class OverviewLayout:
    sheet: str
    title: Cell
    info: Mapping[str, Cell]  # value cells of OVERVIEW_INFO plus prior_period, pace_factor
    header_row: int
    columns: tuple[str, ...]
    kpi_rows: Mapping[str, int]  # overall KPI id -> row
    trend_first_col: int  # first of the per-period columns
    channel_header_row: int
    channel_columns: tuple[str, ...]
    channel_rows: Mapping[str, int]
    button: Cell  # where the Refresh button of the .xlsm sits

    def col(self, key: str) -> int:
        return self.columns.index(key)

    def cell(self, kpi_id: str, key: str) -> Cell:
        return Cell(self.sheet, self.kpi_rows[kpi_id], self.col(key))

    def channel_cell(self, channel: str, key: str) -> Cell:
        return Cell(self.sheet, self.channel_rows[channel], self.channel_columns.index(key))

    @property
    def last_row(self) -> int:
        return self.channel_header_row + len(self.channel_rows)


@dataclass(frozen=True)
class KpiBlockRows:
    actual: int
    target: int
    attainment: int
    status: int = -1  # hidden: the status of each period, which fills and counts read


@dataclass(frozen=True)
class ChannelLayout:
    sheet: str
    channel: str
    title: Cell
    header_row: int  # KPI, unit, then one column per period
    prev_row: int  # hidden: each period's previous period key
    first_col: int  # first period column
    last_col: int
    rows: Mapping[str, KpiBlockRows]  # KPI id -> its rows in the three blocks
    section_rows: Mapping[str, int]  # actual / target / attainment / status -> section row
    count_row: int  # first of the status-count rows (one per status)
    chart_rows: Mapping[str, int]  # hidden rows feeding the chart: actual, target
    chart_anchor: Cell
    #: hidden rows of each period: share of it the data covers, pace factor, number
    helper_rows: Mapping[str, int] = field(default_factory=dict)

    def period_col(self, index: int) -> int:
        return self.first_col + index

    @property
    def note_col(self) -> int:
        """The data notes, right of the periods on the actual rows."""
        return self.last_col + 1


@dataclass(frozen=True)
class TargetsLayout:
    sheet: str
    title: Cell
    help: Cell
    header_row: int
    first_row: int
    key_col: int
    label_cols: tuple[str, ...]  # kpi, channel, unit, direction: after the key column
    first_period_col: int
    periods: tuple[str, ...]
    note_col: int
    keys: tuple[str, ...]  # "kpi|scope" of each row, top to bottom
    number_row: int = -1  # hidden, above the header: each period's number (202603)
    year_col: int = -1  # the year of each row (a total of its periods)
    annual_col: int = -1  # an annual target typed once, spread over the periods
    basis_col: int = -1  # how each row's targets were suggested

    def row(self, kpi_id: str, scope: str) -> int:
        return self.first_row + self.keys.index(target_key(kpi_id, scope))

    def target_cell(self, kpi_id: str, scope: str, period: str) -> Cell:
        return Cell(
            self.sheet, self.row(kpi_id, scope), self.first_period_col + self.periods.index(period)
        )

    def note_cell(self, kpi_id: str, scope: str) -> Cell:
        return Cell(self.sheet, self.row(kpi_id, scope), self.note_col)

    @property
    def last_row(self) -> int:
        return self.first_row + max(len(self.keys), 1) - 1

    @property
    def key_area(self) -> Area:
        return Area(self.sheet, self.first_row, self.key_col, self.last_row, self.key_col)

    @property
    def period_header(self) -> Area:
        return Area(
            self.sheet, self.header_row, self.first_period_col, self.header_row,
            self.last_period_col,
        )  # fmt: skip

    @property
    def last_period_col(self) -> int:
        return self.first_period_col + len(self.periods) - 1

    @property
    def numbers(self) -> Area:
        """The period numbers above the period headers (hidden)."""
        row = self.number_row if self.number_row >= 0 else self.header_row - 1
        return Area(self.sheet, row, self.first_period_col, row, self.last_period_col)

    @property
    def block(self) -> Area:
        return Area(
            self.sheet, self.first_row, self.first_period_col, self.last_row, self.last_period_col
        )


@dataclass(frozen=True)
class SettingsLayout:
    sheet: str
    title: Cell
    header_row: int
    cells: Mapping[str, Cell]  # setting key -> value cell (label one column to the left)
    names: Mapping[str, str]  # setting key -> defined name
    fx_header_row: int = -1  # the exchange rates (one input per foreign currency)
    fx: Mapping[str, Cell] = field(default_factory=dict)  # currency -> rate cell
    records_header_row: int = -1  # the systems of record (generated, read by formulas)
    record_all: Mapping[str, Cell] = field(default_factory=dict)  # site measure -> source
    record_channels: Mapping[str, Cell] = field(default_factory=dict)


def fx_name(currency: str) -> str:
    """The defined name of the exchange rate of ``currency`` into the plan currency."""
    return f"kpi_Fx_{currency}"


def record_name(measure: str, scope: str) -> str:
    """The defined name of the system of record of a site measure, for the ``all`` scope
    or for channel scopes."""
    return f"kpi_Rec_{measure}" if scope == "all" else f"kpi_RecCh_{measure}"


@dataclass(frozen=True)
class DataLayout:
    sheet: str
    table: str
    columns: tuple[str, ...]
    rows: int
    row: int = 0  # the table's header row
    col: int = 0  # its first column

    def column_ref(self, name: str) -> str:
        """``Table[column]``"""
        return f"{self.table}[{name}]"


@dataclass(frozen=True)
class DefinitionsLayout:
    sheet: str
    title: Cell
    header_row: int
    kpis: tuple[str, ...]


@dataclass(frozen=True)
class PlanLayout:
    """Every sheet of a plan workbook, in workbook order."""

    sheets: Mapping[str, str]  # role -> sheet name (roles: overview, channels, targets...)
    overview: OverviewLayout
    channels: Mapping[str, ChannelLayout]
    targets: TargetsLayout
    data: DataLayout
    definitions: DefinitionsLayout
    settings: SettingsLayout
    names: Mapping[str, str] = field(default_factory=dict)  # defined name -> cell reference
    plan_data: DataLayout = field(default_factory=lambda: DataLayout("", PLAN_TABLE, (), 0))
    to_date: DataLayout = field(default_factory=lambda: DataLayout("", TO_DATE_TABLE, (), 0))
    periods_table: DataLayout = field(
        default_factory=lambda: DataLayout("", PERIODS_TABLE, PERIOD_COLUMNS, 0)
    )
    selection: Mapping[str, Cell] = field(default_factory=dict)
    #: what the Overview's period selector offers (a column on the Plan data sheet)
    choices: Area = field(default_factory=lambda: Area("", 0, 0, 0, 0))

    @property
    def roles(self) -> list[str]:
        return list(self.sheets)

    def target_cells(self) -> dict[tuple[str, str, str], Cell]:
        t = self.targets
        return {
            (*_split_key(key), period): Cell(t.sheet, t.first_row + i, t.first_period_col + j)
            for i, key in enumerate(t.keys)
            for j, period in enumerate(t.periods)
        }

    def note_cells(self) -> dict[tuple[str, str], Cell]:
        t = self.targets
        return {
            _split_key(key): Cell(t.sheet, t.first_row + i, t.note_col)
            for i, key in enumerate(t.keys)
        }

    def input_cells(self) -> list[Cell]:
        """Every cell the user types into: targets, annual targets, notes, settings,
        exchange rates, and the Overview's period selector."""
        t = self.targets
        annual = (
            [Cell(t.sheet, t.first_row + i, t.annual_col) for i in range(len(t.keys))]
            if t.annual_col >= 0
            else []
        )
        return [
            *self.target_cells().values(),
            *annual,
            *self.note_cells().values(),
            *self.settings.cells.values(),
            *self.settings.fx.values(),
            *self.view_cells(),
        ]

    def stamped_cells(self) -> list[Cell]:
        """The cells a build writes from the data and the Refresh button rewrites."""
        return [
            *(self.overview.info[k] for k in STAMPED if k in self.overview.info),
            *(self.selection[k] for k in SELECTION_STAMPED if k in self.selection),
        ]

    def view_cells(self) -> list[Cell]:
        """Cells the reader sets to look at the plan (the period selector): kept by refresh
        like inputs, never fingerprinted."""
        return [self.overview.info[k] for k in ("selected",) if k in self.overview.info]


def target_key(kpi_id: str, scope: str) -> str:
    """The Targets sheet's row key: ``kpi_id|scope``."""
    return f"{kpi_id}|{scope}"


def _split_key(key: str) -> tuple[str, str]:
    kpi_id, scope = key.split("|")
    return kpi_id, scope


def safe_sheet_name(name: str, taken: set[str]) -> str:
    """A valid, unique sheet name (31 characters, none of ``[]:*?/\\``)."""
    clean = "".join("-" if ch in _FORBIDDEN else ch for ch in name).strip("'").strip()
    clean = clean[:SHEET_NAME_LIMIT] or "Sheet"
    candidate, n = clean, 2
    while candidate.casefold() in {t.casefold() for t in taken}:
        suffix = f" ({n})"
        candidate = clean[: SHEET_NAME_LIMIT - len(suffix)] + suffix
        n += 1
    taken.add(candidate)
    return candidate


def sheet_names(channels: Sequence[str], lang: str) -> dict[str, str]:
    """Role -> localized, valid sheet name, in workbook order."""
    taken: set[str] = {META_SHEET}
    out: dict[str, str] = {}
    for role in ["overview", *channels, "targets", "data", "plan_data", "definitions", "settings"]:
        text = label(f"channel_{role}" if role in CHANNELS else f"sheet_{role}", lang)
        out[role] = safe_sheet_name(text, taken)
    out[META_SHEET] = META_SHEET
    return out


def _overview(sheet: str, model: PlanModel) -> OverviewLayout:
    info_row = 2
    info = {key: Cell(sheet, info_row + i, 1) for i, key in enumerate(OVERVIEW_INFO)}
    info["pace_factor"] = Cell(sheet, info_row + len(OVERVIEW_INFO), 1)
    header = 12
    first = header + 1
    kpi_rows = {k: first + i for i, k in enumerate(model.spec.overall)}
    channel_header = first + len(kpi_rows) - 1 + 3
    channels = list(model.spec.channels)
    return OverviewLayout(
        sheet=sheet,
        title=Cell(sheet, 0, 0),
        info=info,
        header_row=header,
        columns=OVERVIEW_COLUMNS,
        kpi_rows=kpi_rows,
        trend_first_col=len(OVERVIEW_COLUMNS) + 1,
        channel_header_row=channel_header,
        channel_columns=CHANNEL_COLUMNS,
        channel_rows={c: channel_header + 1 + i for i, c in enumerate(channels)},
        button=Cell(sheet, info_row, 3),
    )


def _channel(sheet: str, channel: str, model: PlanModel) -> ChannelLayout:
    kpi_ids = list(model.spec.channels[channel])
    n = len(kpi_ids)
    header, prev = 2, 3
    actual = prev + 2
    target = actual + n + 1
    attainment = target + n + 1
    count = attainment + n + 1
    chart_first = count + len(STATUSES)
    status = chart_first + 2  # hidden, below the chart rows
    helpers = status + n
    first_col = 2
    return ChannelLayout(
        sheet=sheet,
        channel=channel,
        title=Cell(sheet, 0, 0),
        header_row=header,
        prev_row=prev,
        first_col=first_col,
        last_col=first_col + len(model.periods) - 1,
        rows={
            k: KpiBlockRows(actual + i, target + i, attainment + i, status + i)
            for i, k in enumerate(kpi_ids)
        },
        section_rows={
            "actual": actual - 1,
            "target": target - 1,
            "attainment": attainment - 1,
            "status": count - 1,
        },
        count_row=count,
        chart_rows={"actual": chart_first, "target": chart_first + 1},
        chart_anchor=Cell(sheet, helpers + 4, 0),
        helper_rows={"share": helpers, "factor": helpers + 1, "number": helpers + 2},
    )


def _targets(sheet: str, model: PlanModel) -> TargetsLayout:
    first_period = 5
    last_period = first_period + len(model.periods) - 1
    return TargetsLayout(
        sheet=sheet,
        title=Cell(sheet, 0, 1),
        help=Cell(sheet, 1, 1),
        header_row=3,
        first_row=4,
        key_col=0,
        label_cols=("kpi", "channel", "unit", "direction"),
        first_period_col=first_period,
        periods=tuple(model.periods),
        note_col=last_period + 4,
        keys=tuple(target_key(k, s) for k, s in target_scopes(model.spec)),
        number_row=2,
        year_col=last_period + 1,
        annual_col=last_period + 2,
        basis_col=last_period + 3,
    )


def _settings(sheet: str, model: PlanModel) -> SettingsLayout:
    header = 2
    cells = {key: Cell(sheet, header + 1 + i, 1) for i, key in enumerate(SETTINGS)}
    fx_header = header + len(SETTINGS) + 2
    currencies = sorted(model.data.rates)
    fx = {code: Cell(sheet, fx_header + 1 + i, 1) for i, code in enumerate(currencies)}
    records_header = fx_header + len(fx) + 3 if fx else fx_header + 1
    records = list(model.data.records)
    return SettingsLayout(
        sheet,
        Cell(sheet, 0, 0),
        header,
        cells,
        dict(SETTINGS),
        fx_header_row=fx_header if fx else -1,
        fx=fx,
        records_header_row=records_header if records else -1,
        record_all={m: Cell(sheet, records_header + 1 + i, 1) for i, m in enumerate(records)},
        record_channels={m: Cell(sheet, records_header + 1 + i, 2) for i, m in enumerate(records)},
    )


def plan_layout(model: PlanModel) -> PlanLayout:
    """The layout of ``model``'s workbook."""
    channels = list(model.spec.channels)
    names = sheet_names(channels, model.spec.lang)
    overview = _overview(names["overview"], model)
    settings = _settings(names["settings"], model)
    defined = {name: settings.cells[key].ref for key, name in SETTINGS.items()}
    defined.update({name: overview.info[key].ref for key, name in OVERVIEW_NAMES.items()})
    defined.update({fx_name(code): cell.ref for code, cell in settings.fx.items()})
    defined.update({record_name(m, "all"): c.ref for m, c in settings.record_all.items()})
    defined.update({record_name(m, "channel"): c.ref for m, c in settings.record_channels.items()})
    plan_data, to_date, periods, selection, choices = _plan_data_sheet(names["plan_data"], model)
    defined.update({name: selection[key].ref for key, name in SELECTION.items()})
    return PlanLayout(
        sheets=names,
        overview=overview,
        channels={c: _channel(names[c], c, model) for c in channels},
        targets=_targets(names["targets"], model),
        data=DataLayout(
            names["data"], TABLE, (*ID_COLUMNS, *model.table_measures), len(model.table)
        ),
        definitions=DefinitionsLayout(
            names["definitions"],
            Cell(names["definitions"], 0, 0),
            2,
            tuple(all_kpi_ids(model.spec)),
        ),
        settings=settings,
        names=defined,
        plan_data=plan_data,
        to_date=to_date,
        periods_table=periods,
        selection=selection,
        choices=choices,
    )


def _plan_data_sheet(
    sheet: str, model: PlanModel
) -> tuple[DataLayout, DataLayout, DataLayout, dict[str, Cell], Area]:
    """The Plan data sheet: PlanData, then PlanToDate, then the periods table and the
    selection's helper cells, left to right under a one-line explanation."""
    top = 2
    table = model.data.table
    columns = tuple(table.columns)
    plan_data = DataLayout(sheet, PLAN_TABLE, columns, len(table), top, 0)
    rows = len(model.to_date.table) if model.to_date is not None else 0
    to_date = DataLayout(sheet, TO_DATE_TABLE, columns, rows, top, len(columns) + 1)
    periods = DataLayout(
        sheet, PERIODS_TABLE, PERIOD_COLUMNS, len(model.periods), top, 2 * len(columns) + 2
    )
    col = periods.col + len(PERIOD_COLUMNS) + 2  # labels, then values one column right
    selection = {key: Cell(sheet, top + 1 + i, col + 1) for i, key in enumerate(SELECTION)}
    choices = Area(sheet, top + 1, col + 3, top + 2 + len(model.periods), col + 3)
    return plan_data, to_date, periods, selection, choices


# -- plain data, for the plan file --------------------------------------------------------------

T = TypeVar("T")


def to_data(layout: PlanLayout) -> dict[str, Any]:
    """The layout as JSON-ready data (dataclasses as dicts, tuples as lists)."""
    return _plain(layout)  # type: ignore[no-any-return]


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def from_data(data: Any) -> PlanLayout:
    """A :class:`PlanLayout` from :func:`to_data`'s output; ``ValueError`` when damaged."""
    try:
        layout: PlanLayout = _build(PlanLayout, data)
        return layout
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"the plan layout is damaged ({exc})") from None


def _required(f: dataclasses.Field[Any]) -> bool:
    return f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING


def _build(kind: Any, data: Any) -> Any:
    origin = get_origin(kind)
    if dataclasses.is_dataclass(kind) and isinstance(kind, type):
        if not isinstance(data, Mapping):
            raise TypeError(f"{kind.__name__} expects a mapping")
        hints = get_type_hints(kind)
        values = {
            f.name: _build(hints[f.name], data[f.name])
            for f in dataclasses.fields(kind)
            if f.name in data or _required(f)
        }
        return kind(**values)
    if origin in (Mapping, dict) or kind is dict:
        key_type, value_type = get_args(kind)
        if not isinstance(data, Mapping):
            raise TypeError("expected a mapping")
        return {_build(key_type, k): _build(value_type, v) for k, v in data.items()}
    if origin is tuple:
        if not isinstance(data, list | tuple):
            raise TypeError("expected a list")
        (item, _ellipsis) = get_args(kind)
        return tuple(_build(item, v) for v in data)
    if origin in (Union, types.UnionType):
        raise TypeError("unions are not used in layouts")
    if kind in (int, str) and isinstance(data, kind) and not isinstance(data, bool):
        return data
    raise TypeError(f"expected {getattr(kind, '__name__', kind)}, got {type(data).__name__}")
