"""govscore render: a scheme printed back as the 考核细则 it encodes — sections, items, points,
rules in Chinese sentences, clause references, every assumption highlighted."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path

import pytest

import govscore
from govscore import cli
from govscore.language import model
from govscore.views import scheme_doc

ROOT = Path(__file__).resolve().parents[1]
SCHEMES = sorted((ROOT / "schemes").glob("*.yaml"))


@pytest.mark.parametrize("path", SCHEMES, ids=lambda p: p.stem)
def test_every_item_clause_and_assumption_is_in_the_document(path):
    scheme = govscore.load(path).scheme
    md = scheme_doc.render_markdown(scheme)
    page = scheme_doc.render_html(scheme)
    for node in model.iter_nodes(scheme.score):
        if node is scheme.score:
            continue
        assert node.title.replace("|", "\\|") in md, node.id
        if node.clause:
            assert node.clause.replace("|", "\\|") in md, node.id
    for assumption in scheme.assumptions:
        # in the list of assumptions, highlighted
        assert f"> **⚠ 假设** [{assumption.id}]" in md
        assert f'<p class="assumption"><mark>⚠ 假设</mark> [{assumption.id}]' in page
    # every row an assumption affects carries its mark
    affected = {t for a in scheme.assumptions for t in a.affects}
    nodes = {n.id: n for n in model.iter_nodes(scheme.score)}
    for target in affected & set(nodes):
        if nodes[target] is scheme.score:
            continue
        cell = nodes[target].title.replace("|", "\\|")
        row = next(line for line in md.splitlines()
                   if re.match(r"\| 　*" + re.escape(cell) + r" \|", line))
        assert "**⚠ 假设: " in row, target
    assert "<script" not in page


def test_s3_reads_as_its_published_rules():
    scheme = govscore.load(ROOT / "schemes" / "s3-chengdu.yaml").scheme
    md = scheme_doc.render_markdown(scheme)
    # 第九条(三): 按项加0.5分, 累计加分不超过2分
    assert re.search(r"\| 　率先在全省.*\| 2 \| 每次加 0\.5 分; 最高 2 分 \| 第九条\(三\) \|", md)
    # 第十条(五): 每次扣5分 (an item of the deductions)
    assert re.search(r"\| 　受到当地和上级党委、政府通报批评的,每次扣5分 \| 30 \| 每次扣 5 分", md)
    # 第十条(八): the deductions not more than the bonus
    assert "| 减分 |  | 不超过加分; 从总分中减去 | 第十条 |" in md
    # 第九条(四) levels in words
    assert "按级别加分: 市级每次 0.5 分、省级每次 1 分、国家级每次 1.5 分; 累计计分" in md
    # 第十一条: 30% of each tier, rounded down, ties for the panel
    assert "优秀: 每个圈层内不超过单位数的 30% (向下取整)" in md
    assert "名额边界并列时由考核小组决定" in md


def test_the_cli_writes_html_and_markdown_and_refuses_other_suffixes(tmp_path):
    scheme = str(ROOT / "schemes" / "s6-xinfang.yaml")
    for name in ("s6.html", "s6.md"):
        err = StringIO()
        assert cli.run(["render", scheme, "-o", str(tmp_path / name)], StringIO(), err) == 0
        assert f"wrote {tmp_path / name}" in err.getvalue()
    page = (tmp_path / "s6.html").read_text(encoding="utf-8")
    assert "一票否决" in page
    assert "進京非訪直接否決評優" in page
    err = StringIO()
    assert cli.run(["render", scheme, "-o", str(tmp_path / "s6.pdf")], StringIO(), err) == 2
    assert "GS701" in err.getvalue()
    assert not (tmp_path / "s6.pdf").exists()


def test_markup_in_a_title_is_escaped():
    text = (ROOT / "schemes" / "s3-chengdu.yaml").read_text(encoding="utf-8").replace(
        "title: 加分", "title: 加分<script>x</script>", 1)
    scheme = govscore.load(text=text, name="t.yaml").scheme
    page = scheme_doc.render_html(scheme)
    assert "<script>" not in page
    assert "加分&lt;script&gt;x&lt;/script&gt;" in page
