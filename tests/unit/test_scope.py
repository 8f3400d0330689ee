"""Scope beyond categories (issue 11 point 7): a group's ``requires`` for every item under it and
a veto limited by ``applies_to`` — their checks, on small schemes; the numbers are in
tests/patterns/p13-evidence-group.test.yaml."""

from __future__ import annotations

import pytest

import govscore
from govscore.scheme.loader import parse_scheme
from tests.helpers import D

BASE = """
govscore: "2"
id: scope
title: 范围
source: {document: 某县河长制工作考核细则}
version: "1"
categories:
  - {id: town, title: 乡镇}
  - {id: dept, title: 县直部门}
inputs:
  - {id: material, title: 已提供书面材料, type: flag}
  - {id: lake, title: 湖长未履职, type: flag, default: false, applies_to: [town]}
  - {id: visits, title: 巡湖次数, type: count, default: 0}
score:
  id: overall
  title: 总分
  children:
    - id: bonus
      title: 加分
      requires: material
      children:
        - {id: honours, title: 表彰, max: 3, rule: {kind: per_occurrence, per: 1}}
vetoes:
  - id: lake_veto
    title: 湖长未履职
    applies_to: [town]
    when: {input: lake}
    effect: no_award
"""


def _codes(text: str) -> list[tuple[str, tuple[str | int, ...]]]:
    found = parse_scheme(text.encode(), "scope.yaml")[1]
    return [(d.code, d.path) for d in sorted(found, key=govscore.Diagnostic.sort_key)]


def test_the_base_scheme_is_clean() -> None:
    assert _codes(BASE) == []


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("requires: material", "requires: materail",
     [("GS305", ("score", "children", 0, "requires"))]),
    ("requires: material", "requires: visits",
     [("GS305", ("score", "children", 0, "requires"))]),
    ("requires: material", "requires: lake",   # lake is for towns; the group is for everyone
     [("GS317", ("score", "children", 0, "requires"))]),
    ("applies_to: [town]\n    when", "applies_to: [towns]\n    when",
     [("GS305", ("vetoes", 0, "applies_to", 0))]),
    ("applies_to: [town]\n    when", "when",   # the veto reads lake, which towns alone have
     [("GS317", ("vetoes", 0, "when", "input"))]),
])
def test_what_scope_names_is_checked(old: str, new: str,
                                     expected: list[tuple[str, tuple[str | int, ...]]]) -> None:
    assert old in BASE
    assert _codes(BASE.replace(old, new)) == expected


def test_a_veto_for_towns_is_not_looked_at_for_departments() -> None:
    """The department's facts carry no lake flag at all; it is scored and keeps its eligibility;
    the town with the flag loses it. Both ways: the kernel and the interpreter."""
    plan = govscore.compile(govscore.load(text=BASE, name="scope.yaml"))
    units = [{"id": "东湖镇", "category": "town",
              "facts": {"material": True, "honours": 2, "lake": True}},
             {"id": "水利局", "category": "dept", "facts": {"material": False, "honours": 2}}]
    result = govscore.evaluate_all(plan, units)
    town, dept = result.results["东湖镇"], result.results["水利局"]
    assert (town.total, town.vetoes) == (D(2), ("lake_veto",))
    # 未提供书面材料的该项不得分: 2 × 1 = 2 → 0
    assert (dept.total, dept.vetoes, dept.ineligible) == (D(0), (), ())
    one = govscore.evaluate(plan, units[1])
    assert (one.total, one.vetoes) == (D(0), ())
