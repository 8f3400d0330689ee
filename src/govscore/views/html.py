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
from govscore.views import sheet as score_sheet
from govscore.views.ranking import ranked, scope_order
from govscore.views.sheet import display_width

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
table.ranking th { white-space: nowrap; }
code { font-size: .85rem; word-break: break-all; }
article.sheet { margin-top: 2rem; }
article.sheet h3 { display: flex; justify-content: space-between;
  border-bottom: 1px solid #d0d7de; }
table.sheet { width: 100%; table-layout: fixed; }
table.sheet th.c0 { width: 28%; } table.sheet th.c1 { width: 13%; }
table.sheet th.c2 { width: 6%; } table.sheet th.c3 { width: 13%; }
table.sheet th.c4 { width: 8%; } table.sheet th.c5 { width: 32%; }
table.sheet td { overflow-wrap: anywhere; }
table.sheet tr.group td.title, table.sheet tr.sum td { font-weight: 600; }
table.sheet tr.group td { background: #f6f8fa; }
table.sheet tr.d2 td.title { padding-left: 1.4rem; }
table.sheet tr.d3 td.title { padding-left: 2.2rem; }
table.sheet tr.d4 td.title, table.sheet tr.d5 td.title,
table.sheet tr.d6 td.title { padding-left: 3rem; }
table.sheet tr.uncounted td { color: #6e7781; }
table.sheet td.clause, table.sheet td.working { font-size: .85em; color: #33393f; }
table.sheet tr.sum td { border-top: 2px solid #57606a; }
ul.placing { margin: .4rem 0; padding-left: 1.2rem; }
.sign { margin: 1.2rem 0 .4rem; display: flex; gap: .4rem; align-items: flex-end; }
.sign .blank { display: inline-block; width: 16rem; border-bottom: 1px solid #1d1d1f;
  height: 1.4rem; }
.sign .blank.short { width: 8rem; }
@media screen { .sign { display: none; } }
@media (max-width: 640px) {
  body { margin: 1rem auto; }
  table.sheet, table.sheet tbody, table.sheet tr, table.sheet td { display: block; width: auto; }
  table.sheet thead { display: none; }
  table.sheet tr { border: 1px solid #d0d7de; margin: .4rem 0; padding: .2rem .4rem; }
  table.sheet td { border: none; padding: .1rem 0; }
  table.sheet td:empty { display: none; }
  table.sheet td.num { text-align: left; }
  table.sheet td.num.score::before { content: "得分 "; color: #57606a; }
  table.sheet td.points::before { content: "分值 "; color: #57606a; }
  table.sheet td.fact::before { content: "事实 "; color: #57606a; }
  .scroll { overflow-x: auto; }
  .scroll table.ranking { min-width: 40rem; }
  .scroll svg.chart { max-width: none; }
}
"""


_CHART_WIDTH = 760
_LABEL_MIN = 120
_LABEL_MAX = 330
"""The chart's label column: as wide as the longest name (24 wide characters at most; a longer
name wraps onto a second line), so that no name is cut."""
_CHAR_PX = 6.5
"""Pixels per display column at the chart's 12 px font (a wide character is two columns)."""
_VALUE_WIDTH = 70
_ROW = 22
_LINE = 14


def esc(value: object) -> str:
    """Text for HTML, attributes included."""
    return html.escape(str(value), quote=True)


def _data(value: Decimal) -> str:
    """A number for a data- attribute, for programs: the text the JSON results carry."""
    return str(value)


def label(assessment: Assessment, key: str) -> str:
    return assessment.labels.get(key, key)


def flags(assessment: Assessment, result: UnitResult) -> list[str]:
    """Vetoes, ineligibility and exemptions, as short Chinese phrases with titles (never ids)."""
    out = [f"一票否决: {label(assessment, v)}" for v in result.vetoes]
    if result.ineligible and not result.vetoes:
        out.append("取消评先评优资格")
    for item, reason in result.exemptions.items():
        node = result.nodes.get(item)
        out.append(f"免扣 {node.title if node is not None else item}: {reason}")
    if result.total != result.computed_total:
        out.append(f"计算得分 {fmt(result.computed_total)}")
    return out


def grade_text(placement: Placement) -> str:
    if placement.grade_undecided:
        return " / ".join(placement.grade_undecided) + " (待定)"
    return placement.grade or ""


def _label_lines(name: str, room: int) -> list[str]:
    """A unit's name cut into lines that fit ``room`` pixels (a wide character is 13 px, a
    narrow one 6.5 at the chart's 12 px font), so that every long name is shown whole."""
    lines, line, used = [], "", 0.0
    for ch in name:
        w = _CHAR_PX * display_width(ch)
        if line and used + w > room:
            lines.append(line)
            line, used = "", 0.0
        line += ch
        used += w
    return [*lines, line] if line else lines or [""]


def _chart(assessment: Assessment, scope: str, units: list[str]) -> str:
    totals = [assessment.results[u].total for u in units]
    maxima = [r.nodes[root].max for r in (assessment.results[u] for u in units)
              if (root := _root(r)) is not None and r.nodes[root].max.is_finite()]
    full = max([*maxima, *totals, Decimal(1)])
    scale_max = full.to_integral_value(rounding=ROUND_CEILING)
    # the label column is as wide as the longest name needs, up to a limit; longer names wrap
    longest = max((display_width(u) for u in units), default=0)
    label_width = min(_LABEL_MAX, max(_LABEL_MIN, int(longest * _CHAR_PX) + 12))
    labels = [_label_lines(u, label_width - 12) for u in units]
    bar_space = Decimal(_CHART_WIDTH - label_width - _VALUE_WIDTH)
    heights = [_ROW + _LINE * (len(lines) - 1) for lines in labels]
    height = sum(heights) + 30
    title = f"{label(assessment, scope)}: 总分"
    parts = [f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" role="img" '
             f'width="{_CHART_WIDTH}" height="{height}" viewBox="0 0 {_CHART_WIDTH} {height}" '
             f'data-scope="{esc(scope)}" data-label-width="{label_width}" '
             f'aria-label="{esc(title)}">', f"<title>{esc(title)}</title>"]
    y = 4
    for unit, lines, row in zip(units, labels, heights, strict=True):
        total = assessment.results[unit].total
        placement = assessment.placements[unit]
        bar_width = (max(total, Decimal(0)) / scale_max * bar_space).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP)
        cls = "bar award" if placement.awards else ("bar undecided" if placement.undecided
                                                     else "bar")
        middle = y + row // 2
        first = middle + 4 - (_LINE * (len(lines) - 1)) // 2
        text = "".join(f'<tspan x="{label_width - 6}" y="{first + i * _LINE}">{esc(line)}</tspan>'
                       for i, line in enumerate(lines))
        parts.append(
            f'<g data-unit="{esc(unit)}" data-total="{esc(_data(total))}">'
            f'<text class="label" text-anchor="end">{text}</text>'
            f'<rect class="{cls}" x="{label_width}" y="{middle - (_ROW - 6) // 2}" '
            f'width="{bar_width}" height="{_ROW - 6}"><title>{esc(unit)}: {esc(fmt(total))}'
            "</title></rect>"
            f'<text x="{Decimal(label_width) + bar_width + 5}" y="{middle + 4}">'
            f"{esc(fmt(total))}</text></g>")
        y += row
    axis_y = y + 2
    parts.append(f'<line class="axis" x1="{label_width}" y1="{axis_y}" '
                 f'x2="{label_width + int(bar_space)}" y2="{axis_y}"/>')
    parts.append(f'<text x="{label_width}" y="{axis_y + 16}">0</text>')
    parts.append(f'<text x="{label_width + int(bar_space)}" y="{axis_y + 16}" '
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
    out = [f'<section class="scope page" data-scope="{esc(scope)}">',
           f"<h2>{esc(label(assessment, scope))} <span class=\"note\">({len(units)} 个单位)</span>"
           "</h2>", '<div class="scroll">' + _chart(assessment, scope, units) + "</div>"]
    head = ["排名", "单位", "总分", "等次", "奖项", "待定", "说明",
            *(label(assessment, o) for o in outputs)]
    out.append('<div class="scroll"><table class="ranking"><thead><tr>' +
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
    out.append("</tbody></table></div>")
    for decision in assessment.awards:
        if decision.scope == scope:
            out.append(f'<p class="note">{esc(label(assessment, decision.award))}: '
                       f"{decision.size} 个单位, 名额 {decision.places}; 获得: "
                       f"{esc('、'.join(decision.winners) or '无')}"
                       + (f"; 待定: {esc('、'.join(decision.undecided))} 争 "
                          f"{decision.open_places} 个名额" if decision.undecided else "")
                       + "</p>")
    out.append(_SIGN)
    out.append("</section>")
    return out


def css_string(text: str) -> str:
    """Text as a CSS string literal (for the printed page headers): quotes, backslashes, line
    breaks and ``<`` escaped, so that no scheme title ends the string or the style element."""
    out = []
    for ch in text:
        if ch in '"\\<>' or ord(ch) < 0x20 or ch == "\x7f":  # noqa: PLR2004
            out.append(f"\\{ord(ch):x} ")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _print_css(title: str, version: str, hashes: str) -> str:
    """A4 pages: the scheme and its version at the top of every page, the reproducibility
    hashes and the page number at the foot; each scope's ranking and each unit's sheet start a
    page."""
    return f"""
@page {{ size: A4; margin: 15mm 10mm 14mm 10mm;
  @top-left {{ content: {css_string(title)}; font-size: 8pt; color: #57606a; }}
  @top-right {{ content: {css_string(version)}; font-size: 8pt; color: #57606a; }}
  @bottom-left {{ content: {css_string(hashes)}; font-size: 7pt; color: #57606a; }}
  @bottom-right {{ content: "第 " counter(page) " 页 / 共 " counter(pages) " 页";
    font-size: 8pt; color: #57606a; }} }}
@media print {{
  body {{ margin: 0; max-width: none; padding: 0; font-size: 9pt; line-height: 1.3; }}
  nav, .screen-only {{ display: none; }}
  .page {{ break-before: page; }}
  h2 {{ margin-top: 0; break-after: avoid; }}
  #ties {{ break-inside: avoid; }}
  table {{ font-size: 8pt; width: 100%; }}
  th, td {{ padding: 1.5pt 3pt; }}
  table.sheet th.c0 {{ width: 34%; }} table.sheet th.c1 {{ width: 11%; }}
  table.sheet th.c3 {{ width: 11%; }} table.sheet th.c5 {{ width: 30%; }}
  table.sheet td.clause, table.sheet td.working {{ font-size: 7.5pt; }}
  article.sheet {{ margin-top: 0; }}
  thead {{ display: table-header-group; }}
  tr, .sign, .placing {{ break-inside: avoid; }}
  svg.chart {{ max-width: 100%; }}
  a {{ color: inherit; text-decoration: none; }}
}}
"""


def _sheet_section(sh: score_sheet.ScoreSheet, anchor: str, total: Decimal) -> list[str]:
    """One unit's score sheet as a printed page: the table, the total's working, the placing and
    a place for the 考核小组's signatures."""
    head = score_sheet.HEADERS[sh.lang]
    out = [f'<article class="sheet page" id="{anchor}" data-unit="{esc(sh.unit)}">',
           f'<h3>{esc(sh.unit)} <span class="total" data-total="{esc(_data(total))}">总分 '
           f"{esc(sh.total)}</span></h3>",
           f'<p class="note">{esc(sh.scheme)} (版本 {esc(sh.version)})'
           + (f"; {esc(sh.where)}" if sh.where else "") + "</p>",
           '<table class="sheet"><thead><tr>' + "".join(
               f'<th class="c{i}">{esc(h)}</th>' for i, h in enumerate(head))
           + "</tr></thead><tbody>"]
    for line in sh.lines:
        cls = [line.kind, f"d{min(line.depth, 6)}"]
        if not line.counted:
            cls.append("uncounted")
        score = line.score if line.counted else f"({line.score})"
        out.append(
            f'<tr class="{" ".join(cls)}"><td class="title">{esc(line.title)}</td>'
            f'<td class="clause">{esc(line.clause)}</td>'
            f'<td class="num points">{esc(line.points)}</td>'
            f'<td class="fact">{esc(line.fact)}</td><td class="num score">{esc(score)}</td>'
            f'<td class="working">{"<br>".join(esc(n) for n in line.notes)}</td></tr>')
    out.append(f'<tr class="sum"><td class="title">总分</td><td></td><td></td><td></td>'
               f'<td class="num score">{esc(sh.total)}</td>'
               f'<td class="working">{"<br>".join(esc(n) for n in sh.total_notes)}</td></tr>')
    out.append("</tbody></table>")
    if sh.placing:
        out.append('<ul class="placing">' + "".join(f"<li>{esc(p)}</li>" for p in sh.placing)
                   + "</ul>")
    out.append(_SIGN)
    out.append("</article>")
    return out


_SIGN = ('<div class="sign"><span>考核小组成员签字: </span><span class="blank"></span>'
         '<span>日期: </span><span class="blank short"></span></div>')


def render(assessment: Assessment, plan: Plan) -> str:
    """The whole report as one HTML document (text; write it as UTF-8)."""
    title = assessment.labels.get("scheme", plan.scheme.title)
    record = assessment.record
    scopes = scope_order(assessment, plan)
    all_units = sorted(set(assessment.results) | {r.unit for r in assessment.rejected})
    index = {u: i for i, u in enumerate(all_units)}
    version = f"{record.scheme_id} 版本 {record.scheme_version}"
    hashes = (f"复核: 方案 sha256 {record.scheme_sha256[:12]} · 事实 sha256 "
              f"{record.facts_sha256[:12]} · govscore {record.govscore_version}")
    out = ["<!DOCTYPE html>", '<html lang="zh-CN">', "<head>", '<meta charset="utf-8">',
           '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
           "style-src 'unsafe-inline'; img-src data:\">",
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{esc(title)} — 考核结果</title>",
           f"<style>{_CSS}{_print_css(title, version, hashes)}</style>", "</head>",
           "<body>", f"<h1>{esc(title)}</h1>",
           f'<p class="note">方案 {esc(record.scheme_id)} 版本 {esc(record.scheme_version)}; '
           f'共 {assessment.submitted} 个单位: <span id="scored">{len(assessment.results)}</span>'
           f' 个已评分, <span id="rejected-count">{len(assessment.rejected)}</span> 个未评分. '
           f"复核用 sha256: 方案 <code>{esc(record.scheme_sha256[:12])}</code>, 事实 "
           f"<code>{esc(record.facts_sha256[:12])}</code> (全文见文末复核记录).</p>"]
    out.append('<nav><ul>' + "".join(
        f'<li><a href="#s{i}">{esc(label(assessment, s))}</a></li>'
        for i, s in enumerate(scopes)) + '<li><a href="#ties">需决定的并列</a></li>'
        '<li><a href="#units">逐单位评分表</a></li><li><a href="#rejected">未评分单位</a></li>'
        '<li><a href="#record">复核记录</a></li></ul></nav>')
    for i, scope in enumerate(scopes):
        out.append(f'<div id="s{i}"></div>')
        section = _scope_section(assessment, plan, scope, index)
        if i == 0:  # the first ranking shares page 1 with the title
            section[0] = section[0].replace(' class="scope page"', ' class="scope"')
        out.extend(section)
    out.append('<section id="ties"><h2>需决定的并列</h2>')
    if assessment.ties:
        out.append("<ul>")
        for decision in assessment.ties:
            out.append(f"<li>{esc(label(assessment, decision.scope))}: "
                       f"{esc('、'.join(decision.undecided))} 并列争 {decision.open_places} 个"
                       f"{esc(label(assessment, decision.award))}名额 (名额 {decision.places}, "
                       f"已获得: {esc('、'.join(decision.winners) or '无')}) — 需考核小组决定</li>")
        out.append("</ul>")
    else:
        out.append('<p class="note">没有需要人工决定的并列.</p>')
    grade_ties = sorted(u for u, p in assessment.placements.items() if p.grade_undecided)
    if grade_ties:
        out.append("<p>等次待定: " + esc("、".join(
            f"{u} ({grade_text(assessment.placements[u])})" for u in grade_ties)) + "</p>")
    out.append("</section>")
    out.append('<section id="units"><h2 class="screen-only">逐单位评分表</h2>')
    for scope in scopes:
        for unit in ranked(assessment, scope):
            result = assessment.results[unit]
            out.extend(_sheet_section(score_sheet.build(result, plan, assessment),
                                      _anchor(index, unit), result.total))
    out.append("</section>")
    out.append('<section id="rejected" class="page"><h2>未评分单位</h2>')
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
    out.append(_SIGN.replace("考核小组成员签字", "考核小组组长签字"))
    out.append("</section></body></html>")
    return "\n".join(out) + "\n"
