"""The population steps after scoring — ranks, grades, grade quotas and award quotas — over
per-unit columns (numpy), with exactly the semantics of :func:`population.place`.

Input (:class:`Units`): one row per scored unit — its id, category and tier (codes), its
total as a scaled integer (``total × 10^exp``), its ranking key columns (any order-preserving
integer encoding, higher is better: ascending tie-breakers already negated), whether it may
receive an award, and, for the few units a veto caught, the grade it forces or caps.

Every comparison of the scalar steps is a comparison of the key tuple, so the keys are first
reduced to one integer per unit (``order``: 0 for the best key tuple, equal keys equal codes);
ranks are then competition ranks of that code within each ranking scope, and every quota is
filled by the same rule as ``population._fill`` over the code: whole tie groups while they fit,
a group straddling the last place left undecided (or included, ``on_tie: include_all``).
Only the units at an award or grade line and the sorted winner lists become Python objects;
ranks, grades and award outcomes stay columns (:class:`Placed`). A unit's
:class:`~govscore.engine.results.Placement`, reasons and all, is worked out when read
(:meth:`Placed.placement`), from its columns, the scope's decision and the unit's result.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np

from govscore.engine import population
from govscore.engine.facts import UnitFacts
from govscore.engine.lowering import Lowered
from govscore.engine.population import DEPENDS, band_grade, explained_ineligibility, scope_key, tied_with
from govscore.engine.results import AwardScope, Placement, UnitResult
from govscore.language import model

Ints = Any  # numpy int64 arrays (numpy ships no precise stub for shapes)
Mask = Any

NO = -1
"""The code of "none" in every code column (no category, no tier, no grade)."""

# how a unit's grade came about (Placed.grade_why)
G_NONE, G_BAND, G_FORCED, G_CAPPED, G_BELOW_QUOTA, G_TIED = range(6)
# a unit's outcome for one award (Placed.award_status)
A_OUT, A_WON, A_UNDECIDED, A_INELIGIBLE, A_OUTSIDE, A_OUTSIDE_PENDING = range(6)
"""A_OUT: not of the award's categories (no reason); A_OUTSIDE_PENDING: eligible only as a
pending grade is decided, and outside the quota either way."""


class IdColumn(Sequence[str]):
    """Unit ids held as a column rather than a Python str per unit (a file's Arrow ids,
    govscore.bulk): the two things :func:`place` asks of every id at once, done in bulk. Any
    other sequence of str is asked one id at a time."""

    @abstractmethod
    def sorted_ids(self, rows: Ints) -> list[str]:
        """The ids of ``rows``, sorted as ``sorted()`` sorts str (by code point)."""

    @abstractmethod
    def rows_of(self, wanted: Collection[str]) -> dict[str, int]:
        """id → row for the ids among ``wanted`` that are present."""


def sorted_ids(ids: Sequence[str], rows: Ints) -> list[str]:
    """The ids of ``rows``, sorted: an award's winners and a tie's units as AwardScope lists
    them (300,000 winners of a million units: in one call where the ids are a column)."""
    if isinstance(ids, IdColumn):
        return ids.sorted_ids(rows)
    return sorted(ids[r] for r in rows.tolist())


def rows_of(ids: Sequence[str], wanted: Collection[str]) -> dict[str, int]:
    """id → row for the ids among ``wanted`` (the members a scheme names)."""
    if not wanted:
        return {}
    if isinstance(ids, IdColumn):
        return ids.rows_of(wanted)
    return {u: r for r, u in enumerate(ids) if u in wanted}


@dataclass
class Units:
    """The scored units of one assessment, as columns (row i is one unit)."""

    ids: Sequence[str]
    category: Ints
    """Index into ``categories``, or NO."""
    tier: Ints
    """Index into ``tiers``, or NO."""
    categories: Sequence[str]
    tiers: Sequence[str]
    total: Ints
    """The final total × 10^exp, exactly."""
    exp: int
    keys: list[Ints]
    """The ranking key (total or ranking.by, then the tie-breakers), higher is better."""
    eligible: Mask
    """False where the unit may receive no award from the top (a veto, a modifier)."""
    vetoed: Mapping[int, tuple[str | None, str | None]] = field(default_factory=dict)
    """row → (forced grade, grade cap) for the units a veto gave either."""

    def __len__(self) -> int:
        return len(self.ids)


@dataclass
class Decision:
    """One award in one scope: the AwardScope and what the reasons of its units quote."""

    scope: AwardScope
    basis: str
    pending: tuple[str, ...]
    """Units whose eligibility waits on a pending grade, among the undecided (sorted)."""


@dataclass
class Placed:
    """Ranks, grades and awards of every row, as columns; :meth:`placement` builds one unit's
    Placement (equal to population.place's) when it is read."""

    plan: Lowered
    units: Units
    rank_scope: Ints
    """Index into ``rank_scopes``."""
    rank_scopes: list[str]
    rank_scope_sizes: list[int]
    rank: Ints
    grade: Ints
    """Index into ``grade_names``, or NO (no grade, or undecided at a quota's line)."""
    grade_names: list[str]
    grade_why: Ints
    grade_quota: Ints
    """The grade quota that last changed the unit's grade (index into scheme.grades.quotas)."""
    quota_scopes: dict[tuple[int, str], tuple[int, int]]
    """(quota, scope key) → (places, size)."""
    award_status: list[Ints]
    """Per award of the scheme: the unit's outcome (A_*)."""
    award_scope: list[Ints]
    """Per award: index into that award's ``decisions``."""
    decisions: list[list[Decision]]
    awards: tuple[AwardScope, ...]

    def grade_of(self, row: int) -> str | None:
        code = int(self.grade[row])
        return None if code == NO else self.grade_names[code]

    def grade_undecided(self, row: int) -> tuple[str, ...]:
        if self.grade_why[row] != G_TIED:
            return ()
        quota = _quotas(self.plan)[int(self.grade_quota[row])]
        return (quota.grade, quota.fallback)

    def placement(self, row: int, result: UnitResult) -> Placement:
        """Row ``row``'s Placement; ``result`` is its unit's result (the reasons quote its
        total, vetoes and ineligibility)."""
        unit = self.units.ids[row]
        grade = self.grade_of(row)
        undecided_grades = self.grade_undecided(row)
        awards: list[str] = []
        undecided: list[str] = []
        reasons: dict[str, str] = {}
        for a, award in enumerate(self.plan.scheme.awards):
            status = int(self.award_status[a][row])
            if status == A_OUT:
                continue
            decision = self.decisions[a][int(self.award_scope[a][row])]
            basis = decision.basis
            if status == A_WON:
                awards.append(award.id)
                reasons[award.id] = f"awarded: {basis}"
            elif status == A_UNDECIDED:
                undecided.append(award.id)
                tied = decision.scope.undecided
                room = decision.scope.open_places
                if decision.pending:
                    why = explained_ineligibility(award, result, grade, undecided_grades)
                    own = f"its grade is {why.removeprefix(DEPENDS)}; " \
                        if why.startswith(DEPENDS) else ""
                    reasons[award.id] = (
                        f"undecided: {own}the places depend on the pending grade of "
                        f"{tied_with([*decision.pending, ''], '')}; with "
                        f"{tied_with(tied, unit)} for {room} remaining place(s); {basis}")
                else:
                    reasons[award.id] = (f"undecided: tied with {tied_with(tied, unit)}"
                                         f" for {room} remaining place(s); {basis}")
            elif status == A_INELIGIBLE:
                reasons[award.id] = explained_ineligibility(award, result, grade,
                                                            undecided_grades)
            elif status == A_OUTSIDE_PENDING:
                reasons[award.id] = (f"not awarded: ranked outside the quota whatever "
                                     f"the pending grade; {basis}")
            else:
                reasons[award.id] = f"not awarded: ranked outside the quota; {basis}"
        scope = int(self.rank_scope[row])
        return Placement(
            unit=unit, scope=self.rank_scopes[scope], rank=int(self.rank[row]),
            scope_size=self.rank_scope_sizes[scope], grade=grade,
            grade_reason=self._grade_reason(row, result), grade_undecided=undecided_grades,
            awards=tuple(awards), undecided=tuple(undecided), reasons=reasons)

    def _grade_reason(self, row: int, result: UnitResult) -> str:
        why = int(self.grade_why[row])
        if why == G_NONE:
            return ""
        if why == G_BAND:
            return f"total {result.total}"
        if why == G_FORCED:
            return f"一票否决 ({', '.join(result.vetoes)})"
        if why == G_CAPPED:
            return f"grade capped at {result.grade_cap} ({', '.join(result.vetoes)})"
        q = int(self.grade_quota[row])
        quota = _quotas(self.plan)[q]
        s = _scope_of(quota.scope, self.units, row)
        places, size = self.quota_scopes[(q, s)]
        if why == G_TIED:
            return (f"tied at the {quota.grade} quota boundary in {s} "
                    f"({places} of {size}): a decision is needed")
        return f"{quota.grade} quota in {s} is {places} of {size}; ranked below it"


def _quotas(plan: Lowered) -> list[model.GradeQuota]:
    grades = plan.scheme.grades
    return list(grades.quotas) if grades is not None else []


def _scope_of(scope: str, units: Units, row: int) -> str:
    category = int(units.category[row])
    tier = int(units.tier[row])
    return scope_key(scope, None if category == NO else units.categories[category],
                     None if tier == NO else units.tiers[tier])


def _scope_codes(scope: str, units: Units) -> tuple[Ints, list[str]]:
    """Each row's scope (index into the returned keys) for a scope kind."""
    n = len(units)
    if scope == "all":
        return np.zeros(n, dtype=np.int64), ["all"]
    codes, names = (units.tier, units.tiers) if scope == "tier" else \
        (units.category, units.categories)
    # "?" for a unit without one, as scope_key: code NO maps to the last key
    keys = [*names, "?"]
    codes = np.where(codes == NO, len(names), codes)
    used = np.flatnonzero(np.bincount(codes, minlength=len(keys)))  # a count, not a sort
    if len(used) == len(keys):
        return codes, keys
    remap = np.full(len(keys), NO, dtype=np.int64)
    remap[used] = np.arange(len(used))
    return remap[codes], [keys[i] for i in used.tolist()]


def dense(values: Ints) -> tuple[Ints, Ints]:
    """``np.unique(values, return_inverse=True)``: the distinct values ascending, and each
    value's index among them. Where the values' range is small (a million totals at 2 places
    lie in 0 … 10,000) by a table over the range, without sorting."""
    values = np.asarray(values, dtype=np.int64)
    n = len(values)
    if n:
        lo, hi = int(values.min()), int(values.max())
        if hi - lo < max(4 * n, 1 << 16):
            present = np.zeros(hi - lo + 1, dtype=np.bool_)
            offset = values - lo
            present[offset] = True
            index = np.cumsum(present, dtype=np.int64) - 1
            np.take(index, offset, out=offset)  # in place: a million rows, 8 MB less
            return np.flatnonzero(present) + lo, offset
    distinct, inverse = np.unique(values, return_inverse=True)
    return distinct, inverse.astype(np.int64).reshape(n)


def order_code(keys: Sequence[Ints], n: int) -> Ints:
    """One integer per row for the key tuple: 0 for the best, equal tuples equal codes, a
    better tuple a smaller code (a dense rank of the keys, higher keys first)."""
    if not keys:
        return np.zeros(n, dtype=np.int64)
    if len(keys) == 1:
        distinct, index = dense(keys[0])
        return np.subtract(len(distinct) - 1, index, out=index)
    order = np.lexsort([-np.asarray(k, dtype=np.int64) for k in reversed(keys)])
    new = np.zeros(n, dtype=np.bool_)
    for k in keys:
        s = np.asarray(k)[order]
        new[1:] |= s[1:] != s[:-1]
    code = np.empty(n, dtype=np.int64)
    code[order] = np.cumsum(new)
    return code


def _competition_ranks(scope: Ints, code: Ints) -> Ints:
    """1, 2, 2, 4 within each scope, the better code first: 1 + the units of the scope with a
    better code. Counted per (scope, code) where the scopes × the codes are few (a million S3
    units: 3 圈层 × some 3,000 distinct totals), else by sorting."""
    n = len(scope)
    rank = np.zeros(n, dtype=np.int64)
    if not n:
        return rank
    scopes, codes = int(scope.max()) + 1, int(code.max()) + 1
    if int(scope.min()) >= 0 and int(code.min()) >= 0 and scopes * codes <= max(4 * n, 1 << 16):
        cell = scope.astype(np.int64) * codes + code
        counts = np.bincount(cell, minlength=scopes * codes)
        better = np.cumsum(counts.reshape(scopes, codes), axis=1).reshape(-1) - counts + 1
        return np.take(better, cell, out=cell)
    order = np.lexsort([code, scope])
    s, c = scope[order], code[order]
    new_scope = np.ones(n, dtype=np.bool_)
    new_scope[1:] = s[1:] != s[:-1]
    new_value = new_scope.copy()
    new_value[1:] |= c[1:] != c[:-1]
    position = np.arange(n)
    scope_start = np.maximum.accumulate(np.where(new_scope, position, 0))
    value_start = np.maximum.accumulate(np.where(new_value, position, 0))
    rank[order] = value_start - scope_start + 1
    return rank


def _fill(rows: Ints, code: Ints, places: int, include_all: bool, top: bool
          ) -> tuple[Ints, Ints, int]:
    """population._fill over rows taken best first (top) or worst first: winners, the tie
    group straddling the last place (undecided), and the places left for it. The line is the
    places-th code in that order (a selection, not a sort): whole tie groups before it win; the
    group at it wins too if it fits, else is undecided (or wins, include_all). The rows come
    back as sets, in row order."""
    empty = rows[:0]
    if places <= 0 or not len(rows):
        return empty, empty, 0
    if len(rows) <= places:
        return rows, empty, 0
    c = code[rows] if top else -code[rows]
    line = np.partition(c, places - 1)[places - 1]
    before, at = c < line, c == line
    inside = int(np.count_nonzero(before))
    if include_all or inside + int(np.count_nonzero(at)) == places:
        return rows[before | at], empty, 0
    return rows[before], rows[at], places - inside


def _tie_ordered(rows: Ints, code: Ints, ids: Sequence[str], top: bool) -> list[str]:
    """The units of rows as population._tie_groups orders them: tie groups best first (or
    worst first), each group's ids sorted."""
    groups: dict[int, list[str]] = {}
    for r, c in zip(rows.tolist(), code[rows].tolist(), strict=True):
        groups.setdefault(c, []).append(ids[r])
    return [u for c in sorted(groups, reverse=not top) for u in sorted(groups[c])]


def _sizes(plan: Lowered, scope: str, keys: list[str], codes: Ints, members: Mask,
           named_rows: Mapping[str, int], categories: list[str] | None = None) -> list[int]:
    """population.scope_size for each scope key: the members the scheme names for it together
    with the scored units in it."""
    counts = np.bincount(codes[members], minlength=len(keys)).tolist()
    out = []
    for s, count in zip(keys, counts, strict=True):
        named = population.named_members(plan, scope, s, categories)
        # a named member counts unless it is already one of the scored units of this scope
        extra = sum(1 for m in named
                    if (r := named_rows.get(m)) is None or not members[r]
                    or keys[int(codes[r])] != s)
        out.append(count + extra)
    return out


def place(plan: Lowered, units: Units, *, winners: bool = True) -> Placed:
    """Ranks, grades and awards of every row (population.place over columns). With
    ``winners=False`` each AwardScope's list of winners is left empty: for a caller that
    writes every unit's outcome from the columns and never the lists (govscore.bulk: 300,000
    ids as Python strings of a million S3 units, 30 MB and 0.1 s); all else is the same."""
    n = len(units)
    scheme = plan.scheme
    code = order_code(units.keys, n)
    everyone = np.ones(n, dtype=np.bool_)
    all_named = {m for group in (scheme.tiers, scheme.categories) for e in group
                 for m in e.members}
    named_rows = rows_of(units.ids, all_named)

    rank_scope, rank_keys = _scope_codes(scheme.ranking.scope, units)
    rank = _competition_ranks(rank_scope, code)
    rank_sizes = np.bincount(rank_scope, minlength=len(rank_keys)).tolist()

    grade, names, why, quota_of, quota_scopes = _grades(plan, units, code, everyone, named_rows)
    statuses: list[Ints] = []
    scopes_of: list[Ints] = []
    decisions: list[list[Decision]] = []
    decided: list[AwardScope] = []
    for award in scheme.awards:
        status, where, made = _award(plan, award, units, code, grade, names, why, quota_of,
                                     named_rows, winners)
        statuses.append(status)
        scopes_of.append(where)
        decisions.append(made)
        decided.extend(d.scope for d in made)
    return Placed(plan, units, rank_scope, rank_keys, rank_sizes, rank, grade, names, why,
                  quota_of, quota_scopes, statuses, scopes_of, decisions, tuple(decided))


def _grades(plan: Lowered, units: Units, code: Ints, everyone: Mask,
            named_rows: Mapping[str, int]
            ) -> tuple[Ints, list[str], Ints, Ints, dict[tuple[int, str], tuple[int, int]]]:
    n = len(units)
    names: list[str] = list(plan.grade_order)
    grade = np.full(n, NO, dtype=np.int64)
    why = np.full(n, G_NONE, dtype=np.int8)
    quota_of = np.full(n, NO, dtype=np.int64)
    quota_scopes: dict[tuple[int, str], tuple[int, int]] = {}
    grades_def = plan.scheme.grades
    if grades_def is None:
        return grade, names, why, quota_of, quota_scopes

    def code_of(name: str) -> int:
        if name not in names:
            names.append(name)
        return names.index(name)

    # bands over the distinct totals only (exact: each through band_grade as Decimal)
    distinct, inverse = dense(units.total)
    banded = [band_grade(grades_def, Decimal(int(t)).scaleb(-units.exp))
              for t in distinct.tolist()]
    table = np.array([NO if g is None else code_of(g) for g in banded], dtype=np.int64)
    grade = table[inverse.reshape(n)] if n else grade
    why = np.where(grade != NO, G_BAND, G_NONE).astype(np.int8)
    order = plan.grade_order
    for row, (forced, cap) in units.vetoed.items():
        g = names[grade[row]] if grade[row] != NO else None
        w = int(why[row])
        if forced is not None:
            g, w = forced, G_FORCED
        if cap is not None and g is not None and order.index(g) < order.index(cap):
            g, w = cap, G_CAPPED
        grade[row] = NO if g is None else code_of(g)
        why[row] = w if g is not None else G_NONE
    for q, quota in enumerate(grades_def.quotas):
        codes, keys = _scope_codes(quota.scope, units)
        sizes = _sizes(plan, quota.scope, keys, codes, everyone, named_rows)
        holder = code_of(quota.grade)
        fallback = code_of(quota.fallback)
        for s, key in enumerate(keys):
            holders = np.flatnonzero((codes == s) & (grade == holder))
            size = sizes[s]
            places = population.places_of(quota.share, None, size, quota.rounding)
            quota_scopes[(q, key)] = (places, size)
            keep, tied, _ = _fill(holders, code, places, include_all=False, top=True)
            below = np.setdiff1d(holders, np.concatenate([keep, tied]), assume_unique=True)
            grade[tied] = NO
            why[tied] = G_TIED
            quota_of[tied] = q
            grade[below] = fallback
            why[below] = G_BELOW_QUOTA
            quota_of[below] = q
    return grade, names, why, quota_of, quota_scopes


def _award(plan: Lowered, award: model.Award, units: Units, code: Ints, grade: Ints,
           names: list[str], why: Ints, quota_of: Ints, named_rows: Mapping[str, int],
           listed: bool) -> tuple[Ints, Ints, list[Decision]]:
    n = len(units)
    ids = units.ids
    top = award.from_end == "top"
    include_all = award.on_tie == "include_all"
    if award.categories is None:
        members = np.ones(n, dtype=np.bool_)
    else:
        wanted = [i for i, c in enumerate(units.categories) if c in award.categories]
        members = np.isin(units.category, wanted)
    status = np.full(n, A_OUT, dtype=np.int8)
    where = np.full(n, NO, dtype=np.int64)
    codes, keys = _scope_codes(award.scope, units)
    sizes = _sizes(plan, award.scope, keys, codes, members, named_rows, award.categories)
    ineligible, conditional = _eligibility(plan, award, units, grade, names, why, quota_of)
    made: list[Decision] = []
    for s in sorted(range(len(keys)), key=lambda i: keys[i]):
        in_scope = members & (codes == s)
        if not in_scope.any():
            continue
        key, size = keys[s], sizes[s]
        places = population.places_of(award.share, award.count, size, award.rounding)
        status[in_scope] = A_OUTSIDE
        status[in_scope & ineligible] = A_INELIGIBLE
        where[in_scope] = len(made)
        candidates = np.flatnonzero(in_scope & ~ineligible)
        winners, tied, room = _fill(candidates, code, places, include_all, top)
        pending_rows = candidates[conditional[candidates]]
        if len(pending_rows):
            without = candidates[~conditional[candidates]]
            winners_without, tied_without, _ = _fill(without, code, places, include_all, top)
            sure = np.intersect1d(winners, winners_without)
            pending = np.setdiff1d(np.unique(np.concatenate(
                [winners, tied, winners_without, tied_without])), sure)
            undecided = _tie_ordered(pending, code, ids, top)
            status[pending_rows] = A_OUTSIDE_PENDING
            winners, tied_rows, room = sure, pending, places - len(sure)
        else:
            undecided = sorted_ids(ids, tied)
            tied_rows = tied
        status[winners] = A_WON
        status[tied_rows] = A_UNDECIDED
        pending_tied = tuple(sorted_ids(ids, np.intersect1d(tied_rows, pending_rows)))
        scope = AwardScope(award.id, key, size, places,
                           tuple(sorted_ids(ids, winners)) if listed else (),
                           tuple(undecided), room)
        made.append(Decision(scope, f"{size} units in {key}, {places} place(s)", pending_tied))
    return status, where, made


def _eligibility(plan: Lowered, award: model.Award, units: Units, grade: Ints,
                 names: list[str], why: Ints, quota_of: Ints) -> tuple[Mask, Mask]:
    """Rows that may not compete for the award, and rows that compete only as a pending grade
    is decided (population's _ineligible, over columns)."""
    n = len(units)
    ineligible = np.zeros(n, dtype=np.bool_)
    conditional = np.zeros(n, dtype=np.bool_)
    if award.from_end == "top":
        ineligible |= ~np.asarray(units.eligible, dtype=np.bool_)
    el = award.eligibility
    if el is None:
        return ineligible, conditional
    rest = ~ineligible
    if el.min_total is not None:
        below = np.asarray(units.total) < _ceiling(el.min_total, units.exp)
        ineligible |= rest & below
        rest &= ~below
    if el.grades is not None:
        allowed = np.array([g in el.grades for g in names] + [False], dtype=np.bool_)
        tied = why == G_TIED
        ineligible |= rest & ~tied & ~allowed[grade]  # grade NO → the appended False
        quotas = _quotas(plan)
        for q, quota in enumerate(quotas):
            rows = rest & tied & (quota_of == q)
            if not rows.any():
                continue
            qualifying = sum(g in el.grades for g in (quota.grade, quota.fallback))
            if qualifying == 0:
                ineligible |= rows
            elif qualifying < 2:  # noqa: PLR2004 — one of the two grades in question
                conditional |= rows
    return ineligible, conditional


def _ceiling(bound: Decimal, exp: int) -> int:
    """The least scaled integer t with t × 10^-exp ≥ bound: total < bound ⟺ scaled < this."""
    scaled = bound.scaleb(exp)
    ceiling = int(scaled.to_integral_value(rounding="ROUND_CEILING"))
    return max(min(ceiling, 2**63 - 1), -(2**63) + 1)


# -- from results (the scalar path's objects) -----------------------------------------------


def scaled(value: Decimal, places: int) -> int:
    """value × 10^places as an exact int (value has at most ``places`` places)."""
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite: scores and facts are
    coefficient: int = int("".join(map(str, digits)) or "0") * 10 ** (exponent + places)
    return -coefficient if sign else coefficient


def key_column(values: Sequence[Decimal]) -> tuple[Ints, int] | None:
    """Decimals as one scaled int64 column at their largest number of places (equal values,
    equal integers), or None where that would not fit int64."""
    places = max([0, *(-e for v in values if isinstance(e := v.as_tuple().exponent, int))])
    if places > 18:  # noqa: PLR2004 — beyond int64 whatever the digits
        return None
    ints = [scaled(v, places) for v in values]
    if ints and not -(2**62) < min(ints) <= max(ints) < 2**62:
        return None
    return np.array(ints, dtype=np.int64), places


def _order_column(values: Sequence[Decimal]) -> Ints:
    """An order-preserving int64 column of any Decimals: scaled, or their dense rank."""
    column = key_column(values)
    if column is not None:
        return column[0]
    rank = {v: i for i, v in enumerate(sorted(set(values)))}
    return np.array([rank[v] for v in values], dtype=np.int64)


def units_of(plan: Lowered, results: Mapping[str, UnitResult],
             facts: Mapping[str, UnitFacts]) -> Units:
    """The columns of the scalar path's results (the sort key as population.sort_key)."""
    scheme = plan.scheme
    ids = list(results)
    rs = list(results.values())
    categories = [c.id for c in scheme.categories]
    tiers = [t.id for t in scheme.tiers]
    extra_c = sorted({r.category for r in rs if r.category is not None} - set(categories))
    extra_t = sorted({r.tier for r in rs if r.tier is not None} - set(tiers))
    categories += extra_c
    tiers += extra_t
    c_index = {c: i for i, c in enumerate(categories)}
    t_index = {t: i for i, t in enumerate(tiers)}
    category = np.array([NO if r.category is None else c_index[r.category] for r in rs],
                        dtype=np.int64)
    tier = np.array([NO if r.tier is None else t_index[r.tier] for r in rs], dtype=np.int64)
    totals = key_column([r.total for r in rs])
    if totals is None:
        msg = "totals too large for int64 columns"
        raise OverflowError(msg)
    total, exp = totals
    sort_keys = [population.sort_key(plan, r, facts.get(u)) for u, r in results.items()]
    width = 1 + len(scheme.ranking.tie_breakers)
    keys = [_order_column([k[i] for k in sort_keys]) for i in range(width)]
    eligible = np.array([not r.ineligible for r in rs], dtype=np.bool_)
    vetoed = {i: (r.forced_grade, r.grade_cap) for i, r in enumerate(rs)
              if r.forced_grade is not None or r.grade_cap is not None}
    return Units(ids, category, tier, categories, tiers, total, exp, keys, eligible, vetoed)


def place_results(plan: Lowered, results: Mapping[str, UnitResult],
                  facts: Mapping[str, UnitFacts]
                  ) -> tuple[dict[str, Placement], tuple[AwardScope, ...]]:
    """population.place's answer, worked out over columns (population.place itself where a
    total does not fit int64)."""
    try:
        units = units_of(plan, results, facts)
    except OverflowError:
        return population.place(plan, results, facts)
    placed = place(plan, units)
    rs = list(results.values())
    return ({u: placed.placement(i, rs[i]) for i, u in enumerate(results)}, placed.awards)


