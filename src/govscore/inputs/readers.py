"""Facts files → a list of unit entries ``{id, category?, tier?, facts}``.

YAML goes through the same bounded, positioned reader as schemes (numbers become Decimal from their
text); JSON is parsed with decimals for every number and duplicate keys refused. Spreadsheet
formats (CSV, Excel) live in :mod:`govscore.inputs.tables`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from govscore.errors import Diagnostic, FactsFileError, Span
from govscore.language import yaml_reader

MAX_FACTS_BYTES = 500_000_000


def _fail(file: str, message: str, line: int = 1, column: int = 1) -> FactsFileError:
    return FactsFileError([Diagnostic("GS409", message, span=Span(file, line, column))],
                          f"{file}: cannot read the facts")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number govscore accepts")


def read_json(raw: bytes, file: str) -> Any:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _fail(file, f"not valid UTF-8 at byte {exc.start}") from None
    try:
        return json.loads(text, parse_float=Decimal, parse_int=Decimal,
                          parse_constant=_reject_constant, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        raise _fail(file, f"JSON error: {exc.msg}", exc.lineno, exc.colno) from None
    except (ValueError, RecursionError) as exc:
        raise _fail(file, f"JSON error: {exc}") from None


def read_yaml(raw: bytes, file: str) -> Any:
    try:
        doc = yaml_reader.parse(yaml_reader.decode(raw, file, max_bytes=MAX_FACTS_BYTES), file)
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
            raise _fail(file, "a facts file is a mapping with 'units' (a list)"
                        + (f"; unknown keys {sorted(extra)}" if extra else ""))
        data = data["units"]
    if not isinstance(data, list):
        raise _fail(file, "'units' must be a list of units")
    return data


@dataclass(frozen=True)
class FactsFile:
    """One facts file as read: its unit entries and the encoding its text was decoded from."""

    units: list[Any]
    encoding: str
    """utf-8 (YAML and JSON, with or without BOM); for CSV and TSV what
    :func:`govscore.inputs.tables.decode_text` found: utf-8, utf-8-sig, utf-16 or gb18030; xlsx."""

    @property
    def guessed(self) -> bool:
        """True when the text was not Unicode with a BOM or valid UTF-8, but read as GB18030."""
        return self.encoding == "gb18030"


def read_facts(path: str | Path) -> list[Any]:
    """Read one facts file (YAML, JSON, CSV or Excel) into unit entries."""
    return load_facts(path).units


def load_facts(path: str | Path) -> FactsFile:
    """Read one facts file (YAML, JSON, CSV or Excel): its unit entries and how it was decoded."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in (".csv", ".xlsx", ".tsv"):
        from govscore.inputs import tables  # optional formats; openpyxl only for .xlsx

        table = tables.load_table(p)
        return FactsFile(list(table.units), table.encoding)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise _fail(str(path), f"cannot read {path}: {exc.strerror}") from None
    if len(raw) > MAX_FACTS_BYTES:
        raise _fail(str(path), f"the file has {len(raw)} bytes; the limit is {MAX_FACTS_BYTES}")
    data = read_json(raw, str(path)) if suffix == ".json" else read_yaml(raw, str(path))
    return FactsFile(units_of(data, str(path)), "utf-8")
