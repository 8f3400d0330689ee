"""What each formula and each input reference may name, computed once: the checks validate
every formula against these scopes, and the lowering compiles formulas with the same ones.

The one rule for names that apply only to some categories: a formula, modifier, veto, output,
gate or limit may name an input or node only where that input or node applies — for every
category in which the reader is evaluated. Anything else is a scheme error (GS317), so that at
scoring time every name a reader needs is present in the unit's facts or values.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from govscore.language import formulas, model
from govscore.scheme import tree

RESERVED = frozenset({"total", *formulas.FUNCTIONS})


@dataclass(frozen=True)
class Scopes:
    """Names by kind, with the categories each applies to (None: all)."""

    inputs: dict[str, model.Input]
    params: dict[str, Decimal]
    nodes: dict[str, tree.NodeRef]
    outputs: list[model.Output]
    statistics: dict[str, model.Statistic] = field(default_factory=dict)
    """Cohort statistics: every formula may name them (the population phases compute them
    before any unit is scored; scheme.phases orders them)."""

    def input_applies(self, name: str, category: str | None) -> bool:
        inp = self.inputs.get(name)
        return inp is not None and (category is None or inp.applies_to is None
                                    or category in inp.applies_to)

    def node_applies(self, name: str, category: str | None) -> bool:
        ref = self.nodes.get(name)
        return ref is not None and tree.in_category(ref.categories, category)

    def output_applies(self, output: model.Output, category: str | None) -> bool:
        return category is None or output.applies_to is None or category in output.applies_to

    # --- the scopes (name → what it is), per category; None: every category at once
    def item(self, category: str | None = None) -> dict[str, object]:
        """An item formula: numeric inputs and params."""
        names: dict[str, object] = {
            i.id: i for i in self.inputs.values()
            if i.type != "text" and (category is None or self.input_applies(i.id, category))}
        names.update(self.params)
        names.update(self.statistics)
        return names

    def late(self, category: str | None = None) -> dict[str, object]:
        """After the total: also node values and ``total``."""
        names = self.item(category)
        names.update({n: ref.node for n, ref in self.nodes.items()
                      if category is None or self.node_applies(n, category)})
        names["total"] = None
        return names

    def output(self, index: int, category: str | None = None) -> dict[str, object]:
        """An output formula: the late names and the outputs before it."""
        names = self.late(category)
        names.update({o.id: o for o in self.outputs[:index]
                      if category is None or self.output_applies(o, category)})
        return names

    def veto(self, category: str | None = None) -> dict[str, object]:
        """A veto formula: the late names and every output (vetoes come after the outputs)."""
        return self.output(len(self.outputs), category)


def scopes(scheme: model.Scheme, refs: list[tree.NodeRef] | None = None) -> Scopes:
    refs = refs if refs is not None else tree.index(scheme)
    return Scopes(inputs={i.id: i for i in scheme.inputs}, params=dict(scheme.params),
                  nodes={r.node.id: r for r in refs}, outputs=list(scheme.outputs),
                  statistics={s.id: s for s in scheme.statistics})


# --------------------------------------------------------------------------------------------
# profiles: which nodes a unit has (its category's, less what ``units`` keeps from it)


@dataclass(frozen=True)
class Profile:
    """A set of units that have the same nodes: a category's units named in no ``units`` list
    (the category's plain profile, keyed by the category id itself, as before named units
    existed), or units whose named-unit scopes are the same (keyed ``category#n``: ``#`` is
    never part of an id, so no key is a category's). Lowering makes one program per profile,
    so the interpreter, the kernels and the columns score a named unit as they score a
    category: no arithmetic of their own."""

    key: str | None
    category: str | None
    without: frozenset[str]
    """Ids of the nodes of the category that these units do not have (their ``units``, or a
    group's above them, do not name the units)."""
    units: tuple[str, ...] = ()
    """The named units of this profile (empty for a category's plain profile)."""

    def has(self, ref: tree.NodeRef) -> bool:
        """Whether the node applies to this profile's units."""
        return tree.in_category(ref.categories, self.category) and ref.node.id not in self.without


def profiles(scheme: model.Scheme, refs: list[tree.NodeRef] | None = None) -> list[Profile]:
    """Every profile of the scheme: each category's plain one, then one per distinct set of
    named-unit scopes. A named unit's category is the one whose ``members`` list it; a unit the
    scheme does not list gets a profile in every category where a node names it."""
    refs = refs if refs is not None else tree.index(scheme)
    cats = tree.categories(scheme)
    scoped = [r for r in refs if r.units is not None]
    plain = {c: left_out(refs, c, frozenset(r.node.id for r in scoped
                                            if tree.in_category(r.categories, c)))
             for c in cats}
    out = [Profile(c, c, plain[c]) for c in cats]
    if not scoped:
        return out
    listed = {m: c.id for c in scheme.categories for m in c.members}
    named: dict[str, None] = {}
    for ref in scoped:
        for unit in ref.node.units or ():
            named.setdefault(unit)
    shared: dict[tuple[str | None, frozenset[str]], list[str]] = {}
    for unit in named:
        where = [listed[unit]] if unit in listed else cats
        for cat in where:
            without = left_out(refs, cat, frozenset(
                r.node.id for r in scoped
                if tree.in_category(r.categories, cat) and unit not in (r.units or ())))
            if without != plain[cat]:
                shared.setdefault((cat, without), []).append(unit)
    for n, ((cat, without), units) in enumerate(shared.items(), start=1):
        out.append(Profile(f"{cat or ''}#{n}", cat, without, tuple(units)))
    return out


def left_out(refs: list[tree.NodeRef], category: str | None,
             named: frozenset[str]) -> frozenset[str]:
    """The nodes a unit does not have: those whose ``units`` (or a group's above) do not name
    it, their descendants, and every group (but the root) all of whose children of the
    category are left out — a group with children only for other units is not the unit's
    group either (its max is not counted for the unit; GS344 says so at validation)."""
    out = set(named)
    for ref in refs:  # parents before children: a left-out group's children are left out too
        if ref.ancestors and ref.ancestors[-1] in out:
            out.add(ref.node.id)
    for ref in reversed(refs):  # children before parents
        node = ref.node
        if isinstance(node, model.Group) and ref.ancestors and node.id not in out:
            kids = [c for c in node.children if tree.applies(c, category)]
            if kids and all(c.id in out for c in kids):
                out.add(node.id)
    return frozenset(out)


def named_units(units: Iterable[str] | None, most: int = 5) -> str:
    """Named units for a message: the first few, then how many more (a list may be long)."""
    names = sorted(units or ())
    shown = ", ".join(repr(n) for n in names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


def profile_keys(found: list[Profile]) -> dict[tuple[str | None, str], str | None]:
    """(category, unit) → the key of the unit's profile, for the named units (every other unit's
    profile is its category's plain one, keyed by the category)."""
    return {(p.category, unit): p.key for p in found for unit in p.units}
