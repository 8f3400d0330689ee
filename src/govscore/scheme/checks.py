"""Semantic checks beyond the models. Each check yields Diagnostics with a stable code and the key
path of the offending value; the loader adds positions. Errors make a scheme invalid; warnings
(a cap that can never bind, as S3's text has) are reported but do not.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from govscore.errors import Diagnostic
from govscore.language import formulas, model

Path = tuple[str | int, ...]
INF = Decimal("Infinity")
RESERVED = frozenset({"total", *formulas.FUNCTIONS})


@dataclass(frozen=True)
class NodeRef:
    node: model.Item | model.Group
    path: Path
    parent: model.Group | None
    ancestors: tuple[str, ...]


def index_nodes(scheme: model.Scheme) -> list[NodeRef]:
    """Every node with its data path, parents before children."""
    out: list[NodeRef] = []

    def walk(node: model.Item | model.Group, path: Path, parent: model.Group | None,
             ancestors: tuple[str, ...]) -> None:
        out.append(NodeRef(node, path, parent, ancestors))
        if isinstance(node, model.Group):
            for i, child in enumerate(node.children):
                walk(child, (*path, "children", i), node, (*ancestors, node.id))

    walk(scheme.score, ("score",), None, ())
    return out


def references(group: model.Group) -> list[str]:
    """The node ids a group's gate and limit refer to."""
    out = []
    if group.gate is not None:
        out.append(group.gate.node)
    if group.limit is not None:
        out.append(group.limit.at_most)
    return out


def applies(node: model.Item | model.Group, category: str | None) -> bool:
    return category is None or node.applies_to is None or category in node.applies_to


def node_max(node: model.Item | model.Group, category: str | None) -> Decimal:
    """The highest value a node can take for units of a category (None: ignoring categories)."""
    if isinstance(node, model.Item):
        return node.max
    kids = [c for c in node.children if applies(c, category) and not c.outside_total]
    if node.combine == "weighted":
        raw = sum(((c.weight or Decimal(0)) * node_max(c, category)
                   for c in kids if c.role == "add"), Decimal(0))
    elif node.combine == "highest":
        raw = max((node_max(c, category) for c in kids if c.role == "add"), default=Decimal(0))
    else:
        raw = sum((node_max(c, category) for c in kids if c.role == "add"), Decimal(0))
    if node.scale_to is not None:
        raw = node.scale_to
    if node.cap is not None:
        raw = min(raw, node.cap)
    return raw


def _categories(scheme: model.Scheme) -> list[str | None]:
    return [c.id for c in scheme.categories] or [None]


def check(scheme: model.Scheme) -> list[Diagnostic]:
    """Every semantic problem in a scheme that the models accepted."""
    nodes = index_nodes(scheme)
    out: list[Diagnostic] = []
    for check_fn in (_ids, _maxima, _references, _rules, _formulas, _bands, _weights,
                     _members, _population):
        out.extend(check_fn(scheme, nodes))
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
    facts: dict[str, Path] = {}
    for ref in nodes:
        if isinstance(ref.node, model.Item) and ref.node.fact and ref.node.fact != ref.node.id:
            if ref.node.fact in seen or ref.node.fact in facts:
                yield Diagnostic("GS301", f"fact name {ref.node.fact!r} is already used",
                                 path=(*ref.path, "fact"))
            facts[ref.node.fact] = ref.path
    for key in ("vetoes", "awards", "categories", "tiers", "assumptions"):
        names: set[str] = set()
        for i, entry in enumerate(getattr(scheme, key)):
            if entry.id in names:
                yield Diagnostic("GS301", f"{key[:-1]} id {entry.id!r} is used twice",
                                 path=(key, i, "id"))
            names.add(entry.id)


def _maxima(scheme: model.Scheme, nodes: list[NodeRef]) -> Iterator[Diagnostic]:
    """GS302 declared max vs children; GS303 caps that never bind; GS304 gates never met."""
    cats = _categories(scheme)
    for ref in nodes:
        node = ref.node
        if not isinstance(node, model.Group):
            continue
        for cat in cats:
            if not applies(node, cat):
                continue
            kids = [c for c in node.children if applies(c, cat) and not c.outside_total]
            uncapped = node_max(node.model_copy(update={"cap": None, "scale_to": None}), cat)
            label = f" for category {cat!r}" if cat and len(cats) > 1 else ""
            declared = node.max is not None and node.cap is None and node.scale_to is None
            if declared and kids and uncapped != node.max:
                parts = " + ".join(str(node_max(c, cat)) for c in kids if c.role == "add")
                yield Diagnostic("GS302", f"{node.id!r} declares max {node.max} but its "
                                 f"children give {parts} = {uncapped}{label}",
                                 path=(*ref.path, "max"))
            if node.cap is not None and uncapped <= node.cap and kids:
                yield Diagnostic("GS303", f"cap {node.cap} on {node.id!r} can never bind: its "
                                 f"children reach at most {uncapped}{label}",
                                 path=(*ref.path, "cap"), severity="warning")
            if node.max is not None and node.cap is not None and node.cap != node.max:
                yield Diagnostic("GS302", f"{node.id!r} declares max {node.max} and cap "
                                 f"{node.cap}; give one", path=(*ref.path, "max"))
    by_id = {ref.node.id: ref for ref in nodes}
    for ref in nodes:
        node = ref.node
        if isinstance(node, model.Group) and node.gate is not None:
            target = by_id.get(node.gate.node)
            if target is not None:
                top = max(node_max(target.node, c) for c in cats)
                bound = node.gate.gte if node.gate.gte is not None else node.gate.gt
                assert bound is not None
                never = bound > top or (node.gate.gt is not None and bound >= top)
                if never:
                    yield Diagnostic("GS304", f"gate on {node.id!r} can never open: "
                                     f"{target.node.id!r} reaches at most {top}",
                                     path=(*ref.path, "gate"))
    top_total = max(node_max(scheme.score, c) for c in cats)
    for i, award in enumerate(scheme.awards):
        el = award.eligibility
        if el is not None and el.min_total is not None and el.min_total > top_total:
            yield Diagnostic("GS304", f"award {award.id!r} needs a total of {el.min_total} but "
                             f"the scheme's total reaches at most {top_total}",
                             path=("awards", i, "eligibility", "min_total"))


def _references(scheme: model.Scheme, nodes: list[NodeRef]) -> Iterator[Diagnostic]:
    """GS305 references that do not resolve; GS312 circular gate/limit references."""
    node_ids = {ref.node.id: ref for ref in nodes}
    inputs = {i.id: i for i in scheme.inputs}
    cats = {c.id for c in scheme.categories}
    grades = {b.grade for b in scheme.grades.bands} if scheme.grades else set()

    def unknown(kind: str, name: str, pool: set[str] | dict[str, object], path: Path) -> Diagnostic:
        import difflib

        close = difflib.get_close_matches(name, list(pool), n=1)
        return Diagnostic("GS305", f"{kind} {name!r} does not exist", path=path,
                          hint=f"did you mean {close[0]!r}?" if close else None)

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
    state: dict[str, int] = {}
    path_of = {ref.node.id: ref.path for ref in nodes}

    def visit(name: str, trail: list[str]) -> Iterator[Diagnostic]:
        if state.get(name) == 1:
            cycle = [*trail[trail.index(name):], name]
            edges = [ref_paths[edge] for edge in itertools.pairwise(cycle)
                     if edge in ref_paths]
            yield Diagnostic("GS312", "circular reference: " + " → ".join(cycle),
                             path=edges[0] if edges else path_of.get(name, ()))
            return
        if state.get(name) == 2:  # noqa: PLR2004 - visited
            return
        state[name] = 1
        for dep in sorted(deps.get(name, ())):
            yield from visit(dep, [*trail, name])
        state[name] = 2

    for name in list(deps):
        yield from visit(name, [])


def _rules(scheme: model.Scheme, nodes: list[NodeRef]) -> Iterator[Diagnostic]:
    """GS314 ranges; GS315 value tables; GS316 optional items nobody handles, stray weights."""
    for ref in nodes:
        node = ref.node
        if ref.parent is not None and node.weight is not None and ref.parent.combine != "weighted":
            yield Diagnostic("GS316", f"{node.id!r} has a weight but its group does not combine "
                             "weighted", path=(*ref.path, "weight"))
        if not isinstance(node, model.Item):
            continue
        rule, rpath, top = node.rule, (*ref.path, "rule"), node.max
        if node.optional and not _rescaled(ref, nodes):
            yield Diagnostic("GS316", f"{node.id!r} is optional but no group above it says "
                             "not_applicable: rescale", path=(*ref.path, "optional"))
        policy = ("zero_target" if isinstance(rule, model.Ratio) else
                  "no_votes" if isinstance(rule, model.Rating) else None)
        if policy is not None and getattr(rule, policy) == "not_applicable" \
                and not _rescaled(ref, nodes):
            yield Diagnostic("GS316", f"{node.id!r} can be not applicable ({policy}: "
                             "not_applicable) but no group above it says not_applicable: "
                             "rescale; choose full or zero, or rescale a group",
                             # at the policy where it is written, else at the rule's kind
                             path=(*rpath, policy if policy in rule.model_fields_set else "kind"))
        if isinstance(rule, model.PassFail):
            for key in ("points", "fail_points"):
                value = getattr(rule, key)
                if value is not None and value > top:
                    yield Diagnostic("GS314", f"{key} {value} is above the item's max {top}",
                                     path=(*rpath, key))
        elif isinstance(rule, model.Manual):
            if rule.min > rule.max:
                yield Diagnostic("GS314", f"range {rule.min}..{rule.max} is empty",
                                 path=(*rpath, "min"))
            if rule.max > top:
                yield Diagnostic("GS314", f"range max {rule.max} is above the item's max {top}",
                                 path=(*rpath, "max"))
        elif isinstance(rule, (model.ByLevel, model.Rating)):
            table = rule.levels if isinstance(rule, model.ByLevel) else rule.values
            if isinstance(rule, model.Rating):
                for key in ("satisfied", "excluded"):
                    for j, level in enumerate(getattr(rule, key) or []):
                        inside = level in table
                        if inside != (key == "satisfied"):
                            what = "not a rated level" if key == "satisfied" else \
                                "also a rated level (excluded levels carry no value)"
                            yield Diagnostic("GS315", f"{key} level {level!r} is {what}",
                                             path=(*rpath, key, j))
                if rule.full is not None and rule.full < max(table.values()):
                    yield Diagnostic("GS315", f"full {rule.full} is below the highest value",
                                     path=(*rpath, "full"))
            elif max(table.values()) > top:
                yield Diagnostic("GS314", f"one occurrence is worth more than the item's max {top}",
                                 path=(*rpath, "levels"), severity="warning")
        elif isinstance(rule, model.Choice):
            for name, value in rule.options.items():
                if value > top:
                    yield Diagnostic("GS314", f"option {name!r} gives {value}, above the item's "
                                     f"max {top}", path=(*rpath, "options", name))
        elif isinstance(rule, model.Checklist):
            total = sum((c.share for c in rule.criteria), Decimal(0))
            if total != 1:
                yield Diagnostic("GS315", f"criteria shares sum to {total}, not 1",
                                 path=(*rpath, "criteria"))
        elif isinstance(rule, model.Bands):
            for j, band in enumerate(rule.bands):
                if band.points > top:
                    yield Diagnostic("GS314", f"band gives {band.points}, above the item's max "
                                     f"{top}", path=(*rpath, "bands", j, "points"))
        elif isinstance(rule, model.Shortfall) and rule.target == 0:
            yield Diagnostic("GS304", "a target of 0 can never be missed", path=(*rpath, "target"))
        elif isinstance(rule, model.RankPoints) and rule.last is not None and rule.last > top:
            yield Diagnostic("GS314", f"last {rule.last} is above the item's max {top}",
                             path=(*rpath, "last"))
        if isinstance(rule, (model.RelativeToBest, model.RankPoints)) and rule.scope != "all":
            yield from _scope_declared(scheme, rule.scope, (*rpath, "scope"))


def _rescaled(ref: NodeRef, nodes: list[NodeRef]) -> bool:
    groups = {r.node.id: r.node for r in nodes if isinstance(r.node, model.Group)}
    return any(groups[a].not_applicable == "rescale" for a in ref.ancestors)


def _scope_declared(scheme: model.Scheme, scope: str, path: Path) -> Iterator[Diagnostic]:
    if scope == "tier" and not scheme.tiers:
        yield Diagnostic("GS305", "scope 'tier' needs tiers declared", path=path)
    if scope == "category" and not scheme.categories:
        yield Diagnostic("GS305", "scope 'category' needs categories declared", path=path)


def formula_names(scheme: model.Scheme, *, with_nodes: bool) -> dict[str, object]:
    names: dict[str, object] = {i.id: i for i in scheme.inputs if i.type != "text"}
    names.update(scheme.params)
    if with_nodes:
        names.update({ref.node.id: ref.node for ref in index_nodes(scheme)})
        names["total"] = None
    return names


def _formulas(scheme: model.Scheme, nodes: list[NodeRef]) -> Iterator[Diagnostic]:
    """GS306: every formula parses, stays inside the allowed syntax and names only what exists."""
    item_names = formula_names(scheme, with_nodes=False)
    late_names = formula_names(scheme, with_nodes=True)
    late_names.update({o.id: o for o in scheme.outputs})
    places: list[tuple[str, Path, dict[str, object]]] = []
    for ref in nodes:
        if isinstance(ref.node, model.Item) and isinstance(ref.node.rule, model.Formula):
            places.append((ref.node.rule.formula, (*ref.path, "rule", "formula"), item_names))
    for i, veto in enumerate(scheme.vetoes):
        if veto.when.formula is not None:
            places.append((veto.when.formula, ("vetoes", i, "when", "formula"), late_names))
    for i, output in enumerate(scheme.outputs):
        if output.formula is not None:
            earlier = {k: v for k, v in late_names.items()
                       if k not in {o.id for o in scheme.outputs[i:]}}
            places.append((output.formula, ("outputs", i, "formula"), earlier))
    for text, path, names in places:
        try:
            formulas.compile_formula(text, names)
        except formulas.FormulaError as exc:
            where = f" (column {exc.column})" if exc.column else ""
            yield Diagnostic("GS306", f"{exc}{where}", path=path)


def _interval(b: model.Bounds) -> tuple[tuple[Decimal, int], tuple[Decimal, int]]:
    """A band as a half-open interval [start, end) of points (value, tick), where tick 1 means
    "just after value": gte 80 → (80, 0); gt 80 → (80, 1); lt 90 → (90, 0); lte 90 → (90, 1)."""
    start = (b.gte, 0) if b.gte is not None else (b.gt, 1) if b.gt is not None else (-INF, 0)
    end = (b.lt, 0) if b.lt is not None else (b.lte, 1) if b.lte is not None else (INF, 0)
    return start, end


def _band_problems(bands: list[model.Bounds], domain: model.Bounds, what: str,
                   path: Path) -> Iterator[Diagnostic]:
    """GS307 gaps and GS308 overlaps of bands over a domain."""
    dom_start, dom_end = _interval(domain)
    spans = sorted((_interval(b), i) for i, b in enumerate(bands))
    for (start, end), i in spans:
        if start >= end:
            yield Diagnostic("GS307", f"{what} {i + 1} is empty", path=(*path, i))
    covered = dom_start
    for (start, end), i in spans:
        if start >= end or end <= dom_start or start >= dom_end:
            continue
        if start > covered:
            yield Diagnostic("GS307", f"{what}s leave a gap between {covered[0]} and "
                             f"{start[0]}", path=(*path, i))
        elif start < covered and covered > dom_start:
            yield Diagnostic("GS308", f"{what} {i + 1} overlaps another near {start[0]}",
                             path=(*path, i))
        covered = max(covered, end)
    if covered < dom_end:
        yield Diagnostic("GS307", f"{what}s leave values from {covered[0]} up uncovered",
                         path=path)


def _bands(scheme: model.Scheme, nodes: list[NodeRef]) -> Iterator[Diagnostic]:
    for ref in nodes:
        node = ref.node
        if isinstance(node, model.Item) and isinstance(node.rule, model.Bands):
            rule = node.rule
            if rule.domain is not None:
                domain = rule.domain
            elif rule.rate:
                domain = model.Bounds(gte=Decimal(0), lte=Decimal(1))
            else:
                domain = model.Bounds(gte=Decimal(0))
            problems = list(_band_problems(list(rule.bands), domain, "band",
                                           (*ref.path, "rule", "bands")))
            for d in problems:
                if d.code == "GS307" and rule.outside is not None:
                    continue
                yield d
    if scheme.grades is not None:
        yield from _band_problems(list(scheme.grades.bands), model.Bounds(gte=Decimal(0)),
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
        if isinstance(node, model.Item) and isinstance(node.rule, model.RaterGroups):
            groups = node.rule.groups
            total = sum((g.weight for g in groups), Decimal(0))
            if total != 1:
                yield Diagnostic("GS309", f"rater group weights sum to {total}, not 1",
                                 path=(*ref.path, "rule", "groups"))
            for j, group in enumerate(groups):
                if group.min_weight is not None and group.weight < group.min_weight:
                    yield Diagnostic("GS313", f"rater group {group.id!r} has weight "
                                     f"{group.weight}, below its minimum {group.min_weight}",
                                     path=(*ref.path, "rule", "groups", j, "weight"))


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
