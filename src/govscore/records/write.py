"""Derived facts → a facts file govscore reads back (CSV in the wide layout, JSON or YAML), and
their lineage beside it (``FACTS.lineage.json``)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from govscore.errors import UsageError

SUFFIXES = (".csv", ".json", ".yaml", ".yml")


def lineage_path(output: Path) -> Path:
    return output.with_name(output.name + ".lineage.json")


def render(entries: Sequence[dict[str, Any]], period: str, suffix: str) -> bytes:
    """One period's unit entries as a facts file."""
    if suffix == ".csv":
        return _csv(entries)
    document = {"period": period, "units": list(entries)}
    if suffix == ".json":
        return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    if suffix in (".yaml", ".yml"):
        return _yaml(document).encode("utf-8")
    raise UsageError("GS701", f"cannot write facts as {suffix or 'a file without a suffix'}; "
                     f"use {', '.join(SUFFIXES)}")


def _csv(entries: Sequence[dict[str, Any]]) -> bytes:
    columns: list[str] = []
    rows: list[dict[str, Any]] = []
    for entry in entries:
        row: dict[str, Any] = {"id": entry["id"], "category": entry.get("category", "")}
        for fact, value in entry["facts"].items():
            if isinstance(value, dict):
                row.update({f"{fact}.{key}": v for key, v in value.items()})
            else:
                row[fact] = value
        columns.extend(c for c in row if c not in columns)
        rows.append(row)
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _yaml(document: dict[str, Any]) -> str:
    """YAML that govscore's strict reader reads back: every key and text quoted as JSON."""
    lines = [f"period: {json.dumps(document['period'])}", "units:"]
    for entry in document["units"]:
        lines.append(f"  - id: {json.dumps(entry['id'], ensure_ascii=False)}")
        if "category" in entry:
            lines.append(f"    category: {json.dumps(entry['category'], ensure_ascii=False)}")
        lines.append("    facts:")
        for fact, value in entry["facts"].items():
            lines.append(f"      {json.dumps(fact, ensure_ascii=False)}: "
                         f"{json.dumps(value, ensure_ascii=False)}")
    return "\n".join(lines) + "\n"
