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
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from govscore import rules
from govscore.engine import interpreter, tail
from govscore.engine.facts import Exempt, FactProblem, FactSpec, NotApplicable, UnitFacts
from govscore.engine.lowering import CONTEXT, ZERO, GroupProgram, ItemProgram, Lowered
from govscore.engine.results import LazyNodes, NodeLayout, TraceStep, UnitResult
from govscore.engine.steps import FactorIf, OnCount, Requires, Round
from govscore.rules.base import NotApplicableValue

_MISSING = object()
_BAIL = object()

KernelOutput = tuple[list[Decimal], list[Decimal], dict[str, Any], list[TraceStep], list[str],
                     list[str]]
KernelFn = Callable[[Mapping[str, Any]], "KernelOutput | None"]


class Kernel:
    """One category's generated kernel and what turning its output into a result needs."""

    __slots__ = (
        "_fn",
        "_ids",
        "_index",
        "_layout",
        "_places",
        "_plan",
        "_quantum",
        "_root",
        "_rounding",
        "_tail",
        "source",
        "walk",
    )

    def __init__(self, plan: Lowered, fn: KernelFn, layout: tuple[NodeLayout, ...],
                 source: str, *, walk: bool) -> None:
        self._plan = plan
        self._fn = fn
        self._layout = layout
        self._ids = tuple(n.id for n in layout)
        self._index = {n.id: i for i, n in enumerate(layout)}
        self._root = self._index[plan.scheme.score.id]
        self._places = plan.round_args
        self._quantum, self._rounding = plan.quantum, plan.rounding
        self._tail = bool(plan.outputs or plan.vetoes)  # anything after the total
        self.source = source
        """The generated Python source (for review and the safety test)."""
        self.walk = walk
        """Some fact goes through a generic check that keeps free values (an event's matter, a
        text input): the caller walks the entry first for depth and text (api._entry_problems),
        as the interpreter's path does."""

    def run(self, unit: str, category: str | None, tier: str | None,
            facts: Mapping[str, Any], *, in_context: bool = False,
            ) -> tuple[UnitResult, UnitFacts] | None:
        """Score one unit from its raw facts, or None when the interpreter must do it.
        ``in_context``: the caller has already entered the engine's decimal context (a batch
        enters it once)."""
        try:
            if in_context:
                return self._run(unit, category, tier, facts)
            with decimal.localcontext(CONTEXT):
                return self._run(unit, category, tier, facts)
        except Exception:  # any surprise (an arithmetic trap, a formula error): the interpreter
            return None    # scores this unit again and reports it properly

    def _run(self, unit: str, category: str | None, tier: str | None,
             facts: Mapping[str, Any]) -> tuple[UnitResult, UnitFacts] | None:
        out = self._fn(facts)
        if out is None:
            return None
        values, raws, checked, trace, ineligible, defaulted = out
        unrounded = values[self._root]
        computed = unrounded.quantize(self._quantum, self._rounding)
        if computed != unrounded:
            trace.append(TraceStep(self._ids[self._root], "round", unrounded, computed,
                                   self._places))
        total, forced, cap = computed, None, None
        vetoes: list[str] = []
        outputs: dict[str, Decimal] = {}
        if self._tail:
            by_id = dict(zip(self._ids, values, strict=True))
            outputs = tail.outputs_of(self._plan, checked, by_id, computed, category)
            total, vetoes, forced, cap = tail.vetoes(
                self._plan, checked, by_id, computed, outputs, trace, ineligible, category)
        result = UnitResult.assemble(
            unit, category, tier, total, computed,
            LazyNodes(self._layout, self._index, values, raws, checked), tuple(trace),
            tuple(vetoes), tuple(ineligible), {}, outputs, forced, cap)
        return result, UnitFacts(unit, category, tier, checked, tuple(defaulted))


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

    def const(self, value: object) -> str:
        # the same constant is shared, but only when it is written the same: Decimal("5") and
        # Decimal("5.0") are equal yet print differently, so the key is the type and the repr
        key = (type(value), repr(value))
        name = self._by_key.get(key)
        if name is None:
            name = self._by_key[key] = f"c{len(self.names)}"
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
    w.lines.append("def kernel(f):")
    w.emit(f"if not {w.const(frozenset(fact_var))}.issuperset(f):")
    w.emit("return None", 1)
    w.emit("D = []")
    walk = False
    for spec in specs:
        walk = _check_fact(w, spec, fact_var[spec.name]) or walk
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
    w.emit("return [" + ", ".join(f"v{i}" for i in range(count)) + "], ["
           + ", ".join(f"r{i}" for i in range(count)) + "], X, T, I, D")
    source = "\n".join(w.lines) + "\n"
    namespace: dict[str, Any] = {
        "__builtins__": {"max": max, "str": str, "int": int, "bool": bool, "KeyError": KeyError},
        "MISSING": _MISSING, "BAIL": _BAIL, "ZERO": ZERO, "Decimal": Decimal,
        "NAV": NotApplicableValue, "TS": TraceStep, "NEW": tuple.__new__,
        **w.names,
    }
    code = compile(source, f"<govscore kernel {plan.scheme.id}/{category}>", "exec")
    exec(code, namespace)  # noqa: S102 - our own generated source; no scheme text in it (see top)
    return Kernel(plan, namespace["kernel"], tuple(layout), source, walk=walk)


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
    if checked is _BAIL:
        w.emit("return None", 1)
    else:  # checked once, here, when the kernel is built
        w.emit(f"{x} = {w.const(checked)}", 1)
        w.emit(f"D.append({w.const(spec.name)})", 1)
    w.emit("else:")  # a given value: checked for every unit
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
    w.indent -= 1
    return not paths


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
    item's lowered steps — or, for small facts, the values those steps give, looked up."""
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
