"""A scheme printed back as the 考核细则 it encodes: its source, sections, items with their points,
rules in Chinese sentences and clause references, the vetoes, grades and awards — and every
``assumption`` (a number or reading the published text does not give) highlighted where it
applies. An author holds it against the published text; an office publishes what it will score
by. Markdown (``render_markdown``) or one self-contained HTML page (``render_html``).

The document is built once as blocks (:class:`Block`) and written by either renderer, so the two
say the same. Nothing here scores: the sentences are read from the scheme's model.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from govscore.language import model
from govscore.numbers import plain
from govscore.scheme import tree

_NUMERALS = "一二三四五六七八九十"


@dataclass(frozen=True)
class Block:
    """One piece of the document: a heading, a paragraph, a highlighted assumption, a list or a
    table (``rows`` of cells; a cell's ``marks`` are the assumptions it depends on)."""

    kind: str
    """"h1" … "h3", "p", "assumption", "list", "table"."""
    text: str = ""
    items: tuple[str, ...] = ()
    head: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    marks: tuple[tuple[str, ...], ...] = field(default=())
    """Per table row: the ids of the assumptions that affect it."""


def _n(value: Decimal | int | None) -> str:
    if value is None:
        return ""
    return plain(Decimal(value)) if Decimal(value).is_finite() else "不设上限"  # unbounded


def _pct(share: Decimal | str) -> str:
    return plain(share * 100) + "%" if isinstance(share, Decimal) else share  # "1/3" as written


def _section_number(i: int) -> str:
    if i < len(_NUMERALS):
        return _NUMERALS[i]
    return str(i + 1)


class _Names:
    """Titles of the scheme's ids (inputs, categories, nodes), for sentences."""

    def __init__(self, scheme: model.Scheme) -> None:
        self.titles: dict[str, str] = {}
        for group in (scheme.inputs, scheme.categories, scheme.tiers):
            for x in group:
                self.titles[x.id] = x.title
        for node in model.iter_nodes(scheme.score):
            self.titles[node.id] = node.title
        for veto in scheme.vetoes:
            self.titles[veto.id] = veto.title
        for award in scheme.awards:
            self.titles[award.id] = award.title
        for output in scheme.outputs:
            self.titles[output.id] = output.title
        self.short: dict[str, str] = {
            node.id: node.clause or _cut(node.title) for node in model.iter_nodes(scheme.score)}

    def __call__(self, key: str) -> str:
        return self.titles.get(key, key)

    def where(self, key: str) -> str:
        """A short way to point at a node: its clause, or the start of its title."""
        return self.short.get(key) or _cut(self(key))


def _cut(text: str, size: int = 16) -> str:
    return text if len(text) <= size else text[:size] + "…"


def rule_sentence(item: model.Item, name: _Names, *, deducted: bool = False) -> str:
    """The item's rule as the published text would say it (Chinese); ``deducted``: the item is
    under a group that is taken off the total (its points are deductions)."""
    from govscore import rules
    from govscore.rules.base import level_word
    from govscore.rules.structured import bounds_words

    r = item.rule
    top = _n(item.max)
    kind = rules.KINDS.get(r.kind)  # a kind without a sentence below is named by its title
    text = f"按{kind.titles.zh if kind is not None else r.kind}计分"
    verb = "扣" if deducted or item.role == "subtract" or item.from_full else "加"
    if isinstance(r, model.PassFail):
        points = r.points if r.points is not None else item.max
        text = f"达到要求得 {_n(points)} 分, 未达到得 {_n(r.fail_points)} 分"
    elif isinstance(r, model.Manual):
        text = f"由评分单位在 {_n(r.min)}–{_n(r.max)} 分之间评定"
        if r.step is not None:
            text += f", 以 {_n(r.step)} 分为单位"
        if r.zero_allowed and r.min > 0:
            text += ", 也可评 0 分"
    elif isinstance(r, model.PerOccurrence):
        text = f"每次{verb} {_n(r.per)} 分"
        if r.free:
            text += f", 前 {r.free} 次不计"
    elif isinstance(r, model.ByLevel):
        levels = "、".join(f"{level_word(k, 'zh')}每次 {_n(v)} 分" for k, v in r.levels.items())
        how = {"sum": "累计计分", "highest": "只计最高一级",
               "highest_per_matter": "同一事项只按最高级别计一次"}[r.combine]
        text = f"按级别{verb}分: {levels}; {how}"
    elif isinstance(r, model.PerStep):
        unit = r.unit or ""
        text = f"每 {_n(r.step)}{unit} {verb} {_n(r.points)} 分, 不足一档不计"
    elif isinstance(r, model.Ratio) and r.target is not None:
        text = f"按 完成数 / {_n(r.target)} × {top} 分计, 超额完成不加分"
    elif isinstance(r, model.Ratio):
        zero = {"full": "得满分", "zero": "得 0 分", "not_applicable": "本项不适用"}[r.zero_target]
        text = f"按 完成数 / 目标数 × {top} 分计, 超额完成不加分; 目标为 0 时{zero}"
    elif isinstance(r, model.Rate):
        text = f"按 比率 × {top} 分计"
    elif isinstance(r, model.Shortfall):
        how = {"whole_steps": "不足一档不扣", "started_steps": "不足一档按一档扣"}.get(
            r.partial, "按比例扣")
        text = (f"达到 {_n(r.target)} 得满分 {top} 分; 每低 {_n(r.step)} 扣 {_n(r.per)} 分"
                f" ({how})")
    elif isinstance(r, model.PerMissing):
        unit = "" if r.amount else " 次"
        how = {"whole_steps": ", 不足一档不扣", "started_steps": ", 不足一档按一档扣"}.get(
            r.partial, "") if r.step != 1 or r.amount else ""
        required = f"应完成 {_n(r.required)}{unit}" if r.required is not None else "应完成数由各单位填报"
        text = (f"{required}; 每少 {_n(r.step)}{unit} 扣 {_n(r.per)} 分{how}, 完成数超过应完成数"
                "不加分")
    elif isinstance(r, model.Bands):
        parts = [f"{bounds_words(b, 'zh')} 得 {_n(b.points)} 分" for b in r.bands]
        text = "分段计分" + (" (按比率)" if r.rate else "") + ": " + "; ".join(parts)
        if r.outside is not None:
            text += f"; 其余得 {_n(r.outside)} 分"
    elif isinstance(r, model.Rating):
        if r.satisfied is not None:
            text = (f"按 满意率 × {top} 分计, 满意率 = ({' + '.join(r.satisfied)}) / 有效评价数")
        else:
            full = r.full if r.full is not None else max(r.values.values())
            values = "、".join(f"{k} {_n(v)}" for k, v in r.values.items())
            text = f"按评价折算: {values}; 平均值 / {_n(full)} × {top} 分"
        if r.excluded:
            text += f"; {'、'.join(r.excluded)} 不计入基数"
        zero = {"full": "得满分", "zero": "得 0 分", "not_applicable": "本项不适用"}[r.no_votes]
        text += f"; 无有效评价时{zero}"
    elif isinstance(r, model.Choice):
        text = "按档次取分: " + "、".join(f"{k} {_n(v)} 分" for k, v in r.options.items())
    elif isinstance(r, model.Checklist):
        text = f"按分项计分 (× {top} 分): " + "、".join(
            f"{c.title} 占 {_pct(c.share)}" for c in r.criteria)
    elif isinstance(r, model.Series):
        how = {"mean": "平均", "sum": "合计", "min": "最低", "max": "最高"}[r.aggregate]
        periods = f" ({r.periods} 期)" if r.periods else ""
        text = f"按各期数值的{how}计分{periods}"
    elif isinstance(r, model.RaterGroups):
        groups = "、".join(f"{g.title} 占 {_pct(g.weight)}" for g in r.groups)
        text = f"多主体评议: {groups}; 各组平均分加权, 按 {_n(r.scale)} 分制折算为 {top} 分"
        if r.empty_group == "reweight":
            text += "; 某组无人评议时其权重分给其他组"
    elif isinstance(r, model.RelativeToBest):
        ratio = "最优值 / 本单位值" if r.lower_is_better else "本单位值 / 最优值"
        text = f"与最优单位比较: {ratio} × {top} 分"
    elif isinstance(r, model.RankPoints):
        if r.step is not None:
            text = f"按名次赋分: 第一名 {top} 分, 每低一名减 {_n(r.step)} 分"
        else:
            text = f"按名次赋分: 第一名 {top} 分至末名 {_n(r.last)} 分等差递减"
        if r.lower_is_better:
            text += " (数值越小名次越前)"
    elif isinstance(r, model.Formula):
        text = f"按公式 {r.formula} 计算"
    elif isinstance(r, model.Signed):
        text = f"由评分单位在 {_n(r.min)}–{_n(r.max)} 分之间评定, 负数为扣分"
        if r.step is not None:
            text += f", 以 {_n(r.step)} 分为单位"
    elif isinstance(r, model.Table):
        titles = {c.id: c.title for c in r.columns}
        rows = ["且".join(f"{titles.get(k, k)}{bounds_words(b, 'zh')}" for k, b in row.when.items())
                + f" 得 {_n(row.points)} 分" for row in r.rows]
        text = "按两项指标计分: " + "; ".join(rows)
        if r.outside is not None:
            text += f"; 其余得 {_n(r.outside)} 分"
    extra: list[str] = []
    if item.from_full:
        extra.append(f"从满分 {top} 分起扣, 扣完为止")
    elif item.unbounded:
        extra.append("不设上限")
    else:
        extra.append(f"最高 {top} 分")
    if item.reads is not None:
        extra.append(f"与{name(item.reads)}使用同一项数据")
    if item.role == "subtract":
        extra.append("从总分中减去")
    for m in item.modifiers:
        if isinstance(m, model.FactorIf):
            when = f"{name(m.input)}时" if m.input else \
                f"{'、'.join(name(c) for c in m.categories or [])}类单位"
            extra.append(f"{when} × {_n(m.factor)}")
        elif isinstance(m, model.OnCount):
            for step in m.steps:
                out = ", 并取消评先评优资格" if step.ineligible else ""
                extra.append(f"{name(m.input)}达到 {step.at_least} 次: × {_n(step.factor)}{out}")
        else:
            extra.append(f"须有{name(m.input)}, 否则不得分")
    if item.exemptions:
        extra.append("可申请免扣: " + "、".join(item.exemptions))
    if item.optional:
        extra.append("可不适用")
    if item.units:
        extra.append("仅适用于 " + "、".join(item.units))
    return text + "; " + "; ".join(extra)


def group_sentence(group: model.Group, name: _Names) -> str:
    parts: list[str] = []
    if group.units:
        parts.append("仅适用于 " + "、".join(group.units))
    if group.combine == "weighted":
        parts.append("各项得分加权: " + "、".join(
            f"{c.title} × {_n(c.weight)}" for c in group.children if c.weight is not None))
    elif group.combine == "highest":
        parts.append("取各项最高分, 不重复计算")
    if group.cap is not None:
        parts.append(f"累计不超过 {_n(group.cap)} 分")
    if group.floor != 0:
        parts.append(f"不低于 {_n(group.floor)} 分")
    if group.scale_to is not None:
        parts.append(f"折算为 {_n(group.scale_to)} 分")
    if group.not_applicable == "rescale":
        parts.append("有不适用的项目时, 其余项目按比例折算")
    if group.gate is not None:
        bound = f"≥ {_n(group.gate.gte)}" if group.gate.gte is not None else \
            f"> {_n(group.gate.gt)}"
        parts.append(f"{name(group.gate.node)} {bound} 时才计入")
    if group.limit is not None:
        factor = "" if group.limit.factor == 1 else f" × {_n(group.limit.factor)}"
        parts.append(f"不超过{name(group.limit.at_most)}{factor}")
    if group.role == "subtract":
        parts.append("从总分中减去")
    return "; ".join(parts)


def _affects(scheme: model.Scheme) -> dict[str, list[str]]:
    """node or veto id → the assumptions that affect it."""
    out: dict[str, list[str]] = {}
    for a in scheme.assumptions:
        for target in a.affects:
            out.setdefault(target, []).append(a.id)
    return out


def blocks(scheme: model.Scheme) -> list[Block]:
    """The document as blocks, in the order of a published 考核细则."""
    name = _Names(scheme)
    affects = _affects(scheme)
    out = [Block("h1", scheme.title)]
    src = scheme.source
    origin = [src.document]
    if src.issuer:
        origin.append(src.issuer)
    if src.number:
        origin.append(src.number)
    if src.date:
        origin.append(str(src.date))
    out.append(Block("p", "依据: " + ", ".join(origin)
                     + (f" ({src.url})" if src.url else "")))
    facts = [f"方案 {scheme.id}, 版本 {scheme.version}",
             f"考核周期: {_PERIOD[scheme.period]}",
             f"得分保留 {scheme.precision.places} 位小数, "
             + ("四舍五入" if scheme.precision.rounding == "half_up" else "四舍六入五成双")]
    if scheme.effective is not None:
        until = f" 至 {scheme.effective.until}" if scheme.effective.until else " 起"
        facts.append(f"施行: {scheme.effective.start}{until}")
    out.append(Block("list", items=tuple(facts)))
    if scheme.assumptions:
        out.append(Block("h2", "转录假设 (原文未写明, 须与发文单位核实)"))
        for a in scheme.assumptions:
            where = "、".join(name.where(t) for t in a.affects)
            out.append(Block("assumption", f"[{a.id}] {a.text}"
                             + (f" (涉及: {where})" if where else "")))
    if scheme.categories or scheme.tiers:
        out.append(Block("h2", "考核对象"))
        for group in (scheme.tiers, scheme.categories):
            for x in group:
                members = "、".join(x.members) if x.members else "(未列名单)"
                out.append(Block("p", f"{x.title}: {members}"))
    out.append(Block("h2", f"考核内容及评分标准 (满分 {_n(_full(scheme.score))} 分)"))
    head = ("项目", "分值", "评分标准", "条款", "评分单位")
    for i, section in enumerate(scheme.score.children):
        marks_here = affects.get(section.id, [])
        title = f"{_section_number(i)}、{section.title}"
        points = _full(section)
        if points is not None:
            title += f" ({_n(points)} 分)"
        out.append(Block("h3", title))
        rows: list[tuple[str, ...]] = []
        marks: list[tuple[str, ...]] = []
        for depth, node, deducted in _walk(section, 0, deducted=False):
            label = ("　" * depth) + node.title
            if isinstance(node, model.Item):
                rows.append((label, _n(node.max), rule_sentence(node, name, deducted=deducted),
                             node.clause or "", node.assessor or ""))
            else:
                shown = _n(_full(node))
                if node.published_max is not None:  # the maximum that counts, the printed one
                    effective = _n(_full(node)) or _n(tree.maxima(scheme, None)[0][node.id])
                    if effective != _n(node.published_max):
                        shown = f"{effective} (原文 {_n(node.published_max)})"
                rows.append((label, shown, group_sentence(node, name),
                             node.clause or "", ""))
            # a top-level item is its own section: its assumptions once, not twice
            marks.append(tuple(dict.fromkeys(affects.get(node.id, []) +
                                             (marks_here if depth == 0 else []))))
        out.append(Block("table", head=head, rows=tuple(rows), marks=tuple(marks)))
    if scheme.score.combine != "sum" or scheme.score.cap is not None or \
            scheme.score.limit is not None:
        out.append(Block("p", "总分: " + group_sentence(scheme.score, name)))
    if scheme.vetoes:
        out.append(Block("h2", "一票否决"))
        rows = []
        marks = []
        for v in scheme.vetoes:
            rows.append((v.title, _condition(v.when, name), _EFFECT[v.effect].format(
                grade=v.grade or "", score=_n(v.score)), v.clause or ""))
            marks.append(tuple(affects.get(v.id, [])))
        out.append(Block("table", head=("事项", "情形", "后果", "条款"), rows=tuple(rows),
                         marks=tuple(marks)))
    if scheme.grades is not None:
        out.append(Block("h2", "等次"))
        from govscore.rules.structured import bounds_words

        items = [f"{b.grade}: 总分 {bounds_words(b, 'zh')}" for b in scheme.grades.bands]
        items.extend(f"{q.grade}不超过{_SCOPE[q.scope]}单位数的 {_pct(q.share)} "
                     f"({_ROUNDING[q.rounding]}), 超出的定为{q.fallback}"
                     for q in scheme.grades.quotas)
        out.append(Block("list", items=tuple(items)))
    if scheme.awards:
        out.append(Block("h2", "评先评优"))
        items = []
        for award in scheme.awards:
            places = f"前 {award.count} 名" if award.count is not None else \
                f"不超过单位数的 {_pct(award.share or Decimal(0))} ({_ROUNDING[award.rounding]})"
            end = "倒数" if award.from_end == "bottom" else ""
            text = f"{award.title}: {_SCOPE[award.scope]}{end}{places}"
            if award.categories:
                text += f", 限 {'、'.join(name(c) for c in award.categories)}"
            if award.eligibility is not None:
                if award.eligibility.min_total is not None:
                    text += f"; 总分须达到 {_n(award.eligibility.min_total)} 分"
                if award.eligibility.grades:
                    text += f"; 等次须为 {'、'.join(award.eligibility.grades)}"
            text += "; 被一票否决或取消资格的单位不参评"
            text += "; 名额边界并列时" + ("全部入选" if award.on_tie == "include_all"
                                           else "由考核小组决定")
            if award.clause:
                text += f" [{award.clause}]"
            if affects.get(award.id):
                text += f" ⚠ 假设: {'、'.join(affects[award.id])}"
            items.append(text)
        out.append(Block("list", items=tuple(items)))
    if scheme.outputs:
        out.append(Block("h2", "折算与运用"))
        items = []
        for o in scheme.outputs:
            if o.kind == "convert":
                weight = _n(o.weight) if o.weight is not None else name(o.weight_input or "")
                items.append(f"{o.title}: 总分 / {_n(o.from_scale)} × {weight}")
            else:
                items.append(f"{o.title}: 按公式 {o.formula} 计算")
        out.append(Block("list", items=tuple(items)))
    return out


_PERIOD = {"year": "年度", "half_year": "半年", "quarter": "季度", "month": "月度",
           "once": "一次性"}
_SCOPE = {"all": "全部单位中", "tier": "每个圈层内", "category": "每个类别内"}
_ROUNDING = {"floor": "向下取整", "ceil": "向上取整", "half_up": "四舍五入"}
_EFFECT = {"no_award": "取消评先评优资格", "grade": "等次定为{grade}",
           "grade_cap": "等次最高为{grade}", "score": "得分记为 {score} 分"}


def _condition(when: model.Condition, name: _Names) -> str:
    if when.formula is not None:
        return f"公式 {when.formula} 成立"
    if when.at_least is not None:
        return f"{name(when.input or '')}达到 {_n(when.at_least)}"
    return f"{name(when.input or '')}"


def _full(node: model.Item | model.Group) -> Decimal | None:
    if isinstance(node, model.Item):
        return node.max
    return node.cap if node.cap is not None else node.max


def _walk(node: model.Item | model.Group, depth: int, *, deducted: bool
          ) -> Iterator[tuple[int, model.Item | model.Group, bool]]:
    """Nodes with their depth and whether a group above them is taken off the total."""
    yield depth, node, deducted
    if isinstance(node, model.Group):
        below = deducted or node.role == "subtract"
        for child in node.children:
            yield from _walk(child, depth + 1, deducted=below)


# --- writers ---------------------------------------------------------------------------------

def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(scheme: model.Scheme) -> str:
    """The scheme as a Markdown document; assumptions in bold with a ⚠ marker."""
    out: list[str] = []
    for b in blocks(scheme):
        if b.kind in ("h1", "h2", "h3"):
            out.append("#" * int(b.kind[1]) + " " + b.text)
        elif b.kind == "p":
            out.append(b.text)
        elif b.kind == "assumption":
            out.append(f"> **⚠ 假设** {b.text}")
        elif b.kind == "list":
            out.extend(f"- {item}" for item in b.items)
        elif b.kind == "table":
            out.append("| " + " | ".join(b.head) + " |")
            out.append("|" + "---|" * len(b.head))
            for row, marks in zip(b.rows, b.marks or ((),) * len(b.rows), strict=True):
                cells = [_md_cell(c) for c in row]
                if marks:
                    cells[2] += " **⚠ 假设: " + "、".join(marks) + "**"
                out.append("| " + " | ".join(cells) + " |")
        out.append("")
    return "\n".join(out)


_CSS = """
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif;
  margin: 2rem auto; max-width: 72rem; padding: 0 1rem; color: #1d1d1f; line-height: 1.55; }
h1 { font-size: 1.6rem; text-align: center; }
h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 2px solid #d0d7de; }
h3 { font-size: 1.05rem; margin-top: 1.4rem; }
table { border-collapse: collapse; width: 100%; font-size: .92rem; }
th, td { border: 1px solid #d0d7de; padding: .25rem .5rem; text-align: left;
  vertical-align: top; }
th { background: #f3f5f7; }
td.num { text-align: right; white-space: nowrap; }
tr.assumed td { background: #fff6d6; }
.assumption { background: #fff6d6; border-left: 4px solid #d9a400; padding: .4rem .8rem;
  margin: .4rem 0; }
mark { background: #ffe08a; }
@page { size: A4; margin: 16mm 12mm; }
@media print { body { margin: 0; max-width: none; font-size: 10pt; }
  tr { break-inside: avoid; } thead { display: table-header-group; } }
"""


def render_html(scheme: model.Scheme) -> str:
    """The scheme as one self-contained HTML page (no scripts, nothing loaded); every
    assumption highlighted, in its own list and on each row it affects."""
    def esc(text: object) -> str:
        return html.escape(str(text), quote=True)

    out = ["<!DOCTYPE html>", '<html lang="zh-CN">', "<head>", '<meta charset="utf-8">',
           '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
           "style-src 'unsafe-inline'\">",
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{esc(scheme.title)}</title>", f"<style>{_CSS}</style>", "</head>", "<body>"]
    for b in blocks(scheme):
        if b.kind in ("h1", "h2", "h3"):
            out.append(f"<{b.kind}>{esc(b.text)}</{b.kind}>")
        elif b.kind == "p":
            out.append(f"<p>{esc(b.text)}</p>")
        elif b.kind == "assumption":
            out.append(f'<p class="assumption"><mark>⚠ 假设</mark> {esc(b.text)}</p>')
        elif b.kind == "list":
            out.append("<ul>" + "".join(f"<li>{esc(i)}</li>" for i in b.items) + "</ul>")
        elif b.kind == "table":
            out.append("<table><thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in b.head)
                       + "</tr></thead><tbody>")
            for row, marks in zip(b.rows, b.marks or ((),) * len(b.rows), strict=True):
                cls = ' class="assumed"' if marks else ""
                cells = []
                for i, cell in enumerate(row):
                    text = esc(cell)
                    if i == 2 and marks:  # noqa: PLR2004 - the 评分标准 column
                        text += f" <mark>⚠ 假设: {esc('、'.join(marks))}</mark>"
                    num = ' class="num"' if i == 1 else ""
                    cells.append(f"<td{num}>{text}</td>")
                out.append(f"<tr{cls}>" + "".join(cells) + "</tr>")
            out.append("</tbody></table>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def render(scheme: model.Scheme, suffix: str) -> str:
    """The document for an output suffix: .md or .html/.htm."""
    return render_markdown(scheme) if suffix == ".md" else render_html(scheme)
