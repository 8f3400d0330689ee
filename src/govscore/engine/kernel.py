"""Compiled kernels: a plan's rules turned into straight-line Python, one function per category.

The interpreter (interpreter.py) walks the plan step by step for every unit, checking every fact
through the generic checks and building a result object per node. A kernel is the code a careful
person would write by hand for one scheme: each fact read and checked inline, each item's
arithmetic written out, every cap, floor, gate, limit and rounding an ``if`` that records a trace
step, and the node results built only when someone reads them (:class:`LazyNodes`).

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

from govscore.engine import interpreter
from govscore.engine.facts import Exempt, FactSpec, NotApplicable, UnitFacts, _Problem
from govscore.engine.plan import CONTEXT, ZERO, GroupStep, ItemStep, NotApplicableValue, Plan
from govscore.engine.results import LazyNodes, NodeLayout, TraceStep, UnitResult
from govscore.language import model

_MISSING = object()
_BAIL = object()
_BIG_INT = 10**15  # facts are below 10^15 (facts.MAX_MAGNITUDE)
_BIG = Decimal(_BIG_INT)

KernelOutput = tuple[list[Decimal], list[Decimal], dict[str, Any], list[TraceStep], list[str],
                     list[str]]
KernelFn = Callable[[Mapping[str, Any]], "KernelOutput | None"]


class Kernel:
    """One category's compiled kernel and what turning its output into a result needs."""

    __slots__ = ("_fn", "_ids", "_index", "_layout", "_plan", "_quantum", "_root", "_round_note",
                 "_rounding", "_tail", "source", "walk")

    def __init__(self, plan: Plan, fn: KernelFn, layout: tuple[NodeLayout, ...],
                 source: str, *, walk: bool) -> None:
        self._plan = plan
        self._fn = fn
        self._layout = layout
        self._ids = tuple(n.id for n in layout)
        self._index = {n.id: i for i, n in enumerate(layout)}
        self._root = self._index[plan.scheme.score.id]
        self._round_note = f"total rounded to {plan.scheme.precision.places} places"
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
        plan = self._plan
        out = self._fn(facts)
        if out is None:
            return None
        values, raws, checked, trace, ineligible, defaulted = out
        unrounded = values[self._root]
        computed = unrounded.quantize(self._quantum, self._rounding)
        if computed != unrounded:
            trace.append(TraceStep(self._ids[self._root], "round", unrounded, computed,
                                   self._round_note))
        total, forced, cap = computed, None, None
        vetoes: list[str] = []
        outputs: dict[str, Decimal] = {}
        if self._tail:
            by_id = dict(zip(self._ids, values, strict=True))
            outputs = interpreter.outputs_of(plan, checked, by_id, computed, category)
            total, vetoes, forced, cap = interpreter.finish_vetoes(
                plan, checked, by_id, computed, outputs, trace, ineligible)
        result = UnitResult.assemble(
            unit, category, tier, total, computed,
            LazyNodes(self._layout, self._index, values, raws, checked), tuple(trace),
            tuple(vetoes), tuple(ineligible), {}, outputs, forced, cap)
        return result, UnitFacts(unit, category, tier, checked, tuple(defaulted))


def build(plan: Plan) -> dict[str | None, Kernel] | None:
    """The kernels of a plan, one per category; None when the plan scores against the whole
    population (those units go through the interpreter's two phases)."""
    if plan.needs_population:
        return None
    return {category: _build_one(plan, category, steps)
            for category, steps in plan.steps.items()}


# ---------------------------------------------------------------------------------------------
# code generation


class _Writer:
    """Source lines plus the constants they refer to by generated name."""

    def __init__(self) -> None:
        self.indent = 0
        """Added to every line's depth (code nested under a generated ``else:``)."""
        self.lines: list[str] = []
        self.names: dict[str, Any] = {}
        self._by_key: dict[tuple[type, str], str] = {}

    def const(self, value: Any) -> str:
        # the same constant is shared, but only when it is written the same: Decimal("5") and
        # Decimal("5.0") are equal yet print differently, so the key is the type and the repr
        key = (type(value), repr(value))
        name = self._by_key.get(key)
        if name is None:
            name = self._by_key[key] = f"c{len(self.names)}"
            self.names[name] = value
        return name

    def emit(self, depth: int, line: str) -> None:
        self.lines.append("    " * (depth + self.indent) + line)


def _spec_applies(spec: FactSpec, category: str | None) -> bool:
    return spec.categories is None or category in spec.categories


def _build_one(plan: Plan, category: str | None,
               steps: tuple[ItemStep | GroupStep, ...]) -> Kernel:
    w = _Writer()
    specs = [s for s in plan.specs.values() if _spec_applies(s, category)]
    fact_var = {spec.name: f"x{i}" for i, spec in enumerate(specs)}
    w.emit(0, "def kernel(f):")
    w.emit(1, f"if not {w.const(frozenset(fact_var))}.issuperset(f):")
    w.emit(2, "return None")
    w.emit(1, "D = []")
    walk = False
    for spec in specs:
        walk = _check_fact(w, spec, fact_var[spec.name]) or walk
    w.emit(1, "X = {" + ", ".join(f"{w.const(n)}: {v}" for n, v in fact_var.items()) + "}")
    w.emit(1, "T = []")
    w.emit(1, "I = []")
    layout: list[NodeLayout] = []
    node_var: dict[str, int] = {}
    applicable_max: dict[str, Decimal] = {}
    for step in steps:
        index = len(layout)
        node_var[step.node.id] = index
        parent, order = plan.positions[step.node.id]
        if isinstance(step, ItemStep):
            node = step.node
            fact = None if node.rule.kind == "formula" else fact_var[step.fact]
            _item(w, plan, step, category, fact, fact_var, index)
            applicable_max[node.id] = node.max
            layout.append(NodeLayout(node.id, node.title, "item", node.max, node.role,
                                     node.outside_total, node.rule.kind, parent, order,
                                     None if fact is None else step.fact))
        else:
            group = step.node
            applicable_max[group.id] = _group(w, step, node_var, applicable_max, index)
            layout.append(NodeLayout(group.id, group.title, "group", step.full_max, group.role,
                                     group.outside_total, group.combine, parent, order, None))
    count = len(layout)
    w.emit(1, "return [" + ", ".join(f"v{i}" for i in range(count)) + "], ["
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
        except _Problem:
            return _BAIL
        if isinstance(out, (Exempt, NotApplicable)):
            return _BAIL
        return out

    return check


def _fast_condition(w: _Writer, spec: FactSpec, x: str) -> str | None:
    """A condition under which the raw value is already what the generic check would return
    (the same object, accepted): the common types of the common kinds. None: always generic."""
    # a range check on a NaN raises InvalidOperation (trapped), which sends the unit to the
    # interpreter, and infinity is out of every range: no is_finite() needed before the range;
    # +x == x holds when x has at most 34 significant digits (the check's bound)
    is_decimal, exact = f"{x}.__class__ is Decimal", f"+{x} == {x}"
    if spec.input is not None:
        return f"{x}.__class__ is bool" if spec.input.type == "flag" else None
    assert spec.item is not None
    rule = spec.item.rule
    if isinstance(rule, model.PassFail):
        return f"{x}.__class__ is bool"
    if isinstance(rule, (model.Rate, model.Shortfall)):
        return f"{is_decimal} and 0 <= {x} <= 1 and {exact}"
    if isinstance(rule, model.PerStep):
        return f"{is_decimal} and 0 <= {x} < {w.const(_BIG)} and {exact}"
    if isinstance(rule, model.Manual) and rule.step is None:
        inside = f"{w.const(rule.min)} <= {x} <= {w.const(rule.max)}"
        if rule.zero_allowed:
            inside = f"({inside} or {x} == 0)"
        return f"{is_decimal} and {inside} and {exact}"
    return None


def _check_fact(w: _Writer, spec: FactSpec, x: str) -> bool:
    """Emit the reading and checking of one fact; True when only the generic check can accept
    it (its value may hold free text or nesting)."""
    w.emit(1, "try:")
    w.emit(2, f"{x} = f[{w.const(spec.name)}]")
    w.emit(1, "except KeyError:")
    default = spec.default
    checked = _BAIL
    if default is not None:
        try:
            checked = _generic_check(spec)(default)
        except Exception:  # a default the check refuses: the interpreter reports it
            checked = _BAIL
    if checked is _BAIL:
        w.emit(2, "return None")
    else:  # checked once, here, when the kernel is built
        w.emit(2, f"{x} = {w.const(checked)}")
        w.emit(2, f"D.append({w.const(spec.name)})")
    w.emit(1, "else:")  # a given value: checked for every unit
    w.indent += 1
    if spec.item is not None and isinstance(spec.item.rule, model.PerOccurrence):
        w.emit(1, f"if {x}.__class__ is int and 0 <= {x} < {w.const(_BIG_INT)}:")
        w.emit(2, "pass")
        # a count read from a file is a whole Decimal: the check makes it an int
        w.emit(1, f"elif {x}.__class__ is Decimal and {x}.is_finite() and 0 <= {x} < "
                  f"{w.const(_BIG)} and {x} == {x}.to_integral_value():")
        w.emit(2, f"{x} = int({x})")
        w.emit(1, "else:")
        fast: str | None = "count"
    else:
        fast = _fast_condition(w, spec, x)
        w.emit(1, f"if not ({fast}):" if fast is not None else "if True:")
    w.emit(2, f"{x} = {w.const(_generic_check(spec))}({x})")
    w.emit(2, f"if {x} is BAIL:")
    w.emit(3, "return None")
    w.indent -= 1
    return fast is None


def _trace(w: _Writer, depth: int, rule_id: str, step: str, before: str, after: str,
           note: str) -> None:
    w.emit(depth, f"T.append(NEW(TS, ({w.const(rule_id)}, {w.const(step)}, {before}, {after}, "
                  f"{note})))")


_TABLE_MAX = 64


def _count_table(plan: Plan, item: model.Item) -> tuple[tuple[Decimal, ...],
                                                       tuple[Decimal, ...]] | None:
    """For a plain per_occurrence item: (raw, score) for the counts 0, 1, … up to where the
    item's max or its rounding would change the value (and so need a trace step): a count read
    from the table needs no arithmetic at all. None when no such table is worth having."""
    rule = item.rule
    if not isinstance(rule, model.PerOccurrence) or item.modifiers or item.from_full:
        return None
    raws: list[Decimal] = []
    scores: list[Decimal] = []
    with decimal.localcontext(CONTEXT):
        for count in range(_TABLE_MAX):
            raw = rule.per * max(0, count - rule.free)
            score = plan.round(raw)
            if raw > item.max or score != raw:
                break
            raws.append(raw)
            scores.append(score)
    return (tuple(raws), tuple(scores)) if len(raws) > 1 else None


def _item(w: _Writer, plan: Plan, step: ItemStep, category: str | None, x: str | None,
          fact_var: Mapping[str, str], index: int) -> None:
    """An item, as interpreter._item computes it, for a plain fact (no exemption, applicable)."""
    table = _count_table(plan, step.node)
    if table is None:
        _item_steps(w, plan, step, category, x, fact_var, index)
        return
    raws, scores = table
    w.emit(1, f"if {x} < {w.const(len(raws))}:")
    w.emit(2, f"r{index} = {w.const(raws)}[{x}]")
    w.emit(2, f"v{index} = {w.const(scores)}[{x}]")
    w.emit(1, "else:")
    w.indent += 1
    _item_steps(w, plan, step, category, x, fact_var, index)
    w.indent -= 1


def _item_steps(w: _Writer, plan: Plan, step: ItemStep, category: str | None, x: str | None,
                fact_var: Mapping[str, str], index: int) -> None:
    node = step.node
    nid, top, rule = node.id, node.max, node.rule
    c_top = w.const(top)
    if isinstance(rule, model.PassFail):
        yes = rule.points if rule.points is not None else top
        raw = f"{w.const(yes)} if {x} else {w.const(rule.fail_points)}"
    elif isinstance(rule, model.Manual):
        raw = f"{x}"
    elif isinstance(rule, model.PerOccurrence):
        raw = f"{w.const(rule.per)} * " + (
            f"max(0, {x} - {w.const(rule.free)})" if rule.free else f"{x}")  # x >= 0
    elif isinstance(rule, model.PerStep):
        raw = f"({x} // {w.const(rule.step)}) * {w.const(rule.points)}"
    elif isinstance(rule, model.Rate):
        raw = f"{c_top} * {x}"
    else:
        raw = f"{w.const(step.raw)}({x or 'None'}, X)"
    w.emit(1, f"r{index} = {raw}")
    if not isinstance(rule, (model.PassFail, model.Manual, model.PerOccurrence, model.PerStep,
                             model.Rate)):
        w.emit(1, f"if r{index}.__class__ is NAV:")
        w.emit(2, "return None")
    w.emit(1, f"v = r{index}")
    for mod in node.modifiers:
        if not isinstance(mod, model.FactorIf) or mod.factor == 1:
            continue
        c_note = w.const(f"× {mod.factor} ({mod.input or 'category'})")
        if mod.input is not None and mod.input not in fact_var:
            continue  # an input this category has not: never true
            w.emit(1, f"if {fact_var[mod.input]} is True:")
        elif mod.categories is not None and category in mod.categories:
            w.emit(1, "if True:")
        else:
            continue
        w.emit(2, "b = v")
        w.emit(2, f"v = v * {w.const(mod.factor)}")
        _trace(w, 2, nid, "modifier", "b", "v", c_note)
    if node.from_full:
        w.emit(1, f"v = {c_top} - v")
    for mod in node.modifiers:
        if isinstance(mod, model.Requires):
            w.emit(1, f"if {fact_var.get(mod.input, 'None')} is not True:")
            _trace(w, 2, nid, "requires", "v", "ZERO", w.const(f"no {mod.input}: no points"))
            w.emit(2, "v = ZERO")
        elif isinstance(mod, model.OnCount):
            if mod.input not in fact_var:
                w.emit(1, "return None")  # the interpreter says what is wrong
                return
            _on_count(w, nid, mod, fact_var[mod.input])
    # the checked fact bounds some raw amounts: a rate's is within 0..max, a count's is >= 0
    plain = not node.modifiers and not node.from_full
    if not (plain and isinstance(rule, model.Rate)):
        w.emit(1, f"if v > {c_top}:")
        _trace(w, 2, nid, "cap", "v", c_top, w.const(f"item max {top}"))
        w.emit(2, f"v = {c_top}")
        if not (plain and isinstance(rule, (model.PerOccurrence, model.PerStep))):
            w.emit(1, "elif v < 0:")
            _trace(w, 2, nid, "floor", "v", "ZERO", w.const("item floor 0 (扣完为止)"))
            w.emit(2, "v = ZERO")
    w.emit(1, f"v{index} = v.quantize({w.const(plan.quantum)}, {w.const(plan.rounding)})")
    w.emit(1, f"if v{index} != v:")
    _trace(w, 2, nid, "round", "v", f"v{index}", w.const("item rounded"))


def _on_count(w: _Writer, nid: str, mod: model.OnCount, n: str) -> None:
    """The step with the highest at_least reached applies (the first listed among equals)."""
    chosen: dict[int, model.CountStep] = {}
    for count_step in mod.steps:
        chosen.setdefault(count_step.at_least, count_step)
    keyword = "if"
    for at_least in sorted(chosen, reverse=True):
        s = chosen[at_least]
        w.emit(1, f"{keyword} {n} >= {w.const(at_least)}:")
        keyword = "elif"
        w.emit(2, "b = v")
        w.emit(2, f"v = v * {w.const(s.factor)}")
        suffix = f" (≥ {s.at_least}): × {s.factor}" + (", no award eligibility"
                                                        if s.ineligible else "")
        if s.ineligible:
            w.emit(2, f"I.append({w.const(f'{nid}: {mod.input} = ')} + str({n}))")
        note = f"{w.const(f'{mod.input} = ')} + str({n}) + {w.const(suffix)}"
        _trace(w, 2, nid, "modifier", "b", "v", note)


def _group(w: _Writer, step: GroupStep, node_var: Mapping[str, int],
           applicable_max: dict[str, Decimal], index: int) -> Decimal:
    """A group, as interpreter._group computes it when every child applies; returns the group's
    applicable max (known when the kernel is built, since every child applies)."""
    node = step.node
    nid = node.id
    kids = [c for c in node.children if c.id in step.children]
    weighted = node.combine == "weighted"

    def term(kid: model.Item | model.Group) -> str:
        var = f"v{node_var[kid.id]}"
        return f"{w.const(kid.weight or ZERO)} * {var}" if weighted else var

    if node.combine == "highest":
        adds = [f"v{node_var[k.id]}" for k in kids if k.role == "add"]
        expr = f"max(({', '.join(adds)},))" if adds else "ZERO"
        for k in kids:
            if k.role == "subtract":
                expr += f" - v{node_var[k.id]}"
    else:
        expr = "ZERO"
        for k in kids:
            expr += (" + " if k.role == "add" else " - ") + term(k)
    w.emit(1, f"r{index} = {expr}")
    w.emit(1, f"v = r{index}")
    am = sum(((applicable_max[k.id] if not weighted else (k.weight or ZERO)
               * applicable_max[k.id]) for k in kids if k.role == "add"), ZERO)
    full = step.full_max
    if node.not_applicable == "rescale" and am != full and am > 0:
        w.emit(1, "b = v")
        w.emit(1, f"v = v * {w.const(full)} / {w.const(am)}")
        _trace(w, 1, nid, "rescale", "b", "v", w.const(
            f"× {full} / {am} (not-applicable items rescaled away)"))
        am = full
    if node.scale_to is not None and full > 0:
        w.emit(1, "b = v")
        w.emit(1, f"v = v * {w.const(node.scale_to)} / {w.const(full)}")
        _trace(w, 1, nid, "scale", "b", "v", w.const(f"× {node.scale_to} / {full}"))
    c_floor = w.const(node.floor)
    w.emit(1, f"if v < {c_floor}:")
    _trace(w, 2, nid, "floor", "v", c_floor, w.const(f"floor {node.floor}"))
    w.emit(2, f"v = {c_floor}")
    if node.cap is not None:
        c_cap = w.const(node.cap)
        w.emit(1, f"if v > {c_cap}:")
        _trace(w, 2, nid, "cap", "v", c_cap, w.const(f"cap {node.cap}"))
        w.emit(2, f"v = {c_cap}")
    if node.gate is not None:
        gate = node.gate
        target = f"v{node_var[gate.node]}"
        bound = gate.gte if gate.gte is not None else gate.gt
        op, sym = (">=", "≥") if gate.gte is not None else (">", ">")
        w.emit(1, f"if not ({target} {op} {w.const(bound)}) and v != 0:")
        note = f"{w.const(f'{gate.node} = ')} + str({target}) + {w.const(f', not {sym} {bound}')}"
        _trace(w, 2, nid, "gate", "v", "ZERO", note)
        w.emit(2, "v = ZERO")
    if node.limit is not None:
        limit = node.limit
        w.emit(1, f"ceiling = {w.const(limit.factor)} * v{node_var[limit.at_most]}")
        w.emit(1, "if v > ceiling:")
        note = f"{w.const(f'not more than {limit.factor} × {limit.at_most} = ')} + str(ceiling)"
        _trace(w, 2, nid, "limit", "v", "ceiling", note)
        w.emit(2, "v = ceiling")
    w.emit(1, f"v{index} = v")
    return am if node.scale_to is None else node.scale_to
