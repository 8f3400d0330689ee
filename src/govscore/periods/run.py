"""A run: schemes scored over their periods, in the order their ``uses`` require.

For each scheme (sources first; a cycle is GS823) and each of its periods in time order: the
facts files of the period are merged, the history rules add what the events give, the ``uses``
add the source schemes' results, the period is scored as any assessment (``api.evaluate_all``),
and the streaks are followed. Then each roll-up combines the periods into the longer period and
ranks, grades and awards the rolled-up values. Nothing here does arithmetic of its own: the
roll-up is :mod:`govscore.periods.rollup`, the history rules :mod:`govscore.periods.history`.
"""

from __future__ import annotations

import dataclasses
import decimal
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from govscore import api
from govscore.engine import lowering, population
from govscore.engine.lowering import CONTEXT
from govscore.engine.plan import Plan
from govscore.engine.results import Assessment, AwardScope, Placement, Rejected, UnitResult
from govscore.errors import Diagnostic, FactsFileError, SchemeError, Span
from govscore.inputs import readers, tables
from govscore.language import model
from govscore.periods import history, keys, rollup, runfile
from govscore.periods.history import Consequence, Note
from govscore.periods.keys import Period
from govscore.periods.rollup import RolledUp


@dataclass(frozen=True)
class Taken:
    """A value one unit took from another scheme's results, with its operands."""

    input: str
    scheme: str
    value: Decimal | None
    parts: tuple[tuple[str, str, Decimal, Decimal | None], ...] = ()
    """(source unit, relation or '', share, its value or None when missing)."""
    grade: str | None = None
    combine: str = ""
    problem: str = ""
    value_name: str = "total"
    """What was taken: ``total``, ``grade``, a node or output id, or ``ROLLUP:VALUE``."""


@dataclass(frozen=True)
class PeriodResult:
    """One scheme's results in one period, with what history and other schemes gave it."""

    period: Period
    assessment: Assessment
    files: tuple[str, ...]
    notes: dict[str, list[Note]] = field(default_factory=dict)
    taken: dict[str, list[Taken]] = field(default_factory=dict)
    consequences: dict[str, list[Consequence]] = field(default_factory=dict)


@dataclass(frozen=True)
class RollupResult:
    """One roll-up for one longer period: every unit's value, ranks, grades and awards."""

    rule: model.Rollup
    period: Period
    values: dict[str, RolledUp]
    placements: dict[str, Placement]
    awards: tuple[AwardScope, ...]
    problems: tuple[Diagnostic, ...]


@dataclass(frozen=True)
class SchemeResult:
    plan: Plan
    periods: dict[str, PeriodResult]
    rollups: dict[str, dict[str, RollupResult]]
    problems: tuple[Diagnostic, ...]


@dataclass(frozen=True)
class RunResult:
    schemes: dict[str, SchemeResult]
    """By scheme id, in the order they were scored."""
    problems: tuple[Diagnostic, ...]

    @property
    def ok(self) -> bool:
        return not self.problems and all(
            not s.problems and all(not p.assessment.rejected for p in s.periods.values())
            for s in self.schemes.values())


@dataclass(frozen=True)
class Job:
    """One scheme of a run with its files."""

    plan: Plan
    facts: Sequence[Path]
    events: Sequence[Path] = ()
    span: Span | None = None
    """Where the run file names the scheme (for messages)."""
    records: Path | None = None
    """A records file deriving facts from ``exports`` (merged with the facts files)."""
    exports: Sequence[Path] = ()


# ---------------------------------------------------------------------------------------------


def period_of_file(path: Path, grain: str) -> Period | None:
    """A facts file's period: its ``period:`` key (YAML, JSON), else the one its name writes."""
    if path.suffix.lower() in (".yaml", ".yml", ".json"):
        text, _ = tables.decode_text(tables.read_bytes(path), str(path))
        data = readers.parse_json(text, str(path)) if path.suffix.lower() == ".json" \
            else readers.parse_yaml(text, str(path))
        if isinstance(data, Mapping) and data.get("period") is not None:
            return keys.parse(grain, str(data["period"]))
    return keys.in_name(grain, path.name)


def order(jobs: Sequence[Job]) -> tuple[list[Job], list[Diagnostic]]:
    """The jobs with every source before its users; GS822 for a source not in the run, GS823
    naming the cycle when schemes use each other."""
    by_id: dict[str, Job] = {}
    problems: list[Diagnostic] = []
    for job in jobs:
        sid = job.plan.scheme.id
        if sid in by_id:
            problems.append(Diagnostic("GS822", f"scheme {sid!r} is in the run twice",
                                       span=job.span))
        by_id[sid] = job
    for job in jobs:
        for use in job.plan.scheme.uses:
            if use.scheme not in by_id and use.scheme != job.plan.scheme.id:
                problems.append(Diagnostic(
                    "GS822", f"scheme {job.plan.scheme.id!r} uses the results of "
                    f"{use.scheme!r}, which is not in the run", span=job.span,
                    hint="add that scheme and its facts to the run"))
            elif use.scheme in by_id:
                problem = _period_mismatch(job.plan.scheme, use, by_id[use.scheme].plan.scheme)
                if problem:
                    problems.append(Diagnostic("GS822", problem, span=job.span))
    if problems:
        return [], problems
    done: list[str] = []
    state: dict[str, str] = {}  # scheme id → "visiting" or "done"

    def visit(sid: str, trail: list[str]) -> None:
        if state.get(sid) == "done":
            return
        if state.get(sid) == "visiting":
            cycle = [*trail[trail.index(sid):], sid]
            problems.append(Diagnostic("GS823", "schemes use each other's results in a cycle: "
                                       + " → ".join(cycle), span=by_id[sid].span))
            return
        state[sid] = "visiting"
        for use in by_id[sid].plan.scheme.uses:
            if use.scheme != sid:
                visit(use.scheme, [*trail, sid])
        state[sid] = "done"
        done.append(sid)

    for job in jobs:
        visit(job.plan.scheme.id, [])
    if problems:
        return [], problems[:1]
    return [by_id[s] for s in done], []


def _period_mismatch(user: model.Scheme, use: model.Use, source: model.Scheme) -> str:
    """Why ``use`` cannot take ``source``'s values period by period, or ''."""
    if use.rollup is None:
        if source.period != user.period:
            return (f"{user.id!r} ({user.period}) uses {source.id!r}, which is scored by "
                    f"{source.period}: name one of its roll-ups with 'rollup'")
        return ""
    rolled = next((r for r in source.rollups if r.id == use.rollup), None)
    if rolled is None:
        return f"{source.id!r} has no roll-up {use.rollup!r}"
    if rolled.period != user.period:
        return (f"{source.id!r}'s roll-up {use.rollup!r} is per {rolled.period}; {user.id!r} "
                f"is scored by {user.period}")
    return ""


def run(jobs: Sequence[Job], relations: Mapping[str, Mapping[str, Sequence[str]]] | None = None
        ) -> RunResult:
    """Score every job over its periods; sources before users."""
    ordered, problems = order(jobs)
    results: dict[str, SchemeResult] = {}
    for job in ordered:
        results[job.plan.scheme.id] = _scheme(job, results, relations or {})
    return RunResult(results, tuple(problems))


def run_file(source: str | Path) -> RunResult:
    """Load a run file (see :mod:`govscore.periods.runfile`) and run it."""
    loaded = runfile.load(source)
    jobs: list[Job] = []
    problems: list[Diagnostic] = []
    for i, entry in enumerate(loaded.run.schemes):
        span = loaded.span("schemes", i, "scheme")
        try:
            plan = api.compile(loaded.base / entry.scheme)
        except SchemeError as exc:
            problems += exc.diagnostics
            continue
        facts, found = loaded.files(i, "facts")
        events, more = loaded.files(i, "events")
        exports, other = loaded.files(i, "exports")
        problems += found + more + other
        if not entry.facts and entry.records is None:
            problems.append(Diagnostic("GS822", "give 'facts' files or a 'records' file",
                                       span=span))
        records = loaded.base / entry.records if entry.records is not None else None
        jobs.append(Job(plan, facts, events, span, records, exports))
    if problems:
        raise SchemeError(problems, f"{loaded.file}: the run cannot start")
    return run(jobs, loaded.run.relations)


# ---------------------------------------------------------------------------------------------


def _scheme(job: Job, done: Mapping[str, SchemeResult],
            relations: Mapping[str, Mapping[str, Sequence[str]]]) -> SchemeResult:
    plan, scheme = job.plan, job.plan.scheme
    problems: list[Diagnostic] = []
    sources: dict[Period, list[tuple[str, list[Any]]]] = defaultdict(list)
    lineage: dict[Period, dict[str, Any]] = {}
    for path in job.facts:
        try:
            period = period_of_file(path, scheme.period)
            if period is None:
                problems.append(Diagnostic(
                    "GS822", f"{path}: no {scheme.period} period: give the file a 'period:' key "
                    f"or write the period in its name ({keys.key(scheme.period, 2022, 3)})",
                    span=job.span))
                continue
            sources[period].append((str(path), api.read_facts(path)))
        except FactsFileError as exc:
            problems += exc.diagnostics
    if job.records is not None:
        derived = api.derive_facts(plan, job.records, job.exports)
        problems += derived.problems
        for key_text, entries in derived.periods.items():
            period = keys.parse(scheme.period, key_text)
            if period is not None:
                sources[period].insert(0, (str(job.records), entries))
                lineage[period] = dict(derived.lineage_of(key_text), rows=derived.rows,
                                       rejected_rows=derived.rejected)
    events = history.read_events(list(job.events), scheme, problems)
    periods: dict[str, PeriodResult] = {}
    for period in sorted(sources):
        try:
            entries = tables.merge_sources(sources[period])
        except FactsFileError as exc:
            problems += exc.diagnostics
            continue
        result = _period(plan, period, entries, events, done, relations,
                         tuple(name for name, _ in sources[period]), problems)
        if result is None:
            continue
        if period in lineage:
            record = dataclasses.replace(result.assessment.record, lineage=lineage[period])
            result = dataclasses.replace(result, assessment=dataclasses.replace(
                result.assessment, record=record))
        periods[str(period)] = result
    _follow_streaks(scheme, periods)
    rollups = {rule.id: _rollups(plan, rule, periods) for rule in scheme.rollups}
    return SchemeResult(plan, periods, rollups, tuple(problems))


def _period(plan: Plan, period: Period, entries: list[Any], events: Sequence[history.Event],
            done: Mapping[str, SchemeResult],
            relations: Mapping[str, Mapping[str, Sequence[str]]], files: tuple[str, ...],
            problems: list[Diagnostic]) -> PeriodResult | None:
    scheme = plan.scheme
    units = list(dict.fromkeys(e["id"] for e in entries
                               if isinstance(e, Mapping) and isinstance(e.get("id"), str)))
    if not scheme.history and not scheme.uses:  # nothing to add: scored as `govscore score` would
        return PeriodResult(period, api.evaluate_all(plan, entries), files)
    notes = history.derive(scheme, events, units, period)
    taken: dict[str, list[Taken]] = {u: [] for u in units}
    for use in scheme.uses:
        for unit in units:
            taken[unit].append(take(use, unit, period, done[use.scheme], relations))
    derived = [{"id": u, "facts": {n.fact: n.value for n in notes[u]}
                | {t.input: t.value for t in taken[u] if t.value is not None}}
               for u in units]
    refused = {u: [t for t in taken[u] if t.problem] for u in units}
    try:
        merged = tables.merge_sources([(", ".join(files), entries), ("history and uses",
                                                                     derived)])
    except FactsFileError as exc:
        # a facts file gives a fact a history rule or a use sets, with another value: the period
        # is not scored on either guess
        problems += [Diagnostic(d.code, f"{period}: {d.message}", unit=d.unit, item=d.item)
                     for d in exc.diagnostics]
        return None
    kept = [e for e in merged if not (isinstance(e, Mapping) and refused.get(e.get("id"), []))]
    assessment = api.evaluate_all(plan, kept)
    extra = [Rejected(len(kept) + i, u, tuple(
        Diagnostic("GS824", f"{t.input}: {t.problem}", unit=u, item=t.input)
        for t in refused[u]))
        for i, u in enumerate(u for u in units if refused[u])]
    if extra:
        assessment = dataclasses.replace(assessment, rejected=(*assessment.rejected, *extra),
                                         submitted=assessment.submitted + len(extra))
    return PeriodResult(period, assessment, files, notes, taken)


def take(use: model.Use, unit: str, period: Period, source: SchemeResult,
         relations: Mapping[str, Mapping[str, Sequence[str]]]) -> Taken:
    """The value ``unit`` takes from ``source`` in ``period`` (pattern 35, 41)."""
    taken = _take(use, unit, period, source, relations)
    name = use.value if use.rollup is None else f"{use.rollup}:{use.value}"
    return dataclasses.replace(taken, value_name=name)


def _take(use: model.Use, unit: str, period: Period, source: SchemeResult,
          relations: Mapping[str, Mapping[str, Sequence[str]]]) -> Taken:
    def one(source_unit: str) -> tuple[Decimal | None, str | None, str]:
        return _source_value(use, source_unit, period, source)

    if use.over is None:
        value, grade, problem = one(unit)
        if value is None and use.missing == "zero" and not problem.startswith("grade"):
            return Taken(use.input, use.scheme, Decimal(0), ((unit, "", Decimal(1), None),),
                         grade, "zero")
        return Taken(use.input, use.scheme, value, ((unit, "", Decimal(1), value),), grade,
                     "", problem if value is None else "")
    parts: list[tuple[str, str, Decimal, Decimal | None]] = []
    why: list[str] = []
    for link in use.over:
        linked = list(relations.get(link.relation, {}).get(unit, []))
        share = link.share / len(linked) if link.divide and linked else link.share
        for source_unit in linked:
            value, _, problem = one(source_unit)
            parts.append((source_unit, link.relation, share, value))
            if value is None:
                why.append(problem)
    if not parts:
        return Taken(use.input, use.scheme, None, (), combine="none")
    present = [share * v for _, _, share, v in parts if v is not None]
    with decimal.localcontext(CONTEXT):
        if len(present) < len(parts):
            if use.missing == "error" or not present:
                return Taken(use.input, use.scheme, None, tuple(parts), None, use.combine,
                             "; ".join(why))
            fill = Decimal(0) if use.missing == "zero" else sum(present, Decimal(0)) / len(present)
            present += [fill] * (len(parts) - len(present))
        total = sum(present, Decimal(0))
        value = total / len(present) if use.combine == "mean" else total
    return Taken(use.input, use.scheme, value, tuple(parts), None, use.combine)


def _source_value(use: model.Use, unit: str, period: Period, source: SchemeResult
                  ) -> tuple[Decimal | None, str | None, str]:
    """(value, grade, problem) of one source unit."""
    name = source.plan.scheme.id
    if use.rollup is not None:
        runs = source.rollups.get(use.rollup)
        if runs is None:
            return None, None, f"{name!r} has no roll-up {use.rollup!r}"
        rolled = runs.get(str(period))
        if rolled is None or unit not in rolled.values:
            return None, None, f"{unit!r} has no {use.rollup} result in {name!r} for {period}"
        placement = rolled.placements.get(unit)
        return _converted(use, rolled.values[unit].value, placement, unit, name)
    found = source.periods.get(str(period))
    if found is None:
        return None, None, f"{name!r} has no results for {period}"
    result = found.assessment.results.get(unit)
    if result is None:
        state = "was rejected" if any(r.unit == unit for r in found.assessment.rejected) \
            else "has no result"
        return None, None, f"{unit!r} {state} in {name!r} for {period}"
    if use.value not in ("total", "grade") and use.value not in result.nodes \
            and use.value not in result.outputs:
        return None, None, f"{name!r} has no node or output {use.value!r}"
    value = rollup.value_of(use.value if use.value != "grade" else None, result)
    assert value is not None  # a result, and its node or output checked above
    return _converted(use, value, found.assessment.placements.get(unit), unit, name)


def _converted(use: model.Use, value: Decimal, placement: Placement | None, unit: str,
               name: str) -> tuple[Decimal | None, str | None, str]:
    if use.value != "grade":
        return value, None, ""
    grade = placement.grade if placement is not None else None
    if use.map is not None and grade in use.map:
        return use.map[grade], grade, ""
    if use.otherwise is not None and grade is not None:
        return use.otherwise, grade, ""
    return None, grade, f"grade {grade!r} of {unit!r} in {name!r} is not in 'map'"


def _follow_streaks(scheme: model.Scheme, periods: dict[str, PeriodResult]) -> None:
    ordered = sorted(periods.values(), key=lambda p: p.period)
    units = sorted({u for p in ordered for u in p.assessment.results}
                   | {r.unit for p in ordered for r in p.assessment.rejected})
    for rule in scheme.history:
        if not isinstance(rule, model.Streak):
            continue
        for unit in units:
            seen: list[tuple[Period, bool | None]] = []
            for p in ordered:
                result = p.assessment.results.get(unit)
                seen.append((p.period, None if result is None else history.holds(
                    rule.when, result, p.assessment.placements.get(unit))))
            for period, consequence in history.streaks(rule, seen).items():
                periods[str(period)].consequences.setdefault(unit, []).append(consequence)


def _rollups(plan: Plan, rule: model.Rollup, periods: Mapping[str, PeriodResult]
             ) -> dict[str, RollupResult]:
    scheme = plan.scheme
    longer = sorted({p.period.within(rule.period) for p in periods.values()})
    ranking = scheme.ranking
    tie_nodes = [tb.node for tb in ranking.tie_breakers if tb.node is not None]
    out: dict[str, RollupResult] = {}
    for big in longer:
        parts = big.parts(scheme.period)
        if any(str(p) not in periods for p in parts):
            continue  # the run does not cover this longer period: nothing to roll up yet
        units = sorted({u for p in parts if str(p) in periods
                        for u in [*periods[str(p)].assessment.results,
                                  *(r.unit for r in periods[str(p)].assessment.rejected)]})
        values: dict[str, RolledUp] = {}
        synthetic: dict[str, UnitResult] = {}
        problems: list[Diagnostic] = []
        for unit in units:
            found = {str(p): periods[str(p)].assessment.results.get(unit)
                     if str(p) in periods else None for p in parts}
            series = [(p, rollup.value_of(rule.value, found[str(p)])) for p in parts]
            rolled = rollup.combine(rule, scheme, unit, series)
            if rolled is None:
                missing = [str(p) for p, v in series if v is None]
                problems.append(Diagnostic(
                    "GS825", f"{rule.id} {big}: no result for {', '.join(missing)} "
                    "(missing: error)", unit=unit))
                continue
            values[unit] = rolled
            last = next(r for r in reversed(list(found.values())) if r is not None)
            nodes = {}
            for n in tie_nodes:
                tie = rollup.combine(rule, scheme, unit,
                                     [(p, rollup.value_of(n, found[str(p)])) for p in parts])
                if n in last.nodes and tie is not None:  # else the tie is left for a human
                    nodes[n] = dataclasses.replace(last.nodes[n], value=tie.value)
            synthetic[unit] = UnitResult(unit, last.category, last.tier, rolled.value,
                                         rolled.value, nodes, ())
        placements, awards = population.place(_rollup_plan(plan, rule), synthetic, {})
        out[str(big)] = RollupResult(rule, big, values, placements, awards, tuple(problems))
    return out


def _rollup_plan(plan: Plan, rule: model.Rollup) -> Plan:
    """The plan whose grades and awards rank the roll-up: the roll-up's own (grades default to
    the scheme's), the scheme's ranking scope and node tie-breakers."""
    scheme = plan.scheme
    grades = rule.grades or scheme.grades
    ranking = scheme.ranking.model_copy(update={"tie_breakers": [
        tb for tb in scheme.ranking.tie_breakers if tb.node is not None]})
    copy = scheme.model_copy(update={"grades": grades, "awards": rule.awards,
                                     "ranking": ranking})
    loaded = dataclasses.replace(plan.loaded, scheme=copy)
    return dataclasses.replace(plan, loaded=loaded, grade_order=lowering.grade_order(grades)
                               if grades else ())
