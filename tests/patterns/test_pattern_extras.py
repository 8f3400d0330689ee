"""What the patterns' scheme tests cannot express, and the gaps found while writing them."""

from __future__ import annotations

from pathlib import Path

import pytest

import govscore
from govscore import api

HERE = Path(__file__).parent


def test_grade_quota_tie_at_the_cut_is_undecided() -> None:
    """Pattern 20: 1 place for 优秀 among 5 (floor(0.2 × 5) = 1), two units tied at 95: nobody is
    chosen by input order; both are reported for a decision. The others stay 称职."""
    plan = api.compile(HERE / "p20-grade-quota.yaml")
    units = [{"id": name, "facts": {"assessment": score}}
             for name, score in [("甲", 95), ("乙", 95), ("丙", 80), ("丁", 70), ("戊", 60)]]
    result = api.evaluate_all(plan, units)
    undecided = {u: p.grade_undecided for u, p in result.placements.items()}
    assert undecided == {"甲": ("优秀", "称职"), "乙": ("优秀", "称职"), "丙": (), "丁": (),
                         "戊": ()}
    assert result.placements["丙"].grade == "称职"


_NA_SCHEME = """\
govscore: "1"
id: na-without-rescale
title: 信访三率(节选)
source: {document: 达川区信访工作考核细则}
version: "1"
score:
  id: overall
  title: 信访三率
  max: 15
  children:
    - id: satisfied
      title: 参评群众满意率
      max: 10
      rule: {kind: ratio, zero_target: not_applicable}
    - id: rating
      title: 好差评
      max: 5
      rule: {kind: rating, values: {好评: 1, 差评: 0}}
"""


@pytest.mark.xfail(strict=True, reason=(
    "a ratio with zero_target: not_applicable, or a rating with the default no_votes: "
    "not_applicable, on a non-optional item under no 'not_applicable: rescale' group passes "
    "every check; at run time the item silently drops out (here the whole total becomes 0, "
    "'no child applies'). GS316 catches optional: true without a rescaling group, not these."))
def test_not_applicable_rule_without_rescale_is_flagged(tmp_path: Path) -> None:
    path = tmp_path / "na.yaml"
    path.write_text(_NA_SCHEME, encoding="utf-8")
    codes = [(d.code, d.span.line if d.span else None) for d in govscore.check_file(path)]
    assert ("GS316", 14) in codes
    assert ("GS316", 18) in codes


def test_not_applicable_rule_without_rescale_scores_zero_today(tmp_path: Path) -> None:
    """The behaviour the xfail above objects to, pinned so a fix is noticed."""
    path = tmp_path / "na.yaml"
    path.write_text(_NA_SCHEME, encoding="utf-8")
    plan = api.compile(path)
    result = api.evaluate_all(plan, [{"id": "百节镇", "facts": {
        "satisfied": {"done": 0, "target": 0}, "rating": {}}}])
    assert result.results["百节镇"].total == 0
    assert not result.results["百节镇"].nodes["overall"].applicable


_PER_CATEGORY_AWARD = """\
govscore: "1"
id: top-n-per-class
title: 为民办实事工作考核办法(节选)
source: {document: 为民办实事工作考核办法}
version: "1"
categories:
  - {id: county, title: 县(市、区)}
  - {id: department, title: 市直单位}
score:
  id: overall
  title: 考核得分
  max: 100
  children:
    - {id: assessment, title: 考核得分, max: 100, rule: {kind: manual, min: 0, max: 100}}
awards:
  - {id: advanced_county, title: 先进县(市、区), scope: category, categories: [county], count: 6}
  - {id: advanced_department, title: 先进市直单位, scope: category, categories: [department],
     count: 9}
"""


@pytest.mark.xfail(strict=True, reason=(
    "pattern 21: 达标的县(市、区)前6名、市直单位前9名 — an award cannot be limited to one "
    "category, and count/share is the same in every scope, so different N per class cannot be "
    "said ('categories' on an award is an unknown key, GS201)."))
def test_award_count_per_category(tmp_path: Path) -> None:
    path = tmp_path / "awards.yaml"
    path.write_text(_PER_CATEGORY_AWARD, encoding="utf-8")
    assert [str(d) for d in govscore.check_file(path)] == []
