"""The words of every view, in one place: the decimal formatter, the step names and the sentence
for each step of a trace, in Chinese (the default) and English.

The engine records a trace step as data (:class:`govscore.engine.results.TraceStep`: rule, kind,
before, after, args). Two renderings of a step, both here:

- the score sheet's arithmetic (:data:`SHEET_WORDS`, :func:`sheet_step`, numbers through
  :class:`Shown`): "加分合计 23.5, 封顶 20, 计 20", "满分 5 − 扣 (2 次 × 1 = 2.00) = 3.00" — what
  explain, the HTML report and the workbook's 评分表 print (:mod:`govscore.views.sheet`);
- a step as a change (:func:`describe`, :func:`step_line`): "34.5 → 20: 封顶 20", for the
  workbook's 明细 (one row per node, for people who filter and sort) and for a step whose args a
  sheet cannot read.

:func:`fmt` (from :mod:`govscore.numbers`) is the one way a view writes a Decimal.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from govscore.engine.results import StepKind, TraceStep
from govscore.numbers import fmt, plain

Lang = Literal["zh", "en"]
NodeKind = Literal["item", "group"]

_YES_NO: dict[Lang, tuple[str, str]] = {"zh": ("是", "否"), "en": ("yes", "no")}


_COMBINE: dict[Lang, dict[str, str]] = {
    "zh": {"sum": "求和", "weighted": "加权", "highest": "取最高"},
    "en": {"sum": "sum", "weighted": "weighted", "highest": "highest"},
}


def rule_name(node_kind: NodeKind, rule: str, lang: Lang = "zh") -> str:
    """What a node does, in words: an item's rule kind by its own title (govscore.rules), a
    group's way of combining its children; an unknown id as it is."""
    if node_kind == "item":
        # imported here: `import govscore` binds explain at once and must stay light (the rule
        # kinds import the models, ~0.4 s); an explanation always follows a compiled scheme
        from govscore import rules

        kind = rules.KINDS.get(rule)
        return getattr(kind.titles, lang) if kind is not None else rule
    return _COMBINE[lang].get(rule, rule)


def fact_text(fact: Any, lang: Lang = "zh") -> str | None:
    """A fact a node used, as a report shows it: a flag as 是/否 (yes/no), a number through
    :func:`fmt`, a table or list as compact JSON (numbers likewise); None for none."""
    if fact is None:
        return None
    if isinstance(fact, bool):
        return _YES_NO[lang][0 if fact else 1]
    if isinstance(fact, Decimal):
        return fmt(fact) if fact.is_finite() else str(fact)
    if isinstance(fact, (dict, list, tuple)):
        return json.dumps(_plain(fact), ensure_ascii=False, separators=(", ", ": "))
    return str(fact)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return fmt(value) if value.is_finite() else str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


STEP_NAMES: dict[Lang, dict[StepKind, str]] = {
    "zh": {
        "from_full": "满分起扣", "cap": "封顶", "floor": "保底", "limit": "限额", "gate": "门槛",
        "rescale": "不适用项折算", "scale": "折算", "modifier": "调整", "exempt": "免扣",
        "not_applicable": "不适用", "none_applicable": "无适用子项", "requires": "缺少佐证",
        "round": "舍入", "veto": "一票否决", "population": "按名次或比值计分",
        "statistic": "同类统计", "substitute": "按统计值计",
    },
    "en": {
        "from_full": "from full marks", "cap": "cap", "floor": "floor", "limit": "limit",
        "gate": "gate", "rescale": "rescale", "scale": "scale", "modifier": "adjustment",
        "exempt": "exempt", "not_applicable": "not applicable",
        "none_applicable": "no part applies", "requires": "missing evidence",
        "round": "rounding", "veto": "veto", "population": "scored over all units",
        "statistic": "statistic", "substitute": "scored as a statistic",
    },
}
"""Each step kind's short name: a column or a heading, and the phrase of a step whose operands
are missing (a result written before steps carried them)."""

# the phrases the step sentences are made of; {…} are filled in by describe
_PHRASES: dict[Lang, dict[str, str]] = {
    "zh": {
        "from_full": "满分 {max} − 扣 {lost} = {left}",
        "factor": "× {factor}",
        "factor_input": "× {factor} ({input} 为是)",
        "factor_category": "× {factor} (类别 {category})",
        "on_count": "{input} = {count} (≥ {at_least}): × {factor}",
        "ineligible": "取消评先评优资格",
        "requires": "无 {input}: 不得分",
        "exempt": "免扣: {reason}",
        "cap_item": "满分 {bound}",
        "cap_group": "封顶 {bound}",
        "floor_item": "扣完为止, 不低于 {bound}",
        "floor_group": "保底 {bound}",
        "round": "保留 {places} 位小数",
        "round_whole": "保留整数",
        "round_half_up": "四舍五入到 {places} 位",
        "round_half_up_whole": "四舍五入到整数",
        "round_half_even": "四舍六入五成双到 {places} 位",
        "round_half_even_whole": "四舍六入五成双到整数",
        "rescale": "× {full} / {applicable} (不适用项按比例折算)",
        "scale": "× {to} / {full}",
        "gate": "{node} = {value}, 未达到 {op} {bound}: 不计",
        "limit": "不超过 {factor} × {node} = {ceiling}",
        "not_applicable": "不适用 ({reason})",
        "not_applicable_group": "不适用 (没有适用的子项)",
        "none_applicable_full": "没有适用的子项: 按满分计",
        "none_applicable_zero": "没有适用的子项: 按 0 分计",
        "veto": "一票否决",
        "veto_titled": "一票否决 {title}",
        "veto_score": "{veto}: 得分改为 {score}",
        "veto_no_award": "{veto}: 取消评先评优资格",
        "veto_grade": "{veto}: 等次定为 {grade}",
        "veto_grade_cap": "{veto}: 等次最高为 {grade}",
        "change": "{before} → {after}: {what}",
        "rank": "{source} {value}, {n} 个单位中第 {rank} 名, 得 {points}分 = {sum}",
        "rank_first": "{source} {value}, {n} 个单位中第 1 名, 得满分 {points}分",
        "rank_alone": "{source} {value}, 只有 1 个单位, 得满分 {points}分",
        "rank_floor": "{source} {value}, {n} 个单位中第 {rank} 名, {sum} < 0, 得 0分",
        "relative": "{source} {value} / 最高 {best} × {max} = {points}",
        "relative_lower": "最低 {best} / {source} {value} × {max} = {points}",
        "relative_none": "{source} {value}, 最优值为 {best}: 得 {points}分",
        "mean": "平均值", "median": "中位数", "max": "最高值", "min": "最低值",
        "statistic": "{title} = {of} 的{function} {value}, 取自{scope}的 {count} 个单位 ({units})",
        "more": " 等", "list": "、",
        "substitute": "不适用, 按 {statistic} 计 {value}",
    },
    "en": {
        "from_full": "full marks {max} − {lost} deducted = {left}",
        "factor": "× {factor}",
        "factor_input": "× {factor} ({input} is true)",
        "factor_category": "× {factor} (category {category})",
        "on_count": "{input} = {count} (≥ {at_least}): × {factor}",
        "ineligible": "not eligible for awards",
        "requires": "no {input}: no points",
        "exempt": "exempt: {reason}",
        "cap_item": "max {bound}",
        "cap_group": "capped at {bound}",
        "floor_item": "deductions stop at {bound}",
        "floor_group": "not below {bound}",
        "round": "rounded to {places} {unit}",
        "round_whole": "rounded to a whole number",
        "round_half_up": "rounded half up to {places} {unit}",
        "round_half_up_whole": "rounded half up to a whole number",
        "round_half_even": "rounded half to even to {places} {unit}",
        "round_half_even_whole": "rounded half to even to a whole number",
        "rescale": "× {full} / {applicable} (rescaled for the items that do not apply)",
        "scale": "× {to} / {full}",
        "gate": "{node} = {value}, not {op} {bound}: not counted",
        "limit": "not more than {factor} × {node} = {ceiling}",
        "not_applicable": "not applicable ({reason})",
        "not_applicable_group": "not applicable (no part applies)",
        "none_applicable_full": "no part applies: full marks",
        "none_applicable_zero": "no part applies: 0",
        "veto": "veto",
        "veto_titled": "veto {title}",
        "veto_score": "{veto}: score set to {score}",
        "veto_no_award": "{veto}: not eligible for awards",
        "veto_grade": "{veto}: grade set to {grade}",
        "veto_grade_cap": "{veto}: grade at best {grade}",
        "change": "{before} → {after}: {what}",
        "rank": "{source} {value}: rank {rank} of {n}, {points} points = {sum}",
        "rank_first": "{source} {value}: rank 1 of {n}, full marks {points}",
        "rank_alone": "{source} {value}: the only unit, full marks {points}",
        "rank_floor": "{source} {value}: rank {rank} of {n}, {sum} < 0: 0 points",
        "relative": "{source} {value} / highest {best} × {max} = {points}",
        "relative_lower": "lowest {best} / {source} {value} × {max} = {points}",
        "relative_none": "{source} {value}, the best value is {best}: {points} points",
        "mean": "mean", "median": "median", "max": "highest", "min": "lowest",
        "statistic": "{title} = {function} of {of} {value}, over {count} units of {scope} "
                     "({units})",
        "more": " …", "list": ", ",
        "substitute": "not applicable: scores {statistic} {value}",
    },
}

_GATE_OPS = {"gte": "≥", "gt": ">"}
_SUMS = frozenset({"from_full", "population", "statistic", "substitute"})
"""Steps whose phrase already is the sum with its result (not shown as a change as well)."""
_ROUNDING_MODES = {"half_up", "half_even"}


class _MalformedError(Exception):
    """A step's args do not have the documented shape."""


def _arity(args: object, *sizes: int) -> tuple[Any, ...]:
    if not isinstance(args, tuple) or len(args) not in sizes:
        raise _MalformedError
    return args


def _operand(value: object) -> str:
    """A numeric operand as text (a Decimal, an int, or a number's text read back from JSON)."""
    if isinstance(value, bool) or not isinstance(value, (Decimal, int, str)):
        raise _MalformedError
    try:
        parsed = Decimal(value)
    except InvalidOperation:
        raise _MalformedError from None
    if not parsed.is_finite():
        raise _MalformedError
    return fmt(parsed)


def _places(value: object) -> int:
    if isinstance(value, bool):
        raise _MalformedError
    if isinstance(value, int):
        return value
    if isinstance(value, (Decimal, str)):
        try:
            parsed = Decimal(value)
        except InvalidOperation:
            raise _MalformedError from None
        if parsed.is_finite() and parsed == parsed.to_integral_value():
            return int(parsed)
    raise _MalformedError


def describe(step: TraceStep, lang: Lang = "zh", *, node_kind: NodeKind | None = None,
             names: Mapping[str, str] | None = None) -> str:
    """One step of a trace as a phrase, from its kind and args: what was done, with the operands
    ("封顶 20", "满分 20 − 扣 12 = 8", "x = 75, 未达到 ≥ 80: 不计").

    ``node_kind`` is the kind of the node the step belongs to: an item's cap is its full marks
    ("满分 5") and its floor is 0 (扣完为止), a group's are its cap and floor ("封顶 20",
    "保底 10"); when not given, the group's words. ``names`` maps ids (categories, nodes,
    grades) to the titles to show; an id it does not name is shown as it is. A step whose args do
    not have the documented shape (a result written before steps carried them) is described by
    its kind's name alone.
    """
    phrase = _phrase(step, lang, node_kind, names or {})
    return STEP_NAMES[lang].get(step.step, str(step.step)) if phrase is None else phrase


def step_line(step: TraceStep, lang: Lang = "zh", *, node_kind: NodeKind | None = None,
              names: Mapping[str, str] | None = None) -> str:
    """The line a report prints for one step: the change, then what made it
    ("34.5 → 20: 封顶 20"). A step that changed nothing (before = after: a veto that only takes
    away awards, an item that does not apply) is its phrase alone, never shown as a change; so is
    a from_full step, whose phrase is already the sum ("满分 20 − 扣 12 = 8")."""
    phrase = _phrase(step, lang, node_kind, names or {})
    what = STEP_NAMES[lang].get(step.step, str(step.step)) if phrase is None else phrase
    if step.before == step.after or (step.step in _SUMS and phrase is not None):
        return what
    return _PHRASES[lang]["change"].format(before=fmt(step.before), after=fmt(step.after),
                                           what=what)


def _phrase(step: TraceStep, lang: Lang, node_kind: NodeKind | None,
            names: Mapping[str, str]) -> str | None:
    """The step's phrase, or None when its args do not have the documented shape."""
    try:
        return _describe(step, _PHRASES[lang], node_kind, names)
    except _MalformedError:
        return None


def _describe(step: TraceStep, words: Mapping[str, str], node_kind: NodeKind | None,
              names: Mapping[str, str]) -> str:
    def name(key: object) -> str:
        text = str(key)
        return names.get(text, text)

    args = step.args
    kind = step.step
    if kind == "from_full":
        (top,) = _arity(args, 1)
        return words["from_full"].format(max=_operand(top), lost=fmt(step.before),
                                         left=fmt(step.after))
    if kind == "modifier":
        if not isinstance(args, tuple) or not args:
            raise _MalformedError
        if args[0] == "factor_if":
            _, factor, flag, category = _arity(args, 4)
            if flag:
                return words["factor_input"].format(factor=_operand(factor), input=name(flag))
            if category:
                return words["factor_category"].format(factor=_operand(factor),
                                                       category=name(category))
            return words["factor"].format(factor=_operand(factor))
        if args[0] == "on_count":
            _, flag, count, at_least, factor, ineligible = _arity(args, 6)
            text = words["on_count"].format(input=name(flag), count=_operand(count),
                                            at_least=_operand(at_least), factor=_operand(factor))
            return text + ", " + words["ineligible"] if ineligible else text
        raise _MalformedError
    if kind == "requires":
        (flag,) = _arity(args, 1)
        return words["requires"].format(input=name(flag))
    if kind == "exempt":
        reason, note = _arity(args, 2)
        text = words["exempt"].format(reason=reason)
        return f"{text} ({note})" if note else text
    if kind in ("cap", "floor"):
        (bound,) = _arity(args, 1)
        which = "item" if node_kind == "item" else "group"
        return words[f"{kind}_{which}"].format(bound=_operand(bound))
    if kind == "round":
        # (places,) as documented; (places, "half_up" | "half_even") names the rule as well
        places, *rest = _arity(args, 1, 2)
        whole = _places(places)
        key = "round"
        if rest:
            if rest[0] not in _ROUNDING_MODES:
                raise _MalformedError
            key = f"round_{rest[0]}"
        if whole == 0:
            return words[key + "_whole"]
        return words[key].format(places=whole, unit="place" if whole == 1 else "places")
    if kind == "rescale":
        full, applicable = _arity(args, 2)
        return words["rescale"].format(full=_operand(full), applicable=_operand(applicable))
    if kind == "scale":
        to, full = _arity(args, 2)
        return words["scale"].format(to=_operand(to), full=_operand(full))
    if kind == "gate":
        node, value, op, bound = _arity(args, 4)
        if op not in _GATE_OPS:
            raise _MalformedError
        return words["gate"].format(node=name(node), value=_operand(value), op=_GATE_OPS[op],
                                    bound=_operand(bound))
    if kind == "limit":
        factor, node, ceiling = _arity(args, 3)
        return words["limit"].format(factor=_operand(factor), node=name(node),
                                     ceiling=_operand(ceiling))
    if kind == "not_applicable":
        (reason,) = _arity(args, 1)
        return words["not_applicable"].format(reason=reason) if reason else \
            words["not_applicable_group"]
    if kind == "none_applicable":
        (policy,) = _arity(args, 1)
        if policy not in ("full", "zero"):
            raise _MalformedError
        return words[f"none_applicable_{policy}"]
    if kind == "population":
        return _population(step, words, name)
    if kind == "statistic":
        return _statistic(step, words, name, fmt(step.after))
    if kind == "substitute":
        (statistic,) = _arity(args, 1)
        return words["substitute"].format(statistic=name(statistic), value=fmt(step.after))
    if kind == "veto":
        title, effect, grade, score = _arity(args, 4)
        veto = words["veto_titled"].format(title=title) if title else words["veto"]
        if effect == "score" and score is not None:
            return words["veto_score"].format(veto=veto, score=_operand(score))
        if effect == "no_award":
            return words["veto_no_award"].format(veto=veto)
        if effect in ("grade", "grade_cap") and grade is not None:
            return words[f"veto_{effect}"].format(veto=veto, grade=name(grade))
    raise _MalformedError


def _population(step: TraceStep, words: Mapping[str, str], name: Callable[[object], str]) -> str:
    """An item scored over its scope, with its sum: "第3名, 得 4.6分 = 5 − 2 × 0.2"."""
    args = step.args
    if not isinstance(args, tuple) or not args:
        raise _MalformedError
    points = fmt(step.after)
    if args[0] == "rank_points":
        _, source, value, rank, n, top, per, last = _arity(args, 8)
        place, count = _places(rank), _places(n)
        common = {"source": name(source), "value": _operand(value), "n": count, "rank": place,
                  "points": points}
        if count == 1:
            return words["rank_alone"].format(**common)
        if place == 1:
            return words["rank_first"].format(**common)
        if per is not None:
            total = f"{_operand(top)} − {place - 1} × {_operand(per)}"
        elif last is not None:
            total = f"{_operand(top)} − {place - 1} × ({_operand(top)} − {_operand(last)}) / " \
                    f"{count - 1}"
        else:
            raise _MalformedError
        floored = per is not None and \
            Decimal(_operand(top)) - (place - 1) * Decimal(_operand(per)) < 0
        return words["rank_floor" if floored else "rank"].format(sum=total, **common)
    if args[0] == "relative_to_best":
        _, source, value, best, top, lower, _zero = _arity(args, 7)
        parts = {"source": name(source), "value": _operand(value), "best": _operand(best),
                 "max": _operand(top), "points": points}
        if Decimal(_operand(best)) <= 0:
            return words["relative_none"].format(**parts)
        return words["relative_lower" if lower else "relative"].format(**parts)
    raise _MalformedError


# --- the score sheet's words (govscore.views.sheet) ------------------------------------------

SHEET_WORDS: dict[Lang, dict[str, str]] = {
    "zh": {
        "eq": " = {x}", "then": ", 计 {x}", "sum": "合计 {x}", "sum_of": "{a}合计 {x}",
        "weighted": "加权: {terms} = {x}", "term_w": "{v} × {w}",
        "highest": "取最高 {x}", "cap_item": "超过满分 {b}", "cap_group": "封顶 {b}",
        "floor_item": "扣完为止, 不低于 {b}", "floor_group": "保底 {b}", "floor_plain": "不低于 {b}",
        "from_full": "满分 {max} − 扣 {lost} = {x}", "from_full_sum": "满分 {max} − 扣 ({how}) = {x}",
        "limit": "不超过{node} {c}", "limit_factor": "不超过{node} × {f} = {c}",
        "gate": "{node} {v} 未达到 {op} {b}: 不计",
        "rescale": "不适用项按比例折算: {before} × {full} / {app}",
        "scale": "折算: {before} × {to} / {full}",
        "factor": "× {f}", "factor_input": "× {f} ({input})", "factor_category": "× {f} (类别 {c})",
        "on_count": "× {f} ({input} {n} 次, 达到 {at} 次)", "on_count_out": "; 取消评先评优资格",
        "requires": "缺少 {input}: 不得分", "exempt": "免扣 ({reason})", "exempt_fact": "申请免扣: {reason}",
        "exempt_note": "免扣 ({reason}: {note})",
        "round_half_up": "四舍五入保留 {p} 位", "round_half_even": "四舍六入五成双保留 {p} 位",
        "round_whole_half_up": "四舍五入取整", "round_whole_half_even": "四舍六入五成双取整",
        "na": "不适用", "na_reason": "不适用: {r}", "na_group": "不适用 (没有适用的子项)",
        "only_units": "本项仅适用于 {units}",
        "none_full": "没有适用的子项: 按满分计", "none_zero": "没有适用的子项: 按 0 分计",
        "outside": "不计入总分", "not_counted": "不计",
        "total": "总分 = {terms} = {x}", "total_plain": "合计 {x}",
        "veto_score": "一票否决 ({title}): 总分改为 {x} (计算得分 {computed})",
        "veto_no_award": "一票否决 ({title}): 取消评先评优资格",
        "veto_grade": "一票否决 ({title}): 等次定为 {grade}",
        "veto_grade_cap": "一票否决 ({title}): 等次最高为 {grade}",
        "output": "{title}: {x}",
        "category": "类别: {x}", "tier": "圈层: {x}",
        "rank": "排名: {scope} {size} 个单位中第 {rank} 名",
        "grade": "等次: {grade}", "grade_band": "等次: {grade} (总分 {x} 在 {band} 档)",
        "grade_veto": "等次: {grade} (一票否决)", "grade_undecided": "等次: {grades} (待定)",
        "basis": "{award}: {scope} {size} 个单位, 名额 {places}",
        "basis_declared": " (按细则所列 {size} 个单位计; 本次评分 {scored} 个)",
        "awarded": "{basis}; 排名第 {rank}: 获得",
        "not_awarded": "{basis}; 排名第 {rank}: 未获得",
        "tied": "{basis}; 与 {others} 并列争 {open} 个名额: 待定, 需考核小组决定",
        "ineligible": "{basis}: 无评选资格 ({why})",
        "why_veto": "一票否决", "why_modifier": "扣分调整取消资格",
        "why_total": "总分 {x} 低于 {min}", "why_grade": "等次 {grade} 不在 {grades} 之列",
        "why_grade_undecided": "等次待定",
        "list": "、", "more": " 等 {n} 个单位",
        "unbounded": "不设上限", "published": "{max} (原文 {published})",
        "published_note": "原文满分 {published}, 按各项合计 {max} 计",
        "reads": "读 {item} 的事实",
    },
    "en": {
        "eq": " = {x}", "then": ", gives {x}", "sum": "sum {x}", "sum_of": "{a}: sum {x}",
        "weighted": "weighted: {terms} = {x}", "term_w": "{v} × {w}",
        "highest": "the highest: {x}", "cap_item": "above full marks {b}",
        "cap_group": "capped at {b}", "floor_item": "deductions stop at {b}",
        "floor_group": "not below {b}", "floor_plain": "not below {b}",
        "from_full": "full marks {max} − {lost} = {x}",
        "from_full_sum": "full marks {max} − ({how}) = {x}",
        "limit": "not more than {node} {c}", "limit_factor": "not more than {node} × {f} = {c}",
        "gate": "{node} {v} is not {op} {b}: not counted",
        "rescale": "rescaled for the items that do not apply: {before} × {full} / {app}",
        "scale": "scaled: {before} × {to} / {full}",
        "factor": "× {f}", "factor_input": "× {f} ({input})", "factor_category": "× {f} (category {c})",
        "on_count": "× {f} ({input} {n} times, at least {at})",
        "on_count_out": "; not eligible for awards",
        "requires": "no {input}: no points", "exempt": "exempt ({reason})",
        "exempt_fact": "exemption claimed: {reason}",
        "exempt_note": "exempt ({reason}: {note})",
        "round_half_up": "rounded half up to {p} places",
        "round_half_even": "rounded half to even to {p} places",
        "round_whole_half_up": "rounded half up to a whole number",
        "round_whole_half_even": "rounded half to even to a whole number",
        "na": "not applicable", "na_reason": "not applicable: {r}",
        "na_group": "not applicable (no part applies)",
        "only_units": "applies only to {units}",
        "none_full": "no part applies: full marks", "none_zero": "no part applies: 0",
        "outside": "not in the total", "not_counted": "not counted",
        "total": "total = {terms} = {x}", "total_plain": "sum {x}",
        "veto_score": "veto ({title}): the total is set to {x} (computed {computed})",
        "veto_no_award": "veto ({title}): not eligible for awards",
        "veto_grade": "veto ({title}): grade set to {grade}",
        "veto_grade_cap": "veto ({title}): grade at best {grade}",
        "output": "{title}: {x}",
        "category": "category: {x}", "tier": "tier: {x}",
        "rank": "rank: {rank} of {size} units in {scope}",
        "grade": "grade: {grade}", "grade_band": "grade: {grade} (total {x} is in the band {band})",
        "grade_veto": "grade: {grade} (veto)", "grade_undecided": "grade: {grades} undecided (tie)",
        "basis": "{award}: {scope}, {size} units, {places} place(s)",
        "basis_declared": " (the {size} units the scheme names; {scored} scored in this run)",
        "awarded": "{basis}; rank {rank}: awarded",
        "not_awarded": "{basis}; rank {rank}: not awarded",
        "tied": "{basis}; tied with {others} for {open} place(s): undecided, for the panel",
        "ineligible": "{basis}: not eligible ({why})",
        "why_veto": "veto", "why_modifier": "an adjustment removed eligibility",
        "why_total": "total {x} below {min}", "why_grade": "grade {grade} not among {grades}",
        "why_grade_undecided": "grade undecided",
        "list": ", ", "more": " and {n} more",
        "unbounded": "no cap", "published": "{max} (published {published})",
        "published_note": "published as {published}; its items give {max}, which counts",
        "reads": "reads the fact of {item}",
    },
}



class Shown:
    """How numbers are printed on one score sheet: scores at the scheme's places when that is
    exact (89.500 → 89.50), every digit otherwise; a number the scheme wrote as written."""

    def __init__(self, places: int | None) -> None:
        self.quantum = Decimal(1).scaleb(-(places if places is not None else 2))
        self.exact = places is None  # no scheme at hand: every number as it is

    def score(self, value: Decimal) -> str:
        if self.exact:
            return fmt(value)
        try:
            at = value.quantize(self.quantum)
        except InvalidOperation:  # more digits than the context holds: as it is
            return fmt(value)
        return fmt(at) if at == value else fmt(value)

    def statistic(self, value: Decimal) -> str:
        """A cohort statistic, which is kept exact (a mean of 23 / 3 has 34 digits): at the
        scheme's places, half up, marked ≈ when that is not its exact value."""
        if self.exact or not value.is_finite():
            return fmt(value)
        try:
            at = value.quantize(self.quantum, rounding="ROUND_HALF_UP")
        except InvalidOperation:
            return fmt(value)
        return fmt(at) if at == value else f"≈ {fmt(at)}"

    def working(self, value: Decimal) -> str:
        """An intermediate amount before rounding: exact when short, else cut after four more
        places than the scheme keeps, with an ellipsis (the rounding that follows is exact)."""
        text = self.score(value)
        if self.exact or not value.is_finite() or value.quantize(self.quantum) == value:
            return text
        places = -int(self.quantum.as_tuple().exponent)
        short = value.normalize()
        if -int(short.as_tuple().exponent) <= places + 4:
            return fmt(short)
        return fmt(value.quantize(self.quantum.scaleb(-4), rounding="ROUND_DOWN")) + "…"

    def operand(self, value: object) -> str:
        """A number the scheme wrote (a bound, a factor): as written, a whole one without
        decimals."""
        if isinstance(value, Decimal):
            return plain(value) if value.is_finite() else str(value)
        if isinstance(value, (int, str)) and not isinstance(value, bool):
            try:
                return plain(Decimal(value))
            except InvalidOperation:
                return str(value)
        return str(value)


def _statistic(step: TraceStep, words: Mapping[str, str], name: Any, value: str) -> str:
    """A statistic with its units, its value written ``value`` (every digit in a step's
    description; at the scheme's places on a score sheet)."""
    function, of, scope, count, units = _arity(step.args, 5)
    if function not in ("mean", "median", "max", "min") or not isinstance(units, (list, tuple)):
        raise _MalformedError
    shown = words["list"].join(name(u) for u in units)
    more = words["more"] if _places(count) > len(units) else ""
    return words["statistic"].format(title=name(step.rule), of=name(of),
                                     function=words[function], value=value,
                                     scope=name(scope), count=_places(count),
                                     units=shown + more)


def sheet_step(step: TraceStep, node_kind: str, shown: Shown, w: Mapping[str, str], name: Any,
          lead_title: str | None = None, *, bare: bool = False) -> str:
    """One step of a trace as a score sheet's arithmetic: what was done and what it gives
    ("加分合计 23.5, 封顶 20, 计 20" is a sum and then this phrase for a cap: "封顶 20, 计 20";
    "减分 7.00, 不超过加分 2.50, 计 2.50" for a limit; ``bare`` leaves out the amount before, for a
    phrase that continues the sum it bounds). ``w`` is :data:`SHEET_WORDS` of a language,
    ``name`` maps ids to titles. A step of an older shape falls back to :func:`step_line`."""
    a = step.args
    op = shown.operand
    after = shown.score(step.after)
    then = w["then"].format(x=after)
    try:
        if step.step == "cap":
            return w[f"cap_{node_kind}"].format(b=op(a[0])) + then
        if step.step == "floor":
            return w[f"floor_{node_kind}"].format(b=op(a[0])) + then
        if step.step == "limit":
            factor, other, ceiling = a
            lead = "" if bare else (f"{lead_title} " if lead_title is not None else "") + \
                shown.score(step.before) + ", "
            if Decimal(factor) == 1:
                return (lead +
                        w["limit"].format(node=name(other), c=shown.score(Decimal(ceiling)))
                        + then)
            return (lead + w["limit_factor"].format(
                node=name(other), f=op(factor), c=shown.score(Decimal(ceiling))) + then)
        if step.step == "gate":
            other, value, gate_op, bound = a
            return w["gate"].format(node=name(other), v=shown.score(Decimal(value)),
                                    op=_GATE_OPS.get(gate_op, gate_op), b=op(bound)) + then
        if step.step == "rescale":
            return w["rescale"].format(before=shown.score(step.before), full=op(a[0]),
                                       app=op(a[1])) + w["eq"].format(x=after)
        if step.step == "scale":
            return w["scale"].format(before=shown.score(step.before), to=op(a[0]),
                                     full=op(a[1])) + w["eq"].format(x=after)
        if step.step == "modifier":
            if a[0] == "factor_if":
                _, factor, flag, category = a
                if flag:
                    text = w["factor_input"].format(input=name(flag), f=op(factor))
                elif category:
                    text = w["factor_category"].format(c=name(category), f=op(factor))
                else:
                    text = w["factor"].format(f=op(factor))
            else:
                _, flag, count, at_least, factor, ineligible = a
                text = w["on_count"].format(input=name(flag), n=op(count), at=op(at_least),
                                            f=op(factor))
                if ineligible:
                    text += w["on_count_out"]
            head, _, tail = text.partition("; ")
            return (f"{shown.score(step.before)} {head}" + w["eq"].format(x=after)
                    + (f"; {tail}" if tail else ""))
        if step.step == "requires":
            return w["requires"].format(input=name(a[0])) + then
        if step.step == "exempt":
            reason, note = a
            key = "exempt_note" if note else "exempt"
            return w[key].format(reason=reason, note=note) + then
        if step.step == "round":
            places = int(a[0])
            mode = a[1] if len(a) > 1 else "half_up"
            key = f"round_whole_{mode}" if places == 0 else f"round_{mode}"
            return (f"{shown.working(step.before)} " + w[key].format(p=places)
                    + w["eq"].format(x=after))
        if step.step == "none_applicable":
            return w["none_full" if a[0] == "full" else "none_zero"] + then
        if step.step == "from_full":
            return w["from_full"].format(max=op(a[0]), lost=shown.score(step.before), x=after)
        if step.step == "statistic":  # kept exact, shown at the scheme's places (≈ if cut)
            lang: Lang = "zh" if w is SHEET_WORDS["zh"] else "en"
            return _statistic(step, _PHRASES[lang], name, shown.statistic(step.after))
    except (ValueError, TypeError, IndexError, InvalidOperation, _MalformedError):
        pass
    # a step of an older shape, and the population phases' steps (a rank, a statistic), whose
    # sums step_line writes
    return step_line(step, "zh" if w is SHEET_WORDS["zh"] else "en",
                     node_kind="item" if node_kind == "item" else "group", names=_Titles(name))


class _Titles(Mapping[str, str]):
    """The sheet's titles for ids (``name``) as the mapping step_line reads: any id is shown by
    its title, or as it is."""

    def __init__(self, name: Any) -> None:
        self._name = name

    def __getitem__(self, key: str) -> str:
        title: str = self._name(key)
        return title

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0

    def __bool__(self) -> bool:
        return True  # never empty: every id has a title (itself at worst)
