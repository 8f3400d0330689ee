"""Ranks, grades and award quotas on hand-worked populations."""

from __future__ import annotations

import random

import govscore
from tests.helpers import D, plan_from

ITEM = "- {id: m, title: 得分, max: 100, rule: {kind: manual, min: 0, max: 100}}"
TIERS = """
tiers:
  - {id: ring1, title: 第一圈, members: [锦江区, 青羊区, 金牛区, 武侯区, 成华区, 高新区]}
  - {id: ring3, title: 第三圈, members: [都江堰市, 彭州市, 邛崃市, 崇州市, 金堂县, 大邑县, 蒲江县, 新津县]}
inputs: [{id: beijing, title: 进京非访, type: count, default: 0}]
vetoes: [{id: petition, title: 进京非访, when: {input: beijing, at_least: 1}, effect: no_award}]
ranking: {scope: tier}
awards:
  - {id: excellent, title: 优秀, scope: tier, share: 0.3}
"""


def _units(scores: dict[str, object], **extra_facts: dict[str, object]):
    return [{"id": u, "facts": {"m": s, **extra_facts.get(u, {})}} for u, s in scores.items()]


def test_quota_is_floor_of_share_times_tier_size():
    """6 units × 0.3 = 1.8 → 1 place; 8 units × 0.3 = 2.4 → 2 places."""
    plan = plan_from(ITEM, extra=TIERS)
    ring1 = dict(zip(["锦江区", "青羊区", "金牛区", "武侯区", "成华区", "高新区"],
                     [95, 94, 93, 92, 91, 90], strict=True))
    ring3 = dict(zip(["都江堰市", "彭州市", "邛崃市", "崇州市", "金堂县", "大邑县", "蒲江县", "新津县"],
                     [88, 87, 86, 85, 84, 83, 82, 81], strict=True))
    a = govscore.evaluate_all(plan, _units({**ring1, **ring3}))
    places = {d.scope: (d.places, d.winners) for d in a.awards}
    assert places["ring1"] == (1, ("锦江区",))
    assert places["ring3"] == (2, ("彭州市", "都江堰市"))
    assert a.placements["青羊区"].rank == 2
    assert a.placements["青羊区"].scope_size == 6


def test_tie_at_the_boundary_is_reported_not_chosen():
    """锦江区 and 青羊区 both 95 for the one place in 第一圈: nobody is awarded, both undecided."""
    plan = plan_from(ITEM, extra=TIERS)
    scores = {"锦江区": 95, "青羊区": 95, "金牛区": 93, "武侯区": 92, "成华区": 91, "高新区": 90}
    a = govscore.evaluate_all(plan, _units(scores))
    decision = next(d for d in a.awards if d.scope == "ring1")
    assert decision.winners == ()
    assert decision.undecided == ("锦江区", "青羊区")
    assert decision.open_places == 1
    assert a.placements["锦江区"].undecided == ("excellent",)
    assert a.placements["锦江区"].rank == a.placements["青羊区"].rank == 1
    assert "需考核小组决定" in govscore.explain(a, "锦江区")


def test_vetoed_unit_gets_no_award_and_uses_no_place():
    """锦江区 (95) is vetoed: the one place goes to 青羊区 (94)."""
    plan = plan_from(ITEM, extra=TIERS)
    scores = {"锦江区": 95, "青羊区": 94, "金牛区": 93, "武侯区": 92, "成华区": 91, "高新区": 90}
    a = govscore.evaluate_all(plan, _units(scores, 锦江区={"beijing": 1}))
    decision = next(d for d in a.awards if d.scope == "ring1")
    assert decision.winners == ("青羊区",)
    assert a.placements["锦江区"].awards == ()
    assert "ineligible" in a.placements["锦江区"].reasons["excellent"]


def test_tie_breaker_separates_and_order_does_not_matter():
    """Equal totals 95; the tie-breaker (bonus part, higher first) gives 青羊区 the place.
    Shuffling the input changes nothing."""
    extra = TIERS.replace("ranking: {scope: tier}",
                          "ranking: {scope: tier, tie_breakers: [{node: bonus}]}")
    plan = plan_from("""
        - {id: base, title: 基本分, max: 70, rule: {kind: manual, min: 0, max: 70}}
        - {id: bonus, title: 加分, max: 30, rule: {kind: manual, min: 0, max: 30}}
        """, extra=extra)
    facts = {"锦江区": (70, 25), "青羊区": (66, 29), "金牛区": (60, 20), "武侯区": (60, 10),
             "成华区": (50, 5), "高新区": (40, 0)}
    units = [{"id": u, "facts": {"base": b, "bonus": x}} for u, (b, x) in facts.items()]
    a = govscore.evaluate_all(plan, units)
    assert next(d for d in a.awards if d.scope == "ring1").winners == ("青羊区",)
    assert (a.placements["青羊区"].rank, a.placements["锦江区"].rank) == (1, 2)
    rng = random.Random(7)
    for _ in range(5):
        shuffled = units[:]
        rng.shuffle(shuffled)
        b = govscore.evaluate_all(plan, shuffled)
        assert b.placements == a.placements
        assert b.awards == a.awards


def test_include_all_list_lengthens_on_a_tie_and_bottom_lists():
    """红榜 top 2 with include_all: a tie at 2nd gives 3 names. 黑榜 bottom 1: the lowest."""
    plan = plan_from(ITEM, extra="""
        awards:
          - {id: red, title: 红榜, count: 2, on_tie: include_all}
          - {id: black, title: 黑榜, count: 1, from_end: bottom}
        """)
    a = govscore.evaluate_all(plan, _units({"a": 90, "b": 85, "c": 85, "d": 60}))
    red = next(d for d in a.awards if d.award == "red")
    black = next(d for d in a.awards if d.award == "black")
    assert red.winners == ("a", "b", "c")
    assert black.winners == ("d",)


def test_grade_bands_and_grade_quota():
    """Bands 优秀 ≥ 90, 良好 80–90, 合格 < 80; at most 20% 优秀 of 7 units: floor(1.4) = 1.
    Three units reach 90+: the best keeps 优秀, the other two fall to 良好."""
    plan = plan_from(ITEM, extra="""
        grades:
          bands: [{grade: 优秀, gte: 90}, {grade: 良好, gte: 80, lt: 90}, {grade: 合格, lt: 80}]
          quotas: [{grade: 优秀, share: 0.2, fallback: 良好}]
        """)
    scores = {"a": 96, "b": 93, "c": D("90.5"), "d": 85, "e": 80, "f": D("79.99"), "g": 60}
    a = govscore.evaluate_all(plan, _units(scores))
    assert {u: a.placements[u].grade for u in scores} == {
        "a": "优秀", "b": "良好", "c": "良好", "d": "良好", "e": "良好", "f": "合格", "g": "合格"}


def test_award_eligibility_min_total():
    """先进 needs 90 or more: with 2 places and totals 95, 89, 88 only one unit is awarded."""
    plan = plan_from(ITEM, extra="""
        awards: [{id: adv, title: 先进, count: 2, eligibility: {min_total: 90}}]
        """)
    a = govscore.evaluate_all(plan, _units({"a": 95, "b": 89, "c": 88}))
    assert a.awards[0].winners == ("a",)


def test_batch_counts_add_up_and_bad_units_are_reported():
    """One bad unit among five: four scored, one rejected with every problem."""
    plan = plan_from(ITEM, extra=TIERS)
    units = _units({"锦江区": 90, "青羊区": 80, "金牛区": 70, "武侯区": 60})
    units.append({"id": "成华区", "facts": {"m": 120, "extra": 1}})
    a = govscore.evaluate_all(plan, units)
    assert (a.submitted, len(a.results), len(a.rejected)) == (5, 4, 1)
    assert sorted(d.code for d in a.rejected[0].diagnostics) == ["GS401", "GS404"]


def test_quota_counts_every_named_member_of_the_tier():
    """每圈层评选优秀的比例不超过该圈层单位总数的30%: 第一圈 names 6 districts, so even when only
    2 are submitted the quota is floor(0.3 × 6) = 1, not floor(0.3 × 2) = 0."""
    plan = plan_from(ITEM, extra=TIERS)
    a = govscore.evaluate_all(plan, _units({"锦江区": 95, "青羊区": 90}))
    decision = next(d for d in a.awards if d.scope == "ring1")
    assert (decision.size, decision.places, decision.winners) == (6, 1, ("锦江区",))


def test_award_limited_to_a_category():
    """红旗窗口 among windows only, 服务标兵 among staff only, 50% each (floor):
    3 windows → 1 place; 2 staff → 1 place. A staff member never takes a window's place."""
    plan = plan_from(ITEM, extra="""
        categories: [{id: window, title: 窗口}, {id: staff, title: 工作人员}]
        awards:
          - {id: flag, title: 红旗窗口, categories: [window], share: 0.5}
          - {id: model, title: 服务标兵, categories: [staff], share: 0.5}
        outputs:
          - {id: pay, title: 绩效工资, kind: formula, formula: 'total * 3', applies_to: [staff]}
        """)
    units = [{"id": u, "category": c, "facts": {"m": m}} for u, c, m in
             [("w1", "window", 90), ("w2", "window", 80), ("w3", "window", 70),
              ("s1", "staff", 99), ("s2", "staff", 60)]]
    a = govscore.evaluate_all(plan, units)
    flag = next(d for d in a.awards if d.award == "flag")
    model = next(d for d in a.awards if d.award == "model")
    assert (flag.size, flag.places, flag.winners) == (3, 1, ("w1",))
    assert (model.size, model.places, model.winners) == (2, 1, ("s1",))
    assert a.results["s2"].outputs == {"pay": D(180)}  # 60 × 3
    assert a.results["w1"].outputs == {}


def _graded_plan(excellent_share: str, good_count: int):
    """Bands 优秀 ≥ 90, 良好 80–90, 合格 < 80, 优秀 at most ``excellent_share`` of the units
    (the rest 良好); 先进 (2 places) for 优秀 only, 评优 (``good_count`` places) for 优秀 or 良好."""
    return plan_from(ITEM, extra=f"""
        grades:
          bands: [{{grade: 优秀, gte: 90}}, {{grade: 良好, gte: 80, lt: 90}}, {{grade: 合格, lt: 80}}]
          quotas: [{{grade: 优秀, share: {excellent_share}, fallback: 良好}}]
        awards:
          - {{id: top, title: 先进, count: 2, eligibility: {{grades: [优秀]}}}}
          - {{id: good, title: 评优, count: {good_count}, eligibility: {{grades: [优秀, 良好]}}}}
        """)


def test_grade_tie_at_the_quota_boundary_holds_neither_grade():
    """Bands 优秀 ≥ 90, 良好 80–90, 合格 < 80; 优秀 at most 20% of 5 units: floor(1.0) = 1 place.
    a and b both have 92 and nothing separates them: neither is given 优秀 (that would make two
    holders of a one-place grade) nor 良好; the grade is undecided (优秀 / 良好) and is None.
    c (85) and d (80) are 良好 by band, e (70) 合格.
    先进 (2 places, 优秀 only): c, d, e are not 优秀. a and b may or may not be 优秀, so the award
    is filled both ways: with them, a and b take the 2 places; without them, nobody qualifies.
    Nothing is certain, so nobody is awarded and a and b are left for the decision with the 2
    places (before: both got it, though only one can be 优秀; then: neither, though one will be).
    评优 (2 places, 优秀 or 良好): whichever grade a and b get qualifies, so they compete and,
    tied at 92 for 2 places, both win."""
    plan = _graded_plan(excellent_share="0.2", good_count=2)
    scores = {"a": 92, "b": 92, "c": 85, "d": 80, "e": 70}
    a = govscore.evaluate_all(plan, _units(scores))
    p = a.placements
    assert {u: (p[u].grade, p[u].grade_undecided) for u in scores} == {
        "a": (None, ("优秀", "良好")), "b": (None, ("优秀", "良好")), "c": ("良好", ()),
        "d": ("良好", ()), "e": ("合格", ())}
    assert p["a"].grade_reason == "tied at the 优秀 quota boundary in all (1 of 5): a decision is needed"
    top = next(d for d in a.awards if d.award == "top")
    good = next(d for d in a.awards if d.award == "good")
    assert (top.places, top.winners, top.undecided, top.open_places) == (2, (), ("a", "b"), 2)
    assert p["a"].undecided == ("top",)
    assert p["a"].reasons["top"] == (
        "undecided: its grade is undecided (优秀 / 良好), eligible only as 优秀; the places depend "
        "on the pending grade of a, b; with b for 2 remaining place(s); 5 units in all, 2 place(s)")
    assert p["c"].reasons["top"] == "ineligible: grade 良好 not in 优秀"
    assert (good.places, good.winners, good.undecided) == (2, ("a", "b"), ())
    assert "等次: 优秀 / 良好 (待定)" in govscore.explain(a, "a")


def test_award_waiting_on_a_grade_decides_only_what_cannot_change():
    """Bands 优秀 ≥ 90, 良好 80–90, 合格 < 80; 优秀 at most 40% of 5 units: floor(2.0) = 2 places.
    a (95) is 优秀; b and c (92) tie for the 1 优秀 place left: undecided (优秀 / 良好); d (91)
    is beyond the quota: 良好 (fallback); e (70) 合格.
    先进 (count 2, 优秀 only): a certainly competes, d and e cannot, b and c only if 优秀.
    With b and c: a takes the 1st place, b and c tie for the 2nd. Without them: a alone.
    a wins either way → awarded; b and c → undecided for the 1 open place.
    评优 (count 3, 优秀 or 良好): b and c qualify whatever they get → a, b, c by rank: decided."""
    plan = _graded_plan(excellent_share="0.4", good_count=3)
    a = govscore.evaluate_all(plan, _units({"a": 95, "b": 92, "c": 92, "d": 91, "e": 70}))
    p = a.placements
    assert [(u, p[u].grade, p[u].grade_undecided) for u in "abcde"] == [
        ("a", "优秀", ()), ("b", None, ("优秀", "良好")), ("c", None, ("优秀", "良好")),
        ("d", "良好", ()), ("e", "合格", ())]
    top = next(d for d in a.awards if d.award == "top")
    assert (top.winners, top.undecided, top.open_places) == (("a",), ("b", "c"), 1)
    assert p["d"].reasons["top"] == "ineligible: grade 良好 not in 优秀"
    good = next(d for d in a.awards if d.award == "good")
    assert (good.winners, good.undecided) == (("a", "b", "c"), ())
