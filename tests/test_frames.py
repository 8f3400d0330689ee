"""Facts straight from a DataFrame (govscore.read_frame, govscore.score_frame): pandas, Polars,
DuckDB and pyarrow, each skipped with a reason when it is not installed (the dev extra has all).

What must hold: exact decimals (Decimal, decimal128, text and whole-number columns), binary float
columns refused with the column named and how to read it as text or decimals, missing values as
facts not given, and the diagnostics of read_facts for the same table written as a CSV file.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import govscore
from govscore.errors import FactsFileError, UsageError
from tests.helpers import plan_from

ROOT = Path(__file__).resolve().parents[1]
S3 = ROOT / "schemes" / "s3-chengdu.yaml"
S3_FACTS = ROOT / "examples" / "s3-chengdu.facts.yaml"

TWO_ITEMS = """
    - {id: a, title: 甲项, max: 5, rule: {kind: manual, min: 0, max: 5}}
    - {id: b, title: 乙项, max: 5, rule: {kind: manual, min: 0, max: 5}}
"""


def _wide_rows(units: list[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    """The facts of a facts file as a wide table: one column per fact, fact.key for mappings (a
    level a unit does not list is written 0: a table cannot say {}, and 0 counts score as none)."""
    keys: dict[str, list[str]] = {}
    for unit in units:
        for fact, value in unit["facts"].items():
            if isinstance(value, dict):
                keys.setdefault(fact, [])
                keys[fact] += [k for k in value if k not in keys[fact]]
    columns: list[str] = ["id"]
    rows = []
    for unit in units:
        row: dict[str, Any] = {"id": unit["id"]}
        for fact, value in unit["facts"].items():
            if isinstance(value, dict):
                row.update({f"{fact}.{key}": value.get(key, 0) for key in keys[fact]})
            else:
                row[fact] = value
        columns += [c for c in row if c not in columns]
        rows.append(row)
    return columns, [[row.get(c) for c in columns] for row in rows]


def _s3_expectations(assessment: govscore.Assessment) -> None:
    """The hand-worked figures of examples/s3-chengdu.facts.yaml (worked in full in
    tests/test_service.py): 高新区 70 + 23.5 − 5 = 88.5, first in 第一圈 with its one 优秀 place;
    锦江区 70 + 20 − 2 = 88, second; 龙泉驿区 and 温江区 83.5 each, tied for 第二圈's one place."""
    results, placements = assessment.results, assessment.placements
    assert (assessment.submitted, len(results)) == (20, 20)
    assert results["高新区"].total == Decimal("88.5")
    assert placements["高新区"].awards == ("excellent",)
    assert results["锦江区"].total == Decimal(88)
    assert placements["锦江区"].rank == 2
    assert results["龙泉驿区"].total == results["温江区"].total == Decimal("83.5")
    assert [sorted(t.undecided) for t in assessment.ties] == [["温江区", "龙泉驿区"]]


def _csv_twin(tmp_path: Path, columns: list[str], rows: list[list[Any]], name: str = "t.csv") -> Path:
    """The same table as a CSV file (empty cell for None)."""
    lines = [",".join(columns)] + [",".join("" if v is None else str(v) for v in row)
                                   for row in rows]
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------------------
# pandas


def test_pandas_scores_the_s3_example_with_the_hand_worked_figures():
    pd = pytest.importorskip("pandas", reason="pandas is not installed (pip install pandas)")
    columns, rows = _wide_rows(govscore.read_facts(S3_FACTS))
    frame = pd.DataFrame(rows, columns=columns)  # Decimal and bool cells: object columns
    plan = govscore.compile(S3)
    assessment = govscore.score_frame(plan, frame)
    assert (assessment.submitted, len(assessment.rejected)) == (20, 0)
    _s3_expectations(assessment)
    # the same result as the facts file gives
    from_file = govscore.evaluate_all(plan, govscore.read_facts(S3_FACTS))
    assert {u: r.total for u, r in assessment.results.items()} == \
        {u: r.total for u, r in from_file.results.items()}


def test_pandas_keeps_exact_decimals_from_every_exact_column_type(tmp_path):
    pd = pytest.importorskip("pandas", reason="pandas is not installed (pip install pandas)")
    pa = pytest.importorskip("pyarrow", reason="pyarrow is not installed (pip install pyarrow)")
    frame = pd.DataFrame({
        "id": ["U1", "U2", "U3", "U4"],
        # 2.675 is 2.67499999999999982… as a double: half up to 2 places it must give 2.68, not 2.67
        "a": pd.array([Decimal("2.675"), Decimal("1.005"), None, Decimal(5)],
                      dtype=pd.ArrowDtype(pa.decimal128(6, 3))),
        "b": ["0.125", "3", "4.5", None],  # text, as pd.read_csv(dtype=str) gives
    })
    units = govscore.read_frame(frame)
    assert units == [
        {"id": "U1", "facts": {"a": Decimal("2.675"), "b": Decimal("0.125")}},
        {"id": "U2", "facts": {"a": Decimal("1.005"), "b": Decimal(3)}},
        {"id": "U3", "facts": {"b": Decimal("4.5")}},  # the missing decimal: no fact a
        {"id": "U4", "facts": {"a": Decimal("5.000")}},  # the missing text: no fact b
    ]
    plan = plan_from(TWO_ITEMS)
    assessment = govscore.evaluate_all(plan, units[:2])
    # U1: 2.675 → 2.68 and 0.125 → 0.13 (half up, 2 places); 2.68 + 0.13 = 2.81
    assert assessment.results["U1"].nodes["a"].value == Decimal("2.68")
    assert assessment.results["U1"].total == Decimal("2.81")
    # U2: 1.005 → 1.01 (a double 1.00499999… would give 1.00); 1.01 + 3 = 4.01
    assert assessment.results["U2"].total == Decimal("4.01")
    # whole-number columns, nullable too
    ints = pd.DataFrame({"id": ["U1", "U2"], "a": [3, 4], "b": pd.array([2, None], dtype="Int64")})
    assert govscore.read_frame(ints) == [{"id": "U1", "facts": {"a": Decimal(3), "b": Decimal(2)}},
                                         {"id": "U2", "facts": {"a": Decimal(4)}}]


def test_pandas_float_columns_are_refused_naming_each_column():
    pd = pytest.importorskip("pandas", reason="pandas is not installed (pip install pandas)")
    frame = pd.DataFrame({"id": ["U1", "U2"], "a": [3.5, 4.0], "b": [1, 2], "c": [0.1, None]})
    with pytest.raises(FactsFileError) as exc:
        govscore.read_frame(frame, name="考核表")
    problems = exc.value.diagnostics
    assert [(d.code, d.item, d.span.column) for d in problems] == [("GS409", "a", 2),
                                                                   ("GS409", "c", 4)]
    message = problems[0].message
    assert message.startswith("column B (a) holds binary floating-point numbers (float64)")
    assert "pd.read_csv(path, dtype={'a': str})" in message
    assert str(problems[0].span) == "考核表:1:2"
    # a float hiding in an object column is refused too
    mixed = pd.DataFrame({"id": ["U1", "U2"], "a": [Decimal(1), 2.5]}, dtype=object)
    with pytest.raises(FactsFileError, match=r"column B \(a\) holds binary floating-point"):
        govscore.read_frame(mixed)


def test_pandas_gives_the_diagnostics_of_the_same_csv(tmp_path):
    pd = pytest.importorskip("pandas", reason="pandas is not installed (pip install pandas)")
    columns = ["id", "a", "b", "tier"]
    rows = [["U1", "3", "#N/A", None], ["", "1", "2", None], ["U3", "abc", "2", "x"],
            ["U4", "2024-01-01", "98.5%", None]]
    path = _csv_twin(tmp_path, columns, rows)
    with pytest.raises(FactsFileError) as from_csv:
        govscore.read_facts(path)
    frame = pd.DataFrame(rows, columns=columns, dtype="string")
    with pytest.raises(FactsFileError) as from_frame:
        govscore.read_frame(frame, name=str(path))
    assert [str(d) for d in from_frame.value.diagnostics] == \
        [str(d) for d in from_csv.value.diagnostics]
    assert from_csv.value.diagnostics  # the table has problems (#N/A, a row with no id)
    # and a good table reads the same as its CSV
    good = [["U1", "3", "4", None], ["U2", "98.5%", "是", "t1"]]
    assert govscore.read_frame(pd.DataFrame(good, columns=columns)) == \
        govscore.read_facts(_csv_twin(tmp_path, columns, good, "good.csv"))


def test_pandas_a_named_index_and_the_long_layout():
    pd = pytest.importorskip("pandas", reason="pandas is not installed (pip install pandas)")
    indexed = pd.DataFrame({"id": ["U1"], "a": [3], "b": [4]}).set_index("id")
    assert govscore.read_frame(indexed) == [{"id": "U1", "facts": {"a": Decimal(3), "b": Decimal(4)}}]
    long = pd.DataFrame({"unit": ["U1", "U1", "U2"], "fact": ["a", "b", "a"],
                         "value": ["1.5", "2", "5"]})
    assert govscore.read_frame(long) == [
        {"id": "U1", "facts": {"a": Decimal("1.5"), "b": Decimal(2)}},
        {"id": "U2", "facts": {"a": Decimal(5)}}]


# ------------------------------------------------------------------------------------------------
# Polars


def test_polars_dataframe_and_lazyframe():
    pl = pytest.importorskip("polars", reason="Polars is not installed (pip install polars)")
    frame = pl.DataFrame({"id": ["U1", "U2"], "a": [Decimal("2.675"), None], "b": [4, 1]},
                         schema={"id": pl.String, "a": pl.Decimal(6, 3), "b": pl.Int64})
    expected = [{"id": "U1", "facts": {"a": Decimal("2.675"), "b": Decimal(4)}},
                {"id": "U2", "facts": {"b": Decimal(1)}}]
    assert govscore.read_frame(frame) == expected
    assert govscore.read_frame(frame.lazy()) == expected
    assessment = govscore.score_frame(plan_from(TWO_ITEMS), frame)
    assert assessment.results["U1"].total == Decimal("6.68")  # 2.675 → 2.68 (half up); + 4
    assert [d.code for r in assessment.rejected for d in r.diagnostics] == ["GS402"]  # U2: no a


def test_polars_float_columns_are_refused_with_how_to_read_them():
    pl = pytest.importorskip("polars", reason="Polars is not installed (pip install polars)")
    frame = pl.DataFrame({"id": ["U1"], "a": [2.5], "b": [1]})
    with pytest.raises(FactsFileError) as exc:
        govscore.read_frame(frame)
    [problem] = exc.value.diagnostics
    assert problem.message.startswith("column B (a) holds binary floating-point numbers (Float64)")
    assert "schema_overrides={'a': pl.Decimal(scale=4)}" in problem.message


def test_polars_scores_the_s3_example_read_as_text(tmp_path):
    pl = pytest.importorskip("polars", reason="Polars is not installed (pip install polars)")
    columns, rows = _wide_rows(govscore.read_facts(S3_FACTS))
    path = _csv_twin(tmp_path, columns, rows, "s3.csv")
    frame = pl.read_csv(path, infer_schema=False)  # every column as text: exact
    _s3_expectations(govscore.score_frame(govscore.compile(S3), frame))


# ------------------------------------------------------------------------------------------------
# DuckDB


def test_duckdb_relations_with_decimal_columns(tmp_path):
    duckdb = pytest.importorskip("duckdb", reason="DuckDB is not installed (pip install duckdb)")
    relation = duckdb.sql("SELECT * FROM (VALUES ('U1', 2.675::DECIMAL(6,3), 4), "
                          "('U2', NULL, 1)) AS t(id, a, b)")
    assert govscore.read_frame(relation) == [
        {"id": "U1", "facts": {"a": Decimal("2.675"), "b": Decimal(4)}},
        {"id": "U2", "facts": {"b": Decimal(1)}}]
    # a CSV read by DuckDB: its numbers are DOUBLE unless told otherwise, and refused
    columns, rows = _wide_rows(govscore.read_facts(S3_FACTS))
    path = _csv_twin(tmp_path, columns, rows, "s3.csv")
    with pytest.raises(FactsFileError) as exc:
        govscore.read_frame(duckdb.sql(f"SELECT * FROM read_csv('{path}')"))
    assert any("(DOUBLE)" in d.message and "all_varchar = true" in d.message
               for d in exc.value.diagnostics)
    # read as text, it scores exactly
    relation = duckdb.sql(f"SELECT * FROM read_csv('{path}', all_varchar = true)")
    _s3_expectations(govscore.score_frame(govscore.compile(S3), relation))


# ------------------------------------------------------------------------------------------------
# pyarrow, and what is not a frame


def test_pyarrow_tables():
    pa = pytest.importorskip("pyarrow", reason="pyarrow is not installed (pip install pyarrow)")
    table = pa.table({"id": ["U1"], "a": pa.array([Decimal("1.005")], pa.decimal128(5, 3)),
                      "b": pa.array([2], pa.int32())})
    assert govscore.read_frame(table) == [{"id": "U1", "facts": {"a": Decimal("1.005"),
                                                                 "b": Decimal(2)}}]
    floats = pa.table({"id": ["U1"], "a": pa.array([1.5], pa.float64())})
    with pytest.raises(FactsFileError, match=r"\(double\).*pa\.decimal128"):
        govscore.read_frame(floats)


def test_something_that_is_not_a_frame_is_a_usage_error():
    with pytest.raises(UsageError, match="give a pandas or Polars DataFrame"):
        govscore.read_frame([{"id": "U1"}])
