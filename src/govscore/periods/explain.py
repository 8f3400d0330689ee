"""A run explained in words, Chinese (the default) or English: each period's result with what the
history rules and other schemes gave it, and each roll-up with every sub-period's value.

The unit's own breakdown in a period is :func:`govscore.views.explain.explain`; this module adds
the lines of the period rules around it, and is the one place they are worded."""

from __future__ import annotations

from decimal import Decimal

from govscore.numbers import fmt
from govscore.periods.history import Note
from govscore.periods.run import PeriodResult, RollupResult, RunResult, Taken
from govscore.views.explain import explain
from govscore.views.wording import Lang

_WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "period": "{scheme} · {period}",
        "missing_unit": "{unit} 在 {period} 没有结果",
        "lateness_done": "{title}: {due} 到期, {until} 完成, 逾期 {value} 个月 → {fact} = {value}",
        "lateness_open": "{title}: {due} 到期, 截至 {until} 未完成, 逾期 {value} 个月 → {fact} = "
                         "{value}",
        "carry": "{title}: 本期计入 {count} 项 → {fact} = {value}",
        "carry_event": "  {id}: {date} 发{for_text}, 计入本期",
        "for_text": ", 为 {period} 的工作",
        "ledger": "{title}: 起始 {start}, 期末余额 {value} → {fact}",
        "entry": "  {date} {type} {points}{credited}{expired}",
        "entry_cut": ", 计 {credited} ({cap})",
        "entry_expired": ", 已过期",
        "demotion": "{title}: {fact} = {value}",
        "taken": "{input} ← {scheme} 的 {what}: {value}",
        "taken_part": "  {unit}{relation}: {value}{share}",
        "taken_share": " × {share}",
        "taken_missing": "缺",
        "taken_none": "无关联单位, 不取值",
        "combine_mean": "平均",
        "grade_of": "等次 {grade}",
        "combine_sum": "合计",
        "refused": "{input}: {problem}",
        "streak": "{title}: 连续 {length} 期 ({periods})",
        "rollup": "{title} {period}({how})",
        "how_mean": "各期平均", "how_sum": "各期合计", "how_last": "取最后一期",
        "how_min": "取最低一期", "how_max": "取最高一期",
        "best": ", 取最高 {best} 期",
        "missing_error": "", "missing_zero": ", 缺期按 0 计",
        "missing_mean_of_present": ", 缺期按已有各期平均计",
        "part": "  {period}: {value}",
        "part_missing": "  {period}: 缺 → {value}",
        "kept": "  保留: {values}",
        "result": "  {formula} = {exact} → {value}",
        "grade": "  等次: {grade}",
        "awards": "  获评: {awards}",
        "no_rollup": "{title} {period}: {unit} 无结果",
    },
    "en": {
        "period": "{scheme} · {period}",
        "missing_unit": "{unit} has no result in {period}",
        "lateness_done": "{title}: due {due}, done {until}, {value} month(s) late → {fact} = "
                         "{value}",
        "lateness_open": "{title}: due {due}, not done by {until}, {value} month(s) late → "
                         "{fact} = {value}",
        "carry": "{title}: {count} counted in this period → {fact} = {value}",
        "carry_event": "  {id}: issued {date}{for_text}, counted here",
        "for_text": " for {period}",
        "ledger": "{title}: opening {start}, balance at the period's end {value} → {fact}",
        "entry": "  {date} {type} {points}{credited}{expired}",
        "entry_cut": ", credited {credited} ({cap})",
        "entry_expired": ", expired",
        "demotion": "{title}: {fact} = {value}",
        "taken": "{input} ← {what} of {scheme}: {value}",
        "taken_part": "  {unit}{relation}: {value}{share}",
        "taken_share": " × {share}",
        "taken_missing": "missing",
        "taken_none": "no linked unit, nothing taken",
        "combine_mean": "mean",
        "grade_of": "grade {grade}",
        "combine_sum": "sum",
        "refused": "{input}: {problem}",
        "streak": "{title}: {length} periods in a row ({periods})",
        "rollup": "{title} {period} ({how})",
        "how_mean": "mean of the periods", "how_sum": "sum of the periods",
        "how_last": "the last period", "how_min": "the lowest period",
        "how_max": "the highest period",
        "best": ", best {best}",
        "missing_error": "", "missing_zero": ", a missing period counts 0",
        "missing_mean_of_present": ", a missing period counts as the mean of the present ones",
        "part": "  {period}: {value}",
        "part_missing": "  {period}: missing → {value}",
        "kept": "  kept: {values}",
        "result": "  {formula} = {exact} → {value}",
        "grade": "  grade: {grade}",
        "awards": "  awards: {awards}",
        "no_rollup": "{title} {period}: no result for {unit}",
    },
}


def _value(value: object) -> str:
    if isinstance(value, Decimal):
        return fmt(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(f"{v['level']}:{v['matter']}" for v in value) + "]"
    return str(value)


def note_lines(note: Note, titles: dict[str, str], lang: Lang = "zh") -> list[str]:
    """One history rule's lines for one unit and period."""
    w = _WORDS[lang]
    title = titles.get(note.rule, note.rule)
    fact = titles.get(note.fact, note.fact)
    if note.kind == "lateness":
        key = "lateness_done" if note.detail["status"] == "done" else "lateness_open"
        return [w[key].format(title=title, fact=fact, value=note.value, **note.detail)]
    if note.kind == "carry_over":
        lines = [w["carry"].format(title=title, fact=fact, count=len(note.events),
                                   value=_value(note.value))]
        for e in note.events:
            for_text = w["for_text"].format(period=e.for_period) if e.for_period else ""
            lines.append(w["carry_event"].format(id=e.id, date=e.day, for_text=for_text))
        return lines
    if note.kind == "ledger":
        lines = [w["ledger"].format(title=title, fact=fact, value=fmt(note.value),
                                    start=fmt(note.detail["start"]))]
        for entry in note.entries:
            cut = w["entry_cut"].format(credited=fmt(entry.credited), cap=entry.cap) \
                if entry.credited != entry.points else ""
            lines.append(w["entry"].format(
                date=entry.event.day, type=entry.event.type or "", points=fmt(entry.points),
                credited=cut, expired=w["entry_expired"] if entry.expired else ""))
        return lines
    return [w["demotion"].format(title=title, fact=fact, value=_value(note.value))]


def taken_lines(taken: Taken, titles: dict[str, str], lang: Lang = "zh") -> list[str]:
    w = _WORDS[lang]
    if taken.problem:
        return [w["refused"].format(input=titles.get(taken.input, taken.input),
                                    problem=taken.problem)]
    if taken.combine == "none":
        return [w["taken"].format(input=titles.get(taken.input, taken.input),
                                  scheme=taken.scheme, what="", value=w["taken_none"])]
    what = w["grade_of"].format(grade=taken.grade) if taken.grade is not None else (
        w[f"combine_{taken.combine}"] if taken.combine in ("mean", "sum") else taken.value_name)
    lines = [w["taken"].format(input=titles.get(taken.input, taken.input), scheme=taken.scheme,
                               what=what, value=_value(taken.value))]
    if len(taken.parts) > 1 or any(r for _, r, _, _ in taken.parts):
        for unit, relation, share, value in taken.parts:
            lines.append(w["taken_part"].format(
                unit=unit, relation=f" ({relation})" if relation else "",
                value=_value(value) if value is not None else w["taken_missing"],
                share=w["taken_share"].format(share=fmt(share)) if share != 1 else ""))
    return lines


def explain_period(result: PeriodResult, unit: str, titles: dict[str, str],
                   lang: Lang = "zh") -> str:
    """One unit in one period: the period rules' lines, then its breakdown."""
    w = _WORDS[lang]
    lines = [w["period"].format(scheme=result.assessment.labels.get("scheme", ""),
                                period=result.period)]
    for note in result.notes.get(unit, []):
        lines += note_lines(note, titles, lang)
    for taken in result.taken.get(unit, []):
        lines += taken_lines(taken, titles, lang)
    for c in result.consequences.get(unit, []):
        lines.append(w["streak"].format(title=c.title, length=c.length,
                                        periods=", ".join(c.periods)))
    try:
        lines.append(explain(result.assessment, unit, lang=lang))
    except KeyError:
        lines.append(w["missing_unit"].format(unit=unit, period=result.period))
    return "\n".join(lines)


def explain_rollup(result: RollupResult, unit: str, lang: Lang = "zh") -> str:
    """One unit's roll-up: each sub-period's value, what filled a missing one, the result."""
    w = _WORDS[lang]
    rule = result.rule
    how = w[f"how_{rule.aggregate}"] + (w["best"].format(best=rule.best) if rule.best else "") \
        + w[f"missing_{rule.missing}"]
    head = w["rollup"].format(title=rule.title, period=result.period, how=how)
    rolled = result.values.get(unit)
    if rolled is None:
        problems = [str(d.message) for d in result.problems if d.unit == unit]
        return "\n".join([w["no_rollup"].format(title=rule.title, period=result.period,
                                                unit=unit), *problems])
    lines = [head]
    for (period, value), filled in zip(rolled.parts, rolled.filled, strict=True):
        lines.append(w["part"].format(period=period, value=fmt(value)) if value is not None
                     else w["part_missing"].format(period=period, value=fmt(filled)))
    if rule.best is not None:
        lines.append(w["kept"].format(values=", ".join(fmt(v) for v in rolled.kept)))
    operands = " + ".join(fmt(v) for v in rolled.kept)
    formula = f"({operands}) ÷ {len(rolled.kept)}" if rule.aggregate == "mean" else \
        operands if rule.aggregate == "sum" else f"{rule.aggregate}({', '.join(fmt(v) for v in rolled.kept)})"
    lines.append(w["result"].format(formula=formula, exact=fmt(rolled.exact),
                                    value=fmt(rolled.value)))
    placement = result.placements.get(unit)
    if placement is not None and placement.grade:
        lines.append(w["grade"].format(grade=placement.grade))
    if placement is not None and placement.awards:
        titles = {a.id: a.title for a in rule.awards}
        lines.append(w["awards"].format(awards=", ".join(titles.get(a, a)
                                                         for a in placement.awards)))
    return "\n".join(lines)


def titles_of(run: RunResult, scheme_id: str) -> dict[str, str]:
    """Titles of a scheme's inputs, nodes and history rules, for the lines above."""
    plan = run.schemes[scheme_id].plan
    out = dict(plan.titles)
    out.update({i.id: i.title for i in plan.scheme.inputs})
    out.update({r.id: r.title for r in plan.scheme.history})
    return out
