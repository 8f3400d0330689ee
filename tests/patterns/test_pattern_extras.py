"""What the patterns' scheme tests cannot express."""

from __future__ import annotations

from pathlib import Path

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
