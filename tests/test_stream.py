"""govscore score --stream: a wide CSV scored row by row gives the rows `score -o x.csv` gives
(in input order rather than ranked), rejects what evaluate_all rejects, and never leaves half a
report."""

from __future__ import annotations

import csv
import io
import os
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest

import govscore
from govscore import stream
from govscore.cli import run
from govscore.errors import FactsFileError, UsageError, whole_population_error
from govscore.inputs import readers
from govscore.language import model

ROOT = Path(__file__).resolve().parents[1]
SCHEMES = sorted(p for p in (ROOT / "schemes").glob("*.yaml"))


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    code = run(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def wide_csv(plan: Any, units: list[dict[str, Any]]) -> str:
    """Unit entries as a wide CSV: a fact's mapping takes one column per key. An empty by_level
    mapping (nothing at any level) is written as 0 at its first level, which means the same;
    list facts (series, checklist, rater_groups) have no cell form and are left out (such units
    are then rejected for a missing fact, by both ways of scoring alike)."""
    columns: dict[str, None] = {"id": None}
    rows = []
    for unit in units:
        row = {"id": unit["id"]}
        for key in ("category", "tier"):
            if key in unit:
                row[key] = unit[key]
        for name, value in unit["facts"].items():
            if isinstance(value, dict):
                spec = plan.specs.get(name)
                rule = spec.item.rule if spec is not None and spec.item is not None else None
                keyed = {next(iter(rule.levels)): 0} \
                    if not value and isinstance(rule, model.ByLevel) else value
                for key, inner in keyed.items():
                    if not isinstance(inner, (list, dict)):
                        row[f"{name}.{key}"] = _cell(inner)
            elif not isinstance(value, list):
                row[name] = _cell(value)
        columns.update(dict.fromkeys(row))
        rows.append(row)
    out = io.StringIO()
    writer = csv.DictWriter(out, list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def rows_of(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


@pytest.mark.parametrize("scheme", SCHEMES, ids=lambda p: p.stem)
def test_streamed_rows_equal_score_to_csv_on_every_shipped_scheme(scheme, tmp_path):
    plan = govscore.compile(scheme)
    assert not plan.needs_population
    units = readers.read_facts(ROOT / "examples" / f"{scheme.stem}.facts.yaml")
    facts = tmp_path / "facts.csv"
    facts.write_text(wide_csv(plan, units), encoding="utf-8")
    code_mem, _, err_mem = _run("score", str(scheme), str(facts), "-o", str(tmp_path / "mem.csv"))
    code, _, err = _run("score", str(scheme), str(facts), "-o", str(tmp_path / "st.csv"),
                        "--stream")
    assert code == code_mem, err
    mem, got = rows_of(tmp_path / "mem.csv"), rows_of(tmp_path / "st.csv")
    assert got[0] == mem[0]  # the same columns
    assert sorted(got[1:]) == sorted(mem[1:])  # ranks, grades, awards included
    summary = next(line for line in err_mem.splitlines() if " unit(s): " in line)
    assert summary in err.splitlines()
    assert "streamed in " in err
    # rows in input order, rejected ones last
    scored = [r[0] for r in got[1:] if r[3] != "REJECTED"]
    order = [u["id"] for u in units]
    assert scored == [u for u in order if u in set(scored)]
    assert all(r[3] == "REJECTED" for r in got[1 + len(scored):])


def test_s3_examples_are_mostly_scored_so_ranking_is_compared(tmp_path):
    # the comparison above must cover ranks, grades and awards, not only rejections
    plan = govscore.compile(ROOT / "schemes" / "s3-chengdu.yaml")
    units = readers.read_facts(ROOT / "examples" / "s3-chengdu.facts.yaml")
    facts = tmp_path / "facts.csv"
    facts.write_text(wide_csv(plan, units), encoding="utf-8")
    summary = stream.score_csv(plan, facts, tmp_path / "out.csv")
    assert (summary.submitted, summary.scored, summary.rejected) == (20, 20, 0)
    rows = rows_of(tmp_path / "out.csv")
    assert any(r[8] for r in rows[1:])  # some award
    assert any(r[9] for r in rows[1:])  # the tie for 优秀 in 第二圈 (温江区, 龙泉驿区)


MINI = """\
govscore: "1"
id: mini
title: 小方案
source: {document: 测试}
version: "1"
score:
  id: overall
  title: 总分
  max: 10
  children:
    - id: a
      title: 评分
      max: 10
      rule: {kind: manual, min: 0, max: 10}
grades:
  bands:
    - {gte: 9, grade: 优秀}
    - {gte: 0, lt: 9, grade: 合格}
"""


def test_a_bad_row_and_duplicate_ids(tmp_path):
    # Rows (position: id, a):
    #   0: u1, 8  → scored, total 8
    #   1: u2, 11 → bad (above max 10), but u2 comes again at 5: rejected as a duplicate only
    #   2: u3, 5  → u3 comes again at 4: rejected as a duplicate (evaluate_all scores neither)
    #   3: u4, 9  → scored, total 9
    #   4: u3, 6  → duplicate
    #   5: u2, 3  → duplicate
    # Scored: u4 (9, rank 1, 优秀 since 9 ≥ 9), u1 (8, rank 2, 合格 since 0 ≤ 8 < 9); totals are
    # written with the default 2 places (9.00, 8.00).
    # submitted 6 = scored 2 + rejected 4 (u2 twice, u3 twice, in input order 1, 2, 4, 5).
    scheme = tmp_path / "mini.yaml"
    scheme.write_text(MINI, encoding="utf-8")
    facts = tmp_path / "facts.csv"
    facts.write_text("id,a\nu1,8\nu2,11\nu3,5\nu4,9\nu3,6\nu2,3\n", encoding="utf-8")
    code, _, err = _run("score", str(scheme), str(facts), "-o", str(tmp_path / "st.csv"),
                        "--stream")
    assert code == 1
    assert "6 unit(s): 2 scored, 4 rejected" in err
    rows = rows_of(tmp_path / "st.csv")
    assert [r[:8] for r in rows[1:3]] == [["u1", "", "", "all", "2", "8.00", "8.00", "合格"],
                                          ["u4", "", "", "all", "1", "9.00", "9.00", "优秀"]]
    assert [(r[0], r[3]) for r in rows[3:]] == [("u2", "REJECTED"), ("u3", "REJECTED"),
                                                ("u3", "REJECTED"), ("u2", "REJECTED")]
    assert rows[3][11] == "GS405 unit id 'u2' appears 2 times; no entry is scored until the " \
        "duplicates are resolved"
    assert all("GS405" in r[11] and "appears 2 times" in r[11] for r in rows[3:])
    assert err.count("rejected u2: GS405") == 2
    code_mem, _, _ = _run("score", str(scheme), str(facts), "-o", str(tmp_path / "mem.csv"))
    assert code_mem == 1
    assert sorted(rows_of(tmp_path / "mem.csv")) == sorted(rows)


def test_a_bad_row_alone_is_rejected_with_its_problem(tmp_path):
    # u1: a = 11 is above max 10 (rejected); u2: a = 7 (scored, rank 1, 合格 as 7 < 9; total
    # 7.00 with the default 2 places).
    # submitted 2 = scored 1 + rejected 1.
    plan = govscore.compile(govscore.load(text=MINI, name="mini.yaml"))
    facts = tmp_path / "facts.csv"
    facts.write_text("id,a\nu1,11\nu2,7\n", encoding="utf-8")
    seen: list[tuple[str, list[str]]] = []
    summary = stream.score_csv(plan, facts, tmp_path / "out.csv",
                               on_rejected=lambda u, ps: seen.append((u, ps)))
    assert (summary.submitted, summary.scored, summary.rejected) == (2, 1, 1)
    assert [u for u, _ in seen] == ["u1"]
    assert "11" in seen[0][1][0]
    rows = rows_of(tmp_path / "out.csv")
    assert rows[1][:8] == ["u2", "", "", "all", "1", "7.00", "7.00", "合格"]
    assert rows[2][:4] == ["u1", "", "", "REJECTED"]
    assert "11" in rows[2][11]


def test_gb18030_input(tmp_path):
    plan = govscore.compile(ROOT / "schemes" / "s3-chengdu.yaml")
    units = readers.read_facts(ROOT / "examples" / "s3-chengdu.facts.yaml")
    text = wide_csv(plan, units)
    utf8, gb = tmp_path / "utf8.csv", tmp_path / "gb.csv"
    utf8.write_text(text, encoding="utf-8")
    gb.write_bytes(text.encode("gb18030"))
    scheme = str(ROOT / "schemes" / "s3-chengdu.yaml")
    code, _, err = _run("score", scheme, str(gb), "-o", str(tmp_path / "gb.out.csv"), "--stream")
    assert code == 0, err
    assert f"govscore: {gb} is not UTF-8; read it as GB18030" in err
    code, _, err = _run("score", scheme, str(utf8), "-o", str(tmp_path / "u.out.csv"), "--stream")
    assert code == 0
    assert "GB18030" not in err
    assert (tmp_path / "gb.out.csv").read_bytes() == (tmp_path / "u.out.csv").read_bytes()
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert stream.score_csv(plan, bom, tmp_path / "b.out.csv").encoding == "utf-8-sig"
    assert (tmp_path / "b.out.csv").read_bytes() == (tmp_path / "u.out.csv").read_bytes()


def test_an_interrupted_run_leaves_no_output(tmp_path, monkeypatch):
    plan = govscore.compile(govscore.load(text=MINI, name="mini.yaml"))
    folder = tmp_path / "out"
    folder.mkdir()
    facts = tmp_path / "facts.csv"
    facts.write_text("id,a\n" + "".join(f"u{i},{i % 10}\n" for i in range(50)),
                     encoding="utf-8")
    real = stream.api.score_entry
    calls = {"n": 0}

    def failing(plan_: Any, entry: Any, shown: str) -> Any:
        calls["n"] += 1
        if calls["n"] == 30:
            raise KeyboardInterrupt
        return real(plan_, entry, shown)

    monkeypatch.setattr(stream.api, "score_entry", failing)
    with pytest.raises(KeyboardInterrupt):
        stream.score_csv(plan, facts, folder / "out.csv")
    assert os.listdir(folder) == []
    # an earlier report stays as it was
    (folder / "out.csv").write_text("old", encoding="utf-8")
    calls["n"] = 0
    with pytest.raises(KeyboardInterrupt):
        stream.score_csv(plan, facts, folder / "out.csv")
    assert os.listdir(folder) == ["out.csv"]
    assert (folder / "out.csv").read_text(encoding="utf-8") == "old"
    # and fails while writing the final file too
    monkeypatch.setattr(stream.api, "score_entry", real)

    def boom(*_: Any) -> Any:
        raise RuntimeError("disk full")

    monkeypatch.setattr(stream.population, "place", boom)
    with pytest.raises(RuntimeError):
        stream.score_csv(plan, facts, folder / "new.csv")
    assert os.listdir(folder) == ["out.csv"]


def test_the_output_gets_the_permissions_of_a_new_file(tmp_path):
    plan = govscore.compile(govscore.load(text=MINI, name="mini.yaml"))
    facts = tmp_path / "facts.csv"
    facts.write_text("id,a\nu1,1\n", encoding="utf-8")
    mask = os.umask(0o022)
    try:
        stream.score_csv(plan, facts, tmp_path / "out.csv")
    finally:
        os.umask(mask)
    assert (tmp_path / "out.csv").stat().st_mode & 0o777 == 0o644


def test_a_population_scheme_is_refused(tmp_path):
    scheme = ROOT / "tests" / "patterns" / "p24-relative-best.yaml"
    plan = govscore.compile(scheme)
    assert plan.needs_population
    facts = tmp_path / "facts.csv"
    facts.write_text("id\nu1\n", encoding="utf-8")
    code, _, err = _run("score", str(scheme), str(facts), "-o", str(tmp_path / "o.csv"),
                        "--stream")
    assert code == 2
    expected = whole_population_error(plan.population_items)
    assert err == f"govscore: {expected}\n"  # one wording, from errors.whole_population_error
    assert "GS501" in err
    assert "--stream" in err
    assert not (tmp_path / "o.csv").exists()
    with pytest.raises(UsageError) as info:
        stream.score_csv(plan, facts, tmp_path / "o.csv")
    assert str(info.value) == str(expected)


def test_usage_errors(tmp_path):
    scheme = str(ROOT / "schemes" / "s3-chengdu.yaml")
    facts = tmp_path / "facts.csv"
    facts.write_text("id,base\n锦江区,是\n", encoding="utf-8")
    yaml_facts = str(ROOT / "examples" / "s3-chengdu.facts.yaml")
    out = str(tmp_path / "o.csv")
    for argv in ((str(facts),),  # no -o
                 (str(facts), "-o", str(tmp_path / "o.html")),
                 (str(facts), str(facts), "-o", out)):
        code, _, err = _run("score", scheme, *argv, "--stream")
        assert code == 2
        assert err.startswith("govscore: GS702 --stream ")
    code, _, err = _run("score", scheme, yaml_facts, "-o", out, "--stream")
    assert code == 2
    assert "GS702 --stream scores one facts file, a .csv" in err
    plan = govscore.compile(scheme)
    with pytest.raises(UsageError) as info:
        stream.score_csv(plan, facts, tmp_path / "o.html")
    assert info.value.code == "GS702"
    with pytest.raises(FactsFileError) as refused:
        stream.score_csv(plan, tmp_path / "facts.tsv", out)
    assert [d.code for d in refused.value.diagnostics] == ["GS702"]
    assert not Path(out).exists()


def test_file_problems_refuse_the_file_as_score_does(tmp_path):
    # the file's problems are those load_table finds, all of them, and nothing is written
    scheme = str(ROOT / "schemes" / "s3-chengdu.yaml")
    broken = tmp_path / "broken.csv"
    broken.write_text("id,base,bonus_leadership,,bonus_articles.city\n"
                      "锦江区,是,#VALUE!,,2\n5.10104E+17,是,3,x,1\n", encoding="utf-8")
    code_mem, _, err_mem = _run("score", scheme, str(broken))
    code, _, err = _run("score", scheme, str(broken), "-o", str(tmp_path / "o.csv"), "--stream")
    assert (code, code_mem) == (2, 2)
    assert err == err_mem
    assert "cell D1" in err  # a column with values but no header, found after the header
    assert not (tmp_path / "o.csv").exists()
    long = tmp_path / "long.csv"
    long.write_text("unit,fact,value\n锦江区,base,是\n", encoding="utf-8")
    code, _, err = _run("score", scheme, str(long), "-o", str(tmp_path / "o.csv"), "--stream")
    assert code == 2
    assert "long layout" in err
    assert "GS702" in err


def test_cell_values_are_exact(tmp_path):
    # 98.5% is 0.985 exactly; rate_done's item scores 0.985 × max 1 = 0.985 → the row says so
    text = """\
govscore: "1"
id: r
title: 率
source: {document: 测试}
version: "1"
precision: {places: 3}
score:
  id: overall
  title: 总分
  max: 1
  children:
    - {id: rate_done, title: 办结率, max: 1, rule: {kind: rate}}
"""
    plan = govscore.compile(govscore.load(text=text, name="r.yaml"))
    facts = tmp_path / "facts.csv"
    facts.write_text("id,rate_done\n甲,98.5%\n", encoding="utf-8")
    stream.score_csv(plan, facts, tmp_path / "out.csv")
    rows = rows_of(tmp_path / "out.csv")
    assert Decimal(rows[1][5]) == Decimal("0.985")
