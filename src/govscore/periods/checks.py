"""The scheme checks of the period keys (GS820, GS821): ``rollups``, ``uses`` and ``history``.

Called by :mod:`govscore.scheme.checks` with the other semantic checks, so a scheme whose period
rules name a node that does not exist is invalid like any other, with its file:line:column.
"""

from __future__ import annotations

from collections.abc import Iterator

from govscore.errors import Diagnostic
from govscore.language import model
from govscore.scheme import tree

ORDER = {"month": 1, "quarter": 3, "half_year": 6, "year": 12}
"""Each period grain's length in months (``once`` has none: it cannot be rolled up)."""

COUNT_KINDS = frozenset({"per_occurrence", "per_step"})
"""Item kinds whose fact is a whole count (a carry-over gives them the number of events)."""
LEVEL_KINDS = frozenset({"by_level"})
"""Item kinds whose fact is a list of ``{level, matter}`` (a carry-over gives the events)."""


def sub_periods(scheme_period: str, longer: str) -> int | None:
    """How many of the scheme's periods make one ``longer`` period (12 months in a year);
    None when ``longer`` is not longer or the scheme's period is ``once``."""
    if scheme_period not in ORDER or ORDER[longer] <= ORDER[scheme_period]:
        return None
    return ORDER[longer] // ORDER[scheme_period]


def carry_target(scheme: model.Scheme, fact: str) -> str | None:
    """What a carry-over gives ``fact``: ``count`` or ``levels``; None when it cannot."""
    for inp in scheme.inputs:
        if inp.id == fact:
            return "count" if inp.type == "count" else None
    for ref in tree.index(scheme):
        node = ref.node
        if isinstance(node, model.Item) and (node.fact or node.id) == fact:
            kind = getattr(node.rule, "kind", "")
            if kind in COUNT_KINDS:
                return "count"
            if kind in LEVEL_KINDS:
                return "levels"
    return None


def period_ids(scheme: model.Scheme) -> set[str]:
    """The ids of roll-ups, their awards and history rules (an assumption may name them)."""
    return {r.id for r in scheme.rollups} | {a.id for r in scheme.rollups for a in r.awards} \
        | {h.id for h in scheme.history}


def check(scheme: model.Scheme) -> Iterator[Diagnostic]:
    """Every problem of the scheme's period rules."""
    nodes = {ref.node.id for ref in tree.index(scheme)}
    outputs = {o.id for o in scheme.outputs}
    inputs = {i.id: i for i in scheme.inputs}
    grades = {b.grade for b in scheme.grades.bands} if scheme.grades else set()
    set_by: dict[str, tuple[str | int, ...]] = {}

    def sets(input_id: str, path: tuple[str | int, ...], types: tuple[str, ...]
             ) -> Iterator[Diagnostic]:
        declared = inputs.get(input_id)
        if declared is None:
            yield Diagnostic("GS820", f"no input {input_id!r}: declare it under 'inputs'",
                             path=path)
            return
        if declared.type not in types:
            yield Diagnostic("GS821", f"input {input_id!r} is {declared.type}; this rule sets "
                             f"a {' or '.join(types)} input", path=path)
        if input_id in set_by:
            yield Diagnostic("GS821", f"input {input_id!r} is already set at "
                             f"{'/'.join(map(str, set_by[input_id]))}", path=path)
        set_by[input_id] = path

    yield from _rollups(scheme, nodes | outputs, grades)
    for i, use in enumerate(scheme.uses):
        where = ("uses", i)
        yield from sets(use.input, (*where, "input"), ("number", "count", "rate", "flag"))
        if use.scheme == scheme.id:
            yield Diagnostic("GS823", f"scheme {scheme.id!r} uses its own results; put the "
                             "units that take them in a scheme of their own", path=(*where,
                                                                                    "scheme"))
        if (use.value == "grade") != (use.map is not None):
            yield Diagnostic("GS821", "'map' (grade → number) goes with value: grade, and only "
                             "with it", path=(*where, "map" if use.map is not None else "value"))
        if use.otherwise is not None and use.map is None:
            yield Diagnostic("GS821", "'otherwise' needs 'map'", path=(*where, "otherwise"))
        if use.missing == "mean_of_present" and use.over is None:
            yield Diagnostic("GS821", "missing: mean_of_present needs 'over' (other units to "
                             "take the mean of)", path=(*where, "missing"))
    ids: set[str] = {r.id for r in scheme.rollups}
    for i, rule in enumerate(scheme.history):
        where = ("history", i)
        if rule.id in ids:
            yield Diagnostic("GS821", f"id {rule.id!r} is used twice among rollups and history "
                             "rules", path=(*where, "id"))
        ids.add(rule.id)
        if isinstance(rule, model.Streak):
            if rule.when.award is not None and rule.when.award not in {a.id for a in
                                                                       scheme.awards}:
                yield Diagnostic("GS820", f"no award {rule.when.award!r}",
                                 path=(*where, "when", "award"))
            for j, grade in enumerate(rule.when.grades or []):
                if grade not in grades:
                    yield Diagnostic("GS820", f"no grade {grade!r}; the scheme's grades: "
                                     f"{', '.join(sorted(grades)) or 'none'}",
                                     path=(*where, "when", "grades", j))
        elif isinstance(rule, (model.Lateness, model.CarryOver)):
            if isinstance(rule, model.Lateness) and not 1 <= int(rule.due[5:]) <= 12:  # noqa: PLR2004
                yield Diagnostic("GS821", f"{rule.due!r} is not a month (YYYY-MM)",
                                 path=(*where, "due"))
            target = carry_target(scheme, rule.into)
            if target is None or (target == "levels" and isinstance(rule, model.Lateness)):
                kinds = "per_occurrence or per_step" if isinstance(rule, model.Lateness) \
                    else "per_occurrence, per_step or by_level"
                yield Diagnostic("GS821", f"{rule.into!r} is not a count input or the fact of "
                                 f"a {kinds} item", path=(*where, "into"))
            elif rule.into in set_by:
                yield Diagnostic("GS821", f"{rule.into!r} is already set at "
                                 f"{'/'.join(map(str, set_by[rule.into]))}", path=(*where, "into"))
            set_by[rule.into] = (*where, "into")
        else:
            yield from sets(rule.into, (*where, "into"), ("number",))
            for j, demotion in enumerate(rule.demotions):
                yield from sets(demotion.input, (*where, "demotions", j, "input"), ("flag",))


def _rollups(scheme: model.Scheme, values: set[str], grades: set[str]) -> Iterator[Diagnostic]:
    seen: set[str] = set()
    for i, rollup in enumerate(scheme.rollups):
        where = ("rollups", i)
        if rollup.id in seen:
            yield Diagnostic("GS821", f"roll-up id {rollup.id!r} is used twice",
                             path=(*where, "id"))
        seen.add(rollup.id)
        count = sub_periods(scheme.period, rollup.period)
        if count is None:
            yield Diagnostic("GS821", f"a {rollup.period} roll-up needs a shorter period; the "
                             f"scheme's period is {scheme.period}", path=(*where, "period"))
        elif rollup.best is not None and rollup.best > count:
            yield Diagnostic("GS821", f"best {rollup.best} of {count} periods: at most {count}",
                             path=(*where, "best"))
        if rollup.best is not None and rollup.aggregate in ("last", "min", "max"):
            yield Diagnostic("GS821", f"'best' keeps the highest values for a mean or a sum, "
                             f"not for {rollup.aggregate}", path=(*where, "best"))
        if rollup.value is not None and rollup.value not in values:
            yield Diagnostic("GS820", f"no node or output {rollup.value!r}",
                             path=(*where, "value"))
        known = {b.grade for b in rollup.grades.bands} if rollup.grades else grades
        for j, award in enumerate(rollup.awards):
            for k, grade in enumerate((award.eligibility.grades if award.eligibility else None)
                                      or []):
                if grade not in known:
                    yield Diagnostic("GS820", f"no grade {grade!r} for the roll-up",
                                     path=(*where, "awards", j, "eligibility", "grades", k))
