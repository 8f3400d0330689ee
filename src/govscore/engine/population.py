"""Population steps over all units of one assessment.

Before per-unit scoring: the population values — items that need every unit (relative_to_best,
rank_points) and cohort statistics (mean, median, max, min) — computed over their scopes from
all units' facts or computed node values, in as many phases as their needs take
(:func:`population_scores`). After: ranks per scope with the declared tie-breakers, grades by
bands (and grade quotas), and awards by quota.

Quotas are ``floor(share × units in scope)`` unless the scheme declares another rounding, and are
never exceeded. Vetoed and ineligible units receive no award and use no place. A tie straddling
the last place that the tie-breakers do not separate is left undecided and reported; nobody is
chosen by input order. Results never depend on the order of the units.
"""

from __future__ import annotations

import decimal
from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import Decimal

from govscore import rules
from govscore.engine import interpreter
from govscore.engine.facts import UnitFacts
from govscore.engine.lowering import CONTEXT, ZERO, Lowered
from govscore.engine.results import NAMED_IN_REASON, AwardScope, Placement, TraceStep, UnitResult
from govscore.errors import Diagnostic, EvaluationError, FactsError
from govscore.language import model
from govscore.rules.population import RankPoints, RelativeToBest
from govscore.rules.values import within
from govscore.scheme import tree

SortKey = tuple[Decimal, ...]



def scope_key(scope: str, category: str | None, tier: str | None) -> str:
    if scope == "tier":
        return tier or "?"
    if scope == "category":
        return category or "?"
    return "all"


def population_scores(plan: Lowered,
                      units: Sequence[UnitFacts]) -> dict[str, dict[str, TraceStep]]:
    """unit → value id → the unit's population values, as trace steps: the raw score of every
    population item (``population``, or ``not_applicable`` for a unit left out of it) and the
    value of every statistic of the unit's scopes (``statistic``).

    The values are computed in phases (:mod:`govscore.scheme.phases`): phase 0 reads facts;
    each later phase first scores, for every unit, the nodes its values read (with the values
    of the phases before), then ranks or summarises them over each scope. A unit that cannot
    be scored is left out of every ranking and statistic (its own scoring rejects it)."""
    out: dict[str, dict[str, TraceStep]] = {u.unit: {} for u in units}
    graph = plan.population
    if graph is None:
        return out
    refs = tree.index(plan.scheme)
    where = {r.node.id: r.categories for r in refs}
    with decimal.localcontext(CONTEXT):
        for phase in graph.phases():
            nodes: dict[str, dict[str, Decimal | None]] = {}
            wanted_by_category: dict[str | None, frozenset[str]] = {}
            for u in units:
                if u.category not in wanted_by_category:  # each category scores its own nodes
                    wanted_by_category[u.category] = graph.nodes_for(phase, refs, u.category)
                wanted = wanted_by_category[u.category]
                if wanted:
                    try:
                        nodes[u.unit] = interpreter.node_values(plan, u, out[u.unit], wanted)
                    except (FactsError, EvaluationError):
                        nodes[u.unit] = {}  # not scorable: left out, rejected when scored
            for value_id in phase:
                if value_id in graph.items:
                    _score_item(plan, graph.items[value_id], graph.reads[value_id],
                                where[value_id], units, nodes, out)
                else:
                    _statistic(graph.statistics[value_id], plan, units, nodes, out)
    return out


def _value_of(u: UnitFacts, fact: str | None, node: str | None,
              nodes: Mapping[str, Mapping[str, Decimal | None]]) -> Decimal | None:
    """A unit's value of a fact or input (a number; not applicable or exempt: none) or of a
    computed node (none where it does not apply, or the unit could not be scored)."""
    if node is not None:
        return nodes.get(u.unit, {}).get(node)
    value = u.values.get(fact or "")
    if isinstance(value, bool) or not isinstance(value, Decimal):
        return None  # not ranked: an exempt unit scores as if nothing was lost
    return value


def _score_item(plan: Lowered, item: model.Item, node: str | None, cats: frozenset[str] | None,
                units: Sequence[UnitFacts], nodes: Mapping[str, Mapping[str, Decimal | None]],
                out: dict[str, dict[str, TraceStep]]) -> None:
    kind = rules.of(item)
    assert isinstance(kind, (RelativeToBest, RankPoints))
    rule = item.rule
    assert isinstance(rule, (model.RelativeToBest, model.RankPoints))
    fact = None if node is not None else (item.fact or item.id)
    source = node if node is not None else fact
    scopes: dict[str, list[tuple[str, Decimal]]] = defaultdict(list)
    for u in units:
        if not tree.in_category(cats, u.category):
            continue  # the item does not apply to the unit
        value = _value_of(u, fact, node, nodes)
        if value is None:
            if node is not None and u.unit in nodes and nodes[u.unit]:
                out[u.unit][item.id] = TraceStep(item.id, "not_applicable", ZERO, ZERO, (
                    f"{plan.titles.get(node, node)} does not apply: not ranked",))
            continue
        scopes[scope_key(rule.scope, u.category, u.tier)].append((u.unit, value))
    for members in scopes.values():
        for unit, (score, args) in kind.scores(rule, item, members).items():  # type: ignore[arg-type]
            out[unit][item.id] = TraceStep(item.id, "population", ZERO, score,
                                           (args[0], source, *args[1:]))


def _statistic(stat: model.Statistic, plan: Lowered, units: Sequence[UnitFacts],
               nodes: Mapping[str, Mapping[str, Decimal | None]],
               out: dict[str, dict[str, TraceStep]]) -> None:
    """The statistic over each scope's units that have a value, given to every unit of the
    scope (a unit without a value of its own reads it too: 无新进人员的按同类单位平均得分计)."""
    node = stat.of if stat.of in plan.titles else None
    members: dict[str, list[UnitFacts]] = defaultdict(list)
    for u in units:
        members[scope_key(stat.scope, u.category, u.tier)].append(u)
    for scope, scoped in members.items():
        taken = sorted(((u.unit, v) for u in scoped
                        if (v := _value_of(u, None if node else stat.of, node, nodes))
                        is not None), key=lambda pair: pair[0])
        if not taken:
            continue  # no value here: a unit that needs it is rejected (GS510)
        value = summarise(stat.function, [v for _, v in taken])
        shown = tuple(unit for unit, _ in taken[:NAMED_IN_REASON])
        for u in scoped:
            out[u.unit][stat.id] = TraceStep(stat.id, "statistic", ZERO, value,
                                             (stat.function, stat.of, scope, len(taken), shown))


def summarise(function: str, values: Sequence[Decimal]) -> Decimal:
    """mean, median (the mean of the two middle values for an even count), max or min."""
    if function == "max":
        return max(values)
    if function == "min":
        return min(values)
    if function == "mean":
        return sum(values, ZERO) / len(values)
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


# ---------------------------------------------------------------------------------------------


def sort_key(plan: Lowered, result: UnitResult, facts: UnitFacts | None) -> SortKey:
    """Higher is better in every position (ascending tie-breakers are negated)."""
    ranking = plan.scheme.ranking
    first = result.total if ranking.by is None else result.nodes[ranking.by].value
    key = [first]
    for tb in ranking.tie_breakers:
        if tb.node is not None:
            node = result.nodes.get(tb.node)
            v = node.value if node is not None else ZERO
        else:
            v = tie_input_value(facts, tb.input or "")
        key.append(v if tb.order == "desc" else -v)
    return tuple(key)


def tie_input_value(facts: UnitFacts | None, name: str) -> Decimal:
    """A ranking tie-breaker's input for one unit: its checked value if a Decimal, else 0 (a
    flag, text, a count of an item, a fact the unit's category lacks). columnar.tie_input reads
    the same over columns."""
    raw = facts.values.get(name) if facts is not None else None
    return raw if isinstance(raw, Decimal) else ZERO


def named_members(plan: Lowered, scope: str, key: str,
                  categories: Sequence[str] | None = None) -> set[str]:
    """The members the scheme names for a scope (a 圈层's districts), of these categories."""
    scheme = plan.scheme
    named: set[str] = set()
    if scope == "tier":
        named = {m for t in scheme.tiers if t.id == key for m in t.members}
    elif scope == "category":
        named = {m for c in scheme.categories if c.id == key for m in c.members}
    else:
        named = {m for group in (scheme.tiers, scheme.categories) for e in group for m in e.members}
    if categories is not None:
        named = {m for m in named if plan.category_of.get(m) in categories}
    return named


def scope_size(plan: Lowered, scope: str, key: str, scored: list[str],
               categories: list[str] | None = None) -> int:
    """Units in a scope: the members the scheme names for it (a 圈层's 单位总数 counts every named
    district, scored or not) together with the scored units placed in it."""
    return len(named_members(plan, scope, key, categories) | set(scored))


def places_of(share: Decimal | None, count: int | None, size: int, rounding: str) -> int:
    if count is not None:
        return count
    assert share is not None
    exact = share * size
    mode = {"floor": decimal.ROUND_FLOOR, "ceil": decimal.ROUND_CEILING,
            "half_up": decimal.ROUND_HALF_UP}[rounding]
    return int(exact.to_integral_value(rounding=mode))


def band_grade(grades: model.Grades, total: Decimal) -> str | None:
    for band in grades.bands:
        if within(band, total):
            return band.grade
    return None


def _tie_groups(units: list[str], keys: Mapping[str, SortKey],
                reverse: bool = True) -> list[list[str]]:
    ordered = sorted(units, key=lambda u: (keys[u], u), reverse=reverse)
    groups: list[list[str]] = []
    for u in ordered:
        if groups and keys[groups[-1][0]] == keys[u]:
            groups[-1].append(u)
        else:
            groups.append([u])
    return [sorted(g) for g in groups]


def _fill(groups: list[list[str]], places: int,
          include_all: bool) -> tuple[list[str], list[str], int]:
    """Accept whole tie groups while they fit; a group straddling the last place is undecided
    (or all included, for lists that say so)."""
    winners: list[str] = []
    for group in groups:
        room = places - len(winners)
        if room <= 0:
            break
        if len(group) <= room:
            winners.extend(group)
        elif include_all:
            winners.extend(group)
            return winners, [], 0
        else:
            return winners, group, room
    return winners, [], 0


def place(plan: Lowered, results: Mapping[str, UnitResult],
          facts: Mapping[str, UnitFacts]) -> tuple[dict[str, Placement], tuple[AwardScope, ...]]:
    """Ranks, grades and awards for every scored unit."""
    scheme = plan.scheme
    keys = {u: sort_key(plan, r, facts.get(u)) for u, r in results.items()}
    rank_scope: dict[str, list[str]] = defaultdict(list)
    for u, r in results.items():
        rank_scope[scope_key(scheme.ranking.scope, r.category, r.tier)].append(u)
    ranks: dict[str, int] = {}
    for members in rank_scope.values():
        position = 1
        for group in _tie_groups(members, keys):
            for u in group:
                ranks[u] = position
            position += len(group)
    grades, grade_reasons, grade_undecided = _grades(plan, results, keys)
    award_scopes, won, undecided, reasons = _awards(plan, results, keys, grades,
                                                    grade_undecided)
    placements = {}
    for u, r in results.items():
        s = scope_key(scheme.ranking.scope, r.category, r.tier)
        placements[u] = Placement(
            unit=u, scope=s, rank=ranks[u], scope_size=len(rank_scope[s]), grade=grades.get(u),
            grade_reason=grade_reasons.get(u, ""), grade_undecided=grade_undecided.get(u, ()),
            awards=tuple(won.get(u, ())), undecided=tuple(undecided.get(u, ())),
            reasons=reasons.get(u, {}))
    return placements, award_scopes


def _grades(plan: Lowered, results: Mapping[str, UnitResult], keys: Mapping[str, SortKey]
            ) -> tuple[dict[str, str], dict[str, str], dict[str, tuple[str, ...]]]:
    grades_def = plan.scheme.grades
    grades: dict[str, str] = {}
    reasons: dict[str, str] = {}
    undecided: dict[str, tuple[str, ...]] = {}
    if grades_def is None:
        return grades, reasons, undecided
    order = plan.grade_order
    for u, r in results.items():
        grade = band_grade(grades_def, r.total)
        reason = f"total {r.total}"
        if r.forced_grade is not None:
            grade, reason = r.forced_grade, f"一票否决 ({', '.join(r.vetoes)})"
        # a cap holds over a forced grade too: whichever veto is harsher decides
        if r.grade_cap is not None and grade is not None and \
                order.index(grade) < order.index(r.grade_cap):
            grade, reason = r.grade_cap, f"grade capped at {r.grade_cap} ({', '.join(r.vetoes)})"
        if grade is not None:
            grades[u] = grade
            reasons[u] = reason
    for quota in grades_def.quotas:
        scopes: dict[str, list[str]] = defaultdict(list)
        for u, r in results.items():
            scopes[scope_key(quota.scope, r.category, r.tier)].append(u)
        for s, members in scopes.items():
            holders = [u for u in members if grades.get(u) == quota.grade]
            size = scope_size(plan, quota.scope, s, members)
            places = places_of(quota.share, None, size, quota.rounding)
            keep_list, tied_list, _room = _fill(_tie_groups(holders, keys), places,
                                                include_all=False)
            keep, tied = set(keep_list), set(tied_list)
            for u in holders:
                if u in keep:
                    continue
                if u in tied:
                    # undecided: neither grade until a human decides (keeping the better one
                    # would give more units that grade than the quota allows)
                    del grades[u]
                    undecided[u] = (quota.grade, quota.fallback)
                    reasons[u] = (f"tied at the {quota.grade} quota boundary in {s} "
                                  f"({places} of {size}): a decision is needed")
                else:
                    grades[u] = quota.fallback
                    reasons[u] = (f"{quota.grade} quota in {s} is {places} of {size}; "
                                  f"ranked below it")
    return grades, reasons, undecided


def _awards(plan: Lowered, results: Mapping[str, UnitResult], keys: Mapping[str, SortKey],
            grades: Mapping[str, str], grade_undecided: Mapping[str, tuple[str, ...]]
            ) -> tuple[tuple[AwardScope, ...], dict[str, list[str]], dict[str, list[str]],
                       dict[str, dict[str, str]]]:
    won: dict[str, list[str]] = defaultdict(list)
    undecided: dict[str, list[str]] = defaultdict(list)
    reasons: dict[str, dict[str, str]] = defaultdict(dict)
    decided: list[AwardScope] = []
    for award in plan.scheme.awards:
        scopes: dict[str, list[str]] = defaultdict(list)
        for u, r in results.items():
            if award.categories is None or r.category in award.categories:
                scopes[scope_key(award.scope, r.category, r.tier)].append(u)
        for s in sorted(scopes):
            members = scopes[s]
            size = scope_size(plan, award.scope, s, members, award.categories)
            places = places_of(award.share, award.count, size, award.rounding)
            candidates = []
            conditional: dict[str, str] = {}  # eligible or not as a pending grade is decided
            for u in members:
                why = explained_ineligibility(award, results[u], grades.get(u),
                                              grade_undecided.get(u, ()))
                if why.startswith(DEPENDS):
                    conditional[u] = why
                    candidates.append(u)
                elif why:
                    reasons[u][award.id] = why
                else:
                    candidates.append(u)
            winners, tied, room = _decide(candidates, conditional, keys, places, award)
            decided.append(AwardScope(award.id, s, size, places, tuple(sorted(winners)),
                                      tuple(tied), room))
            basis = f"{size} units in {s}, {places} place(s)"
            for u in winners:
                won[u].append(award.id)
                reasons[u][award.id] = f"awarded: {basis}"
            pending_grades = sorted(u for u in tied if u in conditional)
            for u in tied:
                undecided[u].append(award.id)
                if pending_grades:  # the outcome waits on a grade decision
                    own = f"its grade is {conditional[u].removeprefix(DEPENDS)}; " \
                        if u in conditional else ""
                    reasons[u][award.id] = (
                        f"undecided: {own}the places depend on the pending grade of "
                        f"{tied_with([*pending_grades, ''], '')}; with {tied_with(tied, u)} "
                        f"for {room} remaining place(s); {basis}")
                else:
                    reasons[u][award.id] = (f"undecided: tied with {tied_with(tied, u)}"
                                            f" for {room} remaining place(s); {basis}")
            placed = set(winners).union(tied)
            for u in candidates:
                if u in conditional and u not in placed:
                    reasons[u][award.id] = (f"not awarded: ranked outside the quota whatever "
                                            f"the pending grade; {basis}")
                elif u not in placed:
                    reasons[u][award.id] = f"not awarded: ranked outside the quota; {basis}"
    return tuple(decided), won, undecided, reasons


DEPENDS = "depends on the grade: "


def _decide(candidates: list[str], conditional: Mapping[str, str], keys: Mapping[str, SortKey],
            places: int, award: model.Award) -> tuple[list[str], list[str], int]:
    """Winners, the units left for a human decision, and the places still open. A unit whose
    eligibility waits on an undecided grade may or may not compete: the award is filled both
    ways, and only what both ways agree on is decided — a unit that wins either way wins, one
    that wins or ties in only one of them (or ties in both) is undecided with it."""
    reverse = award.from_end == "top"
    include_all = award.on_tie == "include_all"
    winners, tied, room = _fill(_tie_groups(candidates, keys, reverse=reverse), places,
                                include_all)
    if not conditional:
        return winners, tied, room
    without = [u for u in candidates if u not in conditional]
    winners_without, tied_without, _ = _fill(_tie_groups(without, keys, reverse=reverse), places,
                                             include_all)
    sure = set(winners).intersection(winners_without)
    pending = set(winners).union(tied, winners_without, tied_without) - sure
    ordered = [u for group in _tie_groups(sorted(pending), keys, reverse=reverse) for u in group]
    return sorted(sure), ordered, places - len(sure)


def tied_with(tied: Sequence[str], unit: str, limit: int = NAMED_IN_REASON) -> str:
    """The others in a tie (``unit`` is one of ``tied``), for a reason: the first ``limit`` of them
    in the tie's order, then "and N more". Looks at limit + 1 entries only, so that the reasons
    of a tie of t units take O(t), not O(t²)."""
    named = [x for x in tied[:limit + 1] if x != unit][:limit]
    rest = len(tied) - 1 - len(named)
    if rest > 0:
        return f"{', '.join(named)} and {rest} more"
    return ", ".join(named)


def explained_ineligibility(award: model.Award, result: UnitResult, grade: str | None,
                grade_undecided: tuple[str, ...] = ()) -> str:
    # a list from the bottom (黑榜, 约谈) names the weakest units whatever their eligibility
    if result.ineligible and award.from_end == "top":
        return "ineligible: " + "; ".join(result.ineligible)
    el = award.eligibility
    if el is not None:
        if el.min_total is not None and result.total < el.min_total:
            return f"ineligible: total {result.total} below {el.min_total}"
        if el.grades is not None and grade_undecided:
            # the grade waits on a decision: eligible only if every grade in question would be
            qualifying = [g for g in grade_undecided if g in el.grades]
            if not qualifying:
                return (f"ineligible: grade undecided ({' / '.join(grade_undecided)}), "
                        f"none in {', '.join(el.grades)}")
            if len(qualifying) < len(grade_undecided):
                return (f"{DEPENDS}undecided ({' / '.join(grade_undecided)}), eligible only "
                        f"as {' / '.join(qualifying)}")
        elif el.grades is not None and grade not in el.grades:
            return f"ineligible: grade {grade} not in {', '.join(el.grades)}"
    return ""


def score_all(plan: Lowered, accepted: Sequence[tuple[int, UnitFacts]]) -> tuple[
        dict[int, tuple[UnitResult, UnitFacts]], list[tuple[int, str, tuple[Diagnostic, ...]]]]:
    """Score the units of a population scheme: the population values, then each unit in full.
    Returns the scored units by input position and the rejected ones (position, unit,
    problems).

    The population is the units that are scored: a unit rejected in its full scoring (a group
    with no applicable child, GS411; a statistic with no unit, GS510 …) counts in no ranking
    and no statistic of the run, even when the phases could compute its values. The values are
    then computed again without it, until every unit they were taken over is scored — each
    round leaves out at least one unit, so there are at most as many rounds as units, and in
    practice two."""
    members = list(accepted)
    rejected: list[tuple[int, str, tuple[Diagnostic, ...]]] = []
    while True:
        values = population_scores(plan, [u for _, u in members])
        scored: dict[int, tuple[UnitResult, UnitFacts]] = {}
        failed: list[tuple[int, str, tuple[Diagnostic, ...]]] = []
        for index, checked in members:
            try:
                scored[index] = (interpreter.evaluate_unit(plan, checked,
                                                           values.get(checked.unit, {})),
                                 checked)
            except FactsError as exc:
                failed.append((index, checked.unit, tuple(exc.diagnostics)))
            except EvaluationError as exc:
                failed.append((index, checked.unit, (exc.diagnostic,)))
        rejected.extend(failed)
        if not failed or plan.population is None:
            return scored, rejected
        gone = {index for index, _, _ in failed}
        members = [(index, checked) for index, checked in members if index not in gone]
