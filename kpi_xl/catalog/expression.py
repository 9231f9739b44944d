"""A KPI's math, written once as an expression over base measures.

An expression is plain arithmetic over measure names, e.g. ``conversions / sessions`` or
``(revenue - cost) / cost``, plus ``prev(measure)`` for the same measure in the previous
period. From the one parsed tree this module derives:

* :meth:`Expression.evaluate` - a vectorized evaluator (scalars, numpy arrays, pandas
  Series); division by zero gives NaN, never an exception;
* :meth:`Expression.to_excel` - the Excel formula text for given cell references or
  SUMIFS sub-expressions, ``IFERROR``-guarded and portable (operators only);
* :meth:`Expression.to_words` - the formula in words, for any language's measure names.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

Value: TypeAlias = "float | np.ndarray[Any, Any] | pd.Series[Any]"

PREV = "prev"

_PRECEDENCE: dict[type[ast.operator], int] = {ast.Add: 1, ast.Sub: 1, ast.Mult: 2, ast.Div: 2}
_EXCEL_OP: dict[type[ast.operator], str] = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_WORD_OP: dict[type[ast.operator], str] = {
    ast.Add: "+",
    ast.Sub: "\u2212",  # minus sign
    ast.Mult: "\u00d7",  # multiplication sign
    ast.Div: "\u00f7",  # division sign
}


class ExpressionError(ValueError):
    """The expression text uses something other than the allowed arithmetic."""


def _validate(node: ast.AST, text: str) -> None:
    match node:
        case ast.Expression(body=body):
            _validate(body, text)
        case ast.BinOp(left=left, op=op, right=right) if type(op) in _PRECEDENCE:
            _validate(left, text)
            _validate(right, text)
        case ast.UnaryOp(op=ast.USub(), operand=operand):
            _validate(operand, text)
        case ast.Name():
            pass
        case ast.Constant(value=value) if isinstance(value, int | float) and not isinstance(
            value, bool
        ):
            pass
        case ast.Call(func=ast.Name(id=name), args=[ast.Name()], keywords=[]) if name == PREV:
            pass
        case _:
            raise ExpressionError(
                f"{text!r}: only + - * /, numbers, measure names and prev(measure) are allowed"
            )


def _names(node: ast.AST) -> tuple[list[str], list[str]]:
    """Measure names read in the current period and via ``prev(...)``, in order."""
    nodes = sorted(
        (n for n in ast.walk(node) if isinstance(n, ast.Name | ast.Call)),
        key=lambda n: n.col_offset,
    )
    prev_args = [s.args[0] for s in nodes if isinstance(s, ast.Call)]
    previous = [a.id for a in prev_args if isinstance(a, ast.Name)]
    inside = {id(a) for a in prev_args}
    current = [
        s.id for s in nodes if isinstance(s, ast.Name) and s.id != PREV and id(s) not in inside
    ]
    return list(dict.fromkeys(current)), list(dict.fromkeys(previous))


def _as_number(value: Any) -> Any:
    if isinstance(value, pd.Series):
        return value.astype("float64")
    if isinstance(value, np.ndarray | list | tuple):
        return np.asarray(value, dtype="float64")
    if value is None:
        return np.float64("nan")
    return np.float64(value)


def _divide(numerator: Any, denominator: Any) -> Any:
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        result = numerator / denominator
    if isinstance(result, pd.Series):
        return result.where(np.isfinite(result.to_numpy()))
    if isinstance(result, np.ndarray):
        return np.where(np.isfinite(result), result, np.nan)
    return result if np.isfinite(result) else np.float64("nan")


@dataclass(frozen=True)
class Expression:
    """A parsed KPI expression. Build with :meth:`parse`."""

    text: str
    tree: ast.expr = field(repr=False, compare=False)
    measures: tuple[str, ...]
    previous: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> Expression:
        try:
            module = ast.parse(text.strip(), mode="eval")
        except SyntaxError as exc:
            raise ExpressionError(f"{text!r} is not valid arithmetic: {exc.msg}") from None
        _validate(module, text)
        current, previous = _names(module.body)
        return cls(text.strip(), module.body, tuple(current), tuple(previous))

    @property
    def all_measures(self) -> tuple[str, ...]:
        """Every measure the expression reads, current or previous period."""
        return tuple(dict.fromkeys(self.measures + self.previous))

    @property
    def denominators(self) -> tuple[str, ...]:
        """Measures read in the current period on the right of a division."""
        found: list[str] = []
        for node in ast.walk(self.tree):
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
                inside_prev = {
                    id(a)
                    for sub in ast.walk(node.right)
                    if isinstance(sub, ast.Call)
                    for a in sub.args
                }
                found += [
                    n.id
                    for n in ast.walk(node.right)
                    if isinstance(n, ast.Name) and n.id != PREV and id(n) not in inside_prev
                ]
        return tuple(dict.fromkeys(found))

    @property
    def is_identity(self) -> bool:
        """True when the KPI is a base measure itself (``sessions``)."""
        return isinstance(self.tree, ast.Name)

    # -- Python --------------------------------------------------------------------------

    def evaluate(
        self,
        values: Mapping[str, Any],
        previous: Mapping[str, Any] | None = None,
    ) -> Any:
        """Evaluate on scalars, arrays or Series; x/0 gives NaN."""

        def visit(node: ast.expr) -> Any:
            match node:
                case ast.BinOp(left=left, op=ast.Div(), right=right):
                    return _divide(visit(left), visit(right))
                case ast.BinOp(left=left, op=op, right=right):
                    a, b = visit(left), visit(right)
                    if isinstance(op, ast.Add):
                        return a + b
                    if isinstance(op, ast.Sub):
                        return a - b
                    return a * b
                case ast.UnaryOp(operand=operand):
                    return -visit(operand)
                case ast.Constant(value=value):
                    return np.float64(float(value))  # type: ignore[arg-type]
                case ast.Call(args=[ast.Name(id=name)]):
                    if previous is None or name not in previous:
                        raise KeyError(f"prev({name}) needs the previous period's {name}")
                    return _as_number(previous[name])
                case ast.Name(id=name):
                    return _as_number(values[name])
            raise AssertionError(node)  # pragma: no cover - validated at parse time

        result = visit(self.tree)
        if isinstance(result, np.ndarray) and result.ndim == 0:
            return float(result)
        if isinstance(result, np.floating):
            return float(result)
        return result

    # -- Excel and words -----------------------------------------------------------------

    def _render(
        self,
        leaf: Callable[[str], str],
        prev_leaf: Callable[[str], str],
        ops: Mapping[type[ast.operator], str],
        spaced: bool,
    ) -> str:
        def visit(node: ast.expr, parent: int = 0, right_side: bool = False) -> str:
            match node:
                case ast.BinOp(left=left, op=op, right=right):
                    level = _PRECEDENCE[type(op)]
                    sep = f" {ops[type(op)]} " if spaced else ops[type(op)]
                    text = visit(left, level) + sep + visit(right, level, True)
                    needs = level < parent or (level == parent and right_side)
                    return f"({text})" if needs else text
                case ast.UnaryOp(operand=operand):
                    return "-" + visit(operand, 3)
                case ast.Constant(value=value):
                    return repr(value)
                case ast.Call(args=[ast.Name(id=name)]):
                    return prev_leaf(name)
                case ast.Name(id=name):
                    return leaf(name)
            raise AssertionError(node)  # pragma: no cover

        return visit(self.tree)

    def to_excel(
        self,
        refs: Mapping[str, str],
        previous_refs: Mapping[str, str] | None = None,
        *,
        blank: str = '""',
        guard: bool = True,
    ) -> str:
        """Excel formula text (without the leading ``=``).

        ``refs`` maps each measure to a cell reference or sub-expression (e.g. a SUMIFS);
        ``previous_refs`` does the same for ``prev(measure)``. With ``guard`` the result is
        wrapped in ``IFERROR(..., blank)`` so a zero denominator shows as empty text.
        """
        prev = previous_refs or {}

        def prev_leaf(name: str) -> str:
            if name not in prev:
                raise KeyError(f"prev({name}) needs a reference for the previous period")
            return prev[name]

        body = self._render(lambda n: refs[n], prev_leaf, _EXCEL_OP, spaced=False)
        needs_guard = guard and any(isinstance(n, ast.Div) for n in ast.walk(self.tree))
        return f"IFERROR({body},{blank})" if needs_guard else body

    def to_words(self, names: Mapping[str, str], previous_label: str = "{name} (prev)") -> str:
        """The formula in words, e.g. ``Conversions ÷ Sessions``."""
        return self._render(
            lambda n: names.get(n, n),
            lambda n: previous_label.format(name=names.get(n, n)),
            _WORD_OP,
            spaced=True,
        )
