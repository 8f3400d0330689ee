"""What a rule kind is: the one home of everything about turning an item's fact into points.

Each kind (``pass_fail``, ``per_occurrence`` …) is a :class:`RuleKind` subclass in one module of
this package, registered by its ``kind`` (:mod:`govscore.rules`). It owns:

- ``check``: the fact's accepted values, normalised (facts checking calls it);
- ``raw``: the arithmetic, as a function of the checked fact (the interpreter calls it), and
  ``emit_raw`` / ``fast_paths``: the same arithmetic and check written into a generated kernel,
  side by side with ``raw`` so that the two are read and changed together; ``vector_fact`` /
  ``vector``: the same arithmetic over whole columns of units (engine/columnar.py), beside them
  too (a kind without them is scored unit by unit there);
- ``raw_range``: what the raw amount provably stays within (lets both back ends skip bounds that
  cannot bind — skipping a bound that cannot bind changes nothing);
- ``problems``: its semantic checks (GS3xx) on the scheme;
- ``cells``: its columns in a fill-in template;
- ``strategy`` and ``bump``: valid facts for property tests, and "more of the same evidence" with
  the independent statement ``more_is_more`` of what that does to the raw amount;
- ``describe``: the raw arithmetic in words for a score sheet ("3 次 × 0.5"), from the fact a
  result carries.

A test (tests/unit/test_rule_kinds_registry.py) fails when a kind of the models has no class here
or a class lacks a hook.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, NamedTuple, Protocol, TypeVar

from govscore.errors import Diagnostic, GovscoreError
from govscore.language import model
from govscore.numbers import plain

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

ZERO = Decimal(0)
ONE = Decimal(1)
Path = tuple[str | int, ...]
Lang = Literal["zh", "en"]
"""The language of a description: Chinese (the default of every view) or English."""


class NotApplicableValue:
    """The raw value of an item that does not apply to this unit (a target of 0, no votes)."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


class UnitProblem(GovscoreError):  # noqa: N818 - facts that cannot be scored together
    """Facts each valid on their own that together cannot be scored (every rater group empty):
    the engine rejects the unit with this code and message."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


RawFn = Callable[[Any, Mapping[str, Any]], "Decimal | NotApplicableValue"]
"""(checked fact, all of the unit's checked facts) → raw amount."""


class Consts(Protocol):
    """The generated kernel's constant pool: every number, id and function reaches the source
    as a generated name, never as text (no scheme text in generated code)."""

    def const(self, value: object) -> str: ...


@dataclass(frozen=True)
class Validation:
    """An Excel data validation: ``kind`` whole/decimal/list/custom, and its operands."""

    kind: str
    operator: str | None = None
    low: Decimal | None = None
    high: Decimal | None = None
    options: tuple[str, ...] = ()


@dataclass(frozen=True)
class Cell:
    """One template column of an item's fact: ``key`` is None for the fact itself, else the key
    of a mapping fact (``done``, a level); ``hint`` says what to write, in Chinese."""

    key: str | None
    hint: str
    validation: Validation | None
    sub: str = ""


COUNT_CELL = Validation("whole", "greaterThanOrEqual", ZERO)
FLAG_CELL = Validation("list", options=("是", "否"))


def num(value: Decimal) -> str:
    """A number in a template hint (the one formatter; a whole number without decimals)."""
    return plain(value)


def span(low: Decimal | None, high: Decimal | None, suffix: str = "") -> str:
    """A range in a template hint: 1–3, ≥ 0, ≤ 1, or 数值 when unbounded."""
    if low is not None and high is not None:
        return f"{num(low)}–{num(high)}{suffix}"
    if low is not None:
        return f"≥ {num(low)}{suffix}"
    if high is not None:
        return f"≤ {num(high)}{suffix}"
    return "数值"


def decimal_cell(low: Decimal | None, high: Decimal | None) -> Validation | None:
    if low is None and high is None:
        return None
    op = "between" if low is not None and high is not None else (
        "greaterThanOrEqual" if low is not None else "lessThanOrEqual")
    return Validation("decimal", op, low, high)


class Columns(Protocol):
    """What a rule kind's ``vector`` and a lowered step's ``vector`` compute with
    (engine.columnar.Batch): whole columns of units as exact scaled integers, and masks (one
    bool per unit). Every operation is exact, or hands the units it cannot do exactly (an
    overflow, a quotient it cannot decide) to the scalar path; nothing here is a float."""

    def const(self, value: Decimal) -> Any: ...
    def fact(self, name: str) -> Any: ...
    def flag(self, name: str) -> Any: ...
    def node(self, node_id: str) -> Any: ...
    def add(self, a: Any, b: Any) -> Any: ...
    def sub(self, a: Any, b: Any) -> Any: ...
    def sum(self, terms: Sequence[tuple[Any, int]]) -> Any: ...
    def mul(self, a: Any, factor: Decimal) -> Any: ...
    def muldiv(self, a: Any, num: Decimal, den: Decimal) -> Any: ...
    def quotient(self, num: Any, den: Any, bound: Decimal,
                 origin: tuple[Any, Any] | None = None) -> Any:
        """num / den (den > 0 for every unit), for the item's rounding to decide exactly;
        ``bound`` is at least |num / den| (what the Decimal path's relative error is taken
        of); ``origin`` the operands of the Decimal path's one division, when it divides
        other numbers than num by den (a ratio: done / target, times the max after)."""
    def floor_div(self, a: Any, b: Any) -> Any:
        """⌊a / b⌋ as a whole-number column (b a constant > 0)."""
    def ceil_div(self, a: Any, b: Any) -> Any:
        """⌈a / b⌉ as a whole-number column (b a constant > 0)."""
    def maximum(self, a: Any, b: Any) -> Any: ...
    def minimum(self, a: Any, b: Any) -> Any: ...
    def round(self, a: Any, places: int, mode: str) -> Any: ...
    def where(self, mask: Any, a: Any, b: Any) -> Any: ...
    def gt(self, a: Any, b: Any) -> Any: ...
    def ge(self, a: Any, b: Any) -> Any: ...
    def is_zero(self, a: Any) -> Any: ...
    def none(self) -> Any: ...
    def every(self) -> Any: ...
    def both(self, a: Any, b: Any) -> Any: ...
    def either(self, a: Any, b: Any) -> Any: ...
    def negate(self, a: Any) -> Any: ...
    def ineligible(self, mask: Any) -> None: ...
    def scalar(self, mask: Any) -> None:
        """These units take the scalar path (what it does with them has words to say)."""


@dataclass(frozen=True)
class VectorFact:
    """How an item's checked fact is held for its kind's ``vector``: ``shape`` ``flag`` (a
    mask), ``count`` (whole numbers ≥ 0), ``number`` (exact decimals) or ``mapping`` (a
    mapping of ``keys`` to counts or numbers, one column per key; a key not given is 0).
    ``low``/``high`` (and ``step``, ``zero_too``) say which values the kind's check accepts:
    a unit with any other value takes the scalar path, which reports it."""

    shape: Literal["flag", "count", "number", "mapping"]
    low: Decimal | None = None
    high: Decimal | None = None
    zero_too: bool = False
    """0 is accepted outside low..high (manual's zero_allowed)."""
    step: Decimal | None = None
    as_int: bool = False
    """A count the check gives as an int (not as a Decimal)."""
    keys: tuple[str, ...] = ()
    """``mapping``: the keys read (numbers ≥ ``low``; counts when ``as_int``)."""
    required: bool = False
    """``mapping``: every key must be given."""


class Titles(NamedTuple):
    """A name in Chinese and in English."""

    zh: str
    en: str


R = TypeVar("R")


class RuleKind(Generic[R]):
    """One rule kind. Subclasses set ``kind`` and ``rule_model`` and implement the hooks."""

    kind: ClassVar[str]
    rule_model: ClassVar[type[Any]]
    titles: ClassVar[Titles]
    """The kind's name in explanations and reports: how a reader of the published rules would
    call it (按次计分), never the kind's id."""
    population: ClassVar[bool] = False
    """Scored against every unit of its scope (the population phase supplies the raw value)."""
    more_is_more: ClassVar[bool] = False
    """True when ``bump`` (more of the same evidence) never lowers the raw amount: the property
    tests' expectation of direction, stated here and not derived from the arithmetic."""
    na_policy: ClassVar[str | None] = None
    """The rule's key whose value ``not_applicable`` makes the item not applicable."""
    has_fact: ClassVar[bool] = True
    """The item reads a fact of its own (a formula item reads only inputs and params)."""
    list_fact: ClassVar[bool] = False
    """The fact is a list (cannot be typed into one spreadsheet cell)."""
    counts_own_points: ClassVar[bool] = False
    """The points come from the rule itself (so many per occurrence, a band's points, the
    assessor's number), not as a share of the item's max: such an item may be ``unbounded``
    (不设上限)."""

    # --- facts
    def check(self, rule: R, item: model.Item, value: Any) -> Any:
        raise NotImplementedError

    def reads_fact(self, rule: R) -> bool:
        """Whether this item reads a fact of its own: ``has_fact``, unless the rule says
        otherwise (a population kind ranking a node, ``of: 小计``, reads no fact)."""
        return self.has_fact

    # --- arithmetic: interpreter and kernel side by side
    def raw(self, rule: R, item: model.Item, names: Mapping[str, object]) -> RawFn:
        raise NotImplementedError

    def emit_raw(self, rule: R, item: model.Item, w: Consts, x: str) -> str | None:
        """A Python expression of the raw amount over the checked fact's variable ``x``, or
        None: the kernel calls ``raw``'s function (passed as a constant)."""
        return None

    def fast_paths(self, rule: R, item: model.Item, w: Consts,
                   x: str) -> list[tuple[str, str | None]]:
        """(condition, conversion) pairs: when the condition holds, the raw fact ``x`` (after the
        conversion expression, if any) is exactly what ``check`` would return. Anything else
        goes through ``check``."""
        return []

    def small_facts(self, rule: R, item: model.Item) -> range | None:
        """Checked facts few and small enough (whole counts from 0) for a kernel to look the
        item's value up in a table built from the interpreter's own steps; None: compute it."""
        return None

    def raw_range(self, rule: R, item: model.Item) -> tuple[Decimal | None, Decimal | None]:
        """Bounds the raw amount provably stays within for a checked fact (None: unknown)."""
        return None, None

    def floor(self, rule: R, item: model.Item) -> Decimal:
        """The lowest value the item may take: 0 (扣完为止) for every kind but one that adds or
        subtracts (``signed``), whose items are bounded by floor..max instead of 0..max."""
        return ZERO

    def fact_shape(self, rule: R, item: model.Item) -> str:
        """What the checked fact is, for items that read one fact together (``reads``):
        ``count``, ``rate``, ``amount`` (a number >= 0), ``number``, ``flag``, or the kind's own
        name for a fact only its kind understands (see :func:`shapes_meet`)."""
        return self.kind

    # --- arithmetic over whole columns (engine/columnar.py), beside raw and emit_raw
    def vector_fact(self, rule: R, item: model.Item) -> VectorFact | None:
        """How the item's fact is held as columns for ``vector``; None: the kind has no vector
        form (the columns compute its raw amount unit by unit with ``raw``)."""
        return None

    def vector(self, rule: R, item: model.Item, c: Columns, x: Any) -> Any:
        """``raw`` over whole columns of units: ``x`` is the fact as ``vector_fact`` holds it
        (a mask, a column, or for a mapping a dict key → column). Exact, as ``raw``; a unit
        ``raw`` would give no plain amount for (not applicable) is handed to the scalar
        path."""
        raise NotImplementedError

    # --- the scheme
    def problems(self, rule: R, item: model.Item, path: Path) -> Iterator[Diagnostic]:
        return iter(())

    # --- templates
    def cells(self, rule: R, item: model.Item) -> list[Cell]:
        raise NotImplementedError

    # --- property tests
    def strategy(self, rule: R, item: model.Item) -> SearchStrategy[Any]:
        raise NotImplementedError

    def bump(self, rule: R, item: model.Item, value: Any) -> Any:
        """The fact with more of the same evidence, or None when there is no natural 'more'."""
        return None

    # --- explanations
    def describe(self, rule: R, item: model.Item, fact: Any, raw: Decimal, lang: Lang) -> str:
        """The raw arithmetic in words, as a score sheet prints it before "= raw": "3 次 × 0.5",
        "市级 2 × 0.5 + 省级 1 × 1", "满分 5 − (0.95 − 0.9) / 0.01 × 0.5". ``fact`` is the
        fact as a result carries it (a number may be a Decimal, an int or its text: read it with
        :func:`number_of`), ``raw`` what the rule gave (population kinds cannot recompute it).
        Numbers the scheme wrote go through :func:`num`. Never raises for a fact ``check``
        accepted; a fact of an unexpected shape gives :func:`fact_words` of it."""
        raise NotImplementedError

    def describe_named(self, rule: R, item: model.Item, fact: Any, raw: Decimal, lang: Lang,
                       name: Callable[[str], str]) -> str:
        """:meth:`describe`, for a kind whose words name another part of the scheme (a band
        against a statistic names the statistic): ``name`` gives an id's title, as the score
        sheet shows it. Every other kind: :meth:`describe`."""
        return self.describe(rule, item, fact, raw, lang)


LEVEL_WORDS: dict[str, Titles] = {
    "county": Titles("县级", "county"), "city": Titles("市级", "city"),
    "province": Titles("省级", "province"), "national": Titles("国家级", "national"),
    # the commendation levels of S2 and S3, named for what they cover (第七条(五), 第九条(五))
    "county_or_city_dept": Titles("区(市)县党委、政府和市级部门", "county or city department"),
    "city_or_province_dept": Titles("市委、市政府、省级部门", "city or provincial department"),
    "province_or_ministry": Titles("省委、省政府、国家部(委)局", "province or national ministry"),
    "done": Titles("完成", "done"), "target": Titles("目标", "target"),
    "required": Titles("应完成", "required"),
}
"""The usual English level ids of schemes (by_level) and the keys of a ratio's fact in words;
any other id is shown as written (schemes written in Chinese use Chinese ids: 省级, 满意)."""


def level_word(level: object, lang: Lang) -> str:
    """A level, option or group id as a reader says it."""
    words = LEVEL_WORDS.get(str(level))
    return str(level) if words is None else getattr(words, lang)


def number_of(value: object) -> Decimal | None:
    """A number from a result's fact (Decimal, int or decimal text); None if it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, (int, str)):
        try:
            parsed = Decimal(value)
        except ArithmeticError:
            return None
        return parsed if parsed.is_finite() else None
    return None


def say(lang: Lang, zh: str, en: str) -> str:
    """The Chinese or the English of a phrase."""
    return zh if lang == "zh" else en


def fact_words(fact: Any, lang: Lang) -> str:
    """A fact in words, whatever its shape: 是/否, a number, "市级 2、省级 1" for a table, a list
    joined by 、 — never JSON."""
    sep = "、" if lang == "zh" else ", "
    if isinstance(fact, bool):
        return ("是" if fact else "否") if lang == "zh" else ("yes" if fact else "no")
    n = number_of(fact)
    if n is not None:
        return num(n)
    if fact is None or (isinstance(fact, (Mapping, list, tuple)) and not fact):
        return "无" if lang == "zh" else "none"
    if isinstance(fact, Mapping):
        return sep.join(f"{level_word(k, lang)} {fact_words(v, lang)}" for k, v in fact.items())
    if isinstance(fact, (list, tuple)):
        return sep.join(fact_words(v, lang) for v in fact)
    return str(fact)


NARROWER = {"count": {"amount", "number"}, "rate": {"amount", "number"}, "amount": {"number"}}
"""Fact shapes and the wider shapes every value of theirs also is (a count is an amount)."""


def shapes_meet(a: str, b: str) -> bool:
    """Whether two items' facts can be one fact: the same shape, or one wider than the other (a
    count read as an amount). The fact must then satisfy both items' checks."""
    return a == b or b in NARROWER.get(a, ()) or a in NARROWER.get(b, ())


def decimals(low: Decimal, high: Decimal, places: int = 2) -> SearchStrategy[Decimal]:
    """Decimals from low to high in steps of 10^-places (for strategies)."""
    from hypothesis import strategies as st  # a test-time dependency, imported on use

    scale = 10**places
    lo, hi = int(low * scale), int(high * scale)
    if lo > hi:
        return st.just(low)
    return st.integers(lo, hi).map(lambda n: Decimal(n) / scale)


def zero_policy(policy: str, top: Decimal, why: str) -> Decimal | NotApplicableValue:
    """What a ratio with a target of 0 or a rating without votes gives."""
    if policy == "full":
        return top
    if policy == "zero":
        return ZERO
    return NotApplicableValue(why)
