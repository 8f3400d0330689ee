"""govscore facts and govscore score --records on the committed S5 sample, and the other
readers (.xlsx, Parquet) giving the same facts as CSV; S6's rates from per-case records."""

from __future__ import annotations

import csv
import io
import json

from govscore import api, cli
from govscore.records import declare, run
from tests.records.conftest import EXAMPLES, S5, S6

SAMPLE = EXAMPLES / "好差评-2022-09.csv"


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.run(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def test_facts_then_score_gives_the_hand_worked_totals(tmp_path) -> None:
    facts = tmp_path / "facts.csv"
    code, _, err = _run("facts", str(SAMPLE), "--scheme", str(S5), "--records",
                        str(EXAMPLES / "s5-jining.records.yaml"), "-o", str(facts))
    # rows 10 (很满意), 11 (王磊 as staff), 12 (人社窗口) and 13 (31 Sep) are reported: exit 1
    assert code == 1
    assert "好差评-2022-09.csv:10:5: GS806" in err
    assert "好差评-2022-09.csv:13:6: GS807" in err
    assert "24 record(s) read, 6 not counted" in err
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(facts.read_text("utf-8")))}
    # 不动产登记窗口 (rows 2, 3, 4, 5, 11): 非常满意 2, 满意 2 (rows 4 and 11), 不满意 1 (row 5)
    assert (rows["不动产登记窗口"]["good_bad.非常满意"], rows["不动产登记窗口"]["good_bad.满意"],
            rows["不动产登记窗口"]["good_bad.不满意"]) == ("2", "2", "1")
    lineage = json.loads((tmp_path / "facts.csv.lineage.json").read_text("utf-8"))
    assert lineage["rejected_rows"] == 6
    assert lineage["period"] == "2022-09"

    code, out, err = _run("score", str(S5), str(facts),
                          str(EXAMPLES / "s5-jining.other-facts.yaml"))
    assert code == 0, err
    # the table: 范围, 名次, 单位, 总分, … under a header and a rule line
    totals = {line.split()[2]: line.split()[3] for line in out.splitlines()[2:]}
    # 不动产登记窗口: 好差评 30 × (2×10 + 2×8 + 1×3) / (5×10) = 30 × 39/50 = 23.4;
    #   row 5's 不满意 (Thu 8 Sep) was rectified on its due day, Fri 30 Sep: not overdue.
    #   20 + 20 + 20 + 23.4 + 10 = 93.4
    # 税务窗口 (rows 6-9; row 10 很满意 and row 13 bad date not counted):
    #   非常满意 1, 非常不满意 1, 基本满意 1, 不满意 1 → 30 × (10+0+6+3)/40 = 14.25;
    #   row 7 (8 Sep, due 30 Sep) rectified 8 Oct: overdue → 业务管理 20 − 2 = 18;
    #   row 9 (9 Sep, due Sat 8 Oct, a 调休 working day) rectified 8 Oct: on time.
    #   20 + 20 + 18 + 14.25 + 10 = 82.25
    assert totals["不动产登记窗口"] == "93.40"
    assert totals["税务窗口"] == "82.25"

    code, out2, err = _run("score", str(S5), str(SAMPLE),
                           str(EXAMPLES / "s5-jining.other-facts.yaml"),
                           "--records", str(EXAMPLES / "s5-jining.records.yaml"))
    assert code == 1  # the same 6 records are reported; the units are still scored
    assert out2 == out


def test_xlsx_and_parquet_give_the_same_facts(tmp_path) -> None:
    import duckdb
    import openpyxl

    plan = api.compile(S5)
    decl = declare.load(EXAMPLES / "s5-jining.records.yaml", plan)
    expected = run.derive(decl, [SAMPLE])
    book = openpyxl.Workbook()
    sheet = book.active
    for row in csv.reader(io.StringIO(SAMPLE.read_text("utf-8"))):
        sheet.append(row)
    xlsx = tmp_path / "好差评.xlsx"
    book.save(xlsx)
    parquet = tmp_path / "好差评.parquet"
    duckdb.execute("COPY (SELECT * FROM read_csv($f, all_varchar = true)) TO "
                   f"'{parquet}' (FORMAT parquet)", {"f": str(SAMPLE)})
    for path in (xlsx, parquet):
        derived = run.derive(decl, [path])
        assert derived.periods == expected.periods, path
        # the same bad rows, at the same rows (Parquet has no header row: one less)
        shift = 1 if path.suffix == ".parquet" else 0
        assert [(d.code, d.span.line + shift) for d in derived.problems] == \
            [(d.code, d.span.line) for d in expected.problems]


S6_RECORDS = """\
govscore_records: "1"
scheme: {scheme}
units:
  grassroots: [城关镇, 南关街道]
  higher: [县信访局]
tables:
  - id: cases
    files: "*信访*"
    columns: {{单位: text, 登记时间: date, 及时受理: text, 按期办结: text, 评价: text, 去向: text}}
    unit: 单位
    period: 登记时间
facts:
  - fact: timely_acceptance
    table: cases
    ratio: [{{column: 及时受理, equals: 是}}]
  - fact: satisfaction
    table: cases
    count_by: 评价
    where: [{{column: 评价, empty: false}}]
  - fact: on_time_closure
    table: cases
    ratio: [{{column: 按期办结, equals: 是}}]
    exclude: [{{column: 去向, in: [诉讼, 仲裁, 行政复议]}}]
"""


def test_s6_rates_from_cases_with_exclusions(tmp_path) -> None:
    records = tmp_path / "s6.records.yaml"
    records.write_text(S6_RECORDS.format(scheme=S6), encoding="utf-8")
    cases = tmp_path / "信访-2024.csv"
    cases.write_text(
        "单位,登记时间,及时受理,按期办结,评价,去向\n"
        "城关镇,2024-01-05,是,是,满意,\n"
        "城关镇,2024-03-01,是,否,不满意,\n"
        "城关镇,2024-06-30,否,是,基本满意,\n"
        "城关镇,2024-07-01,是,否,诉讼,诉讼\n"
        "南关街道,2024-02-02,是,是,,\n"
        "县信访局,2024-12-31,否,否,满意,\n", encoding="utf-8")
    plan = api.compile(S6)
    derived = run.derive(declare.load(records, plan), [cases])
    facts = {e["id"]: e["facts"] for e in derived.periods["2024"]}
    # 城关镇: 4 cases received, 3 accepted in time; 按期办结 leaves out the 诉讼 case: 3 due,
    # 2 closed on time; 评价: 满意 1, 不满意 1, 基本满意 1, 诉讼 1 (excluded by the rating itself)
    assert facts["城关镇"]["timely_acceptance"] == {"target": 4, "done": 3}
    assert facts["城关镇"]["on_time_closure"] == {"target": 3, "done": 2}
    assert facts["城关镇"]["satisfaction"] == {"满意": 1, "基本满意": 1, "不满意": 1, "诉讼": 1,
                                               "仲裁": 0, "行政复议": 0}
    # 南关街道: its one case has no rating yet: counted nowhere in satisfaction
    assert set(facts["南关街道"]["satisfaction"].values()) == {0}
    assert derived.lineage["facts"]["2024"]["城关镇"]["on_time_closure"]["excluded"] == 1
    assert facts["县信访局"]["timely_acceptance"] == {"target": 1, "done": 0}


def test_s6_scored_from_the_committed_case_export() -> None:
    # examples/records/信访-2024.csv, worked by hand from the rows:
    # 城关镇 (cases 001-007):
    #   及时受理率 10 × 6/7 (004 not in time) = 8.571… → 8.57
    #   按期办结率: due = not 未到期 (001-006), less 005 (诉讼) → 5; on time 001-003 → 15 × 3/5 = 9
    #   满意率: rated 001-004 (满意 2, 基本满意 1, 不满意 1) → 20 × 3/4 = 15
    #   初访一次性解决率: first visits 001, 002, 004, 006; resolved at once 001, 004, 006 → 10 × 3/4
    #     = 7.5
    #   超期未办结 006 → −2; from other-facts: 积案 2/2 → 5, 程序 both → 5, 稳控 default → 5,
    #   360: (0.5 × 90 + 0.3 × 80 + 0.2 × 70) = 83 → × 30/100 = 24.9
    #   8.57 + 9 + 15 + 7.5 + 5 + 5 + 5 + 24.9 − 2 = 77.97
    # 南关街道 (no case): every ratio's target is 0 → full (10, 15, 10, 积案 5), no ratings →
    #   满意率 full 20; 程序 one of two → 2.5; 稳控 5; 360 80 → 24: 91.5
    # 县信访局 (008, 009): 及时受理 1/2 → 5; 按期办结 2/2 → 15; 满意 2/2 → 20; 积案 1/2 → 2.5;
    #   协调 8; 程序 5; 稳控 5; 360 90 → 27: 87.5
    code, out, err = _run("score", str(S6), str(EXAMPLES / "信访-2024.csv"),
                          str(EXAMPLES / "s6-xinfang.other-facts.yaml"),
                          "--records", str(EXAMPLES / "s6-xinfang.records.yaml"))
    assert code == 0, err
    # the table: 范围, 名次, 单位, 总分, … under a header and a rule line
    totals = {line.split()[2]: line.split()[3] for line in out.splitlines()[2:]}
    assert totals == {"城关镇": "77.97", "南关街道": "91.50", "县信访局": "87.50"}
    assert "period 2024: 9 record(s) read, 0 not counted" in err
