"""The Data, Definitions, Settings and hidden ``_meta`` sheets."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import numpy as np

from kpi_xl._version import __version__
from kpi_xl.catalog.records import get
from kpi_xl.plan.model import ID_COLUMNS, all_kpi_ids
from kpi_xl.plan.spec import GRAINS
from kpi_xl.vocabulary import LANGUAGES
from kpi_xl.workbook import formulas as f
from kpi_xl.workbook.context import Context
from kpi_xl.workbook.layout import print_setup, protect
from kpi_xl.workbook.xlsx import ref, write_text

META_MARKER = "kpi_xl plan workbook"
META_CHUNK = 30_000  # an Excel cell holds at most 32,767 characters


def write_data(ctx: Context) -> None:
    """The ``ChannelData`` table: period-aggregated measures per channel and campaign."""
    sheet = ctx.sheet("data")
    table = ctx.model.table
    columns = [*ID_COLUMNS, *ctx.model.table_measures]
    n = len(table)
    number = ctx.fmt.get(num_format="#,##0.##")
    sheet.add_table(
        0, 0, max(n, 1), len(columns) - 1,
        {"name": f.TABLE, "style": "Table Style Light 9",
         "columns": [{"header": c} for c in columns]},
    )  # fmt: skip
    text_cols = [table[c].astype(str).tolist() for c in ID_COLUMNS]
    values = table[ctx.model.table_measures].to_numpy(dtype="float64", na_value=np.nan)
    for i in range(n):
        row = i + 1
        for c, col_values in enumerate(text_cols):
            sheet.write_string(row, c, col_values[i])
        for c, value in enumerate(values[i], start=len(ID_COLUMNS)):
            if value == value:  # not NaN: blank cells stay empty (COUNTIFS "<>" skips them)
                sheet.write_number(row, c, float(value), number)
    sheet.set_column(0, 1, 14)
    sheet.set_column(2, 2, 32)
    sheet.set_column(3, len(columns) - 1, 13)
    sheet.freeze_panes(1, 3)
    print_setup(sheet, 0)
    ctx.layout["data"] = {"columns": columns, "rows": n}


def write_definitions(ctx: Context) -> None:
    sheet = ctx.sheet("definitions")
    fmt, lang = ctx.fmt, ctx.lang
    heads = ["kpi", "category", "unit", "direction", "formula", "definition"]
    write_text(sheet, 0, 0, ctx.t("sheet_definitions"), fmt.title)
    for col, key in enumerate(heads):
        write_text(sheet, 2, col, ctx.t(key), fmt.header)
    write_text(sheet, 2, len(heads), "id", fmt.header)
    wrap = fmt.get(border=1, text_wrap=True, valign="top")
    for i, kpi_id in enumerate(all_kpi_ids(ctx.model.spec)):
        kpi = get(kpi_id)
        row = 3 + i
        cells = [
            kpi.name(lang),
            ctx.t(f"category_{kpi.category}"),
            ctx.t(f"unit_{kpi.unit}"),
            ctx.t(kpi.direction),
            kpi.words(lang),
            kpi.definition,
            kpi.id,
        ]
        for col, text in enumerate(cells):
            write_text(sheet, row, col, text, wrap)
    sheet.set_column(0, 0, 34)
    sheet.set_column(1, 3, 16)
    sheet.set_column(4, 4, 44)
    sheet.set_column(5, 5, 70)
    sheet.set_column(6, 6, 24)
    sheet.freeze_panes(3, 1)
    print_setup(sheet, 2)
    protect(sheet)


def settings_rows(ctx: Context) -> list[tuple[str, str, Any]]:
    """(key, label key, value) of every Settings input, in sheet order."""
    spec = ctx.model.spec
    start = dt.date(int(ctx.model.periods[0][:4]), 1, 1)
    return [
        ("on_track", "setting_on_track", spec.on_track),
        ("at_risk", "setting_at_risk", spec.at_risk),
        ("currency", "setting_currency", spec.currency),
        ("plan_start", "setting_plan_start", start),
        ("language", "setting_language", ctx.lang),
        ("grain", "setting_grain", spec.grain),
        ("data_source", "setting_data_source", ctx.layout.get("data_source", "")),
    ]


SETTING_NAMES = {
    "on_track": f.ON_TRACK,
    "at_risk": f.AT_RISK,
    "currency": "kpi_Currency",
    "plan_start": "kpi_PlanStart",
    "language": "kpi_Language",
    "grain": "kpi_Grain",
    "data_source": "kpi_DataSource",
}


def write_settings(ctx: Context) -> None:
    sheet = ctx.sheet("settings")
    fmt = ctx.fmt
    name = ctx.sheet_names["settings"]
    write_text(sheet, 0, 0, ctx.t("sheet_settings"), fmt.title)
    write_text(sheet, 2, 0, ctx.t("setting"), fmt.header)
    write_text(sheet, 2, 1, ctx.t("value"), fmt.header)
    validations: dict[str, dict[str, Any]] = {
        "on_track": {"validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 10},
        "at_risk": {"validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 10},
        "currency": {"validate": "length", "criteria": "between", "minimum": 1, "maximum": 5},
        "plan_start": {
            "validate": "date", "criteria": "between",
            "minimum": dt.date(2000, 1, 1), "maximum": dt.date(2100, 12, 31),
        },
        "language": {"validate": "list", "source": list(LANGUAGES)},
        "grain": {"validate": "list", "source": list(GRAINS)},
        # paths separated by ';' (or sample:NAME); a bound keeps pasted junk out
        "data_source": {"validate": "length", "criteria": "<=", "value": 2000},
    }  # fmt: skip
    for i, (key, label_key, value) in enumerate(settings_rows(ctx)):
        row = 3 + i
        write_text(sheet, row, 0, ctx.t(label_key), fmt.text)
        if key in ("on_track", "at_risk"):
            sheet.write_number(row, 1, float(value), fmt.input(num_format="0%"))
        elif key == "plan_start":
            sheet.write_datetime(
                row, 1, dt.datetime.combine(value, dt.time()), fmt.input(num_format="yyyy-mm-dd")
            )
        else:
            write_text(sheet, row, 1, value, fmt.input())
        sheet.data_validation(row, 1, row, 1, validations[key])
        ctx.inputs[f"setting|{key}"] = ref(name, row, 1)
        ctx.workbook.define_name(SETTING_NAMES[key], "=" + ref(name, row, 1))
    sheet.set_column(0, 0, 42)
    sheet.set_column(1, 1, 48)
    print_setup(sheet, 2)
    protect(sheet)


STAMPED = ("current_period", "previous_period", "prior_period", "data_range",
           "last_refreshed", "days_elapsed", "days_in_period")  # fmt: skip


def generated_cells(ctx: Context) -> dict[str, dict[str, str]]:
    """Fingerprints of generated cells per sheet role: what a refresh checks for edits.

    Left out: input cells (they are the user's), the cells a refresh stamps on Overview,
    and the Data sheet (the refresh replaces it by design).
    """
    skip = set(ctx.inputs.values())
    skip.update(ctx.layout["overview"][k] for k in STAMPED)
    out: dict[str, dict[str, str]] = {}
    for role, sheet in ctx.sheets.items():
        if role in ("data", "_meta"):
            continue
        name = ctx.sheet_names[role]
        out[role] = {
            c: fp for c, fp in sheet.fingerprints.items() if ref(name, *_rowcol(c)) not in skip
        }
    return out


def _rowcol(cell_name: str) -> tuple[int, int]:
    from xlsxwriter.utility import xl_cell_to_rowcol

    row, col = xl_cell_to_rowcol(cell_name)
    return int(row), int(col)


def meta_records(ctx: Context) -> dict[str, Any]:
    return {
        "format": META_MARKER,
        "version": __version__,
        "spec": ctx.model.spec.to_dict(),
        "lang": ctx.lang,
        "sheets": ctx.sheet_names,
        "inputs": ctx.inputs,
        "layout": ctx.layout,
        "periods": ctx.model.periods,
        "user_sheets": ctx.layout.get("user_sheets", []),
        "generated": generated_cells(ctx),
        "orphans": {
            "|".join(key): value
            for key, value in ctx.model.targets.items()
            if "target|" + "|".join(key) not in ctx.inputs and value == value
        },
        "dimensions": {
            role: [sheet.dim_rowmax, sheet.dim_colmax]
            for role, sheet in ctx.sheets.items()
            if role not in ("_meta",)
        },
    }


def write_meta(ctx: Context) -> None:
    """The very hidden ``_meta`` sheet: key in column A, JSON in B (split into chunks)."""
    sheet = ctx.sheet("_meta")
    row = 0
    for key, value in meta_records(ctx).items():
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        chunks = [text[i : i + META_CHUNK] for i in range(0, len(text), META_CHUNK)] or [""]
        for n, chunk in enumerate(chunks):
            sheet.write_string(row, 0, key if n == 0 else f"{key}#{n}")
            sheet.write_string(row, 1, chunk)
            row += 1
    sheet.very_hidden()
    protect(sheet)
