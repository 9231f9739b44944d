"""Where everything sits in a plan workbook, decided before anything is written.

:func:`kpi_xl.plan.placement.plan_layout`, a pure function of the plan model, returns the
frozen dataclasses of this module for every sheet (sheet names, the Overview's info cells,
KPI table columns and rows, the channel sheets' blocks, the Targets grid and its key
column, Settings cells and their defined names, the Data table, the Refresh button's
anchor). Sheet writers write *at* it; the plan file records it
(:mod:`kpi_xl.plan.planfile`), and every reader (refresh, the e-mail, the Refresh button)
reads it back as the same dataclasses. Changing a position, or the order of
:data:`OVERVIEW_COLUMNS`, changes the workbook and every reader alike.

Rows and columns are 0-based, as XlsxWriter counts them.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

from kpi_xl.catalog.status_bands import STATUSES
from kpi_xl.spreadsheet import a1, rowcol, sheet_ref, split_reference

#: The Overview's KPI table, left to right: the KPI and its status first, the figures a
#: manager needs next, the detail after (the trend sparkline, then one column per period,
#: follow after a narrow gap).
OVERVIEW_COLUMNS = (
    "kpi", "status", "actual", "target", "attainment", "gap", "pace", "progress",
    "change", "previous", "vs_last_year", "last_year",
    "ytd_actual", "ytd_target", "fy_target", "trend", "data_note", "unit",
)  # fmt: skip
#: The Overview's information cells (value in the column right of the label): the period
#: selector at the top, the rest in the "About this plan" block at the bottom.
OVERVIEW_INFO = (
    "plan_name", "selected", "current_period", "previous_period", "data_range",
    "last_refreshed", "days_elapsed", "days_in_period",
)  # fmt: skip
#: The rows of a headline card, top to bottom, and how many cards the Overview shows.
CARD_ROWS = ("name", "actual", "target", "detail", "status")
MAX_CARDS = 5
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
PERIOD_COLUMNS = (
    "period", "period_no", "previous", "last_year", "last_year_previous", "days", "label",
)  # fmt: skip
#: The channel-status block on Overview, left to right.
#: (CONTINUED: the column before it spans this one too: a KPI's name needs two columns.)
CONTINUED = "+"
CHANNEL_COLUMNS = (
    "channel", "status", "kpi", CONTINUED, "actual", "target", "attainment", *STATUSES,
)  # fmt: skip
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
FORBIDDEN = set("[]:*?/\\")


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
    subtitle: Cell | None = None  # the period shown and how far the data goes
    verdict: Cell | None = None  # one sentence: how many KPIs are on track
    cards: Mapping[str, Cell] = field(default_factory=dict)  # KPI id -> card's top left
    card_width: int = 2  # columns per card
    mix: Cell | None = None  # the channel-mix table's top left (its chart beside it)
    about_row: int = -1  # the "About this plan" title row

    def col(self, key: str) -> int:
        return self.columns.index(key)

    def cell(self, kpi_id: str, key: str) -> Cell:
        return Cell(self.sheet, self.kpi_rows[kpi_id], self.col(key))

    def channel_cell(self, channel: str, key: str) -> Cell:
        return Cell(self.sheet, self.channel_rows[channel], self.channel_columns.index(key))

    @property
    def last_row(self) -> int:
        """The last row in use (the print area's)."""
        if self.about_row >= 0:
            return max(c.row for c in self.info.values())
        return self.channel_header_row + len(self.channel_rows)


@dataclass(frozen=True)
class KpiBlockRows:
    actual: int
    target: int
    attainment: int
    status: int = -1  # the status of each period, which fills and counts read


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
    #: actual / target / attainment / status / counts -> its section's title row
    section_rows: Mapping[str, int]
    count_row: int  # first of the status-count rows (one per status)
    chart_rows: Mapping[str, int]  # hidden rows feeding the chart: actual, target
    chart_anchor: Cell
    #: hidden rows of each period: share of it the data covers, pace factor, number, key
    #: (the header shows the period's name; formulas match the key)
    helper_rows: Mapping[str, int] = field(default_factory=dict)

    @property
    def key_row(self) -> int:
        """The row holding each period's key (the header row in plans that showed keys)."""
        return self.helper_rows.get("period", self.header_row)

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
    if origin in (Union, types.UnionType):  # only X | None: an optional position
        options = [a for a in get_args(kind) if a is not type(None)]
        if len(options) != 1:
            raise TypeError("only optional (X | None) unions are used in layouts")
        return None if data is None else _build(options[0], data)
    if kind in (int, str) and isinstance(data, kind) and not isinstance(data, bool):
        return data
    raise TypeError(f"expected {getattr(kind, '__name__', kind)}, got {type(data).__name__}")
