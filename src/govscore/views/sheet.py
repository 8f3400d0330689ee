"""The score sheet (评分表) of one unit: the table an assessor recognises and re-adds with a
pencil — 项目 / 条款 / 分值 / 事实 / 得分 / 说明 — built from a result's nodes and trace and the
scheme's text. explain prints it as text, the HTML report and the Excel workbook as tables: the
rows exist once, here.

Every line's 说明 is plain arithmetic a reader can redo: the rule's own sum in words (each rule
kind's ``describe``: "3 次 × 0.5 = 1.50"), then every step that changed the number, in the words
of :func:`govscore.views.wording.sheet_step` ("满分 5 − 扣 (2 次 × 1 = 2.00) = 3.00", "加分合计
23.5, 封顶 20, 计 20", "减分合计 8.00, 不超过加分 2.00, 计 2.00"). A group's children's 得分 add up
to its 合计; the top-level lines add up to the total. Numbers are shown at the
scheme's declared places when that is exact (89.500 → 89.50), otherwise with every digit they
have. Ids are shown only when asked for (``ids=True``); English only with ``lang="en"``.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from govscore.engine.plan import Plan
from govscore.engine.results import Assessment, NodeResult, Placement, TraceStep, UnitResult
from govscore.language import model
from govscore.numbers import plain
from govscore.views.wording import SHEET_WORDS, Lang, Shown, sheet_step

HEADERS: dict[Lang, tuple[str, ...]] = {
    "zh": ("项目", "条款", "分值", "事实", "得分", "说明"),
    "en": ("item", "clause", "points", "fact", "score", "working"),
}
"""The sheet's columns, in every view."""


@dataclass(frozen=True)
class SheetLine:
    """One row: a node of the scheme's tree with its score and the arithmetic behind it."""

    id: str
    depth: int
    """1 for the root's children, 2 for theirs …"""
    kind: str
    """"item" or "group"."""
    title: str
    clause: str
    points: str
    """分值: an item's full marks, a group's cap or max (empty when it has none)."""
    fact: str
    score: str
    """得分 as printed: signed (a deduction is −2.00); 不适用 when the line does not apply."""
    counted: bool
    """Whether 得分 adds into the line above (False: not applicable, or outside the total)."""
    notes: tuple[str, ...]
    """说明: the arithmetic, one phrase per step."""
    amount: Decimal | None = None
    """得分 as a number (signed like ``score``; None when the line does not apply), for a
    workbook's cells."""


@dataclass(frozen=True)
class ScoreSheet:
    """A unit's whole sheet: heading, rows, the total with its working, and its placing."""

    unit: str
    scheme: str
    version: str
    where: str
    """类别 / 圈层, in words."""
    lines: tuple[SheetLine, ...]
    total: str
    total_notes: tuple[str, ...]
    """How the total follows from the top-level lines (a veto that replaced it, outputs)."""
    placing: tuple[str, ...] = field(default=())
    """Rank, grade and each award's decision, with the basis."""
    lang: Lang = "zh"
    amount: Decimal = Decimal(0)
    """The total as a number."""


def _walk(node: model.Item | model.Group) -> Iterator[model.Item | model.Group]:
    yield node
    if isinstance(node, model.Group):
        for child in node.children:
            yield from _walk(child)


def scheme_nodes(plan: Plan) -> dict[str, model.Item | model.Group]:
    """Every node of the scheme by id (the sheet reads clauses, weights and rules from it)."""
    return {n.id: n for n in _walk(plan.scheme.score)}


def build(result: UnitResult, plan: Plan | None, assessment: Assessment | None = None, *,
          lang: Lang = "zh", ids: bool = False) -> ScoreSheet:
    """The score sheet of one scored unit. Without the plan (a result read back from JSON, no
    scheme at hand) the sheet has no clauses and no rule's working, and numbers are printed
    exactly as the result carries them."""
    from govscore import rules  # the rule kinds import the models: loaded when a sheet is made

    w = SHEET_WORDS[lang]
    shown = Shown(plan.scheme.precision.places if plan is not None else None)
    labels = assessment.labels if assessment is not None else {}
    declared = scheme_nodes(plan) if plan is not None else {}
    names = {**labels, **{n.id: n.title for n in result.nodes.values()}}
    steps: dict[str, list[TraceStep]] = defaultdict(list)
    for step in result.trace:
        steps[step.rule].append(step)
    children: dict[str | None, list[NodeResult]] = defaultdict(list)
    for node in result.nodes.values():
        children[node.parent].append(node)
    for kids in children.values():
        kids.sort(key=lambda n: n.order)

    def name(key: object) -> str:
        return names.get(str(key), str(key))

    def signed(node: NodeResult, value: Decimal) -> Decimal:
        return value.copy_negate() if node.role == "subtract" and value else value

    lines: list[SheetLine] = []

    def add(node: NodeResult, depth: int) -> None:
        spec = declared.get(node.id)
        title = f"{node.title} [{node.id}]" if ids else node.title
        clause = (spec.clause or "") if spec is not None else ""
        counted = node.applicable and not node.outside_total
        notes: list[str] = []
        own = steps.get(node.id, [])
        if node.kind == "item":
            points = shown.operand(node.max) if node.max.is_finite() else w["unbounded"]
            exempt = [st for st in own if st.step == "exempt"]
            fact = (w["exempt_fact"].format(reason=exempt[0].args[0]) if exempt and exempt[0].args
                    else _fact(node, spec, lang) if node.applicable else "")
        else:
            bound = spec.cap if isinstance(spec, model.Group) and spec.cap is not None else (
                spec.max if isinstance(spec, model.Group) else None)
            points = shown.operand(bound) if bound is not None else ""
            published = spec.published_max if isinstance(spec, model.Group) else None
            if published is not None and published != node.max and node.max.is_finite():
                # the document's figure differs: the one that counts, the published one beside
                points = w["published"].format(max=shown.operand(node.max),
                                               published=shown.operand(published))
                notes.append(w["published_note"].format(max=shown.operand(node.max),
                                                        published=shown.operand(published)))
            fact = ""
        if not node.applicable:
            why = [s for s in own if s.step == "not_applicable"]
            reason = str(why[0].args[0]) if why and why[0].args and why[0].args[0] else ""
            notes.append(w["na_reason"].format(r=reason) if reason else (
                w["na_group"] if node.kind == "group" else w["na"]))
            score = w["na"]
        else:
            score = shown.score(signed(node, node.value))
            if node.kind == "item":
                if isinstance(spec, model.Item) and spec.reads is not None:
                    notes.append(w["reads"].format(item=name(spec.reads)))  # one fact, two items
                notes.extend(_item_notes(node, spec, own, shown, w, lang, name, rules.KINDS))
            else:
                notes.extend(_group_notes(node, spec, own, children.get(node.id, []), shown, w,
                                          name, signed))
            if node.outside_total:
                notes.append(w["outside"])
        lines.append(SheetLine(node.id, depth, node.kind, title, clause, points, fact, score,
                               counted, tuple(notes),
                               signed(node, node.value) if node.applicable else None))
        for child in with_absent(node.id):
            if isinstance(child, NodeResult):
                add(child, depth + 1)
            else:
                absent(child, depth + 1)

    def with_absent(parent: str) -> list[NodeResult | model.Item | model.Group]:
        """A group's lines: its scored children and, in their place in the scheme, the children
        this unit does not have because their ``units`` do not name it (said, not left out
        silently) — unless the unit has a named part of its own here (then the others' parts,
        31 departments' each, are alternatives, not missing items)."""
        kids: list[NodeResult | model.Item | model.Group] = list(children.get(parent, []))
        spec = declared.get(parent)
        if not isinstance(spec, model.Group) or not any(_named(c) for c in spec.children):
            return kids
        scored = {k.id: k for k in children.get(parent, [])}
        if any(c.id in scored and _named(c) for c in spec.children):
            return kids
        return [scored.get(c.id) or c for c in spec.children if c.id in scored or (
            _named(c) and (c.applies_to is None or result.category in c.applies_to))]

    def absent(spec: model.Item | model.Group, depth: int) -> None:
        title = f"{spec.title} [{spec.id}]" if ids else spec.title
        full = spec.max if spec.max is not None and spec.max.is_finite() else None
        names = sorted(_named(spec))
        listed = ("、" if lang == "zh" else ", ").join(names[:_NAMED_SHOWN]) + (
            (f" 等 {len(names)} 个单位" if lang == "zh" else
             f" and {len(names) - _NAMED_SHOWN} more") if len(names) > _NAMED_SHOWN else "")
        lines.append(SheetLine(spec.id, depth, "item" if isinstance(spec, model.Item) else "group",
                               title, spec.clause or "",
                               shown.operand(full) if full is not None else "", "", w["na"],
                               False, (w["only_units"].format(units=listed),)))

    roots = children.get(None, [])
    top: list[NodeResult] = []
    for root in roots:
        # the root is the total: its children are the sheet's top lines, its steps the total's
        for child in with_absent(root.id):
            if isinstance(child, NodeResult):
                add(child, 1)
                top.append(child)
            else:
                absent(child, 1)
    total_notes: list[str] = []
    if roots:
        root = roots[0]
        terms = [c for c in top if c.applicable and not c.outside_total]
        sum_terms = _terms(terms, declared.get(root.id), shown, signed, w)
        # the sum of the top lines, then what the root's own steps did to it
        total_notes.append(w["total"].format(terms=sum_terms, x=shown.score(root.raw))
                           if len(terms) > 1 else w["total_plain"].format(x=shown.score(root.raw)))
        total_notes.extend(sheet_step(step, "group", shown, w, name)
                           for step in steps.get(root.id, []) if step.step != "not_applicable")
    for veto in result.vetoes:
        for step in steps.get(veto, []):
            total_notes.append(_veto(step, result, shown, w, name))
    for key, value in result.outputs.items():
        total_notes.append(w["output"].format(title=name(key), x=shown.score(value)))
    # the cohort statistics the unit's score read, each with its value and its units
    total_notes.extend(sheet_step(step, "group", shown, w, name) for step in result.trace
                       if step.step == "statistic")
    where = []
    if result.category:
        where.append(w["category"].format(x=name(result.category)))
    if result.tier:
        where.append(w["tier"].format(x=name(result.tier)))
    placing: tuple[str, ...] = ()
    if assessment is not None and result.unit in assessment.placements:
        placing = tuple(_placing(assessment.placements[result.unit], result, assessment, plan,
                                 shown, w))
    scheme = labels.get("scheme", plan.scheme.title if plan is not None else "")
    version = plan.scheme.version if plan is not None else (
        assessment.record.scheme_version if assessment is not None else "")
    return ScoreSheet(result.unit, scheme, version,
                      "; ".join(where), tuple(lines), shown.score(result.total),
                      tuple(total_notes), placing, lang, result.total)


_NAMED_SHOWN = 5
"""Units named on a line that a node does not apply to (the rest are counted)."""


def _named(node: model.Item | model.Group) -> frozenset[str]:
    """The units a node is for when ``units`` (its own, or all its children's) name them;
    empty when it is for every unit of its categories."""
    if node.units is not None:
        return frozenset(node.units)
    if isinstance(node, model.Group):
        parts = [_named(c) for c in node.children]
        if all(parts):
            return frozenset().union(*parts)
    return frozenset()


def _fact(node: NodeResult, spec: model.Item | model.Group | None, lang: Lang) -> str:
    from govscore.rules.base import fact_words, level_word

    if isinstance(spec, model.Item) and spec.rule.kind == "formula":
        return ""
    if node.fact is None:
        return ""
    fact = node.fact
    if isinstance(spec, model.Item):
        # ids the scheme titles: a checklist's criteria, rater groups
        rule = spec.rule
        if isinstance(rule, model.Checklist) and isinstance(fact, list):
            titles = {c.id: c.title for c in rule.criteria}
            fact = [titles.get(str(c), c) for c in fact]
        elif isinstance(rule, model.ByLevel) and isinstance(fact, list):
            # events: each level with its matter in brackets (省级 (人才工作))
            return "、".join(
                level_word(e.get("level"), lang) + (f" ({e['matter']})" if e.get("matter") else "")
                if isinstance(e, Mapping) else fact_words(e, lang) for e in fact) or \
                fact_words(fact, lang)
        elif isinstance(rule, (model.RaterGroups, model.Table)) and isinstance(fact, Mapping):
            titles = ({g.id: g.title for g in rule.groups} if isinstance(rule, model.RaterGroups)
                      else {c.id: c.title for c in rule.columns})
            return "; ".join(f"{titles.get(str(k), str(k))} {fact_words(v, lang)}"
                            for k, v in fact.items())
    return fact_words(fact, lang)


def _item_notes(node: NodeResult, spec: model.Item | model.Group | None,
                own: list[TraceStep], shown: Shown, w: Mapping[str, str], lang: Lang,
                name: Any, kinds: Mapping[str, Any]) -> list[str]:
    """The item's arithmetic: its rule in words, then each step that changed the number."""
    how = ""
    if any(step.step == "exempt" for step in own):
        pass  # the exemption's own line says it all: there is no fact to work from
    elif (isinstance(spec, model.Item) and node.fact is not None) or (
            isinstance(spec, model.Item) and spec.rule.kind == "formula"):
        assert isinstance(spec, model.Item)
        how = kinds[spec.rule.kind].describe_named(spec.rule, spec, node.fact, node.raw, lang,
                                                   name)
    notes: list[str] = []
    rest = list(own)
    if rest and rest[0].step == "from_full":
        first = rest.pop(0)
        top = shown.operand(first.args[0]) if first.args else shown.operand(node.max)
        lost = shown.score(first.before)
        if how and not _is_number(how, lost):
            notes.append(w["from_full_sum"].format(max=top, how=f"{how} = {lost}",
                                                   x=shown.score(first.after)))
        else:
            notes.append(w["from_full"].format(max=top, lost=lost, x=shown.score(first.after)))
    elif how in ("无", "none"):
        notes.append(how + w["then"].format(x=shown.score(node.raw)))
    elif how:
        raw = shown.working(node.raw)
        notes.append(how if _ends_in(how, node.raw) else how + w["eq"].format(x=raw))
    for step in rest:
        if step.step == "round" and notes and step.before == node.raw:
            # the rounding of the rule's own amount ends its line: "… = 9.8333…, 四舍五入 = 9.83"
            notes[-1] += ", " + sheet_step(step, "item", shown, w, name).split(" ", 1)[1]
            continue
        if step.step == "floor" and not _deducts(node, spec) and step.args:
            # 扣完为止 is said of deductions only; a bonus held at 0 is just not below 0
            notes.append(w["floor_plain"].format(b=shown.operand(step.args[0]))
                         + w["then"].format(x=shown.score(step.after)))
            continue
        notes.append(sheet_step(step, "item", shown, w, name))
    return notes


def _deducts(node: NodeResult, spec: model.Item | model.Group | None) -> bool:
    """Whether an item takes points away (from full marks, subtracted, or short of a target)."""
    if node.role == "subtract":
        return True
    return isinstance(spec, model.Item) and (spec.from_full or spec.rule.kind == "shortfall")


def _is_number(text: str, number: str) -> bool:
    return text.strip() == number


def _ends_in(text: str, value: Decimal) -> bool:
    """Whether a phrase already ends in the value it gives ("达到要求, 得 70")."""
    head, _, last = text.rpartition(" ")
    if not head.endswith(("得", ":")):
        return False
    try:
        return Decimal(last) == value
    except InvalidOperation:
        return False


def _terms(kids: list[NodeResult], spec: model.Item | model.Group | None, shown: Shown,
           signed: Any, w: Mapping[str, str]) -> str:
    """The children's printed scores as the sum a reader adds: 70 + 20 − 2."""
    weighted = isinstance(spec, model.Group) and spec.combine == "weighted"
    parts: list[str] = []
    for kid in kids:
        value = signed(kid, kid.value)
        text = shown.score(value.copy_abs())
        if weighted:
            weight = _weight(kid, spec)
            text = w["term_w"].format(v=text, w=shown.operand(weight))
        sign = "−" if value < 0 else "+"
        parts.append(f"{sign} {text}" if parts or value < 0 else text)
    return " ".join(parts)


def _weight(kid: NodeResult, spec: model.Item | model.Group | None) -> Decimal:
    if isinstance(spec, model.Group):
        for child in spec.children:
            if child.id == kid.id and child.weight is not None:
                return child.weight
    return Decimal(1)


def _group_notes(node: NodeResult, spec: model.Item | model.Group | None,
                 own: list[TraceStep], kids: list[NodeResult], shown: Shown,
                 w: Mapping[str, str], name: Any, signed: Any) -> list[str]:
    """The group's sum of its children, then each step that changed it."""
    notes: list[str] = []
    counted = [k for k in kids if k.applicable and not k.outside_total]
    combine = spec.combine if isinstance(spec, model.Group) else node.rule
    raw = node.raw  # a deduction group's own sum is said unsigned (扣分合计 7); 得分 has the sign
    steps = [step for step in own if step.step != "not_applicable"]
    if counted:
        if combine == "weighted":
            notes.append(w["weighted"].format(terms=_terms(counted, spec, shown, signed, w),
                                              x=shown.score(raw)))
        elif combine == "highest":
            notes.append(w["highest"].format(x=shown.score(raw)))
        elif len(counted) > 1 or steps:
            # a short title names the sum ("加分合计 23.5"); a long one is on the line already
            short = node.title if len(node.title) <= _SHORT_TITLE else ""
            notes.append(w["sum_of"].format(a=short, x=shown.score(raw)).lstrip(": "))
    for step in steps:
        if notes and step.step in _BOUNDS:
            # a bound continues the sum it bounds: "加分合计 23.5, 封顶 20, 计 20"
            notes[-1] += ", " + sheet_step(step, "group", shown, w, name, bare=True)
        else:
            notes.append(sheet_step(step, "group", shown, w, name, lead_title=node.title))
    return notes


_SHORT_TITLE = 6
_BOUNDS = frozenset({"cap", "floor", "limit", "gate", "none_applicable"})


def _veto(step: TraceStep, result: UnitResult, shown: Shown, w: Mapping[str, str],
          name: Any) -> str:
    title, effect, grade, score = (*step.args, None, None, None, None)[:4]
    title = title or name(step.rule)
    if effect == "score" and score is not None:
        return w["veto_score"].format(title=title, x=shown.score(result.total),
                                      computed=shown.score(result.computed_total))
    if effect in ("grade", "grade_cap") and grade is not None:
        return w[f"veto_{effect}"].format(title=title, grade=name(grade))
    return w["veto_no_award"].format(title=title)


def _placing(placement: Placement, result: UnitResult, assessment: Assessment, plan: Plan | None,
             shown: Shown, w: Mapping[str, str]) -> list[str]:
    labels = assessment.labels

    def name(key: str) -> str:
        return labels.get(key, key)

    out = [w["rank"].format(scope=name(placement.scope), size=placement.scope_size,
                            rank=placement.rank)]
    if placement.grade_undecided:
        out.append(w["grade_undecided"].format(grades=" / ".join(placement.grade_undecided)))
    elif placement.grade is not None:
        band = _band(plan, placement.grade, result.total)
        if result.forced_grade or result.grade_cap:
            out.append(w["grade_veto"].format(grade=placement.grade))
        elif band is not None:
            out.append(w["grade_band"].format(grade=placement.grade, x=shown.score(result.total),
                                              band=band))
        else:
            out.append(w["grade"].format(grade=placement.grade))
    awards = {a.id: a for a in plan.scheme.awards} if plan is not None else {}
    for decision in assessment.awards:
        if decision.award not in placement.reasons:
            continue
        if decision.scope not in (placement.scope, result.tier, result.category, "all"):
            continue
        basis = w["basis"].format(award=name(decision.award), scope=name(decision.scope),
                                  size=decision.size, places=decision.places)
        scored = sum(1 for p in assessment.placements.values() if p.scope == decision.scope)
        if decision.size != scored:
            basis += w["basis_declared"].format(size=decision.size, scored=scored)
        if decision.award in placement.awards:
            out.append(w["awarded"].format(basis=basis, rank=placement.rank))
        elif decision.award in placement.undecided:
            others = [u for u in decision.undecided if u != placement.unit]
            named = w["list"].join(others[:5]) + (
                w["more"].format(n=len(others)) if len(others) > 5 else "")  # noqa: PLR2004
            out.append(w["tied"].format(basis=basis, others=named, open=decision.open_places))
        elif placement.reasons[decision.award].startswith("ineligible"):
            out.append(w["ineligible"].format(basis=basis, why=_why(
                awards.get(decision.award), placement, result, shown, w)))
        else:
            out.append(w["not_awarded"].format(basis=basis, rank=placement.rank))
    return out


def _why(award: model.Award | None, placement: Placement, result: UnitResult, shown: Shown,
         w: Mapping[str, str]) -> str:
    if result.vetoes:
        return w["why_veto"]
    if result.ineligible:
        return w["why_modifier"]
    el = award.eligibility if award is not None else None
    if el is not None:
        if el.min_total is not None and result.total < el.min_total:
            return w["why_total"].format(x=shown.score(result.total), min=plain(el.min_total))
        if placement.grade_undecided:
            return w["why_grade_undecided"]
        if el.grades is not None:
            return w["why_grade"].format(grade=placement.grade or "",
                                         grades=w["list"].join(el.grades))
    return ""


def _band(plan: Plan | None, grade: str, total: Decimal) -> str | None:
    from govscore.rules.structured import bounds_words
    from govscore.rules.values import within

    grades = plan.scheme.grades if plan is not None else None
    if grades is None:
        return None
    for band in grades.bands:
        if band.grade == grade and within(band, total):
            return bounds_words(band, "zh")
    return None


# --- the sheet as text ------------------------------------------------------------------------

def display_width(text: str) -> int:
    """Columns a text takes on a terminal, in a monospaced print or an Excel column: East Asian
    wide and full-width characters take 2 (the one measure of every view)."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def to_text(sheet: ScoreSheet) -> str:
    """The sheet as lines of text: one line per row with its score, the 说明 beneath, then the
    total and the placing. Every number a pencil needs is on the page."""
    head = sheet.unit
    if sheet.scheme:
        head += f" — {sheet.scheme}"
    if sheet.version:
        head += f" ({'版本' if sheet.lang == 'zh' else 'version'} {sheet.version})"
    out = [head]
    if sheet.where:
        out.append(sheet.where)
    out.append("(每行: 项目 [条款] 分值 事实 ⇒ 得分; · 说明是计算过程. 同一层各行得分相加为上一行的合计)"
                if sheet.lang == "zh" else
                "(each line: item [clause] points fact ⇒ score; · the working. The scores of "
                "one level add up to the sum of the line above)")
    for line in sheet.lines:
        pad = "  " * line.depth
        cells = [line.title]
        if line.clause:
            cells.append(f"[{line.clause}]")
        if line.points:
            cells.append(("分值 " if sheet.lang == "zh" else "points ") + line.points)
        if line.fact:
            cells.append(("事实 " if sheet.lang == "zh" else "fact ") + line.fact)
        score = line.score if line.counted else (f"({line.score})" if line.score else "")
        out.append(f"{pad}{'  '.join(cells)}  ⇒ {score}")
        for note in line.notes:
            out.append(f"{pad}    · {note}")
    total = ("总分" if sheet.lang == "zh" else "total") + f" {sheet.total}"
    out.append(total)
    out.extend(f"  · {n}" for n in sheet.total_notes)
    out.extend(sheet.placing)
    return "\n".join(out)
