"""The help of ``kpi-xl`` and its commands: each a description and an epilog (examples,
then the lists it needs), written only when help is asked for."""

from __future__ import annotations

import argparse
import textwrap
from collections.abc import Callable, Iterable, Sequence
from itertools import groupby
from typing import Any, NoReturn

# Each command's help is a description and an epilog (examples, then the lists it needs),
# written only when help is asked for: the lists come from the package's registries
# (languages, templates, channels, platforms), some of which load YAML or pandas, which a
# command that runs should not pay for.

Texts = tuple[str, str]  # (description, epilog)
#: A targets file as ``--targets`` reads it (tests/test_cli_help.py loads it).
TARGETS_SAMPLE = (
    "kpi_id,channel,period,target",
    "revenue,all,year,300000",
    "key_event_rate,seo,2026-03,2.5%",
    "cost_per_conversion,paid_search,2026-03,18.50",
)
_SAMPLE_YEAR = 2026  # the year of TARGETS_SAMPLE


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Paragraphs (lines at the margin) are filled to the terminal's width; indented lines
    (examples, lists) are kept as written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        out: list[str] = []
        lines = text.splitlines()
        for at_margin, group in groupby(lines, key=lambda line: line[:1].strip() != ""):
            if at_margin:
                words = " ".join(line.strip() for line in group)
                out.append(
                    textwrap.fill(
                        words,
                        width,
                        initial_indent=indent,
                        subsequent_indent=indent,
                        break_on_hyphens=False,
                    )
                )
            else:
                out.extend(f"{indent}{line}".rstrip() for line in group)
        return "\n".join(out)


class Parser(argparse.ArgumentParser):
    """An argument parser whose description and epilog are written when help is asked for
    (``texts``), and whose help keeps examples and lists as laid out."""

    def __init__(self, *args: Any, texts: Callable[[], Texts] | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)
        self.texts = texts

    def format_help(self) -> str:
        if self.texts is not None:
            self.description, self.epilog = self.texts()
            self.texts = None
        return super().format_help()

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        """A value that is none of the choices: the nearest one, and the choices as a
        person writes them (argparse writes a Python list of reprs)."""
        choices = action.choices
        if choices is None or value in choices:
            return
        from kpi_xl.vocabulary import language_meant, nearest

        names = [str(c) for c in choices]
        if isinstance(action, argparse._SubParsersAction):
            what = "command"
        elif action.dest == "lang":
            what = "language"
        else:
            what = action.dest.replace("_", " ")
        hint = nearest(str(value), names)
        if not hint and what == "language":
            meant = language_meant(str(value))
            hint = f" (did you mean {meant!r}?)" if meant else ""
        raise argparse.ArgumentError(
            action, f"unknown {what} {str(value)!r}{hint}: use one of {', '.join(names)}"
        )

    def error(self, message: str) -> NoReturn:
        """One line, as every error of kpi-xl: ``kpi-xl: error: ...``, with where to read
        how the command is used (instead of argparse's usage block); exit code 2."""
        self.exit(2, f"kpi-xl: error: {message}; see '{self.prog} --help'\n")


def _epilog(*sections: str) -> str:
    return "\n\n".join(s for s in sections if s)


def _section(heading: str, lines: Iterable[str]) -> str:
    return "\n".join([heading, *(f"  {line}".rstrip() for line in lines)])


def _columns(rows: Sequence[tuple[str, str]], wrap: int = 77) -> list[str]:
    """Rows of ``name  text``, the texts aligned and wrapped under themselves."""
    width = max(len(name) for name, _ in rows)
    lines: list[str] = []
    for name, text in rows:
        body = textwrap.wrap(text, max(wrap - width - 2, 30), break_on_hyphens=False) or [""]
        lines.append(f"{name.ljust(width)}  {body[0]}")
        lines.extend(" " * (width + 2) + rest for rest in body[1:])
    return lines


def _wrapped(items: Sequence[str], wrap: int = 77) -> list[str]:
    """``a, b, c`` over lines of at most ``wrap`` characters, never breaking an item."""
    lines = [""]
    for i, item in enumerate(items):
        piece = item if i == len(items) - 1 else f"{item},"
        if lines[-1] and len(lines[-1]) + 1 + len(piece) > wrap:
            lines.append("")
        lines[-1] = f"{lines[-1]} {piece}".lstrip()
    return lines


def _examples(*commands: str) -> str:
    """Example command lines (a long one continued with `` \\`` on the next line, indented);
    a line starting with ``#`` says what the next one does."""
    return _section("examples:", [line for c in commands for line in c.split("\n")])


def extra(name: str) -> str:
    """How to install an optional extra (``kpi_xl.extras.EXTRAS``)."""
    from kpi_xl.extras import EXTRAS

    if name not in EXTRAS:  # pragma: no cover - a typo in this module
        raise ValueError(f"no extra {name!r}")
    return f'pip install "kpi-xl[{name}]"'


def _languages() -> str:
    from kpi_xl.vocabulary import LANGUAGE_NAMES, LANGUAGES, RTL_LANGUAGES

    rows = [
        (code, LANGUAGE_NAMES[code] + (" (right to left)" if code in RTL_LANGUAGES else ""))
        for code in LANGUAGES
    ]
    return _section("languages (--lang CODE):", _columns(rows))


def template_summary(name: str) -> str:
    """A bundled template in a few words: the first comment line of its YAML file
    (``# KPI plan template: online store (e-commerce).`` -> ``online store (e-commerce)``)."""
    from kpi_xl.resources import templates_dir

    text = templates_dir().joinpath(f"{name}.yaml").read_text(encoding="utf-8")
    first = text.partition("\n")[0].lstrip("#").strip()
    return first.partition(":")[2].strip().rstrip(".") if ":" in first else first.rstrip(".")


def _templates() -> str:
    from kpi_xl.resources import templates_dir
    from kpi_xl.vocabulary import TEMPLATES

    return _section(
        "templates (--template NAME, or the path of a YAML file of your own):",
        [
            *_columns([(t, template_summary(t)) for t in TEMPLATES]),
            "(your own: copy one of the YAML files in",
            f" {templates_dir()}",
            " and edit its KPIs, grain, currency, thresholds or growth)",
        ],
    )


def _channels(heading: str) -> str:
    from kpi_xl.vocabulary import CHANNELS

    return _section(heading, _wrapped(CHANNELS))


def _exports_read() -> str:
    from kpi_xl.ingest.platforms import platforms

    titles = sorted({p.title for p in platforms() if p.kind != "table"}, key=str.casefold)
    tables = [
        f"or the {p.title} (what 'kpi-xl ingest -o' writes)"
        for p in platforms()
        if p.kind == "table"
    ]
    return _section(
        "exports read ('kpi-xl ingest --help' shows the layout of each):",
        _wrapped([*titles, *tables]),
    )


def _targets_file() -> str:
    from kpi_xl.periods import periods_of_year
    from kpi_xl.plan.model import YEAR_KEY
    from kpi_xl.plan.scopes import SCOPE_ALL
    from kpi_xl.plan.targets import EXAMPLE, FIELDS
    from kpi_xl.vocabulary import CHANNELS, GRAINS

    kpi_id, channel, period, target = FIELDS
    periods = ", ".join(f"{periods_of_year(_SAMPLE_YEAR, g)[0]} ({g})" for g in GRAINS)
    rows = [
        (kpi_id, "a KPI id, as 'kpi-xl kpis' lists them"),
        (channel, f"{SCOPE_ALL} (the overall plan) or a channel: {', '.join(CHANNELS)}"),
        (
            period,
            f"a period of the plan's grain: {periods}; or {YEAR_KEY} (or {_SAMPLE_YEAR}) "
            "for an annual target that the periods follow",
        ),
        (target, EXAMPLE),
    ]
    return _section(
        "targets file (--targets targets.csv, or a YAML list of the same fields):",
        [*TARGETS_SAMPLE, "", *_columns(rows, wrap=75)],
    )


def root_texts() -> Texts:
    from kpi_xl.errors import ConflictError, KpiXlError

    description = (
        "Build digital-marketing KPI plans in Excel from your platforms' exports, refresh them "
        "with new data without losing the targets and notes you typed, and e-mail them with a "
        "status summary. A plan workbook computes itself with native Excel formulas, so "
        "people without Python can open it, change a target and see it recompute.\n\n"
        "Start with 'kpi-xl demo' to see a plan made from sample data, then 'kpi-xl ingest' "
        "on your own exports to see what is read from them, then 'kpi-xl build'. "
        "'kpi-xl COMMAND --help' explains each command."
    )
    exits = (
        f"exit codes: 0 done; {KpiXlError.exit_code} an error, explained on standard error; "
        f"{ConflictError.exit_code} refresh stopped because the plan holds edits it would "
        "discard."
    )
    return description, _epilog(
        _examples(
            "kpi-xl demo",
            "kpi-xl ingest ga4_traffic_acquisition.csv google_ads_campaigns.csv",
            "kpi-xl build ga4_traffic_acquisition.csv google_ads_campaigns.csv -o kpi_plan.xlsx",
            "kpi-xl refresh kpi_plan.xlsx",
        ),
        _languages(),
        _templates(),
        exits,
    )


def demo_texts() -> Texts:
    description = (
        "Build a complete KPI plan from the bundled sample data of a small online store, to "
        "see what a plan looks like before you use your own exports. It writes kpi_plan.xlsx "
        "in the current folder (kpi_plan.xlsm with --macro), or the file -o names; an existing "
        "file is left alone unless --overwrite (which keeps a backup of it). The plan records "
        "the sample data as its data source, so 'kpi-xl refresh kpi_plan.xlsx' works on it "
        "too."
    )
    return description, _epilog(
        _examples(
            "kpi-xl demo",
            "# the lead-generation plan in Persian, right to left",
            "kpi-xl demo --template leadgen --lang fa -o demo_leadgen_fa.xlsx",
        ),
        _languages(),
        _templates(),
    )


def build_texts() -> Texts:
    description = (
        "Build a KPI plan workbook from your platforms' exports. Each file's platform is "
        "recognised from its content, not its name; a file may be CSV or TSV (also gzipped), "
        f"Excel .xlsx, a zip of CSV files, or Parquet ({extra('parquet')}).\n\n"
        "The plan has an Overview, one sheet per channel plan of the template, Targets, Data, "
        "Plan data, Definitions and Settings. Every KPI cell is a native Excel formula and "
        "also carries the value computed in Python. Targets start as suggestions from the "
        "history in the data (the same period last year times the recent trend, improved by "
        "the template's growth); --targets gives your own, and you can also type over them in "
        "the Targets sheet. It writes the file -o names (.xlsx, or .xlsm with --macro); an "
        "existing file is left alone unless --overwrite (which keeps a backup of it, as "
        "refresh does). A history store (STORE.duckdb, see 'kpi-xl ingest --store') is read "
        "like an export.\n\n"
        "The plan year (--year; default: the year of the latest date in the data) must hold "
        "data: a year the data has no day of is refused, naming the dates the data covers "
        "and the year to use. The one exception is the year right after the data, to plan "
        "next year from this year's history: it is built with a warning (no actuals yet; "
        "the targets are suggested from the data before it), and refresh fills the actuals "
        "in as that year's exports come in."
    )
    return description, _epilog(
        _examples(
            "kpi-xl build ga4_traffic_acquisition.csv google_ads_campaigns.csv \\\n"
            "    meta_ads_campaigns.csv -o kpi_plan_2026.xlsx --year 2026",
            "# a lead-generation plan in Finnish, your targets, in EUR (Google Ads bills in USD)",
            "kpi-xl build exports/*.csv -o kpi_plan_fi.xlsx --template leadgen --lang fi \\\n"
            "    --targets targets_2026.csv --currency EUR --fx USD=0.92",
        ),
        _exports_read(),
        _languages(),
        _templates(),
        _targets_file(),
    )


def ingest_texts() -> Texts:
    from kpi_xl.ingest.platforms import platforms

    description = (
        "Read exports as 'kpi-xl build' does and report what was read, without building a "
        "plan: for each file the platform recognised, the granularity, the date range and the "
        "rows read, the rows newer exports replaced in older ones, then per platform and in "
        "total the rows, dates, channels, campaigns and measures. The report is JSON on "
        "standard output; warnings go to standard error. With -o it also writes the combined "
        "canonical table, for your own analysis or as input to build (it reads back "
        "unchanged). With --store it also adds the rows to a history store (a DuckDB file, "
        "created on first use) where a newer export of the same platform and days replaces "
        "the stored rows; build and refresh read the store like an export."
    )
    rows = [
        line
        for p in sorted(platforms(), key=lambda p: p.name)
        for line in textwrap.wrap(f"{p.name}: {p.layout}", 77, subsequent_indent="    ")
    ]
    return description, _epilog(
        _examples(
            "kpi-xl ingest ga4_traffic_acquisition.csv google_ads_campaigns.csv",
            "# every export in a folder, combined into one table to pivot in Excel",
            "kpi-xl ingest exports/*.csv -o channel_data.xlsx",
            "# keep every weekly download (then: kpi-xl build --source marketing.duckdb)",
            "kpi-xl ingest meta_week1.csv --store marketing.duckdb",
        ),
        _section('platforms (the "platform" of each file in the report): the layout read', rows),
    )


def store_texts() -> Texts:
    description = (
        "Show what a history store holds: its schema version, and for each platform the "
        "number of export files stored, the first and last day, the rows and when rows were "
        "last added. The store is the DuckDB file 'kpi-xl ingest --store' writes; 'kpi-xl "
        "build STORE.duckdb' builds a plan from it. The report is JSON on standard output."
    )
    return description, _epilog(_examples("kpi-xl store info marketing.duckdb"))


def kpis_texts() -> Texts:
    description = (
        "List the KPI catalog: each KPI's id (what templates and --targets files use), name, "
        "unit, whether higher or lower is better, and its formula in words, in the language "
        "of --lang. --channel keeps the KPIs that apply to that "
        "channel (those for every channel included). --format csv or json adds each KPI's "
        "category, its expression over base measures and the channels it applies to. The "
        "list goes to standard output."
    )
    return description, _epilog(
        _examples(
            "kpi-xl kpis --channel paid_search",
            "kpi-xl kpis --lang he --format csv > kpis_he.csv",
        ),
        _languages(),
        _channels("channels (--channel CHANNEL):"),
    )


def refresh_texts() -> Texts:
    from kpi_xl.errors import ConflictError
    from kpi_xl.refreshing import BACKUPS

    description = (
        "Rebuild a plan with new data and keep everything you typed: targets, notes and "
        "Settings are read by key and written back wherever the new layout puts them. "
        "Without --data the data source on the plan's Settings sheet is read again (the "
        "export files recorded there, e.g. re-exported with newer dates); --data reads "
        "other files instead, and Settings then records them: give every export the plan "
        "should hold, not only the newest.\n\n"
        "The new file replaces the old one atomically; unless --no-backup the previous "
        "version is kept beside it as PLAN.backup-YYYYmmdd-HHMMSS.xlsx (or .xlsm), the "
        f"newest {BACKUPS} kept. If you edited generated cells, inserted rows or columns "
        "into generated sheets or added sheets, refresh writes nothing, lists them and exits "
        f"with code {ConflictError.exit_code}; --force regenerates the edited cells and "
        "carries added sheets over. A file that is open in Excel or LibreOffice, not a kpi_xl "
        "plan or damaged is left untouched."
    )
    return description, _epilog(
        _examples(
            "kpi-xl refresh kpi_plan_2026.xlsx",
            "# the plan's data from other files from now on",
            "kpi-xl refresh kpi_plan_2026.xlsx \\\n"
            "    --data ga4_traffic_acquisition_2026.csv google_ads_campaigns_2026.csv",
        ),
        _exports_read(),
    )


def export_email_texts() -> Texts:
    description = (
        "Write the macro-free .xlsx copy of a macro-enabled .xlsm plan, to send to people "
        "who should not get macros. Only the VBA project and the Refresh button are left "
        "out: formulas, stored values, charts and formats are copied byte for byte, so the "
        "copy shows exactly the same numbers and still recomputes when a target is changed. "
        "The .xlsm is not changed."
    )
    return description, _examples(
        "kpi-xl export-email kpi_plan.xlsm -o kpi_plan.xlsx",
    )


def send_texts(description: str) -> Callable[[], Texts]:
    def texts() -> Texts:
        from kpi_xl.mail.settings import ENV, SECURITY

        names = [f"{v} ({', '.join(SECURITY)})" if k == "security" else v for k, v in ENV.items()]
        env = f"Environment, read where an option is not given: {', '.join(names)}."
        needs = (
            "Sending needs the mail extra, for the chart in the message: "
            f"{extra('mail')}. An .xlsm plan is refused: send the copy 'kpi-xl export-email' "
            "writes."
        )
        return description, _epilog(
            _examples(
                "kpi-xl send kpi_plan.xlsx --to boss@example.com --from me@example.com \\\n"
                "    --smtp smtp.example.com:587 --user me@example.com",
                "# write the message to a file instead of sending it",
                "kpi-xl send kpi_plan.xlsx --from me@example.com --to boss@example.com \\\n"
                "    --cc team@example.com --eml kpi_plan.eml",
            ),
            needs,
            _languages(),
            env,
        )

    return texts
