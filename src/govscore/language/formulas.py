"""Formulas: parsed and checked once, evaluated in Decimal. The only module importing simpleeval.

A formula is one Python-syntax expression restricted to an allow-list: numbers, names, arithmetic
(+ - * / // % and bounded **), comparisons, and/or/not, ``a if c else b`` and calls of the
functions in :data:`FUNCTIONS` by name. No attributes, subscripts, strings, comprehensions,
lambdas, keywords or starred arguments. Numeric literals become decimals from their source text
(``0.1`` is exactly one tenth). Names are checked against the names the context declares.

Evaluation runs in a local decimal context that traps invalid operations, division by zero and
overflow; every intermediate value is bounded in magnitude, and powers are bounded.
"""

from __future__ import annotations

import ast
import decimal
import time
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import simpleeval

from govscore.errors import GovscoreError
from govscore.textsafe import excerpt

MAX_LENGTH = 2000
MAX_NODES = 300
MAX_DEPTH = 40
MAX_MAGNITUDE = Decimal("1e15")
MAX_EXPONENT = 64
MAX_STEPS = 10 * MAX_NODES
"""Nodes one evaluation may visit. A checked formula has no loops and visits each node at most
once, so this never binds today; it stops any future construct that could repeat work."""
MAX_SECONDS = 1.0
"""Wall-clock seconds one evaluation may take (checked at every node; GS503 for that unit)."""
_clock = time.monotonic

Value = Decimal | bool


class FormulaError(GovscoreError):
    """A formula is outside the allowed syntax or names (at compile time: GS306, with the
    1-based ``column`` where known) or failed (at run: GS502 arithmetic, GS503 too long).
    ``str()`` is the message alone; the code and column are attributes."""

    def __init__(self, message: str, *, column: int | None = None, code: str = "GS306") -> None:
        self.column = column
        self.code = code
        super().__init__(message)

    def located(self, where: str, text: str) -> FormulaError:
        """This error naming where it happened (``item 'f'``, ``output 'x'``) and the formula,
        as a bounded excerpt when the message does not quote it already."""
        message = str(self)
        if where in message:
            where = ""
        if text not in message:
            message += f" (formula {excerpt(text, 80)})"
        return FormulaError(f"{where}: {message}" if where else message, column=self.column,
                            code=self.code)


def _num(value: object, what: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal):
        msg = f"{what} needs a number, got {value!r}"
        raise FormulaError(msg)
    return value


def _bounded(value: Decimal) -> Decimal:
    if abs(value) > MAX_MAGNITUDE:
        msg = f"a value in the formula grew beyond {MAX_MAGNITUDE:e}"
        raise FormulaError(msg)
    return value


def _round(x: object, places: object = Decimal(0)) -> Decimal:
    n = _num(places, "round's places")
    if n != n.to_integral_value() or not 0 <= n <= 10:  # noqa: PLR2004 - documented bound
        msg = "round's places must be a whole number 0..10"
        raise FormulaError(msg)
    return _num(x, "round").quantize(Decimal(1).scaleb(-int(n)), rounding=decimal.ROUND_HALF_UP)


def _min(*args: object) -> Decimal:
    if not args:
        msg = "min needs at least one argument"
        raise FormulaError(msg)
    return min(_num(a, "min") for a in args)


def _max(*args: object) -> Decimal:
    if not args:
        msg = "max needs at least one argument"
        raise FormulaError(msg)
    return max(_num(a, "max") for a in args)


def _clamp(x: object, lo: object, hi: object) -> Decimal:
    low, high = _num(lo, "clamp"), _num(hi, "clamp")
    if low > high:
        msg = "clamp's low bound is above its high bound"
        raise FormulaError(msg)
    return min(max(_num(x, "clamp"), low), high)


FUNCTIONS: dict[str, Callable[..., Decimal]] = {
    "min": _min,
    "max": _max,
    "abs": lambda x: abs(_num(x, "abs")),
    "floor": lambda x: _num(x, "floor").to_integral_value(rounding=decimal.ROUND_FLOOR),
    "ceil": lambda x: _num(x, "ceil").to_integral_value(rounding=decimal.ROUND_CEILING),
    "round": _round,
    "clamp": _clamp,
}
"""Functions a formula may call: min, max, abs, floor, ceil, round(x, places) (half-up) and
clamp(x, low, high)."""


def _arith(op: Callable[[Decimal, Decimal], Decimal], sym: str) -> Callable[[Any, Any], Decimal]:
    def apply(a: object, b: object) -> Decimal:
        return _bounded(op(_num(a, f"'{sym}'"), _num(b, f"'{sym}'")))

    return apply


def _power(a: object, b: object) -> Decimal:
    base, exp = _num(a, "'**'"), _num(b, "'**'")
    if exp != exp.to_integral_value() or abs(exp) > MAX_EXPONENT:
        msg = f"'**' needs a whole exponent within ±{MAX_EXPONENT}"
        raise FormulaError(msg)
    return _bounded(base**exp)


def _compare(op: Callable[[Decimal, Decimal], bool], sym: str) -> Callable[[Any, Any], bool]:
    def apply(a: object, b: object) -> bool:
        if isinstance(a, bool) and isinstance(b, bool) and sym in ("==", "!="):
            return op(a, b)  # type: ignore[arg-type]
        return op(_num(a, f"'{sym}'"), _num(b, f"'{sym}'"))

    return apply


def _not(a: object) -> bool:
    if not isinstance(a, bool):
        msg = f"'not' needs true or false, got {a!r}"
        raise FormulaError(msg)
    return not a


def _neg(a: object) -> Decimal:
    return -_num(a, "'-'")


def _pos(a: object) -> Decimal:
    return _num(a, "'+'")


OPERATORS: dict[type, Callable[..., Any]] = {
    ast.Add: _arith(lambda a, b: a + b, "+"),
    ast.Sub: _arith(lambda a, b: a - b, "-"),
    ast.Mult: _arith(lambda a, b: a * b, "*"),
    ast.Div: _arith(lambda a, b: a / b, "/"),
    ast.FloorDiv: _arith(lambda a, b: a // b, "//"),
    ast.Mod: _arith(lambda a, b: a % b, "%"),
    ast.Pow: _power,
    ast.USub: _neg,
    ast.UAdd: _pos,
    ast.Not: _not,
    ast.Eq: _compare(lambda a, b: a == b, "=="),
    ast.NotEq: _compare(lambda a, b: a != b, "!="),
    ast.Lt: _compare(lambda a, b: a < b, "<"),
    ast.LtE: _compare(lambda a, b: a <= b, "<="),
    ast.Gt: _compare(lambda a, b: a > b, ">"),
    ast.GtE: _compare(lambda a, b: a >= b, ">="),
}

_ALLOWED_NODES = (
    ast.Module, ast.Expr, ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.IfExp, ast.Call,
    ast.Name, ast.Load, ast.Constant, ast.And, ast.Or,
    *OPERATORS.keys(),
)
_LOOKALIKE_BLOCKS = ("CYRILLIC", "GREEK", "ARMENIAN", "CHEROKEE", "FULLWIDTH", "MATHEMATICAL")
_NAME_SCRIPTS = ("CJK UNIFIED IDEOGRAPH", "HIRAGANA", "KATAKANA", "HANGUL", "BOPOMOFO")
"""Besides ASCII, a name may only use these scripts: an allow-list, because look-alikes of Latin
letters are spread over many blocks (dotless ı, Lisu ꓲ, small capital ᴛ, Latin alpha ɑ …)."""


class _DecimalEval(simpleeval.SimpleEval):
    """simpleeval with our operators and functions and no defaults (its defaults include rand
    and float). Boolean operators insist on real booleans. Every node visited counts against
    :data:`MAX_STEPS` and :data:`MAX_SECONDS`."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._steps = 0
        self._deadline = _clock() + MAX_SECONDS

    def _eval(self, node: ast.AST) -> Any:
        self._steps += 1
        if self._steps > MAX_STEPS:
            msg = f"the formula took more than {MAX_STEPS} steps"
            raise FormulaError(msg, code="GS503")
        if _clock() > self._deadline:
            msg = f"the formula took longer than {MAX_SECONDS} s"
            raise FormulaError(msg, code="GS503")
        return super()._eval(node)

    def _eval_boolop(self, node: ast.BoolOp) -> bool:
        for value_node in node.values:
            value = self._eval(value_node)
            if not isinstance(value, bool):
                msg = f"'and'/'or' need true or false, got {value!r}"
                raise FormulaError(msg)
            if isinstance(node.op, ast.And) and not value:
                return False
            if isinstance(node.op, ast.Or) and value:
                return True
        return isinstance(node.op, ast.And)

    def _eval_ifexp(self, node: ast.IfExp) -> Any:
        test = self._eval(node.test)
        if not isinstance(test, bool):
            msg = f"'if' needs true or false, got {test!r}"
            raise FormulaError(msg)
        return self._eval(node.body) if test else self._eval(node.orelse)


@dataclass(frozen=True)
class CompiledFormula:
    """A checked formula, ready to evaluate many times."""

    text: str
    names: frozenset[str]
    _tree: ast.Expr

    def evaluate(self, names: Mapping[str, Value]) -> Value:
        """Evaluate with fresh values for the names; raise FormulaError on any failure."""
        missing = self.names - names.keys()
        if missing:
            msg = f"no value for {', '.join(sorted(missing))}"
            raise FormulaError(msg)
        evaluator = _DecimalEval(operators=OPERATORS, functions=FUNCTIONS, names=dict(names))
        ctx = decimal.Context(prec=34, rounding=decimal.ROUND_HALF_EVEN,
                              traps=[decimal.InvalidOperation, decimal.DivisionByZero,
                                     decimal.Overflow])
        try:
            with decimal.localcontext(ctx):
                result = evaluator.eval(self.text, previously_parsed=self._tree)
        except FormulaError:
            raise
        except decimal.DivisionByZero:
            msg = f"division by zero in {self.text!r}"
            raise FormulaError(msg, code="GS502") from None
        except (decimal.DecimalException, ArithmeticError) as exc:
            msg = f"arithmetic error in {self.text!r}: {type(exc).__name__}"
            raise FormulaError(msg, code="GS502") from None
        except (simpleeval.InvalidExpression, TypeError, ValueError, KeyError, RecursionError) as exc:
            msg = f"formula {self.text!r} failed: {exc}"
            raise FormulaError(msg, code="GS502") from None
        if not isinstance(result, (Decimal, bool)):
            msg = f"formula {self.text!r} gave {result!r}, not a number"
            raise FormulaError(msg, code="GS502")
        return result


def _depth(node: ast.AST) -> int:
    children = list(ast.iter_child_nodes(node))
    return 1 + max((_depth(c) for c in children), default=0)


def compile_formula(text: str, allowed_names: Mapping[str, object]) -> CompiledFormula:
    """Parse and check a formula; raise FormulaError naming the first problem and its column."""
    if len(text) > MAX_LENGTH:
        msg = f"formula longer than {MAX_LENGTH} characters"
        raise FormulaError(msg)
    if "\n" in text.strip() or ";" in text:
        msg = "a formula is a single expression on one line"
        raise FormulaError(msg)
    try:
        module = ast.parse(text.strip(), mode="exec")
    except SyntaxError as exc:
        msg = f"not a valid formula: {exc.msg}"
        raise FormulaError(msg, column=exc.offset) from None
    except (ValueError, RecursionError, MemoryError):
        msg = "not a valid formula"
        raise FormulaError(msg) from None
    if len(module.body) != 1 or not isinstance(module.body[0], ast.Expr):
        msg = "a formula is a single expression"
        raise FormulaError(msg)
    tree = module.body[0]
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_NODES:
        msg = f"formula has more than {MAX_NODES} parts"
        raise FormulaError(msg)
    if _depth(tree) > MAX_DEPTH:
        msg = f"formula nested deeper than {MAX_DEPTH}"
        raise FormulaError(msg)
    source = text.strip()
    used: set[str] = set()
    for node in nodes:
        col = getattr(node, "col_offset", None)
        column = col + 1 if col is not None else None
        if not isinstance(node, _ALLOWED_NODES):
            msg = f"{type(node).__name__} is not allowed in a formula"
            raise FormulaError(msg, column=column)
        if isinstance(node, ast.Constant):
            _rewrite_constant(node, source)
        elif isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                name = node.func.id if isinstance(node.func, ast.Name) else "this"
                msg = f"unknown function {name!r}; allowed: {', '.join(sorted(FUNCTIONS))}"
                raise FormulaError(msg, column=column)
            if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
                msg = "functions take plain positional arguments only"
                raise FormulaError(msg, column=column)
        elif isinstance(node, ast.Name):
            _check_name(node, source)
            if node.id in FUNCTIONS and not _is_call_target(node, nodes):
                msg = f"{node.id!r} is a function; call it with ()"
                raise FormulaError(msg, column=column)
            if node.id not in FUNCTIONS:
                if node.id not in allowed_names:
                    msg = f"unknown name {node.id!r}"
                    raise FormulaError(msg, column=column)
                used.add(node.id)
    return CompiledFormula(text=source, names=frozenset(used), _tree=tree)


def _is_call_target(name: ast.Name, nodes: list[ast.AST]) -> bool:
    return any(isinstance(n, ast.Call) and n.func is name for n in nodes)


def _rewrite_constant(node: ast.Constant, source: str) -> None:
    value = node.value
    if isinstance(value, bool):
        return
    if isinstance(value, (int, float)):
        segment = ast.get_source_segment(source, node) or ""
        if "e" in segment.lower() or "_" in segment or "j" in segment.lower():
            msg = f"write numbers as plain decimals, not {segment!r}"
            raise FormulaError(msg, column=node.col_offset + 1)
        try:
            number = Decimal(segment)
        except decimal.InvalidOperation:
            msg = f"not a number: {segment!r}"
            raise FormulaError(msg, column=node.col_offset + 1) from None
        # the evaluator returns a Constant's value as it is: make it the exact decimal
        node.value = number  # type: ignore[assignment]
        if abs(number) > MAX_MAGNITUDE:
            msg = f"number {segment} is too large"
            raise FormulaError(msg, column=node.col_offset + 1)
        return
    msg = f"{type(value).__name__} values are not allowed in a formula (numbers only)"
    raise FormulaError(msg, column=node.col_offset + 1)


def _check_name(node: ast.Name, source: str) -> None:
    segment = ast.get_source_segment(source, node)
    if segment != node.id or unicodedata.normalize("NFKC", node.id) != node.id:
        msg = f"name {segment!r} uses look-alike or compatibility characters"
        raise FormulaError(msg, column=node.col_offset + 1)
    if node.id.startswith("_"):
        msg = f"names starting with '_' are not allowed ({node.id!r})"
        raise FormulaError(msg, column=node.col_offset + 1)
    for ch in node.id:
        if not ch.isascii():
            name = unicodedata.name(ch, "")
            if name.startswith(_LOOKALIKE_BLOCKS):
                msg = f"name {node.id!r} contains {name.lower()}, which looks like a Latin letter"
                raise FormulaError(msg, column=node.col_offset + 1)
            if not name.startswith(_NAME_SCRIPTS):
                msg = (f"name {node.id!r} contains {name.lower() or repr(ch)} (U+{ord(ch):04X}); "
                       "formula names use ASCII letters, digits, '_' and Chinese characters")
                raise FormulaError(msg, column=node.col_offset + 1)
