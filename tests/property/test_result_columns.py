"""Results as columns: an assessment scored through the columns (results and placements kept as
columns, the facts hash over a canonical table, the fact columns of a same-shaped batch taken a
column at a time) equals the one scored unit by unit in everything — results, placements,
award decisions, rejections, the record — on random schemes with ranking, grade quotas, awards
and ties; and pickles as the dicts it stands for."""

from __future__ import annotations

import pickle
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

pytest.importorskip("numpy")

import govscore
from govscore import api, testing
from govscore.engine import columnar, fact_table
from govscore.engine.plan import Plan
from govscore.engine.result_columns import ColumnPlacements, ColumnResults

WITHOUT_POPULATION = testing.SAFE_FEATURES - {"population_kinds", "population_exempt",
                                              "population_values"}
ODD = (-(2**63), 2**63 - 1, -(10**15), 10**15 - 1,  # int64's ends; the facts' magnitude limit
       Decimal("-0"), Decimal("1E+2"), Decimal("0.0000000001"), True, 1.5, "3", None, -1,
       10**20, Decimal("NaN"), {"exempt": "其他"})


def same_shape(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The entries cut to the keys and facts they all have (a batch the table takes whole)."""
    top = set.intersection(*(set(e) for e in entries))
    names = set.intersection(*(set(e.get("facts", {})) for e in entries))
    return [{k: ({n: e["facts"][n] for n in sorted(names)} if k == "facts" else e[k])
             for k in sorted(top)} for e in entries]


@st.composite
def batches(draw: st.DrawFn) -> tuple[Any, list[dict[str, Any]]]:
    text = draw(testing.random_scheme_texts(WITHOUT_POPULATION))
    note(text)
    plan = govscore.compile(govscore.load(text=text, name="random.yaml"))
    entries = draw(testing.populations(plan, min_size=1, max_size=12, defaults=True))
    for _ in range(draw(st.integers(0, 3))):  # ties: one unit's facts copied onto another
        src, dst = draw(st.permutations(range(len(entries))))[:2] if len(entries) > 1 else (0, 0)
        entries[dst] = {**entries[src], "id": entries[dst]["id"]}
    if draw(st.booleans()):
        entries = same_shape(entries)
        if draw(st.booleans()) and entries[0].get("facts"):  # an odd value in one cell
            at = draw(st.integers(0, len(entries) - 1))
            name = draw(st.sampled_from(sorted(entries[at]["facts"])))
            entries[at] = {**entries[at], "facts": {**entries[at]["facts"],
                                                    name: draw(st.sampled_from(ODD))}}
    return Shown(plan), entries


class Shown:
    def __init__(self, plan: Plan) -> None:
        self.plan = plan

    def __repr__(self) -> str:
        return "<the plan of the scheme noted above>"


def assessments_agree(plan: Plan, entries: list[Any]) -> Any:
    by_columns = api._evaluate_all(plan, entries, columns=True)
    by_units = api._evaluate_all(plan, entries, columns=False)
    assert by_columns.record == by_units.record  # the facts hash too
    assert by_columns.rejected == by_units.rejected
    assert by_columns.awards == by_units.awards
    assert list(by_columns.placements) == list(by_units.placements)  # the same order
    assert dict(by_columns.placements) == dict(by_units.placements)
    assert list(by_columns.results) == list(by_units.results)
    assert by_columns == by_units
    assert by_columns.to_dict() == by_units.to_dict()
    return by_columns


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(batches())
def test_an_assessment_through_the_columns_equals_the_scalar_one(case: Any) -> None:
    shown, entries = case
    assessments_agree(shown.plan, entries)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(batches())
def test_results_as_columns_pickle_as_the_dicts_they_stand_for(case: Any) -> None:
    shown, entries = case
    by_columns = api._evaluate_all(shown.plan, entries, columns=True)
    again = pickle.loads(pickle.dumps(by_columns))
    assert type(again.results) is dict
    assert type(again.placements) is dict
    assert again == api._evaluate_all(shown.plan, entries, columns=False)


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(batches())
def test_fact_columns_a_column_at_a_time_equal_columnar_fact_columns(case: Any) -> None:
    """For a same-shaped batch: the same units held (ok), the same values of every number, flag
    and object fact where held."""
    shown, entries = case
    table = fact_table.table(entries)
    programs = shown.plan.columns()
    if not table.uniform or not programs:
        return
    rows = [e.get("facts", {}) for e in entries]
    for program in programs.values():
        slow = columnar.fact_columns(program, rows)
        fast = fact_table.fact_columns(program, table)
        assert fast.ok.tolist() == slow.ok.tolist()
        held = fast.ok.nonzero()[0].tolist()
        for name, col in slow.numbers.items():
            assert columnar.decimals(fast.numbers[name], held) == \
                columnar.decimals(col, held), name
        for name, mask in slow.flags.items():
            assert fast.flags[name][held].tolist() == mask[held].tolist(), name
        for name, values in slow.objects.items():
            assert [fast.objects[name][i] for i in held] == [values[i] for i in held], name


def test_a_big_batch_keeps_its_results_as_columns() -> None:
    """300 units of the reference workload: the columns score them all, the results and
    placements are mappings over columns, nothing per unit is built until read, and what is
    read equals the scalar path's."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    import bench_workload as wl

    plan = govscore.compile(wl.REFERENCE_YAML)
    units = wl.make_units(300)
    a = api._evaluate_all(plan, units, columns=True)
    assert isinstance(a.results, ColumnResults)
    assert isinstance(a.placements, ColumnPlacements)
    assert not a.results.kept
    assert not a.results._built
    b = api._evaluate_all(plan, units, columns=False)
    assert a.results["u000007"] == b.results["u000007"]
    assert a.placements["u000007"] == b.placements["u000007"]
    assert [r.total for r in a.results.values()] == [wl.baseline_decimal(u["facts"])
                                                     for u in units]
    assert a == b


def _results_of(total: list[int], exp: list[int] | int, minus: list[int]) -> ColumnResults:
    import numpy as np

    n = len(total)
    return ColumnResults([f"u{i}" for i in range(n)], {}, np.array(total, dtype=np.int64),
                         np.array(exp, dtype=np.int64) if isinstance(exp, list) else exp,
                         np.array(minus, dtype=np.bool_), np.full(n, -1), np.full(n, -1), [],
                         [], np.arange(n), lambda i: pytest.fail("not rescored"))


def test_totals_are_the_scalar_paths_decimals_one_object_per_distinct_total() -> None:
    """Totals read whole: cents 1850 at 2 places is 18.50 (not 18.5), 20 at 0 places is 20, a
    negative zero keeps its sign (−0.00), rows with the same total share one Decimal; a total
    too large for the packed key (2^60) is made row by row, the same."""
    results = _results_of([1850, 0, 20, 1850, 2**60, -7], [2, 2, 0, 2, 0, 1], [0, 1, 0, 0, 0, 0])
    got = [r.total for r in results.values()]
    assert [str(t) for t in got] == ["18.50", "-0.00", "20", "18.50", str(2**60), "-0.7"]
    small = _results_of([1850, 0, 20, 1850, -7], [2, 2, 0, 2, 1], [0, 1, 0, 0, 0])
    made = [r.total for r in small.values()]
    assert [str(t) for t in made] == ["18.50", "-0.00", "20", "18.50", "-0.7"]
    assert made[0] is made[3]
    assert [r.total for r in _results_of([5, 5], 1, [0, 0]).values()] == [Decimal("0.5")] * 2
    assert list(_results_of([], [], []).values()) == []


@given(st.lists(st.tuples(st.integers(-(2**63), 2**63 - 1), st.integers(0, 17), st.booleans()),
                max_size=40))
@settings(max_examples=150, deadline=None)
def test_totals_read_whole_equal_each_row_made_alone(rows: list[tuple[int, int, bool]]) -> None:
    """Every row's total, read whole, is what ``at`` makes for that row alone (digit for digit,
    sign included), whichever way the whole reading takes (packed key or row by row)."""
    total = [t for t, _, _ in rows]
    exp = [e for _, e, _ in rows]
    minus = [m and t == 0 for t, _, m in rows]
    whole = [str(r.total) for r in _results_of(total, exp, minus).values()]
    alone = _results_of(total, exp, minus)
    assert whole == [str(alone.at(i).total) for i in range(len(rows))]
    for i, (t, e, m) in enumerate(rows):  # and what the columns mean, worked out here
        expected = Decimal(t).scaleb(-e)
        assert whole[i] == str(expected.copy_negate() if m and t == 0 else expected)
