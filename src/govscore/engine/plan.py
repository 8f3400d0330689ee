"""Scheme → Plan, once. The plan holds everything evaluation needs, resolved and pre-parsed: the
fact specs, every item's rule as a ready function, the evaluation order per category, compiled
formulas, member lookups and the rounding quantum. Evaluation never walks the pydantic tree or
parses a formula again.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from govscore.engine.facts import FactSpec, band_for
from govscore.language import formulas, model
from govscore.scheme import checks
from govscore.scheme.loader import LoadedScheme

ZERO = Decimal(0)
ONE = Decimal(1)

# Exact arithmetic: 34 significant digits holds every sum of 2-place scores exactly; divisions
# (rescale, ratios) are the only inexact steps and are rounded once at the declared places.
CONTEXT = decimal.Context(prec=34, rounding=decimal.ROUND_HALF_EVEN,
                          traps=[decimal.InvalidOperation, decimal.DivisionByZero,
                                 decimal.Overflow])


class NotApplicableValue:
    """The value of an item (or a whole group) that does not apply to this unit."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


RawFn = Callable[[Any, Mapping[str, Any]], "Decimal | NotApplicableValue"]


@dataclass(frozen=True)
class ItemStep:
    node: model.Item
    fact: str
    raw: RawFn
    population: bool


@dataclass(frozen=True)
class GroupStep:
    node: model.Group
    children: tuple[str, ...]
    """Ids of the children that apply to this category and are added into the group."""
    outside: tuple[str, ...]
    """Ids of applicable children kept outside the group's value."""
    full_max: Decimal
    """The group's max before cap and scale (for rescale and scale_to)."""


@dataclass(frozen=True)
class VetoStep:
    veto: model.Veto
    formula: formulas.CompiledFormula | None


@dataclass(frozen=True)
class OutputStep:
    output: model.Output
    formula: formulas.CompiledFormula | None


@dataclass(frozen=True)
class Plan:
    """A compiled scheme: compile once, evaluate many units."""

    loaded: LoadedScheme
    specs: dict[str, FactSpec]
    steps: dict[str | None, tuple[ItemStep | GroupStep, ...]]
    """Evaluation order per category (None when the scheme has no categories)."""
    vetoes: tuple[VetoStep, ...]
    outputs: tuple[OutputStep, ...]
    category_of: dict[str, str]
    tier_of: dict[str, str]
    population_items: tuple[str, ...]
    quantum: Decimal
    rounding: str
    titles: dict[str, str] = field(default_factory=dict)
    signs: dict[str, int] = field(default_factory=dict)
    """node id → +1 if the node adds to the total through every group above it, −1 if it is
    subtracted (an odd number of subtracting nodes on its path)."""
    positions: dict[str, tuple[str | None, int]] = field(default_factory=dict)
    """node id → (parent id, preorder position), for results and reports."""
    kernels: dict[str | None, Any] | None = field(default=None, compare=False, repr=False)
    """category → the compiled kernel (kernel.Kernel) that scores plain facts fast; None for
    plans scored against the whole population. Set by compile_plan."""

    @property
    def scheme(self) -> model.Scheme:
        return self.loaded.scheme

    @property
    def needs_population(self) -> bool:
        return bool(self.population_items)

    def round(self, value: Decimal) -> Decimal:
        return value.quantize(self.quantum, rounding=self.rounding)


def compile_plan(loaded: LoadedScheme) -> Plan:
    """Compile a valid scheme into a plan."""
    scheme = loaded.scheme
    refs = checks.index_nodes(scheme)
    item_names = checks.formula_names(scheme, with_nodes=False)
    late_names = checks.formula_names(scheme, with_nodes=True)
    specs: dict[str, FactSpec] = {}
    item_steps: dict[str, ItemStep] = {}
    population: list[str] = []
    for ref in refs:
        node = ref.node
        if isinstance(node, model.Item):
            fact = node.fact or node.id
            is_pop = node.rule.kind in model.POPULATION_KINDS
            cats = _categories_of(ref, refs)
            if node.rule.kind != "formula":
                specs[fact] = FactSpec(fact, item=node, categories=cats)
            item_steps[node.id] = ItemStep(node, fact, _raw_fn(node, item_names), is_pop)
            if is_pop:
                population.append(node.id)
    for inp in scheme.inputs:
        specs[inp.id] = FactSpec(inp.id, input=inp,
                                 categories=frozenset(inp.applies_to) if inp.applies_to else None)
    categories: list[str | None] = [c.id for c in scheme.categories] or [None]
    steps = {cat: _order(scheme.score, cat, item_steps) for cat in categories}
    vetoes = tuple(
        VetoStep(v, formulas.compile_formula(v.when.formula, late_names) if v.when.formula else None)
        for v in scheme.vetoes)
    outputs: list[OutputStep] = []
    output_names = dict(late_names)
    for out in scheme.outputs:
        formula = formulas.compile_formula(out.formula, output_names) if out.formula else None
        outputs.append(OutputStep(out, formula))
        output_names[out.id] = out
    titles = {ref.node.id: ref.node.title for ref in refs}
    plan = Plan(
        loaded=loaded, specs=specs, steps=steps, vetoes=vetoes, outputs=tuple(outputs),
        category_of={m: c.id for c in scheme.categories for m in c.members},
        tier_of={m: t.id for t in scheme.tiers for m in t.members},
        population_items=tuple(population),
        quantum=Decimal(1).scaleb(-scheme.precision.places),
        rounding=decimal.ROUND_HALF_UP if scheme.precision.rounding == "half_up"
        else decimal.ROUND_HALF_EVEN,
        titles=titles,
        signs=_signs(scheme.score),
        positions={ref.node.id: (ref.ancestors[-1] if ref.ancestors else None, i)
                   for i, ref in enumerate(refs)},
    )
    from govscore.engine import kernel  # the kernel module builds on this one

    object.__setattr__(plan, "kernels", kernel.build(plan))  # frozen: set once, here
    return plan


def _signs(root: model.Group) -> dict[str, int]:
    out: dict[str, int] = {}

    def walk(node: model.Item | model.Group, sign: int) -> None:
        here = -sign if node.role == "subtract" else sign
        out[node.id] = here
        if isinstance(node, model.Group):
            for child in node.children:
                walk(child, here)

    walk(root, 1)
    return out


def _categories_of(ref: checks.NodeRef, refs: list[checks.NodeRef]) -> frozenset[str] | None:
    """The categories an item applies to, through its own and its ancestors' applies_to."""
    by_id = {r.node.id: r.node for r in refs}
    allowed: set[str] | None = None
    for node in [*(by_id[a] for a in ref.ancestors), ref.node]:
        if node.applies_to is not None:
            allowed = set(node.applies_to) if allowed is None else allowed & set(node.applies_to)
    return frozenset(allowed) if allowed is not None else None


def _order(root: model.Group, category: str | None,
           items: dict[str, ItemStep]) -> tuple[ItemStep | GroupStep, ...]:
    """Children before parents; a gate's or limit's target before the group that uses it."""
    nodes: dict[str, model.Item | model.Group] = {}

    def collect(node: model.Item | model.Group) -> None:
        if not checks.applies(node, category):
            return
        nodes[node.id] = node
        if isinstance(node, model.Group):
            for child in node.children:
                collect(child)

    collect(root)
    done: list[ItemStep | GroupStep] = []
    seen: set[str] = set()

    def visit(node_id: str) -> None:
        if node_id in seen or node_id not in nodes:
            return
        seen.add(node_id)
        node = nodes[node_id]
        if isinstance(node, model.Item):
            done.append(items[node_id])
            return
        for child in node.children:
            visit(child.id)
        for target in checks.references(node):
            visit(target)
        kids = [c for c in node.children if c.id in nodes]
        done.append(GroupStep(
            node,
            children=tuple(c.id for c in kids if not c.outside_total),
            outside=tuple(c.id for c in kids if c.outside_total),
            full_max=checks.node_max(node.model_copy(update={"cap": None, "scale_to": None}),
                                     category),
        ))

    visit(root.id)
    return tuple(done)


# ---------------------------------------------------------------------------------------------
# rule kinds → functions of (fact value, all facts) giving the raw amount


def _raw_fn(item: model.Item, names: dict[str, object]) -> RawFn:
    rule = item.rule
    top = item.max
    if isinstance(rule, model.PassFail):
        yes = rule.points if rule.points is not None else top
        no = rule.fail_points
        return lambda v, _f: yes if v else no
    if isinstance(rule, model.Manual):
        return _identity
    if isinstance(rule, model.PerOccurrence):
        per, free = rule.per, rule.free
        return lambda v, _f: per * max(0, v - free)
    if isinstance(rule, model.ByLevel):
        return _by_level(rule)
    if isinstance(rule, model.PerStep):
        step, points = rule.step, rule.points
        return lambda v, _f: (v // step) * points
    if isinstance(rule, model.Ratio):
        policy = rule.zero_target

        def ratio(v: Any, _f: Mapping[str, Any]) -> Decimal | NotApplicableValue:
            done: Decimal = v["done"]
            target: Decimal = v["target"]
            if target == 0:
                return _zero_policy(policy, top, "target is 0")
            return top * min(ONE, done / target)

        return ratio
    if isinstance(rule, model.Rate):
        return lambda v, _f: top * v
    if isinstance(rule, model.Shortfall):
        target, per, step, whole = rule.target, rule.per, rule.step, rule.partial == "whole_steps"

        def shortfall(v: Any, _f: Mapping[str, Any]) -> Decimal:
            rate: Decimal = v
            if rate >= target:
                return top
            steps = (target - rate) / step
            if whole:
                steps = steps.to_integral_value(rounding=decimal.ROUND_FLOOR)
            return top - steps * per

        return shortfall
    if isinstance(rule, model.Bands):
        bands = tuple(rule.bands)
        outside = rule.outside

        def bands_fn(v: Any, _f: Mapping[str, Any]) -> Decimal:
            band = band_for(bands, v)
            if band is not None:
                return band.points
            assert outside is not None  # facts checking refuses a value in no band otherwise
            return outside

        return bands_fn
    if isinstance(rule, model.Rating):
        return _rating(rule, top)
    if isinstance(rule, model.Choice):
        options = dict(rule.options)
        return lambda v, _f: options[v]
    if isinstance(rule, model.Checklist):
        shares = {c.id: c.share for c in rule.criteria}
        return lambda v, _f: top * sum((shares[c] for c in v), ZERO)
    if isinstance(rule, model.Series):
        return _series(rule)
    if isinstance(rule, model.RaterGroups):
        return _rater_groups(rule, top)
    if isinstance(rule, model.Formula):
        formula = formulas.compile_formula(rule.formula, names)

        def formula_fn(_v: Any, facts: Mapping[str, Any]) -> Decimal:
            env: dict[str, formulas.Value] = {
                n: facts[n] if n in facts else names[n] for n in formula.names}  # type: ignore[misc]
            result = formula.evaluate(env)
            if isinstance(result, bool):
                raise formulas.FormulaError(f"formula {rule.formula!r} gave true/false, not points")
            return result

        return formula_fn
    # population kinds: the value is supplied by the population phase
    return _identity


def _identity(v: Any, _f: Mapping[str, Any]) -> Decimal:
    value: Decimal = v
    return value


def _zero_policy(policy: str, top: Decimal, why: str) -> Decimal | NotApplicableValue:
    if policy == "full":
        return top
    if policy == "zero":
        return ZERO
    return NotApplicableValue(why)


def _by_level(rule: model.ByLevel) -> RawFn:
    levels = dict(rule.levels)

    def fn(v: Any, _f: Mapping[str, Any]) -> Decimal:
        if isinstance(v, list):
            if rule.combine == "sum":
                return sum((levels[e["level"]] for e in v), ZERO)
            if rule.combine == "highest":
                return max((levels[e["level"]] for e in v), default=ZERO)
            best: dict[object, Decimal] = {}
            for i, e in enumerate(v):
                key = e["matter"] if e["matter"] is not None else ("#", i)
                best[key] = max(best.get(key, ZERO), levels[e["level"]])
            return sum(best.values(), ZERO)
        if rule.combine == "highest":
            return max((levels[k] for k, n in v.items() if n > 0), default=ZERO)
        # sum, or highest_per_matter without matters: every occurrence is its own matter
        return sum((levels[k] * n for k, n in v.items()), ZERO)

    return fn


def _rating(rule: model.Rating, top: Decimal) -> RawFn:
    values = dict(rule.values)
    satisfied = frozenset(rule.satisfied or ())
    full = rule.full if rule.full is not None else max(values.values())

    def fn(v: Any, _f: Mapping[str, Any]) -> Decimal | NotApplicableValue:
        votes: dict[str, int] = v
        counted = sum(n for k, n in votes.items() if k in values)
        if counted == 0:
            return _zero_policy(rule.no_votes, top, "no votes")
        if rule.satisfied is not None:
            return top * Decimal(sum(n for k, n in votes.items() if k in satisfied)) / counted
        points = sum((values[k] * n for k, n in votes.items() if k in values), ZERO)
        if full == 0:
            return ZERO
        return top * points / (counted * full)

    return fn


def _series(rule: model.Series) -> RawFn:
    def fn(v: Any, _f: Mapping[str, Any]) -> Decimal:
        if rule.aggregate == "sum":
            return sum(v, ZERO)
        if rule.aggregate == "min":
            return min(v)  # type: ignore[no-any-return]
        if rule.aggregate == "max":
            return max(v)  # type: ignore[no-any-return]
        return sum(v, ZERO) / len(v)

    return fn


def _rater_groups(rule: model.RaterGroups, top: Decimal) -> RawFn:
    groups = tuple(rule.groups)

    def fn(v: Any, _f: Mapping[str, Any]) -> Decimal:
        present = [(g, v.get(g.id, [])) for g in groups]
        empty = [g.id for g, scores in present if not scores]
        weight_total = sum((g.weight for g, scores in present if scores), ZERO)
        if empty and (rule.empty_group == "error" or weight_total == 0):
            raise RaterGroupEmpty(empty)
        total = ZERO
        for g, scores in present:
            if scores:
                total += g.weight / weight_total * (sum(scores, ZERO) / len(scores))
        return top * total / rule.scale

    return fn


class RaterGroupEmpty(Exception):  # noqa: N818 - caught by the engine and reported as facts
    def __init__(self, groups: list[str]) -> None:
        self.groups = groups
        super().__init__(f"no scores for rater group(s) {', '.join(groups)}")
