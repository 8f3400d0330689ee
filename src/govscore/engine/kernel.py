"""Compiled kernels: a plan's rules turned into straight-line Python, one function per category.

The interpreter (interpreter.py) applies each lowered step for every unit, checking every fact
through the generic checks and building a result object per node. A kernel is generated from the
same lowered steps (each step's ``emit`` beside its ``apply`` in steps.py, each rule kind's
``emit_raw`` beside its ``raw`` in govscore.rules): each fact read and checked inline, each
item's arithmetic written out, every cap, floor, gate, limit and rounding an ``if`` that records a
trace step, and the node results built only when someone reads them (:class:`LazyNodes`).

A kernel takes only the happy path. Whenever anything is unusual — a missing fact without a
default, a value of an unexpected type, an exemption, a not-applicable item, an arithmetic error —
it returns None and the caller runs the interpreter, which checks and reports everything as
before. So a kernel never decides what an error says, and for every unit it does score its
result equals the interpreter's (tests/property/test_kernel.py holds that on every shipped
scheme, the pattern schemes and random schemes).

Safety: the generated source contains no text from the scheme. Every identifier is ours (``x3``
for a fact, ``v7``/``r7`` for a node's value and raw amount, ``c12`` for a constant) and every
number, id, title and note is passed in as a constant object, never written into the source;
tests/security/test_kernel_source.py tokenises the source of every shipped scheme to hold this.
The source is compiled with Python's ``compile`` and run with an explicit namespace of our own
helpers and no builtins but ``max``, ``str``, ``int``, ``bool`` and ``KeyError``.
"""


from __future__ import annotations

import decimal
import threading
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from govscore import rules
from govscore.engine import interpreter, tail
from govscore.engine import steps as st
from govscore.engine.facts import Exempt, FactProblem, FactSpec, NotApplicable, UnitFacts
from govscore.engine.lowering import CONTEXT, ZERO, GroupProgram, ItemProgram, Lowered
from govscore.engine.results import (
    KernelResult,
    NodeLayout,
    UnitResult,
    flat_trace,
    new_kept_result,
    trace_steps,
)
from govscore.engine.steps import (
    Bounds,
    FactorIf,
    FromFull,
    OnCount,
    Requires,
    Round,
    trace_line,
)
from govscore.rules.base import NotApplicableValue

_MISSING = object()
_BAIL = object()

KernelOutput = tuple[tuple[Any, ...], list[str]]
"""Everything the unit's result holds (results.KernelResult's one tuple) and the facts that
took defaults."""
KernelFn = Callable[[Mapping[str, Any], str, "str | None", "str | None"], "KernelOutput | None"]


MEMO_SIZE = 1024
"""At most this many fact values remembered per item (a rate with 3 places has 1,001): past it,
an item's value is computed for every unit, as without a memo."""

_LOCAL = threading.local()
_NEW, _SET_DATA = new_kept_result


def _own_context() -> decimal.Context:
    """This thread's copy of the engine's decimal context (made once; see Kernel.score)."""
    own: decimal.Context | None = getattr(_LOCAL, "context", None)
    if own is None:
        own = _LOCAL.context = CONTEXT.copy()
    return own


class Kernel:
    """One category's generated kernel and what turning its output into a result needs."""

    __slots__ = (
        "_facts",
        "_facts_at",
        "_fn",
        "_ids",
        "_plan",
        "_result",
        "_tail",
        "_trace_at",
        "memos",
        "source",
        "walk",
    )

    def __init__(self, plan: Lowered, fn: KernelFn, layout: tuple[NodeLayout, ...],
                 facts: tuple[str, ...], source: str, *, walk: bool,
                 memos: tuple[dict[Any, Any], ...] = ()) -> None:
        self._plan = plan
        self._fn = fn
        self._ids = tuple(n.id for n in layout)
        index = {n.id: i for i, n in enumerate(layout)}
        self._facts = facts
        self._result = KernelResult.of_layout(layout, index, facts)
        self._facts_at = self._result.FACTS_AT
        self._trace_at = self._result.TRACE_AT
        self._tail = bool(plan.outputs or plan.vetoes)  # anything after the total
        self.source = source
        """The generated Python source (for review and the safety test)."""
        self.walk = walk
        """Some fact goes through a generic check that keeps free values (an event's matter, a
        text input): the caller walks the entry first for depth and text (api._entry_problems),
        as the interpreter's path does."""
        self.memos = memos
        """The items' memos (fact value → raw, value and trace steps), for tests."""

    def run(self, unit: str, category: str | None, tier: str | None,
            facts: Mapping[str, Any], *, in_context: bool = False,
            ) -> tuple[UnitResult, UnitFacts] | None:
        """Score one unit from its raw facts, with its checked facts, or None when the
        interpreter must do it. ``in_context``: the caller has already entered the engine's
        decimal context (a batch enters it once)."""
        done = self._score(unit, category, tier, facts, in_context)
        if done is None:
            return None
        result, data, defaulted = done
        checked = data[self._facts_at:self._trace_at]
        return result, UnitFacts(unit, category, tier,
                                 dict(zip(self._facts, checked, strict=True)), tuple(defaulted))

    def score(self, unit: str, category: str | None, tier: str | None,
              facts: Mapping[str, Any]) -> UnitResult | None:
        """Score one unit (``evaluate``'s path: no checked facts wanted), or None."""
        done = self._score(unit, category, tier, facts, False)
        return None if done is None else done[0]

    def _score(self, unit: str, category: str | None, tier: str | None,
               facts: Mapping[str, Any], in_context: bool,
               ) -> tuple[UnitResult, tuple[Any, ...], list[str]] | None:
        # The engine's context is this thread's own copy, set and restored around the call:
        # the same as decimal.localcontext(CONTEXT) without copying a context for every unit.
        previous = None
        if not in_context:
            own = _own_context()
            previous = decimal.getcontext()
            if previous is own:
                previous = None
            else:
                decimal.setcontext(own)
        try:
            out = self._fn(facts, unit, category, tier)
            if out is None:
                return None
            data, defaulted = out
            if self._tail:
                data = self._after_total(data, category)
            result = _NEW(self._result)
            _SET_DATA(result, data)
            return result, data, defaulted  # the checked facts: run() slices them out
        except Exception:  # any surprise (an arithmetic trap, a formula error): the interpreter
            return None    # scores this unit again and reports it properly
        finally:
            if previous is not None:
                decimal.setcontext(previous)

    def _after_total(self, data: tuple[Any, ...], category: str | None) -> tuple[Any, ...]:
        """Outputs and vetoes, for a scheme that has them (tail.py, as the interpreter)."""
        head, at = KernelResult.HEAD, self._trace_at
        computed = data[3]
        by_id = dict(zip(self._ids, data[head:head + len(self._ids)], strict=True))
        checked = dict(zip(self._facts, data[self._facts_at:at], strict=True))
        trace = list(trace_steps(data[at:]))
        ineligible = list(data[6])
        outputs = tail.outputs_of(self._plan, checked, by_id, computed, category)
        total, vetoes, forced, cap = tail.vetoes(
            self._plan, checked, by_id, computed, outputs, trace, ineligible, category)
        return (*data[:3], total, computed, tuple(vetoes), tuple(ineligible), forced, cap,
                outputs or None, *data[head:at], *flat_trace(trace))


def build(plan: Lowered) -> dict[str | None, Kernel] | None:
    """The kernels of a lowered scheme, one per category; None when it scores against the whole
    population (those units go through the interpreter's two phases)."""
    if plan.needs_population:
        return None
    return {category: _build_one(plan, category, programs)
            for category, programs in plan.programs.items()}


# ---------------------------------------------------------------------------------------------
# code generation


class Writer:
    """Source lines, the constants they refer to by generated name, and the variables of facts
    and nodes (what a step's ``emit`` writes with)."""

    def __init__(self, fact_vars: Mapping[str, str]) -> None:
        self.indent = 1
        """Added to every line's depth (1: the kernel function's body)."""
        self.lines: list[str] = []
        self.names: dict[str, Any] = {}
        self._by_key: dict[tuple[type, str], str] = {}
        self._facts = fact_vars
        self._nodes: dict[str, str] = {}
        self.memos: list[dict[Any, Any]] = []
        """The items' memos, in the order of the items (kernel.Kernel.memos)."""
        self.memo_of: dict[str, str] = {}
        """fact name → the constant of the memo of the one item that reads it."""

    def const(self, value: object) -> str:
        # the same constant is shared, but only when it is written the same: Decimal("5") and
        # Decimal("5.0") are equal yet print differently, so the key is the type and the repr
        key = (type(value), repr(value))
        name = self._by_key.get(key)
        if name is None:
            name = self._by_key[key] = f"c{len(self.names)}"
            self.names[name] = value
        return name

    def own(self, value: object) -> str:
        """A constant of its own, never shared (a memo that one item fills)."""
        name = f"c{len(self.names)}"
        self.names[name] = value
        return name

    def emit(self, line: str, depth: int = 0) -> None:
        self.lines.append("    " * (depth + self.indent) + line)

    def fact(self, name: str) -> str:
        """The variable of a checked fact; ``None`` for a fact this category does not have
        (the scheme checks (GS317) keep readers to facts that apply)."""
        return self._facts.get(name, "None")

    def node(self, node_id: str) -> str:
        return self._nodes[node_id]

    def bind(self, node_id: str, var: str) -> None:
        self._nodes[node_id] = var


def _build_one(plan: Lowered, category: str | None,
               programs: tuple[ItemProgram | GroupProgram, ...]) -> Kernel:
    specs = plan.specs_in(category)  # category: the profile's key (engine.lowering)
    fact_var = {spec.name: f"x{i}" for i, spec in enumerate(specs)}
    w = Writer(fact_var)
    for program in programs:
        if isinstance(program, ItemProgram) and _memorable(w, program, plan.specs):
            w.memo_of[program.fact or ""] = w.own({})
    w.memos.extend(w.names[m] for m in w.memo_of.values())
    w.lines.append("def kernel(f, U, G, H):")
    w.emit(f"if not {w.const(frozenset(fact_var))}.issuperset(f):")
    w.emit("return None", 1)
    w.emit("D = []")
    walk = False
    for spec in specs:
        walk = _check_fact(w, spec, fact_var[spec.name]) or walk
    if any(isinstance(p, ItemProgram) and _calls_raw(w, p) for p in programs):
        w.emit("X = {" + ", ".join(f"{w.const(n)}: {v}" for n, v in fact_var.items()) + "}")
    w.emit("T = []")
    w.emit("I = []")
    layout: list[NodeLayout] = []
    for program in programs:
        index = len(layout)
        w.bind(program.node.id, f"v{index}")
        if isinstance(program, ItemProgram):
            node = program.node
            _item(w, program, index)
            layout.append(NodeLayout(node.id, node.title, "item", node.max, node.role,
                                     node.outside_total, node.rule.kind, program.parent,
                                     program.order, program.fact))
        else:
            group = program.node
            _group(w, program, index)
            layout.append(NodeLayout(group.id, group.title, "group", program.full_max,
                                     group.role, group.outside_total, group.combine,
                                     program.parent, program.order, None))
    count = len(layout)
    # the total, rounded to the scheme's places (the root's Round step, in the interpreter)
    root = w.node(plan.scheme.score.id)
    w.emit(f"t = {root}.quantize({w.const(plan.quantum)}, {w.const(plan.rounding)})")
    w.emit(f"if t != {root}:")
    trace_line(w, 1, plan.scheme.score.id, "round", root, "t", plan.round_args)
    # everything the result holds, in one tuple (results.KernelResult's layout)
    w.emit("return (U, G, H, t, t, (), tuple(I), None, None, None, "
           + "".join(f"v{i}, " for i in range(count))
           + "".join(f"r{i}, " for i in range(count))
           + "".join(f"{v}, " for v in fact_var.values()) + "*T), D")
    source = "\n".join(w.lines) + "\n"
    namespace: dict[str, Any] = {
        "__builtins__": {"max": max, "str": str, "int": int, "bool": bool, "len": len,
                         "tuple": tuple, "KeyError": KeyError},
        "MISSING": _MISSING, "BAIL": _BAIL, "ZERO": ZERO, "Decimal": Decimal,
        "NAV": NotApplicableValue,
        **w.names,
    }
    code = compile(source, f"<govscore kernel {plan.scheme.id}/{category}>", "exec")
    exec(code, namespace)  # noqa: S102 - our own generated source; no scheme text in it (see top)
    return Kernel(plan, namespace["kernel"], tuple(layout), tuple(fact_var), source,
                  walk=walk, memos=tuple(w.memos))


def _generic_check(spec: FactSpec) -> Callable[[Any], Any]:
    """The interpreter's check of one fact, giving BAIL for anything but a plain value."""

    def check(value: Any) -> Any:
        try:
            out = spec.check(value)
        except FactProblem:
            return _BAIL
        if isinstance(out, (Exempt, NotApplicable)):
            return _BAIL
        return out

    return check


def _fast_paths(w: Writer, spec: FactSpec, x: str) -> list[tuple[str, str | None]]:
    """Where the raw value is already what the generic check would return: the rule kind's own
    fast paths, and true/false for a flag input."""
    if spec.input is not None:
        return [(f"{x}.__class__ is bool", None)] if spec.input.type == "flag" else []
    assert spec.item is not None
    item = spec.item
    paths = rules.of(item).fast_paths(item.rule, item, w, x)
    for reader in spec.readers:  # one fact, several items: a value all their checks accept
        if rules.of(reader).fast_paths(reader.rule, reader, w, x) != paths:
            return []
    return paths


def _check_fact(w: Writer, spec: FactSpec, x: str) -> bool:
    """Emit the reading and checking of one fact; True when only the generic check can accept
    it (its value may hold free text or nesting)."""
    w.emit("try:")
    w.emit(f"{x} = f[{w.const(spec.name)}]", 1)
    w.emit("except KeyError:")
    checked = _BAIL
    if spec.default is not None:
        try:
            checked = _generic_check(spec)(spec.default)
        except Exception:  # a default the check refuses: the interpreter reports it
            checked = _BAIL
    memo = w.memo_of.get(spec.name)
    if checked is _BAIL:
        w.emit("return None", 1)
    else:  # checked once, here, when the kernel is built
        w.emit(f"{x} = {w.const(checked)}", 1)
        w.emit(f"D.append({w.const(spec.name)})", 1)
        if memo is not None:  # a default is one constant: computed, not remembered
            w.emit(f"k{x[1:]} = e{x[1:]} = None", 1)
    w.emit("else:")  # a given value: checked for every unit
    w.indent += 1
    if memo is not None:
        _recall(w, memo, x)
        w.indent += 1
    paths = _fast_paths(w, spec, x)
    keyword = "if"
    for condition, convert in paths:
        w.emit(f"{keyword} {condition}:")
        w.emit(f"{x} = {convert}" if convert is not None else "pass", 1)
        keyword = "elif"
    depth = 0
    if paths:
        w.emit("else:")
        depth = 1
    w.emit(f"{x} = {w.const(_generic_check(spec))}({x})", depth)
    w.emit(f"if {x} is BAIL:", depth)
    w.emit("return None", depth + 1)
    if memo is not None:
        w.emit(f"if {x} is not y{x[1:]}:")  # the check converted it: the item is computed
        w.emit(f"k{x[1:]} = None", 1)
        w.indent -= 1
    w.indent -= 1
    return not paths


def _recall(w: Writer, memo: str, x: str) -> None:
    """Look a given fact up in its item's memo; on a hit the fact is not checked again (an
    identical value — same type, same text — was checked and scored before; see _memo_item)."""
    i = x[1:]
    w.emit(f"if {x}.__class__ is Decimal:")
    w.emit(f"k{i} = str({x})", 1)
    w.emit(f"elif {x}.__class__ is int:")
    w.emit(f"k{i} = {x}", 1)
    w.emit("else:")
    w.emit(f"k{i} = None", 1)
    w.emit(f"e{i} = {memo}.get(k{i})")
    w.emit(f"if e{i} is None:")
    w.emit(f"y{i} = {x}", 1)


def _table(p: ItemProgram) -> tuple[tuple[Decimal, ...], tuple[Decimal, ...]] | None:
    """(raw, value) for the facts 0, 1, … of an item whose kind has small facts, computed once
    by the interpreter's own steps (``apply``), up to the first fact whose value would record a
    trace step or lose eligibility: a kernel looks those values up instead of computing them."""
    facts = p.kind.small_facts(p.node.rule, p.node)
    if facts is None or any(isinstance(s, (FactorIf, Requires, OnCount)) for s in p.steps):
        return None
    raws: list[Decimal] = []
    scores: list[Decimal] = []
    with decimal.localcontext(CONTEXT):
        for fact in facts:
            raw = p.raw(fact, {})
            if not isinstance(raw, Decimal):
                break
            quiet = interpreter.UnitState({})  # steps that read facts were ruled out above
            value = raw
            for step in p.steps:
                value = step.apply(value, quiet)
            if quiet.trace or quiet.ineligible:
                break
            raws.append(raw)
            scores.append(value)
    return (tuple(raws), tuple(scores)) if len(raws) > 1 else None


def _item(w: Writer, p: ItemProgram, index: int) -> None:
    """An item, for a plain fact (no exemption, applicable): the rule kind's raw amount, then the
    item's lowered steps — or what an earlier unit with the same fact got, remembered
    (:func:`_memo_item`), or for small facts the values those steps give, looked up."""
    if p.fact is not None and p.fact in w.memo_of:
        _memo_item(w, p, index)
        return
    _looked_up_or_steps(w, p, index)


def _looked_up_or_steps(w: Writer, p: ItemProgram, index: int) -> None:
    """The item's steps, or for small counts the values they give, looked up (:func:`_table`)."""
    table = _table(p)
    if table is None:
        _item_steps(w, p, index)
        return
    x = w.fact(p.fact or "")
    raws, scores = table
    w.emit(f"if {x} < {w.const(len(raws))}:")
    w.emit(f"r{index} = {w.const(raws)}[{x}]", 1)
    w.emit(f"v{index} = {w.const(scores)}[{x}]", 1)
    w.emit("else:")
    w.indent += 1
    _item_steps(w, p, index)
    w.indent -= 1


_OWN_FACT_ONLY = (FromFull, Bounds, Round, st.Exempt)
"""Item steps that read nothing but the running value (Exempt writes nothing in a kernel)."""


def _memorable(w: Writer, p: ItemProgram, specs: Mapping[str, FactSpec]) -> bool:
    """Whether an item's raw amount, value and trace steps depend on its checked fact alone, and
    it is the fact's only reader: the kind's raw amount written over the fact (``emit_raw``),
    no step that reads another fact or takes away eligibility, no other item reading the
    fact (each reader's check would have to pass)."""
    spec = specs.get(p.fact or "")
    if spec is None or spec.item is not p.node or spec.readers or _calls_raw(w, p):
        return False
    return all(isinstance(step, _OWN_FACT_ONLY)
               or (isinstance(step, FactorIf) and step.input is None) for step in p.steps)


def _memo_item(w: Writer, p: ItemProgram, index: int) -> None:
    """An item with a memo: given fact → (raw, value, trace steps), filled by the item's own
    generated steps the first time a value is seen, at most MEMO_SIZE values per item. A rate
    with 3 places has at most 1,001 values, so from then on its fact check, multiplication,
    rounding and trace step cost a dictionary look-up; equal steps are shared between units'
    traces (immutable tuples).

    What makes a hit the same as computing: the key tells apart all that the check and the
    arithmetic tell apart — a Decimal by its text (0.5, 0.50 and −0 give other raw amounts,
    or the same amount written otherwise), an int by itself; nothing else is remembered (True
    is not an int here: the test is on the exact type). A value is remembered only when the
    check passed it unchanged (so the fact the result carries is the value given), and only
    for the item that is its fact's one reader (:func:`_memorable`)."""
    x = w.fact(p.fact or "")
    i = x[1:]
    m = w.memo_of[p.fact or ""]
    w.emit(f"if e{i} is not None:")
    w.emit(f"r{index}, v{index}, s = e{i}", 1)
    w.emit("if s:", 1)
    w.emit("T += s", 2)
    w.emit("else:")
    w.indent += 1
    w.emit("n = len(T)")
    _looked_up_or_steps(w, p, index)
    w.emit(f"if k{i} is not None and len({m}) < {w.const(MEMO_SIZE)}:")
    w.emit(f"{m}[k{i}] = (r{index}, v{index}, tuple(T[n:]))", 1)
    w.indent -= 1


def _calls_raw(w: Writer, p: ItemProgram) -> bool:
    """The item's raw amount is the kind's ``raw`` function, called with every checked fact
    (``X``), not an expression written over its own fact."""
    return p.converts or p.kind.emit_raw(p.node.rule, p.node, w, "x") is None


def _item_steps(w: Writer, p: ItemProgram, index: int) -> None:
    node = p.node
    x = w.fact(p.fact) if p.fact is not None else "None"
    expr = None if p.converts else p.kind.emit_raw(node.rule, node, w, x)
    if expr is None:
        w.emit(f"r{index} = {w.const(p.raw)}({x}, X)")
        w.emit(f"if r{index}.__class__ is NAV:")
        w.emit("return None", 1)
    else:
        w.emit(f"r{index} = {expr}")
    w.emit(f"v = r{index}")
    for step in p.steps:
        step.emit(w)
    if not isinstance(p.steps[-1], Round):  # rounding writes the item's variable itself
        w.emit(f"v{index} = v")


def _group(w: Writer, p: GroupProgram, index: int) -> None:
    """A group when every child applies (a kernel never sees a not-applicable item)."""
    p.combine.emit(w, f"r{index}")
    w.emit(f"v = r{index}")
    for step in p.steps:
        step.emit(w)
    w.emit(f"v{index} = v")
