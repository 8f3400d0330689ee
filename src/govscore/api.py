"""The pipeline as functions: load → compile → evaluate (one unit) / evaluate_all (an assessment).

Units are mappings ``{id, category?, tier?, facts: {...}}`` (the shape of a facts file's
``units`` list). Bad units are rejected with every problem found; the others are still scored.
"""

from __future__ import annotations

import dataclasses
import decimal
import gc
import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from importlib import metadata
from pathlib import Path
from typing import Any

from govscore.engine import facts, interpreter, population
from govscore.engine.plan import CONTEXT, Plan, compile_plan
from govscore.engine.results import Assessment, Record, Rejected, UnitResult
from govscore.errors import (
    Diagnostic,
    EvaluationError,
    FactsError,
    GovscoreError,
    UsageError,
    one_unit_of_a_population_error,
)
from govscore.inputs import frames, readers, tables
from govscore.scheme import loader
from govscore.scheme.loader import LoadedScheme
from govscore.views import report

_UNIT_KEYS = ("id", "title", "category", "tier", "facts")


def version() -> str:
    try:
        return metadata.version("govscore")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0+unknown"


def load(source: str | Path | None = None, *, text: str | None = None,
         name: str = "<text>") -> LoadedScheme:
    """Load and validate a scheme from a path or text; raise SchemeError with every problem."""
    return loader.load_scheme(source, text=text, name=name)


def compile(scheme: LoadedScheme | str | Path) -> Plan:
    """Compile a scheme (or load and compile a path) into a plan, once."""
    if not isinstance(scheme, LoadedScheme):
        scheme = load(scheme)
    return compile_plan(scheme)


def shown_id(unit: str) -> str:
    """A unit id as reports can write it: a lone surrogate (not text) escaped as ``\\ud800``."""
    return unit.encode("utf-8", "backslashreplace").decode("utf-8")


def duplicate_id(unit: str, times: int) -> Diagnostic:
    """GS405 for an id given ``times`` times (every entry with it is rejected)."""
    shown = shown_id(unit)
    return Diagnostic("GS405", f"unit id {shown!r} appears {times} times; no entry is scored "
                      "until the duplicates are resolved", unit=shown)


_MAX_DEPTH = 16  # a unit entry is unit → facts → fact → level: a few levels, never thousands


def _text_problem(value: str) -> str | None:
    """Why a string from a facts file cannot be kept as text, or None."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "contains a lone surrogate (an invalid \\ud800-style escape), not text"
    return None


def _entry_problems(entry: Mapping[str, Any], unit: str) -> list[Diagnostic]:
    """Walk a unit entry without recursion: refuse nesting deeper than any fact needs and strings
    that are not text, before anything recursive (checks, hashing, reports) touches them."""
    stack: list[tuple[Any, int, str]] = [(entry, 0, "")]
    problems: list[Diagnostic] = []
    while stack:
        value, depth, where = stack.pop()
        if depth > _MAX_DEPTH:
            problems.append(Diagnostic("GS403", f"nested more than {_MAX_DEPTH} levels deep; no "
                                       "fact has that shape", unit=unit, item=where or None))
            continue
        if isinstance(value, str):
            why = _text_problem(value)
            if why:
                problems.append(Diagnostic("GS403", f"{where or 'a key'}: {why}", unit=unit,
                                           item=where or None))
        elif isinstance(value, Mapping):
            for key, child in value.items():
                name = str(key)
                if isinstance(key, str) and _text_problem(key):
                    problems.append(Diagnostic("GS403", f"a key under {where or 'the unit'} "
                                               f"{_text_problem(key)}", unit=unit))
                    continue
                stack.append((child, depth + 1, name if depth <= 1 else f"{where}.{name}"))
        elif isinstance(value, (list, tuple)):
            stack.extend((child, depth + 1, where) for child in value)
    return problems


def _scalar_json(item: Any) -> str:
    """One scalar as json.dumps writes it in facts_hash (an int too long for str() as hex)."""
    if isinstance(item, int) and not isinstance(item, bool):
        try:
            return int.__repr__(item)
        except ValueError:  # more than 4300 digits
            return json.dumps(f"int:{item:x}")
    if isinstance(item, (str, float, bool)) or item is None:
        return json.dumps(item, ensure_ascii=False)
    return json.dumps(_json_default(item), ensure_ascii=False)


def facts_hash(units: Any) -> str:
    """sha256 of the facts in a canonical JSON form: keys sorted, no spaces, decimals as written.
    Any input hashes, however deep or malformed (such units are rejected, but the record still
    covers them): what json cannot encode is written by an iterative encoder of the same form."""
    try:
        text = json.dumps(units, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                          default=_json_default)
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    except (RecursionError, ValueError, TypeError):
        return _facts_hash_iterative(units)


def _json_default(item: Any) -> Any:
    return str(item) if isinstance(item, Decimal) else repr(item)


def _facts_hash_iterative(units: Any) -> str:
    digest = hashlib.sha256()
    # a stack of things still to write: either literal JSON text or a value to encode
    stack: list[tuple[bool, Any]] = [(False, units)]
    while stack:
        is_text, item = stack.pop()
        if is_text:
            chunk = item
        elif isinstance(item, Mapping):
            pairs = sorted(((str(k), v) for k, v in item.items()), key=lambda pair: pair[0])
            parts: list[tuple[bool, Any]] = [(True, "{")]
            for index, (key, value) in enumerate(pairs):
                parts += [(True, ("," if index else "") + json.dumps(key, ensure_ascii=False) + ":"),
                          (False, value)]
            parts.append((True, "}"))
            stack.extend(reversed(parts))
            continue
        elif isinstance(item, (list, tuple)):
            parts = [(True, "[")]
            for index, value in enumerate(item):
                if index:
                    parts.append((True, ","))
                parts.append((False, value))
            parts.append((True, "]"))
            stack.extend(reversed(parts))
            continue
        else:
            chunk = _scalar_json(item)
        digest.update(chunk.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def prepare(plan: Plan, entry: Any) -> tuple[facts.UnitFacts | None, list[Diagnostic]]:
    """Check one unit entry (id, category, tier, facts); return its checked facts or problems."""
    if not isinstance(entry, Mapping):
        return None, [Diagnostic("GS403", f"a unit must be a mapping with id and facts, got "
                                 f"{type(entry).__name__}")]
    unit = entry.get("id")
    if not isinstance(unit, str) or not unit.strip():
        return None, [Diagnostic("GS403", f"a unit needs an id written as text, got {unit!r}",
                                 value=unit)]
    not_text = _text_problem(unit)
    if not_text:
        return None, [Diagnostic("GS403", f"the unit id {not_text}", unit=shown_id(unit))]
    problems = _entry_problems(entry, unit)
    if problems:
        return None, problems
    for key in entry:
        if key not in _UNIT_KEYS:
            problems.append(Diagnostic("GS401", f"unknown unit key {key!r} (expected "
                                       f"{', '.join(_UNIT_KEYS)})", unit=unit, item=str(key)))
    scheme = plan.scheme
    category = _resolve(unit, entry.get("category"), plan.category_of,
                        [c.id for c in scheme.categories], "category", problems)
    tier = _resolve(unit, entry.get("tier"), plan.tier_of, [t.id for t in scheme.tiers], "tier",
                    problems)
    raw = entry.get("facts", {})
    if problems and (category is None and scheme.categories):
        return None, problems
    checked, fact_problems = facts.check_unit(unit, raw, plan.specs, category, tier)
    problems.extend(fact_problems)
    return (None if problems else checked), problems


def _resolve(unit: str, given: Any, members: Mapping[str, str], ids: list[str], what: str,
             problems: list[Diagnostic]) -> str | None:
    named = members.get(unit)
    if given is not None:
        if not isinstance(given, str) or given not in ids:
            known = ", ".join(ids) or f"none (the scheme declares no {what})"
            problems.append(Diagnostic("GS407", f"unknown {what} {given!r}; the scheme's are: "
                                       f"{known}", unit=unit, value=given))
            return None
        if named is not None and named != given:
            problems.append(Diagnostic("GS406", f"unit is listed in {what} {named!r} by the "
                                       f"scheme but given {what} {given!r}", unit=unit,
                                       value=given))
            return None
        return given
    if named is None and ids:
        problems.append(Diagnostic("GS402", f"missing {what}: the scheme does not name this unit "
                                   f"in any {what}; give one of {', '.join(ids)}", unit=unit))
    return named


_FAST_KEYS = frozenset({"id", "category", "tier", "facts"})


def _fast(plan: Plan, entry: Any, *,
          in_context: bool = False) -> tuple[UnitResult, facts.UnitFacts] | None:
    """Score a plain unit entry with the plan's compiled kernel, or None: then the entry goes the
    full way (prepare, then the interpreter), which checks and reports everything."""
    kernels = plan.kernels
    if kernels is None or entry.__class__ is not dict or not _FAST_KEYS.issuperset(entry):
        return None
    unit = entry.get("id")
    raw = entry.get("facts")
    if unit.__class__ is not str or raw.__class__ is not dict or not unit.strip() \
            or (not unit.isascii() and _text_problem(unit)):
        return None
    scheme = plan.scheme
    category = _member(entry.get("category"), plan.category_of.get(unit), scheme.categories) \
        if scheme.categories or "category" in entry else None
    tier = _member(entry.get("tier"), plan.tier_of.get(unit), scheme.tiers) \
        if scheme.tiers or "tier" in entry else None
    if category is _NO or tier is _NO:
        return None
    kernel = kernels[category]
    if kernel.walk and _entry_problems(entry, unit):
        return None
    return kernel.run(
        unit, category, tier, raw, in_context=in_context)


_NO: Any = object()


def _member(given: Any, named: str | None, declared: list[Any]) -> Any:
    """The category (or tier) of a unit when nothing is wrong with it, else _NO."""
    if given is None:
        return named if named is not None or not declared else _NO
    if given.__class__ is str and (named == given or (
            named is None and any(d.id == given for d in declared))):
        return given
    return _NO


def evaluate(plan: Plan, unit: Mapping[str, Any]) -> UnitResult:
    """Score one unit; raise FactsError (every problem with its facts) or EvaluationError.
    A scheme with population kinds cannot score one unit alone (GS501)."""
    if plan.needs_population:
        raise one_unit_of_a_population_error(plan.population_items, unit=str(unit.get("id")))
    fast = _fast(plan, unit)
    if fast is not None:
        return fast[0]
    checked, problems = prepare(plan, unit)
    if checked is None:
        raise FactsError(str(unit.get("id", "?")), problems)
    return interpreter.evaluate_unit(plan, checked)


def evaluate_all(plan: Plan, units: Iterable[Any], *,
                 progress: Callable[[int, int], object] | None = None) -> Assessment:
    """Score every unit of one assessment, then rank, grade and award. A bad unit is rejected
    with all its problems and every other unit is still scored; scored + rejected = submitted.
    ``progress(done, total)`` is called every :data:`PROGRESS_STEP` unit entries and at the end
    of the scoring (the command line's progress bar)."""
    # The results kept for every unit are many small containers with no reference cycles; the
    # cyclic collector would rescan all of them again and again as they accumulate (a third of
    # a large batch's time), so it is paused for the batch and resumed after.
    paused = gc.isenabled()
    gc.disable()
    try:
        return _evaluate_all(plan, list(units), progress)
    finally:
        if paused:
            gc.enable()


def score_entry(plan: Plan, entry: Any, shown: str
                ) -> tuple[UnitResult, facts.UnitFacts] | tuple[str, list[Diagnostic]]:
    """One unit entry of a batch, scored on its own (a scheme without population kinds): the
    kernel, else the full check and the interpreter. Gives (result, checked facts), or (the id
    to show, every problem). Call it inside the engine's decimal context (engine.lowering.CONTEXT)."""
    fast = _fast(plan, entry, in_context=True)
    if fast is not None:
        return fast
    checked, problems = prepare(plan, entry)
    if checked is None:
        return shown, problems
    try:
        return interpreter.evaluate_unit(plan, checked, None), checked
    except FactsError as exc:
        return checked.unit, list(exc.diagnostics)
    except EvaluationError as exc:
        return checked.unit, [exc.diagnostic]


PROGRESS_STEP = 1000
"""evaluate_all's progress callback is called after every this many unit entries."""


def _evaluate_all(plan: Plan, entries: list[Any],
                  progress: Callable[[int, int], object] | None = None) -> Assessment:
    ids = [e.get("id") if isinstance(e, Mapping) else None for e in entries]
    seen = Counter(i for i in ids if isinstance(i, str))
    rejected: list[Rejected] = []
    accepted: list[tuple[int, facts.UnitFacts]] = []  # population schemes: scored in phase 2
    scored: dict[int, tuple[UnitResult, facts.UnitFacts]] = {}  # by input position
    with decimal.localcontext(CONTEXT):  # entered once for the kernels of the whole batch
        for index, entry in enumerate(entries):
            if progress is not None and index and index % PROGRESS_STEP == 0:
                progress(index, len(entries))
            given = ids[index]
            if isinstance(given, str) and seen[given] > 1:
                rejected.append(Rejected(index, shown_id(given),
                                         (duplicate_id(given, seen[given]),)))
                continue
            shown = shown_id(given) if isinstance(given, str) else f"#{index + 1}"
            if plan.needs_population:
                checked, problems = prepare(plan, entry)
                if checked is None:
                    rejected.append(Rejected(index, shown, tuple(problems)))
                else:
                    accepted.append((index, checked))
                continue
            outcome = score_entry(plan, entry, shown)
            if isinstance(outcome[0], UnitResult):
                scored[index] = outcome
            else:
                rejected.append(Rejected(index, outcome[0], tuple(outcome[1])))
    if progress is not None:
        progress(len(entries), len(entries))
    pop = population.population_scores(plan, [u for _, u in accepted]) \
        if plan.needs_population else {}
    for index, checked in accepted:
        try:
            scored[index] = (interpreter.evaluate_unit(plan, checked, pop.get(checked.unit, {})),
                             checked)
        except FactsError as exc:
            rejected.append(Rejected(index, checked.unit, tuple(exc.diagnostics)))
        except EvaluationError as exc:
            rejected.append(Rejected(index, checked.unit, (exc.diagnostic,)))
    in_order = [scored[i] for i in sorted(scored)]
    results = {result.unit: result for result, _ in in_order}
    by_unit = {checked.unit: checked for _, checked in in_order}
    placements, awards = population.place(plan, results, by_unit)
    record = Record(plan.scheme.id, plan.scheme.version, plan.loaded.sha256,
                    facts_hash(entries), version())
    rejected.sort(key=lambda r: r.index)
    return Assessment(results, placements, awards, tuple(rejected), record, len(entries),
                      labels(plan))


def read_facts(*paths: str | Path,
               on_guess: Callable[[str], object] | None = None) -> list[Any]:
    """The unit entries of one or more facts files — YAML, JSON, CSV, TSV or ``.xlsx`` — merged
    as ``govscore score`` merges them (one unit's facts may come from several files, e.g. one
    sheet per assessing office; a fact given twice with different values is GS410). Raises
    :class:`FactsFileError` with every problem, each naming its file, sheet, row and column.
    ``on_guess(path)`` is called for a file that was not UTF-8 and was read as GB18030 (the
    encoding is then a guess)."""
    if not paths:
        raise UsageError("GS409", "read_facts needs at least one facts file")
    sources: list[tuple[str, list[Any]]] = []
    for path in paths:
        read = readers.load_facts(path)
        if read.guessed and on_guess is not None:
            on_guess(str(path))
        sources.append((str(path), read.units))
    return tables.merge_sources(sources)


def read_frame(frame: Any, *, name: str = "<frame>") -> list[Any]:
    """The unit entries of a pandas or Polars DataFrame, a Polars LazyFrame, a DuckDB relation or
    a pyarrow Table, laid out as a facts table (wide: ``id``, ``category``, ``tier``, one column
    per fact; or long: ``unit, fact, value``), with the diagnostics of :func:`read_facts`.
    Decimal, whole-number, text and flag columns are read exactly; a binary float column is
    refused (:class:`FactsFileError`, GS409, naming the column and how to read it as text or
    decimals); a missing value is a fact not given. Needs only the library the frame is from."""
    return frames.read_frame(frame, name=name)


def score_frame(plan: Plan, frame: Any, *, name: str = "<frame>") -> Assessment:
    """Score every unit of a frame (see :func:`read_frame`): ``evaluate_all(plan,
    read_frame(frame))``."""
    return evaluate_all(plan, read_frame(frame, name=name))


def write_report(assessment: Assessment, plan: Plan, path: str | Path) -> None:
    """Write an assessment as ``.html`` (one self-contained page), ``.xlsx`` (a sheet per
    scope, 明细, 待定, 未评分, 记录; needs openpyxl), ``.csv`` (one row per unit), ``.json``
    (everything) or ``.txt`` (the ranked table ``govscore score`` prints), chosen by the
    suffix; written atomically (an interrupted write leaves no half file). Another suffix is a
    :class:`UsageError` (GS701)."""
    report.write(assessment, plan, Path(path))


def derive_facts(plan: Plan, records: str | Path, files: Iterable[str | Path], *,
                 as_of: str | None = None, memory_limit: str | None = None,
                 threads: int | None = None) -> Any:
    """Facts derived from record exports (CSV, Parquet, ``.xlsx``) as the records file
    ``records`` declares, per unit and period, with their lineage and every record that could
    not be counted: a :class:`govscore.records.run.Derived`. Needs DuckDB
    (``govscore[records]``). Raises SchemeError for an invalid records file, FactsFileError for
    an export that cannot be read."""
    from govscore.records import declare, run

    decl = declare.load(records, plan)
    return run.derive(decl, list(files), as_of=as_of, threads=threads,
                      memory_limit=memory_limit or run.MEMORY_LIMIT)


def evaluate_records(plan: Plan, records: str | Path, files: Iterable[str | Path], *,
                     period: str | None = None, facts: Iterable[Any] = (),
                     as_of: str | None = None) -> Assessment:
    """Score one period straight from record exports: the derived facts (merged with the unit
    entries ``facts`` for what the exports do not hold) are scored by :func:`evaluate_all`, and
    the assessment's record keeps the lineage (each query, its files' sha256, and per unit and
    fact the rows counted). The records' problems are in ``assessment.record.lineage
    ["problems"]``; ``period`` chooses one when the exports cover several."""
    derived = derive_facts(plan, records, files, as_of=as_of)
    key, entries = derived.period(period)
    merged = tables.merge_sources([("records", entries), ("facts", list(facts))])
    assessment = evaluate_all(plan, merged)
    lineage = dict(derived.lineage_of(key), rows=derived.rows, rejected_rows=derived.rejected,
                   problems=[d.to_dict() for d in derived.problems])
    return dataclasses.replace(assessment, record=dataclasses.replace(assessment.record,
                                                                      lineage=lineage))


def labels(plan: Plan) -> dict[str, str]:
    """Titles for reports: the scheme, 'all', tiers, categories, awards, vetoes, outputs and
    inputs (a modifier's step names its input by title)."""
    scheme = plan.scheme
    out = {"scheme": scheme.title, "all": "全部单位"}
    for group in (scheme.inputs, scheme.tiers, scheme.categories, scheme.awards, scheme.vetoes,
                  scheme.outputs, scheme.statistics):
        out.update({entry.id: entry.title for entry in group})
    return out


__all__ = ["GovscoreError", "UsageError", "compile", "derive_facts", "duplicate_id", "evaluate",
           "evaluate_all", "evaluate_records", "facts_hash", "load", "prepare", "read_facts",
           "read_frame", "score_entry", "score_frame", "shown_id", "version", "write_report"]
