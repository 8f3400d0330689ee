"""Checking one unit's facts against what the scheme expects, strictly.

A fact is checked by a :class:`FactSpec` built once per scheme (never per unit). Every problem in a
unit's facts is collected; the unit is rejected with all of them, naming the unit, the fact and the
value. Values come normalised: numbers as ``Decimal`` (ints accepted, binary floats refused), counts
as ``int``.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from govscore.errors import Diagnostic
from govscore.language import model

NOT_APPLICABLE = "not_applicable"
MAX_MAGNITUDE = Decimal("1e15")
"""Facts are numbers below 10^15 in size (the bound formulas use too)."""
MAX_DIGITS = 34
"""…with at most 34 significant digits, the precision every score is computed with. Both bounds
are checked before any conversion, so a fact like 1E+999999 cannot make ``int()`` run for
minutes."""


@dataclass(frozen=True)
class Exempt:
    reason: str
    note: str = ""


@dataclass(frozen=True)
class NotApplicable:
    reason: str


class _Problem(Exception):  # noqa: N818 - internal control flow, never escapes this module
    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


def _show(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 256:  # noqa: PLR2004
        return f"an integer of {value.bit_length()} bits"  # repr() refuses over 4300 digits
    try:
        text = repr(value) if not isinstance(value, Decimal) else str(value)
    except Exception:  # a caller's object whose repr fails is still reported
        text = f"<{type(value).__name__}>"
    return text if len(text) <= 80 else text[:77] + "..."  # noqa: PLR2004


def number(value: Any, what: str = "a number") -> Decimal:
    if isinstance(value, bool):
        raise _Problem("GS403", f"expected {what}, got {_show(value)}")
    if isinstance(value, float):
        raise _Problem("GS403", f"expected {what}, got the binary float {value!r} (pass a "
                       "Decimal, an int or decimal text from a file)")
    if isinstance(value, int):
        if abs(value) >= MAX_MAGNITUDE:
            raise _Problem("GS404", f"expected {what}, got {_show(value)} (facts are below "
                           f"{MAX_MAGNITUDE:.0e})")
        return Decimal(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise _Problem("GS404", f"expected {what}, got {value} (NaN and infinity are refused)")
        if value.adjusted() >= MAX_MAGNITUDE.adjusted() and value != 0:
            raise _Problem("GS404", f"expected {what}, got {_show(value)} (facts are below "
                           f"{MAX_MAGNITUDE:.0e})")
        digits = value.as_tuple().digits
        if len(digits) > MAX_DIGITS and len(digits) - _trailing_zeros(digits) > MAX_DIGITS:
            raise _Problem("GS404", f"expected {what}, got {_show(value)}: more than "
                           f"{MAX_DIGITS} significant digits")
        return value
    raise _Problem("GS403", f"expected {what}, got {_show(value)}")


def _trailing_zeros(digits: tuple[int, ...]) -> int:
    n = 0
    for d in reversed(digits):
        if d:
            break
        n += 1
    return n


def count(value: Any) -> int:
    n = number(value, "a whole number of occurrences")
    if n != n.to_integral_value():
        raise _Problem("GS403", f"expected a whole number, got {n}")
    if n < 0:
        raise _Problem("GS404", f"a count cannot be negative, got {n}")
    return int(n)


def rate(value: Any) -> Decimal:
    r = number(value, "a rate between 0 and 1")
    if not 0 <= r <= 1:
        hint = f" (write {r / 100} for {r}%)" if 1 < r <= 100 else ""  # noqa: PLR2004
        raise _Problem("GS404", f"a rate must be within 0..1, got {r}{hint}")
    return r


def non_negative(value: Any, what: str = "a number >= 0") -> Decimal:
    n = number(value, what)
    if n < 0:
        raise _Problem("GS404", f"expected {what}, got {n}")
    return n


def _mapping(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _Problem("GS403", f"expected {what}, got {_show(value)}")
    return value


def _keys(value: Mapping[str, Any], allowed: list[str] | dict[str, Any], what: str) -> None:
    for key in value:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), list(allowed), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise _Problem("GS403", f"unknown {what} {key!r}; expected one of "
                           f"{', '.join(map(str, allowed))}{hint}")


def check_rule_value(rule: Any, item_max: Decimal, value: Any) -> Any:
    """Check and normalise an item's fact for its rule kind."""
    kind = rule.kind
    if kind == "pass_fail":
        if not isinstance(value, bool):
            raise _Problem("GS403", f"expected true or false, got {_show(value)}")
        return value
    if kind == "manual":
        n = number(value)
        if n == 0 and rule.zero_allowed:
            return n
        if not rule.min <= n <= rule.max:
            zero = "0 or " if rule.zero_allowed else ""
            raise _Problem("GS404", f"expected {zero}a value within {rule.min}..{rule.max}, "
                           f"got {n}")
        if rule.step is not None and (n / rule.step) != (n / rule.step).to_integral_value():
            raise _Problem("GS404", f"expected a multiple of {rule.step}, got {n}")
        return n
    if kind in ("per_occurrence",):
        return count(value)
    if kind == "by_level":
        if isinstance(value, list):
            events = []
            for event in value:
                ev = _mapping(event, "an event {level, matter}")
                _keys(ev, ["level", "matter"], "event key")
                if "level" not in ev or ev["level"] not in rule.levels:
                    raise _Problem("GS403", f"event {_show(event)} needs a level among "
                                   f"{', '.join(rule.levels)}")
                events.append({"level": ev["level"], "matter": ev.get("matter")})
            return events
        counts = _mapping(value, "a mapping level → count, or a list of events")
        _keys(counts, rule.levels, "level")
        return {k: count(v) for k, v in counts.items()}
    if kind == "per_step":
        return non_negative(value, "an amount >= 0")
    if kind == "ratio":
        pair = _mapping(value, "{done: …, target: …}")
        _keys(pair, ["done", "target"], "key")
        if "done" not in pair or "target" not in pair:
            raise _Problem("GS403", f"expected both done and target, got {_show(value)}")
        return {"done": non_negative(pair["done"], "done >= 0"),
                "target": non_negative(pair["target"], "target >= 0")}
    if kind in ("rate", "shortfall"):
        return rate(value)
    if kind == "bands":
        n = rate(value) if rule.rate else number(value)
        if rule.outside is None and band_for(rule.bands, n) is None:
            raise _Problem("GS404", f"{n} lies in none of the item's bands")
        return n
    if kind == "rating":
        votes = _mapping(value, "a mapping level → count")
        _keys(votes, [*rule.values, *rule.excluded], "rating level")
        return {k: count(v) for k, v in votes.items()}
    if kind == "choice":
        if not isinstance(value, str) or value not in rule.options:
            raise _Problem("GS403", f"expected one of {', '.join(rule.options)}, "
                           f"got {_show(value)}")
        return value
    if kind == "checklist":
        ids = [c.id for c in rule.criteria]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise _Problem("GS403", f"expected a list of criterion ids, got {_show(value)}")
        _keys(dict.fromkeys(value), ids, "criterion")
        if len(set(value)) != len(value):
            raise _Problem("GS403", "a criterion is listed twice")
        return list(value)
    if kind == "series":
        if not isinstance(value, list):
            raise _Problem("GS403", f"expected a list of per-period values, got {_show(value)}")
        values = [non_negative(v, "a period value >= 0") for v in value]
        for v in values:
            if v > item_max:
                raise _Problem("GS404", f"a period value {v} is above the item's max {item_max}")
        if rule.periods is not None and len(values) != rule.periods and (
                rule.missing == "error" or len(values) > rule.periods):
            raise _Problem("GS404", f"expected {rule.periods} period values, got {len(values)}")
        if not values:
            raise _Problem("GS404", "expected at least one period value")
        return values
    if kind == "rater_groups":
        groups = _mapping(value, "a mapping group → list of scores")
        _keys(groups, [g.id for g in rule.groups], "rater group")
        out: dict[str, list[Decimal]] = {}
        for gid, scores in groups.items():
            if not isinstance(scores, list):
                raise _Problem("GS403", f"group {gid!r}: expected a list of scores")
            checked = [non_negative(s, "a score >= 0") for s in scores]
            for s in checked:
                if s > rule.scale:
                    raise _Problem("GS404", f"group {gid!r}: score {s} is above the rating "
                                   f"scale {rule.scale}")
            out[gid] = checked
        return out
    if kind in ("relative_to_best",):
        return non_negative(value)
    if kind == "rank_points":
        return number(value)
    msg = f"no fact check for rule kind {kind!r}"  # pragma: no cover - every kind is listed
    raise AssertionError(msg)


def band_for(bands: tuple[model.Band, ...] | list[model.Band], v: Decimal) -> model.Band | None:
    for band in bands:
        if band.gte is not None and v < band.gte:
            continue
        if band.gt is not None and v <= band.gt:
            continue
        if band.lte is not None and v > band.lte:
            continue
        if band.lt is not None and v >= band.lt:
            continue
        return band
    return None


def check_input_value(spec: model.Input, value: Any) -> Any:
    if spec.type == "flag":
        if not isinstance(value, bool):
            raise _Problem("GS403", f"expected true or false, got {_show(value)}")
        return value
    if spec.type == "text":
        if not isinstance(value, str):
            raise _Problem("GS403", f"expected text, got {_show(value)}")
        return value
    n: Decimal = Decimal(count(value)) if spec.type == "count" else (
        rate(value) if spec.type == "rate" else number(value))
    if spec.min is not None and n < spec.min:
        raise _Problem("GS404", f"expected at least {spec.min}, got {n}")
    if spec.max is not None and n > spec.max:
        raise _Problem("GS404", f"expected at most {spec.max}, got {n}")
    return n


@dataclass(frozen=True)
class FactSpec:
    """What one fact name accepts."""

    name: str
    item: model.Item | None = None
    input: model.Input | None = None
    categories: frozenset[str] | None = None
    """Categories whose units have this fact (None: all)."""

    @property
    def default(self) -> Any:
        if self.item is not None:
            return self.item.default
        assert self.input is not None
        return self.input.default

    def check(self, value: Any) -> Any:
        if self.item is not None:
            item = self.item
            if isinstance(value, Mapping) and set(value) & {"not_applicable", "exempt"}:
                return self._special(item, value)
            return check_rule_value(item.rule, item.max, value)
        assert self.input is not None
        return check_input_value(self.input, value)

    def _special(self, item: model.Item, value: Mapping[str, Any]) -> Any:
        if "not_applicable" in value:
            _keys(value, ["not_applicable"], "key")
            if not item.optional:
                raise _Problem("GS408", f"item {item.id!r} is not optional; it cannot be "
                               "marked not applicable")
            return NotApplicable(str(value["not_applicable"]))
        _keys(value, ["exempt", "note"], "key")
        reason = value["exempt"]
        if reason not in item.exemptions:
            allowed = ", ".join(item.exemptions) or "none"
            raise _Problem("GS408", f"exemption {reason!r} is not allowed for {item.id!r} "
                           f"(allowed: {allowed})")
        return Exempt(str(reason), str(value.get("note", "")))


@dataclass
class UnitFacts:
    """One unit's facts after checking."""

    unit: str
    category: str | None
    tier: str | None
    values: dict[str, Any] = field(default_factory=dict)
    defaulted: tuple[str, ...] = ()


def check_unit(unit: str, raw: Any, specs: Mapping[str, FactSpec], category: str | None,
               tier: str | None) -> tuple[UnitFacts, list[Diagnostic]]:
    """Check every fact of one unit; return the normalised facts and every problem."""
    problems: list[Diagnostic] = []
    values: dict[str, Any] = {}
    defaulted: list[str] = []
    if not isinstance(raw, Mapping):
        problems.append(Diagnostic("GS403", f"facts must be a mapping of fact names to values, "
                                   f"got {_show(raw)}", unit=unit, value=raw))
        return UnitFacts(unit, category, tier), problems
    for name, value in raw.items():
        spec = specs.get(name)
        if spec is None:
            close = difflib.get_close_matches(str(name), list(specs), n=1)
            problems.append(Diagnostic("GS401", f"unknown fact {name!r}", unit=unit,
                                       item=str(name), value=value,
                                       hint=f"did you mean {close[0]!r}?" if close else None))
            continue
        if spec.categories is not None and category not in spec.categories:
            problems.append(Diagnostic("GS401", f"fact {name!r} does not apply to category "
                                       f"{category!r}", unit=unit, item=name, value=value))
            continue
        try:
            values[name] = spec.check(value)
        except _Problem as exc:
            problems.append(Diagnostic(exc.code, f"{name}: {exc}", unit=unit, item=name,
                                       value=value))
    for name, spec in specs.items():
        if name in raw or (spec.categories is not None and category not in spec.categories):
            continue
        if spec.default is None:
            problems.append(Diagnostic("GS402", f"missing fact {name!r}", unit=unit, item=name))
            continue
        try:
            values[name] = spec.check(spec.default)
            defaulted.append(name)
        except _Problem as exc:  # pragma: no cover - defaults are checked against the scheme
            problems.append(Diagnostic(exc.code, f"{name} (default): {exc}", unit=unit, item=name))
    return UnitFacts(unit, category, tier, values, tuple(defaulted)), problems


def parse_decimal_text(text: str) -> Decimal:
    """Decimal from text as a spreadsheet or CSV gives it (for the readers)."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise _Problem("GS403", f"not a number: {text!r}") from None
    if not value.is_finite():
        raise _Problem("GS404", f"NaN and infinity are refused: {text!r}")
    return value
