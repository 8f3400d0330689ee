"""The CSV report (:func:`govscore.views.report.to_csv`'s columns and wording) and its Parquet
form written from Arrow text columns, without a Python object per cell (pyarrow, numpy).

Cells are the CSV report's: text cells through the spreadsheet-formula guard of
:func:`govscore.textsafe.csv_cell` (a leading ``'`` before ``= + - @``, tab, CR; control
characters escaped), numbers as their exact digits, quoted as Python's csv module quotes
(a cell holding ``,``, ``"``, CR or LF), lines ending in LF, the file beginning with a BOM.

The Parquet form has the same columns and cells, typed: ``rank`` int64, ``total``,
``computed_total`` and every node value ``decimal128`` at the most places the column holds
(exact: ``20`` and ``18.50`` are both held at 2 places), empty cells null, text as text. The
usual way writes it from the CSV report's text (:func:`parquet_from_csv`), the columns from
their columns: the same file either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, BinaryIO

import numpy as np

from govscore.textsafe import CSV_TRIGGERS, csv_cell

TEXT_COLUMNS = ("unit", "category", "tier", "scope", "grade", "awards", "undecided", "vetoes",
                "ineligible")
"""The report's text columns (the formula guard applies); every other column is a number."""

_CONTROL = r"[\x00-\x08\x0b-\x1f\x7f-\x9f\x{ad}\x{61c}\x{180e}\x{200b}-\x{200f}\x{2028}-\x{202e}" \
    r"\x{2060}-\x{2064}\x{2066}-\x{206f}\x{feff}\x{fff9}-\x{fffb}]"
"""textsafe's control and format characters (RE2 syntax): a cell holding one is guarded by
csv_cell itself."""

CHUNK = 65_536
"""Rows joined into text at a time when writing CSV."""


EMPTY = 63
"""The exponent code of an empty cell (a node the unit does not have) in :class:`Numbers`."""


class Numbers:
    """A report's number column gathered in pieces — scaled integers with each unit's Decimal
    exponent — and written once per distinct (value, exponent): every cell's text is what
    ``str(Decimal)`` gives the scalar path's value, but only the distinct texts are made."""

    def __init__(self) -> None:
        self.parts: list[tuple[Any, int, Any, int]] = []

    def add(self, data: Any, exp: int, exps: Any) -> None:
        """Values ``data × 10^−exp`` whose Decimals have exponent ``exps`` (an int, or one per
        value)."""
        self.parts.append((np.asarray(data, dtype=np.int64), exp, exps, len(data)))

    def empty(self, count: int) -> None:
        self.parts.append((None, 0, EMPTY, count))

    def column(self, tail: Sequence[Decimal | None]) -> tuple[Any, Any, int] | None:
        """(the texts as an Arrow dictionary array, the values as int64, their exponent) of the
        pieces followed by ``tail`` (the scalar path's values, None for empty); None when a
        value does not fit (the caller writes the usual way)."""
        import pyarrow as pa

        tail_exps = []
        for value in tail:
            if value is None:
                tail_exps.append(EMPTY)
                continue
            e = value.as_tuple().exponent
            if not isinstance(e, int) or e > 0:
                return None
            tail_exps.append(e)
        top = max([0, *(e for data, e, _, _ in self.parts if data is not None),
                   *(-e for e in tail_exps if e != EMPTY)])
        if top > 15:  # noqa: PLR2004 - beyond what a key of 56 bits holds
            return None
        data_parts, exp_parts = [], []
        for data, e, exps, count in self.parts:
            if data is None:
                data_parts.append(np.zeros(count, dtype=np.int64))
            else:
                room = 2**55 // 10 ** (top - e)
                if count and not -room < int(data.min()) <= int(data.max()) < room:
                    return None
                data_parts.append(data * 10 ** (top - e) if top != e else data)
            exp_parts.append(exps)
        tail_data = [0 if v is None else int(v.scaleb(top)) for v in tail]
        if tail_data and max(abs(t) for t in tail_data) >= 2**55:
            return None
        data_parts.append(np.array(tail_data, dtype=np.int64))
        exp_parts.append(np.array(tail_exps, dtype=np.int64))
        values = np.concatenate(data_parts) if len(data_parts) > 1 else data_parts[0]
        # the key of a cell: its value, with its exponent beside it unless every value has
        # the same one (an item's values, every unit's the scheme's places)
        seen = {e for e in exp_parts[:-1] if isinstance(e, int)} | set(tail_exps)
        if len(seen) == 1 and all(isinstance(e, int) for e in exp_parts[:-1]):
            (one,) = seen
            key = values
        else:
            one = None
            exps_all = np.concatenate([
                np.full(count, e, dtype=np.int64) if isinstance(e, int) else
                np.asarray(e, dtype=np.int64) for e, (_, _, _, count) in
                zip(exp_parts[:-1], self.parts, strict=True)] + [exp_parts[-1]])
            key = values * 128 + (exps_all + 64)
        coded = dense_codes(key)
        if coded is None:
            encoded = pa.array(key).dictionary_encode()  # a hash pass: no sort
            distinct, inverse = encoded.dictionary.to_pylist(), narrow(encoded.indices)
        else:
            distinct, inverse = coded[0].tolist(), coded[1]
        texts = []
        for k in distinct:
            value, e = (k, one) if one is not None else (k >> 7, (k & 127) - 64)
            texts.append("" if e == EMPTY else _fixed(value, top, -e))
        dictionary = pa.DictionaryArray.from_arrays(inverse, pa.array(texts, pa.string()))
        return dictionary, values, top


def dense_codes(values: Any) -> tuple[Any, Any] | None:
    """(the distinct values, each value's index among them as the narrowest Arrow integers)
    by a table over the values' range, where it is small; None where it is not (the caller
    hashes). A chunk's node values at 2 places lie in a range of some thousands."""
    import pyarrow as pa

    n = len(values)
    if not n:
        return None
    lo, hi = int(values.min()), int(values.max())
    if hi - lo >= max(4 * n, 1 << 16):
        return None
    present = np.zeros(hi - lo + 1, dtype=np.bool_)
    offset = values - lo
    present[offset] = True
    distinct = np.flatnonzero(present)
    index = np.cumsum(present, dtype=np.int32) - 1
    kind: Any = np.int32
    for narrower, bound in ((np.int16, 32_767), (np.int8, 127)):
        if len(distinct) - 1 <= bound:
            kind = narrower
    return distinct + lo, pa.array(index.astype(kind)[offset])


def narrow(indices: Any) -> Any:
    """Dictionary indices in the smallest integer type that holds them (int8 for most of a
    report's columns: a quarter of the memory of int32)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    top = pc.max(indices).as_py() if len(indices) else 0
    for kind, bound in ((pa.int8(), 127), (pa.int16(), 32_767)):
        if top is None or top <= bound:
            return indices.cast(kind)
    return indices


def _fixed(value: int, exp: int, places: int) -> str:
    """``value × 10^−exp`` written at ``places`` places (exactly: it has no more)."""
    v = value * 10 ** (places - exp) if places >= exp else value // 10 ** (exp - places)
    digits = str(abs(v)).rjust(places + 1, "0")
    body = f"{digits[:-places]}.{digits[-places:]}" if places else digits
    return ("-" if v < 0 else "") + body


def guarded(column: Any) -> Any:
    """A text column through csv_cell's formula guard."""
    import pyarrow as pa
    import pyarrow.compute as pc

    column = column.cast(pa.string())
    if bool(pc.any(pc.match_substring_regex(column, _CONTROL)).as_py() or False):
        return pa.array([csv_cell(v) for v in column.to_pylist()], pa.string())
    trigger = pc.match_substring_regex(column, "^[" + "".join(
        "\\" + c if c in "-+" else c for c in CSV_TRIGGERS).replace("\t", "\\t").replace(
            "\r", "\\r") + "]")
    return pc.if_else(trigger, pc.binary_join_element_wise(pa.scalar("'"), column, ""), column)


def _quoted(column: Any) -> Any:
    """Cells as csv.writer (QUOTE_MINIMAL) writes them."""
    import pyarrow.compute as pc

    needs = pc.match_substring_regex(column, '[,"\r\n]')
    if not pc.any(needs).as_py():
        return column
    doubled = pc.replace_substring(column, '"', '""')
    return pc.if_else(needs, pc.binary_join_element_wise('"', doubled, '"', ""), column)


SMALL = 4_096
"""A dictionary of at most this many distinct cells is guarded and quoted in Python, by
csv_cell itself (one regex compiled per Arrow call costs more than a few thousand cells)."""


def quoted_cell(cell: str) -> str:
    """A cell as csv.writer (QUOTE_MINIMAL) writes it."""
    if any(c in cell for c in ',"\r\n'):
        return '"' + cell.replace('"', '""') + '"'
    return cell


def _prepared(column: Any, text: bool) -> Any:
    """A column's CSV cells: a dictionary array's distinct cells guarded and quoted once."""
    import pyarrow as pa

    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if isinstance(column, pa.DictionaryArray):
        if column.null_count:  # a null cell is written empty: the plain column's way
            return column.cast(pa.string())
        values = column.dictionary.cast(pa.string())
        if len(values) <= SMALL and not values.null_count:
            values = pa.array([quoted_cell(str(csv_cell(v)) if text else v)
                               for v in values.to_pylist()], pa.string())
        else:
            values = _quoted(guarded(values) if text else values)
        return pa.DictionaryArray.from_arrays(column.indices, values)
    return column


GROUPED = 65_536
"""Adjacent dictionary columns are written as one column of their cells joined by commas
while the product of their dictionaries' sizes stays within this: a row is then a few cells
to join instead of one per column (the join's cost is per cell)."""


class _Group:
    """Adjacent dictionary columns written as one: each combination of their cells is a code
    (``(i0 × n1 + i1) × n2 + i2 …``) into every combination's text, made once. The codes of
    every row are worked out once, in the order the rows are written (:meth:`ordered`), so
    that a chunk of rows is a slice."""

    def __init__(self, first: Any) -> None:
        self.codes = [np.asarray(first.indices)]
        self.sizes = [len(first.dictionary)]
        self.dictionary = first.dictionary
        self.code: Any = None

    def size(self) -> int:
        return int(np.prod(self.sizes, dtype=np.int64))

    def join(self, column: Any) -> None:
        import pyarrow.compute as pc

        left, right = len(self.dictionary), len(column.dictionary)
        self.dictionary = pc.binary_join_element_wise(
            self.dictionary.take(np.repeat(np.arange(left), right)),
            column.dictionary.take(np.tile(np.arange(right), left)), ",")
        self.codes.append(np.asarray(column.indices))
        self.sizes.append(right)

    def ordered(self, positions: Any) -> None:
        """Every row's code (int32: a product within GROUPED), in the order ``positions``
        gives (all rows as they are if None); the columns' codes are let go."""
        code = self.codes[0].astype(np.int32)
        for codes, size in zip(self.codes[1:], self.sizes[1:], strict=True):
            code *= size
            code += codes
        self.code = code if positions is None else code[positions]
        self.codes = []

    def rows(self, start: int) -> Any:
        """The cells of the rows ``start`` … ``start + CHUNK`` in the written order."""
        import pyarrow as pa

        return self.dictionary.take(pa.array(self.code[start:start + CHUNK]))


def _pieces(names: list[str], cells: dict[str, Any]) -> list[tuple[str, Any]]:
    """The columns to join per row: runs of dictionary columns grouped (:class:`_Group`),
    every other column as itself (name, column)."""
    import pyarrow as pa

    pieces: list[tuple[str, Any]] = []
    for name in names:
        column = cells[name]
        if not isinstance(column, pa.DictionaryArray):
            pieces.append((name, column))
            continue
        last = pieces[-1][1] if pieces else None
        if isinstance(last, _Group) and last.size() * len(column.dictionary) <= GROUPED:
            last.join(column)
        else:
            pieces.append((name, _Group(column)))
    return pieces


def write(handle: BinaryIO, suffix: str, names: list[str], columns: dict[str, Any], *,
          ready: frozenset[str] = frozenset(), order: Any = None) -> None:
    """The report as ``.csv`` or ``.parquet`` (by the suffix) into an open binary file; a
    column is an Arrow string array, a dictionary array of strings, or (rank) integers. The
    columns named in ``ready`` hold CSV cells already (guarded and quoted); ``order`` the rows
    to write in their order (an Arrow index array; all rows as they are if None)."""
    if suffix.lower() == ".parquet":
        write_parquet(handle, names, columns, order)
        return
    import pyarrow as pa
    import pyarrow.compute as pc

    cells = {name: _prepared(columns[name], name in TEXT_COLUMNS) for name in names}
    header = ",".join(quoted_cell(name) for name in names) + "\n"
    n = len(columns[names[0]])
    handle.write(("\ufeff" + header).encode("utf-8"))
    pieces = _pieces(names, cells)
    positions = None if order is None else np.asarray(order, dtype=np.int64)
    for _, piece in pieces:
        if isinstance(piece, _Group):
            piece.ordered(positions)
    last = pieces[-1][1]
    ends = isinstance(last, _Group)  # its cells end the line: LF written with them
    if ends:
        last.dictionary = pc.binary_join_element_wise(last.dictionary, pa.scalar("\n"), "")
    for start in range(0, n, CHUNK):
        parts = []
        for name, piece in pieces:
            if isinstance(piece, _Group):
                parts.append(piece.rows(start))
                continue
            part = piece.slice(start, CHUNK) if positions is None else \
                piece.take(pa.array(positions[start:start + CHUNK]))
            if pa.types.is_integer(part.type):  # a number: never quoted
                part = part.cast(pa.string())
            elif name not in ready:
                part = pc.fill_null(part.cast(pa.string()), "")
                part = _quoted(guarded(part) if name in TEXT_COLUMNS else part)
            parts.append(part)
        body = pc.binary_join_element_wise(*parts, ",")
        if not ends:
            body = pc.binary_join_element_wise(body, pa.scalar(""), "\n")
        handle.write(_bytes(body))
        # no release of the chunk's memory to the system here: the next chunk reuses it, and
        # giving it back each time (malloc_trim) cost 0.25 s a million rows
        del parts, body


def _rows(column: Any, order: Any, start: int) -> Any:
    """Rows ``start`` … ``start + CHUNK`` of a column, in ``order`` (all rows if None)."""
    if order is None:
        return column.slice(start, CHUNK)
    return column.take(order.slice(start, CHUNK))


def _bytes(column: Any) -> Any:
    """The text of a string array's cells one after another: a view of its data buffer, no
    copy."""
    import pyarrow as pa

    column = pa.concat_arrays([column]) if column.offset else column
    offsets = np.frombuffer(column.buffers()[1], dtype=np.int32)[:len(column) + 1]
    data = column.buffers()[2]
    if data is None:
        return b""
    return memoryview(data)[int(offsets[0]):int(offsets[-1])]


def write_parquet(handle: BinaryIO, names: list[str], columns: dict[str, Any],
                  order: Any = None) -> None:
    """The Parquet form (see the module's docstring), written in row groups of CHUNK rows: the
    text columns guarded as in the CSV, numbers typed at their column's most places."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    kinds: dict[str, Any] = {}
    for name in names:
        column = columns[name]
        if name == "rank":
            kinds[name] = pa.int64()
        elif name in TEXT_COLUMNS:
            kinds[name] = pa.string()
        else:
            values = column.dictionary if isinstance(column, pa.DictionaryArray) else column
            values = values.cast(pa.string())
            point = pc.find_substring(values, ".")
            length = pc.utf8_length(values)
            frac = pc.if_else(pc.less(point, 0), 0, pc.subtract(pc.subtract(length, point), 1))
            kinds[name] = pa.decimal128(38, pc.max(frac).as_py() or 0)
    schema = pa.schema([(name, kinds[name]) for name in names])
    n = len(columns[names[0]])
    with pq.ParquetWriter(handle, schema, compression="zstd") as writer:
        for start in range(0, max(n, 1), CHUNK):
            arrays = []
            for name in names:
                part = _rows(columns[name], order, start)
                if isinstance(part, pa.DictionaryArray):
                    part = part.dictionary.take(part.indices)
                part = part.cast(pa.string())
                if name in TEXT_COLUMNS:
                    part = guarded(pc.fill_null(part, ""))
                part = pc.if_else(pc.equal(part, ""), pa.scalar(None, pa.string()), part)
                arrays.append(pc.cast(part, kinds[name]))
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema))


def parquet_from_csv(handle: BinaryIO, text: str) -> None:
    """The Parquet form of a CSV report's text (the usual way's ``-o OUT.parquet``)."""
    import io

    import pyarrow as pa
    from pyarrow import csv as pacsv

    data = text.lstrip("\ufeff").encode("utf-8")
    names = next(iter(__import__("csv").reader(io.StringIO(text.lstrip("\ufeff")))))
    try:
        table = pacsv.read_csv(io.BytesIO(data), convert_options=pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names}, strings_can_be_null=False,
            quoted_strings_can_be_null=False))
    except pa.ArrowInvalid:  # a REJECTED row is shorter than the header: its cells padded
        rows = list(__import__("csv").reader(io.StringIO(text.lstrip("\ufeff"))))[1:]
        width = len(names)
        padded = [[*row, *[""] * (width - len(row))] for row in rows]
        table = pa.table({n: pa.array([row[k] for row in padded], pa.string())
                          for k, n in enumerate(names)})
    write_parquet(handle, names, {n: table.column(n).combine_chunks() for n in names})
