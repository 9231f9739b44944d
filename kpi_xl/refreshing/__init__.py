"""Refresh a plan with new data without losing a keystroke.

(The package is ``kpi_xl.refreshing`` so that ``kpi_xl.refresh`` stays the function.)

Rules (each has a test):

1. Inputs are read by key: every target (kpi, channel, period) by the Targets sheet's key
   column and period headers, every note (kpi, channel) under the Note header, every
   Settings value by its defined name (see :mod:`kpi_xl.refreshing.reader`). They are
   written back into the rebuilt workbook wherever the new layout puts them. A target whose
   key no longer has a cell (the grain was changed on Settings) is kept in the plan record
   and comes back when its key does. Blank targets stay blank.
2. Settings typed by the user drive the rebuild: thresholds, gross margin, exchange rates,
   currency, language, grain, plan start (its year is the plan year) and the data source.
   Targets of a KPI the catalog renamed are read under its new id.
3. Conflicts stop the refresh with exit code 3 and a one-line list unless ``force``:
   generated cells the user edited, rows/columns inserted into generated sheets, sheets
   the user added. With ``force`` edited generated cells are regenerated and added sheets
   are carried over (see :mod:`kpi_xl.refreshing.carry`).
4. The file is replaced atomically (temporary file in the same folder, fsync, rename);
   the previous version is kept as ``<name>.backup-<YYYYmmdd-HHMMSS><ext>`` beside it,
   the newest :data:`BACKUPS` kept. A workbook that is open, not a kpi_xl plan, corrupt,
   encrypted or a zip/XML bomb is refused before anything is written.
5. A plan written by an older release (an older plan-file schema) is read through its
   upgrade and rewritten in the current schema.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

from kpi_xl import pipeline
from kpi_xl.errors import ConflictError, KpiXlError
from kpi_xl.plan.spec import REVENUE_ROI, ROI, PlanSpec
from kpi_xl.refreshing.carry import carry_sheet
from kpi_xl.refreshing.reader import OldPlan, describe_conflicts, read_plan, setting_cell
from kpi_xl.vocabulary import GRAINS, LANGUAGES

BACKUPS = 5


def _spec(old: OldPlan) -> PlanSpec:
    spec = old.meta.plan_spec(f"{old.path} (plan record)")
    s = old.settings

    def bad(key: str, expected: str) -> KpiXlError:
        return KpiXlError(
            f"Settings {setting_cell(old, key)}: expected {expected}, got {s.get(key)!r}",
            file=old.path,
        )

    changes: dict[str, Any] = {}
    for key in ("on_track", "at_risk"):
        value = s.get(key)
        if value is not None:
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not 0 <= value <= 10
            ):
                raise bad(key, "a number between 0 and 10 (100% = 1)")
            changes[key] = float(value)
    if changes.get("at_risk", spec.at_risk) > changes.get("on_track", spec.on_track):
        raise bad("at_risk", "a value not above the on-track threshold")
    for key in ("near_on_track", "near_at_risk"):
        value = s.get(key)
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                raise bad(key, "a share between 0% and 100%")
            changes[key] = float(value)
    if changes.get("near_at_risk", spec.near_at_risk) < changes.get(
        "near_on_track", spec.near_on_track
    ):
        raise bad("near_at_risk", "a band not narrower than the on-track one")
    margin = s.get("gross_margin", spec.gross_margin)
    if margin not in (None, ""):
        if isinstance(margin, bool) or not isinstance(margin, int | float) or not 0 < margin <= 1:
            raise bad("gross_margin", "a share above 0% and at most 100%, or blank")
        changes["gross_margin"] = float(margin)
    else:
        spec = replace(spec, gross_margin=None)
    fx = dict(spec.fx)
    for code, rate in old.fx.items():
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not rate > 0:
            raise KpiXlError(
                f"Settings: the exchange rate of {code} is {rate!r}: expected a positive number",
                file=old.path,
            )
        fx[code] = float(rate)
    changes["fx"] = fx
    unlock = s.get("unlock_targets")
    if isinstance(unlock, bool):
        changes["unlock_targets"] = unlock
    if s.get("currency"):
        changes["currency"] = str(s["currency"]).strip()[:5]
    if s.get("language") is not None:
        if s["language"] not in LANGUAGES:
            raise bad("language", f"one of {', '.join(LANGUAGES)}")
        changes["lang"] = s["language"]
    if s.get("grain") is not None:
        if s["grain"] not in GRAINS:
            raise bad("grain", f"one of {', '.join(GRAINS)}")
        changes["grain"] = s["grain"]
    start = s.get("plan_start")
    if start is not None:
        if not isinstance(start, dt.date):
            raise bad("plan_start", "a date")
        changes["year"] = start.year
    return spec.with_choices(**changes)


def swap_roi(
    spec: PlanSpec, targets: dict[tuple[str, str, str], float]
) -> dict[tuple[str, str, str], float]:
    """Targets of ROI read as Revenue ROI when the plan has no gross margin (and back):
    plans made before ROI needed a margin computed Revenue ROI under the name ROI."""
    old, new = (REVENUE_ROI, ROI) if spec.gross_margin is not None else (ROI, REVENUE_ROI)
    out = dict(targets)
    for (kpi_id, scope, period), value in targets.items():
        if kpi_id == old:
            out.setdefault((new, scope, period), value)
    return out


def _source(old: OldPlan, data: pipeline.DataArg | None) -> pipeline.DataSource:
    if data is not None:
        return pipeline.source_of(data)
    text = str(old.settings.get("data_source") or "")
    return pipeline.parse_source(text, old.path.parent, old.path)


def backup_path(path: Path, now: dt.datetime | None = None) -> Path:
    stamp = (now or dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
    candidate = path.with_name(f"{path.stem}.backup-{stamp}{path.suffix}")
    n = 2
    while candidate.exists():
        candidate = path.with_name(f"{path.stem}.backup-{stamp}-{n}{path.suffix}")
        n += 1
    return candidate


def backups_of(path: Path) -> list[Path]:
    """Existing backups of ``path``, oldest first."""
    return sorted(path.parent.glob(f"{path.stem}.backup-*{path.suffix}"))


def _make_backup(path: Path) -> Path:
    target = backup_path(path)
    tmp = target.with_name(target.name + ".tmp")
    shutil.copy2(path, tmp)
    tmp.replace(target)
    for stale in backups_of(path)[:-BACKUPS]:
        stale.unlink(missing_ok=True)
    return target


def _carry(old: OldPlan, name: str, workbook: Any) -> None:
    carry_sheet(workbook, old.workbook[name], old.values[name])


def refresh(
    path: str | Path,
    data: pipeline.DataArg | None = None,
    *,
    force: bool = False,
    backup: bool = True,
    progress: Callable[[str], None] | None = None,
) -> Path:
    """Rebuild the plan at ``path`` with new data, keeping every input the user typed.

    ``data`` defaults to the data source on the Settings sheet. Raises
    :class:`~kpi_xl.errors.ConflictError` (CLI exit code 3) when the user edited generated
    cells, inserted rows or added sheets, unless ``force``; see the module docstring.
    """
    path = Path(path)
    step = progress or (lambda _msg: None)
    step("reading plan")
    old = read_plan(path)
    if old.conflicts and not force:
        raise ConflictError(describe_conflicts(old), file=path)
    spec = _spec(old)
    source = _source(old, data)
    step("loading data")
    ingested = pipeline.load_ingested(source, spec.grain)
    spec = pipeline.with_data_currency(spec, ingested, spec.currency)
    step("computing")
    model = pipeline.plan_model(
        ingested.frame, spec, swap_roi(spec, old.targets), old.notes, old.annual
    )
    model.target_log = old.target_log
    carried = [*old.user_sheets, *old.added_sheets]
    extra: Sequence[Callable[[Any], None]] = [partial(_carry, old, name) for name in carried]
    recorded = source.describe() if data is not None else str(old.settings.get("data_source"))
    pipeline.check_output(path, macro=path.suffix.lower() == ".xlsm")
    if backup:
        _make_backup(path)
    return pipeline.write_plan(
        model,
        path,
        data_source=recorded,
        macro=path.suffix.lower() == ".xlsm",
        progress=step,
        extra_sheets=extra,
        user_sheets=carried,
        selected=old.selected,
    )


__all__ = ["BACKUPS", "backup_path", "backups_of", "refresh"]
