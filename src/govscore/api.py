"""The pipeline as functions: load → compile → evaluate (one unit) / evaluate_all (an assessment).

Units are mappings ``{id, category?, tier?, facts: {...}}`` (the shape of a facts file's
``units`` list). Bad units are rejected with every problem found; the others are still scored.
"""

from __future__ import annotations

import dataclasses
import decimal
import gc
import importlib.util
import sys
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from decimal import Decimal
from importlib import metadata
from pathlib import Path
from typing import Any

from govscore import budget, textsafe
from govscore.engine import fact_table, facts, interpreter, population
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
from govscore.inputs import frames, sources, tables
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


def duplicate_id(unit: str, times: int, spellings: Collection[str] = ()) -> Diagnostic:
    """GS405 for an id given ``times`` times (every entry with it is rejected); ``spellings``,
    when there are several, are the look-alike forms found (ids are compared after NFKC:
    ``textsafe.id_key``)."""
    shown = shown_id(unit)
    alike = ""
    if len(spellings) > 1:
        alike = (" (written " + ", ".join(repr(shown_id(x)) for x in sorted(spellings)) +
                 ": the same id after Unicode normalisation, NFKC)")
    return Diagnostic("GS405", f"unit id {shown!r} appears {times} times{alike}; no entry is "
                      "scored until the duplicates are resolved", unit=shown)


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


def facts_hash(units: Any) -> str:
    """sha256 of the facts in the canonical form of :mod:`govscore.engine.fact_table` (a table
    of columns: ids, categories, tiers and each fact as one column, encoded by type); the same
    whichever path scores each unit. Any input hashes, however deep or malformed (such units are
    rejected, but the record still covers them)."""
    return fact_table.digest(units)


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
    invisible = textsafe.id_problem(unit)
    if invisible:
        return None, [Diagnostic("GS403", invisible, unit=textsafe.terminal(unit))]
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
    if kernels is None:
        return None
    plain = _plain_entry(plan, entry)
    if plain is None:
        return None
    unit, category, tier, raw = plain
    kernel = kernels[plan.profile(category, unit)]
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
    kernels = plan.kernels  # None exactly when the plan needs the population
    if kernels is None:
        if plan.needs_population:
            raise one_unit_of_a_population_error(plan.population_items, unit=str(unit.get("id")))
    else:  # _fast, without the checked facts a batch needs
        plain = _plain_entry(plan, unit)
        if plain is not None:
            unit_id, category, tier, raw = plain
            kernel = kernels[plan.profile(category, unit_id)]
            if not (kernel.walk and _entry_problems(unit, unit_id)):
                result = kernel.score(unit_id, category, tier, raw)
                if result is not None:
                    return result
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


COLUMNS_FROM = 256
"""A batch of at least this many units is scored by the columnar back end where it can
(numpy installed, a scheme and units it takes); smaller batches go unit by unit, where the
columns' fixed cost per batch would not pay."""

PROGRESS_STEP = 1000
"""evaluate_all's progress callback is called after every this many unit entries."""


def _columns_ready() -> bool:
    return importlib.util.find_spec("numpy") is not None


def _evaluate_all(plan: Plan, entries: list[Any],
                  progress: Callable[[int, int], object] | None = None, *,
                  columns: bool | None = None) -> Assessment:
    if columns is None:
        columns = len(entries) >= COLUMNS_FROM and _columns_ready()
    if columns and not plan.needs_population:
        by_columns = _evaluate_by_columns(plan, entries, progress)
        if by_columns is not None:
            _give_back_memory()  # the batch's temporaries are all freed by now
            return by_columns
    ids = [e.get("id") if isinstance(e, Mapping) else None for e in entries]
    # ids are compared after NFKC: U1, fullwidth Ｕ1 and ' U1' are one id, given twice
    given_ids = _duplicates(ids)
    rejected: list[Rejected] = []
    accepted: list[tuple[int, facts.UnitFacts]] = []  # population schemes: scored in phase 2
    scored: dict[int, tuple[UnitResult, facts.UnitFacts]] = {}  # by input position
    with decimal.localcontext(CONTEXT):  # entered once for the kernels of the whole batch
        for index, entry in enumerate(entries):
            if index and index % PROGRESS_STEP == 0:
                budget.check()  # stop with room left rather than crash in a C extension
                if progress is not None:
                    progress(index, len(entries))
            shown = _shown_or_duplicate(ids, given_ids, index)
            if isinstance(shown, Rejected):
                rejected.append(shown)
                continue
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
    # population schemes: the units rejected in full scoring count in no rank or statistic
    scored_in_full, failed = population.score_all(plan, accepted)
    scored.update(scored_in_full)
    rejected.extend(Rejected(index, unit, problems) for index, unit, problems in failed)
    in_order = [scored[i] for i in sorted(scored)]
    results = {result.unit: result for result, _ in in_order}
    by_unit = {checked.unit: checked for _, checked in in_order}
    placements, awards = population.place(plan, results, by_unit)
    record = Record(plan.scheme.id, plan.scheme.version, plan.loaded.sha256,
                    facts_hash(entries), version())
    rejected.sort(key=lambda r: r.index)
    return Assessment(results, placements, awards, tuple(rejected), record, len(entries),
                      labels(plan))


_GivenIds = tuple[list[str | None], Counter[str], dict[str, set[str]]]


def _shown_or_duplicate(ids: list[Any], given: _GivenIds, index: int) -> str | Rejected:
    """How entry ``index`` is named in messages, or its rejection when its id is given twice."""
    keys, seen, spellings = given
    unit = ids[index]
    key = keys[index]
    if isinstance(unit, str) and key is not None and seen[key] > 1:
        return Rejected(index, shown_id(unit), (duplicate_id(unit, seen[key], spellings[key]),))
    return shown_id(unit) if isinstance(unit, str) else f"#{index + 1}"


def _duplicates(ids: list[Any]) -> _GivenIds:
    """Each entry's id as compared (after NFKC), how often each occurs, and the spellings of
    the ids given more than once."""
    if ids and set(map(type, ids)) == {str} and "".join(ids).isascii():
        keys: list[str | None] = list(map(str.strip, ids))  # NFKC leaves ASCII as it is
        if len(set(keys)) == len(keys):
            return keys, Counter(), {}
    else:
        keys = [textsafe.id_key(i) if isinstance(i, str) else None for i in ids]
    seen = Counter(k for k in keys if k is not None)
    spellings: dict[str, set[str]] = {}
    for i, k in zip(ids, keys, strict=True):
        if isinstance(i, str) and k is not None and seen[k] > 1:
            spellings.setdefault(k, set()).add(i)
    return keys, seen, spellings


def _evaluate_by_columns(plan: Plan, entries: list[Any],
                         progress: Callable[[int, int], object] | None) -> Assessment | None:
    """The batch through the columnar back end: every plain unit of each category the columns
    take scored as columns, the rest unit by unit; results, placements and the facts hash kept
    and worked out over columns. None when the columns cannot be used (no numpy)."""
    programs = plan.columns()  # None when numpy cannot be imported (not installed, no memory)
    if not programs:
        return None
    import numpy as np

    from govscore.engine import columnar, population_columns, result_columns

    n = len(entries)
    table = fact_table.table(entries)
    ids = table.columns.get(".id") if table.uniform else None
    if ids is None or len(ids) != n:
        ids = [e.get("id") if isinstance(e, Mapping) else None for e in entries]
    keys, seen, spellings = _duplicates(ids)
    groups = _column_groups(plan, entries, table, ids, keys, seen, programs)
    scheme = plan.scheme
    categories = [c.id for c in scheme.categories]
    tiers = [t.id for t in scheme.tiers]
    tier_code = {t: i for i, t in enumerate(tiers)}
    taken = np.zeros(n, dtype=np.bool_)
    total = np.zeros(n, dtype=np.int64)
    exp = np.zeros(n, dtype=np.int8)
    negative_zero = np.zeros(n, dtype=np.bool_)
    category = np.full(n, population_columns.NO, dtype=np.int64)
    tier = np.full(n, population_columns.NO, dtype=np.int64)
    scored_columns: list[tuple[Any, Any, Any, Any]] = []  # (rows, program, facts, scored)
    # the columns keep only the nodes the placement reads (a unit's every node is worked out
    # again when it is read): writing all of them costs the engine 3-4 times its own time
    ranking = scheme.ranking
    ranked = {n for n in (ranking.by, *(tb.node for tb in ranking.tie_breakers)) if n}
    with decimal.localcontext(CONTEXT):
        for profile, (rows, tier_names, facts_of) in groups.items():
            budget.check()  # each profile's columns take memory at once
            program = programs[profile]
            cat = program.category
            cols = facts_of()
            done = columnar.run(plan, program, cols, keep=ranked)
            keep = np.flatnonzero(~done.bail)
            at = rows[keep]
            taken[at] = True
            data = done.total.data
            total[at] = data[keep] if not isinstance(data, int) else data
            exp[at] = done.total.exp
            negative_zero[at] = done.negative_zero[keep]
            if cat is not None:
                category[at] = categories.index(cat)
            if tiers:
                tier[at] = [population_columns.NO if (x := tier_names[k]) is None
                            else tier_code[x] for k in keep.tolist()]
            scored_columns.append((rows, keep, cols, done))
        rejected: list[Rejected] = []
        kept: dict[int, UnitResult] = {}
        kept_facts: dict[int, facts.UnitFacts] = {}
        step = PROGRESS_STEP  # the next count of entries to report: every step, as before
        for index in np.flatnonzero(~taken).tolist():
            while step <= index:  # the entries before this one are all scored by now
                budget.check()  # stop with room left rather than crash in a C extension
                if progress is not None:
                    progress(step, n)
                step += PROGRESS_STEP
            shown = _shown_or_duplicate(ids, (keys, seen, spellings), index)
            if isinstance(shown, Rejected):
                rejected.append(shown)
                continue
            outcome = score_entry(plan, entries[index], shown)
            if isinstance(outcome[0], UnitResult):
                kept[index] = outcome[0]
                kept_facts[index] = outcome[1]
            else:
                rejected.append(Rejected(index, outcome[0], tuple(outcome[1])))
    while step < n:
        if progress is not None:
            progress(step, n)
        step += PROGRESS_STEP
    if progress is not None:
        progress(n, n)
    order = np.flatnonzero(taken)
    if kept:
        order = np.sort(np.concatenate([order, np.fromiter(kept, dtype=np.int64,
                                                           count=len(kept))]))
    row_of = np.full(n, -1, dtype=np.int64)
    row_of[order] = np.arange(len(order))
    unit_ids = [ids[i] for i in order.tolist()] if len(order) != n else ids
    kept_rows = {int(row_of[i]): r for i, r in kept.items()}
    for i, r in kept.items():  # their category and tier as codes too (the placement reads them)
        category[i] = population_columns.NO if r.category is None else categories.index(r.category)
        tier[i] = population_columns.NO if r.tier is None else tier_code[r.tier]

    def rescore(index: int) -> UnitResult:
        with decimal.localcontext(CONTEXT):
            outcome = score_entry(plan, entries[index], str(ids[index]))
        assert isinstance(outcome[0], UnitResult), outcome
        return outcome[0]

    results = result_columns.ColumnResults(
        unit_ids, kept_rows, total[order], exp[order], negative_zero[order], category[order],
        tier[order], categories, tiers, order, rescore)
    units = _placement_units(plan, results, order, row_of, scored_columns, kept, kept_facts)
    if units is None:  # a key beyond int64: population.place over the objects
        placements, awards = population.place(plan, results, _FactsOf(plan, entries, results))
        placed: Mapping[str, Any] = placements
    else:
        placing = population_columns.place(plan, units)
        placed, awards = result_columns.ColumnPlacements(placing, results), placing.awards
    record = Record(scheme.id, scheme.version, plan.loaded.sha256,
                    fact_table.table_digest(table), version())
    rejected.sort(key=lambda r: r.index)
    return Assessment(results, placed, awards, tuple(rejected), record, n, labels(plan))


def _give_back_memory() -> None:
    """Hand the batch's freed temporaries back to the operating system. The columns' numpy
    temporaries (hundreds of arrays the size of a column) are freed by now, but glibc keeps
    freed heap memory mapped (its mmap threshold grows after the first large free, so later
    arrays come from the heap): without this a 100,000-unit batch leaves ~900 bytes per unit
    of resident memory that nothing uses. Elsewhere than glibc: nothing to do."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.malloc_trim(0)
    except (OSError, AttributeError):
        return


def _column_groups(plan: Plan, entries: list[Any], table: fact_table.Table, ids: list[Any],
                   keys: list[str | None], seen: Counter[str], programs: Mapping[str | None, Any]
                   ) -> dict[str | None, tuple[Any, list[str | None], Callable[[], Any]]]:
    """profile (a category, or its units with nodes of their own) → (the entry positions the
    columns may take, their tiers, their fact columns on demand): plain entries (as
    _plain_entry decides) of a profile with a columnar program."""
    import numpy as np

    from govscore.engine import columnar

    kernels = plan.kernels
    members: dict[str | None, list[tuple[int, str | None]]] = {}
    uniform = table.uniform and all(
        name.startswith("facts.") or name in (".id", ".category", ".tier")
        for name in table.columns) and ".facts" not in table.columns
    if uniform and not plan.scheme.categories and not plan.scheme.tiers and \
            ".category" not in table.columns and ".tier" not in table.columns and \
            None in programs and not plan.profile_of and set(map(type, ids)) == {str} and \
            all(map(str.isprintable, ids)) and all(keys) and all(c == 1 for c in seen.values()) and \
            (kernels is None or not kernels[None].walk):
        # the common batch: every entry {id, facts} of one shape, no categories or tiers
        rows = np.arange(len(entries))
        return {None: (rows, [None] * len(entries),
                       lambda: fact_table.fact_columns(programs[None], table))}
    for index, entry in enumerate(entries):
        given = ids[index]
        key = keys[index]
        if given.__class__ is not str or key is None or seen[key] > 1:
            continue  # a duplicate id (after NFKC) is rejected with the scalar units
        plain = _plain_entry(plan, entry)
        profile = plan.profile(plain[1], plain[0]) if plain is not None else None
        if plain is None or profile not in programs:
            continue
        if kernels is not None and kernels[profile].walk and _entry_problems(entry, plain[0]):
            continue  # free values (an event's matter) too deep or not text: the full way
        members.setdefault(profile, []).append((index, plain[2]))
    out: dict[str | None, tuple[Any, list[str | None], Callable[[], Any]]] = {}
    for profile, found in members.items():
        rows = np.array([i for i, _ in found], dtype=np.int64)
        tiers = [t for _, t in found]

        def facts_of(profile: str | None = profile, rows: Any = rows) -> Any:
            if uniform:
                return fact_table.fact_columns(programs[profile], table, rows.tolist())
            return columnar.fact_columns(programs[profile], [entries[i]["facts"]
                                                             for i in rows.tolist()])
        out[profile] = (rows, tiers, facts_of)
    return out


def _placement_units(plan: Plan, results: Any, order: Any, row_of: Any,
                     scored_columns: list[tuple[Any, Any, Any, Any]],
                     kept: Mapping[int, UnitResult], kept_facts: Mapping[int, facts.UnitFacts]
                     ) -> Any:
    """The placement's columns (population_columns.Units) of a batch scored by the columns:
    totals and ranking keys at one exponent each; None where one would leave int64."""
    import numpy as np

    from govscore.engine import columnar, population_columns

    scheme = plan.scheme
    ranking = scheme.ranking
    m = len(order)
    zero = columnar.Col(0, 0)

    def column(value_of_columns: Callable[[Any, Any], Any],
               value_of_kept: Callable[[int, UnitResult], Decimal]) -> tuple[Any, int] | None:
        parts = []
        for rows, keep, cols, done in scored_columns:
            col = value_of_columns(cols, done)
            if col is None:
                return None
            data = col.data if isinstance(col.data, int) else col.data[keep]
            parts.append((row_of[rows[keep]], data, col.exp))
        decimals = {int(row_of[i]): value_of_kept(i, r) for i, r in kept.items()}
        places = max([0, *(e for _, _, e in parts),
                      *(-x for d in decimals.values()
                        if isinstance(x := d.as_tuple().exponent, int))])
        if places > 18:  # noqa: PLR2004 — beyond int64 whatever the digits
            return None
        out = np.zeros(m, dtype=np.int64)
        for at, data, e in parts:
            factor = 10 ** (places - e)
            if factor > 1:
                bound = abs(data) if isinstance(data, int) else \
                    (int(np.abs(data).max()) if len(data) else 0)
                if bound > columnar.LIMIT // factor:
                    return None
            out[at] = data * factor
        for row, d in decimals.items():
            value = population_columns.scaled(d, places)
            if not -(2**62) < value < 2**62:
                return None
            out[row] = value
        return out, places

    def node_of_columns(node: str) -> Callable[[Any, Any], Any]:
        return lambda cols, done: done.nodes.get(node, zero)

    def node_of_kept(node: str) -> Callable[[int, UnitResult], Decimal]:
        return lambda i, r: r.nodes[node].value if node in r.nodes else _ZERO

    def input_of_columns(name: str) -> Callable[[Any, Any], Any]:
        return lambda cols, done: columnar.tie_input(cols, name)

    def input_of_kept(name: str) -> Callable[[int, UnitResult], Decimal]:
        return lambda i, r: population.tie_input_value(kept_facts.get(i), name)

    total = column(lambda cols, done: done.total, lambda i, r: r.total)
    if total is None:
        return None
    keys = [total if ranking.by is None else
            column(node_of_columns(ranking.by), node_of_kept(ranking.by))]
    for tb in ranking.tie_breakers:
        key = column(node_of_columns(tb.node), node_of_kept(tb.node)) if tb.node is not None \
            else column(input_of_columns(tb.input or ""), input_of_kept(tb.input or ""))
        if key is not None and tb.order != "desc":
            key = (-key[0], key[1])
        keys.append(key)
    if any(k is None for k in keys):
        return None
    eligible = np.ones(m, dtype=np.bool_)
    vetoed = {}
    for i, r in kept.items():
        row = int(row_of[i])
        eligible[row] = not r.ineligible
        if r.forced_grade is not None or r.grade_cap is not None:
            vetoed[row] = (r.forced_grade, r.grade_cap)
    return population_columns.Units(
        results.ids, results.category, results.tier, [c.id for c in scheme.categories],
        [t.id for t in scheme.tiers], total[0], total[1],
        [k[0] for k in keys if k is not None], eligible, vetoed)


_ZERO = Decimal(0)


class _FactsOf(Mapping[str, facts.UnitFacts]):
    """Checked facts by unit for population.place, checked again when a tie-breaker asks."""

    def __init__(self, plan: Plan, entries: list[Any], results: Any) -> None:
        self._plan = plan
        self._entries = entries
        self._results = results

    def __getitem__(self, unit: str) -> facts.UnitFacts:
        index = int(self._results.entry[self._results.row(unit)])
        checked, _ = prepare(self._plan, self._entries[index])
        if checked is None:
            raise KeyError(unit)
        return checked

    def __iter__(self) -> Iterator[str]:
        return iter(self._results)

    def __len__(self) -> int:
        return len(self._results)


def _plain_entry(plan: Plan, entry: Any) -> tuple[str, str | None, str | None, dict[str, Any]] | None:
    """(id, category, tier, facts) of an entry the fast paths may take (as _fast decides), or
    None: that entry goes the full way."""
    if entry.__class__ is not dict or not _FAST_KEYS.issuperset(entry):
        return None
    unit = entry.get("id")
    raw = entry.get("facts")
    if unit.__class__ is not str or raw.__class__ is not dict or not unit.strip() \
            or not unit.isprintable():  # controls, invisible and bidi characters: prepare refuses
        return None
    scheme = plan.scheme
    category = _member(entry.get("category"), plan.category_of.get(unit), scheme.categories) \
        if scheme.categories or "category" in entry else None
    tier = _member(entry.get("tier"), plan.tier_of.get(unit), scheme.tiers) \
        if scheme.tiers or "tier" in entry else None
    if category is _NO or tier is _NO:
        return None
    return unit, category, tier, raw


def score_csv(plan: Plan, source: str | Path, target: str | Path) -> dict[str, Any] | None:
    """Score a wide UTF-8 facts CSV through the columns into ``unit,total,rank`` CSV, without a
    Python object per cell for the units the columns take (numpy and pyarrow, the optional
    extra ``arrow``; without pyarrow the csv module reads the text). Ranks are competition
    ranks (1, 2, 2, 4) within the scheme's ranking scope, by its ranking key and tie-breakers
    on nodes. Returns a summary (units, by_columns, scalar, rejected with their problems), or
    None when the file, the scheme or its ranking is not one this path takes (score it with
    :func:`read_facts` and :func:`evaluate_all`). Awards, grades and quotas are not decided
    here."""
    import numpy as np

    from govscore.engine import columnar
    from govscore.inputs import columns as text_columns

    programs = plan.columns()
    ranking = plan.scheme.ranking
    if not programs or plan.scheme.categories or list(programs) != [None] \
            or any(tb.input is not None for tb in ranking.tie_breakers):
        return None
    table = text_columns.read_wide_csv(source, plan)
    if table is None or len(set(table.ids)) != len(table.ids):
        return None  # the usual reader reports what is special (duplicates: GS405)
    program = programs[None]
    facts_in = text_columns.fact_columns(program, table)
    if facts_in is None:
        return None
    done = columnar.run(plan, program, facts_in)
    n = len(table)
    totals = done.total
    overrides: dict[int, str] = {}
    rejected: dict[str, list[str]] = {}
    scalar_keys: dict[int, list[Decimal]] = {}
    keys = [ranking.by] + [tb.node for tb in ranking.tie_breakers]
    with decimal.localcontext(CONTEXT):
        for row in done.bail.nonzero()[0].tolist():
            entry = table.entry(row)
            outcome = score_entry(plan, entry, table.ids[row])
            if isinstance(outcome[0], UnitResult):
                result = outcome[0]
                overrides[row] = textsafe.decimal_text(result.total)  # as reports write it
                scalar_keys[row] = [result.total if k is None else result.nodes[k].value
                                    for k in keys]
            else:
                rejected[table.ids[row]] = [str(d) for d in outcome[1]]
    # every ranking key as exact integers at one exponent per key
    columns_keys = []
    for position, key in enumerate(keys):
        col = totals if key is None else columnar.Batch(n, {}, {}).full(done.nodes[key])
        exp = max([col.exp] + [-int(v[position].as_tuple().exponent)
                               for v in scalar_keys.values()])
        data = np.asarray(col.data, dtype=np.int64)
        if exp != col.exp:  # exact Python integers where the common exponent needs more
            data = data.astype(object) * 10**(exp - col.exp)
        for row, values in scalar_keys.items():
            data[row] = int(values[position].scaleb(exp))
        order = 1 if key is None or position == 0 else \
            (1 if ranking.tie_breakers[position - 1].order == "desc" else -1)
        columns_keys.append(order * data)
    scope = np.zeros(n, dtype=np.int64)
    if ranking.scope == "tier":
        tiers = table.tier or [plan.tier_of.get(u, "?") for u in table.ids]
        _, scope = np.unique(np.array(tiers, dtype=object).astype(str), return_inverse=True)
    elif ranking.scope == "category":
        return None
    scored = np.ones(n, dtype=np.bool_)
    for unit in rejected:
        scored[table.ids.index(unit)] = False
    scope = np.where(scored, scope, -1)  # rejected rows rank apart (and get no rank)
    ranks = _competition_ranks(scope, columns_keys, scored)
    text_columns.write_scores_csv(target, table.ids, totals, ranks,
                                  {**overrides, **{table.ids.index(u): "" for u in rejected}})
    return {"units": n, "by_columns": int(n - done.bail.sum()), "scalar": len(overrides),
            "rejected": rejected}


def _competition_ranks(scope: Any, keys: list[Any], scored: Any) -> Any:
    """1, 2, 2, 4 within each scope, higher keys first; 0 for a rejected row."""
    import numpy as np

    n = len(scope)
    order = np.lexsort([*(-k for k in reversed(keys)), scope])
    ranks = np.zeros(n, dtype=np.int64)
    sorted_scope = scope[order]
    sorted_keys = [k[order] for k in keys]
    new_scope = np.ones(n, dtype=np.bool_)
    new_scope[1:] = sorted_scope[1:] != sorted_scope[:-1]
    new_value = new_scope.copy()
    for k in sorted_keys:
        new_value[1:] |= k[1:] != k[:-1]
    position = np.arange(n)
    scope_start = np.maximum.accumulate(np.where(new_scope, position, 0))
    value_start = np.maximum.accumulate(np.where(new_value, position, 0))
    ranks[order] = value_start - scope_start + 1
    ranks[~scored] = 0
    return ranks


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
    return sources.read_sources(paths, on_guess).units


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
