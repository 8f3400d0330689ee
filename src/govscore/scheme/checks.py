"""Semantic checks beyond the models. Each check yields Diagnostics with a stable code and the key
path of the offending value; the loader adds positions. Errors make a scheme invalid; warnings
(a cap that can never bind, as S3's text has) are reported but do not.
"""

from __future__ import annotations

import decimal
import itertools
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import NamedTuple

from govscore import rules
from govscore.errors import Diagnostic, Severity
from govscore.language import formulas, model
from govscore.numbers import plain
from govscore.periods import checks as period_checks
from govscore.rules.base import shapes_meet
from govscore.rules.values import FactProblem, band_problems, input_value
from govscore.scheme import phases, scopes, tree
from govscore.scheme.scopes import named_units
from govscore.scheme.tree import NodeRef, Path, applies, references
from govscore.textsafe import closest, excerpt

RESERVED = scopes.RESERVED


def _categories(scheme: model.Scheme) -> list[str | None]:
    return tree.categories(scheme)


def check(scheme: model.Scheme) -> list[Diagnostic]:
    """Every semantic problem in a scheme that the models accepted."""
    nodes = tree.index(scheme)
    out: list[Diagnostic] = []
    for check_fn in (_ids, _reads, _unbounded, _signed_alone, _defaults, _maxima, _references,
                     _rules, _formulas, _readers, _bands, _weights, _members, _population,
                     _population_values, _scope_rules, _units):
        out.extend(check_fn(scheme, nodes))
    out.extend(period_checks.check(scheme))
    return out


def _ids(scheme: model.Scheme, nodes: list[NodeRef]) -> Iterator[Diagnostic]:
    """GS301: node, input, param and output ids share one namespace (formulas and facts use them);
    vetoes, awards, categories, tiers and assumptions each have their own."""
    seen: dict[str, Path] = {}

    def claim(name: str, path: Path) -> Iterator[Diagnostic]:
        if name in RESERVED:
            yield Diagnostic("GS301", f"{name!r} is reserved; choose another id", path=path,
                             at_key=path[0] == "params")  # a param's id is its key
        elif name in seen:
            yield Diagnostic("GS301", f"id {name!r} is already used at "
                             f"{'/'.join(map(str, seen[name]))}", path=path,
                             at_key=path[0] == "params")
        else:
            seen[name] = path

    for ref in nodes:
        yield from claim(ref.node.id, (*ref.path, "id"))
    for i, inp in enumerate(scheme.inputs):
        yield from claim(inp.id, ("inputs", i, "id"))
    for name in scheme.params:
        yield from claim(name, ("params", name))
    for i, output in enumerate(scheme.outputs):
        yield from claim(output.id, ("outputs", i, "id"))
    for i, stat in enumerate(scheme.statistics):
        yield from claim(stat.id, ("statistics", i, "id"))
    yield from _fact_names(nodes, seen)
    for key in ("vetoes", "awards", "categories", "tiers", "assumptions"):
        names: set[str] = set()
        for i, entry in enumerate(getattr(scheme, key)):
            if entry.id in names:
                yield Diagnostic("GS301", f"{key[:-1]} id {entry.id!r} is used twice",
                                 path=(key, i, "id"))
            names.add(entry.id)


def _fact_names(nodes: list[NodeRef], ids: dict[str, Path]) -> Iterator[Diagnostic]:
    """GS301: a fact name given twice, or the id of another node, input, param or output. The
    message names what already uses it; for an item, the hint says how two items read one fact
    (``reads``)."""
    owner: dict[str, str] = {}  # fact name → the item whose fact it is
    items = {ref.node.id for ref in nodes if isinstance(ref.node, model.Item)}
    for ref in nodes:
        node = ref.node
        if isinstance(node, model.Item) and node.fact is None and node.reads is None:
            owner[node.id] = node.id
    for ref in nodes:
        node = ref.node
        if not isinstance(node, model.Item) or not node.fact or node.fact == node.id:
            continue
        other = owner.get(node.fact)
        if other is not None:
            which = "the fact of item" if other == node.fact or other in items else "used by"
            yield Diagnostic("GS301", f"fact name {node.fact!r} is already {which} {other!r}",
                             path=(*ref.path, "fact"),
                             hint=f"for two items that read one fact, write reads: {other} "
                             "instead of fact")
        elif node.fact in ids:
            yield Diagnostic("GS301", f"fact name {node.fact!r} is already the id at "
                             f"{'/'.join(map(str, ids[node.fact]))}", path=(*ref.path, "fact"))
        else:
            owner[node.fact] = node.id


def _reads(scheme: model.Scheme, nodes: list[NodeRef]) -> Iterator[Diagnostic]:
    """GS330: an item that reads another item's fact (one fact, several items) names an item
    that has a fact of its own, has nothing of its own the other item decides (fact, default,
    exemptions, optional), reads a value both rules can accept, and applies only where the
    other item's fact is supplied."""
    items = {ref.node.id: ref for ref in nodes if isinstance(ref.node, model.Item)}
    for ref in nodes:
        node = ref.node
        if not isinstance(node, model.Item) or node.reads is None:
            continue
        path = (*ref.path, "reads")
        target = items.get(node.reads)
        if target is None:
            close = closest(node.reads, (i for i in items if i != node.id))
            yield Diagnostic("GS305", f"item {node.reads!r} does not exist", path=path,
                             hint=f"did you mean {close!r}?" if close else None)
            continue
        other = target.node
        assert isinstance(other, model.Item)
        kind, other_kind = rules.of(node), rules.of(other)
        if other.id == node.id:
            yield Diagnostic("GS330", f"item {node.id!r} reads its own fact", path=path,
                             hint="remove reads")
            continue
        if other.reads is not None:
            yield Diagnostic("GS330", f"item {node.id!r} reads the fact of {other.id!r}, which "
                             f"itself reads the fact of {other.reads!r}", path=path,
                             hint=f"write reads: {other.reads}")
            continue
        if not kind.reads_fact(node.rule) or not other_kind.reads_fact(other.rule):
            without = node if not kind.reads_fact(node.rule) else other
            yield Diagnostic("GS330", f"item {without.id!r} ({without.rule.kind}) has no fact "
                             "to share", path=path)
            continue
        if kind.population:  # the population phase reads each item's own checked fact
            yield Diagnostic("GS330", f"item {node.id!r} ({node.rule.kind}) is scored against "
                             "every unit and reads only a fact of its own", path=path,
                             hint=f"remove reads, or let {other.id!r} read this item's fact")
            continue
        for key in ("fact", "default", "exemptions", "optional"):
            if key in node.model_fields_set:
                yield Diagnostic("GS330", f"item {node.id!r} reads the fact of {other.id!r}, "
                                 f"whose {key} it follows", path=(*ref.path, key),
                                 hint=f"remove {key} here (give it on {other.id!r})")
        mine = kind.fact_shape(node.rule, node)
        theirs = other_kind.fact_shape(other.rule, other)
        if not shapes_meet(mine, theirs):
            yield Diagnostic("GS330", f"item {node.id!r} ({node.rule.kind}) takes a {mine} but "
                             f"the fact of {other.id!r} ({other.rule.kind}) is a {theirs}",
                             path=path)
        if target.categories is not None and (
                ref.categories is None or not ref.categories <= target.categories):
            extra = sorted(c.id for c in scheme.categories
                           if tree.in_category(ref.categories, c.id)
                           and c.id not in target.categories)
            yield Diagnostic("GS330", f"item {node.id!r} applies to {extra} but the fact of "
                             f"{other.id!r} is supplied only by units of "
                             f"{sorted(target.categories)}", path=path)


def figure(value: Decimal) -> str:
    """A maximum in a message: as written (95, not 95.0), or 'unbounded' (不设上限)."""
    return plain(value) if value.is_finite() else "unbounded"


def _unbounded(scheme: model.Scheme, nodes: list[NodeRef]) -> Iterator[Diagnostic]:
    """GS333 (a note): an item with no maximum (不设上限), and the groups that then have none;
    GS334: what cannot work without a maximum — a kind whose points are a share of the max,
    from_full or exemptions (both start from the max), a group above it that rescales or
    converts its max (× max / applicable max; / max × scale_to), without a cap in between."""
    by_id = {ref.node.id: ref for ref in nodes}
    for ref in nodes:
        node = ref.node
        if not isinstance(node, model.Item) or not node.unbounded:
            continue
        kind = rules.of(node)
        if not kind.counts_own_points:
            yield Diagnostic("GS334", f"item {node.id!r} is unbounded but its rule "
                             f"({node.rule.kind}) gives a share of the item's max",
                             path=(*ref.path, "unbounded"),
                             hint="give max, or use a rule that counts its own points "
                             "(per_occurrence, per_step, by_level, manual, signed, bands, table, "
                             "choice, formula)")
        for key in ("from_full", "exemptions"):
            if getattr(node, key):
                yield Diagnostic("GS334", f"item {node.id!r} is unbounded, so it has no full "
                                 f"marks for {key} to start from", path=(*ref.path, key),
                                 hint=f"remove {key}, or give max")
        open_above: list[str] = []
        child: model.Item | model.Group = node
        for gid in reversed(ref.ancestors):  # nearest group first
            group = by_id[gid].node
            assert isinstance(group, model.Group)
            if child.outside_total or child.role == "subtract":
                break  # the group's maximum counts only what it adds
            for key, bad in (("scale_to", group.scale_to is not None),
                             ("not_applicable", group.not_applicable == "rescale")):
                if bad:  # both work on the group's max before its cap
                    yield Diagnostic("GS334", f"group {gid!r} has {key} but its item "
                                     f"{node.id!r} is unbounded: there is no maximum to scale",
                                     path=(*by_id[gid].path, key),
                                     hint="give the item a max")
            if group.cap is not None:
                break
            open_above.append(gid)
            child = group
        groups = f"; so do {', '.join(repr(g) for g in open_above)} (no cap)" if open_above \
            else ""
        yield Diagnostic("GS333", f"item {node.id!r} has no maximum (不设上限){groups}",
                         path=(*ref.path, "unbounded"), severity="warning")


def _signed_alone(scheme: model.Scheme, nodes: list[NodeRef]) -> Iterator[Diagnostic]:
    """GS331 (a warning): a signed item alone in a group whose floor is 0 or more: what it
    takes away is floored away with the group, so the loss never reaches the total."""
    for ref in nodes:
        node, parent = ref.node, ref.parent
        if not isinstance(node, model.Item) or not isinstance(node.rule, model.Signed) \
                or parent is None or node.rule.min >= 0:
            continue
        others = [c for c in parent.children if c is not node and not c.outside_total]
        if not others and parent.floor >= 0 and not node.outside_total:
            yield Diagnostic("GS331", f"signed item {node.id!r} is alone in {parent.id!r}, whose "
                             f"floor is {plain(parent.floor)}: what it takes away never reaches "
                             "the total", path=(*ref.path, "rule", "min"), severity="warning",
                             # the floor as YAML takes it (an ASCII minus)
                             hint=f"give {parent.id!r} floor: "
                             f"{format(node.rule.min.normalize(), 'f')}, or move the item "
                             "beside the points it takes from")


def _defaults(scheme: model.Scheme, nodes: list[NodeRef]) -> Iterator[Diagnostic]:
    """GS335: an item's default is a value its rule accepts (and the rules of the items that
    read its fact), an input's default a value of its type within its range: checked once here,
    so no unit meets a default the scheme cannot use."""
    readers: dict[str, list[model.Item]] = {}
    for ref in nodes:
        if isinstance(ref.node, model.Item) and ref.node.reads is not None:
            readers.setdefault(ref.node.reads, []).append(ref.node)
    for ref in nodes:
        node = ref.node
        if not isinstance(node, model.Item) or node.default is None or node.reads is not None:
            continue
        kind = rules.of(node)
        if not kind.has_fact:
            yield Diagnostic("GS335", f"item {node.id!r} ({node.rule.kind}) has no fact for a "
                             "default to stand in for", path=(*ref.path, "default"),
                             hint="remove default")
            continue
        for item in (node, *readers.get(node.id, ())):
            try:
                rules.of(item).check(item.rule, item, node.default)
            except FactProblem as exc:
                who = "" if item is node else f" (as item {item.id!r} reads it)"
                yield Diagnostic("GS335", f"default of {node.id!r}: {exc}{who}",
                                 path=(*ref.path, "default"))
    # an input's default likewise: a value of the input's type within its min..max (a unit that
    # leaves the input out gets it, so a bad one would reject, or mis-score, every such unit)
    for i, inp in enumerate(scheme.inputs):
        if inp.default is None:
            continue
        path = ("inputs", i, "default")
        if isinstance(inp.default, str) and inp.type != "text":
            yield Diagnostic("GS335", f"default of input {inp.id!r}: expected a "
                             f"{'true/false' if inp.type == 'flag' else inp.type}, got text "
                             f"{excerpt(inp.default)}", path=path,
                             hint="write numbers and true/false without quotes")
            continue
        try:
            input_value(inp, inp.default)
        except FactProblem as exc:
            yield Diagnostic("GS335", f"default of input {inp.id!r} ({inp.type}): {exc}",
                             path=path)


class _Finding(NamedTuple):
    """One finding of _maxima before it is said: the same for several profiles, said once."""

    code: str
    text: str
    path: tuple[str | int, ...]
    hint: str | None = None
    tail: str = ""
    """After the profile's label (GS332: which figure governs)."""
    severity: Severity = "error"


def _maxima(scheme: model.Scheme, nodes: list[NodeRef]) -> Iterator[Diagnostic]:
    """GS302 declared max vs children; GS303 caps that never bind; GS304 gates never met."""
    cats = _categories(scheme)
    # per profile: a category's units, or named units with nodes of their own (scopes.Profile)
    found = scopes.profiles(scheme, nodes)
    per_cat = {p.key: tree.maxima(scheme, p.category, p.without, nodes) for p in found}
    for ref in nodes:
        node = ref.node
        if not isinstance(node, model.Group):
            continue
        # each finding with the profiles it holds for: said once, without naming a category or
        # units, when every profile with the node finds the same (four GS332 lines that differ
        # only in "for unit …" tell an author nothing the one line does not)
        said: dict[_Finding, list[str]] = {}
        profiles_with_node = 0
        for profile in found:
            cat = profile.category
            if not profile.has(ref) or (profile.without and not profile.units):
                continue  # units named in no units list: GS344 says what they lack
            profiles_with_node += 1
            top, raw = per_cat[profile.key]
            kids = tree.counted(node, cat, profile.without)
            uncapped = raw[node.id]
            label = f" for category {cat!r}" if cat and len(cats) > 1 else ""
            if profile.units:
                label += f" for unit {named_units(profile.units)}"
            declared = node.cap is None and node.scale_to is None
            if node.max is not None and declared and kids and uncapped != node.max:
                said.setdefault(_Finding(
                    "GS302", f"{node.id!r} declares max {plain(node.max)} but its children "
                    f"give {_children_sum(node, kids, top)} = {figure(uncapped)}",
                    (*ref.path, "max"), hint="write the children's total as max; if that is "
                    "not the document's figure, keep the figure as published_max (then a "
                    "warning)" if node.published_max is None else None), []).append(label)
            if node.published_max is not None and kids and top[node.id] != node.published_max:
                said.setdefault(_Finding(
                    "GS332", f"{node.id!r} is published as {plain(node.published_max)} but "
                    f"its children give {_children_sum(node, kids, top)} = "
                    f"{figure(top[node.id])}", (*ref.path, "published_max"),
                    tail=f"; {figure(top[node.id])} governs the score", severity="warning"),
                    []).append(label)
            if node.cap is not None and uncapped <= node.cap and kids:
                said.setdefault(_Finding(
                    "GS303", f"cap {plain(node.cap)} on {node.id!r} can never bind: its "
                    f"children reach at most {figure(uncapped)}", (*ref.path, "cap"),
                    severity="warning"), []).append(label)
        for finding, labels in said.items():
            for label in ([""] if len(labels) == profiles_with_node else labels):
                yield Diagnostic(finding.code, f"{finding.text}{label}{finding.tail}",
                                 path=finding.path, hint=finding.hint,
                                 severity=finding.severity)
        if node.max is not None and node.cap is not None and node.cap != node.max:
            yield Diagnostic("GS302", f"{node.id!r} declares max {plain(node.max)} and cap "
                             f"{plain(node.cap)}; give one", path=(*ref.path, "max"))
    by_id = {ref.node.id: ref for ref in nodes}
    for ref in nodes:
        node = ref.node
        if isinstance(node, model.Group) and node.gate is not None:
            target = by_id.get(node.gate.node)
            if target is not None:
                reach = max(per_cat[p.key][0][target.node.id] for p in found)
                bound = node.gate.gte if node.gate.gte is not None else node.gate.gt
                assert bound is not None
                never = bound > reach or (node.gate.gt is not None and bound >= reach)
                if never:
                    yield Diagnostic("GS304", f"gate on {node.id!r} can never open: "
                                     f"{target.node.id!r} reaches at most {figure(reach)}",
                                     path=(*ref.path, "gate"))
    top_total = max(per_cat[p.key][0][scheme.score.id] for p in found)
    for i, award in enumerate(scheme.awards):
        el = award.eligibility
        if el is not None and el.min_total is not None and el.min_total > top_total:
            yield Diagnostic("GS304", f"award {award.id!r} needs a total of {plain(el.min_total)} "
                             f"but the scheme's total reaches at most {figure(top_total)}",
                             path=("awards", i, "eligibility", "min_total"))


def _children_sum(group: model.Group, kids: list[model.Item | model.Group],
                  top: dict[str, Decimal]) -> str:
    """The children's maxima as a group adds them, for a message: 20 + 24, with the weights
    of a weighted group (0.4 × 100 + 0.6 × 100) and 'the highest of' for combine: highest."""
    adds = [c for c in kids if c.role == "add"]
    if group.combine == "weighted":
        return " + ".join(f"{plain(c.weight or Decimal(0))} × {figure(top[c.id])}" for c in adds)
    terms = [figure(top[c.id]) for c in adds]
    if group.combine == "highest":
        return f"the highest of {', '.join(terms)}"
    return " + ".join(terms)


def _references(scheme: model.Scheme, nodes: list[NodeRef]) -> Iterator[Diagnostic]:
    """GS305 references that do not resolve; GS312 circular gate/limit references."""
    node_ids = {ref.node.id: ref for ref in nodes}
    inputs = {i.id: i for i in scheme.inputs}
    cats = {c.id for c in scheme.categories}
    grades = {b.grade for b in scheme.grades.bands} if scheme.grades else set()

    def unknown(kind: str, name: str, pool: set[str] | dict[str, object], path: Path) -> Diagnostic:
        close = closest(name, pool)  # bounded work, however many names are misspelt
        return Diagnostic("GS305", f"{kind} {name!r} does not exist", path=path,
                          hint=f"did you mean {close!r}?" if close else None)

    def need_input(name: str, types: tuple[str, ...], path: Path) -> Iterator[Diagnostic]:
        if name not in inputs:
            yield unknown("input", name, inputs, path)  # type: ignore[arg-type]
        elif inputs[name].type not in types:
            yield Diagnostic("GS305", f"input {name!r} is a {inputs[name].type}; expected "
                             f"{' or '.join(types)}", path=path)

    for ref in nodes:
        node = ref.node
        if node.applies_to is not None:
            for j, cat in enumerate(node.applies_to):
                if cat not in cats:
                    yield unknown("category", cat, cats, (*ref.path, "applies_to", j))
        if isinstance(node, model.Group):
            for key, target in (("gate", node.gate and node.gate.node),
                                ("limit", node.limit and node.limit.at_most)):
                if target is None:
                    continue
                sub = "node" if key == "gate" else "at_most"
                if target not in node_ids:
                    yield unknown("node", target, node_ids, (*ref.path, key, sub))  # type: ignore[arg-type]
                elif target == node.id or target in ref.ancestors or \
                        node.id in node_ids[target].ancestors:
                    yield Diagnostic("GS312", f"{key} of {node.id!r} refers to {target!r}, "
                                     "which contains it or is inside it", path=(*ref.path, key, sub))
        else:
            for j, mod in enumerate(node.modifiers):
                mpath = (*ref.path, "modifiers", j, "input")
                if isinstance(mod, model.OnCount):
                    yield from need_input(mod.input, ("count",), mpath)
                elif isinstance(mod, model.Requires) or (
                        isinstance(mod, model.FactorIf) and mod.input is not None):
                    assert mod.input is not None
                    yield from need_input(mod.input, ("flag",), mpath)
                elif isinstance(mod, model.FactorIf) and mod.categories is not None:
                    for k, cat in enumerate(mod.categories):
                        if cat not in cats:
                            yield unknown("category", cat, cats,
                                          (*ref.path, "modifiers", j, "categories", k))
    yield from _circular(scheme, nodes)
    for i, inp in enumerate(scheme.inputs):
        for j, cat in enumerate(inp.applies_to or []):
            if cat not in cats:
                yield unknown("category", cat, cats, ("inputs", i, "applies_to", j))
    for i, veto in enumerate(scheme.vetoes):
        if veto.when.input is not None:
            yield from need_input(veto.when.input, ("flag", "count", "number", "rate"),
                                  ("vetoes", i, "when", "input"))
            veto_input = inputs.get(veto.when.input)
            if veto_input is not None and veto_input.type != "flag" and veto.when.at_least is None:
                yield Diagnostic("GS305", f"veto {veto.id!r} on {veto_input.type} input needs "
                                 "at_least",
                                 path=("vetoes", i, "when"))
        if veto.grade is not None and veto.grade not in grades:
            yield unknown("grade", veto.grade, grades, ("vetoes", i, "grade"))
    for i, output in enumerate(scheme.outputs):
        for j, cat in enumerate(output.applies_to or []):
            if cat not in cats:
                yield unknown("category", cat, cats, ("outputs", i, "applies_to", j))
        if output.weight_input is not None:
            yield from need_input(output.weight_input, ("number",), ("outputs", i, "weight_input"))
    if scheme.ranking.by is not None and scheme.ranking.by not in node_ids:
        yield unknown("node", scheme.ranking.by, node_ids, ("ranking", "by"))  # type: ignore[arg-type]
    for j, tb in enumerate(scheme.ranking.tie_breakers):
        if tb.node is not None and tb.node not in node_ids:
            yield unknown("node", tb.node, node_ids, ("ranking", "tie_breakers", j, "node"))  # type: ignore[arg-type]
        if tb.input is not None:
            yield from need_input(tb.input, ("count", "number", "rate"),
                                  ("ranking", "tie_breakers", j, "input"))
    for i, award in enumerate(scheme.awards):
        for j, cat in enumerate(award.categories or []):
            if cat not in cats:
                yield unknown("category", cat, cats, ("awards", i, "categories", j))
        for j, grade in enumerate((award.eligibility and award.eligibility.grades) or []):
            if grade not in grades:
                yield unknown("grade", grade, grades, ("awards", i, "eligibility", "grades", j))
    if scheme.grades:
        for i, quota in enumerate(scheme.grades.quotas):
            for key in ("grade", "fallback"):
                if getattr(quota, key) not in grades:
                    yield unknown("grade", getattr(quota, key), grades,
                                  ("grades", "quotas", i, key))
    everything = {*node_ids, *inputs, *scheme.params, *(o.id for o in scheme.outputs),
                  *(v.id for v in scheme.vetoes), *(a.id for a in scheme.awards), *cats,
                  *(t.id for t in scheme.tiers)}
    everything |= period_checks.period_ids(scheme)
    for i, assumption in enumerate(scheme.assumptions):
        for j, name in enumerate(assumption.affects):
            if name not in everything:
                yield unknown("id", name, everything, ("assumptions", i, "affects", j))


def _circular(scheme: model.Scheme, nodes: list[NodeRef]) -> Iterator[Diagnostic]:
    """Gate and limit references between siblings' subtrees must not form a cycle. The
    diagnostic points at the first gate or limit reference along the reported cycle."""
    deps: dict[str, set[str]] = {}
    # (group, target) → the path of the gate/limit value that makes that edge
    ref_paths: dict[tuple[str, str], Path] = {}
    for ref in nodes:
        node = ref.node
        if isinstance(node, model.Group):
            deps.setdefault(node.id, set()).update(c.id for c in node.children)
            deps[node.id].update(references(node))
            if node.gate is not None:
                ref_paths.setdefault((node.id, node.gate.node), (*ref.path, "gate", "node"))
            if node.limit is not None:
                ref_paths.setdefault((node.id, node.limit.at_most),
                                     (*ref.path, "limit", "at_most"))
    path_of = {ref.node.id: ref.path for ref in nodes}
    for cycle in tree.cycles(deps):
        edges = [ref_paths[edge] for edge in itertools.pairwise(cycle) if edge in ref_paths]
        yield Diagnostic("GS312", "circular reference: " + " → ".join(cycle),
                         path=edges[0] if edges else path_of.get(cycle[-1], ()))


def _rules(scheme: model.Scheme, nodes: list[NodeRef]) -> Iterator[Diagnostic]:
    """Each rule kind's own checks (GS304, GS309, GS313, GS314, GS315: govscore.rules);
    GS316 optional items and not-applicable policies nobody handles, stray weights, a
    none_applicable: not_applicable group nobody rescales."""
    rescaling = {r.node.id for r in nodes
                 if isinstance(r.node, model.Group) and r.node.not_applicable == "rescale"}
    for ref in nodes:
        rescaled = not rescaling.isdisjoint(ref.ancestors)
        node = ref.node
        if ref.parent is not None and node.weight is not None and ref.parent.combine != "weighted":
            yield Diagnostic("GS316", f"{node.id!r} has a weight but its group does not combine "
                             "weighted", path=(*ref.path, "weight"))
        if isinstance(node, model.Group):
            if node.none_applicable == "not_applicable" and not rescaled:
                yield Diagnostic("GS316", f"{node.id!r} can be not applicable (none_applicable: "
                                 "not_applicable) but no group above it says not_applicable: "
                                 "rescale", path=(*ref.path, "none_applicable"))
            continue
        rule, rpath = node.rule, (*ref.path, "rule")
        kind = rules.of(node)
        if node.optional and not rescaled and node.not_applicable_score is None:
            yield Diagnostic("GS316", f"{node.id!r} is optional but no group above it says "
                             "not_applicable: rescale", path=(*ref.path, "optional"))
        policy = kind.na_policy
        if policy is not None and getattr(rule, policy) == "not_applicable" \
                and not rescaled:
            yield Diagnostic("GS316", f"{node.id!r} can be not applicable ({policy}: "
                             "not_applicable) but no group above it says not_applicable: "
                             "rescale; choose full or zero, or rescale a group",
                             # at the policy where it is written, else at the rule's kind
                             path=(*rpath, policy if policy in rule.model_fields_set else "kind"))
        yield from kind.problems(rule, node, rpath)
        yield from _lowest_on_the_grid(scheme, node, kind.raw_range(rule, node)[0], rpath)
        if kind.population:
            scope = getattr(rule, "scope", "all")
            if scope != "all":
                yield from _scope_declared(scheme, scope, (*rpath, "scope"))


def _lowest_on_the_grid(scheme: model.Scheme, node: model.Item, low: Decimal | None,
                        path: Path) -> Iterator[Diagnostic]:
    """GS314: an item that can take points away (a signed item's min) must not be rounded past
    its lowest value: at 0 places half up, -0.5 becomes -1, below the declared bound (the
    contract keeps every item within its range)."""
    if low is None or low >= 0:
        return
    places = scheme.precision.places
    mode = decimal.ROUND_HALF_UP if scheme.precision.rounding == "half_up" \
        else decimal.ROUND_HALF_EVEN
    rounded = low.quantize(Decimal(1).scaleb(-places), rounding=mode)
    if rounded < low:
        key = "min" if "min" in type(node.rule).model_fields else "kind"
        yield Diagnostic("GS314", f"{node.id!r} can go down to {plain(low)}, which the scheme's "
                         f"rounding to {places} places turns into {plain(rounded)}, below it",
                         path=(*path, key),
                         hint=f"write the bound with at most {places} decimal places, or raise "
                              "precision.places")


def _scope_declared(scheme: model.Scheme, scope: str, path: Path) -> Iterator[Diagnostic]:
    if scope == "tier" and not scheme.tiers:
        yield Diagnostic("GS305", "scope 'tier' needs tiers declared", path=path)
    if scope == "category" and not scheme.categories:
        yield Diagnostic("GS305", "scope 'category' needs categories declared", path=path)


def _formulas(scheme: model.Scheme, nodes: list[NodeRef]) -> Iterator[Diagnostic]:
    """GS306: every formula parses, stays inside the allowed syntax and names only what exists
    (the scopes of govscore.scheme.scopes, the ones the lowering compiles with)."""
    names = scopes.scopes(scheme, nodes)
    for text, path, scope in _formula_places(scheme, nodes, names, None):
        try:
            formulas.compile_formula(text, scope)
        except formulas.FormulaError as exc:
            where = f" (column {exc.column})" if exc.column else ""
            yield Diagnostic("GS306", f"{exc}{where}", path=path)


def _formula_places(scheme: model.Scheme, nodes: list[NodeRef], names: scopes.Scopes,
                    category: str | None) -> list[tuple[str, Path, dict[str, object]]]:
    """(formula, its path, its scope in a category) for every formula of the scheme."""
    places: list[tuple[str, Path, dict[str, object]]] = []
    for ref in nodes:
        if isinstance(ref.node, model.Item) and isinstance(ref.node.rule, model.Formula):
            places.append((ref.node.rule.formula, (*ref.path, "rule", "formula"),
                           names.item(category)))
    for i, veto in enumerate(scheme.vetoes):
        if veto.when.formula is not None:
            places.append((veto.when.formula, ("vetoes", i, "when", "formula"),
                           names.veto(category)))
    for i, output in enumerate(scheme.outputs):
        if output.formula is not None:
            places.append((output.formula, ("outputs", i, "formula"), names.output(i, category)))
    return places


def _readers(scheme: model.Scheme, nodes: list[NodeRef]) -> Iterator[Diagnostic]:
    """GS317: a reader names only inputs and nodes that apply in every category where it is
    evaluated (scheme.scopes states the rule once)."""
    if not scheme.categories:
        return
    names = scopes.scopes(scheme, nodes)
    inputs = names.inputs

    def where(cats: frozenset[str] | None) -> list[str]:
        return [c.id for c in scheme.categories if cats is None or c.id in cats]

    def need_input(name: str, cats: list[str], what: str, path: Path) -> Iterator[Diagnostic]:
        if name not in inputs:
            return  # GS305 says so
        missing = [c for c in cats if not names.input_applies(name, c)]
        if missing:
            yield Diagnostic("GS317", f"{what} reads input {name!r}, which does not apply to "
                             f"category {', '.join(map(repr, missing))}", path=path)

    for ref in nodes:
        node = ref.node
        cats = where(ref.categories)
        if isinstance(node, model.Group):
            for key, sub, target in (("gate", "node", node.gate and node.gate.node),
                                     ("limit", "at_most", node.limit and node.limit.at_most)):
                if target is None or target not in names.nodes:
                    continue
                missing = [c for c in cats if not names.node_applies(target, c)]
                if missing:
                    yield Diagnostic("GS317", f"{key} of {node.id!r} reads {target!r}, which does "
                                     f"not apply to category {', '.join(map(repr, missing))}",
                                     path=(*ref.path, key, sub))
            continue
        for j, mod in enumerate(node.modifiers):
            if mod.input is not None:
                yield from need_input(mod.input, cats, f"{mod.kind} of {node.id!r}",
                                      (*ref.path, "modifiers", j, "input"))
    for i, veto in enumerate(scheme.vetoes):
        if veto.when.input is not None:
            yield from need_input(veto.when.input,
                                  where(frozenset(veto.applies_to) if veto.applies_to else None),
                                  f"veto {veto.id!r}", ("vetoes", i, "when", "input"))
    for i, output in enumerate(scheme.outputs):
        if output.weight_input is not None:
            cats = where(frozenset(output.applies_to) if output.applies_to else None)
            yield from need_input(output.weight_input, cats, f"output {output.id!r}",
                                  ("outputs", i, "weight_input"))
    every_cat = where(None)
    ranked: list[tuple[str, Path, str]] = (
        [(scheme.ranking.by, ("ranking", "by"), "ranking")] if scheme.ranking.by else [])
    for j, tb in enumerate(scheme.ranking.tie_breakers):
        if tb.node is not None:
            ranked.append((tb.node, ("ranking", "tie_breakers", j, "node"), "tie-breaker"))
        elif tb.input is not None:
            yield from need_input(tb.input, every_cat, "a tie-breaker",
                                  ("ranking", "tie_breakers", j, "input"))
    for target, path, what in ranked:
        if target in names.nodes:
            missing = [c for c in every_cat if not names.node_applies(target, c)]
            if missing:
                yield Diagnostic("GS317", f"{what} reads {target!r}, which does not apply to "
                                 f"category {', '.join(map(repr, missing))}", path=path)
    # formulas: valid over every category at once (GS306), but not in one of them
    every = {path: text for text, path, _ in _formula_places(scheme, nodes, names, None)}
    refs = {ref.node.id: ref for ref in nodes}
    for cat in (c.id for c in scheme.categories):
        for text, path, scope in _formula_places(scheme, nodes, names, cat):
            if path[0] == "score":
                item = refs[_node_at(scheme, path)]
                if not tree.in_category(item.categories, cat):
                    continue
            elif path[0] == "outputs":
                output = scheme.outputs[int(path[1])]
                if not names.output_applies(output, cat):
                    continue
            elif path[0] == "vetoes":
                veto = scheme.vetoes[int(path[1])]
                if veto.applies_to is not None and cat not in veto.applies_to:
                    continue
            try:
                formulas.compile_formula(text, scope)
            except formulas.FormulaError as exc:
                if path not in every:
                    continue
                try:
                    formulas.compile_formula(text, {**scope, **_everything(names, path)})
                except formulas.FormulaError:
                    continue  # GS306 reports it
                yield Diagnostic("GS317", f"in category {cat!r}: {exc}", path=path)


def _everything(names: scopes.Scopes, path: Path) -> dict[str, object]:
    if path[0] == "score":
        return names.item()
    if path[0] == "vetoes":
        return names.veto()
    return names.output(int(path[1]))


def _node_at(scheme: model.Scheme, path: Path) -> str:
    """The id of the item whose formula is at this path."""
    node: model.Item | model.Group = scheme.score
    for i in range(2, len(path) - 2, 2):
        assert isinstance(node, model.Group)
        node = node.children[int(path[i])]
    return node.id


def _bands(scheme: model.Scheme, nodes: list[NodeRef]) -> Iterator[Diagnostic]:
    """GS307/GS308 for grade bands (an item's bands are its rule kind's check)."""
    if scheme.grades is not None:
        yield from band_problems(list(scheme.grades.bands), model.Bounds(gte=Decimal(0)),
                                 "grade band", ("grades", "bands"))


def _weights(scheme: model.Scheme, nodes: list[NodeRef]) -> Iterator[Diagnostic]:
    """GS309 weights sum to 1; GS313 declared minimum weights."""
    for ref in nodes:
        node = ref.node
        if isinstance(node, model.Group) and node.combine == "weighted":
            for cat in _categories(scheme):
                kids = [c for c in node.children if applies(c, cat) and not c.outside_total]
                missing = [c.id for c in kids if c.weight is None]
                if missing:
                    yield Diagnostic("GS309", f"children {missing} of weighted {node.id!r} have "
                                     "no weight", path=(*ref.path, "children"))
                    break
                total = sum((c.weight or Decimal(0) for c in kids), Decimal(0))
                if total != 1:
                    label = f" for category {cat!r}" if cat else ""
                    yield Diagnostic("GS309", f"weights of {node.id!r} sum to {total}, not 1"
                                     f"{label}", path=(*ref.path, "children"))
                    break


def _members(scheme: model.Scheme, nodes: list[NodeRef]) -> Iterator[Diagnostic]:
    """GS310: a member named twice in one tier or category list, or in two of them."""
    for key in ("tiers", "categories"):
        where: dict[str, str] = {}
        for i, entry in enumerate(getattr(scheme, key)):
            for j, member in enumerate(entry.members):
                if member in where:
                    other = where[member]
                    text = "twice in" if other == entry.id else f"in {other!r} and in"
                    yield Diagnostic("GS310", f"{member!r} is listed {text} {entry.id!r}",
                                     path=(key, i, "members", j))
                else:
                    where[member] = entry.id


def _population(scheme: model.Scheme, nodes: list[NodeRef]) -> Iterator[Diagnostic]:
    """GS311 quota shares in (0, 1]; scopes that need tiers or categories."""
    for i, award in enumerate(scheme.awards):
        if award.share is not None and not (0 < award.share <= 1):
            yield Diagnostic("GS311", f"share {award.share} is outside (0, 1]",
                             path=("awards", i, "share"))
        if award.scope != "all":
            yield from _scope_declared(scheme, award.scope, ("awards", i, "scope"))
    if scheme.grades:
        for i, quota in enumerate(scheme.grades.quotas):
            if not (0 < quota.share <= 1):
                yield Diagnostic("GS311", f"share {quota.share} is outside (0, 1]",
                                 path=("grades", "quotas", i, "share"))
            if quota.scope != "all":
                yield from _scope_declared(scheme, quota.scope, ("grades", "quotas", i, "scope"))
    if scheme.ranking.scope != "all":
        yield from _scope_declared(scheme, scheme.ranking.scope, ("ranking", "scope"))


def _population_values(scheme: model.Scheme, nodes: list[NodeRef]) -> Iterator[Diagnostic]:
    """Population values on computed nodes and cohort statistics (scheme.phases): what ``of``
    names (GS305), where it applies (GS317), settings that cannot take effect (GS316), and the
    cycles of their needs (GS340)."""
    by_id = {ref.node.id: ref for ref in nodes}
    inputs = {i.id: i for i in scheme.inputs}
    stats = {s.id: s for s in scheme.statistics}
    cats = [c.id for c in scheme.categories]
    where: dict[str, Path] = {}
    for ref in nodes:
        node = ref.node
        if not isinstance(node, model.Item):
            continue
        target = getattr(node.rule, "of", None)
        if target is not None:
            path = (*ref.path, "rule", "of")
            where[node.id] = path
            if target not in by_id:
                yield _unknown("node", target, by_id, path)
            else:
                missing = [c for c in cats if tree.in_category(ref.categories, c)
                           and not tree.in_category(by_id[target].categories, c)]
                if missing:
                    yield Diagnostic("GS317", f"{node.id!r} ranks {target!r}, which does not "
                                     f"apply to category {', '.join(map(repr, missing))}",
                                     path=path)
            for key in ("fact", "default", "exemptions", "optional"):
                if getattr(node, key) not in (None, [], False):
                    yield Diagnostic("GS316", f"{node.id!r} ranks the node {target!r} (of), "
                                     f"so it reads no fact: its {key} is never used",
                                     path=(*ref.path, key))
        if isinstance(node.rule, model.Bands) and node.rule.relative_to is not None and \
                node.rule.relative_to not in stats:
            yield _unknown("statistic", node.rule.relative_to, stats,
                           (*ref.path, "rule", "relative_to"))
        sub = node.not_applicable_score
        if sub is not None:
            path = (*ref.path, "not_applicable_score")
            if sub not in stats:
                yield _unknown("statistic", sub, stats, path)
            elif stats[sub].of != node.id:
                yield Diagnostic("GS305", f"{node.id!r} scores statistic {sub!r} when not "
                                 f"applicable, but that statistic is of {stats[sub].of!r}, not "
                                 f"of {node.id!r}", path=path)
            if not node.optional:
                yield Diagnostic("GS316", f"{node.id!r} has not_applicable_score but is not "
                                 "optional: no unit can mark it not applicable",
                                 path=path, hint="add optional: true")
    # an item's fact by the name its `fact:` gives it (an item's own id names its score)
    facts = {ref.node.fact: ref.node for ref in nodes if isinstance(ref.node, model.Item)
             and ref.node.fact is not None and ref.node.fact not in by_id
             and rules.of(ref.node).reads_fact(ref.node.rule)}
    for i, stat in enumerate(scheme.statistics):
        path = ("statistics", i, "of")
        where[stat.id] = path
        if stat.of in by_id:
            pass
        elif stat.of in facts:
            item = facts[stat.of]
            shape = rules.of(item).fact_shape(item.rule, item)
            if shape not in ("count", "rate", "amount", "number"):
                yield Diagnostic("GS305", f"statistic {stat.id!r} is of the fact {stat.of!r} of "
                                 f"{item.id!r}, a {shape} fact; expected a number", path=path)
        elif stat.of in inputs:
            if inputs[stat.of].type not in ("count", "number", "rate"):
                yield Diagnostic("GS305", f"statistic {stat.id!r} is of input {stat.of!r}, a "
                                 f"{inputs[stat.of].type}; expected a count, number or rate "
                                 "input, or a node", path=path)
        else:
            yield _unknown("input, fact or node", stat.of, {**inputs, **facts, **by_id}, path)
        if stat.scope != "all":
            yield from _scope_declared(scheme, stat.scope, ("statistics", i, "scope"))
    if not where and not stats:
        return
    graph = phases.graph(scheme, nodes)
    for cycle, categories in graph.cycles():
        if len(cycle) == 2:  # noqa: PLR2004 - [x, x]: x reads a node that needs x
            what = (f"{cycle[0]!r} reads {graph.reads[cycle[0]]!r}, which needs {cycle[0]!r} "
                    "itself")
        else:
            what = ("population values need each other: " + " → ".join(cycle) +
                    " (each is computed over all units from the one after it)")
        named = [c for c in categories if c is not None]
        if named:  # the categories whose units have the cycle (a scheme without: no words)
            what += (" in category " if len(named) == 1 else " in categories ") + \
                ", ".join(map(repr, named))
        elif not categories:
            what += " through the needs of several categories together"
        yield Diagnostic("GS340", what,
                         path=where.get(cycle[0], ()),
                         hint="a ranked or summarised node must not contain the item or "
                         "statistic that reads it")


def _unknown(kind: str, name: str, pool: Mapping[str, object], path: Path) -> Diagnostic:
    close = closest(name, pool)  # bounded work, however many names are misspelt
    return Diagnostic("GS305", f"{kind} {name!r} does not exist", path=path,
                      hint=f"did you mean {close!r}?" if close else None)


def _scope_rules(scheme: model.Scheme, nodes: list[NodeRef]) -> Iterator[Diagnostic]:
    """A group's ``requires`` names a flag input (GS305) that applies wherever the group does
    (GS317); a veto's ``applies_to`` names categories (GS305)."""
    inputs = {i.id: i for i in scheme.inputs}
    cats = [c.id for c in scheme.categories]
    names = scopes.scopes(scheme, nodes)
    for ref in nodes:
        node = ref.node
        if not isinstance(node, model.Group) or node.requires is None:
            continue
        path = (*ref.path, "requires")
        if node.requires not in inputs:
            yield _unknown("input", node.requires, inputs, path)
            continue
        if inputs[node.requires].type != "flag":
            yield Diagnostic("GS305", f"input {node.requires!r} is a "
                             f"{inputs[node.requires].type}; expected flag", path=path)
        missing = [c for c in cats if tree.in_category(ref.categories, c)
                   and not names.input_applies(node.requires, c)]
        if missing:
            yield Diagnostic("GS317", f"requires of {node.id!r} reads input {node.requires!r}, "
                             f"which does not apply to category {', '.join(map(repr, missing))}",
                             path=path)
    for i, veto in enumerate(scheme.vetoes):
        for j, cat in enumerate(veto.applies_to or []):
            if cat not in cats:
                yield _unknown("category", cat, dict.fromkeys(cats), ("vetoes", i, "applies_to", j))


def _units(scheme: model.Scheme, nodes: list[NodeRef]) -> Iterator[Diagnostic]:
    """Nodes for named units only (``units``): GS341 a name the scheme's roster (its categories'
    and tiers' members) does not have; GS342 a name given twice, or one the groups above do not
    name (a node cannot widen its group); GS343 a unit listed in a category the node does not
    apply to; GS344 (a warning) a group whose children are all for named units, so that other
    units of the category are scored without it; GS345 a reader that names a node a unit it is
    evaluated for does not have."""
    scoped = [ref for ref in nodes if ref.node.units is not None]
    if not scoped:
        return
    roster: dict[str, str | None] = {}
    for category in scheme.categories:
        for member in category.members:
            roster.setdefault(member, category.id)
    for tier in scheme.tiers:
        for member in tier.members:
            roster.setdefault(member, None)
    by_id = {ref.node.id: ref for ref in nodes}
    for ref in scoped:
        node = ref.node
        above = by_id[ref.ancestors[-1]].units if ref.ancestors else None
        seen: set[str] = set()
        for j, unit in enumerate(node.units or ()):
            path = (*ref.path, "units", j)
            if unit in seen:
                yield Diagnostic("GS342", f"unit {unit!r} is named twice in the units of "
                                 f"{node.id!r}", path=path)
                continue
            seen.add(unit)
            if roster and unit not in roster:
                close = closest(unit, roster)
                yield Diagnostic("GS341", f"unit {unit!r} of {node.id!r} is not on the scheme's "
                                 "roster (the members its categories and tiers list)", path=path,
                                 hint=f"did you mean {close!r}?" if close else
                                 "add the unit to its category's members, or correct the name")
                continue
            if above is not None and unit not in above:
                yield Diagnostic("GS342", f"unit {unit!r} is not among the units of the group "
                                 f"{ref.ancestors[-1]!r} above {node.id!r}, so the node can never "
                                 "apply to it (a node cannot widen its group)", path=path,
                                 hint=f"the group's units are {named_units(above)}")
                continue
            cat = roster.get(unit)
            if cat is not None and not tree.in_category(ref.categories, cat):
                yield Diagnostic("GS343", f"unit {unit!r} is a member of category {cat!r}, and "
                                 f"{node.id!r} does not apply to that category (applies_to: "
                                 f"{', '.join(sorted(ref.categories or ()))})", path=path)
    yield from _units_left_without(scheme, nodes, roster)
    yield from _units_readers(scheme, nodes)


def _units_left_without(scheme: model.Scheme, nodes: list[NodeRef],
                        roster: Mapping[str, str | None]) -> Iterator[Diagnostic]:
    """GS344 (a warning): a group all of whose children are for named units has no value for
    the units of its category that none of them names; they are scored without it (its max not
    counted), which the text seldom means. Named are the listed members it leaves out."""
    named = {unit for ref in nodes for unit in ref.node.units or ()}
    for profile in scopes.profiles(scheme, nodes):
        if profile.units:
            continue
        emptied = [ref for ref in nodes if isinstance(ref.node, model.Group)
                   and ref.node.id in profile.without and ref.node.units is None
                   and tree.in_category(ref.categories, profile.category)
                   and (not ref.ancestors or ref.ancestors[-1] not in profile.without)]
        for ref in emptied:
            listed = [m for m, c in roster.items()
                      if c == profile.category or profile.category is None]
            members = [m for m in listed if m not in named]
            if listed and not members:
                continue  # every listed unit of the category is named: nobody lacks the group
            where = f" of category {profile.category!r}" if profile.category else ""
            who = (f"{named_units(members)} (listed, named in none of them) "
                   f"{'is' if len(members) == 1 else 'are'}" if members else
                   "a unit named in none of them is")
            yield Diagnostic("GS344", f"group {ref.node.id!r} has children{where} for named units "
                             f"only; {who} scored without it (its max is not counted)",
                             path=(*ref.path, "children"), severity="warning",
                             hint="name each of them in a child's units" if members else
                             "list the category's members and name each in a child's units, "
                             "so that the validator can check them")


def _units_readers(scheme: model.Scheme, nodes: list[NodeRef]) -> Iterator[Diagnostic]:
    """GS345: gate, limit, reads, a population item's ``of``, ranking and formulas of vetoes
    and outputs name only nodes that every unit they are evaluated for has (the GS317 rule, for
    named units)."""
    found = [p for p in scopes.profiles(scheme, nodes) if p.without]
    if not found:
        return
    by_id = {ref.node.id: ref for ref in nodes}

    def lacking(reader: NodeRef | None, target: str) -> list[scopes.Profile]:
        """The profiles the reader is evaluated in that lack the target for named units only
        (a category the target does not apply to is GS317's)."""
        ref = by_id.get(target)
        if ref is None:
            return []
        return [p for p in found if (reader is None or p.has(reader)) and not p.has(ref)
                and tree.in_category(ref.categories, p.category)]

    def who(missing: list[scopes.Profile]) -> str:
        named = [u for p in missing for u in p.units]
        plain = any(not p.units for p in missing)
        parts = ([f"unit {named_units(named)}"] if named else []) + (
            ["every unit no units list names"] if plain else [])
        return " and ".join(parts)

    for ref in nodes:
        node = ref.node
        reads: list[tuple[str, str, Path]] = []
        if isinstance(node, model.Group):
            if node.gate is not None:
                reads.append((f"the gate of {node.id!r} reads", node.gate.node,
                              (*ref.path, "gate", "node")))
            if node.limit is not None:
                reads.append((f"the limit of {node.id!r} reads", node.limit.at_most,
                              (*ref.path, "limit", "at_most")))
        else:
            if node.reads is not None:
                reads.append((f"{node.id!r} reads the fact of", node.reads,
                              (*ref.path, "reads")))
            ranked_node = getattr(node.rule, "of", None)  # rank_points, relative_to_best
            if isinstance(ranked_node, str):
                reads.append((f"{node.id!r} ranks", ranked_node, (*ref.path, "rule", "of")))
        for subject, target, path in reads:
            missing = lacking(ref, target)
            if missing:
                yield Diagnostic("GS345", f"{subject} {target!r}, which is left out for "
                                 f"{who(missing)} (by units)",
                                 path=path, hint=f"give {node.id!r} the same units, or read a "
                                 "node every unit has")
    ranked: list[tuple[str, Path, str]] = (
        [(scheme.ranking.by, ("ranking", "by"), "ranking")] if scheme.ranking.by else [])
    ranked += [(tb.node, ("ranking", "tie_breakers", j, "node"), "a tie-breaker")
               for j, tb in enumerate(scheme.ranking.tie_breakers) if tb.node is not None]
    for target, path, what in ranked:
        missing = lacking(None, target)
        if missing:
            yield Diagnostic("GS345", f"{what} reads {target!r}, which is left out for "
                             f"{who(missing)} (by units)", path=path)
    names = scopes.scopes(scheme, nodes)
    failing: dict[Path, list[scopes.Profile]] = {}
    errors: dict[Path, str] = {}
    for profile in found:
        left = {n for n in profile.without if n in names.nodes}
        for text, path, scope in _formula_places(scheme, nodes, names, profile.category):
            if path[0] == "score":
                continue  # an item's formula names no node
            if path[0] == "outputs" and not names.output_applies(
                    scheme.outputs[int(path[1])], profile.category):
                continue
            veto = scheme.vetoes[int(path[1])] if path[0] == "vetoes" else None
            if veto is not None and veto.applies_to is not None and \
                    profile.category not in veto.applies_to:
                continue
            try:
                formulas.compile_formula(text, scope)
            except formulas.FormulaError:
                continue  # GS306 or GS317 says so
            try:
                formulas.compile_formula(text, {k: v for k, v in scope.items() if k not in left})
            except formulas.FormulaError as exc:
                failing.setdefault(path, []).append(profile)
                errors.setdefault(path, str(exc))
    for path, missing in failing.items():
        yield Diagnostic("GS345", f"{errors[path]} for {who(missing)}: its units leave the node "
                         "out", path=path, hint="name a node every unit it is evaluated for "
                         "has (a group above the named units' part)")
