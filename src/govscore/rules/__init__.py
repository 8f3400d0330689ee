"""Rule kinds, one home each: every kind of ``language.model.Rule`` registered by its ``kind``
with everything about it (fact check, arithmetic for both back ends, semantic checks, template
cells, property-test strategy). See :mod:`govscore.rules.base`."""

from __future__ import annotations

from typing import Any

from govscore.language import model
from govscore.rules.base import RuleKind
from govscore.rules.formula import Formula
from govscore.rules.missing import PerMissing
from govscore.rules.population import RankPoints, RelativeToBest
from govscore.rules.signed import Signed
from govscore.rules.simple import Manual, PassFail, PerOccurrence, PerStep, Rate, Shortfall
from govscore.rules.structured import (
    Bands,
    ByLevel,
    Checklist,
    Choice,
    RaterGroups,
    Rating,
    Ratio,
    Series,
)
from govscore.rules.table import Table

KINDS: dict[str, RuleKind[Any]] = {
    k.kind: k for k in (
        PassFail(), Manual(), PerOccurrence(), ByLevel(), PerStep(), Ratio(), Rate(), Shortfall(),
        PerMissing(), Bands(), Rating(), Choice(), Checklist(), Series(), RaterGroups(),
        RelativeToBest(), RankPoints(), Signed(), Table(), Formula())
}
"""kind → its rule kind."""


def of(item: model.Item) -> RuleKind[Any]:
    """The rule kind of an item."""
    return KINDS[item.rule.kind]


POPULATION_KINDS = frozenset(k for k, v in KINDS.items() if v.population)

__all__ = ["KINDS", "POPULATION_KINDS", "RuleKind", "of"]
