"""The population steps over columns, on hand-worked S3-shaped populations: 30 % of each 圈层
may be 优秀 (domain.md: "In each tier at most 30% of the tier's units may be rated excellent
(6 units → at most 1; 8 units → at most 2)"), competition ranks per 圈层, a tie at the award
line left undecided. The columns are given directly, as colio's CSV → CSV path gives them."""

from __future__ import annotations

import numpy as np

from govscore.engine import population_columns as pc
from govscore.engine.results import AwardScope
from tests.helpers import plan_from
from tests.unit.test_population import ITEM, TIERS

RING1 = ["锦江区", "青羊区", "金牛区", "武侯区", "成华区", "高新区"]
RING3 = ["都江堰市", "彭州市", "邛崃市", "崇州市", "金堂县", "大邑县", "蒲江县", "新津县"]


def _units(totals: dict[str, str], ineligible: tuple[str, ...] = ()) -> pc.Units:
    """Totals at 2 places as scaled integers (95.00 → 9500), the ranking key the total."""
    ids = list(totals)
    tier = np.array([0 if u in RING1 else 1 for u in ids], dtype=np.int64)
    total = np.array([int(t.replace(".", "")) for t in totals.values()], dtype=np.int64)
    return pc.Units(ids, np.full(len(ids), pc.NO, dtype=np.int64), tier, [], ["ring1", "ring3"],
                    total, 2, [total],
                    np.array([u not in ineligible for u in ids], dtype=np.bool_))


def test_thirty_percent_per_tier_with_a_tie_at_the_line() -> None:
    """第一圈: 6 × 0.3 = 1.8 → 1 place, 锦江区 95.00 alone at the top wins it.
    第三圈: 8 × 0.3 = 2.4 → 2 places; 都江堰市 90.00 takes the first; 彭州市 and 邛崃市 are
    both 88.50 for the one place left: undecided, nobody chosen. Ranks 1, 2, 2, 4 …"""
    plan = plan_from(ITEM, extra=TIERS)
    ring1 = dict(zip(RING1, ["95.00", "94.00", "93.00", "92.00", "91.00", "90.00"], strict=True))
    ring3 = dict(zip(RING3, ["90.00", "88.50", "88.50", "85.00", "84.00", "83.00", "82.00",
                             "81.00"], strict=True))
    placed = pc.place(plan, _units({**ring1, **ring3}))
    assert placed.awards == (
        AwardScope("excellent", "ring1", 6, 1, ("锦江区",), (), 0),
        AwardScope("excellent", "ring3", 8, 2, ("都江堰市",), ("彭州市", "邛崃市"), 1))
    ranks = dict(zip([*RING1, *RING3], placed.rank.tolist(), strict=True))
    assert [ranks[u] for u in RING3] == [1, 2, 2, 4, 5, 6, 7, 8]
    assert [ranks[u] for u in RING1] == [1, 2, 3, 4, 5, 6]
    statuses = dict(zip([*RING1, *RING3], placed.award_status[0].tolist(), strict=True))
    assert statuses["锦江区"] == pc.A_WON
    assert statuses["彭州市"] == statuses["邛崃市"] == pc.A_UNDECIDED
    assert statuses["崇州市"] == statuses["青羊区"] == pc.A_OUTSIDE


def test_an_ineligible_unit_uses_no_place_and_the_tie_is_decided_by_size() -> None:
    """锦江区 95.00 is ineligible (a no_award veto): 第一圈's one place goes to 青羊区 94.00.
    第三圈: 2 places; 都江堰市 90.00 takes one, and the three units at 88.50 tie for the one
    left: all three undecided (ids in order), 1 open place."""
    plan = plan_from(ITEM, extra=TIERS)
    ring1 = dict(zip(RING1, ["95.00", "94.00", "93.00", "92.00", "91.00", "90.00"], strict=True))
    ring3 = dict(zip(RING3, ["90.00", "88.50", "88.50", "88.50", "84.00", "83.00", "82.00",
                             "81.00"], strict=True))
    placed = pc.place(plan, _units({**ring1, **ring3}, ineligible=("锦江区",)))
    assert placed.awards[0].winners == ("青羊区",)
    assert placed.awards[1] == AwardScope("excellent", "ring3", 8, 2, ("都江堰市",),
                                          ("崇州市", "彭州市", "邛崃市"), 1)
    assert placed.award_status[0][0] == pc.A_INELIGIBLE
    assert placed.rank[0] == 1  # ranked all the same: eligibility decides awards, not ranks


def test_a_tier_named_in_full_counts_members_not_scored() -> None:
    """Only 4 of 第三圈's 8 named districts are scored: the quota is still 8 × 0.3 → 2
    (单位总数 counts every named district), so 都江堰市 and 彭州市 both win."""
    plan = plan_from(ITEM, extra=TIERS)
    scored = dict(zip(RING3[:4], ["90.00", "89.00", "88.00", "87.00"], strict=True))
    placed = pc.place(plan, _units(scored))
    assert placed.awards == (AwardScope("excellent", "ring3", 8, 2, ("彭州市", "都江堰市"), (),
                                        0),)
