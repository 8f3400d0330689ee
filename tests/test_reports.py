"""HTML and Excel results: content, escaping, determinism, atomic writes, exit codes."""

from __future__ import annotations

import json
import os
import re
import sys
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest

import govscore
from govscore import cli
from govscore.errors import UsageError
from govscore.inputs import readers
from govscore.views import html, report

ROOT = Path(__file__).resolve().parents[1]
S3 = ROOT / "schemes" / "s3-chengdu.yaml"
S3_FACTS = ROOT / "examples" / "s3-chengdu.facts.yaml"
S4 = ROOT / "schemes" / "s4-anhui.yaml"
S4_FACTS = ROOT / "examples" / "s4-anhui.facts.yaml"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    code = cli.run(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def s3():
    plan = govscore.compile(S3)
    return plan, govscore.evaluate_all(plan, readers.read_facts(S3_FACTS))


@pytest.fixture(scope="module")
def s3_with_rejects():
    """S3 plus two units the scheme does not know, one with markup in its name."""
    plan = govscore.compile(S3)
    units = readers.read_facts(S3_FACTS)
    units.append({"id": "<script>alert('x')</script>&", "facts": {"base": True}})
    units.append({"id": "=HYPERLINK(\"http://x\")", "tier": "ring1", "facts": {"bonus": 1}})
    return plan, govscore.evaluate_all(plan, units)


# ------------------------------------------------------------------------------ HTML


def test_html_has_every_part(s3):
    plan, assessment = s3
    page = html.render(assessment, plan)
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("<svg") == 3  # one chart per 圈层
    assert page.count('<table class="ranking">') == 3
    for unit, result in assessment.results.items():
        assert f'data-unit="{unit}" data-total="{result.total}"' in page
    assert "温江区、龙泉驿区 并列争 1 个优秀名额" in page  # the tie in 第二圈
    # every unit's score sheet is on the page, open (no closed <details>): 20 of them
    assert page.count('<article class="sheet page"') == 20
    assert "<details" not in page
    assert '<h3>锦江区 <span class="total" data-total="88.00">总分 88.00</span></h3>' in page
    # the sheets carry the applied limits as arithmetic (S3 第十条: the deductions not more than
    # the bonus; 郫县: bonus 5, deductions 2 + 2 + 3 = 7 → 5)
    assert "减分合计 7.00, 不超过加分 5.00, 计 5.00" in page
    assert page.count("考核小组成员签字") == 20 + 3  # each sheet and each scope's ranking
    assert assessment.record.scheme_sha256 in page
    assert assessment.record.facts_sha256 in page
    assert assessment.record.govscore_version in page
    assert "没有未评分的单位" in page


def test_html_is_self_contained(s3):
    plan, assessment = s3
    page = html.render(assessment, plan)
    assert "<script" not in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert "@import" not in page
    assert "default-src 'none'" in page


def test_html_escapes_everything(s3_with_rejects):
    plan, assessment = s3_with_rejects
    page = html.render(assessment, plan)
    assert len(assessment.rejected) == 2
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;&amp;" in page
    assert '<table class="rejected">' in page
    assert "GS402" in page  # the unit in no 圈层


def test_html_is_deterministic_whatever_the_unit_order(s3):
    plan, assessment = s3
    units = readers.read_facts(S3_FACTS)
    again = govscore.evaluate_all(plan, list(reversed(units)))
    assert html.render(assessment, plan) == html.render(assessment, plan)
    # the facts hash depends on the order of the file; everything else is the same
    # (the page headers carry the hash's first 12 digits)
    first = html.render(assessment, plan).replace(assessment.record.facts_sha256, "").replace(
        assessment.record.facts_sha256[:12], "")
    second = html.render(again, plan).replace(again.record.facts_sha256, "").replace(
        again.record.facts_sha256[:12], "")
    assert first == second


def test_score_html_byte_identical_on_rerun(tmp_path):
    a, b = tmp_path / "a.html", tmp_path / "b.html"
    assert run("score", str(S3), str(S3_FACTS), "-o", str(a))[0] == 0
    assert run("score", str(S3), str(S3_FACTS), "-o", str(b))[0] == 0
    assert a.read_bytes() == b.read_bytes()


# ------------------------------------------------------------------------------ Excel


openpyxl_needed = pytest.mark.skipif(
    __import__("importlib.util").util.find_spec("openpyxl") is None, reason="needs openpyxl")


@openpyxl_needed
def test_xlsx_sheets_numbers_and_frozen_headers(tmp_path, s3_with_rejects):
    import openpyxl

    plan, assessment = s3_with_rejects
    path = tmp_path / "r.xlsx"
    report.write(assessment, plan, path)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["第一圈(中心城区)", "第二圈(近郊区)", "第三圈(远郊区)", "评分表", "明细",
                               "待定", "未评分", "记录"]
    ring1 = book["第一圈(中心城区)"]
    assert ring1.freeze_panes == "C2"
    assert [c.value for c in ring1[1]][:5] == ["排名", "单位", "总分", "等次", "奖项"]
    assert [c.value for c in ring1[2]][:5] == [1, "高新区", 88.5, None, "优秀"]
    assert ring1["C2"].data_type == "n"
    assert ring1["C2"].number_format == "0.00"
    totals = {row[1].value: row[2].value for row in ring1.iter_rows(min_row=2)}
    for unit, total in totals.items():
        assert Decimal(repr(total)) == assessment.results[unit].total
    detail = book["明细"]
    assert detail.freeze_panes == "D2"
    rows = [[c.value for c in r] for r in detail.iter_rows(min_row=2)]
    bonus = next(r for r in rows if r[0] == "锦江区" and r[2] == "bonus")
    assert bonus[9:12] == [20, 20, 30]
    deductions = next(r for r in rows if r[0] == "郫县" and r[2] == "deductions")
    assert deductions[9] == 7
    assert deductions[10] == 5
    assert re.fullmatch(r"7(\.0+)? → 5(\.0+)?: 不超过 1 × 加分 = 5(\.0+)?", deductions[13])
    ties = [[c.value for c in r] for r in book["待定"].iter_rows(min_row=2)]
    assert ties == [["优秀", "第二圈(近郊区)", 6, 1, None, "温江区、龙泉驿区", 1]]
    rejected = [[c.value for c in r] for r in book["未评分"].iter_rows(min_row=2)]
    assert {r[0] for r in rejected} == {"<script>alert('x')</script>&", "=HYPERLINK(\"http://x\")"}
    for sheet in book.worksheets:  # no formula anywhere: a unit name is text, never a formula
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f"
    record = dict(r for r in book["记录"].iter_rows(min_row=2, values_only=True))
    assert record["方案 sha256"] == assessment.record.scheme_sha256


@openpyxl_needed
def test_xlsx_sheets_are_ready_to_filter_and_print(tmp_path, s3):
    # issue 13: no autofilter, no print setup (each ranking split over two A4 pages), no
    # borders, the 单位 column too narrow for long names
    import openpyxl

    plan, assessment = s3
    path = tmp_path / "r.xlsx"
    report.write(assessment, plan, path)
    book = openpyxl.load_workbook(path)
    for sheet in book.worksheets:
        assert sheet.auto_filter.ref, sheet.title
        assert sheet.auto_filter.ref.startswith("A1:"), sheet.title
        assert sheet.freeze_panes, sheet.title
        assert sheet.page_setup.orientation == "landscape", sheet.title
        assert int(sheet.page_setup.paperSize) == int(sheet.PAPERSIZE_A4), sheet.title
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
        assert sheet.page_setup.fitToWidth == 1, sheet.title
        assert sheet.page_setup.fitToHeight == 0, sheet.title
        assert sheet.print_title_rows == "$1:$1", sheet.title
        assert sheet["A1"].border.bottom.style == "thin", sheet.title
    ring1 = book["第一圈(中心城区)"]
    # 单位 is as wide as the longest name there (3 or 4 CJK characters: 8 columns) plus room
    assert ring1.column_dimensions["B"].width >= 8


@openpyxl_needed
def test_the_workbooks_score_sheets_re_add(tmp_path, s3):
    """评分表: each unit a heading row, its lines (top lines not indented), the total; the top
    lines add up to the total, the same amounts as explain's sheet."""
    import openpyxl

    plan, assessment = s3
    path = tmp_path / "r.xlsx"
    report.write(assessment, plan, path)
    sheet = openpyxl.load_workbook(path)["评分表"]
    assert [c.value for c in sheet[1]] == ["单位", "项目", "条款", "分值", "事实", "得分", "说明"]
    units: dict[str, dict[str, object]] = {}
    for row in sheet.iter_rows(min_row=2):
        unit, item, score = row[0].value, row[1].value, row[5].value
        entry = units.setdefault(unit, {"top": [], "total": None})
        if item == "总分":
            entry["total"] = score
        elif isinstance(item, str) and item.startswith(f"{unit} — 总分"):
            assert sheet.row_dimensions[row[0].row].outlineLevel == 0
        elif score is not None and not isinstance(score, str) and not row[1].alignment.indent:
            entry["top"].append(Decimal(repr(score)))
            assert sheet.row_dimensions[row[0].row].outlineLevel == 1
    assert set(units) == set(assessment.results)
    for unit, entry in units.items():
        assert sum(entry["top"], Decimal(0)) == Decimal(repr(entry["total"])), unit
    # 郫县: 70 + 5 − 5 = 70 (the deductions 7 limited to the bonus 5)
    assert units["郫县"]["top"] == [Decimal(70), Decimal(5), Decimal(-5)]
    # each unit starts a printed page
    assert len(sheet.row_breaks.brk) == len(units) - 1


@openpyxl_needed
def test_xlsx_byte_identical_on_rerun(tmp_path):
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    assert run("score", str(S4), str(S4_FACTS), "-o", str(a))[0] == 0
    assert run("score", str(S4), str(S4_FACTS), "-o", str(b))[0] == 0
    assert a.read_bytes() == b.read_bytes()
    import openpyxl

    book = openpyxl.load_workbook(a)
    assert [s.title for s in book.worksheets][:4] == [
        "第一类_综合部门", "第二类_行政管理部门", "第三类_中央驻皖单位", "第四类_金融服务机构"]
    assert book.properties.created.year == 2000


def test_xlsx_without_openpyxl_is_a_clear_error(monkeypatch, s3):
    from govscore.views import xlsx

    monkeypatch.setitem(sys.modules, "openpyxl", None)
    with pytest.raises(UsageError, match=r"govscore\[excel\]"):
        xlsx.render(s3[1], s3[0])


def test_a_sheet_past_excels_row_limit_is_gs704_and_nothing_is_written(tmp_path, monkeypatch,
                                                                        s3):
    """Excel's sheets hold 1,048,576 rows; openpyxl refused the next with a bare ValueError.
    With the limit lowered to the rows S3's example needs, the workbook is written; one row
    fewer, and the run ends with GS704 naming the sheet, exit 2, and no file (S3's 3 圈层 sheets
    have 3 rows each, far below: it is 评分表, ~20 rows per unit, that passes)."""
    import io

    import openpyxl as real

    from govscore.views import xlsx

    plan, assessment = s3
    book = real.load_workbook(io.BytesIO(xlsx.render(assessment, plan)))
    needed = max(sheet.max_row for sheet in book.worksheets)
    tallest = max(book.worksheets, key=lambda sheet: sheet.max_row).title
    assert tallest == "评分表"
    assert needed > 6 * 10  # 6 units, ~20 rows each
    monkeypatch.setattr(xlsx, "MAX_ROWS", needed)
    xlsx.render(assessment, plan)  # exactly the limit: written
    monkeypatch.setattr(xlsx, "MAX_ROWS", needed - 1)
    with pytest.raises(UsageError, match=r"^GS704 the workbook's sheet 评分表 needs more") as info:
        xlsx.render(assessment, plan)
    assert f"{needed - 1:,} rows" in str(info.value)
    target = tmp_path / "big.xlsx"
    code, _, err = run("score", str(S3), str(S3_FACTS), "-o", str(target))
    assert code == 2
    assert "GS704" in err
    assert ".csv or .parquet" in err
    assert not target.exists()


# ------------------------------------------------------------------------------ writing


def test_atomic_write_leaves_no_file_when_rendering_raises(tmp_path, monkeypatch, s3):
    plan, assessment = s3

    def broken(*_args: object) -> str:
        raise RuntimeError("renderer failed")

    monkeypatch.setattr(html, "render", broken)
    target = tmp_path / "out.html"
    with pytest.raises(RuntimeError):
        report.write(assessment, plan, target)
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_keeps_the_old_file_when_the_rename_fails(tmp_path, monkeypatch, s3):
    plan, assessment = s3
    target = tmp_path / "out.html"
    target.write_text("old", encoding="utf-8")

    def no_replace(*_args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", no_replace)
    with pytest.raises(OSError, match="No space"):
        report.write(assessment, plan, target)
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.html"]


# ------------------------------------------------------------------------------ exit codes


def test_exit_codes(tmp_path):
    html = tmp_path / "r.html"
    code, _, err = run("score", str(S3), str(S3_FACTS), "-o", str(html))
    assert code == 0, err
    assert f"wrote {html}" in err
    bad = tmp_path / "bad.yaml"
    bad.write_text("units:\n  - id: 无名区\n    facts: {base: true}\n", encoding="utf-8")
    code, _, err = run("score", str(S3), str(S3_FACTS), str(bad), "-o", str(html))
    assert code == 1  # a rejected unit: the others are still scored and written
    assert "rejected 无名区" in err
    assert "无名区" in html.read_text(encoding="utf-8")
    assert run("score", str(S3), str(tmp_path / "missing.csv"))[0] == 2
    assert run("score", str(S3))[0] == 2


def test_html_totals_match_json(tmp_path):
    html, js = tmp_path / "r.html", tmp_path / "r.json"
    assert run("score", str(S3), str(S3_FACTS), "-o", str(html))[0] == 0
    assert run("score", str(S3), str(S3_FACTS), "-o", str(js))[0] == 0
    data = json.loads(js.read_text(encoding="utf-8"))
    page = html.read_text(encoding="utf-8")
    found = dict(re.findall(r'<td class="num total" data-unit="([^"]+)" data-total="([^"]+)"',
                            page))
    assert found == {r["unit"]: r["total"] for r in data["results"]}


def test_every_long_s4_name_in_the_chart_is_whole_and_distinct():
    # issue 13: with a 170 px label column, 中国人寿… and 中国人民财产… both read
    # "…保险股份有限公司安徽省分公司". Each label is now the unit's name, whole (wrapped onto
    # lines that fit the label column at 13 px per wide character), and the labels differ.
    from govscore.views.sheet import display_width

    plan = govscore.compile(S4)
    assessment = govscore.evaluate_all(plan, readers.read_facts(S4_FACTS))
    page = html.render(assessment, plan)
    charts = re.findall(r'<svg class="chart".*?</svg>', page, re.S)
    assert len(charts) == 4
    shown: list[str] = []
    for chart in charts:
        room = int(re.search(r'data-label-width="(\d+)"', chart).group(1)) - 12
        for unit, label in re.findall(
                r'<g data-unit="([^"]+)"[^>]*><text class="label"[^>]*>(.*?)</text>', chart):
            lines = [html_unescape(t) for t in re.findall(r"<tspan[^>]*>([^<]*)</tspan>", label)]
            assert "".join(lines) == html_unescape(unit)
            assert all(display_width(line) * 6.5 <= room for line in lines), lines
            shown.append("".join(lines))
    assert len(shown) == len(assessment.results) == len(set(shown))
    assert "中国人寿保险股份有限公司安徽省分公司" in shown
    assert "中国人民财产保险股份有限公司安徽省分公司" in shown


def html_unescape(text: str) -> str:
    import html as std_html

    return std_html.unescape(text)


def test_a_printed_header_cannot_break_out_of_its_css_string():
    assert html.css_string('a"b\\c</style>') == '"a\\22 b\\5c c\\3c /style\\3e "'


# ------------------------------------------------------------------------------ text table


def test_the_text_table_is_chinese_aligned_and_in_the_schemes_order():
    # issue 13: English headers, award ids (excellent, 待定:excellent), misaligned Chinese
    # columns, S4's scopes in the order 二、三、一、四
    code, out, _ = run("score", str(S4), str(S4_FACTS))
    assert code == 0
    from govscore.views.sheet import display_width

    lines = out.splitlines()
    assert lines[0].split() == ["范围", "名次", "单位", "总分", "等次", "奖项", "说明"]
    body = [line for line in lines[2:] if not line.startswith("并列待定")]
    assert len(body) == 113
    scopes = list(dict.fromkeys(line.split()[0] for line in body))
    assert scopes == ["第一类:综合部门", "第二类:行政管理部门", "第三类:中央驻皖单位",
                      "第四类:金融服务机构"]
    # the 总分 column ends at the same display column on every line
    ends = set()
    for line in body:
        total = line.split()[3]
        ends.add(display_width(line[:line.index(total) + len(total)]))
    assert len(ends) == 1
    code, out, _ = run("score", str(S3), str(S3_FACTS))
    assert "excellent" not in out
    assert "待定: 优秀" in out
    assert "并列待定: 第二圈(近郊区) 优秀: 温江区、龙泉驿区 争 1 个名额, 需考核小组决定" in out


@openpyxl_needed
def test_the_fill_in_template_is_ready_to_filter_and_print():
    import io

    import openpyxl

    from govscore.inputs import template

    plan = govscore.compile(S4)
    sheet = openpyxl.load_workbook(io.BytesIO(template.render(plan)))["事实"]
    assert sheet.auto_filter.ref.startswith("A2:")  # on the Chinese titles (row 1: the names)
    assert sheet.print_title_rows == "$1:$2"
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.fitToWidth == 1
    assert sheet["A3"].border.left.style == "thin"
    # the id column fits S4's longest name: 中国人民财产保险股份有限公司安徽省分公司, 20 wide
    # characters = 40 columns, + 2
    assert sheet.column_dimensions["A"].width == 42


def test_the_ranking_notes_name_items_by_title_not_id():
    # issue 13: the 说明 column showed ids (免扣 key_tasks_gov)
    plan = govscore.compile(S4)
    assessment = govscore.evaluate_all(plan, readers.read_facts(S4_FACTS))
    page = html.render(assessment, plan)
    assert "key_tasks_gov" not in page
    assert ("免扣 完成省委、省政府交付的重点工作任务和执行省委、省政府文件、会议决定事项"
            "(省政府办公厅考核分值): 不可抗力") in page
