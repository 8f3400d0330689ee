"""Items and groups for named units only (``units``, issue 11 point 7): a 湖长制 item for the
one town with a lake; 31 departments each with its own 60-point part beside a common 40-point
block. Lowering makes one program per distinct set of named-unit scopes (a profile), so the
interpreter, the kernels and the columns score named units with no arithmetic of their own;
these tests hold that, the checks' messages, the explanation and the template. Numbers are
worked by hand from the clauses quoted in tests/language_v2/v2-units*.yaml."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import govscore
from govscore import api, testing
from govscore.engine import interpreter
from govscore.engine.plan import Plan
from govscore.engine.results import UnitResult
from govscore.inputs import template

ROOT = Path(__file__).resolve().parents[2]
V2 = ROOT / "tests" / "language_v2"
SHIPPED = sorted((ROOT / "schemes").glob("*.yaml"))


def _plan(path: Path) -> Plan:
    return govscore.compile(govscore.load(path))


def _text_plan(text: str) -> Plan:
    return govscore.compile(govscore.load(text=text, name="units.yaml"))


def _problems(text: str) -> list[govscore.Diagnostic]:
    try:
        plan = _text_plan(text)
    except govscore.SchemeError as exc:
        return list(exc.diagnostics)
    return list(plan.loaded.warnings)


def _both_back_ends(plan: Plan, entry: dict[str, Any]) -> tuple[UnitResult, UnitResult]:
    """The unit scored by its profile's kernel and by the interpreter."""
    fast = api._fast(plan, entry)
    assert fast is not None, f"the kernel did not take {entry['id']}"
    checked, problems = api.prepare(plan, entry)
    assert checked is not None, problems
    return fast[0], interpreter.evaluate_unit(plan, checked)


# --- 31 departments, each with its own 60-point part ------------------------------------------

DEPARTMENTS = [f"部门{k:02d}" for k in range(1, 32)]


def _thirty_one() -> str:
    """The county table of issue 11: 31 departments, 共性指标 40 for all, 个性指标 60 each."""
    parts = "".join(
        f"        - {{id: own{k:02d}, title: {name}重点任务, max: 60, units: [{name}], "
        f"rule: {{kind: manual, min: 0, max: 60}}}}\n"
        for k, name in enumerate(DEPARTMENTS, start=1))
    return f"""govscore: "2"
id: thirty-one
title: 县直部门河长制工作考核
source: {{document: 某县河长制工作考核细则}}
version: "1"
categories:
  - {{id: dept, title: 县直部门, members: [{", ".join(DEPARTMENTS)}]}}
score:
  id: overall
  title: 总分
  max: 100
  children:
    - {{id: common, title: 共性指标, max: 40, rule: {{kind: manual, min: 0, max: 40}}}}
    - id: own
      title: 个性指标
      max: 60
      children:
{parts}"""


def test_thirty_one_departments_each_have_their_own_part_and_the_common_block():
    plan = _text_plan(_thirty_one())
    assert plan.loaded.warnings == ()  # every listed department is named: nothing left out
    # one profile per department, and the category's plain one (a department nobody named)
    assert len(plan.programs) == 32
    assert len({plan.profile("dept", d) for d in DEPARTMENTS}) == 31
    entries = [{"id": name, "facts": {"common": 30, f"own{k:02d}": k}}
               for k, name in enumerate(DEPARTMENTS, start=1)]
    for k, entry in enumerate(entries, start=1):
        fast, slow = _both_back_ends(plan, entry)
        # 共性 30 of 40 + its own part k of 60; no other department's part is in its result
        assert fast.total == slow.total == Decimal(30 + k)
        assert fast.nodes["own"].value == slow.nodes["own"].value == Decimal(k)
        assert sorted(slow.nodes) == sorted(["overall", "common", "own", f"own{k:02d}"])
        assert fast.to_dict() == slow.to_dict()
    assessment = govscore.evaluate_all(plan, entries)
    assert not assessment.rejected
    assert {u: r.total for u, r in assessment.results.items()} == {
        name: Decimal(30 + k) for k, name in enumerate(DEPARTMENTS, start=1)}
    assert assessment.placements["部门31"].rank == 1  # 30 + 31 = 61, the highest


def test_the_columns_take_named_units_with_their_own_profile():
    pytest.importorskip("numpy")
    plan = _plan(V2 / "v2-units.yaml")
    programs = plan.columns()
    assert programs is not None
    # the lake counties' profile has item 7, the plain one does not
    lake = plan.profile("county", "都昌县")
    assert lake != "county"
    assert lake in programs
    assert "poyang" in {p.node.id for p in programs[lake].programs}
    assert "poyang" not in {p.node.id for p in programs["county"].programs}
    assert programs[lake].category == "county"  # the category the tail sees, not the key
    entries = [{"id": f"off{i}", "category": "county",
                "facts": {"organisation": 1, "supervision": 3, "regulations": 2, "audit": 2,
                          "groundwork": 1, "publicity": 4}} for i in range(300)]
    entries += [{"id": "都昌县", "facts": {"organisation": 1, "supervision": Decimal("2.5"),
                                        "regulations": 2, "audit": Decimal("1.5"),
                                        "groundwork": 1, "publicity": 3,
                                        "poyang": Decimal("2.5")}}]
    assert len(entries) >= api.COLUMNS_FROM  # a batch the columns take
    assessment = govscore.evaluate_all(plan, entries)
    assert not assessment.rejected
    # off the lake: 13 of 13, × 16/13 = 16; 都昌县: 13.5 of 16, × 16/16
    assert assessment.results["off0"].total == Decimal("16.00")
    assert assessment.results["都昌县"].total == Decimal("13.50")
    assert type(assessment.results["都昌县"]).__name__ == "DeferredResult"  # taken by columns
    assert assessment.results["都昌县"].nodes["poyang"].value == Decimal("2.5")


def test_language_v1_schemes_lower_to_one_program_per_category_as_before():
    for path in SHIPPED:
        plan = _plan(path)
        cats = [c.id for c in plan.scheme.categories] or [None]
        assert list(plan.programs) == cats, path.name
        assert plan.profile_of == {}
        assert all(not p.without and not p.units for p in plan.profiles.values())


# --- the 湖长制 item for the one town with a lake ---------------------------------------------

LAKE = """govscore: "2"
id: lake
title: 乡镇河长制工作考核(节选)
source: {document: 某县河长制工作考核细则}
version: "1"
categories:
  - {id: town, title: 乡镇, members: [东湖镇, 西山镇]}
score:
  id: overall
  title: 总分
  children:
    - id: rivers
      title: 河长制
      not_applicable: rescale
      children:
        - {id: patrol, title: 巡河, max: 10, rule: {kind: manual, min: 0, max: 10}}
        - id: lake
          title: 湖长制
          units: [东湖镇]
          children:
            - {id: lake_patrol, title: 巡湖, max: 6, rule: {kind: manual, min: 0, max: 6}}
            - {id: lake_fixing, title: 湖泊问题整改, max: 4, optional: true,
               rule: {kind: manual, min: 0, max: 4}}
"""


def test_a_group_for_one_unit_is_inherited_and_rescales_only_for_that_unit():
    plan = _text_plan(LAKE)
    # 东湖镇: 巡河 8; 湖长制 has 巡湖 5 and 问题整改 not applicable (no problem assigned), so
    # 河长制 adds 8 + 5 = 13 of the 16 that apply (10 + 6) and rescales to its full 20:
    # 13 × 20 / 16 = 16.25
    east = {"id": "东湖镇", "facts": {"patrol": 8, "lake_patrol": 5,
                                    "lake_fixing": {"not_applicable": "本年无交办问题"}}}
    checked, problems = api.prepare(plan, east)
    assert checked is not None, problems
    result = interpreter.evaluate_unit(plan, checked)
    assert result.nodes["rivers"].value == Decimal("16.25")
    assert result.total == Decimal("16.25")
    # 西山镇 has no 湖长制: 河长制 is 巡河 alone, full marks 10, nothing to rescale: 9
    fast, slow = _both_back_ends(plan, {"id": "西山镇", "facts": {"patrol": 9}})
    assert fast.total == slow.total == Decimal("9.00")
    assert "lake" not in slow.nodes
    assert "lake_patrol" not in slow.nodes


def test_a_fact_for_another_unit_is_refused_naming_whose_item_it_is():
    plan = _text_plan(LAKE)
    _, problems = api.prepare(plan, {"id": "西山镇", "facts": {"patrol": 9, "lake_patrol": 3}})
    assert [(d.code, d.message) for d in problems] == [
        ("GS401", "fact 'lake_patrol' does not apply to this unit: its item is for '东湖镇' only")]


def test_a_unit_the_scheme_does_not_list_gets_a_profile_in_each_category_naming_it():
    text = LAKE.replace("  - {id: town, title: 乡镇, members: [东湖镇, 西山镇]}",
                        "  - {id: town, title: 乡镇}\n  - {id: lake_area, title: 湖区}")
    plan = _text_plan(text)
    # 东湖镇 is not listed: it has the 湖长制 part whichever category its facts give
    assert plan.profile("town", "东湖镇") != "town"
    assert plan.profile("lake_area", "东湖镇") != "lake_area"
    assert plan.profile("town", "西山镇") == "town"
    assert plan.loaded.warnings == ()  # no roster: the units lists are not checked


# --- the messages ------------------------------------------------------------------------------

def test_an_unknown_unit_name_is_refused_with_the_closest_roster_name():
    found = _problems(LAKE.replace("units: [东湖镇]", "units: [东胡镇]"))
    assert [(d.code, d.span and (d.span.line, d.span.column), d.message, d.hint)
            for d in found] == [
        ("GS341", (19, 19), "unit '东胡镇' of 'lake' is not on the scheme's roster (the members "
         "its categories and tiers list)", "did you mean '东湖镇'?")]
    assert found[0].path == ("score", "children", 0, "children", 1, "units", 0)


def test_an_output_formula_reading_a_named_units_node_is_refused():
    text = LAKE + """outputs:
  - {id: lake_pay, title: 湖长补助, kind: formula, formula: "lake * 100"}
"""
    found = _problems(text)
    assert [(d.code, d.message) for d in found] == [
        ("GS345", "unknown name 'lake' for every unit no units list names: its units leave the "
         "node out")]
    assert found[0].path == ("outputs", 0, "formula")


# --- the explanation and the template ---------------------------------------------------------

OFF_LAKE = {"id": "修水县", "facts": {"organisation": 1, "supervision": 3, "regulations": 2,
                                   "audit": 2, "groundwork": 1, "publicity": 4}}


def test_the_sheet_says_why_an_item_does_not_apply_to_a_unit():
    plan = _plan(V2 / "v2-units.yaml")
    assessment = govscore.evaluate_all(plan, [OFF_LAKE])
    text = govscore.explain(assessment, "修水县", plan=plan)
    # the item's line, in its place (item 7), with why 修水县 has no score for it
    assert "[7 鄱阳湖生态环境专项整治日常工作 3]  分值 3  ⇒ (不适用)\n" \
        "        · 本项仅适用于 湖口县、都昌县\n总分 16.00" in text
    english = govscore.explain(assessment, "修水县", lang="en", plan=plan)
    assert "· applies only to 湖口县, 都昌县" in english


def test_a_departments_sheet_does_not_list_the_other_departments_parts():
    plan = _plan(V2 / "v2-unit-profiles.yaml")
    entry = {"id": "水利局", "facts": {"meetings": 8, "reports": 9, "follow_up": 18,
                                    "boundaries": 25, "sand_plan": 28}}
    text = govscore.explain(govscore.evaluate_all(plan, [entry]), "水利局", plan=plan)
    assert "水利局重点任务" in text
    assert "生态环境局重点任务" not in text
    assert "公安局重点任务" not in text


def test_a_units_template_lists_only_the_facts_of_items_that_apply_to_it():
    plan = _plan(V2 / "v2-units.yaml")
    off = template.build(plan, unit="修水县")
    on = template.build(plan, unit="都昌县")
    assert [c.name for c in off.columns] == ["organisation", "supervision", "regulations",
                                             "audit", "groundwork", "publicity"]
    assert [c.name for c in on.columns][-1] == "poyang"
    assert off.units == [("修水县", "county", None)]
    whole = template.build(plan)
    (poyang,) = [c for c in whole.columns if c.name == "poyang"]
    assert poyang.units == frozenset({"都昌县", "湖口县"})
    assert poyang.hint.endswith("; 仅适用于 湖口县、都昌县")


def test_the_workbook_greys_a_named_units_cell_for_other_units():
    openpyxl = pytest.importorskip("openpyxl")
    plan = _plan(V2 / "v2-units.yaml")
    book = openpyxl.load_workbook(io.BytesIO(template.render(plan)))
    sheet = book["事实"]
    header = [c.value for c in sheet[1]]
    column = header.index("poyang") + 1
    fills = {sheet.cell(row, 1).value: sheet.cell(row, column).fill.fgColor.rgb
             for row in range(3, 7)}
    assert fills["修水县"] == fills["武宁县"] == "00D9D9D9"  # grey: not theirs
    assert fills["都昌县"] != "00D9D9D9"
    assert fills["湖口县"] != "00D9D9D9"


def test_an_item_for_every_unit_ranking_a_named_units_node_is_refused():
    # "湖长制 之排名" for every town, over an item only the lake towns have: the other towns
    # would have nothing to be ranked by. Give the rank item the same units.
    rank = """    - {id: lake_rank, title: 湖长制排名, max: 5, rule: {kind: rank_points, of: lake, step: 1}}
"""
    found = _problems(LAKE + rank)
    assert [(d.code, d.message, d.hint) for d in found] == [
        ("GS345", "'lake_rank' ranks 'lake', which is left out for every unit no units list "
         "names (by units)", "give 'lake_rank' the same units, or read a node every unit has")]
    named = rank.replace("max: 5,", "max: 5, units: [东湖镇],")
    assert _problems(LAKE + named) == []


def test_the_template_command_writes_one_units_sheet(tmp_path: Path):
    from govscore import cli

    out, err = io.StringIO(), io.StringIO()
    target = tmp_path / "修水县.csv"
    code = cli.run(["template", str(V2 / "v2-units.yaml"), "--unit", "修水县", "-o",
                    str(target)], out, err)
    assert code == 0, err.getvalue()
    header = target.read_text(encoding="utf-8-sig").splitlines()[0]
    assert header == "id,category,organisation,supervision,regulations,audit,groundwork,publicity"


def test_the_printed_scheme_says_which_units_an_item_is_for():
    from govscore.views import scheme_doc

    md = scheme_doc.render_markdown(govscore.load(V2 / "v2-units.yaml").scheme)
    (line,) = [row for row in md.splitlines() if "鄱阳湖生态环境专项整治日常工作 |" in row]
    assert "最高 3 分; 仅适用于 都昌县、湖口县" in line
    md = scheme_doc.render_markdown(govscore.load(V2 / "v2-unit-profiles.yaml").scheme)
    assert "| \u3000公安局重点任务 | 60 | 仅适用于 公安局 |" in md


TWO_COUNTIES = [
    {"id": "都昌县", "facts": {"organisation": 1, "supervision": Decimal("2.5"), "regulations": 2,
                            "audit": Decimal("1.5"), "groundwork": 1, "publicity": 3,
                            "poyang": Decimal("2.5")}},
    OFF_LAKE,
]


def test_the_contract_checks_who_has_a_named_units_node(monkeypatch: pytest.MonkeyPatch):
    plan = _plan(V2 / "v2-units.yaml")
    assert testing.violations(plan, TWO_COUNTIES, monotonicity=False) == []
    # a lowering that forgot the named units' profile: 都昌县 scored without its item 7
    monkeypatch.setattr(type(plan), "profile", lambda self, category, unit: category)
    assert testing.violations(plan, TWO_COUNTIES, monotonicity=False) == [
        "都昌县: poyang names it, yet is not in its result"]
