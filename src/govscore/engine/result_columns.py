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
        self._every: list[UnitResult] | None = None

    def row(self, unit: str) -> int:
        """The row of a unit id (KeyError: not scored). The index is built on first use."""
        index = self._index
        if index is None:
            index = self._index = {u: i for i, u in enumerate(self.ids)}
        return index[unit]

    def at(self, row: int) -> UnitResult:
        """The result of row ``row``."""
        every = self._every
        if every is not None:
            return every[row]
        kept = self.kept.get(row)
        if kept is not None:
            return kept
        built = self._built.get(row)
        if built is None:
            exp = self.exp if isinstance(self.exp, int) else int(self.exp[row])
            total = _decimal(int(self.total[row]), exp, int(self.negative_zero[row]))
            c, t = int(self.category[row]), int(self.tier[row])
            built = self._built[row] = DeferredResult.deferred(
                self.ids[row], None if c == NO else self.categories[c],
                None if t == NO else self.tiers[t], total, self._rescore, int(self.entry[row]))
        return built

    def __getitem__(self, unit: str) -> UnitResult:
        return self.at(self.row(unit))

    def every(self) -> list[UnitResult]:
        """Every row's result, in order (those not yet built, built at once; the same objects
        as :meth:`at` gave before and gives after). Not to be changed by the caller."""
        every = self._every
        if every is not None:
            return every
        n, built, kept = len(self.ids), self._built, self.kept
        todo = [row for row in range(n) if row not in built and row not in kept] \
            if built or kept else None

        def pick(column: Sequence[Any]) -> Sequence[Any]:
            return column if todo is None else [column[row] for row in todo]

        assert NO == -1  # the code NO picks the None after the names
        categories = [*self.categories, None]
        tiers = [*self.tiers, None]
        made = DeferredResult.deferred_many(
            pick(self.ids), list(map(categories.__getitem__, pick(self.category.tolist()))),
            list(map(tiers.__getitem__, pick(self.tier.tolist()))), pick(self._totals()),
            self._rescore, pick(self.entry.tolist()))
        if todo is None:
            done: list[UnitResult] = list(made)
        else:
            built.update(zip(todo, made, strict=True))
            done = [kept[row] if row in kept else built[row] for row in range(n)]
        self._every = done
        self._built = {}
        return done

    def _totals(self) -> list[Decimal]:
        """Every row's total as a Decimal, one Decimal per distinct total and exponent shared
        by the rows that have it (100,000 units have a few thousand totals). The three columns
        as one int64 key where they fit (total × 32 + exponent × 2 + negative zero)."""
        import numpy as np

        total = np.asarray(self.total, dtype=np.int64)
        exp = np.broadcast_to(np.asarray(self.exp, dtype=np.int64), total.shape)
        minus = np.asarray(self.negative_zero, dtype=np.int64)
        wide = 1 << 57  # total × 32 stays within int64
        if not len(total) or int(total.min()) <= -wide or int(total.max()) >= wide \
                or int(exp.min()) < 0 or int(exp.max()) >= 16:  # noqa: PLR2004 - 4 bits
            return [_decimal(t, e, m) for t, e, m in
                    zip(total.tolist(), exp.tolist(), minus.tolist(), strict=True)]
        distinct, where = np.unique(total * 32 + exp * 2 + minus, return_inverse=True)
        made = [_decimal(k >> 5, (k >> 1) & 15, k & 1) for k in distinct.tolist()]
        return list(map(made.__getitem__, where.reshape(-1).tolist()))

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


def _decimal(total: int, exp: int, negative_zero: int) -> Decimal:
    value = Decimal(total).scaleb(-exp)
    return value.copy_negate() if negative_zero else value


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
