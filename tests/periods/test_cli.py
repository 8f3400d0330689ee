"""The commands: govscore run RUN.yaml (summary, --explain, -o JSON) and score --periods."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

from govscore import cli
from tests.periods.helpers import DATA


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    code = cli.run(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def test_run_prints_each_period_and_rollup() -> None:
    code, out, err = _run("run", str(DATA / "hall-2022-Q1.run.yaml"))
    assert code == 0, err
    assert "  2022-02: 3 scored, 0 rejected; 约谈: W3" in out.splitlines()
    assert "  季度成绩 2022-Q1: 3 unit(s); 红旗窗口: W1" in out.splitlines()
    assert "年度成绩" not in out  # three months do not make a year: not rolled up


def test_run_explains_a_unit_and_writes_json(tmp_path: Path) -> None:
    target = tmp_path / "run.json"
    code, out, _ = _run("run", str(DATA / "hall-2022-Q1.run.yaml"), "--explain", "W1",
                        "--period", "2022-Q1", "-o", str(target))
    assert code == 0
    assert out.startswith("季度成绩 2022-Q1(各期平均, 缺期按已有各期平均计)")
    data = json.loads(target.read_text("utf-8"))
    q1 = data["schemes"]["hall"]["rollups"]["quarter"]["2022-Q1"]
    assert q1["values"]["W1"]["value"] == "96.67"
    assert data["schemes"]["hall"]["periods"]["2022-03"]["history"]["W1"][0]["events"][0][
        "id"] == "E2"


def test_run_with_a_rejected_source_exits_1() -> None:
    code, out, err = _run("run", str(DATA / "city-2022.run.yaml"))
    assert code == 1
    assert out.splitlines()[0] == "depts — 市直部门年度考核(示例)"
    assert "GS824 annual 2022: rejected 水务局: dept_total: '水务局' was rejected in 'depts' " \
           "for 2022" in err.splitlines()


def test_score_periods() -> None:
    files = sorted(str(p) for p in DATA.glob("hall-2022-0?.yaml"))
    code, out, _ = _run("score", str(DATA / "hall.yaml"), *files, "--periods", "--events",
                        str(DATA / "hall-events.csv"), "--explain", "W1", "--lang", "en")
    assert code == 0
    assert "表彰: 1 counted in this period → 表彰加分 = 1" in out
    code, _, err = _run("score", str(DATA / "hall.yaml"), str(DATA / "depts-2022.yaml"),
                        "--periods")
    assert code == 1
    assert "no month period" in err
