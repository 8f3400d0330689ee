"""A records file → checked declarations, every problem with its file:line:column and key path.

``text → Document (positions) → Records (pydantic) → checks against the scheme's plan``. The
checks ask each fact's own rule kind whether a measure's value fits it (``FactSpec.check``), so a
count is never declared for a rating and a mapping never for a count, without a second table of
kinds here.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from govscore.engine.facts import FactProblem, FactSpec
from govscore.engine.plan import Plan
from govscore.errors import Diagnostic, SchemeError, Span
from govscore.language import yaml_reader
from govscore.records import model
from govscore.scheme import loader

MAX_RECORDS_FILE_BYTES = 2_000_000
"""A records file (the declarations, not the exports) is at most this large."""

ROSTER_ALL = "all"
"""The roster key of a scheme without categories."""

_DATE_TYPES = ("date", "timestamp")


@dataclass(frozen=True)
class Declarations:
    """A records file checked against its scheme: what :mod:`govscore.records.sql` compiles."""

    records: model.Records
    file: str
    plan: Plan
    roster: Mapping[str, str | None]
    """Unit id → its category (None in a scheme without categories)."""
    levels: Mapping[str, tuple[str, ...]]
    """Fact → the levels its count_by counts (the item's own, in the scheme's order)."""

    def table(self, table_id: str) -> model.Table:
        return next(t for t in self.records.tables if t.id == table_id)

    def measures(self, table_id: str) -> list[model.Measure]:
        return [m for m in self.records.facts if m.table == table_id]

    def applies(self, measure: model.Measure, unit: str) -> bool:
        """Whether ``measure`` derives its fact for ``unit`` (the fact applies to the unit's
        category and, for an item of named units only, to the unit; and the measure is for that
        category)."""
        category = self.roster.get(unit)
        spec = self.spec(measure.fact)
        if not spec.applies(category, unit):
            return False
        return measure.categories is None or category in measure.categories

    def units_of(self, table_id: str) -> list[str]:
        """The roster units some measure of this table derives a fact for."""
        measures = self.measures(table_id)
        return [u for u in self.roster if any(self.applies(m, u) for m in measures)]

    def spec(self, fact: str) -> FactSpec:
        return self.plan.specs[fact]


def read_document(source: str | Path) -> yaml_reader.Document:
    """The records file's text as a positioned document; raises SchemeError (GS1xx)."""
    file = str(source)
    # a regular file, read no further than the limit (not /dev/zero, not a FIFO): GS101/GS106
    raw = loader.read_source(Path(source), MAX_RECORDS_FILE_BYTES)
    try:
        doc = yaml_reader.parse(yaml_reader.decode(raw, file, max_bytes=MAX_RECORDS_FILE_BYTES),
                                file)
    except yaml_reader.YamlError as exc:
        raise SchemeError(exc.diagnostics, f"{file}: the records file cannot be read") from None
    return doc


def load(source: str | Path, plan: Plan) -> Declarations:
    """Load a records file and check it against ``plan``'s scheme; raise SchemeError with every
    problem (the same codes and positions as a scheme's: GS1xx, GS2xx, and GS801-GS803)."""
    doc = read_document(source)
    file = doc.file
    if not isinstance(doc.data, dict):
        raise SchemeError([Diagnostic("GS105", "a records file is a mapping of keys "
                                      "(govscore_records, scheme, tables, facts)",
                                      span=Span(file, 1, 1))])
    if doc.problems:
        raise SchemeError(doc.problems, f"{file}: the records file is invalid")
    try:
        records = model.Records.model_validate(doc.data)
    except ValidationError as exc:
        raise SchemeError(loader.translate(exc, doc), f"{file}: the records file is invalid") \
            from None
    problems: list[Diagnostic] = []
    roster = _roster(records, plan, problems)
    levels = _check(records, plan, problems)
    problems += _scheme_matches(records, Path(source), plan)
    placed = [d if d.span is not None else Diagnostic(
        d.code, d.message, path=d.path, span=doc.span(d.path, key=d.at_key), hint=d.hint)
        for d in problems]
    if placed:
        raise SchemeError(placed, f"{file}: the records file is invalid")
    return Declarations(records, file, plan, roster, levels)


def _scheme_matches(records: model.Records, source: Path, plan: Plan) -> list[Diagnostic]:
    """GS803 when the records file names another scheme than the one given (compared by content,
    so a copy of the scheme elsewhere is the same scheme)."""
    named = (source.parent / records.scheme)
    try:
        same = loader.read_text(named)[1] == loader.read_text(plan.loaded.file)[1]
    except SchemeError:
        return [Diagnostic("GS803", f"the scheme {records.scheme!r} (relative to the records "
                           "file) cannot be read", path=("scheme",))]
    if same:
        return []
    return [Diagnostic("GS803", f"the records file is for {records.scheme!r}, not for "
                       f"{plan.loaded.file!r} (their contents differ)", path=("scheme",))]


def _roster(records: model.Records, plan: Plan, problems: list[Diagnostic]) -> dict[str, str | None]:
    categories = [c.id for c in plan.scheme.categories]
    roster: dict[str, str | None] = {}
    if records.units:
        for category, units in records.units.items():
            if categories and category not in categories:
                problems.append(Diagnostic(
                    "GS801", f"unknown category {category!r}; the scheme has "
                    f"{', '.join(categories)}", path=("units", category), at_key=True))
                continue
            if not categories and category != ROSTER_ALL:
                problems.append(Diagnostic(
                    "GS801", f"the scheme has no categories: list its units under "
                    f"{ROSTER_ALL!r}, not {category!r}", path=("units", category), at_key=True))
                continue
            for i, unit in enumerate(units):
                if unit in roster:
                    problems.append(Diagnostic(
                        "GS803", f"unit {unit!r} is listed twice in the roster",
                        path=("units", category, i)))
                roster[unit] = category if categories else None
        return roster
    for declared in plan.scheme.categories:
        for unit in declared.members:
            roster[unit] = declared.id
    if not roster:
        problems.append(Diagnostic(
            "GS803", "no unit roster: the scheme's categories name no members, so list the "
                     "units under 'units' (category → unit ids); records for units not listed "
                     "are reported", path=("units",), at_key=False))
    return roster


def _fits(spec: FactSpec, value: Any) -> bool:
    try:
        spec.check(value)
    except FactProblem:
        return False
    return True


def _levels_of(spec: FactSpec) -> tuple[str, ...] | None:
    """The levels a count_by may count for this fact: a rating's values and excluded levels, a
    by_level item's levels; None when the fact takes no mapping level → count."""
    if spec.item is None:
        return None
    rule = spec.item.rule
    values = getattr(rule, "values", None) or getattr(rule, "levels", None)
    if not isinstance(values, Mapping):
        return None
    levels = tuple(str(level) for level in values)
    levels += tuple(str(level) for level in getattr(rule, "excluded", None) or ())
    return levels if _fits(spec, {levels[0]: 1}) else None


def _check(records: model.Records, plan: Plan, problems: list[Diagnostic]) -> dict[str, tuple[str, ...]]:
    tables: dict[str, model.Table] = {}
    for i, table in enumerate(records.tables):
        if table.id in tables:
            problems.append(Diagnostic("GS803", f"table {table.id!r} is declared twice",
                                       path=("tables", i, "id")))
            continue
        tables[table.id] = table
        for key in ("unit", "period"):
            column = getattr(table, key)
            if column not in table.columns:
                problems.append(Diagnostic(
                    "GS801", f"column {column!r} is not among the table's columns",
                    path=("tables", i, key), hint=f"add it under tables[{i}].columns"))
        if table.columns.get(table.period, "date") not in _DATE_TYPES:
            problems.append(Diagnostic(
                "GS803", f"the period column {table.period!r} must be a date or timestamp, not "
                f"{table.columns[table.period]}", path=("tables", i, "period")))
    if records.calendar is not None:
        _check_calendar(records.calendar, problems)
    seen: dict[str, list[tuple[int, frozenset[str] | None]]] = {}
    levels: dict[str, tuple[str, ...]] = {}
    categories = {c.id for c in plan.scheme.categories}
    for i, measure in enumerate(records.facts):
        where = ("facts", i)
        mine = frozenset(measure.categories) if measure.categories is not None else None
        for j, theirs in seen.get(measure.fact, []):
            if mine is None or theirs is None or mine & theirs:
                problems.append(Diagnostic("GS803", f"fact {measure.fact!r} is already derived "
                                           f"by facts[{j}] for the same units; give each measure "
                                           "its own 'categories'", path=(*where, "fact")))
                break
        seen.setdefault(measure.fact, []).append((i, mine))
        for k, category in enumerate(measure.categories or []):
            if category not in categories:
                problems.append(Diagnostic("GS801", f"unknown category {category!r}",
                                           path=(*where, "categories", k)))
        spec = plan.specs.get(measure.fact)
        if spec is None:
            problems.append(Diagnostic("GS801", f"the scheme has no fact {measure.fact!r}",
                                       path=(*where, "fact")))
        measured = tables.get(measure.table)
        if measured is None:
            problems.append(Diagnostic("GS801", f"no table {measure.table!r} is declared",
                                       path=(*where, "table"), hint="declared tables: "
                                       + ", ".join(sorted(tables))))
        else:
            _check_conditions(records, measured, measure, where, problems)
        if spec is not None:
            found = _check_measure(spec, measure, where, problems)
            if found is not None:
                levels[measure.fact] = found
    return levels


def _check_measure(spec: FactSpec, measure: model.Measure, where: tuple[str | int, ...],
                   problems: list[Diagnostic]) -> tuple[str, ...] | None:
    what = f"an item of kind {spec.item.rule.kind}" if spec.item is not None else \
        f"an input of type {spec.input.type}" if spec.input is not None else "this fact"
    if measure.count is not None:
        if not (_fits(spec, 0) and _fits(spec, 1)):
            problems.append(Diagnostic("GS802", f"{measure.fact!r} is {what}: its fact is not a "
                                       "whole number, so 'count: rows' cannot derive it",
                                       path=(*where, "count")))
        return None
    if measure.ratio is not None:
        if not _fits(spec, {"done": 0, "target": 1}):
            problems.append(Diagnostic("GS802", f"{measure.fact!r} is {what}: its fact is not "
                                       "{done, target}, so 'ratio' cannot derive it",
                                       path=(*where, "ratio")))
        return None
    levels = _levels_of(spec)
    if levels is None:
        problems.append(Diagnostic("GS802", f"{measure.fact!r} is {what}: its fact is not a "
                                   "mapping level → count, so 'count_by' cannot derive it",
                                   path=(*where, "count_by")))
        return None
    for value, level in measure.levels.items():
        if level not in levels:
            problems.append(Diagnostic("GS801", f"{value!r} is recoded to {level!r}, which is not "
                                       f"a level of {measure.fact!r} ({', '.join(levels)})",
                                       path=(*where, "levels", value)))
    return levels


def _check_conditions(records: model.Records, table: model.Table, measure: model.Measure,
                      where: tuple[str | int, ...], problems: list[Diagnostic]) -> None:
    def known(column: str, path: tuple[str | int, ...], dates: bool = False) -> None:
        if column not in table.columns:
            problems.append(Diagnostic("GS801", f"column {column!r} is not among table "
                                       f"{table.id!r}'s columns", path=path))
        elif dates and table.columns[column] not in _DATE_TYPES:
            problems.append(Diagnostic("GS803", f"column {column!r} is {table.columns[column]}; "
                                       "a deadline needs a date or timestamp", path=path))

    if measure.count_by is not None:
        known(measure.count_by, (*where, "count_by"))
    groups = (("where", measure.where), ("exclude", measure.exclude),
              ("ratio", measure.ratio or []))
    for key, conditions in groups:
        for j, cond in enumerate(conditions):
            path = (*where, key, j)
            if cond.column is not None:
                known(cond.column, (*path, "column"))
            if cond.deadline is not None:
                known(cond.deadline.start, (*path, "deadline", "start"), dates=True)
                known(cond.deadline.done, (*path, "deadline", "done"), dates=True)
                if records.calendar is None:
                    problems.append(Diagnostic(
                        "GS803", "a deadline in working days needs a 'calendar' (years, "
                        "holidays, workdays)", path=(*path, "deadline")))


def _check_calendar(calendar: model.Calendar, problems: list[Diagnostic]) -> None:
    """Days are real days inside the declared years; a make-up working day (调休) is a Saturday or
    Sunday; no day is both. A holiday on a weekend is allowed (official lists give whole
    ranges, 10月1日至7日) and changes nothing."""
    years = set(calendar.years)
    holidays = set(calendar.holidays)
    for key, days in (("holidays", calendar.holidays), ("workdays", calendar.workdays)):
        for i, text in enumerate(days):
            path = ("calendar", key, i)
            try:
                day = datetime.date.fromisoformat(text)
            except ValueError:
                problems.append(Diagnostic("GS803", f"{text!r} is not a day of the calendar",
                                           path=path))
                continue
            if day.year not in years:
                problems.append(Diagnostic("GS803", f"{text} is outside the calendar's years "
                                           f"({', '.join(map(str, calendar.years))})", path=path))
            elif key == "workdays" and day.weekday() < 5:  # noqa: PLR2004 - Saturday is 5
                problems.append(Diagnostic("GS803", f"{text} is a weekday; a make-up working "
                                           "day (调休) is a Saturday or Sunday", path=path))
            elif key == "workdays" and text in holidays:
                problems.append(Diagnostic("GS803", f"{text} is both a holiday and a working "
                                           "day", path=path))
