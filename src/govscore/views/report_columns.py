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

CHUNK = 131_072
"""Rows joined into text at a time when writing CSV."""


def fixed_text(data: Any, places: int) -> Any:
    """Scaled integers (value × 10^places) as decimal text at ``places`` places (−5 at 2: -0.05),
    an Arrow string array."""
    import pyarrow as pa
    import pyarrow.compute as pc

    data = np.asarray(data, dtype=np.int64)
    magnitude = pc.cast(pa.array(np.abs(data)), pa.string())
    if places > 0:
        padded = pc.utf8_lpad(magnitude, places + 1, "0")
        head = pc.utf8_slice_codeunits(padded, 0, -places)
        tail = pc.utf8_slice_codeunits(padded, -places)
        magnitude = pc.binary_join_element_wise(head, tail, ".")
    sign = pa.array(np.where(data < 0, "-", ""))
    return pc.binary_join_element_wise(sign, magnitude, "")


def exact_text(data: Any, exp: int, exps: Any) -> Any:
    """Values held as ``data`` × 10^−exp written at each unit's own Decimal exponent ``exps``
    (an int for all, or one per unit): what ``str(Decimal)`` gives for that value and exponent
    (no exponent above 0 reaches here: engine.exponents' values come from a scheme's numbers)."""
    import pyarrow.compute as pc

    data = np.asarray(data, dtype=np.int64)
    if isinstance(exps, int):
        return fixed_text(_at(data, exp, -exps), -exps)
    exps = np.asarray(exps)
    out = None
    for e in np.unique(exps).tolist():
        text = fixed_text(_at(data, exp, -e), -e)
        out = text if out is None else pc.if_else(exps == e, text, out)
    assert out is not None or not len(data)
    return out if out is not None else fixed_text(data, exp)


def _at(data: Any, exp: int, places: int) -> Any:
    if places >= exp:
        return data * 10 ** (places - exp)
    return data // 10 ** (exp - places)  # exact where the value is written at these places


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


def write(handle: BinaryIO, suffix: str, names: list[str], columns: dict[str, Any]) -> None:
    """The report as ``.csv`` or ``.parquet`` (by the suffix) into an open binary file."""
    cells = {name: guarded(columns[name]) if name in TEXT_COLUMNS else columns[name]
             for name in names}
    if suffix.lower() == ".parquet":
        write_parquet(handle, names, cells)
        return
    import pyarrow as pa
    import pyarrow.compute as pc

    header = ",".join(_quoted(pa.array(names, pa.string())).to_pylist()) + "\n"
    n = len(columns[names[0]])
    handle.write(("\ufeff" + header).encode("utf-8"))
    for start in range(0, n, CHUNK):
        parts = [_quoted(pc.fill_null(cells[name].slice(start, CHUNK), ""))
                 for name in names]
        lines = pc.binary_join_element_wise(*parts, ",")
        body = pc.binary_join_element_wise(lines, pa.scalar(""), "\n")
        handle.write(_bytes(body))


def _bytes(column: Any) -> bytes:
    """The text of a string array's cells one after another (its data buffer, no copy per
    cell)."""
    import pyarrow as pa

    column = pa.concat_arrays([column]) if column.offset else column
    offsets = np.frombuffer(column.buffers()[1], dtype=np.int32)[:len(column) + 1]
    data = column.buffers()[2]
    if data is None:
        return b""
    whole: bytes = data.to_pybytes()
    return whole[int(offsets[0]):int(offsets[-1])]


def write_parquet(handle: BinaryIO, names: list[str], cells: dict[str, Any]) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    arrays = {}
    for name in names:
        column = cells[name].cast(pa.string())
        empty = pc.equal(column, "")
        column = pc.if_else(empty, pa.scalar(None, pa.string()), column)
        if name == "rank":
            arrays[name] = pc.cast(column, pa.int64())
        elif name in TEXT_COLUMNS:
            arrays[name] = column
        else:
            point = pc.find_substring(column, ".")
            length = pc.utf8_length(column)
            frac = pc.if_else(pc.less(point, 0), 0, pc.subtract(pc.subtract(length, point), 1))
            scale = pc.max(frac).as_py() or 0
            arrays[name] = pc.cast(column, pa.decimal128(38, scale))
    pq.write_table(pa.table(arrays), handle, compression="zstd")


def parquet_from_csv(handle: BinaryIO, text: str) -> None:
    """The Parquet form of a CSV report's text (the usual way's ``-o OUT.parquet``)."""
    import io

    import pyarrow as pa
    from pyarrow import csv as pacsv

    data = text.lstrip("\ufeff").encode("utf-8")
    names = next(iter(__import__("csv").reader(io.StringIO(text.lstrip("\ufeff")))))
    table = pacsv.read_csv(io.BytesIO(data), convert_options=pacsv.ConvertOptions(
        column_types={n: pa.string() for n in names}, strings_can_be_null=False,
        quoted_strings_can_be_null=False))
    write_parquet(handle, names, {n: table.column(n).combine_chunks() for n in names})
