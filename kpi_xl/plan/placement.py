"""Where everything sits: :func:`plan_layout` decides every sheet's positions from the plan
model, before anything is written (the dataclasses it returns are in :mod:`.layout`).

Rows and columns are 0-based, as XlsxWriter counts them.
"""

from __future__ import annotations

from collections.abc import Sequence

from kpi_xl.catalog.records import label
from kpi_xl.catalog.status_bands import STATUSES
from kpi_xl.plan import layout as layout_module
from kpi_xl.plan.layout import (
    CHANNEL_COLUMNS,
    FORBIDDEN,
    MAX_CARDS,
    META_SHEET,
    OVERVIEW_INFO,
    OVERVIEW_NAMES,
    PERIOD_COLUMNS,
    PERIODS_TABLE,
    PLAN_TABLE,
    SELECTION,
    SETTINGS,
    SHEET_NAME_LIMIT,
    TABLE,
    TO_DATE_TABLE,
    Area,
    Cell,
    ChannelLayout,
    DataLayout,
    DefinitionsLayout,
    KpiBlockRows,
    OverviewLayout,
    PlanLayout,
    SettingsLayout,
    TargetsLayout,
    fx_name,
    record_name,
    target_key,
)
from kpi_xl.plan.model import ID_COLUMNS, PlanModel, all_kpi_ids, target_scopes
from kpi_xl.vocabulary import CHANNELS


def safe_sheet_name(name: str, taken: set[str]) -> str:
    """A valid, unique sheet name (31 characters, none of ``[]:*?/\\``)."""
    clean = "".join("-" if ch in FORBIDDEN else ch for ch in name).strip("'").strip()
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


#: The hidden rows of each period on a channel sheet (see ChannelLayout.helper_rows).
HELPER_ROWS = ("share", "factor", "number", "period")
#: Rows of the channel-mix chart beside its table.
MIX_CHART_ROWS = 16


def _overview(sheet: str, model: PlanModel) -> OverviewLayout:
    """Top to bottom: title, the period shown, the selector (and the Refresh button of an
    .xlsm beside it), the verdict, headline cards, the KPI table, the channel block, the
    channel mix, and "About this plan" (where the data stands)."""
    columns = layout_module.OVERVIEW_COLUMNS  # read at call time: tests reorder it
    selector_row, verdict_row, cards_row, header = 2, 4, 6, 12
    overall = list(model.spec.overall)
    first = header + 1
    kpi_rows = {k: first + i for i, k in enumerate(overall)}
    channel_header = first + len(kpi_rows) + 2
    channels = list(model.spec.channels)
    channel_rows = {c: channel_header + 1 + i for i, c in enumerate(channels)}
    mix_row = channel_header + len(channels) + 3
    about = mix_row + MIX_CHART_ROWS + 1
    info = {"selected": Cell(sheet, selector_row, 1)}
    about_keys = [k for k in OVERVIEW_INFO if k != "selected"] + ["pace_factor"]
    info.update({key: Cell(sheet, about + 1 + i, 1) for i, key in enumerate(about_keys)})
    width = 2
    cards = {k: Cell(sheet, cards_row, 1 + width * i) for i, k in enumerate(overall[:MAX_CARDS])}
    return OverviewLayout(
        sheet=sheet,
        title=Cell(sheet, 0, 0),
        info=info,
        header_row=header,
        columns=columns,
        kpi_rows=kpi_rows,
        trend_first_col=len(columns) + 1,
        channel_header_row=channel_header,
        channel_columns=CHANNEL_COLUMNS,
        channel_rows=channel_rows,
        button=Cell(sheet, selector_row, 3),
        subtitle=Cell(sheet, 1, 0),
        verdict=Cell(sheet, verdict_row, 0),
        cards=cards,
        card_width=width,
        mix=Cell(sheet, mix_row, 0) if channels else None,
        about_row=about,
    )


def _channel(sheet: str, channel: str, model: PlanModel) -> ChannelLayout:
    kpi_ids = list(model.spec.channels[channel])
    n = len(kpi_ids)
    header, prev = 2, 3
    actual = prev + 2
    target = actual + n + 1
    attainment = target + n + 1
    status = attainment + n + 1
    count = status + n + 1
    chart_first = count + len(STATUSES)
    helpers = chart_first + 2  # hidden, below the chart rows
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
            "status": status - 1,
            "counts": count - 1,
        },
        count_row=count,
        chart_rows={"actual": chart_first, "target": chart_first + 1},
        chart_anchor=Cell(sheet, helpers + 5, 0),
        helper_rows={key: helpers + i for i, key in enumerate(HELPER_ROWS)},
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
        data=DataLayout(  # under its title line and a row of names in the plan's language
            names["data"], TABLE, (*ID_COLUMNS, *model.table_measures), len(model.table), 2
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
