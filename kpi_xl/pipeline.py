"""One pipeline for every way a plan is made: data source -> canonical table -> periods ->
plan model -> layout -> workbook.

:func:`build_plan` (``kpi-xl build`` and ``demo``), :func:`kpi_xl.refresh` and the Refresh
button inside Excel all go through here: the data source is resolved by
:func:`source_of` (API arguments) or :func:`parse_source` (the text on the Settings
sheet), loaded by :func:`load`, turned into the plan's values by :func:`plan_model` and
written by :func:`write_plan`.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from kpi_xl import periods as cal
from kpi_xl.errors import KpiXlError, KpiXlWarning
from kpi_xl.fileio import atomic_path, check_target
from kpi_xl.ingest import Ingested, load_report
from kpi_xl.ingest.aggregate import aggregate
from kpi_xl.ingest.canonical import with_ranges
from kpi_xl.plan.model import (
    ID_COLUMNS,
    YEAR_KEY,
    PlanModel,
    compute,
    plan_measures,
    target_scopes,
)
from kpi_xl.plan.placement import plan_layout
from kpi_xl.plan.scopes import (
    build_plan_data,
    check_currencies,
    money_measures,
    to_date_data,
)
from kpi_xl.plan.spec import PlanSpec, load_template
from kpi_xl.plan.targets import Targets, check_in_plan, load_targets
from kpi_xl.workbook.writer import ExtraSheet, write_workbook

Progress = Callable[[str], None]


def detail_of(progress: Progress | None) -> Progress | None:
    """Where lines of detail go (a large file's rows and time): the progress's ``detail``
    when it has one (the command line prints them above its bar), else the progress."""
    detail: Progress | None = getattr(progress, "detail", progress)
    return detail


#: A data source naming bundled sample data: ``sample:ecommerce``.
SAMPLE_PREFIX = "sample:"
#: Paths on the Settings sheet are separated by this character.
PATH_SEPARATOR = ";"


@dataclass(frozen=True)
class DataSource:
    """Where a plan's data comes from: export files, bundled sample data or a DataFrame."""

    paths: tuple[Path, ...] = ()
    sample: str = ""
    frame: pd.DataFrame | None = field(default=None, compare=False)
    urls: tuple[str, ...] = ()  # warehouse sources (kpi_xl.warehouse), without secrets
    #: the plan whose Settings sheet names the source (messages say where to fix it)
    settings_of: str = field(default="", compare=False)

    def describe(self) -> str:
        """The source as the Settings sheet records it (empty for a DataFrame); a
        warehouse URL without its credentials."""
        if self.sample:
            return SAMPLE_PREFIX + self.sample
        parts = [str(p.resolve()) for p in self.paths]
        if self.urls:  # the warehouse package is imported only for a warehouse source
            from kpi_xl.warehouse import public_url

            parts += [public_url(u) for u in self.urls]
        return PATH_SEPARATOR.join(parts)


def is_url(text: str) -> bool:
    """Whether a data source names a warehouse (``postgres://...``) rather than a file."""
    return "://" in text


#: What the API takes as data.
DataArg = pd.DataFrame | str | Path | Sequence[str | Path] | DataSource


def source_of(data: DataArg) -> DataSource:
    """The data source of an API argument: a DataFrame, a path, several paths, or a data
    source as it is (the bundled sample: ``DataSource(sample="ecommerce")``)."""
    if isinstance(data, DataSource):
        return data
    if isinstance(data, pd.DataFrame):
        return DataSource(frame=data)
    if isinstance(data, str | Path):
        data = [data]
    items = list(data)
    if not items:
        raise KpiXlError("no data given: pass at least one export file or a DataFrame")
    urls = tuple(str(p) for p in items if isinstance(p, str) and is_url(p))
    paths = tuple(Path(p) for p in items if not (isinstance(p, str) and is_url(p)))
    return DataSource(paths=paths, urls=urls)


def parse_source(text: str, folder: Path, where: str | Path | None = None) -> DataSource:
    """The data source typed on a plan's Settings sheet: ``sample:NAME`` or paths separated
    by ``;`` (relative to ``folder``, the plan's folder). ``where`` names the plan in
    messages."""
    text = (text or "").strip()
    if not text:
        raise KpiXlError(
            "the plan has no data source on its Settings sheet: type the export files' paths "
            "there, or pass the exports with --data",
            file=where,
        )
    if text.startswith(SAMPLE_PREFIX):
        return DataSource(sample=text.removeprefix(SAMPLE_PREFIX).strip() or "ecommerce")
    entries = [p.strip() for p in text.split(PATH_SEPARATOR) if p.strip()]
    urls = tuple(e for e in entries if is_url(e))
    paths = [Path(e) for e in entries if not is_url(e)]
    paths = [p if p.is_absolute() else folder / p for p in paths]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise KpiXlError(
            f"the data source on the Settings sheet does not exist: {missing[0]}; "
            "fix it on the Settings sheet or pass --data",
            file=where,
        )
    return DataSource(paths=tuple(paths), urls=urls, settings_of=str(where or ""))


def load_ingested(
    source: DataSource,
    grain: str | None = None,
    *,
    year: int | None = None,
    progress: Progress | None = None,
) -> Ingested:
    """The canonical table of a data source, with a report per export file; with
    ``grain``, a row spanning several of its periods is refused, naming its file and
    line. An error in a file the plan's Settings sheet names says so.

    With ``grain``, one large canonical file (:mod:`kpi_xl.ingest.large`) is aggregated
    by DuckDB to what a plan of ``grain`` and ``year`` computes from, not loaded whole:
    the table returned is then that reduction, for building a plan only."""
    if not source.settings_of:
        return _load_ingested(source, grain, year, progress)
    try:
        return _load_ingested(source, grain, year, progress)
    except KpiXlError as exc:
        named = {str(p) for p in source.paths}
        if exc.file is None or not any(exc.file.startswith(n) for n in named):
            raise
        raise KpiXlError(
            f"{exc.message} (this file is the data source the Settings sheet of "
            f"{source.settings_of} names: fix it there, or pass the exports with --data)",
            file=exc.file,
            line=exc.line,
            column=exc.column,
            detail=exc.detail,
        ) from None


def _load_ingested(
    source: DataSource, grain: str | None, year: int | None, progress: Progress | None
) -> Ingested:
    if grain is not None and len(source.paths) == 1 and not source.urls:
        reduced = _load_large(source.paths[0], grain, year, progress)
        if reduced is not None:
            return reduced
    if source.frame is not None:
        return load_report(source.frame, grain=grain)
    if source.sample:
        from kpi_xl.sample_data import load_sample

        return Ingested(load_sample(grain or "month"))
    if source.urls:
        from kpi_xl.warehouse import load_warehouse

        frames = [load_warehouse(url) for url in source.urls]
        return load_report(*frames, *source.paths, grain=grain)
    return load_report(*source.paths, grain=grain)


def _load_large(
    path: Path, grain: str, year: int | None, progress: Progress | None
) -> Ingested | None:
    """A large canonical file aggregated by DuckDB, or ``None`` (see :func:`load_ingested`)."""
    from kpi_xl.ingest.large import large_file, load_large

    found = large_file(path)
    reduced = load_large(found, grain, year, progress) if found is not None else None
    if reduced is None:
        return None
    report = reduced.report
    report.currencies = tuple(data_currencies(reduced.frame))
    return Ingested(reduced.frame, [report], formats=[report.platform])


def load(source: DataSource, grain: str | None = None) -> pd.DataFrame:
    """The canonical table of a data source (see :func:`load_ingested`)."""
    return load_ingested(source, grain).frame


def data_currencies(frame: pd.DataFrame) -> list[str]:
    """The currencies of the data's money (rows that report cost, revenue...)."""
    money = [m for m in money_measures() if m in frame.columns]
    if not money or frame.empty or "currency" not in frame.columns:
        return []
    codes = frame.loc[frame[money].notna().any(axis=1), "currency"].fillna("").astype(str)
    return sorted({c for c in codes.unique() if c})


def with_data_currency(spec: PlanSpec, ingested: Ingested, currency: str | None) -> PlanSpec:
    """The plan in ``currency`` when given, else in the data's one currency (else the
    template's); money in another currency without a rate is refused, naming its files."""
    found = data_currencies(ingested.frame)
    chosen = currency or (found[0] if len(found) == 1 else spec.currency)
    spec = spec.with_choices(currency=chosen)
    check_currencies(ingested.frame, spec.currency, spec.fx, ingested.currency_files() or None)
    return spec


def plan_model(
    frame: pd.DataFrame,
    spec: PlanSpec,
    targets: Targets | None = None,
    notes: dict[tuple[str, str], str] | None = None,
    annual: dict[tuple[str, str], float] | None = None,
) -> PlanModel:
    """Aggregate canonical data to the plan's periods and compute every value of the plan."""
    frame = with_ranges(frame)
    missing = {c: "" for c in ("source", "campaign", "segment", "currency") if c not in frame}
    if missing:  # a DataFrame given as it is (the loaders always add them)
        frame = frame.assign(**missing)
    aggregated = aggregate(frame, spec.grain, by=ID_COLUMNS[1:])
    data = build_plan_data(frame, spec.grain, spec.currency, spec.fx, plan_measures(spec))
    start = pd.Timestamp(frame["date_from"].min()) if len(frame) else None
    end = pd.Timestamp(frame["date_to"].max()) if len(frame) else None
    same_days: tuple[str, ...] = ()
    elapsed = 0  # without data there is nothing to compare
    if end is not None:
        same_days, elapsed = cal.like_for_like(cal.as_date(end), spec.grain, spec.year)
    to_date = to_date_data(frame, spec.grain, data, same_days, elapsed, spec.fx)
    return compute(
        spec, aggregated, data, targets=targets, notes=notes, data_start=start, data_end=end,
        to_date=to_date, annual=annual,
    )  # fmt: skip


def check_target_periods(targets: Targets, spec: PlanSpec, path: str | Path | None) -> None:
    """Every target's period is written as a period of the plan's grain, the word ``year``
    or a year (an annual target); checked before the model is computed. Whether it lies in
    the plan is :func:`kpi_xl.plan.targets.check_in_plan`'s, once the plan is laid out."""
    for _kpi, _scope, period in targets:
        if period == YEAR_KEY or re.fullmatch(r"\d{4}", period):
            continue
        try:
            cal.bounds(period, spec.grain)
        except KpiXlError as exc:
            raise KpiXlError(
                f"{exc.message}, or 'year' (or the year, 2026) for an annual target",
                file=path,
            ) from None


def check_data_year(
    ingested: Ingested, spec: PlanSpec, warn: Callable[[str], None] | None = None
) -> None:
    """Refuse a plan without data: no rows at all, or a plan year (``--year``) the data
    has no day of, naming the data's range and the year to use. The year right after the
    data is allowed (planning next year from this year's history: the targets are
    suggested from the data before it), with a warning through ``warn`` (default: a
    :class:`~kpi_xl.errors.KpiXlWarning`)."""
    frame = ingested.frame
    files = list(dict.fromkeys(r.file for r in ingested.reports))
    where = files[0] if len(files) == 1 else None
    data = "the data" if len(files) < 2 else f"the data of the {len(files)} files"
    if frame.empty:
        why = "; ".join(ingested.warnings[:3])
        raise KpiXlError(
            f"{data} holds no rows: there is nothing to build a plan from"
            + (f" ({why})" if why else "")
            + "; export a date range that has data",
            file=where,
        )
    if spec.year is None:  # the year of the latest date: it has data
        return
    frame = with_ranges(frame)
    first = cal.as_date(pd.Timestamp(frame["date_from"].min()))
    last = cal.as_date(pd.Timestamp(frame["date_to"].max()))
    periods = cal.periods_of_year(spec.year, spec.grain)
    plan_start = cal.bounds(periods[0], spec.grain)[0]
    plan_end = cal.bounds(periods[-1], spec.grain)[1]
    if first <= plan_end and last >= plan_start:
        days = (frame["date_from"] <= pd.Timestamp(plan_end)) & (
            frame["date_to"] >= pd.Timestamp(plan_start)
        )
        if bool(days.any()):
            return
    latest = cal.year_of(last, spec.grain)
    covers = f"{data} covers {first.isoformat()} to {last.isoformat()}"
    if spec.year == latest + 1:
        message = (
            f"{where + ': ' if where else ''}{covers}: the {spec.year} plan has no actuals "
            f"yet; its targets are suggested from the data before it (refresh the plan as "
            f"{spec.year}'s exports come in)"
        )
        if warn is not None:
            warn(message)
        else:
            import warnings

            warnings.warn(message, KpiXlWarning, stacklevel=3)
        return
    todo = (
        f"add exports of {spec.year}"
        if spec.year < latest
        else f"{latest + 1} to plan the year after the data"
    )
    raise KpiXlError(
        f"{covers}, no day of the plan year {spec.year}: build the {latest} plan "
        f"(--year {latest}), or {todo}",
        file=where,
    )


def parse_fx(fx: Mapping[str, float] | Sequence[str] | None) -> dict[str, float] | None:
    """Exchange rates from ``{"USD": 0.92}`` or ``["USD=0.92", ...]`` (the command line),
    checked: a three-letter currency code and a positive rate."""
    if not fx:
        return None
    pairs: list[tuple[str, object]] = []
    if isinstance(fx, Mapping):
        pairs = list(fx.items())
    else:
        for item in fx:
            code, sep, text = str(item).partition("=")
            if not sep:
                raise KpiXlError(f"--fx {item!r}: expected CODE=RATE such as USD=0.92")
            pairs.append((code, text))
    out: dict[str, float] = {}
    for code, rate in pairs:
        key = str(code).strip().upper()
        if len(key) != 3 or not key.isalpha():
            raise KpiXlError(f"exchange rate for {code!r}: expected a currency code such as USD")
        try:
            value = float(str(rate).strip().replace(",", "."))
        except ValueError:
            raise KpiXlError(f"exchange rate for {key}: {rate!r} is not a number") from None
        if not value > 0 or value != value or value == float("inf"):
            raise KpiXlError(f"exchange rate for {key}: expected a positive number, got {rate!r}")
        out[key] = value
    return out


def check_output(out: Path, *, macro: bool) -> None:
    """The output name must say what the file is: ``.xlsm`` with macros, ``.xlsx`` without."""
    suffix = out.suffix.lower()
    if macro and suffix != ".xlsm":
        raise KpiXlError("a macro-enabled plan must be named .xlsm", file=out)
    if not macro and suffix != ".xlsx":
        hint = " (or add --macro for .xlsm)" if suffix == ".xlsm" else ""
        raise KpiXlError(f"a plan workbook must be named .xlsx{hint}", file=out)


def overwrite_hint(out: Path) -> str:
    """What to do about an existing plan ``out`` that a build would replace."""
    return (
        "add --overwrite to replace it, keeping the old file as a backup (overwrite=True "
        f"in Python), or run 'kpi-xl refresh {shlex.quote(str(out))}' to update the plan keeping "
        "your inputs"
    )


def write_plan(
    model: PlanModel,
    out: Path,
    *,
    data_source: str = "",
    macro: bool = False,
    progress: Progress | None = None,
    extra_sheets: Sequence[ExtraSheet] = (),
    user_sheets: Sequence[str] = (),
    selected: str = "",
    overwrite: bool = True,
    backup: bool = False,
) -> Path:
    """Lay the plan out and write it atomically to ``out`` (``selected``: the period
    selector's value, kept by a refresh). An existing ``out`` is replaced when
    ``overwrite`` (else refused), its previous version kept as a backup when ``backup``;
    see :mod:`kpi_xl.fileio` for the checks (open, read-only, not a regular file...)."""
    check_output(out, macro=macro)
    if macro:
        from kpi_xl.extras import require

        require("pyopenvba", "excel", "a macro-enabled plan")
        require("xlwings", "excel", "a macro-enabled plan")
    layout = plan_layout(model)
    with atomic_path(
        out, overwrite=overwrite, exists_hint=overwrite_hint(out), backup=backup, what="workbook"
    ) as tmp:
        write_workbook(
            model,
            layout,
            tmp,
            data_source=data_source,
            macro=macro,
            progress=progress,
            extra_sheets=extra_sheets,
            user_sheets=user_sheets,
            selected=selected,
        )
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
    currency: str | None = None,
    fx: Mapping[str, float] | None = None,
    gross_margin: float | None = None,
    macro: bool = False,
    data_source: str | None = None,
    progress: Progress | None = None,
    calendar: str | None = None,
    digits: str | None = None,
    overwrite: bool = False,
    warn: Callable[[str], None] | None = None,
) -> Path:
    """Build a KPI plan workbook from channel data; returns the path written.

    ``data`` is a DataFrame in the canonical schema or export paths (see
    :func:`kpi_xl.load_channel_data`); ``template`` a bundled template name or a YAML
    path; ``targets`` a CSV/YAML file or a mapping (kpi_id, channel|'all', period) ->
    value that overrides the SMART suggestions. ``currency`` is the plan currency (default:
    the data's, when it has one, else the template's); ``fx`` exchange rates into it
    (``{"USD": 0.92}``: 1 USD = 0.92 of the plan currency), needed when the data's money is
    in other currencies; ``gross_margin`` (0.35 = 35 %) turns Revenue ROI into ROI.
    ``data_source`` is what the Settings sheet records for refresh (default: the paths
    given, or ``sample:NAME``). ``calendar`` ("gregorian" or "solar_hijri") and ``digits``
    ("latin" or "persian") default to the language's (Solar Hijri months and Persian digits
    for Persian); in a Solar Hijri plan ``year`` is a Solar Hijri year (1405).

    A plan without data is refused: data without rows, or a ``year`` the data has no day
    of, except the year right after the data (planning next year), which is built with a
    warning through ``warn`` (default: a :class:`~kpi_xl.errors.KpiXlWarning`).

    An existing ``out`` is refused (it may hold the user's typed targets: ``kpi_xl.refresh``
    updates a plan keeping them) unless ``overwrite``, which keeps the previous file as
    ``<stem>.backup-YYYYmmdd-HHMMSS<ext>`` beside it, as refresh does. A file open in
    Excel or LibreOffice, read-only, or not a regular file is refused either way, before
    the data is read (see :mod:`kpi_xl.fileio`).
    """
    out = Path(out)
    check_output(out, macro=macro)
    check_target(out, overwrite=overwrite, exists_hint=overwrite_hint(out), what="workbook")
    if macro:  # the extra it needs, before the data is read
        from kpi_xl.extras import require

        require("pyopenvba", "excel", "a macro-enabled plan")
        require("xlwings", "excel", "a macro-enabled plan")
    # every option is checked here, before the data is read (the currency too)
    spec = load_template(template).with_choices(
        lang=lang, year=year, grain=grain, gross_margin=gross_margin, fx=parse_fx(fx),
        calendar=calendar, digits=digits, currency=currency,
    )  # fmt: skip
    user_targets: dict[Any, float] = (
        load_targets(targets) if isinstance(targets, str | Path) else dict(targets or {})
    )
    step = progress or (lambda _msg: None)
    source = source_of(data)
    step("loading data")
    ingested = load_ingested(source, spec.grain, year=spec.year, progress=detail_of(progress))
    check_data_year(ingested, spec, warn)
    spec = with_data_currency(spec, ingested, currency)
    step("computing")
    check_target_periods(user_targets, spec, targets if isinstance(targets, str | Path) else None)
    model = plan_model(ingested.frame, spec, user_targets)
    # every target has a cell: a row for another period, KPI or channel is named, not lost
    check_in_plan(
        user_targets, model.periods, target_scopes(model.spec),
        targets if isinstance(targets, str | Path) else None,
    )  # fmt: skip
    del ingested  # the model holds the period-aggregated tables; the rows are not needed now
    recorded = data_source if data_source is not None else source.describe()
    return write_plan(
        model, out, data_source=recorded, macro=macro, progress=step, overwrite=overwrite,
        backup=overwrite,
    )  # fmt: skip
