"""Facts files → a list of unit entries ``{id, category?, tier?, facts}``.

Every facts file is read the same way: at most :data:`MAX_FACTS_BYTES`, its text decoded by the
one encoding detector (:func:`govscore.inputs.tables.detect_encoding`: UTF-8 with or without a
BOM, UTF-16 with a BOM, else GB18030), every problem a GS409 diagnostic. YAML then goes through the
same bounded, positioned reader as schemes (numbers become Decimal from their text); JSON is
parsed with decimals for every number and duplicate keys refused. Spreadsheet formats (CSV, TSV,
Excel) are read by :mod:`govscore.inputs.tables`, which this module builds on.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from govscore.errors import Diagnostic, FactsFileError, Span
from govscore.inputs import tables
from govscore.inputs.tables import cannot_read
from govscore.language import yaml_reader
from govscore.numbers import near_number, parse_number
from govscore.textsafe import excerpt, id_problem

MAX_FACTS_BYTES = tables.MAX_FACTS_BYTES
"""The size limit of a facts file (defined with the readers of bytes, in tables)."""


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number govscore accepts")


class _ExponentError(ValueError):
    def __init__(self, token: str) -> None:
        self.token = token
        super().__init__(token)


def _json_number(token: str) -> Decimal:
    """A JSON number in the one grammar of numbers (:mod:`govscore.numbers`): JSON's exponent
    form (``1e3``) is refused as schemes and every other facts file refuse it."""
    number = parse_number(token)
    if number is None:
        raise _ExponentError(token)
    return number


def parse_json(text: str, file: str) -> Any:
    """A JSON facts document's data (decoded text: see :func:`load_facts`)."""
    try:
        return json.loads(text, parse_float=_json_number, parse_int=_json_number,
                          parse_constant=_reject_constant, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        raise cannot_read(file, f"JSON error: {exc.msg}", exc.lineno, exc.colno) from None
    except _ExponentError as exc:
        at = _token_at(text, exc.token)
        why = near_number(exc.token) or f"{excerpt(exc.token, 40)} is not a plain decimal"
        raise cannot_read(file, f"JSON error: the number {why}", *at) from None
    except (ValueError, RecursionError) as exc:
        raise cannot_read(file, f"JSON error: {exc}") from None


def _token_at(text: str, token: str) -> tuple[int, int]:
    """Line and column of the first number ``token`` in JSON text (for a message)."""
    match = re.search(r"(?<![\w.\"])" + re.escape(token) + r"(?![\w.])", text)
    if match is None:  # pragma: no cover - the token came from this text
        return 1, 1
    before = text[: match.start()]
    return before.count("\n") + 1, match.start() - (before.rfind("\n") + 1) + 1


def parse_yaml(text: str, file: str) -> Any:
    """A YAML facts document's data (decoded text: see :func:`load_facts`)."""
    try:
        doc = yaml_reader.parse(text, file)
    except yaml_reader.YamlError as exc:
        raise FactsFileError(exc.diagnostics, f"{file}: cannot read the facts") from None
    if doc.problems:
        raise FactsFileError(doc.problems, f"{file}: cannot read the facts")
    return doc.data


def units_of(data: Any, file: str) -> list[Any]:
    """The unit list of a parsed facts document: ``{units: [...]}`` or a bare list."""
    if isinstance(data, dict):
        extra = set(data) - {"units", "period", "note", "scheme"}
        if "units" not in data or extra:
            raise cannot_read(file, "a facts file is a mapping with 'units' (a list)"
                              + (f"; unknown keys {sorted(extra)}" if extra else ""))
        data = data["units"]
    if not isinstance(data, list):
        raise cannot_read(file, "'units' must be a list of units")
    # an id with an invisible or control character makes the facts unreadable, as in a sheet
    problems = [Diagnostic("GS409", f"unit #{index + 1}: {why}", span=Span(file, 1, 1))
                for index, entry in enumerate(data)
                if isinstance(entry, dict) and isinstance(entry.get("id"), str)
                and (why := id_problem(entry["id"])) is not None]
    if problems:
        raise FactsFileError(problems[:tables.MAX_PROBLEMS], f"{file}: cannot read the facts")
    return data


@dataclass(frozen=True)
class FactsFile:
    """One facts file as read: its unit entries and the encoding its text was decoded from."""

    units: list[Any]
    encoding: str
    table: tables.Table | None = None
    """A spreadsheet's table, which says where each unit and fact is (:meth:`Table.where`)."""
    """What :func:`govscore.inputs.tables.detect_encoding` found: utf-8, utf-8-sig, utf-16 or
    gb18030 (YAML, JSON, CSV, TSV); xlsx for a workbook."""

    @property
    def guessed(self) -> bool:
        """True when the text was not Unicode with a BOM or valid UTF-8, but read as GB18030."""
        return self.encoding == "gb18030"


def _parquet(path: Path) -> Any:
    """A Parquet file as a pyarrow Table (pyarrow: the optional extra ``arrow``)."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise cannot_read(str(path), "reading .parquet needs pyarrow: pip install "
                          "'govscore[arrow]'") from None
    try:
        return pq.read_table(path)
    except (OSError, ValueError) as exc:  # pyarrow's errors derive from these
        raise cannot_read(str(path), f"not a Parquet file pyarrow can read: "
                          f"{str(exc)[:200]}") from None


def read_facts(path: str | Path) -> list[Any]:
    """Read one facts file (YAML, JSON, CSV or Excel) into unit entries."""
    return load_facts(path).units


def load_facts(path: str | Path) -> FactsFile:
    """Read one facts file (YAML, JSON, CSV or Excel): its unit entries and how it was decoded."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in (".csv", ".xlsx", ".tsv"):
        table = tables.load_table(p)
        return FactsFile(list(table.units), table.encoding, table)
    if suffix == ".parquet":  # a wide or long table, typed: read exactly as read_frame reads it
        from govscore.inputs import frames

        return FactsFile(frames.read_frame(_parquet(p), name=str(path)), "parquet")
    file = str(path)
    raw = tables.read_bytes(p)
    workbook = tables.old_workbook_problem(p, raw[:8])  # an .xls or a WPS .et, not text
    if workbook is not None:
        raise cannot_read(file, workbook)
    text, encoding = tables.decode_text(raw, file)
    data = parse_json(text, file) if suffix == ".json" else parse_yaml(text, file)
    units = units_of(data, file)
    if not units:  # a file (not a request of the service, which may ask about no unit)
        raise cannot_read(file, "the file lists no units: an empty batch is refused (nothing "
                          "would be scored)")
    return FactsFile(units, encoding)
