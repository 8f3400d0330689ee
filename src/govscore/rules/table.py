"""The table rule kind: bands over two facts (a small decision table).

"完成率90%以上且满意率95%以上得10分; 完成率90%以上、满意率不足95%得8分; …": each row gives an
interval per column and the points for a pair of values inside both. The rows are checked like
a step table's bands, in two dimensions: every pair of values in the columns' domains lies in
exactly one row (GS308 an overlap, GS307 a pair in none, unless ``outside`` gives its points).
The check is exact: the intervals' ends cut each axis into elementary pieces (the ends
themselves and the open stretches between them), and one value from each piece stands for all
of it."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from govscore.errors import Diagnostic
from govscore.language import model
from govscore.rules import values
from govscore.rules.base import (
    ONE,
    ZERO,
    Cell,
    Consts,
    Lang,
    Path,
    RawFn,
    RuleKind,
    Titles,
    decimal_cell,
    fact_words,
    num,
    number_of,
    say,
    span,
)
from govscore.rules.simple import BIG_INT
from govscore.rules.structured import bounds_words
from govscore.rules.values import within

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

_ANY = model.Bounds()


def _domain(column: model.TableColumn) -> model.Bounds:
    if column.domain is not None:
        return column.domain
    return model.Bounds(gte=ZERO, lte=ONE) if column.rate else model.Bounds(gte=ZERO)


def _row_for(rule: model.Table, pair: tuple[Decimal, Decimal]) -> model.TableRow | None:
    a, b = rule.columns
    for row in rule.rows:
        if within(row.when.get(a.id, _ANY), pair[0]) and within(row.when.get(b.id, _ANY), pair[1]):
            return row
    return None


def _pieces(column: model.TableColumn, rows: list[model.TableRow]) -> list[Decimal]:
    """One value standing for each elementary piece of the column's domain: every interval end
    inside it, a value strictly between each two neighbouring ends, and one beyond the last end
    on an open side."""
    dom = _domain(column)
    ends: set[Decimal] = set()
    for b in (dom, *(r.when.get(column.id, _ANY) for r in rows)):
        ends.update(v for v in (b.gte, b.gt, b.lte, b.lt) if v is not None)
    ordered = sorted(ends)
    points = list(ordered)
    points.extend((x + y) / 2 for x, y in itertools.pairwise(ordered))
    if ordered:
        points.extend((ordered[0] - 1, ordered[-1] + 1))
    else:
        points.append(ZERO)
    return sorted(p for p in set(points) if within(dom, p))


def _rows_holding(rule: model.Table, column: model.TableColumn, value: Decimal) -> int:
    """The rows whose interval for the column holds the value, one bit per row."""
    return sum(1 << j for j, row in enumerate(rule.rows)
               if within(row.when.get(column.id, _ANY), value))


class Table(RuleKind[model.Table]):
    kind = "table"
    counts_own_points = True
    titles = Titles("双指标决策表", "decision table over two facts")
    rule_model = model.Table

    def check(self, rule: model.Table, item: model.Item, value: Any) -> Any:
        ids = [c.id for c in rule.columns]
        pair = values.mapping(value, "{" + ", ".join(f"{i}: …" for i in ids) + "}")
        values.known_keys(pair, ids, "key")
        out: dict[str, Decimal] = {}
        for column in rule.columns:
            if column.id not in pair:
                raise values.FactProblem("GS403", f"expected {' and '.join(ids)}, got "
                                         f"{values.show(value)}")
            v = pair[column.id]
            n = values.rate(v) if column.rate else values.number(v)
            if not within(_domain(column), n):
                raise values.FactProblem("GS404", f"{column.id} {n} is outside its domain")
            out[column.id] = n
        if rule.outside is None and _row_for(rule, (out[ids[0]], out[ids[1]])) is None:
            raise values.FactProblem("GS404", f"{ids[0]} {out[ids[0]]} and {ids[1]} "
                                     f"{out[ids[1]]} lie in no row of the table")
        return out

    def raw(self, rule: model.Table, item: model.Item, names: Mapping[str, object]) -> RawFn:
        a, b = (c.id for c in rule.columns)
        outside = rule.outside

        def table(v: Any, _f: Mapping[str, Any]) -> Decimal:
            row = _row_for(rule, (v[a], v[b]))
            if row is not None:
                return row.points
            assert outside is not None  # facts checking refuses a pair in no row otherwise
            return outside

        return table

    def emit_raw(self, rule: model.Table, item: model.Item, w: Consts, x: str) -> str:
        """The rows as one conditional expression, first row first (as ``_row_for`` reads
        them), each end compared as ``within`` compares it; the checked fact ``x`` is a mapping
        of the two columns' ids to numbers. A pair in no row scores ``outside``; without it the
        check has refused the pair before the kernel gets here."""
        branches: list[str] = []
        for row in rule.rows:
            tests = []
            for column in rule.columns:
                bounds = row.when.get(column.id)
                if bounds is None:
                    continue
                value = f"{x}[{w.const(column.id)}]"
                for end, op in (("gte", ">="), ("gt", ">"), ("lte", "<="), ("lt", "<")):
                    bound = getattr(bounds, end)
                    if bound is not None:
                        tests.append(f"{value} {op} {w.const(bound)}")
            points = w.const(row.points)
            if not tests:  # a row naming no interval matches every pair
                return "(" + " else ".join([*branches, points]) + ")"
            branches.append(f"{points} if {' and '.join(tests)}")
        return "(" + " else ".join([*branches, w.const(rule.outside)]) + ")"

    def fast_paths(self, rule: model.Table, item: model.Item, w: Consts,
                   x: str) -> list[tuple[str, str | None]]:
        """A mapping of exactly the two columns to Decimals inside their domains (and below the
        facts' magnitude, with at most 34 significant digits: ``+v == v``) is what ``check``
        returns, rebuilt in the columns' order. Every such pair lies in a row: a validated
        table without ``outside`` covers both domains (GS307)."""
        # dict and len reach the kernel as constants (its namespace has almost no builtins)
        tests = [f"{x}.__class__ is {w.const(dict)}", f"{w.const(len)}({x}) == 2"]
        for column in rule.columns:
            key = w.const(column.id)
            v = f"{x}[{key}]"
            tests += [f"{key} in {x}", f"{v}.__class__ is Decimal", f"+{v} == {v}",
                      f"{w.const(-Decimal(BIG_INT))} < {v} < {w.const(Decimal(BIG_INT))}"]
            dom = _domain(column)
            for end, op in (("gte", ">="), ("gt", ">"), ("lte", "<="), ("lt", "<")):
                bound = getattr(dom, end)
                if bound is not None:
                    tests.append(f"{v} {op} {w.const(bound)}")
        rebuilt = "{" + ", ".join(f"{w.const(c.id)}: {x}[{w.const(c.id)}]"
                                  for c in rule.columns) + "}"
        return [(" and ".join(tests), rebuilt)]

    def raw_range(self, rule: model.Table,
                  item: model.Item) -> tuple[Decimal | None, Decimal | None]:
        points = [r.points for r in rule.rows] + ([rule.outside] if rule.outside is not None
                                                  else [])
        return min(points), max(points)

    def problems(self, rule: model.Table, item: model.Item, path: Path) -> Iterator[Diagnostic]:
        ids = [c.id for c in rule.columns]
        if ids[0] == ids[1]:
            yield Diagnostic("GS315", f"both columns are {ids[0]!r}", path=(*path, "columns", 1))
            return
        for j, row in enumerate(rule.rows):
            for key in row.when:
                if key not in ids:
                    yield Diagnostic("GS305", f"row {j + 1} names {key!r}, which is not a column "
                                     f"(columns: {', '.join(ids)})",
                                     path=(*path, "rows", j, "when", key), at_key=True)
            if row.points > item.max:
                yield Diagnostic("GS314", f"row {j + 1} gives {row.points}, above the item's "
                                 f"max {item.max}", path=(*path, "rows", j, "points"))
        a, b = rule.columns
        gap = overlap = None
        # each piece of an axis as the set of rows whose interval holds it (a bit per row):
        # the rows holding a pair are the two sets' intersection
        xs = [(x, _rows_holding(rule, a, x)) for x in _pieces(a, rule.rows)]
        ys = [(y, _rows_holding(rule, b, y)) for y in _pieces(b, rule.rows)]
        for x, x_rows in xs:
            for y, y_rows in ys:
                both = x_rows & y_rows
                if not both and gap is None:
                    gap = (x, y)
                if both & (both - 1) and overlap is None:  # two bits or more
                    overlap = (x, y, [j for j in range(len(rule.rows)) if both >> j & 1])
            if gap is not None and overlap is not None:
                break
        if overlap is not None:
            x, y, rows = overlap
            yield Diagnostic("GS308", f"rows {rows[0] + 1} and {rows[1] + 1} both hold for "
                             f"{a.id} = {x} and {b.id} = {y}", path=(*path, "rows", rows[1]))
        if gap is not None and rule.outside is None:
            x, y = gap
            yield Diagnostic("GS307", f"no row holds for {a.id} = {x} and {b.id} = {y}",
                             path=(*path, "rows"),
                             hint="add a row for it, or give outside (the points for a pair "
                             "in no row)")

    def describe(self, rule: model.Table, item: model.Item, fact: Any, raw: Decimal,
                 lang: Lang) -> str:
        a, b = rule.columns
        x = number_of(fact.get(a.id)) if isinstance(fact, Mapping) else None
        y = number_of(fact.get(b.id)) if isinstance(fact, Mapping) else None
        if x is None or y is None:
            return fact_words(fact, lang)
        values_zh = f"{a.title} {num(x)}, {b.title} {num(y)}"
        row = _row_for(rule, (x, y))
        if row is None:
            return say(lang, f"{values_zh}: 不在表中任何一行, 得 {num(raw)}",
                       f"{values_zh}: in no row, {num(raw)}")
        titles = {c.id: c.title for c in rule.columns}
        where = "; ".join(f"{titles.get(k, k)} {bounds_words(bnd, lang)}"
                          for k, bnd in row.when.items())
        n = rule.rows.index(row) + 1
        return say(lang, f"{values_zh}: 第 {n} 行 ({where}) 得 {num(row.points)}",
                   f"{values_zh}: row {n} ({where}) gives {num(row.points)}")

    def cells(self, rule: model.Table, item: model.Item) -> list[Cell]:
        out = []
        for column in rule.columns:
            dom = _domain(column)
            low, high = dom.gte, dom.lte
            out.append(Cell(column.id, ("比率 " if column.rate else "") + span(low, high),
                            decimal_cell(low, high), column.title))
        return out

    def strategy(self, rule: model.Table, item: model.Item) -> SearchStrategy[Any]:
        from hypothesis import strategies as st

        a, b = rule.columns
        pairs = [(x, y) for x in _pieces(a, rule.rows) for y in _pieces(b, rule.rows)
                 if rule.outside is not None or _row_for(rule, (x, y)) is not None]
        if not pairs:
            return st.nothing()
        return st.sampled_from(pairs).map(lambda p: {a.id: p[0], b.id: p[1]})

