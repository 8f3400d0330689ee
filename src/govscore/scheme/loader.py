"""Scheme files → :class:`~govscore.language.model.Scheme`, collecting every diagnostic with its position.

``text → Document (data + spans) → Scheme (pydantic) → semantic checks``. Nothing here evaluates.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import typing
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from govscore import files
from govscore.errors import Diagnostic, SchemeError, Span
from govscore.language import model, yaml_reader
from govscore.scheme import version
from govscore.textsafe import closest, excerpt

_TYPE_WORDS = {
    "decimal_type": "a number",
    "is_instance_of": "a number",
    "decimal_parsing": "a number",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "bool_type": "true or false",
    "string_type": "text",
    "dict_type": "a mapping",
    "list_type": "a list",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
}
MAX_NUMBER = Decimal("1e15")
MAX_DIGITS = 34
"""Numbers in a scheme are below 10^15 in size with at most 34 significant digits (the precision
scores are computed with). Larger ones are refused before the models see them: turning a
2-million-digit whole number into an ``int`` takes minutes."""

_RANGE_TYPES = {
    "greater_than", "greater_than_equal", "less_than", "less_than_equal", "too_short", "too_long",
    "string_too_short", "string_too_long",
}


@dataclass(frozen=True)
class LoadedScheme:
    """A valid scheme with what the rest of the pipeline needs to cite it."""

    scheme: model.Scheme
    file: str
    sha256: str
    document: yaml_reader.Document
    warnings: tuple[Diagnostic, ...] = ()


def _all_keys() -> set[str]:
    keys: set[str] = set()
    seen: set[type] = set()

    def visit(cls: type[BaseModel]) -> None:
        if cls in seen:
            return
        seen.add(cls)
        for name, info in cls.model_fields.items():
            keys.add(info.alias or name)
        for sub in model.Model.__subclasses__():
            visit(sub)

    visit(model.Scheme)
    return keys


_KNOWN_KEYS = _all_keys()


def _key_owners() -> dict[str, list[str]]:
    """Key → the models that have it, for a key written where it does not belong."""
    owners: dict[str, list[str]] = {}
    stack: list[type[BaseModel]] = [model.Scheme, *model.Model.__subclasses__()]
    seen: set[type] = set()
    while stack:
        cls = stack.pop()
        if cls in seen:
            continue
        seen.add(cls)
        stack.extend(cls.__subclasses__())
        if cls.__name__.startswith("_") or cls is model.Model:
            continue
        for name, info in cls.model_fields.items():
            owners.setdefault(info.alias or name, []).append(_where(cls))
    return {k: _owner_words(v) for k, v in owners.items()}


_RULE_CLASSES = frozenset(typing.get_args(typing.get_args(model.Rule)[0]))


def _where(cls: type[BaseModel]) -> str:
    """Where a model's keys are written, in an author's words: ``group``, ``grade quota``,
    ``the top level``; a rule as ``kind manual`` (gathered into ``rule (kind …)``)."""
    if cls is model.Scheme:
        return "the top level"
    if cls in _RULE_CLASSES:
        return "kind " + str(typing.get_args(cls.model_fields["kind"].annotation)[0])
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", cls.__name__).lower()


def _owner_words(places: list[str]) -> list[str]:
    """The places a key may be written, rule kinds gathered: ``item, rule (kind manual, signed)``."""
    kinds = sorted({p.removeprefix("kind ") for p in places if p.startswith("kind ")})
    others = sorted({p for p in places if not p.startswith("kind ")})
    return others + ([f"rule (kind {', '.join(kinds)})"] if kinds else [])


_KEY_OWNERS = _key_owners()


def _describe(value: object) -> str:
    """A value of the document for a message: text only as a bounded, escaped excerpt (a file
    that is not a scheme, ``.env`` say, is never echoed)."""
    if isinstance(value, str):
        return f"text {excerpt(value)}"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, Decimal):
        return f"number {value}"
    if value is None:
        return "nothing (null)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _kind_of(value: object) -> str:
    """What a whole document is, without quoting it: a file that is not a scheme (a ``.env``
    named by mistake, or on purpose) is never echoed, not even in part."""
    if isinstance(value, str):
        return f"one line of text ({len(value):,} characters)"
    if isinstance(value, (bool, Decimal)) or value is None:
        return f"a single {'value' if value is not None else 'null'}"
    return _describe(value)


def _range_text(etype: str, ctx: dict[str, Any]) -> str:
    words = {"greater_than": "more than {gt}", "greater_than_equal": "at least {ge}",
             "less_than": "less than {lt}", "less_than_equal": "at most {le}",
             "too_short": "at least {min_length} entries", "too_long": "at most {max_length} entries",
             "string_too_short": "at least {min_length} characters",
             "string_too_long": "at most {max_length} characters"}
    try:
        return "expected " + words[etype].format(**ctx)
    except (KeyError, IndexError):
        return "value out of range"


def _data_path(data: Any, loc: tuple[str | int, ...]) -> tuple[tuple[str | int, ...], bool]:
    """Turn a pydantic ``loc`` into a path through the data: union tags (which are not keys in
    the data) are dropped. Returns the path and whether it reached the end."""
    path: list[str | int] = []
    current = data
    for i, seg in enumerate(loc):
        in_dict = isinstance(current, dict) and isinstance(seg, str) and seg in current
        in_list = isinstance(current, list) and isinstance(seg, int) and 0 <= seg < len(current)
        if in_dict or in_list:
            path.append(seg)
            current = current[seg]
        elif i == len(loc) - 1:
            if not isinstance(current, (dict, list)):
                # the value was reached: the last segment names a member of a union of
                # scalar types (``function-before[_finite(), decimal]``, ``bool``), not a key
                return tuple(path), True
            path.append(seg)
            return tuple(path), False
        # else: a union tag such as 'item', 'group' or a rule kind — skip it
    return tuple(path), True


def _kind_names(union: Any) -> str:
    members = get_args(get_args(union)[0])
    return ", ".join(repr(get_args(m.model_fields["kind"].annotation)[0]) for m in members)


def _kinds(path: tuple[str | int, ...]) -> str:
    """The kinds a discriminated union at ``path`` accepts: a modifier's or a rule's."""
    if "modifiers" in path[-2:]:
        return _kind_names(model.Modifier)
    return _kind_names(model.Rule)


def translate(exc: ValidationError, doc: yaml_reader.Document) -> list[Diagnostic]:
    """pydantic errors → diagnostics with positions, key paths and plain messages."""
    out: list[Diagnostic] = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        path, complete = _data_path(doc.data, loc)
        etype = err["type"]
        value = err.get("input")
        span: Span | None
        hint = None
        if etype == "extra_forbidden":
            key = str(path[-1])
            if key in _KEY_OWNERS:  # a real key, in the wrong place: never "did you mean" itself
                code, message = "GS201", f"key {key!r} is not allowed here"
                owners = _KEY_OWNERS.get(key, [])
                shown = "; ".join(owners[:6]) + (f" and {len(owners) - 6} more"
                                                 if len(owners) > 6 else "")  # noqa: PLR2004
                hint = f"{key!r} is written on: {shown}"
            else:
                close = closest(key, _KNOWN_KEYS | set(_KEY_OWNERS))
                hint = f"did you mean {close!r}?" if close else None
                code, message = "GS201", f"unknown key {key!r}"
            span = doc.span(path, key=True)
        elif etype == "missing":
            code, message = "GS202", f"missing required key {str(path[-1])!r}"
            span = doc.span(path[:-1]) if not complete else doc.span(path)
            if span is not None and path[:-1] and path[:-1] in doc.key_spans:
                span = doc.key_spans[path[:-1]]
        elif etype in ("union_tag_invalid", "union_tag_not_found"):
            ctx = err.get("ctx") or {}
            # pydantic gives the expected tags for a wrong kind but not for a missing one
            expected = str(ctx.get("expected_tags") or _kinds(path))
            tags = [t.strip(" '") for t in expected.split(",")]
            found = ctx.get("tag")
            close = closest(str(found), tags)
            hint = f"did you mean {close!r}?" if close else None
            if etype == "union_tag_not_found":
                code, message = "GS202", f"missing 'kind'; expected one of {expected}"
            else:
                code, message = "GS206", f"unknown kind {found!r}; expected one of {expected}"
            span = doc.span((*path, "kind")) if complete else doc.span(path)
            if complete:
                path = (*path, "kind")
        elif etype in _TYPE_WORDS:
            code = "GS203"
            message = f"expected {_TYPE_WORDS[etype]}, got {_describe(value)}"
            if etype in ("is_instance_of", "decimal_type") and isinstance(value, str) \
                    and _numeric_text(value):
                hint = "write numbers without quotes"
            elif path and path[-1] == "default":
                hint = ("a default is a value the fact itself could take; leave default out "
                        "to make units supply the fact")
            span = doc.span(path)
        elif etype in _RANGE_TYPES:
            code, message = "GS204", f"{_range_text(etype, err.get('ctx') or {})}, got {_describe(value)}"
            span = doc.span(path)
        else:
            code = "GS205"
            msg = err["msg"].removeprefix("Value error, ")
            if etype == "literal_error":
                expected = str((err.get("ctx") or {}).get("expected", ""))
                message = f"expected {expected}, got {_describe(value)}"
            else:
                message = msg
            span = doc.span(path)
        if path and path[0] == "govscore" and etype in ("literal_error", "missing"):
            hint = ('write govscore: "2" (the scheme language version; "1" for a scheme written '
                    'for language 1) at the top of the file')
        out.append(Diagnostic(code, message, path=path, span=span, hint=hint, value=value))
    return _merge_misspelt(_merge_alternatives(out))


def _merge_misspelt(found: list[Diagnostic]) -> list[Diagnostic]:
    """A misspelt required key is one mistake, not two: the unknown key (the cause) says the
    required key it stands for is missing, and the separate 'missing' error (its consequence)
    is dropped."""
    missing = {d.path: d for d in found if d.code == "GS202" and d.path}
    dropped: set[int] = set()
    out: list[Diagnostic] = []
    for d in found:
        meant = d.hint.removeprefix("did you mean ").rstrip("?").strip("'") \
            if d.code == "GS201" and d.hint and d.hint.startswith("did you mean") else None
        twin = missing.get((*d.path[:-1], meant)) if meant is not None else None
        if twin is not None:
            dropped.add(id(twin))
            out.append(dataclasses.replace(d, message=f"{d.message}: the required key "
                                           f"{meant!r} is missing"))
        else:
            out.append(d)
    return [d for d in out if id(d) not in dropped]


def _numeric_text(text: str) -> bool:
    try:
        return Decimal(text.strip()).is_finite()
    except ArithmeticError:
        return False


def _merge_alternatives(found: list[Diagnostic]) -> list[Diagnostic]:
    """One GS203 per value: a key that takes one of several types (an item's default: a number
    or true/false) gets one error per type from pydantic; they become one message naming every
    type the key takes."""
    out: list[Diagnostic] = []
    by_path: dict[tuple[str | int, ...], tuple[int, list[str]]] = {}
    for d in found:
        seen = by_path.get(d.path) if d.code == "GS203" else None
        wanted, _, got = d.message.removeprefix("expected ").partition(", got ")
        if seen is None:
            if d.code == "GS203":
                by_path[d.path] = (len(out), [wanted])
            out.append(d)
            continue
        at, alternatives = seen
        alternatives.append(wanted)
        words = ", ".join(alternatives[:-1]) + " or " + alternatives[-1]
        out[at] = dataclasses.replace(out[at], message=f"expected {words}, got {got}",
                                      hint=out[at].hint or d.hint)
    return out


def _huge_numbers(doc: yaml_reader.Document) -> list[Diagnostic]:
    """GS204 for each number beyond MAX_NUMBER or MAX_DIGITS; the value is replaced by 0 so that
    validation stays fast (errors at the same path are then not reported twice)."""
    out: list[Diagnostic] = []
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(doc.data, ())]
    while stack:
        node, path = stack.pop()
        items = node.items() if isinstance(node, dict) else \
            enumerate(node) if isinstance(node, list) else ()
        for key, value in items:
            if isinstance(value, (dict, list)):
                stack.append((value, (*path, key)))
            elif isinstance(value, Decimal) and _too_big(value):
                text = str(value)
                shown = text if len(text) <= 40 else f"{text[:20]}…({len(text)} characters)"  # noqa: PLR2004
                out.append(Diagnostic(
                    "GS204", f"number {shown} is out of range: numbers in a scheme are below "
                    f"{MAX_NUMBER:.0e} with at most {MAX_DIGITS} significant digits",
                    path=(*path, key), span=doc.span((*path, key))))
                node[key] = Decimal(0)
    return out


def _too_big(value: Decimal) -> bool:
    if not value.is_finite():
        return False  # the models refuse NaN and infinity with their own message
    if value != 0 and value.adjusted() >= MAX_NUMBER.adjusted():
        return True
    digits = value.as_tuple().digits  # trailing zeros (1.000…) are not significant
    return len(digits) > MAX_DIGITS and len(bytes(digits).rstrip(b"\0")) > MAX_DIGITS


def read_text(source: str | Path) -> tuple[str, bytes]:
    """Read a path; return its display name and bytes. Raises SchemeError (GS101)."""
    return str(source), read_source(Path(source), yaml_reader.MAX_BYTES)


def read_source(path: Path, limit: int) -> bytes:
    """A scheme's (or scheme test's) bytes: a regular file of at most ``limit`` bytes, read in
    bounded memory (:mod:`govscore.files`). Raises SchemeError: GS106 for the size, GS101 for
    everything else (missing, a folder, a device, a FIFO)."""
    try:
        return files.read_limited(path, limit)
    except files.ReadRefused as exc:
        code = "GS106" if exc.too_large else "GS101"
        raise SchemeError([Diagnostic(code, str(exc), span=Span(str(path), 1, 1))]) from None


def parse_scheme(raw: bytes, file: str) -> tuple[LoadedScheme | None, list[Diagnostic]]:
    """Parse, validate and check one scheme; return it (if valid) and every diagnostic."""
    from govscore.scheme import checks  # local import: checks imports the compiler's formula check

    try:
        text = yaml_reader.decode(raw, file)
        doc = yaml_reader.parse(text, file)
    except yaml_reader.YamlError as exc:
        return None, exc.diagnostics
    if not isinstance(doc.data, dict):
        return None, [Diagnostic("GS105", f"the document is {_kind_of(doc.data)}; a scheme is "
                                 "a mapping of keys (govscore, id, title, …)",
                                 span=Span(file, 1, 1))]
    doc.problems.extend(_huge_numbers(doc))
    reported = {d.path for d in doc.problems}
    try:
        scheme = model.Scheme.model_validate(doc.data)
    except ValidationError as exc:
        return None, doc.problems + [d for d in translate(exc, doc) if d.path not in reported]
    if doc.problems:
        return None, doc.problems
    diagnostics = [
        d if d.span is not None else Diagnostic(
            d.code, d.message, path=d.path, span=doc.span(d.path, key=d.at_key),
            severity=d.severity,
            hint=d.hint, value=d.value)
        for d in [*version.problems(scheme), *checks.check(scheme)]
    ]
    errors = [d for d in diagnostics if d.severity == "error"]
    warnings = tuple(d for d in diagnostics if d.severity == "warning")
    if errors:
        return None, diagnostics
    digest = hashlib.sha256(raw).hexdigest()
    return LoadedScheme(scheme, file, digest, doc, warnings), diagnostics


def load_scheme(source: str | Path | None = None, *, text: str | None = None,
                name: str = "<text>") -> LoadedScheme:
    """Load a scheme from a path or from text; raise SchemeError with every problem."""
    if text is not None:
        file = name
        try:
            raw = text.encode("utf-8")
        except UnicodeEncodeError as exc:  # a lone surrogate: a str that is not Unicode text
            line = text.count("\n", 0, exc.start) + 1
            column = exc.start - (text.rfind("\n", 0, exc.start) + 1) + 1
            raise SchemeError([Diagnostic("GS102", "the text holds a lone surrogate "
                                          f"(U+{ord(text[exc.start]):04X}), which is not Unicode "
                                          "text", span=Span(name, line, column))],
                              f"{name}: the scheme is invalid") from None
    elif source is not None:
        file, raw = read_text(source)
    else:
        msg = "give a path or text"
        raise TypeError(msg)
    loaded, diagnostics = parse_scheme(raw, file)
    if loaded is None:
        raise SchemeError(diagnostics, f"{file}: the scheme is invalid")
    return loaded


def check_file(source: str | Path) -> list[Diagnostic]:
    """Every diagnostic for one scheme file (never raises for content)."""
    try:
        file, raw = read_text(source)
    except SchemeError as exc:
        return exc.diagnostics
    _, diagnostics = parse_scheme(raw, file)
    return sorted(diagnostics, key=Diagnostic.sort_key)
