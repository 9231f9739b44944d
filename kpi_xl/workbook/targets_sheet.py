"""The Targets sheet: the user's input grid (KPI x channel x period) with a note column."""

from __future__ import annotations

from kpi_xl.catalog.records import get
from kpi_xl.plan.model import target_scopes
from kpi_xl.workbook.context import Context
from kpi_xl.workbook.layout import print_setup, protect
from kpi_xl.workbook.xlsx import ref, write_text, write_value

HEADER_ROW = 3
FIRST_ROW = 4
FIRST_PERIOD_COL = 5


def target_key(kpi_id: str, scope: str) -> str:
    return f"{kpi_id}|{scope}"


def write_targets(ctx: Context) -> None:
    sheet = ctx.sheet("targets")
    name = ctx.sheet_names["targets"]
    model, fmt = ctx.model, ctx.fmt
    periods = model.periods
    note_col = FIRST_PERIOD_COL + len(periods)
    rows = target_scopes(model.spec)

    write_text(sheet, 0, 1, ctx.t("sheet_targets"), fmt.title)
    write_text(sheet, 1, 1, ctx.t("targets_help"), fmt.subtitle)
    headers = ["key", ctx.t("kpi"), ctx.t("channel"), ctx.t("unit"), ctx.t("direction")]
    for col, text in enumerate([*headers, *periods, ctx.t("note")]):
        write_text(sheet, HEADER_ROW, col, text, fmt.header)

    for i, (kpi_id, scope) in enumerate(rows):
        row = FIRST_ROW + i
        kpi = get(kpi_id)
        write_text(sheet, row, 0, target_key(kpi_id, scope), fmt.muted)
        write_text(sheet, row, 1, kpi.name(ctx.lang), fmt.text)
        write_text(sheet, row, 2, ctx.channel_label(scope), fmt.text)
        write_text(sheet, row, 3, ctx.t(f"unit_{kpi.unit}"), fmt.text)
        write_text(sheet, row, 4, ctx.t(kpi.direction), fmt.text)
        cell_fmt = fmt.unit(kpi.unit, ratio=kpi.is_ratio, input_cell=True)
        for j, period in enumerate(periods):
            col = FIRST_PERIOD_COL + j
            write_value(sheet, row, col, model.target(kpi_id, scope, period), cell_fmt)
            ctx.inputs[f"target|{kpi_id}|{scope}|{period}"] = ref(name, row, col)
        note = model.notes.get((kpi_id, scope), "")
        write_text(sheet, row, note_col, note, fmt.input(text_wrap=True))
        ctx.inputs[f"note|{kpi_id}|{scope}"] = ref(name, row, note_col)

        minimum = -1e12 if kpi.allows_negative else 0
        sheet.data_validation(
            row,
            FIRST_PERIOD_COL,
            row,
            note_col - 1,
            {
                "validate": "decimal",
                "criteria": ">=",
                "value": minimum,
                "input_title": kpi.name(ctx.lang)[:32],
                "input_message": (
                    ("%  0.12 = 12%. " if kpi.unit == "percent" else "") + kpi.definition
                )[:255],
                "error_title": ctx.t("target")[:32],
                "error_message": ("0.12 = 12%" if kpi.unit == "percent" else ctx.t(kpi.direction))[
                    :255
                ],
            },
        )

    last = FIRST_ROW + len(rows) - 1
    ctx.layout["targets"] = {
        "keys": ref(name, FIRST_ROW, 0) + ":" + ref(name, last, 0).split("!")[1],
        "periods": ref(name, HEADER_ROW, FIRST_PERIOD_COL)
        + ":"
        + ref(name, HEADER_ROW, note_col - 1).split("!")[1],
        "block": ref(name, FIRST_ROW, FIRST_PERIOD_COL)
        + ":"
        + ref(name, last, note_col - 1).split("!")[1],
        "rows": {target_key(k, s): FIRST_ROW + i for i, (k, s) in enumerate(rows)},
        "first_period_col": FIRST_PERIOD_COL,
    }

    sheet.set_column(0, 0, 14, None, {"hidden": True})
    sheet.set_column(1, 1, 34)
    sheet.set_column(2, 2, 16)
    sheet.set_column(3, 4, 14)
    sheet.set_column(FIRST_PERIOD_COL, note_col - 1, 11)
    sheet.set_column(note_col, note_col, 40)
    sheet.freeze_panes(FIRST_ROW, FIRST_PERIOD_COL)
    sheet.autofilter(HEADER_ROW, 0, max(last, FIRST_ROW), note_col)
    print_setup(sheet, HEADER_ROW)
    protect(sheet)
