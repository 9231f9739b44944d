"""Write a plan workbook: the model's values at the layout's places, with XlsxWriter.

This module only writes; which data, which inputs and where the file goes are the
pipeline's business (:mod:`kpi_xl.pipeline`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from kpi_xl.plan.annual import closed_count
from kpi_xl.plan.layout import PlanLayout
from kpi_xl.plan.model import PlanModel
from kpi_xl.plan.planfile import PlanMeta
from kpi_xl.spreadsheet import new_workbook
from kpi_xl.workbook.channel_sheet import write_channel
from kpi_xl.workbook.context import Context
from kpi_xl.workbook.overview_sheet import write_overview
from kpi_xl.workbook.overview_top import plan_title
from kpi_xl.workbook.page import page_furniture
from kpi_xl.workbook.plan_data_sheet import write_plan_data
from kpi_xl.workbook.reference_sheets import (
    write_data,
    write_definitions,
    write_meta,
    write_settings,
)
from kpi_xl.workbook.targets_sheet import write_targets
from kpi_xl.workbook.xlsx import Formats

Progress = Callable[[str], None]
ExtraSheet = Callable[[Any], None]


def orphan_targets(model: PlanModel, layout: PlanLayout) -> dict[str, float]:
    """Targets with no cell in this layout (a grain changed): kept in the plan record and
    given back when their key has a cell again."""
    cells = layout.target_cells()
    return {
        "|".join(key): value
        for key, value in model.targets.items()
        if key not in cells and value == value
    }


def closed_targets(model: PlanModel) -> dict[str, float]:
    """The closed periods' targets as this build writes them (see PlanMeta.closed)."""
    closed = model.periods[: closed_count(model)]
    return {
        "|".join(key): value
        for key, value in model.targets.items()
        if key[2] in closed and value == value
    }


def write_workbook(
    model: PlanModel,
    layout: PlanLayout,
    path: Path,
    *,
    data_source: str = "",
    macro: bool = False,
    progress: Progress | None = None,
    extra_sheets: Sequence[ExtraSheet] = (),
    user_sheets: Sequence[str] = (),
    selected: str = "",
) -> Path:
    """Write the plan workbook of ``model`` at ``layout`` to ``path`` (not atomically: the
    caller writes to a temporary file and renames it).

    ``extra_sheets`` are called with the XlsxWriter workbook to add sheets after the
    generated ones (refresh carries the user's own sheets this way).
    """
    step = progress or (lambda _msg: None)
    workbook = new_workbook(str(path))
    ctx = Context(
        workbook,
        model,
        layout,
        Formats(workbook, model.spec.currency, model.spec.lang, model.spec.digits or "latin"),
        model.spec.lang,
        selected=selected,
    )
    ctx.add_sheets()
    for name, reference in layout.names.items():
        workbook.define_name(name, "=" + reference)
    step(ctx.t("sheet_targets"))
    write_targets(ctx)
    for channel in layout.channels:
        step(ctx.channel_label(channel))
        write_channel(ctx, channel)
    step(ctx.t("sheet_overview"))
    write_overview(ctx)
    step(ctx.t("sheet_data"))
    write_data(ctx)
    write_plan_data(ctx)
    write_definitions(ctx)
    write_settings(ctx, data_source)
    for add in extra_sheets:
        add(workbook)
    meta = PlanMeta(
        spec=model.spec.to_dict(),
        lang=model.spec.lang,
        layout=layout,
        data_source=data_source,
        user_sheets=list(user_sheets),
        orphans=orphan_targets(model, layout),
        closed=closed_targets(model),
        target_log=list(model.target_log),
    )
    write_meta(ctx, meta)
    if macro:
        from kpi_xl.workbook.vba_project import add_refresh_parts

        add_refresh_parts(ctx, data_source)
    workbook.set_calc_mode("auto")
    title = plan_title(ctx)
    workbook.set_properties(
        {"title": title, "subject": ctx.period_label(model.current), "comments": "kpi_xl"}
    )
    page_furniture(ctx, title)
    workbook.set_size(1400, 900)
    step(ctx.t("saving"))
    workbook.close()
    return path
