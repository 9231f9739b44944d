"""``kpi-xl``: the command line, a thin shell over the public API.

User errors print one line on stderr and exit with code 2 (3 for refresh conflicts);
no traceback. Progress bars appear only on a terminal and never with ``--quiet``.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kpi_xl._version import __version__
from kpi_xl.cli_help import (
    Parser,
    build_texts,
    demo_texts,
    export_email_texts,
    extra,
    ingest_texts,
    kpis_texts,
    refresh_texts,
    root_texts,
    send_texts,
    store_texts,
)
from kpi_xl.errors import KpiXlError

Handler = Callable[[argparse.Namespace], int]
DEMO_SOURCE = "sample:ecommerce"


def _elapsed() -> Callable[[str], None]:
    """Progress lines with the time elapsed, on standard error, only on a terminal."""
    import time

    start = time.perf_counter()

    def say(message: str) -> None:
        if sys.stderr.isatty():
            print(f"kpi-xl: {message} ({time.perf_counter() - start:.1f} s)", file=sys.stderr)

    return say


@contextmanager
def _progress(quiet: bool, total: int) -> Iterator[Callable[[str], None]]:
    from tqdm import tqdm

    bar = tqdm(
        total=total,
        disable=True if quiet else None,  # None: only on a terminal
        file=sys.stderr,
        leave=False,
        bar_format="{desc:<22} {bar} {n_fmt}/{total_fmt}",
    )

    try:
        yield _Steps(bar)
    finally:
        bar.close()


class _Steps:
    """The progress bar's steps, and lines of detail above it (rows read, time taken:
    :func:`kpi_xl.pipeline.detail_of`)."""

    def __init__(self, bar: Any) -> None:
        self.bar = bar

    def __call__(self, message: str) -> None:
        self.bar.set_description_str(message[:22])
        self.bar.update(1)

    def detail(self, message: str) -> None:
        if not self.bar.disable:
            self.bar.write(f"kpi-xl: {message}", file=sys.stderr)


def _build_steps(template: str) -> int:
    from kpi_xl.plan.spec import load_template

    return 6 + len(load_template(template).channels)


def cmd_demo(args: argparse.Namespace) -> int:
    from kpi_xl.fileio import backups_of
    from kpi_xl.pipeline import DataSource, build_plan

    out = Path(args.output or ("kpi_plan.xlsm" if args.macro else "kpi_plan.xlsx"))
    before = set(backups_of(out))
    with _progress(args.quiet, _build_steps(args.template)) as step:
        path = build_plan(
            DataSource(sample="ecommerce"),  # whole-period rows in the plan's own calendar
            out,
            template=args.template,
            lang=args.lang,
            gross_margin=args.gross_margin,
            macro=args.macro,
            data_source=DEMO_SOURCE,
            progress=step,
            calendar=args.calendar,
            digits=args.digits,
            overwrite=args.overwrite,
        )
    kept = [b.name for b in backups_of(out) if b not in before] if args.overwrite else []
    note = f"; the previous file kept as {kept[-1]}" if kept else ""
    print(f"wrote {path} (demo plan '{args.template}', {args.lang}, bundled sample data){note}")
    return 0


def _warn(message: str) -> None:
    print(f"kpi-xl: warning: {message}", file=sys.stderr)


def cmd_build(args: argparse.Namespace) -> int:
    from kpi_xl.fileio import backups_of
    from kpi_xl.pipeline import build_plan

    out = Path(args.output)
    data = [*args.data, *(args.source or [])]
    if not data:
        raise KpiXlError("no data given: name export files, or a source with --source")
    before = set(backups_of(out))
    with _progress(args.quiet, _build_steps(args.template)) as step:
        path = build_plan(
            data,
            out,
            template=args.template,
            lang=args.lang,
            year=args.year,
            grain=args.grain,
            targets=args.targets,
            currency=args.currency,
            fx=args.fx,
            gross_margin=args.gross_margin,
            macro=args.macro,
            progress=step,
            calendar=args.calendar,
            digits=args.digits,
            overwrite=args.overwrite,
            warn=_warn,
        )
    kept = [b.name for b in backups_of(out) if b not in before] if args.overwrite else []
    note = f"; the previous file kept as {kept[-1]}" if kept else ""
    print(f"wrote {path} (plan '{args.template}', {args.lang}, from {len(data)} source(s)){note}")
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    from kpi_xl.ingest import (
        check_canonical_output,
        check_store_path,
        describe,
        ingest_into_store,
        load_report,
        write_canonical,
    )

    # the options first: a wrong -o or --store is refused before any export is read
    if args.output:
        check_canonical_output(Path(args.output))
    if args.store:
        check_store_path(Path(args.store))
    stored = None
    if args.store:
        ingested, stored = ingest_into_store(args.store, *args.data, progress=_elapsed())
    else:
        ingested = load_report(*args.data)
    summary: dict[str, object] = {"files": {r.file: r.summary() for r in ingested.reports}}
    if ingested.replacements:
        summary["replaced"] = [str(r) for r in ingested.replacements]
    summary.update(describe(ingested.frame))
    if stored is not None:
        summary["store"] = stored.summary()
    for warning in ingested.warnings:
        print(f"kpi-xl: warning: {warning}", file=sys.stderr)
    print(json.dumps(summary, indent=2, ensure_ascii=False, default=str))
    if args.output:
        write_canonical(ingested.frame, Path(args.output))
        print(f"wrote {args.output} ({len(ingested.frame)} rows)")
    return 0


def cmd_store_info(args: argparse.Namespace) -> int:
    from kpi_xl.ingest.store import store_info

    print(json.dumps(store_info(args.store), indent=2, ensure_ascii=False))
    return 0


def catalog_rows(lang: str, channel: str | None) -> list[dict[str, str]]:
    from kpi_xl.catalog import kpis, label

    rows = []
    for kpi in kpis().values():
        if channel and not kpi.applies_to(channel):
            continue
        rows.append(
            {
                "id": kpi.id,
                "name": kpi.name(lang),
                "category": label(f"category_{kpi.category}", lang),
                "unit": label(f"unit_{kpi.unit}", lang),
                "direction": label(kpi.direction, lang),
                "formula": kpi.words(lang),
                "expression": kpi.expression.text,
                "channels": ",".join(kpi.channels),
            }
        )
    return rows


def format_table(rows: list[dict[str, str]], columns: Sequence[str]) -> str:
    widths = {c: max([len(c), *(len(r[c]) for r in rows)]) for c in columns}
    lines = ["  ".join(c.ljust(widths[c]) for c in columns)]
    lines.append("  ".join("-" * widths[c] for c in columns))
    lines.extend("  ".join(r[c].ljust(widths[c]) for c in columns) for r in rows)
    return "\n".join(line.rstrip() for line in lines)


def cmd_kpis(args: argparse.Namespace) -> int:
    from kpi_xl.catalog import CHANNELS

    if args.channel and args.channel not in CHANNELS:
        from kpi_xl.vocabulary import unknown

        raise KpiXlError(unknown("channel", args.channel, CHANNELS))
    rows = catalog_rows(args.lang, args.channel)
    if args.format == "json":
        print(json.dumps(rows, indent=2, ensure_ascii=False))
    elif args.format == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]) if rows else ["id"])
        writer.writeheader()
        writer.writerows(rows)
        print(buffer.getvalue(), end="")
    else:
        print(format_table(rows, ["id", "name", "unit", "direction", "formula"]))
    return 0


def cmd_refresh(args: argparse.Namespace) -> int:
    from kpi_xl.ingest.sources import check_input
    from kpi_xl.pipeline import is_url
    from kpi_xl.refreshing import refresh

    for item in args.data or ():  # a typo in --data is reported before the plan is read
        if not is_url(item):
            check_input(Path(item))

    with _progress(args.quiet, 12) as step:
        path = refresh(args.plan, args.data, force=args.force, backup=not args.no_backup,
                       progress=step)  # fmt: skip
    for line in getattr(path, "report", ()):  # what --force left out or regenerated
        print(f"kpi-xl: {line}", file=sys.stderr)
    print(f"refreshed {path}" + ("" if args.no_backup else " (previous version kept as backup)"))
    return 0


def cmd_export_email(args: argparse.Namespace) -> int:
    from kpi_xl.excel.export import export_macro_free

    path = export_macro_free(Path(args.plan), Path(args.output))
    print(f"wrote {path} (macro-free copy for e-mail)")
    return 0


def _share(text: str) -> float:
    """A share typed on the command line: ``0.35`` or ``35%``."""
    value = text.strip()
    percent = value.endswith("%")
    try:
        number = float(value.rstrip("%").strip().replace(",", ".")) / (100 if percent else 1)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected a share such as 0.35 or 35%"
        ) from None
    if not 0 < number <= 1:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a share above 0 and up to 100%")
    return number


def _year(text: str) -> int:
    """A plan year typed on the command line."""
    try:
        return int(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a year: give a year such as 2026 (1405 in a Solar Hijri plan)"
        ) from None


def _add_build_options(p: argparse.ArgumentParser, output: str | None) -> None:
    """The options demo and build share; ``output``: -o's default, or None: required."""
    from kpi_xl.vocabulary import LANGUAGES

    p.add_argument(
        "-o",
        "--output",
        required=output is None,
        metavar="FILE",
        help=f"the workbook to write: .xlsx, or .xlsm with --macro ({output or 'required'})",
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the file -o names if it exists, keeping the old one as "
        "NAME.backup-YYYYmmdd-HHMMSS.xlsx beside it (default: refuse; 'kpi-xl refresh' "
        "updates a plan keeping your inputs)",
    )
    p.add_argument(
        "--template",
        default="ecommerce",
        metavar="NAME",
        help="a template listed below, or the path of your own YAML (default: %(default)s)",
    )
    p.add_argument(
        "--lang",
        default="en",
        choices=LANGUAGES,
        metavar="CODE",
        help="the workbook's language, a code listed below (default: %(default)s)",
    )
    p.add_argument(
        "--calendar",
        choices=("gregorian", "solar_hijri"),
        help="the plan's months: gregorian, or solar_hijri (Persian months, the year from "
        "Farvardin) (default: solar_hijri for fa, gregorian for the others)",
    )
    p.add_argument(
        "--digits",
        choices=("latin", "persian"),
        help="digits in numbers and period names (default: persian for fa, latin for the others)",
    )
    p.add_argument(
        "--gross-margin",
        type=_share,
        metavar="SHARE",
        help="your gross margin, 0.35 or 35%%: ROI is then on gross profit (default: the "
        "template's gross_margin; without one the plan shows Revenue ROI, ROAS - 1)",
    )
    p.add_argument(
        "--macro",
        action="store_true",
        help="write a macro-enabled .xlsm with a Refresh button (needs the excel extra: "
        f"{extra('excel')})",
    )
    p.add_argument(
        "-q", "--quiet", action="store_true", help="no progress bar (it shows only on a terminal)"
    )


def parser() -> argparse.ArgumentParser:
    from kpi_xl.vocabulary import GRAINS, LANGUAGES

    root = Parser(prog="kpi-xl", texts=root_texts)
    root.add_argument("--version", action="version", version=f"kpi-xl {__version__}")
    sub = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    exports = "export files: CSV, TSV, .xlsx, Parquet or a zip of CSV files"

    p = sub.add_parser("demo", help="build a plan from the bundled sample data", texts=demo_texts)
    _add_build_options(p, "default: kpi_plan.xlsx, or kpi_plan.xlsm with --macro")
    p.set_defaults(handler=cmd_demo)

    p = sub.add_parser("build", help="build a plan workbook from export files", texts=build_texts)
    p.add_argument("data", nargs="*", metavar="EXPORT", help=exports)
    p.add_argument(
        "--source",
        action="append",
        metavar="SOURCE",
        help="a history store (STORE.duckdb, written by kpi-xl ingest --store) or a "
        "warehouse URL (postgres://user@host/db?table=marketing, duckdb:///file.duckdb?"
        "schema=ga4, bigquery://project/dataset?schema=ga4...; "
        f"{extra('warehouse')}; see docs/warehouse.md) to build from, with or instead of "
        "export files (repeat for more)",
    )
    _add_build_options(p, None)
    p.add_argument(
        "--year",
        type=_year,
        help="plan year, e.g. 2026, or 1405 in a Solar Hijri plan (default: the year of the "
        "latest date in the data)",
    )
    p.add_argument(
        "--grain",
        choices=GRAINS,
        help="the plan's periods: %(choices)s (default: the template's grain)",
    )
    p.add_argument(
        "--targets",
        metavar="FILE",
        help="your targets, a CSV or YAML of kpi_id, channel, period, target (format below); "
        "they replace the suggested targets they name (default: suggested targets only)",
    )
    p.add_argument(
        "--currency",
        metavar="CODE",
        help="plan currency, e.g. EUR (default: the data's, when it has one; else the template's)",
    )
    p.add_argument(
        "--fx",
        action="append",
        metavar="CODE=RATE",
        help="exchange rate into the plan currency, e.g. --fx USD=0.92 (1 USD = 0.92 EUR); "
        "repeat for each other currency of the data (money without a rate is refused)",
    )
    p.set_defaults(handler=cmd_build)

    p = sub.add_parser(
        "ingest",
        help="read exports, report them and write the canonical table",
        texts=ingest_texts,
    )
    p.add_argument("data", nargs="+", metavar="EXPORT", help=exports)
    p.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="also write the combined canonical table: .csv, .csv.gz, .xlsx or .parquet "
        f"({extra('parquet')}); an existing file is replaced",
    )
    p.add_argument(
        "--store",
        metavar="STORE.duckdb",
        help="also add the rows to a history store (created on first use); a newer export "
        "of the same platform and days replaces the stored rows; build from it with "
        "kpi-xl build STORE.duckdb",
    )
    p.set_defaults(handler=cmd_ingest)

    p = sub.add_parser("store", help="show what a history store holds", texts=store_texts)
    store_sub = p.add_subparsers(dest="store_command", required=True, metavar="COMMAND")
    info = store_sub.add_parser(
        "info",
        help="sources, files, date ranges and row counts of a history store",
        texts=store_texts,
    )
    info.add_argument("store", metavar="STORE.duckdb")
    info.set_defaults(handler=cmd_store_info)

    p = sub.add_parser("kpis", help="list the KPI catalog", texts=kpis_texts)
    p.add_argument(
        "--lang",
        default="en",
        choices=LANGUAGES,
        metavar="CODE",
        help="language of names, units and formulas (default: %(default)s)",
    )
    p.add_argument("--channel", help="only KPIs that apply to this channel (listed below)")
    p.add_argument(
        "--format",
        default="table",
        choices=("table", "csv", "json"),
        help="table to read, csv or json for spreadsheets and scripts, with more columns "
        "(default: %(default)s)",
    )
    p.set_defaults(handler=cmd_kpis)

    p = sub.add_parser(
        "refresh", help="rebuild a plan with new data, keeping your inputs", texts=refresh_texts
    )
    p.add_argument("plan", help="the plan workbook (.xlsx or .xlsm) to refresh in place")
    p.add_argument(
        "--data",
        nargs="+",
        metavar="EXPORT",
        help="the exports to read (default: the data source on Settings)",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="regenerate generated cells you edited and carry the sheets you added over",
    )
    p.add_argument("--no-backup", action="store_true", help="do not keep the previous file")
    p.add_argument(
        "-q", "--quiet", action="store_true", help="no progress bar (it shows only on a terminal)"
    )
    p.set_defaults(handler=cmd_refresh)

    p = sub.add_parser(
        "export-email",
        help="write the macro-free .xlsx copy of an .xlsm plan",
        texts=export_email_texts,
    )
    p.add_argument(
        "plan", help="the macro-enabled plan (.xlsm, or an .xlsm renamed .xlsx that holds macros)"
    )
    p.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="FILE",
        help="the .xlsx to write (an existing file is replaced)",
    )
    p.set_defaults(handler=cmd_export_email)

    from kpi_xl.mail.command import add_send_command

    add_send_command(sub)
    send = sub.choices["send"]
    send.texts = send_texts(send.description or "")
    return root


def _python_strings() -> None:
    """pandas text in Python strings for this process: with pyarrow installed pandas would
    hold text as Arrow strings, which raises a large build's peak memory by about a third
    (bench/build_bench.py). Set by the command line only: the library leaves the caller's
    pandas options alone."""
    import pandas as pd

    pd.set_option("mode.string_storage", "python")


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    handler: Handler = args.handler
    try:
        _python_strings()
        return handler(args)
    except KpiXlError as exc:
        print(f"kpi-xl: error: {exc}", file=sys.stderr)
        if exc.detail:
            print(f"  {exc.detail}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("kpi-xl: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
