"""``govscore score SCHEME FACTS -o OUT`` through the columns: a wide CSV or Parquet facts file
read into Arrow text columns, scored by the columnar back end, ranked, graded and awarded, and
written as CSV or Parquet from the columns — the same file, byte for byte, that the usual way
(read every unit, :func:`govscore.api.evaluate_all`, :func:`govscore.views.report.write`) writes.

:func:`score_file` returns None, having written nothing, whenever this way cannot promise that;
the caller then takes the usual way, which reports everything as before:

- the scheme: population kinds, outputs, a category whose items are unbounded, a group that
  rescales or scales (the exponent of a quotient is not followed, engine.exponents), ranking
  tie-breakers on inputs; numpy or pyarrow not installed;
- the file (inputs.columns.read_file_columns): not a wide ``.csv``/``.parquet`` whose columns
  are the scheme's facts, UTF-16, rows of unequal width, ids not in NFKC form, an id given twice;
- the units: any unit rejected, or a problem in the file (a rejected unit's problems are told
  with the sheet and cell they come from by the usual way).

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
from decimal import Decimal
from pathlib import Path
from typing import Any

from govscore import api, textsafe
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


def ready() -> bool:
    return all(importlib.util.find_spec(m) is not None for m in ("numpy", "pyarrow"))


def scheme_taken(plan: Plan) -> bool:
    """Whether a scheme's results can be written from the columns (see the module's
    docstring)."""
    scheme = plan.scheme
    if plan.needs_population or scheme.outputs:
        return False
    if any(tb.node is None for tb in scheme.ranking.tie_breakers):
        return False
    from govscore.engine import exponents

    programs = plan.columns()
    if not programs:
        return False
    return all(exponents.supported(p) for p in programs.values())


def score_file(plan: Plan, source: str | Path, target: str | Path) -> BulkSummary | None:
    """Score ``source`` into ``target`` (.csv or .parquet) through the columns; None (nothing
    written) when this way does not take the scheme, the file or its units."""
    start = time.perf_counter()
    if Path(target).suffix.lower() not in OUTPUTS or not ready() or not scheme_taken(plan):
        return None
    paused = gc.isenabled()
    gc.disable()
    try:
        done = _score(plan, Path(source))
        if done is None:
            return None
        names, columns, summary = done
        from govscore.views import report, report_columns

        with report.atomic_file(Path(target)) as handle:
            report_columns.write(handle, Path(target).suffix, names, columns)
    finally:
        if paused:
            gc.enable()
    return BulkSummary(summary[0], summary[1], summary[2], summary[3],
                       time.perf_counter() - start)


def _score(plan: Plan, source: Path) -> tuple[list[str], dict[str, Any], tuple[Any, ...]] | None:
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
    n = len(cols)
    ids_arrow = cols.raw["id"]
    if pc.count_distinct(ids_arrow).as_py() != n:
        return None  # an id given twice: GS405 the usual way
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
    node_ids = [nid for nid, _ in sorted(plan.positions.items(), key=lambda p: p[1][1])]
    node_text: dict[str, list[Any]] = {nid: [] for nid in node_ids}
    total_text: list[Any] = []
    pieces: list[Any] = []  # row indices of each piece, in the order of the texts
    totals_int: list[Any] = []  # the totals as scaled integers at the scheme's places
    rank_keys: dict[str, list[Any]] = {}
    keys = _rank_nodes(plan)
    for k in keys:
        rank_keys[k] = []
    by_columns = 0
    cat_values = category.to_numpy(zero_copy_only=False) if scheme.categories else None
    for key, program in programs.items():
        rows_mask = plain if key is None else plain & (cat_values == key)
        rows = np.nonzero(rows_mask)[0]
        if not len(rows):
            continue
        facts_in = incols.file_fact_columns(program, cols, rows)
        scored = columnar.run(plan, program, facts_in)
        exps = exponents.node_exponents(plan, program, facts_in, scored)
        if exps is None:
            return None
        keep = ~scored.bail
        plain[rows[scored.bail]] = False  # the scalar path scores them
        taken = rows[keep]
        if not len(taken):
            continue
        by_columns += len(taken)
        pieces.append(taken)
        places = plan.places
        total = columnar.Batch(scored.n, {}, {}).full(scored.total)
        total_data = np.asarray(total.data)[keep]
        totals_int.append(total_data * 10 ** (places - total.exp) if total.exp < places
                          else total_data // 10 ** (total.exp - places))
        total_text.append(out.fixed_text(totals_int[-1], places))
        batch = columnar.Batch(scored.n, {}, {})
        for nid in node_ids:
            if nid in scored.nodes:
                col = batch.full(scored.nodes[nid])
                e = exps[nid]
                e_kept = e if isinstance(e, int) else np.asarray(e)[keep]
                node_text[nid].append(out.exact_text(np.asarray(col.data)[keep], col.exp,
                                                     e_kept))
            else:  # a node of another category: empty
                node_text[nid].append(pa.array([""] * len(taken), pa.string()))
        for k in keys:
            col = batch.full(scored.nodes[k])
            rank_keys[k].append((np.asarray(col.data)[keep], col.exp))
    # every other row: the table reader and the scalar path
    rest = np.nonzero(~plain)[0].tolist()
    scalar: list[tuple[int, UnitResult]] = []
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
        # ids compared after NFKC and without spaces: a look-alike of another row's id
        plain_ids = set(pc.filter(ids_arrow, pa.array(plain)).to_pylist())
        seen: set[str] = set()
        for _, r in scalar:
            key = textsafe.id_key(r.unit)
            if key in plain_ids or key in seen:
                return None
            seen.add(key)
    n_scored = by_columns + len(scalar)
    # assemble every scored row, in file order of the pieces (columns first, then scalar)
    index = np.concatenate([*pieces, np.array([i for i, _ in scalar], dtype=np.int64)]) \
        if pieces or scalar else np.zeros(0, dtype=np.int64)
    units = pc.take(ids_arrow, pa.array(index)) if len(index) else pa.array([], pa.string())
    scalar_units = [r.unit for _, r in scalar]
    if scalar:
        units = pa.concat_arrays([pc.take(ids_arrow, pa.array(np.concatenate(pieces)))
                                  if pieces else pa.array([], pa.string()),
                                  pa.array(scalar_units, pa.string())])
    values = report_values(plan, scalar)
    columns: dict[str, Any] = {
        "unit": units,
        "category": _chunks([pc.take(category, pa.array(p)) for p in pieces],
                            [r.category or "" for _, r in scalar]),
        "tier": _chunks([pc.take(tier, pa.array(p)) for p in pieces],
                        [r.tier or "" for _, r in scalar]),
        "total": _chunks(total_text, [textsafe.decimal_text(r.total) for _, r in scalar]),
    }
    columns["computed_total"] = _chunks(
        total_text, [textsafe.decimal_text(r.computed_total) for _, r in scalar])
    columns["vetoes"] = _chunks([pa.array([""] * len(p)) for p in pieces],
                                [";".join(r.vetoes) for _, r in scalar])
    columns["ineligible"] = _chunks([pa.array([""] * len(p)) for p in pieces],
                                    ["; ".join(r.ineligible) for _, r in scalar])
    for position, nid in enumerate(node_ids):
        columns[nid] = _chunks(node_text[nid], [v[position] for v in values])
    # ranks, grades and awards
    placements = _place(plan, columns, units, totals_int, rank_keys, keys, scalar, pieces)
    columns.update(placements)
    names = ["unit", "category", "tier", "scope", "rank", "total", "computed_total", "grade",
             "awards", "undecided", "vetoes", "ineligible", *node_ids]
    order = pc.sort_indices(pa.table({"scope": columns["scope"], "rank": columns["rank_int"],
                                      "unit": units}),
                            sort_keys=[("scope", "ascending"), ("rank", "ascending"),
                                       ("unit", "ascending")])
    sorted_columns = {name: pc.take(columns[name], order) for name in names}
    return names, sorted_columns, (n_scored, by_columns, len(scalar), cols.encoding)


def _chunks(arrays: Sequence[Any], tail: Sequence[str]) -> Any:
    import pyarrow as pa

    parts = [a if isinstance(a, (pa.Array, pa.ChunkedArray)) else pa.array(a, pa.string())
             for a in arrays]
    parts = [p.combine_chunks() if isinstance(p, pa.ChunkedArray) else p for p in parts]
    if tail:
        parts.append(pa.array(list(tail), pa.string()))
    if not parts:
        return pa.array([], pa.string())
    return pa.concat_arrays([p.cast(pa.string()) for p in parts])


def report_values(plan: Plan, scalar: list[tuple[int, UnitResult]]) -> list[list[str]]:
    """Node value texts of the units the scalar path scored, as to_csv writes them."""
    from govscore.views import report

    node_ids = [nid for nid, _ in sorted(plan.positions.items(), key=lambda p: p[1][1])]
    values = report.NodeValues(node_ids)
    out = []
    for _, r in scalar:
        row = textsafe.csv_row(values(r.nodes))
        out.append(["" if v == "" else str(v) for v in row])
    return out


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


class _Ranked:
    """What population.place reads of a unit scored by the columns (no veto, eligible)."""

    __slots__ = ("category", "computed_total", "nodes", "tier", "total", "unit")
    vetoes: tuple[str, ...] = ()
    ineligible: tuple[str, ...] = ()
    forced_grade = None
    grade_cap = None
    eligible = True

    def __init__(self, unit: str, category: str | None, tier: str | None, total: Decimal,
                 nodes: dict[str, Any]) -> None:
        self.unit, self.category, self.tier = unit, category, tier
        self.total = self.computed_total = total
        self.nodes = nodes


class _Node:
    __slots__ = ("value",)

    def __init__(self, value: Decimal) -> None:
        self.value = value


def _place(plan: Plan, columns: dict[str, Any], units: Any, totals_int: list[Any],
           rank_keys: dict[str, list[Any]], keys: list[str],
           scalar: list[tuple[int, UnitResult]], pieces: list[Any]) -> dict[str, Any]:
    """scope, rank, grade, awards and undecided of every row (population.place's semantics)."""
    import pyarrow as pa

    from govscore.engine import columnar

    ids = units.to_pylist()
    cats = columns["category"].to_pylist()
    tiers = columns["tier"].to_pylist()
    totals: list[Decimal] = []
    for data in totals_int:
        totals.extend(columnar.decimals(columnar.Col(data, plan.places)))
    node_values: dict[str, list[Decimal]] = {k: [] for k in keys}
    for k in keys:
        for data, exp in rank_keys[k]:
            node_values[k].extend(columnar.decimals(columnar.Col(data, exp)))
    results: dict[str, Any] = {}
    for i in range(len(totals)):
        nodes = {k: _Node(node_values[k][i]) for k in keys}
        results[ids[i]] = _Ranked(ids[i], cats[i] or None, tiers[i] or None, totals[i], nodes)
    for _, r in scalar:
        results[r.unit] = r
    placements, _ = population.place(plan, results, {})
    scope, rank, grade, awards, undecided = [], [], [], [], []
    for u in ids:
        p = placements[u]
        scope.append(p.scope)
        rank.append(p.rank)
        grade.append(p.grade or "")
        awards.append(";".join(p.awards))
        undecided.append(";".join(p.undecided))
    del pieces
    return {"scope": pa.array(scope, pa.string()), "rank_int": pa.array(rank, pa.int64()),
            "rank": pa.array([str(r) for r in rank], pa.string()),
            "grade": pa.array(grade, pa.string()), "awards": pa.array(awards, pa.string()),
            "undecided": pa.array(undecided, pa.string())}
