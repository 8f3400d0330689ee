"""Readable breakdowns of results: a view of the data, no arithmetic of its own.

For every node: its title, rule, the facts it used, the raw and final value, and every cap, limit,
floor, gate, rescale, exemption or veto that changed a number ("34.5 → 30: 封顶 30", in the words
of :mod:`govscore.views.wording`). For the unit: its rank, grade and award decisions with the
reason ("第一圈 6 个单位, 优秀名额 1, 排名第 2"). Chinese, or English on request.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from govscore.engine.results import NAMED_IN_REASON, Assessment, NodeResult, Placement, TraceStep, UnitResult
from govscore.numbers import fmt
from govscore.views.wording import Lang, fact_text, rule_name, step_line

# the fixed words of a breakdown; the words of each trace step are govscore.views.wording's
_WORDS: dict[Lang, dict[str, str]] = {
    "zh": {
        "category": "类别 {x}", "tier": "圈层 {x}", "total": "总分 {x}",
        "vetoed": " (计算得分 {computed}, 一票否决后 {total})",
        "outside": " (不计入总分)", "not_applicable": "不适用", "fact": "事实 {x}; ",
        "item": "{pad}{title} [{id}, {rule}]: {fact}规则得 {value} / {max}{extra}",
        "group": "{pad}{title} [{id}]: {value}{extra}", "changed": "{raw} → {value}",
        "sum": "{value} (合计 {raw})",
        "exempt": "免扣 {item}: {reason}", "ineligible": "取消评先评优资格: ",
        "rejected": "{unit}: 未评分 (事实数据有误)",
        "rank": "排名: {scope} {size} 个单位中第 {rank} 名",
        "grade": "等次: {grade} ({reason})", "undecided": " (待定)",
        "basis": "{scope} {size} 个单位, {award}名额 {places}",
        "awarded": "获得", "not_awarded": "未获得", "ineligible_award": "无资格 ({x})",
        "others": " 等 {n} 个单位", "list": "、",
        "tied": "待定: 与 {others} 并列争 {places} 个名额, 需人工决定",
        "award": "{award}: {verdict} ({basis}, 排名第 {rank})",
    },
    "en": {
        "category": "category {x}", "tier": "tier {x}", "total": "total {x}",
        "vetoed": " (computed {computed}, {total} after the veto)",
        "outside": " (not in the total)", "not_applicable": "not applicable", "fact": "fact {x}; ",
        "item": "{pad}{title} [{id}, {rule}]: {fact}rule gives {value} / {max}{extra}",
        "group": "{pad}{title} [{id}]: {value}{extra}", "changed": "{raw} → {value}",
        "sum": "{value} (sum {raw})",
        "exempt": "exempt {item}: {reason}", "ineligible": "not eligible for awards: ",
        "rejected": "{unit}: not scored (facts rejected)",
        "rank": "rank: {rank} of {size} units in {scope}",
        "grade": "grade: {grade} ({reason})", "undecided": " (undecided)",
        "basis": "{scope}: {size} units, {places} place(s) for {award}",
        "awarded": "awarded", "not_awarded": "not awarded", "ineligible_award": "not eligible ({x})",
        "others": " ({n} units in all)", "list": ", ",
        "tied": "undecided: tied with {others} for {places} place(s), for a person to decide",
        "award": "{award}: {verdict} ({basis}, rank {rank})",
    },
}


def explain_result(result: UnitResult, placement: Placement | None = None,
                   assessment: Assessment | None = None, *, lang: Lang = "zh") -> str:
    """A unit's breakdown as text a reader can check with a pencil (Chinese, or English with
    ``lang="en"``)."""
    words = _WORDS[lang]
    labels = assessment.labels if assessment is not None else {}
    # ids a step names (categories, nodes, grades) are shown by their titles
    names = {**labels, **{n.id: n.title for n in result.nodes.values()}}
    lines = []
    head = f"{result.unit}"
    if labels.get("scheme"):
        head += f" — {labels['scheme']}"
    lines.append(head)
    where = []
    if result.category:
        where.append(words["category"].format(x=labels.get(result.category, result.category)))
    if result.tier:
        where.append(words["tier"].format(x=labels.get(result.tier, result.tier)))
    total_line = words["total"].format(x=fmt(result.total))
    if result.total != result.computed_total:
        total_line += words["vetoed"].format(computed=fmt(result.computed_total),
                                             total=fmt(result.total))
    lines.append(total_line + (f"  [{'; '.join(where)}]" if where else ""))
    steps_by_rule: dict[str, list[TraceStep]] = defaultdict(list)
    for step in result.trace:
        steps_by_rule[step.rule].append(step)
    children: dict[str | None, list[NodeResult]] = defaultdict(list)
    for node in result.nodes.values():
        children[node.parent].append(node)
    for kids in children.values():
        kids.sort(key=lambda n: n.order)

    def line(step: TraceStep, node: NodeResult | None = None) -> str:
        return step_line(step, lang, node_kind=None if node is None else node.kind, names=names)

    def render(node: NodeResult, depth: int) -> None:
        pad = "  " * depth
        steps = steps_by_rule.get(node.id, [])
        # what a subtracted node takes off the total, with its sign
        value = fmt(node.value.copy_negate() if node.role == "subtract" else node.value)
        extra = words["outside"] if node.outside_total else ""
        # the rule's or the combine's own value only where the node's value differs from it
        changed = node.raw != node.value
        if not node.applicable:
            why = [line(s, node) for s in steps if s.step == "not_applicable"]
            lines.append(f"{pad}{node.title} [{node.id}]: "
                         f"{why[0] if why else words['not_applicable']}{extra}")
        elif node.kind == "item":
            fact = fact_text(node.fact, lang)
            lines.append(words["item"].format(
                pad=pad, title=node.title, id=node.id, rule=rule_name(node.kind, node.rule, lang),
                fact=words["fact"].format(x=fact) if fact else "",
                value=words["changed"].format(raw=fmt(node.raw), value=value) if changed
                else value, max=fmt(node.max), extra=extra))
        else:
            lines.append(words["group"].format(
                pad=pad, title=node.title, id=node.id,
                value=words["sum"].format(raw=fmt(node.raw), value=value) if changed else value,
                extra=extra))
        for step in steps:
            if step.step != "not_applicable":
                lines.append(f"{pad}  · {line(step, node)}")
        for child in children.get(node.id, []):
            render(child, depth + 1)

    # the cohort statistics the unit's score read, with the units they were taken over
    lines.extend(f"  {line(step)}" for step in result.trace if step.step == "statistic")
    for root in children.get(None, []):
        render(root, 1)
    if result.outputs:
        for key, value in result.outputs.items():
            lines.append(f"  {labels.get(key, key)}: {fmt(value)}")
    for veto in result.vetoes:
        for step in steps_by_rule.get(veto, []):
            lines.append(f"  {line(step)}")
    if result.exemptions:
        for item, reason in result.exemptions.items():
            lines.append("  " + words["exempt"].format(item=item, reason=reason))
    if result.ineligible:
        lines.append("  " + words["ineligible"] + "; ".join(result.ineligible))
    if placement is not None:
        lines.extend(_placement_lines(placement, assessment, lang))
    return "\n".join(lines)


def _placement_lines(placement: Placement, assessment: Assessment | None,
                     lang: Lang = "zh") -> list[str]:
    words = _WORDS[lang]
    labels = assessment.labels if assessment is not None else {}
    scope = labels.get(placement.scope, placement.scope)
    lines = [words["rank"].format(scope=scope, size=placement.scope_size, rank=placement.rank)]
    if placement.grade is not None or placement.grade_undecided:
        grade = placement.grade if not placement.grade_undecided else \
            " / ".join(placement.grade_undecided) + words["undecided"]
        lines.append(words["grade"].format(grade=grade, reason=placement.grade_reason))
    if assessment is not None:
        for decision in assessment.awards:
            if decision.award not in placement.reasons:
                continue
            if decision.scope != placement.scope and not _unit_in(decision, placement, assessment):
                continue
            title = labels.get(decision.award, decision.award)
            scope_title = labels.get(decision.scope, decision.scope)
            basis = words["basis"].format(scope=scope_title, size=decision.size, award=title,
                                          places=decision.places)
            reason = placement.reasons[decision.award]
            if decision.award in placement.awards:
                verdict = words["awarded"]
            elif decision.award in placement.undecided:
                others = [u for u in decision.undecided if u != placement.unit]
                # a big tie names a few (the AwardScope record lists them all)
                named = others[:NAMED_IN_REASON]
                shown = words["list"].join(named) + (
                    words["others"].format(n=len(others)) if others[len(named):] else "")
                verdict = words["tied"].format(others=shown, places=decision.open_places)
            elif reason.startswith("ineligible"):
                verdict = words["ineligible_award"].format(
                    x=reason.removeprefix("ineligible: "))
            else:
                verdict = words["not_awarded"]
            lines.append(words["award"].format(award=title, verdict=verdict, basis=basis,
                                               rank=placement.rank))
    return lines


def _unit_in(decision: Any, placement: Placement, assessment: Assessment) -> bool:
    result = assessment.results.get(placement.unit)
    return result is not None and decision.scope in (result.tier, result.category, "all")


def explain(subject: Assessment | UnitResult, unit: str | None = None, *,
            lang: Lang = "zh") -> str:
    """Explain one unit: ``explain(assessment, "锦江区")`` or ``explain(unit_result)``; in
    Chinese, or in English with ``lang="en"``."""
    if isinstance(subject, UnitResult):
        return explain_result(subject, lang=lang)
    if unit is None:
        msg = "explain(assessment, unit): name the unit"
        raise TypeError(msg)
    if unit not in subject.results:
        rejected = [r for r in subject.rejected if r.unit == unit]
        if rejected:
            return _WORDS[lang]["rejected"].format(unit=unit) + "\n" + "\n".join(
                f"  {d}" for r in rejected for d in r.diagnostics)
        msg = f"no unit {unit!r} in this assessment"
        raise KeyError(msg)
    return explain_result(subject.results[unit], subject.placements.get(unit), subject,
                          lang=lang)
