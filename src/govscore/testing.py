"""Property testing for anyone's scheme (optional extra: ``pip install govscore[testing]``).

Hypothesis strategies that generate valid facts and whole populations for any compiled scheme,
and the arithmetic contract's invariants (domain.md §5) as a checker::

    from hypothesis import given
    from govscore import testing

    plan = govscore.compile("my-scheme.yaml")

    @given(testing.populations(plan))
    def test_contract(units):
        assert testing.violations(plan, units) == []

``govscore test --properties SCHEME`` runs the same checks from the command line and prints a
minimal counter-example when one fails. govscore's own property tests use this module.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govscore import api
from govscore.engine.facts import FactSpec
from govscore.engine.plan import Plan
from govscore.engine.results import Assessment
from govscore.errors import GovscoreError
from govscore.language import model
from govscore.rules.structured import band_for

__all__ = ["facts_for", "monotone_bumps", "populations", "units", "violations"]


def _decimals(low: Decimal, high: Decimal, places: int = 2) -> st.SearchStrategy[Decimal]:
    scale = 10**places
    lo, hi = int(low * scale), int(high * scale)
    if lo > hi:
        return st.just(low)
    return st.integers(lo, hi).map(lambda n: Decimal(n) / scale)


def _rule_value(item: model.Item) -> st.SearchStrategy[Any]:
    rule = item.rule
    top = item.max
    if isinstance(rule, model.PassFail):
        return st.booleans()
    if isinstance(rule, model.Manual):
        if rule.step is not None:
            steps = int((rule.max - rule.min) / rule.step)
            inside = st.integers(0, max(steps, 0)).map(lambda k: rule.min + k * rule.step)  # type: ignore[operator]
        else:
            inside = _decimals(rule.min, rule.max)
        return st.one_of(st.just(Decimal(0)), inside) if rule.zero_allowed else inside
    if isinstance(rule, model.PerOccurrence):
        return st.integers(0, 30)
    if isinstance(rule, model.ByLevel):
        return st.dictionaries(st.sampled_from(sorted(rule.levels)), st.integers(0, 8))
    if isinstance(rule, model.PerStep):
        return _decimals(Decimal(0), rule.step * (top / rule.points + 3), 0)
    if isinstance(rule, model.Ratio):
        return st.fixed_dictionaries({"done": _decimals(Decimal(0), Decimal(120), 0),
                                      "target": _decimals(Decimal(0), Decimal(100), 0)})
    if isinstance(rule, (model.Rate, model.Shortfall)):
        return _decimals(Decimal(0), Decimal(1), 3)
    if isinstance(rule, model.Bands):
        return _band_values(rule)
    if isinstance(rule, model.Rating):
        levels = sorted([*rule.values, *rule.excluded])
        return st.fixed_dictionaries({k: st.integers(0, 40) for k in levels})
    if isinstance(rule, model.Choice):
        return st.sampled_from(sorted(rule.options))
    if isinstance(rule, model.Checklist):
        ids = [c.id for c in rule.criteria]
        return st.lists(st.sampled_from(ids), unique=True)
    if isinstance(rule, model.Series):
        n = rule.periods
        size = st.just(n) if n is not None else st.integers(1, 12)
        return size.flatmap(lambda k: st.lists(_decimals(Decimal(0), top), min_size=k, max_size=k))
    if isinstance(rule, model.RaterGroups):
        return st.fixed_dictionaries({
            g.id: st.lists(_decimals(Decimal(0), rule.scale, 0), min_size=1, max_size=5)
            for g in rule.groups})
    if isinstance(rule, model.RelativeToBest):
        return _decimals(Decimal(0), Decimal(1000), 1)
    if isinstance(rule, model.RankPoints):
        return _decimals(Decimal(0), Decimal(100), 0)
    msg = f"no strategy for rule kind {rule.kind!r}"
    raise AssertionError(msg)


def _band_values(rule: model.Bands) -> st.SearchStrategy[Decimal]:
    candidates: set[Decimal] = set()
    for band in rule.bands:
        for bound in (band.gte, band.gt, band.lte, band.lt):
            if bound is not None:
                candidates.update({bound, bound - Decimal("0.01"), bound + Decimal("0.01")})
    candidates.update({Decimal(0), Decimal(1)} if rule.rate else {Decimal(0), Decimal(100)})
    ok = sorted(v for v in candidates
                if (not rule.rate or 0 <= v <= 1) and
                (rule.outside is not None or band_for(rule.bands, v) is not None))
    return st.sampled_from(ok) if ok else st.just(Decimal(0))


def _input_value(spec: model.Input) -> st.SearchStrategy[Any]:
    if spec.type == "flag":
        return st.booleans()
    if spec.type == "text":
        return st.text(min_size=1, max_size=8)
    if spec.type == "rate":
        return _decimals(Decimal(0), Decimal(1), 3)
    low = spec.min if spec.min is not None else Decimal(0)
    if spec.type == "count":
        high = spec.max if spec.max is not None else low + 4
        return st.integers(int(low), int(high))
    high = spec.max if spec.max is not None else low + 100
    return _decimals(low, high)


def _fact_value(spec: FactSpec) -> st.SearchStrategy[Any]:
    if spec.input is not None:
        return _input_value(spec.input)
    assert spec.item is not None
    item = spec.item
    options = [_rule_value(item)]
    if item.optional:
        options.append(st.just({"not_applicable": "不适用"}))
    if item.exemptions:
        options.append(st.sampled_from(item.exemptions).map(lambda r: {"exempt": r}))
    return options[0] if len(options) == 1 else st.one_of(*options)


def facts_for(plan: Plan, category: str | None = None) -> st.SearchStrategy[dict[str, Any]]:
    """Valid facts for one unit of a category (every fact given, none relying on defaults)."""
    specs = {name: spec for name, spec in sorted(plan.specs.items())
             if spec.categories is None or category in spec.categories}
    return st.fixed_dictionaries({name: _fact_value(spec) for name, spec in specs.items()})


def units(plan: Plan, unit_id: str = "U1") -> st.SearchStrategy[dict[str, Any]]:
    """One valid unit entry: id, category and tier where the scheme has them, and facts."""
    scheme = plan.scheme
    cats: list[str | None] = [c.id for c in scheme.categories] or [None]
    tiers: list[str | None] = [t.id for t in scheme.tiers] or [None]

    def build(cat: str | None, tier: str | None) -> st.SearchStrategy[dict[str, Any]]:
        head: dict[str, Any] = {"id": unit_id}
        if cat is not None:
            head["category"] = cat
        if tier is not None:
            head["tier"] = tier
        return facts_for(plan, cat).map(lambda f: {**head, "facts": f})

    return st.tuples(st.sampled_from(cats), st.sampled_from(tiers)).flatmap(lambda ct: build(*ct))


def populations(plan: Plan, *, min_size: int = 1,
                max_size: int = 10) -> st.SearchStrategy[list[dict[str, Any]]]:
    """A whole assessment: units with unique ids (U1, U2 …)."""
    return st.integers(min_size, max_size).flatmap(
        lambda n: st.tuples(*(units(plan, f"U{i + 1}") for i in range(n))).map(list))


# ---------------------------------------------------------------------------------------------
# the invariants


def _numeric_bump(spec: FactSpec, value: Any) -> Any:
    """A value with more of the same evidence, or None when there is no natural 'more'."""
    if spec.input is not None:
        inp = spec.input
        if inp.type == "count":
            return value + 1 if inp.max is None or value + 1 <= inp.max else None
        if inp.type == "flag":
            return True if value is False else None
        return None
    assert spec.item is not None
    rule = spec.item.rule
    if isinstance(value, Mapping) and ({"not_applicable", "exempt"} & set(value)):
        return None
    if isinstance(rule, model.PassFail):
        return True if value is False else None
    if isinstance(rule, model.PerOccurrence):
        return value + 1
    if isinstance(rule, model.ByLevel) and isinstance(value, Mapping):
        level = sorted(rule.levels)[0]
        return {**value, level: value.get(level, 0) + 1}
    if isinstance(rule, model.PerStep):
        return value + rule.step
    if isinstance(rule, (model.Rate, model.Shortfall)):
        return min(Decimal(1), value + Decimal("0.05")) if value < 1 else None
    if isinstance(rule, model.Ratio):
        return {**value, "done": value["done"] + 1}
    if isinstance(rule, model.Manual):
        if value == 0:
            return rule.min if rule.min > 0 or not rule.zero_allowed else None
        step = rule.step or Decimal("0.01")
        return value + step if value + step <= rule.max else None
    return None


def _direction(plan: Plan, spec: FactSpec) -> int:
    """+1 if more of this fact is positive evidence (never lowers the score), −1 if negative
    (never raises it), 0 if the scheme does not say (formulas, bands, choices, ranks)."""
    scheme = plan.scheme
    if spec.input is not None:
        name = spec.input.id
        negative = any(isinstance(m, model.OnCount) and m.input == name
                       for ref in _items(scheme) for m in ref.modifiers)
        vetoing = any(v.when.input == name and v.effect == "score" for v in scheme.vetoes)
        return -1 if negative and not vetoing else 0
    assert spec.item is not None
    item = spec.item
    if item.rule.kind in ("formula", "bands", "choice", "checklist", "rating", "series",
                          "rater_groups", "relative_to_best", "rank_points"):
        return 0
    sign = 1
    if item.from_full:
        sign = -sign
    sign = sign * _role_sign(scheme, item.id)
    return sign


def _items(scheme: model.Scheme) -> list[model.Item]:
    return [n for n in model.iter_nodes(scheme.score) if isinstance(n, model.Item)]


def _role_sign(scheme: model.Scheme, node_id: str) -> int:
    """+1 if the node adds to the total through every group above it, −1 if it subtracts;
    0 if a weight of 0 or an outside-total group breaks the path."""

    def walk(node: model.Item | model.Group, sign: int) -> int | None:
        here = sign * (-1 if node.role == "subtract" else 1)
        if node.outside_total:
            here = 0
        if node.id == node_id:
            return here
        if isinstance(node, model.Group):
            for child in node.children:
                found = walk(child, here)
                if found is not None:
                    return found
        return None

    found = walk(scheme.score, 1)
    return found if found is not None else 0


def monotone_bumps(plan: Plan, units: Sequence[Mapping[str, Any]]
                   ) -> list[tuple[str, str, int, dict[str, Any]]]:
    """For each unit and each fact with a declared direction: (unit, fact, direction, unit entry
    with more of that fact)."""
    out = []
    for entry in units:
        facts = entry["facts"]
        for name, value in sorted(facts.items()):
            spec = plan.specs[name]
            direction = _direction(plan, spec)
            if direction == 0:
                continue
            bumped = _numeric_bump(spec, value)
            if bumped is None:
                continue
            out.append((entry["id"], name, direction,
                        {**entry, "facts": {**facts, name: bumped}}))
    return out


def violations(plan: Plan, units: Sequence[Mapping[str, Any]], *, seed: int = 0,
               monotonicity: bool = True) -> list[str]:
    """Every way the contract's invariants fail for these units (empty when they all hold)."""
    problems: list[str] = []
    assessment = api.evaluate_all(plan, units)
    if assessment.submitted != len(assessment.results) + len(assessment.rejected):
        problems.append("scored + rejected does not add up to the units submitted")
    entries = {str(u.get("id")): u for u in units}
    for rejected in assessment.rejected:
        if all(d.code == "GS411" and _none_applies(plan, d.message, entries[rejected.unit])
               for d in rejected.diagnostics):
            continue  # rightly rejected: a group with none_applicable: error has nothing left
        problems.append(f"valid unit {rejected.unit} was rejected: "
                        + "; ".join(str(d) for d in rejected.diagnostics))
    problems.extend(_bounds(plan, assessment))
    problems.extend(_awards(plan, assessment))
    shuffled = list(units)
    random.Random(seed).shuffle(shuffled)  # noqa: S311 - a reproducible order, not a secret
    again = api.evaluate_all(plan, shuffled)
    if again.results != assessment.results or again.placements != assessment.placements:
        problems.append("the result depends on the order of the units")
    if not plan.needs_population:
        for entry in units:
            if entry["id"] not in assessment.results:
                continue  # rightly rejected (above)
            one = api.evaluate(plan, entry)
            if one != assessment.results[entry["id"]]:
                problems.append(f"{entry['id']}: one-by-one and batch results differ")
    data = json.loads(json.dumps(assessment.to_dict(), ensure_ascii=False))
    if Assessment.from_dict(data) != assessment:
        problems.append("the JSON round trip changes the assessment")
    if monotonicity and not plan.needs_population:
        scored = [u for u in units if u["id"] in assessment.results]
        for unit, fact, direction, entry in monotone_bumps(plan, scored):
            before = assessment.results[unit].computed_total
            try:
                after = api.evaluate(plan, entry).computed_total
            except GovscoreError:
                continue  # the bump left the fact's valid range; nothing to compare
            if (after - before) * direction < 0:
                word = "lowered" if direction > 0 else "raised"
                problems.append(f"{unit}: more {fact} {word} the total from {before} to {after}")
    return problems


def _none_applies(plan: Plan, message: str, entry: Mapping[str, Any]) -> bool:
    """Whether the group a GS411 message names has no applicable child for these facts,
    recomputed from the scheme (markers, and the not-applicable policies of ratio and rating)."""
    groups = {n.id: n for n in model.iter_nodes(plan.scheme.score) if isinstance(n, model.Group)}
    named = [g for gid, g in groups.items() if f"group {gid!r}" in message]
    facts = entry.get("facts", {})
    category = entry.get("category")

    def applies(node: model.Item | model.Group) -> bool:
        if node.applies_to is not None and category not in node.applies_to:
            return False
        if isinstance(node, model.Group):
            kids = [c for c in node.children if c.applies_to is None or category in c.applies_to]
            return not kids or any(applies(c) for c in kids) or \
                node.none_applicable != "not_applicable"
        value = facts.get(node.fact or node.id)
        if isinstance(value, Mapping) and "not_applicable" in value:
            return False
        rule = node.rule
        if isinstance(rule, model.Rating) and rule.no_votes == "not_applicable":
            return sum(int(value.get(k, 0)) for k in rule.values) > 0
        if isinstance(rule, model.Ratio) and rule.zero_target == "not_applicable":
            return Decimal(value["target"]) != 0
        return True

    return len(named) == 1 and not any(
        applies(c) for c in named[0].children
        if c.applies_to is None or category in c.applies_to)


def _bounds(plan: Plan, assessment: Assessment) -> list[str]:
    problems = []
    nodes = {n.id: n for n in model.iter_nodes(plan.scheme.score)}
    for unit, result in assessment.results.items():
        for nid, node in result.nodes.items():
            spec = nodes[nid]
            if isinstance(spec, model.Item) and not 0 <= node.value <= spec.max:
                problems.append(f"{unit}: item {nid} = {node.value} outside 0..{spec.max}")
            if isinstance(spec, model.Group):
                if spec.cap is not None and node.value > spec.cap:
                    problems.append(f"{unit}: group {nid} = {node.value} above its cap {spec.cap}")
                if node.applicable and node.value < spec.floor:
                    problems.append(f"{unit}: group {nid} = {node.value} below its floor")
                if spec.limit is not None:
                    ceiling = spec.limit.factor * result.nodes[spec.limit.at_most].value
                    if node.value > ceiling:
                        problems.append(f"{unit}: {nid} = {node.value} exceeds its limit "
                                        f"{ceiling} ({spec.limit.at_most})")
    return problems


def _awards(plan: Plan, assessment: Assessment) -> list[str]:
    problems = []
    awards = {a.id: a for a in plan.scheme.awards}
    for decision in assessment.awards:
        award = awards[decision.award]
        if award.on_tie == "report" and len(decision.winners) > decision.places:
            problems.append(f"{decision.award} in {decision.scope}: {len(decision.winners)} "
                            f"winners for {decision.places} places")
        if decision.undecided and len(decision.winners) + decision.open_places != decision.places:
            problems.append(f"{decision.award} in {decision.scope}: places do not add up")
        for unit in decision.winners:
            if award.from_end == "top" and not assessment.results[unit].eligible:
                problems.append(f"{unit} is ineligible but received {decision.award}")
    return problems


def _property_check(plan: Plan, examples: int,
                    found: list[tuple[list[dict[str, Any]], list[str]]]) -> Any:
    @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(populations(plan, max_size=6))
    def check(units: list[dict[str, Any]]) -> None:
        problems = violations(plan, units)
        if problems:
            found.append((units, problems))
            raise AssertionError(problems[0])

    return check


def cli_properties(paths: Sequence[str], examples: int, stdout: TextIO, stderr: TextIO) -> int:
    """``govscore test --properties``: check the invariants on each scheme with generated
    populations; print a minimal counter-example on failure. Exit 0 / 1 / 2."""
    files: list[Path] = []
    for name in paths:
        p = Path(name)
        if not p.exists():
            stderr.write(f"govscore: {name}: no such file or folder\n")
            return 2
        files.extend(sorted(f for f in p.rglob("*.yaml") if not f.name.endswith(".test.yaml")
                            and f.name != "govscore.schema.json") if p.is_dir() else [p])
    failed = 0
    for path in files:
        try:
            plan = api.compile(path)
        except GovscoreError as exc:
            stdout.write(f"SKIP {path}: not a valid scheme ({str(exc).splitlines()[0]})\n")
            continue
        found: list[tuple[list[dict[str, Any]], list[str]]] = []
        try:
            _property_check(plan, examples, found)()
        except AssertionError:
            failed += 1
            units, problems = found[-1]  # hypothesis replays the minimal example last
            stdout.write(f"FAIL {path}: {problems[0]}\n  minimal counter-example:\n")
            stdout.write("  " + json.dumps({"units": units}, ensure_ascii=False,
                                           default=str) + "\n")
            continue
        stdout.write(f"ok   {path}: {examples} generated assessments hold the contract\n")
    if not files:
        stderr.write("govscore: no scheme files given\n")
        return 2
    return 1 if failed else 0
