"""After the total: outputs (conversions, formulas) and vetoes, shared by both back ends."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from govscore.engine.lowering import Lowered
from govscore.engine.results import TraceStep
from govscore.language import formulas


def _names(plan: Lowered, facts: Mapping[str, Any], nodes: Mapping[str, Decimal],
           total: Decimal) -> dict[str, Any]:
    env: dict[str, Any] = dict(plan.scheme.params)
    env.update({k: v for k, v in facts.items() if isinstance(v, (Decimal, bool))})
    env.update(nodes)
    env["total"] = total
    return env


def _evaluate(formula: formulas.CompiledFormula, env: Mapping[str, Any], what: str) -> Any:
    try:
        return formula.evaluate({n: env[n] for n in formula.names})
    except formulas.FormulaError as exc:  # the message names the output or veto and the formula
        raise exc.located(what, formula.text) from None
    except KeyError as exc:  # checked away per category (GS317); said plainly should it happen
        msg = f"{what}: the formula needs {exc.args[0]!r}, which this unit does not have"
        raise formulas.FormulaError(msg, code="GS502") from None


def outputs_of(plan: Lowered, facts: Mapping[str, Any], nodes: Mapping[str, Decimal],
               total: Decimal, category: str | None) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    if not plan.outputs:
        return out
    env = _names(plan, facts, nodes, total)
    for step in plan.outputs:
        output = step.output
        if output.applies_to is not None and category not in output.applies_to:
            continue
        if step.formula is not None:
            result = _evaluate(step.formula, env, f"output {output.id!r}")
            if isinstance(result, bool):
                msg = f"output {output.id!r} gave true/false, not a number"
                raise formulas.FormulaError(msg, code="GS502")
        else:
            weight = output.weight if output.weight is not None \
                else facts[output.weight_input or ""]
            assert output.from_scale is not None
            result = total / output.from_scale * weight
        out[output.id] = plan.round(result)
        env[output.id] = out[output.id]
    return out


def vetoes(plan: Lowered, facts: Mapping[str, Any], nodes: Mapping[str, Decimal],
           computed: Decimal, outputs: Mapping[str, Decimal], trace: list[TraceStep],
           ineligible: list[str], category: str | None = None,
           ) -> tuple[Decimal, list[str], str | None, str | None]:
    """Apply the vetoes to the computed total: (total, fired ids, forced grade, grade cap). A
    veto with ``applies_to`` is not looked at for units of other categories."""
    total = computed
    fired: list[str] = []
    forced: str | None = None
    cap: str | None = None
    env: dict[str, Any] | None = None
    for step in plan.vetoes:
        veto = step.veto
        if veto.applies_to is not None and category not in veto.applies_to:
            continue
        cond = veto.when
        if step.formula is not None:
            if env is None:
                env = _names(plan, facts, nodes, computed)
                env.update(outputs)
            hit = _evaluate(step.formula, env, f"veto {veto.id!r}")
            if not isinstance(hit, bool):
                msg = f"veto {veto.id!r}: the condition must be true or false"
                raise formulas.FormulaError(msg, code="GS502")
        else:
            value = facts.get(cond.input or "")
            hit = value is True if isinstance(value, bool) else (
                value is not None and cond.at_least is not None and value >= cond.at_least)
        if not hit:
            continue
        fired.append(veto.id)
        ineligible.append(f"{veto.id}: {veto.title}")
        after = veto.score if veto.effect == "score" and veto.score is not None else total
        trace.append(TraceStep(veto.id, "veto", total, after,
                               (veto.title, veto.effect, veto.grade, veto.score)))
        total = after
        if veto.effect == "grade":
            forced = _harsher(plan, forced, veto.grade)
        elif veto.effect == "grade_cap":
            cap = _harsher(plan, cap, veto.grade)
    return total, fired, forced, cap


def _harsher(plan: Lowered, held: str | None, new: str | None) -> str | None:
    """Of two grades a veto sets, the worse one (the result never depends on the order the
    vetoes are written in)."""
    if held is None or new is None:
        return new if held is None else held
    order = plan.grade_order
    return new if order.index(new) > order.index(held) else held
