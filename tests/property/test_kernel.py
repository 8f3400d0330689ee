"""The compiled kernels (kernel.py) give exactly what the interpreter (interpreter.py) gives — total,
every node with its raw value and fact, the whole trace, vetoes, outputs, eligibility — on every
shipped scheme, every pattern scheme and random schemes; and they do take the fast path for
plain facts, or this would prove nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import govscore
from govscore import api, testing
from govscore.engine import interpreter
from govscore.engine.plan import Plan

ROOT = Path(__file__).resolve().parents[2]
SCHEMES = sorted(p for p in [*(ROOT / "schemes").glob("*.yaml"), *(ROOT / "tests/patterns").glob("*.yaml"),
                              *(ROOT / "tests/language_v2").glob("*.yaml")]
                 if not p.name.endswith(".test.yaml"))


def _both(plan: Plan, entry: dict[str, Any]) -> tuple[Any, Any]:
    """(the kernel's result or None, the interpreter's result or its error's text)."""
    fast = api._fast(plan, entry)
    checked, problems = api.prepare(plan, entry)
    if checked is None:
        return fast, [str(d) for d in problems]
    try:
        slow = interpreter.evaluate_unit(plan, checked)
    except govscore.GovscoreError as exc:
        return fast, str(exc)
    return fast, slow


def _same(plan: Plan, entry: dict[str, Any]) -> bool:
    """Assert agreement; True when the kernel scored the unit itself."""
    fast, slow = _both(plan, entry)
    if fast is None:
        return False
    assert not isinstance(slow, (str, list)), f"kernel scored a unit the interpreter refuses: {slow}"
    result, checked = fast
    assert result.to_dict() == slow.to_dict()
    assert result == slow  # the lazy nodes equal the interpreter's dict, the trace its tuple
    assert result.nodes.keys() == slow.nodes.keys()
    assert list(result.nodes) == list(slow.nodes)  # same order for reports
    prepared, _ = api.prepare(plan, entry)
    assert prepared is not None
    assert checked.values == prepared.values
    assert sorted(checked.defaulted) == sorted(prepared.defaulted)
    return True


@pytest.mark.parametrize("path", SCHEMES, ids=[p.stem for p in SCHEMES])
def test_kernel_equals_interpreter(path: Path) -> None:
    plan = govscore.compile(path)
    if plan.kernels is None:
        pytest.skip("population scheme: scored by the interpreter's two phases")
    hits = []

    # derandomized: the same 60 units every run, so that "the kernel took the fast path at
    # least once" cannot flake on a scheme whose random units are mostly unusual (S4's
    # exemptions); random exploration is in test_kernel_equals_interpreter_on_random_schemes
    @settings(max_examples=60, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow])
    @given(testing.units(plan))
    def check(unit: dict[str, Any]) -> None:
        hits.append(_same(plan, unit))

    check()
    assert any(hits), "the kernel never took the fast path"


@pytest.mark.parametrize("path", SCHEMES, ids=[p.stem for p in SCHEMES])
def test_kernel_equals_interpreter_on_fresh_random_units(path: Path) -> None:
    """The same agreement on units hypothesis draws afresh each run (no fast-path count)."""
    plan = govscore.compile(path)
    if plan.kernels is None:
        pytest.skip("population scheme: scored by the interpreter's two phases")

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(testing.units(plan))
    def check(unit: dict[str, Any]) -> None:
        _same(plan, unit)

    check()


def test_kernel_takes_the_fast_path_on_the_shipped_examples() -> None:
    """Every unit of every shipped example with plain facts goes through the kernel and agrees."""
    from govscore.inputs import readers

    taken = 0
    for facts_file in sorted((ROOT / "examples").glob("*.facts.yaml")):
        scheme = ROOT / "schemes" / facts_file.name.replace(".facts.yaml", ".yaml")
        if not scheme.exists():
            continue
        plan = govscore.compile(scheme)
        for entry in readers.read_facts(facts_file):
            taken += _same(plan, _plain(entry))
    assert taken > 100  # S4 alone has 113 units


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_kernel_equals_interpreter_on_random_schemes(data: st.DataObject) -> None:
    # every valid feature but exemptions on population items (those schemes have no kernel)
    plan = data.draw(testing.random_schemes(testing.SAFE_FEATURES - {"population_exempt"}))
    unit = data.draw(testing.units(plan))
    _same(plan, unit)


def test_unusual_facts_go_the_full_way() -> None:
    """Exemptions, floats, strings, unknown and missing facts: the kernel declines them all and
    the interpreter reports or scores them."""
    plan = govscore.compile(ROOT / "schemes/s3-chengdu.yaml")
    assert plan.kernels is not None
    good = next(iter(_examples(plan)))
    assert api._fast(plan, good) is not None
    facts = good["facts"]
    name = "bonus_innovation"  # per_occurrence: a whole number of occurrences
    assert api._fast(plan, {**good, "facts": {**facts, name: 2}}) is not None
    for bad in (1.5, "3", None, True, -1, [1], {"exempt": "不可抗力"}):
        assert api._fast(plan, {**good, "facts": {**facts, name: bad}}) is None
    assert api._fast(plan, {**good, "facts": {**facts, "typo": 1}}) is None
    assert api._fast(plan, {**good, "title": "x"}) is None
    assert api._fast(plan, {**good, "id": "\ud800"}) is None
    assert api._fast(plan, {**good, "tier": "no-such-tier"}) is None


def _examples(plan: Plan) -> list[dict[str, Any]]:
    from govscore.inputs import readers

    return [_plain(u) for u in readers.read_facts(ROOT / "examples/s3-chengdu.facts.yaml")]


def test_equal_constants_written_differently_stay_apart() -> None:
    """Decimal('5') and Decimal('5.0') are equal but print differently; the kernel must not share
    one constant for both. Item max 5 (per 0.5), group cap 5.0: 12 occurrences give 6, capped
    at the item's 5, then two items 5 + 5 = 10 capped at the group's 5.0 → '5.0', as written."""
    from tests.helpers import plan_from

    plan = plan_from("""
- id: bonus
  title: 加分
  cap: 5.0
  children:
    - {id: a, title: A, max: 5, rule: {kind: per_occurrence, per: 0.5}}
    - {id: b, title: B, max: 5, rule: {kind: per_occurrence, per: 0.5}}
""")
    unit = {"id": "u", "facts": {"a": 12, "b": 12}}
    assert _same(plan, unit)
    result, _ = api._fast(plan, unit)
    assert str(result.nodes["bonus"].value) == "5.0"


@pytest.mark.parametrize("bad", ["NaN", "sNaN", "-NaN", "Infinity", "-Infinity",
                                 "0." + "1" * 40, "1.0000000000000000000000000000000000001",
                                 "-0", "1E-40", "0E+10"])
def test_special_decimals_in_a_rate(bad: str) -> None:
    """NaN, infinities and over-long decimals in a rate fact never get a kernel result the
    interpreter would not give: the kernel declines them (and the interpreter rejects them) or
    agrees exactly (-0, tiny and zero-with-exponent values are valid rates)."""
    from decimal import Decimal

    plan = govscore.compile(ROOT / "benchmarks/reference.yaml")
    from benchmarks.bench_workload import make_units

    unit = make_units(1)[0]
    unit["facts"]["b1"] = Decimal(bad)
    taken = _same(plan, unit)
    valid = bad in ("-0", "1E-40", "0E+10")
    assert taken == valid


def test_free_values_inside_facts_are_walked_as_on_the_full_way() -> None:
    """An event's matter is kept as given by the by_level check; nested thousands deep or holding
    a lone surrogate it must reject the unit (as the interpreter's path does), not reach the
    reports. S3's 发表文章 item is by_level, so its kernel walks the entry first."""
    plan = govscore.compile(ROOT / "schemes/s3-chengdu.yaml")
    assert plan.kernels is not None
    assert plan.kernels[None].walk
    good = _examples(plan)[0]
    deep: Any = "x"
    for _ in range(5000):
        deep = [deep]
    name = "bonus_articles"
    for matter in (deep, "\ud800"):
        bad = {**good, "facts": {**good["facts"], name: [{"level": "city", "matter": matter}]}}
        assert api._fast(plan, bad) is None
        assessment = govscore.evaluate_all(plan, [bad])
        assert [r.unit for r in assessment.rejected] == [good["id"]]
        assert {d.code for d in assessment.rejected[0].diagnostics} == {"GS403"}
    plain = {**good, "facts": {**good["facts"], name: [{"level": "city", "matter": "某文"}]}}
    assert _same(plan, plain)


def test_reference_kernel_needs_no_walk() -> None:
    """Every fact of the reference workload is checked inline (rates and counts), so its kernel
    does not walk entries."""
    plan = govscore.compile(ROOT / "benchmarks/reference.yaml")
    assert plan.kernels is not None
    assert not plan.kernels[None].walk


def test_missing_facts_with_defaults_take_the_fast_path() -> None:
    """A fact left out that has a default is taken as its default (checked once, when the kernel
    is built) and recorded as defaulted, as on the full way: on every shipped example unit whose
    scheme declares defaults, with those facts left out."""
    from govscore.inputs import readers

    checked = 0
    for scheme in sorted((ROOT / "schemes").glob("*.yaml")):
        plan = govscore.compile(scheme)
        defaults = {n for n, spec in plan.specs.items() if spec.default is not None}
        facts_file = ROOT / "examples" / f"{scheme.stem}.facts.yaml"
        if not defaults or plan.kernels is None or not facts_file.exists():
            continue
        for entry in readers.read_facts(facts_file):
            unit = _plain(entry)
            unit["facts"] = {k: v for k, v in unit["facts"].items() if k not in defaults}
            if _same(plan, unit):
                _, facts = api._fast(plan, unit)
                assert set(facts.defaulted) == defaults & set(facts.values)
                checked += bool(facts.defaulted)
    assert checked > 100  # S4's 113 units among them
