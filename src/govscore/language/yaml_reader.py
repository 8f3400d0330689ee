"""Safe, bounded YAML reading with positions.

We never construct Python objects with PyYAML's constructors. Instead:

1. the text is decoded as strict UTF-8 ourselves (so a bad byte has a line and column);
2. the *event* stream (an iterative state machine, no recursion) is scanned first to bound
   depth, node count and aliases before any tree is built, so the recursive composers (PyYAML's,
   and the C one, which could overflow the C stack) never see a document deeper than
   ``MAX_DEPTH``. The event stream and the tree come from libyaml when PyYAML has it (15× faster);
   when libyaml finds anything wrong — a syntax error, a limit, a character PyYAML's reader
   refuses — or the text has a construct the two read differently (``_LIBYAML_DIFFERS``), it is
   read again by PyYAML's pure-Python parser, so every diagnostic (message
   and position) is the pure-Python one. Both give the same tree and positions for valid text
   (tests/security/test_yaml.py compares them on every YAML file in the repository);
3. the composed node tree is converted by our own walker, which resolves plain scalars by a small
   YAML-1.2-like table: ``true``/``false``, ``null``/``~``/empty, decimal numbers written as
   ``-?digits(.digits)?`` (made into ``Decimal`` from their text). Every other plain scalar stays a
   string — except the YAML 1.1 surprises (``yes``/``no``/``on``/``off``, ``012``, ``1:30``,
   ``1e3``, ``.5``, ``0x1F``), which are reported as ambiguous instead of being guessed;
4. duplicate keys are errors; every value's and key's position is kept in a path → Span map.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from govscore.errors import Diagnostic, GovscoreError, Span
from govscore.numbers import NUMBER_TEXT

MAX_BYTES = 2_000_000
MAX_DEPTH = 64
MAX_NODES = 200_000
MAX_ALIASES = 100

Path = tuple[str | int, ...]

_NULLS = {"", "~", "null", "Null", "NULL"}
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
# Each pattern runs in linear time (fullmatch on text up to MAX_BYTES long): where two runs of the
# same characters meet, the first is possessive (``*+``), which matches the same strings without
# trying every split point (quadratic backtracking on a long run of digits).
_AMBIGUOUS = [
    (re.compile(r"(?i)yes|no|on|off"), "a YAML 1.1 boolean"),
    (re.compile(r"[-+]?0[0-9_]+(\.[0-9]*)?"), "a number with a leading zero (octal in YAML 1.1)"),
    (re.compile(r"[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?"), "a sexagesimal number"),
    (re.compile(r"[-+]?([0-9][0-9_]*+)?\.?[0-9_]*+[eE][-+]?[0-9]+"), "a number with an exponent"),
    (re.compile(r"[-+]?\.[0-9]+|[-+]?[0-9]+\."), "a number without digits on both sides of '.'"),
    (re.compile(r"[-+]?0[xXoObB][0-9a-fA-F_]+"), "a hexadecimal, octal or binary number"),
    (re.compile(r"[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)"), "infinity or NaN"),
    (re.compile(r"\+[0-9]+(\.[0-9]+)?|[0-9][0-9]*+_[0-9_]*+(\.[0-9_]+)?"), "a number with '+' or '_'"),
]


class _Loader(yaml.SafeLoader):
    """SafeLoader with no implicit resolvers: every plain scalar is tagged ``str`` and resolved
    by :func:`_scalar` instead."""

    yaml_implicit_resolvers: dict[Any, Any] = {}  # noqa: RUF012 - PyYAML's own class attribute


@dataclass
class Document:
    """A parsed document: plain data (dict/list/str/Decimal/bool/None) plus positions."""

    data: Any
    file: str
    problems: list[Diagnostic] = field(default_factory=list)
    """Non-fatal problems (duplicate keys, ambiguous scalars): the data is still usable."""
    value_spans: dict[Path, Span] = field(default_factory=dict)
    key_spans: dict[Path, Span] = field(default_factory=dict)

    def span(self, path: Path, *, key: bool = False) -> Span | None:
        """The position of ``path`` (its key if ``key`` and known), else the nearest ancestor."""
        if key and path in self.key_spans:
            return self.key_spans[path]
        p = path
        while True:
            if p in self.value_spans:
                return self.value_spans[p]
            if not p:
                return None
            p = p[:-1]


class YamlError(GovscoreError):
    """The text cannot be read as YAML within the limits; ``diagnostics`` say why, each with its
    code (GS102-GS112) and position. The scheme loader and the facts readers turn it into a
    SchemeError or a FactsFileError."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        super().__init__("; ".join(str(d) for d in diagnostics))


def _span(file: str, mark: Any) -> Span:
    return Span(file, mark.line + 1, mark.column + 1)


def decode(raw: bytes, file: str, *, max_bytes: int = MAX_BYTES) -> str:
    if len(raw) > max_bytes:
        d = Diagnostic("GS106", f"the file has {len(raw)} bytes; the limit is {max_bytes}",
                       span=Span(file, 1, 1))
        raise YamlError([d])
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        col = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
        d = Diagnostic("GS102", f"byte {raw[exc.start]:#04x} is not valid UTF-8 "
                       "(save the file as UTF-8)", span=Span(file, line, col))
        raise YamlError([d]) from None


def _prescan(text: str, file: str, loader: Any = None) -> None:
    """Bound depth, node count and aliases from the event stream, before composing. Aliases are
    counted as what they expand to (an anchor's node count and height), so an alias bomb or an
    alias that nests a deep anchor deeper is stopped here, in time linear in the text; an alias
    to a node that contains it (a cycle) is refused."""
    depth = nodes = aliases = documents = 0
    frames: list[list[Any]] = []  # open collections: [anchor, nodes at start, deepest level]
    size: dict[str | None, int] = {}
    height: dict[str | None, int] = {}

    def fail(code: str, message: str, event: Any) -> YamlError:
        return YamlError([Diagnostic(code, message, span=_span(file, event.start_mark))])

    def reach(level: int, event: Any) -> None:
        if level > MAX_DEPTH:
            raise fail("GS107", f"nesting deeper than {MAX_DEPTH} levels", event)
        if frames and level > frames[-1][2]:
            frames[-1][2] = level

    try:
        for event in yaml.parse(text, Loader=loader or _Loader):
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise fail("GS111", "a scheme or facts file holds exactly one YAML document",
                               event)
            elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                nodes += 1
                reach(depth, event)
                frames.append([event.anchor, nodes, depth])
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                anchor, start, deepest = frames.pop()
                if anchor is not None:
                    size[anchor] = nodes - start + 1
                    height[anchor] = deepest - depth + 1
                depth -= 1
                if frames and deepest > frames[-1][2]:
                    frames[-1][2] = deepest
            elif isinstance(event, yaml.ScalarEvent):
                if loader not in (None, _Loader) and not event.value and not event.style:
                    raise _PythonReaderNeeded  # libyaml places empty values elsewhere
                nodes += 1
                if event.anchor is not None:
                    size[event.anchor], height[event.anchor] = 1, 0
            elif isinstance(event, yaml.AliasEvent):
                aliases += 1
                if aliases > MAX_ALIASES:
                    raise fail("GS108", f"more than {MAX_ALIASES} aliases", event)
                if any(frame[0] == event.anchor for frame in frames):
                    raise fail("GS108", f"alias *{event.anchor} refers to a node that contains "
                               "it (a cycle)", event)
                nodes += size.get(event.anchor, 1)
                reach(depth + height.get(event.anchor, 0), event)
            if nodes > MAX_NODES:
                raise fail("GS108", f"more than {MAX_NODES} YAML nodes (aliases counted as "
                           "what they expand to)", event)
    except yaml.MarkedYAMLError as exc:
        raise YamlError([_syntax(exc, file)]) from None
    except yaml.YAMLError as exc:  # ReaderError has no mark: non-printable characters
        raise YamlError([Diagnostic("GS103", f"YAML error: {exc}", span=Span(file, 1, 1))]) from None


def _syntax(exc: yaml.MarkedYAMLError, file: str) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or "syntax error"
    if "\t" in problem or "'\\t'" in problem or "tab" in problem:  # PyYAML writes a tab as '\t'
        problem += " (YAML does not allow tabs for indentation; use spaces)"
    span = _span(file, mark) if mark is not None else Span(file, 1, 1)
    return Diagnostic("GS103", f"YAML syntax error: {problem}", span=span)


_UNREAD: Any = object()
# Where libyaml and PyYAML read differently (found by fuzzing both, tests/security/test_yaml.py):
# tabs, a comment right after a block scalar's header (``|#``), byte-order marks and the
# Unicode line breaks inside the text, and tags. Such text is read by PyYAML alone.
_LIBYAML_DIFFERS = re.compile("\t|[|>][-+0-9]*#|[\ufeff\x85\u2028\u2029!]")


class _PythonReaderNeeded(Exception):  # noqa: N818 - a signal, never escapes this module
    """libyaml and PyYAML disagree on this text's positions: read it with PyYAML."""

if yaml.__with_libyaml__:
    class _CLoader(yaml.CSafeLoader):
        """libyaml's parser with no implicit resolvers, like :class:`_Loader`."""

        yaml_implicit_resolvers: dict[Any, Any] = {}  # noqa: RUF012 - PyYAML's class attribute


def _compose_with_libyaml(text: str, file: str) -> Any:
    """The node tree from libyaml, or _UNREAD when libyaml is missing or finds anything amiss
    (then the pure-Python reader reads the text again and reports it)."""
    if not yaml.__with_libyaml__ or _LIBYAML_DIFFERS.search(text) \
            or yaml.reader.Reader.NON_PRINTABLE.search(text):
        return _UNREAD
    try:
        return _compose(text, file, _CLoader)
    except (YamlError, _PythonReaderNeeded):
        return _UNREAD


def _compose(text: str, file: str, loader: Any) -> Any:
    _prescan(text, file, loader)
    try:
        return yaml.compose(text, Loader=loader)
    except yaml.MarkedYAMLError as exc:
        raise YamlError([_syntax(exc, file)]) from None
    except yaml.YAMLError as exc:
        raise YamlError([Diagnostic("GS103", f"YAML error: {exc}", span=Span(file, 1, 1))]) from None


def parse(text: str, file: str) -> Document:
    """Parse one YAML document into plain data with positions. Syntax errors and resource limits
    raise YamlError; duplicate keys and ambiguous scalars are kept in ``Document.problems`` so
    that the caller can report them beside the model's errors in one run."""
    root = _compose_with_libyaml(text, file)
    if root is _UNREAD:
        root = _compose(text, file, _Loader)
    doc = Document(data=None, file=file)
    problems: list[Diagnostic] = []
    if root is None:
        problems.append(Diagnostic("GS105", "the file is empty; expected a mapping",
                                   span=Span(file, 1, 1)))
        raise YamlError(problems)
    budget = [MAX_NODES]
    doc.data = _convert(root, (), doc, problems, budget)
    if any(p.code in ("GS108", "GS110", "GS112") for p in problems):
        raise YamlError(problems)
    doc.problems = problems
    return doc


def _convert(node: Node, path: Path, doc: Document, problems: list[Diagnostic],
             budget: list[int]) -> Any:
    budget[0] -= 1
    if budget[0] < 0:
        if budget[0] == -1:
            problems.append(Diagnostic("GS108", "the document expands to too many nodes "
                                       "(aliases?)", span=_span(doc.file, node.start_mark)))
        return None
    doc.value_spans.setdefault(path, _span(doc.file, node.start_mark))
    if node.tag not in (
        "tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq",
    ):
        problems.append(Diagnostic("GS110", f"YAML tag {node.tag!r} is not supported",
                                   path=path, span=_span(doc.file, node.start_mark)))
        return None
    if isinstance(node, ScalarNode):
        return _scalar(node, path, doc, problems)
    if isinstance(node, SequenceNode):
        return [_convert(child, (*path, i), doc, problems, budget)
                for i, child in enumerate(node.value)]
    assert isinstance(node, MappingNode)
    out: dict[str, Any] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, ScalarNode) or key_node.tag != "tag:yaml.org,2002:str":
            problems.append(Diagnostic("GS112", "mapping keys must be plain text",
                                       path=path, span=_span(doc.file, key_node.start_mark)))
            continue
        key = key_node.value
        if key == "<<":
            problems.append(Diagnostic("GS110", "merge keys ('<<') are not supported",
                                       path=path, span=_span(doc.file, key_node.start_mark)))
            continue
        child = (*path, key)
        if key in out:
            first = doc.key_spans.get(child)
            where = f" (first at line {first.line})" if first else ""
            problems.append(Diagnostic("GS104", f"duplicate key {key!r}{where}", path=child,
                                       span=_span(doc.file, key_node.start_mark)))
            continue
        doc.key_spans[child] = _span(doc.file, key_node.start_mark)
        out[key] = _convert(value_node, child, doc, problems, budget)
    return out


def _scalar(node: ScalarNode, path: Path, doc: Document, problems: list[Diagnostic]) -> Any:
    text = node.value
    if node.style:  # quoted or block scalars are always strings (plain: None, or '' from libyaml)
        return text
    if text in _NULLS:
        return None
    if text in _BOOLS:
        return _BOOLS[text]
    if NUMBER_TEXT.fullmatch(text):  # the one grammar of numbers (govscore.numbers)
        return Decimal(text)
    for pattern, what in _AMBIGUOUS:
        if pattern.fullmatch(text):
            fix = ("write true or false, or quote it if it is text" if "boolean" in what
                   else "write it as a plain decimal, or quote it if it is text")
            problems.append(Diagnostic(
                "GS109", f"{text!r} looks like {what}; {fix}", path=path,
                span=_span(doc.file, node.start_mark)))
            return text
    return text
