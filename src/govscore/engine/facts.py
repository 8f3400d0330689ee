"""Checking one unit's facts against what the scheme expects, strictly.

A fact is checked by a :class:`FactSpec` built once per scheme (never per unit): an item's fact by
its rule kind (:mod:`govscore.rules`), an input's by its type. Every problem in a unit's facts is
collected; the unit is rejected with all of them, naming the unit, the fact and the value. Values
come normalised: numbers as ``Decimal`` (ints accepted, binary floats refused), counts as ``int``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from govscore import rules
from govscore.errors import Diagnostic
from govscore.language import model
from govscore.rules.base import RuleKind
from govscore.rules.values import (
    MAX_DIGITS,
    MAX_MAGNITUDE,
    Exempt,
    FactProblem,
    NotApplicable,
    input_value,
    known_keys,
    show,
)
from govscore.scheme.scopes import named_units
from govscore.textsafe import closest

__all__ = ["MAX_DIGITS", "MAX_MAGNITUDE", "Exempt", "FactProblem", "FactSpec", "NotApplicable",
           "UnitFacts", "check_unit"]


@dataclass(frozen=True)
class FactSpec:
    """What one fact name accepts."""

    name: str
    item: model.Item | None = None
    input: model.Input | None = None
    categories: frozenset[str] | None = None
    """Categories whose units have this fact (None: all)."""
    readers: tuple[model.Item, ...] = ()
    """Other items that read this item's fact (``reads``): the value must satisfy their rules'
    checks too, and they receive the value as the item's own rule checked it."""
    units: frozenset[str] | None = None
    """The named units whose item this is (its own and its groups' ``units``; None: every unit
    of its categories)."""

    @property
    def node(self) -> str | None:
        """The id of the item whose fact this is (None for an input)."""
        return self.item.id if self.item is not None else None

    def applies(self, category: str | None, unit: str | None = None) -> bool:
        """Whether units of a category (and, when given, the unit of that name) have this
        fact."""
        return (self.categories is None or category in self.categories) and (
            unit is None or self.units is None or unit in self.units)

    @property
    def default(self) -> Any:
        if self.item is not None:
            return self.item.default
        assert self.input is not None
        return self.input.default

    @cached_property
    def kind(self) -> RuleKind[Any]:
        """The item's rule kind, looked up once per scheme (not once per unit)."""
        assert self.item is not None
        return rules.of(self.item)

    def check(self, value: Any) -> Any:
        if self.item is not None:
            item = self.item
            if isinstance(value, Mapping) and set(value) & {"not_applicable", "exempt"}:
                return self._special(item, value)
            checked = self.kind.check(item.rule, item, value)
            for reader in self.readers:
                try:
                    rules.of(reader).check(reader.rule, reader, value)
                except FactProblem as exc:
                    raise FactProblem(exc.code, f"{exc} (as item {reader.id!r} reads it)") \
                        from None
            return checked
        assert self.input is not None
        return input_value(self.input, value)

    def _special(self, item: model.Item, value: Mapping[str, Any]) -> Any:
        if "not_applicable" in value:
            known_keys(value, ["not_applicable"], "key")
            if not item.optional:
                raise FactProblem("GS408", f"item {item.id!r} is not optional; it cannot be "
                               "marked not applicable")
            return NotApplicable(str(value["not_applicable"]))
        known_keys(value, ["exempt", "note"], "key")
        reason = value["exempt"]
        if reason not in item.exemptions:
            allowed = ", ".join(item.exemptions) or "none"
            raise FactProblem("GS408", f"exemption {reason!r} is not allowed for {item.id!r} "
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
                                   f"got {show(raw)}", unit=unit, value=raw))
        return UnitFacts(unit, category, tier), problems
    for name, value in raw.items():
        spec = specs.get(name)
        if spec is None:
            close = closest(str(name), specs)
            problems.append(Diagnostic("GS401", f"unknown fact {name!r}", unit=unit,
                                       item=str(name), value=value,
                                       hint=f"did you mean {close!r}?" if close else None))
            continue
        if spec.categories is not None and category not in spec.categories:
            problems.append(Diagnostic("GS401", f"fact {name!r} does not apply to category "
                                       f"{category!r}", unit=unit, item=name, value=value))
            continue
        if not spec.applies(category, unit):
            problems.append(Diagnostic("GS401", f"fact {name!r} does not apply to this unit: "
                                       f"its item is for {named_units(spec.units)} only",
                                       unit=unit, item=name, value=value))
            continue
        try:
            values[name] = spec.check(value)
        except FactProblem as exc:
            problems.append(Diagnostic(exc.code, f"{name}: {exc}", unit=unit, item=name,
                                       value=value))
    for name, spec in specs.items():
        if name in raw or not spec.applies(category, unit):
            continue
        if spec.default is None:
            problems.append(Diagnostic("GS402", f"missing fact {name!r}", unit=unit, item=name))
            continue
        try:
            values[name] = spec.check(spec.default)
            defaulted.append(name)
        except FactProblem as exc:  # pragma: no cover - defaults are checked against the scheme
            problems.append(Diagnostic(exc.code, f"{name} (default): {exc}", unit=unit, item=name))
    return UnitFacts(unit, category, tier, values, tuple(defaulted)), problems

