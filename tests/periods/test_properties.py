"""Property tests of the period rules, each against an independent recomputation: roll-ups in
exact fractions, ledger caps never exceeded, every carried event counted exactly once, streaks
fired exactly where the last k consecutive periods held."""

from __future__ import annotations

import datetime
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from govscore.language import model
from govscore.periods import history, keys, rollup

SCHEME = model.Scheme.model_validate({
    "govscore": "1", "id": "p", "title": "t", "source": {"document": "d"}, "version": "1",
    "period": "month", "score": {"id": "o", "title": "o", "max": Decimal(100), "children": [
        {"id": "i", "title": "i", "max": Decimal(100),
         "rule": {"kind": "manual", "min": Decimal(0), "max": Decimal(100)}}]}})

values = st.decimals(min_value=0, max_value=110, places=2, allow_nan=False)


def expected(aggregate: str, best: int | None, missing: str,
             series: list[Decimal | None]) -> Fraction | None:
    present = [Fraction(v) for v in series if v is not None]
    if len(present) < len(series) and (missing == "error" or not present):
        return None
    fill = Fraction(0) if missing == "zero" or not present else sum(present) / len(present)
    filled = [Fraction(v) if v is not None else fill for v in series]
    if best is not None:
        filled = sorted(filled)[::-1][:best]
    if aggregate == "mean":
        return sum(filled) / len(filled)
    if aggregate == "sum":
        return sum(filled, Fraction(0))
    if aggregate == "last":
        return filled[-1]
    return min(filled) if aggregate == "min" else max(filled)


def half_up(value: Fraction) -> Decimal:
    # round half up to 2 places on the exact fraction: floor(x × 100 + 1/2) / 100 (x >= 0)
    scaled = value * 100 + Fraction(1, 2)
    return Decimal(scaled.numerator // scaled.denominator) / 100


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["mean", "sum", "last", "min", "max"]),
       st.sampled_from(["error", "zero", "mean_of_present"]),
       st.lists(st.one_of(st.none(), values), min_size=3, max_size=3).map(lambda q: q * 4),
       st.data())
def test_rollup_matches_exact_fractions(aggregate: str, missing: str,
                                        series: list[Decimal | None], data: st.DataObject
                                        ) -> None:
    best = data.draw(st.none() | st.integers(1, 12)) if aggregate in ("mean", "sum") else None
    rule = model.Rollup(id="y", title="y", period="year", aggregate=aggregate,  # type: ignore[arg-type]
                        missing=missing, best=best)  # type: ignore[arg-type]
    months = keys.Period("year", 2022, 1).parts("month")
    got = rollup.combine(rule, SCHEME, "u", list(zip(months, series, strict=True)))
    want = expected(aggregate, best, missing, series)
    if want is None:
        assert got is None
    else:
        assert got is not None
        # 34 digits: a value on a rounding boundary (…5 at the third place) is a finite decimal,
        # so it is computed exactly and rounds the same way as the fraction
        assert got.value == half_up(want)


dates = st.dates(min_value=datetime.date(2022, 1, 1), max_value=datetime.date(2023, 12, 31))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(dates, st.integers(-20, 40), st.sampled_from(["a", "b", "c"])),
                max_size=40),
       st.integers(0, 30), st.integers(0, 20))
def test_ledger_caps_are_never_exceeded(entries: list[tuple[datetime.date, int, str]],
                                        per_year: int, per_month: int) -> None:
    rule = model.Ledger(kind="ledger", id="l", title="t", into="p",
                        caps=[model.LedgerCap(types=["a", "b"], per_year=Decimal(per_year)),
                              model.LedgerCap(types=["b"], per_month=Decimal(per_month))])
    events = [history.Event("l", "u", day, f"e{i}", type=kind, value=str(points))
              for i, (day, points, kind) in enumerate(entries)]
    credited = history.ledger_entries(rule, events)
    year: dict[int, Decimal] = {}
    month: dict[tuple[int, int], Decimal] = {}
    for entry in credited:
        points = Decimal(entry.event.value or "0")
        if points <= 0 or entry.event.type == "c":
            assert entry.credited == points  # losses and uncapped types count in full
            continue
        assert 0 <= entry.credited <= points
        day = entry.event.day
        year[day.year] = year.get(day.year, Decimal(0)) + entry.credited
        if entry.event.type == "b":
            key = (day.year, day.month)
            month[key] = month.get(key, Decimal(0)) + entry.credited
    assert all(v <= per_year for v in year.values())
    assert all(v <= per_month for v in month.values())


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(dates, st.none() | st.integers(0, 23)), max_size=30),
       st.integers(0, 60))
def test_every_carried_event_is_counted_exactly_once(
        raw: list[tuple[datetime.date, int | None]], closes: int) -> None:
    rule = model.CarryOver(kind="carry_over", id="c", title="t", into="x",
                           closes_after_days=closes)
    start = keys.Period("month", 2022, 1)
    events = [history.Event("c", "u", day, f"e{i}",
                            keys.from_index("month", start.index + f) if f is not None else None)
              for i, (day, f) in enumerate(raw)]
    run = [keys.from_index("month", start.index + i) for i in range(24)]  # 2022-01 … 2023-12
    counted = [e.id for p in run for e in history.carry_over(rule, events, p, False).events]
    assert sorted(counted) == sorted(e.id for e in events)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), st.one_of(st.none(), st.booleans())), max_size=30),
       st.integers(2, 4))
def test_streaks_fire_where_the_last_k_consecutive_periods_held(
        steps: list[tuple[int, bool | None]], k: int) -> None:
    rule = model.Streak(kind="streak", id="s", title="t", periods=k,
                        when=model.StreakWhen(bottom=1))
    index, seen = keys.Period("month", 2022, 1).index, []
    for gap, held in steps:
        index += 1 + gap  # gap > 0: months missing from the run
        seen.append((keys.from_index("month", index), held))
    fired = history.streaks(rule, seen)
    by_index = {p.index: held for p, held in seen}
    for period, _ in seen:
        window = [by_index.get(period.index - j) for j in range(k)]
        assert (period in fired) == all(h is True for h in window)


field_text = st.one_of(st.just(""), st.text(max_size=12),
                       st.sampled_from(["honour_events", "credit_ledger", "W1", "2022-02",
                                        "2022-02-30", "9999-12-31", "-5", "1e9", "NaN"]))


_PLANS: dict[str, object] = {}


@settings(max_examples=25, deadline=None)
@given(st.lists(st.fixed_dictionaries(dict.fromkeys(history.EVENT_COLUMNS, field_text)),
                max_size=8))
def test_any_events_file_gives_results_or_diagnostics(rows: list[dict[str, str]]) -> None:
    """Whatever an events file holds, a run scores or reports: no foreign exception."""
    import tempfile
    from pathlib import Path

    from govscore import api
    from govscore.periods import run
    from tests.periods.helpers import DATA, write_events, write_facts

    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        events = write_events(tmp, "events", rows)
        facts = [write_facts(tmp, "credit", "2022-02", {"W1": {}})]
        if "credit" not in _PLANS:
            _PLANS["credit"] = api.compile(DATA / "credit.yaml")
        plan = _PLANS["credit"]
        result = run.run([run.Job(plan, facts, [events])])  # type: ignore[arg-type]
        scheme = result.schemes["credit"]
        assert all(d.code in ("GS826", "GS410") for d in scheme.problems)
        scored = scheme.periods.get("2022-02")
        if scored is not None:
            assert len(scored.assessment.results) + len(scored.assessment.rejected) == 1
