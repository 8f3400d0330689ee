"""The columnar back end's integer arithmetic, worked by hand: half-up and half-even rounding of
scaled integers (negatives too), exact multiply-and-divide, overflow handed to the scalar path,
and fact values turned into columns (what is taken, what is left to the scalar path)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

np = pytest.importorskip("numpy")

from govscore import api  # noqa: E402 - after the numpy check
from govscore.engine import columnar  # noqa: E402
from govscore.engine.columnar import LIMIT, Batch, Col  # noqa: E402
from govscore.engine.results import DeferredResult  # noqa: E402
from tests.helpers import plan_from  # noqa: E402

D = Decimal


def _batch(n: int) -> Batch:
    return Batch(n, {}, {})


def _col(*values: str) -> tuple[Batch, Col]:
    col, ok = columnar.number_column([D(v) for v in values])
    assert ok.all()
    return _batch(len(values)), col


def _values(col: Col) -> list[Decimal]:
    return columnar.decimals(col)


def test_half_up_rounds_ties_away_from_zero() -> None:
    """四舍五入 to 2 places: 1.005 → 1.01, 1.004 → 1.00, −1.005 → −1.01 (away from zero, as
    Decimal's ROUND_HALF_UP), 2.675 → 2.68 (exact: no binary float ever holds 2.675)."""
    c, col = _col("1.005", "1.004", "-1.005", "2.675", "-0.004")
    out = c.round(col, 2, "half_up")
    assert out.exp == 2
    assert _values(out) == [D("1.01"), D("1.00"), D("-1.01"), D("2.68"), D("0.00")]


def test_rounding_a_column_of_one_sign_takes_the_short_form() -> None:
    """The interval of a column decides the form: all ≥ 0, (x + 5) // 10 at 1 place: 0.25 →
    0.3, 0.24 → 0.2; all ≤ 0, the same on −x negated: −0.25 → −0.3 (away from zero), −0.24 →
    −0.2, −0.05 → −0.1; 2.675 → 2.68 and −2.675 → −2.68 at 2 places."""
    c, col = _col("0.25", "0.24", "2.675")
    assert col.lo >= 0
    assert _values(c.round(col, 2, "half_up"))[2] == D("2.68")
    assert _values(c.round(col, 1, "half_up"))[:2] == [D("0.3"), D("0.2")]
    c, col = _col("-0.25", "-0.24", "-0.05", "-2.675")
    assert col.hi <= 0
    assert _values(c.round(col, 1, "half_up"))[:3] == [D("-0.3"), D("-0.2"), D("-0.1")]
    assert _values(c.round(col, 2, "half_up"))[3] == D("-2.68")


def test_caps_and_floors_the_interval_rules_out_are_skipped() -> None:
    """A rate × 10 lies in 0..10: min(·, 10) and max(·, 0) cannot bind and return the column
    itself (no operation); min(·, 5) does bind: 7.5 → 5, 2.5 stays."""
    c, col = _col("0.75", "0.25")
    scaled = c.mul(col, D(10))
    assert (scaled.lo, scaled.hi, scaled.exp) == (250, 750, 2)  # the data's own interval × 10
    assert c.minimum(scaled, c.const(D(10))) is scaled
    assert c.maximum(scaled, c.const(D(0))) is scaled
    assert _values(c.minimum(scaled, c.const(D(5)))) == [D(5), D("2.5")]


def test_half_even_rounds_ties_to_the_even_neighbour() -> None:
    """half_even to 1 place: 0.25 → 0.2, 0.35 → 0.4, −0.25 → −0.2, 0.251 → 0.3."""
    c, col = _col("0.25", "0.35", "-0.25", "0.251")
    assert _values(c.round(col, 1, "half_even")) == [D("0.2"), D("0.4"), D("-0.2"), D("0.3")]


def test_rounding_to_more_places_than_held_changes_nothing() -> None:
    c, col = _col("1.5", "2")
    out = c.round(col, 2, "half_up")
    assert _values(out) == [D("1.5"), D("2.0")]  # the column's exponent: 1 place


def test_muldiv_is_exact_or_hands_the_unit_over() -> None:
    """× 20 / 30 (a group of 30 reported on 20): 15 → 10 exactly; 10 → 6.666… does not
    terminate, so that unit is bailed (the Decimal path keeps 34 digits). × 100 / 8:
    3 → 37.5 (1/8 terminates at 3 places)."""
    c, col = _col("15", "10")
    out = c.muldiv(col, D(20), D(30))
    assert _values(out)[0] == D(10)
    assert c.bail.tolist() == [False, True]
    c, col = _col("3")
    assert _values(c.muldiv(col, D(100), D(8))) == [D("37.5")]
    assert not c.bail.any()


def test_overflow_is_detected_before_it_happens() -> None:
    """A multiply whose product would pass LIMIT, and an add whose sum would: those units only
    are bailed; the others are exact."""
    c = _batch(2)
    big = Col(np.array([LIMIT // 3, 7], dtype=np.int64), 0)
    product = c.mul(big, D(4))
    assert c.bail.tolist() == [True, False]
    assert int(product.data[1]) == 28
    c = _batch(2)
    total = c.add(Col(np.array([LIMIT, 1], dtype=np.int64), 0),
                  Col(np.array([1, 1], dtype=np.int64), 0))
    assert c.bail.tolist() == [True, False]
    assert int(total.data[1]) == 2
    c = _batch(1)  # aligning exponents multiplies too: 10^18 at 0 places → 3 places overflows
    c.add(Col(np.array([10**18], dtype=np.int64), 0), Col(np.array([1], dtype=np.int64), 3))
    assert c.bail.tolist() == [True]


def test_constants_drop_trailing_zeros() -> None:
    assert (columnar.Batch(1, {}, {}).const(D("20.00")).data, D("20.00")) == (20, D(20))
    c = columnar.Batch(1, {}, {}).const(D("0.50"))
    assert (c.data, c.exp) == (5, 1)
    c = columnar.Batch(1, {}, {}).const(D("1E+2"))
    assert (c.data, c.exp) == (100, 0)


def test_number_columns_take_only_exact_plain_numbers() -> None:
    """Ints and finite Decimals with at most MAX_PLACES places are taken, at the largest number
    of places written (0.5 and 0.125 → 500 and 125 thousandths); floats, booleans, text, NaN,
    a negative zero, too many places and huge ints are not."""
    values: list[Any] = [D("0.5"), D("0.125"), 3, 1.5, True, "1", D("NaN"), D("-0"),
                         D("0.1234567891"), 10**20, None]
    col, ok = columnar.number_column(values)
    assert col.exp == 3
    assert ok.tolist() == [True, True, True] + [False] * 8
    assert col.data[:3].tolist() == [500, 125, 3000]


def test_flag_columns_take_true_and_false_only() -> None:
    truth, ok = columnar.flag_column([True, False, 1, "是", None])
    assert truth.tolist() == [True, False, False, False, False]
    assert ok.tolist() == [True, True, False, False, False]


# A hand-worked batch through evaluate_all. 工作 (manual 0..10) ×0.5 when 整改 is true; 加分
# 0.5 per occurrence, at most 2; the group 加分组 capped at 1.5; 基础 rate × 7.5.
SCHEME = """
- {id: work, title: 工作, max: 10, rule: {kind: manual, min: 0, max: 10},
   modifiers: [{kind: factor_if, input: fix, factor: 0.5}]}
- {id: extra, title: 加分组, cap: 1.5, children: [
    {id: p, title: 加分, max: 2, rule: {kind: per_occurrence, per: 0.5}}]}
- {id: base, title: 基础, max: 7.5, rule: {kind: rate}}
"""
EXTRA = """
inputs:
  - {id: fix, title: 整改, type: flag}
"""


def _unit(uid: str, work: str, p: int, rate: str, fix: bool) -> dict[str, Any]:
    return {"id": uid, "facts": {"work": D(work), "p": p, "base": D(rate), "fix": fix}}


def test_hand_worked_batch_through_the_columns() -> None:
    """A: 9 × 0.5 = 4.5; 3 × 0.5 = 1.5 (under the item's 2, at the group's 1.5); 7.5 × 0.999 =
    7.4925 → 7.49 (half-up); 4.5 + 1.5 + 7.49 = 13.49.
    B: 8; 5 × 0.5 = 2.5 → item max 2 → group cap 1.5; 7.5 × 0.333 = 2.4975 → 2.50;
    8 + 1.5 + 2.50 = 12.00.
    C: 0 × 0.5 = 0; 1 × 0.5 = 0.5; 7.5 × 0.002 = 0.015 → 0.02; 0 + 0.5 + 0.02 = 0.52.
    D: 10; 0; 7.5 × 0.006 = 0.045, a tie between 0.04 and 0.05 → 0.05 half-up (half-even
    would give 0.04); 10 + 0 + 0.05 = 10.05."""
    plan = plan_from(SCHEME, extra=EXTRA)
    units = [_unit("A", "9", 3, "0.999", True), _unit("B", "8", 5, "0.333", False),
             _unit("C", "0", 1, "0.002", True), _unit("D", "10", 0, "0.006", False)]
    assessment = api._evaluate_all(plan, units, columns=True)
    assert all(isinstance(r, DeferredResult) for r in assessment.results.values())
    totals = {u: r.total for u, r in assessment.results.items()}
    assert totals == {"A": D("13.49"), "B": D("12.00"), "C": D("0.52"), "D": D("10.05")}
    ranks = {u: p.rank for u, p in assessment.placements.items()}
    assert ranks == {"A": 1, "B": 2, "D": 3, "C": 4}
    # the trace is built on first read, by the scalar path: B's bonus capped twice
    steps = [(s.rule, s.step, s.after) for s in assessment.results["B"].trace
             if s.step == "cap"]
    assert steps == [("p", "cap", D(2)), ("extra", "cap", D("1.5"))]


def test_facts_at_or_above_10_to_the_15_are_left_to_the_scalar_path() -> None:
    """The fact check refuses magnitudes of 10^15 and more (rules.values.number), however many
    places: 999999999999999.9 is taken, 1000000000000000.5 and −10^15 are not."""
    values = [D("999999999999999.9"), D("1000000000000000.5"), -(10**15), D("-1E+15")]
    _, ok = columnar.number_column(values)
    assert ok.tolist() == [True, False, False, False]
    _, ok = columnar.number_column([D("999999999999999.9")] * 70 + [D("1000000000000000.5")] * 70)
    assert ok.tolist() == [True] * 70 + [False] * 70  # the same through the text path


def test_the_least_int64_is_no_small_number() -> None:
    """−2^63 fits an int64 but has no positive twin: its np.abs is itself, negative, which had
    passed the magnitude test (|x| < 10^15) on every reading of an int column — whole ints, ints
    beside Decimals, a same-shaped batch's table — and let a value the fact check refuses into
    a column whose interval assumes |x| < 10^15."""
    least = -(2**63)
    _, ok = columnar.number_column([least, 5, -(10**15) + 1])
    assert ok.tolist() == [False, True, True]
    _, ok = columnar.number_column([least, D("0.5")])
    assert ok.tolist() == [False, True]
    from govscore.engine import fact_table

    entries = [{"id": f"u{i}", "facts": {"n": v}} for i, v in enumerate([least, 7])]
    got = fact_table._number_column(fact_table.table(entries), "facts.n", [least, 7], whole=True)
    assert got[1].tolist() == [False, True]


# by_level (scored unit by unit from the columns): 一级 2 points, 二级 0.25 points per occurrence.
BY_LEVEL = """
- {id: award, title: 表彰, max: 10, rule: {kind: by_level, levels: {一级: 2, 二级: 0.25}}}
- {id: base, title: 基础, max: 5, rule: {kind: rate}}
"""


def test_chunks_joined_at_the_largest_exponent(monkeypatch: pytest.MonkeyPatch) -> None:
    """Four units in chunks of two. 表彰: A 一级 ×1 = 2, B 一级 ×2 = 4 (whole points: the first
    chunk's amounts have no places), C 二级 ×1 = 0.25, D 一级 ×1 + 二级 ×1 = 2.25 (two places);
    the joined column holds 2, 4, 0.25, 2.25 at two places. 基础 5 × rate: A 0.5 → 2.5,
    B 0.1 → 0.5, C 0.25 → 1.25, D 1 → 5. Totals (2 places, 四舍五入): 4.50, 4.50, 1.50, 7.25."""
    monkeypatch.setattr(columnar, "CHUNK", 2)
    plan = plan_from(BY_LEVEL)
    program = plan.columns()[None]
    rows = [{"award": {"一级": 1}, "base": D("0.5")}, {"award": {"一级": 2}, "base": D("0.1")},
            {"award": {"二级": 1}, "base": D("0.25")},
            {"award": {"一级": 1, "二级": 1}, "base": D(1)}]
    done = columnar.score_rows(plan, program, rows)
    assert not done.bail.any()
    assert done.nodes["award"].exp == 2
    assert _values(done.nodes["award"]) == [D(2), D(4), D("0.25"), D("2.25")]
    assert _values(done.nodes["base"]) == [D("2.5"), D("0.5"), D("1.25"), D(5)]
    assert _values(done.total) == [D("4.50"), D("4.50"), D("1.50"), D("7.25")]
    # the other way round: the first chunk holds the places, the second's whole points are
    # written at two places beside them
    backwards = columnar.score_rows(plan, program, rows[::-1])
    assert backwards.nodes["award"].exp == 2
    assert _values(backwards.nodes["award"]) == [D("2.25"), D("0.25"), D(4), D(2)]
    assert _values(backwards.total) == [D("7.25"), D("1.50"), D("4.50"), D("4.50")]
    only_total = columnar.run(plan, program, columnar.fact_columns(program, rows), keep=())
    assert only_total.nodes == {}
    assert only_total.raws == {}
    assert _values(only_total.total) == _values(done.total)


def test_a_raw_given_as_a_function_is_called() -> None:
    """A caller may hand run() an item's raw amounts as a function of (rule, item, columns,
    fact) in place of the kind (inputs/columns works distinct values out once): 基础 given as
    2 × the rate instead of 7.5 × it, rate 0.5 → 1.0, so A (工作 9, 3 occurrences, 整改):
    4.5 + 1.5 + 1.00 = 7.00."""
    import dataclasses

    plan = plan_from(SCHEME, extra=EXTRA)
    program = plan.columns()[None]
    program = dataclasses.replace(program, raws={
        **program.raws, "base": lambda rule, item, c, x: c.mul(x, D(2))})
    rows = [{"work": D(9), "p": 3, "base": D("0.5"), "fix": True}]
    done = columnar.score_rows(plan, program, rows)
    assert _values(done.total) == [D("7.00")]


# pattern 2 (宜府办函〔2006〕174号 一, and a 招商引资 clause): per_missing through the columns
PER_MISSING = """
- {id: m, title: 常务会, max: 2, rule: {kind: per_missing, per: 0.5, required: 4}}
- {id: l, title: 轮流接待, max: 2, rule: {kind: per_missing, per: 0.5}}
- {id: w, title: 招商引资, max: 10, rule: {kind: per_missing, per: 1, step: 10, amount: true,
   required: 100, partial: whole_steps}}
- {id: s, title: 招商引资(按档), max: 10, rule: {kind: per_missing, per: 1, step: 10,
   amount: true, required: 100, partial: started_steps}}
"""


def test_per_missing_through_the_columns() -> None:
    """"每季度一次常务会(2分,少一次扣0.5分)": 4 required; "班子成员轮流接待(2分,缺一个领导扣0.5分)":
    each unit's {required, done}; "应完成100万元, 每少10万元扣1分" (10 points) counted by whole
    steps (floor) and by begun steps (不足10万元按10万元计, ceiling). Worked by hand:
    A: m 3 → 2 − 0.5 = 1.5; l {7, 5} → 2 − 1 = 1; 73 done is 27 short: w ⌊2.7⌋ = 2 → 8,
       s ⌈2.7⌉ = 3 → 7; total 1.5 + 1 + 8 + 7 = 17.5.
    B: m 5 → 2 (more earns nothing); l {9, 4} → 2 − 2.5 → 0 (扣完为止); 100.5 done: w 10,
       s 10; total 2 + 0 + 10 + 10 = 22.
    C: m 0 → 0; l {0, 0} → 2; 0 done: w and s 10 − 10 = 0; total 2.
    D: m 4 → 2; l {3, 2} → 1.5; 99.9 is 0.1 short: w ⌊0.01⌋ = 0 → 10, s ⌈0.01⌉ = 1 → 9;
       total 2 + 1.5 + 10 + 9 = 22.5."""
    plan = plan_from(PER_MISSING)
    program = plan.columns()[None]
    assert set(program.raws) == {"m", "l", "w", "s"}  # each by its kind's vector form
    rows = [{"m": 3, "l": {"required": 7, "done": 5}, "w": D(73), "s": D(73)},
            {"m": 5, "l": {"required": 9, "done": 4}, "w": D("100.5"), "s": D("100.5")},
            {"m": 0, "l": {"required": 0, "done": 0}, "w": D(0), "s": D(0)},
            {"m": 4, "l": {"required": 3, "done": 2}, "w": D("99.9"), "s": D("99.9")}]
    done = columnar.score_rows(plan, program, rows)
    assert not done.bail.any()
    assert _values(done.nodes["w"]) == [D(8), D(10), D(0), D(10)]
    assert _values(done.nodes["s"]) == [D(7), D(10), D(0), D(9)]
    assert _values(done.nodes["l"]) == [D(1), D(0), D(2), D("1.5")]
    assert _values(done.total) == [D("17.5"), D(22), D(2), D("22.5")]


def test_per_missing_keeping_part_of_a_step_has_no_vector_form() -> None:
    """Proportional with a step of 10 (27 / 10 = 2.7 kept) and a step with a fraction are left
    to the raw amount unit by unit; whole steps of a whole step and every step of 1 are not."""
    from govscore.language import model
    from govscore.rules import missing

    kind = missing.PerMissing()

    def held(**rule: Any) -> object:
        r = model.PerMissing(kind="per_missing", per=D(1), **rule)
        return kind.vector_fact(r, None)  # type: ignore[arg-type]

    assert held(step=D(10), amount=True, required=D(100)) is None
    assert held(step=D("2.5"), amount=True, required=D(100), partial="whole_steps") is None
    assert held(step=D(10), amount=True, required=D(100), partial="whole_steps") is not None
    assert held(required=D(4)) is not None
    assert held() is not None
