"""Several facts sources → one list of units.

Facts for one assessment often come from several offices (S4: each assessor fills its own sheet).
Entries for the same unit id are merged; two sources giving different values for the same unit and
fact is an error naming both sources (GS410).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from govscore.errors import Diagnostic, FactsFileError


def read_table(path: Path) -> list[Any]:
    raise FactsFileError([Diagnostic("GS409", f"{path}: CSV and Excel facts are not supported "
                                     "yet; use YAML or JSON")])


def merge_sources(sources: Sequence[tuple[str, list[Any]]]) -> list[Any]:
    """Merge unit entries from several sources. A single source is returned unchanged (so its
    duplicate ids are reported by the evaluation, unit by unit)."""
    if len(sources) == 1:
        return list(sources[0][1])
    merged: dict[str, dict[str, Any]] = {}
    origin: dict[tuple[str, str], str] = {}
    passthrough: list[Any] = []
    problems: list[Diagnostic] = []
    for name, units in sources:
        ids = [e.get("id") for e in units if isinstance(e, Mapping)]
        for unit in sorted({i for i in ids if isinstance(i, str) and ids.count(i) > 1}):
            problems.append(Diagnostic("GS405", f"unit id {unit!r} appears {ids.count(unit)} "
                                       f"times in {name}", unit=unit))
        for entry in units:
            if not isinstance(entry, Mapping) or not isinstance(entry.get("id"), str):
                passthrough.append(entry)
                continue
            unit = entry["id"]
            target = merged.setdefault(unit, {"id": unit, "facts": {}})
            for key in ("category", "tier", "title"):
                if key in entry:
                    if key in target and target[key] != entry[key]:
                        problems.append(_conflict(unit, key, target[key], entry[key],
                                                  origin[(unit, "#" + key)], name))
                    target[key] = entry[key]
                    origin[(unit, "#" + key)] = name
            facts = entry.get("facts", {})
            if not isinstance(facts, Mapping):
                passthrough.append(entry)
                continue
            for fact, value in facts.items():
                if fact in target["facts"] and target["facts"][fact] != value:
                    problems.append(_conflict(unit, fact, target["facts"][fact], value,
                                              origin[(unit, fact)], name))
                    continue
                target["facts"][fact] = value
                origin[(unit, fact)] = name
            for key in set(entry) - {"id", "category", "tier", "title", "facts"}:
                target[key] = entry[key]  # unknown keys are reported by the evaluation
    if problems:
        raise FactsFileError(problems, "the facts sources disagree")
    return [*merged.values(), *passthrough]


def _conflict(unit: str, fact: str, first: Any, second: Any, first_source: str,
              second_source: str) -> Diagnostic:
    return Diagnostic("GS410", f"{fact}: {first_source} gives {first!s}, {second_source} gives "
                      f"{second!s}", unit=unit, item=fact)
