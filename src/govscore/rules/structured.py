"""Rule kinds whose fact is a mapping, a list or a name: by_level, ratio, bands, rating, choice,
checklist, series, rater_groups."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from govscore.errors import Diagnostic
from govscore.language import model
from govscore.rules import values
from govscore.rules.base import (
    COUNT_CELL,
    ONE,
    ZERO,
    Cell,
    Columns,
    Lang,
    NotApplicableValue,
    Path,
    RawFn,
    RuleKind,
    Titles,
    UnitProblem,
    Validation,
    VectorFact,
    decimal_cell,
    decimals,
    fact_words,
    level_word,
    num,
    number_of,
    say,
    span,
    zero_policy,
)

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy


class ByLevel(RuleKind[model.ByLevel]):
    kind = "by_level"
    counts_own_points = True
    titles = Titles("按级别计分", "by level")
    rule_model = model.ByLevel
    more_is_more = True

    def check(self, rule: model.ByLevel, item: model.Item, value: Any) -> Any:
        if isinstance(value, list):
            events = []
            for event in value:
                ev = values.mapping(event, "an event {level, matter}")
                values.known_keys(ev, ["level", "matter"], "event key")
                if "level" not in ev or ev["level"] not in rule.levels:
                    raise values.FactProblem("GS403", f"event {values.show(event)} needs a level "
                                             f"among {', '.join(rule.levels)}")
                events.append({"level": ev["level"], "matter": ev.get("matter")})
            return events
        counts = values.mapping(value, "a mapping level → count, or a list of events")
        values.known_keys(counts, rule.levels, "level")
        return {k: values.count(v) for k, v in counts.items()}

    def raw(self, rule: model.ByLevel, item: model.Item, names: Mapping[str, object]) -> RawFn:
        levels = dict(rule.levels)
        combine = rule.combine

        def fn(v: Any, _f: Mapping[str, Any]) -> Decimal:
            if isinstance(v, list):
                if combine == "sum":
                    return sum((levels[e["level"]] for e in v), ZERO)
                if combine == "highest":
                    return max((levels[e["level"]] for e in v), default=ZERO)
                best: dict[object, Decimal] = {}
                for i, e in enumerate(v):
                    key = e["matter"] if e["matter"] is not None else ("#", i)
                    best[key] = max(best.get(key, ZERO), levels[e["level"]])
                return sum(best.values(), ZERO)
            if combine == "highest":
                return max((levels[k] for k, n in v.items() if n > 0), default=ZERO)
            # sum, or highest_per_matter without matters: every occurrence is its own matter
            return sum((levels[k] * n for k, n in v.items()), ZERO)

        return fn

    def raw_range(self, rule: model.ByLevel,
                  item: model.Item) -> tuple[Decimal | None, Decimal | None]:
        return ZERO, None

    def problems(self, rule: model.ByLevel, item: model.Item, path: Path) -> Iterator[Diagnostic]:
        if max(rule.levels.values()) > item.max:
            yield Diagnostic("GS314", f"one occurrence is worth more than the item's max "
                             f"{item.max}", path=(*path, "levels"), severity="warning")

    def cells(self, rule: model.ByLevel, item: model.Item) -> list[Cell]:
        return [Cell(level, f"{num(points)} 分/次; 次数 (整数 ≥ 0)", COUNT_CELL, level)
                for level, points in rule.levels.items()]

    def strategy(self, rule: model.ByLevel, item: model.Item) -> SearchStrategy[Any]:
        from hypothesis import strategies as st

        levels = sorted(rule.levels)
        events = st.lists(st.fixed_dictionaries(
            {"level": st.sampled_from(levels)},
            optional={"matter": st.sampled_from(["甲", "乙"])}), max_size=4)
        return st.one_of(st.dictionaries(st.sampled_from(levels), st.integers(0, 8)), events)

    def bump(self, rule: model.ByLevel, item: model.Item, value: Any) -> Any:
        if not isinstance(value, Mapping):
            return None
        level = sorted(rule.levels)[0]
        return {**value, level: value.get(level, 0) + 1}

    def describe(self, rule: model.ByLevel, item: model.Item, fact: Any, raw: Decimal,
                 lang: Lang) -> str:
        counts: dict[str, Decimal] = {}
        if isinstance(fact, list):  # events: counted per level (matters said by combine)
            for event in fact:
                level = event.get("level") if isinstance(event, Mapping) else None
                if level in rule.levels:
                    counts[level] = counts.get(level, ZERO) + 1
        elif isinstance(fact, Mapping):
            for level, n in fact.items():
                value = number_of(n)
                if level in rule.levels and value is not None and value > 0:
                    counts[level] = value
        else:
            return fact_words(fact, lang)
        if not counts:
            return say(lang, "无", "none")
        unit = say(lang, " 次", "")
        terms = [f"{level_word(k, lang)} {num(n)}{unit} × {num(rule.levels[k])}"
                 for k, n in counts.items()]
        if rule.combine == "highest":
            return say(lang, "取最高: ", "the highest: ") + " / ".join(
                f"{level_word(k, lang)} {num(rule.levels[k])}" for k in counts)
        text = " + ".join(terms)
        if rule.combine == "highest_per_matter" and isinstance(fact, list):
            text += say(lang, " (同一事项只计最高)", " (one matter counts once, at its highest)")
        return text


def _zero_policy(c: Columns, policy: str, top: Decimal, zero: Any, value: Any) -> Any:
    """zero_policy over columns: the units of ``zero`` get full marks or 0, or (not
    applicable) take the scalar path."""
    if policy == "full":
        return c.where(zero, c.const(top), value)
    if policy == "zero":
        return c.where(zero, c.const(ZERO), value)
    c.scalar(zero)
    return value


class Ratio(RuleKind[model.Ratio]):
    kind = "ratio"
    titles = Titles("按完成比例", "done / target")
    rule_model = model.Ratio
    more_is_more = True
    na_policy = "zero_target"

    def check(self, rule: model.Ratio, item: model.Item, value: Any) -> Any:
        if rule.target is not None:  # the scheme states the target: the fact is what was done
            return {"done": values.non_negative(value, "the number done, >= 0"),
                    "target": rule.target}
        pair = values.mapping(value, "{done: …, target: …}")
        values.known_keys(pair, ["done", "target"], "key")
        if "done" not in pair or "target" not in pair:
            raise values.FactProblem("GS403", f"expected both done and target, got "
                                     f"{values.show(value)}")
        return {"done": values.non_negative(pair["done"], "done >= 0"),
                "target": values.non_negative(pair["target"], "target >= 0")}

    def raw(self, rule: model.Ratio, item: model.Item, names: Mapping[str, object]) -> RawFn:
        top, policy = item.max, rule.zero_target

        def ratio(v: Any, _f: Mapping[str, Any]) -> Decimal | NotApplicableValue:
            done: Decimal = v["done"]
            target: Decimal = v["target"]
            if target == 0:
                return zero_policy(policy, top, "target is 0")
            return top * min(ONE, done / target)  # done beyond the target earns no more

        return ratio

    def vector_fact(self, rule: model.Ratio, item: model.Item) -> VectorFact:
        if rule.target is not None:
            return VectorFact("number", ZERO)
        return VectorFact("mapping", ZERO, keys=("done", "target"), required=True)

    def vector(self, rule: model.Ratio, item: model.Item, c: Columns, x: Any) -> Any:
        """max × done / target as an exact quotient (the item's rounding decides it); done at
        or beyond the target: max exactly; a target of 0: the policy (not applicable: the
        scalar path)."""
        top = c.const(item.max)
        done, target = (x, c.const(rule.target)) if rule.target is not None else \
            (x["done"], x["target"])
        zero = c.is_zero(target)
        safe = c.where(zero, c.const(ONE), target)
        # the Decimal path divides done by target, then multiplies by the max
        share = c.quotient(c.mul(done, item.max), safe, item.max, (done, safe))
        return _zero_policy(c, rule.zero_target, item.max, zero,
                            c.where(c.ge(done, target), top, share))

    def raw_range(self, rule: model.Ratio,
                  item: model.Item) -> tuple[Decimal | None, Decimal | None]:
        return ZERO, item.max

    def fact_shape(self, rule: model.Ratio, item: model.Item) -> str:
        return "amount" if rule.target is not None else self.kind

    def cells(self, rule: model.Ratio, item: model.Item) -> list[Cell]:
        if rule.target is not None:
            return [Cell(None, f"完成数 ≥ 0 (目标 {num(rule.target)})", decimal_cell(ZERO, None))]
        return [Cell("done", "完成数 ≥ 0", decimal_cell(ZERO, None), "完成"),
                Cell("target", "目标数 ≥ 0", decimal_cell(ZERO, None), "目标")]

    def strategy(self, rule: model.Ratio, item: model.Item) -> SearchStrategy[Any]:
        from hypothesis import strategies as st

        if rule.target is not None:
            return decimals(ZERO, rule.target * Decimal("1.2"), 1)
        return st.fixed_dictionaries({"done": decimals(ZERO, Decimal(120), 0),
                                      "target": decimals(ZERO, Decimal(100), 0)})

    def bump(self, rule: model.Ratio, item: model.Item, value: Any) -> Any:
        if rule.target is not None:
            return value + 1
        return {**value, "done": value["done"] + 1}

    def describe(self, rule: model.Ratio, item: model.Item, fact: Any, raw: Decimal,
                 lang: Lang) -> str:
        done = number_of(fact.get("done")) if isinstance(fact, Mapping) else None
        target = number_of(fact.get("target")) if isinstance(fact, Mapping) else None
        if done is None or target is None:
            return fact_words(fact, lang)
        top = num(item.max)
        if target == 0:
            return say(lang, f"目标为 0: {_POLICY_ZH[rule.zero_target]}",
                       f"target 0: {_POLICY_EN[rule.zero_target]}")
        if done >= target:
            return say(lang, f"完成 {num(done)} ≥ 目标 {num(target)}: 满分 {top}",
                       f"done {num(done)} ≥ target {num(target)}: full marks {top}")
        return say(lang, f"满分 {top} × 完成 {num(done)} / 目标 {num(target)}",
                   f"max {top} × done {num(done)} / target {num(target)}")


class Bands(RuleKind[model.Bands]):
    kind = "bands"
    counts_own_points = True
    titles = Titles("分段计分", "bands")
    rule_model = model.Bands

    def check(self, rule: model.Bands, item: model.Item, value: Any) -> Any:
        n = values.rate(value) if rule.rate else values.number(value)
        # (relative to a statistic, the band is known only once the statistic is: the bands
        # cover every difference, checked on the scheme)
        if rule.relative_to is None and rule.outside is None and band_for(rule.bands, n) is None:
            raise values.FactProblem("GS404", f"{n} lies in none of the item's bands")
        return n

    def fact_shape(self, rule: model.Bands, item: model.Item) -> str:
        return "rate" if rule.rate else "number"

    def raw(self, rule: model.Bands, item: model.Item, names: Mapping[str, object]) -> RawFn:
        bands, outside, relative_to = tuple(rule.bands), rule.outside, rule.relative_to

        def bands_fn(v: Any, facts: Mapping[str, Any]) -> Decimal:
            # against a statistic: the fact minus the statistic of the unit's scope
            band = band_for(bands, v if relative_to is None else v - facts[relative_to])
            if band is not None:
                return band.points
            assert outside is not None  # facts checking refuses a value in no band otherwise
            return outside

        return bands_fn

    def vector_fact(self, rule: model.Bands, item: model.Item) -> VectorFact:
        return VectorFact("number", ZERO, ONE) if rule.rate else VectorFact("number")

    def vector(self, rule: model.Bands, item: model.Item, c: Columns, x: Any) -> Any:
        """The first band the value lies in; a value in no band with no ``outside`` points is
        left to the scalar path (its check refuses it)."""
        out = c.const(rule.outside) if rule.outside is not None else c.const(ZERO)
        found = c.none()
        for band in rule.bands:
            inside = c.every()
            if band.gte is not None:
                inside = c.both(inside, c.ge(x, c.const(band.gte)))
            if band.gt is not None:
                inside = c.both(inside, c.gt(x, c.const(band.gt)))
            if band.lte is not None:
                inside = c.both(inside, c.ge(c.const(band.lte), x))
            if band.lt is not None:
                inside = c.both(inside, c.gt(c.const(band.lt), x))
            out = c.where(c.both(inside, c.negate(found)), c.const(band.points), out)
            found = c.either(found, inside)
        if rule.outside is None:
            c.scalar(c.negate(found))
        return out

    def raw_range(self, rule: model.Bands,
                  item: model.Item) -> tuple[Decimal | None, Decimal | None]:
        points = [b.points for b in rule.bands] + ([rule.outside] if rule.outside is not None
                                                   else [])
        return min(points), max(points)

    def problems(self, rule: model.Bands, item: model.Item, path: Path) -> Iterator[Diagnostic]:
        for j, band in enumerate(rule.bands):
            if band.points > item.max:
                yield Diagnostic("GS314", f"band gives {band.points}, above the item's max "
                                 f"{item.max}", path=(*path, "bands", j, "points"))
        domain = rule.domain if rule.domain is not None else (
            model.Bounds(gte=ZERO, lte=ONE) if rule.rate else model.Bounds(gte=ZERO))
        if rule.relative_to is not None:  # a difference from a statistic: any sign
            domain = model.Bounds()
            if rule.domain is not None:
                yield Diagnostic("GS316", "bands relative to a statistic read a difference, "
                                 "which may be any number: domain is not used here",
                                 path=(*path, "domain"))
        for d in values.band_problems(list(rule.bands), domain, "band", (*path, "bands")):
            if d.code == "GS307" and rule.outside is not None:
                continue  # a gap is what `outside` is for
            yield d

    def cells(self, rule: model.Bands, item: model.Item) -> list[Cell]:
        low: Decimal | None = None
        high: Decimal | None = None
        if rule.rate:
            low, high = ZERO, ONE
        if rule.domain is not None:
            low = rule.domain.gte if rule.domain.gte is not None else low
            high = rule.domain.lte if rule.domain.lte is not None else high
        return [Cell(None, ("比率 " if rule.rate else "") + span(low, high),
                     decimal_cell(low, high))]

    def strategy(self, rule: model.Bands, item: model.Item) -> SearchStrategy[Any]:
        from hypothesis import strategies as st

        candidates: set[Decimal] = set()
        for band in rule.bands:
            for bound in (band.gte, band.gt, band.lte, band.lt):
                if bound is not None:
                    candidates.update({bound, bound - Decimal("0.01"), bound + Decimal("0.01")})
        candidates.update({ZERO, ONE} if rule.rate else {ZERO, Decimal(100)})
        ok = sorted(v for v in candidates
                    if (not rule.rate or 0 <= v <= 1) and
                    (rule.outside is not None or rule.relative_to is not None
                     or band_for(rule.bands, v) is not None))
        return st.sampled_from(ok) if ok else st.just(ZERO)

    def describe(self, rule: model.Bands, item: model.Item, fact: Any, raw: Decimal,
                 lang: Lang) -> str:
        return self.describe_named(rule, item, fact, raw, lang, str)

    def describe_named(self, rule: model.Bands, item: model.Item, fact: Any, raw: Decimal,
                       lang: Lang, name: Callable[[str], str]) -> str:
        value = number_of(fact)
        if value is None:
            return fact_words(fact, lang)
        if rule.relative_to is not None:  # the statistic's value is on the sheet's own line
            stat = name(rule.relative_to)
            return say(lang, f"{num(value)} 与 {stat} 之差所在档: 得 {num(raw)}",
                       f"{num(value)} against {stat}: the band of the difference "
                       f"gives {num(raw)}")
        band = band_for(rule.bands, value)
        if band is None:
            return say(lang, f"{num(value)} 不在任何分档内: 得 {num(raw)}",
                       f"{num(value)} lies in no band: {num(raw)}")
        return say(lang, f"{num(value)} 在 {bounds_words(band, lang)} 档: 得 {num(band.points)}",
                   f"{num(value)} is in the band {bounds_words(band, lang)}: "
                   f"{num(band.points)}")


def band_for(bands: tuple[model.Band, ...] | list[model.Band], v: Decimal) -> model.Band | None:
    """The first band containing v."""
    for band in bands:
        if values.within(band, v):
            return band
    return None


def bounds_words(bounds: model.Bounds, lang: Lang) -> str:
    """An interval as a reader writes it: "≥ 80 且 < 90", "> 95"."""
    parts = [f"{op} {num(v)}" for op, v in (("≥", bounds.gte), (">", bounds.gt),
                                            ("≤", bounds.lte), ("<", bounds.lt)) if v is not None]
    return say(lang, " 且 ", " and ").join(parts) or say(lang, "任意值", "any value")


_POLICY_ZH = {"full": "按满分计", "zero": "按 0 分计", "not_applicable": "不适用"}
_POLICY_EN = {"full": "full marks", "zero": "0", "not_applicable": "not applicable"}


class Rating(RuleKind[model.Rating]):
    kind = "rating"
    titles = Titles("评价折算", "ratings converted")
    rule_model = model.Rating
    na_policy = "no_votes"

    def check(self, rule: model.Rating, item: model.Item, value: Any) -> Any:
        votes = values.mapping(value, "a mapping level → count")
        values.known_keys(votes, [*rule.values, *rule.excluded], "rating level")
        return {k: values.count(v) for k, v in votes.items()}

    def raw(self, rule: model.Rating, item: model.Item, names: Mapping[str, object]) -> RawFn:
        top = item.max
        table = dict(rule.values)
        satisfied = frozenset(rule.satisfied or ())
        full = rule.full if rule.full is not None else max(table.values())

        def fn(v: Any, _f: Mapping[str, Any]) -> Decimal | NotApplicableValue:
            votes: dict[str, int] = v
            counted = sum(n for k, n in votes.items() if k in table)
            if counted == 0:
                return zero_policy(rule.no_votes, top, "no votes")
            if rule.satisfied is not None:
                return top * Decimal(sum(n for k, n in votes.items() if k in satisfied)) / counted
            points = sum((table[k] * n for k, n in votes.items() if k in table), ZERO)
            if full == 0:
                return ZERO
            return top * points / (counted * full)

        return fn

    def vector_fact(self, rule: model.Rating, item: model.Item) -> VectorFact:
        return VectorFact("mapping", ZERO, keys=tuple(dict.fromkeys([*rule.values,
                                                                     *rule.excluded])),
                          as_int=True)

    def vector(self, rule: model.Rating, item: model.Item, c: Columns, x: Any) -> Any:
        """As ``raw``, the division an exact quotient the item's rounding decides: max ×
        satisfied / counted, or max × Σ votes × value / (counted × full); no counted votes:
        the policy (not applicable: the scalar path)."""
        top = item.max
        counted = c.sum([(x[k], 1) for k in rule.values])
        none = c.is_zero(counted)
        base = c.where(none, c.const(ONE), counted)
        if rule.satisfied is not None:
            share = c.sum([(x[k], 1) for k in dict.fromkeys(rule.satisfied)])
            value = c.quotient(c.mul(share, top), base, top)
        else:
            full = rule.full if rule.full is not None else max(rule.values.values())
            if full == 0:
                value = c.const(ZERO)
            else:
                points = c.sum([(c.mul(x[k], v), 1) for k, v in rule.values.items()])
                # at most max × highest / full: max itself when full ≥ the highest (GS315)
                highest = max(rule.values.values())
                value = c.quotient(c.mul(points, top), c.mul(base, full),
                                   top * (highest // full + 1))
        return _zero_policy(c, rule.no_votes, top, none, value)

    def raw_range(self, rule: model.Rating,
                  item: model.Item) -> tuple[Decimal | None, Decimal | None]:
        return ZERO, None  # a `full` below the highest value is refused (GS315): then ≤ max

    def problems(self, rule: model.Rating, item: model.Item, path: Path) -> Iterator[Diagnostic]:
        table = rule.values
        for key in ("satisfied", "excluded"):
            for j, level in enumerate(getattr(rule, key) or []):
                inside = level in table
                if inside != (key == "satisfied"):
                    what = "not a rated level" if key == "satisfied" else \
                        "also a rated level (excluded levels carry no value)"
                    yield Diagnostic("GS315", f"{key} level {level!r} is {what}",
                                     path=(*path, key, j))
        if rule.full is not None and rule.full < max(table.values()):
            yield Diagnostic("GS315", f"full {rule.full} is below the highest value",
                             path=(*path, "full"))

    def cells(self, rule: model.Rating, item: model.Item) -> list[Cell]:
        levels = [*rule.values, *(x for x in rule.excluded if x not in rule.values)]
        return [Cell(level, "票数 (整数 ≥ 0)" + ("; 不计入基数" if level in rule.excluded else ""),
                     COUNT_CELL, level) for level in levels]

    def strategy(self, rule: model.Rating, item: model.Item) -> SearchStrategy[Any]:
        from hypothesis import strategies as st

        levels = sorted([*rule.values, *rule.excluded])
        return st.fixed_dictionaries({k: st.integers(0, 40) for k in levels})

    def describe(self, rule: model.Rating, item: model.Item, fact: Any, raw: Decimal,
                 lang: Lang) -> str:
        if not isinstance(fact, Mapping):
            return fact_words(fact, lang)
        votes = {str(k): n for k, v in fact.items() if (n := number_of(v)) is not None}
        counted = [(k, n) for k, n in votes.items() if k in rule.values]
        excluded = sum((n for k, n in votes.items() if k not in rule.values), ZERO)
        base_n = sum((n for _, n in counted), ZERO)
        top = num(item.max)
        if base_n == 0:
            return say(lang, f"无有效评价: {_POLICY_ZH[rule.no_votes]}",
                       f"no counted votes: {_POLICY_EN[rule.no_votes]}")
        # the base: every vote, less the excluded ones when there are any
        every = base_n + excluded
        base = (say(lang, f"({num(every)} − {num(excluded)} 件不计)",
                    f"({num(every)} − {num(excluded)} not counted)") if excluded
                else num(base_n))
        if rule.satisfied is not None:
            good = [(k, n) for k, n in counted if k in rule.satisfied]
            share = " + ".join(f"{level_word(k, lang)} {num(n)}" for k, n in good) or "0"
            if len(good) > 1:
                share = f"({share})"
            return say(lang, f"满意率 = {share} / {base}; 满分 {top} × 满意率",
                       f"satisfied = {share} / {base}; max {top} × satisfied")
        full = rule.full if rule.full is not None else max(rule.values.values())
        points = " + ".join(f"{level_word(k, lang)} {num(n)} × {num(rule.values[k])}"
                            for k, n in counted if n)
        return say(lang, f"满分 {top} × ({points}) / ({base} × {num(full)})",
                   f"max {top} × ({points}) / ({base} × {num(full)})")


class Choice(RuleKind[model.Choice]):
    kind = "choice"
    counts_own_points = True
    titles = Titles("按档次取分", "one option of a table")
    rule_model = model.Choice

    def check(self, rule: model.Choice, item: model.Item, value: Any) -> Any:
        if not isinstance(value, str) or value not in rule.options:
            raise values.FactProblem("GS403", f"expected one of {', '.join(rule.options)}, "
                                     f"got {values.show(value)}")
        return value

    def raw(self, rule: model.Choice, item: model.Item, names: Mapping[str, object]) -> RawFn:
        options = dict(rule.options)
        return lambda v, _f: options[v]

    def raw_range(self, rule: model.Choice,
                  item: model.Item) -> tuple[Decimal | None, Decimal | None]:
        return min(rule.options.values()), max(rule.options.values())

    def problems(self, rule: model.Choice, item: model.Item, path: Path) -> Iterator[Diagnostic]:
        for name, value in rule.options.items():
            if value > item.max:
                yield Diagnostic("GS314", f"option {name!r} gives {value}, above the item's "
                                 f"max {item.max}", path=(*path, "options", name))

    def cells(self, rule: model.Choice, item: model.Item) -> list[Cell]:
        options = tuple(rule.options)
        return [Cell(None, "选一项: " + " / ".join(options), Validation("list", options=options))]

    def strategy(self, rule: model.Choice, item: model.Item) -> SearchStrategy[Any]:
        from hypothesis import strategies as st

        return st.sampled_from(sorted(rule.options))

    def describe(self, rule: model.Choice, item: model.Item, fact: Any, raw: Decimal,
                 lang: Lang) -> str:
        if isinstance(fact, str) and fact in rule.options:
            return say(lang, f"{fact}: 得 {num(rule.options[fact])}",
                       f"{fact}: {num(rule.options[fact])}")
        return fact_words(fact, lang)


def share_fraction(share: Decimal | str) -> Fraction:
    """A checklist share, exactly: a decimal, or a fraction written "1/3"."""
    return Fraction(share)  # exact for both: Fraction(Decimal) and Fraction("1/3")


class Checklist(RuleKind[model.Checklist]):
    kind = "checklist"
    titles = Titles("分项计分", "checklist")
    rule_model = model.Checklist
    more_is_more = True
    list_fact = True

    def check(self, rule: model.Checklist, item: model.Item, value: Any) -> Any:
        ids = [c.id for c in rule.criteria]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise values.FactProblem("GS403", f"expected a list of criterion ids, got "
                                     f"{values.show(value)}")
        values.known_keys(dict.fromkeys(value), ids, "criterion")
        if len(set(value)) != len(value):
            raise values.FactProblem("GS403", "a criterion is listed twice")
        return list(value)

    def raw(self, rule: model.Checklist, item: model.Item, names: Mapping[str, object]) -> RawFn:
        top = item.max
        shares = {c.id: c.share for c in rule.criteria if isinstance(c.share, Decimal)}
        if len(shares) == len(rule.criteria):  # decimals only: the v1 arithmetic, unchanged
            return lambda v, _f: top * sum((shares[c] for c in v), ZERO)
        # exact fractions ("1/3"): the shares met are added exactly, divided once at the end
        exact = {c.id: share_fraction(c.share) for c in rule.criteria}

        def checklist(v: Any, _f: Mapping[str, Any]) -> Decimal:
            met = sum((exact[c] for c in v), Fraction(0))
            return top * Decimal(met.numerator) / Decimal(met.denominator)

        return checklist

    def raw_range(self, rule: model.Checklist,
                  item: model.Item) -> tuple[Decimal | None, Decimal | None]:
        return ZERO, item.max  # shares sum to 1 (GS315)

    def problems(self, rule: model.Checklist, item: model.Item,
                 path: Path) -> Iterator[Diagnostic]:
        total = sum((share_fraction(c.share) for c in rule.criteria), Fraction(0))
        if total != 1:
            shown = sum((c.share for c in rule.criteria), ZERO) if all(
                isinstance(c.share, Decimal) for c in rule.criteria) else total
            yield Diagnostic("GS315", f"criteria shares sum to {shown}, not 1",
                             path=(*path, "criteria"))

    def cells(self, rule: model.Checklist, item: model.Item) -> list[Cell]:
        return []

    def strategy(self, rule: model.Checklist, item: model.Item) -> SearchStrategy[Any]:
        from hypothesis import strategies as st

        return st.lists(st.sampled_from([c.id for c in rule.criteria]), unique=True)

    def bump(self, rule: model.Checklist, item: model.Item, value: Any) -> Any:
        missing = [c.id for c in rule.criteria if c.id not in value]
        return [*value, missing[0]] if missing else None

    def describe(self, rule: model.Checklist, item: model.Item, fact: Any, raw: Decimal,
                 lang: Lang) -> str:
        if not isinstance(fact, list):
            return fact_words(fact, lang)
        met = [c for c in rule.criteria if c.id in fact]
        if not met:
            return say(lang, "未满足任何一项", "no criterion met")
        shares = " + ".join(f"{c.title} {num(c.share) if isinstance(c.share, Decimal) else c.share}"
                            for c in met)
        return say(lang, f"满分 {num(item.max)} × ({shares})",
                   f"max {num(item.max)} × ({shares})")


class Series(RuleKind[model.Series]):
    kind = "series"
    titles = Titles("按期汇总", "per-period values")
    rule_model = model.Series
    list_fact = True

    def check(self, rule: model.Series, item: model.Item, value: Any) -> Any:
        if not isinstance(value, list):
            raise values.FactProblem("GS403", f"expected a list of per-period values, got "
                                     f"{values.show(value)}")
        checked = [values.non_negative(v, "a period value >= 0") for v in value]
        for v in checked:
            if v > item.max:
                raise values.FactProblem("GS404", f"a period value {v} is above the item's max "
                                         f"{item.max}")
        if rule.periods is not None and len(checked) != rule.periods and (
                rule.missing == "error" or len(checked) > rule.periods):
            raise values.FactProblem("GS404", f"expected {rule.periods} period values, got "
                                     f"{len(checked)}")
        if not checked:
            raise values.FactProblem("GS404", "expected at least one period value")
        return checked

    def raw(self, rule: model.Series, item: model.Item, names: Mapping[str, object]) -> RawFn:
        aggregate = rule.aggregate

        def fn(v: Any, _f: Mapping[str, Any]) -> Decimal:
            seq: list[Decimal] = v
            if aggregate == "sum":
                return sum(seq, ZERO)
            if aggregate == "min":
                return min(seq)
            if aggregate == "max":
                return max(seq)
            return sum(seq, ZERO) / len(seq)

        return fn

    def raw_range(self, rule: model.Series,
                  item: model.Item) -> tuple[Decimal | None, Decimal | None]:
        return ZERO, None if rule.aggregate == "sum" else item.max

    def cells(self, rule: model.Series, item: model.Item) -> list[Cell]:
        return []

    def strategy(self, rule: model.Series, item: model.Item) -> SearchStrategy[Any]:
        from hypothesis import strategies as st

        top, n = item.max, rule.periods
        size = st.integers(1, 12) if n is None else (
            st.integers(1, n) if rule.missing == "mean_of_present" else st.just(n))
        return size.flatmap(lambda k: st.lists(decimals(ZERO, top), min_size=k, max_size=k))

    def describe(self, rule: model.Series, item: model.Item, fact: Any, raw: Decimal,
                 lang: Lang) -> str:
        seq = [number_of(v) for v in fact] if isinstance(fact, list) else []
        if not seq or any(v is None for v in seq):
            return fact_words(fact, lang)
        listed = "、".join(num(v) for v in seq if v is not None)
        words = {"sum": ("合计", "sum of"), "min": ("最低", "lowest of"),
                 "max": ("最高", "highest of"), "mean": ("平均", "mean of")}[rule.aggregate]
        return say(lang, f"{len(seq)} 期 {listed} {words[0]}",
                   f"{words[1]} {len(seq)} periods {listed}")


class RaterGroups(RuleKind[model.RaterGroups]):
    kind = "rater_groups"
    titles = Titles("多主体评议", "rater groups")
    rule_model = model.RaterGroups
    list_fact = True

    def check(self, rule: model.RaterGroups, item: model.Item, value: Any) -> Any:
        groups = values.mapping(value, "a mapping group → list of scores")
        values.known_keys(groups, [g.id for g in rule.groups], "rater group")
        out: dict[str, list[Decimal]] = {}
        for gid, scores in groups.items():
            if not isinstance(scores, list):
                raise values.FactProblem("GS403", f"group {gid!r}: expected a list of scores")
            checked = [values.non_negative(s, "a score >= 0") for s in scores]
            for s in checked:
                if s > rule.scale:
                    raise values.FactProblem("GS404", f"group {gid!r}: score {s} is above the "
                                             f"rating scale {rule.scale}")
            out[gid] = checked
        return out

    def raw(self, rule: model.RaterGroups, item: model.Item,
            names: Mapping[str, object]) -> RawFn:
        top, groups = item.max, tuple(rule.groups)

        def fn(v: Any, _f: Mapping[str, Any]) -> Decimal:
            present = [(g, v.get(g.id, [])) for g in groups]
            empty = [g.id for g, scores in present if not scores]
            weight_total = sum((g.weight for g, scores in present if scores), ZERO)
            if empty and (rule.empty_group == "error" or weight_total == 0):
                raise UnitProblem("GS404", f"{item.id}: no scores for rater group(s) "
                                  f"{', '.join(empty)}")
            total = ZERO
            for g, scores in present:
                if scores:
                    total += g.weight / weight_total * (sum(scores, ZERO) / len(scores))
            return top * total / rule.scale

        return fn

    def raw_range(self, rule: model.RaterGroups,
                  item: model.Item) -> tuple[Decimal | None, Decimal | None]:
        return ZERO, item.max

    def problems(self, rule: model.RaterGroups, item: model.Item,
                 path: Path) -> Iterator[Diagnostic]:
        total = sum((g.weight for g in rule.groups), ZERO)
        if total != 1:
            yield Diagnostic("GS309", f"rater group weights sum to {total}, not 1",
                             path=(*path, "groups"))
        for j, group in enumerate(rule.groups):
            if group.min_weight is not None and group.weight < group.min_weight:
                yield Diagnostic("GS313", f"rater group {group.id!r} has weight "
                                 f"{group.weight}, below its minimum {group.min_weight}",
                                 path=(*path, "groups", j, "weight"))

    def cells(self, rule: model.RaterGroups, item: model.Item) -> list[Cell]:
        return []

    def strategy(self, rule: model.RaterGroups, item: model.Item) -> SearchStrategy[Any]:
        from hypothesis import strategies as st

        # with reweight, the first group may have no raters (its weight goes to the others)
        first = 0 if rule.empty_group == "reweight" else 1
        return st.fixed_dictionaries({
            g.id: st.lists(decimals(ZERO, rule.scale, 0), min_size=first if i == 0 else 1,
                           max_size=5)
            for i, g in enumerate(rule.groups)})

    def describe(self, rule: model.RaterGroups, item: model.Item, fact: Any, raw: Decimal,
                 lang: Lang) -> str:
        if not isinstance(fact, Mapping):
            return fact_words(fact, lang)
        parts = []
        for group in rule.groups:
            scores = [n for v in fact.get(group.id) or [] if (n := number_of(v)) is not None]
            if scores:
                mean = " + ".join(num(v) for v in scores)
                if len(scores) > 1:
                    mean = f"({mean}) / {len(scores)}"
                parts.append(f"{group.title} {mean} × {num(group.weight)}")
        if not parts:
            return fact_words(fact, lang)
        return say(lang, f"满分 {num(item.max)} × ({' + '.join(parts)}) / {num(rule.scale)}",
                   f"max {num(item.max)} × ({' + '.join(parts)}) / {num(rule.scale)}")


__all__ = [
    "Bands",
    "ByLevel",
    "Checklist",
    "Choice",
    "RaterGroups",
    "Rating",
    "Ratio",
    "Series",
    "band_for",
]
