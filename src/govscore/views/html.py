"""The assessment as one self-contained HTML page.

No network and no scripts: inline CSS, an inline SVG bar chart of the totals per scope, a ranked
table per scope with grades and awards, the ties that need a decision, each unit's breakdown (the
text of :func:`govscore.views.explain.explain`), the rejected units with their errors, and the
reproducibility record. Numbers are shown by :func:`govscore.numbers.fmt`; data-total
attributes carry the JSON results' text of the total. Every piece of text is escaped. The output
depends only on the assessment and the plan: rendering twice gives the same bytes.
"""

from __future__ import annotations

import html
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from govscore.engine.plan import Plan
from govscore.engine.results import Assessment, Placement, UnitResult
from govscore.numbers import fmt
from govscore.views.explain import explain

_CSS = """
:root { color-scheme: light; }
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif;
  margin: 2rem auto; max-width: 72rem; padding: 0 1rem; color: #1d1d1f; line-height: 1.5; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
h2 { font-size: 1.25rem; margin-top: 2.2rem; border-bottom: 2px solid #d0d7de; }
h3 { font-size: 1.05rem; margin-top: 1.4rem; }
table { border-collapse: collapse; margin: .6rem 0; font-size: .92rem; }
th, td { border: 1px solid #d0d7de; padding: .25rem .6rem; text-align: left;
  vertical-align: top; }
th { background: #f3f5f7; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.award td { background: #eaf7ea; }
tr.undecided td { background: #fff6d6; }
tr.flagged td.unit { color: #a40e26; }
.note { color: #57606a; font-size: .9rem; }
pre { background: #f6f8fa; padding: .6rem .8rem; overflow-x: auto; font-size: .85rem;
  white-space: pre-wrap; }
details { margin: .3rem 0; }
summary { cursor: pointer; }
svg.chart { display: block; margin: .6rem 0; max-width: 100%; height: auto; }
svg.chart text { font-size: 12px; fill: #1d1d1f; }
svg.chart rect.bar { fill: #4a7fb5; }
svg.chart rect.bar.award { fill: #2e8b57; }
svg.chart rect.bar.undecided { fill: #d9a400; }
svg.chart line.axis { stroke: #8c959f; stroke-width: 1; }
.record td:first-child { white-space: nowrap; }
code { font-size: .85rem; word-break: break-all; }
"""

_CHART_WIDTH = 760
_LABEL_WIDTH = 170
_VALUE_WIDTH = 70
_ROW = 22


def esc(value: object) -> str:
    """Text for HTML, attributes included."""
    return html.escape(str(value), quote=True)


def _data(value: Decimal) -> str:
    """A number for a data- attribute, for programs: the text the JSON results carry."""
    return str(value)


def scope_order(assessment: Assessment, plan: Plan) -> list[str]:
    """Scopes in the scheme's order: tiers, then categories, then 'all', then anything else."""
    present = {p.scope for p in assessment.placements.values()}
    scheme = plan.scheme
    declared = [t.id for t in scheme.tiers] + [c.id for c in scheme.categories] + ["all"]
    ordered = [s for s in declared if s in present]
    return ordered + sorted(present - set(ordered))


def ranked(assessment: Assessment, scope: str) -> list[str]:
    """Units of one scope by rank, then id."""
    return sorted((u for u, p in assessment.placements.items() if p.scope == scope),
                  key=lambda u: (assessment.placements[u].rank, u))


def label(assessment: Assessment, key: str) -> str:
    return assessment.labels.get(key, key)


def flags(assessment: Assessment, result: UnitResult) -> list[str]:
    """Vetoes, ineligibility and exemptions, as short Chinese phrases."""
    out = [f"一票否决: {label(assessment, v)}" for v in result.vetoes]
    if result.ineligible and not result.vetoes:
        out.append("取消评先评优资格: " + "; ".join(result.ineligible))
    out.extend(f"免扣 {item}: {reason}" for item, reason in result.exemptions.items())
    if result.total != result.computed_total:
        out.append(f"计算得分 {fmt(result.computed_total)}")
    return out


def grade_text(placement: Placement) -> str:
    if placement.grade_undecided:
        return " / ".join(placement.grade_undecided) + " (待定)"
    return placement.grade or ""


def _chart(assessment: Assessment, scope: str, units: list[str]) -> str:
    totals = [assessment.results[u].total for u in units]
    maxima = [r.nodes[root].max for r in (assessment.results[u] for u in units)
              if (root := _root(r)) is not None and r.nodes[root].max.is_finite()]
    full = max([*maxima, *totals, Decimal(1)])
    scale_max = full.to_integral_value(rounding=ROUND_CEILING)
    bar_space = Decimal(_CHART_WIDTH - _LABEL_WIDTH - _VALUE_WIDTH)
    height = _ROW * len(units) + 30
    title = f"{label(assessment, scope)}: 总分"
    parts = [f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" role="img" '
             f'width="{_CHART_WIDTH}" height="{height}" viewBox="0 0 {_CHART_WIDTH} {height}" '
             f'data-scope="{esc(scope)}" aria-label="{esc(title)}">',
             f"<title>{esc(title)}</title>"]
    for i, unit in enumerate(units):
        total = assessment.results[unit].total
        placement = assessment.placements[unit]
        width = (max(total, Decimal(0)) / scale_max * bar_space).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP)
        y = 4 + i * _ROW
        cls = "bar award" if placement.awards else ("bar undecided" if placement.undecided
                                                     else "bar")
        parts.append(
            f'<g data-unit="{esc(unit)}" data-total="{esc(_data(total))}">'
            f'<text x="{_LABEL_WIDTH - 6}" y="{y + 15}" text-anchor="end">{esc(unit)}</text>'
            f'<rect class="{cls}" x="{_LABEL_WIDTH}" y="{y + 3}" width="{width}" '
            f'height="{_ROW - 6}"><title>{esc(unit)}: {esc(fmt(total))}</title></rect>'
            f'<text x="{Decimal(_LABEL_WIDTH) + width + 5}" y="{y + 15}">{esc(fmt(total))}</text>'
            "</g>")
    axis_y = 4 + len(units) * _ROW + 2
    parts.append(f'<line class="axis" x1="{_LABEL_WIDTH}" y1="{axis_y}" '
                 f'x2="{_LABEL_WIDTH + int(bar_space)}" y2="{axis_y}"/>')
    parts.append(f'<text x="{_LABEL_WIDTH}" y="{axis_y + 16}">0</text>')
    parts.append(f'<text x="{_LABEL_WIDTH + int(bar_space)}" y="{axis_y + 16}" '
                 f'text-anchor="end">{esc(fmt(scale_max))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _root(result: UnitResult) -> str | None:
    roots = [n.id for n in result.nodes.values() if n.parent is None]
    return roots[0] if roots else None


def _anchor(index: dict[str, int], unit: str) -> str:
    return f"u{index[unit]}"


def _scope_section(assessment: Assessment, plan: Plan, scope: str,
                   index: dict[str, int]) -> list[str]:
    units = ranked(assessment, scope)
    outputs = [o.id for o in plan.scheme.outputs]
    out = [f'<section class="scope" data-scope="{esc(scope)}">',
           f"<h2>{esc(label(assessment, scope))} <span class=\"note\">({len(units)} 个单位)</span>"
           "</h2>", _chart(assessment, scope, units)]
    head = ["排名", "单位", "总分", "等次", "奖项", "待定", "说明",
            *(label(assessment, o) for o in outputs)]
    out.append('<table class="ranking"><thead><tr>' +
               "".join(f"<th>{esc(h)}</th>" for h in head) + "</tr></thead><tbody>")
    for unit in units:
        r, p = assessment.results[unit], assessment.placements[unit]
        row_class = "award" if p.awards else ("undecided" if p.undecided else "")
        if r.vetoes or r.ineligible:
            row_class = (row_class + " flagged").strip()
        cells = [
            f'<td class="num">{p.rank}</td>',
            f'<td class="unit"><a href="#{_anchor(index, unit)}">{esc(unit)}</a></td>',
            f'<td class="num total" data-unit="{esc(unit)}" data-total="{esc(_data(r.total))}">'
            f"{esc(fmt(r.total))}</td>",
            f"<td>{esc(grade_text(p))}</td>",
            f"<td>{esc('、'.join(label(assessment, a) for a in p.awards))}</td>",
            f"<td>{esc('、'.join(label(assessment, a) for a in p.undecided))}</td>",
            f"<td>{esc('; '.join(flags(assessment, r)))}</td>",
            *(f'<td class="num">{esc(fmt(r.outputs[o]))}</td>' if o in r.outputs else "<td></td>"
              for o in outputs),
        ]
        cls = f' class="{row_class}"' if row_class else ""
        out.append(f"<tr{cls}>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    for decision in assessment.awards:
        if decision.scope == scope:
            out.append(f'<p class="note">{esc(label(assessment, decision.award))}: '
                       f"{decision.size} 个单位, 名额 {decision.places}; 获得: "
                       f"{esc('、'.join(decision.winners) or '无')}"
                       + (f"; 待定: {esc('、'.join(decision.undecided))} 争 "
                          f"{decision.open_places} 个名额" if decision.undecided else "")
                       + "</p>")
    out.append("</section>")
    return out


def render(assessment: Assessment, plan: Plan) -> str:
    """The whole report as one HTML document (text; write it as UTF-8)."""
    title = assessment.labels.get("scheme", plan.scheme.title)
    record = assessment.record
    scopes = scope_order(assessment, plan)
    all_units = sorted(set(assessment.results) | {r.unit for r in assessment.rejected})
    index = {u: i for i, u in enumerate(all_units)}
    out = ["<!DOCTYPE html>", '<html lang="zh-CN">', "<head>", '<meta charset="utf-8">',
           '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
           "style-src 'unsafe-inline'; img-src data:\">",
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{esc(title)} — 考核结果</title>", f"<style>{_CSS}</style>", "</head>",
           "<body>", f"<h1>{esc(title)}</h1>",
           f'<p class="note">方案 {esc(record.scheme_id)} 版本 {esc(record.scheme_version)}; '
           f'共 {assessment.submitted} 个单位: <span id="scored">{len(assessment.results)}</span>'
           f' 个已评分, <span id="rejected-count">{len(assessment.rejected)}</span> 个未评分.</p>']
    out.append('<nav><ul>' + "".join(
        f'<li><a href="#s{i}">{esc(label(assessment, s))}</a></li>'
        for i, s in enumerate(scopes)) + '<li><a href="#ties">需决定的并列</a></li>'
        '<li><a href="#units">逐单位明细</a></li><li><a href="#rejected">未评分单位</a></li>'
        '<li><a href="#record">复核记录</a></li></ul></nav>')
    for i, scope in enumerate(scopes):
        out.append(f'<div id="s{i}"></div>')
        out.extend(_scope_section(assessment, plan, scope, index))
    out.append('<section id="ties"><h2>需决定的并列</h2>')
    if assessment.ties:
        out.append("<ul>")
        for decision in assessment.ties:
            out.append(f"<li>{esc(label(assessment, decision.scope))}: "
                       f"{esc('、'.join(decision.undecided))} 并列争 {decision.open_places} 个"
                       f"{esc(label(assessment, decision.award))}名额 (名额 {decision.places}, "
                       f"已获得: {esc('、'.join(decision.winners) or '无')}) — 需人工决定</li>")
        out.append("</ul>")
    else:
        out.append('<p class="note">没有需要人工决定的并列.</p>')
    grade_ties = sorted(u for u, p in assessment.placements.items() if p.grade_undecided)
    if grade_ties:
        out.append("<p>等次待定: " + esc("、".join(
            f"{u} ({grade_text(assessment.placements[u])})" for u in grade_ties)) + "</p>")
    out.append("</section>")
    out.append('<section id="units"><h2>逐单位明细</h2>')
    for scope in scopes:
        for unit in ranked(assessment, scope):
            r = assessment.results[unit]
            out.append(f'<details id="{_anchor(index, unit)}"><summary>{esc(unit)} — '
                       f"{esc(fmt(r.total))}</summary><pre>{esc(explain(assessment, unit))}"
                       "</pre></details>")
    out.append("</section>")
    out.append('<section id="rejected"><h2>未评分单位</h2>')
    if assessment.rejected:
        out.append('<table class="rejected"><thead><tr><th>单位</th><th>序号</th><th>代码</th>'
                   "<th>问题</th></tr></thead><tbody>")
        anchored: set[str] = set()
        for rejected in assessment.rejected:
            for d in rejected.diagnostics:
                anchor = "" if rejected.unit in anchored else \
                    f' id="{_anchor(index, rejected.unit)}"'
                anchored.add(rejected.unit)
                out.append(f"<tr{anchor}><td>{esc(rejected.unit)}</td>"
                           f'<td class="num">{rejected.index + 1}</td><td>{esc(d.code)}</td>'
                           f"<td>{esc(d.message)}</td></tr>")
        out.append("</tbody></table>")
    else:
        out.append('<p class="note">没有未评分的单位.</p>')
    out.append("</section>")
    out.append('<section id="record"><h2>复核记录</h2><table class="record"><tbody>')
    for key, value in (("方案", record.scheme_id), ("方案版本", record.scheme_version),
                       ("方案 sha256", record.scheme_sha256), ("事实 sha256", record.facts_sha256),
                       ("govscore 版本", record.govscore_version)):
        out.append(f"<tr><td>{esc(key)}</td><td><code>{esc(value)}</code></td></tr>")
    out.append("</tbody></table>")
    out.append('<p class="note">同一方案文件与同一事实数据重新计算, 结果应完全相同 (sha256 一致).</p>')
    out.append("</section></body></html>")
    return "\n".join(out) + "\n"
