"""Population steps on large ties: bounded reasons, complete tie lists, and no quadratic blow-up.

A tie at a quota boundary used to give every tied unit a reason naming every other tied unit
(O(t²) text for a tie of t units): 100,000 synthetic S3 units ran out of memory. The reason now
names at most five others and counts the rest; the AwardScope still lists every tied unit.
"""

from __future__ import annotations

import govscore
from govscore.engine.population import tied_with
from govscore.engine.results import NAMED_IN_REASON

SCHEME = """\
govscore: "2"
id: scale
title: 规模测试
source: {document: 测试细则}
version: "1"
tiers:
  - {id: ring, title: 一圈}
inputs: [{id: beijing, title: 进京非访, type: count, default: 0}]
vetoes: [{id: petition, title: 进京非访, when: {input: beijing, at_least: 1}, effect: no_award}]
ranking: {scope: tier}
grades:
  bands: [{grade: 优秀, gte: 75}, {grade: 合格, lt: 75}]
  quotas: [{grade: 优秀, share: 0.3, fallback: 合格, scope: tier}]
awards:
  - {id: excellent, title: 先进, scope: tier, share: 0.3}
  - {id: black, title: 黑榜, scope: tier, count: 10, from_end: bottom}
score:
  id: root
  title: 总分
  children:
    - {id: m, title: 得分, max: 100, rule: {kind: manual, min: 0, max: 100}}
"""


def _plan() -> govscore.Plan:
    return govscore.compile(govscore.load(text=SCHEME, name="scale.yaml"))


# --------------------------------------------------------------------------- hand-worked, small


def test_tied_with_names_five_others_then_counts_the_rest() -> None:
    """A tie of 8 (a..h): a's reason names b–f and '2 more' (g, h); h's names a–e and '2 more'
    (f, g); d's names a, b, c, e, f and '2 more' (g, h). A tie of 6 names all 5 others."""
    tied = list("abcdefgh")
    assert tied_with(tied, "a") == "b, c, d, e, f and 2 more"
    assert tied_with(tied, "h") == "a, b, c, d, e and 2 more"
    assert tied_with(tied, "d") == "a, b, c, e, f and 2 more"
    assert tied_with(list("abcdef"), "c") == "a, b, d, e, f"
    assert tied_with(["a", "b"], "b") == "a"
    assert NAMED_IN_REASON == 5


def test_reason_text_is_capped_but_the_tie_record_lists_everyone() -> None:
    """7 units in one tier, no named members: places = floor(0.3 × 7) = 2. u1 has 95 and takes
    one place; u2..u7 all have 90: a tie of 6 for the 1 place left, undecided. u2's reason names
    the 5 others (u3..u7: no 'more'); with u8 also at 90 (8 units, floor(2.4) = 2 places) the
    tie is 7 and u2's reason names u3..u7 'and 1 more' (u8), while the record lists all 7."""
    plan = _plan()
    units = [{"id": "u1", "tier": "ring", "facts": {"m": 95}}] + [
        {"id": f"u{k}", "tier": "ring", "facts": {"m": 90}} for k in range(2, 8)]
    a = govscore.evaluate_all(plan, units)
    ex = next(d for d in a.awards if d.award == "excellent")
    assert (ex.size, ex.places, ex.winners, ex.open_places) == (7, 2, ("u1",), 1)
    assert ex.undecided == ("u2", "u3", "u4", "u5", "u6", "u7")
    assert a.placements["u2"].reasons["excellent"] == (
        "undecided: tied with u3, u4, u5, u6, u7 for 1 remaining place(s); "
        "7 units in ring, 2 place(s)")

    units.append({"id": "u8", "tier": "ring", "facts": {"m": 90}})
    a = govscore.evaluate_all(plan, units)
    ex = next(d for d in a.awards if d.award == "excellent")
    assert (ex.size, ex.places, ex.winners, ex.open_places) == (8, 2, ("u1",), 1)
    assert ex.undecided == ("u2", "u3", "u4", "u5", "u6", "u7", "u8")
    assert a.placements["u2"].reasons["excellent"] == (
        "undecided: tied with u3, u4, u5, u6, u7 and 1 more for 1 remaining place(s); "
        "8 units in ring, 2 place(s)")
    assert a.placements["u8"].reasons["excellent"] == (
        "undecided: tied with u2, u3, u4, u5, u6 and 1 more for 1 remaining place(s); "
        "8 units in ring, 2 place(s)")
    assert a.placements["u8"].undecided == ("excellent",)
    assert a.placements["u8"].rank == 2
    # the explanation names 5 of the 6 others and counts them all
    assert "与 u2、u3、u4、u5、u6 等 6 个单位 并列争 1 个名额: 待定, 需考核小组决定" in \
        govscore.explain(a, "u8")


# --------------------------------------------------------------------------- at scale


def test_twenty_thousand_units_in_one_tier_with_three_totals() -> None:
    """20,000 units in one tier: 1,000 at 90 (the first 200 of them vetoed), 9,000 at 80,
    10,000 at 70.

    - ranks: 90 → 1; 80 → 1,001; 70 → 10,001 (competition ranking).
    - 优秀 (≥ 75) quota floor(0.3 × 20,000) = 6,000: the 1,000 at 90 keep it (vetoed units
      included: no_award does not touch the grade); the 9,000 at 80 are tied for the 5,000 left,
      so their grade is undecided (优秀 / 合格) and they hold neither; the 70s are 合格.
    - 先进 6,000 places: the 200 vetoed units neither win nor use a place; the 800 others at 90
      win; the 9,000 at 80 are tied for the 5,200 places left: undecided, nobody chosen.
    - 黑榜 10 places from the bottom: the 10,000 at 70 are tied for 10 places: undecided.
    Each reason stays short; the records list every tied unit. (No timing assertion: it
    simply finishes in a few seconds; the quadratic version took minutes.)"""
    plan = _plan()
    top = [f"a{k:05d}" for k in range(1000)]
    mid = [f"b{k:05d}" for k in range(9000)]
    low = [f"c{k:05d}" for k in range(10000)]
    vetoed = set(top[:200])
    units = ([{"id": u, "tier": "ring", "facts": {"m": 90, **({"beijing": 1} if u in vetoed else {})}}
              for u in top]
             + [{"id": u, "tier": "ring", "facts": {"m": 80}} for u in mid]
             + [{"id": u, "tier": "ring", "facts": {"m": 70}} for u in low])
    units.reverse()  # input order must not matter: the lowest come first
    a = govscore.evaluate_all(plan, units)
    assert (a.submitted, len(a.results), len(a.rejected)) == (20000, 20000, 0)

    p = a.placements
    assert {p[u].rank for u in top} == {1}
    assert {p[u].rank for u in mid} == {1001}
    assert {p[u].rank for u in low} == {10001}
    assert {p[u].scope_size for u in p} == {20000}

    assert {p[u].grade for u in top} == {"优秀"}
    assert {(p[u].grade, p[u].grade_undecided) for u in mid} == {(None, ("优秀", "合格"))}
    assert {(p[u].grade, p[u].grade_undecided) for u in low} == {("合格", ())}

    ex = next(d for d in a.awards if d.award == "excellent")
    assert (ex.scope, ex.size, ex.places, ex.open_places) == ("ring", 20000, 6000, 5200)
    assert ex.winners == tuple(sorted(set(top) - vetoed))
    assert ex.undecided == tuple(mid)
    assert all(p[u].awards == () and "ineligible" in p[u].reasons["excellent"] for u in vetoed)
    assert {p[u].undecided for u in mid} == {("excellent",)}
    assert {p[u].reasons["excellent"] for u in low} == {
        "not awarded: ranked outside the quota; 20000 units in ring, 6000 place(s)"}
    assert p["b04000"].reasons["excellent"] == (
        "undecided: tied with b00000, b00001, b00002, b00003, b00004 and 8994 more "
        "for 5200 remaining place(s); 20000 units in ring, 6000 place(s)")

    black = next(d for d in a.awards if d.award == "black")
    assert (black.places, black.winners, black.open_places) == (10, (), 10)
    assert black.undecided == tuple(low)
    assert {p[u].undecided for u in low} == {("black",)}

    longest = max(len(r) for q in p.values() for r in q.reasons.values())
    assert longest < 200
    assert sum(len(q.awards) for q in p.values()) == 800
