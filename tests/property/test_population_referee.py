"""An independent referee for the population steps (domain.md §4): ranks, grade quotas and awards
recomputed from the scheme itself, the units' facts and their computed totals — never from the
flags, reasons or eligibility the engine set. On random schemes over the whole language.

What the referee recomputes:
- each unit's final total: the computed total with the score vetoes applied (veto conditions
  evaluated here from the facts, the scheme's defaults and the node values);
- who is ineligible: a veto fired, or an on_count step marked ineligible was reached;
- places: count, or share × scope size rounded as declared, where the scope size is the units
  scored in the scope with the members the scheme names for it;
- the sort key: the total (or ranking.by) then the tie-breakers, from node values and facts.
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
        return all(n.applies_to is None or cat in n.applies_to for n in item_path)

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

    def _not_applicable(self, item: model.Item, unit: str) -> bool:
        facts = self.entries[unit]["facts"]
        fact = facts.get(item.fact or item.id)
        if isinstance(fact, dict) and "not_applicable" in fact:
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

    # -- the checks ---------------------------------------------------------------------------

    def check(self) -> list[str]:
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
        units[dst] = {**units[src], "id": units[dst]["id"]}
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
    by_id = {u["id"]: u for u in units}
    for rejected in assessment.rejected:
        assert all(d.code == "GS411" and testing.none_applies(plan, d.message,
                                                                 by_id[rejected.unit])
                   for d in rejected.diagnostics), rejected
    if assessment.rejected:
        gone = {r.unit for r in assessment.rejected}
        units = [u for u in units if u["id"] not in gone]
        assessment = govscore.evaluate_all(plan, units)
    assert Referee(plan, units, assessment).check() == []


def test_the_referee_finds_a_broken_quota(monkeypatch: Any) -> None:
    """The referee can fail: with award places doubled in the engine, it reports the places."""
    from govscore.engine import population

    original = population._places
    monkeypatch.setattr(population, "_places", lambda *a: 2 * original(*a) + 1)
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
