"""Synthetic units for any compiled scheme, generated from the plan's fact specs (fixed seed).

Every fact is drawn inside what its rule kind or input accepts, so every unit passes the facts
check; vetoes' flags are rarely set. Categories and tiers are drawn from the scheme's.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from govscore.engine.facts import FactSpec
from govscore.engine.plan import Plan
from govscore.language import model

_INF = Decimal(1000)


def _dec(rng: random.Random, lo: Decimal, hi: Decimal, places: int = 2) -> Decimal:
    q = Decimal(1).scaleb(-places)
    lo_i = int((lo / q).to_integral_value(rounding="ROUND_CEILING"))
    hi_i = int((hi / q).to_integral_value(rounding="ROUND_FLOOR"))
    return (Decimal(rng.randint(lo_i, max(lo_i, hi_i))) * q).normalize()


def _count(rng: random.Random) -> int:
    return rng.choice((0, 0, 0, 1, 1, 2, 3, 5))


def _rule_value(rng: random.Random, item: model.Item) -> Any:
    rule = item.rule
    kind = rule.kind
    if isinstance(rule, model.PassFail):
        return rng.random() < 0.9
    if isinstance(rule, model.Manual):
        if rule.zero_allowed and rng.random() < 0.3:
            return Decimal(0)
        if rule.step is not None:
            steps = int((rule.max - rule.min) / rule.step)
            return rule.min + rule.step * rng.randint(0, steps)
        return _dec(rng, rule.min, rule.max)
    if kind == "per_occurrence":
        return _count(rng)
    if isinstance(rule, model.ByLevel):
        return {level: _count(rng) for level in rule.levels}
    if kind == "per_step":
        return _dec(rng, Decimal(0), Decimal(500))
    if kind == "ratio":
        target = Decimal(rng.randint(0, 100))
        return {"done": Decimal(rng.randint(0, 120)), "target": target}
    if kind in ("rate", "shortfall"):
        return _dec(rng, Decimal(0), Decimal(1), 3)
    if isinstance(rule, model.Bands):
        band = rng.choice(rule.bands)
        lo = band.gte if band.gte is not None else (band.gt if band.gt is not None else None)
        hi = band.lte if band.lte is not None else (band.lt if band.lt is not None else None)
        lo = lo if lo is not None else (Decimal(0) if rule.rate else -_INF)
        hi = hi if hi is not None else (Decimal(1) if rule.rate else lo + _INF)
        mid = ((lo + hi) / 2).quantize(Decimal("0.001"))
        return mid
    if isinstance(rule, model.Rating):
        return {level: rng.randint(0, 30) for level in rule.values} | \
            {level: rng.randint(0, 2) for level in rule.excluded}
    if isinstance(rule, model.Choice):
        return rng.choice(list(rule.options))
    if isinstance(rule, model.Checklist):
        return [c.id for c in rule.criteria if rng.random() < 0.7]
    if isinstance(rule, model.Series):
        n = rule.periods or 12
        return [_dec(rng, Decimal(0), item.max) for _ in range(n)]
    if isinstance(rule, model.RaterGroups):
        return {g.id: [_dec(rng, Decimal(0), rule.scale, 1) for _ in range(rng.randint(1, 5))]
                for g in rule.groups}
    if kind in ("relative_to_best", "rank_points"):
        return _dec(rng, Decimal(0), Decimal(100))
    msg = f"no generator for rule kind {kind!r}"
    raise AssertionError(msg)


def _input_value(rng: random.Random, inp: model.Input) -> Any:
    if inp.type == "flag":
        return rng.random() < 0.02
    if inp.type == "text":
        return "synthetic"
    lo = inp.min if inp.min is not None else Decimal(0)
    if inp.type == "count":
        hi = inp.max if inp.max is not None else lo + 3
        return rng.choice([int(lo)] * 3 + list(range(int(lo), int(hi) + 1)))
    if inp.type == "rate":
        return _dec(rng, max(lo, Decimal(0)), min(inp.max or Decimal(1), Decimal(1)), 3)
    hi = inp.max if inp.max is not None else lo + 100
    return _dec(rng, lo, hi)


def _value(rng: random.Random, spec: FactSpec) -> Any:
    if spec.item is not None:
        return _rule_value(rng, spec.item)
    assert spec.input is not None
    return _input_value(rng, spec.input)


def make_units(plan: Plan, n: int, seed: int = 7) -> list[dict[str, Any]]:
    """``n`` units ``{id, category?, tier?, facts}`` that the plan accepts."""
    rng = random.Random(seed)
    scheme = plan.scheme
    categories = [c.id for c in scheme.categories]
    tiers = [t.id for t in scheme.tiers]
    units = []
    for k in range(n):
        entry: dict[str, Any] = {"id": f"syn{k:06d}"}
        category = rng.choice(categories) if categories else None
        if category is not None:
            entry["category"] = category
        if tiers:
            entry["tier"] = rng.choice(tiers)
        entry["facts"] = {
            name: _value(rng, spec) for name, spec in plan.specs.items()
            if spec.categories is None or category in spec.categories}
        units.append(entry)
    return units
