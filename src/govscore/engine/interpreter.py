"""Plan + one unit's checked facts → UnitResult. Pure: no I/O, no parsing.

The order of application is the arithmetic contract's (domain.md §2):

item: raw value from the rule → factor_if (scales the raw amount) → from_full (max − amount)
→ requires → on_count (halve/zero, eligibility) → exemption → bounds 0..max → round;
group: combine children → rescale for not-applicable children → scale_to → floor/cap → gate →
limit; total: the root's value, rounded → outputs (conversions) → vetoes.

Every step that changes a number is recorded in the trace with the value before and after.
"""

from __future__ import annotations

import decimal
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from govscore.engine.facts import Exempt, NotApplicable, UnitFacts
from govscore.engine.plan import (
    CONTEXT,
    ZERO,
    GroupStep,
    ItemStep,
    NotApplicableValue,
    Plan,
    RaterGroupEmpty,
)
from govscore.engine.results import NodeResult, TraceStep, UnitResult, jsonable
from govscore.errors import Diagnostic, EvaluationError, FactsError
from govscore.language import formulas, model


class _Unit:
    """Working state for one evaluation."""

    __slots__ = ("applicable_max", "ineligible", "nodes", "trace", "values")

    def __init__(self) -> None:
        self.values: dict[str, Decimal] = {}
        self.applicable_max: dict[str, Decimal] = {}
        self.nodes: dict[str, NodeResult] = {}
        self.trace: list[TraceStep] = []
        self.ineligible: list[str] = []


def evaluate_unit(plan: Plan, facts: UnitFacts,
                  population: Mapping[str, Decimal] | None = None) -> UnitResult:
    """Score one unit whose facts have been checked. ``population`` holds the scores of the
    population kinds (relative_to_best, rank_points) computed over all units."""
    if plan.needs_population and population is None:
        raise EvaluationError(
            "GS501", f"this scheme has items scored against the whole population "
            f"({', '.join(plan.population_items)}); score all units together "
            "(evaluate_all / govscore score), not one unit alone", unit=facts.unit)
    try:
        with decimal.localcontext(CONTEXT):
            return _evaluate(plan, facts, population or {})
    except formulas.FormulaError as exc:
        raise EvaluationError(exc.code if exc.code != "GS306" else "GS502", str(exc),
                              unit=facts.unit) from None
    except RaterGroupEmpty as exc:
        raise FactsError(facts.unit, [Diagnostic("GS404", str(exc), unit=facts.unit)]) from None
    except (decimal.DecimalException, ArithmeticError) as exc:
        raise EvaluationError("GS502", f"arithmetic error: {type(exc).__name__}",
                              unit=facts.unit) from None


def _evaluate(plan: Plan, facts: UnitFacts, population: Mapping[str, Decimal]) -> UnitResult:
    state = _Unit()
    values = facts.values
    exemptions: dict[str, str] = {}
    for step in plan.steps[facts.category if plan.scheme.categories else None]:
        if isinstance(step, ItemStep):
            _item(plan, step, values, population, state, exemptions, facts.category)
        else:
            _group(plan, step, state)
    root = plan.scheme.score.id
    unrounded = state.values[root]
    computed = plan.round(unrounded)
    if computed != unrounded:
        state.trace.append(TraceStep(root, "round", unrounded, computed,
                                     f"total rounded to {plan.scheme.precision.places} places"))
    outputs = outputs_of(plan, values, state.values, computed, facts.category)
    total, vetoes, forced, cap = finish_vetoes(plan, values, state.values, computed, outputs,
                                               state.trace, state.ineligible)
    return UnitResult(
        unit=facts.unit, category=facts.category, tier=facts.tier, total=total,
        computed_total=computed, nodes=state.nodes, trace=tuple(state.trace),
        vetoes=tuple(vetoes), ineligible=tuple(state.ineligible), exemptions=exemptions,
        outputs=outputs, forced_grade=forced, grade_cap=cap)


def _item(plan: Plan, step: ItemStep, values: Mapping[str, Any],
          population: Mapping[str, Decimal], state: _Unit, exemptions: dict[str, str],
          category: str | None) -> None:
    node = step.node
    nid = node.id
    top = node.max
    fact = values.get(step.fact) if node.rule.kind != "formula" else None
    if isinstance(fact, NotApplicable):
        _not_applicable(plan, state, node, fact.reason, fact)
        return
    if step.population:
        raw: Decimal | NotApplicableValue = population[nid]
    elif isinstance(fact, Exempt):
        raw = ZERO
    else:
        raw = step.raw(fact, values)
    if isinstance(raw, NotApplicableValue):
        _not_applicable(plan, state, node, raw.reason, fact)
        return
    value = raw
    for mod in node.modifiers:
        if isinstance(mod, model.FactorIf):
            hit = values.get(mod.input) is True if mod.input else \
                (mod.categories is not None and category in mod.categories)
            if hit and mod.factor != 1:
                before, value = value, value * mod.factor
                state.trace.append(TraceStep(nid, "modifier", before, value,
                                             f"× {mod.factor} ({mod.input or 'category'})"))
    if node.from_full:
        value = top - value
    for mod in node.modifiers:
        if isinstance(mod, model.Requires) and values.get(mod.input) is not True:
            state.trace.append(TraceStep(nid, "requires", value, ZERO,
                                         f"no {mod.input}: no points"))
            value = ZERO
        elif isinstance(mod, model.OnCount):
            n = values[mod.input]
            reached = [s for s in mod.steps if n >= s.at_least]
            if reached:
                chosen = max(reached, key=lambda s: s.at_least)
                before = value
                value = value * chosen.factor
                note = f"{mod.input} = {n} (≥ {chosen.at_least}): × {chosen.factor}"
                if chosen.ineligible:
                    note += ", no award eligibility"
                    state.ineligible.append(f"{nid}: {mod.input} = {n}")
                state.trace.append(TraceStep(nid, "modifier", before, value, note))
    if isinstance(fact, Exempt):
        before = value
        # nothing lost: full marks for what adds to the total, 0 for what is subtracted from it
        value = top if plan.signs[nid] > 0 else ZERO
        exemptions[nid] = fact.reason
        state.trace.append(TraceStep(nid, "exempt", before, value,
                                     f"exempt: {fact.reason}" + (f" ({fact.note})" if fact.note
                                                                 else "")))
    if value > top:
        state.trace.append(TraceStep(nid, "cap", value, top, f"item max {top}"))
        value = top
    elif value < 0:
        state.trace.append(TraceStep(nid, "floor", value, ZERO, "item floor 0 (扣完为止)"))
        value = ZERO
    rounded = plan.round(value)
    if rounded != value:
        state.trace.append(TraceStep(nid, "round", value, rounded, "item rounded"))
    state.values[nid] = rounded
    state.applicable_max[nid] = top
    parent, order = plan.positions[nid]
    state.nodes[nid] = NodeResult(nid, node.title, "item", rounded, raw, top, node.role, True,
                                  node.outside_total, jsonable(_plain(fact)), node.rule.kind,
                                  parent, order)


def _plain(fact: Any) -> Any:
    if isinstance(fact, Exempt):
        return {"exempt": fact.reason, "note": fact.note}
    if isinstance(fact, NotApplicable):
        return {"not_applicable": fact.reason}
    return fact


def _not_applicable(plan: Plan, state: _Unit, node: model.Item, reason: str, fact: Any) -> None:
    state.values[node.id] = ZERO
    state.applicable_max[node.id] = ZERO
    parent, order = plan.positions[node.id]
    state.nodes[node.id] = NodeResult(node.id, node.title, "item", ZERO, ZERO, node.max,
                                      node.role, False, node.outside_total,
                                      jsonable(_plain(fact)), node.rule.kind, parent, order)
    state.trace.append(TraceStep(node.id, "not_applicable", ZERO, ZERO, reason))


def _group(plan: Plan, step: GroupStep, state: _Unit) -> None:
    node = step.node
    nid = node.id
    parent, order = plan.positions[nid]
    values = state.values
    kids = [state.nodes[cid] for cid in step.children]
    applicable = [r for r in kids if r.applicable]
    weights = {c.id: (c.weight or ZERO) for c in node.children} \
        if node.combine == "weighted" else None
    if node.combine == "highest":
        raw = max((values[r.id] for r in applicable if r.role == "add"), default=ZERO)
        raw -= sum((values[r.id] for r in applicable if r.role == "subtract"), ZERO)
    else:
        raw = ZERO
        for r in applicable:
            v = values[r.id] if weights is None else weights[r.id] * values[r.id]
            raw = raw + v if r.role == "add" else raw - v
    applicable_max = sum(((state.applicable_max[r.id] if weights is None
                           else weights[r.id] * state.applicable_max[r.id])
                          for r in kids if r.role == "add"), ZERO)
    any_applicable = bool(applicable) or not kids
    value = raw
    if not any_applicable:
        values[nid] = ZERO
        state.applicable_max[nid] = ZERO
        state.nodes[nid] = NodeResult(nid, node.title, "group", ZERO, ZERO, step.full_max,
                                      node.role, False, node.outside_total, None, node.combine,
                                      parent, order)
        state.trace.append(TraceStep(nid, "not_applicable", ZERO, ZERO, "no child applies"))
        return
    if node.not_applicable == "rescale" and applicable_max != step.full_max and applicable_max > 0:
        before = value
        value = value * step.full_max / applicable_max
        state.trace.append(TraceStep(nid, "rescale", before, value,
                                     f"× {step.full_max} / {applicable_max} (not-applicable "
                                     "items rescaled away)"))
        applicable_max = step.full_max
    if node.scale_to is not None and step.full_max > 0:
        before = value
        value = value * node.scale_to / step.full_max
        state.trace.append(TraceStep(nid, "scale", before, value,
                                     f"× {node.scale_to} / {step.full_max}"))
    if value < node.floor:
        state.trace.append(TraceStep(nid, "floor", value, node.floor, f"floor {node.floor}"))
        value = node.floor
    if node.cap is not None and value > node.cap:
        state.trace.append(TraceStep(nid, "cap", value, node.cap, f"cap {node.cap}"))
        value = node.cap
    if node.gate is not None:
        target = values[node.gate.node]
        bound = node.gate.gte if node.gate.gte is not None else node.gate.gt
        assert bound is not None
        opened = target >= bound if node.gate.gte is not None else target > bound
        if not opened and value != 0:
            sym = "≥" if node.gate.gte is not None else ">"
            state.trace.append(TraceStep(nid, "gate", value, ZERO,
                                         f"{node.gate.node} = {target}, not {sym} {bound}"))
            value = ZERO
    if node.limit is not None:
        ceiling = node.limit.factor * values[node.limit.at_most]
        if value > ceiling:
            state.trace.append(TraceStep(nid, "limit", value, ceiling,
                                         f"not more than {node.limit.factor} × "
                                         f"{node.limit.at_most} = {ceiling}"))
            value = ceiling
    values[nid] = value
    state.applicable_max[nid] = applicable_max if node.scale_to is None else node.scale_to
    state.nodes[nid] = NodeResult(nid, node.title, "group", value, raw, step.full_max, node.role,
                                  True, node.outside_total, None, node.combine, parent, order)


def _names(plan: Plan, values: Mapping[str, Any], nodes: Mapping[str, Decimal],
           total: Decimal) -> dict[str, Any]:
    env: dict[str, Any] = dict(plan.scheme.params)
    env.update({k: v for k, v in values.items() if isinstance(v, (Decimal, bool))})
    env.update(nodes)
    env["total"] = total
    return env


def outputs_of(plan: Plan, values: Mapping[str, Any], nodes: Mapping[str, Decimal],
             total: Decimal, category: str | None) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    if not plan.outputs:
        return out
    env = _names(plan, values, nodes, total)
    for step in plan.outputs:
        output = step.output
        if output.applies_to is not None and category not in output.applies_to:
            continue
        if step.formula is not None:
            result = step.formula.evaluate({n: env[n] for n in step.formula.names})
            if isinstance(result, bool):
                raise formulas.FormulaError(f"output {output.id!r} gave true/false, not a number")
        else:
            weight = output.weight if output.weight is not None else values[output.weight_input or ""]
            assert output.from_scale is not None
            result = total / output.from_scale * weight
        out[output.id] = plan.round(result)
        env[output.id] = out[output.id]
    return out


def finish_vetoes(plan: Plan, values: Mapping[str, Any], nodes: Mapping[str, Decimal],
                  computed: Decimal, outputs: Mapping[str, Decimal], trace: list[TraceStep],
                  ineligible: list[str]) -> tuple[Decimal, list[str], str | None, str | None]:
    """Apply the vetoes to the computed total (shared by the interpreter and the kernels)."""
    total = computed
    fired: list[str] = []
    forced: str | None = None
    cap: str | None = None
    env: dict[str, Any] | None = None
    for step in plan.vetoes:
        veto = step.veto
        cond = veto.when
        if step.formula is not None:
            if env is None:
                env = _names(plan, values, nodes, computed)
                env.update(outputs)
            hit = step.formula.evaluate({n: env[n] for n in step.formula.names})
            if not isinstance(hit, bool):
                raise formulas.FormulaError(f"veto {veto.id!r}: the condition must be true or false")
        else:
            value = values.get(cond.input or "")
            hit = value is True if isinstance(value, bool) else (
                value is not None and cond.at_least is not None and value >= cond.at_least)
        if not hit:
            continue
        fired.append(veto.id)
        ineligible.append(f"{veto.id}: {veto.title}")
        if veto.effect == "score":
            assert veto.score is not None
            trace.append(TraceStep(veto.id, "veto", total, veto.score,
                                         f"一票否决 {veto.title}: score set to {veto.score}"))
            total = veto.score
        else:
            trace.append(TraceStep(veto.id, "veto", total, total,
                                         f"一票否决 {veto.title}: {veto.effect}"
                                         + (f" {veto.grade}" if veto.grade else "")))
            if veto.effect == "grade":
                forced = veto.grade
            elif veto.effect == "grade_cap":
                cap = veto.grade
    return total, fired, forced, cap
