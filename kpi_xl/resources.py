"""Where the package's bundled files are, installed or in a source checkout; and reading
the YAML files a user gives (templates, targets) within bounds (:func:`load_user_yaml`)."""

from __future__ import annotations

import math
from collections.abc import Callable
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any


def templates_dir() -> Traversable:
    """``workbook_templates/``: plan YAML files and VBA sources.

    In a wheel it is installed as the ``kpi_xl.workbook_templates`` package data (see
    ``package-dir`` in pyproject.toml); in a source checkout it sits beside ``kpi_xl/``.
    """
    installed = resources.files("kpi_xl").joinpath("workbook_templates")
    if installed.is_dir():
        return installed
    return Path(__file__).resolve().parent.parent / "workbook_templates"


# -- YAML the user gives (plan templates, targets files) ------------------------------------

#: Bounds on a YAML file the user gives: its size, its nodes, how deep its collections nest,
#: and its numbers. Aliases (``*name``) are refused outright: a template never needs one, and
#: a few lines of nested aliases expand to billions of nodes (a "billion laughs" bomb).
MAX_YAML_BYTES = 4 * 2**20
MAX_YAML_NODES = 200_000
MAX_YAML_DEPTH = 20
MAX_YAML_NUMBER = 1e18
MAX_YAML_NUMBER_CHARS = 40


def read_user_text(path: Path, *, encoding: str = "utf-8") -> str:
    """The text of a YAML (or CSV) file the user gives, refused when larger than
    :data:`MAX_YAML_BYTES` or not text in ``encoding``."""
    from kpi_xl.errors import KpiXlError

    try:
        size = path.stat().st_size
        if size > MAX_YAML_BYTES:
            raise KpiXlError(
                f"the file is {size:,} bytes: expected at most {MAX_YAML_BYTES:,}", file=path
            )
        return path.read_bytes().decode(encoding)
    except UnicodeDecodeError as exc:
        raise KpiXlError(
            f"not {encoding.upper()} text (byte {exc.start}): save it as UTF-8", file=path
        ) from None
    except OSError as exc:
        raise KpiXlError(f"cannot read the file: {exc.strerror or exc}", file=path) from None


def load_user_yaml(text: str, file: str | Path) -> Any:
    """The data of YAML text a user wrote, or a one-line :class:`~kpi_xl.errors.KpiXlError`
    naming ``file``, the line and the key.

    Before anything is built the text is read event by event (libyaml's parser, which
    keeps no tree): an alias, a collection nested deeper than :data:`MAX_YAML_DEPTH`, more
    than :data:`MAX_YAML_NODES` nodes, a key given twice in one mapping, or a number longer
    than :data:`MAX_YAML_NUMBER_CHARS` characters or beyond :data:`MAX_YAML_NUMBER` are
    refused. Only then is the data built, with the safe loader (no Python objects)."""
    import yaml

    from kpi_xl.errors import KpiXlError

    if len(text) > MAX_YAML_BYTES:
        raise KpiXlError(f"the YAML text is longer than {MAX_YAML_BYTES:,} characters", file=file)
    loader_class: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        _scan_yaml(text, str(file), loader_class)
        loader = loader_class(text)
        try:
            return loader.get_single_data()
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        if "nesting depth" in str(exc):  # PyYAML 6.0.4+ stops deep nesting itself
            raise KpiXlError(f"nested more than {MAX_YAML_DEPTH} levels deep", file=file,
                             line=line) from None  # fmt: skip
        at = f" at column {mark.column + 1}" if mark is not None else ""
        why = yaml_problem(exc, text)
        raise KpiXlError(f"not valid YAML{at}: {why}", file=file, line=line) from None
    except (ValueError, TypeError, OverflowError) as exc:  # a tagged value (!!timestamp)
        raise KpiXlError(
            f"not valid YAML: a value cannot be read ({exc}); write it as plain text or a "
            "number, without a !! tag",
            file=file,
        ) from None
    except RecursionError:  # pragma: no cover - the scan bounds the depth first
        raise KpiXlError("the YAML nests too deeply", file=file) from None


def yaml_problem(exc: Any, text: str) -> str:
    """What a YAML parser error means, in words, with what to do (the parser's own words
    name its internals: "mapping values are not allowed in this context in
    '<unicode string>'")."""
    problem = str(getattr(exc, "problem", "") or "")
    context = str(getattr(exc, "context", "") or "")
    mark, start = getattr(exc, "problem_mark", None), getattr(exc, "context_mark", None)
    opened = f" on line {start.line + 1}" if start is not None else ""
    if "flow sequence" in context:
        return f"a list opened with '['{opened} is not closed with ']' (or a ',' is missing)"
    if "flow mapping" in context:
        return f"a mapping opened with '{{'{opened} is not closed with '}}' (or a ',' is missing)"
    if "quoted scalar" in context:
        return f"a quote opened{opened} is never closed: close it"
    if "could not determine a constructor" in problem:
        tag = problem.rpartition("tag:yaml.org,2002:")[2].strip("'\"") or "!"
        return f"the tag !!{tag} is not accepted: write the value without a !! tag"
    if "mapping values are not allowed" in problem:
        return (
            "a ': ' where a value was expected: quote a value that holds ': ' (\"a: b\"), "
            "and do not indent a key under a value"
        )
    if "cannot start any token" in problem:
        lines = text.splitlines()
        char = ""
        if mark is not None and mark.line < len(lines) and mark.column < len(lines[mark.line]):
            char = lines[mark.line][mark.column]
        if char == "\t":
            return "a tab: indent with spaces, not tabs"
        return f"{char or 'this character'!r} cannot start a value: quote the value"
    if "expected key" in problem or "expected <block end>" in problem:
        return "the indentation is off: start the keys of one mapping in the same column"
    if "could not find expected ':'" in problem:
        return "a line without ':' among 'key: value' lines: write 'key: value'"
    if "expected '-' indicator" in problem:
        return "a line among list items does not start with '- ': start each item with '- '"
    words = (problem or context or type(exc).__name__).split(' in "<')[0]
    return f"{words}: check the line (YAML is indented with spaces)"


class _Level:
    """A mapping or sequence being read by :func:`_scan_yaml`."""

    def __init__(self, mapping: bool) -> None:
        self.mapping = mapping
        self.key: str | None = None  # a mapping's current key
        self.index = -1  # a sequence's current item
        self.expect_key = True
        self.keys: set[str] = set()

    def where(self) -> str:
        if self.mapping:
            return self.key if self.key is not None else ""
        return f"[{max(self.index, 0)}]"


def _path(stack: list[_Level]) -> str:
    out = ""
    for level in stack:
        part = level.where()
        if part:
            out += part if part.startswith("[") or not out else f".{part}"
    return out


def _scan_yaml(text: str, file: str, loader_class: type[Any]) -> None:
    import yaml

    from kpi_xl.errors import KpiXlError

    resolve: Callable[..., str] = yaml.resolver.Resolver().resolve
    number = _number_reader()
    stack: list[_Level] = []
    nodes = 0

    def fail(event: Any, message: str) -> KpiXlError:
        mark = getattr(event, "start_mark", None)
        where = _path(stack)
        if len(where) > 60:
            where = where[:57] + "..."
        return KpiXlError(
            (f"key {where!r}: " if where else "") + message,
            file=file,
            line=mark.line + 1 if mark is not None else None,
        )

    node_events = (
        yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent, yaml.AliasEvent
    )  # fmt: skip
    for event in yaml.parse(text, Loader=loader_class):
        if isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            stack.pop()
            continue
        if not isinstance(event, node_events):
            continue
        nodes += 1
        if nodes > MAX_YAML_NODES:
            raise fail(event, f"more than {MAX_YAML_NODES:,} values: expected a short file")
        top = stack[-1] if stack else None
        if top is not None and top.mapping and top.expect_key:
            top.expect_key = False
            key = str(event.value) if isinstance(event, yaml.ScalarEvent) else "?"
            if key in top.keys:
                top.key = key
                raise fail(event, "given twice: expected each key once")
            top.keys.add(key)
            top.key = key
        elif top is not None and top.mapping:
            top.expect_key = True
        elif top is not None:
            top.index += 1
        if isinstance(event, yaml.AliasEvent):
            raise fail(
                event, f"YAML aliases (*{event.anchor}) are not accepted: write the value out"
            )
        if isinstance(event, yaml.ScalarEvent):
            tag = event.tag or ""
            if not tag and event.implicit[0] and not event.style:  # plain: maybe a number
                tag = resolve(yaml.ScalarNode, event.value, (True, False))
            if tag in (_INT, _FLOAT):
                if len(event.value) > MAX_YAML_NUMBER_CHARS:
                    raise fail(
                        event,
                        f"a number of {len(event.value):,} characters: expected at most "
                        f"{MAX_YAML_NUMBER_CHARS}",
                    )
                value = number(event.value.strip(), tag)
                if value is None:
                    raise fail(event, f"{event.value!r} is not a number")
                if math.isfinite(value) and abs(value) > MAX_YAML_NUMBER:
                    raise fail(
                        event,
                        f"{event.value} is too large: expected a number of at most "
                        f"{MAX_YAML_NUMBER:.0e}",
                    )
            continue
        stack.append(_Level(isinstance(event, yaml.MappingStartEvent)))
        if len(stack) > MAX_YAML_DEPTH:
            raise fail(event, f"nested more than {MAX_YAML_DEPTH} levels deep")


_INT, _FLOAT = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"


def _number_reader() -> Callable[[str, str], float | None]:
    """A function reading a YAML 1.1 number (as the safe loader would) to a float; None for
    a value tagged as a number that is none."""
    import yaml

    constructor = yaml.constructor.SafeConstructor()

    def read(value: str, tag: str) -> float | None:
        node = yaml.ScalarNode(tag, value)
        try:
            if tag == _INT:
                return float(constructor.construct_yaml_int(node))
            return float(constructor.construct_yaml_float(node))
        except (ValueError, OverflowError, yaml.YAMLError):
            return None

    return read
