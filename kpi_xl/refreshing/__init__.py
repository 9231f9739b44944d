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
   the user added, what the user typed that cannot be put back by key (a value in a row
   or column of Targets without a key or header, a row whose labels belong to another
   key, a target that is not a number), VBA that cannot be carried (a UserForm). Rows the
   user inserted, deleted or sorted on Targets and columns inserted there are no conflict
   as long as every keyed row is found (see :func:`kpi_xl.refreshing.reader.scan_targets`).
   With ``force`` edited generated cells are regenerated, added sheets are carried over
   (see :mod:`kpi_xl.refreshing.carry`), and an input is never put on another key: what
   cannot be placed is left out, listed in the returned path's ``report`` and kept in the
   backup. The user's own VBA modules, classes and code in sheet modules of an ``.xlsm``
   are carried into the rebuilt project (:class:`~kpi_xl.workbook.vba_project.CarriedVBA`).
4. The file is replaced atomically (temporary file in the same folder, fsync, rename; a
   symbolic link is written through and stays a link); the previous version is kept as
   ``<stem>.backup-YYYYmmdd-HHMMSS<ext>`` beside it (``-2``, ``-3``... within one second,
   claimed atomically), and of the files named exactly so the newest :data:`BACKUPS` are
   kept. A workbook that is open, read-only, not a kpi_xl plan, corrupt, encrypted or a
   zip/XML bomb is refused before anything is written; a full disk is a one-line error
   that leaves the plan as it was. The rules of writing are :mod:`kpi_xl.fileio`'s.
5. A plan written by an older release (an older plan-file schema) is read through its
   upgrade and rewritten in the current schema.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path, PosixPath, WindowsPath
from typing import Any

from kpi_xl import pipeline
from kpi_xl.errors import ConflictError, KpiXlError, shown
from kpi_xl.fileio import BACKUPS, backup_path, backups_of, check_target
from kpi_xl.plan.spec import REVENUE_ROI, ROI, PlanSpec
from kpi_xl.refreshing.carry import carry_sheet, check_sheet
from kpi_xl.refreshing.reader import OldPlan, read_plan, setting_cell
from kpi_xl.refreshing.report import describe_conflicts, describe_unplaced
from kpi_xl.vocabulary import GRAINS, LANGUAGES


def _spec(old: OldPlan) -> PlanSpec:
    spec = old.meta.plan_spec(f"{old.path} (plan record)")
    s = old.settings

    def bad(key: str, expected: str) -> KpiXlError:
        return KpiXlError(
            f"Settings {setting_cell(old, key)}: expected {expected}, got {shown(s.get(key))}; "
            "correct the cell on the Settings sheet",
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
                f"Settings: the exchange rate of {code} is {shown(rate)}: expected a positive "
                "number; correct it on the Settings sheet",
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


def _carry(old: OldPlan, name: str, workbook: Any) -> None:
    carry_sheet(workbook, old.workbook[name], old.values[name])


if sys.platform == "win32":  # pathlib.Path cannot be subclassed before Python 3.12

    class _PathBase(WindowsPath):
        pass

else:

    class _PathBase(PosixPath):
        pass


class Refreshed(_PathBase):
    """The refreshed plan's path; ``report``: what ``force`` regenerated or left out, one
    line each (empty when nothing was)."""

    report: tuple[str, ...] = ()


def _report(old: OldPlan, backup: Path | None) -> tuple[str, ...]:
    """What ``force`` did with the conflicts, one line each."""
    kept = f"kept in the backup {backup.name}" if backup else "not kept: no backup was made"
    lines = []
    if old.unplaced:
        lines.append(f"left out ({kept}): {describe_unplaced(old.unplaced)}")
    if old.vba_dropped:
        lines.append(f"VBA dropped ({kept}): {', '.join(old.vba_dropped)}")
    if old.edits or old.inserted:
        shown = [*old.inserted, *old.edits[:8]]
        more = f" and {len(old.edits) - 8} more cells" if len(old.edits) > 8 else ""
        lines.append(f"regenerated ({kept}): {'; '.join(shown)}{more}")
    return tuple(lines)


def refresh(
    path: str | Path,
    data: pipeline.DataArg | None = None,
    *,
    force: bool = False,
    backup: bool = True,
    progress: Callable[[str], None] | None = None,
) -> Refreshed:
    """Rebuild the plan at ``path`` with new data, keeping every input the user typed.

    ``data`` defaults to the data source on the Settings sheet. Raises
    :class:`~kpi_xl.errors.ConflictError` (CLI exit code 3) when the user edited generated
    cells, inserted rows or added sheets, unless ``force``; see the module docstring.
    Returns the plan's path, whose ``report`` says what ``force`` regenerated or left out.
    """
    path = Path(path)
    step = progress or (lambda _msg: None)
    step("reading plan")
    old = read_plan(path)
    for name in [*old.user_sheets, *old.added_sheets]:
        old.unplaced.extend(check_sheet(old.workbook[name]))
    if old.conflicts and not force:
        raise ConflictError(describe_conflicts(old), file=path)
    check_target(path, what="workbook")  # read-only...: refused before the work
    spec = _spec(old)
    source = _source(old, data)
    step("loading data")
    ingested = pipeline.load_ingested(
        source, spec.grain, year=spec.year, progress=pipeline.detail_of(progress)
    )
    spec = pipeline.with_data_currency(spec, ingested, spec.currency)
    step("computing")
    model = pipeline.plan_model(
        ingested.frame, spec, swap_roi(spec, old.targets), old.notes, old.annual
    )
    model.target_log = old.target_log
    carried = [*old.user_sheets, *old.added_sheets]
    extra: list[Callable[[Any], None]] = [partial(_carry, old, name) for name in carried]
    macro = path.suffix.lower() == ".xlsm"
    if macro and old.vba is not None:
        from kpi_xl.workbook.vba_project import carry_user_vba

        extra.append(partial(carry_user_vba, carried=old.vba))
    recorded = source.describe() if data is not None else str(old.settings.get("data_source"))
    pipeline.check_output(path, macro=path.suffix.lower() == ".xlsm")
    written = pipeline.write_plan(
        model,
        path,
        data_source=recorded,
        macro=path.suffix.lower() == ".xlsm",
        progress=step,
        extra_sheets=extra,
        user_sheets=carried,
        selected=old.selected,
        backup=backup,
    )
    out = Refreshed(written)
    if old.conflicts:
        out.report = _report(old, backups_of(path)[-1] if backup and backups_of(path) else None)
    return out


__all__ = ["BACKUPS", "Refreshed", "backup_path", "backups_of", "refresh"]
