"""Wide CSV facts straight into the columnar back end's columns, and scores written from the
columns, without a Python object per cell (pyarrow, the optional extra ``arrow``; numpy).

Why pyarrow (measured in benchmarks/run.py ``--columns``, docs/performance.md): its CSV reader
gives each column as one Arrow string array, and its compute functions trim, match, strip the
decimal point and cast to int64 over the whole array, so a cell never becomes a Python object;
nothing goes through a binary float because every column is read as text. DuckDB reads CSV about
as fast, but its type sniffing turns 0.950 into a DOUBLE unless every column is declared, and its
DECIMAL needs one width and scale fixed per column in advance; the csv module makes two Python
objects per cell.

What this reader takes, exactly as :mod:`govscore.inputs.tables` reads the same file:

- a UTF-8 file whose first row names the columns ``id``, optionally ``category`` and ``tier``, and
  facts the scheme declares as a number, a count or a flag (the rule kinds and inputs the columns
  hold); no comment rows, no title row, no mapping facts (``survey.满意``): otherwise
  :func:`read_wide_csv` returns None and the caller reads the file the usual way;
- cells that are plain decimal text (``-?digits[.digits]``, surrounding spaces and tabs allowed)
  or, for flags, true/false/是/否 in any case; an empty cell is a fact not given. Every other
  cell (``98.5%``, ``1e3``, full-width digits, text) is not guessed at here: that unit's row is
  read by the table reader's own cell rule (:func:`tables.cell_value`) and scored the scalar way.

Unit ids are checked as the table reader checks them, by its own function, unit by unit (an id
is a Python string in the results anyway).
"""

from __future__ import annotations

import csv
import importlib.util
import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from govscore.engine import columnar
from govscore.engine.columnar import CategoryColumns, Col, FactColumns, Mask
from govscore.engine.lowering import Lowered
from govscore.inputs import tables

_PLAIN = r"^-?[0-9]{1,18}(\.[0-9]{1,9})?$"
"""Plain decimal text the columns hold exactly (at most 18 digits before the point, at most
columnar.MAX_PLACES after it)."""
_TRUE = ("true", "是")
_FALSE = ("false", "否")


def arrow_ready() -> bool:
    return importlib.util.find_spec("pyarrow") is not None


@dataclass
class TextTable:
    """A wide facts CSV as text columns (Arrow string arrays, or lists of str without pyarrow)."""

    path: str
    ids: list[str]
    columns: dict[str, Any]
    """fact name → its cells as text ('' for an empty cell)."""
    category: list[str] | None = None
    tier: list[str] | None = None

    def __len__(self) -> int:
        return len(self.ids)

    def entry(self, row: int) -> dict[str, Any]:
        """One row as a unit entry, every cell read by the table reader's own rule (for the
        scalar path: a unit the columns leave, and a result's trace worked out on demand)."""
        facts: dict[str, Any] = {}
        for name, column in self.columns.items():
            text = column[row]
            value = tables.cell_value(text if isinstance(text, str) else text.as_py())
            if value is not None:
                facts[name] = value
        entry: dict[str, Any] = {"id": self.ids[row]}
        for key, values in (("category", self.category), ("tier", self.tier)):
            if values is not None and values[row]:
                entry[key] = values[row]
        entry["facts"] = facts
        return entry


def read_wide_csv(path: str | Path, plan: Lowered) -> TextTable | None:
    """A wide UTF-8 CSV whose columns the columns can hold, as text columns; None for any other
    file (then read it with :func:`govscore.inputs.tables.load_table`)."""
    path = Path(path)
    with path.open("rb") as handle:
        raw_head = handle.read(4)
    if raw_head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    if arrow_ready():
        names, columns = _arrow_columns(path)
    else:
        names, columns = _csv_columns(path)
    if names is None or not names or names[0].lstrip("\ufeff") != "id":
        return None
    names[0] = "id"
    known = {"id", "category", "tier"}
    facts = [n for n in names if n not in known]
    if len(set(names)) != len(names) or any(n not in plan.specs for n in facts):
        return None
    if not _plain_ids(columns["id"]):
        return None  # numbers, comments, titles, other scripts: the table reader's own rules
    ids = _texts(columns["id"])
    category = _texts(columns["category"]) if "category" in columns else None
    tier = _texts(columns["tier"]) if "tier" in columns else None
    return TextTable(str(path), ids, {n: columns[n] for n in facts}, category, tier)


_PLAIN_ID = r"^[A-Za-z_][A-Za-z0-9_.\-]*$"
"""Ids the table reader keeps exactly as written (never a number, a spreadsheet error, a comment
or scientific notation); a file with any other id is read the usual way."""


def _plain_ids(column: Any) -> bool:
    if isinstance(column, list):
        import re

        plain = re.compile(_PLAIN_ID, re.ASCII)
        return all(plain.match(i) for i in column)
    import pyarrow.compute as pc

    return bool(pc.all(pc.match_substring_regex(column, _PLAIN_ID)).as_py())


def _texts(column: Any) -> list[str]:
    return column if isinstance(column, list) else column.to_pylist()


def _arrow_columns(path: Path) -> tuple[list[str] | None, dict[str, Any]]:
    import pyarrow as pa
    from pyarrow import csv as pacsv

    try:
        head = pacsv.read_csv(path, read_options=pacsv.ReadOptions(block_size=1 << 16),
                              convert_options=pacsv.ConvertOptions(column_types={}),
                              parse_options=pacsv.ParseOptions(newlines_in_values=False))
        names = list(head.column_names)
        table = pacsv.read_csv(
            path, read_options=pacsv.ReadOptions(use_threads=True),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names}, strings_can_be_null=False,
                quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, UnicodeDecodeError):
        return None, {}
    return names, {n: table.column(n).combine_chunks() for n in names}


def _csv_columns(path: Path) -> tuple[list[str] | None, dict[str, Any]]:
    try:
        text = path.read_text("utf-8")
    except UnicodeDecodeError:
        return None, {}
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return None, {}
    names = rows[0]
    width = len(names)
    if any(len(r) != width for r in rows[1:]):
        return None, {}
    return names, {n: [r[i] for r in rows[1:]] for i, n in enumerate(names)}


# ---------------------------------------------------------------------------------------------
# text columns → the columnar back end's fact columns


def fact_columns(program: CategoryColumns, table: TextTable, rows: Sequence[int] | None = None
                 ) -> FactColumns | None:
    """The fact columns of a table's rows (all, or some) for one category; None when a fact of
    the category is not one the text columns hold (a mapping fact, text)."""
    n = len(table) if rows is None else len(rows)
    batch = columnar.Batch(n, {}, {})
    ok = np.ones(n, dtype=np.bool_)
    numbers: dict[str, Col] = {}
    flags: dict[str, Mask] = {}
    for spec in program.facts:
        if spec.shape == "object":
            return None
        column = table.columns.get(spec.name)
        if column is None:  # no column: every unit takes the default, or the scalar path
            if spec.default is None:
                ok[:] = False
            column = [""] * n
        elif rows is not None:
            column = column.take(rows) if not isinstance(column, list) \
                else [column[r] for r in rows]
        texts = _trimmed(column)
        given = _nonempty(texts)
        if spec.shape == "flag":
            truth, good = _flags(texts)
            if spec.default is not None:
                truth = np.where(given, truth, bool(spec.default))
                good = good | ~given
            flags[spec.name] = truth
            ok &= good
            continue
        ints, places, good = _decimals(texts)
        if spec.default is not None:
            d, p = _scaled(spec.default)
            ints = np.where(given, ints, d)
            places = np.where(given, places, p)
            good = good | ~given
        col, exact = columnar.scaled_column(ints, places, good)
        ok &= exact
        if spec.shape == "count" and col.exp:
            ok &= np.remainder(col.data, 10**col.exp) == 0
            col = Col(np.floor_divide(col.data, 10**col.exp), 0)
        ok &= columnar.in_range(batch, spec, col)
        numbers[spec.name] = col
    return FactColumns(n, numbers, flags, {}, ok & ~batch.bail,
                       {f.name: f for f in program.facts})


def _scaled(value: Any) -> tuple[int, int]:
    if isinstance(value, bool):
        return int(value), 0
    if isinstance(value, int):
        return value, 0
    assert isinstance(value, Decimal)
    _, _, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    places = max(0, -exponent)
    return int(value.scaleb(places)), places


def _trimmed(column: Any) -> Any:
    if isinstance(column, list):
        return [c.strip(" \t") for c in column]
    import pyarrow.compute as pc

    return pc.utf8_trim(column, " \t")


def _nonempty(texts: Any) -> Mask:
    if isinstance(texts, list):
        return np.array([bool(t) for t in texts], dtype=np.bool_)
    import pyarrow.compute as pc

    return np.asarray(pc.not_equal(pc.utf8_length(texts), 0))


def _flags(texts: Any) -> tuple[Mask, Mask]:
    if isinstance(texts, list):
        low = [t.lower() for t in texts]
        truth = np.array([t in _TRUE for t in low], dtype=np.bool_)
        false = np.array([t in _FALSE for t in low], dtype=np.bool_)
        return truth, truth | false
    import pyarrow as pa
    import pyarrow.compute as pc

    low = pc.utf8_lower(texts)
    truth = np.asarray(pc.is_in(low, value_set=pa.array(list(_TRUE))))
    false = np.asarray(pc.is_in(low, value_set=pa.array(list(_FALSE))))
    return truth, truth | false


def _decimals(texts: Any) -> tuple[Any, Any, Mask]:
    """(scaled integers, places, ok) of plain decimal text; a negative zero is not ok (the
    scalar path keeps its sign)."""
    if isinstance(texts, list):
        ints, places, good = [], [], []
        import re

        plain = re.compile(_PLAIN, re.ASCII)
        for t in texts:
            if plain.match(t):
                whole, _, frac = t.partition(".")
                value = int(whole + frac)
                ints.append(value)
                places.append(len(frac))
                good.append(not (value == 0 and t.startswith("-")))
            else:
                ints.append(0)
                places.append(0)
                good.append(False)
        return (np.array(ints, dtype=np.int64), np.array(places, dtype=np.int64),
                np.array(good, dtype=np.bool_))
    import pyarrow as pa
    import pyarrow.compute as pc

    matched = pc.match_substring_regex(texts, _PLAIN)
    cleaned = pc.if_else(matched, texts, pa.scalar("0"))
    point = np.asarray(pc.find_substring(cleaned, "."))
    length = np.asarray(pc.utf8_length(cleaned))
    scaled = np.asarray(pc.cast(pc.replace_substring(cleaned, ".", ""), pa.int64()))
    negative = np.asarray(pc.starts_with(cleaned, "-"))
    return (scaled, np.where(point >= 0, length - point - 1, 0).astype(np.int64),
            np.asarray(matched) & ~(negative & (scaled == 0)))


# ---------------------------------------------------------------------------------------------
# scores out


def write_scores_csv(path: str | Path, ids: Any, totals: Col, ranks: Any,
                     overrides: dict[int, str] | None = None) -> None:
    """unit,total,rank as CSV, the totals written from their scaled integers (at the scheme's
    places) without a Python object per unit; ``overrides`` replaces the total text of some
    rows (units the scalar path scored)."""
    data = np.asarray(totals.data, dtype=np.int64)
    if arrow_ready():
        import pyarrow as pa
        import pyarrow.compute as pc
        from pyarrow import csv as pacsv

        text = _fixed_point_arrow(data, totals.exp)
        if overrides:
            given: list[str | None] = [None] * len(data)
            for row, value in overrides.items():
                given[row] = value
            text = pc.coalesce(pa.array(given, pa.string()), text)
        table = pa.table({"unit": ids if not isinstance(ids, list) else pa.array(ids),
                          "total": text, "rank": pa.array(np.asarray(ranks, dtype=np.int64))})
        pacsv.write_csv(table, path, pacsv.WriteOptions(quoting_style="needed"))
        return
    rows = fixed_point(data, totals.exp)
    for row, value in (overrides or {}).items():
        rows[row] = value
    with Path(path).open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["unit", "total", "rank"])
        writer.writerows(zip(_texts(ids), rows, np.asarray(ranks).tolist(), strict=True))


def _fixed_point_arrow(data: Any, exp: int) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    magnitude = pc.cast(pa.array(np.abs(data)), pa.string())
    if exp:
        padded = pc.utf8_lpad(magnitude, exp + 1, "0")
        head = pc.utf8_slice_codeunits(padded, 0, -exp)
        tail = pc.utf8_slice_codeunits(padded, -exp)
        magnitude = pc.binary_join_element_wise(head, tail, ".")
    sign = pa.array(np.where(data < 0, "-", ""))
    return pc.binary_join_element_wise(sign, magnitude, "")


def fixed_point(data: Any, exp: int) -> list[str]:
    """Scaled integers as decimal text at ``exp`` places (−5 at 2 places: -0.05)."""
    out = []
    for value in np.asarray(data).tolist():
        digits = str(abs(value)).rjust(exp + 1, "0")
        body = f"{digits[:-exp]}.{digits[-exp:]}" if exp else digits
        out.append(("-" if value < 0 else "") + body)
    return out
