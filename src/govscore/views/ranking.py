"""The order every report lists results in: scopes as the scheme declares them, units by rank."""

from __future__ import annotations

from govscore.engine.plan import Plan
from govscore.engine.results import Assessment


def scope_order(assessment: Assessment, plan: Plan | None) -> list[str]:
    """Scopes in the scheme's order: tiers, then categories, then 'all', then anything else
    (without the plan: by id)."""
    present = {p.scope for p in assessment.placements.values()}
    if plan is None:
        return sorted(present)
    scheme = plan.scheme
    declared = [t.id for t in scheme.tiers] + [c.id for c in scheme.categories] + ["all"]
    ordered = [s for s in declared if s in present]
    return ordered + sorted(present - set(ordered))


def ranked(assessment: Assessment, scope: str) -> list[str]:
    """Units of one scope by rank, then id."""
    return sorted((u for u, p in assessment.placements.items() if p.scope == scope),
                  key=lambda u: (assessment.placements[u].rank, u))
