"""The differential harness of tests/property/test_bulk_files.py widened to what the columns now
take: random schemes of the whole language *with* outputs (conversions by a constant weight or
a weight input, formulas over the total, nodes, inputs, params and earlier outputs) and vetoes on
outputs, written through the columns (govscore.bulk) as CSV and Parquet — the same bytes as the
usual way's files. The run counts what it exercised, so that a scheme feature the columns stop
taking turns the test red instead of leaving the equality vacuous."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("numpy")
pytest.importorskip("pyarrow")

from govscore import api, bulk, testing
from govscore.errors import FactsFileError, GovscoreError

from .test_bulk_files import wide_csv

FEATURES = testing.SAFE_FEATURES - {"population_kinds", "population_exempt",
                                    "population_values"}


@st.composite
def schemes(draw: st.DrawFn) -> Any:
    """Random schemes with whatever outputs and vetoes they drew (None: does not compile)."""
    mapping = draw(testing.random_scheme_mappings(FEATURES))
    try:
        return api.compile(api.load(text=testing.scheme_text(mapping), name="random.yaml"))
    except GovscoreError:
        return None


def same_files(plan: Any, entries: list[dict[str, Any]], folder: Path) -> int | None:
    """The columns' .csv and .parquet equal the usual way's; how many units the columns
    scored themselves (None: not written by the columns: a unit rejected, the file or the
    scheme not taken)."""
    text = wide_csv(entries)
    if text is None:
        return None
    facts = folder / "facts.csv"
    facts.write_text(text, encoding="utf-8")
    try:
        read = api.read_facts(facts)
    except FactsFileError:
        return None
    assessment = api.evaluate_all(plan, read)
    if assessment.rejected:  # the usual way's Parquet of a REJECTED row is another matter
        return None
    by_columns: int | None = None
    for suffix in (".csv", ".parquet"):
        usual, columns = folder / f"usual{suffix}", folder / f"columns{suffix}"
        columns.unlink(missing_ok=True)
        api.write_report(assessment, plan, usual)
        summary = bulk.score_file(plan, facts, columns)
        if summary is None:
            assert by_columns is None, "the columns took the .csv but not the .parquet"
            return None
        assert columns.read_bytes() == usual.read_bytes(), suffix
        by_columns = summary.by_columns
    return by_columns


def _features(plan: Any) -> set[str]:
    scheme = plan.scheme
    seen = set()
    if scheme.outputs:
        seen.add("outputs")
    if any(o.weight_input for o in scheme.outputs):
        seen.add("weight_input")
    if any(o.kind == "formula" for o in scheme.outputs):
        seen.add("formula_output")
    if any(v.when.formula is not None and any(o.id in v.when.formula for o in scheme.outputs)
           for v in scheme.vetoes):
        seen.add("veto_on_outputs")
    return seen


def test_random_schemes_with_outputs_write_the_same_files(tmp_path: Path) -> None:
    exercised: dict[str, int] = {}

    @settings(max_examples=70, deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(st.data())
    def check(data: st.DataObject) -> None:
        plan = data.draw(schemes())
        if plan is None:
            return
        drawn = data.draw(testing.populations(plan, min_size=3, max_size=14, defaults=True))
        # units without a wide form (text, lists, exemptions) left out: more files are taken
        entries = [e for e in drawn if wide_csv([e]) is not None]
        if len(entries) < 2:
            return
        by_columns = same_files(plan, entries, tmp_path)
        if by_columns:  # written, and some units scored by the columns themselves
            for feature in {"taken", *_features(plan)}:
                exercised[feature] = exercised.get(feature, 0) + 1

    check()
    # counts when this was written: 6 files with units scored by the columns, all with
    # formula outputs and vetoes on them (S1's weight input: tests/unit/test_column_scope.py)
    assert exercised.get("taken", 0) >= 5, exercised
    assert exercised.get("formula_output", 0) >= 5, exercised
