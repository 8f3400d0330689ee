"""Shared pieces of the security tests: a tiny scheme, the shipped schemes, and checks that an
outcome is one of govscore's own (coded) errors."""

from __future__ import annotations

import json
import time
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

HANG = 5.0
"""Seconds after which an input counts as a hang. Loose on purpose: it catches hangs, not
slowness (real figures are in docs/security.md)."""


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


@contextmanager
def within(seconds: float = HANG) -> Iterator[None]:
    """Fail if the block took longer than ``seconds`` (a hang guard, not a benchmark)."""
    start = time.perf_counter()
    yield
    took = time.perf_counter() - start
    assert took < seconds, f"took {took:.1f} s"
