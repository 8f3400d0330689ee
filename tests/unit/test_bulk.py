"""``govscore score SCHEME FACTS -o OUT`` through the columns (govscore.bulk): the file written
equals, byte for byte, the one the usual way writes (read_facts → evaluate_all → write_report),
on every shipped example and on random units; and where the columns do not take a file, the
usual way writes it."""

from __future__ import annotations

import csv
import io
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("numpy")
pytest.importorskip("pyarrow")

import govscore
from govscore import api, bulk, cli
from govscore.errors import FactsFileError

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p.name.removesuffix(".facts.yaml")
                  for p in (ROOT / "examples").glob("*.facts.yaml"))


def wide_rows(plan: Any, units: list[dict[str, Any]]) -> list[list[str]]:
    """Unit entries as a wide table's rows (a mapping fact as one column per key)."""
    names: list[str] = []
    flat_rows = []
    for u in units:
        flat: dict[str, Any] = {}
        for k, v in u["facts"].items():
            if isinstance(v, dict):
                if not v:  # an empty mapping: one key given as 0
                    levels = list(getattr(plan.specs[k].item.rule, "levels", None) or {"x": 0})
                    flat[f"{k}.{levels[0]}"] = 0
                flat.update({f"{k}.{kk}": vv for kk, vv in v.items()})
            else:
                flat[k] = v
        for k in ("category", "tier"):
            if k in u:
                flat[k] = u[k]
        flat_rows.append((u["id"], flat))
        names.extend(k for k in flat if k not in names)

    def text(v: Any) -> str:
        return "true" if v is True else "false" if v is False else str(v)

    return [["id", *names], *([i, *(text(f[c]) if c in f else "" for c in names)]
                              for i, f in flat_rows)]


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_bytes(out.getvalue().encode(encoding))
    return path


def both_ways(plan: Any, facts: Path, tmp: Path, suffix: str = ".csv"
              ) -> tuple[bytes, bytes | None]:
    usual, columns = tmp / f"usual{suffix}", tmp / f"columns{suffix}"
    api.write_report(api.evaluate_all(plan, api.read_facts(facts)), plan, usual)
    done = bulk.score_file(plan, facts, columns)
    return usual.read_bytes(), (columns.read_bytes() if done is not None else None)


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_as_a_wide_csv_gives_the_same_file(name: str, tmp_path: Path) -> None:
    plan = govscore.compile(ROOT / "schemes" / f"{name}.yaml")
    units = api.read_facts(ROOT / "examples" / f"{name}.facts.yaml")
    facts = write_csv(tmp_path / "facts.csv", wide_rows(plan, units))
    try:
        usual, columns = both_ways(plan, facts, tmp_path)
    except FactsFileError:
        pytest.skip("the example's facts have no wide CSV form")
    if columns is None:  # not taken: the usual way is the only way (and must be chosen)
        assert not bulk.scheme_taken(plan) or name not in ("s3-chengdu",)
        return
    assert columns == usual


def s3_units(n: int, seed: int) -> list[dict[str, Any]]:
    """Random S3 units: every bonus item over and under its max, deductions over the bonus
    (the limit binds), the bonus group's cap of 30 reached, tiers given in a column."""
    rng = random.Random(seed)
    units = []
    for i in range(n):
        facts: dict[str, Any] = {
            "base": rng.random() < 0.9,
            "bonus_leadership": rng.choice(["0", "1", "2.5", "3", "4.5", "5"]),
            "bonus_process": rng.choice(["0", "1.5", "3", "5"]),
            "bonus_innovation": rng.randint(0, 6),
            "bonus_articles": {"city": rng.randint(0, 9), "national": rng.randint(0, 3)},
            "bonus_commendations": {"province_or_ministry": rng.randint(0, 4)},
            "bonus_media": {"province": rng.randint(0, 5)},
            "bonus_meetings": rng.randint(0, 5),
            "bonus_special_tasks": rng.randint(0, 5),
            "bonus_other": rng.randint(0, 5),
            "ded_double_acceptance": rng.randint(0, 3), "ded_overdue": rng.randint(0, 2),
            "ded_complaints": rng.randint(0, 2), "ded_mandarin": rng.randint(0, 1),
            "ded_criticism": rng.randint(0, 2), "ded_media": rng.randint(0, 1),
            "ded_other": rng.choice(["0", "0", "1.5", "12"]),
        }
        units.append({"id": f"单位{i:04d}", "tier": rng.choice(["ring1", "ring2", "ring3"]),
                      "facts": facts})
    return units


def test_random_s3_units_give_the_same_csv_and_parquet(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from govscore.views import report_columns

    monkeypatch.setattr(bulk, "SCORE_CHUNK", 128)  # several chunks: their texts unified
    monkeypatch.setattr(report_columns, "CHUNK", 100)  # written in several pieces
    plan = govscore.compile(ROOT / "schemes" / "s3-chengdu.yaml")
    rows = wide_rows(plan, s3_units(700, 15))
    rows[5][2] = " 4 "  # a cell with spaces: that row is read by the table reader itself
    facts = write_csv(tmp_path / "facts.csv", rows)
    usual, columns = both_ways(plan, facts, tmp_path)
    assert columns is not None
    assert columns == usual
    usual_p, columns_p = both_ways(plan, facts, tmp_path, ".parquet")
    assert columns_p == usual_p


def test_a_hand_worked_s3_unit(tmp_path: Path) -> None:
    """第八条: 实得分 = 70 (机构正常运行) + 加分 − 减分, 减分 ≤ 加分 (第十条(八)). 加分: 5 + 4.5 + 6×0.5
    → 2 (max 2) + articles 3 city × 0.5 = 1.5 + 2 province commendations × 1 = 2 + 1 city media
    × 0.5 = 0.5 + 0 + 0 + 0 = 15.50; 减分 4 overdue × 2 = 8 ≤ 15.50: 70 + 15.50 − 8 = 77.50."""
    plan = govscore.compile(ROOT / "schemes" / "s3-chengdu.yaml")
    units = s3_units(300, 2)
    units[0] = {"id": "手算", "tier": "ring2", "facts": {
        "base": True, "bonus_leadership": "5", "bonus_process": "4.5", "bonus_innovation": 6,
        "bonus_articles": {"city": 3}, "bonus_commendations": {"city_or_province_dept": 2},
        "bonus_media": {"city": 1}, "bonus_meetings": 0, "bonus_special_tasks": 0,
        "bonus_other": 0, "ded_double_acceptance": 0, "ded_overdue": 4, "ded_complaints": 0,
        "ded_mandarin": 0, "ded_criticism": 0, "ded_media": 0, "ded_other": "0"}}
    facts = write_csv(tmp_path / "facts.csv", wide_rows(plan, units))
    assert bulk.score_file(plan, facts, tmp_path / "out.csv") is not None
    with (tmp_path / "out.csv").open(encoding="utf-8-sig", newline="") as handle:
        row = next(r for r in csv.DictReader(handle) if r["unit"] == "手算")
    assert (row["total"], row["bonus"], row["deductions"]) == ("77.50", "15.50", "8.00")


def test_gb18030_and_bom_files_are_read_like_the_table_reader(tmp_path: Path) -> None:
    plan = govscore.compile(ROOT / "schemes" / "s3-chengdu.yaml")
    rows = wide_rows(plan, s3_units(300, 3))
    for encoding in ("gb18030", "utf-8-sig"):
        facts = write_csv(tmp_path / f"facts-{encoding}.csv", rows, encoding)
        usual, columns = both_ways(plan, facts, tmp_path)
        assert columns is not None
        assert columns == usual


def test_a_rejected_unit_or_a_duplicate_id_goes_the_usual_way(tmp_path: Path) -> None:
    plan = govscore.compile(ROOT / "schemes" / "s3-chengdu.yaml")
    rows = wide_rows(plan, s3_units(300, 4))
    bad = [list(r) for r in rows]
    bad[7][2] = "9"  # bonus_leadership above its max of 5: GS404, rejected
    facts = write_csv(tmp_path / "bad.csv", bad)
    assert bulk.score_file(plan, facts, tmp_path / "out.csv") is None
    assert not (tmp_path / "out.csv").exists()
    twice = [list(r) for r in rows]
    twice[9][0] = twice[8][0]
    facts = write_csv(tmp_path / "twice.csv", twice)
    assert bulk.score_file(plan, facts, tmp_path / "out.csv") is None


def test_the_command_writes_through_the_columns(tmp_path: Path) -> None:
    plan = govscore.compile(ROOT / "schemes" / "s3-chengdu.yaml")
    facts = write_csv(tmp_path / "facts.csv", wide_rows(plan, s3_units(300, 5)))
    out, err = io.StringIO(), io.StringIO()
    code = cli.run(["score", str(ROOT / "schemes" / "s3-chengdu.yaml"), str(facts), "-o",
                    str(tmp_path / "out.csv")], out, err)
    assert code == 0, err.getvalue()
    usual, _ = both_ways(plan, facts, tmp_path)
    assert (tmp_path / "out.csv").read_bytes() == usual


def test_parquet_facts_read_exactly_and_floats_refused(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    plan = govscore.compile(ROOT / "schemes" / "s3-chengdu.yaml")
    rows = wide_rows(plan, s3_units(300, 6))
    names, body = rows[0], rows[1:]
    columns: dict[str, Any] = {}
    for i, name in enumerate(names):
        cells = [r[i] for r in body]
        if name in ("bonus_leadership", "bonus_process", "ded_other"):
            columns[name] = pa.array([Decimal(c) for c in cells], pa.decimal128(9, 2))
        elif name == "base":
            columns[name] = pa.array([c == "true" for c in cells])
        elif name in ("id", "tier"):
            columns[name] = pa.array(cells)
        else:
            columns[name] = pa.array([int(c) if c else None for c in cells], pa.int64())
    facts = tmp_path / "facts.parquet"
    pq.write_table(pa.table(columns), facts)
    usual, by_columns = both_ways(plan, facts, tmp_path)
    assert by_columns is not None
    assert by_columns == usual
    columns["bonus_process"] = pa.array([float(Decimal(r[names.index("bonus_process")]))
                                         for r in body])
    pq.write_table(pa.table(columns), facts)
    assert bulk.score_file(plan, facts, tmp_path / "x.csv") is None
    with pytest.raises(FactsFileError, match="bonus_process"):
        api.read_facts(facts)


def test_stream_through_the_columns_writes_the_streamed_file(tmp_path: Path) -> None:
    """--stream writes the report's rows in input order: the columns give the same bytes."""
    from govscore import stream

    plan = govscore.compile(ROOT / "schemes" / "s3-chengdu.yaml")
    rows = wide_rows(plan, s3_units(400, 7))
    rows[3][3] = "1.5 "  # a cell with a space: read by the table reader itself
    facts = write_csv(tmp_path / "facts.csv", rows)
    stream.score_csv(plan, facts, tmp_path / "streamed.csv")
    assert bulk.score_file(plan, facts, tmp_path / "columns.csv", input_order=True) is not None
    assert (tmp_path / "columns.csv").read_bytes() == (tmp_path / "streamed.csv").read_bytes()
    out, err = io.StringIO(), io.StringIO()
    code = cli.run(["score", str(ROOT / "schemes" / "s3-chengdu.yaml"), str(facts), "-o",
                    str(tmp_path / "cli.csv"), "--stream"], out, err)
    assert code == 0, err.getvalue()
    assert "streamed in" in err.getvalue()
    assert (tmp_path / "cli.csv").read_bytes() == (tmp_path / "streamed.csv").read_bytes()


def test_the_files_benchmark_agrees_with_the_hand_worked_totals(tmp_path: Path) -> None:
    """benchmarks/bench_columns.py's S3 files (CSV → CSV, Parquet → Parquet) on a few units:
    the sampled totals equal the hand-written Decimal computation of S3 (it exits 3 otherwise;
    a bonus cap changed from 4 to 5 in s3_total made it exit 3)."""
    import json
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    import bench_columns

    out = tmp_path / "figures.json"
    assert bench_columns.main(["--units", "0", "--csv-units", "0", "--s3-units", "3000",
                               "--parquet-units", "3000", "--json", str(out)]) == 0
    figures = json.loads(out.read_text(encoding="utf-8"))
    for key in ("s3_csv", "s3_parquet"):
        assert figures[key]["agrees"]
        assert figures[key]["by_columns"] >= 2990


def test_crlf_lines_and_ids_a_spreadsheet_would_run_or_quote(tmp_path: Path) -> None:
    """CRLF lines (Excel's CSV) and a trailing empty line read as the table reader reads them;
    an id with a comma is quoted and one beginning with = gets its guarding quote (those rows
    go the scalar way and are written by the CSV writer's rules): the same file."""
    plan = govscore.compile(ROOT / "schemes" / "s3-chengdu.yaml")
    rows = wide_rows(plan, s3_units(300, 9))
    rows[4][0], rows[6][0] = "甲,乙", "=cmd"
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    facts = tmp_path / "facts.csv"
    facts.write_bytes((out.getvalue() + "\r\n").encode("utf-8"))
    usual, columns = both_ways(plan, facts, tmp_path)
    assert columns is not None
    assert columns == usual
    assert b'"\xe7\x94\xb2,\xe4\xb9\x99"' in columns  # "甲,乙"
    assert b"'=cmd" in columns


NAMED = """\
govscore: "2"
id: named-demo
title: 乡镇河长制工作考核(节选)
source: {document: 某县河长制工作考核细则}
version: "1"
precision: {places: 2, rounding: half_up}
categories:
  - {id: town, title: 乡镇, members: [东湖镇, 西山镇]}
score:
  id: overall
  title: 总分
  children:
    - {id: patrol, title: 巡河, max: 10, rule: {kind: manual, min: 0, max: 10}}
    - id: bonus
      title: 加分
      cap: 3
      children:
        - {id: b1, title: 宣传, max: 2, rule: {kind: per_occurrence, per: 0.5}}
        - {id: b2, title: 创新, max: 2, rule: {kind: per_occurrence, per: 1}}
    - {id: lake_chief, title: 湖长制, max: 10, units: [东湖镇], rule: {kind: manual, min: 0, max: 10}}
ranking: {scope: category}
"""


def test_a_unit_a_units_list_names_is_scored_with_its_own_nodes(tmp_path: Path) -> None:
    """東湖镇 has the 湖长制 item (units: [东湖镇]), the 300 other towns do not: its row goes the
    scalar way with its own program, the others through the columns; the same file. By hand:
    东湖镇 patrol 8 + bonus min(4 × 0.5 + 2 × 1, 3) = 3 + 湖长制 6.5 = 17.50."""
    plan = govscore.compile(api.load(text=NAMED, name="named.yaml"))
    rng = random.Random(11)
    rows = [["id", "category", "patrol", "b1", "b2", "lake_chief"]]
    rows += [[f"镇{i:03d}", "town", str(rng.randint(0, 10)), str(rng.randint(0, 6)),
              str(rng.randint(0, 3)), ""] for i in range(300)]
    rows.insert(150, ["东湖镇", "town", "8", "4", "2", "6.5"])  # not the first row (scalar anyway)
    facts = write_csv(tmp_path / "facts.csv", rows)
    usual, columns = both_ways(plan, facts, tmp_path)
    assert columns is not None
    assert columns == usual
    line = next(r for r in columns.decode("utf-8-sig").splitlines() if r.startswith("东湖镇,"))
    assert ",17.50," in line
    done = bulk.score_file(plan, facts, tmp_path / "again.csv")
    assert done is not None
    assert (done.by_columns, done.scalar) == (299, 2)  # the first row and 东湖镇


def test_a_capped_or_limited_group_is_written_at_the_bound_s_own_exponent(tmp_path: Path
                                                                          ) -> None:
    """The benchmark's reference workload (benchmarks/reference.yaml): 加分 is capped at 20 and
    减分 limited to 加分. Where the cap binds, the scalar path's value is the bound itself,
    Decimal('20'), written "20" (not "20.00"); where the limit binds, 减分 is 加分's value. The
    columns write both as the scalar path does (engine/exponents; a mutant that never notes a
    replaced value turned this test red)."""
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    import bench_workload as wl

    plan = govscore.compile(wl.REFERENCE_YAML)
    units = wl.make_units(600)
    names = list(units[0]["facts"])
    rows = [["id", *names], *([u["id"], *(str(u["facts"][n]) for n in names)] for u in units)]
    facts = write_csv(tmp_path / "facts.csv", rows)
    usual, columns = both_ways(plan, facts, tmp_path)
    assert columns is not None
    with io.StringIO(usual.decode("utf-8-sig")) as handle:
        bonus = [r["bonus"] for r in csv.DictReader(handle)]
    assert "20" in bonus  # the cap binds: the bound's own digits
    assert "20.00" in bonus  # the items add up to 20 exactly: the cap does not bind
    assert columns == usual
