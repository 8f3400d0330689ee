"""An assessment's results and placements kept as columns: a batch scored by the columns keeps
per unit a few numbers (total, category, tier, the entry it came from; rank, grade, award
outcomes) instead of a result object and a placement object. A unit's
:class:`~govscore.engine.results.UnitResult` (a DeferredResult: its nodes and trace worked out
by scoring the unit again on the scalar path) and its Placement are built when the unit is
read — ``assessment.results[u]``, iteration, explain, reports — and kept from then on.

Both mappings behave as the dicts they replace: the same keys in the same (input) order, equal
to the dicts the scalar path gives, and pickled as those dicts.
"""

from __future__ import annotations

from collections.abc import Callable, ItemsView, Iterator, Mapping, Sequence, ValuesView
from decimal import Decimal
from typing import Any

from govscore.engine.population_columns import NO, Placed
from govscore.engine.results import DeferredResult, Placement, UnitResult

Ints = Any


class ColumnResults(Mapping[str, UnitResult]):
    """Scored units in input order: those the scalar path scored kept as objects, the others
    as columns (``total × 10^-exp``, a negative zero as the scalar path writes it)."""

    def __init__(self, ids: Sequence[str], kept: dict[int, UnitResult], total: Ints, exp: Ints,
                 negative_zero: Ints, category: Ints, tier: Ints, categories: Sequence[str],
                 tiers: Sequence[str], entry: Ints, rescore: Callable[[int], UnitResult]
                 ) -> None:
        self.ids = ids
        self.kept = kept
        self.total = total
        self.exp = exp
        self.negative_zero = negative_zero
        self.category = category
        self.tier = tier
        self.categories = categories
        self.tiers = tiers
        self.entry = entry
        self._rescore = rescore
        self._built: dict[int, UnitResult] = {}
        self._index: dict[str, int] | None = None

    def row(self, unit: str) -> int:
        """The row of a unit id (KeyError: not scored). The index is built on first use."""
        index = self._index
        if index is None:
            index = self._index = {u: i for i, u in enumerate(self.ids)}
        return index[unit]

    def at(self, row: int) -> UnitResult:
        """The result of row ``row``."""
        kept = self.kept.get(row)
        if kept is not None:
            return kept
        built = self._built.get(row)
        if built is None:
            total = Decimal(int(self.total[row])).scaleb(-int(self.exp[row]))
            if self.negative_zero[row]:
                total = total.copy_negate()
            c, t = int(self.category[row]), int(self.tier[row])
            built = self._built[row] = DeferredResult.deferred(
                self.ids[row], None if c == NO else self.categories[c],
                None if t == NO else self.tiers[t], total, self._rescore, int(self.entry[row]))
        return built

    def __getitem__(self, unit: str) -> UnitResult:
        return self.at(self.row(unit))

    def every(self) -> list[UnitResult]:
        """Every row's result, in order (those not yet built, built at once)."""
        built = self._built
        kept = self.kept
        if len(built) + len(kept) < len(self.ids):
            todo = [row for row in range(len(self.ids)) if row not in built and row not in kept] \
                if built or kept else range(len(self.ids))
            pick = (lambda column: column) if isinstance(todo, range) else \
                (lambda column: [column[row] for row in todo])
            categories = [None if c == NO else self.categories[c]
                          for c in pick(self.category.tolist())]
            tiers = [None if t == NO else self.tiers[t] for t in pick(self.tier.tolist())]
            totals = [Decimal(t).scaleb(-e) for t, e in zip(
                pick(self.total.tolist()), pick(self.exp.tolist()), strict=True)]
            for k, minus in enumerate(pick(self.negative_zero.tolist())):
                if minus:
                    totals[k] = totals[k].copy_negate()
            made = DeferredResult.deferred_many(pick(self.ids), categories, tiers, totals,
                                                self._rescore, pick(self.entry.tolist()))
            built.update(zip(todo, made, strict=True))
        return [kept[row] if row in kept else built[row] for row in range(len(self.ids))]

    def values(self) -> ValuesView[UnitResult]:
        return _Values(self)

    def items(self) -> ItemsView[str, UnitResult]:
        return _Items(self)

    def __iter__(self) -> Iterator[str]:
        return iter(self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, unit: object) -> bool:
        try:
            self.row(unit)  # type: ignore[arg-type]
        except (KeyError, TypeError):
            return False
        return True

    def __repr__(self) -> str:
        return f"<results of {len(self.ids)} units, kept as columns>"

    def __reduce__(self) -> tuple[Any, ...]:
        return dict, (dict(zip(self.ids, self.every(), strict=True)),)


class _Values(ValuesView[UnitResult]):
    _mapping: ColumnResults

    def __iter__(self) -> Iterator[UnitResult]:
        return iter(self._mapping.every())


class _Items(ItemsView[str, UnitResult]):
    _mapping: ColumnResults

    def __iter__(self) -> Iterator[tuple[str, UnitResult]]:
        return zip(self._mapping.ids, self._mapping.every(), strict=True)


class ColumnPlacements(Mapping[str, Placement]):
    """Each scored unit's Placement, built from the placement columns when read."""

    def __init__(self, placed: Placed, results: ColumnResults) -> None:
        self.placed = placed
        self.results = results
        self._built: dict[int, Placement] = {}

    def at(self, row: int) -> Placement:
        built = self._built.get(row)
        if built is None:
            built = self._built[row] = self.placed.placement(row, self.results.at(row))
        return built

    def __getitem__(self, unit: str) -> Placement:
        return self.at(self.results.row(unit))

    def __iter__(self) -> Iterator[str]:
        return iter(self.results.ids)

    def __len__(self) -> int:
        return len(self.results.ids)

    def __contains__(self, unit: object) -> bool:
        return unit in self.results

    def __repr__(self) -> str:
        return f"<placements of {len(self.results.ids)} units, kept as columns>"

    def __reduce__(self) -> tuple[Any, ...]:
        return dict, ({u: self.at(i) for i, u in enumerate(self.results.ids)},)
