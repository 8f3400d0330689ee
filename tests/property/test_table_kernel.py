"""The decision table (kind table) in a generated kernel: its rows written as one conditional
expression (``Table.emit_raw``) give exactly what the interpreter's ``_row_for`` gives, on
every pair of values — the rows' ends themselves, just inside and just outside them, and
anywhere — and the kernel does take that path (it is not the interpreter called from the
kernel)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import govscore
from govscore import api
from govscore.engine import interpreter
from tests.helpers import HEADER

# 完成率90%以上且满意率95%以上得10分; 完成率90%以上、满意率80%(不含)至95%得8分; 完成率不足90%、
# 满意率80%以上得5分; 满意率80%及以下得0分 — every kind of end (gte, gt, lt, lte), a row that
# names one column only, and a gap (完成率 above 1 is outside the rate's domain) filled by
# ``outside`` in the second scheme
TABLE = HEADER + """\
score:
  id: root
  title: 总分
  children:
    - id: rates
      title: 完成率与满意率
      max: 10
      rule:
        kind: table
        columns:
          - {id: done, title: 完成率, rate: true}
          - {id: liked, title: 满意率, rate: true}
        rows:
          - {when: {done: {gte: 0.9}, liked: {gte: 0.95}}, points: 10}
          - {when: {done: {gte: 0.9}, liked: {gt: 0.8, lt: 0.95}}, points: 8}
          - {when: {done: {lt: 0.9}, liked: {gt: 0.8}}, points: 5}
          - {when: {liked: {lte: 0.8}}, points: 0}
"""
WITH_OUTSIDE = TABLE.replace("          - {when: {liked: {lte: 0.8}}, points: 0}\n",
                             "          - {when: {done: {gte: 0.5}, liked: {lte: 0.8}}, "
                             "points: 1}\n        outside: 0\n")
ENDS = [Decimal(x) for x in ("0", "0.5", "0.8", "0.9", "0.95", "1")]
NEAR = [e + d for e in ENDS for d in (Decimal("-0.0001"), Decimal(0), Decimal("0.0001"))
        if 0 <= e + d <= 1]
RATES = st.one_of(st.sampled_from(NEAR),
                  st.integers(0, 10000).map(lambda n: Decimal(n) / 10000))
# outside a rate's domain, or not a plain Decimal: the kernel's fast path must decline them and
# leave them to the check (which refuses all but the int and the trailing-zero forms)
ODD = st.sampled_from([Decimal("1.0001"), Decimal("-0.0001"), Decimal(2), 1, 0,
                       Decimal("0.90"), Decimal("NaN"), Decimal("Infinity"), "0.9", 0.5, True,
                       Decimal("0." + "3" * 40)])


def _kernel_and_interpreter(plan: govscore.Plan, facts: dict[str, Any]) -> tuple[Any, Any]:
    """(the kernel's result and checked facts, or None; the interpreter's result)."""
    entry = {"id": "u", "facts": facts}
    fast = api._fast(plan, entry)
    checked, problems = api.prepare(plan, entry)
    assert checked is not None, problems
    return fast, interpreter.evaluate_unit(plan, checked)


def _agree_on(text: str) -> None:
    plan = govscore.compile(govscore.load(text=text, name="table.yaml"))
    assert plan.kernels is not None
    # the rows are in the kernel's own source, not the interpreter's function called from it,
    # and a plain pair skips the check (the fast path rebuilds the checked mapping)
    source = plan.kernels[None].source.splitlines()
    (raw_line,) = [line for line in source if line.strip().startswith("r0 = ")]
    assert raw_line.count(" else ") == 4, raw_line  # four rows, then outside
    assert any(line.strip().startswith("x0 = {") for line in source)

    @settings(max_examples=150, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(RATES, RATES)
    def check(done: Decimal, liked: Decimal) -> None:
        fast, slow = _kernel_and_interpreter(plan, {"rates": {"done": done, "liked": liked}})
        assert fast is not None, "the kernel declined a plain pair"
        result, checked = fast
        assert result.to_dict() == slow.to_dict()
        assert list(checked.values["rates"]) == ["done", "liked"]  # as the check orders it

    @settings(max_examples=80, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(st.one_of(RATES, ODD), ODD, st.booleans(), st.booleans())
    def odd(one: Any, other: Any, swap: bool, extra: bool) -> None:
        pair = {"liked": one, "done": other} if swap else {"done": one, "liked": other}
        if extra:
            pair["note"] = Decimal(1)
        entry = {"id": "u", "facts": {"rates": pair}}
        fast = api._fast(plan, entry)
        checked, _ = api.prepare(plan, entry)
        if checked is None:
            assert fast is None  # refused: the interpreter's path reports it
        elif fast is not None:
            assert fast[0].to_dict() == interpreter.evaluate_unit(plan, checked).to_dict()

    check()
    odd()


def test_table_kernel_equals_interpreter_on_every_pair() -> None:
    _agree_on(TABLE)


def test_table_kernel_equals_interpreter_with_outside() -> None:
    _agree_on(WITH_OUTSIDE)


def test_table_kernel_on_hand_worked_pairs() -> None:
    """By the clause: (0.9, 0.95) → 10 (both ends included); (0.9, 0.9499) → 8; (0.9, 0.8) → 0
    (80% 及以下); (0.8999, 0.81) → 5; with outside: (0.4, 0.7) is in no row → 0, (0.5, 0.7) → 1."""
    plan = govscore.compile(govscore.load(text=TABLE, name="table.yaml"))
    for done, liked, points in (("0.9", "0.95", 10), ("0.9", "0.9499", 8), ("0.9", "0.8", 0),
                                ("0.8999", "0.81", 5)):
        fast, _ = _kernel_and_interpreter(plan, {"rates": {"done": Decimal(done),
                                                           "liked": Decimal(liked)}})
        assert fast is not None
        assert fast[0].total == points
    plan = govscore.compile(govscore.load(text=WITH_OUTSIDE, name="table.yaml"))
    for done, liked, points in (("0.4", "0.7", 0), ("0.5", "0.7", 1)):
        fast, _ = _kernel_and_interpreter(plan, {"rates": {"done": Decimal(done),
                                                           "liked": Decimal(liked)}})
        assert fast is not None
        assert fast[0].total == points
