"""History rules: what the earlier periods and dated events give a unit in one period.

Each rule is a pure function of the events (and, for a streak, of the earlier periods' results),
so a period scored on its own or inside a year's run gets the same facts, and a carried-over award
is counted in exactly one period whatever runs are made. Every value comes with a ``Note``: the
events and numbers behind it, which :mod:`govscore.periods.explain` words.
"""

from __future__ import annotations

import calendar
import csv
import datetime
import io
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from govscore.engine.results import Placement, UnitResult
from govscore.errors import Diagnostic, FactsFileError
from govscore.inputs import readers, tables
from govscore.language import model
from govscore.periods import checks, keys
from govscore.periods.keys import Period

EVENT_COLUMNS = ("rule", "unit", "date", "id", "for", "type", "value")
MIN_YEAR, MAX_YEAR = 1900, 2999
"""Event days outside these years are refused (an expiry date a thousand months on stays a day)."""
MAX_EVENTS = 1_000_000


@dataclass(frozen=True)
class Event:
    """One dated event of a history rule (a task done, an award issued, a ledger entry)."""

    rule: str
    unit: str
    day: datetime.date
    id: str
    for_period: Period | None = None
    type: str | None = None
    value: str | None = None
    where: str = ""
    """file:row, for messages."""


@dataclass(frozen=True)
class Entry:
    """A ledger entry with the points credited after the caps."""

    event: Event
    points: Decimal
    credited: Decimal
    cap: str = ""
    """Why less was credited (e.g. 'per_year 40'), empty when all was."""
    expired: bool = False


@dataclass(frozen=True)
class Note:
    """What a history rule gave one unit in one period, and why."""

    rule: str
    kind: str
    fact: str
    value: Any
    events: tuple[Event, ...] = ()
    entries: tuple[Entry, ...] = ()
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Consequence:
    """A streak that has reached its length in a period."""

    rule: str
    title: str
    length: int
    periods: tuple[str, ...]


# ---------------------------------------------------------------------------------------------
# events


def read_events(paths: Sequence[Path], scheme: model.Scheme,
                problems: list[Diagnostic]) -> list[Event]:
    """The events of the files (CSV with the columns ``rule, unit, date`` and optional ``id, for,
    type, value``; or YAML/JSON: a list of such mappings). A bad row is GS826 with its file and
    row, and is not used."""
    rules = {r.id: r for r in scheme.history if not isinstance(r, model.Streak)}
    out: list[Event] = []
    seen: set[tuple[str, str, str]] = set()
    for path in paths:
        try:
            rows = _rows(path)
        except FactsFileError as exc:  # not text, NUL characters: the events file's own problem
            problems += [Diagnostic("GS826", d.message, span=d.span) for d in exc.diagnostics]
            continue
        except (OSError, ValueError, csv.Error) as exc:
            problems.append(Diagnostic("GS826", f"{path}: cannot read the events: "
                                       f"{str(exc)[:200]}"))
            continue
        for n, row in rows:
            where = f"{path}:{n}"
            event = _event(row, where, rules, scheme.period, problems)
            if event is None:
                continue
            ident = (event.rule, event.unit, event.id)
            if ident in seen:
                problems.append(Diagnostic("GS826", f"{where}: event {event.id!r} of "
                                           f"{event.rule!r} for {event.unit!r} is given twice"))
                continue
            seen.add(ident)
            out.append(event)
            if len(out) > MAX_EVENTS:
                problems.append(Diagnostic("GS826", f"more than {MAX_EVENTS} events"))
                return out
    return out


def _rows(path: Path) -> list[tuple[int, Mapping[str, Any]]]:
    text, _ = tables.decode_text(tables.read_bytes(path), str(path))
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(io.StringIO(text))
        return [(i + 2, row) for i, row in enumerate(reader)]
    data = readers.parse_json(text, str(path)) if path.suffix.lower() == ".json" \
        else readers.parse_yaml(text, str(path))
    if isinstance(data, Mapping):
        data = data.get("events")
    if not isinstance(data, list):
        msg = "expected a list of events (or a mapping with 'events')"
        raise ValueError(msg)
    return [(i + 1, row if isinstance(row, Mapping) else {}) for i, row in enumerate(data)]


def _text(row: Mapping[str, Any], name: str) -> str | None:
    value = row.get(name)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _event(row: Mapping[str, Any], where: str, rules: Mapping[str, Any], grain: str,
           problems: list[Diagnostic]) -> Event | None:
    unknown = sorted(str(k) for k in row if k not in EVENT_COLUMNS)
    if unknown:
        problems.append(Diagnostic("GS826", f"{where}: unknown column(s) {', '.join(unknown)}; "
                                   f"events have {', '.join(EVENT_COLUMNS)}"))
        return None
    rule_id, unit, date = (_text(row, k) for k in ("rule", "unit", "date"))
    if rule_id is None or rule_id not in rules:
        problems.append(Diagnostic("GS826", f"{where}: rule {rule_id!r} is not a lateness, "
                                   f"carry_over or ledger rule of the scheme ("
                                   f"{', '.join(rules) or 'none'})"))
        return None
    if unit is None:
        problems.append(Diagnostic("GS826", f"{where}: the unit is empty"))
        return None
    try:
        day = datetime.date.fromisoformat(date or "")
        if not MIN_YEAR <= day.year <= MAX_YEAR:
            raise ValueError(day)
    except ValueError:
        problems.append(Diagnostic("GS826", f"{where}: {str(date)[:40]!r} is not a day "
                                   f"(YYYY-MM-DD, {MIN_YEAR}-{MAX_YEAR})", unit=unit))
        return None
    rule = rules[rule_id]
    for_text = _text(row, "for")
    for_period = None
    if for_text is not None:
        for_period = keys.parse(grain, for_text)
        if for_period is None or not isinstance(rule, model.CarryOver):
            problems.append(Diagnostic("GS826", f"{where}: 'for' is a period of the scheme "
                                       f"({grain}) and only carry_over events have it",
                                       unit=unit))
            return None
    value = _text(row, "value")
    if isinstance(rule, model.Ledger) and points(value) is None:
        problems.append(Diagnostic("GS826", f"{where}: a ledger event's value is its "
                                   f"points (a number), not {str(value)[:40]!r}", unit=unit))
        return None
    return Event(rule_id, unit, day, _text(row, "id") or where, for_period, _text(row, "type"),
                 value, where)


def points(value: str | None) -> Decimal | None:
    try:
        number = Decimal(value or "")
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


# ---------------------------------------------------------------------------------------------
# the rules


def months_between(start: tuple[int, int], end: tuple[int, int]) -> int:
    return (end[0] - start[0]) * 12 + end[1] - start[1]


def lateness(rule: model.Lateness, events: Sequence[Event], period: Period) -> Note:
    """The months late as of ``period`` (pattern 38): from the due month to the month done, or
    — not done by the period's end — to the period's last month; never below 0."""
    due_year, due_month = (int(x) for x in rule.due.split("-"))
    done = min((e for e in events), key=lambda e: e.day, default=None)
    if done is not None and done.day <= period.last_day:
        end, status = (done.day.year, done.day.month), "done"
    else:
        end, status = period.last_month, "open"
    months = max(0, months_between((due_year, due_month), end))
    return Note(rule.id, "lateness", rule.into, months, (done,) if done is not None and
                status == "done" else (), detail={"due": rule.due, "status": status,
                                                  "until": keys.key("month", *end)})


def attributed(rule: model.CarryOver, event: Event, grain: str) -> Period:
    """The one period an event counts in (pattern 44): the period it is for when issued by the
    day that period's assessment closes, else the period it was issued in."""
    issued = keys.of_day(grain, event.day)
    target = event.for_period or issued
    closes = target.last_day + datetime.timedelta(days=rule.closes_after_days)
    return target if event.day <= closes or issued < target else issued


def carry_over(rule: model.CarryOver, events: Sequence[Event], period: Period,
               as_levels: bool) -> Note:
    counted = tuple(sorted((e for e in events if attributed(rule, e, period.grain) == period),
                           key=lambda e: (e.day, e.id)))
    value: Any = [{"level": e.value or "", "matter": e.id} for e in counted] if as_levels \
        else len(counted)
    return Note(rule.id, "carry_over", rule.into, value, counted)


def add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return datetime.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def ledger_entries(rule: model.Ledger, events: Sequence[Event]) -> list[Entry]:
    """Every entry in date order with the points credited: a gain is cut to what each cap that
    covers its type has left in the entry's calendar year and month; a loss counts in full."""
    used: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    out: list[Entry] = []
    for event in sorted(events, key=lambda e: (e.day, e.id)):
        amount = points(event.value) or Decimal(0)
        credited, why = amount, ""
        if amount > 0:
            for i, cap in enumerate(rule.caps):
                if cap.types is not None and event.type not in cap.types:
                    continue
                for limit, bucket, label in (
                        (cap.per_year, f"{event.day.year}", "per_year"),
                        (cap.per_month, f"{event.day.year}-{event.day.month:02d}", "per_month")):
                    if limit is None:
                        continue
                    left = max(Decimal(0), limit - used[(i, bucket)])
                    if left < credited:
                        credited, why = left, f"{label} {limit}"
            for i, cap in enumerate(rule.caps):
                if cap.types is None or event.type in cap.types:
                    for limit, bucket in ((cap.per_year, f"{event.day.year}"),
                                          (cap.per_month,
                                           f"{event.day.year}-{event.day.month:02d}")):
                        if limit is not None:
                            used[(i, bucket)] += credited
        out.append(Entry(event, amount, credited, why))
    return out


def in_force(rule: model.Ledger, day: datetime.date, end: datetime.date) -> bool:
    """An entry dated ``day`` counts at ``end``: dated by then, and not yet expired (it stops
    counting ``expires_after_months`` months after its date)."""
    if day > end:
        return False
    return rule.expires_after_months is None or end < add_months(day,
                                                                 rule.expires_after_months)


def ledger(rule: model.Ledger, events: Sequence[Event], period: Period
           ) -> tuple[Note, dict[str, bool]]:
    """The balance at the period's end (pattern 45) and the demotion flags in force."""
    end = period.last_day
    entries = [Entry(e.event, e.points, e.credited, e.cap, not in_force(rule, e.event.day, end))
               for e in ledger_entries(rule, events) if e.event.day <= end]
    balance = rule.start + sum((e.credited for e in entries if not e.expired), Decimal(0))
    flags = {d.input: any(not e.expired and e.event.type == d.type for e in entries)
             for d in rule.demotions}
    return Note(rule.id, "ledger", rule.into, balance, entries=tuple(entries),
                detail={"start": rule.start, "flags": flags}), flags


def derive(scheme: model.Scheme, events: Iterable[Event], units: Iterable[str],
           period: Period) -> dict[str, list[Note]]:
    """The facts the history rules give each unit in ``period``, as notes (streaks excepted:
    they follow results, see :func:`streaks`)."""
    by: dict[tuple[str, str], list[Event]] = defaultdict(list)
    for event in events:
        by[(event.rule, event.unit)].append(event)
    out: dict[str, list[Note]] = {}
    for unit in units:
        notes: list[Note] = []
        for rule in scheme.history:
            mine = by.get((rule.id, unit), [])
            if isinstance(rule, model.Lateness):
                notes.append(lateness(rule, mine, period))
            elif isinstance(rule, model.CarryOver):
                notes.append(carry_over(rule, mine, period,
                                        checks.carry_target(scheme, rule.into) == "levels"))
            elif isinstance(rule, model.Ledger):
                note, flags = ledger(rule, mine, period)
                notes.append(note)
                notes += [Note(rule.id, "demotion", flag, on) for flag, on in flags.items()]
        out[unit] = notes
    return out


def holds(when: model.StreakWhen, result: UnitResult, placement: Placement | None) -> bool:
    """Whether one period's result meets a streak's condition."""
    if when.below is not None:
        return result.total < when.below
    if placement is None:
        return False
    if when.bottom is not None:
        return placement.scope_size - placement.rank + 1 <= when.bottom
    if when.grades is not None:
        return placement.grade in when.grades
    return when.award in placement.awards


def streaks(rule: model.Streak, history: Sequence[tuple[Period, bool | None]]
            ) -> dict[Period, Consequence]:
    """The periods in which a streak fires (pattern 27). ``history`` is every period of the
    run in order with whether the condition held (None: no result for the unit). A gap in the
    periods (a month not in the run) or a None breaks the streak."""
    fired: dict[Period, Consequence] = {}
    run: list[Period] = []
    previous: Period | None = None
    for period, held in history:
        if previous is not None and period.index != previous.index + 1:
            run = []
        previous = period
        if not held:
            run = []
            continue
        run.append(period)
        if len(run) >= rule.periods:
            fired[period] = Consequence(rule.id, rule.title, len(run),
                                        tuple(str(p) for p in run))
            if rule.reset:
                run = []
    return fired
