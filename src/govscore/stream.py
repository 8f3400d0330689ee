"""Scoring a large wide CSV facts file as a stream (``govscore score SCHEME FACTS.csv -o OUT.csv
--stream``): bounded memory, the same scores, ranks, grades and awards as ``govscore score``.

The facts file is read row by row (:class:`govscore.inputs.tables.WideStream`: the encoding is decided
by a first pass over the bytes in chunks; header conventions, cell values and problems as
:func:`govscore.inputs.tables.load_table`). Each row's unit is scored the way
:func:`govscore.api.evaluate_all` scores an entry (the plan's compiled kernel, else the full
check and the interpreter) and its CSV row is written to an anonymous temporary file in the
output's folder; only a compact record stays in memory for ranking: the total, the nodes and
inputs the ranking's ``by`` and tie-breakers read, the vetoes, ineligibility and grade limits,
without trace or other nodes. Then :func:`govscore.engine.population.place` ranks, grades and awards,
and a second pass over the temporary file writes the final CSV (to a temporary file renamed over
the output, as every report: an interrupted run leaves no output).

Duplicate unit ids: an id already seen (scored or rejected) marks every entry with that id as
rejected (GS405, the message evaluate_all gives); the first entry was scored before the
duplicate was known, so its compact record is dropped before ranking and its row skipped in the
second pass (where its position is learnt). No first pass over the ids is needed.

The output has the columns of :func:`govscore.views.report.to_csv`, but the rows are in **input
order** (``to_csv`` sorts them by scope, rank and unit), rejected units last, in input order.

A scheme with population kinds (relative_to_best, rank_points) needs every unit's facts at once
and cannot be streamed (UsageError). A facts file with problems (a mangled id, a spreadsheet
error value) is refused as a whole, as ``govscore score`` refuses it: the problems are raised
when the reading ends and nothing is written.
"""

from __future__ import annotations

import codecs
import csv
import decimal
import gc
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, cast

from govscore import api, budget
from govscore.engine import population
from govscore.engine.facts import UnitFacts
from govscore.engine.plan import CONTEXT, Plan
from govscore.engine.results import NodeResult, UnitResult
from govscore.errors import UsageError, whole_population_error
from govscore.inputs import tables
from govscore.textsafe import csv_cell, csv_row, id_key
from govscore.views import report

PROGRESS_EVERY = 10_000
"""The progress callback is called after every this many unit entries."""

_NO_NODES: Mapping[str, NodeResult] = {}
_NO_TEXT: dict[str, str] = {}
_NO_OUTPUTS: dict[str, Decimal] = {}


@dataclass(frozen=True)
class StreamSummary:
    """What a streamed scoring did: submitted = scored + rejected."""

    submitted: int
    scored: int
    rejected: int
    encoding: str
    """How the facts file was decoded: utf-8, utf-8-sig, utf-16 or gb18030."""
    seconds: float
    """Wall time from opening the facts to renaming the output."""

    @property
    def guessed(self) -> bool:
        """True when the facts were not Unicode with a BOM or valid UTF-8, but read as GB18030."""
        return self.encoding == "gb18030"


class _Ranked:
    """What ranking, grading and awarding read of one unit's result (population.place): the
    fields of a UnitResult in slots — about 150 bytes a unit instead of a UnitResult's 700 with
    its ``__dict__``, which is most of what a streamed run keeps per unit."""

    __slots__ = ("category", "computed_total", "forced_grade", "grade_cap", "ineligible",
                 "nodes", "tier", "total", "unit", "vetoes")
    trace: tuple[Any, ...] = ()
    exemptions = _NO_TEXT
    outputs = _NO_OUTPUTS

    def __init__(self, r: UnitResult, category: str | None, tier: str | None,
                 nodes: Mapping[str, NodeResult]) -> None:
        self.unit, self.category, self.tier, self.nodes = r.unit, category, tier, nodes
        self.total, self.computed_total, self.vetoes = r.total, r.computed_total, r.vetoes
        self.ineligible, self.forced_grade, self.grade_cap = (r.ineligible, r.forced_grade,
                                                             r.grade_cap)

    @property
    def eligible(self) -> bool:
        return not self.ineligible

    def value(self, node_id: str) -> Decimal:
        return self.nodes[node_id].value


class _Compact:
    """Turns a full result into the record ranking needs, sharing what units have in common."""

    def __init__(self, plan: Plan) -> None:
        ranking = plan.scheme.ranking
        nodes = [ranking.by] if ranking.by is not None else []
        nodes += [tb.node for tb in ranking.tie_breakers if tb.node is not None]
        self.nodes = tuple(dict.fromkeys(nodes))
        self.inputs = tuple(dict.fromkeys(tb.input for tb in ranking.tie_breakers
                                          if tb.node is None and tb.input))
        scheme = plan.scheme
        self.names = {x.id: x.id for group in (scheme.categories, scheme.tiers) for x in group}

    def result(self, r: UnitResult) -> UnitResult:
        names = self.names
        nodes = {n: r.nodes[n] for n in self.nodes if n in r.nodes} if self.nodes else _NO_NODES
        category = names.get(r.category, r.category) if r.category is not None else None
        tier = names.get(r.tier, r.tier) if r.tier is not None else None
        # a _Ranked reads like a UnitResult for everything population.place looks at
        return cast(UnitResult, _Ranked(r, category, tier, nodes))

    def facts(self, result: UnitResult, checked: UnitFacts) -> UnitFacts:
        values = {k: checked.values[k] for k in self.inputs if k in checked.values}
        return UnitFacts(result.unit, result.category, result.tier, values)


@dataclass
class _FirstPass:
    results: dict[str, UnitResult]
    facts: dict[str, UnitFacts]
    rejected_ids: set[str]
    dups: dict[str, list[int]]
    """A duplicated id → the positions of its second and later entries."""
    submitted: int
    spellings: dict[str, set[str]]
    """A duplicated id → how it was written (look-alikes are one id)."""


def _first_pass(plan: Plan, rows: tables.WideStream, scored: IO[str], rejected: IO[str],
                node_ids: list[str], outputs: list[str],
                progress: Callable[[int], None] | None) -> _FirstPass:
    compact = _Compact(plan)
    results: dict[str, UnitResult] = {}
    kept: dict[str, UnitFacts] = {}
    rejected_ids: set[str] = set()
    dups: dict[str, list[int]] = {}
    alias: dict[str, str] = {}  # an id's compared form → its first spelling, where they differ
    spelt: dict[str, set[str]] = {}  # a duplicated id → its spellings
    write_scored = csv.writer(scored, lineterminator="\n").writerow
    write_rejected = csv.writer(rejected, lineterminator="\n").writerow
    values = report.NodeValues(node_ids)
    submitted = 0
    with decimal.localcontext(CONTEXT):  # entered once, as evaluate_all does for its kernels
        for index, entry in enumerate(rows):
            submitted = index + 1
            if not submitted % 1024:
                budget.check()  # ranking's records outgrow the memory limit: stop with room left
            if progress is not None and submitted % PROGRESS_EVERY == 0:
                progress(submitted)
            if not rows.ok:  # the file will be refused: read on only to find every problem
                continue
            unit = entry["id"]
            # ids are compared after NFKC (textsafe.id_key): the first spelling of an id stands
            # for its look-alikes; only ids whose key differs from them need an entry
            key = id_key(unit)
            first = alias.get(key, key)
            if first in results or first in rejected_ids:
                dups.setdefault(first, []).append(index)
                spelt.setdefault(first, {first}).add(unit)
                continue
            if key != unit:
                alias[key] = unit
            outcome = api.score_entry(plan, entry, api.shown_id(unit))
            if isinstance(outcome[0], str):
                rejected_ids.add(unit)
                write_rejected([index, outcome[0], *(str(d) for d in outcome[1])])
                continue
            result, checked = outcome
            assert isinstance(result, UnitResult)
            assert isinstance(checked, UnitFacts)
            # the unit id stays raw here (it is the key of the second pass); every other cell is
            # neutralised now, once
            write_scored([
                index, unit, *csv_row([
                    result.category or "", result.tier or "", result.total,
                    result.computed_total, ";".join(result.vetoes), "; ".join(result.ineligible),
                    *(result.outputs.get(o, "") for o in outputs), *values(result.nodes)]),
            ])
            small = results[unit] = compact.result(result)
            if compact.inputs:
                kept[unit] = compact.facts(small, checked)
    return _FirstPass(results, kept, rejected_ids, dups, submitted, spelt)


def _merge_dups(rejected: IO[str], dups: Mapping[str, list[int]], first: Mapping[str, int],
                spellings: Mapping[str, set[str]]) -> Iterator[tuple[int, str, list[str]]]:
    repeated: list[tuple[int, str, list[str]]] = []
    for unit, later in dups.items():
        shown = api.shown_id(unit)
        message = str(api.duplicate_id(unit, len(later) + 1, spellings.get(unit, ())))
        repeated.extend((i, shown, [message]) for i in (first[unit], *later))
    repeated.sort(key=lambda r: r[0])
    pending = iter(repeated)
    nxt = next(pending, None)
    rejected.seek(0)
    for row in csv.reader(rejected):
        index = int(row[0])
        if row[1] in dups:
            continue
        while nxt is not None and nxt[0] < index:
            yield nxt
            nxt = next(pending, None)
        yield index, row[1], row[2:]
    while nxt is not None:
        yield nxt
        nxt = next(pending, None)


def score_csv(plan: Plan, facts: str | Path, output: str | Path, *,
              progress: Callable[[int], None] | None = None,
              on_rejected: Callable[[str, list[str]], None] | None = None) -> StreamSummary:
    """Score a wide CSV facts file into a CSV report, row by row (see the module's docstring).
    ``progress(n)`` is called every :data:`PROGRESS_EVERY` entries read; ``on_rejected(unit,
    problems)`` for each rejected entry, in input order, as its row is written."""
    if plan.needs_population:
        raise whole_population_error(plan.population_items)
    out = Path(output)
    if out.suffix.lower() != ".csv":
        raise UsageError("GS702", f"a streamed score is written as .csv, not "
                         f"{out.suffix or 'a file without a suffix'}")
    start = time.perf_counter()
    rows = tables.WideStream(facts)
    out.parent.mkdir(parents=True, exist_ok=True)
    node_ids = [node_id for node_id, _ in sorted(plan.positions.items(), key=lambda p: p[1][1])]
    outputs = [o.id for o in plan.scheme.outputs]
    # the compact records are many small containers without cycles: the cyclic collector would
    # rescan them again and again as they accumulate (as in evaluate_all)
    paused = gc.isenabled()
    gc.disable()
    try:
        with tempfile.TemporaryFile("w+", encoding="utf-8", newline="", dir=out.parent) as scored, \
                tempfile.TemporaryFile("w+", encoding="utf-8", newline="",
                                       dir=out.parent) as rejected:
            done = _first_pass(plan, rows, scored, rejected, node_ids, outputs, progress)
            results, dups = done.results, done.dups
            for unit in dups:  # duplicates are not ranked: drop the first entry's record
                results.pop(unit, None)
                done.facts.pop(unit, None)
            scored_count = len(results)
            placements, _ = population.place(plan, results, done.facts)
            del results  # the records are not needed any more: free them before writing
            done.results, done.facts = {}, {}
            written = 0
            with report.atomic_file(out) as handle:
                text = codecs.getwriter("utf-8")(handle)
                text.write("\ufeff")
                writer = csv.writer(text, lineterminator="\n")
                writer.writerow(csv_row(["unit", "category", "tier", "scope", "rank", "total",
                                         "computed_total", "grade", "awards", "undecided",
                                         "vetoes", "ineligible", *outputs, *node_ids]))
                dup_first: dict[str, int] = {}  # where duplicated ids' scored first entries were
                scored.seek(0)
                for row in csv.reader(scored):
                    unit = row[1]
                    if unit in dups:
                        dup_first[unit] = int(row[0])
                        continue
                    p = placements[unit]
                    writer.writerow([csv_cell(unit), row[2], row[3],
                                     *csv_row([p.scope, p.rank]), row[4], row[5],
                                     *csv_row([p.grade or "", ";".join(p.awards),
                                               ";".join(p.undecided)]), *row[6:]])
                del placements
                rest = _rejected_rows_with(rejected, dups, dup_first, done.spellings)
                for _index, unit, problems in rest:
                    writer.writerow(csv_row([unit, "", "", "REJECTED", "", "", "", "", "", "",
                                             "", "; ".join(problems)]))
                    written += 1
                    if on_rejected is not None:
                        on_rejected(unit, problems)
    finally:
        if paused:
            gc.enable()
    assert scored_count + written == done.submitted, (scored_count, written, done.submitted)
    return StreamSummary(done.submitted, scored_count, written, rows.encoding,
                         time.perf_counter() - start)


def _rejected_rows_with(rejected: IO[str], dups: Mapping[str, list[int]],
                        first: dict[str, int], spellings: Mapping[str, set[str]]
                        ) -> Iterator[tuple[int, str, list[str]]]:
    """Every rejected entry in input order, given the first positions of duplicated ids whose
    first entry was scored; those whose first entry was rejected are found in ``rejected``."""
    if dups:
        rejected.seek(0)
        for row in csv.reader(rejected):
            if row[1] in dups:
                first[row[1]] = int(row[0])
    yield from _merge_dups(rejected, dups, first, spellings)
