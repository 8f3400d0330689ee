"""The score sheet re-adds with a pencil: for every unit of the S3 and S4 examples, the printed
sheet alone (the text of ``govscore explain``) is parsed and added up with Decimal — each group's
lines to its printed 合计, each line's working to its printed 得分, the top lines to the printed
total — without looking at the engine's result objects.

And the fixes of issue 13's explain list, each held by a test below."""

from __future__ import annotations

import re
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest

import govscore
from govscore.engine.plan import Plan
from govscore.engine.results import Assessment

NUMBER = re.compile(r"[−-]?\d+(?:\.\d+)?")


def dec(text: str) -> Decimal:
    return Decimal(text.replace("−", "-"))


@cache
def scored(name: str) -> tuple[Plan, Assessment]:
    plan = govscore.compile(f"schemes/{name}.yaml")
    return plan, govscore.evaluate_all(plan, govscore.read_facts(f"examples/{name}.facts.yaml"))


class Row:
    def __init__(self, depth: int, text: str, score: str) -> None:
        self.depth, self.text, self.score = depth, text, score
        self.notes: list[str] = []
        self.children: list[Row] = []

    @property
    def counted(self) -> bool:
        return not self.score.startswith("(") and self.score not in ("不适用", "")

    @property
    def value(self) -> Decimal:
        return dec(self.score)


def parse(sheet: str) -> tuple[list[Row], str, list[str]]:
    """The rows as a tree, the printed total and the total's notes."""
    rows: list[Row] = []
    stack: list[Row] = []
    total = ""
    total_notes: list[str] = []
    last: Row | None = None
    in_total = False
    for line in sheet.splitlines():
        if "⇒" in line and line.startswith("  ") and not in_total:
            depth = (len(line) - len(line.lstrip(" "))) // 2
            row = Row(depth, line.strip(), line.rsplit("⇒ ", 1)[1].strip())
            while stack and stack[-1].depth >= depth:
                stack.pop()
            (stack[-1].children if stack else rows).append(row)
            stack.append(row)
            last = row
        elif line.startswith("总分 "):
            total, in_total = line.split()[1], True
        elif line.lstrip().startswith("· "):
            note = line.strip()[2:]
            if in_total:
                total_notes.append(note)
            elif last is not None:
                last.notes.append(note)
    return rows, total, total_notes


def check_row(row: Row, unit: str) -> None:
    where = f"{unit}: {row.text[:40]}"
    if not row.counted:
        return
    if row.children:
        for child in row.children:
            check_row(child, unit)
        counted = [c for c in row.children if c.counted]
        added = sum((c.value for c in counted), Decimal(0))
        first = row.notes[0] if row.notes else ""
        if found := re.search(r"合计 ([−\d.]+)", first):
            assert added == dec(found.group(1)), where
        elif first.startswith("加权: "):
            terms, result = first.removeprefix("加权: ").rsplit(" = ", 1)
            pairs = re.findall(r"([−+]?\s?[\d.]+) × ([\d.]+)", terms)
            assert [dec(v.replace(" ", "").replace("+", "")) for v, _ in pairs] == \
                [c.value for c in counted], where
            assert sum((dec(v.replace(" ", "").replace("+", "")) * dec(w) for v, w in pairs),
                       Decimal(0)) == dec(result), where
        else:  # one line under it: the same amount
            assert len(counted) == 1, where
            assert abs(counted[0].value) == abs(row.value if not row.notes else
                                                dec(NUMBER.findall(row.notes[0])[0])), where
    if row.notes:
        # the working ends in the printed score: "…, 计 20.00", "… = 7.00"
        last = [n for n in row.notes if n != "不计入总分"][-1]
        numbers = NUMBER.findall(last.split(";")[0]) if "取消" in last else NUMBER.findall(last)
        assert abs(dec(numbers[-1])) == abs(row.value), (where, last)


@pytest.mark.parametrize("name", ["s3-chengdu", "s4-anhui"])
def test_every_units_printed_sheet_re_adds_to_its_printed_total(name):
    plan, assessment = scored(name)
    assert assessment.results
    for unit in assessment.results:
        rows, total, notes = parse(govscore.explain(assessment, unit, plan=plan))
        assert rows, unit
        for row in rows:
            check_row(row, unit)
        top = [r for r in rows if r.counted]
        added = sum((r.value for r in top), Decimal(0))
        # "总分 = 70.00 + 20.00 − 2.00 = 88.00": the terms are the top lines, in order
        sum_line = notes[0]
        terms, result = sum_line.removeprefix("总分 = ").rsplit(" = ", 1)
        assert [dec(t.replace(" ", "")) for t in
                re.findall(r"(?:^|[+−] )[\d.]+", terms.replace("+ ", "+").replace("− ", "−"))
                ] == [r.value for r in top] or added == dec(result), unit
        assert added == dec(result), unit
        assert dec(total) == dec(result), unit  # no veto replaces a total in S3 or S4


def test_the_parser_catches_a_sheet_that_does_not_add_up():
    plan, assessment = scored("s3-chengdu")
    text = govscore.explain(assessment, "锦江区", plan=plan).replace("⇒ 1.50", "⇒ 1.00", 1)
    rows, _, _ = parse(text)

    def check_all() -> None:
        for row in rows:
            check_row(row, "锦江区")

    with pytest.raises(AssertionError):
        check_all()


def sheet(name: str, unit: str, **kw: object) -> str:
    plan, assessment = scored(name)
    return govscore.explain(assessment, unit, plan=plan, **kw)  # type: ignore[arg-type]


def test_no_rule_kind_ids_or_english_in_the_chinese_sheet():
    # issue 13: "[bonus_process, manual]", "(item max 4)", "(cap 20)", "ineligible", "no_award"
    for name in ("s3-chengdu", "s4-anhui"):
        plan, assessment = scored(name)
        for unit in list(assessment.results)[:20]:
            text = govscore.explain(assessment, unit, plan=plan)
            assert not re.search(r"[a-z]{3,}", text), (unit, re.findall(r"[a-z_]{3,}", text))
    assert "[bonus_process]" in sheet("s3-chengdu", "锦江区", ids=True)


def test_facts_are_words_not_json():
    # issue 13: {"city": 2, "province": 1} and {"done": "7", "target": "10"} were printed as JSON
    text = sheet("s3-chengdu", "锦江区")
    assert "事实 市级 2、省级 1" in text
    assert "{" not in text
    assert "事实 完成 118、目标 120" in sheet("s6-xinfang", "城關鎮")


def test_an_item_scored_down_from_full_marks_says_full_minus_deducted():
    # s6 稳控响应速度: 满分 5, each late response −1; 城關鎮 had none → 5 − 0 = 5
    assert "· 满分 5 − 扣 (0 次 × 1 = 0.00) = 5.00" in sheet("s6-xinfang", "城關鎮")


def test_no_op_changes_are_not_shown_as_changes():
    # 4.5 stays 4.5 (no "4.5 → 4.50"); nothing capped says nothing about a cap
    text = sheet("s3-chengdu", "锦江区")
    assert "→" not in text
    assert "封顶" not in text
    assert "超过满分" not in text


def test_a_limit_is_said_with_both_amounts():
    # S3 第十条: deductions not more than the bonus. 郫县: bonus 5, deductions 2 + 2 + 3 = 7 → 5
    assert "· 减分合计 7.00, 不超过加分 5.00, 计 5.00" in sheet("s3-chengdu", "郫县")


def test_a_satisfaction_rate_shows_its_base_and_the_matters_not_counted():
    # s6 城關鎮 群眾滿意率: (85 + 9) / (99 − 3) × 20 = 94/96 × 20 = 19.5833… → 19.58
    text = sheet("s6-xinfang", "城關鎮")
    assert "满意率 = (满意 85 + 基本满意 9) / (99 − 3 件不计); 满分 20 × 满意率 = 19.583333…, " \
        "四舍五入保留 2 位 = 19.58" in text


def test_scores_are_at_the_declared_places_and_one_minus_sign():
    text = sheet("c003-composite", "经济发展局")
    # 84 × 0.2 + 80.5 × 0.3 + 79.8 × 0.5 = 16.8 + 24.15 + 39.9 = 80.85 (places 2, not 80.850)
    assert "总分 = 84.00 × 0.2 + 80.50 × 0.3 + 79.80 × 0.5 = 80.85" in text
    assert "80.850" not in text
    assert "-" not in text.replace("—", "")  # only U+2212 as a minus


def test_a_veto_is_said_once_in_words():
    text = sheet("s6-xinfang", "城關鎮")
    assert text.count("進京非訪直接否決評優") == 1
    assert "一票否决 (進京非訪直接否決評優): 取消评先评优资格" in text
    assert "无评选资格 (一票否决)" in text


def test_a_quota_over_declared_members_says_so_in_a_one_unit_run():
    # S3 第一圈 names 6 units; scoring only 锦江区 still gives floor(0.3 × 6) = 1 place
    plan = govscore.compile("schemes/s3-chengdu.yaml")
    units = [u for u in govscore.read_facts("examples/s3-chengdu.facts.yaml") if u["id"] == "锦江区"]
    assessment = govscore.evaluate_all(plan, units)
    text = govscore.explain(assessment, "锦江区", plan=plan)
    assert "按细则所列 6 个单位计; 本次评分 1 个" in text


def test_english_only_on_request():
    text = sheet("s3-chengdu", "郫县", lang="en")
    assert "total = 70.00 + 5.00 − 5.00 = 70.00" in text
    assert "rank: 6 of 6 units" in text


SHIPPED = ["s1-jiange", "s2-county", "s3-chengdu", "s4-anhui", "s5-jining", "s6-xinfang",
           "c003-composite"]


@pytest.mark.parametrize("name", SHIPPED)
def test_the_sheets_own_words_are_chinese_for_every_shipped_example(name):
    # issue 13: explain mixed English and internals into Chinese lines. What the scheme's author
    # wrote (titles, clauses) stays as written; everything the sheet adds is Chinese.
    from govscore.language import model

    plan, assessment = scored(name)
    scheme = plan.scheme
    authored = sorted({text for n in model.iter_nodes(scheme.score)
                       for text in (n.title, n.clause) if text}
                      | {v.title for v in scheme.vetoes}, key=len, reverse=True)
    for unit in assessment.results:
        text = govscore.explain(assessment, unit, plan=plan)
        for piece in authored:
            text = text.replace(piece, "")
        assert not re.findall(r"[A-Za-z_]{3,}", text), (unit, re.findall(r"[A-Za-z_]{3,}", text))


def test_a_bonus_held_at_zero_is_not_said_to_be_deducted():
    # issue 13: "扣完为止" was used for a bonus clamp. A bonus formula that comes out at
    # 1 − 3 = −2 is held at 0: "不低于 0"; a deduction from full marks keeps 扣完为止.
    from tests.helpers import plan_from, score

    plan = plan_from("""
        - {id: b, title: 创新加分, max: 5, rule: {kind: formula, formula: "x - 3"}}
        - {id: d, title: 督办, max: 2, from_full: true, rule: {kind: per_occurrence, per: 1}}
        """, extra="inputs: [{id: x, title: 创新项目数, type: count}]")
    text = govscore.explain(score(plan, {"x": 1, "d": 5}), plan=plan)
    assert "· 按公式 x - 3 计算 = −2.00" in text
    assert "· 不低于 0, 计 0.00" in text
    # 督办: 满分 2 − 扣 5 × 1 = −3 → 扣完为止, 0
    assert "· 满分 2 − 扣 (5 次 × 1 = 5.00) = −3.00" in text
    assert "· 扣完为止, 不低于 0, 计 0.00" in text


def test_events_by_level_read_as_levels_with_their_matters():
    text = sheet("c003-composite", "组织人社局")
    assert "事实 市级 (先进基层党组织)、省级 (人才工作先进集体)" in text


def test_statistics_at_the_schemes_places_and_named_by_their_titles():
    """p43 (某县机构编制使用效益评估细则): "高于同类单位平均值的得满分", "低于平均值扣1分". Over the
    departments 甲局 110, 乙局 90, 丙局 150 the mean workload is 350 / 3 = 116.666… — kept exact,
    printed at the scheme's 2 places as ≈ 116.67 (not 34 digits); the mean usage (0.95 + 0.85 +
    0.90) / 3 = 0.90 is exact and printed plainly. The band against a statistic names it by its
    title, in Chinese and English."""
    root = Path(__file__).resolve().parents[1]
    plan = govscore.compile(root / "tests" / "patterns" / "p43-cohort-statistics.yaml")
    units = [
        {"id": "甲局", "category": "departments",
         "facts": {"newcomers": 8, "per_capita": 110, "usage": Decimal("0.95")}},
        {"id": "乙局", "category": "departments",
         "facts": {"newcomers": Decimal("9.5"), "per_capita": 90, "usage": Decimal("0.85")}},
        {"id": "丙局", "category": "departments",
         "facts": {"newcomers": {"not_applicable": "无新进人员"}, "per_capita": 150,
                   "usage": Decimal("0.90")}},
        {"id": "东镇", "category": "towns",
         "facts": {"newcomers": 7, "per_capita": 60, "usage": Decimal("0.80")}},
    ]
    assessment = govscore.evaluate_all(plan, units)
    zh = govscore.explain(assessment, "乙局", plan=plan)
    assert "同类单位人均办件量平均值 = 人均办件量 的平均值 ≈ 116.67, 取自县直部门的 3 个单位" in zh
    assert "同类单位编制使用率平均值 = usage 的平均值 0.90," in zh
    assert "0.85 与 同类单位编制使用率平均值 之差所在档: 得 1" in zh
    assert "116.666" not in zh
    assert "mean_usage" not in zh
    en = govscore.explain(assessment, "乙局", plan=plan, lang="en")
    assert "mean of 人均办件量 ≈ 116.67, over 3 units" in en
    assert "0.85 against 同类单位编制使用率平均值: the band of the difference gives 1" in en
    assert "mean_usage" not in en
