"""The Targets sheet: the user's input grid (KPI x channel x period) with a note column.

A target cell accepts what its KPI can be (:func:`target_rule`): a share 0 % to 100 %, a
KPI that may be negative any number, any other KPI 0 or more; Excel's error message says
so in the plan's language (:func:`target_error`).

Each row carries its key (``kpi_id|scope``) in the hidden key column and each period
column its period key in the header: formulas and refresh find targets by those, wherever
the user sorts or moves the rows.
"""

from __future__ import annotations

from typing import Any

from kpi_xl.catalog.records import KPI, get
from kpi_xl.plan.layout import TARGET_KEY_HEADER
from kpi_xl.workbook.context import Context
from kpi_xl.workbook.layout import print_setup, protect
from kpi_xl.workbook.xlsx import write_text, write_value

#: The lowest target of a KPI that may be negative (any number, as far as Excel goes).
LOWEST = -1e12


def target_rule(kpi: KPI) -> dict[str, Any]:
    """What a target cell of ``kpi`` accepts (XlsxWriter's ``data_validation`` criteria): a
    share (:attr:`~kpi_xl.catalog.records.KPI.is_bounded_rate`) 0 to 1, i.e. 0 % to 100 %;
    a KPI that may be negative (ROI, growth) any number; any other KPI 0 or more."""
    if kpi.is_bounded_rate:
        return {"validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 1}
    if kpi.allows_negative:
        return {"validate": "decimal", "criteria": ">=", "value": LOWEST}
    return {"validate": "decimal", "criteria": ">=", "value": 0}


def target_error(kpi: KPI) -> str:
    """The label key of the message Excel shows when a target cell of ``kpi`` refuses a
    value: what the cell expects, in the plan's language."""
    if kpi.is_bounded_rate:
        return "target_error_share"
    if kpi.allows_negative:
        return "target_error_change"
    return "target_error_non_negative"


def write_targets(ctx: Context) -> None:
    sheet = ctx.sheet("targets")
    model, fmt, t = ctx.model, ctx.fmt, ctx.layout.targets

    write_text(sheet, t.title.row, t.title.col, ctx.t("sheet_targets"), fmt.title)
    write_text(sheet, t.help.row, t.help.col, ctx.t("targets_help"), fmt.subtitle)
    headers = {
        t.key_col: TARGET_KEY_HEADER,
        **{t.key_col + 1 + i: ctx.t(key) for i, key in enumerate(t.label_cols)},
        **{t.first_period_col + j: period for j, period in enumerate(t.periods)},
        t.note_col: ctx.t("note"),
    }
    for col, text in headers.items():
        write_text(sheet, t.header_row, col, text, fmt.header)

    for i, key in enumerate(t.keys):
        row = t.first_row + i
        kpi_id, scope = key.split("|")
        kpi = get(kpi_id)
        labels = {
            "kpi": kpi.name(ctx.lang),
            "channel": ctx.channel_label(scope),
            "unit": ctx.t(f"unit_{kpi.unit}"),
            "direction": ctx.t(kpi.direction),
        }
        write_text(sheet, row, t.key_col, key, fmt.muted)
        for c, label_key in enumerate(t.label_cols):
            write_text(sheet, row, t.key_col + 1 + c, labels[label_key], fmt.text)
        cell_fmt = fmt.unit(kpi.unit, ratio=kpi.is_ratio, input_cell=True)
        for j, period in enumerate(t.periods):
            col = t.first_period_col + j
            write_value(sheet, row, col, model.target(kpi_id, scope, period), cell_fmt)
        note = model.notes.get((kpi_id, scope), "")
        write_text(sheet, row, t.note_col, note, fmt.input(text_wrap=True))

        sheet.data_validation(
            row,
            t.first_period_col,
            row,
            t.note_col - 1,
            {
                **target_rule(kpi),
                "input_title": kpi.name(ctx.lang)[:32],
                "input_message": (
                    ("%  0.12 = 12%. " if kpi.unit == "percent" else "") + kpi.definition
                )[:255],
                "error_title": ctx.t("target")[:32],
                "error_message": ctx.t(target_error(kpi))[:255],
            },
        )

    sheet.set_column(t.key_col, t.key_col, 14, None, {"hidden": True})
    sheet.set_column(t.key_col + 1, t.key_col + 1, 34)
    sheet.set_column(t.key_col + 2, t.key_col + 2, 16)
    sheet.set_column(t.key_col + 3, t.key_col + 4, 14)
    sheet.set_column(t.first_period_col, t.note_col - 1, 11)
    sheet.set_column(t.note_col, t.note_col, 40)
    sheet.freeze_panes(t.first_row, t.first_period_col)
    sheet.autofilter(t.header_row, 0, t.last_row, t.note_col)
    print_setup(sheet, t.header_row)
    protect(sheet)
