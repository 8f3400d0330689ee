"""What scoring produces: immutable results with a trace, and their JSON form.

Decimals are written to JSON as strings ("87.50") so that no reader turns them into binary floats.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar, Literal, NamedTuple

from govscore.errors import Diagnostic
from govscore.numbers import text

StepKind = Literal[
    "from_full", "cap", "floor", "limit", "gate", "rescale", "scale", "modifier", "exempt",
    "not_applicable", "none_applicable", "requires", "round", "veto", "population", "statistic",
    "substitute",
]


NAMED_IN_REASON = 5
"""A tied unit's reason names at most this many of the others it is tied with (the rest are
counted), so that each reason stays short however large the tie; the AwardScope lists them all."""


class TraceStep(NamedTuple):
    """One change to a number, as data: which rule (node or veto id), what kind of step, the
    value before and after, and the step's operands. The views choose the words
    (:mod:`govscore.views.wording`); nothing here is a sentence.

    ``args`` by ``step`` (every number a Decimal, every id a str):

    ========================  ================================================================
    step                      args
    ========================  ================================================================
    ``from_full``             ``(max,)`` — the item starts from full marks: after = max − before
    ``modifier``              ``("factor_if", factor, input_or_None, category_or_None)`` or
                              ``("on_count", input, count, at_least, factor, ineligible)``
    ``requires``              ``(input,)`` — the flag was not true: no points
    ``exempt``                ``(reason, note)``
    ``cap``                   ``(bound,)`` — an item's max or a group's cap
    ``floor``                 ``(bound,)`` — 0 for an item (扣完为止), a group's floor
    ``round``                 ``(places, mode)`` — mode ``half_up`` (四舍五入) or ``half_even``
    ``rescale``               ``(full_max, applicable_max)`` — × full / applicable
    ``scale``                 ``(scale_to, full_max)`` — × scale_to / full
    ``gate``                  ``(node, node_value, op, bound)``, op ``"gte"`` or ``"gt"``
    ``limit``                 ``(factor, node, ceiling)`` — not more than factor × node
    ``not_applicable``        ``(reason,)`` — reason is ``""`` for a group none of whose
                              children apply
    ``none_applicable``       ``(policy,)`` — no child of the group applies and the scheme
                              says it gets ``"full"`` marks or ``"zero"``
    ``veto``                  ``(title, effect, grade_or_None, score_or_None)``
    ``population``            an item scored over its scope (before 0, after the raw score):
                              ``("rank_points", source, value, rank, n, max, step, last)`` or
                              ``("relative_to_best", source, value, best, max, lower_is_better,
                              zero_best)``; source is the node or fact ranked
    ``statistic``             a cohort statistic (rule: its id; after: its value):
                              ``(function, of, scope, count, units)``, units the first few
                              of the ``count`` units it was taken over
    ``substitute``            a not-applicable item scores a statistic: ``(statistic,)``
    ========================  ================================================================
    """

    rule: str
    step: StepKind
    before: Decimal
    after: Decimal
    args: tuple[Any, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "step": self.step, "before": text(self.before),
                "after": text(self.after), "args": [jsonable(a) for a in self.args]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TraceStep:
        step = data["step"]
        args = list(data.get("args", ()))
        where = _DECIMAL_ARGS.get(step, ())
        if step in ("modifier", "population") and args:
            where = _DECIMAL_ARGS.get(f"{step}:{args[0]}", ())
        for i in where:
            if i < len(args) and args[i] is not None:
                args[i] = Decimal(args[i])
        if step == "statistic" and len(args) == 5 and isinstance(args[4], list):  # noqa: PLR2004
            args[4] = tuple(args[4])  # the units it was taken over
        return cls(data["rule"], step, Decimal(data["before"]), Decimal(data["after"]),
                   tuple(args))


# which args of each step are decimals (written to JSON as text, read back as Decimal)
_DECIMAL_ARGS: dict[str, tuple[int, ...]] = {
    "from_full": (0,), "modifier:factor_if": (1,), "modifier:on_count": (2, 4), "cap": (0,),
    "floor": (0,), "rescale": (0, 1), "scale": (0, 1), "gate": (1, 3), "limit": (0, 2),
    "veto": (3,), "population:rank_points": (2, 5, 6, 7),
    "population:relative_to_best": (2, 3, 4),
}


@dataclass(frozen=True)
class NodeResult:
    """A node's final value and what produced it."""

    id: str
    title: str
    kind: Literal["item", "group"]
    value: Decimal
    """The node's final value (an item's score after modifiers, bounds and rounding; a group's
    value after combine, rescale, cap, floor, gate and limit)."""
    raw: Decimal
    """An item's value from its rule alone; a group's combined value before its own bounds."""
    max: Decimal
    role: Literal["add", "subtract"] = "add"
    applicable: bool = True
    outside_total: bool = False
    fact: Any = None
    """The fact value the item used (as given, normalised to decimals)."""
    rule: str = ""
    """The item's rule kind, or the group's combine."""
    parent: str | None = None
    order: int = 0
    """The node's position in the scheme (parents before children), for reports."""

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "kind": self.kind, "value": text(self.value),
                "raw": text(self.raw), "max": text(self.max), "role": self.role,
                "applicable": self.applicable, "outside_total": self.outside_total,
                "fact": self.fact, "rule": self.rule, "parent": self.parent,
                "order": self.order}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NodeResult:
        return cls(data["id"], data["title"], data["kind"], Decimal(data["value"]),
                   Decimal(data["raw"]), Decimal(data["max"]), data["role"], data["applicable"],
                   data["outside_total"], data["fact"], data["rule"], data["parent"],
                   data["order"])


class NodeLayout(NamedTuple):
    """What a node's result shares with every unit of one category: all but its numbers."""

    id: str
    title: str
    kind: Literal["item", "group"]
    max: Decimal
    role: Literal["add", "subtract"]
    outside_total: bool
    rule: str
    parent: str | None
    order: int
    fact: str | None
    """The fact an item reads (None for groups and formula items)."""


class LazyNodes(Mapping[str, NodeResult]):
    """Node results built on first access from the values a compiled kernel computed: scoring
    many units need not build two dozen objects per unit that no report may ever read. Equal to
    (and interchangeable with) the dict the interpreter builds."""

    __slots__ = ("_built", "_facts", "_index", "_layout", "_raws", "_values")

    def __init__(self, layout: tuple[NodeLayout, ...], index: Mapping[str, int],
                 values: Sequence[Decimal], raws: Sequence[Decimal],
                 facts: Mapping[str, Any]) -> None:
        self._layout = layout
        self._index = index
        self._values = values
        self._raws = raws
        self._facts = facts
        self._built: dict[str, NodeResult] | None = None

    def _node(self, i: int) -> NodeResult:
        n = self._layout[i]
        return NodeResult(
            n.id, n.title, n.kind, self._values[i], self._raws[i], n.max, n.role, True,
            n.outside_total, None if n.fact is None else jsonable(self._facts[n.fact]), n.rule,
            n.parent, n.order)

    def _all(self) -> dict[str, NodeResult]:
        return {key: self[key] for key in self._index}

    def __getitem__(self, key: str) -> NodeResult:
        built = self._built
        if built is None:
            built = self._built = {}
        node = built.get(key)
        if node is None:
            node = built[key] = self._node(self._index[key])  # KeyError: not a node
        return node

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def values_of(self, ids: Sequence[str]) -> list[Decimal | None]:
        """The values of these nodes (None for an id that is not a node here), without building
        a NodeResult for any of them (streamed reports read every node of every unit)."""
        index, values = self._index, self._values
        return [values[i] if (i := index.get(key)) is not None else None for key in ids]

    def __len__(self) -> int:
        return len(self._layout)

    def __contains__(self, key: object) -> bool:
        return key in self._index

    def __repr__(self) -> str:
        return repr(self._all())

    def __reduce__(self) -> tuple[Any, ...]:
        return dict, (self._all(),)


@dataclass(frozen=True)
class UnitResult:
    """One unit's score."""

    unit: str
    category: str | None
    tier: str | None
    total: Decimal
    """The final total (a veto with effect 'score' replaces it)."""
    computed_total: Decimal
    """The total the rules computed, before any veto replaced it."""
    nodes: Mapping[str, NodeResult]
    trace: tuple[TraceStep, ...]
    vetoes: tuple[str, ...] = ()
    """Ids of the vetoes that fired."""
    ineligible: tuple[str, ...] = ()
    """Why the unit may receive no award (a veto, a modifier); empty if eligible."""
    exemptions: dict[str, str] = field(default_factory=dict)
    """item id → the exemption reason given."""
    outputs: dict[str, Decimal] = field(default_factory=dict)
    forced_grade: str | None = None
    grade_cap: str | None = None

    @classmethod
    def assemble(cls, unit: str, category: str | None, tier: str | None, total: Decimal,
                 computed_total: Decimal, nodes: Mapping[str, NodeResult],
                 trace: tuple[TraceStep, ...], vetoes: tuple[str, ...],
                 ineligible: tuple[str, ...], exemptions: dict[str, str],
                 outputs: dict[str, Decimal], forced_grade: str | None,
                 grade_cap: str | None) -> UnitResult:
        """The same as the constructor, positionally and without its per-field frozen-setattr
        cost (a third of the kernel's per-unit overhead); the result is just as frozen."""
        result = object.__new__(cls)
        result.__dict__.update(
            unit=unit, category=category, tier=tier, total=total, computed_total=computed_total,
            nodes=nodes, trace=trace, vetoes=vetoes, ineligible=ineligible,
            exemptions=exemptions, outputs=outputs, forced_grade=forced_grade,
            grade_cap=grade_cap)
        return result

    @property
    def eligible(self) -> bool:
        return not self.ineligible

    def value(self, node_id: str) -> Decimal:
        return self.nodes[node_id].value

    def to_dict(self) -> dict[str, Any]:
        return {
            "unit": self.unit, "category": self.category, "tier": self.tier,
            "total": text(self.total), "computed_total": text(self.computed_total),
            "nodes": {k: v.to_dict() for k, v in self.nodes.items()},
            "trace": [s.to_dict() for s in self.trace],
            "vetoes": list(self.vetoes), "ineligible": list(self.ineligible),
            "exemptions": dict(self.exemptions),
            "outputs": {k: text(v) for k, v in self.outputs.items()},
            "forced_grade": self.forced_grade, "grade_cap": self.grade_cap,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> UnitResult:
        return cls(
            data["unit"], data["category"], data["tier"], Decimal(data["total"]),
            Decimal(data["computed_total"]),
            {k: NodeResult.from_dict(v) for k, v in data["nodes"].items()},
            tuple(TraceStep.from_dict(s) for s in data["trace"]),
            tuple(data["vetoes"]), tuple(data["ineligible"]), dict(data["exemptions"]),
            {k: Decimal(v) for k, v in data["outputs"].items()},
            data["forced_grade"], data["grade_cap"],
        )


_NEW_TUPLE = tuple.__new__

# what a KernelResult holds, in its one tuple (_data), before the node values, raw amounts and
# checked facts' values
_HELD = ("unit", "category", "tier", "total", "computed_total", "vetoes", "ineligible",
         "forced_grade", "grade_cap", "_outputs")


def trace_steps(flat: Sequence[Any]) -> Iterator[TraceStep]:
    """The steps of a trace recorded flat (``rule, step, before, after, len(args), *args`` one
    after another: engine.steps.trace_line)."""
    at, end = 0, len(flat)
    while at < end:
        count = flat[at + 4]
        yield _NEW_TUPLE(TraceStep, (*flat[at:at + 4], tuple(flat[at + 5:at + 5 + count])))
        at += 5 + count


def flat_trace(steps: Iterable[TraceStep]) -> list[Any]:
    """Steps recorded flat, as :func:`trace_steps` reads them."""
    flat: list[Any] = []
    for rule, step, before, after, args in steps:
        flat += (rule, step, before, after, len(args), *args)
    return flat


def _held(i: int) -> property:
    """Field ``i`` of the one tuple a KernelResult or DeferredResult holds."""
    def read(self: Any) -> Any:
        return self._data[i]
    return property(read)


class _HeldResult(UnitResult):
    """A result whose fields are held in one tuple (``_data``) and built when read: equal to,
    and pickled as, the plain UnitResult it stands for."""

    __slots__ = ("_data",)
    _data: tuple[Any, ...]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, UnitResult):
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in _UNIT_FIELDS)

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        # a plain UnitResult (worked out now if it was not yet): the per-kernel classes cannot
        # be found by name when unpickling
        return UnitResult.assemble, tuple(getattr(self, f) for f in _UNIT_FIELDS)


class KernelResult(_HeldResult):
    """A unit's result as a compiled kernel (engine/kernel.py) leaves it: one tuple of the
    unit's fields, then its node values, raw amounts and checked facts' values in the kernel's
    order, then its trace steps flat (:func:`trace_steps`). ``nodes``
    (:class:`LazyNodes`), ``trace`` (:class:`TraceStep` s) and ``exemptions``/``outputs`` are
    built on first read and then kept.

    Why: a caller who keeps many results (``[evaluate(plan, u) for u in units]``) kept a dozen
    objects per unit that Python's cyclic garbage collector tracks (the result and its
    attribute dict, its LazyNodes, two lists, a named tuple per trace step …), and every full
    collection visited them all again: more time than the scoring itself. A tuple that holds
    only numbers and text is untracked the first time the collector sees it (one that holds a
    tuple made at the same time, only a collection later: hence the flat trace), so a kept
    KernelResult is one tracked object with one reference. Nothing is dropped: every field
    reads as the interpreter's result would (equal and interchangeable;
    tests/property/test_kernel.py).

    Each kernel has its own subclass (:meth:`of_layout`) that holds the category's node
    layout and fact names, so that no instance refers to a shared object the collector
    tracks."""

    HEAD: ClassVar[int] = len(_HELD)
    """Where the node values start in the tuple."""
    FACTS_AT: ClassVar[int] = HEAD
    """Where the checked facts' values start (after the node values and raw amounts)."""
    TRACE_AT: ClassVar[int] = HEAD
    """Where the flat trace starts (after the checked facts' values)."""
    __slots__ = ()
    _layout: ClassVar[tuple[NodeLayout, ...]] = ()
    _index: ClassVar[Mapping[str, int]] = {}
    _facts: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def of_layout(cls, layout: tuple[NodeLayout, ...], index: Mapping[str, int],
                  facts: tuple[str, ...]) -> type[KernelResult]:
        """The result class of one kernel: one category's nodes and fact names."""
        facts_at = cls.HEAD + 2 * len(layout)
        return type(cls.__name__, (cls,), {"__slots__": (), "__module__": cls.__module__,
                                           "__qualname__": cls.__qualname__,
                                           "_layout": layout, "_index": index,
                                           "_facts": facts, "FACTS_AT": facts_at,
                                           "TRACE_AT": facts_at + len(facts)})

    def __new__(cls, *args: Any, **kwargs: Any) -> UnitResult:  # type: ignore[misc]
        """Only code that builds a result from its fields calls this (``dataclasses.replace``):
        it gets a plain UnitResult, as the interpreter gives (kernels make theirs directly)."""
        return UnitResult(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        # only called for what is not held yet: the fields built on first read
        data = self._data
        value: Any
        if name == "nodes":
            head, n, at = self.HEAD, len(self._layout), self.FACTS_AT
            value = LazyNodes(self._layout, self._index, data[head:head + n],
                              data[head + n:at],
                              dict(zip(self._facts, data[at:self.TRACE_AT], strict=True)))
        elif name == "trace":
            value = tuple(trace_steps(data[self.TRACE_AT:]))
        elif name == "outputs":
            value = {} if data[9] is None else data[9]
        elif name == "exemptions":
            value = {}
        else:
            raise AttributeError(name)
        self.__dict__[name] = value
        return value


for _i, _name in enumerate(_HELD[:9]):
    setattr(KernelResult, _name, _held(_i))

new_kept_result = (object.__new__,
                   KernelResult._data.__set__)  # type: ignore[attr-defined]  # noqa: SLF001
"""How a kernel makes a KernelResult: a new instance of its class, and the setter of its one
slot (a frozen dataclass refuses setattr)."""


class DeferredResult(_HeldResult):
    """A unit scored by the columns (engine/columnar.py): its total, category and tier are
    known; its nodes, trace, exemptions and outputs are worked out on first access by scoring
    the unit again on the scalar path, so that a batch keeps no trace nobody reads. Equal to,
    and interchangeable with, the UnitResult the scalar path gives (the columns take no unit
    that a veto catches or that loses eligibility, so those fields are known too).

    What it holds, as a KernelResult does: one tuple of numbers and text (unit, category, tier,
    total, computed total, the entry's index) and the function that scores the entry again —
    two slots, no attribute dict until a lazy field is read: making 100,000 of them when a
    batch's results are read whole costs a quarter of six-key dicts."""

    __slots__ = ("_source",)
    _source: Callable[[int], UnitResult] | None
    _LAZY = frozenset({"nodes", "trace", "exemptions", "outputs"})

    @classmethod
    def deferred(cls, unit: str, category: str | None, tier: str | None, total: Decimal,
                 source: Callable[[int], UnitResult], index: int) -> DeferredResult:
        return cls.deferred_many((unit,), (category,), (tier,), (total,), source, (index,))[0]

    @classmethod
    def deferred_many(cls, units: Sequence[str], categories: Sequence[str | None],
                      tiers: Sequence[str | None], totals: Sequence[Decimal],
                      source: Callable[[int], UnitResult], indices: Sequence[int]
                      ) -> list[DeferredResult]:
        """deferred() for many units at once (a batch's results read whole); vetoes,
        ineligible, forced_grade and grade_cap: the class's defaults (none)."""
        new, hold, keep = object.__new__, _HOLD_DEFERRED, _KEEP_SOURCE
        out: list[DeferredResult] = []
        append = out.append
        for held in zip(units, categories, tiers, totals, totals, indices, strict=True):
            result = new(cls)
            hold(result, held)
            keep(result, source)
            append(result)
        return out

    def __getattr__(self, name: str) -> Any:
        # only called for a lazy field not worked out yet (then it is in the attribute dict)
        source = self._source if name in self._LAZY else None
        if source is None:
            raise AttributeError(name)
        unit, category, tier, total, _, index = self._data
        full = source(index)
        if full.total != total or full.vetoes or full.ineligible:
            msg = f"unit {unit!r}: the scalar path gives {full.total}, the columns {total}"
            raise AssertionError(msg)  # the differential tests hold this never happens
        self.__dict__.update(nodes=full.nodes, trace=full.trace, exemptions=full.exemptions,
                             outputs=full.outputs)
        # the same total, written as the scalar path writes it
        _HOLD_DEFERRED(self, (unit, category, tier, full.total, full.computed_total, index))
        _KEEP_SOURCE(self, None)
        return self.__dict__[name]


for _i, _name in enumerate(_HELD[:5]):
    setattr(DeferredResult, _name, _held(_i))

_HOLD_DEFERRED = DeferredResult._data.__set__  # type: ignore[attr-defined]  # noqa: SLF001
_KEEP_SOURCE = DeferredResult._source.__set__  # type: ignore[union-attr]  # noqa: SLF001

_UNIT_FIELDS = ("unit", "category", "tier", "total", "computed_total", "nodes", "trace",
                "vetoes", "ineligible", "exemptions", "outputs", "forced_grade", "grade_cap")


@dataclass(frozen=True)
class Placement:
    """A unit's place in its population: rank, grade and awards, with the reasons."""

    unit: str
    scope: str
    """The ranking scope's key: 'all', a tier id or a category id."""
    rank: int
    scope_size: int
    grade: str | None = None
    """None while a tie at a grade quota's boundary is undecided (see grade_undecided)."""
    grade_reason: str = ""
    grade_undecided: tuple[str, ...] = ()
    """When a tie at a grade quota's boundary was not separated: the grades in question."""
    awards: tuple[str, ...] = ()
    undecided: tuple[str, ...] = ()
    """Awards this unit is tied for at the quota boundary; a human must decide."""
    reasons: dict[str, str] = field(default_factory=dict)
    """award id → why the unit did or did not get it."""

    def to_dict(self) -> dict[str, Any]:
        return {"unit": self.unit, "scope": self.scope, "rank": self.rank,
                "scope_size": self.scope_size, "grade": self.grade,
                "grade_reason": self.grade_reason, "grade_undecided": list(self.grade_undecided),
                "awards": list(self.awards), "undecided": list(self.undecided),
                "reasons": dict(self.reasons)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Placement:
        return cls(data["unit"], data["scope"], data["rank"], data["scope_size"], data["grade"],
                   data["grade_reason"], tuple(data["grade_undecided"]), tuple(data["awards"]),
                   tuple(data["undecided"]), dict(data["reasons"]))


@dataclass(frozen=True)
class AwardScope:
    """How one award was decided in one scope."""

    award: str
    scope: str
    size: int
    places: int
    """floor(share × size) (or the declared rounding, or count)."""
    winners: tuple[str, ...]
    undecided: tuple[str, ...]
    """Units tied at the boundary, for a human decision."""
    open_places: int
    """Places left for the undecided units."""

    def to_dict(self) -> dict[str, Any]:
        return {"award": self.award, "scope": self.scope, "size": self.size,
                "places": self.places, "winners": list(self.winners),
                "undecided": list(self.undecided), "open_places": self.open_places}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AwardScope:
        return cls(data["award"], data["scope"], data["size"], data["places"],
                   tuple(data["winners"]), tuple(data["undecided"]), data["open_places"])


@dataclass(frozen=True)
class Rejected:
    """A unit whose facts could not be scored, with every problem found."""

    index: int
    unit: str
    diagnostics: tuple[Diagnostic, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "unit": self.unit,
                "errors": [d.to_dict() for d in self.diagnostics]}


@dataclass(frozen=True)
class Record:
    """What an appeal needs to recompute and check a result."""

    scheme_id: str
    scheme_version: str
    scheme_sha256: str
    facts_sha256: str
    govscore_version: str
    lineage: dict[str, Any] | None = field(default=None, compare=False)
    """For facts derived from records (:mod:`govscore.records`): each table's query, parameters
    and files (sha256), and per unit and fact the rows counted, so an appeal can recount."""

    def to_dict(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        if self.lineage is None:
            del out["lineage"]
        return out


@dataclass(frozen=True)
class Assessment:
    """Every unit of one assessment: results, placements, award decisions, rejected units."""

    results: Mapping[str, UnitResult]
    """By unit, in input order: a dict, or (a batch scored by the columns) a mapping over
    columns that builds each unit's result when read (engine/result_columns.py)."""
    placements: Mapping[str, Placement]
    awards: tuple[AwardScope, ...]
    rejected: tuple[Rejected, ...]
    record: Record
    submitted: int
    """How many unit entries came in; always len(results) + len(rejected)."""
    labels: dict[str, str] = field(default_factory=dict)
    """Titles of the scheme, its tiers, categories, awards and vetoes, for reports."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "record": self.record.to_dict(),
            "labels": dict(self.labels),
            "submitted": self.submitted, "scored": len(self.results),
            "rejected": [r.to_dict() for r in self.rejected],
            "results": [self.results[u].to_dict() for u in sorted(self.results)],
            "placements": [self.placements[u].to_dict() for u in sorted(self.placements)],
            "awards": [a.to_dict() for a in self.awards],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Assessment:
        results = {r["unit"]: UnitResult.from_dict(r) for r in data["results"]}
        placements = {p["unit"]: Placement.from_dict(p) for p in data["placements"]}
        rejected = tuple(
            Rejected(r["index"], r["unit"], tuple(
                Diagnostic(e["code"], e["message"], unit=e.get("unit"), item=e.get("item"))
                for e in r["errors"]))
            for r in data["rejected"])
        return cls(results, placements, tuple(AwardScope.from_dict(a) for a in data["awards"]),
                   rejected, Record(**data["record"]), data["submitted"], dict(data["labels"]))

    @property
    def ties(self) -> tuple[AwardScope, ...]:
        """Award decisions left open by a tie at the boundary."""
        return tuple(a for a in self.awards if a.undecided)


def jsonable(value: Any) -> Any:
    """Facts as JSON-ready data: decimals become their text."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value
