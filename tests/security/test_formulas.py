"""Formulas from a hostile scheme: refused at load when outside the allow-list (GS306), exact and
bounded when run, and stopped per unit (GS502/GS503) without stopping the batch."""

from __future__ import annotations

import ast
import copy
import decimal
from decimal import Decimal
from pathlib import Path

import pytest

import govscore
from govscore.language import formulas

from .common import bounded_work, tiny, tiny_plan, unit

NAMES = {"a": None, "b": None, "p": None, "total": None}
SENTINEL = Path("/tmp/govscore-security-pwned")

# Known escapes from simpleeval and other Python sandboxes, and every syntax form outside the
# allow-list. Sources: simpleeval #15 (function __globals__), PR #14 (method calls reaching
# __subclasses__), #138 (generator gi_frame → f_globals), GHSA-44vg-5wv2-h2hg / CVE-2026-32640
# (modules and callbacks reachable through attributes of passed-in objects), asteval #32
# (str.format), and the classic eval-is-dangerous payloads.
HOSTILE = [
    # attribute chains to object, subclasses, globals, builtins
    "().__class__.__bases__[0].__subclasses__()",
    "().__class__.__bases__",
    "True.__class__.__class__.__base__.__subclasses__()",
    "a.__class__",
    "a.__class__.__mro__[1].__subclasses__()",
    "min.__globals__",
    "min.__globals__['__builtins__']['__import__']('os')",
    "round.__code__",
    "abs.__self__",
    "max.__call__(1)",
    "a.real",
    "a.as_integer_ratio()",
    "a.__reduce_ex__(2)",
    "(1).__class__",
    "min.__builtins__",
    "clamp.__closure__",
    "floor.__defaults__",
    # builtins by name
    "__import__('os').system('touch /tmp/govscore-security-pwned')",
    "__import__",
    "__builtins__",
    "__builtins__.open",
    "__class__",
    "__name__",
    "__file__",
    "__loader__",
    "__spec__",
    "_",
    "_a",
    "globals()",
    "locals()",
    "vars()",
    "dir()",
    "getattr(a, '__class__')",
    "getattr(min, '__globals__')",
    "setattr(a, 'x', 1)",
    "delattr(a, 'x')",
    "eval('1')",
    "exec('import os')",
    "compile('1', '', 'eval')",
    "open('/tmp/govscore-security-pwned', 'w')",
    "input()",
    "print(a)",
    "breakpoint()",
    "help()",
    "exit()",
    "quit()",
    "type(a)",
    "type('X', (), {})",
    "object()",
    "super()",
    "memoryview(a)",
    "bytearray(999999999)",
    "float('nan')",
    "float(a)",
    "int(a)",
    "str(a)",
    "rand()",
    "randint(9)",
    "sum(range(999999999))",
    "range(10)",
    "len(a)",
    "pow(9, 9, 9)",
    "chr(65)",
    "hash(a)",
    "id(a)",
    "iter(a)",
    "isinstance(a, int)",
    "a(1)",
    "min(1)(2)",
    "(min if p else max)(a)",
    # strings and format-string tricks
    "'{0.__class__}'.format(a)",
    "'{0.__globals__}'.format(min)",
    "'%s' % a",
    "'x' * 999999999",
    "'abc'",
    "b'abc'",
    "r'x'",
    "'''x'''",
    "f'{a}'",
    "f'{a.__class__}'",
    "f'{a!r}'",
    "f'{a:>999999999}'",
    # lambdas, generators, comprehensions
    "lambda: 1",
    "(lambda x: x)(1)",
    "(lambda: __import__('os'))()",
    "(x for x in [1])",
    "(x for x in ()).gi_frame.f_globals['__builtins__']",
    "[x for x in [1]]",
    "[x for x in range(999999999)]",
    "{x for x in [1]}",
    "{x: 1 for x in [1]}",
    "(yield)",
    "(yield from a)",
    "(await a)",
    # containers, subscripts, starred and keyword arguments
    "a[0]",
    "[1, 2][0]",
    "a[::-1]",
    "(1, 2)",
    "[1]",
    "{1}",
    "{1: 2}",
    "{**a}",
    "[*a]",
    "min(*a)",
    "min(**a)",
    "max(a, key=b)",
    "round(a, ndigits=2)",
    # operators outside the allow-list
    "a @ b",
    "a << 1",
    "a >> 1",
    "a & b",
    "a | b",
    "a ^ b",
    "~a",
    "a is b",
    "a is not b",
    "a in b",
    "a not in b",
    # statements, assignment, walrus
    "(a := 1)",
    "a := 1",
    "[b := 1 for a in b]",
    "import os",
    "from os import system",
    "a = 1",
    "a += 1",
    "a: int = 1",
    "del a",
    "assert a",
    "pass",
    "global a",
    "raise a",
    "a; b",
    "a\nb",
    "a\rb",
    "a \\\n+ b",
    "if a: b",
    "with a: b",
    "def f(): pass",
    "class A: pass",
    "async def f(): pass",
    # literals other than plain decimals
    "...",
    "None",
    "Ellipsis",
    "1j",
    "1e3",
    "1E9999",
    "1_000",
    "0x1F",
    "0o17",
    "0b101",
    # Unicode: compatibility forms and look-alikes of ASCII names
    "ｔｏｔａｌ",  # fullwidth
    "tоtal",  # Cyrillic о
    "аb",  # Cyrillic а
    "ａ + b",
    "𝐚 + b",  # mathematical bold a
    "＿＿import＿＿('os')",  # fullwidth low lines normalise to __import__
    "ⅰ",  # Roman numeral one
    "ıd",  # dotless i
    "ꓲd",  # Lisu letter
    "ᴛotal",  # small capital
    "a\u200b",  # zero-width space
    "a\x00",
]
assert len(HOSTILE) == len(set(HOSTILE))


@pytest.mark.parametrize("formula", HOSTILE)
def test_hostile_formula_refused_at_compile(formula: str) -> None:
    """Every hostile formula is refused by the allow-list before anything runs (GS306)."""
    names = dict(NAMES)
    names.update({"ｔｏｔａｌ": None, "tоtal": None, "аb": None, "ıd": None, "ꓲd": None,
                  "ᴛotal": None, "id": None, "d": None})
    with pytest.raises(formulas.FormulaError) as info:
        formulas.compile_formula(formula, names)
    assert info.value.code == "GS306"
    assert not SENTINEL.exists()


@pytest.mark.parametrize("formula", HOSTILE)
def test_hostile_formula_refused_by_the_loader(formula: str) -> None:
    """The same formulas in a scheme file: SchemeError with GS306 at the formula's line."""
    text = tiny(formula)
    with pytest.raises(govscore.SchemeError) as info:
        govscore.load(text=text, name="hostile.yaml")
    codes = {d.code for d in info.value.diagnostics}
    assert "GS306" in codes, info.value.diagnostics
    d = next(d for d in info.value.diagnostics if d.code == "GS306")
    assert d.span is not None
    assert d.span.line == text.splitlines().index(
        next(line for line in text.splitlines() if "kind: formula" in line)) + 1
    assert d.pointer == "/score/children/0/rule/formula"
    assert not SENTINEL.exists()


def test_allowed_formulas_still_work() -> None:
    """The allow-list keeps everything the language documents, Chinese names included."""
    names = {**NAMES, "完成率": None}
    for formula in ["a + b - a * b / 2", "a // 3 + a % 3", "-a + +b", "a ** 2", "a ** -2",
                    "min(a, b) + max(a, b) + abs(a) + floor(a) + ceil(a) + round(a, 1)",
                    "clamp(a, 0, 10)", "a if p and not (a > b or a == b) else b",
                    "1 < a <= 3", "完成率 * 100", "(min)(a)", "a  # a comment", "True",
                    "min(a,)"]:
        formulas.compile_formula(formula, names)


def test_literals_are_exact_decimals() -> None:
    """Numeric literals become Decimals from their source text: 0.1 + 0.2 == 0.3 exactly."""
    run = formulas.compile_formula
    assert run("0.1 + 0.2 == 0.3", {}).evaluate({}) is True
    assert run("0.1 + 0.2", {}).evaluate({}) == Decimal("0.3")
    value = run("0.1 * 3", {}).evaluate({})
    assert isinstance(value, Decimal)
    assert value == Decimal("0.3")
    assert run("2.345", {}).evaluate({}) == Decimal("2.345")


@pytest.mark.parametrize(("formula", "why"), [
    ("9 ** 9 ** 9", "whole exponent within"),
    ("a ** 65", "whole exponent within"),
    ("2 ** 0.5", "whole exponent within"),
    ("10 ** 64 * 10 ** 64", "grew beyond"),
    ("999999999999999 * 999999999999999", "grew beyond"),
    ("1000000000000000 // 0.000000000000001", "grew beyond"),
    ("0 ** -1", "grew beyond"),
    ("a * 999999999999999 * 999999999999999", "grew beyond"),
])
def test_powers_and_magnitudes_are_bounded(formula: str, why: str,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Huge powers and products stop at once with an error, never compute a giant number.

    Counted, not timed: the evaluator reads its clock once per node it visits, so a clock that
    never moves counts the visits (and its deadline cannot fire); every result is checked by
    ``_bounded``, which records how big it was. The error comes from the size guard after at most
    one visit per node of the formula, and no value ever reached more digits than an allowed
    operand (below 10^15) to an allowed power (at most 64) has."""
    visits: list[None] = []
    sizes: list[int] = []
    monkeypatch.setattr(formulas, "_clock", lambda: visits.append(None) or 0.0)
    real_bounded = formulas._bounded

    def bounded(value: Decimal) -> Decimal:
        sizes.append(value.adjusted())
        return real_bounded(value)

    monkeypatch.setattr(formulas, "_bounded", bounded)
    compiled = formulas.compile_formula(formula, NAMES)
    visits.clear()  # the evaluator is made with its deadline read once
    with bounded_work(), pytest.raises(formulas.FormulaError, match=why) as info:
        compiled.evaluate({"a": Decimal(2), "b": Decimal(1), "p": True, "total": Decimal(0)})
    assert info.value.code != "GS503"  # the size guard stopped it, not the step or time limit
    assert len(visits) <= 1 + len(list(ast.walk(ast.parse(formula, mode="eval"))))
    assert max(sizes, default=0) <= formulas.MAX_MAGNITUDE.adjusted() * formulas.MAX_EXPONENT


def test_limits_on_length_nodes_and_depth() -> None:
    """Length, node count and nesting depth are bounded at load."""
    with pytest.raises(formulas.FormulaError, match="longer than"):
        formulas.compile_formula("a + " * 600 + "a", NAMES)
    with pytest.raises(formulas.FormulaError, match="parts"):
        formulas.compile_formula("a" + " + a" * 200, NAMES)
    with pytest.raises(formulas.FormulaError, match="nested deeper"):
        formulas.compile_formula("-(" * 45 + "a" + ")" * 45, NAMES)
    with pytest.raises(formulas.FormulaError, match="nested parentheses"):
        formulas.compile_formula("(" * 500 + "a" + ")" * 500, NAMES)
    with pytest.raises(formulas.FormulaError, match="too large"):
        formulas.compile_formula("1" * 1999, NAMES)


def test_division_by_zero_is_an_error_for_that_unit_only() -> None:
    """a / b with b = 0 rejects that unit with GS502; the others are scored."""
    plan = tiny_plan("a / b")
    result = govscore.evaluate_all(plan, [unit("u1", a=1, b=0), unit("u2", a=1, b=4),
                                          unit("u3", a=0, b=0)])
    assert set(result.results) == {"u2"}
    assert result.results["u2"].total == Decimal("0.25")
    assert [(r.unit, [d.code for d in r.diagnostics]) for r in result.rejected] == [
        ("u1", ["GS502"]), ("u3", ["GS502"])]
    with pytest.raises(govscore.EvaluationError) as info:
        govscore.evaluate(plan, unit("u1", a=1, b=0))
    assert info.value.code == "GS502"


def test_formulas_cannot_change_what_others_see() -> None:
    """An evaluation leaves its inputs, the compiled tree, the module tables and the caller's
    decimal context as they were, so no unit or item sees another's state."""
    compiled = formulas.compile_formula("clamp(a / b, 0, 1) + round(a, 2) if p else min(a, b)",
                                     NAMES)
    tree = ast.dump(compiled._tree)
    functions, operators = dict(formulas.FUNCTIONS), dict(formulas.OPERATORS)
    env = {"a": Decimal(1), "b": Decimal(3), "p": True, "total": Decimal(0)}
    before = copy.deepcopy(env)
    outer = decimal.getcontext()
    prec, traps, flags = outer.prec, dict(outer.traps), dict(outer.flags)
    first = compiled.evaluate(env)
    with pytest.raises(formulas.FormulaError):
        compiled.evaluate({**env, "b": Decimal(0)})
    assert compiled.evaluate(env) == first
    assert env == before
    assert ast.dump(compiled._tree) == tree
    assert functions == formulas.FUNCTIONS
    assert operators == formulas.OPERATORS
    assert decimal.getcontext() is outer
    assert (outer.prec, dict(outer.traps), dict(outer.flags)) == (prec, traps, flags)


def test_units_do_not_depend_on_each_other() -> None:
    """Scoring units together or one by one, in any order, gives the same totals."""
    plan = tiny_plan("a / b if p else a * b / 7")
    units = [unit(f"u{i}", a=i, b=(i % 4), p=bool(i % 2)) for i in range(12)]
    together = govscore.evaluate_all(plan, units)
    backwards = govscore.evaluate_all(plan, units[::-1])
    for u in units:
        alone = govscore.evaluate_all(plan, [u])
        if u["id"] in together.results:
            assert together.results[u["id"]].total == alone.results[u["id"]].total
            assert backwards.results[u["id"]].total == alone.results[u["id"]].total
        else:
            assert [r.unit for r in alone.rejected] == [u["id"]]


# ------------------------------------------------------------------------- the run-time guard

SLOW_WHEN_NOT_P = "a if p else a + a + a + a + a + a + a + a + a + a"


def test_step_guard_stops_one_unit_and_the_batch_goes_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the step limit lowered between the short and the long branch, the unit that takes
    the long branch gets GS503 and every other unit is scored."""
    plan = tiny_plan(SLOW_WHEN_NOT_P)
    monkeypatch.setattr(formulas, "MAX_STEPS", 8)
    result = govscore.evaluate_all(plan, [unit("fast1", a=1, p=True), unit("slow", a=1, p=False),
                                          unit("fast2", a=2, p=True)])
    assert set(result.results) == {"fast1", "fast2"}
    assert [(r.unit, [d.code for d in r.diagnostics]) for r in result.rejected] == [
        ("slow", ["GS503"])]
    assert "steps" in result.rejected[0].diagnostics[0].message


def test_wall_clock_guard_stops_one_unit(monkeypatch: pytest.MonkeyPatch) -> None:
    """A clock that moves 0.1 s per node visited: the long branch passes the 1 s budget."""
    ticks = iter(range(10**6))
    monkeypatch.setattr(formulas, "_clock", lambda: next(ticks) / 10)
    plan = tiny_plan(SLOW_WHEN_NOT_P)
    result = govscore.evaluate_all(plan, [unit("fast", a=1, p=True), unit("slow", a=1, p=False)])
    assert set(result.results) == {"fast"}
    (rejected,) = result.rejected
    assert rejected.diagnostics[0].code == "GS503"
    assert "longer than" in rejected.diagnostics[0].message
    with pytest.raises(govscore.EvaluationError) as info:
        govscore.evaluate(plan, unit("slow", a=1, p=False))
    assert info.value.code == "GS503"


def test_guard_never_binds_on_the_largest_formula() -> None:
    """The default limits leave room for the largest formula the load limits allow."""
    formula = "max(" + ", ".join(["a"] * 146) + ") + b"
    assert len(list(ast.walk(ast.parse(formula).body[0]))) == formulas.MAX_NODES
    assert formulas.MAX_STEPS >= formulas.MAX_NODES
    compiled = formulas.compile_formula(formula, NAMES)
    assert compiled.evaluate({"a": Decimal(1), "b": Decimal(2)}) == 3
