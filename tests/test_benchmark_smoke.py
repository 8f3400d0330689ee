"""Smoke test of benchmarks/run.py: a quick run on a few units must agree to the cent.

No timing is asserted; the numbers of a quick run mean nothing.
"""

from __future__ import annotations

import importlib.util
import sys
from decimal import Decimal
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.fixture(scope="module")
def bench():
    sys.path.insert(0, str(BENCH))
    try:
        import bench_workload
        import run

        yield run, bench_workload
    finally:
        sys.path.remove(str(BENCH))


def test_reference_scheme_is_valid():
    import govscore

    plan = govscore.compile(BENCH / "reference.yaml")
    assert len(plan.specs) == 20


def test_every_evaluator_agrees_to_the_cent(bench):
    run, wl = bench
    units = wl.make_units(60)
    with_zen = importlib.util.find_spec("zen") is not None
    evaluators, skipped = run.evaluators(with_zen)
    assert (skipped is None) == with_zen
    rows = run.measure_all(evaluators, units, 1, warmup=5)  # raises Disagreement
    names = [row.name for row in rows]
    assert names[0].startswith("hand-written Decimal")
    assert any(n.startswith("govscore.evaluate_all") for n in names)
    if not with_zen:
        pytest.skip("zen-engine is not installed; its part was left out "
                    "(pip install -e '.[bench]')")
    assert any(n.startswith("zen ") for n in names)


def test_disagreement_is_loud(bench):
    run, wl = bench
    units = wl.make_units(3)
    good = [wl.baseline_decimal(u["facts"]) for u in units]
    bad = [*good[:2], good[2] + Decimal("0.01")]
    with pytest.raises(run.Disagreement, match=r"1 of 3 units: u000002"):
        run.check_agreement("x", units, good, bad)


def test_quick_run(bench, capsys):
    run, _wl = bench
    assert run.main(["--quick", "--no-zen", "--units", "40", "--big-units", "30"]) == 0
    out = capsys.readouterr().out
    assert "## Reference workload" in out
    assert "agrees to the cent" in out


def test_zen_is_skipped_cleanly_when_absent(bench, monkeypatch):
    run, _wl = bench
    monkeypatch.setitem(sys.modules, "zen", None)  # import zen → ImportError
    evaluators, skipped = run.evaluators(True)
    assert skipped is not None
    assert "not installed" in skipped
    assert not any(ev.name.startswith("zen ") for ev in evaluators)
