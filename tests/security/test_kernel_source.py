"""The compiled kernels run generated Python; the promise (docs/security.md) is that no text from
a scheme ever becomes source code. Held here on the source generated for every category of every
shipped scheme, every pattern scheme and a scheme full of hostile ids, titles and numbers: the
source has no string literals, and every name in it is a generated one or one of a fixed set."""

from __future__ import annotations

import io
import keyword
import re
import tokenize
from pathlib import Path

import pytest

import govscore
from govscore import api

ROOT = Path(__file__).resolve().parents[2]
SCHEMES = sorted(p for p in [*(ROOT / "schemes").glob("*.yaml"),
                             *(ROOT / "tests/patterns").glob("*.yaml")]
                 if not p.name.endswith(".test.yaml"))

GENERATED = re.compile(r"^(?:[xvrckey]\d+|kernel|f|v|b|t|ceiling|s|n|U|G|H)$")  # k/e/y: a memo
HELPERS = {"MISSING", "BAIL", "ZERO", "Decimal", "NAV", "TS", "NEW", "X", "T", "I", "D",
           "max", "str", "int", "bool", "len", "tuple", "KeyError", "issuperset", "get", "append", "quantize",
           "is_finite", "to_integral_value", "__class__"}


def _check_source(source: str) -> None:
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.STRING:
            pytest.fail(f"string literal in generated source: {token.string!r}")
        if token.type == tokenize.NAME and not keyword.iskeyword(token.string):
            assert GENERATED.match(token.string) or token.string in HELPERS, token.string
        if token.type == tokenize.NUMBER:
            assert re.fullmatch(r"[01]", token.string), token.string  # only 0 and 1 are written
        if token.type == tokenize.COMMENT:
            pytest.fail(f"comment in generated source: {token.string!r}")


@pytest.mark.parametrize("path", SCHEMES, ids=[p.stem for p in SCHEMES])
def test_generated_source_holds_no_scheme_text(path: Path) -> None:
    plan = govscore.compile(path)
    if plan.kernels is None:
        pytest.skip("population scheme: no kernel")
    for kernel in plan.kernels.values():
        _check_source(kernel.source)


HOSTILE = '''
govscore: "1"
id: hostile
title: "__import__('os').system('echo pwned') \\" ''' + "'''" + '''"
source: {document: "x\\nimport os"}
version: "1"
inputs: [{id: "os_system", title: "\\"); import os; (\\"", type: flag, default: false}]
score:
  id: total_score
  title: "{__class__}"
  children:
    - {id: "a__import__", title: "')); exec('1", max: 10, rule: {kind: rate}}
    - id: b
      title: "\\\\' + open('/etc/passwd').read() + '"
      cap: 3
      children:
        - {id: "eval", title: "#", max: 5, rule: {kind: per_occurrence, per: 0.5},
           modifiers: [{kind: requires, input: os_system}]}
'''


def test_hostile_titles_and_ids_stay_constants() -> None:
    plan = govscore.compile(govscore.load(text=HOSTILE))
    assert plan.kernels is not None
    source = plan.kernels[None].source
    _check_source(source)
    for word in ("import", "exec", "open", "passwd", "eval", "os_system", "__import__"):
        assert word not in source
    unit = {"id": "u", "facts": {"a__import__": 1, "eval": 10, "os_system": True}}
    assert api._fast(plan, unit) is not None  # the kernel itself scores it
    result = govscore.evaluate(plan, unit)
    # 10 × 1 = 10; 0.5 × 10 = 5, within the item max 5, then the group cap 3: 10 + 3 = 13
    assert result.total == 13
