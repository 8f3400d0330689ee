"""The kernels' per-item memo (engine/kernel.py, ``_memo_item``) and the kept result
(results.KernelResult): a value served from the memo gives exactly what computing it gives —
trace included — and what the interpreter gives; values the check or the arithmetic tell apart
are never served for each other; the memo stays within its bound; a kept result is one object
for the garbage collector."""

from __future__ import annotations

import copy
import dataclasses
import gc
import pickle
from decimal import Decimal
from typing import Any

import govscore
from govscore import api
from govscore.engine import interpreter, kernel
from govscore.engine.plan import Plan
from govscore.engine.results import KernelResult, TraceStep, UnitResult
from tests.helpers import D, plan_from

# 比率项: max 9.5, rate × 9.5, rounded half-up to 2 places (the default precision);
# 按次: 0.5 per occurrence, at most 2
CHILDREN = """
- {id: rate9, title: 比率项, max: 9.5, rule: {kind: rate}}
- {id: occ, title: 按次, max: 2, rule: {kind: per_occurrence, per: 0.5}}
"""


def _plan() -> Plan:
    plan = plan_from(CHILDREN)
    assert plan.kernels is not None
    return plan


def _memo(plan: Plan, i: int) -> dict[Any, Any]:
    assert plan.kernels is not None
    return plan.kernels[None].memos[i]


def _kernel(plan: Plan, facts: dict[str, Any], unit: str = "u") -> UnitResult:
    """The kernel's result, checked equal to the interpreter's in every field."""
    entry = {"id": unit, "facts": facts}
    fast = api._fast(plan, entry)
    assert fast is not None, "the kernel declined a plain unit"
    result, checked = fast
    prepared, problems = api.prepare(plan, entry)
    assert prepared is not None, problems
    slow = interpreter.evaluate_unit(plan, prepared)
    assert result == slow
    assert slow == result
    assert result.to_dict() == slow.to_dict()
    assert checked.values == prepared.values
    return result


def test_a_memo_hit_gives_the_same_result_and_trace_as_the_miss() -> None:
    """rate 0.563 × 9.5 = 5.3485 → 5.35 (round); 10 occurrences × 0.5 = 5.0 → capped at 2.
    The second unit gives the same facts as new objects: it is served from the memo (its raw
    amount is the very object the first unit computed) and its trace is the first's."""
    plan = _plan()
    first = _kernel(plan, {"rate9": Decimal("0.563"), "occ": 10}, "a")
    assert "0.563" in _memo(plan, 0)
    assert 10 in _memo(plan, 1)
    second = _kernel(plan, {"rate9": Decimal("0.563"), "occ": 10}, "b")
    assert second.nodes["rate9"].raw is first.nodes["rate9"].raw  # a hit, not computed again
    expected = (
        TraceStep("rate9", "round", D("5.3485"), D("5.35"), (2, "half_up")),
        TraceStep("occ", "cap", D("5.0"), D("2"), (D("2"),)),
    )
    assert first.trace == second.trace == expected
    assert second.total == first.total == D("7.35")  # 5.35 + 2.00
    assert str(second.nodes["rate9"].raw) == "5.3485"
    assert second.nodes["rate9"].fact == "0.563"


def test_equal_values_written_otherwise_are_not_served_for_each_other() -> None:
    """9.5 × 0.5 = 4.75, 9.5 × 0.50 = 4.750 (a product has the places of both factors),
    9.5 × −0 = −0.0 and 9.5 × 0 = 0.0: equal numbers, other raw amounts as written — each
    computed and remembered apart, in either order."""
    plan = _plan()
    written = {"0.5": "4.75", "0.50": "4.750", "-0": "-0.0", "0": "0.0"}
    for _ in range(2):  # the first round fills the memo, the second reads it
        for fact, raw in written.items():
            result = _kernel(plan, {"rate9": Decimal(fact), "occ": 0})
            assert str(result.nodes["rate9"].raw) == raw
    assert set(written) <= set(_memo(plan, 0))


def test_what_the_check_converts_or_refuses_is_never_served_from_the_memo() -> None:
    """A count given as Decimal 3 is checked to the int 3 (the result carries 3): not
    remembered under its text. A flag, a text or a float never reaches a memo entry of the
    int or Decimal they equal: the kernel declines them as before."""
    plan = _plan()
    _kernel(plan, {"rate9": Decimal("0.563"), "occ": 1})
    _kernel(plan, {"rate9": Decimal("0.563"), "occ": 3})
    converted = _kernel(plan, {"rate9": Decimal("0.563"), "occ": Decimal("3")})
    assert converted.nodes["occ"].fact == 3
    assert "3" not in _memo(plan, 1)
    for bad in ({"occ": True}, {"occ": 1.0}, {"occ": "3"}, {"rate9": "0.563"},
                {"rate9": 0.563}, {"rate9": Decimal("1.5")}):
        entry = {"id": "u", "facts": {"rate9": Decimal("0.563"), "occ": 1, **bad}}
        assert api._fast(plan, entry) is None, bad


def test_the_memo_stays_within_its_bound_and_scores_past_it() -> None:
    """MEMO_SIZE + 20 different rates (0.0000, 0.0001, …): the memo keeps MEMO_SIZE of them and
    every unit — remembered, or computed once the memo is full — equals the interpreter's."""
    plan = _plan()
    for i in range(kernel.MEMO_SIZE + 20):
        _kernel(plan, {"rate9": Decimal(i).scaleb(-4), "occ": 0}, f"u{i}")
    assert len(_memo(plan, 0)) == kernel.MEMO_SIZE
    last = Decimal(kernel.MEMO_SIZE + 19).scaleb(-4)  # 0.1043 × 9.5 = 0.99085 → 0.99
    assert str(last) not in _memo(plan, 0)
    result = _kernel(plan, {"rate9": last, "occ": 0})
    assert result.total == D("0.99")


def test_a_kept_result_is_one_object_for_the_garbage_collector() -> None:
    """After the first collection of the young generation, nothing a kernel's result refers to
    is tracked but its class: its one tuple holds no tuple made with it (the trace is flat), so
    the collector untracks it the first time it sees it and never visits the numbers of
    thousands of kept results again. Units of the reference workload whose caps, deduction
    limit and roundings bind (trace steps with operands known only when the unit is scored)."""
    plan = govscore.compile("benchmarks/reference.yaml")
    from benchmarks.bench_workload import make_units

    units = make_units(50)
    paused = gc.isenabled()
    gc.disable()  # every result still young when the one collection below looks at it
    try:
        kept = [govscore.evaluate(plan, u) for u in units]
        gc.collect(0)
    finally:
        if paused:
            gc.enable()
    for result in kept:
        assert isinstance(result, KernelResult)
        tracked = [o for o in gc.get_referents(result)
                   if gc.is_tracked(o) and not isinstance(o, type)]
        assert tracked == []
    # the case this is about is here: steps with operands known only when the unit is scored
    assert any(s.step == "limit" for r in kept for s in r.trace)
    assert any(len(r.trace) > 3 for r in kept)


def test_a_kept_result_reads_copies_and_pickles_as_a_plain_one() -> None:
    plan = _plan()
    result = _kernel(plan, {"rate9": Decimal("0.563"), "occ": 10})
    for again in (pickle.loads(pickle.dumps(result)), copy.copy(result), copy.deepcopy(result)):
        assert again == result
        assert result == again
    plain = pickle.loads(pickle.dumps(result))
    assert type(plain) is UnitResult
    assert plain.nodes == result.nodes
    assert result.exemptions == {}
    assert result.outputs == {}
    assert result.eligible
    assert result.vetoes == ()
    assert result.forced_grade is None


def test_a_kept_result_replaced_is_a_plain_one() -> None:
    """dataclasses.replace builds a result from its fields: a plain UnitResult, the rest equal."""
    plan = _plan()
    result = _kernel(plan, {"rate9": Decimal("0.563"), "occ": 10})
    changed = dataclasses.replace(result, total=D("1"))
    assert type(changed) is UnitResult
    assert changed.total == D("1")
    assert changed.trace == result.trace
    assert changed.nodes == result.nodes
