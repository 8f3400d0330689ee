"""Several facts files read as one batch, remembering where each unit and fact came from, so that
a problem found later (by the evaluation) can be said the way a person finds it in the sheet:
``省委组织部.xlsx, sheet 评分表, cell C5 (key_tasks_party: 重点任务落实情况 0–10 分)``.

And when a whole assessor's sheet is missing from a merge (the facts of one office absent for
every unit), :func:`missing_by_assessor` says so in one line per assessor instead of one "missing
fact" line per unit and fact.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govscore.engine.plan import Plan
from govscore.engine.results import Rejected
from govscore.errors import Diagnostic
from govscore.inputs import readers, tables
from govscore.inputs.template import assessor_of

MIN_SUMMARISED = 3
"""An assessor's missing facts are summarised in one line from this many on."""


@dataclass(frozen=True)
class Sources:
    """The merged unit entries of several facts files, and each file as read."""

    units: list[Any]
    files: tuple[tuple[str, readers.FactsFile], ...]

    def where(self, unit: str | None, fact: str | None = None) -> str | None:
        """Where a unit (and one of its facts) is in the files read, or None (not from a
        sheet). A fact is looked for in the file that has its column; a duplicated id names
        the rows it is in."""
        if unit is None:
            return None
        found: list[str] = []
        for name, read in self.files:
            table = read.table
            if table is None or unit not in table.rows_of:
                continue
            if unit in table.repeated or (fact is not None and fact in table.columns):
                return f"{name}, {table.where(unit, fact)}"
            found.append(f"{name}, {table.where(unit)}")
        return "; ".join(found[:3]) or None

    def locate(self, diagnostic: Diagnostic) -> str:
        """A diagnostic of a unit as a line, with where its unit and fact are in the sheets."""
        place = self.where(diagnostic.unit, diagnostic.item if diagnostic.code != "GS405"
                           else None)
        return f"{diagnostic} [{place}]" if place else str(diagnostic)


def read_sources(paths: Sequence[str | Path],
                 on_guess: Callable[[str], object] | None = None) -> Sources:
    """Read and merge facts files (as :func:`govscore.api.read_facts`), keeping each file's
    table for :meth:`Sources.where`."""
    files: list[tuple[str, readers.FactsFile]] = []
    for path in paths:
        read = readers.load_facts(path)
        if read.guessed and on_guess is not None:
            on_guess(str(path))
        files.append((str(path), read))
    units = tables.merge_sources([(name, read.units) for name, read in files])
    return Sources(units, tuple(files))


@dataclass(frozen=True)
class MissingSheet:
    """The facts one assessor supplies, missing for several units: likely a sheet not given."""

    assessor: str
    units: tuple[str, ...]
    facts: tuple[str, ...]

    def __str__(self) -> str:
        units = ", ".join(self.units[:8]) + (" …" if len(self.units) > 8 else "")  # noqa: PLR2004
        facts = ", ".join(self.facts[:8]) + (" …" if len(self.facts) > 8 else "")  # noqa: PLR2004
        return (f"GS402 {len(self.units)} unit(s) lack the {len(self.facts)} fact(s) "
                f"{self.assessor} supplies ({facts}) — is {self.assessor}'s sheet missing? "
                f"Units: {units}")


def missing_by_assessor(plan: Plan, rejected: Iterable[Rejected]
                        ) -> tuple[list[MissingSheet], set[tuple[str, str]]]:
    """The assessors whose facts are missing (GS402) at least :data:`MIN_SUMMARISED` times,
    each as one :class:`MissingSheet`; and the (unit, fact) pairs those cover, whose own lines
    a caller may leave out."""
    by_assessor: dict[str, list[tuple[str, str]]] = {}
    for r in rejected:
        for d in r.diagnostics:
            spec = plan.specs.get(d.item) if d.code == "GS402" and d.item else None
            who = assessor_of(spec) if spec is not None else None
            if who:
                by_assessor.setdefault(who, []).append((r.unit, str(d.item)))
    sheets: list[MissingSheet] = []
    covered: set[tuple[str, str]] = set()
    for who, pairs in by_assessor.items():
        if len(pairs) < MIN_SUMMARISED:
            continue
        units = tuple(dict.fromkeys(u for u, _ in pairs))
        facts = tuple(dict.fromkeys(f for _, f in pairs))
        sheets.append(MissingSheet(who, units, facts))
        covered.update(pairs)
    return sheets, covered
