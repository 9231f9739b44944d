"""Build a KPI plan workbook: data -> plan model -> XlsxWriter sheets -> atomic file."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from kpi_xl.errors import KpiXlError
from kpi_xl.fileio import atomic_path
from kpi_xl.ingest import load_channel_data
from kpi_xl.ingest.aggregate import aggregate
from kpi_xl.plan.model import PlanModel, compute
from kpi_xl.plan.spec import PlanSpec, load_template
from kpi_xl.plan.targets import Targets, load_targets
from kpi_xl.workbook.channel_sheet import write_channel
from kpi_xl.workbook.context import Context
from kpi_xl.workbook.overview_sheet import write_overview
from kpi_xl.workbook.reference_sheets import (
    write_data,
    write_definitions,
    write_meta,
    write_settings,
)
from kpi_xl.workbook.targets_sheet import write_targets
from kpi_xl.workbook.xlsx import Formats, new_workbook

Progress = Callable[[str], None]
DataArg = pd.DataFrame | str | Path | Sequence[str | Path]


@dataclass
class BuildInputs:
    """What a build needs besides data; refresh fills these from the old workbook."""

    targets: Targets = field(default_factory=dict)
    notes: dict[tuple[str, str], str] = field(default_factory=dict)
    data_source: str = ""
    extras: dict[str, Any] = field(default_factory=dict)


def load_data(data: DataArg) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return load_channel_data(data)
    if isinstance(data, str | Path):
        return load_channel_data(data)
    if not data:
        raise KpiXlError("no data given: pass at least one export file or a DataFrame")
    return load_channel_data(*data)


def describe_source(data: DataArg) -> str:
    """The data source as recorded on the Settings sheet (paths, ';'-separated)."""
    if isinstance(data, pd.DataFrame):
        return ""
    items = [data] if isinstance(data, str | Path) else list(data)
    return ";".join(str(Path(p).resolve()) for p in items)


def plan_model(frame: pd.DataFrame, spec: PlanSpec, inputs: BuildInputs | None = None) -> PlanModel:
    """Aggregate canonical data and compute every value of the plan."""
    inputs = inputs or BuildInputs()
    aggregated = aggregate(frame, spec.grain, by=("channel", "campaign"))
    start = pd.Timestamp(frame["date"].min()) if len(frame) else None
    end = pd.Timestamp(frame["date"].max()) if len(frame) else None
    return compute(
        spec,
        aggregated,
        targets=inputs.targets,
        notes=inputs.notes,
        data_start=start,
        data_end=end,
    )


def write_workbook(
    model: PlanModel,
    out: Path,
    *,
    data_source: str = "",
    macro: bool = False,
    progress: Progress | None = None,
    extra_sheets: Sequence[Callable[[Any], None]] = (),
    user_sheets: Sequence[str] = (),
) -> Path:
    """Write the plan workbook for ``model`` atomically to ``out``.

    ``extra_sheets`` are called with the XlsxWriter workbook to add sheets after the
    generated ones (refresh carries the user's own sheets this way).
    """
    step = progress or (lambda _msg: None)
    lang = model.spec.lang
    if macro != (out.suffix.lower() == ".xlsm"):
        raise KpiXlError(
            "a macro-enabled plan is named .xlsm, a plan without macros .xlsx", file=out
        )
    with atomic_path(out) as tmp:
        workbook = new_workbook(str(tmp), macro=macro)
        ctx = Context(workbook, model, Formats(workbook, model.spec.currency, False), lang)
        ctx.layout["data_source"] = data_source
        ctx.layout["user_sheets"] = list(user_sheets)
        channels = list(model.spec.channels)
        ctx.name_sheets(channels)
        for role in ["overview", *channels, "targets", "data", "definitions", "settings", "_meta"]:
            ctx.sheet(role)
        step("targets")
        write_targets(ctx)
        for channel in channels:
            step(f"channel {channel}")
            write_channel(ctx, channel)
        step("overview")
        write_overview(ctx)
        step("data")
        write_data(ctx)
        write_definitions(ctx)
        write_settings(ctx)
        for add in extra_sheets:
            add(workbook)
        write_meta(ctx)
        if macro:
            from kpi_xl.excel.vba_project import add_macro_parts

            add_macro_parts(workbook, ctx.sheet("overview"), ctx.t("refresh_button"))
        workbook.set_calc_mode("auto")
        workbook.set_properties(
            {"title": model.spec.title or model.spec.name, "comments": "Built by kpi_xl"}
        )
        workbook.set_size(1400, 900)
        step("saving")
        workbook.close()
    return out


def build_plan(
    data: DataArg,
    out: str | Path,
    template: str | Path = "ecommerce",
    lang: str = "en",
    year: int | None = None,
    grain: str | None = None,
    targets: str | Path | Targets | None = None,
    *,
    macro: bool = False,
    data_source: str | None = None,
    progress: Progress | None = None,
) -> Path:
    """Build a KPI plan workbook from channel data; returns the path written.

    ``data`` is a DataFrame in the canonical schema or export paths (see
    :func:`kpi_xl.load_channel_data`); ``template`` a bundled template name or a YAML
    path; ``targets`` a CSV/YAML file or a mapping (kpi_id, channel|'all', period) ->
    value that overrides the SMART suggestions.
    """
    spec = load_template(template).with_choices(lang=lang, year=year, grain=grain)
    step = progress or (lambda _msg: None)
    step("loading data")
    frame = load_data(data)
    user_targets = load_targets(targets) if isinstance(targets, str | Path) else dict(targets or {})
    step("computing")
    model = plan_model(frame, spec, BuildInputs(targets=user_targets))
    source = data_source if data_source is not None else describe_source(data)
    return write_workbook(model, Path(out), data_source=source, macro=macro, progress=step)
