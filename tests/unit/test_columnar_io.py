"""Wide CSV facts read straight into columns and scores written from them (inputs/columns.py,
api.score_csv): the same totals and ranks as reading the file the usual way and evaluate_all,
with pyarrow and with the csv module; odd cells (a percentage, spaces, 是/否, a negative zero)
are read by the table reader's own rule and their units scored the scalar way."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest

pytest.importorskip("numpy")

import govscore
from govscore import api
from govscore.inputs import columns
from tests.helpers import plan_from

D = Decimal

# 工作: manual 0..10; 加分: 0.5 per occurrence, at most 2; 基础: rate × 7.5; a flag input
# 整改 halves 工作.
SCHEME = """
- {id: work, title: 工作, max: 10, rule: {kind: manual, min: 0, max: 10},
   modifiers: [{kind: factor_if, input: fix, factor: 0.5}]}
- {id: p, title: 加分, max: 2, rule: {kind: per_occurrence, per: 0.5}}
- {id: base, title: 基础, max: 7.5, rule: {kind: rate}}
"""
EXTRA = """
inputs:
  - {id: fix, title: 整改, type: flag}
"""

ROWS = [
    ["id", "work", "p", "base", "fix"],
    ["A", "9", "3", "0.999", "true"],    # 9 × 0.5 + 1.5 + 7.4925 → 7.49: 4.5 + 1.5 + 7.49 = 13.49
    ["B", "8", "5", "0.333", "否"],      # 8 + 2 (capped from 2.5) + 2.4975 → 2.50 = 12.50
    ["C", " 6 ", "1", "98%", "FALSE"],   # 6 + 0.5 + 7.5 × 0.98 = 7.35: 13.85 (98% read as 0.98)
    ["D", "4.5", "0", "0.006", "是"],    # 2.25 + 0 + 0.045 → 0.05 = 2.30
    ["E", "-0", "0", "0.5", "false"],    # −0 is read as it is written, the scalar way: 0 + 0 + 3.75
    ["F", "11", "0", "0.5", "false"],    # 11 is above 工作's max: rejected (GS404)
]
EXPECTED = {"A": ("13.49", 2), "B": ("12.50", 3), "C": ("13.85", 1), "D": ("2.30", 5),
            "E": ("3.75", 4), "F": ("", 0)}


def _write(path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows(ROWS)


@pytest.mark.parametrize("arrow", [True, False], ids=["pyarrow", "csv-module"])
def test_csv_to_csv_through_the_columns(tmp_path: Path, arrow: bool,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    if arrow:
        pytest.importorskip("pyarrow")
    else:
        monkeypatch.setattr(columns, "arrow_ready", lambda: False)
    plan = plan_from(SCHEME, extra=EXTRA)
    source, target = tmp_path / "facts.csv", tmp_path / "scores.csv"
    _write(source)
    summary = api.score_csv(plan, source, target)
    assert summary is not None
    assert summary["units"] == 6
    assert summary["by_columns"] == 3  # A, B, D; C (98%, spaces) and E (−0) the scalar way
    assert summary["scalar"] == 2
    assert list(summary["rejected"]) == ["F"]
    with target.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    got = {r["unit"]: (r["total"], int(r["rank"])) for r in rows}
    assert got == EXPECTED
    # the usual way gives the same totals and ranks
    assessment = govscore.evaluate_all(plan, api.read_facts(source))
    usual = {u: (str(r.total), assessment.placements[u].rank)
             for u, r in assessment.results.items()}
    assert usual == {u: v for u, v in EXPECTED.items() if u != "F"}


def test_files_the_columns_do_not_read_are_left_to_the_usual_reader(tmp_path: Path) -> None:
    """A numeric id, a comment row, an unknown column, duplicate ids: None (read it the usual
    way, which says what is wrong)."""
    plan = plan_from(SCHEME, extra=EXTRA)
    for change in (lambda r: r.__setitem__(1, ["123", *r[1][1:]]),
                   lambda r: r.insert(1, ["# comment", "", "", "", ""]),
                   lambda r: r[0].__setitem__(4, "nope"),
                   lambda r: r.__setitem__(2, ["A", *r[2][1:]])):
        rows = [list(r) for r in ROWS]
        change(rows)
        source = tmp_path / "facts.csv"
        with source.open("w", encoding="utf-8", newline="") as out:
            csv.writer(out).writerows(rows)
        assert api.score_csv(plan, source, tmp_path / "out.csv") is None


def test_fixed_point_text() -> None:
    """Scaled integers at 2 places: 1349 → 13.49, −5 → -0.05, 0 → 0.00, 7 at 0 places → 7."""
    assert columns.fixed_point([1349, -5, 0, 100], 2) == ["13.49", "-0.05", "0.00", "1.00"]
    assert columns.fixed_point([7], 0) == ["7"]
