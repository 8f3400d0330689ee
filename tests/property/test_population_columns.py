"""The population steps over columns (engine/population_columns.py) against population.place,
the scalar steps they replace: every Placement (ranks, grades, reasons, undecided ties) and
every award decision equal, on random schemes over the whole language with ranking, grade
quotas, awards, eligibility and ties (testing.random_schemes)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

import govscore
from govscore import api, testing
from govscore.engine import population, population_columns
from govscore.engine.plan import Plan

DIFFERENTIAL = settings(deadline=None, suppress_health_check=list(HealthCheck), database=None,
                        phases=[Phase.explicit, Phase.generate], max_examples=150)


@st.composite
def assessments(draw: st.DrawFn) -> tuple[Any, list[dict[str, Any]]]:
    text = draw(testing.random_scheme_texts(testing.SAFE_FEATURES))
    note(text)
    plan = govscore.compile(govscore.load(text=text, name="random.yaml"))
    units = draw(testing.populations(plan, min_size=1, max_size=10, defaults=True))
    # ties are the interesting case: copy some units' facts onto others
    for _ in range(draw(st.integers(0, 3))):
        if len(units) > 1:
            src, dst = draw(st.permutations(range(len(units))))[:2]
            units[dst] = {**units[src], "id": units[dst]["id"]}
    return Shown(plan), units


class Shown:
    def __init__(self, plan: Plan) -> None:
        self.plan = plan

    def __repr__(self) -> str:
        return "<the plan of the scheme noted above>"


def both_ways(plan: Plan, units: list[dict[str, Any]]) -> tuple[Any, Any]:
    assessment = api._evaluate_all(plan, units, columns=False)  # the scalar path
    facts = {}
    for entry in units:
        checked, _ = api.prepare(plan, entry)
        if checked is not None:
            facts[checked.unit] = checked
    scalar = population.place(plan, assessment.results, facts)
    columns = population_columns.place_results(plan, assessment.results, facts)
    return scalar, columns


@DIFFERENTIAL
@given(assessments())
def test_placement_over_columns_equals_population_place(case: Any) -> None:
    shown, units = case
    scalar, columns = both_ways(shown.plan, units)
    assert columns[1] == scalar[1]  # every AwardScope: winners, undecided, open places
    assert columns[0] == scalar[0]  # every Placement, reasons and all
    assert [list(p.reasons) for p in columns[0].values()] == \
        [list(p.reasons) for p in scalar[0].values()]  # the reasons in the same order
