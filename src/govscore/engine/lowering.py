"""Scheme → lowered program, once: every item and group of every category turned into explicit
steps (:mod:`govscore.engine.steps`), every fact's check, every formula compiled, the evaluation
order fixed. Both back ends run these programs — the interpreter applies the steps, the kernel
is generated from the same step objects — so the arithmetic is stated once.

Evaluation order per category: children before parents, and a gate's or limit's target before
the group that uses it.
"""

from __future__ import annotations

import decimal
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from govscore import rules
from govscore.engine import steps as st
from govscore.engine.facts import FactSpec
from govscore.language import formulas, model
from govscore.rules.base import NotApplicableValue, RawFn, RuleKind
from govscore.scheme import phases, scopes, tree
from govscore.scheme.loader import LoadedScheme

ZERO = Decimal(0)

# Exact arithmetic: 34 significant digits holds every sum of 2-place scores exactly; divisions
# (rescale, ratios) are the only inexact steps and are rounded once at the declared places.
CONTEXT = decimal.Context(prec=34, rounding=decimal.ROUND_HALF_EVEN,
                          traps=[decimal.InvalidOperation, decimal.DivisionByZero,
                                 decimal.Overflow])


@dataclass(frozen=True)
class ItemProgram:
    node: model.Item
    fact: str | None
    """The fact the item reads (None for a formula item)."""
    kind: RuleKind[Any]
    raw: RawFn
    steps: tuple[st.ItemStep, ...]
    parent: str | None
    order: int
    converts: bool = False
    """The item reads a fact another item's rule checks, in another shape: a kernel calls
    ``raw`` (which converts) instead of the kind's ``emit_raw``."""

    @property
    def population(self) -> bool:
        return self.kind.population


@dataclass(frozen=True)
class GroupProgram:
    node: model.Group
    combine: st.Combine
    outside: tuple[str, ...]
    """Ids of applicable children kept outside the group's value."""
    full_max: Decimal
    """The group's max before cap and scale (for rescale and scale_to)."""
    steps: tuple[st.GroupStep, ...]
    parent: str | None
    order: int
    static_max: Decimal
    """The group's applicable max when every child applies (what a kernel assumes)."""

    @property
    def children(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.combine.children)


Program = ItemProgram | GroupProgram


@dataclass(frozen=True)
class VetoProgram:
    veto: model.Veto
    formula: formulas.CompiledFormula | None


@dataclass(frozen=True)
class OutputProgram:
    output: model.Output
    formula: formulas.CompiledFormula | None


@dataclass(frozen=True)
class Lowered:
    """A scheme lowered for scoring: compile once, evaluate many units."""

    loaded: LoadedScheme
    specs: dict[str, FactSpec]
    programs: dict[str | None, tuple[Program, ...]]
    """Evaluation order per profile: keyed by the category (None when the scheme has no
    categories) for the units named in no ``units`` list, and by the profile's key for named
    units with nodes of their own (``profiles``)."""
    vetoes: tuple[VetoProgram, ...]
    outputs: tuple[OutputProgram, ...]
    category_of: dict[str, str]
    tier_of: dict[str, str]
    population_items: tuple[str, ...]
    """The items and statistics computed over all units (scheme.phases)."""
    quantum: Decimal
    rounding: str
    titles: dict[str, str] = field(default_factory=dict)
    signs: dict[str, int] = field(default_factory=dict)
    positions: dict[str, tuple[str | None, int]] = field(default_factory=dict)
    """node id → (parent id, preorder position), for results and reports."""
    grade_order: tuple[str, ...] = ()
    """The grades from best to worst (by the bands' lower bounds)."""
    population: phases.Graph | None = None
    """The population values and their phases (None: the scheme has none)."""
    statistics_by_category: dict[str | None, frozenset[str]] = field(default_factory=dict)
    """The statistics a unit's formulas read, by category (scheme.phases.read_by_category)."""
    profiles: dict[str | None, scopes.Profile] = field(default_factory=dict)
    """Every program's profile by its key: the category, less the nodes named units keep."""
    profile_of: dict[tuple[str | None, str], str | None] = field(default_factory=dict)
    """(category, unit) → profile key for the units named in ``units`` lists."""

    @property
    def scheme(self) -> model.Scheme:
        return self.loaded.scheme

    @property
    def needs_population(self) -> bool:
        return bool(self.population_items)

    @property
    def places(self) -> int:
        return self.scheme.precision.places

    @property
    def round_args(self) -> tuple[int, str]:
        """The args of a total's round trace step: (places, mode)."""
        return self.scheme.precision.places, self.scheme.precision.rounding

    def statistics_read(self, category: str | None) -> frozenset[str]:
        return self.statistics_by_category.get(category if self.scheme.categories else None,
                                               frozenset())

    def round(self, value: Decimal) -> Decimal:
        return value.quantize(self.quantum, rounding=self.rounding)

    def profile(self, category: str | None, unit: str) -> str | None:
        """The key of a unit's programs (and kernel, and columns): its category's (None in a
        scheme without categories), unless ``units`` lists name it."""
        if not self.profile_of:  # no units lists: the category's (a kernel's hot path)
            return category
        return self.profile_of.get((category, unit), category)

    def programs_for(self, category: str | None, unit: str = "") -> tuple[Program, ...]:
        return self.programs[self.profile(category if self.scheme.categories else None, unit)]

    def specs_in(self, key: str | None) -> list[FactSpec]:
        """The facts the units of a profile have (a kernel's and a column program's facts)."""
        found = self.profiles.get(key)
        if found is None:
            return [s for s in self.specs.values() if s.applies(key)]
        return [s for s in self.specs.values()
                if s.applies(found.category) and (s.node is None or s.node not in found.without)]


def lower(loaded: LoadedScheme) -> dict[str, Any]:
    """The fields of a :class:`Lowered` (engine.plan adds the kernels)."""
    scheme = loaded.scheme
    refs = tree.index(scheme)
    names = scopes.scopes(scheme, refs)
    specs: dict[str, FactSpec] = {}
    population: list[str] = []
    fact_of = tree.fact_names(refs)
    readers: dict[str, list[model.Item]] = {}
    for ref in refs:
        node = ref.node
        if isinstance(node, model.Item) and node.reads is not None and rules.of(node).has_fact:
            readers.setdefault(fact_of[node.id], []).append(node)
    for ref in refs:
        node = ref.node
        if isinstance(node, model.Item):
            if rules.of(node).reads_fact(node.rule) and node.reads is None:
                fact = fact_of[node.id]
                specs[fact] = FactSpec(fact, item=node, categories=ref.categories,
                                       readers=tuple(readers.get(fact, ())), units=ref.units)
            if rules.of(node).population:
                population.append(node.id)
    population.extend(s.id for s in scheme.statistics)
    for inp in scheme.inputs:
        specs[inp.id] = FactSpec(inp.id, input=inp,
                                 categories=frozenset(inp.applies_to) if inp.applies_to else None)
    quantum = Decimal(1).scaleb(-scheme.precision.places)
    rounding = decimal.ROUND_HALF_UP if scheme.precision.rounding == "half_up" \
        else decimal.ROUND_HALF_EVEN
    raws = {ref.node.id: rules.of(ref.node).raw(ref.node.rule, ref.node, names.item())
            for ref in refs if isinstance(ref.node, model.Item)}
    converting_readers = _converting_readers(refs, specs, fact_of)
    for item_id, item in converting_readers.items():
        raws[item_id] = _own_check(item, raws[item_id])
    converting = frozenset(converting_readers)
    found = scopes.profiles(scheme, refs)
    programs = {p.key: _order(scheme, refs, p, raws, quantum, rounding, fact_of, converting)
                for p in found}
    vetoes = tuple(
        VetoProgram(v, formulas.compile_formula(v.when.formula, names.veto())
                    if v.when.formula else None)
        for v in scheme.vetoes)
    outputs = tuple(
        OutputProgram(out, formulas.compile_formula(out.formula, names.output(i))
                      if out.formula else None)
        for i, out in enumerate(scheme.outputs))
    return {
        "loaded": loaded, "specs": specs, "programs": programs, "vetoes": vetoes,
        "outputs": outputs,
        "category_of": {m: c.id for c in scheme.categories for m in c.members},
        "tier_of": {m: t.id for t in scheme.tiers for m in t.members},
        "population_items": tuple(population), "quantum": quantum, "rounding": rounding,
        "titles": {ref.node.id: ref.node.title for ref in refs},
        "signs": {ref.node.id: ref.sign for ref in refs},
        "positions": {ref.node.id: (ref.ancestors[-1] if ref.ancestors else None, ref.order)
                      for ref in refs},
        "grade_order": grade_order(scheme.grades) if scheme.grades else (),
        "population": phases.graph(scheme, refs) if population else None,
        "statistics_by_category": phases.read_by_category(scheme, refs),
        "profiles": {p.key: p for p in found},
        "profile_of": scopes.profile_keys(found),
    }


def _converting_readers(refs: list[tree.NodeRef], specs: Mapping[str, FactSpec],
                        fact_of: Mapping[str, str]) -> dict[str, model.Item]:
    """Items that read another item's fact of a different shape (a count read as an amount):
    item id → the item. Their raw function gets the fact as their own rule checks it."""
    out: dict[str, model.Item] = {}
    for ref in refs:
        node = ref.node
        if not isinstance(node, model.Item) or node.reads is None:
            continue
        spec = specs.get(fact_of[node.id])
        if spec is None or spec.item is None or spec.item is node:
            continue
        owner = spec.item
        if rules.of(node).fact_shape(node.rule, node) != \
                rules.of(owner).fact_shape(owner.rule, owner):
            out[node.id] = node
    return out


def _own_check(item: model.Item, raw: RawFn) -> RawFn:
    """The raw function of an item reading a fact checked by another item's rule: the value as
    its own rule checks it (the fact check already ran both checks, so this one passes)."""
    kind, rule = rules.of(item), item.rule

    def converted(v: Any, facts: Mapping[str, Any]) -> Decimal | NotApplicableValue:
        return raw(kind.check(rule, item, v), facts)

    return converted


def grade_order(grades: model.Grades) -> tuple[str, ...]:
    """Grades from best to worst (by the bands' lower bounds)."""
    def low(b: model.GradeBand) -> Decimal:
        if b.gte is not None:
            return b.gte
        if b.gt is not None:
            return b.gt
        return Decimal("-Infinity")

    return tuple(b.grade for b in sorted(grades.bands, key=low, reverse=True))


def _order(scheme: model.Scheme, refs: list[tree.NodeRef], profile: scopes.Profile,
           raws: Mapping[str, RawFn], quantum: Decimal, rounding: str,
           fact_of: Mapping[str, str], converting: frozenset[str]) -> tuple[Program, ...]:
    """One profile's programs (a category's, or its named units'), children before parents and
    gate/limit targets before their groups (an explicit stack: no recursion, whatever the
    scheme's size)."""
    category = profile.category
    by_id = {ref.node.id: ref for ref in refs if profile.has(ref)}
    _, uncapped = tree.maxima(scheme, category, profile.without, refs)
    static: dict[str, Decimal] = {}
    done: list[Program] = []
    seen: set[str] = set()
    stack: list[tuple[str, bool]] = [(scheme.score.id, False)]
    while stack:
        node_id, expanded = stack.pop()
        if node_id not in by_id or (node_id in seen and not expanded):
            continue
        ref = by_id[node_id]
        node = ref.node
        if isinstance(node, model.Item):
            seen.add(node_id)
            done.append(_item(ref, node, category, raws[node_id], quantum, rounding,
                              scheme.precision.places, scheme.precision.rounding,
                              fact_of[node_id], node_id in converting,
                              _inherited_requires(ref, by_id)))
            static[node_id] = node.max
            continue
        if not expanded:
            seen.add(node_id)
            stack.append((node_id, True))
            deps = [c.id for c in node.children] + tree.references(node)
            stack.extend((d, False) for d in reversed(deps) if d not in seen)
            continue
        done.append(_group(ref, node, category, uncapped[node_id], static, profile.without))
    return tuple(done)


def _inherited_requires(ref: tree.NodeRef, by_id: Mapping[str, tree.NodeRef]) -> tuple[str, ...]:
    """The flag inputs the groups above an item require (a group's ``requires`` applies to
    every item under it), outermost first."""
    out = []
    for gid in ref.ancestors:
        group = by_id[gid].node
        if isinstance(group, model.Group) and group.requires is not None:
            out.append(group.requires)
    return tuple(out)


def _item(ref: tree.NodeRef, node: model.Item, category: str | None, raw: RawFn,
          quantum: Decimal, rounding: str, places: int, mode: str,
          fact_name: str, converts: bool, inherited: tuple[str, ...] = ()) -> ItemProgram:
    nid, kind = node.id, rules.of(node)
    out: list[st.ItemStep] = []
    for mod in node.modifiers:
        if isinstance(mod, model.FactorIf) and mod.factor != 1:
            if mod.input is not None:
                out.append(st.FactorIf(nid, mod.factor, mod.input, None))
            elif mod.categories is not None and category in mod.categories:
                out.append(st.FactorIf(nid, mod.factor, None, category))
    if node.from_full:
        out.append(st.FromFull(nid, node.max))
    out.extend(st.Requires(nid, flag) for flag in inherited)
    for mod in node.modifiers:
        if isinstance(mod, model.Requires):
            out.append(st.Requires(nid, mod.input))
        elif isinstance(mod, model.OnCount):
            chosen: dict[int, model.CountStep] = {}
            for s in mod.steps:
                chosen.setdefault(s.at_least, s)  # the first listed among equals
            out.append(st.OnCount(nid, mod.input, tuple(
                st.CountStep(s.at_least, s.factor, s.ineligible)
                for s in (chosen[k] for k in sorted(chosen, reverse=True)))))
    fact = fact_name if kind.reads_fact(node.rule) else None
    if node.exemptions and fact is not None:
        out.append(st.Exempt(nid, fact, node.max, ref.sign))
    low, high = kind.raw_range(node.rule, node)
    least = kind.floor(node.rule, node)
    plain = not node.modifiers and not node.from_full and not node.exemptions and not inherited
    out.append(st.Bounds(nid, node.max,
                         cap=node.max.is_finite() and not (
                             plain and high is not None and high <= node.max),
                         floor=not (plain and low is not None and low >= least), low=least))
    out.append(st.Round(nid, quantum, rounding, places, mode))
    parent = ref.ancestors[-1] if ref.ancestors else None
    return ItemProgram(node, fact, kind, raw, tuple(out), parent, ref.order, converts)


def _group(ref: tree.NodeRef, node: model.Group, category: str | None, full_max: Decimal,
           static: dict[str, Decimal], without: frozenset[str] = frozenset()) -> GroupProgram:
    nid = node.id
    applicable = [c for c in node.children if tree.applies(c, category) and c.id not in without]
    kids = [c for c in applicable if not c.outside_total]
    combine = st.Combine(nid, node.combine, tuple(
        st.Child(c.id, c.role, (c.weight or ZERO) if node.combine == "weighted" else None)
        for c in kids))
    am = combine.applicable_max(static)
    out: list[st.GroupStep] = []
    if node.not_applicable == "rescale":
        out.append(st.Rescale(nid, full_max, am))
        if am != full_max and am > 0:
            am = full_max
    if node.scale_to is not None and full_max > 0:
        out.append(st.Scale(nid, node.scale_to, full_max))
    out.append(st.Floor(nid, node.floor))
    if node.cap is not None:
        out.append(st.Cap(nid, node.cap))
    if node.gate is not None:
        gate = node.gate
        op, bound = ("gte", gate.gte) if gate.gte is not None else ("gt", gate.gt)
        assert bound is not None
        out.append(st.Gate(nid, gate.node, op, bound))
    if node.limit is not None:
        out.append(st.Limit(nid, node.limit.at_most, node.limit.factor, node.floor))
    static[nid] = group_max(node, am)
    parent = ref.ancestors[-1] if ref.ancestors else None
    return GroupProgram(node, combine, tuple(c.id for c in applicable if c.outside_total),
                        full_max, tuple(out), parent, ref.order, static[nid])


def group_max(node: model.Group, am: Decimal) -> Decimal:
    """A group's applicable max from its children's (after any rescale): on its scale_to scale
    and within its cap, as its parent sees it."""
    if node.scale_to is not None:
        am = node.scale_to
    if node.cap is not None:
        am = min(am, node.cap)
    return am
