"""Every in-scope pattern of patterns.md Part B (1–45 except 27, 33, 35, 44, 45) has a scheme in
tests/patterns/ (``pNN-*.yaml``) with hand-worked scheme tests beside it, is listed in the
README's coverage table, and every pattern scheme is valid with no diagnostics at all."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import govscore

PATTERNS = Path(__file__).parent / "patterns"
OUT_OF_SCOPE = {27, 33, 35, 44, 45}
IN_SCOPE = [n for n in range(1, 46) if n not in OUT_OF_SCOPE]


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


@pytest.mark.parametrize("number", IN_SCOPE)
def test_pattern_is_in_the_readme_table(number: int) -> None:
    readme = (PATTERNS / "README.md").read_text(encoding="utf-8")
    rows = {int(m.group(1)) for m in re.finditer(r"^\| *(\d+) *\|", readme, re.MULTILINE)}
    assert number in rows, f"pattern {number} is missing from tests/patterns/README.md"


@pytest.mark.parametrize(
    "scheme", [p for p in sorted(PATTERNS.glob("p*.yaml")) if not p.name.endswith(".test.yaml")],
    ids=lambda p: p.name)
def test_pattern_scheme_is_clean(scheme: Path) -> None:
    assert [str(d) for d in govscore.check_file(scheme)] == []
