"""Numbers at the door: NaN, infinity and absurd magnitudes are refused wherever facts come in
(YAML, JSON, CSV, the API), nothing incomparable reaches the ranking, and the declared rounding
is applied once."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import govscore
from govscore.inputs import readers
from govscore.rules import values

from .common import bounded_work, tiny_plan, unit


@pytest.mark.parametrize("text", [".nan", ".NaN", ".NAN", ".inf", "-.inf", "+.inf", ".Inf"])
def test_yaml_nan_and_infinity_facts_are_refused(text: str, tmp_path: Path) -> None:
    """In YAML, .nan/.inf are ambiguous scalars (GS109): the whole file is refused."""
    path = tmp_path / "facts.yaml"
    path.write_text(f"units:\n  - {{id: u, facts: {{a: {text}}}}}\n", encoding="utf-8")
    with pytest.raises(govscore.FactsFileError) as info:
        readers.read_facts(path)
    (d,) = info.value.diagnostics
    assert (d.code, d.span.line if d.span else None) == ("GS109", 2)


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-Infinity"])
def test_json_nan_and_infinity_facts_are_refused(text: str, tmp_path: Path) -> None:
    """JSON's non-standard NaN/Infinity tokens are refused when the file is read (GS409)."""
    path = tmp_path / "facts.json"
    path.write_text(f'{{"units": [{{"id": "u", "facts": {{"a": {text}}}}}]}}', encoding="utf-8")
    with pytest.raises(govscore.FactsFileError) as info:
        readers.read_facts(path)
    assert [d.code for d in info.value.diagnostics] == ["GS409"]


@pytest.mark.parametrize("text", ["NaN", "nan", "inf", "-Infinity"])
def test_csv_nan_and_infinity_facts_are_refused(text: str, tmp_path: Path) -> None:
    """Spreadsheet text: NaN and infinity are refused while reading, at their cell (GS409)."""
    path = tmp_path / "facts.csv"
    path.write_text(f"id,a\nu,{text}\nv,5\n", encoding="utf-8")
    with pytest.raises(govscore.FactsFileError) as info:
        readers.read_facts(path)
    (d,) = info.value.diagnostics
    assert d.code == "GS409"
    assert d.span is not None
    assert (d.span.line, d.span.column) == (2, 2)


def test_csv_snan_stays_text_and_is_rejected(tmp_path: Path) -> None:
    """'sNaN' is not read as a number; as text it is the wrong type for that unit only."""
    path = tmp_path / "facts.csv"
    path.write_text("id,a\nu,sNaN\nv,5\n", encoding="utf-8")
    result = govscore.evaluate_all(tiny_plan("a"), readers.read_facts(path))
    assert set(result.results) == {"v"}
    assert [(r.unit, [d.code for d in r.diagnostics]) for r in result.rejected] == [
        ("u", ["GS403"])]


BAD_VALUES = [
    Decimal("NaN"), Decimal("-NaN"), Decimal("sNaN"), Decimal("Infinity"), Decimal("-Infinity"),
    float("nan"), float("inf"), 0.5,  # binary floats are refused too
    Decimal("1E+999999"), Decimal("-1E+999999"), Decimal("1e15"), 10**15, 10**300,
    Decimal("0." + "3" * 40),
]


@pytest.mark.parametrize("value", BAD_VALUES, ids=lambda v: repr(v)[:30] if not isinstance(v, int)
                         else f"int{v.bit_length()}bits")
def test_api_refuses_bad_numbers_per_unit(value: object) -> None:
    """Through the API: the unit with the bad value is rejected with a coded problem, fast, and
    the unit beside it is scored."""
    plan = tiny_plan("a")
    with bounded_work():
        result = govscore.evaluate_all(plan, [unit("bad", a=value), unit("good", a=7)])
    assert set(result.results) == {"good"}
    (rejected,) = result.rejected
    assert rejected.unit == "bad"
    assert {d.code for d in rejected.diagnostics} <= {"GS403", "GS404"}
    with pytest.raises(govscore.FactsError):
        govscore.evaluate(plan, unit("bad", a=value))


@pytest.mark.parametrize("value", [Decimal("1E+999999"), 10**4000, Decimal("9" * 200_000)],
                         ids=["1E+999999", "10**4000", "200000 nines"])
def test_huge_counts_do_not_hang(value: object) -> None:
    """A count is turned into an int only after the bound check: int(Decimal('1E+999999'))
    takes about half a minute, and a facts file can hold many of them."""
    plan = govscore.compile(govscore.load(text="""\
govscore: "1"
id: counts
title: 计数
source: {document: 计数细则}
version: "1"
score:
  id: total_score
  title: 总分
  max: 10
  children:
    - {id: n, title: 次数, max: 10, role: add, rule: {kind: per_occurrence, per: 1}}
"""))
    with bounded_work():
        result = govscore.evaluate_all(plan, [{"id": "u", "facts": {"n": value}}])
    (problem,) = result.rejected[0].diagnostics
    assert problem.code == "GS404"
    # refused by the magnitude check, which reads the exponent (or compares the int) and comes
    # before any int() of the value
    assert f"facts are below {values.MAX_MAGNITUDE:.0e}" in problem.message


def test_int_over_4300_digits_is_rejected_not_raised() -> None:
    plan = tiny_plan("a")
    result = govscore.evaluate_all(plan, [unit("bad", a=10**5000), unit("good", a=7)])
    assert set(result.results) == {"good"}


def test_biggest_accepted_fact_still_scores() -> None:
    plan = tiny_plan("min(a, 100)")
    result = govscore.evaluate_all(plan, [unit("u", a=Decimal("999.999"))])
    assert result.results["u"].total == 100


def test_scheme_nan_is_refused() -> None:
    """A scheme cannot smuggle NaN in either: .nan is ambiguous, and the models refuse it."""
    from .common import tiny

    with pytest.raises(govscore.SchemeError) as info:
        govscore.load(text=tiny("a").replace("max: 1000}", "max: .nan}", 1))
    assert "GS109" in {d.code for d in info.value.diagnostics}


# ------------------------------------------------------------------------------------ ranking

finite = st.decimals(min_value=0, max_value=1000, places=3, allow_nan=False,
                     allow_infinity=False)
poison = st.sampled_from([Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity"),
                          Decimal("-Infinity"), float("nan"), "12", None, True])


@settings(max_examples=40, deadline=None)
@given(st.lists(finite, min_size=1, max_size=12), st.lists(poison, max_size=4), st.randoms())
def test_ranking_is_not_corrupted_by_bad_values(good: list[Decimal], bad: list[object],
                                                 rnd: object) -> None:
    """Units with incomparable values are rejected; the others are ranked exactly as they would
    be without them (ranks follow totals, highest first)."""
    plan = tiny_plan("a / 10")
    clean = [unit(f"g{i}", a=v) for i, v in enumerate(good)]
    mixed = clean + [unit(f"b{i}", a=v) for i, v in enumerate(bad)]
    rnd.shuffle(mixed)  # type: ignore[attr-defined]
    with_bad = govscore.evaluate_all(plan, mixed)
    without = govscore.evaluate_all(plan, clean)
    assert {r.unit for r in with_bad.rejected} == {f"b{i}" for i in range(len(bad))}
    assert set(with_bad.results) == set(without.results) == {u["id"] for u in clean}
    for uid in without.results:
        assert with_bad.results[uid].total == without.results[uid].total
        assert with_bad.results[uid].total.is_finite()
        assert with_bad.placements[uid].rank == without.placements[uid].rank
    ordered = sorted(without.results, key=lambda u: without.placements[u].rank)
    totals = [without.results[u].total for u in ordered]
    assert totals == sorted(totals, reverse=True)


# ----------------------------------------------------------------------------------- rounding

@pytest.mark.parametrize(("value", "expected"), [
    ("2.345", "2.35"),  # half up, once: not 2.34 (binary float 2.345 is 2.34499…)
    ("2.3449", "2.34"),  # once: rounding to 3 places first would give 2.345 and then 2.35
    ("2.3450000000000000000001", "2.35"),
    ("2.344999999999999999999", "2.34"),
    ("0.005", "0.01"),
])
def test_declared_rounding_is_applied_once(value: str, expected: str) -> None:
    """The item is rounded once at the declared places (half_up); the total, already at those
    places, is not rounded again, and the trace shows exactly one rounding step."""
    plan = tiny_plan("a", places=2, rounding="half_up")
    result = govscore.evaluate(plan, unit("u", a=Decimal(value)))
    assert result.total == Decimal(expected)
    assert str(result.total) == expected
    rounds = [s for s in result.trace if s.step == "round"]
    assert len(rounds) == (0 if Decimal(value) == Decimal(expected) else 1)
    assert all(s.rule == "f" for s in rounds)


def test_half_even_is_the_declared_alternative() -> None:
    plan = tiny_plan("a", places=2, rounding="half_even")
    assert govscore.evaluate(plan, unit("u", a=Decimal("2.345"))).total == Decimal("2.34")
    assert govscore.evaluate(plan, unit("u", a=Decimal("2.355"))).total == Decimal("2.36")


def test_thirds_are_rounded_per_item_not_drifting() -> None:
    """Three items of a/3 each round to 0.33 once; the total is their sum 0.99, exactly."""
    from .common import tiny

    extra = "\n".join(f"""\
    - id: t{i}
      title: 三分之一{i}
      max: 1
      rule: {{kind: formula, formula: "b / 3"}}""" for i in range(3))
    text = tiny("0").replace("      max: 100\n", "      max: 97\n", 1) + extra + "\n"
    plan = govscore.compile(govscore.load(text=text))
    result = govscore.evaluate(plan, unit("u", a=0, b=1))
    assert [result.nodes[f"t{i}"].value for i in range(3)] == [Decimal("0.33")] * 3
    assert result.total == Decimal("0.99")
