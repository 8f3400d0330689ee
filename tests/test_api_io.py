"""The public API for the whole job: govscore.read_facts (every facts format, several files
merged) and govscore.write_report (every output format), as the command line uses them."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

import govscore
from tests.helpers import plan_from

ROOT = Path(__file__).resolve().parents[1]

TWO_ITEMS = """
    - {id: a, title: 甲项, max: 5, rule: {kind: manual, min: 0, max: 5}}
    - {id: b, title: 乙项, max: 5, rule: {kind: manual, min: 0, max: 5}}
"""


def test_facts_from_several_files_are_merged_per_unit(tmp_path: Path) -> None:
    # one office fills a, another b: U1 = 3 + 4 = 7, U2 = 1 + 0.5 = 1.5
    (tmp_path / "one.csv").write_text("id,a\nU1,3\nU2,1\n", encoding="utf-8")
    (tmp_path / "two.yaml").write_text("units:\n  - {id: U1, facts: {b: 4}}\n"
                                       "  - {id: U2, facts: {b: 0.5}}\n", encoding="utf-8")
    units = govscore.read_facts(tmp_path / "one.csv", str(tmp_path / "two.yaml"))
    plan = plan_from(TWO_ITEMS)
    assessment = govscore.evaluate_all(plan, units)
    assert {u: r.total for u, r in assessment.results.items()} == {
        "U1": Decimal("7.00"), "U2": Decimal("1.50")}


def test_two_files_that_disagree_are_refused_naming_both(tmp_path: Path) -> None:
    (tmp_path / "one.csv").write_text("id,a\nU1,3\n", encoding="utf-8")
    (tmp_path / "two.csv").write_text("id,a\nU1,4\n", encoding="utf-8")
    with pytest.raises(govscore.FactsFileError) as exc:
        govscore.read_facts(tmp_path / "one.csv", tmp_path / "two.csv")
    [problem] = exc.value.diagnostics
    assert problem.code == "GS410"
    assert "one.csv" in str(problem)
    assert "two.csv" in str(problem)


def test_a_gb18030_file_is_read_and_announced(tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes("id,a\n锦江区,3\n".encode("gb18030"))
    guessed: list[str] = []
    units = govscore.read_facts(path, on_guess=guessed.append)
    assert units == [{"id": "锦江区", "facts": {"a": Decimal(3)}}]
    assert guessed == [str(path)]


def test_read_facts_needs_a_file() -> None:
    with pytest.raises(govscore.UsageError):
        govscore.read_facts()


def test_every_output_format_is_written(tmp_path: Path) -> None:
    plan = plan_from(TWO_ITEMS)
    assessment = govscore.evaluate_all(plan, [{"id": "U1", "facts": {"a": 3, "b": 4}}])
    for suffix in (".json", ".csv", ".html", ".xlsx", ".txt"):
        govscore.write_report(assessment, plan, tmp_path / f"out{suffix}")
        assert (tmp_path / f"out{suffix}").stat().st_size > 0
    data = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    [result] = data["results"]
    assert (result["unit"], result["total"]) == ("U1", "7.00")
    with pytest.raises(govscore.UsageError) as exc:
        govscore.write_report(assessment, plan, tmp_path / "out.pdf")
    assert exc.value.code == "GS701"
    assert not (tmp_path / "out.pdf").exists()


@pytest.mark.parametrize("name", ["s3-chengdu", "s2-county"])  # s2: scopes not in id order
def test_the_text_report_is_the_table_the_cli_prints(tmp_path: Path, name: str) -> None:
    """write_report(..., 'x.txt') writes what `govscore score` prints without -o, byte for byte
    (both call the one table view, with the plan: scopes in the scheme's order)."""
    from io import StringIO

    from govscore import cli

    scheme, facts = ROOT / "schemes" / f"{name}.yaml", ROOT / "examples" / f"{name}.facts.yaml"
    out, err = StringIO(), StringIO()
    assert cli.run(["score", str(scheme), str(facts)], out, err) == 0, err.getvalue()
    plan = govscore.compile(scheme)
    govscore.write_report(govscore.evaluate_all(plan, govscore.read_facts(facts)), plan,
                          tmp_path / "table.txt")
    written = (tmp_path / "table.txt").read_text(encoding="utf-8")
    assert written == out.getvalue()
    if name != "s3-chengdu":
        return
    # 高新区: 70 + 23.5 − 5 = 88.5 (worked in examples/s3-chengdu.facts.yaml's header)
    assert any("高新区" in line and "88.5" in line for line in written.splitlines())
