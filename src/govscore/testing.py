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

import decimal
import json
import random
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govscore import api, rules
from govscore.engine.facts import FactSpec
from govscore.engine.plan import CONTEXT, Plan
from govscore.engine.results import Assessment
from govscore.errors import GovscoreError
from govscore.language import model
from govscore.rules.base import decimals
from govscore.scheme import tree, version

__all__ = ["facts_for", "monotone_bumps", "populations", "random_scheme_mappings",
           "random_scheme_texts", "random_schemes", "units", "violations", "wrong_units"]


def _rule_value(item: model.Item) -> st.SearchStrategy[Any]:
    """Valid facts for an item: its rule kind's own strategy (govscore.rules)."""
    return rules.of(item).strategy(item.rule, item)


def _input_value(spec: model.Input) -> st.SearchStrategy[Any]:
    if spec.type == "flag":
        return st.booleans()
    if spec.type == "text":
        return st.text(min_size=1, max_size=8)
    if spec.type == "rate":
        return decimals(Decimal(0), Decimal(1), 3)
    low = spec.min if spec.min is not None else Decimal(0)
    if spec.type == "count":
        high = spec.max if spec.max is not None else low + 4
        return st.integers(int(low), int(high))
    high = spec.max if spec.max is not None else low + 100
    return decimals(low, high)


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


def facts_for(plan: Plan, category: str | None = None, *, defaults: bool = False,
              unit: str | None = None) -> st.SearchStrategy[dict[str, Any]]:
    """Valid facts for one unit of a category (and, given its name, only the facts of items
    whose ``units`` name it): every fact given, none relying on defaults, or with ``defaults``
    some facts that have a default left out."""
    specs = {name: spec for name, spec in sorted(plan.specs.items())
             if spec.applies(category, unit)}
    required = {n: _fact_value(s) for n, s in specs.items() if not defaults or s.default is None}
    optional = {n: _fact_value(s) for n, s in specs.items() if defaults and s.default is not None}
    return st.fixed_dictionaries(required, optional=optional)


def units(plan: Plan, unit_id: str = "U1", *,
          defaults: bool = False) -> st.SearchStrategy[dict[str, Any]]:
    """One valid unit entry: id, category and tier where the scheme has them, and facts (with
    ``defaults``, some facts that have a default left out)."""
    scheme = plan.scheme
    cats: list[str | None] = [c.id for c in scheme.categories] or [None]
    tiers: list[str | None] = [t.id for t in scheme.tiers] or [None]

    def build(cat: str | None, tier: str | None) -> st.SearchStrategy[dict[str, Any]]:
        head: dict[str, Any] = {"id": unit_id}
        if cat is not None:
            head["category"] = cat
        if tier is not None:
            head["tier"] = tier
        return facts_for(plan, cat, defaults=defaults, unit=unit_id).map(
            lambda f: {**head, "facts": f})

    return st.tuples(st.sampled_from(cats), st.sampled_from(tiers)).flatmap(lambda ct: build(*ct))


def populations(plan: Plan, *, min_size: int = 1, max_size: int = 10,
                defaults: bool = False) -> st.SearchStrategy[list[dict[str, Any]]]:
    """A whole assessment: units with unique ids (U1, U2 …)."""
    return st.integers(min_size, max_size).flatmap(
        lambda n: st.tuples(*(units(plan, f"U{i + 1}", defaults=defaults)
                              for i in range(n))).map(list))


_WRONG_VALUES: tuple[Any, ...] = (
    "3", 1.5, None, True, -1, [1], {"x": 1}, Decimal("-2"), Decimal("1.5"), Decimal("NaN"),
    Decimal("Infinity"), 10**20, Decimal("1E+30"), {"not_applicable": "无"}, {"exempt": "其他"},
    {"done": 1}, [{"level": "nope"}], ["k9"], "nope", Decimal("0.001"),
)


@st.composite
def _wrong_unit(draw: st.DrawFn, plan: Plan, unit_id: str) -> dict[str, Any]:
    entry: dict[str, Any] = draw(units(plan, unit_id, defaults=True))
    facts = dict(entry["facts"])
    how = draw(st.sampled_from(["drop", "extra", "value", "value", "value", "category", "tier",
                                "key", "facts"]))
    if how == "drop" and facts:
        facts.pop(draw(st.sampled_from(sorted(facts))))
    elif how == "extra":
        facts[draw(st.sampled_from(["typo", *sorted(plan.specs)]))] = draw(
            st.sampled_from(_WRONG_VALUES))
    elif how == "value" and facts:
        facts[draw(st.sampled_from(sorted(facts)))] = draw(st.sampled_from(_WRONG_VALUES))
    elif how == "category":
        entry["category"] = draw(st.sampled_from(["nope", 3, *(c.id for c in
                                                              plan.scheme.categories)]))
    elif how == "tier":
        entry["tier"] = draw(st.sampled_from(["nope", None, *(t.id for t in plan.scheme.tiers)]))
    elif how == "key":
        entry["extra"] = 1
    elif how == "facts":
        return {**entry, "facts": draw(st.sampled_from([None, [], "x", {"": 1}]))}
    return {**entry, "facts": facts}


def wrong_units(plan: Plan, unit_id: str = "W1") -> st.SearchStrategy[dict[str, Any]]:
    """A unit entry that is slightly wrong (or, by chance, still valid): a fact missing or extra,
    a value of the wrong type or out of range, an unknown category or tier, an unknown key."""
    return _wrong_unit(plan, unit_id)


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
    item = spec.item
    if isinstance(value, Mapping) and ({"not_applicable", "exempt"} & set(value)):
        return None
    return rules.of(item).bump(item.rule, item, value)


def _direction(plan: Plan, spec: FactSpec) -> int:
    """+1 if more of this fact is positive evidence (never lowers the score), −1 if negative
    (never raises it), 0 if the scheme does not say (formulas, bands, choices, ranks, a count
    that scales items of both signs, evidence that opens a gate)."""
    scheme = plan.scheme
    if spec.input is not None:
        name = spec.input.id
        # a count in on_count scales an item's final value down: negative evidence for an item
        # that adds to the total, positive for one that is subtracted from it
        signs = {_item_sign(scheme, item) for item in _items(scheme) for m in item.modifiers
                 if isinstance(m, model.OnCount) and m.input == name}
        in_formula = any(isinstance(item.rule, model.Formula)
                         and re.search(rf"\b{re.escape(name)}\b", item.rule.formula)
                         for item in _items(scheme))
        if len(signs) != 1 or in_formula:
            return 0
        return -signs.pop()
    assert spec.item is not None
    directions = set()
    for item in (spec.item, *spec.readers):  # one fact may be read by several items
        if not rules.of(item).more_is_more:  # the kind's own statement of direction
            return 0
        directions.add((-1 if item.from_full else 1) * _item_sign(scheme, item))
    directions.discard(0)
    return directions.pop() if len(directions) == 1 else 0


def _item_sign(scheme: model.Scheme, item: model.Item) -> int:
    """The item's sign in the total (_role_sign), or 0 when it or a group above it opens a gate:
    more of it may then let a subtracted group count."""
    targets = {n.gate.node for n in model.iter_nodes(scheme.score)
               if isinstance(n, model.Group) and n.gate is not None}

    def path(node: model.Item | model.Group) -> list[str] | None:
        if node.id == item.id:
            return [node.id]
        for child in node.children if isinstance(node, model.Group) else ():
            found = path(child)
            if found is not None:
                return [node.id, *found]
        return None

    if targets & set(path(scheme.score) or ()):
        return 0
    return _role_sign(scheme, item.id)


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
        if all((d.code == "GS411" and none_applies(plan, d.message, entries[rejected.unit]))
               or (d.code == "GS510" and no_statistic(plan, d.message, entries[rejected.unit],
                                                      assessment))
               for d in rejected.diagnostics):
            continue  # rightly rejected: a group with none_applicable: error has nothing left,
            # or a statistic the unit needs has no unit of its scope to be taken over
        problems.append(f"valid unit {rejected.unit} was rejected: "
                        + "; ".join(str(d) for d in rejected.diagnostics))
    problems.extend(_bounds(plan, assessment))
    problems.extend(_named_units(plan, assessment))
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


def no_statistic(plan: Plan, message: str, entry: Mapping[str, Any],
                 assessment: Assessment) -> bool:
    """Whether the statistic a GS510 message names has no value among the scored units of the
    rejected unit's scope (an input's number, or the node where it applies; units that score an
    item's own statistic in its place are not among those it is taken over)."""
    stats = {s.id: s for s in plan.scheme.statistics}
    named = [sid for sid in stats if f"statistic {sid!r}" in message]
    if len(named) != 1:
        return False
    stat = stats[named[0]]
    item = next((n for n in model.iter_nodes(plan.scheme.score) if n.id == stat.of), None)
    substitutes = isinstance(item, model.Item) and item.not_applicable_score == stat.id
    key = {"tier": entry.get("tier"), "category": entry.get("category")}.get(stat.scope, "all")
    for result in assessment.results.values():
        if {"tier": result.tier, "category": result.category}.get(stat.scope, "all") != key:
            continue
        if stat.of in result.nodes:
            node = result.nodes[stat.of]
            own = substitutes and isinstance(node.fact, Mapping) and "not_applicable" in node.fact
            if node.applicable and not own:
                return False
        elif any(s.step == "statistic" and s.rule == stat.id for s in result.trace):
            return False  # an input's value: the statistic was taken in this scope
    return True


def none_applies(plan: Plan, message: str, entry: Mapping[str, Any]) -> bool:
    """Whether the group a GS411 message names has no applicable child for these facts,
    recomputed from the scheme (markers, and the not-applicable policies of ratio and rating)."""
    nodes = {n.id: n for n in model.iter_nodes(plan.scheme.score)}
    groups = {nid: n for nid, n in nodes.items() if isinstance(n, model.Group)}
    named = [g for gid, g in groups.items() if f"group {gid!r}" in message]
    facts = entry.get("facts", {})
    category = entry.get("category")
    unit = entry.get("id")
    fact_of = tree.fact_names(tree.index(plan.scheme))

    def present(node: model.Item | model.Group) -> bool:
        """The unit has the node: its category and its units (``units``) do, and a group
        whose children of the category are all for other units is not the unit's either."""
        if node.applies_to is not None and category not in node.applies_to:
            return False
        if node.units is not None and unit not in node.units:
            return False
        if isinstance(node, model.Group):
            kids = [c for c in node.children if c.applies_to is None or category in c.applies_to]
            return not kids or any(present(c) for c in kids)
        return True

    def applies(node: model.Item | model.Group) -> bool:
        if not present(node):
            return False
        if isinstance(node, model.Group):
            kids = [c for c in node.children if present(c) and not c.outside_total]
            return not kids or any(applies(c) for c in kids) or \
                node.none_applicable != "not_applicable"
        rule = node.rule
        target = getattr(rule, "of", None)
        if target is not None:  # ranks a node: not applicable where the node is not
            return applies(nodes[target])
        value = facts.get(fact_of[node.id])
        if isinstance(value, Mapping) and "not_applicable" in value:
            return node.not_applicable_score is not None  # it scores the statistic instead
        if isinstance(rule, model.Rating) and rule.no_votes == "not_applicable":
            return sum(int(value.get(k, 0)) for k in rule.values) > 0
        if isinstance(rule, model.Ratio) and rule.zero_target == "not_applicable":
            return Decimal(value["target"]) != 0
        return True

    return len(named) == 1 and not any(  # what the group adds up: children outside it aside
        applies(c) for c in named[0].children if present(c) and not c.outside_total)


def _named_units(plan: Plan, assessment: Assessment) -> list[str]:
    """A unit's result holds no node whose ``units`` (its own or a group's above) do not name
    the unit, and every item of its category whose ``units`` do name it — read from the
    scheme's tree, not from the lowered profiles."""
    refs = [r for r in tree.index(plan.scheme) if r.units is not None]
    problems: list[str] = []
    for unit, result in assessment.results.items():
        for ref in refs:
            nid, units = ref.node.id, ref.units or frozenset()
            if unit not in units and nid in result.nodes:
                problems.append(f"{unit}: {nid} is for {sorted(units)} only, yet in its result")
            elif unit in units and isinstance(ref.node, model.Item) and nid not in result.nodes \
                    and tree.in_category(ref.categories, result.category):
                problems.append(f"{unit}: {nid} names it, yet is not in its result")
    return problems


def _bounds(plan: Plan, assessment: Assessment) -> list[str]:
    problems = []
    nodes = {n.id: n for n in model.iter_nodes(plan.scheme.score)}
    for unit, result in assessment.results.items():
        for nid, node in result.nodes.items():
            spec = nodes[nid]
            # a signed item may take points away, down to its rule's min; every other item
            # stays within 0..max
            low = min(spec.rule.min, Decimal(0)) if isinstance(spec, model.Item) and isinstance(
                spec.rule, model.Signed) else Decimal(0)
            if isinstance(spec, model.Item) and not low <= node.value <= spec.max:
                problems.append(f"{unit}: item {nid} = {node.value} outside {low}..{spec.max}")
            if isinstance(spec, model.Group):
                if spec.cap is not None and node.value > spec.cap:
                    problems.append(f"{unit}: group {nid} = {node.value} above its cap {spec.cap}")
                if node.applicable and node.value < spec.floor:
                    problems.append(f"{unit}: group {nid} = {node.value} below its floor")
                if spec.limit is not None:
                    with decimal.localcontext(CONTEXT):  # the engine's 34 digits, not 28
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


# ---------------------------------------------------------------------------------------------
# random schemes over the whole scheme language (1 and 2)


FEATURES = frozenset({"population_kinds", "factor_if_input", "cross_category", "veto_on_outputs",
                      "population_exempt", "several_grade_vetoes", "population_values",
                      "named_units"})
"""What :func:`random_schemes` may generate beyond the always-on language. ``population_kinds``:
relative_to_best and rank_points items (scored over the whole population); ``factor_if_input``:
factor_if modifiers conditioned on a flag input; ``cross_category``: modifiers, formulas, gates,
limits, tie-breakers and outputs that name an input or node some categories do not have;
``veto_on_outputs``: veto formulas that name an output; ``population_exempt``: exemptions on
relative_to_best and rank_points items (always, when on); ``several_grade_vetoes``: more than one
veto with a grade or grade_cap effect (the harsher grade wins); ``population_values``: population
items that rank or compare a computed node (``of``) and cohort statistics (``statistics``: mean,
median, max, min of an input or a node over a scope) read by item and veto formulas and scored by
not-applicable items (``not_applicable_score``), in as many phases as they need;
``named_units``: items and groups for named units only (``units``: the population's own U1, U2,
U3, or members of the scheme's roster when it has one), never read by a gate, limit, ranking or
formula (GS345)."""

SAFE_FEATURES = FEATURES - {"cross_category"}
"""The features of valid schemes. ``cross_category`` makes schemes the checks refuse (GS317: a
reader may name only what applies in every category where it is evaluated)."""

RULE_KINDS = ("pass_fail", "manual", "per_occurrence", "by_level", "per_step", "ratio", "rate",
              "shortfall", "per_missing", "bands", "rating", "choice", "checklist", "series",
              "rater_groups", "relative_to_best", "rank_points", "signed", "table", "formula")
"""Every rule kind (model.Rule), in the order the reference lists them."""

GRADE_NAMES = ("优秀", "良好", "合格")

_D = Decimal


def _dec(text: str | int) -> Decimal:
    return Decimal(text)


def to_yaml(value: Any) -> str:
    """A value as YAML flow text (every string quoted, decimals written as they are)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, Decimal)):
        return format(value, "f") if isinstance(value, Decimal) else str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{json.dumps(str(k), ensure_ascii=False)}: {to_yaml(v)}"
                               for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(to_yaml(v) for v in value) + "]"
    msg = f"cannot write {value!r} as YAML"
    raise TypeError(msg)


def scheme_text(scheme: Mapping[str, Any]) -> str:
    """A scheme mapping as a scheme file: one top-level key per line, values in flow style."""
    return "".join(f"{key}: {to_yaml(value)}\n" for key, value in scheme.items())


class _SchemeBuilder:
    """State while one random scheme is drawn: what exists, and which categories have it."""

    def __init__(self, draw: st.DrawFn, features: frozenset[str]) -> None:
        self.draw = draw
        self.features = features
        self.categories: list[str] = []
        self.tiers: list[str] = []
        self.inputs: list[dict[str, Any]] = []
        self.params: dict[str, Decimal] = {}
        self.counter = 0
        self.nodes: dict[str, dict[str, Any]] = {}
        """node id → its mapping (items and groups)."""
        self.cats_of: dict[str, frozenset[str] | None] = {}
        """node id → the categories that have it through every applies_to above it."""
        self.section_of: dict[str, int] = {}
        self.population = False
        self.grades: list[str] = []
        self.statistics: list[dict[str, Any]] = []
        self.population_values = False
        """Whether this scheme draws population values (with the population kinds: a scheme
        with them has no kernel, so most schemes keep theirs)."""
        self.named: set[str] = set()
        """Nodes some units do not have because of ``units`` (their own, a group's above, or
        all their children's): nothing reads them."""
        self.units_above: frozenset[str] | None = None
        """The units of the groups above the node being drawn (None: every unit)."""
        self.roster: list[tuple[str, str | None]] = []
        """(member, its category) of the scheme's categories and tiers."""

    # -- helpers ------------------------------------------------------------------------------

    def new_id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    # Hypothesis biases draws towards small values and feeds in constants found in every loaded
    # module, so which constructs a fixed run of examples shows would shift with the modules a
    # test session happens to import (a coverage test passed alone and failed in the whole
    # suite). Each choice is therefore spread by the scheme's own id counter: still a function
    # of the draws (reproducible, shrinkable towards fewer nodes), near its stated frequency.

    def pick(self, options: Sequence[Any]) -> Any:
        choices = list(options)
        return choices[(self.draw(st.integers(0, len(choices) - 1)) + self.spread())
                       % len(choices)]

    def spread(self) -> int:
        """The id counter scrambled (Knuth's multiplicative hash): counters that advance by a
        fixed stride (every item takes as many ids) still reach every choice."""
        return (self.counter * 2654435761 >> 8) & 0xFFFF

    def chance(self, p: float) -> bool:
        return bool((self.draw(st.integers(0, 99)) + 37 * self.counter) % 100 < int(p * 100))

    def inputs_of(self, *types: str, everywhere: bool = True) -> list[str]:
        """Input ids of these types; only those every category has unless cross_category."""
        found = [i["id"] for i in self.inputs if i["type"] in types
                 and (not everywhere or "applies_to" not in i)]
        if everywhere and "cross_category" in self.features:  # the hazard, whenever there is one
            some = [i["id"] for i in self.inputs if i["type"] in types and "applies_to" in i]
            return some or found
        return found

    def global_nodes(self, *, items_only: bool = False, before: int | None = None) -> list[str]:
        fits = [nid for nid, node in self.nodes.items()
                if (not items_only or "rule" in node)
                and (before is None or self.section_of.get(nid, before) < before)]
        fits = [nid for nid in fits if nid not in self.named]
        some = [nid for nid in fits if self.cats_of[nid] is not None]
        if "cross_category" in self.features and some:  # the hazard, whenever there is one
            return some
        return [nid for nid in fits if self.cats_of[nid] is None]

    # -- the parts of a scheme ----------------------------------------------------------------

    def draw_categories(self) -> list[dict[str, Any]]:
        n = self.pick([2, 3] if "cross_category" in self.features else [0, 0, 2, 3])
        return self._draw_member_lists("c", "类别", n, self.categories)

    def draw_tiers(self) -> list[dict[str, Any]]:
        return self._draw_member_lists("t", "圈层", self.pick([0, 0, 2]), self.tiers)

    def _draw_member_lists(self, prefix: str, title: str, n: int,
                           ids: list[str]) -> list[dict[str, Any]]:
        """n categories or tiers, some naming their members."""
        out = []
        for i in range(n):
            eid = f"{prefix}{i}"
            ids.append(eid)
            entry: dict[str, Any] = {"id": eid, "title": f"{title}{i}"}
            if self.chance(0.3):
                entry["members"] = [f"名{eid}-{k}" for k in range(self.draw(st.integers(1, 3)))]
                self.roster.extend((m, eid if prefix == "c" else None)
                                   for m in entry["members"])
            out.append(entry)
        return out

    def draw_inputs(self) -> list[dict[str, Any]]:
        plan = [("flag", 1), ("count", 1), ("number", 1)]  # one of each everywhere, always
        plan += [(t, self.draw(st.integers(0, 1))) for t in ("flag", "count", "rate", "text")]
        for kind, n in plan:
            for _ in range(n):
                self.inputs.append(self.draw_input(kind, everywhere=not self.inputs_of(kind)))
        if "cross_category" in self.features:  # inputs of one category, for the references
            for kind in ("flag", "count", "number"):
                entry = self.draw_input(kind, everywhere=True)
                entry["applies_to"] = [self.pick(self.categories)]
                self.inputs.append(entry)
        return self.inputs

    def draw_input(self, kind: str, *, everywhere: bool) -> dict[str, Any]:
        iid = self.new_id({"flag": "fl", "count": "ct", "number": "nm", "rate": "rt",
                           "text": "tx"}[kind])
        entry: dict[str, Any] = {"id": iid, "title": f"输入{iid}", "type": kind}
        if kind == "count":
            if self.chance(0.5):
                entry["max"] = self.draw(st.integers(2, 6))
            if self.chance(0.3):
                entry["default"] = 0
        elif kind == "number":
            low = self.pick([_D(0), _D(-5), _D("0.5")])
            entry["min"] = low
            entry["max"] = low + self.pick([_D(10), _D(50)])
            if self.chance(0.3):
                entry["default"] = low + 1
        elif kind == "flag":
            if self.chance(0.3):
                entry["default"] = self.draw(st.booleans())
        elif kind == "rate":
            if self.chance(0.3):
                entry["default"] = _D("0.5")
        elif self.chance(0.3):
            entry["default"] = "无"
        if not everywhere and self.categories and self.chance(0.5):
            entry["applies_to"] = [self.pick(self.categories)]
        return entry

    def draw_rule(self, kind: str, top: Decimal, rescaled: bool) -> dict[str, Any]:
        """A rule of the kind for an item with this max (valid whatever else is drawn)."""
        draw, pick = self.draw, self.pick
        na_ok = rescaled
        if kind == "pass_fail":
            rule: dict[str, Any] = {"kind": kind}
            if self.chance(0.4):
                rule["points"] = top / 2
            if self.chance(0.3):
                rule["fail_points"] = top / 4
            return rule
        if kind == "manual":
            step = pick([None, _D("0.5"), _D(1)])
            high = top if step is None else (top // step) * step
            low = _D(0) if step is None or high == 0 else step
            rule = {"kind": kind, "min": min(low, high), "max": high}
            if step is not None:
                rule["step"] = step
            if self.chance(0.2) and rule["min"] > 0:
                rule["zero_allowed"] = False
            return rule
        if kind == "per_occurrence":
            rule = {"kind": kind, "per": pick([_D("0.5"), _D(1), _D(2)])}
            if self.chance(0.3):
                rule["free"] = 1
            return rule
        if kind == "by_level":
            return {"kind": kind, "levels": {"city": _D("0.5"), "province": _D(1),
                                             "national": _D("1.5")},
                    "combine": pick(["sum", "highest", "highest_per_matter"])}
        if kind == "per_step":
            return {"kind": kind, "step": pick([_D(10), _D(500000)]),
                    "points": pick([_D("0.5"), _D(1)])}
        if kind == "ratio":
            policies = ["full", "zero", "not_applicable"] if na_ok else ["full", "zero"]
            if self.chance(0.5):  # the target stated in the scheme: the fact is the number done
                return {"kind": kind, "target": pick([_D(10), _D(12)])}
            return {"kind": kind, "zero_target": pick(policies)}
        if kind == "rate":
            return {"kind": kind}
        if kind == "shortfall":
            return {"kind": kind, "target": pick([_D("0.9"), _D("0.95"), _D(1)]),
                    "per": pick([_D("0.5"), _D(1)]), "step": pick([_D("0.01"), _D("0.05")]),
                    "partial": pick(["proportional", "whole_steps", "started_steps"])}
        if kind == "per_missing":  # 少一次扣0.5分: required in the scheme, or with the fact
            rule = {"kind": kind, "per": pick([_D("0.5"), _D(1)])}
            if self.chance(0.5):
                rule["required"] = pick([_D(4), _D(6)])
            if self.chance(0.3):  # amounts by steps: 每少10万元扣1分
                rule.update(amount=True, step=_D(10),
                            partial=pick(["proportional", "whole_steps", "started_steps"]))
                if "required" in rule:
                    rule["required"] = _D(100)
            return rule
        if kind == "bands":
            rate = draw(st.booleans())
            t1, t2 = (_D("0.6"), _D("0.9")) if rate else (_D(60), _D(90))
            bands: list[dict[str, Any]] = [
                {"lt": t1, "points": _D(0)},
                {"gte": t1, "lt": t2, "points": top / 2},
                {"gte": t2, "points": top},
            ]
            rule = {"kind": kind, "rate": rate, "bands": bands}
            if self.chance(0.3):  # a gap between the first two bands, filled by outside
                bands[1] = {"gt": t1, "lt": t2, "points": top / 2}
                rule["outside"] = top / 4
            return rule
        if kind == "rating":
            rule = {"kind": kind, "values": {"满意": _D(100), "基本满意": _D(60), "不满意": _D(0)}}
            if self.chance(0.4):
                rule["satisfied"] = ["满意", "基本满意"]
            if self.chance(0.3):
                rule["excluded"] = ["诉讼"]
            if self.chance(0.2):
                rule["full"] = _D(120)
            rule["no_votes"] = pick(["full", "zero", "not_applicable"] if na_ok
                                    else ["full", "zero"])
            return rule
        if kind == "choice":
            return {"kind": kind, "options": {"一档": top, "二档": top / 2, "三档": _D(0)}}
        if kind == "checklist":
            shares = pick([[_D(1)], [_D("0.5"), _D("0.5")], [_D("0.2"), _D("0.3"), _D("0.5")],
                           ["1/3", "1/3", "1/3"], ["1/6", _D("0.5"), "1/3"]])
            return {"kind": kind, "criteria": [{"id": f"k{i}", "title": f"标准{i}", "share": s}
                                               for i, s in enumerate(shares)]}
        if kind == "series":
            rule = {"kind": kind, "aggregate": pick(["mean", "sum", "min", "max"])}
            if self.chance(0.5):
                rule["periods"] = pick([3, 4])
                if self.chance(0.5):
                    rule["missing"] = "mean_of_present"
            return rule
        if kind == "rater_groups":
            rule = {"kind": kind, "groups": [
                {"id": "public", "title": "群众", "weight": _D("0.4"), "min_weight": _D("0.4")},
                {"id": "boss", "title": "上级", "weight": _D("0.6")}],
                "scale": pick([_D(100), _D(10)])}
            if self.chance(0.3):
                rule["empty_group"] = "reweight"
            return rule
        if kind in ("relative_to_best", "rank_points"):
            scopes = ["all"] + (["tier"] if self.tiers else []) + \
                (["category"] if self.categories else [])
            rule = {"kind": kind, "scope": pick(scopes), "lower_is_better": draw(st.booleans())}
            if kind == "relative_to_best":
                rule["zero_best"] = pick(["full", "zero"])
            elif self.chance(0.5):
                rule["step"] = pick([_D("0.5"), _D(1)])
            else:
                rule["last"] = top / 2
            return rule
        if kind == "signed":  # adds or takes away: min below 0, max at most the item's
            step = pick([None, _D("0.5")])
            rule = {"kind": kind, "min": -pick([_D("0.5"), _D(1), top]),
                    "max": pick([top, top / 2])}
            if step is not None:
                rule["step"] = step
            return rule
        if kind == "table":  # two rates decide together; half the time a gap filled by outside
            rows: list[dict[str, Any]] = [
                {"when": {"a": {"gte": _D("0.9")}, "b": {"gte": _D("0.9")}}, "points": top},
                {"when": {"a": {"gte": _D("0.9")}, "b": {"lt": _D("0.9")}}, "points": top / 2},
                {"when": {"a": {"lt": _D("0.9")}}, "points": top / 4}]
            rule = {"kind": kind, "columns": [{"id": "a", "title": "甲率", "rate": True},
                                              {"id": "b", "title": "乙率", "rate": True}],
                    "rows": rows}
            if self.chance(0.5):
                rows[2]["when"]["b"] = {"gte": _D("0.5")}
                rule["outside"] = _D(0)
            return rule
        assert kind == "formula", kind
        numbers = self.inputs_of("count", "number", "rate")
        flags = self.inputs_of("flag")
        a, b = pick(numbers), pick(numbers)
        p = pick(sorted(self.params))
        shapes = [f"{a} * 2 + {p}", f"min({a}, {p}) + {b} / 4", f"clamp({a} - {b}, 0, {p})",
                  f"{a} * {p} if {pick(flags)} else 1", f"round({a} / 3, 1)"]
        return {"kind": kind, "formula": pick(shapes)}

    def draw_modifiers(self) -> list[dict[str, Any]]:
        mods: list[dict[str, Any]] = []
        for _ in range(self.draw(st.integers(0, 2))):
            options = ["on_count", "requires", "factor_if_cat"]
            if "factor_if_input" in self.features:
                options.append("factor_if_input")
            what = self.pick(options)
            if what == "factor_if_cat" and not self.categories:
                what = "requires"
            if what == "on_count":
                steps = [{"at_least": 1, "factor": self.pick([_D("0.5"), _D(1)]),
                          "ineligible": self.draw(st.booleans())}]
                if self.chance(0.5):
                    steps.append({"at_least": 2, "factor": _D(0)})
                mods.append({"kind": "on_count", "input": self.pick(self.inputs_of("count")),
                             "steps": steps})
            elif what == "requires":
                mods.append({"kind": "requires", "input": self.pick(self.inputs_of("flag"))})
            elif what == "factor_if_input":
                mods.append({"kind": "factor_if", "input": self.pick(self.inputs_of("flag")),
                             "factor": self.pick([_D(0), _D("0.5"), _D(2)])})
            else:
                mods.append({"kind": "factor_if", "categories": [self.pick(self.categories)],
                             "factor": self.pick([_D(0), _D("0.5"), _D(2)])})
        return mods

    def draw_item(self, section: int, cats: frozenset[str] | None, *, weighted: bool,
                  rescaled: bool, kinds: Sequence[str]) -> dict[str, Any]:
        kind = self.pick(kinds)
        if "population_exempt" in self.features and not self.population:
            kind = self.pick(sorted(rules.POPULATION_KINDS))  # the hazard, in every scheme
        if kind in rules.POPULATION_KINDS:
            self.population = True
        top = self.pick([_D(1), _D(2), _D(4), _D(5), _D(10)])
        iid = self.new_id("i")
        item: dict[str, Any] = {"id": iid, "title": f"项目{iid}", "max": top,
                                "rule": self.draw_rule(kind, top, rescaled)}
        if self.chance(0.15):
            item["fact"] = f"f_{iid}"
        signed = kind == "signed"  # its value is the number given: no from_full, no exemption
        if self.chance(0.2) and not signed and kind != "per_missing":  # it starts from full
            item["from_full"] = True
        if self.chance(0.4):
            mods = self.draw_modifiers()
            if mods:
                item["modifiers"] = mods
        if rescaled and self.chance(0.4):
            item["optional"] = True
        if self.population_values:
            self.draw_population_values(item, kind, section)
        population = kind in rules.POPULATION_KINDS
        if ("population_exempt" in self.features if population else self.chance(0.2)) \
                and not signed and "of" not in item["rule"]:
            item["exemptions"] = ["不可抗力"]
        structured = kind in ("by_level", "checklist")  # rarer kinds: drawn more often
        if self.chance(0.4 if structured else 0.15) and kind in (
                "pass_fail", "per_occurrence", "rate", "by_level", "checklist"):
            item["default"] = {"pass_fail": True, "per_occurrence": _D(0), "rate": _D("0.5"),
                               "by_level": {}, "checklist": []}[kind]
        cats = self.place(item, cats, weighted=weighted)
        if self.units_above is not None:
            self.named.add(iid)
        self.nodes[iid] = item
        self.cats_of[iid] = cats
        self.section_of[iid] = section
        return item

    def draw_readers(self, siblings: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Items that read a sibling's count (one fact, several items: 6条线索得12分, 超过部分
        每条加0.2分): an overflow past ``free`` occurrences, added or subtracted."""
        out: list[dict[str, Any]] = []
        for owner in siblings:
            rule = owner.get("rule", {})
            if rule.get("kind") != "per_occurrence" or "reads" in owner or not self.chance(0.4):
                continue
            iid = self.new_id("i")
            top = self.pick([_D(1), _D(2)])
            reader: dict[str, Any] = {
                "id": iid, "title": f"超出部分{iid}", "max": top, "reads": owner["id"],
                "rule": {"kind": "per_occurrence", "per": self.pick([_D("0.2"), _D("0.5")]),
                         "free": self.pick([0, 2, 6])}}
            if "applies_to" in owner:  # read only where the owner's fact is supplied
                reader["applies_to"] = owner["applies_to"]
            if owner["id"] in self.named:  # and only by the units that supply it (GS345)
                if "units" in owner:
                    reader["units"] = owner["units"]
                self.named.add(iid)
            if self.chance(0.3):
                reader["role"] = "subtract"
            if self.chance(0.2):
                reader["from_full"] = True
            self.nodes[iid] = reader
            self.cats_of[iid] = self.cats_of[owner["id"]]
            self.section_of[iid] = self.section_of[owner["id"]]
            out.append(reader)
        return out

    def draw_population_values(self, item: dict[str, Any], kind: str, section: int) -> None:
        """Population values on computed nodes (``population_values``): a population item
        ranking a node of an earlier section, a formula reading a statistic, an optional item
        scoring a statistic of itself when not applicable. A value reads only what earlier
        sections hold, so that the needs never form a cycle."""
        # every node drawn so far: none of them contains this item (a group joins self.nodes
        # after its children), and each reads only what was drawn before it
        earlier = [n for n in self.nodes if self.cats_of.get(n, frozenset()) is None
                   and n not in self.named]
        if kind in rules.POPULATION_KINDS and earlier and self.chance(0.6):
            item["rule"]["of"] = self.pick(earlier)
            for key in ("fact", "optional", "default"):  # no fact of its own (GS316)
                item.pop(key, None)
        if kind == "formula" and self.chance(0.5):
            stat = self.draw_statistic(self.pick([*earlier, *self.inputs_of("count", "number",
                                                                           "rate")]))
            item["rule"]["formula"] = f"{item['rule']['formula']} + min({stat}, p1)"
        if kind == "bands" and self.chance(0.4):  # 高于同类单位平均值的得满分
            rule = item["rule"]
            rule["relative_to"] = self.draw_statistic(self.pick(
                [*earlier, *self.inputs_of("count", "number", "rate")]))
            rule["bands"] = [{"lt": _D(0), "points": _D(0)},
                             {"gte": _D(0), "lte": _D(0), "points": item["max"] / 2},
                             {"gt": _D(0), "points": item["max"]}]
            rule.pop("outside", None)
        if item.get("optional") and self.chance(0.5):
            item["not_applicable_score"] = self.draw_statistic(item["id"])

    def draw_statistic(self, of: str) -> str:
        """A cohort statistic of an input or a node; its id."""
        sid = self.new_id("st")
        self.statistics.append({"id": sid, "title": f"统计{sid}", "of": of,
                                # rotated by how many the run has drawn: few schemes draw a
                                # statistic, and the spread alone left one function unseen
                                "function": self.pick(_rotated(["mean", "median", "max", "min"],
                                                               self.counter // 3)),
                                "scope": self.pick(self.scopes())})
        return sid

    def place(self, node: dict[str, Any], cats: frozenset[str] | None, *,
              weighted: bool) -> frozenset[str] | None:
        """Role, applies_to and outside_total for a child (none inside a weighted group)."""
        if weighted:
            return cats
        if self.chance(0.2):
            node["role"] = "subtract"
        if self.categories and self.chance(0.25):
            chosen = sorted(self.draw(st.sets(st.sampled_from(self.categories), min_size=1,
                                              max_size=len(self.categories))))
            node["applies_to"] = chosen
            cats = frozenset(chosen) if cats is None else cats & frozenset(chosen)
        if self.chance(0.08):
            node["outside_total"] = True
        if self.names_units() and self.by_counter(0.12):
            self.name_units(node, cats)
        return cats

    def children_named(self, children: list[dict[str, Any]]) -> bool:
        """Whether, in some category, every child of a group is for named units (the group is
        then left out for that category's other units: scheme.scopes.left_out)."""
        options: list[str | None] = [*self.categories] or [None]
        for cat in options:
            kids = [k for k in children
                    if cat is None or "applies_to" not in k or cat in k["applies_to"]]
            if kids and all(k["id"] in self.named for k in kids):
                return True
        return False

    def names_units(self) -> bool:
        """Whether this scheme may draw nodes for named units: not beside population values
        (whose targets are nodes every unit has, drawn from fewer candidates then)."""
        return "named_units" in self.features and not self.population_values

    def by_counter(self, p: float) -> bool:
        """A chance taken from the id counter alone, without a draw: constructs added to the
        generator later leave the draws of every other construct where they were (the coverage
        test's fixed examples keep showing them)."""
        return (61 * self.counter + 17) % 100 < int(p * 100)

    def name_units(self, node: dict[str, Any], cats: frozenset[str] | None) -> None:
        """``units`` for a node: some of the population's U1–U3 (or of the roster's members of
        the node's categories, when the scheme lists members), within the groups' above."""
        cats_only = cats if cats is not None else frozenset(self.categories)
        pool = [m for m, c in self.roster if c is None or not self.categories or c in cats_only] \
            if self.roster else ["U1", "U2", "U3"]
        if self.units_above is not None:
            pool = [m for m in pool if m in self.units_above]
        if not pool:
            return
        first = self.counter % len(pool)
        chosen = {pool[first], pool[(first + self.counter // 3) % len(pool)]}
        node["units"] = sorted(chosen)
        self.named.add(node["id"])

    def draw_group(self, section: int, cats: frozenset[str] | None, depth: int, *,
                   weighted_parent: bool, rescaled: bool, kinds: Sequence[str]) -> dict[str, Any]:
        gid = f"s{section}" if depth == 0 else self.new_id("g")
        combine = self.pick(["sum", "sum", "sum", "weighted", "highest"])
        group: dict[str, Any] = {"id": gid, "title": f"分组{gid}"}
        if depth > 0:
            cats = self.place(group, cats, weighted=weighted_parent)
        else:  # a section: for one category only (never the first), or subtracted
            if self.categories and section > 0 and self.chance(0.3):
                group["applies_to"] = [self.pick(self.categories)]
                cats = frozenset(group["applies_to"])
            if self.chance(0.1):
                group["role"] = "subtract"
            if self.names_units() and section > 0 and self.by_counter(0.12):
                self.name_units(group, cats)  # a part for named units only (湖长制)
        self.cats_of[gid] = cats
        self.section_of[gid] = section
        above = self.units_above
        if above is not None:
            self.named.add(gid)
        if "units" in group:
            own = frozenset(group["units"])
            self.units_above = own if above is None else own & above
        if combine != "sum":
            group["combine"] = combine
        rescaled_above = rescaled
        if self.chance(0.25):
            group["not_applicable"] = "rescale"
            rescaled = True
        if self.chance(0.3):  # what the group gets when none of its children applies
            group["none_applicable"] = self.pick(
                ["error", "full", "zero", *(["not_applicable"] if rescaled_above else [])])
        n = self.draw(st.integers(1, 3))
        children: list[dict[str, Any]] = []
        for _ in range(n):
            if depth == 0 and not children and self.chance(0.15):
                children.append(self.draw_group(section, cats, depth + 1,
                                                weighted_parent=combine == "weighted",
                                                rescaled=rescaled, kinds=kinds))
            else:
                children.append(self.draw_item(section, cats, weighted=combine == "weighted",
                                               rescaled=rescaled, kinds=kinds))
        if combine != "weighted":
            children.extend(self.draw_readers(children))
        self.units_above = above
        if self.children_named(children):
            self.named.add(gid)  # no value for the units its children leave out
        if combine == "weighted":
            weights = {1: [_D(1)], 2: [_D("0.3"), _D("0.7")],
                       3: [_D("0.2"), _D("0.3"), _D("0.5")]}[len(children)]
            for child, w in zip(children, weights, strict=True):
                child["weight"] = w
        group["children"] = children
        self.nodes[gid] = group
        top = _node_top(group, None)
        if self.chance(0.3) and top > 0:
            group["cap"] = self.pick([top / 2, top])
        if self.chance(0.2):
            group["floor"] = self.pick([_D(-2), _D(-5)])
        if combine == "sum" and self.chance(0.15):
            group["scale_to"] = self.pick([_D(10), _D(20)])
        if self.chance(0.1):  # evidence for every item under the group (未提供书面材料的不得分)
            group["requires"] = self.pick(self.inputs_of("flag"))
        if depth == 0 and section > 0:
            targets = self.global_nodes(items_only=True, before=section)
            if targets and self.chance(0.25):
                target = self.pick(targets)
                tmax = self.nodes[target]["max"]
                if self.draw(st.booleans()):
                    group["gate"] = {"node": target, "gte": self.pick([_D(0), tmax / 2, tmax])}
                else:
                    group["gate"] = {"node": target, "gt": self.pick([_D(0), tmax / 2])}
            # a limit names a group that cannot go below 0 (one with a negative floor would
            # pull this group under its own floor: reported, see the defects tests)
            groups = [g for g in self.global_nodes(before=section)
                      if "children" in self.nodes[g] and "floor" not in self.nodes[g]]
            if groups and self.chance(0.3):
                group["limit"] = {"at_most": self.pick(groups)}
                if self.chance(0.3):
                    group["limit"]["factor"] = _D("0.5")
        return group

    def draw_vetoes(self, outputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        on_outputs = "veto_on_outputs" in self.features and bool(outputs)
        for i in range(self.draw(st.integers(1 if on_outputs else 0, 3))):
            # a veto reads what every unit has (GS317), unless cross_category is on
            flags = self.inputs_of("flag")
            numbers = self.inputs_of("count", "number", "rate")
            how = "formula" if on_outputs and i == 0 else self.pick(
                ["formula", *(["flag"] if flags else []), *(["at_least"] if numbers else [])])
            when: dict[str, Any]
            if how == "flag":
                when = {"input": self.pick(flags)}
            elif how == "at_least":
                name = self.pick(numbers)
                kind = next(x["type"] for x in self.inputs if x["id"] == name)
                when = {"input": name, "at_least": _D("0.5") if kind == "rate" else _D(2)}
            else:
                names = [*self.global_nodes(), "total"]
                atoms = [f"{self.pick(names)} {self.pick(['<', '>=', '=='])} "
                         f"{self.pick(['1', '2', '5', '50'])}",
                         f"{self.pick(self.inputs_of('count'))} >= 2",
                         self.pick(self.inputs_of("flag"))]
                if self.statistics:  # a cohort statistic (every unit has one of its scope)
                    atoms.append(f"{self.pick([s['id'] for s in self.statistics])} >= 2")
                usable = [o["id"] for o in outputs
                          if "applies_to" not in o or "cross_category" in self.features]
                if on_outputs and usable:  # the first veto; an output every unit has (GS317)
                    atoms = [f"{self.pick(usable)} > 1"]
                on_outputs = False
                when = {"formula": f" {self.pick(['and', 'or'])} ".join(
                    self.draw(st.lists(st.sampled_from(atoms), min_size=1, max_size=2)))}
            graded = any(v["effect"] in ("grade", "grade_cap") for v in out)
            several = "several_grade_vetoes" in self.features
            effects = ["no_award", "score"] + (["grade", "grade_cap"] if self.grades and (
                several or not graded) else [])
            effect = self.pick(effects)
            veto: dict[str, Any] = {"id": f"v{i}", "title": f"否决{i}", "when": when,
                                    "effect": effect}
            if self.categories and self.chance(0.2):  # a veto for one category's units only
                veto["applies_to"] = [self.pick(self.categories)]
            if effect in ("grade", "grade_cap"):
                veto["grade"] = self.pick(self.grades)
            if effect == "score":
                veto["score"] = self.pick([_D(0), _D(3), _D(59)])
            out.append(veto)
        return out

    def draw_outputs(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for i in range(self.draw(st.integers(1 if "veto_on_outputs" in self.features else 0,
                                             2))):
            oid = f"o{i}"
            entry: dict[str, Any] = {"id": oid, "title": f"输出{i}"}
            if self.draw(st.booleans()):
                entry.update(kind="convert", from_scale=self.pick([_D(100), _D(10)]))
                numbers = self.inputs_of("number", everywhere=False)
                if self.draw(st.booleans()):
                    entry["weight"] = self.pick([_D(10), _D("0.5")])
                else:
                    name = self.pick(numbers)
                    spec = next(x for x in self.inputs if x["id"] == name)
                    if spec.get("min", 0) < 0:  # a weight is never negative
                        spec["min"] = _D(0)
                        spec.pop("default", None)
                    entry["weight_input"] = name
                    if "applies_to" in spec and "cross_category" not in self.features:
                        entry["applies_to"] = list(spec["applies_to"])
            else:
                wide = "cross_category" in self.features
                names = ["total", *self.global_nodes(), *self.inputs_of("count", "number"),
                         *sorted(self.params),
                         *(o["id"] for o in out if wide or "applies_to" not in o)]
                entry.update(kind="formula",
                             formula=f"{self.pick(names)} * 0.5 + {self.pick(names)}")
            if "applies_to" not in entry and self.categories and self.chance(0.2):
                entry["applies_to"] = [self.pick(self.categories)]
            out.append(entry)
        return out

    def draw_grades(self, top: Decimal) -> dict[str, Any] | None:
        if not self.chance(0.5):
            return None
        top = max(top, _D(2))  # bands must not be empty even when the total cannot rise
        t1, t2 = (top * _D("0.4")).quantize(_D("0.01")), (top * _D("0.7")).quantize(_D("0.01"))
        self.grades = list(GRADE_NAMES)
        grades: dict[str, Any] = {"bands": [{"gte": t2, "grade": GRADE_NAMES[0]},
                                            {"gte": t1, "lt": t2, "grade": GRADE_NAMES[1]},
                                            {"lt": t1, "grade": GRADE_NAMES[2]}]}
        if self.chance(0.6):
            grades["quotas"] = [{"grade": GRADE_NAMES[0], "fallback": GRADE_NAMES[1],
                                 "share": self.pick([_D("0.3"), _D("0.5"), _D(1)]),
                                 "scope": self.pick(self.scopes()),
                                 "rounding": self.pick(["floor", "ceil", "half_up"])}]
        return grades

    def scopes(self) -> list[str]:
        return ["all"] + (["tier"] if self.tiers else []) + \
            (["category"] if self.categories else [])

    def draw_ranking(self) -> dict[str, Any]:
        ranking: dict[str, Any] = {"scope": self.pick(self.scopes())}
        if self.chance(0.2):
            ranking["by"] = self.pick(self.global_nodes())
        breakers = []
        for _ in range(self.draw(st.integers(0, 2))):
            if self.draw(st.booleans()):
                breakers.append({"node": self.pick(self.global_nodes())})
            else:
                breakers.append({"input": self.pick(self.inputs_of("count", "number", "rate"))})
            if self.draw(st.booleans()):
                breakers[-1]["order"] = "asc"
        if breakers:
            ranking["tie_breakers"] = breakers
        return ranking

    def draw_awards(self, low_top: Decimal) -> list[dict[str, Any]]:
        out = []
        for i in range(self.draw(st.integers(0, 3))):
            award: dict[str, Any] = {"id": f"a{i}", "title": f"奖项{i}",
                                     "scope": self.pick(self.scopes())}
            if self.chance(0.7):
                award["share"] = self.pick([_D("0.2"), _D("0.3"), _D("0.5"), _D(1)])
                award["rounding"] = self.pick(["floor", "ceil", "half_up"])
            else:
                award["count"] = self.pick([1, 2, 3])
            if self.categories and self.chance(0.3):
                award["categories"] = [self.pick(self.categories)]
            if self.chance(0.25):
                award["from_end"] = "bottom"
            eligibility: dict[str, Any] = {}
            if self.chance(0.4):
                eligibility["min_total"] = self.pick([_D(0), (low_top / 2).quantize(_D("0.1")),
                                                      low_top])
            if self.grades and self.chance(0.4):
                eligibility["grades"] = self.pick([[GRADE_NAMES[0]], list(GRADE_NAMES[:2])])
            if eligibility:
                award["eligibility"] = eligibility
            if self.chance(0.3):
                award["on_tie"] = "include_all"
            out.append(award)
        return out

    def scheme(self) -> dict[str, Any]:
        draw = self.draw
        categories = self.draw_categories()
        tiers = self.draw_tiers()
        inputs = self.draw_inputs()
        self.params = {"p0": self.pick([_D(2), _D("0.5")]), "p1": _D(3)}
        kinds = [k for k in RULE_KINDS if "population_kinds" in self.features
                 or k not in rules.POPULATION_KINDS]
        if not draw(st.booleans()):  # population kinds in a quarter of the schemes at most
            kinds = [k for k in kinds if k not in rules.POPULATION_KINDS]
        self.population_values = "population_values" in self.features and \
            any(k in rules.POPULATION_KINDS for k in kinds)
        sections = [self.draw_group(s, None, 0, weighted_parent=False, rescaled=False,
                                    kinds=kinds) for s in range(draw(st.integers(1, 3)))]
        root: dict[str, Any] = {"id": "root", "title": "总分", "children": sections}
        self.nodes["root"] = root
        self.cats_of["root"] = None
        cats: list[str | None] = [*self.categories] or [None]
        tops = [_node_top(root, c, plain=True) for c in cats]  # what every unit can reach
        grades = self.draw_grades(max(tops))
        outputs = self.draw_outputs()
        scheme: dict[str, Any] = {
            "govscore": "1", "id": "random", "title": "随机方案",
            "source": {"document": "随机细则"}, "version": "1",
            "precision": {"places": self.pick([0, 1, 2, 2, 3]),
                          "rounding": self.pick(["half_up", "half_even"])},
        }
        self.signed_on_the_grid(scheme["precision"]["places"])
        if categories:
            scheme["categories"] = categories
        if tiers:
            scheme["tiers"] = tiers
        scheme["inputs"] = inputs
        scheme["params"] = self.params
        if self.statistics:
            scheme["statistics"] = self.statistics
        scheme["score"] = root
        scheme["vetoes"] = self.draw_vetoes(outputs)
        scheme["outputs"] = outputs
        scheme["ranking"] = self.draw_ranking()
        if grades is not None:
            scheme["grades"] = grades
        scheme["awards"] = self.draw_awards(max(tops))
        if self.chance(0.3):  # rewards or penalties with no cap stated (不设上限)
            root["children"].append(self.draw_unbounded(len(sections)))
        scheme["govscore"] = _language_needed(scheme)
        return scheme

    def signed_on_the_grid(self, places: int) -> None:
        """A signed item's min at the scheme's places (GS314: rounding must not take the lowest
        value past it): one off the grid becomes the whole number below it, a multiple of any
        step."""
        grid = Decimal(1).scaleb(-places)
        for node in self.nodes.values():
            rule = node.get("rule", {})
            if rule.get("kind") == "signed" and rule["min"].quantize(grid) != rule["min"]:
                rule["min"] = rule["min"].to_integral_value(rounding=decimal.ROUND_FLOOR)

    def draw_unbounded(self, section: int) -> dict[str, Any]:
        """A last section of one unbounded item (不设上限): added, subtracted or kept outside
        the total; nothing else names it (it comes after every gate, limit and formula)."""
        iid = self.new_id("i")
        kind = self.pick(["per_occurrence", "per_step", "manual", "signed"])
        rule: dict[str, Any] = {
            "per_occurrence": {"kind": kind, "per": self.pick([_D("0.5"), _D(5)])},
            "per_step": {"kind": kind, "step": _D(10), "points": _D(1)},
            "manual": {"kind": kind, "min": _D(1), "max": _D(50)},
            "signed": {"kind": kind, "min": _D(-5), "max": _D(50)},
        }[kind]
        item = {"id": iid, "title": f"不设上限{iid}", "unbounded": True, "rule": rule}
        group: dict[str, Any] = {"id": f"s{section}", "title": "奖惩(不设上限)",
                                 "children": [item]}
        placing = self.pick(["add", "subtract", "outside"])
        if placing == "subtract":
            group["role"] = "subtract"
        elif placing == "outside":
            group["outside_total"] = True
        for node_id, node in ((iid, item), (group["id"], group)):
            self.nodes[node_id] = node
            self.cats_of[node_id] = None
            self.section_of[node_id] = section
        return group


def _language_needed(scheme: dict[str, Any]) -> str:
    """The oldest language version the scheme can declare: "1" unless it writes something of
    language 2 (so random schemes hold the version gate both ways: a language-1 scheme loads
    under "1", a scheme using language 2 under "2")."""
    try:
        return version.newest_used(model.Scheme.model_validate({**scheme, "govscore": "2"}))
    except ValueError:  # pydantic's ValidationError: leave it to the loader to report
        return model.LANGUAGE_VERSION


def _rotated(options: list[str], by: int) -> list[str]:
    k = by % len(options)
    return options[k:] + options[:k]


def _node_top(node: Mapping[str, Any], category: str | None, *, plain: bool = False) -> Decimal:
    """The highest value a node of a scheme mapping can take for a category's units (the
    declared semantics: children that add, weights, highest, scale_to, cap); with ``plain``,
    for the units no ``units`` list names (the least any unit of the category can reach)."""
    if "rule" in node:
        top: Decimal = node["max"]
        return top
    kids = [c for c in node["children"]
            if (category is None or "applies_to" not in c or category in c["applies_to"])
            and not c.get("outside_total") and c.get("role", "add") == "add"
            and not (plain and _for_named_units(c, category))]
    combine = node.get("combine", "sum")
    if combine == "weighted":
        raw = sum((c["weight"] * _node_top(c, category, plain=plain) for c in kids), _D(0))
    elif combine == "highest":
        raw = max((_node_top(c, category, plain=plain) for c in kids), default=_D(0))
    else:
        raw = sum((_node_top(c, category, plain=plain) for c in kids), _D(0))
    if "scale_to" in node:
        raw = node["scale_to"]
    if "cap" in node:
        raw = min(raw, node["cap"])
    return raw


def _for_named_units(node: Mapping[str, Any], category: str | None) -> bool:
    """A node the units no ``units`` list names do not have: its own ``units``, or a group
    whose children of the category are all for named units (scheme.scopes.left_out)."""
    if "units" in node:
        return True
    kids = [c for c in node.get("children", ())
            if category is None or "applies_to" not in c or category in c["applies_to"]]
    return bool(kids) and all(_for_named_units(c, category) for c in kids)


@st.composite
def random_scheme_mappings(draw: st.DrawFn,
                           features: frozenset[str] = SAFE_FEATURES) -> dict[str, Any]:
    """A random scheme as a mapping, over the whole language (1 and 2) (see FEATURES for the parts
    that can be switched off); it always validates."""
    return _SchemeBuilder(draw, frozenset(features)).scheme()


def random_scheme_texts(features: frozenset[str] = SAFE_FEATURES) -> st.SearchStrategy[str]:
    """Random scheme files (text) over the whole language (1 and 2)."""
    return random_scheme_mappings(features).map(scheme_text)


def random_schemes(features: frozenset[str] = SAFE_FEATURES) -> st.SearchStrategy[Plan]:
    """Random compiled schemes over the whole language (1 and 2): every rule kind, every modifier,
    every input type (some with defaults, some for one category only), groups with every combine,
    cap, floor, scale_to, gate, limit and rescale, vetoes with every effect, outputs, categories,
    tiers, ranking, grades with quotas and awards with eligibility."""
    return random_scheme_texts(features).map(
        lambda text: api.compile(api.load(text=text, name="random.yaml")))
