"""Facts derived from per-rating records, hand-counted from the rows (S5, 2022 calendar).

The 2022 calendar in examples/records/s5-jining.records.yaml: 中秋节 Mon 12 Sep is a holiday;
国庆节 1-7 Oct are holidays; Sat 8 Oct and Sun 9 Oct are make-up working days (调休).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from govscore import api
from govscore.errors import FactsFileError, SchemeError, UsageError
from govscore.records import declare, run
from tests.records.conftest import HEADER, S5, ratings, s5_records


@pytest.fixture(scope="module")
def plan():
    return api.compile(S5)


def _derive(plan, tmp_path, rows, *, as_of=None, body=None):
    decl = declare.load(s5_records(tmp_path, body), plan)
    return run.derive(decl, [ratings(tmp_path, rows)], as_of=as_of)


def _unit(derived, period, unit):
    return next(e for e in derived.periods[period] if e["id"] == unit)["facts"]


# Rows for the deadline case. "15个工作日内整改到位" (records file: business_window counts 差评
# not rectified within 15 working days, status overdue = done late, or open past the due day).
#   rated Thu 8 Sep: working days after it: Fri 9 (1); Mon 12 is 中秋 (no); 13-16 (2-5);
#     19-23 (6-10); 26-30 (11-15) → due Fri 30 Sep, the Friday before the 国庆 holiday.
#   rated Fri 9 Sep: 13-16 (1-4), 19-23 (5-9), 26-30 (10-14), 1-7 Oct holidays,
#     Sat 8 Oct (调休, 15) → due Sat 8 Oct.
DEADLINE_ROWS = (
    "1,税务窗口,刘洋,评价器,不满意,2022-09-08 10:00:00,2022-09-30\n"   # A: done on the due Friday: on time
    "2,税务窗口,刘洋,评价器,不满意,2022-09-08 11:00:00,2022-10-08\n"   # B: due Fri 30 Sep, done 8 Oct: late
    "3,税务窗口,刘洋,评价器,非常不满意,2022-09-09 09:00:00,2022-10-08\n"  # C: due Sat 8 Oct: on time
    "4,税务窗口,刘洋,评价器,不满意,2022-09-09 15:00:00,\n"             # D: due 8 Oct, still open
    "5,税务窗口,刘洋,评价器,不满意,2022-09-08 16:00:00,\n"             # E: due 30 Sep, still open
    "6,税务窗口,刘洋,评价器,满意,2022-09-08 16:00:00,\n"               # not a 差评: never counted
)


def test_rectification_due_on_a_friday_before_a_holiday(plan, tmp_path) -> None:
    # as of Sat 8 Oct: overdue = B (late) + E (open, due 30 Sep < 8 Oct) = 2; D is due that day.
    derived = _derive(plan, tmp_path, DEADLINE_ROWS, as_of="2022-10-08")
    assert _unit(derived, "2022-09", "税务窗口")["business_window"] == 2
    assert _unit(derived, "2022-09", "刘洋")["business_staff"] == 2
    # as of Sun 9 Oct D is past its due day too: 3
    derived = _derive(plan, tmp_path, DEADLINE_ROWS, as_of="2022-10-09")
    assert _unit(derived, "2022-09", "税务窗口")["business_window"] == 3


def test_the_holiday_calendar_is_data(plan, tmp_path) -> None:
    # Without 中秋 (Mon 12 Sep) in the calendar every due day moves one working day earlier:
    # Thu 8 Sep → Thu 29 Sep, so A (done 30 Sep) is late; Fri 9 Sep → 12-16 (1-5), 19-23
    # (6-10), 26-30 (11-15) → Fri 30 Sep, so C (done 8 Oct) is late and D (open) overdue.
    # As of 8 Oct: A, B, C, D, E = 5 instead of 2.
    body = s5_records(tmp_path).read_text("utf-8").replace("2022-09-12, ", "")
    derived = _derive(plan, tmp_path, DEADLINE_ROWS, as_of="2022-10-08", body=body)
    assert _unit(derived, "2022-09", "税务窗口")["business_window"] == 5


def test_open_overdue_needs_an_as_of_day(plan, tmp_path) -> None:
    body = s5_records(tmp_path).read_text("utf-8").replace('as_of: "2022-11-30"\n', "")
    with pytest.raises(UsageError, match="--as-of"):
        _derive(plan, tmp_path, DEADLINE_ROWS, body=body)


def test_a_deadline_outside_the_calendar_is_reported(plan, tmp_path) -> None:
    # rated 20 Dec 2022: + 15 working days is in January 2023, a year the calendar does not
    # declare: the record is reported (GS808), not guessed.
    derived = _derive(plan, tmp_path, "1,税务窗口,刘洋,评价器,不满意,2022-12-20 10:00:00,\n")
    assert [d.code for d in derived.problems] == ["GS808", "GS808"]  # once per table
    assert derived.problems[0].span.line == 2
    assert derived.rejected == 2


def test_counts_by_level_per_unit_and_month(plan, tmp_path) -> None:
    rows = ("1,不动产登记窗口,张敏,评价器,非常满意,2022-10-01 09:00:00,\n"
            "2,不动产登记窗口,张敏,二维码,非常满意,2022-10-31 23:59:59,\n"
            "3,不动产登记窗口,张敏,爱山东App,满意,2022-11-01 00:00:00,\n"
            "4,税务窗口,张敏,济宁政务服务网,基本满意,2022-10-15 12:00:00,\n")
    derived = _derive(plan, tmp_path, rows)
    assert sorted(derived.periods) == ["2022-10", "2022-11"]
    # October: 不动产 2 非常满意 (rows 1, 2); 税务 1 基本满意; 张敏 all three October rows
    assert _unit(derived, "2022-10", "不动产登记窗口")["good_bad"] == {
        "非常满意": 2, "满意": 0, "基本满意": 0, "不满意": 0, "非常不满意": 0}
    assert _unit(derived, "2022-10", "张敏")["good_bad"]["基本满意"] == 1
    assert _unit(derived, "2022-10", "张敏")["good_bad"]["非常满意"] == 2
    # November: row 3 only; 税务窗口 has no rating: zero counts (the rating's no_votes decides)
    assert _unit(derived, "2022-11", "不动产登记窗口")["good_bad"]["满意"] == 1
    assert set(_unit(derived, "2022-11", "税务窗口")["good_bad"].values()) == {0}
    # 刘洋 is in the roster without records: present, zero counts, never left out
    assert set(_unit(derived, "2022-10", "刘洋")["good_bad"].values()) == {0}
    assert derived.rows == 8
    assert derived.rejected == 0


def test_a_record_with_an_unknown_level_is_reported_not_dropped(plan, tmp_path) -> None:
    rows = ("1,不动产登记窗口,张敏,评价器,非常满意,2022-10-01 09:00:00,\n"
            "2,不动产登记窗口,张敏,评价器,很满意,2022-10-02 09:00:00,\n")
    derived = _derive(plan, tmp_path, rows)
    problems = [d for d in derived.problems if d.code == "GS806"]
    # row 3 of the file (the header is row 1), column 5 (评价等级), once per table reading it
    assert [(d.span.line, d.span.column) for d in problems] == [(3, 5), (3, 5)]
    assert "很满意" in problems[0].message
    assert _unit(derived, "2022-10", "不动产登记窗口")["good_bad"]["非常满意"] == 1
    assert derived.rejected == 2
    # recoded with levels: counted as 非常满意
    body = s5_records(tmp_path).read_text("utf-8").replace(
        "    categories: [window]\n    count_by: 评价等级\n",
        "    categories: [window]\n    count_by: 评价等级\n    levels: {很满意: 非常满意}\n")
    derived = _derive(plan, tmp_path, rows, body=body)
    assert _unit(derived, "2022-10", "不动产登记窗口")["good_bad"]["非常满意"] == 2
    assert [d.code for d in derived.problems] == ["GS806"]  # the staff table does not recode


def test_a_record_for_an_unknown_unit_is_reported(plan, tmp_path) -> None:
    rows = ("1,不动产登记窗口,张敏,评价器,非常满意,2022-10-01 09:00:00,\n"
            "2,人社窗口,张敏,评价器,非常满意,2022-10-01 09:00:00,\n"
            "3,,张敏,评价器,非常满意,2022-10-01 09:00:00,\n")
    derived = _derive(plan, tmp_path, rows)
    window = [d for d in derived.problems if d.code == "GS805"]
    assert [(d.span.line, d.span.column) for d in window] == [(3, 2), (4, 2)]
    assert "人社窗口" in window[0].message
    assert "an empty cell" in window[1].message
    # the staff table counts all three for 张敏
    assert _unit(derived, "2022-10", "张敏")["good_bad"]["非常满意"] == 3
    assert _unit(derived, "2022-10", "不动产登记窗口")["good_bad"]["非常满意"] == 1


def test_a_bad_date_is_reported(plan, tmp_path) -> None:
    rows = ("1,不动产登记窗口,张敏,评价器,非常满意,2022-09-31 10:00:00,\n"
            "2,不动产登记窗口,张敏,评价器,不满意,2022-09-30 10:00:00,2022-13-01\n")
    derived = _derive(plan, tmp_path, rows)
    shown = sorted({(d.code, d.span.line, d.span.column) for d in derived.problems})
    assert shown == [("GS807", 2, 6), ("GS807", 3, 7)]  # 评价时间 col 6, 整改时间 col 7
    assert derived.periods == {}  # nothing left to count


def test_values_are_parameters_never_sql(plan, tmp_path) -> None:
    # a value that would end the statement if pasted into SQL is just text that matches nothing
    body = s5_records(tmp_path).read_text("utf-8").replace(
        "in: [不满意, 非常不满意]", "in: [\"'); DROP TABLE govscore_units; --\"]")
    derived = _derive(plan, tmp_path, DEADLINE_ROWS, as_of="2022-10-08", body=body)
    assert _unit(derived, "2022-09", "税务窗口")["business_window"] == 0
    query = derived.lineage["queries"]["ratings_by_window"]
    assert "DROP" not in query["sql"]
    assert "不满意" not in query["sql"]
    assert "'); DROP TABLE govscore_units; --" in query["params"].values()


def test_a_file_without_a_declared_column_is_refused(plan, tmp_path) -> None:
    decl = declare.load(s5_records(tmp_path), plan)
    bad = tmp_path / "好差评-bad.csv"
    bad.write_text("窗口,评价等级\n税务窗口,满意\n", encoding="utf-8")
    with pytest.raises(FactsFileError, match="no column '工作人员'"):
        run.derive(decl, [bad])
    other = tmp_path / "other.csv"
    other.write_text("a\n1\n", encoding="utf-8")
    with pytest.raises(FactsFileError, match="matches no table"):
        run.derive(decl, [other])


def test_lineage_is_in_the_result_record(plan, tmp_path) -> None:
    records = s5_records(tmp_path)
    export = ratings(tmp_path, DEADLINE_ROWS)
    facts = [{"id": u, "facts": {"commendation": [], "publicity": {}}}
             for u in ("不动产登记窗口", "税务窗口", "张敏", "刘洋")]
    assessment = api.evaluate_records(plan, records, [export], facts=facts, as_of="2022-10-08")
    lineage = assessment.record.to_dict()["lineage"]
    assert lineage["period"] == "2022-09"
    assert lineage["facts"]["税务窗口"]["business_window"] == {
        "table": "ratings_by_window", "rows": 2, "excluded": 0}
    assert lineage["facts"]["税务窗口"]["good_bad"]["rows"] == 6
    assert lineage["queries"]["ratings_by_window"]["files"][0]["sha256"]
    # 税务窗口 in September: ratings 不满意 ×4, 非常不满意 ×1, 满意 ×1:
    #   好差评 = 30 × (4×3 + 0 + 8) / (6 × 10) = 30 × 20/60 = 10
    #   业务管理 = 20 − 2 × 2 overdue = 16; 20 + 20 + 16 + 10 + 10 = 76
    assert assessment.results["税务窗口"].total == Decimal("76")


def test_declarations_are_checked_like_schemes(plan, tmp_path) -> None:
    body = s5_records(tmp_path).read_text("utf-8")
    body = body.replace("  - fact: good_bad\n    table: ratings_by_staff\n",
                        "  - fact: good_badd\n    table: ratings_by_staff\n")
    body = body.replace("  - fact: business_window\n    table: ratings_by_window\n    count: rows\n",
                        "  - fact: business_window\n    table: ratings_by_window\n"
                        "    count_by: 渠道\n")
    body = body.replace("      - {column: 评价等级, in: [不满意, 非常不满意]}\n      - {deadline: "
                        "{start: 评价时间, working_days: 15, done: 整改时间, status: overdue}}\n"
                        "  - fact: business_staff",
                        "      - {column: 评价结果, in: [不满意]}\n  - fact: business_staff")
    path = s5_records(tmp_path, body)
    with pytest.raises(SchemeError) as caught:
        declare.load(path, plan)
    found = [(d.code, d.pointer) for d in caught.value.diagnostics]
    assert found == [("GS801", "/facts/1/fact"), ("GS802", "/facts/2/count_by"),
                     ("GS801", "/facts/2/where/0/column")]
    lines = body.splitlines()
    for d in caught.value.diagnostics:
        assert d.span is not None
        assert d.span.file == str(path)
    assert "good_badd" in lines[caught.value.diagnostics[0].span.line - 1]
    assert "评价结果" in lines[caught.value.diagnostics[2].span.line - 1]


def test_a_column_name_cannot_carry_sql(plan, tmp_path) -> None:
    body = s5_records(tmp_path).read_text("utf-8").replace(
        "unit: 工作人员", 'unit: "x\\" FROM t; --"')
    with pytest.raises(SchemeError) as caught:
        declare.load(s5_records(tmp_path, body), plan)
    assert [d.code for d in caught.value.diagnostics] == ["GS205"]
    assert caught.value.diagnostics[0].pointer == "/tables/1/unit"


def test_a_broken_export_is_a_diagnostic_not_a_crash(plan, tmp_path) -> None:
    decl = declare.load(s5_records(tmp_path), plan)
    workbook = tmp_path / "好差评.xlsx"
    workbook.write_bytes(b"not a zip file")
    with pytest.raises(FactsFileError, match="GS804 cannot read it"):
        run.derive(decl, [workbook])
    gb = tmp_path / "好差评-gb.csv"
    gb.write_bytes((HEADER + "1,税务窗口,刘洋,评价器,满意,2022-09-08 10:00:00,\n").encode("gb18030"))
    derived = run.derive(decl, [gb])  # GB18030, as Chinese Excel saves CSV: re-encoded, counted
    assert _unit(derived, "2022-09", "税务窗口")["good_bad"]["满意"] == 1
