"""Facts from spreadsheets (CSV, TSV, Excel ``.xlsx``), and several facts sources → one list of units.

Two layouts, told apart by the header row:

- **wide**: one row per unit; columns ``id``, optional ``category``, ``tier``, ``title``, then one
  column per fact. Facts whose value is a mapping (by_level, rating, ratio, an exemption) take one
  column per key: ``bonus_articles.city``, ``survey.满意``, ``info_target.done``,
  ``key_tasks.exempt``. A second header row of titles is skipped when its first cell starts with
  ``#`` or its id cell is a label such as 单位 and it holds no number;
- **long**: columns ``unit, fact, value``; ``fact`` may be ``item.key`` too, or ``category``,
  ``tier`` and ``title``.

Cells become values without guessing: numbers from their text (never through a binary float;
``98.5%`` is 0.985 exactly), ``true``/``false``/``是``/``否`` (any case) as flags, other text as text,
and an empty cell means the fact is not given (so the scheme's default applies). Rows whose first
cell starts with ``#`` are comments. Ids are always text; an id a spreadsheet has mangled (a long
number in scientific notation, a number with ≥ 12 digits or lost leading zeros, an error value
such as ``#N/A``) is an error asking to store the ids as text.

CSV and TSV may be UTF-8 (with or without BOM), UTF-16 with BOM (Excel's "Unicode text"), or
GB18030 as Chinese Excel and WPS export them: strict UTF-8 is tried first, then GB18030; the
encoding used is reported in :class:`Table`. :func:`detect_encoding` is the one encoding detector
of every facts file (YAML and JSON too, in :mod:`govscore.inputs.readers`), read whole or as a
stream, and :data:`MAX_FACTS_BYTES` the one size limit. ``.xlsx`` needs openpyxl (``govscore[excel]``); the
first sheet is read, values not formulas (a formula Excel never computed is an error).

Every problem names the file, row and column, and the unit and fact where known (GS409); all
problems of a file are raised together as one :class:`FactsFileError`. Duplicate unit ids are
left to the evaluation, which reports them unit by unit (GS405).

Entries for the same unit id from several sources are merged by :func:`merge_sources`; two
sources giving different values for the same unit and fact is an error naming both (GS410).
"""

from __future__ import annotations

import codecs
import csv
import datetime
import importlib
import io
import math
import re
import sys
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any, BinaryIO, Literal

from govscore import budget, files
from govscore.errors import Diagnostic, FactsFileError, GovscoreError, Span
from govscore.numbers import Percent, near_number, parse_number
from govscore.textsafe import csv_text, excerpt, id_key, id_problem, terminal

MAX_FACTS_BYTES = 500_000_000
"""A facts file (of any format) larger than this is refused (GS409)."""
MAX_PROBLEMS = 200
"""At most this many problems are listed per file (then a count of the rest)."""
MAX_ID_DIGITS = 12
"""A numeric id cell with this many digits or more is refused: spreadsheets keep 15 significant
digits, so 身份证 and 统一社会信用代码 numbers lose theirs."""
MAX_SIGNIFICANT = 15
"""Excel shows at most 15 significant digits; a number with more is a binary rounding artefact."""
MAX_XLSX_UNZIPPED = 300_000_000
"""An .xlsx is a zip archive: the sum of its entries' unzipped sizes may not exceed this (a zip
bomb of 77 KB that unzips to gigabytes is refused before openpyxl opens it)."""
MAX_XLSX_ENTRIES = 2_000
"""At most this many entries in an .xlsx archive (a workbook has a few dozen)."""
MAX_XLSX_RATIO = 200
"""An entry larger than 10 MB unzipped may be at most this many times its compressed size (sheet
XML compresses 10–30 times; bombs thousands of times)."""
MAX_XLSX_CELLS = 20_000_000
"""At most this many cells (empty ones between values included) are read from a sheet."""
MAX_SHEET_ROWS = 1_048_576
"""Excel's own row limit: a row number beyond it is refused."""
OLE2_SIGNATURE = bytes.fromhex("d0cf11e0a1b11ae1")
"""The first bytes of an old Excel .xls, a WPS .et and other OLE2 compound documents."""
OLD_WORKBOOK_SUFFIXES = (".xls", ".et", ".ett", ".xlt", ".xlsb", ".xlsm", ".ods", ".wps")

UNIT_KEYS = ("category", "tier", "title")
TITLE_LABELS = frozenset({"单位", "单位名称", "被考核单位", "考核单位", "名称", "单位id", "单位 id"})
EXCEL_ERRORS = frozenset({"#N/A", "#VALUE!", "#REF!", "#DIV/0!", "#NUM!", "#NAME?", "#NULL!",
                          "#SPILL!", "#CALC!", "#GETTING_DATA", "#FIELD!", "#BLOCKED!",
                          "#UNKNOWN!", "#CONNECT!", "#BUSY!"})
_TRUE = frozenset({"true", "是"})
_FALSE = frozenset({"false", "否"})
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?%?", re.ASCII)
_PLAIN_NUMBER = re.compile(r"-?\d+(?:\.\d+)?", re.ASCII)
_SCIENTIFIC_ID = re.compile(r"\d(?:\.\d+)?[eE]\+?\d+", re.ASCII)
_NAME = re.compile(r"[^\s.#]+(?:\.[^\s.]+)?")
_PADDED_FORMAT = re.compile(r"0{2,}")


@dataclass(frozen=True)
class Table:
    """A facts table as read: the unit entries and how they were read."""

    units: list[dict[str, Any]]
    encoding: str
    """utf-8, utf-8-sig (with BOM), utf-16, gb18030 — or xlsx, or frame (a DataFrame's rows)."""
    layout: Literal["wide", "long"]
    rows: int
    """Data rows read (comment, title and empty rows not counted)."""
    skipped: tuple[int, ...] = ()
    """Row numbers skipped as comments or a title row."""
    sheet: str | None = None
    """The worksheet read (.xlsx)."""
    rows_of: Mapping[str, int] = field(default_factory=dict)
    """Each unit's row (wide layout: its row; long layout: its first row)."""
    repeated: Mapping[str, list[int]] = field(default_factory=dict)
    """Every row of a unit id given in more than one row (wide layout)."""
    columns: Mapping[str, tuple[int, str, str | None]] = field(default_factory=dict)
    """A fact (``fact`` or its first ``fact.key``) → (column, header, title)."""

    def where(self, unit: str, fact: str | None = None) -> str | None:
        """Where a unit's fact is in this table, as a person finds it (``sheet 评分表, cell C5
        (key_tasks: 重点任务)``), or its row, or None when the unit is not in it."""
        row = self.rows_of.get(unit)
        if row is None:
            return None
        sheet = f"sheet {self.sheet}, " if self.sheet else ""
        if unit in self.repeated:
            return f"{sheet}rows {', '.join(map(str, self.repeated[unit][:20]))}"
        column = self.columns.get(fact) if fact is not None and self.layout == "wide" else None
        if column is None:
            return f"{sheet}row {row}"
        col, header, title = column
        return sheet + cell_name(row, col, header, title)


@dataclass(frozen=True)
class _Formula:
    """An xlsx formula cell; ``cached`` is the value Excel last computed (None if never)."""

    text: str
    cached: Any = None


@dataclass(frozen=True)
class _ErrorValue:
    text: str


@dataclass(frozen=True)
class _PercentNumber:
    """A number shown as a percentage by its cell format (0.85 shown as 85%)."""

    value: int | float


@dataclass(frozen=True)
class _PaddedNumber:
    """A number shown with leading zeros by its cell format (000123): the zeros are not stored."""

    value: int | float
    number_format: str


class CellError(GovscoreError):
    """A cell that cannot be a fact value or a unit id (:func:`cell_value`, :func:`unit_id`);
    ``str()`` is the reason. Reading a table reports it at its cell, in the file's
    FactsFileError (GS409)."""

    code = "GS409"


@dataclass
class _Problems:
    file: str
    items: list[Diagnostic] = field(default_factory=list)
    more: int = 0
    sheet: str | None = None
    """The worksheet's name (.xlsx), said in every problem."""
    titles: dict[int, str] = field(default_factory=dict)
    """Column → its title from the row of titles under the header, where there is one."""

    def add(self, message: str, row: int = 1, col: int = 1, *, unit: str | None = None,
            fact: str | None = None, header: str | None = None) -> None:
        if len(self.items) >= MAX_PROBLEMS:
            self.more += 1
            return
        where = [f"sheet {self.sheet}"] if self.sheet else []
        if col:
            where.append(cell_name(row, col, header, self.titles.get(col)))
        if unit is not None:
            where.append(f"unit {unit}")
        prefix = ", ".join(where)
        # sheet names, titles, ids and fact names come from the file: never raw escapes
        text = terminal(f"{prefix}: {message}" if prefix else message, one_line=True)
        self.items.append(Diagnostic("GS409", text,
                                     span=Span(self.file, row, col or 1), unit=unit,
                                     item=fact))

    def extend(self, other: _Problems) -> None:
        """Append another list's problems after these, keeping the limit of MAX_PROBLEMS."""
        for item in other.items:
            if len(self.items) >= MAX_PROBLEMS:
                self.more += 1
            else:
                self.items.append(item)
        self.more += other.more

    def raise_if_any(self) -> None:
        if not self.items:
            return
        items = list(self.items)
        if self.more:
            last = items[-1].span or Span(self.file, 1, 1)
            items.append(Diagnostic("GS409", f"… and {self.more} more problem(s) not listed",
                                    span=Span(self.file, last.line, last.column + 1)))
        raise FactsFileError(items, f"{self.file}: cannot read the facts")


def cell_name(row: int, col: int, header: str | None = None, title: str | None = None) -> str:
    """A cell as a person finds it in the sheet: ``cell C5 (key_tasks: 重点任务 0–5 分)``, with
    the column's header and title (the row of titles under the header) where known."""
    label = ": ".join(excerpt(x, 60)[1:-1] if len(x) <= 60 else excerpt(x, 60)  # noqa: PLR2004
                      for x in (header, title) if x)
    return f"cell {column_letter(col)}{row}" + (f" ({label})" if label else "")


def column_letter(col: int) -> str:
    """1 → A, 27 → AA (as a spreadsheet names columns)."""
    letters = ""
    while col > 0:
        col, rest = divmod(col - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def cannot_read(file: str, message: str, row: int = 1, col: int = 1) -> FactsFileError:
    """The error for a facts file that cannot be read (GS409), at ``row`` and ``col``."""
    return FactsFileError([Diagnostic("GS409", message, span=Span(file, row, col))],
                          f"{file}: cannot read the facts")



# ------------------------------------------------------------------------------------------------
# reading bytes, and the one encoding detector of every facts file (whole or streamed)

_CHUNK = 1 << 20


def read_bytes(path: Path) -> bytes:
    """A facts file's bytes; GS409 if it cannot be read or is larger than MAX_FACTS_BYTES."""
    try:
        return files.read_limited(path, MAX_FACTS_BYTES)
    except files.ReadRefused as exc:
        raise cannot_read(str(path), str(exc)) from None


def check_regular(path: Path) -> int:
    """The size of a facts file that is a regular file within MAX_FACTS_BYTES; GS409 if it is
    not (a device, a FIFO, a folder) or is larger."""
    try:
        size = files.check_regular(path)
    except files.ReadRefused as exc:
        raise cannot_read(str(path), str(exc)) from None
    if size > MAX_FACTS_BYTES:
        raise cannot_read(str(path), f"the file has {size} bytes; the limit is {MAX_FACTS_BYTES}")
    return size


def decode_text(raw: bytes, file: str) -> tuple[str, str]:
    """Text and the encoding used (see :func:`detect_encoding`)."""
    encoding = detect_encoding(io.BytesIO(raw), file)
    return raw.decode(encoding), encoding


def sniff_encoding(path: Path) -> str:
    """The encoding of a facts file, read in chunks (the file is never held whole), as
    :func:`detect_encoding` finds it."""
    file = str(path)
    check_regular(path)
    try:
        with path.open("rb") as handle:
            return detect_encoding(handle, file)
    except OSError as exc:
        raise cannot_read(file, f"cannot read {path}: {exc.strerror}") from None


def detect_encoding(handle: BinaryIO, file: str) -> str:
    """The encoding of a facts file's bytes, a Python codec name: BOMs first (utf-8-sig,
    utf-16), then strict UTF-8 (utf-8), then GB18030 as Chinese Excel and WPS save text
    (gb18030). The bytes are decoded in chunks from a seekable binary handle, so a file is never
    held whole. NUL characters are refused (UTF-16 without a BOM decodes as UTF-8 full of them).
    Every problem is a FactsFileError (GS409) naming the byte or row."""
    head = handle.read(4)
    if head.startswith(codecs.BOM_UTF8):
        _scan(handle, file, "utf-8", len(codecs.BOM_UTF8), "utf-8-sig")
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        _scan(handle, file, "utf-16", 0, "utf-16")
        return "utf-16"
    bad = _scan(handle, file, "utf-8", 0, "utf-8", fail=False)
    if bad is None:
        return "utf-8"
    if _scan(handle, file, "gb18030", 0, "gb18030", fail=False) is None:
        return "gb18030"
    raise cannot_read(file, f"neither UTF-8 (invalid at byte {bad}) nor GB18030; save the file as "
                      f"{_save_as(file)}")


def _save_as(file: str) -> str:
    """What to save a facts file as, for the encoding errors."""
    if file.lower().endswith((".csv", ".tsv")):
        return "CSV UTF-8 (逗号分隔) or as .xlsx"
    return "UTF-8"


def _scan(handle: BinaryIO, file: str, codec: str, start: int, name: str, *,
          fail: bool = True) -> int | None:
    """Decode the bytes from ``start`` in chunks: None if they decode (NUL characters are an
    error), else the offset of the first invalid byte (or the error, with ``fail``)."""
    handle.seek(start)
    decoder = codecs.getincrementaldecoder(codec)("strict")
    done, lines = 0, 0  # bytes handed to the decoder before this chunk; newlines decoded
    while True:
        chunk = handle.read(_CHUNK)
        try:
            text = decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as exc:
            pending = len(decoder.getstate()[0])  # bytes held back from earlier chunks
            offset = done - pending + exc.start
            if not fail:
                return offset
            if name == "utf-8-sig":
                raise cannot_read(file, "the file starts with a UTF-8 BOM but is not valid UTF-8 at "
                                  f"byte {offset + start}") from None
            raise cannot_read(file, f"not valid UTF-16 at byte {offset}") from None
        if "\x00" in text:
            row = lines + text.count("\n", 0, text.index("\x00")) + 1
            save = "CSV UTF-8" if file.lower().endswith((".csv", ".tsv")) else "UTF-8"
            raise cannot_read(file, f"the file holds NUL characters (read as {name}); is it UTF-16 "
                              f"without a BOM? Save it as {save}", row)
        lines += text.count("\n")
        done += len(chunk)
        if not chunk:
            return None


# ------------------------------------------------------------------------------------------------
# reading raw rows


def _delimited_rows(path: Path, delimiter: str) -> tuple[Iterator[tuple[int, list[Any]]], str]:
    file = str(path)
    raw = read_bytes(path)
    problem = old_workbook_problem(path, raw[:8])
    if problem is not None:
        raise cannot_read(file, problem)
    text, encoding = decode_text(raw, file)
    return _records(io.StringIO(text, newline=""), delimiter, file, encoding), encoding


def _records(handle: Iterable[str], delimiter: str, file: str,
             encoding: str) -> Iterator[tuple[int, list[Any]]]:
    """The records of delimited text (opened with ``newline=""``), numbered from 1."""
    reader = csv.reader(handle, delimiter=delimiter, strict=True)
    number = 0
    try:
        for number, record in enumerate(reader, start=1):
            yield number, record
    except csv.Error as exc:
        raise cannot_read(file, f"{'TSV' if delimiter == chr(9) else 'CSV'} error in row {number + 1}: "
                          f"{exc} (read as {encoding})", number + 1) from None


def _openpyxl(file: str) -> ModuleType:
    try:
        return import_openpyxl()
    except ImportError:
        raise cannot_read(file, "reading and writing .xlsx needs openpyxl: pip install "
                          "'govscore[excel]' (or save the sheet as CSV UTF-8)") from None


def old_workbook_problem(path: Path, head: bytes) -> str | None:
    """Why a file is a workbook govscore does not read (an old .xls, a WPS .et, an .ods …), with
    what to do, or None. Told by the suffix or by the OLE2 signature (an .xls renamed .csv)."""
    suffix = path.suffix.lower()
    if head.startswith(OLE2_SIGNATURE) or suffix in (".xls", ".et", ".ett", ".xlt"):
        kind = "a WPS .et workbook" if suffix in (".et", ".ett") else \
            "an old Excel .xls workbook (or a WPS .et)"
        return (f"this is {kind}, which govscore does not read: open it in Excel or WPS and save "
                "it as .xlsx (文件 → 另存为 → Excel 工作簿 *.xlsx), or as CSV UTF-8")
    if suffix in OLD_WORKBOOK_SUFFIXES:
        return (f"govscore does not read {suffix} workbooks: save the sheet as .xlsx "
                "(文件 → 另存为 → Excel 工作簿 *.xlsx) or as CSV UTF-8")
    return None


def check_workbook(path: Path) -> None:
    """GS409 unless ``path`` is a zip archive within the limits above — checked from the zip's
    central directory, before openpyxl opens it. zipfile stops each entry at its declared size,
    so the declared sizes bound what is unzipped."""
    file = str(path)
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
        problem = old_workbook_problem(path, head)
        if problem is not None:
            raise cannot_read(file, problem)
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except OSError as exc:
        raise cannot_read(file, f"cannot read {path}: {exc.strerror or exc}") from None
    except (zipfile.BadZipFile, ValueError, EOFError) as exc:
        raise cannot_read(file, f"not an Excel .xlsx workbook ({exc}); an old .xls must be saved "
                          "as .xlsx first") from None
    if len(entries) > MAX_XLSX_ENTRIES:
        raise cannot_read(file, f"the workbook has {len(entries)} zip entries; the limit is "
                          f"{MAX_XLSX_ENTRIES}")
    total = 0
    for entry in entries:
        total += entry.file_size
        if entry.file_size > 10_000_000 and \
                entry.file_size > MAX_XLSX_RATIO * max(entry.compress_size, 1):  # noqa: PLR2004
            raise cannot_read(file, f"the workbook's part {excerpt(entry.filename, 60)} unzips "
                              f"from {entry.compress_size} to {entry.file_size} bytes (more than "
                              f"{MAX_XLSX_RATIO} times): refused as a zip bomb")
    if total > MAX_XLSX_UNZIPPED:
        raise cannot_read(file, f"the workbook unzips to {total} bytes; the limit is "
                          f"{MAX_XLSX_UNZIPPED}")


def import_openpyxl() -> ModuleType:
    """openpyxl, imported without numpy when numpy is not imported yet. openpyxl imports numpy
    if it is installed, only to know numpy's number types, which govscore never hands it; and
    numpy's OpenBLAS reserves tens of megabytes per CPU at import and aborts the process (not a
    MemoryError) under a memory limit. So numpy is hidden while openpyxl is imported."""
    if "openpyxl" in sys.modules or "numpy" in sys.modules:
        return importlib.import_module("openpyxl")
    sys.modules["numpy"] = None  # type: ignore[assignment]  # "import numpy" raises ImportError
    try:
        return importlib.import_module("openpyxl")
    finally:
        del sys.modules["numpy"]


def _xlsx_rows(path: Path) -> tuple[list[tuple[int, list[Any]]], str]:
    """The rows of the first worksheet, and its name."""
    file = str(path)
    openpyxl = _openpyxl(file)
    check_regular(path)
    check_workbook(path)
    rows, title = _xlsx_pass(openpyxl, path, data_only=False)
    formulas = {(r, c) for r, cells in rows for c, v in enumerate(cells) if isinstance(v, _Formula)}
    if formulas:
        cached, _ = _xlsx_pass(openpyxl, path, data_only=True)
        by_row = dict(cached)
        for number, cells in rows:
            for col, value in enumerate(cells):
                if isinstance(value, _Formula):
                    got = by_row.get(number, [])
                    cells[col] = _Formula(value.text, got[col] if col < len(got) else None)
    return rows, title


def _xlsx_pass(openpyxl: ModuleType, path: Path, *,
               data_only: bool) -> tuple[list[tuple[int, list[Any]]], str]:
    file = str(path)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=data_only)
    except OSError as exc:
        raise cannot_read(file, f"cannot read {path}: {exc.strerror}") from None
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError) as exc:
        raise cannot_read(file, f"not an Excel .xlsx workbook ({type(exc).__name__}: "
                          f"{excerpt(str(exc))}); an old .xls must be saved as .xlsx first") from None
    except Exception as exc:  # openpyxl's own InvalidFileException and parser errors
        raise cannot_read(file, f"cannot open the workbook: {type(exc).__name__}: "
                          f"{excerpt(str(exc))}") from None
    try:
        if not book.worksheets:
            raise cannot_read(file, "the workbook has no worksheet")
        sheet = book.worksheets[0]
        if hasattr(sheet, "reset_dimensions"):
            # a read-only sheet stops at its <dimension ref="A1:B3"/>, which any program may
            # have left stale: units beyond it would be lost without a word. Read every row.
            sheet.reset_dimensions()
        rows: list[tuple[int, list[Any]]] = []
        cells_read = 0
        for number, cells in enumerate(sheet.iter_rows(), start=1):
            cells_read += len(cells)
            if number > MAX_SHEET_ROWS or cells_read > MAX_XLSX_CELLS:
                raise cannot_read(file, f"the sheet has more than {MAX_SHEET_ROWS} rows or "
                                  f"{MAX_XLSX_CELLS} cells (empty ones between values counted)",
                                  number)
            values = [_xlsx_value(cell, data_only=data_only) for cell in cells]
            while values and values[-1] is None:  # cells only formatted, or padding
                values.pop()
            rows.append((number, values))
        return rows, str(sheet.title)
    finally:
        book.close()


def formula_cell(text: str, cached: Any) -> Any:
    """A formula cell as this reader holds it: its text (``=SUM(B2:D2)``) and the value Excel last
    computed (as :func:`sheet_value` gives it; None if never computed)."""
    return _Formula(text, cached)


def sheet_value(cell: Any) -> Any:
    """A worksheet cell (openpyxl's read-only cell) as this reader holds it before
    :func:`cell_value` (a percentage or padded number format kept with the number): the one rule,
    for :mod:`govscore.inputs.columns`' workbook reader too."""
    return _xlsx_value(cell, data_only=False)


def _xlsx_value(cell: Any, *, data_only: bool) -> Any:
    value = cell.value
    kind = getattr(cell, "data_type", "n")
    if value is None:
        return None
    if kind == "f" and not data_only:
        return _Formula(str(value))
    if kind == "e":
        return _ErrorValue(str(value))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        fmt = getattr(cell, "number_format", "General") or "General"
        if _PADDED_FORMAT.fullmatch(fmt):
            return _PaddedNumber(value, fmt)
        if "%" in fmt:  # shown as 85% in the sheet: a percentage, as if typed with the sign
            return _PercentNumber(value)
    return value


# ------------------------------------------------------------------------------------------------
# cells → values


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def cell_value(value: Any) -> Decimal | bool | str | None:
    """One cell as a fact value; None for an empty cell. Raises CellError with the reason."""
    if type(value) is str:
        return _text_value(value)
    if isinstance(value, _Formula):
        if value.cached is None:
            raise CellError(f"the formula ={value.text} has no computed value (the file was "
                               "not saved by Excel or WPS); open and save it there, or paste "
                               "the values")
        return cell_value(value.cached)
    if isinstance(value, _ErrorValue):
        raise CellError(f"the cell holds the spreadsheet error {value.text}")
    if isinstance(value, _PaddedNumber):
        return cell_value(value.value)
    if isinstance(value, _PercentNumber):
        number = cell_value(value.value)
        return Percent(number) if isinstance(number, Decimal) else number
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return _float_value(value)
    if isinstance(value, (datetime.date, datetime.time, datetime.timedelta)):
        raise CellError(f"the cell holds a date or time ({value}); facts are numbers, "
                           "true/false or text")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise CellError(f"NaN and infinity are refused: {value}")
        return value
    if not isinstance(value, str):
        raise CellError(f"cannot read a cell of type {type(value).__name__}")
    return _text_value(value)


_SHARED: dict[str, Decimal] = {}
"""Short number texts already read → their Decimal. A Decimal never changes, so 100,000 cells of
``3`` can be one object (a Decimal is about 100 bytes: this halves the memory of a large table)."""
_SHARED_LENGTH, _SHARED_MAX = 12, 100_000


def _text_value(value: str) -> Decimal | bool | str | None:
    """A text cell: a number in the one grammar (:mod:`govscore.numbers`; ``85%`` a
    :class:`~govscore.numbers.Percent`), a flag, or text. Number-like text outside the grammar
    (``1e3``, ``+5``, ``1,000``, ``27。5``) is an error at its cell, never a guess; with leading
    zeros (``007``) it stays text (a code), which a number fact refuses."""
    text = value.strip()
    if not text:
        return None
    number = _SHARED.get(text)  # the common case: plain ASCII decimal text, seen before
    if number is not None:
        return number
    number = parse_number(text)
    if number is not None:
        if len(text) <= _SHARED_LENGTH and len(_SHARED) < _SHARED_MAX:
            _SHARED[text] = number
        return number
    if text.upper() in EXCEL_ERRORS:
        raise CellError(f"the cell holds the spreadsheet error {text}")
    low = text.lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    normal = unicodedata.normalize("NFKC", text)
    number = parse_number(normal)
    if number is not None:
        return number
    if low in {"nan", "inf", "+inf", "-inf", "infinity", "-infinity", "+infinity"}:
        raise CellError(f"NaN and infinity are refused: {excerpt(text, 40)}")
    if "。" in normal and parse_number(normal.replace("。", ".")) is not None:
        raise CellError(f"{excerpt(text, 40)} uses 。 for the decimal point: write "
                        f"{normal.replace('。', '.')}")
    why = near_number(normal, codes=True)
    if why is not None:
        raise CellError(why)
    return csv_text(text)


def _float_value(value: float) -> Decimal:
    if not math.isfinite(value):
        raise CellError(f"NaN and infinity are refused: {value!r}")
    text = repr(value)  # the shortest text that gives this double: what the file holds
    number = Decimal(text)
    digits = len(number.as_tuple().digits)
    if digits > MAX_SIGNIFICANT:
        raise CellError(f"the cell holds {text}, more digits than a spreadsheet shows "
                           f"({MAX_SIGNIFICANT}): the binary rounding of a formula; round it "
                           "(=ROUND(…, 2)) or type the value")
    return number


def unit_id(value: Any) -> str | None:
    """An id cell as text; None for an empty cell. Raises CellError for a mangled id."""
    store = "store the ids as text (设置单元格格式 → 文本) and type them again"
    if isinstance(value, _Formula):
        return unit_id(value.cached) if value.cached is not None else None
    if isinstance(value, _ErrorValue):
        raise CellError(f"the id cell holds the spreadsheet error {value.text}")
    if isinstance(value, _PercentNumber):
        return unit_id(value.value)
    if isinstance(value, _PaddedNumber):
        raise CellError(f"the id {value.value} is a number shown with leading zeros (format "
                           f"{value.number_format}); the zeros are not in the file: {store}")
    if value is None:
        return None
    if isinstance(value, bool):
        raise CellError(f"the id cell holds {str(value).upper()}, not a unit id")
    if isinstance(value, (int, float)):
        if isinstance(value, float) and (not math.isfinite(value) or not value.is_integer()):
            raise CellError(f"the id cell holds the number {value!r}; {store}")
        whole = int(value)
        if len(str(abs(whole))) >= MAX_ID_DIGITS:
            raise CellError(f"the id {whole} is stored as a number with {len(str(abs(whole)))} "
                               "digits; spreadsheets keep only 15 significant digits (身份证, "
                               f"统一社会信用代码 lose theirs): {store}")
        return str(whole)
    if isinstance(value, (datetime.date, datetime.time, datetime.timedelta)):
        raise CellError(f"the id cell holds a date ({value}); {store}")
    if not isinstance(value, str):
        raise CellError(f"cannot read an id cell of type {type(value).__name__}")
    text = value.strip()
    if not text:
        return None
    if text.upper() in EXCEL_ERRORS:
        raise CellError(f"the id cell holds the spreadsheet error {text}")
    if _SCIENTIFIC_ID.fullmatch(text):
        raise CellError(f"the id {text!r} is a long number the spreadsheet shortened to "
                           f"scientific notation; its digits are lost: {store}")
    problem = id_problem(text)
    if problem is not None:
        raise CellError(problem)
    return csv_text(text)


# ------------------------------------------------------------------------------------------------
# layouts


@dataclass
class _Column:
    index: int  # 0-based
    name: str
    base: str = field(init=False)
    key: str | None = field(init=False)
    col: int = field(init=False)

    def __post_init__(self) -> None:
        base, dot, key = self.name.partition(".")
        self.base, self.key, self.col = base, key if dot else None, self.index + 1


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _is_comment(cells: list[Any]) -> bool:
    first = cells[0] if cells else None
    return isinstance(first, str) and first.lstrip().startswith("#") and \
        first.strip().upper() not in EXCEL_ERRORS


def _header(number: int, cells: list[Any], used: Callable[[int], int | None],
            problems: _Problems) -> list[_Column]:
    """The named columns of a header row; ``used`` tells the first row with a value in a
    column (a column with values but no header is a problem)."""
    columns: list[_Column] = []
    seen: dict[str, int] = {}
    for index, value in enumerate(cells):
        name = value.strip() if isinstance(value, str) else value
        if _is_empty(name):
            used_in = used(index)
            if used_in is not None:
                problems.add(f"the column has values (row {used_in}) but no header", number,
                             index + 1)
            continue
        if not isinstance(name, str):
            problems.add(f"a header must be text, got {name!r}", number, index + 1)
            continue
        if not _NAME.fullmatch(name):
            problems.add(f"{name!r} is not a column name: write a fact name, or fact.key for "
                         "one key of a fact (no spaces, at most one dot)", number, index + 1)
            continue
        if name in seen:
            problems.add(f"duplicate header {name!r}, also in column "
                         f"{column_letter(seen[name] + 1)}", number, index + 1)
            continue
        seen[name] = index
        columns.append(_Column(index, name))
    return columns


def _title_row(cells: list[Any], id_col: _Column | None, fact_cols: list[_Column]) -> bool:
    """A second header row of titles: its id cell is a label (or empty) and no fact cell is a
    number or a flag."""
    if id_col is None:
        return False
    head = cells[id_col.index] if id_col.index < len(cells) else None
    if not (_is_empty(head) or (isinstance(head, str) and head.strip().lower() in TITLE_LABELS)):
        return False
    values = [cells[c.index] for c in fact_cols if c.index < len(cells)]
    texts = [v for v in values if not _is_empty(v)]
    if not texts:
        return False
    for value in texts:
        try:
            if not isinstance(cell_value(value), str):
                return False
        except CellError:
            return False
    return True


def _check_width(number: int, cells: list[Any], width: int, strict: bool,
                 problems: _Problems) -> None:
    if strict and len(cells) < width:
        problems.add(f"the row has {len(cells)} cell(s) but the header has {width}: a cut-off "
                     "row (an empty fact needs its separator, e.g. 'a,,c')", number,
                     len(cells) + 1)
    for index in range(width, len(cells)):
        if not _is_empty(cells[index]):
            problems.add("a value beyond the last header column", number, index + 1)
            break


class _Builder:
    """Unit entries in first-appearance order, with facts checked for scalar/keyed clashes."""

    def __init__(self, problems: _Problems) -> None:
        self.problems = problems
        self.entries: list[dict[str, Any]] = []
        self.where: dict[tuple[int, str], tuple[int, int]] = {}

    def new(self, unit: str) -> int:
        self.entries.append({"id": unit, "facts": {}})
        return len(self.entries) - 1

    def put(self, entry: int, unit: str, name: str, value: Any, row: int, col: int,
            header: str) -> None:
        target = self.entries[entry]
        base, _, key = name.partition(".")
        if base in UNIT_KEYS:
            if key or not isinstance(value, str):
                self.problems.add(f"{base} must be text (an id from the scheme), got "
                                  f"{_show(value)}", row, col, unit=unit, header=header)
                return
            self._set(target, entry, base, value, ("#" + base), row, col, unit, header)
            return
        facts = target["facts"]
        if key:
            if base in facts and not isinstance(facts[base], dict):
                self._clash(entry, unit, base, name, row, col, header)
                return
            mapping = facts.setdefault(base, {})
            self._set(mapping, entry, key, value, name, row, col, unit, header)
        else:
            if base in facts and isinstance(facts[base], dict):
                self._clash(entry, unit, base, name, row, col, header)
                return
            self._set(facts, entry, base, value, name, row, col, unit, header)

    def _set(self, target: dict[str, Any], entry: int, key: str, value: Any, where: str,
             row: int, col: int, unit: str, header: str) -> None:
        if (entry, where) in self.where:
            first_row, first_col = self.where[(entry, where)]
            self.problems.add(f"{where.lstrip('#')} is given again (first in row {first_row}, "
                              f"column {column_letter(first_col)})", row, col, unit=unit,
                              fact=where.lstrip("#"), header=header)
            return
        self.where[(entry, where)] = (row, col)
        target[key] = value

    def _clash(self, entry: int, unit: str, base: str, name: str, row: int, col: int,
               header: str) -> None:
        first = next(((r, c) for (e, w), (r, c) in self.where.items()
                      if e == entry and (w == base or w.startswith(base + "."))), (row, col))
        self.problems.add(f"{base} is given both as one value and by keys ({name}); first in "
                          f"row {first[0]}, column {column_letter(first[1])}", row, col,
                          unit=unit, fact=base, header=header)


def _show(value: Any) -> str:
    return str(value) if isinstance(value, Decimal) else repr(value)


class _WideRows:
    """The rows of a wide table, one at a time: each data row becomes a unit entry (or a problem).
    Keeps no rows: only what the checks across rows need (ids stored as numbers, the lengths of
    digit ids with leading zeros), so that a large file can be read as a stream."""

    def __init__(self, header_row: int, columns: list[_Column], width: int, strict: bool,
                 problems: _Problems, *, track: bool = False) -> None:
        self.track = track
        self.rows_of: dict[str, int] = {}
        """With ``track``: each unit's row (a table read whole, not a stream)."""
        self.repeated: dict[str, list[int]] = {}
        """With ``track``: every row of an id given more than once."""
        by_name = {c.name: c for c in columns}
        self.id_col = by_name["id"]
        for c in columns:
            if c.base == "id" and c.name != "id":
                problems.add(f"{c.name!r}: the id column takes no key", header_row, c.col)
        self.fact_cols = [c for c in columns if c.base != "id"]
        self.width, self.strict, self.problems = width, strict, problems
        self.numeric_ids: list[tuple[int, str]] = []
        self.padded: set[int] = set()
        """Lengths of the digit ids with leading zeros (text ids)."""
        self.count = 0
        self.skipped: list[int] = []
        self.first_data = True

    def _titles(self, cells: list[Any]) -> None:
        """Keep a row of titles under the header, to name columns in problems."""
        self.problems.titles = {i + 1: " ".join(v.split()) for i, v in enumerate(cells)
                                if isinstance(v, str) and v.strip() and i != self.id_col.index}

    def row(self, number: int, cells: list[Any]) -> dict[str, Any] | None:
        """The unit entry of one row; None for an empty, comment or title row or a bad id."""
        problems, id_col, fact_cols = self.problems, self.id_col, self.fact_cols
        if all(_is_empty(v) for v in cells):
            return None
        if _is_comment(cells):
            self.skipped.append(number)
            if self.first_data and not problems.titles:  # a template's '# 单位' row of titles
                self._titles(cells)
            return None
        if self.first_data and _title_row(cells, id_col, fact_cols):
            self.skipped.append(number)
            self.first_data = False
            self._titles(cells)
            return None
        self.first_data = False
        self.count += 1
        if not self.count % 1024:
            budget.check()  # a table too large for the memory limit stops here, with room left
        _check_width(number, cells, self.width, self.strict, problems)
        raw_id = cells[id_col.index] if id_col.index < len(cells) else None
        try:
            unit = unit_id(raw_id)
        except CellError as exc:
            problems.add(str(exc), number, id_col.col, header="id")
            return None
        if unit is None:
            problems.add("the row has values but no unit id", number, id_col.col, header="id")
            return None
        if self.track:
            first = self.rows_of.setdefault(unit, number)
            if first != number:
                self.repeated.setdefault(unit, [first]).append(number)
        if isinstance(raw_id, (int, float)) and not isinstance(raw_id, bool):
            self.numeric_ids.append((number, unit))
        elif unit.isdigit() and unit.startswith("0"):
            self.padded.add(len(unit))
        entry: dict[str, Any] = {"id": unit}
        facts: dict[str, Any] = {}
        n_cells = len(cells)
        for c in fact_cols:
            raw = cells[c.index] if c.index < n_cells else None
            if raw is None or raw == "":
                continue
            try:
                value = cell_value(raw)
            except CellError as exc:
                problems.add(str(exc), number, c.col, unit=unit, fact=c.base, header=c.name)
                continue
            if value is None:
                continue
            base, key = c.base, c.key
            if base in UNIT_KEYS:
                if key is not None or not isinstance(value, str):
                    problems.add(f"{base} must be text (an id from the scheme), got "
                                 f"{_show(value)}", number, c.col, unit=unit, header=c.name)
                else:
                    entry[base] = value
                continue
            current = facts.get(base)
            if key is None and current is None:
                facts[base] = value
            elif key is not None and current is None:
                facts[base] = {key: value}
            elif key is not None and isinstance(current, dict):
                current[key] = value
            else:  # one fact given both as one value and by keys
                other = next(o for o in fact_cols if o.base == base and o is not c and
                             o.index < c.index and (o.key is None) != (key is None))
                problems.add(f"{base} is given both as one value and by keys ({c.name}); first "
                             f"in row {number}, column {column_letter(other.col)}", number,
                             c.col, unit=unit, fact=base, header=c.name)
        entry["facts"] = facts
        return entry

    def finish(self) -> None:
        """The checks across rows, after the last row."""
        _lost_zeros(self.numeric_ids, self.padded, self.id_col.col, self.problems)


def _wide(rows: Iterable[tuple[int, list[Any]]], header_row: int, columns: list[_Column],
          width: int, strict: bool, problems: _Problems
          ) -> tuple[list[dict[str, Any]], _WideRows]:
    reader = _WideRows(header_row, columns, width, strict, problems, track=True)
    entries: list[dict[str, Any]] = []
    for number, cells in rows:
        entry = reader.row(number, cells)
        if entry is not None:
            entries.append(entry)
    reader.finish()
    return entries, reader


def _lost_zeros(numeric_ids: list[tuple[int, str]], padded: set[int], col: int,
                problems: _Problems) -> None:
    """Ids stored as numbers beside digit ids with leading zeros (``padded``: their lengths): the
    zeros were lost."""
    if not padded:
        return
    for number, unit in numeric_ids:
        if any(len(unit) < n for n in padded):
            problems.add(f"the id {unit} is stored as a number, other ids have leading zeros "
                         f"({max(padded)} digits): the zeros were lost; store the ids as text "
                         "(设置单元格格式 → 文本) and type them again", number, col, unit=unit,
                         header="id")


def _long(rows: Iterable[tuple[int, list[Any]]], columns: list[_Column], width: int, strict: bool,
          problems: _Problems) -> tuple[list[dict[str, Any]], int, list[int], dict[str, int]]:
    by_name = {c.name: c for c in columns}
    unit_col, fact_col, value_col = by_name["unit"], by_name["fact"], by_name["value"]
    builder = _Builder(problems)
    entries: dict[str, int] = {}
    first_rows: dict[str, int] = {}
    count, skipped = 0, []
    for number, cells in rows:
        if all(_is_empty(v) for v in cells):
            continue
        if _is_comment(cells):
            skipped.append(number)
            continue
        count += 1
        _check_width(number, cells, width, strict, problems)

        def cell(c: _Column, cells: list[Any] = cells) -> Any:
            return cells[c.index] if c.index < len(cells) else None

        try:
            unit = unit_id(cell(unit_col))
        except CellError as exc:
            problems.add(str(exc), number, unit_col.col, header="unit")
            continue
        if unit is None:
            problems.add("the row has values but no unit", number, unit_col.col, header="unit")
            continue
        name = cell(fact_col)
        name = name.strip() if isinstance(name, str) else name
        if not isinstance(name, str) or not _NAME.fullmatch(name) or name in ("id", "unit"):
            problems.add(f"{_show(name)} is not a fact name (write fact or fact.key)", number,
                         fact_col.col, unit=unit, header="fact")
            continue
        try:
            value = cell_value(cell(value_col))
        except CellError as exc:
            problems.add(str(exc), number, value_col.col, unit=unit, fact=name.split(".")[0],
                         header="value")
            continue
        if unit not in entries:
            entries[unit] = builder.new(unit)
            first_rows[unit] = number
        if value is not None:
            builder.put(entries[unit], unit, name, value, number, value_col.col, "value")
    return builder.entries, count, skipped, first_rows


def _table(rows: Iterable[tuple[int, list[Any]]], file: str, encoding: str, strict: bool,
           sheet: str | None = None) -> Table:
    """A table from its rows, read once and in order (a CSV's rows are never all held: each
    becomes a unit entry as it is read)."""
    problems = _Problems(file, sheet=sheet)
    records = iter(rows)
    header = next(((n, cells) for n, cells in records
                   if not all(_is_empty(v) for v in cells) and not _is_comment(cells)), None)
    if header is None:
        raise cannot_read(file, "the sheet is empty: the first row must be a header with an 'id' "
                          "column (one row per unit) or the columns unit, fact, value")
    header_row, header_cells = header
    # a column with values but no header is a problem found while the rows go by
    unnamed = [i for i, v in enumerate(header_cells)
               if _is_empty(v.strip() if isinstance(v, str) else v)]
    first_use: dict[int, int] = {}

    def body() -> Iterator[tuple[int, list[Any]]]:
        for number, cells in records:
            for index in unnamed:
                if index not in first_use and index < len(cells) and not _is_empty(cells[index]):
                    first_use[index] = number
            yield number, cells

    columns = _header(header_row, header_cells, lambda _: None, _Problems(file))
    width = max((i + 1 for i, v in enumerate(header_cells) if not _is_empty(v)), default=0)
    names = {c.name for c in columns}
    layout: Literal["wide", "long"]
    rows_problems = _Problems(file, sheet=sheet)
    repeated: dict[str, list[int]] = {}
    if "id" in names:
        layout = "wide"
        units, reader = _wide(body(), header_row, columns, width, strict, rows_problems)
        count, skipped, rows_of, repeated = (reader.count, reader.skipped, reader.rows_of,
                                             reader.repeated)
    elif {"unit", "fact", "value"} <= names:
        layout = "long"
        extra = sorted(names - {"unit", "fact", "value"})
        if extra:
            problems.add(f"unknown column(s) {', '.join(extra)}: a long table has the columns "
                         "unit, fact, value", header_row, 1)
        units, count, skipped, rows_of = _long(body(), columns, width, strict, rows_problems)
    else:
        for _ in body():
            pass
        _header(header_row, header_cells, first_use.get, problems)
        problems.raise_if_any()
        raise cannot_read(file, "the header needs an 'id' column (one row per unit, one column per "
                          "fact) or the columns unit, fact, value (one row per fact)", header_row)
    _header(header_row, header_cells, first_use.get, problems)
    problems.titles = rows_problems.titles
    problems.extend(rows_problems)
    problems.raise_if_any()
    if not units:
        raise cannot_read(file, _no_units(skipped), header_row)
    where: dict[str, tuple[int, str, str | None]] = {}
    for c in columns:
        where.setdefault(c.base, (c.col, c.name, problems.titles.get(c.col)))
    return Table(units, encoding, layout, count, tuple(skipped), sheet, rows_of, repeated, where)


def _no_units(skipped: Sequence[int]) -> str:
    """The problem of a sheet with a header and no unit: an empty batch is an error."""
    why = f" (row(s) {', '.join(map(str, skipped[:10]))} were read as titles or comments)" \
        if skipped else ""
    return ("the sheet has a header but no unit rows" + why + ": an empty batch is refused "
            "(nothing would be scored); fill in the units, or check that the right file was given")


def load_table(path: str | Path) -> Table:
    """Read a CSV, TSV or .xlsx facts table, with how it was read (encoding, layout)."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".xlsx":
        sheet_rows, sheet = _xlsx_rows(p)
        return _table(sheet_rows, str(path), "xlsx", strict=False, sheet=sheet)
    if suffix in (".csv", ".tsv"):
        rows, encoding = _delimited_rows(p, "\t" if suffix != ".csv" else ",")
        return _table(rows, str(path), encoding, strict=True)
    problem = old_workbook_problem(p, b"")
    raise cannot_read(str(path), problem or f"cannot read {p.suffix or 'files without a suffix'} "
                      "as a table; use .csv, .tsv or .xlsx")


def table_of_rows(rows: list[tuple[int, list[Any]]], source: str) -> Table:
    """A facts table from rows already read (``(row number, cells)``, the header first), with the
    layouts, cell rules and diagnostics of a file: a DataFrame's rows
    (:mod:`govscore.inputs.frames`). ``source`` names it in the diagnostics."""
    return _table(rows, source, "frame", strict=True)


def read_table(path: Path) -> list[Any]:
    """The unit entries of a CSV, TSV or .xlsx facts table (see :func:`load_table`)."""
    return list(load_table(path).units)


# ------------------------------------------------------------------------------------------------
# a wide CSV as a stream (govscore score --stream)

def _not_streamable(file: str, message: str, row: int = 1) -> FactsFileError:
    """A facts file that is readable, but not as a stream (GS702)."""
    return FactsFileError([Diagnostic("GS702", message, span=Span(file, row, 1))],
                          f"{file}: cannot read the facts as a stream")


class WideStream:
    """A wide CSV facts table (one row per unit) read row by row, for scoring files too large
    to hold: the same header conventions, cell values and problems as :func:`load_table`, but
    never the whole text or all rows in memory. Iterate to get the unit entries in file order;
    the problems of the whole file are raised together (:class:`FactsFileError`) when the
    iteration ends, as :func:`load_table` raises them before returning anything: so a caller
    must not treat what it got as final until the iteration has ended. :attr:`ok` says whether
    any problem was found so far (then the entries already given are moot)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.file = str(path)
        if self.path.suffix.lower() != ".csv":
            raise _not_streamable(self.file, "only a .csv file can be read as a stream")
        self.encoding = sniff_encoding(self.path)
        """utf-8, utf-8-sig (with BOM), utf-16 or gb18030, as :func:`detect_encoding` finds it."""
        self.rows = 0
        """Data rows read so far (comment, title and empty rows not counted)."""
        self._problems = _Problems(self.file)

    @property
    def ok(self) -> bool:
        return not self._problems.items and not self._problems.more

    def __iter__(self) -> Iterator[dict[str, Any]]:
        file = self.file
        try:
            handle = self.path.open(encoding=self.encoding, newline="")
        except OSError as exc:
            raise cannot_read(file, f"cannot read {self.path}: {exc.strerror}") from None
        with handle:
            records = _records(handle, ",", file, self.encoding)
            header = next(((n, cells) for n, cells in records
                           if not all(_is_empty(v) for v in cells) and not _is_comment(cells)),
                          None)
            if header is None:
                raise cannot_read(file, "the sheet is empty: the first row must be a header with an "
                                  "'id' column (one row per unit) or the columns unit, fact, value")
            header_row, header_cells = header
            columns = _header(header_row, header_cells, lambda _: None, _Problems(file))
            names = {c.name for c in columns}
            unnamed = [i for i, v in enumerate(header_cells)
                       if _is_empty(v.strip() if isinstance(v, str) else v)]
            first_use: dict[int, int] = {}
            width = max((i + 1 for i, v in enumerate(header_cells) if not _is_empty(v)),
                        default=0)
            reader = _WideRows(header_row, columns, width, True, self._problems) \
                if "id" in names else None
            for number, cells in records:
                for index in unnamed:
                    if index not in first_use and index < len(cells) and \
                            not _is_empty(cells[index]):
                        first_use[index] = number
                if reader is None:
                    continue
                entry = reader.row(number, cells)
                self.rows = reader.count
                if entry is not None:
                    yield entry
        problems = _Problems(file)
        _header(header_row, header_cells, first_use.get, problems)
        if reader is None:
            problems.raise_if_any()
            if {"unit", "fact", "value"} <= names:
                raise _not_streamable(file, "the table has the long layout (unit, fact, value); a "
                                      "stream is read in the wide layout (one row per unit, a "
                                      "column 'id'): score this file without streaming",
                                      header_row)
            raise cannot_read(file, "the header needs an 'id' column (one row per unit, one column "
                              "per fact) or the columns unit, fact, value (one row per fact)",
                              header_row)
        reader.finish()
        problems.extend(self._problems)
        self._problems = problems
        problems.raise_if_any()
        if reader.count == 0:
            raise cannot_read(file, _no_units(reader.skipped), header_row)


# ------------------------------------------------------------------------------------------------
# several sources


def merge_sources(sources: Sequence[tuple[str, list[Any]]]) -> list[Any]:
    """Merge unit entries from several sources. A single source is returned unchanged (so its
    duplicate ids are reported by the evaluation, unit by unit)."""
    if len(sources) == 1:
        return list(sources[0][1])
    merged: dict[str, dict[str, Any]] = {}
    origin: dict[tuple[str, str], str] = {}
    passthrough: list[Any] = []
    problems: list[Diagnostic] = []
    for name, units in sources:
        # ids are compared after NFKC (textsafe.id_key): look-alikes are one id
        counts = Counter(id_key(e["id"]) for e in units
                         if isinstance(e, Mapping) and isinstance(e.get("id"), str))
        for key in sorted(k for k, n in counts.items() if n > 1):
            problems.append(Diagnostic("GS405", f"unit id {key!r} appears {counts[key]} "
                                       f"times in {name}", unit=key))
        for entry in units:
            if not isinstance(entry, Mapping) or not isinstance(entry.get("id"), str):
                passthrough.append(entry)
                continue
            unit = entry["id"]
            target = merged.setdefault(id_key(unit), {"id": unit, "facts": {}})
            unit = target["id"]  # the first spelling stands for its look-alikes
            for key in ("category", "tier", "title"):
                if key in entry:
                    if key in target and target[key] != entry[key]:
                        problems.append(_conflict(unit, key, target[key], entry[key],
                                                  origin[(unit, "#" + key)], name))
                    target[key] = entry[key]
                    origin[(unit, "#" + key)] = name
            facts = entry.get("facts", {})
            if not isinstance(facts, Mapping):
                passthrough.append(entry)
                continue
            for fact, value in facts.items():
                if fact in target["facts"] and target["facts"][fact] != value:
                    problems.append(_conflict(unit, fact, target["facts"][fact], value,
                                              origin[(unit, fact)], name))
                    continue
                target["facts"][fact] = value
                origin[(unit, fact)] = name
            for key in set(entry) - {"id", "category", "tier", "title", "facts"}:
                target[key] = entry[key]  # unknown keys are reported by the evaluation
    if problems:
        raise FactsFileError(problems, "the facts sources disagree")
    return [*merged.values(), *passthrough]


def _conflict(unit: str, fact: str, first: Any, second: Any, first_source: str,
              second_source: str) -> Diagnostic:
    return Diagnostic("GS410", f"{fact}: {first_source} gives {first!s}, {second_source} gives "
                      f"{second!s}", unit=unit, item=fact)
