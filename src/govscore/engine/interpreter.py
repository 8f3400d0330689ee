"""Lowered scheme + one unit's checked facts → UnitResult. Pure: no I/O, no parsing.

The order of application is the arithmetic contract's (domain.md §2), fixed by the lowering
(:mod:`govscore.engine.lowering`); this module applies each program's steps in that order:

item: raw value from the rule → factor_if → from_full (max − amount) → requires → on_count →
exemption → bounds 0..max → round; group: combine the applicable children → rescale for
not-applicable children → scale_to → floor → cap → gate → limit; total: the root's value,
rounded → outputs → vetoes.

Every failure is a GovscoreError with a code: facts that cannot be scored together (GS404,
GS410) reject the unit; a formula that fails at run time is GS502 naming the item or veto.
"""

from __future__ import annotations

import contextlib
import decimal
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from govscore.engine import tail
from govscore.engine.facts import Exempt, NotApplicable, UnitFacts
from govscore.engine.lowering import (
    CONTEXT,
    ZERO,
    GroupProgram,
    ItemProgram,
    Lowered,
    group_max,
)
from govscore.engine.results import NodeResult, TraceStep, UnitResult, jsonable
from govscore.engine.steps import Round
from govscore.errors import Diagnostic, EvaluationError, FactsError, one_unit_of_a_population_error
from govscore.language import formulas
from govscore.rules.base import NotApplicableValue, UnitProblem


class UnitState:
    """Working state for one evaluation (what the steps read and write)."""

    __slots__ = ("applicable_max", "exemptions", "facts", "ineligible", "nodes", "trace",
                 "values")

    def __init__(self, facts: Mapping[str, Any]) -> None:
        self.facts = facts
        self.values: dict[str, Decimal] = {}
        self.applicable_max: dict[str, Decimal] = {}
        self.nodes: dict[str, NodeResult] = {}
        self.trace: list[TraceStep] = []
        self.ineligible: list[str] = []
        self.exemptions: dict[str, str] = {}


def evaluate_unit(plan: Lowered, facts: UnitFacts,
                  population: Mapping[str, TraceStep] | None = None) -> UnitResult:
    """Score one unit whose facts have been checked. ``population`` holds, by id, the unit's
    population values computed over all units (:mod:`govscore.engine.population`) as trace
    steps: the raw scores of the population kinds (relative_to_best, rank_points) and the
    cohort statistics of its scopes."""
    if plan.needs_population and population is None:
        raise one_unit_of_a_population_error(plan.population_items, unit=facts.unit)
    with _as_govscore_errors(facts.unit), decimal.localcontext(CONTEXT):
        return _evaluate(plan, facts, population or {})


@contextlib.contextmanager
def _as_govscore_errors(unit: str) -> Iterator[None]:
    """A unit's scoring, its failures as govscore errors naming the unit: a formula's as GS502
    (or its own code), a fact's as FactsError, arithmetic as GS502."""
    try:
        yield
    except formulas.FormulaError as exc:
        raise EvaluationError(exc.code if exc.code != "GS306" else "GS502", str(exc),
                              unit=unit) from None
    except UnitProblem as exc:
        raise FactsError(unit, [Diagnostic(exc.code, str(exc), unit=unit)]) from None
    except (decimal.DecimalException, ArithmeticError) as exc:
        raise EvaluationError("GS502", f"arithmetic error: {type(exc).__name__}",
                              unit=unit) from None


def node_values(plan: Lowered, facts: UnitFacts, population: Mapping[str, TraceStep],
                wanted: frozenset[str]) -> dict[str, Decimal | None]:
    """The values of the nodes in ``wanted`` (closed under children and gate/limit targets:
    :func:`govscore.scheme.phases.needed`) for one unit, with the population values computed
    so far: what a population phase ranks or summarises. A node that does not apply to the
    unit is None. Raises like :func:`evaluate_unit` for a unit that cannot be scored."""
    with _as_govscore_errors(facts.unit), decimal.localcontext(CONTEXT):
        u = _state(facts, population)
        for program in plan.programs_for(facts.category, facts.unit):
            if program.node.id not in wanted:
                continue
            if isinstance(program, ItemProgram):
                _item(program, u, population)
            else:
                _group(program, u)
    return {n: (u.values[n] if u.nodes[n].applicable else None) for n in wanted
            if n in u.nodes}


def _state(facts: UnitFacts, population: Mapping[str, TraceStep]) -> UnitState:
    """A unit's working state; the cohort statistics of its scopes are names its formulas read
    like facts (and the first steps of its trace)."""
    stats = [s for s in population.values() if s.step == "statistic"]
    if not stats:
        return UnitState(facts.values)
    u = UnitState({**facts.values, **{s.rule: s.after for s in stats}})
    u.trace.extend(stats)
    return u


def _evaluate(plan: Lowered, facts: UnitFacts, population: Mapping[str, TraceStep]) -> UnitResult:
    u = _state(facts, population)
    missing = [s for s in plan.statistics_read(facts.category) if s not in u.facts]
    if missing:
        raise UnitProblem("GS510", f"statistic {missing[0]!r} has no unit with a value to be "
                          "taken over in this unit's scope, and this unit's score needs it")
    for program in plan.programs_for(facts.category, facts.unit) if plan.scheme.statistics else ():
        if not isinstance(program, ItemProgram):
            continue
        sub = program.node.not_applicable_score
        if sub is not None and sub not in u.facts and \
                isinstance(u.facts.get(program.fact or ""), NotApplicable):
            raise UnitProblem("GS510", f"item {program.node.id!r} is not applicable to this "
                              f"unit and scores statistic {sub!r} instead, but no unit in its "
                              "scope has the item to take it over")
    for program in plan.programs_for(facts.category, facts.unit):
        if isinstance(program, ItemProgram):
            _item(program, u, population)
        else:
            _group(program, u)
    root = plan.scheme.score.id
    unrounded = u.values[root]
    computed = plan.round(unrounded)
    if computed != unrounded:
        u.trace.append(TraceStep(root, "round", unrounded, computed, plan.round_args))
    outputs = tail.outputs_of(plan, u.facts, u.values, computed, facts.category)
    total, vetoes, forced, cap = tail.vetoes(plan, u.facts, u.values, computed, outputs,
                                             u.trace, u.ineligible, facts.category)
    return UnitResult(
        unit=facts.unit, category=facts.category, tier=facts.tier, total=total,
        computed_total=computed, nodes=u.nodes, trace=tuple(u.trace),
        vetoes=tuple(vetoes), ineligible=tuple(u.ineligible), exemptions=u.exemptions,
        outputs=outputs, forced_grade=forced, grade_cap=cap)


def _item(p: ItemProgram, u: UnitState, population: Mapping[str, TraceStep]) -> None:
    node = p.node
    fact = u.facts.get(p.fact) if p.fact is not None else None
    if isinstance(fact, NotApplicable):
        sub = node.not_applicable_score
        if sub is not None and sub in u.facts:
            _substitute(p, u, sub, fact)
        else:  # (while the statistic itself is being taken: the unit is left out of it)
            _not_applicable(p, u, fact.reason, fact)
        return
    raw: Decimal | NotApplicableValue
    if isinstance(fact, Exempt):
        raw = ZERO  # the exemption step gives what nothing lost gives
    elif p.population:
        scored = population.get(node.id)
        if scored is None:  # left out: the node it ranks could not be scored for this unit,
            # and scoring the unit fails there too (the same steps over the same values)
            _not_applicable(p, u, "not ranked", fact)
            return
        if scored.step == "not_applicable":
            _not_applicable(p, u, scored.args[0], fact)
            return
        u.trace.append(scored)
        raw = scored.after
    else:
        try:
            raw = p.raw(fact, u.facts)
        except formulas.FormulaError as exc:
            where = f"item {node.id!r}" if node.id not in str(exc) else ""
            raise formulas.FormulaError(f"{where}: {exc}" if where else str(exc),
                                        code=exc.code) from None
    if isinstance(raw, NotApplicableValue):
        _not_applicable(p, u, raw.reason, fact)
        return
    value = raw
    for step in p.steps:
        value = step.apply(value, u)
    if isinstance(fact, Exempt):
        u.exemptions[node.id] = fact.reason
    u.values[node.id] = value
    u.applicable_max[node.id] = node.max
    u.nodes[node.id] = NodeResult(node.id, node.title, "item", value, raw, node.max, node.role,
                                  True, node.outside_total, jsonable(_plain(fact)),
                                  node.rule.kind, p.parent, p.order)


def _substitute(p: ItemProgram, u: UnitState, statistic: str, fact: NotApplicable) -> None:
    """A unit marking the item not applicable scores the statistic of the item over the units
    that have it (无新进人员的按同类单位平均得分计), rounded like every item score."""
    node = p.node
    value = stat = u.facts[statistic]
    u.trace.append(TraceStep(node.id, "substitute", ZERO, stat, (statistic,)))
    for step in p.steps:
        if isinstance(step, Round):
            value = step.apply(value, u)
    u.values[node.id] = value
    u.applicable_max[node.id] = node.max
    u.nodes[node.id] = NodeResult(node.id, node.title, "item", value, stat, node.max, node.role,
                                  True, node.outside_total, jsonable(_plain(fact)),
                                  node.rule.kind, p.parent, p.order)


def _plain(fact: Any) -> Any:
    if isinstance(fact, Exempt):
        return {"exempt": fact.reason, "note": fact.note}
    if isinstance(fact, NotApplicable):
        return {"not_applicable": fact.reason}
    return fact


def _not_applicable(p: ItemProgram, u: UnitState, reason: str, fact: Any) -> None:
    node = p.node
    u.values[node.id] = ZERO
    u.applicable_max[node.id] = ZERO
    u.nodes[node.id] = NodeResult(node.id, node.title, "item", ZERO, ZERO, node.max, node.role,
                                  False, node.outside_total, jsonable(_plain(fact)),
                                  node.rule.kind, p.parent, p.order)
    u.trace.append(TraceStep(node.id, "not_applicable", ZERO, ZERO, (reason,)))


def _group(p: GroupProgram, u: UnitState) -> None:
    node = p.node
    nid = node.id
    combine = p.combine
    applicable = {c.id for c in combine.children if u.nodes[c.id].applicable}
    if combine.children and not applicable:
        policy = node.none_applicable
        if policy == "error":
            raise UnitProblem("GS411", f"no item of group {nid!r} ({node.title}) applies to "
                              "this unit, and the scheme does not say what the group then gets "
                              "(none_applicable: full, zero or not_applicable)")
        if policy == "not_applicable":
            u.values[nid] = ZERO
            u.applicable_max[nid] = ZERO
            u.nodes[nid] = NodeResult(nid, node.title, "group", ZERO, ZERO, p.full_max,
                                      node.role, False, node.outside_total, None, node.combine,
                                      p.parent, p.order)
            u.trace.append(TraceStep(nid, "not_applicable", ZERO, ZERO, ("",)))
            return
        raw = p.full_max if policy == "full" else ZERO
        u.trace.append(TraceStep(nid, "none_applicable", ZERO, raw, (policy,)))
        u.applicable_max[nid] = p.full_max
    else:
        raw = combine.value(u.values, applicable)
        u.applicable_max[nid] = combine.applicable_max(u.applicable_max)
    value = raw
    for step in p.steps:
        value = step.apply(value, u)
    u.values[nid] = value
    u.applicable_max[nid] = group_max(node, u.applicable_max[nid])
    u.nodes[nid] = NodeResult(nid, node.title, "group", value, raw, p.full_max, node.role,
                              True, node.outside_total, None, node.combine, p.parent, p.order)

