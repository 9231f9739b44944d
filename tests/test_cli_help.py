"""``kpi-xl [COMMAND] --help`` teaches: a description, examples that parse, and the lists
(languages, templates, channels, platforms) taken from the package's own registries."""

from __future__ import annotations

import argparse
import re
import shlex
from pathlib import Path

import pytest

from kpi_xl.cli import main, parser
from kpi_xl.cli_help import TARGETS_SAMPLE, template_summary
from kpi_xl.extras import EXTRAS
from kpi_xl.ingest.platforms import platforms
from kpi_xl.pipeline import check_target_periods
from kpi_xl.plan.spec import BUNDLED, load_template
from kpi_xl.plan.targets import load_targets
from kpi_xl.vocabulary import CHANNELS, LANGUAGE_NAMES, LANGUAGES, RTL_LANGUAGES


def subcommands(root: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in root._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


COMMANDS = subcommands(parser())
EVERY = [None, *COMMANDS]  # None: the top-level ``kpi-xl --help``


def with_option(option: str) -> list[str]:
    return [name for name, p in COMMANDS.items() if option in p._option_string_actions]


def taking_exports() -> list[str]:
    return [name for name, p in COMMANDS.items() if any(a.metavar == "EXPORT" for a in p._actions)]


@pytest.fixture(autouse=True)
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """An 80-column terminal, as argparse sees it."""
    monkeypatch.setenv("COLUMNS", "80")


def command_parser(command: str | None) -> argparse.ArgumentParser:
    root = parser()
    return root if command is None else subcommands(root)[command]


def help_text(command: str | None, capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as done:
        main([*([command] if command else []), "--help"])
    out, err = capsys.readouterr()
    assert done.value.code == 0
    assert err == ""
    return out


def sections(text: str) -> dict[str, list[str]]:
    """The help's headed blocks: the lines at the margin just above indented lines (a long
    heading wraps), keyed by the heading's first words (``languages (--lang CODE):`` ->
    ``languages``); each block's lines without their indent."""
    blocks: list[tuple[list[str], list[str]]] = []
    new_block = True
    for line in text.splitlines():
        if line and not line[0].isspace():
            if new_block:
                blocks.append(([], []))
            blocks[-1][0].append(line)
            new_block = False
        elif line.strip() and blocks:
            blocks[-1][1].append(line[2:].rstrip())
            new_block = True  # the block's body began: a margin line starts the next one
        elif blocks and blocks[-1][1]:
            blocks[-1][1].append("")
        else:
            new_block = True  # a blank line under a paragraph
    return {
        " ".join(heading).split(" (")[0].split(":")[0]: "\n".join(body).strip("\n").splitlines()
        for heading, body in blocks
        if body
    }


def examples(text: str) -> list[str]:
    """The example command lines, continuation lines (`` \\``) joined."""
    lines: list[str] = []
    for line in sections(text)["examples"]:
        if lines and lines[-1].endswith("\\"):
            lines[-1] = lines[-1][:-1] + line.strip()
        elif line.strip() and not line.startswith("#"):
            lines.append(line.strip())
    return lines


@pytest.mark.parametrize("command", EVERY)
def test_help_has_a_description(command: str | None, capsys: pytest.CaptureFixture[str]) -> None:
    text = help_text(command, capsys)
    p = command_parser(command)
    p.format_help()
    description = p.description or ""
    assert description[0].isupper() and description.rstrip().endswith("."), description
    assert len(description.split()) >= 12, description
    assert " ".join(description.split()[:6]) in " ".join(text.split())


@pytest.mark.parametrize("command", EVERY)
def test_examples_parse(command: str | None, capsys: pytest.CaptureFixture[str]) -> None:
    lines = examples(help_text(command, capsys))
    assert lines, "no examples"
    for line in lines:
        assert line.startswith("kpi-xl "), line
        words = shlex.split(line)[1:]
        for redirect in (">", "|"):  # what the shell does with the output
            words = words[: words.index(redirect)] if redirect in words else words
        args = parser().parse_args(words)  # exits (code 2) when the example does not parse
        if command is not None:
            assert args.command == command, line


@pytest.mark.parametrize("command", [None, *with_option("--lang")])
def test_languages_are_named(command: str | None, capsys: pytest.CaptureFixture[str]) -> None:
    rows = sections(help_text(command, capsys))["languages"]
    assert [row.split()[0] for row in rows] == list(LANGUAGES)
    for code, row in zip(LANGUAGES, rows, strict=True):
        rtl = " (right to left)" if code in RTL_LANGUAGES else ""
        assert re.fullmatch(rf"{code}\s+{re.escape(LANGUAGE_NAMES[code] + rtl)}", row), row


@pytest.mark.parametrize("command", [None, *with_option("--template")])
def test_templates_are_listed(command: str | None, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [r.split(None, 1) for r in sections(help_text(command, capsys))["templates"]]
    listed = {row[0]: row[1] for row in rows if row and row[0] in BUNDLED}
    assert list(listed) == list(BUNDLED)
    for name, words in listed.items():
        assert words == template_summary(name)


def test_the_lists_are_where_they_are_needed() -> None:
    """The parametrized tests above run where they should (new commands may join them)."""
    assert {"demo", "build", "kpis", "send"} <= set(with_option("--lang"))
    assert {"demo", "build"} <= set(with_option("--template"))
    assert {"kpis"} <= set(with_option("--channel"))
    assert {"build"} <= set(with_option("--targets"))
    assert {"build", "ingest", "refresh"} <= set(taking_exports())


def test_template_summaries_come_from_the_yaml_files() -> None:
    summaries = {name: template_summary(name) for name in BUNDLED}
    assert summaries["ecommerce"] == "online store (e-commerce)"
    for name, words in summaries.items():
        assert words and not words.lower().startswith("kpi plan"), name
        assert load_template(name).name == name


@pytest.mark.parametrize("command", with_option("--channel"))
def test_channels_are_listed(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    rows = sections(help_text(command, capsys))["channels"]
    assert " ".join(rows).split(", ") == list(CHANNELS)


@pytest.mark.parametrize("command", with_option("--targets"))
def test_the_targets_file_is_explained(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    body = sections(help_text(command, capsys))["targets file"]
    assert body[: len(TARGETS_SAMPLE)] == list(TARGETS_SAMPLE)
    channel = " ".join(" ".join(body).split("channel ", 1)[1].split("period ")[0].split())
    assert channel.startswith("all (the overall plan)")
    assert channel.split(": ", 1)[1].split(", ") == list(CHANNELS)
    assert "2026-W01 (week)" in " ".join(body)


def test_the_targets_sample_is_a_valid_targets_file(tmp_path: Path) -> None:
    path = tmp_path / "targets.csv"
    path.write_text("\n".join(TARGETS_SAMPLE) + "\n", encoding="utf-8")
    targets = load_targets(path)
    assert len(targets) == len(TARGETS_SAMPLE) - 1
    assert targets[("key_event_rate", "seo", "2026-03")] == pytest.approx(0.025)
    check_target_periods(targets, load_template("ecommerce"), path)


@pytest.mark.parametrize("command", taking_exports())
def test_platforms_are_listed(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    found = sections(help_text(command, capsys))
    if command == "ingest":
        names = [row.split(":")[0] for row in found["platforms"] if not row.startswith(" ")]
        assert names == sorted(q.name for q in platforms())
    else:
        listed = " ".join(found["exports read"])
        for platform in platforms():
            assert platform.title in listed


@pytest.mark.parametrize("command", EVERY)
def test_options_say_their_defaults(command: str | None) -> None:
    for action in command_parser(command)._actions:
        if action.option_strings and action.default not in (None, False, [], argparse.SUPPRESS):
            assert "default" in (action.help or ""), action.option_strings


@pytest.mark.parametrize("command", with_option("--gross-margin"))
def test_gross_margin_says_its_unit(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    text = " ".join(help_text(command, capsys).split())
    assert "--gross-margin SHARE your gross margin, 0.35 or 35%" in text


@pytest.mark.parametrize("command", EVERY)
def test_named_extras_exist(command: str | None, capsys: pytest.CaptureFixture[str]) -> None:
    for extra in re.findall(r"kpi-xl\[(\w+)\]", help_text(command, capsys)):
        assert extra in EXTRAS
