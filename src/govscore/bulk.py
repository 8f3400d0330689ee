"""``govscore score SCHEME FACTS -o OUT`` through the columns: a wide CSV or Parquet facts file
read into Arrow text columns, scored by the columnar back end, ranked, graded and awarded, and
written as CSV or Parquet from the columns — the same file, byte for byte, that the usual way
(read every unit, :func:`govscore.api.evaluate_all`, :func:`govscore.views.report.write`) writes.

:func:`score_file` returns None, having written nothing, whenever this way cannot promise that;
the caller then takes the usual way, which reports everything as before:

- the scheme: population kinds, a category whose items are unbounded; numpy or pyarrow not
  installed (outputs are written from columnar's tail, worked out once per distinct combination
  of what it reads; a group that scales or rescales at the exponent engine.exponents follows;
  ties broken on inputs as population.sort_key reads them);
- the file (inputs.columns.read_file_columns): not a wide ``.csv``/``.parquet`` whose columns
  are the scheme's facts, UTF-16, rows of unequal width, ids not in NFKC form, an id given twice;
- the units: any unit rejected, or a problem in the file (a rejected unit's problems are told
  with the sheet and cell they come from by the usual way); a value of the scalar path with
  more places than an int64 column holds (a group's quotient that does not end) where ranking
  needs it (written as its text otherwise).

Rows whose cells the columns do not read exactly as the table reader (``98%``, `` 6 ``, an id
with a space, a comment row, the first data row, which may be titles) are read by the table
reader itself (:func:`govscore.inputs.tables.table_of_rows`, with their file row numbers) and
scored on the scalar path, as are the units the columns bail (a veto, an exemption, an
overflow). Node values are written at the exponent the scalar path's Decimal would have
(engine.exponents), so ``20`` stays ``20`` where a cap bound and ``18.50`` elsewhere.
"""

from __future__ import annotations

import decimal
import gc
import importlib.util
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govscore import api, budget, textsafe
from govscore.engine import population
from govscore.engine.plan import CONTEXT, Plan
from govscore.engine.results import UnitResult
from govscore.errors import FactsFileError

OUTPUTS = (".csv", ".parquet")
"""What the columns write; another suffix (.xlsx, .html, .json, .txt) goes the usual way."""


@dataclass(frozen=True)
class BulkSummary:
    """What a scoring through the columns did (every unit scored: none rejected)."""

    submitted: int
    by_columns: int
    scalar: int
    encoding: str
    seconds: float


ROOM = 1 << 30
"""Address space the columns want left under a limit (``ulimit -v``): numpy's and Arrow's
buffers are allocated outside govscore's memory guard (budget.check), and OpenBLAS ends the
process when it cannot get its own; under a tighter limit the usual way runs, and stops with
GS703 where memory runs out."""


def ready() -> bool:
    """numpy and pyarrow installed, and room for them (see :data:`ROOM`)."""
    if not all(importlib.util.find_spec(m) is not None for m in ("numpy", "pyarrow")):
        return False
    if budget.resource is None:  # pragma: no cover - not POSIX
        return True
    soft, _ = budget.resource.getrlimit(budget.resource.RLIMIT_AS)
    used = budget.address_space()
    return soft == budget.resource.RLIM_INFINITY or used is None or soft - used >= ROOM


def scheme_taken(plan: Plan) -> bool:
    """Whether a scheme's results can be written from the columns (see the module's
    docstring)."""
    if plan.needs_population:
        return False
    from govscore.engine import exponents

    programs = plan.columns()
    if not programs:
        return False
    return all(exponents.supported(p) for p in programs.values())


def score_file(plan: Plan, source: str | Path, target: str | Path, *,
               input_order: bool = False) -> BulkSummary | None:
    """Score ``source`` into ``target`` (.csv or .parquet) through the columns; None (nothing
    written) when this way does not take the scheme, the file or its units. Rows are in the
    report's order (scope, rank, unit) as ``govscore score -o`` writes them, or with
    ``input_order`` in the facts file's order, as ``govscore score --stream`` writes them."""
    start = time.perf_counter()
    if Path(target).suffix.lower() not in OUTPUTS or not ready() or not scheme_taken(plan):
        return None
    import pyarrow as pa

    paused = gc.isenabled()
    gc.disable()
    # Arrow's default allocator (mimalloc) keeps freed memory for reuse; with the system's, and
    # freed memory given back between steps (_release), 1,000,000 S3 units peaked at 470 MB
    # instead of 550 MB
    pool = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        done = _score(plan, Path(source), input_order)
        if done is None:
            return None
        names, columns, summary = done
        from govscore.views import report, report_columns

        suffix = Path(target).suffix
        order = columns.pop("order")
        if suffix.lower() == ".csv":  # the ids are written as CSV cells already
            columns["unit"] = columns.pop("unit cells")
        with report.atomic_file(Path(target)) as handle:
            report_columns.write(handle, suffix, names, columns, ready=frozenset({"unit"}),
                                 order=order)
    finally:
        pa.set_memory_pool(pool)
        if paused:
            gc.enable()
    return BulkSummary(summary[0], summary[1], summary[2], summary[3],
                       time.perf_counter() - start)


def _score(plan: Plan, source: Path, input_order: bool
           ) -> tuple[list[str], dict[str, Any], tuple[Any, ...]] | None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from govscore.engine import columnar, exponents
    from govscore.inputs import columns as incols
    from govscore.inputs import tables
    from govscore.views import report_columns as out

    try:
        cols = incols.read_file_columns(source, plan)
    except incols.NotColumnarError:
        return None
    _release()
    ids_arrow = cols.raw["id"]
    scheme = plan.scheme
    plain = cols.plain.copy()
    category, ok = _resolve(ids_arrow, cols.raw.get("category"), plan.category_of,
                            [c.id for c in scheme.categories])
    plain &= ok
    tier, ok = _resolve(ids_arrow, cols.raw.get("tier"), plan.tier_of,
                        [t.id for t in scheme.tiers])
    plain &= ok
    programs = plan.columns()
    assert programs is not None
    # units a ``units:`` list names have programs of their own (a profile): few, and scored the
    # scalar way; every other unit's program is its category's
    named = sorted({unit for _, unit in plan.profile_of})
    if named:
        plain &= ~incols.mask_of(pc.is_in(ids_arrow, value_set=pa.array(named, pa.string())))
    category_keys = {c.id for c in scheme.categories} if scheme.categories else {None}
    node_ids = [nid for nid, _ in sorted(plan.positions.items(), key=lambda p: p[1][1])]
    keys = set(_rank_nodes(plan))
    gathered = {name: _Gathered(keep_values=name == "total" or name in keys)
                for name in ("total", *node_ids)}
    pieces: list[Any] = []  # row indices of each piece, in the order of the gathered texts
    output_ids = [o.id for o in scheme.outputs]
    # the inputs ranking breaks ties on, as population.sort_key reads them
    tie_inputs = {tb.input: _Gathered(keep_values=True)
                  for tb in scheme.ranking.tie_breakers if tb.input is not None}
    output_parts: dict[str, list[Any]] = {oid: [] for oid in output_ids}
    by_columns = 0
    cat_values = category.to_numpy(zero_copy_only=False) if scheme.categories else None
    places = plan.places
    for key, category_program in programs.items():
        if key not in category_keys:
            continue  # named units' own program: their rows went the scalar way above
        rows_mask = plain if key is None else plain & (cat_values == key)
        all_rows = np.nonzero(rows_mask)[0]
        # in chunks: what a chunk's scoring holds (every node as int64) is freed before the
        # next; what stays per unit is a code per report cell and the ranking's keys
        for start in range(0, len(all_rows), SCORE_CHUNK):
            rows = all_rows[start:start + SCORE_CHUNK]
            program, facts_in = incols.file_fact_columns(category_program, cols, rows)
            scored = columnar.run(plan, program, facts_in)
            exps = exponents.node_exponents(plan, program, facts_in, scored)
            if exps is None:
                return None
            keep = ~scored.bail
            plain[rows[scored.bail]] = False  # the scalar path scores them
            taken = rows[keep]
            if not len(taken):
                continue
            _release()  # the chunk's scoring columns
            by_columns += len(taken)
            pieces.append(taken)
            batch = columnar.Batch(scored.n, {}, {})
            total = batch.full(scored.total)
            every = bool(keep.all())  # no unit bailed: the columns as they are, no copies

            def kept(data: Any, every: bool = every, keep: Any = keep) -> Any:
                return np.asarray(data) if every else np.asarray(data)[keep]

            for oid, part in _outputs(output_ids, scored.tail, keep).items():
                output_parts[oid].append(part)
            for name, tie in tie_inputs.items():
                held = _tie_input(facts_in, name)
                if held is None:
                    return None
                tie.values.append((kept(held[0]), held[1]))
            numbers = out.Numbers()
            numbers.add(kept(total.data), total.exp, -places)
            if not gathered["total"].add(numbers.column([])):
                return None
            for nid in node_ids:
                numbers = out.Numbers()
                if nid in scored.nodes:
                    col = batch.full(scored.nodes[nid])
                    e = exps[nid]
                    numbers.add(kept(col.data), col.exp, e if isinstance(e, int) else kept(e))
                else:  # a node of another category: empty
                    numbers.empty(len(taken))
                if not gathered[nid].add(numbers.column([])):
                    return None
    # every other row: the table reader and the scalar path
    rest = np.nonzero(~plain)[0].tolist()
    scalar: list[tuple[int, UnitResult]] = []
    scalar_sort: list[tuple[Any, ...]] = []  # their sort keys (population.sort_key)
    if rest:
        try:
            table = tables.table_of_rows(cols.cells(rest), cols.path)
        except FactsFileError:
            return None
        numbers = np.asarray(cols.row_numbers)[rest].tolist()
        index_of = dict(zip(numbers, rest, strict=True))
        with decimal.localcontext(CONTEXT):
            for entry in table.units:
                unit = entry["id"]
                outcome = api.score_entry(plan, entry, api.shown_id(unit))
                if not isinstance(outcome[0], UnitResult):
                    return None  # a rejected unit: the usual way reports it with its cell
                number = table.rows_of.get(unit) if table.rows_of else None
                if number is None:
                    return None
                scalar.append((index_of[number], outcome[0]))
                if tie_inputs:
                    scalar_sort.append(population.sort_key(plan, outcome[0], outcome[1]))
        # ids compared after NFKC and without spaces: a look-alike of another row's id
        scalar_keys = [textsafe.id_key(r.unit) for _, r in scalar]
        if len(set(scalar_keys)) != len(scalar_keys) or pc.any(pc.is_in(
                pc.filter(ids_arrow, pa.array(plain)),
                value_set=pa.array(scalar_keys, pa.string()))).as_py():
            return None
    n_scored = by_columns + len(scalar)
    encoding = cols.encoding
    del cols  # the facts' cells are not needed any more
    _release()
    # every scored row: the columns' pieces, then the scalar path's units
    results = [r for _, r in scalar]
    index = pa.array(np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int64))
    units = pa.concat_arrays([pc.take(ids_arrow, index),
                              pa.array([r.unit for r in results], pa.string())])
    # every row of the file is one unit here (the columns' as its cell, the scalar path's as
    # its id read): an id given twice is found among them, by the sort the placement needs
    # anyway (a hash count of a million ids cost four times as much)
    unit_ids = incols.FileIds(units)
    if unit_ids.repeated():
        return None  # GS405 the usual way
    del ids_arrow
    tail = out.Numbers()
    total_tail, computed_tail = tail.column([r.total for r in results]), \
        tail.column([r.computed_total for r in results])
    if total_tail is None or computed_tail is None:
        return None
    total_texts = gathered["total"].texts
    columns: dict[str, Any] = {
        "unit": units,
        "category": _text(pc.take(category, index), [r.category or "" for r in results]),
        "tier": _text(pc.take(tier, index), [r.tier or "" for r in results]),
        "total": _unified([*total_texts, total_tail[0]]),
        "computed_total": _unified([*total_texts, computed_tail[0]]),
        "vetoes": _text(len(index), [";".join(r.vetoes) for r in results]),
        "ineligible": _text(len(index), ["; ".join(r.ineligible) for r in results]),
    }
    by_columns_rows = len(index)
    del index, category, tier, total_texts  # taken into the report's columns
    gathered["total"].add(total_tail)
    for oid in output_ids:
        cells = [r.outputs.get(oid) for r in results]
        columns[oid] = _unified([*output_parts[oid], pc.dictionary_encode(pa.array(
            ["" if v is None else str(textsafe.csv_cell(v)) for v in cells], pa.string()))])
    rank_data: dict[str, Any] = {}
    for nid in node_ids:
        values = [r.nodes[nid].value if nid in r.nodes and r.nodes[nid].applicable else None
                  for r in results]
        made = tail.column(values)
        if made is None and nid not in keys and all(
                v is None or _exponent(v) <= 0 for v in values):
            # a value no int64 column holds (a group's quotient that does not end: 34 digits)
            # and no ranking needs: its cell as the CSV report writes the Decimal
            gathered[nid].texts.append(pc.dictionary_encode(pa.array(
                ["" if v is None else str(textsafe.csv_cell(v)) for v in values], pa.string())))
        elif made is None or not gathered[nid].add(made):
            return None
        columns[nid] = _unified(gathered[nid].texts)
        if nid in keys:
            rank_data[nid] = gathered[nid].data()
    gathered_inputs: set[str] = set()
    for k, tb in enumerate(scheme.ranking.tie_breakers, start=1):
        if tb.input is None or tb.input in gathered_inputs:
            continue
        gathered_inputs.add(tb.input)
        # the sort key holds an ascending breaker negated: its value back as given
        made = tail.column([key[k] if tb.order == "desc" else -key[k] for key in scalar_sort])
        if made is None:
            return None
        tie_inputs[tb.input].values.append((made[1], made[2]))
    input_data = {name: tie.data() for name, tie in tie_inputs.items()}
    total_data = gathered["total"].data()
    # the totals' exponent: the scheme's places, or another where only the scalar path's totals
    # are here (a score veto's 59 has none; 59.555 would have 3)
    total_exp = gathered["total"].exp()
    gathered.clear()  # each chunk's texts: unified into the report's columns above
    if total_data is None or any(v is None for v in (*rank_data.values(),
                                                     *input_data.values())):
        return None
    # the rows in the file's order, where asked for; the pieces are let go before the placement
    rows_of = np.concatenate([*pieces, np.array([i for i, _ in scalar], dtype=np.int64)]) \
        if input_order else None
    del pieces
    _release()
    # ranks, grades and awards
    placements = _place(plan, columns, unit_ids, (total_data, total_exp), rank_data,
                        input_data, results)
    if placements is None:
        return None
    _release()
    columns.update(placements)
    names = ["unit", "category", "tier", "scope", "rank", "total", "computed_total", "grade",
             "awards", "undecided", "vetoes", "ineligible", *output_ids, *node_ids]
    if rows_of is not None:
        order = pa.array(np.argsort(rows_of, kind="stable"))
    else:
        order = pa.array(_report_order(columns.pop("scope_key"), columns.pop("rank_int"),
                                       unit_ids.rank()))
    # the ids as CSV cells: the columns' ids are plain (nothing to guard or quote), the scalar
    # path's go through the CSV writer's rules one by one
    columns["unit cells"] = pa.concat_arrays([units.slice(0, by_columns_rows), pa.array(
        [out.quoted_cell(str(textsafe.csv_cell(r.unit))) for r in results], pa.string())])
    columns["order"] = order
    return names, columns, (n_scored, by_columns, len(scalar), encoding)


SCORE_CHUNK = 131_072
"""Units scored at a time (their nodes as int64 columns)."""


def _release() -> None:
    """Give freed memory back to the system between steps (for the system allocator: glibc's
    malloc_trim): peak RSS is what a large file is measured by."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()


class _Gathered:
    """One number column of the report, chunk by chunk: the texts (dictionary arrays), and the
    values where ranking needs them."""

    def __init__(self, *, keep_values: bool) -> None:
        self.keep_values = keep_values
        self.texts: list[Any] = []
        self.values: list[tuple[Any, int]] = []

    def add(self, made: tuple[Any, Any, int] | None) -> bool:
        if made is None:
            return False
        self.texts.append(made[0])
        if self.keep_values:
            self.values.append((made[1], made[2]))
        return True

    def exp(self) -> int:
        """The exponent :meth:`data` gives its values at: the most places any part has."""
        return max([0, *(e for _, e in self.values)])

    def data(self) -> Any:
        """The values as one int64 column at :meth:`exp` (None if that would not fit)."""
        import numpy as np

        top = self.exp()
        parts = []
        for values, e in self.values:
            if e != top and np.any(np.abs(values) >= 2**62 // 10 ** (top - e)):
                return None
            parts.append(values * 10 ** (top - e))
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def _unified(parts: list[Any]) -> Any:
    """Dictionary arrays with their own dictionaries as one dictionary array."""
    import pyarrow as pa

    from govscore.views.report_columns import narrow

    whole = pa.chunked_array([p.cast(pa.dictionary(pa.int32(), pa.string())) for p in parts],
                             pa.dictionary(pa.int32(), pa.string()))
    whole = whole.unify_dictionaries().combine_chunks()
    return pa.DictionaryArray.from_arrays(narrow(whole.indices), whole.dictionary)


def _exponent(value: decimal.Decimal) -> int:
    exp = value.as_tuple().exponent
    return exp if isinstance(exp, int) else 1  # not finite: never in a result


def _tie_input(facts: Any, name: str) -> tuple[Any, int] | None:
    """A tie-breaker's input over a chunk's fact columns (data, exponent): columnar.tie_input,
    a constant spread over the chunk."""
    import numpy as np

    from govscore.engine import columnar

    col = columnar.tie_input(facts, name)
    if col is None:
        return None
    data = np.full(facts.n, col.data, dtype=np.int64) if isinstance(col.data, int) \
        else np.asarray(col.data)
    return data, col.exp


def _outputs(output_ids: list[str], tail: Any, keep: Any) -> dict[str, Any]:
    """Each output's cells for the units kept (dictionary arrays: one text per distinct
    outcome of the tail, columnar.Tail), as the CSV report writes the scalar path's Decimals
    ("" where an output is not for the unit's category)."""
    import numpy as np
    import pyarrow as pa

    if not output_ids:
        return {}
    assert tail is not None  # a scheme with outputs: the run worked its tail out
    kept = np.asarray(tail.codes)[keep]
    assert not len(kept) or kept.min() >= 0  # a unit kept had its tail worked out
    codes = pa.array(kept.astype(np.int32))
    return {oid: pa.DictionaryArray.from_arrays(codes, pa.array(
        [str(textsafe.csv_cell(o[oid])) if oid in o else "" for o in tail.outcomes],
        pa.string())) for oid in output_ids}


def _text(columns: Any, tail: Sequence[str]) -> Any:
    """A text column (the columns' rows, then the scalar path's) as a dictionary array; the
    columns' rows given as a count are empty cells."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from govscore.views.report_columns import narrow

    if isinstance(columns, int):  # no 1,000,000 empty strings: one code per row
        texts = sorted({"", *tail})
        code = {t: i for i, t in enumerate(texts)}
        indices = np.concatenate([np.full(columns, code[""], dtype=np.int64),
                                  np.array([code[t] for t in tail], dtype=np.int64)])
        return pa.DictionaryArray.from_arrays(narrow(pa.array(indices)),
                                              pa.array(texts, pa.string()))
    whole = pa.concat_arrays([columns.cast(pa.string()), pa.array(list(tail), pa.string())])
    encoded = pc.dictionary_encode(whole)
    return pa.DictionaryArray.from_arrays(narrow(encoded.indices), encoded.dictionary)


def _report_order(scope: Any, rank: Any, unit: Any) -> Any:
    """Row numbers in the report's order — by scope, rank, then unit id — from their int64
    keys (``unit`` any order-preserving codes of the ids, which are unique): one key per row
    where the three fit one int64, else numpy's lexsort."""
    import numpy as np

    n = len(unit)
    if not n:
        return np.zeros(0, dtype=np.int64)
    top = (int(scope.max()) + 1) * (n + 1) * (int(unit.max()) + 1)
    if int(scope.min()) >= 0 and int(rank.min()) >= 0 and int(rank.max()) <= n and \
            int(unit.min()) >= 0 and top < 2**63:
        key = (scope.astype(np.int64) * (n + 1) + rank) * (int(unit.max()) + 1) + unit
        return np.argsort(key)
    return np.lexsort((unit, rank, scope))


def _rank_cells(rank: Any) -> Any:
    """The ranks as a dictionary array of their text: a few hundred distinct ranks among a
    million units (one per tie group), so the writer joins them with the columns beside them."""
    import pyarrow as pa

    from govscore.views.report_columns import dense_codes

    coded = dense_codes(rank)
    if coded is None:
        return pa.array(rank)
    distinct, codes = coded
    return pa.DictionaryArray.from_arrays(codes, pa.array([str(r) for r in distinct.tolist()],
                                                          pa.string()))


def _rank_nodes(plan: Plan) -> list[str]:
    ranking = plan.scheme.ranking
    nodes = [ranking.by] if ranking.by is not None else []
    nodes += [tb.node for tb in ranking.tie_breakers if tb.node is not None]
    return list(dict.fromkeys(nodes))


def _resolve(ids: Any, given: Any, members: dict[str, str], declared: list[str]
             ) -> tuple[Any, Any]:
    """Each row's category (or tier) as the scalar check resolves it ('' for none) and whether
    nothing is wrong with it (else the row goes the scalar way, which reports it)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(ids)
    if members:
        named = pc.take(pa.array(list(members.values()), pa.string()),
                        pc.index_in(ids, value_set=pa.array(list(members), pa.string())))
    else:
        named = pa.nulls(n, pa.string())
    has_named = np.asarray(pc.is_valid(named))
    named_text = pc.fill_null(named, "")
    if given is None:
        ok = has_named | (not declared)
        return named_text, ok
    empty = np.asarray(pc.equal(given, ""))
    known = np.asarray(pc.is_in(given, value_set=pa.array(declared, pa.string()))) \
        if declared else np.zeros(n, dtype=np.bool_)
    agrees = ~has_named | np.asarray(pc.fill_null(pc.equal(named_text, given), False))
    ok = np.where(empty, has_named | (not declared), known & agrees)
    value = pc.if_else(pa.array(empty), named_text, given)
    return value, ok


def _codes(column: Any, names: list[str]) -> Any:
    """Each row's index into ``names`` ('' and unknown: population_columns.NO)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from govscore.engine import population_columns as pcol

    if not names:
        return np.full(len(column), pcol.NO, dtype=np.int64)
    index = pc.index_in(column, value_set=pa.array(names, pa.string()))
    return np.asarray(pc.fill_null(index, pcol.NO), dtype=np.int64)


def _place(plan: Plan, columns: dict[str, Any], units: Any, totals: tuple[Any, int],
           rank_data: dict[str, Any], input_data: dict[str, Any], results: list[UnitResult]
           ) -> dict[str, Any] | None:
    """scope, rank, grade, awards and undecided of every row, over columns
    (engine.population_columns: population.place's semantics); None where a key would not fit
    int64."""
    import numpy as np
    import pyarrow as pa

    from govscore.engine import population_columns as pcol

    scheme = plan.scheme
    total, exp = totals
    ranking = scheme.ranking
    key_columns = [total if ranking.by is None else rank_data[ranking.by]]
    for tb in ranking.tie_breakers:
        column = rank_data[tb.node] if tb.node is not None else input_data[tb.input or ""]
        key_columns.append(column if tb.order == "desc" else -column)
    n = len(total)
    categories = [c.id for c in scheme.categories]
    tiers = [t.id for t in scheme.tiers]
    eligible = np.ones(n, dtype=np.bool_)
    start = n - len(results)
    vetoed: dict[int, tuple[str | None, str | None]] = {}
    for k, r in enumerate(results):
        eligible[start + k] = not r.ineligible
        if r.forced_grade is not None or r.grade_cap is not None:
            vetoed[start + k] = (r.forced_grade, r.grade_cap)
    table = pcol.Units(units, _codes(columns["category"], categories),
                       _codes(columns["tier"], tiers), categories, tiers, total, exp,
                       key_columns, eligible, vetoed)
    placed = pcol.place(plan, table, winners=False)  # the report has no lists of winners
    scope_codes = np.asarray(placed.rank_scope, dtype=np.int32)
    scope = pa.DictionaryArray.from_arrays(pa.array(scope_codes),
                                           pa.array(placed.rank_scopes, pa.string()))
    # the scopes' order as the report sorts them: by their text
    by_text = sorted(range(len(placed.rank_scopes)), key=lambda i: placed.rank_scopes[i])
    scope_order = np.empty(len(by_text), dtype=np.int64)
    scope_order[by_text] = np.arange(len(by_text))
    grade_codes = np.where(placed.grade == pcol.NO, len(placed.grade_names), placed.grade)
    grade = pa.DictionaryArray.from_arrays(pa.array(grade_codes.astype(np.int32)),
                                           pa.array([*placed.grade_names, ""], pa.string()))
    ids_of_awards = [a.id for a in scheme.awards]
    made = {}
    for which, wanted in (("awards", pcol.A_WON), ("undecided", pcol.A_UNDECIDED)):
        bits = np.zeros(n, dtype=np.int64)
        for a in range(len(ids_of_awards)):
            bits |= (np.asarray(placed.award_status[a]) == wanted).astype(np.int64) << a
        encoded = pa.array(bits).dictionary_encode()
        texts = [";".join(i for a, i in enumerate(ids_of_awards) if combo >> a & 1)
                 for combo in encoded.dictionary.to_pylist()]
        made[which] = pa.DictionaryArray.from_arrays(encoded.indices, pa.array(texts, pa.string()))
    rank = np.asarray(placed.rank, dtype=np.int64)
    return {"scope": scope, "scope_key": scope_order[scope_codes], "rank_int": rank,
            "rank": _rank_cells(rank), "grade": grade, "awards": made["awards"],
            "undecided": made["undecided"]}
