"""Facts from a DataFrame: a pandas or Polars DataFrame, a Polars LazyFrame, a DuckDB relation or
a pyarrow Table, read as a facts table (:mod:`govscore.inputs.tables`) is read: the same layouts
(wide: ``id``, ``category``, ``tier``, ``title``, one column per fact or ``fact.key``; long:
``unit, fact, value``), the same cell rules and the same GS409 diagnostics, naming the column.

Exact decimals only. A column may hold decimals (Python ``Decimal``, Arrow ``decimal128``, Polars
``Decimal``, DuckDB ``DECIMAL``), whole numbers, text (``"98.5"``, ``"98.5%"``, ``是``/``否``) or
flags. A column of **binary floating-point numbers** (float64, Float32, DOUBLE …) is refused, every
such column named, with how to read it as text or decimals instead: a double does not hold the
decimal that was written (0.1 is 0.1000000000000000055…), and a score must not depend on how a
library printed it. A missing value (None, NaN, ``pd.NA``, null) is a fact not given, as an empty
cell is.

The libraries are not imported here: a frame is recognised by the module its type comes from, so
govscore works without any of them, and with whichever one the caller has.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from govscore.errors import Diagnostic, FactsFileError, Span, UsageError
from govscore.inputs import tables

LIBRARIES = ("pandas", "polars", "duckdb", "pyarrow")

# How to read a column as text or decimals, by library ({c} is the column's name)
_HOW: dict[str, str] = {
    "pandas": "read it as text: pd.read_csv(path, dtype={{'{c}': str}}) (or pd.read_excel); "
              "a whole-number column with gaps: dtype 'Int64'; from SQL: CAST to DECIMAL",
    "polars": "read it as decimals or text: pl.read_csv(path, schema_overrides={{'{c}': "
              "pl.Decimal(scale=4)}}) or infer_schema=False (every column as text)",
    "duckdb": "read it as decimals or text: read_csv(path, types={{'{c}': 'DECIMAL(18,4)'}}) or "
              "all_varchar = true; in a table, declare the column DECIMAL",
    "pyarrow": "read it as decimals or text: pyarrow.csv.ConvertOptions(column_types={{'{c}': "
               "pa.decimal128(18, 4)}}) or pa.string()",
}


def library_of(frame: Any) -> str | None:
    """Which library a frame comes from (by its type's module), or None."""
    top = type(frame).__module__.split(".")[0]
    return top if top in LIBRARIES else None


def read_frame(frame: Any, *, name: str = "<frame>") -> list[dict[str, Any]]:
    """The unit entries of a frame (see the module's text). Raises :class:`FactsFileError` with
    every problem (GS409; each names ``name``, the row as a file would number it — the header is
    row 1 — and the column), and :class:`UsageError` for an object that is not a frame."""
    library = library_of(frame)
    if library is None:
        raise UsageError("GS409", f"cannot read facts from a {type(frame).__name__}: give a pandas "
                         "or Polars DataFrame, a Polars LazyFrame, a DuckDB relation or a pyarrow "
                         "Table")
    columns, kinds, rows = _READERS[library](frame)
    floats = [(index, column, kind) for index, (column, kind) in enumerate(zip(columns, kinds,
                                                                             strict=True))
              if kind is not None]
    if floats:
        raise _float_columns(floats, library, name)
    table_rows: list[tuple[int, list[Any]]] = [(1, list(columns))]
    bad: dict[int, tuple[str, str]] = {}
    for number, row in enumerate(rows, start=2):
        cells = []
        for index, value in enumerate(row):
            cell = _cell(value)
            if cell is _FLOAT:
                bad.setdefault(index, (str(columns[index]), "float values"))
                cell = None
            cells.append(cell)
        table_rows.append((number, cells))
    if bad:
        raise _float_columns([(i, c, k) for i, (c, k) in sorted(bad.items())], library, name)
    return list(tables.table_of_rows(table_rows, name).units)


def _float_columns(columns: list[tuple[int, Any, str]], library: str,
                   name: str) -> FactsFileError:
    problems = [Diagnostic(
        "GS409", f"column {tables.column_letter(index + 1)} ({column}) holds binary "
        f"floating-point numbers ({kind}), not the decimals that were written (0.1 is stored as "
        "0.1000000000000000055…); govscore reads no floats, so nothing is rounded silently: "
        + _HOW[library].format(c=column), span=Span(name, 1, index + 1), item=str(column))
        for index, column, kind in columns]
    return FactsFileError(problems, f"{name}: cannot read the facts")


_FLOAT: Any = object()
"""A float value in a column whose type allows anything (a pandas object column)."""


def _cell(value: Any) -> Any:
    """A frame's value as a cell of a facts table: missing values as None, numpy scalars as
    Python's, a float that is not NaN as _FLOAT."""
    if value is None:
        return None
    if isinstance(value, float):
        return None if math.isnan(value) else _FLOAT
    kind = type(value)
    module = kind.__module__
    if module == "numpy":
        if kind.__name__.startswith("float"):
            return None if math.isnan(value) else _FLOAT
        if kind.__name__ == "datetime64" and str(value) == "NaT":
            return None
        return value.item() if hasattr(value, "item") else value
    if module.startswith("pandas") and kind.__name__ in ("NAType", "NaTType"):
        return None
    return value


Columns = tuple[list[Any], list[str | None], Iterable[tuple[Any, ...]]]
"""A frame's column names, for each a float type's name (or None), and its rows."""


def _pandas(frame: Any) -> Columns:
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise UsageError("GS409", f"cannot read facts from a pandas {type(frame).__name__}: give "
                         "a DataFrame")
    if any(level is not None for level in frame.index.names):
        frame = frame.reset_index()  # a named index (set_index("id")) is a column of facts
    kinds = [str(dtype) if pd.api.types.is_float_dtype(dtype) else None
             for dtype in frame.dtypes]
    return list(frame.columns), kinds, frame.itertuples(index=False, name=None)


def _polars(frame: Any) -> Columns:
    import polars as pl

    if isinstance(frame, pl.LazyFrame):
        frame = frame.collect()
    if not isinstance(frame, pl.DataFrame):
        raise UsageError("GS409", f"cannot read facts from a Polars {type(frame).__name__}: give "
                         "a DataFrame or a LazyFrame")
    kinds = [str(dtype) if dtype.is_float() else None for dtype in frame.schema.values()]
    return list(frame.columns), kinds, frame.iter_rows()


_DUCKDB_FLOATS = frozenset({"FLOAT", "DOUBLE", "REAL", "FLOAT4", "FLOAT8"})


def _duckdb(frame: Any) -> Columns:
    if not hasattr(frame, "types") or not hasattr(frame, "fetchall"):
        raise UsageError("GS409", f"cannot read facts from a DuckDB {type(frame).__name__}: give "
                         "a relation (duckdb.sql(...), connection.table(...))")
    kinds = [str(t) if str(t).upper() in _DUCKDB_FLOATS else None for t in frame.types]
    return list(frame.columns), kinds, frame.fetchall()


def _pyarrow(frame: Any) -> Columns:
    import pyarrow as pa

    if not isinstance(frame, (pa.Table, pa.RecordBatch)):
        raise UsageError("GS409", f"cannot read facts from a pyarrow {type(frame).__name__}: give "
                         "a Table or a RecordBatch")
    kinds = [str(field.type) if pa.types.is_floating(field.type) else None
             for field in frame.schema]
    names = list(frame.schema.names)
    rows = (tuple(row[n] for n in names) for row in frame.to_pylist())
    return names, kinds, rows


_READERS = {"pandas": _pandas, "polars": _polars, "duckdb": _duckdb, "pyarrow": _pyarrow}
