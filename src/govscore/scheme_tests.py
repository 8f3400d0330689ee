"""Scheme tests: YAML files of cases (facts in, expected totals, node values, flags, ranks and
awards out), run by ``govscore test`` and collected by pytest (``*.test.yaml``).

Only the keys a case gives under ``expect`` are compared; numbers are compared exactly unless the
case (or file) sets ``tolerance``. See docs/reference/facts-and-tests.md.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from govscore import api
from govscore.engine.plan import Plan
from govscore.engine.results import Assessment
from govscore.errors import Diagnostic, GovscoreError, SchemeError, Span
from govscore.language import yaml_reader
from govscore.scheme import loader

MAX_TEST_BYTES = 50_000_000
"""A scheme test file larger than this is refused (GS106): it holds facts, so it may be larger
than a scheme."""

_CASE_KEYS = {"name", "units", "expect", "rejected", "tolerance", "note"}
_EXPECT_KEYS = {"total", "computed_total", "nodes", "grade", "rank", "awards", "undecided",
                "eligible", "vetoes", "outputs", "exemptions"}


@dataclass
class CaseOutcome:
    file: str
    name: str
    line: int
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


def _num(value: Any) -> Decimal | None:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    return None


def _close(actual: Decimal, expected: Any, tolerance: Decimal) -> bool:
    exp = _num(expected)
    return exp is not None and abs(actual - exp) <= tolerance


def read_test_file(path: Path) -> tuple[yaml_reader.Document, Plan]:
    """Parse a test file and compile the scheme it names; raise GovscoreError if impossible."""
    raw = loader.read_source(path, MAX_TEST_BYTES)
    try:
        doc = yaml_reader.parse(yaml_reader.decode(raw, str(path), max_bytes=MAX_TEST_BYTES),
                                str(path))
    except yaml_reader.YamlError as exc:
        raise SchemeError(exc.diagnostics, f"{path}: the test file is invalid") from None
    problems = list(doc.problems)
    data = doc.data
    if not isinstance(data, dict) or "scheme" not in data or "cases" not in data:
        problems.append(Diagnostic("GS602", "a test file is a mapping with 'scheme' and 'cases'",
                                   span=Span(str(path), 1, 1)))
    elif not isinstance(data["cases"], list) or not isinstance(data["scheme"], str):
        problems.append(Diagnostic("GS602", "'scheme' is a path and 'cases' a list",
                                   span=doc.span(("cases",))))
    else:
        extra = set(data) - {"scheme", "cases", "tolerance", "note"}
        for key in sorted(extra):
            problems.append(Diagnostic("GS602", f"unknown key {key!r} in a test file",
                                       span=doc.span((key,), key=True)))
    if problems:
        raise SchemeError(problems, f"{path}: the test file is invalid")
    plan = api.compile(path.parent / data["scheme"])
    return doc, plan


def run_file(path: str | Path) -> list[CaseOutcome]:
    """Run every case of one test file."""
    p = Path(path)
    doc, plan = read_test_file(p)
    file_tolerance = _num(doc.data.get("tolerance")) or Decimal(0)
    outcomes = []
    for index, case in enumerate(doc.data["cases"]):
        span = doc.span(("cases", index))
        line = span.line if span else 0
        if not isinstance(case, dict):
            outcomes.append(CaseOutcome(str(p), f"case {index + 1}", line,
                                        ["a case is a mapping"]))
            continue
        name = str(case.get("name", f"case {index + 1}"))
        outcome = CaseOutcome(str(p), name, line)
        outcome.failures.extend(run_case(plan, case, file_tolerance))
        outcomes.append(outcome)
    return outcomes


def run_case(plan: Plan, case: Mapping[str, Any], file_tolerance: Decimal) -> list[str]:
    failures: list[str] = []
    for key in set(case) - _CASE_KEYS:
        failures.append(f"unknown case key {key!r}")
    tolerance = _num(case.get("tolerance")) or file_tolerance
    units = case.get("units") or []
    assessment = api.evaluate_all(plan, units)
    expected_rejected: Mapping[str, Any] = case.get("rejected") or {}
    actual_rejected = {r.unit: sorted({d.code for d in r.diagnostics})
                       for r in assessment.rejected}
    for unit, codes in expected_rejected.items():
        if unit not in actual_rejected:
            failures.append(f"{unit}: expected to be rejected with {codes}, but it was scored")
        elif sorted(set(codes)) != actual_rejected[unit]:
            failures.append(f"{unit}: rejected with {actual_rejected[unit]}, expected "
                            f"{sorted(set(codes))}")
    for unit in actual_rejected:
        if unit not in expected_rejected:
            detail = "; ".join(str(d) for r in assessment.rejected if r.unit == unit
                               for d in r.diagnostics)
            failures.append(f"{unit}: unexpectedly rejected: {detail}")
    for unit, expect in (case.get("expect") or {}).items():
        failures.extend(_compare(assessment, str(unit), expect, tolerance))
    return failures


def _compare(assessment: Assessment, unit: str, expect: Any, tolerance: Decimal) -> Iterator[str]:
    if not isinstance(expect, dict):
        yield f"{unit}: expectations must be a mapping"
        return
    for key in set(expect) - _EXPECT_KEYS:
        yield f"{unit}: unknown expectation {key!r} (expected one of {sorted(_EXPECT_KEYS)})"
    result = assessment.results.get(unit)
    if result is None:
        yield f"{unit}: not scored"
        return
    placement = assessment.placements.get(unit)
    for key in ("total", "computed_total"):
        if key in expect and not _close(getattr(result, key), expect[key], tolerance):
            yield f"{unit}: {key} is {getattr(result, key)}, expected {expect[key]}"
    for node_id, value in (expect.get("nodes") or {}).items():
        node = result.nodes.get(node_id)
        if node is None:
            yield f"{unit}: no node {node_id!r} in the result"
        elif not _close(node.value, value, tolerance):
            yield f"{unit}: node {node_id} is {node.value}, expected {value}"
    for out_id, value in (expect.get("outputs") or {}).items():
        actual = result.outputs.get(out_id)
        if actual is None or not _close(actual, value, tolerance):
            yield f"{unit}: output {out_id} is {actual}, expected {value}"
    if "eligible" in expect and result.eligible != expect["eligible"]:
        yield (f"{unit}: eligible is {result.eligible}, expected {expect['eligible']}"
               + (f" ({'; '.join(result.ineligible)})" if result.ineligible else ""))
    if "vetoes" in expect and sorted(result.vetoes) != sorted(expect["vetoes"] or []):
        yield f"{unit}: vetoes {list(result.vetoes)}, expected {expect['vetoes']}"
    if "exemptions" in expect and sorted(result.exemptions) != sorted(expect["exemptions"] or []):
        yield f"{unit}: exemptions {sorted(result.exemptions)}, expected {expect['exemptions']}"
    if placement is not None:
        if "rank" in expect and _num(expect["rank"]) != placement.rank:
            yield f"{unit}: rank is {placement.rank}, expected {expect['rank']}"
        if "grade" in expect and placement.grade != expect["grade"]:
            yield f"{unit}: grade is {placement.grade}, expected {expect['grade']}"
        for key in ("awards", "undecided"):
            if key in expect and sorted(getattr(placement, key)) != sorted(expect[key] or []):
                yield f"{unit}: {key} {list(getattr(placement, key))}, expected {expect[key]}"


def find_test_files(paths: list[str]) -> list[Path]:
    out: list[Path] = []
    for name in paths:
        p = Path(name)
        if p.is_dir():
            out.extend(sorted(p.rglob("*.test.yaml")))
        else:
            out.append(p)
    return out


def run_paths(paths: list[str]) -> tuple[list[CaseOutcome], list[GovscoreError]]:
    outcomes: list[CaseOutcome] = []
    errors: list[GovscoreError] = []
    for path in find_test_files(paths):
        try:
            outcomes.extend(run_file(path))
        except GovscoreError as exc:
            errors.append(exc)
    return outcomes, errors
