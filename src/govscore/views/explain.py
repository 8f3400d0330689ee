"""Readable breakdowns of results: a view of the data, no arithmetic of its own.

For every node: its title, rule, the facts it used, the raw and final value, and every cap, limit,
floor, gate, rescale, exemption or veto that changed a number ("加分合计 34.5 → 封顶 30"). For the
unit: its rank, grade and award decisions with the reason ("第一圈 6 个单位, 优秀名额 1, 排名第 2").
"""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal
from typing import Any

from govscore.engine.results import NAMED_IN_REASON, Assessment, NodeResult, Placement, TraceStep, UnitResult

_STEP_WORDS = {
    "cap": "封顶", "floor": "保底", "limit": "限额", "gate": "门槛", "rescale": "折算(不适用项)",
    "scale": "折算", "modifier": "调整", "exempt": "免扣", "not_applicable": "不适用",
    "requires": "缺少佐证", "round": "四舍五入", "veto": "一票否决", "bound": "界限",
    "default": "默认值",
}


def _fmt(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral_value() else \
        format(value, "f")


def _fact(fact: Any) -> str:
    if fact is None:
        return ""
    if isinstance(fact, bool):
        return "是" if fact else "否"
    if isinstance(fact, (dict, list)):
        return json.dumps(fact, ensure_ascii=False, separators=(", ", ": "))
    return str(fact)


def _step_text(step: TraceStep) -> str:
    word = _STEP_WORDS.get(step.step, step.step)
    return f"{_fmt(step.before)} → {word} {_fmt(step.after)}" + (f" ({' '.join(map(str, step.args))})"
                                                                 if ' '.join(map(str, step.args)) else "")


def explain_result(result: UnitResult, placement: Placement | None = None,
                   assessment: Assessment | None = None) -> str:
    """A unit's breakdown as text a reader can check with a pencil."""
    labels = assessment.labels if assessment is not None else {}
    lines = []
    head = f"{result.unit}"
    if labels.get("scheme"):
        head += f" — {labels['scheme']}"
    lines.append(head)
    where = []
    if result.category:
        where.append(f"类别 {labels.get(result.category, result.category)}")
    if result.tier:
        where.append(f"圈层 {labels.get(result.tier, result.tier)}")
    total_line = f"总分 {_fmt(result.total)}"
    if result.total != result.computed_total:
        total_line += f" (计算得分 {_fmt(result.computed_total)}, 一票否决后 {_fmt(result.total)})"
    lines.append(total_line + (f"  [{'; '.join(where)}]" if where else ""))
    steps_by_rule: dict[str, list[TraceStep]] = defaultdict(list)
    for step in result.trace:
        steps_by_rule[step.rule].append(step)
    children: dict[str | None, list[NodeResult]] = defaultdict(list)
    for node in result.nodes.values():
        children[node.parent].append(node)
    for kids in children.values():
        kids.sort(key=lambda n: n.order)

    def render(node: NodeResult, depth: int) -> None:
        pad = "  " * depth
        sign = "−" if node.role == "subtract" and node.value != 0 else ""
        value = f"{sign}{_fmt(node.value)}"
        extra = " (不计入总分)" if node.outside_total else ""
        if not node.applicable:
            lines.append(f"{pad}{node.title} [{node.id}]: 不适用{extra}")
        elif node.kind == "item":
            fact = _fact(node.fact)
            detail = f"事实 {fact}; " if fact else ""
            lines.append(f"{pad}{node.title} [{node.id}, {node.rule}]: {detail}"
                         f"规则得 {_fmt(node.raw)} → {value} / {_fmt(node.max)}{extra}")
        else:
            lines.append(f"{pad}{node.title} [{node.id}]: {value}"
                         f" (合计 {_fmt(node.raw)}){extra}")
        for step in steps_by_rule.get(node.id, []):
            if step.step != "not_applicable":
                lines.append(f"{pad}  · {_step_text(step)}")
        for child in children.get(node.id, []):
            render(child, depth + 1)

    for root in children.get(None, []):
        render(root, 1)
    if result.outputs:
        for key, value in result.outputs.items():
            lines.append(f"  {labels.get(key, key)}: {_fmt(value)}")
    for veto in result.vetoes:
        for step in steps_by_rule.get(veto, []):
            lines.append(f"  一票否决 {labels.get(veto, veto)}: {' '.join(map(str, step.args))}")
    if result.exemptions:
        for item, reason in result.exemptions.items():
            lines.append(f"  免扣 {item}: {reason}")
    if result.ineligible:
        lines.append("  取消评先评优资格: " + "; ".join(result.ineligible))
    if placement is not None:
        lines.extend(_placement_lines(placement, assessment))
    return "\n".join(lines)


def _placement_lines(placement: Placement, assessment: Assessment | None) -> list[str]:
    labels = assessment.labels if assessment is not None else {}
    scope = labels.get(placement.scope, placement.scope)
    lines = [f"排名: {scope} {placement.scope_size} 个单位中第 {placement.rank} 名"]
    if placement.grade is not None or placement.grade_undecided:
        grade = placement.grade if not placement.grade_undecided else \
            " / ".join(placement.grade_undecided) + " (待定)"
        lines.append(f"等次: {grade} ({placement.grade_reason})")
    if assessment is not None:
        for decision in assessment.awards:
            if decision.award not in placement.reasons:
                continue
            if decision.scope != placement.scope and not _unit_in(decision, placement, assessment):
                continue
            title = labels.get(decision.award, decision.award)
            scope_title = labels.get(decision.scope, decision.scope)
            basis = (f"{scope_title} {decision.size} 个单位, {title}名额 {decision.places}")
            reason = placement.reasons[decision.award]
            if decision.award in placement.awards:
                verdict = "获得"
            elif decision.award in placement.undecided:
                others = [u for u in decision.undecided if u != placement.unit]
                # a big tie names a few (the AwardScope record lists them all)
                named = others[:NAMED_IN_REASON]
                shown = "、".join(named) + (f" 等 {len(others)} 个单位" if others[len(named):] else "")
                verdict = f"待定: 与 {shown} 并列争 {decision.open_places} 个名额, 需人工决定"
            elif reason.startswith("ineligible"):
                verdict = "无资格 (" + reason.removeprefix("ineligible: ") + ")"
            else:
                verdict = "未获得"
            lines.append(f"{title}: {verdict} ({basis}, 排名第 {placement.rank})")
    return lines


def _unit_in(decision: Any, placement: Placement, assessment: Assessment) -> bool:
    result = assessment.results.get(placement.unit)
    return result is not None and decision.scope in (result.tier, result.category, "all")


def explain(subject: Assessment | UnitResult, unit: str | None = None) -> str:
    """Explain one unit: ``explain(assessment, "锦江区")`` or ``explain(unit_result)``."""
    if isinstance(subject, UnitResult):
        return explain_result(subject)
    if unit is None:
        msg = "explain(assessment, unit): name the unit"
        raise TypeError(msg)
    if unit not in subject.results:
        rejected = [r for r in subject.rejected if r.unit == unit]
        if rejected:
            return f"{unit}: 未评分 (facts rejected)\n" + "\n".join(
                f"  {d}" for r in rejected for d in r.diagnostics)
        msg = f"no unit {unit!r} in this assessment"
        raise KeyError(msg)
    return explain_result(subject.results[unit], subject.placements.get(unit), subject)
