"""Scheme → Plan, once: the lowered scheme (:mod:`govscore.engine.lowering`) and, for plans that
do not score against the whole population, a generated kernel per category
(:mod:`govscore.engine.kernel`). Evaluation never walks the pydantic tree or parses a formula
again."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from govscore.engine import kernel, lowering
from govscore.engine.lowering import CONTEXT, ZERO, Lowered
from govscore.scheme.loader import LoadedScheme

__all__ = ["CONTEXT", "ZERO", "Plan", "compile_plan"]


@dataclass(frozen=True)
class Plan(Lowered):
    """A compiled scheme: compile once, evaluate many units."""

    kernels: dict[str | None, kernel.Kernel] | None = field(default=None, compare=False,
                                                             repr=False)
    """category → the generated kernel that scores plain facts fast; None for plans scored
    against the whole population (their units go through the interpreter's two phases)."""
    column_cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """The columnar programs, built on first use (a plan that never scores a large batch never
    builds them)."""

    def columns(self) -> dict[str | None, Any] | None:
        """category → its columnar program (engine/columnar.py) for the categories the columns
        take; None without numpy (the optional extra ``columns``) or for a scheme the columns
        do not take."""
        if "programs" not in self.column_cache:
            try:
                from govscore.engine import columnar  # numpy: an optional extra
            except ImportError:
                self.column_cache["programs"] = None
            else:
                self.column_cache["programs"] = columnar.programs(self)
        programs: dict[str | None, Any] | None = self.column_cache["programs"]
        return programs


def compile_plan(loaded: LoadedScheme) -> Plan:
    """Compile a valid scheme into a plan."""
    fields: dict[str, Any] = lowering.lower(loaded)
    lowered = Lowered(**fields)
    return Plan(**fields, kernels=kernel.build(lowered))
