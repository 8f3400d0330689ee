"""The reference workload: synthetic units and the evaluators that are not govscore.

The scheme is ``reference.yaml`` (20 items): 8 basic items scored ``rate × max`` rounded half-up to
2 places; 7 bonus items at 0.5 per occurrence, each capped (2..5), the bonus group capped at 20;
5 deduction items at 2 or 3 per occurrence (item max 30); deductions limited to the bonus;
total = basic + bonus − deductions. Every evaluator here computes exactly that.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REFERENCE_YAML = HERE / "reference.yaml"
REFERENCE_JDM = HERE / "reference.jdm.json"

BASIC: tuple[tuple[str, Decimal], ...] = tuple(
    (f"b{i}", Decimal(m)) for i, m in
    enumerate(("10", "10", "9.5", "8.5", "7.5", "6.5", "5.5", "2.5"), 1))
BONUS: tuple[tuple[str, Decimal], ...] = tuple(
    (f"p{i}", Decimal(c)) for i, c in enumerate((2, 2, 3, 3, 4, 5, 5), 1))
DEDUCTIONS: tuple[tuple[str, Decimal], ...] = tuple(
    (f"d{i}", Decimal(p)) for i, p in enumerate((2, 3, 2, 3, 2), 1))
BONUS_PER = Decimal("0.5")
BONUS_CAP = Decimal(20)
DEDUCTION_ITEM_MAX = Decimal(30)
CENT = Decimal("0.01")
ZERO = Decimal(0)


def make_units(n: int, seed: int = 20240607) -> list[dict[str, Any]]:
    """``n`` units in the shape govscore takes: ``{id, facts}``; rates are Decimals with 3
    places, counts are ints. Deductions are mostly 0, so the bonus cap, the item caps and the
    deduction limit each bind on a fair share of the units."""
    rng = random.Random(seed)
    units = []
    for k in range(n):
        facts: dict[str, Any] = {}
        for name, _ in BASIC:
            facts[name] = Decimal(rng.randint(0, 1000)).scaleb(-3)
        for name, _ in BONUS:
            facts[name] = rng.choice((0, 0, 1, 2, 3, 4, 5, 6, 8, 10, 12))
        for name, _ in DEDUCTIONS:
            facts[name] = rng.choice((0, 0, 0, 0, 1, 1, 2, 3, 5))
        units.append({"id": f"u{k:06d}", "facts": facts})
    return units


# ---------------------------------------------------------------------------------------------
# the baseline: what a careful person writes by hand, in Decimal


def baseline_decimal(f: dict[str, Any]) -> Decimal:
    """One unit's total, by hand, with Decimal (the baseline every ratio is measured against)."""
    basic = ZERO
    for name, top in BASIC:
        basic += (f[name] * top).quantize(CENT, rounding=ROUND_HALF_UP)
    bonus = ZERO
    for name, cap in BONUS:
        bonus += min(f[name] * BONUS_PER, cap)
    bonus = min(bonus, BONUS_CAP)
    deductions = ZERO
    for name, per in DEDUCTIONS:
        deductions += min(f[name] * per, DEDUCTION_ITEM_MAX)
    deductions = min(deductions, bonus)
    return (basic + bonus - deductions).quantize(CENT, rounding=ROUND_HALF_UP)


# ---------------------------------------------------------------------------------------------
# the same with binary floats

BASIC_F = tuple((n, float(m)) for n, m in BASIC)
BONUS_F = tuple((n, float(c)) for n, c in BONUS)
DEDUCTIONS_F = tuple((n, float(p)) for n, p in DEDUCTIONS)


def _half_up_2(x: float) -> float:
    # half-up to cents with a guard for binary representation error (0.835 × 10 = 8.349999…)
    return math.floor(x * 100 + 0.5 + 1e-9) / 100


def float_careful(f: dict[str, float]) -> float:
    """The baseline in floats, with a guarded half-up rounding of each item."""
    basic = 0.0
    for name, top in BASIC_F:
        basic += _half_up_2(f[name] * top)
    bonus = 0.0
    for name, cap in BONUS_F:
        bonus += min(f[name] * 0.5, cap)
    bonus = min(bonus, 20.0)
    deductions = 0.0
    for name, per in DEDUCTIONS_F:
        deductions += min(f[name] * per, 30.0)
    deductions = min(deductions, bonus)
    return basic + bonus - deductions


def float_naive(f: dict[str, float]) -> float:
    """The float version most people write first: ``round(x, 2)`` per item (not reported as an
    evaluator; only its disagreements are counted)."""
    basic = sum(round(f[name] * top, 2) for name, top in BASIC_F)
    bonus = min(sum(min(f[name] * 0.5, cap) for name, cap in BONUS_F), 20.0)
    deductions = min(sum(min(f[name] * per, 30.0) for name, per in DEDUCTIONS_F), bonus)
    return basic + bonus - deductions


def to_floats(units: Sequence[dict[str, Any]]) -> list[dict[str, float]]:
    return [{k: float(v) for k, v in u["facts"].items()} for u in units]


def cents(x: float) -> Decimal:
    """A float result to the cent, for the comparison (half-up on its shortest repr)."""
    return Decimal(repr(x)).quantize(CENT, rounding=ROUND_HALF_UP)


# ---------------------------------------------------------------------------------------------
# simpleeval: formulas parsed once, evaluated in Decimal


def simpleeval_formulas() -> list[tuple[str, str]]:
    """(name, formula) in evaluation order. Decimal constants are names (simpleeval would parse
    ``9.5`` as a float)."""
    out = [(f"i_{n}", f"q({n} * m_{n})") for n, _ in BASIC]
    out += [(f"i_{n}", f"min({n} * half, cap_{n})") for n, _ in BONUS]
    out += [(f"i_{n}", f"min({n} * per_{n}, 30)") for n, _ in DEDUCTIONS]
    out += [
        ("basic", " + ".join(f"i_{n}" for n, _ in BASIC)),
        ("bonus", "min(" + " + ".join(f"i_{n}" for n, _ in BONUS) + ", 20)"),
        ("deductions", "min(" + " + ".join(f"i_{n}" for n, _ in DEDUCTIONS) + ", bonus)"),
        ("total", "q(basic + bonus - deductions)"),
    ]
    return out


def simpleeval_evaluator() -> Callable[[dict[str, Any]], Decimal]:
    """Parse every formula once; return a function scoring one unit's facts."""
    from simpleeval import SimpleEval

    def q(x: Decimal) -> Decimal:
        return x.quantize(CENT, rounding=ROUND_HALF_UP)

    constants: dict[str, Any] = {"half": BONUS_PER}
    constants.update({f"m_{n}": m for n, m in BASIC})
    constants.update({f"cap_{n}": c for n, c in BONUS})
    constants.update({f"per_{n}": p for n, p in DEDUCTIONS})
    evaluator = SimpleEval(functions={"q": q, "min": min}, names={})
    parsed = [(name, text, evaluator.parse(text)) for name, text in simpleeval_formulas()]

    def score(f: dict[str, Any]) -> Decimal:
        env = dict(constants)
        env.update(f)
        evaluator.names = env
        for name, text, tree in parsed:
            env[name] = evaluator.eval(text, previously_parsed=tree)
        return Decimal(env["total"])

    return score


# ---------------------------------------------------------------------------------------------
# zen-engine


def zen_contexts(units: Sequence[dict[str, Any]]) -> list[str]:
    """Each unit's facts as JSON text with the decimals written exactly (zen reads numbers as
    rust_decimal, so '0.835' stays 0.835)."""
    out = []
    for u in units:
        parts = [f'"{k}":{v}' for k, v in u["facts"].items()]
        out.append("{" + ",".join(parts) + "}")
    return out


def zen_dicts(units: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each unit's facts as a dict of floats and ints (zen's Python binding refuses Decimal)."""
    return [{k: (float(v) if isinstance(v, Decimal) else v) for k, v in u["facts"].items()}
            for u in units]


def load_jdm() -> dict[str, Any]:
    return json.loads(REFERENCE_JDM.read_text(encoding="utf-8"))  # type: ignore[no-any-return]
