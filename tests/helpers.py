"""Small builders for tests: a scheme from a YAML fragment, one unit's facts in, a result out."""

from __future__ import annotations

import textwrap
from decimal import Decimal
from typing import Any

import govscore
from govscore.engine.plan import Plan

HEADER = """\
govscore: "2"
id: t
title: 测试
source: {document: 测试细则}
version: "1"
"""


def plan_from(children: str, extra: str = "", root: str = "") -> Plan:
    """A plan whose root group (id ``root``) has the given children (YAML list items)."""
    body = textwrap.indent(textwrap.dedent(children).strip("\n"), "    ")
    text = (HEADER + textwrap.dedent(extra).strip("\n") + "\nscore:\n  id: root\n  title: 总分\n"
            + textwrap.indent(textwrap.dedent(root).strip("\n"), "  ")
            + ("\n" if root.strip() else "") + "  children:\n" + body + "\n")
    return govscore.compile(govscore.load(text=text, name="test.yaml"))


def score(plan: Plan, facts: dict[str, Any], unit: str = "u", **entry: Any) -> govscore.UnitResult:
    return govscore.evaluate(plan, {"id": unit, "facts": facts, **entry})


def D(text: str | int) -> Decimal:  # noqa: N802 - reads like a literal
    return Decimal(text)
