"""Errors and diagnostics.

Every problem govscore reports is a :class:`Diagnostic` with a stable code. Exceptions carry
lists of them, so one run reports every problem at once::

    GovscoreError
     ├── SchemeError      a scheme file is invalid (``.diagnostics``)
     ├── FactsError       one unit's facts are invalid (``.unit``, ``.diagnostics``)
     ├── FactsFileError   a facts file cannot be read at all (``.diagnostics``)
     ├── EvaluationError  a valid scheme and valid facts still cannot be scored (``.code``, ``.unit``)
     ├── UsageError       the API was called in a way that cannot work (``.code``)
     │
     │   raised by one layer's functions (each caught and reported by the layers above):
     ├── language.yaml_reader.YamlError  text is not YAML within the limits (``.diagnostics``)
     ├── language.formulas.FormulaError  a formula is invalid or failed (``.code``, ``.column``)
     ├── inputs.tables.CellError         a spreadsheet cell is not a value or an id (``.code``)
     ├── files.ReadRefused               a file is not read: not a regular file, or too large
     ├── rules.values.FactProblem        one fact value a rule refuses (``.code``; reported as a FactsError)
     ├── rules.base.UnitProblem          facts that cannot be scored together (``.code``; a FactsError)
     ├── pytest_plugin.SchemeTestFailedError  a scheme test case failed (``.code``)
     └── service.ServiceError            a request govscore serve refuses (``.status``, ``.code``)

Exceptions used only for control flow inside one module are private (``_Name``) and never
escape it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from govscore import textsafe

Severity = Literal["error", "warning"]

# The catalogue of codes. docs/reference/errors.md has one heading per code, and a test keeps the
# two in step. Codes never change meaning; retired codes are not reused.
CODES: dict[str, str] = {
    # loading (GS1xx)
    "GS101": "the file cannot be read",
    "GS102": "the file is not valid UTF-8",
    "GS103": "YAML syntax error",
    "GS104": "duplicate key",
    "GS105": "the document is not a mapping",
    "GS106": "the file is too large",
    "GS107": "nesting too deep",
    "GS108": "too many aliases or nodes (alias expansion)",
    "GS109": "ambiguous YAML 1.1 scalar",
    "GS110": "unsupported YAML tag",
    "GS111": "more than one YAML document",
    "GS112": "mapping key is not a string",
    # model (GS2xx)
    "GS201": "unknown key",
    "GS202": "missing required key",
    "GS203": "wrong type",
    "GS204": "value out of range",
    "GS205": "invalid value",
    "GS206": "unknown rule kind",
    # semantic checks (GS3xx)
    "GS301": "duplicate id",
    "GS302": "declared max does not match the sum of the children's max",
    "GS303": "a cap or limit can never bind",
    "GS304": "a cap, gate or threshold can never be met",
    "GS305": "reference does not resolve",
    "GS306": "formula error",
    "GS307": "bands have a gap",
    "GS308": "bands overlap",
    "GS309": "weights do not sum to 1",
    "GS310": "tier or category member listed twice",
    "GS311": "quota share outside (0, 1]",
    "GS312": "circular reference",
    "GS313": "a weight is below its declared minimum",
    "GS314": "range is empty or outside the item's max",
    "GS315": "value table is inconsistent",
    "GS316": "unreachable or pointless setting",
    "GS317": "a name used where it does not apply",
    # scheme language v2 item constructs (GS330–GS339)
    "GS330": "an item reads another item's fact in a way that cannot work",
    "GS331": "a signed item that cannot work as declared",
    "GS332": "a published maximum differs from the effective one",
    "GS333": "an item has no maximum (unbounded)",
    "GS334": "an unbounded item where a maximum is needed",
    "GS335": "a default is not a value its item's rule or its input accepts",
    # scheme language v2 population values (GS340–GS349)
    "GS340": "population values need each other",
    # nodes for named units only (GS341–GS345)
    "GS341": "a unit name the scheme's roster does not have",
    "GS342": "a unit named twice, or not among its group's units",
    "GS343": "a unit listed in a category the node does not apply to",
    "GS344": "a group whose children are all for named units",
    "GS345": "a node read where some units do not have it",
    # scheme language version and the pattern-2 kind (GS346–GS349)
    "GS346": "a language-2 key in a scheme that declares language 1",
    "GS347": "a per_missing rule that cannot work as declared",
    # facts (GS4xx)
    "GS401": "unknown fact",
    "GS402": "missing fact",
    "GS403": "fact has the wrong type",
    "GS404": "fact out of range",
    "GS405": "duplicate unit id",
    "GS406": "unit in two tiers or categories",
    "GS407": "unknown category or tier",
    "GS408": "not-applicable or exemption not allowed here",
    "GS409": "facts file cannot be read",
    "GS410": "conflicting values for one fact",
    "GS411": "no item of a group applies",
    # evaluation (GS5xx)
    "GS501": "scheme needs the whole population",
    "GS502": "arithmetic error",
    "GS503": "formula took too long",
    "GS510": "a statistic has no unit to be taken over",
    # scheme tests (GS6xx)
    "GS601": "scheme test failed",
    "GS602": "scheme test file is invalid",
    # the command line's options and outputs (GS7xx)
    "GS701": "output format cannot be written",
    "GS702": "invalid use of --stream",
    "GS703": "not enough memory",
    "GS704": "too many rows for a workbook sheet",
    # records (GS8xx): facts derived from record exports (govscore.records)
    "GS801": "a records declaration names something that does not exist",
    "GS802": "a measure does not fit the fact",
    "GS803": "a records declaration is inconsistent",
    "GS804": "records cannot be read",
    "GS805": "record for a unit the scheme does not know",
    "GS806": "record with an unknown level",
    "GS807": "record with a value that is not a date or number",
    "GS808": "record whose deadline falls outside the calendar",
    # periods (GS82x): roll-ups, results of other schemes, history rules, runs (govscore.periods)
    "GS820": "a period rule names something that does not exist",
    "GS821": "a period rule is inconsistent",
    "GS822": "a run file is invalid",
    "GS823": "schemes use each other's results in a cycle",
    "GS824": "a value taken from another scheme's results is missing",
    "GS825": "a roll-up lacks a sub-period's result",
    "GS826": "an event cannot be used",
    # the HTTP service, govscore serve (GS9xx)
    "GS901": "request body too large",
    "GS902": "too many units in one request",
    "GS903": "request took longer than the time limit",
    "GS904": "every worker is busy",
    "GS905": "malformed request",
    "GS906": "no such scheme, unit or endpoint",
    "GS907": "the posted scheme is invalid",
    "GS908": "internal error",
}


@dataclass(frozen=True, order=True)
class Span:
    """A position in a source file; line and column are 1-based."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


def pointer(path: tuple[str | int, ...]) -> str:
    """RFC 6901 JSON pointer for a key path."""
    parts = (str(p).replace("~", "~0").replace("/", "~1") for p in path)
    return "".join("/" + p for p in parts)


@dataclass(frozen=True)
class Diagnostic:
    """One problem, with a stable code and, where known, a position and a key path."""

    code: str
    message: str
    path: tuple[str | int, ...] = ()
    span: Span | None = None
    severity: Severity = "error"
    hint: str | None = None
    unit: str | None = None
    item: str | None = None
    value: object = field(default=None, compare=False)
    at_key: bool = field(default=False, compare=False)
    """Point at the mapping key of ``path`` rather than its value (a name that is itself wrong)."""

    def __post_init__(self) -> None:
        # every message is bounded, whatever text it quotes: no diagnostic floods a log
        if len(self.message) > textsafe.MAX_MESSAGE:
            object.__setattr__(self, "message", textsafe.bound_message(self.message))
        if self.hint is not None and len(self.hint) > textsafe.MAX_MESSAGE:
            object.__setattr__(self, "hint", textsafe.bound_message(self.hint))

    @property
    def pointer(self) -> str:
        return pointer(self.path)

    def sort_key(self) -> tuple[str, int, int, str]:
        if self.span is None:
            return ("", 0, 0, self.code)
        return (self.span.file, self.span.line, self.span.column, self.code)

    def __str__(self) -> str:
        where = f"{self.span}: " if self.span else ""
        level = " warning:" if self.severity == "warning" else ""
        parts = [f"{where}{self.code}{level} {self.message}"]
        if self.path:
            parts.append(f"[at {self.pointer}]")
        if self.hint:
            parts.append(f"({self.hint})")
        return " ".join(parts)

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "path": self.pointer,
        }
        if self.span:
            out.update(file=self.span.file, line=self.span.line, column=self.span.column)
        if self.hint:
            out["hint"] = self.hint
        if self.unit is not None:
            out["unit"] = self.unit
        if self.item is not None:
            out["item"] = self.item
        return out


class GovscoreError(Exception):
    """Base of every error govscore raises."""


class _DiagnosticsError(GovscoreError):
    def __init__(self, diagnostics: list[Diagnostic], headline: str | None = None) -> None:
        self.diagnostics = sorted(diagnostics, key=Diagnostic.sort_key)
        lines = [headline] if headline else []
        lines.extend(str(d) for d in self.diagnostics)
        super().__init__("\n".join(lines))


class SchemeError(_DiagnosticsError):
    """The scheme is invalid; ``diagnostics`` lists every problem found."""


class FactsFileError(_DiagnosticsError):
    """A facts file cannot be read."""


class FactsError(_DiagnosticsError):
    """One unit's facts are invalid; ``diagnostics`` lists every problem with that unit."""

    def __init__(self, unit: str, diagnostics: list[Diagnostic]) -> None:
        self.unit = unit
        super().__init__(diagnostics, f"unit {unit!r}: {len(diagnostics)} problem(s) in its facts")


class EvaluationError(GovscoreError):
    """A unit could not be scored although scheme and facts are valid."""

    def __init__(self, code: str, message: str, unit: str | None = None) -> None:
        self.code = code
        self.unit = unit
        self.diagnostic = Diagnostic(code, message, unit=unit)
        super().__init__(f"{code} {message}" + (f" (unit {unit!r})" if unit else ""))


class UsageError(GovscoreError):
    """The API or command line was used in a way that cannot work."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(f"{code} {message}")


def whole_population_message(items: Sequence[str]) -> str:
    """GS501, the one wording: a scheme whose ``items`` are scored against the whole population
    (relative_to_best, rank_points) cannot score one unit alone, nor units one by one as a
    stream."""
    return ("this scheme scores some items against the whole population "
            f"({', '.join(items)}): every unit's facts are needed at once; score all "
            "units together (evaluate_all, or govscore score without --stream)")


def whole_population_error(items: Sequence[str]) -> UsageError:
    """GS501 for a command line or API use that cannot work."""
    return UsageError("GS501", whole_population_message(items))


def one_unit_of_a_population_error(items: Sequence[str], unit: str | None) -> EvaluationError:
    """GS501 for one unit scored alone (``evaluate``)."""
    return EvaluationError("GS501", whole_population_message(items), unit=unit)
