"""The steps an item or a group is lowered into, each with its arithmetic stated once.

Every step has ``apply`` (what the interpreter runs for one unit), ``emit`` (the same step
written into a generated kernel) and ``vector`` (the same step over whole columns of units,
engine/columnar.py) side by side, so there is no second statement of the arithmetic to drift
from the first. A step's parameters are plain data (numbers and ids), fixed when the
scheme is lowered, so that another back end (whole columns of units at once) can be generated
from the same objects.

Both back ends work on a running value ``v``. In the interpreter it is passed in and returned;
in a kernel it is the local variable ``v``. Every step that changes a number records a
:class:`~govscore.engine.results.TraceStep` with its operands (``args``), never a sentence.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from govscore.engine.results import StepKind, TraceStep
from govscore.rules.base import ZERO, Columns
from govscore.rules.values import Exempt as ExemptFact


class Unit(Protocol):
    """What a step reads and writes for one unit in the interpreter."""

    facts: Mapping[str, Any]
    values: dict[str, Decimal]
    applicable_max: dict[str, Decimal]
    trace: list[TraceStep]
    ineligible: list[str]


class Writer(Protocol):
    """What a step writes a kernel with (engine.kernel.Writer)."""

    def const(self, value: object) -> str: ...
    def emit(self, line: str, depth: int = 0) -> None: ...
    def fact(self, name: str) -> str: ...
    def node(self, node_id: str) -> str: ...


class Code(str):
    """Source text of a value known only when the kernel runs (a trace step's operand that is a
    fact or a node's value), as opposed to a constant."""


def trace_line(w: Writer, depth: int, rule: str, step: StepKind, before: str, after: str,
               args: tuple[object, ...]) -> None:
    """Emit the recording of one trace step; ``args`` holds constants and :class:`Code`.

    A kernel records a step flat, the fields of a :class:`~govscore.engine.results.TraceStep`
    one after another with the number of operands before them — ``rule, step, before, after,
    len(args), *args`` — on the list ``T`` that the result's tuple ends with
    (results.KernelResult builds the trace when it is first read). Why flat: Python's
    collector stops tracking a tuple of numbers and text the first time it sees it, but a tuple
    holding a newer tuple only once the inner one is untracked, one level per collection; a
    kept result holding nested trace tuples stayed tracked through the young generations and
    every kept result cost collections over them (most of ``evaluate``'s time with results
    kept)."""
    operands = "".join(f", {a}" if isinstance(a, Code) else f", {w.const(a)}" for a in args)
    w.emit(f"T += ({w.const(rule)}, {w.const(step)}, {before}, {after}, {w.const(len(args))}"
           f"{operands})", depth)


# ---------------------------------------------------------------------------------------------
# item steps (after the raw amount)


@dataclass(frozen=True)
class FactorIf:
    """× factor when a flag input is true (``input``) or always, for a unit of a listed category
    (``category``, decided when the scheme is lowered for that category)."""

    node: str
    factor: Decimal
    input: str | None
    category: str | None

    def apply(self, v: Decimal, u: Unit) -> Decimal:
        if self.input is not None and u.facts.get(self.input) is not True:
            return v
        after = v * self.factor
        u.trace.append(TraceStep(self.node, "modifier", v, after, self._args()))
        return after

    def emit(self, w: Writer) -> None:
        depth = 0
        if self.input is not None:
            w.emit(f"if {w.fact(self.input)} is True:")
            depth = 1
        w.emit("b = v", depth)
        w.emit(f"v = b * {w.const(self.factor)}", depth)
        trace_line(w, depth, self.node, "modifier", "b", "v", self._args())

    def vector(self, v: Any, c: Columns) -> Any:
        after = c.mul(v, self.factor)
        return after if self.input is None else c.where(c.flag(self.input), after, v)

    def _args(self) -> tuple[object, ...]:
        return ("factor_if", self.factor, self.input, self.category)


@dataclass(frozen=True)
class FromFull:
    """Start from full marks and take the amount away (扣分制): max − v."""

    node: str
    max: Decimal

    def apply(self, v: Decimal, u: Unit) -> Decimal:
        after = self.max - v
        u.trace.append(TraceStep(self.node, "from_full", v, after, (self.max,)))
        return after

    def emit(self, w: Writer) -> None:
        w.emit("b = v")
        w.emit(f"v = {w.const(self.max)} - b")
        trace_line(w, 0, self.node, "from_full", "b", "v", (self.max,))

    def vector(self, v: Any, c: Columns) -> Any:
        return c.sub(c.const(self.max), v)


@dataclass(frozen=True)
class Requires:
    """No evidence, no points: 0 unless the flag input is true."""

    node: str
    input: str

    def apply(self, v: Decimal, u: Unit) -> Decimal:
        if u.facts.get(self.input) is True:
            return v
        u.trace.append(TraceStep(self.node, "requires", v, ZERO, (self.input,)))
        return ZERO

    def emit(self, w: Writer) -> None:
        w.emit(f"if {w.fact(self.input)} is not True:")
        trace_line(w, 1, self.node, "requires", "v", "ZERO", (self.input,))
        w.emit("v = ZERO", 1)

    def vector(self, v: Any, c: Columns) -> Any:
        return c.where(c.flag(self.input), v, c.const(ZERO))


@dataclass(frozen=True)
class CountStep:
    at_least: int
    factor: Decimal
    ineligible: bool


@dataclass(frozen=True)
class OnCount:
    """× the factor of the step with the highest ``at_least`` the count reaches (the first
    listed among equals); a step may also take away award eligibility."""

    node: str
    input: str
    steps: tuple[CountStep, ...]
    """Highest at_least first, one per at_least."""

    def _chosen(self, n: int) -> CountStep | None:
        for s in self.steps:
            if n >= s.at_least:
                return s
        return None

    def apply(self, v: Decimal, u: Unit) -> Decimal:
        n = u.facts[self.input]
        s = self._chosen(n)
        if s is None:
            return v
        after = v * s.factor
        if s.ineligible:
            u.ineligible.append(f"{self.node}: {self.input} = {n}")
        u.trace.append(TraceStep(self.node, "modifier", v, after,
                                 ("on_count", self.input, n, s.at_least, s.factor, s.ineligible)))
        return after

    def emit(self, w: Writer) -> None:
        n = w.fact(self.input)
        keyword = "if"
        for s in self.steps:
            w.emit(f"{keyword} {n} >= {w.const(s.at_least)}:")
            keyword = "elif"
            w.emit("b = v", 1)
            w.emit(f"v = b * {w.const(s.factor)}", 1)
            if s.ineligible:
                w.emit(f"I.append({w.const(f'{self.node}: {self.input} = ')} + str({n}))", 1)
            args = ("on_count", self.input, Code(n), s.at_least, s.factor, s.ineligible)
            trace_line(w, 1, self.node, "modifier", "b", "v", args)

    def vector(self, v: Any, c: Columns) -> Any:
        """The steps highest first, each taking the units no higher step took; a step that
        takes away eligibility marks its units (the columns keep no sentence)."""
        n = c.fact(self.input)
        out = v
        taken = c.none()
        for s in self.steps:
            hit = c.both(c.ge(n, c.const(Decimal(s.at_least))), c.negate(taken))
            out = c.where(hit, c.mul(v, s.factor), out)
            if s.ineligible:
                c.ineligible(hit)
            taken = c.either(taken, hit)
        return out


@dataclass(frozen=True)
class Exempt:
    """An exempt fact (不可抗力): nothing lost — full marks for what adds to the total, 0 for
    what is subtracted from it (``sign`` of the node through every group above it)."""

    node: str
    fact: str
    max: Decimal
    sign: int

    def apply(self, v: Decimal, u: Unit) -> Decimal:
        fact = u.facts.get(self.fact)
        if not isinstance(fact, ExemptFact):
            return v
        after = self.max if self.sign > 0 else ZERO
        u.trace.append(TraceStep(self.node, "exempt", v, after, (fact.reason, fact.note)))
        return after

    def emit(self, w: Writer) -> None:
        """Nothing: a kernel never sees an exempt fact (its fact check hands the unit to the
        interpreter)."""

    def vector(self, v: Any, c: Columns) -> Any:
        """Nothing: exempt facts never reach the columns (those units take the scalar path)."""
        return v


@dataclass(frozen=True)
class Bounds:
    """0 ≤ item ≤ its max (扣完为止); low ≤ item ≤ its max for an item that may take points
    away (``signed``: ``low`` below 0). ``cap``/``floor`` are False where the amount provably
    cannot pass that bound (decided when lowering; skipping a bound that cannot bind changes
    nothing)."""

    node: str
    max: Decimal
    cap: bool = True
    floor: bool = True
    low: Decimal = ZERO

    def apply(self, v: Decimal, u: Unit) -> Decimal:
        if v > self.max:
            u.trace.append(TraceStep(self.node, "cap", v, self.max, (self.max,)))
            return self.max
        if v < self.low:
            u.trace.append(TraceStep(self.node, "floor", v, self.low, (self.low,)))
            return self.low
        return v

    def emit(self, w: Writer) -> None:
        top = w.const(self.max)
        keyword = "if"
        if self.cap:
            w.emit(f"if v > {top}:")
            trace_line(w, 1, self.node, "cap", "v", top, (self.max,))
            w.emit(f"v = {top}", 1)
            keyword = "elif"
        if self.floor:
            low = "ZERO" if self.low == 0 else w.const(self.low)
            w.emit(f"{keyword} v < {low}:")
            trace_line(w, 1, self.node, "floor", "v", low, (self.low,))
            w.emit(f"v = {low}", 1)

    def vector(self, v: Any, c: Columns) -> Any:
        if self.cap:
            v = c.minimum(v, c.const(self.max))
        if self.floor:
            v = c.maximum(v, c.const(self.low))
        return v


@dataclass(frozen=True)
class Round:
    """Rounded to the scheme's places (items and the total; nothing in between)."""

    node: str
    quantum: Decimal
    rounding: str
    places: int
    mode: str
    """The scheme's rounding: ``half_up`` (四舍五入) or ``half_even``."""

    def apply(self, v: Decimal, u: Unit) -> Decimal:
        after = v.quantize(self.quantum, rounding=self.rounding)
        if after != v:
            u.trace.append(TraceStep(self.node, "round", v, after, (self.places, self.mode)))
        return after

    def emit(self, w: Writer) -> None:
        """The last step of an item: written straight into the item's own variable."""
        out = w.node(self.node)
        w.emit(f"{out} = v.quantize({w.const(self.quantum)}, {w.const(self.rounding)})")
        w.emit(f"if {out} != v:")
        trace_line(w, 1, self.node, "round", "v", out, (self.places, self.mode))

    def vector(self, v: Any, c: Columns) -> Any:
        return c.round(v, self.places, self.mode)


ItemStep = FactorIf | FromFull | Requires | OnCount | Exempt | Bounds | Round


# ---------------------------------------------------------------------------------------------
# group steps (after the children are combined)


@dataclass(frozen=True)
class Rescale:
    """× full / applicable max, when not-applicable children left the applicable max short."""

    node: str
    full_max: Decimal
    static_max: Decimal | None = None
    """In a kernel every child applies: the applicable max known when the kernel is built."""

    def apply(self, v: Decimal, u: Unit) -> Decimal:
        am = u.applicable_max[self.node]
        if am == self.full_max or am <= 0:
            return v
        after = v * self.full_max / am
        u.applicable_max[self.node] = self.full_max
        u.trace.append(TraceStep(self.node, "rescale", v, after, (self.full_max, am)))
        return after

    def emit(self, w: Writer) -> None:
        am = self.static_max
        if am is None or am == self.full_max or am <= 0:
            return
        w.emit("b = v")
        w.emit(f"v = b * {w.const(self.full_max)} / {w.const(am)}")
        trace_line(w, 0, self.node, "rescale", "b", "v", (self.full_max, am))

    def vector(self, v: Any, c: Columns) -> Any:
        """As in a kernel: every child applies (not-applicable facts take the scalar path)."""
        am = self.static_max
        if am is None or am == self.full_max or am <= 0:
            return v
        return c.muldiv(v, self.full_max, am)


@dataclass(frozen=True)
class Scale:
    """value / full max × scale_to (a group reported on another scale)."""

    node: str
    scale_to: Decimal
    full_max: Decimal

    def apply(self, v: Decimal, u: Unit) -> Decimal:
        after = v * self.scale_to / self.full_max
        u.trace.append(TraceStep(self.node, "scale", v, after, (self.scale_to, self.full_max)))
        return after

    def emit(self, w: Writer) -> None:
        w.emit("b = v")
        w.emit(f"v = b * {w.const(self.scale_to)} / {w.const(self.full_max)}")
        trace_line(w, 0, self.node, "scale", "b", "v", (self.scale_to, self.full_max))

    def vector(self, v: Any, c: Columns) -> Any:
        return c.muldiv(v, self.scale_to, self.full_max)


@dataclass(frozen=True)
class Floor:
    node: str
    floor: Decimal

    def apply(self, v: Decimal, u: Unit) -> Decimal:
        if v < self.floor:
            u.trace.append(TraceStep(self.node, "floor", v, self.floor, (self.floor,)))
            return self.floor
        return v

    def emit(self, w: Writer) -> None:
        c = w.const(self.floor)
        w.emit(f"if v < {c}:")
        trace_line(w, 1, self.node, "floor", "v", c, (self.floor,))
        w.emit(f"v = {c}", 1)

    def vector(self, v: Any, c: Columns) -> Any:
        return c.maximum(v, c.const(self.floor))


@dataclass(frozen=True)
class Cap:
    node: str
    cap: Decimal

    def apply(self, v: Decimal, u: Unit) -> Decimal:
        if v > self.cap:
            u.trace.append(TraceStep(self.node, "cap", v, self.cap, (self.cap,)))
            return self.cap
        return v

    def emit(self, w: Writer) -> None:
        c = w.const(self.cap)
        w.emit(f"if v > {c}:")
        trace_line(w, 1, self.node, "cap", "v", c, (self.cap,))
        w.emit(f"v = {c}", 1)

    def vector(self, v: Any, c: Columns) -> Any:
        return c.minimum(v, c.const(self.cap))


@dataclass(frozen=True)
class Gate:
    """The group counts only when another node's value meets the bound."""

    node: str
    target: str
    op: str
    """"gte" (≥) or "gt" (>)."""
    bound: Decimal

    def _open(self, value: Decimal) -> bool:
        return value >= self.bound if self.op == "gte" else value > self.bound

    def apply(self, v: Decimal, u: Unit) -> Decimal:
        value = u.values[self.target]
        if self._open(value) or v == 0:
            return v
        u.trace.append(TraceStep(self.node, "gate", v, ZERO,
                                 (self.target, value, self.op, self.bound)))
        return ZERO

    def emit(self, w: Writer) -> None:
        target = w.node(self.target)
        sym = ">=" if self.op == "gte" else ">"
        w.emit(f"if not ({target} {sym} {w.const(self.bound)}) and v != 0:")
        args = (self.target, Code(target), self.op, self.bound)
        trace_line(w, 1, self.node, "gate", "v", "ZERO", args)
        w.emit("v = ZERO", 1)

    def vector(self, v: Any, c: Columns) -> Any:
        target, bound = c.node(self.target), c.const(self.bound)
        opened = c.ge(target, bound) if self.op == "gte" else c.gt(target, bound)
        return c.where(c.either(opened, c.is_zero(v)), v, c.const(ZERO))


@dataclass(frozen=True)
class Limit:
    """Not more than factor × another node's value (减分不超过加分), and never below the group's
    own floor (a target below 0 cannot pull the group under it)."""

    node: str
    target: str
    factor: Decimal
    floor: Decimal

    def apply(self, v: Decimal, u: Unit) -> Decimal:
        ceiling = max(self.factor * u.values[self.target], self.floor)
        if v > ceiling:
            u.trace.append(TraceStep(self.node, "limit", v, ceiling,
                                     (self.factor, self.target, ceiling)))
            return ceiling
        return v

    def emit(self, w: Writer) -> None:
        w.emit(f"ceiling = max({w.const(self.factor)} * {w.node(self.target)}, "
               f"{w.const(self.floor)})")
        w.emit("if v > ceiling:")
        args = (self.factor, self.target, Code("ceiling"))
        trace_line(w, 1, self.node, "limit", "v", "ceiling", args)
        w.emit("v = ceiling", 1)

    def vector(self, v: Any, c: Columns) -> Any:
        ceiling = c.maximum(c.mul(c.node(self.target), self.factor), c.const(self.floor))
        return c.minimum(v, ceiling)


GroupStep = Rescale | Scale | Floor | Cap | Gate | Limit


@dataclass(frozen=True)
class Child:
    """A child as its group combines it."""

    id: str
    role: str
    weight: Decimal | None
    """The weight in a weighted group (None otherwise)."""


@dataclass(frozen=True)
class Combine:
    """The group's raw value from its children: sum (subtracting the subtract children),
    weighted sum, or the highest added child less the subtracted ones."""

    node: str
    how: str
    children: tuple[Child, ...] = field(default=())

    def value(self, values: Mapping[str, Decimal], applicable: set[str]) -> Decimal:
        """Over the applicable children (the kernel's ``emit`` is this over all of them)."""
        kids = [c for c in self.children if c.id in applicable]
        if self.how == "highest":
            raw = max((values[c.id] for c in kids if c.role == "add"), default=ZERO)
            return raw - sum((values[c.id] for c in kids if c.role == "subtract"), ZERO)
        raw = ZERO
        for c in kids:
            term = values[c.id] if c.weight is None else c.weight * values[c.id]
            raw = raw + term if c.role == "add" else raw - term
        return raw

    def applicable_max(self, maxima: Mapping[str, Decimal]) -> Decimal:
        """The max the added children could reach: Σ (weighted) applicable maxima."""
        return sum(((maxima[c.id] if c.weight is None else c.weight * maxima[c.id])
                    for c in self.children if c.role == "add"), ZERO)

    def emit(self, w: Writer, out: str) -> None:
        """``out = …`` in the same order of operations as ``value`` over all children, written
        in lines of at most 64 terms (a group of 10,000 items stays a flat sequence)."""
        if self.how == "highest":
            adds = [w.node(c.id) for c in self.children if c.role == "add"]
            if adds:
                w.emit(f"{out} = max(({', '.join(adds)},))")
            else:
                w.emit(f"{out} = ZERO")
            for c in self.children:
                if c.role == "subtract":
                    w.emit(f"{out} = {out} - {w.node(c.id)}")
            return
        w.emit(f"{out} = ZERO")
        terms: list[str] = []
        for c in self.children:
            var = w.node(c.id)
            term = var if c.weight is None else f"{w.const(c.weight)} * {var}"
            terms.append((" + " if c.role == "add" else " - ") + term)
        for i in range(0, len(terms), 64):
            w.emit(f"{out} = {out}" + "".join(terms[i:i + 64]))

    def vector(self, c: Columns) -> Any:
        """The combined column over all children (the columns take only units whose every
        child applies), in the same order of operations as ``value``."""
        if self.how == "highest":
            adds = [c.node(ch.id) for ch in self.children if ch.role == "add"]
            out = adds[0] if adds else c.const(ZERO)
            for col in adds[1:]:
                out = c.maximum(out, col)
            for ch in self.children:
                if ch.role == "subtract":
                    out = c.sub(out, c.node(ch.id))
            return out
        return c.sum([(c.node(ch.id) if ch.weight is None else c.mul(c.node(ch.id), ch.weight),
                       1 if ch.role == "add" else -1) for ch in self.children])
