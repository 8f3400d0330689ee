"""Random schemes over the whole scheme language v1 (govscore.testing.random_schemes): every one
validates and compiles; every unit, valid or slightly wrong, is scored or rejected with a
diagnostic, never an uncaught exception; the compiled kernel and the interpreter agree on the
total, every node and the trace. Features that once hit engine defects (testing.FEATURES) each
keep their own property below; cross-category references are refused with GS317."""

from __future__ import annotations

from collections import Counter
from typing import Any

from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

import govscore
from govscore import api, testing
from govscore.engine import interpreter
from govscore.engine.plan import Plan
from govscore.engine.results import UnitResult
from govscore.errors import GovscoreError, SchemeError
from govscore.language import model

FAST = settings(deadline=None, suppress_health_check=list(HealthCheck), database=None,
                phases=[Phase.explicit, Phase.generate], max_examples=50)
"""No shrinking: a generated scheme compiles for every example, so shrinking one takes minutes;
the failing example's scheme file is printed (note) instead, ready for a reproduction."""
NO_DEFECTS = testing.SAFE_FEATURES
FIXED = settings(deadline=None, suppress_health_check=list(HealthCheck), database=None,
                 derandomize=True, phases=[Phase.explicit, Phase.generate])
"""The same examples every run, and no shrinking (each property once reproduced a defect)."""


class Quiet:
    """A compiled plan in a drawn example, shown by a short name (its scheme text is noted)."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan

    def __repr__(self) -> str:
        return "<the plan of the scheme noted above>"


def _compile(text: str) -> Plan:
    note(text)  # the scheme file of a failing example, ready to paste into a reproduction
    return govscore.compile(govscore.load(text=text, name="random.yaml"))


# ---------------------------------------------------------------------------------------------
# the one place that scores a unit both ways (adapt it here when the engine internals change)


def score_both_ways(plan: Plan, entry: dict[str, Any]
                    ) -> tuple[UnitResult | None, UnitResult | GovscoreError]:
    """(the compiled kernel's result, or None when it declines the unit; the interpreter's
    result, or the GovscoreError it rejects the unit with). Population schemes have no kernel."""
    fast = api._fast(plan, entry)  # plan.kernels[category].run(...) after resolving the entry
    checked, problems = api.prepare(plan, entry)
    if checked is None:
        return (fast[0] if fast else None), govscore.FactsError(str(entry.get("id")), problems)
    try:
        slow = interpreter.evaluate_unit(plan, checked, {} if plan.needs_population else None)
    except GovscoreError as exc:
        return (fast[0] if fast else None), exc
    return (fast[0] if fast else None), slow


def assert_same_both_ways(plan: Plan, entry: dict[str, Any]) -> bool:
    """The kernel never scores a unit the interpreter refuses, and when it scores one it gives
    the interpreter's total, node values and trace exactly. True when the kernel scored it."""
    fast, slow = score_both_ways(plan, entry)
    if fast is None:
        return False
    assert isinstance(slow, UnitResult), f"the kernel scored a unit the interpreter refuses: {slow}"
    assert fast.total == slow.total
    assert fast.computed_total == slow.computed_total
    assert {k: (n.value, n.raw, n.applicable) for k, n in fast.nodes.items()} == \
        {k: (n.value, n.raw, n.applicable) for k, n in slow.nodes.items()}
    assert fast.trace == slow.trace
    assert fast.to_dict() == slow.to_dict()
    assert list(fast.nodes) == list(slow.nodes)
    return True


# ---------------------------------------------------------------------------------------------
# the generator itself


def test_the_generator_covers_the_whole_language() -> None:
    """Over 300 generated schemes, every rule kind, modifier, input type, group setting, veto
    effect, output kind, award option and grade quota appears (or the generator has lost part
    of the language). 300, not 150: the rarest constructs (an item default, a started-steps
    shortfall, bands against a statistic) showed once or not at all in 150 once nodes for
    named units joined the language, because Hypothesis draws with the constants it finds in
    govscore's modules, so any change to the code moves the fixed examples."""
    seen: Counter[str] = Counter()

    @settings(FIXED, max_examples=300)
    @given(testing.random_scheme_mappings(NO_DEFECTS))
    def collect(scheme: dict[str, Any]) -> None:
        plan = govscore.compile(govscore.load(text=testing.scheme_text(scheme), name="r.yaml"))
        s = plan.scheme
        for node in model.iter_nodes(s.score):
            if isinstance(node, model.Item):
                seen[f"kind:{node.rule.kind}"] += 1
                for mod in node.modifiers:
                    by = "" if not isinstance(mod, model.FactorIf) else \
                        (":input" if mod.input else ":categories")
                    seen[f"modifier:{mod.kind}{by}"] += 1
                for key in ("from_full", "optional", "exemptions", "default", "fact", "reads",
                            "unbounded"):
                    seen[f"item:{key}"] += bool(getattr(node, key))
                seen["item:structured default"] += isinstance(node.default, (dict, list))
                rule = node.rule
                seen["ratio:target"] += isinstance(rule, model.Ratio) and rule.target is not None
                seen["shortfall:started_steps"] += isinstance(rule, model.Shortfall) and \
                    rule.partial == "started_steps"
                if isinstance(rule, model.PerMissing):  # pattern 2: required in the scheme or
                    seen["per_missing:required" if rule.required is not None  # with the fact
                         else "per_missing:pair"] += 1
                    seen["per_missing:amount"] += rule.amount
                seen["checklist:fraction"] += isinstance(rule, model.Checklist) and any(
                    isinstance(c.share, str) for c in rule.criteria)
                # population values (issue 11 point 1, 2): a rank or ratio of a node, a
                # statistic scored in place of a not-applicable item, bands against a statistic
                seen["population:of"] += getattr(rule, "of", None) is not None
                seen["item:not_applicable_score"] += node.not_applicable_score is not None
                seen["bands:relative_to"] += isinstance(rule, model.Bands) and \
                    rule.relative_to is not None
            else:
                seen[f"combine:{node.combine}"] += 1
                for key in ("cap", "scale_to", "gate", "limit"):
                    seen[f"group:{key}"] += getattr(node, key) is not None
                seen["group:negative floor"] += node.floor < 0
                seen["group:rescale"] += node.not_applicable == "rescale"
                seen["group:requires"] += node.requires is not None
            seen["node:subtract"] += node.role == "subtract"
            seen["node:outside_total"] += node.outside_total
            seen["node:applies_to"] += node.applies_to is not None
            seen["node:units"] += node.units is not None  # for named units only (issue 11.7)
        for inp in s.inputs:
            seen[f"input:{inp.type}"] += 1
            seen["input:default"] += inp.default is not None
            seen["input:applies_to"] += inp.applies_to is not None
        for stat in s.statistics:
            seen[f"statistic:{stat.function}"] += 1
        for v in scheme["vetoes"]:
            seen[f"veto:{v['effect']}"] += 1
            seen["veto:applies_to"] += "applies_to" in v
            seen["veto:" + ("formula" if "formula" in v["when"] else
                            "at_least" if "at_least" in v["when"] else "flag")] += 1
        for o in s.outputs:
            seen[f"output:{o.kind}" + (":weight_input" if o.weight_input else "")] += 1
        seen["categories"] += bool(s.categories)
        seen["tiers"] += bool(s.tiers)
        seen["ranking:tie_breakers"] += bool(s.ranking.tie_breakers)
        seen[f"ranking:scope:{s.ranking.scope}"] += 1
        if s.grades is not None:
            seen["grades"] += 1
            seen["grades:quota"] += bool(s.grades.quotas)
        for a in s.awards:
            seen["award:share" if a.share is not None else "award:count"] += 1
            seen[f"award:scope:{a.scope}"] += 1
            seen["award:categories"] += a.categories is not None
            seen[f"award:from_end:{a.from_end}"] += 1
            seen[f"award:on_tie:{a.on_tie}"] += 1
            el = a.eligibility
            seen["award:min_total"] += el is not None and el.min_total is not None
            seen["award:grades"] += el is not None and el.grades is not None

    collect()
    wanted = {f"kind:{k}" for k in testing.RULE_KINDS} | {
        "modifier:on_count", "modifier:requires", "modifier:factor_if:input",
        "modifier:factor_if:categories", "item:from_full", "item:optional", "item:exemptions",
        "item:default", "item:fact", "item:reads", "item:unbounded", "item:structured default",
        "ratio:target", "shortfall:started_steps", "per_missing:required", "per_missing:pair",
        "per_missing:amount", "checklist:fraction", "combine:sum",
        "combine:weighted",
        "combine:highest",
        "group:cap", "group:scale_to", "group:gate", "group:limit", "group:negative floor",
        "group:rescale", "node:subtract", "node:outside_total", "node:applies_to", "node:units",
        "input:flag", "input:count", "input:number", "input:rate", "input:text",
        "input:default", "input:applies_to", "veto:no_award", "veto:score", "veto:grade",
        "veto:grade_cap", "veto:flag", "veto:at_least", "veto:formula", "output:convert",
        "output:convert:weight_input", "output:formula", "categories", "tiers",
        "ranking:tie_breakers", "ranking:scope:tier", "ranking:scope:category", "grades",
        "grades:quota", "award:share", "award:count", "award:scope:tier",
        "award:scope:category", "award:categories", "award:from_end:bottom",
        "award:on_tie:include_all", "award:min_total", "award:grades",
        "population:of", "item:not_applicable_score", "bands:relative_to", "group:requires",
        "veto:applies_to", "statistic:mean", "statistic:median", "statistic:max",
        "statistic:min"}
    assert sorted(w for w in wanted if not seen[w]) == []


@settings(FAST, max_examples=60)
@given(testing.random_scheme_texts(NO_DEFECTS))
def test_every_generated_scheme_validates_and_compiles(text: str) -> None:
    plan = _compile(text)
    assert plan.scheme.score.id == "root"
    assert (plan.kernels is None) == plan.needs_population


@settings(FIXED, max_examples=30)
@given(testing.random_scheme_texts(NO_DEFECTS | {"veto_on_outputs"}))
def test_every_generated_scheme_compiles_with_veto_formulas_on_outputs(text: str) -> None:
    try:
        _compile(text)
    except GovscoreError:
        raise AssertionError("a generated scheme was refused") from None


# ---------------------------------------------------------------------------------------------
# every unit is scored or rejected with a diagnostic


def _scored_or_rejected(plan: Plan, entries: list[dict[str, Any]], valid: int) -> None:
    """evaluate_all never raises, accounts for every entry and scores every valid one;
    evaluate (one unit) returns or raises a GovscoreError."""
    assessment = govscore.evaluate_all(plan, entries)
    assert assessment.submitted == len(entries)
    assert len(assessment.results) + len(assessment.rejected) == len(entries)
    for rejected in assessment.rejected:
        assert rejected.diagnostics, f"{rejected.unit} rejected without a diagnostic"
        assert all(d.code.startswith("GS") for d in rejected.diagnostics)
    by_id = {str(e["id"]): e for e in entries}
    # a valid unit may be rejected only when a group with none_applicable: error has no child
    # that applies to it (recomputed from the scheme and the facts by the referee), or when a
    # statistic it needs has no scored unit of its scope to be taken over (GS510)
    bad = {r.unit for r in assessment.rejected
           if not all((d.code == "GS411" and testing.none_applies(plan, d.message,
                                                                   by_id[r.unit]))
                      or (d.code == "GS510" and testing.no_statistic(
                          plan, d.message, by_id[r.unit], assessment))
                      for d in r.diagnostics)}
    for entry in entries[:valid]:
        assert entry["id"] not in bad, [r for r in assessment.rejected if r.unit == entry["id"]]
    for entry in entries:
        try:
            one = govscore.evaluate(plan, entry)
        except GovscoreError:
            continue
        if not plan.needs_population:
            assert one == assessment.results[entry["id"]]


@st.composite
def _scheme_and_units(draw: st.DrawFn, features: frozenset[str]
                      ) -> tuple[Quiet, list[dict[str, Any]], int]:
    plan = _compile(draw(testing.random_scheme_texts(features)))
    valid = draw(testing.populations(plan, max_size=4, defaults=True))
    wrong = [draw(testing.wrong_units(plan, f"W{i}")) for i in range(draw(st.integers(0, 3)))]
    return Quiet(plan), [*valid, *wrong], len(valid)


@settings(FAST, max_examples=70)
@given(_scheme_and_units(NO_DEFECTS))
def test_every_unit_is_scored_or_rejected_with_a_diagnostic(case: Any) -> None:
    quiet, entries, valid = case
    _scored_or_rejected(quiet.plan, entries, valid)


@settings(FIXED, max_examples=60)
@given(testing.random_scheme_texts(NO_DEFECTS | {"cross_category"}))
def test_cross_category_references_are_refused_with_gs317(text: str) -> None:
    """A modifier, formula, gate, limit, ranking node or output that names an input or node
    only other categories have is a scheme error naming the reader (GS317), never a crash at
    scoring time; a scheme whose draw made no such reference still compiles."""
    try:
        _compile(text)
    except SchemeError as exc:
        codes = {d.code for d in exc.diagnostics if d.severity == "error"}
        assert codes == {"GS317"}, codes


# ---------------------------------------------------------------------------------------------
# the kernel and the interpreter agree


@st.composite
def _kernel_case(draw: st.DrawFn, features: frozenset[str]
                 ) -> tuple[Quiet, list[dict[str, Any]]]:
    plan = _compile(draw(testing.random_scheme_texts(features - {"population_kinds"})))
    entries = [draw(testing.units(plan, f"U{i}", defaults=True)) for i in range(3)]
    entries += [draw(testing.wrong_units(plan, f"W{i}")) for i in range(2)]
    return Quiet(plan), entries


@settings(FAST, max_examples=80)
@given(_kernel_case(NO_DEFECTS - {"population_exempt"}))
def test_kernel_equals_interpreter_on_the_whole_language(case: Any) -> None:
    quiet, entries = case
    for entry in entries:
        assert_same_both_ways(quiet.plan, entry)


def test_kernel_equals_interpreter_takes_the_fast_path() -> None:
    """The agreement above is not vacuous: the kernel does score most valid generated units."""
    taken: list[bool] = []

    @settings(FIXED, max_examples=40)
    @given(_kernel_case(NO_DEFECTS - {"population_exempt"}))
    def check(case: Any) -> None:
        quiet, entries = case
        taken.extend(assert_same_both_ways(quiet.plan, e) for e in entries[:3])

    check()
    assert sum(taken) > len(taken) // 3


@settings(FIXED, max_examples=80)
@given(_kernel_case(NO_DEFECTS - {"population_exempt"}))
def test_kernel_equals_interpreter_with_factor_if_by_input(case: Any) -> None:
    quiet, entries = case
    for entry in entries:
        assert_same_both_ways(quiet.plan, entry)


@settings(FIXED, max_examples=60)
@given(_scheme_and_units(NO_DEFECTS | {"population_exempt"}))
def test_units_are_scored_or_rejected_with_exemptions_on_population_items(case: Any) -> None:
    quiet, entries, valid = case
    _scored_or_rejected(quiet.plan, entries, valid)
