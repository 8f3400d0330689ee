"""A finding about a group's maximum is said once when every profile (category, named units)
finds the same, and per profile, naming it, only where the figures differ."""

from __future__ import annotations

from pathlib import Path

import govscore

ALL_V2 = Path(__file__).resolve().parents[2] / "tests" / "language_v2" / "v2-all-keys.yaml"

SCHEME = """govscore: "2"
id: once
title: 一次
source: {document: 测试细则}
version: "1"
categories:
  - {id: town, title: 乡镇}
  - {id: dept, title: 部门}
score:
  id: root
  title: 总分
  children:
    - id: part
      title: 基础工作
      published_max: 10
      children:
        - {id: a, title: 甲, max: 4, rule: {kind: pass_fail}}
        - {id: b, title: 乙, max: 4, applies_to: [town], rule: {kind: pass_fail}}
"""


def _gs332(text: str, name: str) -> list[str]:
    loaded = govscore.load(text=text, name=name)  # loads: GS332 is a warning
    return [d.message for d in loaded.warnings if d.code == "GS332"]


def test_the_same_finding_for_every_profile_is_said_once_without_a_label() -> None:
    # 'base' is published as 40; its children 12 + 2 + 6 + 5 = 25 for both categories and for
    # the two named lake towns alike: four profiles, one finding.
    said = _gs332(ALL_V2.read_text(encoding="utf-8"), "all.yaml")
    assert said == ["'base' is published as 40 but its children give 12 + 2 + 6 + 5 = 25; "
                    "25 governs the score"]


def test_findings_that_differ_by_category_name_the_category() -> None:
    # town: 4 + 4 = 8; dept (乙 applies to towns only): 4
    said = _gs332(SCHEME, "once.yaml")
    assert said == [
        "'part' is published as 10 but its children give 4 + 4 = 8 for category 'town'; "
        "8 governs the score",
        "'part' is published as 10 but its children give 4 = 4 for category 'dept'; "
        "4 governs the score"]
