"""Population values and the order they are computed in.

A *population value* is computed over all units before a unit's score can use it: an item of a
population kind (``rank_points``, ``relative_to_best``) and a cohort statistic (``statistics``).
One that reads a fact needs nothing else; one that reads a node (``of: 小计``) needs that node's
value for every unit, and scoring the node may itself need other population values (a ranked
item inside the sub-total, a statistic an item formula names). Those needs are the edges of a
graph; its layers are the phases the engine runs, in order (phase 0 reads facts only), and a
cycle is a scheme error (GS340) found here once, for the checks and the lowering alike.

The needs are found per category, because a category has only its own items: a ranked item that
applies to towns inside a sub-total, and a sub-total of departments ranked by an item inside the
first, need each other nowhere — no unit has both. A cycle is reported in the category (or
categories) that has it. The phases run the needs of every category together (a statistic over
all units is one value for all of them); should the categories' needs together close a cycle that
no single category has, that is reported too, as one through several categories.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from govscore import rules
from govscore.language import formulas, model
from govscore.scheme import tree


def population_items(refs: Iterable[tree.NodeRef]) -> dict[str, model.Item]:
    """The items of a population kind, by id."""
    return {r.node.id: r.node for r in refs
            if isinstance(r.node, model.Item) and rules.of(r.node).population}


def needed(refs: Iterable[tree.NodeRef], roots: Iterable[str],
           category: str | None = None) -> frozenset[str]:
    """The nodes a unit's evaluation of ``roots`` computes: their subtrees and, transitively,
    the targets of the gates and limits inside them; with ``category``, only the nodes a unit
    of that category has."""
    by_ref = {r.node.id: r for r in refs}
    seen: set[str] = set()
    stack = list(roots)
    while stack:
        node_id = stack.pop()
        if node_id in seen or node_id not in by_ref \
                or not tree.in_category(by_ref[node_id].categories, category):
            continue
        seen.add(node_id)
        node = by_ref[node_id].node
        if isinstance(node, model.Group):
            stack.extend(c.id for c in node.children)
            stack.extend(tree.references(node))
    return frozenset(seen)


def formula_names(text: str, allowed: dict[str, object]) -> frozenset[str]:
    """The names a formula uses (none when it does not compile: GS306 says why)."""
    try:
        return formulas.compile_formula(text, allowed).names
    except formulas.FormulaError:
        return frozenset()


@dataclass(frozen=True)
class Graph:
    """Population values (items and statistics, by id) and what each needs first."""

    items: dict[str, model.Item]
    statistics: dict[str, model.Statistic]
    needs: dict[str, frozenset[str]]
    """value id → the population values that must be computed before it (in any category)."""
    reads: dict[str, str | None]
    """value id → the node it reads (``of``), or None when it reads a fact or an input."""
    by_category: dict[str | None, dict[str, frozenset[str]]]
    """category (None: a scheme without categories) → the needs of its units' values."""

    def nodes_for(self, phase: Iterable[str], refs: Iterable[tree.NodeRef],
                  category: str | None) -> frozenset[str]:
        """The nodes a unit of ``category`` has scored in a phase: those its category's values
        of the phase read, as the category has them (a town does not score the departments'
        sub-total that only the departments' ranked item reads)."""
        present = self.by_category.get(category, {})
        targets = [t for v in phase if v in present and (t := self.reads[v]) is not None]
        return needed(refs, targets, category) if targets else frozenset()

    def phases(self) -> tuple[tuple[str, ...], ...]:
        """The values in layers: each needs only values of earlier layers. Values on a cycle
        (and those needing them) are left out: :meth:`cycles` names them."""
        level: dict[str, int] = {}
        remaining = dict(self.needs)
        while remaining:
            ready = [v for v, deps in remaining.items() if all(d in level for d in deps)]
            if not ready:
                break
            for v in ready:
                level[v] = max((level[d] + 1 for d in remaining[v]), default=0)
                del remaining[v]
        layers: dict[int, list[str]] = {}
        for v, n in level.items():
            layers.setdefault(n, []).append(v)
        return tuple(tuple(sorted(layers[n])) for n in sorted(layers))

    def cycles(self) -> list[tuple[list[str], tuple[str | None, ...]]]:
        """Each cycle among the values once, as the ids along it (the first repeated last), with
        the categories that have it; a cycle the categories' needs close only together comes
        with no category (and only when no category has one of its own)."""
        found: dict[tuple[str, ...], list[str | None]] = {}
        for category, needs in self.by_category.items():
            for cycle in tree.cycles(dict(sorted(needs.items()))):
                found.setdefault(_canonical(cycle), []).append(category)
        if not found:
            for cycle in tree.cycles(dict(sorted(self.needs.items()))):
                found.setdefault(_canonical(cycle), [])
        return [([*ids, ids[0]], tuple(cats)) for ids, cats in found.items()]


def _canonical(cycle: list[str]) -> tuple[str, ...]:
    """A cycle (first id repeated last) from its smallest id: one cycle, however it was met."""
    ids = cycle[:-1]
    start = ids.index(min(ids))
    return tuple(ids[start:] + ids[:start])


def graph(scheme: model.Scheme, refs: list[tree.NodeRef]) -> Graph:
    """The population values of a scheme and their needs."""
    items = population_items(refs)
    stats = {s.id: s for s in scheme.statistics}
    node_ids = {r.node.id for r in refs}
    # the names an item formula may use, to find the statistics each one names
    allowed: dict[str, object] = {i.id: i for i in scheme.inputs}
    allowed.update(scheme.params)
    allowed.update(stats)
    by_id = {r.node.id: r.node for r in refs}
    where = {r.node.id: r.categories for r in refs}

    def values_in(nodes: frozenset[str], computing: str) -> frozenset[str]:
        out: set[str] = set()
        for node_id in nodes:
            node = by_id[node_id]
            if not isinstance(node, model.Item):
                continue
            if node_id in items:
                out.add(node_id)
            if isinstance(node.rule, model.Formula):
                out.update(n for n in formula_names(node.rule.formula, allowed) if n in stats)
            if isinstance(node.rule, model.Bands) and node.rule.relative_to in stats:
                out.add(node.rule.relative_to)
            sub = node.not_applicable_score
            # a statistic of this very item, taken over the units that have it, does not need
            # its own value for the units that do not
            if sub in stats and not (sub == computing and stats[sub].of == node_id):
                out.add(sub)
        return frozenset(out)

    reads: dict[str, str | None] = {}
    for item_id, item in items.items():
        target = getattr(item.rule, "of", None)
        reads[item_id] = target if target in node_ids else None
    for stat_id, stat in stats.items():
        reads[stat_id] = stat.of if stat.of in node_ids else None
    by_category: dict[str | None, dict[str, frozenset[str]]] = {}
    for category in tree.categories(scheme):
        # an item is computed for the units that have it; a statistic for every unit of its
        # scope, each contributing the node as its own category has it
        present = [v for v in reads if v in stats or tree.in_category(where[v], category)]
        by_category[category] = {
            v: values_in(needed(refs, [target], category), v)
            if (target := reads[v]) is not None else frozenset() for v in present}
    needs = {v: frozenset().union(*(n.get(v, frozenset()) for n in by_category.values()))
             for v in reads}
    return Graph(items, stats, needs, reads, by_category)


def read_by_category(scheme: model.Scheme,
                     refs: list[tree.NodeRef]) -> dict[str | None, frozenset[str]]:
    """category → the statistics a unit's score reads through formulas (its items', the vetoes'
    and its outputs') and by bands relative to a statistic: a unit whose scope gives one of them
    no value cannot be scored (GS510).
    A statistic an item scores in place of a not-applicable fact is needed only by the units
    that mark it so (the interpreter checks those)."""
    stats = {s.id for s in scheme.statistics}
    if not stats:
        return {cat: frozenset() for cat in tree.categories(scheme)}
    allowed: dict[str, object] = {i.id: i for i in scheme.inputs}
    allowed.update(scheme.params)
    allowed.update({s: s for s in stats})
    allowed.update({r.node.id: r.node for r in refs})
    allowed.update({o.id: o for o in scheme.outputs})
    allowed["total"] = None
    out: dict[str | None, frozenset[str]] = {}
    for cat in tree.categories(scheme):
        texts = [r.node.rule.formula for r in refs if isinstance(r.node, model.Item)
                 and isinstance(r.node.rule, model.Formula)
                 and tree.in_category(r.categories, cat)]
        texts += [v.when.formula for v in scheme.vetoes if v.when.formula]
        texts += [o.formula for o in scheme.outputs if o.formula and
                  (cat is None or o.applies_to is None or cat in o.applies_to)]
        relative = {r.node.rule.relative_to for r in refs if isinstance(r.node, model.Item)
                    and isinstance(r.node.rule, model.Bands)
                    and r.node.rule.relative_to is not None
                    and tree.in_category(r.categories, cat)} & stats
        out[cat] = frozenset(n for t in texts for n in formula_names(t, allowed)
                             if n in stats) | relative
    return out
