"""History rules worked by hand: lateness by month (pattern 38), a points ledger with yearly and
monthly caps, expiry and a direct demotion (pattern 45), an award carried into the next year
exactly once (pattern 44)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

from govscore import api
from govscore.language import model
from govscore.periods import explain, history, keys, run
from tests.periods.helpers import DATA, write_events, write_facts


def test_lateness_decays_by_month(tmp_path: Path) -> None:
    # 5月份群众工作网络建设到位记50分, 每推迟1个月到位扣10分: item max 50, from_full, 10 per month
    # late. 甲镇 done 2022-07-03: open in May (0 late: 50), open at the end of June (1: 40),
    # done in July (2: 30), and still 2 in August (30). 乙镇 done 05-20: 50 throughout. 丙镇 never:
    # August is 3 months after May: 50 − 30 = 20.
    files = [write_facts(tmp_path, "network", f"2022-{m:02d}",
                         {"甲镇": {}, "乙镇": {}, "丙镇": {}}) for m in (5, 6, 7, 8)]
    events = write_events(tmp_path, "done", [
        {"rule": "network_done", "unit": "甲镇", "date": "2022-07-03"},
        {"rule": "network_done", "unit": "乙镇", "date": "2022-05-20"}])
    result = run.run([run.Job(api.compile(DATA / "network.yaml"), files, [events])])
    periods = result.schemes["network"].periods
    got = {k: {u: r.total for u, r in p.assessment.results.items()} for k, p in periods.items()}
    assert got["2022-05"] == {"甲镇": 50, "乙镇": 50, "丙镇": 50}
    assert got["2022-06"] == {"甲镇": 40, "乙镇": 50, "丙镇": 40}
    assert got["2022-07"] == {"甲镇": 30, "乙镇": 50, "丙镇": 30}
    assert got["2022-08"] == {"甲镇": 30, "乙镇": 50, "丙镇": 20}
    titles = explain.titles_of(result, "network")
    june = explain.explain_period(periods["2022-06"], "甲镇", titles)
    assert "群众工作网络建设到位: 2022-05 到期, 截至 2022-06 未完成, 逾期 1 个月" in june
    august = explain.explain_period(periods["2022-08"], "甲镇", titles, "en")
    assert "due 2022-05, done 2022-07, 2 month(s) late" in august


CREDIT_EVENTS = [
    # 张三: 区级平台捐款每年最多加40分 (per_year 40), and at most 30 a month (per_month 30).
    {"rule": "credit_ledger", "unit": "张三", "date": "2022-01-10", "id": "d1",
     "type": "donation", "value": "30"},   # credited 30 (Jan: 30 of 30; year: 30 of 40)
    {"rule": "credit_ledger", "unit": "张三", "date": "2022-01-20", "id": "d2",
     "type": "donation", "value": "10"},   # January's 30 used up: credited 0
    {"rule": "credit_ledger", "unit": "张三", "date": "2022-02-05", "id": "d3",
     "type": "donation", "value": "20"},   # the year has 10 left: credited 10 (the yearly cap)
    {"rule": "credit_ledger", "unit": "张三", "date": "2022-03-01", "id": "v1",
     "type": "volunteer", "value": "1"},   # 志愿服务 每月最多1分: credited 1
    {"rule": "credit_ledger", "unit": "张三", "date": "2022-03-15", "id": "v2",
     "type": "volunteer", "value": "1"},   # March's 1 used: credited 0
    {"rule": "credit_ledger", "unit": "张三", "date": "2022-04-01", "id": "b1",
     "type": "breach", "value": "-5"},     # a loss counts in full
    {"rule": "credit_ledger", "unit": "张三", "date": "2023-01-05", "id": "d4",
     "type": "donation", "value": "35"},   # a new year: per_month 30 cuts it to 30
    # 李四: 100 points, then a serious breach: 直接降B级 whatever the points.
    {"rule": "credit_ledger", "unit": "李四", "date": "2022-01-15", "id": "d1",
     "type": "donation", "value": "30"},
    {"rule": "credit_ledger", "unit": "李四", "date": "2022-02-15", "id": "d2",
     "type": "donation", "value": "10"},
    {"rule": "credit_ledger", "unit": "李四", "date": "2022-03-10", "id": "x1",
     "type": "serious_breach", "value": "0"},
]


def test_ledger_caps_expiry_and_demotion(tmp_path: Path) -> None:
    months = ["2022-01", "2022-02", "2022-03", "2022-04", "2023-01"]
    files = [write_facts(tmp_path, "credit", m, {"张三": {}, "李四": {}}) for m in months]
    events = write_events(tmp_path, "ledger", CREDIT_EVENTS)
    result = run.run([run.Job(api.compile(DATA / "credit.yaml"), files, [events])])
    periods = result.schemes["credit"].periods
    zhang = {m: periods[m].assessment.results["张三"].total for m in months}
    # start 60. Jan: 60 + 30 + 0 = 90. Feb: + 10 (yearly cap) = 100. Mar: + 1 + 0 = 101.
    # Apr: − 5 = 96. 2023-01: d1 (2022-01-10) and d2 expired after 12 months (2023-01-10 and
    # 01-20, before 01-31): 60 + 10 + 1 + 0 − 5 + 30 (d4 cut to 30) = 96.
    assert zhang == {"2022-01": 90, "2022-02": 100, "2022-03": 101, "2022-04": 96,
                     "2023-01": 96}
    note = next(n for n in periods["2022-02"].notes["张三"] if n.kind == "ledger")
    assert [(e.event.id, e.credited, e.cap) for e in note.entries] == [
        ("d1", 30, ""), ("d2", 0, "per_month 30"), ("d3", 10, "per_year 40")]
    # 李四: Jan 60 + 30 = 90 (B); Feb + 10 = 100 (A); Mar the breach caps the grade at B
    # although the points stay 100.
    li = {m: (periods[m].assessment.results["李四"].total,
              periods[m].assessment.placements["李四"].grade) for m in months[:4]}
    assert li == {"2022-01": (90, "B"), "2022-02": (100, "A"), "2022-03": (100, "B"),
                  "2022-04": (100, "B")}
    text = explain.explain_period(periods["2022-02"], "张三",
                                  explain.titles_of(result, "credit"))
    assert "2022-02-05 donation 20, 计 10 (per_year 40)" in text
    assert "信用积分台账: 起始 60, 期末余额 100 → 信用积分" in text


def test_ledger_expiry_frees_the_balance_not_the_cap() -> None:
    rule = model.Ledger(kind="ledger", id="l", title="t", into="p", start=Decimal(0),
                        caps=[model.LedgerCap(per_year=Decimal(5))], expires_after_months=1)
    events = [history.Event("l", "u", datetime.date(2022, 1, 31), "a", value="5"),
              history.Event("l", "u", datetime.date(2022, 3, 1), "b", value="5")]
    # a (Jan 31) counts until Feb 28 (one month later, the day clamped): in force at the end of
    # February? add_months(01-31, 1) = 02-28, and 02-28 < 02-28 is false: expired at Feb's end.
    feb, _ = history.ledger(rule, events, keys.Period("month", 2022, 2))
    assert feb.value == 0
    # b is in the same year: the yearly cap of 5 was used by a (expiry does not give it back).
    march, _ = history.ledger(rule, events, keys.Period("month", 2022, 3))
    assert [e.credited for e in march.entries] == [5, 0]


def test_award_carried_to_the_next_year_exactly_once() -> None:
    # 株洲: 2012年2月以后对2011年工作的表彰, 2011年考核未加分的, 列入2012年度加分. The 2011
    # assessment closes on 2012-01-31 (closes_after_days 31).
    rule = model.CarryOver(kind="carry_over", id="c", title="表彰", into="honours",
                           closes_after_days=31)
    def event(ident: str, day: str, for_: str | None) -> history.Event:
        return history.Event("c", "u", datetime.date.fromisoformat(day), ident,
                             keys.parse("year", for_) if for_ else None)
    events = [event("A", "2011-12-20", "2011"),   # in 2011, for 2011 → 2011
              event("B", "2012-01-20", "2011"),   # before 2011 closed → 2011
              event("C", "2012-02-15", "2011"),   # after → carried to 2012
              event("D", "2012-06-01", "2012"),   # → 2012
              event("E", "2012-12-30", None)]     # no 'for': the period it was issued in
    y2011, y2012 = keys.Period("year", 2011, 1), keys.Period("year", 2012, 1)
    counted = {p: [e.id for e in history.carry_over(rule, events, p, False).events]
               for p in (y2011, y2012, keys.Period("year", 2013, 1))}
    assert counted == {y2011: ["A", "B"], y2012: ["C", "D", "E"],
                       keys.Period("year", 2013, 1): []}
    assert history.carry_over(rule, events, y2012, False).value == 3
    levels = history.carry_over(rule, events[:1], y2011, True).value
    assert levels == [{"level": "", "matter": "A"}]


def test_streak_breaks_on_a_month_absent_from_the_run() -> None:
    rule = model.Streak(kind="streak", id="s", title="t", periods=2,
                        when=model.StreakWhen(bottom=1))
    month = [keys.Period("month", 2022, m) for m in range(1, 6)]
    # January and March held, February is not in the run at all: no streak of 2 until April.
    fired = history.streaks(rule, [(month[0], True), (month[2], True), (month[3], True)])
    assert list(fired) == [month[3]]
    # reset: true fires at 2, then counts again from 0 (fires at 4, not at 3).
    again = model.Streak(kind="streak", id="s", title="t", periods=2, reset=True,
                         when=model.StreakWhen(bottom=1))
    fired = history.streaks(again, [(m, True) for m in month[:4]])
    assert [p.part for p in fired] == [2, 4]


def test_bad_events_are_reported_by_row(tmp_path: Path) -> None:
    events = write_events(tmp_path, "bad", [
        {"rule": "nope", "unit": "W1", "date": "2022-01-01"},
        {"rule": "honour_events", "unit": "W1", "date": "2022-02-30"},
        {"rule": "honour_events", "unit": "", "date": "2022-02-01"},
        {"rule": "honour_events", "unit": "W1", "date": "2022-02-01", "for": "2022-Q1"},
        {"rule": "honour_events", "unit": "W1", "date": "2022-02-01", "id": "x"},
        {"rule": "honour_events", "unit": "W1", "date": "2022-02-02", "id": "x"},
    ])
    files = [write_facts(tmp_path, "hall", "2022-02", {"W1": {"service": 90}})]
    result = run.run([run.Job(api.compile(DATA / "hall.yaml"), files, [events])])
    problems = result.schemes["hall"].problems
    assert [d.code for d in problems] == ["GS826"] * 5
    assert [d.message.split(":")[1] for d in problems] == ["2", "3", "4", "5", "7"]
    assert "'nope' is not a lateness, carry_over or ledger rule" in problems[0].message
    # the one good event (x, 02-01) is counted once
    assert result.schemes["hall"].periods["2022-02"].assessment.results["W1"].total == 91
    assert not result.ok


def test_hostile_events_and_conflicts_are_reported_not_raised(tmp_path: Path) -> None:
    # a ledger entry dated 9999 would expire in year 10000 (beyond any date): refused by row;
    # a facts file that gives the fact a history rule sets, with another value: that period is
    # not scored on either guess, and the conflict is reported (GS410)
    events = write_events(tmp_path, "ledger", [
        {"rule": "credit_ledger", "unit": "张三", "date": "9999-12-31", "value": "5"}])
    files = [write_facts(tmp_path, "credit", "2022-01", {"张三": {"points": 7}}),
             write_facts(tmp_path, "credit", "2022-02", {"张三": {}})]
    result = run.run([run.Job(api.compile(DATA / "credit.yaml"), files, [events])])
    scheme = result.schemes["credit"]
    assert [d.code for d in scheme.problems] == ["GS826", "GS410"]
    assert "1900-2999" in scheme.problems[0].message
    assert list(scheme.periods) == ["2022-02"]
    assert scheme.periods["2022-02"].assessment.results["张三"].total == 60  # the start balance
    assert not result.ok
