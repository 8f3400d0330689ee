"""Helpers for the period tests: facts and events files written into a temporary folder."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).resolve().parents[2] / "examples" / "periods"


def write_facts(folder: Path, name: str, period: str,
                units: Mapping[str, Mapping[str, Any]]) -> Path:
    """One period's facts file: ``units`` is unit → facts (an empty mapping: no facts)."""
    path = folder / f"{name}-{period}.yaml"
    doc = {"period": period, "units": [{"id": u, "facts": dict(f)} for u, f in units.items()]}
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def write_events(folder: Path, name: str, rows: Iterable[Mapping[str, str]]) -> Path:
    path = folder / f"{name}.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, ["rule", "unit", "date", "id", "for", "type", "value"])
        writer.writeheader()
        for row in rows:
            writer.writerow(dict(row))
    return path
