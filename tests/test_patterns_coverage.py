"""Every pattern of patterns.md Part B (1–45) is held: patterns of one period's arithmetic by a
scheme in tests/patterns/ (``pNN-*.yaml``) with hand-worked scheme tests beside it; the patterns
of time and records (27, 33, 35, 44, 45), which need several periods, other schemes' results or
raw records, by the named hand-worked tests in tests/periods/ and tests/records/. Each is listed
in the README's coverage table, and every pattern scheme is valid with no diagnostics at all."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import govscore

PATTERNS = Path(__file__).parent / "patterns"
ROOT = Path(__file__).parent
HELD_ELSEWHERE = {
    27: ["periods/test_hall_year.py::test_a_streak_breaks_on_a_missing_month",
         "periods/test_history.py::test_streak_breaks_on_a_month_absent_from_the_run"],
    33: ["records/test_records_derive.py::test_rectification_due_on_a_friday_before_a_holiday",
         "records/test_records_derive.py::test_open_overdue_needs_an_as_of_day"],
    35: ["periods/test_uses.py::test_leader_is_the_mean_of_overseen_units_one_rejected",
         "periods/test_uses.py::test_split_of_a_shared_deduction_and_grade_bonus"],
    44: ["periods/test_history.py::test_award_carried_to_the_next_year_exactly_once",
         "periods/test_hall_year.py::test_every_month_is_scored_with_its_carry_over"],
    45: ["periods/test_history.py::test_ledger_caps_expiry_and_demotion",
         "periods/test_history.py::test_ledger_expiry_frees_the_balance_not_the_cap"],
}
"""Patterns held by tests of several periods or of raw records, by the tests that hold them."""
IN_SCOPE = [n for n in range(1, 46) if n not in HELD_ELSEWHERE]


@pytest.mark.parametrize("number", sorted(HELD_ELSEWHERE))
def test_time_and_records_patterns_are_held_by_named_tests(number: int) -> None:
    for test in HELD_ELSEWHERE[number]:
        file, name = test.split("::")
        source = (ROOT / file).read_text(encoding="utf-8")
        assert re.search(rf"^def {name}\(", source, re.MULTILINE), f"pattern {number}: no {test}"


def _schemes(number: int) -> list[Path]:
    return [p for p in sorted(PATTERNS.glob(f"p{number:02d}-*.yaml"))
            if not p.name.endswith(".test.yaml")]


@pytest.mark.parametrize("number", IN_SCOPE)
def test_pattern_has_a_scheme_and_tests(number: int) -> None:
    schemes = _schemes(number)
    assert schemes, f"pattern {number}: no tests/patterns/p{number:02d}-*.yaml"
    for scheme in schemes:
        test_file = scheme.with_name(scheme.name.removesuffix(".yaml") + ".test.yaml")
        assert test_file.exists(), f"{scheme.name}: no scheme tests ({test_file.name})"


@pytest.mark.parametrize("number", range(1, 46))
def test_pattern_is_in_the_readme_table(number: int) -> None:
    readme = (PATTERNS / "README.md").read_text(encoding="utf-8")
    rows = {int(m.group(1)) for m in re.finditer(r"^\| *(\d+) *\|", readme, re.MULTILINE)}
    assert number in rows, f"pattern {number} is missing from tests/patterns/README.md"


@pytest.mark.parametrize(
    "scheme", [p for p in sorted(PATTERNS.glob("p*.yaml")) if not p.name.endswith(".test.yaml")],
    ids=lambda p: p.name)
def test_pattern_scheme_is_clean(scheme: Path) -> None:
    assert [str(d) for d in govscore.check_file(scheme)] == []
