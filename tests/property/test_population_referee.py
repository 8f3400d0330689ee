"""An independent referee for the population steps (domain.md §4): ranks, grade quotas and awards
recomputed from the scheme itself, the units' facts and their computed totals — never from the
flags, reasons or eligibility the engine set. On random schemes over the whole language.

What the referee recomputes:
- each unit's final total: the computed total with the score vetoes applied (veto conditions
  evaluated here from the facts, the scheme's defaults and the node values);
- who is ineligible: a veto fired, or an on_count step marked ineligible was reached;
- places: count, or share × scope size rounded as declared, where the scope size is the units
  scored in the scope with the members the scheme names for it;
- the sort key: the total (or ranking.by) then the tie-breakers, from node values and facts;
- the population values: every cohort statistic (mean, median, max, min over each scope's units
  that have a value of the input or node), every population item's raw score (rank_points and
  relative_to_best over a fact or over a computed node's value, ``of``), and the statistic a
  not-applicable item scores instead (``not_applicable_score``); a unit rejected because a
  statistic it needs has no unit to be taken over (GS510) is checked to have none.
"""

from __future__ import annotations

import decimal
import re
from collections import defaultdict
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

import govscore
from govscore import testing
from govscore.engine.plan import Plan
from govscore.engine.results import Assessment, UnitResult
from govscore.language import model

ZERO = Decimal(0)
REFEREE = settings(deadline=None, suppress_health_check=list(HealthCheck), database=None,
                   phases=[Phase.explicit, Phase.generate], max_examples=120)

Key = tuple[Decimal, ...]


class Referee:
    def __init__(self, plan: Plan, entries: list[dict[str, Any]], assessment: Assessment) -> None:
        self.scheme = plan.scheme
        self.assessment = assessment
        self.entries = {e["id"]: e for e in entries}
        self.results = assessment.results
        self.inputs = {i.id: i for i in self.scheme.inputs}
        self.problems: list[str] = []
        self.stats = {st_.id: st_ for st_ in self.scheme.statistics}
        self.stat_values = {u: {sid: self.statistic(sid, u) for sid in self.stats}
                            for u in self.results}
        self.fired = {u: self._vetoes(u) for u in self.results}
        self.total = {u: self._final_total(u) for u in self.results}
        self.key = {u: self._key(u) for u in self.results}
        self.barred = {u: bool(self.fired[u]) or self._lost_on_count(u) for u in self.results}

    # -- facts -------------------------------------------------------------------------------

    def category(self, unit: str) -> str | None:
        cat: str | None = self.entries[unit].get("category")
        return cat

    def tier(self, unit: str) -> str | None:
        tier: str | None = self.entries[unit].get("tier")
        return tier

    def input_value(self, unit: str, name: str) -> Any:
        """The unit's value of an input: as given, else the scheme's default; None when the
        input does not apply to the unit's category."""
        spec = self.inputs[name]
        if spec.applies_to is not None and self.category(unit) not in spec.applies_to:
            return None
        facts = self.entries[unit]["facts"]
        value = facts.get(name, spec.default)
        if isinstance(value, int) and not isinstance(value, bool):
            return Decimal(value)
        return value

    def name_value(self, unit: str, name: str) -> Any:
        if name in self.stats:
            return self.stat_values[unit][name]
        if name == "total":
            return self.results[unit].computed_total
        if name in self.scheme.params:
            return self.scheme.params[name]
        if name in self.inputs:
            return self.input_value(unit, name)
        if name in self.results[unit].outputs:  # an output, as converted by the engine
            return self.results[unit].outputs[name]
        return self.results[unit].nodes[name].value

    # -- vetoes and eligibility ---------------------------------------------------------------

    def _condition(self, unit: str, formula: str) -> bool:
        """The generator's veto formulas: atoms ``name op number`` or a flag name, joined by
        one kind of ``and``/``or``."""
        joiner = " and " if " and " in formula else " or "
        results = []
        for atom in formula.split(joiner):
            match = re.fullmatch(r"(\S+) (<|>=|==|>) (\S+)", atom.strip())
            if match is None:
                results.append(self.name_value(unit, atom.strip()) is True)
                continue
            left, op, right = self.name_value(unit, match[1]), match[2], Decimal(match[3])
            results.append({"<": left < right, ">=": left >= right, "==": left == right,
                            ">": left > right}[op])
        return all(results) if joiner == " and " else any(results)

    def _vetoes(self, unit: str) -> list[model.Veto]:
        fired = []
        for veto in self.scheme.vetoes:
            if veto.applies_to is not None and self.category(unit) not in veto.applies_to:
                continue  # the veto is for other categories' units
            when = veto.when
            if when.formula is not None:
                hit = self._condition(unit, when.formula)
            else:
                assert when.input is not None
                value = self.input_value(unit, when.input)
                hit = value is True if isinstance(value, bool) else (
                    value is not None and when.at_least is not None and value >= when.at_least)
            if hit:
                fired.append(veto)
        return fired

    def _final_total(self, unit: str) -> Decimal:
        total = self.results[unit].computed_total
        for veto in self.fired[unit]:
            if veto.effect == "score":
                assert veto.score is not None
                total = veto.score
        if self.results[unit].total != total:
            self.problems.append(f"{unit}: total {self.results[unit].total}, but the computed "
                                 f"total {self.results[unit].computed_total} with the vetoes "
                                 f"that fire gives {total}")
        return total

    def _applies(self, item_path: list[model.Item | model.Group], unit: str) -> bool:
        cat = self.category(unit)
        return all((n.applies_to is None or cat in n.applies_to)
                   and (n.units is None or unit in n.units) for n in item_path)

    def _items(self) -> list[tuple[model.Item, list[model.Item | model.Group]]]:
        out: list[tuple[model.Item, list[model.Item | model.Group]]] = []

        def walk(node: model.Item | model.Group, path: list[model.Item | model.Group]) -> None:
            here = [*path, node]
            if isinstance(node, model.Item):
                out.append((node, here))
            else:
                for child in node.children:
                    walk(child, here)

        walk(self.scheme.score, [])
        return out

    def _marked_not_applicable(self, item: model.Item, unit: str) -> bool:
        """The unit's fact marks the item not applicable ({not_applicable: reason})."""
        fact = self.entries[unit]["facts"].get(item.fact or item.id)
        return isinstance(fact, dict) and "not_applicable" in fact

    def _not_applicable(self, item: model.Item, unit: str) -> bool:
        """Marked so, or by its rule (a ratio's target of 0, a rating without votes)."""
        fact = self.entries[unit]["facts"].get(item.fact or item.id)
        if self._marked_not_applicable(item, unit):
            return True
        rule = item.rule
        if isinstance(rule, model.Ratio) and isinstance(fact, dict) and "target" in fact:
            return bool(fact["target"] == 0 and rule.zero_target == "not_applicable")
        if isinstance(rule, model.Rating) and isinstance(fact, dict):
            counted = sum(n for k, n in fact.items() if k in rule.values)
            return counted == 0 and rule.no_votes == "not_applicable"
        return False

    def _lost_on_count(self, unit: str) -> bool:
        """An on_count step marked ineligible was reached on an item the unit has."""
        for item, path in self._items():
            if not self._applies(path, unit) or self._not_applicable(item, unit):
                continue
            for mod in item.modifiers:
                if isinstance(mod, model.OnCount):
                    n = self.input_value(unit, mod.input)
                    reached = [s for s in mod.steps if n is not None and n >= s.at_least]
                    if reached and max(reached, key=lambda s: s.at_least).ineligible:
                        return True
        return False

    # -- ordering and places ------------------------------------------------------------------

    def _key(self, unit: str) -> Key:
        ranking = self.scheme.ranking
        result: UnitResult = self.results[unit]
        first = self.total[unit] if ranking.by is None else result.nodes[ranking.by].value
        key = [first]
        for tb in ranking.tie_breakers:
            if tb.node is not None:
                node = result.nodes.get(tb.node)
                v = node.value if node is not None else ZERO
            else:
                raw = self.input_value(unit, tb.input or "")
                v = raw if isinstance(raw, Decimal) else ZERO
            key.append(v if tb.order == "desc" else -v)
        return tuple(key)

    def scope_of(self, scope: str, unit: str) -> str:
        if scope == "tier":
            return self.tier(unit) or "?"
        if scope == "category":
            return self.category(unit) or "?"
        return "all"

    def size(self, scope: str, key: str, members: list[str],
             categories: list[str] | None = None) -> int:
        """Units in a scope: those scored in it and those the scheme names for it."""
        s = self.scheme
        category_of = {m: c.id for c in s.categories for m in c.members}
        if scope == "tier":
            named = {m for t in s.tiers if t.id == key for m in t.members}
        elif scope == "category":
            named = {m for c in s.categories if c.id == key for m in c.members}
        else:
            named = {m for group in (s.tiers, s.categories) for e in group for m in e.members}
        if categories is not None:
            named = {m for m in named if category_of.get(m) in categories}
        return len(named | set(members))

    @staticmethod
    def places(share: Decimal | None, count: int | None, size: int, rounding: str) -> int:
        if count is not None:
            return count
        assert share is not None
        mode = {"floor": decimal.ROUND_FLOOR, "ceil": decimal.ROUND_CEILING,
                "half_up": decimal.ROUND_HALF_UP}[rounding]
        return int((share * size).to_integral_value(rounding=mode))

    # -- population values ---------------------------------------------------------------------

    def value_of(self, unit: str, name: str) -> Decimal | None:
        """A unit's value of an input (a number) or of a node (where it applies)."""
        if name in self.inputs:
            v = self.input_value(unit, name)
            return v if isinstance(v, Decimal) else None
        if name not in self.results[unit].nodes and any(
                i.fact == name for i, _ in self._items()):  # an item's fact, by its own name
            fact = self.entries[unit]["facts"].get(name)
            return None if isinstance(fact, (dict, bool)) or fact is None else Decimal(fact)
        node = self.results[unit].nodes.get(name)
        return node.value if node is not None and node.applicable else None

    def statistic(self, sid: str, unit: str) -> Decimal | None:
        stat = self.stats[sid]
        mine = self.scope_of(stat.scope, unit)
        # an item that scores this very statistic when not applicable: those units are not
        # among the ones it is taken over (无新进人员的 are not in the mean of 新进人员)
        item = next((i for i, _ in self._items() if i.id == stat.of), None)
        own = item is not None and item.not_applicable_score == sid
        values = sorted(v for other in self.results if self.scope_of(stat.scope, other) == mine
                        if not (own and item is not None and self._not_applicable(item, other))
                        if (v := self.value_of(other, stat.of)) is not None)
        if not values:
            return None
        with decimal.localcontext(decimal.Context(prec=34)):
            if stat.function == "mean":
                return sum(values, ZERO) / len(values)
            if stat.function == "max":
                return values[-1]
            if stat.function == "min":
                return values[0]
            half = len(values) // 2
            return values[half] if len(values) % 2 else (values[half - 1] + values[half]) / 2

    def check_population_values(self) -> None:
        for u, result in self.results.items():
            for sid in self.stats:
                shown = [s.after for s in result.trace if s.step == "statistic" and s.rule == sid]
                want = self.stat_values[u][sid]
                if (shown[0] if shown else None) != want:
                    self.problems.append(f"{u}: statistic {sid} is {shown}, the referee "
                                         f"takes {want}")
        for item, _path in self._items():
            if isinstance(item.rule, (model.RankPoints, model.RelativeToBest)):
                self.check_population_item(item, item.rule)
            if item.not_applicable_score is not None:
                for u, result in self.results.items():
                    node = result.nodes.get(item.id)
                    # a unit *marking* the item not applicable scores the statistic
                    # (model.Item.not_applicable_score); one its rule makes not applicable (a
                    # target of 0) scores nothing, as every not-applicable item
                    if node is None or not self._not_applicable(item, u):
                        continue
                    if self._marked_not_applicable(item, u):
                        if node.raw != self.stat_values[u][item.not_applicable_score]:
                            self.problems.append(f"{u}: {item.id} is not applicable and scores "
                                                 f"{node.raw}, not its statistic")
                    elif node.raw != 0 or node.applicable:
                        self.problems.append(f"{u}: {item.id} is not applicable by its rule "
                                             f"and scores {node.raw}, not 0 as not applicable")

    def check_population_item(self, item: model.Item,
                              rule: model.RankPoints | model.RelativeToBest) -> None:
        values: dict[str, Decimal] = {}
        for u, result in self.results.items():
            if item.id not in result.nodes:
                continue  # the item does not apply to the unit's category
            if rule.of is not None:
                v = self.value_of(u, rule.of)
            else:
                fact = self.entries[u]["facts"].get(item.fact or item.id, item.default)
                v = None if isinstance(fact, (dict, bool)) or fact is None else Decimal(fact)
            if v is not None:
                values[u] = v
        for u, v in values.items():
            node = self.results[u].nodes[item.id]
            mine = self.scope_of(rule.scope, u)
            scope = [w for x, w in values.items() if self.scope_of(rule.scope, x) == mine]
            top = item.max
            if isinstance(rule, model.RankPoints):
                rank = 1 + sum(1 for w in scope if (w < v if rule.lower_is_better else w > v))
                if rule.step is not None:
                    want = top - (rank - 1) * rule.step
                else:
                    assert rule.last is not None
                    want = top if len(scope) == 1 else \
                        top - (rank - 1) * (top - rule.last) / (len(scope) - 1)
                want = max(want, ZERO)
            else:
                best = min(scope) if rule.lower_is_better else max(scope)
                if rule.lower_is_better:
                    want = (top if v == best else ZERO) if best <= 0 and \
                        rule.zero_best == "zero" else top if best <= 0 else top * best / v
                else:
                    want = (top if rule.zero_best == "full" else ZERO) if best <= 0 \
                        else max(top * v / best, ZERO)
            if node.applicable and node.raw != want:
                self.problems.append(f"{u}: {item.id} ({rule.kind} over {rule.of or 'its fact'}"
                                     f" = {v}) raw {node.raw}, the referee gives {want}")

    def check_rejected(self, rejected: Any, units: list[dict[str, Any]]) -> None:
        """A unit rejected for a statistic (GS510): no scored unit of its scope has a value."""
        for d in rejected.diagnostics:
            sid = re.search(r"statistic '([^']+)'", d.message)
            if sid is None or sid[1] not in self.stats:
                self.problems.append(f"{rejected.unit}: GS510 names no statistic: {d.message}")
                continue
            stat = self.stats[sid[1]]
            entry = next(e for e in units if e["id"] == rejected.unit)
            key = {"tier": entry.get("tier"), "category": entry.get("category")}.get(
                stat.scope, "all") or "?"
            if any(self.scope_of(stat.scope, u) == key and self.value_of(u, stat.of) is not None
                   for u in self.results):
                self.problems.append(f"{rejected.unit}: rejected for {stat.id}, but units of "
                                     f"{key} have a value of {stat.of}")

    # -- the checks ---------------------------------------------------------------------------

    def check(self) -> list[str]:
        with decimal.localcontext(decimal.Context(prec=34)):  # the engine's exact precision
            self.check_population_values()
        self.check_ranks()
        self.check_grades()
        self.check_awards()
        return self.problems

    def check_ranks(self) -> None:
        scope = self.scheme.ranking.scope
        for u, placement in self.assessment.placements.items():
            mine = self.scope_of(scope, u)
            better = sum(1 for v in self.results if self.scope_of(scope, v) == mine
                         and self.key[v] > self.key[u])
            if placement.rank != better + 1:
                self.problems.append(f"{u}: rank {placement.rank}, but {better} units in "
                                     f"{mine} rank strictly ahead of it")

    def band_grade(self, unit: str) -> str | None:
        grades = self.scheme.grades
        assert grades is not None
        total = self.total[unit]
        grade = None
        for band in grades.bands:
            if (band.gte is None or total >= band.gte) and (band.gt is None or total > band.gt) \
                    and (band.lte is None or total <= band.lte) \
                    and (band.lt is None or total < band.lt):
                grade = band.grade
        order = list(testing.GRADE_NAMES)  # the generator's grades, best first
        # several grade vetoes: the harshest forced grade, then the harshest cap over it; the
        # order the vetoes are written in does not matter
        forced = [v.grade or "" for v in self.fired[unit] if v.effect == "grade"]
        if forced:
            grade = max(forced, key=order.index)
        cap = [v.grade or "" for v in self.fired[unit] if v.effect == "grade_cap"]
        if cap and grade is not None:
            worst = max(cap, key=order.index)
            if order.index(grade) < order.index(worst):
                grade = worst
        return grade

    def check_grades(self) -> None:
        grades = self.scheme.grades
        if grades is None:
            return
        placements = self.assessment.placements
        before = {u: self.band_grade(u) for u in self.results}
        quota_grades = {q.grade for q in grades.quotas}
        for u, p in placements.items():
            if p.grade != before[u] and before[u] not in quota_grades:
                self.problems.append(f"{u}: grade {p.grade}, but its total {self.total[u]} and "
                                     f"vetoes give {before[u]}")
        for quota in grades.quotas:
            scopes: dict[str, list[str]] = defaultdict(list)
            for u in self.results:
                scopes[self.scope_of(quota.scope, u)].append(u)
            for s, members in scopes.items():
                size = self.size(quota.scope, s, members)
                places = self.places(quota.share, None, size, quota.rounding)
                contenders = [u for u in members if before[u] == quota.grade]
                kept = [u for u in contenders if placements[u].grade == quota.grade]
                if len(kept) > places:
                    self.problems.append(f"{len(kept)} units hold {quota.grade} in {s}, "
                                         f"quota {quota.share} × {size} = {places}")
                for u in contenders:
                    outcome = placements[u].grade
                    if outcome not in (quota.grade, quota.fallback, None):
                        self.problems.append(f"{u}: {quota.grade} contender ended {outcome}")
                    if outcome is None and set(placements[u].grade_undecided) != \
                            {quota.grade, quota.fallback}:
                        self.problems.append(f"{u}: grade missing but not undecided")
                    for v in contenders:
                        if self.key[v] == self.key[u] and placements[v].grade != outcome:
                            self.problems.append(f"{u} and {v} tie for {quota.grade} in {s} "
                                                 f"but end {outcome} and {placements[v].grade}")
                        if self.key[v] > self.key[u] and outcome == quota.grade and \
                                placements[v].grade != quota.grade:
                            self.problems.append(f"{u} keeps {quota.grade} but {v}, ranked "
                                                 f"ahead of it in {s}, does not")

    def eligible(self, award: model.Award, unit: str) -> bool | None:
        """True/False from the scheme; None when it waits on an undecided grade."""
        if award.from_end == "top" and self.barred[unit]:
            return False
        el = award.eligibility
        if el is None:
            return True
        if el.min_total is not None and self.total[unit] < el.min_total:
            return False
        if el.grades is not None:
            placement = self.assessment.placements[unit]
            if placement.grade is None and placement.grade_undecided:
                qualifying = [g for g in placement.grade_undecided if g in el.grades]
                if len(qualifying) == len(placement.grade_undecided):
                    return True  # whichever grade is decided, it qualifies
                return None if qualifying else False
            return placement.grade in el.grades
        return True

    def check_awards(self) -> None:
        decided = {(a.award, a.scope): a for a in self.assessment.awards}
        for award in self.scheme.awards:
            scopes: dict[str, list[str]] = defaultdict(list)
            for u in self.results:
                if award.categories is None or self.category(u) in award.categories:
                    scopes[self.scope_of(award.scope, u)].append(u)
            for s, members in scopes.items():
                self.check_award_scope(award, s, members, decided.get((award.id, s)))

    def check_award_scope(self, award: model.Award, s: str, members: list[str],
                          decision: Any) -> None:
        where = f"{award.id} in {s}"
        if decision is None:
            self.problems.append(f"{where}: not decided at all")
            return
        size = self.size(award.scope, s, members, award.categories)
        places = self.places(award.share, award.count, size, award.rounding)
        if (decision.size, decision.places) != (size, places):
            self.problems.append(f"{where}: {decision.places} places of {decision.size}; the "
                                 f"scheme gives {places} of {size}")
        winners, undecided = set(decision.winners), set(decision.undecided)
        eligibility = {u: self.eligible(award, u) for u in members}
        for u in winners:
            if eligibility[u] is not True:
                self.problems.append(f"{where}: {u} won but is not eligible (vetoes "
                                     f"{[v.id for v in self.fired[u]]}, total {self.total[u]})")
        for u in winners | undecided:
            if u not in members:
                self.problems.append(f"{where}: {u} placed but is not in the scope")
        sign = 1 if award.from_end == "top" else -1

        def better(a: str, b: str) -> bool:
            return self.key[a] > self.key[b] if sign > 0 else self.key[a] < self.key[b]

        if award.on_tie == "report" and len(winners) > places:
            self.problems.append(f"{where}: {len(winners)} winners for {places} places")
        if award.on_tie == "include_all" and len(winners) > places:
            lowest = min(winners, key=lambda u: tuple(sign * k for k in self.key[u]))
            ahead = [u for u in winners if better(u, lowest)]
            if len(ahead) >= places:
                self.problems.append(f"{where}: {len(winners)} winners for {places} places, "
                                     "more than one tie at the boundary explains")
        if any(e is None for e in eligibility.values()):
            return  # who competes waits on a grade decision; the rest needs a human
        sure = [u for u in members if eligibility[u]]
        for u in sure:
            for v in sure:
                if self.key[u] == self.key[v] and ((u in winners) != (v in winners) or
                                                   (u in undecided) != (v in undecided)):
                    self.problems.append(f"{where}: {u} and {v} tie but one is "
                                         f"{'a winner' if u in winners else 'undecided'}")
                if u in winners and v not in winners and better(v, u):
                    self.problems.append(f"{where}: {u} won but {v} ranks ahead of it")
        if undecided:
            if len(winners) >= places or len(winners) + len(undecided) <= places:
                self.problems.append(f"{where}: undecided units without a straddling tie")
            if decision.open_places != places - len(winners):
                self.problems.append(f"{where}: {decision.open_places} open places")
        elif len(winners) < min(places, len(sure)):
            self.problems.append(f"{where}: {len(winners)} winners, but {places} places and "
                                 f"{len(sure)} eligible units")


@st.composite
def _assessments(draw: st.DrawFn) -> tuple[Any, list[dict[str, Any]]]:
    text = draw(testing.random_scheme_texts(testing.SAFE_FEATURES))
    note(text)
    plan = govscore.compile(govscore.load(text=text, name="random.yaml"))
    units = draw(testing.populations(plan, min_size=1, max_size=8, defaults=True))
    # ties are the interesting case: sometimes copy one unit's facts onto another
    if len(units) > 1 and draw(st.booleans()):
        src, dst = draw(st.permutations(range(len(units))))[:2]
        category = units[src].get("category")
        if plan.profile(category, units[src]["id"]) == plan.profile(category, units[dst]["id"]):
            units[dst] = {**units[src], "id": units[dst]["id"]}  # not a named unit's own facts
    return _Shown(plan), units


class _Shown:
    def __init__(self, plan: Plan) -> None:
        self.plan = plan

    def __repr__(self) -> str:
        return "<the plan of the scheme noted above>"


@REFEREE
@given(_assessments())
def test_population_steps_agree_with_the_referee(case: Any) -> None:
    shown, units = case
    plan = shown.plan
    assessment = govscore.evaluate_all(plan, units)
    # the only rejection valid facts may get: a group with none_applicable: error that has no
    # child applying to the unit (recomputed by the referee); the rest are refereed without it
    # (or GS510: a statistic the unit needs has no unit of its scope to be taken over, checked
    # by the referee on the units that remain)
    by_id = {u["id"]: u for u in units}
    for rejected in assessment.rejected:
        assert all((d.code == "GS411" and testing.none_applies(plan, d.message,
                                                                by_id[rejected.unit]))
                   or d.code == "GS510" for d in rejected.diagnostics), rejected
    everyone = units
    if assessment.rejected:
        gone = {r.unit for r in assessment.rejected}
        units = [u for u in units if u["id"] not in gone]
        assessment2 = govscore.evaluate_all(plan, units)
    else:
        assessment2 = assessment
    referee = Referee(plan, units, assessment2)
    for rejected in assessment.rejected:
        if any(d.code == "GS510" for d in rejected.diagnostics):
            referee.check_rejected(rejected, everyone)
    assert referee.check() == []


def test_the_referee_finds_a_broken_quota(monkeypatch: Any) -> None:
    """The referee can fail: with award places doubled in the engine, it reports the places."""
    from govscore.engine import population

    original = population.places_of
    monkeypatch.setattr(population, "places_of", lambda *a: 2 * original(*a) + 1)
    found: list[list[str]] = []

    @settings(REFEREE, max_examples=60, derandomize=True)
    @given(_assessments())
    def check(case: Any) -> None:
        shown, units = case
        assessment = govscore.evaluate_all(shown.plan, units)
        problems = Referee(shown.plan, units, assessment).check()
        found.append(problems)

    check()
    assert any("places" in p for problems in found for p in problems)


def _found_by_the_referee(monkeypatch: Any, target: Any, name: str, broken: Any) -> list[str]:
    """The problems the referee reports over random assessments with one engine function
    replaced by a broken one."""
    monkeypatch.setattr(target, name, broken)
    found: list[str] = []

    @settings(REFEREE, max_examples=150, derandomize=True)
    @given(_assessments())
    def check(case: Any) -> None:
        shown, units = case
        assessment = govscore.evaluate_all(shown.plan, units)
        if not assessment.rejected:
            found.extend(Referee(shown.plan, units, assessment).check())

    check()
    return found


def test_the_referee_finds_a_broken_statistic(monkeypatch: Any) -> None:
    """With every statistic taken as the highest value, the referee reports the statistics."""
    from govscore.engine import population

    found = _found_by_the_referee(monkeypatch, population, "summarise",
                                  lambda _function, values: max(values))
    assert any("statistic" in p for p in found)


def test_the_referee_finds_a_broken_rank_over_a_node(monkeypatch: Any) -> None:
    """With the points of a rank one step short, the referee reports the population items."""
    from govscore.rules.population import RankPoints

    original = RankPoints.scores

    def short(self: Any, rule: Any, item: Any, members: Any) -> Any:
        return {u: (max(p - Decimal(1), ZERO), a)
                for u, (p, a) in original(self, rule, item, members).items()}

    found = _found_by_the_referee(monkeypatch, RankPoints, "scores", short)
    assert any("rank_points over" in p for p in found)
