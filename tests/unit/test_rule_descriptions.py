"""Each rule kind says its raw arithmetic in words (RuleKind.describe), for the score sheet.

The expected phrases are written from the rules' meaning, not copied from the code's output."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import govscore
from govscore import rules
from govscore.language import model
from tests.helpers import plan_from


def item(yaml: str) -> model.Item:
    plan = plan_from(yaml)
    node = plan.scheme.score.children[0]
    assert isinstance(node, model.Item)
    return node


def said(yaml: str, fact: Any, raw: str = "0", lang: str = "zh") -> str:
    it = item(yaml)
    return rules.KINDS[it.rule.kind].describe(it.rule, it, fact, Decimal(raw), lang)  # type: ignore[arg-type]


PER = "- {id: a, title: A, max: 2, rule: {kind: per_occurrence, per: 0.5}}"


def test_per_occurrence_counts_times_points():
    # 按项加0.5分: 3 items → 3 次 × 0.5
    assert said(PER, 3) == "3 次 × 0.5"
    assert said(PER, "3", lang="en") == "3 × 0.5"
    free = "- {id: a, title: A, max: 9, rule: {kind: per_occurrence, per: 2, free: 1}}"
    assert said(free, 4) == "(4 次 − 免计 1 次) × 2"


def test_by_level_names_levels_in_words_not_json():
    yaml = ("- {id: a, title: A, max: 4, rule: {kind: by_level, "
            "levels: {city: 0.5, province: 1, national: 1.5}}}")
    # 市级每篇加0.5分, 省级每篇加1分: {city: 2, province: 1} → 2 × 0.5 + 1 × 1
    assert said(yaml, {"city": 2, "province": 1}) == "市级 2 次 × 0.5 + 省级 1 次 × 1"
    assert said(yaml, {"city": "2"}, lang="en") == "city 2 × 0.5"
    assert said(yaml, {}) == "无"
    high = ("- {id: a, title: A, max: 10, rule: {kind: by_level, "
            "levels: {区级: 1, 市级: 3}, combine: highest}}")
    assert said(high, {"区级": 1, "市级": 2}) == "取最高: 区级 1 / 市级 3"


def test_rating_with_excluded_matters_shows_the_base():
    yaml = ("- {id: a, title: A, max: 10, rule: {kind: rating, "
            "values: {满意: 1, 基本满意: 1, 不满意: 0}, satisfied: [满意, 基本满意], "
            "excluded: [诉讼], no_votes: full}}")
    # 满意率 = (70 + 20) / (100 − 10 件不计): 100 votes of which 10 are 诉讼 (not counted)
    fact = {"满意": 70, "基本满意": 20, "不满意": 0, "诉讼": 10}
    assert said(yaml, fact) == "满意率 = (满意 70 + 基本满意 20) / (100 − 10 件不计); 满分 10 × 满意率"


def test_shortfall_and_ratio_and_rate():
    short = "- {id: a, title: A, max: 5, rule: {kind: shortfall, target: 0.95, per: 0.5}}"
    assert said(short, "0.9") == "满分 5 − 差距 (0.95 − 0.9) / 0.01 × 0.5"
    assert said(short, "0.97") == "0.97 达到目标 0.95: 满分 5"
    ratio = "- {id: a, title: A, max: 10, rule: {kind: ratio}}"
    assert said(ratio, {"done": "7", "target": "10"}) == "满分 10 × 完成 7 / 目标 10"
    assert said(ratio, {"done": "12", "target": "10"}) == "完成 12 ≥ 目标 10: 满分 10"
    assert said("- {id: a, title: A, max: 10, rule: {kind: rate}}", "0.985") == \
        "满分 10 × 比率 0.985"


def test_flags_choices_and_manual():
    pf = "- {id: a, title: A, max: 70, rule: {kind: pass_fail}}"
    assert said(pf, True) == "达到要求, 得 70"
    assert said(pf, False, lang="en") == "not met: 0"
    manual = "- {id: a, title: A, max: 5, rule: {kind: manual, min: 1, max: 5}}"
    assert said(manual, "4.5") == "评定 4.5 分 (可评 1–5)"
    choice = "- {id: a, title: A, max: 5, rule: {kind: choice, options: {好: 5, 中: 3}}}"
    assert said(choice, "中") == "中: 得 3"


def _items(node: model.Item | model.Group) -> list[model.Item]:
    if isinstance(node, model.Item):
        return [node]
    return [i for child in node.children for i in _items(child)]


ODD_FACTS = [None, True, 3, "x", "2.5", {}, [], {"a": "b"}, ["q"], [{"level": "nope"}],
             {"done": "x"}]


@pytest.mark.parametrize("path", sorted(Path("schemes").glob("*.yaml")), ids=lambda p: p.stem)
def test_every_item_of_the_shipped_schemes_describes_any_fact_without_raising(path):
    scheme = govscore.load(path).scheme
    for it in _items(scheme.score):
        kind = rules.KINDS[it.rule.kind]
        for fact in ODD_FACTS:
            for lang in ("zh", "en"):
                text = kind.describe(it.rule, it, fact, Decimal(1), lang)
                assert isinstance(text, str), (it.id, fact)
                assert text, (it.id, fact)
                assert "{" not in text, (it.id, fact)  # never JSON
