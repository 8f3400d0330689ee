"""The scheme's tree, walked once: every node with its key path, parent, ancestors, sign and the
categories it applies to. Every module that needs to walk the tree (checks, lowering, tests)
uses :func:`index`; nothing else recurses over children. The walk is iterative: a group of
10,000 items is as easy as one of ten."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from govscore.language import model

Path = tuple[str | int, ...]
ZERO = Decimal(0)


@dataclass(frozen=True)
class NodeRef:
    node: model.Item | model.Group
    path: Path
    """The key path from the scheme's root (``("score", "children", 0, …)``)."""
    parent: model.Group | None
    ancestors: tuple[str, ...]
    """Ids of the groups above, outermost first."""
    order: int
    """Position in the walk: parents before children, children in the scheme's order."""
    sign: int
    """+1 if the node adds to the total through every group above it, −1 if it is subtracted
    (an odd number of subtracting nodes on its path, itself included)."""
    categories: frozenset[str] | None
    """The categories the node applies to through its own and its ancestors' ``applies_to``
    (None: every category)."""
    units: frozenset[str] | None = None
    """The named units the node applies to through its own and its ancestors' ``units`` (None:
    every unit of its categories)."""


def index(scheme: model.Scheme) -> list[NodeRef]:
    """Every node of the scheme, parents before children."""
    out: list[NodeRef] = []
    root = scheme.score
    stack: list[tuple[model.Item | model.Group, Path, model.Group | None, tuple[str, ...], int,
                      frozenset[str] | None, frozenset[str] | None]] = [
        (root, ("score",), None, (), 1, None, None)]
    while stack:
        node, path, parent, ancestors, sign, cats, units = stack.pop()
        here = -sign if node.role == "subtract" else sign
        if node.applies_to is not None:
            own = frozenset(node.applies_to)
            cats = own if cats is None else cats & own
        if node.units is not None:
            named = frozenset(node.units)
            units = named if units is None else units & named
        out.append(NodeRef(node, path, parent, ancestors, len(out), here, cats, units))
        if isinstance(node, model.Group):
            inner = (*ancestors, node.id)
            for i in range(len(node.children) - 1, -1, -1):
                stack.append((node.children[i], (*path, "children", i), node, inner, here, cats,
                              units))
    return out


def applies(node: model.Item | model.Group, category: str | None) -> bool:
    """Whether a node itself says it applies to a category (None: a scheme without categories)."""
    return category is None or node.applies_to is None or category in node.applies_to


def categories(scheme: model.Scheme) -> list[str | None]:
    """The scheme's categories, or [None] for a scheme without them."""
    return [c.id for c in scheme.categories] or [None]


def in_category(cats: frozenset[str] | None, category: str | None) -> bool:
    return cats is None or category is None or category in cats


def references(group: model.Group) -> list[str]:
    """The node ids a group's gate and limit refer to."""
    out = []
    if group.gate is not None:
        out.append(group.gate.node)
    if group.limit is not None:
        out.append(group.limit.at_most)
    return out


def counted(group: model.Group, category: str | None,
            without: frozenset[str] = frozenset()) -> list[model.Item | model.Group]:
    """The children a group adds into its value for a category (applicable, not outside), less
    the nodes ``without`` (those a unit's profile leaves out: scheme.scopes.Profile)."""
    return [c for c in group.children
            if applies(c, category) and not c.outside_total and c.id not in without]


def combined_max(group: model.Group, kids: Iterable[model.Item | model.Group],
                 maxima: dict[str, Decimal]) -> Decimal:
    """A group's max from its counted children's maxima, before scale_to and cap."""
    adds = [c for c in kids if c.role == "add"]
    if group.combine == "weighted":
        return sum(((c.weight or ZERO) * maxima[c.id] for c in adds), ZERO)
    if group.combine == "highest":
        return max((maxima[c.id] for c in adds), default=ZERO)
    return sum((maxima[c.id] for c in adds), ZERO)


def maxima(scheme: model.Scheme, category: str | None,
           without: frozenset[str] = frozenset(),
           refs: list[NodeRef] | None = None) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    """(max, uncapped max) of every node for units of a category (less the nodes ``without``,
    which a unit's profile leaves out): the highest value it can take, and a group's value
    before its scale_to and cap. Computed bottom-up, iteratively (over ``refs``, the scheme's
    index, when the caller has it: a scheme with hundreds of profiles walks its tree once)."""
    top: dict[str, Decimal] = {}
    uncapped: dict[str, Decimal] = {}
    for ref in reversed(refs if refs is not None else index(scheme)):
        node = ref.node
        if isinstance(node, model.Item):
            top[node.id] = uncapped[node.id] = node.max
            continue
        raw = combined_max(node, counted(node, category, without), top)
        uncapped[node.id] = raw
        if node.scale_to is not None:
            raw = node.scale_to
        if node.cap is not None:
            raw = min(raw, node.cap)
        top[node.id] = raw
    return top, uncapped


def fact_names(nodes: list[NodeRef]) -> dict[str, str]:
    """Item id → the fact name it reads: its own (``fact``, default its id), or, for an item
    that ``reads`` another, that item's. A ``reads`` that does not resolve to an item reading a
    fact of its own is a check error (GS330); here it falls back to the item's own name."""
    items = {ref.node.id: ref.node for ref in nodes if isinstance(ref.node, model.Item)}
    out: dict[str, str] = {}
    for item in items.values():
        owner = items.get(item.reads) if item.reads is not None else None
        if owner is None or owner.reads is not None:
            owner = item
        out[item.id] = owner.fact or owner.id
    return out


def cycles(needs: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Each cycle of a graph once, as the ids along it (the first repeated last), searched from
    the keys in their order. Depth-first with an explicit stack: a chain of thousands of gates is
    no deeper for it."""
    found: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current trail, 2: done
    for start in needs:
        if state.get(start):
            continue
        trail = [start]
        stack = [iter(sorted(needs[start]))]
        state[start] = 1
        while stack:
            dep = next(stack[-1], None)
            if dep is None:
                stack.pop()
                state[trail.pop()] = 2
                continue
            if state.get(dep) == 1:
                found.append([*trail[trail.index(dep):], dep])
            elif not state.get(dep):
                state[dep] = 1
                trail.append(dep)
                stack.append(iter(sorted(needs.get(dep, ()))))
    return found
