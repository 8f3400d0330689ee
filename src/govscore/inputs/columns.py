"""Wide CSV facts straight into the columnar back end's columns, and scores written from the
columns, without a Python object per cell (pyarrow, the optional extra ``arrow``; numpy).

Why pyarrow (measured, docs/performance.md "The columnar back end"): its CSV reader gives each
column as one Arrow string array, and a cast to decimal128 reads a whole column exactly, so a
cell never becomes a Python object and nothing goes through a binary float. DuckDB reads CSV a
little faster, but sniffs rates as DOUBLE unless every column is declared, and a declared
DECIMAL needs its scale before the facts' places are known; the csv module makes two Python
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

import codecs
import csv
import dataclasses
import importlib
import importlib.util
import io
import itertools
import re
import sys
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from govscore.engine import columnar
from govscore.engine.columnar import CategoryColumns, Col, FactColumns, Mask
from govscore.engine.lowering import ItemProgram, Lowered
from govscore.engine.population_columns import IdColumn
from govscore.errors import GovscoreError
from govscore.inputs import tables

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
        if not given.all() and not isinstance(texts, list):  # empty cells read as given below
            import pyarrow as pa
            import pyarrow.compute as pc

            texts = pc.if_else(pa.array(given), texts, pa.scalar("0"))
        ok &= _number_fact(batch, spec, given, *_decimals(texts), numbers)
    return FactColumns(n, numbers, flags, {}, ok & ~batch.bail,
                       {f.name: f for f in program.facts})


def _number_fact(batch: Any, spec: Any, given: Any, ints: Any, places: Any, good: Any,
                 numbers: dict[str, Any]) -> Any:
    """A number fact's column from its cells read as scaled integers: the scheme's default
    where a cell was empty, then checked as the fact (columnar.as_fact); where it is taken."""
    if spec.default is not None:
        d, p = _scaled(spec.default)
        ints = np.where(given, ints, d)
        places = np.where(given, places, p)
        good = good | ~given
    col, exact = columnar.scaled_column(ints, places, good)
    numbers[spec.name], fits = columnar.as_fact(batch, spec, col)
    return exact & fits


def _coded_number_fact(batch: Any, spec: Any, values: Any, codes: Any,
                       numbers: dict[str, Any]) -> Any:
    """:func:`_number_fact` of a column of codes into distinct cells (``values``): each cell
    that occurs read, defaulted, scaled and checked once — the scaling's and the range check's
    integer divisions over a dozen distinct cells instead of a million rows — and every row
    given its cell's answer. The same column, exponent and bails as row by row: the exponent is
    the most places among the cells that occur, and what a row gets depends only on its cell."""
    import pyarrow as pa
    import pyarrow.compute as pc

    occurs = np.flatnonzero(np.bincount(codes, minlength=len(values)))
    where = np.zeros(len(values), dtype=np.int64)
    where[occurs] = np.arange(len(occurs))
    index = where[codes]
    cells = values.take(pa.array(occurs))
    empty = pc.equal(cells, "")
    small = columnar.Batch(len(occurs), {}, {})
    read: dict[str, Any] = {}
    good = _number_fact(small, spec, ~mask_of(empty),
                        *_decimals(pc.if_else(empty, pa.scalar("0"), cells)), read)
    col = read[spec.name]
    numbers[spec.name] = Col(col.data if isinstance(col.data, int)
                             else np.asarray(col.data)[index], col.exp)
    batch.bail |= small.bail[index]
    return good[index]


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

        plain = re.compile(columnar.PLAIN_DECIMAL, re.ASCII)
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
    return columnar.decimal_texts(texts)


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


# ---------------------------------------------------------------------------------------------
# a whole facts file (wide CSV or Parquet) as text columns, for `govscore score` through the
# columns (govscore.bulk)

STRICT_NUMBER = r"^-?(0|[1-9][0-9]{0,17})(\.[0-9]{1,9})?$"
"""A cell the columns read as a number: the one grammar of number text
(:data:`govscore.numbers.NUMBER_TEXT`: no sign but ``-``, no leading zero, digits on both sides
of a point), no surrounding space, at most 18 digits before the point and 9 after. Every other
cell is read by the table reader itself (its row goes the scalar way)."""

PLAIN_ID = (r"^[^\s#'=+\-@,\"\p{Cc}\p{Cf}\p{Co}\p{Cs}\p{Zl}\p{Zp}]"
            r"[^\s,\"\p{Cc}\p{Cf}\p{Co}\p{Cs}\p{Zl}\p{Zp}]*$")
"""An id the table reader keeps exactly as written: no space anywhere (the reader strips the
ends; a space inside is kept, but such ids are rare and go the table reader's way), no control,
format or private-use character (textsafe.id_problem), not a comment (``#``), not a spreadsheet
error, not beginning with a quote or a formula trigger, no comma or double quote (so that a
report writes it as it is, unquoted). Chinese and every other script is plain."""

_SCIENTIFIC = r"^[0-9](\.[0-9]+)?[eE]\+?[0-9]+$"


_NEVER_IN_IDS = np.array([*range(0x21), 0x22, 0x2C, 0x7F])
"""The ASCII bytes :data:`PLAIN_ID` refuses anywhere in an id: controls, spaces, ``"`` and
``,``."""
_NOT_FIRST = np.array([ord(c) for c in "#'=+-@"])
"""The ASCII bytes it refuses as an id's first character, besides those."""
_IDEOGRAPH_LEADS = (0xE4, 0xEA)
"""UTF-8 lead bytes E4 … E9: the characters U+4000 … U+9FFF (CJK ideographs, Yijing
hexagrams), each its own NFKC form, none a space, a control or a format character, none
combining with the character before it (checked against Python's unicodedata)."""
_UNSCREENED = np.zeros(256, dtype=np.bool_)
_UNSCREENED[_NEVER_IN_IDS] = True
_UNSCREENED[0xC0:_IDEOGRAPH_LEADS[0]] = True  # the lead byte of any other character
_UNSCREENED[_IDEOGRAPH_LEADS[1]:] = True
"""The bytes :func:`screened_ids` leaves to the regex: one in an id, and it answers None."""


def screened_ids(ids: Any) -> Mask | None:
    """:data:`PLAIN_ID`'s answer for every id, and the promise that every id is in NFKC form,
    from the bytes the ids use — when those are only printable ASCII and CJK ideographs (a
    byte table over the ids' text, instead of a Unicode regex and a normalisation of every id:
    0.3 s of a million); None for any other ids (the regex and NFKC then decide)."""
    import pyarrow as pa

    if ids.type != pa.string() or ids.null_count or not len(ids):
        return None
    offsets = np.frombuffer(ids.buffers()[1], dtype=np.int32)[ids.offset:
                                                              ids.offset + len(ids) + 1]
    start, end = int(offsets[0]), int(offsets[-1])
    if end == start:
        return None
    text = np.frombuffer(ids.buffers()[2], dtype=np.uint8)[start:end]
    if _UNSCREENED[text].any():  # a table lookup per byte (np.bincount casts them to int64)
        return None
    lengths = np.diff(offsets)
    first = text[np.minimum(offsets[:-1] - start, len(text) - 1)]
    return (lengths > 0) & ~np.isin(first, _NOT_FIRST)


class NotColumnarError(GovscoreError):
    """The file is not one the columns take as a whole (then it is read the usual way); the
    message says why, for the summary."""


@dataclass
class FileColumns:
    """A wide facts file as Arrow string columns, every cell as the file has it.

    ``plain`` marks the rows whose id and cells the columns read exactly as the table reader
    would; every other row (an odd cell, an id to check, the first data row, which may be a row
    of titles) is read by the table reader itself from :meth:`cells`."""

    path: str
    encoding: str
    names: list[str]
    raw: dict[str, Any]
    """column name → Arrow string array."""
    row_numbers: Any
    """The file row of each data row (the header is row 1)."""
    plain: Mask
    facts: dict[str, list[str]]
    """fact → its columns: [fact] for a plain fact, [fact.key, …] for a mapping fact."""
    coded: dict[str, tuple[Any, Any]] = dataclasses.field(default_factory=dict)
    read: dict[tuple[int, tuple[int, ...]], Any] = dataclasses.field(default_factory=dict)
    """(the fact's column spec, by id; a combination of its cells, by code) → the value read
    and checked (:func:`_distinct_values`), once per file rather than once per chunk."""
    """column (not id) → (its distinct cells, an Arrow string array; each row's index into
    them, a numpy view of the Arrow indices, int8 where they fit): a column's cells are read
    once per distinct cell, not once per row."""

    def __len__(self) -> int:
        return len(self.row_numbers)

    def cells(self, rows: Sequence[int]) -> list[tuple[int, list[Any]]]:
        """(file row, cells) of some data rows, the header first: what the table reader reads."""
        import pyarrow as pa

        picked = pa.array(list(rows), pa.int64())
        columns = [self.raw[n].take(picked).to_pylist() for n in self.names]
        numbers = np.asarray(self.row_numbers)[list(rows)].tolist()
        out: list[tuple[int, list[Any]]] = [(1, list(self.names))]
        out.extend((numbers[k], [c[k] for c in columns]) for k in range(len(numbers)))
        return out

    def text_table(self) -> TextTable:
        """The plain fact columns as a :class:`TextTable` (ids as Python strings)."""
        ids = self.raw["id"].to_pylist()
        flat = {n: self.raw[n] for n in self.names if n not in ("id", "category", "tier")}
        return TextTable(self.path, ids, flat)


def read_file_columns(path: str | Path, plan: Lowered) -> FileColumns:
    """A wide ``.csv`` (UTF-8 with or without BOM, or GB18030 as Chinese Excel and WPS write
    it), ``.parquet`` or ``.xlsx`` (its first sheet, :func:`read_xlsx_sheet`) facts file as
    text columns (pyarrow). Raises :class:`NotColumnarError` for a
    file the columns do not take as a whole: another layout (long, a title or comment line
    before the header, rows of unequal width, quoted line breaks), UTF-16, columns the scheme
    does not know, a float Parquet column (read_frame refuses it, naming the column)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    path = Path(path)
    suffix = path.suffix.lower()
    sheet: XlsxSheet | None = None
    if suffix == ".csv":
        encoding, names, raw = _csv_file_columns(path)
    elif suffix == ".parquet":
        encoding = "parquet"
        names, raw = _parquet_text_columns(path)
    elif suffix == ".xlsx":
        encoding = "xlsx"
        sheet = read_xlsx_sheet(path)
        names, raw = sheet.names, sheet.raw
    else:
        raise NotColumnarError(f"{suffix or 'a file without a suffix'} is read the usual way")
    if not names or names[0] != "id" or len(set(names)) != len(names):
        raise NotColumnarError("the header does not begin with id, or repeats a name")
    facts: dict[str, list[str]] = {}
    for name in names[1:]:
        if name in ("category", "tier"):
            continue
        base, dot, key = name.partition(".")
        if base not in plan.specs or name != name.strip() or (dot and not key):
            raise NotColumnarError(f"column {name!r} is not a fact of the scheme")
        facts.setdefault(base, []).append(name)
    for base, cols in facts.items():
        if len(cols) > 1 and base in cols:  # given both as one value and by keys
            raise NotColumnarError(f"{base} is given both as one value and by keys")
    n = len(raw["id"])
    if n == 0:
        raise NotColumnarError("no data rows")
    ids = raw["id"]
    plain = screened_ids(ids)
    if plain is None:
        plain = mask_of(pc.match_substring_regex(ids, PLAIN_ID))
        if not bool(pc.all(pc.equal(pc.utf8_normalize(ids, "NFKC"), ids)).as_py()):
            raise NotColumnarError("an id is not in NFKC form (fullwidth letters): ids are "
                                   "compared after NFKC")
    plain &= ~mask_of(pc.match_substring_regex(ids, _SCIENTIFIC))
    from govscore.views.report_columns import narrow

    coded: dict[str, tuple[Any, Any]] = {}
    for name in names[1:]:
        encoded = raw[name] if pa.types.is_dictionary(raw[name].type) \
            else pc.dictionary_encode(raw[name])
        values = encoded.dictionary
        # int8 codes where a column has fewer than 128 distinct cells, as most facts do: a
        # quarter of the int32 the reader gives (72 MB of a million S3 rows' 24 columns)
        encoded = pa.DictionaryArray.from_arrays(narrow(encoded.indices), values)
        raw[name] = encoded
        codes = encoded.indices.to_numpy(zero_copy_only=False)  # no copy
        coded[name] = (values, codes)
        empty = mask_of(pc.equal(values, ""))
        if name in ("category", "tier"):
            good = empty | mask_of(pc.match_substring_regex(values, PLAIN_ID))
        else:
            number = mask_of(pc.match_substring_regex(values, STRICT_NUMBER))
            flag = mask_of(pc.is_in(pc.utf8_lower(values),
                                  value_set=pa.array(["true", "false", "是", "否"])))
            good = empty | number | flag
        plain &= good[codes]
    plain[0] = False  # the first data row may be titles: the table reader decides
    if sheet is not None:  # a workbook's rows: their own numbers, and cells as typed
        return XlsxColumns(str(path), encoding, names, raw, sheet.row_numbers,
                           plain & sheet.good, facts, coded, sheet=sheet)
    rows = np.arange(2, n + 2, dtype=np.int64)
    return FileColumns(str(path), encoding, names, raw, rows, plain, facts, coded)


class FileIds(IdColumn):
    """A file's unit ids (an Arrow string array) as a sequence of str for the placement
    (engine.population_columns), without a Python str per unit held at once; the ids it needs
    in bulk (an award's 300,000 winners, sorted) taken from Arrow in one call."""

    def __init__(self, ids: Any) -> None:
        self.ids = ids
        self._rank: Any = None

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return self.ids[index].to_pylist()
        return self.ids[index].as_py()

    def __iter__(self) -> Iterator[str]:
        step = 65_536  # a list of str at a time, chained in C (no Python frame per id)
        return itertools.chain.from_iterable(
            self.ids.slice(start, step).to_pylist() for start in range(0, len(self.ids), step))

    def rank(self) -> Any:
        """Each row's place among the ids sorted (int64). Arrow sorts UTF-8 by its bytes, and
        the order of UTF-8 bytes is the order of code points: the order ``sorted()`` gives
        str."""
        if self._rank is None:
            self.repeated()
        return self._rank

    def repeated(self) -> bool:
        """Whether an id is given twice (found by the sort :meth:`rank` needs)."""
        import pyarrow.compute as pc

        order = pc.sort_indices(self.ids)
        ordered = self.ids.take(order)
        self._rank = np.empty(len(order), dtype=np.int64)
        self._rank[np.asarray(order)] = np.arange(len(order), dtype=np.int64)
        return len(ordered) > 1 and bool(
            pc.any(pc.equal(ordered.slice(1), ordered.slice(0, len(ordered) - 1))).as_py())

    def sorted_ids(self, rows: Any) -> list[str]:
        import pyarrow as pa

        rows = np.asarray(rows, dtype=np.int64)
        if not len(rows):
            return []
        ordered = rows[np.argsort(self.rank()[rows])]
        return self.ids.take(pa.array(ordered)).to_pylist()  # type: ignore[no-any-return]

    def rows_of(self, wanted: Collection[str]) -> dict[str, int]:
        import pyarrow as pa
        import pyarrow.compute as pc

        found = np.flatnonzero(np.asarray(pc.is_in(
            self.ids, value_set=pa.array(sorted(wanted), pa.string()))))
        return dict(zip(self.ids.take(pa.array(found)).to_pylist(), found.tolist(),
                        strict=True))


def mask_of(array: Any) -> Mask:
    """An Arrow boolean array as a numpy mask (nulls false)."""
    import pyarrow.compute as pc

    return np.asarray(pc.fill_null(array, False).to_numpy(zero_copy_only=False),
                      dtype=np.bool_)


def _csv_file_columns(path: Path) -> tuple[str, list[str], dict[str, Any]]:
    """(encoding as tables.sniff_encoding names it, names, columns) of a CSV file.

    Decoding a whole file in Python to learn its encoding cost as much as Arrow's reading it,
    so a file without a UTF-16 BOM and without a NUL byte is first read as UTF-8: Arrow checks
    every cell's bytes as strictly as Python's codec (surrogates, overlong forms, code points
    past U+10FFFF and cut sequences all refused, tests/unit/test_bulk_speed.py), and the header
    is decoded by Python. Only where that fails is the encoding sniffed the table reader's way
    (GB18030, or a file it refuses) and the file read again. A NUL byte is a NUL character in
    UTF-8 and GB18030 alike, which the table reader refuses (GS409): the usual way says so."""
    import mmap

    size = tables.check_regular(path)
    with path.open("rb") as handle:
        head = handle.read(4)
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise NotColumnarError("UTF-16 text is read the usual way")
        if size and handle.fileno() >= 0:
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as whole:
                if whole.find(b"\x00") >= 0:
                    raise NotColumnarError("a NUL character: the usual way reports it")
    encoding = "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
    try:
        return (encoding, *_csv_text_columns(path, encoding))
    except NotColumnarError:
        if encoding == "utf-8-sig":
            raise
    encoding = tables.sniff_encoding(path)  # not UTF-8: GB18030, or the usual way refuses it
    if encoding == "utf-8":
        raise NotColumnarError("the CSV is read the usual way")
    return (encoding, *_csv_text_columns(path, encoding))


def _csv_text_columns(path: Path, encoding: str) -> tuple[list[str], dict[str, Any]]:
    import pyarrow as pa
    from pyarrow import csv as pacsv

    if encoding == "utf-16":
        raise NotColumnarError("UTF-16 text is read the usual way")
    codec = "utf8" if encoding in ("utf-8", "utf-8-sig") else encoding
    names = _header_names(path, codec)
    try:
        # every column but the ids as a dictionary (most facts take few distinct values)
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(encoding=codec, column_names=names, skip_rows=1),
            parse_options=pacsv.ParseOptions(newlines_in_values=False, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() if i == 0 else
                              pa.dictionary(pa.int32(), pa.string())
                              for i, n in enumerate(names)},
                strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, UnicodeDecodeError, LookupError) as exc:
        raise NotColumnarError(f"the CSV is read the usual way ({type(exc).__name__})") from None
    if len(set(names)) != len(names):
        raise NotColumnarError("a column name is repeated")
    # one column at a time, each column's chunks let go as soon as it is one array (with
    # int8 codes where they fit): the whole table twice over was the peak of reading
    chunked = {n: table.column(n) for n in names}
    del table
    return names, {n: _one_chunk(chunked.pop(n)) for n in names}


MAX_HEADER = 1 << 20
"""A header line longer than this is not read through the columns."""


def _header_names(path: Path, codec: str) -> list[str]:
    """The first line's cells (the header), as the csv module reads them."""
    with path.open("rb") as handle:
        head = handle.read(MAX_HEADER)
    line, newline, _ = head.partition(b"\n")
    if not newline:
        raise NotColumnarError("no header line, or a header too long")
    try:
        text = line.decode("utf-8" if codec == "utf8" else codec).lstrip("\ufeff")
    except (UnicodeDecodeError, LookupError):
        raise NotColumnarError("the header is not in the file's encoding") from None
    if text.count('"') % 2:
        raise NotColumnarError("a quoted line break in the header")
    rows = list(csv.reader([text.rstrip("\r")]))
    if not rows or not rows[0]:
        raise NotColumnarError("an empty header")
    return rows[0]


def _one_chunk(column: Any) -> Any:
    """A chunked column as one array; a dictionary column's chunks share one dictionary, its
    codes in the narrowest integers that hold them."""
    import pyarrow as pa

    from govscore.views.report_columns import narrow

    if pa.types.is_dictionary(column.type):
        column = column.unify_dictionaries()
    whole = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    if pa.types.is_dictionary(whole.type):
        return pa.DictionaryArray.from_arrays(narrow(whole.indices), whole.dictionary)
    return whole


def _parquet_text_columns(path: Path) -> tuple[list[str], dict[str, Any]]:
    """Every column of a Parquet file as text exactly: decimals at their scale (5.00), whole
    numbers, text and flags (true/false), a missing value as an empty cell; every column but the
    ids as a dictionary (its distinct values made text once). A float column is left to the
    usual way, which refuses it naming the column (as read_frame does)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (OSError, ValueError) as exc:  # not Parquet: the usual way says so
        raise NotColumnarError(f"not a Parquet file pyarrow reads ({type(exc).__name__})") \
            from None
    names = [str(n) for n in table.column_names]
    out: dict[str, Any] = {}
    for index, name in enumerate(names):
        col = _one_chunk(table.column(index))
        kind = col.type
        if pa.types.is_dictionary(kind):
            col = col.dictionary_decode()
            kind = col.type
        if pa.types.is_floating(kind):  # refused, naming the column, by the usual way
            raise NotColumnarError(f"column {name!r} holds binary floats")
        textual = pa.types.is_string(kind) or pa.types.is_large_string(kind)
        if not (textual or pa.types.is_boolean(kind) or pa.types.is_integer(kind)
                or pa.types.is_decimal(kind)):
            raise NotColumnarError(f"column {name!r} of type {kind} is read the usual way")
        if index == 0:
            out[name] = pc.fill_null(pc.cast(col, pa.string()), "")
            continue
        encoded = pc.dictionary_encode(col, null_encoding="encode")
        values = encoded.dictionary
        if pa.types.is_boolean(kind):
            text = pc.if_else(values, pa.scalar("true"), pa.scalar("false"))
        else:
            text = pc.cast(values, pa.string())
        out[name] = pa.DictionaryArray.from_arrays(encoded.indices, pc.fill_null(text, ""))
    return names, out


def file_fact_columns(program: CategoryColumns, cols: FileColumns, rows: Any
                      ) -> tuple[CategoryColumns, FactColumns]:
    """The fact columns of some rows of a file (row indices) for one category, with the
    category's program to run them through. A row with a cell for a fact the category does not
    have, or keys on a fact that takes one value, is not ok (the scalar path reports it).

    A fact the columns keep as Python values (a by_level mapping ``bonus_articles.city``, …,
    text) is read once per distinct combination of its cells, by the table reader's cell rule
    and the fact's own check; where the category's every item is then columnar, the item's raw
    amount is worked out once per distinct value by its kind's own raw function and handed to
    the columns as the item's raw column (:func:`distinct_raws`), so that no Python object is
    made per unit. Otherwise each row keeps its checked value (slow, but the same results)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(rows)
    rows = np.asarray(rows, dtype=np.int64)
    batch = columnar.Batch(n, {}, {})
    ok = np.ones(n, dtype=np.bool_)
    numbers: dict[str, Col] = {}
    flags: dict[str, Mask] = {}
    objects: dict[str, list[Any]] = {}
    known = {spec.name for spec in program.facts}

    def empty(name: str) -> Mask:
        values, codes = cols.coded[name]
        return mask_of(pc.equal(values, ""))[codes[rows]]

    for base, names in cols.facts.items():
        if base not in known:  # a fact of another category: only empty cells
            for name in names:
                ok &= empty(name)
    distinct: dict[str, tuple[Any, list[Any]]] = {}
    for spec in program.facts:
        names = cols.facts.get(spec.name, [])
        if spec.shape == "object":
            codes, checked = _distinct_values(spec, cols, names, rows)
            distinct[spec.name] = (codes, checked)
            ok &= np.array([c is not _BAD for c in checked], dtype=np.bool_)[codes]
            continue
        for name in names:
            if name != spec.name:  # keys on a fact that takes one value
                ok &= empty(name)
        if spec.name in names:
            values, all_codes = cols.coded[spec.name]
            codes = all_codes[rows]
        else:
            values, codes = pa.array([""], pa.string()), np.zeros(n, dtype=np.int64)
        given = ~mask_of(pc.equal(values, ""))[codes]
        if not given.all() and spec.default is None:
            ok &= given
        if spec.shape == "flag":
            d_truth, d_good = _flags(values)
            truth, good = d_truth[codes], d_good[codes]
            if spec.default is not None:
                truth = np.where(given, truth, bool(spec.default))
                good = good | ~given
            flags[spec.name] = truth
            ok &= good
            continue
        ok &= _coded_number_fact(batch, spec, values, codes, numbers)
    shapes = {f.name: f for f in program.facts}
    raws = distinct_raws(program, distinct)
    if raws is not None:
        extra, columns_of, good = raws
        ok &= good
        numbers.update(columns_of)
        program = dataclasses.replace(program, raws={**program.raws, **extra})
    for name, (codes, checked) in distinct.items():
        if raws is None or name not in raws[1]:  # the unit's checked value, for its kind
            values = [None if c is _BAD else c for c in checked]
            objects[name] = [values[k] for k in codes.tolist()]
    return program, FactColumns(n, numbers, flags, objects, ok & ~batch.bail, shapes)


_BAD: Any = object()
"""A distinct value its check refused, or an exemption / not applicable: the scalar path."""


class _NoOtherFacts(Mapping[str, Any]):
    """The unit's other facts, for a raw function that should not need them: reading one makes
    :func:`distinct_raws` leave the fact to the scalar way."""

    def __getitem__(self, key: str) -> Any:
        raise _ReadsOtherFactsError(key)

    def __iter__(self) -> Iterator[str]:
        raise _ReadsOtherFactsError("")

    def __len__(self) -> int:
        raise _ReadsOtherFactsError("")


class _ReadsOtherFactsError(Exception):
    pass


def _given_raw(rule: Any, item: Any, c: columnar.Batch, x: Any) -> Col:
    """The raw amounts worked out per distinct value (the fact's column holds them)."""
    return x  # type: ignore[no-any-return]


def distinct_raws(program: CategoryColumns, distinct: dict[str, tuple[Any, list[Any]]]
                  ) -> tuple[dict[str, columnar.RawVector], dict[str, Col], Mask] | None:
    """For each Python-valued fact, its item's raw amount per unit as a column, computed once
    per distinct value by the kind's own raw function; None when an item of the category would
    still need each unit's Python facts (another kind without a vector form, a formula, a fact
    read by two items, a raw function that reads other facts). A fact whose kind has a vector
    form and some amount no column holds (a ratio's or rating's quotient, 34 digits) is left
    out: the caller keeps its checked values, and the kind's vector keeps the quotient exact."""
    if not distinct:
        return None
    readers: dict[str, list[Any]] = {}
    for p in program.programs:
        if isinstance(p, ItemProgram):
            if p.fact is not None:
                readers.setdefault(p.fact, []).append(p)
            if p.node.id not in program.raws and (p.fact not in distinct or p.converts):
                return None
    extra: dict[str, columnar.RawVector] = {}
    columns_of: dict[str, Col] = {}
    n = len(next(iter(distinct.values()))[0])
    ok = np.ones(n, dtype=np.bool_)
    for name, (codes, checked) in distinct.items():
        items = readers.get(name, [])
        if len(items) != 1:
            return None
        p = items[0]
        amounts: list[Any] = []
        for value in checked:
            if value is _BAD:
                amounts.append(None)
                continue
            try:
                amount = p.raw(value, _NoOtherFacts())
            except _ReadsOtherFactsError:
                return None
            except Exception:
                amount = None
            amounts.append(amount if isinstance(amount, Decimal) else None)
        col, good = columnar.number_column(amounts)
        if p.node.id in program.raws and not all(
                g or c is _BAD for g, c in zip(good.tolist(), checked, strict=True)):
            continue  # an amount no column holds: the kind's vector form (columnar.Quot)
        data = np.asarray(col.data) if not isinstance(col.data, int) \
            else np.full(len(amounts), col.data)
        columns_of[name] = Col(data[codes], col.exp)
        ok &= good[codes]
        extra[p.node.id] = _given_raw
    return extra, columns_of, ok


MAX_DISTINCT = 100_000
"""A Python-valued fact with more distinct cell combinations than this is read row by row."""


def _distinct_values(spec: Any, cols: FileColumns, names: list[str], rows: Any
                     ) -> tuple[Any, list[Any]]:
    """(each row's code, the checked value of each code) of a Python-valued fact: each
    distinct combination of its cells read once (_BAD where the check refuses it)."""
    from govscore.rules import values as rule_values

    n = len(rows)
    if not names:
        return np.zeros(n, dtype=np.int64), [_read_value(spec, [], [], rule_values)]
    import pyarrow as pa

    texts = [cols.coded[m][0].to_pylist() for m in names]
    sizes = [max(len(t), 1) for t in texts]
    if float(np.prod(np.array(sizes, dtype=np.float64))) < 2.0**62:
        # one integer per combination (mixed radix), its distinct values by a hash pass
        key = np.zeros(n, dtype=np.int64)
        for m, size in zip(names, sizes, strict=True):
            key = key * size + cols.coded[m][1][rows].astype(np.int64)
        encoded = pa.array(key).dictionary_encode()
        combos = []
        for combined in encoded.dictionary.to_pylist():
            digits = []
            rest = combined
            for size in reversed(sizes):
                rest, d = divmod(rest, size)
                digits.append(d)
            combos.append(digits[::-1])
        inverse = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    else:
        stacked = np.stack([cols.coded[m][1][rows] for m in names], axis=1)
        unique, inverse = np.unique(stacked, axis=0, return_inverse=True)
        combos = unique.tolist()
        inverse = np.asarray(inverse, dtype=np.int64).reshape(n)
    checked = []
    for combo in combos:
        seen = (id(spec), tuple(combo))  # the spec lives in the plan's programs meanwhile
        if seen not in cols.read:
            cols.read[seen] = _read_value(
                spec, names, [texts[j][k] for j, k in enumerate(combo)], rule_values)
        checked.append(cols.read[seen])
    return inverse, checked


def _read_value(spec: Any, names: list[str], cells: list[str], rule_values: Any) -> Any:
    """One combination of a fact's cells as the scalar path reads it, checked; _BAD if not."""
    value: Any = None
    try:
        for name, text in zip(names, cells, strict=True):
            cell = tables.cell_value(text) if text else None
            if cell is None:
                continue
            _, dot, key = name.partition(".")
            if dot:
                value = {} if value is None else value
                value[key] = cell
            else:
                value = cell
        if value is None:
            if spec.default is None:
                return _BAD
            checked = spec.default
        else:
            checked = spec.spec.check(value)
    except Exception:
        return _BAD
    if isinstance(checked, (rule_values.Exempt, rule_values.NotApplicable)):
        return _BAD
    return checked


# ---------------------------------------------------------------------------------------------
# an .xlsx facts file (its first worksheet) as text columns

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
"""The worksheet namespace the workbook reader takes (a sheet in another, or one whose elements
carry a prefix, is read the usual way)."""

_XLSX_EMPTY_CELLS = re.compile(rb"<c [^>]*/>")
"""Cells without a value (only formatted): openpyxl gives them None, as an absent cell."""

_XLSX_CHARACTER = re.compile(rb"&#(x[0-9a-fA-F]{1,6}|[0-9]{1,7});")
_CHARACTERS: dict[bytes, bytes] = {}


def _character(match: re.Match[bytes]) -> bytes:
    """A character reference as the character's UTF-8 bytes, where the XML means the same
    written either way: a printable character that is not markup (< > & " '); a control
    character stays a reference (a parser turns a written CR into LF, not a &#13;)."""
    whole = match.group()
    done = _CHARACTERS.get(whole)
    if done is None:
        digits = match.group(1)
        code = int(digits[1:], 16) if digits[:1] == b"x" else int(digits)
        plain = code < sys.maxunicode and chr(code).isprintable() and chr(code) not in "<>&\"'"
        done = chr(code).encode("utf-8") if plain else whole
        if len(_CHARACTERS) < 100_000:  # noqa: PLR2004
            _CHARACTERS[whole] = done
    return done


_XLSX_CELL = (r"(?s)^(?:</row>)?(?:<row [^>]*/>|<row [^>]*></row>)*"
              r'(?:<row r="(?P<rr>[1-9][0-9]{0,6})"[^>]*>)?'
              r'<c r="(?P<col>[A-Z]{1,3})(?P<row>[1-9][0-9]{0,6})"(?P<body>.*)$')
"""One piece of the sheet's rows cut at every ``</c>``: the row it opens (if any), the cell's
reference and the rest of the cell (attributes, formula and value). A piece of any other shape
(a cell without a reference, or whose reference is not first, a row without ``r``) makes the
file go the usual way."""

_XLSX_ID_TEXT = (r'(?s)^(?: s="[0-9]+")? t="(?:(?P<shared>s)"><v>(?P<index>[0-9]{1,9})</v>'
                 r'|inlineStr"><is><t(?: xml:space="preserve")?>(?P<inline>[^<&\r]*)</t></is>)$')
"""An id cell read at once: a shared string, or an inline string with nothing to unescape.
Any other id cell (a number, an entity) is read by openpyxl's own cell parser, row by row."""

_NOT_PLAIN = "\x00"
"""The text given to a cell whose value the columns do not read as the table reader does (a
percentage format, an error, a float with more digits than a sheet shows): no rule of
the columns takes it, so its row goes to the table reader with the cell's own value."""


@dataclass
class XlsxSheet:
    """What :func:`read_xlsx_sheet` makes of a worksheet."""

    title: str
    names: list[str]
    raw: dict[str, Any]
    """column → Arrow dictionary array of texts (the id: a string array)."""
    good: Mask
    """Rows whose every cell's text reads, by the columns' rules, as its value does by the
    table reader's."""
    row_numbers: Any
    typed: dict[str, list[Any]]
    """column (not the id) → each dictionary code's value as the table reader gets it."""
    id_bodies: Any
    """The id cell of each row as the sheet has it (attributes and value), for the rows whose id
    is worked out on demand."""
    parse: Any
    """A cell body → its value as the table reader gets it."""


@dataclass
class XlsxColumns(FileColumns):
    """A workbook's facts as columns: :class:`FileColumns` whose rows given to the table reader
    hold each cell's value as openpyxl and :func:`tables.sheet_value` give it (numbers as int
    or float, percentages and padded formats kept), not its text."""

    sheet: XlsxSheet | None = None

    def cells(self, rows: Sequence[int]) -> list[tuple[int, list[Any]]]:
        assert self.sheet is not None
        sheet = self.sheet
        numbers = np.asarray(self.row_numbers)[list(rows)].tolist()
        out: list[tuple[int, list[Any]]] = [(1, list(self.names))]
        codes = {name: self.coded[name][1] for name in self.names[1:]}
        for k, row in enumerate(rows):
            cells = [sheet.parse(sheet.id_bodies[row].as_py())]
            cells.extend(sheet.typed[name][int(codes[name][row])] for name in self.names[1:])
            out.append((numbers[k], cells))
        return out


def read_xlsx_sheet(path: Path) -> XlsxSheet:
    """The first worksheet of an ``.xlsx`` as text columns, every cell's value as the table
    reader reads it (:func:`tables.load_table`: openpyxl, read-only, then
    :func:`tables.sheet_value`) worked out once per distinct cell by openpyxl's own cell parser.

    The same guards as the table reader first (a regular file within the size limit, the zip
    bomb checks of :func:`tables.check_workbook`); then the sheet's XML is cut into cells by
    Arrow (no Python object per cell). Raises :class:`NotColumnarError` for anything it is not
    sure of, and the usual way reads the file and tells its problems with sheet and cell:
    a header that is not the first row's plain names from column A, cells beyond the header,
    ids stored as numbers (the table reader compares them across rows), a date, a sheet past
    the table reader's row or cell limits, XML it does not expect (prefixed elements, a DTD,
    CDATA) or not well formed."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        tables.check_regular(path)
        tables.check_workbook(path)
        openpyxl = tables.import_openpyxl()
    except (GovscoreError, ImportError):
        raise NotColumnarError("the workbook is read the usual way (which tells why)") from None
    try:
        reader, title, part = _open_workbook(path)
    except NotColumnarError:
        raise
    except Exception as exc:  # openpyxl's own errors: the usual way tells them
        raise NotColumnarError(f"openpyxl does not open it ({type(exc).__name__})") from None
    try:
        xml = reader.archive.read(part)
        return _sheet_columns(openpyxl, reader, SimpleNamespace(parent=reader.wb, title=title),
                              xml, pa, pc)
    except (MemoryError, pa.ArrowMemoryError):  # under a memory limit: the usual way stops
        raise NotColumnarError("not enough memory for the sheet's columns") from None  # GS703
    finally:
        reader.archive.close()


def _open_workbook(path: Path) -> tuple[Any, str, str]:
    """openpyxl's reader of a workbook's parts as ``load_workbook(read_only=True)`` reads them
    (manifest, shared strings, workbook, styles), and the first worksheet's name and part, as
    its ``worksheets[0]``. Not its read-only sheet: that parses the whole sheet once to find its
    size when the file gives none (openpyxl's own write-only files: 20 s for 100,000 rows)."""
    excel = importlib.import_module("openpyxl.reader.excel")  # untyped: held as Any
    stylesheet = importlib.import_module("openpyxl.styles.stylesheet")
    reader = excel.ExcelReader(path, read_only=True, data_only=False)
    try:
        reader.read_manifest()
        reader.read_strings()
        reader.read_workbook()
        reader.read_properties()
        reader.read_custom()
        reader.read_theme()
        stylesheet.apply_stylesheet(reader.archive, reader.wb)
        for sheet, rel in reader.parser.find_sheets():
            if rel.target not in reader.valid_files or "chartsheet" in rel.Type:
                continue
            return reader, str(sheet.name), str(rel.target)
    except BaseException:
        reader.archive.close()
        raise
    reader.archive.close()
    raise NotColumnarError("no worksheet")


def _sheet_columns(openpyxl: Any, reader: Any, sheet: Any, xml: bytes, pa: Any, pc: Any
                   ) -> XlsxSheet:
    read_only_cell = importlib.import_module("openpyxl.cell.read_only").ReadOnlyCell
    column_index_from_string = openpyxl.utils.column_index_from_string
    # openpyxl's own parser of one cell (the table reader's, through iter_rows)
    worksheet_parser = importlib.import_module("openpyxl.worksheet._reader").WorkSheetParser

    start, end = xml.find(b"<sheetData>"), xml.rfind(b"</sheetData>")
    head = xml[:max(start, 0)]
    if start < 0 or end < start or b"<!DOCTYPE" in head or b"<!ENTITY" in head \
            or f'<worksheet xmlns="{MAIN_NS}"'.encode() not in head:
        raise NotColumnarError("the sheet's XML is not of the plain form")
    _well_formed(xml)
    body = _XLSX_EMPTY_CELLS.sub(b"", xml[start + len(b"<sheetData>"):end])
    if b"<![CDATA[" in body or b"<!--" in body or b"<?" in body:  # text the cuts would misread
        raise NotColumnarError("CDATA, a comment or a processing instruction among the cells")
    if b"&#" in body:  # openpyxl writes every character outside ASCII so: 单 as &#21333;
        body = _XLSX_CHARACTER.sub(_character, body)
    try:
        whole = pa.array([body], pa.large_binary()).cast(pa.large_string())
    except pa.ArrowInvalid:
        raise NotColumnarError("the sheet is not UTF-8") from None
    del body
    pieces = pc.list_flatten(pc.split_pattern(whole, "</c>"))
    del whole
    tail = pieces[len(pieces) - 1].as_py()
    if tail.replace("</row>", "") or len(pieces) < 2:  # noqa: PLR2004
        raise NotColumnarError("the sheet's rows are not of the plain form")
    got = pc.extract_regex(pieces.slice(0, len(pieces) - 1), _XLSX_CELL)
    del pieces
    if got.null_count:
        raise NotColumnarError("a cell of another form (a formula, no reference)")
    rows = pc.cast(got.field("row"), pa.int64()).to_numpy()
    opened = got.field("rr")
    # each row element's number is its cells' (openpyxl numbers rows by the element)
    opened_rows = np.asarray(pc.cast(pc.if_else(pc.equal(opened, ""), "0", opened), pa.int64()))
    starts = np.ones(len(rows), dtype=np.bool_)
    starts[1:] = rows[1:] != rows[:-1]
    if not np.array_equal(opened_rows != 0, starts) or \
            np.any(opened_rows[starts] != rows[starts]):
        raise NotColumnarError("a cell's reference is not in its row")
    letters = pc.dictionary_encode(got.field("col"))
    index_of = np.array([column_index_from_string(c) for c in letters.dictionary.to_pylist()],
                        dtype=np.int64)
    cols = index_of[letters.indices.to_numpy(zero_copy_only=False)]
    key = rows * 20_000 + cols
    if len(key) > 1 and np.any(key[1:] <= key[:-1]):
        raise NotColumnarError("cells out of order or given twice")
    bodies = got.field("body")
    del got
    parser = worksheet_parser(None, reader.shared_strings, data_only=False,
                             epoch=reader.wb.epoch,
                             date_formats=reader.wb._date_formats,  # noqa: SLF001
                             timedelta_formats=reader.wb._timedelta_formats)  # noqa: SLF001
    from xml.etree.ElementTree import fromstring

    cached_parser = worksheet_parser(None, reader.shared_strings, data_only=True,
                                     epoch=reader.wb.epoch,
                                     date_formats=reader.wb._date_formats,  # noqa: SLF001
                                     timedelta_formats=reader.wb._timedelta_formats)  # noqa: SLF001

    def held(cell: dict[str, Any]) -> Any:
        if cell["data_type"] == "d" and cell["value"] is not None:
            raise NotColumnarError("a date")  # refused by the table reader, at its cell
        return tables.sheet_value(read_only_cell(sheet, **cell))

    def parse(cell_body: str | None) -> Any:
        """One cell's value as the table reader gets it (None for an absent cell; a formula
        with the value Excel computed, as the reader's second, data-only pass gives it)."""
        if cell_body is None:
            return None
        try:
            # no DTD can come before a <c> element: nothing to expand
            element = fromstring(f'<c xmlns="{MAIN_NS}" r="A1"{cell_body}</c>')  # noqa: S314
            cell = parser.parse_cell(element)
            if cell["data_type"] != "f":
                return held(cell)
            # the formula's text only says which formula has no computed value: a shared
            # formula's, translated to this cell by the usual way, is never shown from here
            return tables.formula_cell(str(cell["value"]),
                                       held(cached_parser.parse_cell(element)))
        except NotColumnarError:
            raise
        except Exception:  # a cell openpyxl's parser refuses: the usual way tells it
            raise NotColumnarError("a cell the workbook reader does not parse") from None

    header_row = int(rows[0])
    in_header = rows == header_row
    width = int(np.count_nonzero(in_header))
    if not np.array_equal(cols[in_header], np.arange(1, width + 1)):
        raise NotColumnarError("the header has a gap")
    names = [parse(b) for b in bodies.slice(0, width).to_pylist()]
    if not all(isinstance(n, str) and n == n.strip() and n for n in names):
        raise NotColumnarError("a header cell that is not a name")
    if np.any(cols[width:] > width):
        raise NotColumnarError("a cell beyond the header")
    data_rows = rows[width:]  # in order: each row's number where it starts, and each cell's row
    starts = np.ones(len(data_rows), dtype=np.bool_)
    starts[1:] = data_rows[1:] != data_rows[:-1]
    row_numbers, row_of = data_rows[starts], np.cumsum(starts) - 1
    n = len(row_numbers)
    if n == 0 or int(rows[-1]) > tables.MAX_SHEET_ROWS or \
            int(rows[-1]) * width > tables.MAX_XLSX_CELLS:
        raise NotColumnarError("no data rows, or past the table reader's limits")
    # the header's cells come first (cells are in order): the rest are the data's
    data_bodies, data_cols = bodies.slice(width), cols[width:]
    is_id = data_cols == 1
    id_bodies = pc.take(data_bodies, pa.array(np.nonzero(is_id)[0]))
    if len(id_bodies) != n:  # a row without an id: the usual way's problem to tell
        raise NotColumnarError("a row without an id cell")
    raw: dict[str, Any] = {names[0]: _xlsx_ids(id_bodies, reader.shared_strings, parse, pa, pc)}
    # every distinct cell of the sheet read once (cells repeat across columns: 0, 1, TRUE …)
    rest = np.nonzero(~is_id)[0]
    encoded = pc.dictionary_encode(pc.take(data_bodies, pa.array(rest)))
    distinct = encoded.dictionary
    all_codes = encoded.indices.to_numpy(zero_copy_only=False)
    rest_cols, rest_rows = data_cols[rest], row_of[rest]
    del data_bodies, encoded
    read: dict[int, Any] = {}
    good = np.ones(n, dtype=np.bool_)
    typed: dict[str, list[Any]] = {}
    for c, name in enumerate(names[1:], start=2):
        mine = rest_cols == c
        uniq, inverse = np.unique(all_codes[mine], return_inverse=True)
        if len(uniq) > MAX_DISTINCT:
            raise NotColumnarError(f"column {name!r} has too many distinct cells")
        values = []
        for code in uniq.tolist():
            if code not in read:
                read[code] = parse(distinct[code].as_py())
            values.append(read[code])
        values.append(None)  # the last: an absent cell
        texts, oks = zip(*(_xlsx_text(v, name in ("category", "tier")) for v in values),
                         strict=True)
        codes = np.full(n, len(uniq), dtype=np.int32)
        codes[rest_rows[mine]] = inverse.reshape(-1)
        good &= np.array(oks, dtype=np.bool_)[codes]
        raw[name] = pa.DictionaryArray.from_arrays(pa.array(codes),
                                                   pa.array(list(texts), pa.string()))
        typed[name] = values
    return XlsxSheet(str(sheet.title), names, raw, good, row_numbers, typed, id_bodies, parse)


def _well_formed(xml: bytes) -> None:
    """The sheet's XML parsed once by expat without building anything (openpyxl would refuse a
    malformed sheet; the cuts above look only at cells). No DTD reaches here (refused above)."""
    from xml.parsers import expat

    parser = expat.ParserCreate()
    try:
        parser.Parse(xml, True)
    except expat.ExpatError:
        raise NotColumnarError("the sheet's XML is not well formed") from None


def _xlsx_ids(bodies: Any, shared: list[str], parse: Any, pa: Any, pc: Any) -> Any:
    """The id column's texts (an Arrow string array): a shared string or a plain inline string
    at once, any other id cell (an inline string with a character reference, an empty one) by
    openpyxl's own parser. An id stored as a number makes the file the usual way's: the table
    reader compares those with the other ids (leading zeros a sheet lost)."""
    got = pc.extract_regex(bodies, _XLSX_ID_TEXT)
    matched = mask_of(pc.is_valid(got))
    is_shared = mask_of(pc.equal(got.field("shared"), "s"))
    index = np.asarray(pc.cast(pc.if_else(pa.array(is_shared), got.field("index"), "0"),
                               pa.int64()))
    if is_shared.any() and int(index.max()) >= len(shared):
        raise NotColumnarError("a shared string the workbook does not have")
    table = pa.array(shared if shared else [""], pa.string())
    from_shared = pc.take(table, pa.array(np.where(is_shared, index, 0)))
    text = pc.if_else(pa.array(is_shared), from_shared, got.field("inline")).cast(pa.string())
    others = np.nonzero(~matched)[0]
    if len(others) > MAX_DISTINCT:
        raise NotColumnarError("too many id cells of another form")
    if len(others):
        values = [parse(b) for b in pc.take(bodies, pa.array(others)).to_pylist()]
        if any(v is not None and not isinstance(v, str) for v in values):
            raise NotColumnarError("an id stored as a number")
        given = np.full(len(bodies), None, dtype=object)
        given[others] = ["" if v is None else v for v in values]
        text = pc.coalesce(pa.array(given.tolist(), pa.string()), pc.if_else(
            pa.array(matched), text, pa.scalar(None, pa.string())))
    return text


def _xlsx_text(value: Any, unit_key: bool) -> tuple[str, bool]:
    """A cell's value as the text the columns read, and whether they read it as the table reader
    reads the value (the same type and digits; for category and tier, text)."""
    if value is None:
        return "", True
    shown = getattr(value, "cached", value)  # a formula: the value Excel computed
    if isinstance(value, str) or (shown is not value and isinstance(shown, str)):
        return _texted(value, shown, unit_key)
    if isinstance(shown, bool):
        text = "true" if shown else "false"
    elif isinstance(shown, int):
        text = str(shown)
    elif isinstance(shown, float):
        text = repr(shown)
    else:
        return _NOT_PLAIN, False
    if unit_key:
        return _NOT_PLAIN, False
    return _same(value, text)


def _texted(value: Any, shown: str, unit_key: bool) -> tuple[str, bool]:
    """A text cell (or a formula computing text): the columns read its text by the table
    reader's own rule; category and tier must be plain text."""
    if shown is value:
        return shown, True
    return (shown, True) if not unit_key and _same(value, shown)[1] else (_NOT_PLAIN, False)


def _same(value: Any, text: str) -> tuple[str, bool]:
    """``text`` where the table reader reads it as it reads ``value`` (same type and digits)."""
    try:
        usual, ours = tables.cell_value(value), tables.cell_value(text)
    except tables.CellError:
        return _NOT_PLAIN, False
    same = type(usual) is type(ours) and str(usual) == str(ours)
    return (text, True) if same else (_NOT_PLAIN, False)
