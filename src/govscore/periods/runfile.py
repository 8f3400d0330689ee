"""The run file (``NAME.run.yaml``): which schemes are scored together, over which facts files
(one period each) and events, and the relations between units that ``uses … over`` follows.

The scheme says the rules (a leader's score is the mean of the departments he oversees); the run
file says the data of one year (who oversees which department, where the facts files are)."""

from __future__ import annotations

import glob
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from govscore.errors import Diagnostic, SchemeError, Span
from govscore.language import yaml_reader
from govscore.scheme import loader

RUN_VERSION = "1"
MAX_RUN_FILE_BYTES = 4 * 1024 * 1024
MAX_LIST = 10_000

Pattern = Annotated[str, Field(min_length=1, max_length=500)]
UnitId = Annotated[str, Field(min_length=1, max_length=500)]
RelationId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^\s./:\[\]{}#]+$")]


class RunModel(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True,
                              use_attribute_docstrings=True)


class SchemeRun(RunModel):
    """One scheme of the run and its data."""

    scheme: Pattern
    """The scheme file, relative to the run file."""
    facts: list[Pattern] = Field(default=[], max_length=MAX_LIST)
    """Facts files (``*`` and ``?`` allowed), relative to the run file. Each holds one period:
    its ``period:`` key (YAML, JSON) or the one period its name writes (``s5-2022-03.csv``).
    Several files of one period are merged (one office's sheet each)."""
    events: list[Pattern] = Field(default=[], max_length=MAX_LIST)
    """Events files (CSV or YAML) for the scheme's history rules."""
    records: Pattern | None = None
    """A records file (``*.records.yaml``): facts derived from ``exports`` per unit and period,
    merged with the facts files (govscore[records])."""
    exports: list[Pattern] = Field(default=[], max_length=MAX_LIST)
    """The record exports the records file reads (CSV, Parquet, .xlsx)."""


class Run(RunModel):
    """A run: schemes scored together, in the order their uses require."""

    govscore_run: Literal["1"]
    """The run file language version: write "1" (quoted)."""
    schemes: list[SchemeRun] = Field(min_length=1, max_length=100)
    relations: dict[RelationId, dict[UnitId, list[UnitId]]] = {}
    """relation → unit → the units it takes values from (分管: 副市长甲 → [交通局, 住建局];
    承办: 交通局 → [目标1, 目标3])."""


@dataclass(frozen=True)
class LoadedRun:
    run: Run
    file: str
    doc: yaml_reader.Document
    base: Path

    def span(self, *path: str | int) -> Span | None:
        return self.doc.span(path)

    def files(self, index: int, key: Literal["facts", "events", "exports"]) -> tuple[list[Path],
                                                                          list[Diagnostic]]:
        """The files a scheme's ``facts`` or ``events`` patterns match, in name order; a pattern
        matching nothing is GS822."""
        found: list[Path] = []
        problems: list[Diagnostic] = []
        for j, pattern in enumerate(getattr(self.run.schemes[index], key)):
            matched = sorted(glob.glob(str(self.base / pattern)))
            if not matched:
                problems.append(Diagnostic("GS822", f"{pattern!r} matches no file",
                                           span=self.span("schemes", index, key, j),
                                           path=("schemes", index, key, j)))
            found += [Path(m) for m in matched if Path(m) not in found]
        return found, problems


def load(source: str | Path) -> LoadedRun:
    """Read and check a run file; raise SchemeError with every problem and its position."""
    file = str(source)
    # a regular file, read no further than the limit (not /dev/zero, not a FIFO): GS101/GS106
    raw = loader.read_source(Path(source), MAX_RUN_FILE_BYTES)
    try:
        doc = yaml_reader.parse(yaml_reader.decode(raw, file, max_bytes=MAX_RUN_FILE_BYTES), file)
    except yaml_reader.YamlError as exc:
        raise SchemeError(exc.diagnostics, f"{file}: the run file cannot be read") from None
    if not isinstance(doc.data, dict):
        raise SchemeError([Diagnostic("GS822", "a run file is a mapping (govscore_run, "
                                      "schemes, relations)", span=Span(file, 1, 1))])
    if doc.problems:
        raise SchemeError(doc.problems, f"{file}: the run file is invalid")
    try:
        run = Run.model_validate(doc.data)
    except ValidationError as exc:
        raise SchemeError(loader.translate(exc, doc), f"{file}: the run file is invalid") \
            from None
    return LoadedRun(run, file, doc, Path(source).parent)
