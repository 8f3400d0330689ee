"""Shared pieces of the security tests: a tiny scheme, the shipped schemes, and checks that an
outcome is one of govscore's own (coded) errors."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import govscore
from govscore.engine.plan import Plan

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted(p for p in (ROOT / "schemes").glob("*.yaml") if not p.name.endswith(".test.yaml"))
PATTERNS = sorted(p for p in (ROOT / "tests" / "patterns").glob("*.yaml")
                  if not p.name.endswith(".test.yaml"))

CALLS = 200_000
"""Function calls (Python and built-in) after which the handling of one hostile input counts as
runaway work. A count, not seconds: the same input makes the same calls on a fast or a loaded
machine. Loose on purpose (every input here takes well under a tenth of it, first-use imports
included): it catches work that grows with the input (a loop per character, a recursion per
node, an alias expanded again and again), not slowness (real figures are in docs/security.md)."""


def tiny(formula: str = "a", *, places: int = 2, rounding: str = "half_up",
         extra: str = "") -> str:
    """A small valid scheme: inputs a, b (numbers 0..1000), flag p, one formula item f."""
    return f"""\
govscore: "1"
id: tiny
title: 安全测试
source: {{document: 安全测试细则}}
version: "1"
precision: {{places: {places}, rounding: {rounding}}}
inputs:
  - {{id: a, title: A, type: number, min: 0, max: 1000}}
  - {{id: b, title: B, type: number, min: 0, max: 1000, default: 1}}
  - {{id: p, title: P, type: flag, default: false}}
score:
  id: total_score
  title: 总分
  max: 100
  children:
    - id: f
      title: 公式项
      max: 100
      rule: {{kind: formula, formula: {json.dumps(formula, ensure_ascii=False)}}}
{extra}"""


def tiny_plan(formula: str = "a", **kwargs: Any) -> Plan:
    return govscore.compile(govscore.load(text=tiny(formula, **kwargs), name="tiny.yaml"))


def unit(uid: str, **facts: Any) -> dict[str, Any]:
    return {"id": uid, "facts": facts}


def assert_coded(diagnostics: list[govscore.Diagnostic]) -> None:
    """Every diagnostic carries a catalogued code."""
    assert diagnostics
    for d in diagnostics:
        assert d.code in govscore.CODES, d


def only_govscore_errors(fn: Callable[[], Any]) -> Any:
    """Call fn; a GovscoreError is fine (its diagnostics must be coded), anything else fails."""
    caught: govscore.GovscoreError | None = None
    try:
        return fn()
    except govscore.GovscoreError as exc:
        caught = exc
    assert_error_coded(caught)
    return None


def assert_error_coded(exc: govscore.GovscoreError) -> None:
    diagnostics = getattr(exc, "diagnostics", None)
    if diagnostics is not None:
        assert_coded(diagnostics)
    else:
        assert getattr(exc, "code", None) in govscore.CODES, exc


class Work:
    """What :func:`bounded_work` counted: ``calls``, Python functions and built-ins entered."""

    calls = 0


@contextmanager
def bounded_work(calls: int = CALLS) -> Iterator[Work]:
    """Fail if the block entered more than ``calls`` functions (Python or built-in), counted with
    a profile hook: a bound on work, not on seconds. One slow built-in call (int() of a huge
    Decimal, a regular expression on a long line) counts once, so the tests that guard against
    those also assert the size check that keeps such a call from happening."""
    work = Work()

    def count(_frame: object, event: str, _arg: object) -> None:
        if event in ("call", "c_call"):
            work.calls += 1

    previous = sys.getprofile()
    sys.setprofile(count)
    try:
        yield work
    finally:
        sys.setprofile(previous)
    assert work.calls <= calls, f"{work.calls} calls (bound {calls})"
