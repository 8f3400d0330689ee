"""The scheme language (versions 1 and 2) as pydantic models.

These models describe the domain and nothing else: no behaviour, no YAML positions (the loader keeps
those beside the models). They are strict: numbers must be real decimals (the loader builds them from
the scalar text), ``"5"`` is not a number, ``yes`` is not a boolean, and unknown keys are errors.

A scheme is a tree. Leaves are *items* (they carry a ``rule``); inner nodes are *groups* (they carry
``children``). Every node's value is bounded by ``0 <= value <= max``, except where the scheme
says otherwise: a ``signed`` item lies within its rule's ``min..max`` (below 0 allowed) and an
``unbounded`` item has no max (its ``max`` is infinite: :data:`UNBOUNDED`); a node with
``role: subtract`` is subtracted by its parent instead of added.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

LANGUAGE_VERSION = "2"
"""The newest scheme language version; a scheme declares the one it is written in (``govscore``).
Language 2 reads every language-1 scheme the same; what it adds is marked :data:`V2` below."""

LANGUAGE_VERSIONS = ("1", "2")


@dataclass(frozen=True)
class Since:
    """A mark on a key of the models: the key (or, with ``values``, some of its values) belongs
    to language ``version``. A scheme that declares an earlier version may not write it (GS346,
    ``scheme/version.py``); the reference shows the mark."""

    version: str
    values: Callable[[object], bool] | None = None
    """Only the values for which this is true are new (``partial: started_steps``); None: any."""
    what: str = ""
    """The new values in words, for the message and the reference (``started_steps``)."""


V2 = Since("2")
"""A key of language 2 (issue 11: say what real schemes say, without workarounds)."""
STARTED_STEPS = Since("2", lambda v: v == "started_steps", "started_steps")
FRACTION_TEXT = Since("2", lambda v: isinstance(v, str), 'an exact fraction ("1/3")')
STRUCTURED = Since("2", lambda v: isinstance(v, (dict, list)), "a mapping or a list ({}, [])")


def _integral(value: object) -> object:
    """Accept a decimal with an integral value where an integer is expected (the loader makes
    every number a Decimal); everything else is left for the strict int check to reject."""
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)
    return value


def _finite(value: object) -> object:
    if isinstance(value, Decimal) and not value.is_finite():
        msg = "NaN and infinity are not numbers a scheme can use"
        raise ValueError(msg)
    return value


# In JSON Schema a Num is a plain number with its bounds (schema.py writes them as JSON Schema)
Num = Annotated[Decimal, BeforeValidator(_finite)]
NonNeg = Annotated[Num, Field(ge=0)]
Pos = Annotated[Num, Field(gt=0)]
Fraction = Annotated[Num, Field(ge=0, le=1)]
Int = Annotated[int, BeforeValidator(_integral)]
NonNegInt = Annotated[Int, Field(ge=0)]

ID_PATTERN = r"^[^\s./:\[\]{}#]+$"
Id = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=ID_PATTERN,
        description="An identifier: no spaces, dots, slashes, colons, brackets or '#'. "
        "Chinese is fine.",
    ),
]
Title = Annotated[str, Field(min_length=1, max_length=500)]
Text = Annotated[str, Field(max_length=5000)]
Expr = Annotated[
    str,
    Field(min_length=1, max_length=2000, description="A formula (see the formula reference)."),
]
def _calendar_date(text: str) -> str:
    """A YYYY-MM-DD text that is a real date (2024-13-45 and 2023-02-29 are not)."""
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        msg = f"{text} is not a date in the calendar (YYYY-MM-DD)"
        raise ValueError(msg) from None
    return text


IsoDate = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$", description="YYYY-MM-DD"),
                    AfterValidator(_calendar_date)]


class Model(BaseModel):
    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        frozen=True,
        populate_by_name=False,
        use_attribute_docstrings=True,
    )


# --------------------------------------------------------------------------------------------
# metadata


class Source(Model):
    """Where the rules come from."""

    document: Title
    """The published document's title, as published."""
    issuer: Title | None = None
    """Who issued it (发文机关)."""
    number: str | None = None
    """Its document number (文号), e.g. 宜府办函〔2006〕174号."""
    date: IsoDate | None = None
    """The date the document was issued (YYYY-MM-DD)."""
    url: str | None = None
    """Where the published text can be read."""
    note: Text | None = None
    """Anything a reader should know about the source (a mirror, a missing annex)."""


class Effective(Model):
    """The period in which the scheme applies."""

    start: IsoDate = Field(alias="from")
    """First day the scheme applies (written `from`)."""
    until: IsoDate | None = None
    """Last day the scheme applies, if it ends."""


class Precision(Model):
    """Where and how scores are rounded: item scores and the final total (and outputs) are rounded
    to ``places`` decimal places; nothing in between is."""

    places: Annotated[NonNegInt, Field(le=6)] = 2
    """Decimal places of item scores, totals and outputs (0..6)."""
    rounding: Literal["half_up", "half_even"] = "half_up"
    """half_up is 四舍五入; half_even is banker's rounding."""


class Assumption(Model):
    """A number or reading the source text does not give, stated so that readers can see it."""

    id: Id
    text: Text
    """What is assumed and why."""
    affects: list[Id] = []
    """Ids of the nodes, inputs, vetoes or awards this assumption decides."""


class Category(Model):
    """A kind of unit (考核类别): units of one category share an item set and a ranking."""

    id: Id
    title: Title
    members: list[Title] = []
    """Units named in the source text, if it names them."""


class Tier(Model):
    """A tier (圈层): units ranked and given quotas together."""

    id: Id
    title: Title
    members: list[Title] = []


class Input(Model):
    """A fact that is not an item's own value: a count used by a modifier, a veto flag, a
    tie-breaker attribute, a weight for a conversion, a formula variable."""

    id: Id
    title: Title
    type: Literal["flag", "count", "number", "rate", "text"]
    """flag: true/false; count: whole number >= 0; number: any decimal in [min, max];
    rate: decimal in 0..1; text: a string."""
    min: Num | None = None
    """Smallest value a unit may give (count and number inputs)."""
    max: Num | None = None
    """Largest value a unit may give (count and number inputs)."""
    default: Num | bool | str | None = None
    """Used when a unit's facts do not give this input; without a default it is required."""
    assessor: Title | None = None
    """Who supplies this input (an office, a system)."""
    clause: Text | None = None
    """Where in the source text the input is defined."""
    applies_to: list[Id] | None = None
    """Categories whose units must supply this input (default: all)."""


# --------------------------------------------------------------------------------------------
# comparisons used by bands, thresholds and conditions


class Bounds(Model):
    """An interval with explicit inclusive (gte/lte) or exclusive (gt/lt) ends; omit an end for
    an open interval."""

    gte: Num | None = None
    """Lower end, included (以上, 不低于): value >= gte."""
    gt: Num | None = None
    """Lower end, excluded (高于, 超过): value > gt."""
    lte: Num | None = None
    """Upper end, included (以下, 不超过): value <= lte."""
    lt: Num | None = None
    """Upper end, excluded (低于, 不足): value < lt."""

    @model_validator(mode="after")
    def _one_of_each_end(self) -> Bounds:
        if self.gte is not None and self.gt is not None:
            msg = "give either gte (>=) or gt (>) for the lower end, not both"
            raise ValueError(msg)
        if self.lte is not None and self.lt is not None:
            msg = "give either lte (<=) or lt (<) for the upper end, not both"
            raise ValueError(msg)
        return self


class Band(Bounds):
    """One row of a step table: if the value lies in the interval, the item scores ``points``."""

    points: NonNeg
    """Points for a value inside this band."""


class GradeBand(Bounds):
    """A grade for totals inside the interval."""

    grade: Title
    """The grade's name (优秀, 良好, 合格, 不合格)."""


# --------------------------------------------------------------------------------------------
# rule kinds (what an item's fact is turned into)


class PassFail(Model):
    """Full ``points`` (default: the item's max) when the fact is true, ``fail_points`` otherwise.
    Fact: true or false."""

    kind: Literal["pass_fail"]
    points: NonNeg | None = None
    """Points when the fact is true (default: the item's max)."""
    fail_points: NonNeg = Decimal(0)
    """Points when the fact is false."""


class Manual(Model):
    """An assessor's discretionary value inside a range (扣1–3分, 加1–4分, 酌情). Fact: a number.
    0 is always allowed ("nothing happened") unless ``zero_allowed`` is false."""

    kind: Literal["manual"]
    min: NonNeg
    """Smallest value when something happened (the 1 of 扣1–3分)."""
    max: NonNeg
    """Largest value (the 3 of 扣1–3分); at most the item's max."""
    step: Pos | None = None
    """If given, the value must be a whole multiple of step (e.g. 0.5)."""
    zero_allowed: bool = True
    """Whether 0 ("nothing happened") is allowed besides min..max."""


class PerOccurrence(Model):
    """``count × per`` (每次/每项/每篇). Fact: a whole number >= 0."""

    kind: Literal["per_occurrence"]
    per: Pos
    """Points per occurrence (每次加0.5分, 每项扣2分)."""
    free: NonNegInt = 0
    """Occurrences that cost or earn nothing (e.g. the first one)."""


class ByLevel(Model):
    """Occurrences valued by level (city 0.5 / province 1 / national 1.5). Fact: a mapping
    level → count, or a list of events ``{level, matter}``.

    combine: ``sum`` adds every occurrence; ``highest`` takes only the highest value among the
    levels that occurred (同类取最高); ``highest_per_matter`` takes the highest value per matter
    and adds the matters (同一事项按最高级别计一次)."""

    kind: Literal["by_level"]
    levels: dict[Id, NonNeg] = Field(min_length=1)
    """Level name → points per occurrence (city: 0.5, province: 1, national: 1.5)."""
    combine: Literal["sum", "highest", "highest_per_matter"] = "sum"


class PerStep(Model):
    """``floor(amount / step) × points`` (每50万元加1分): only whole steps count. Fact: an
    amount >= 0."""

    kind: Literal["per_step"]
    step: Pos
    """The size of one step of the amount (500000 for 每50万元)."""
    points: Pos
    """Points per whole step."""
    unit: str | None = None
    """What the amount is measured in (元, 篇, 人次) — for reports only."""


ZeroPolicy = Literal["full", "zero", "not_applicable"]


class Ratio(Model):
    """``max × min(1, done / target)`` (按比例, 未完成的按比例扣分). Fact: ``{done, target}``, or
    only the number done when the scheme states the target (``target``)."""

    kind: Literal["ratio"]
    zero_target: ZeroPolicy = "full"
    """What a target of 0 gives: full marks, zero, or not applicable (rescaled away)."""
    target: Annotated[Pos | None, V2] = None
    """The target when the text states it (全年完成12篇): units then supply only the number
    done (a number >= 0)."""


class Rate(Model):
    """``max × rate`` (按比例折算). Fact: a rate in 0..1."""

    kind: Literal["rate"]


class Shortfall(Model):
    """Full marks at or above ``target``; below it, ``per`` points off for every ``step`` of
    shortfall (达标得满分, 每低一个百分点扣X分). Fact: a rate in 0..1.

    ``partial: proportional`` charges part-steps proportionally (89.5% → 0.5 point off at
    step 1%); ``whole_steps`` charges only whole steps (floor); ``started_steps`` charges every
    step begun (每低5%扣0.5分, 不足5%按5%计: ceiling)."""

    kind: Literal["shortfall"]
    target: Fraction
    per: Pos
    step: Annotated[Num, Field(gt=0, le=1)] = Decimal("0.01")
    partial: Annotated[Literal["proportional", "whole_steps", "started_steps"], STARTED_STEPS] = \
        "proportional"


class PerMissing(Model):
    """``max − per × missing``, where missing = required − done (每季度一次常务会, 少一次扣0.5分;
    班子成员轮流接待, 缺一个领导扣0.5分): full marks when nothing is missing, ``per`` points off
    for every ``step`` missing, never below 0 (扣完为止). Fact: ``{required, done}``, or only the
    number done when the scheme states ``required``. Done beyond the required earns nothing.

    ``partial`` says what a part of a step costs (only with ``step`` above 1 or amounts):
    ``proportional`` in proportion, ``whole_steps`` nothing (floor), ``started_steps`` a whole
    step (不足一档按一档计: ceiling)."""

    kind: Annotated[Literal["per_missing"], V2]
    per: Pos
    """Points off per missing one (per ``step`` missing): the 0.5 of 少一次扣0.5分."""
    required: NonNeg | None = None
    """The required count when the text states it (每季度一次: 4 a year): units then supply
    only the number done."""
    step: Pos = Decimal(1)
    """How many missing cost ``per`` (每少10万元扣1分: 10 with amounts in 万元)."""
    partial: Literal["proportional", "whole_steps", "started_steps"] = "proportional"
    amount: bool = False
    """false: required and done are whole counts (次, 个, 人); true: amounts (万元, 亩)."""


class Bands(Model):
    """A step table: the first band containing the fact's value gives the points. Fact: a number.
    Bands must not overlap; gaps are errors unless ``outside`` says what a value in no band gets."""

    kind: Literal["bands"]
    bands: list[Band] = Field(min_length=1)
    domain: Bounds | None = None
    """Values the fact can take; bands must cover it without gaps. Default: 0..+inf, or 0..1
    when ``rate`` is true."""
    rate: bool = False
    """The fact is a rate in 0..1."""
    outside: NonNeg | None = None
    """Points for a value in no band; if omitted, gaps are a scheme error."""
    relative_to: Annotated[Id | None, V2] = None
    """A statistic (``statistics``): the bands are read against the fact minus the statistic
    of the unit's scope (高于同类单位平均值的得满分: ``{gt: 0, points: …}``). The bands then
    cover every difference, below 0 too (no ``domain``)."""


class Rating(Model):
    """Votes or ratings converted to points (满意/基本满意/不满意; 好差评 five levels). Fact: a
    mapping level → count (excluded levels may appear and are left out of the base).

    With ``satisfied`` given: ``max × (votes in satisfied levels) / (counted votes)`` (满意率).
    Otherwise: ``max × Σ votes × value / (counted votes × full)`` where ``full`` defaults to the
    highest value (得票折算)."""

    kind: Literal["rating"]
    values: dict[Id, NonNeg] = Field(min_length=1)
    """Rated level → value (满意: 100, 基本满意: 60, 不满意: 0; or 10/8/6/3/0)."""
    satisfied: list[Id] | None = None
    """Levels that count as satisfied: the item is then max × satisfied / counted (满意率)."""
    full: Pos | None = None
    """The value that means full marks (default: the highest value)."""
    excluded: list[Id] = []
    """Levels counted in the facts but left out of the denominator (诉讼、仲裁、行政复议)."""
    no_votes: ZeroPolicy = "not_applicable"
    """What a unit with no counted votes gets: full marks, zero, or not applicable (which needs a
    group above with not_applicable: rescale)."""


class Choice(Model):
    """One option picked from a table (优秀-一档 → 100 …). Fact: the option's name."""

    kind: Literal["choice"]
    options: dict[Title, NonNeg] = Field(min_length=1)


ShareText = Annotated[str, Field(pattern=r"^[1-9][0-9]{0,5}/[1-9][0-9]{0,5}$",
                                  description='An exact fraction such as "1/3".')]


class Criterion(Model):
    """One criterion of a checklist and its share of the item."""

    id: Id
    title: Title
    share: Annotated[Annotated[Num, Field(gt=0, le=1)] | ShareText, FRACTION_TEXT]
    """Fraction of the item's max earned when the criterion is met: a decimal (0.25) or an exact
    fraction written as text ("1/3"), for shares a decimal cannot hold; shares add up exactly."""


class Checklist(Model):
    """Partial credit: ``max × Σ share`` of the criteria met (分项得分). Fact: a list of the ids
    of criteria met. Shares must sum to 1."""

    kind: Literal["checklist"]
    criteria: list[Criterion] = Field(min_length=1)


class Series(Model):
    """Per-period values (months, quarters) aggregated into one (年终取12个月平均). Fact: a list of
    numbers, each within 0..the item's max."""

    kind: Literal["series"]
    aggregate: Literal["mean", "sum", "min", "max"] = "mean"
    periods: Annotated[Int, Field(ge=1, le=366)] | None = None
    """How many periods are expected; if given, a different count is a facts error unless
    ``missing`` says otherwise."""
    missing: Literal["error", "mean_of_present"] = "error"


class RaterGroup(Model):
    """One group of raters in a 360-degree evaluation."""

    id: Id
    title: Title
    weight: NonNeg
    """The group's weight; the groups' weights sum to 1."""
    min_weight: Fraction | None = None
    """A floor the weight must respect (信访: the public's share >= 40%), checked by the validator."""


class RaterGroups(Model):
    """360-degree rating: ``Σ weight_g × mean(scores from group g)`` (多主体评议). Fact: a mapping
    group → list of scores, each within 0..``scale``; the result is scaled to the item's max."""

    kind: Literal["rater_groups"]
    groups: list[RaterGroup] = Field(min_length=1)
    scale: Pos = Decimal(100)
    """The scale raters score on."""
    empty_group: Literal["error", "reweight"] = "error"
    """A group with no raters: an error, or its weight spread proportionally over the others."""


PopulationScope = Literal["all", "tier", "category"]


class RelativeToBest(Model):
    """``value / best × max`` (与第一名比值计分). Needs every unit: scored in the population phase.
    Fact: a number >= 0."""

    kind: Literal["relative_to_best"]
    scope: PopulationScope = "all"
    of: Annotated[Id | None, V2] = None
    """Compare a computed node's value (a group's sub-total, another item's score) instead of
    a fact of the item's own: the item then has no fact, and the node is scored for every unit
    first (population phases, ordered automatically)."""
    lower_is_better: bool = False
    """If true, ``best / value × max`` (the smallest value is best)."""
    zero_best: Literal["full", "zero"] = "zero"
    """What everyone scores when the best value is 0."""


class RankPoints(Model):
    """Points by rank of the fact's value (名次赋分). Needs every unit: scored in the population
    phase. Either ``step`` (first gets max, each place lower ``step`` less) or ``last`` (first gets
    max, last gets ``last``, evenly spaced). Tied units share the better rank and its points."""

    kind: Literal["rank_points"]
    scope: PopulationScope = "all"
    of: Annotated[Id | None, V2] = None
    """Rank a computed node's value (1.21–1.23 之和排名: a group's sub-total) instead of a fact of
    the item's own: the item then has no fact, and the node is scored for every unit first
    (population phases, ordered automatically)."""
    step: Pos | None = None
    last: NonNeg | None = None
    lower_is_better: bool = False

    @model_validator(mode="after")
    def _step_or_last(self) -> RankPoints:
        if (self.step is None) == (self.last is None):
            msg = "give exactly one of step or last"
            raise ValueError(msg)
        return self


class TableColumn(Model):
    """One of the two facts a decision table reads."""

    id: Id
    """The key of this value in the unit's fact (``{rate: 0.92, satisfaction: 0.96}``)."""
    title: Title
    rate: bool = False
    """The value is a rate in 0..1."""
    domain: Bounds | None = None
    """Values it can take (default: 0..+inf, or 0..1 for a rate); the rows must cover every
    pair of values in the two domains unless ``outside`` says what a pair in no row gets."""


class TableRow(Model):
    """One row of a decision table: when both values lie in their intervals, the item scores
    ``points``. A column the row does not name matches any value."""

    when: dict[Id, Bounds]
    """Column id → the interval its value must lie in."""
    points: NonNeg


class Table(Model):
    """Points by two facts at once (完成率90%以上且满意率95%以上得10分 …): a small decision table
    whose rows must neither overlap nor leave a pair of values uncovered (GS307, GS308). Fact: a
    mapping of the two columns' ids to numbers."""

    kind: Annotated[Literal["table"], V2]
    columns: list[TableColumn] = Field(min_length=2, max_length=2)
    rows: list[TableRow] = Field(min_length=1, max_length=16)
    outside: NonNeg | None = None
    """Points for a pair of values in no row; if omitted, an uncovered pair is a scheme error."""


class Signed(Model):
    """An item that adds or subtracts within declared bounds (上升加1分、下降扣1分; 酌情 −0.5..+2).
    Fact: a number within ``min``..``max``; the item's value is that number, so it may be below
    0 and it is bounded by ``min``..the item's max instead of 0..max."""

    kind: Annotated[Literal["signed"], V2]
    min: Num
    """The most the item can take away, as a negative number (the −0.5 of −0.5..+2)."""
    max: Num
    """The most the item can add (the 2 of −0.5..+2); at most the item's max."""
    step: Pos | None = None
    """If given, the value must be a whole multiple of step (1 for ±1 in whole points)."""


class Formula(Model):
    """A safe formula over declared inputs and ``params`` (for what the kinds do not cover). The
    result is bounded to 0..max like every item."""

    kind: Literal["formula"]
    formula: Expr


Rule = Annotated[
    Union[
        PassFail,
        Manual,
        PerOccurrence,
        ByLevel,
        PerStep,
        Ratio,
        Rate,
        Shortfall,
        PerMissing,
        Bands,
        Rating,
        Choice,
        Checklist,
        Series,
        RaterGroups,
        RelativeToBest,
        RankPoints,
        Signed,
        Table,
        Formula,
    ],
    Field(discriminator="kind"),
]



# --------------------------------------------------------------------------------------------
# item modifiers


class CountStep(Model):
    """One step of an on_count modifier."""

    at_least: Annotated[Int, Field(ge=1)]
    """The step applies from this count on (2 for 2件次以上(含2件次))."""
    factor: Fraction
    """Multiply the item's score by this (0 → the item scores nothing; 0.5 → halved)."""
    ineligible: bool = False
    """The unit also loses award eligibility (取消评先评优资格)."""


class OnCount(Model):
    """Scale the item's score by a count in another input: the step with the highest
    ``at_least`` reached applies (S1: 2+ complaints → 0; 1 → half and no award)."""

    kind: Literal["on_count"]
    input: Id
    steps: list[CountStep] = Field(min_length=1)


class FactorIf(Model):
    """Multiply the rule's raw amount (points earned, or points lost for a ``from_full`` item)
    when a flag input is true or the unit is in one of the categories (加倍扣分)."""

    kind: Literal["factor_if"]
    factor: Annotated[Num, Field(ge=0, le=100)]
    input: Id | None = None
    categories: list[Id] | None = None

    @model_validator(mode="after")
    def _one_condition(self) -> FactorIf:
        if (self.input is None) == (self.categories is None):
            msg = "give exactly one of input or categories"
            raise ValueError(msg)
        return self


class Requires(Model):
    """No evidence, no points: the item scores 0 unless the flag input is true (无表彰文件不加分)."""

    kind: Literal["requires"]
    input: Id


Modifier = Annotated[Union[OnCount, FactorIf, Requires], Field(discriminator="kind")]


# --------------------------------------------------------------------------------------------
# nodes


class Gate(Model):
    """The group counts only when another node's value meets the bound (加分 only above 80)."""

    node: Id
    """The node whose value opens the gate."""
    gte: Num | None = None
    """Open when the node's value is at least this."""
    gt: Num | None = None
    """Open when the node's value is above this (高于80分: exactly 80 stays closed)."""

    @model_validator(mode="after")
    def _one_bound(self) -> Gate:
        if (self.gte is None) == (self.gt is None):
            msg = "give exactly one of gte (>=) or gt (>)"
            raise ValueError(msg)
        return self


class Limit(Model):
    """The node's value may not exceed ``factor ×`` another node's value (同一单位减分总数不超过加分总数)."""

    at_most: Id
    """The node whose value bounds this one."""
    factor: Pos = Decimal(1)
    """Multiple of that node's value allowed (1: not more than it)."""


class _Node(Model):
    id: Id
    title: Title
    clause: Text | None = None
    """Where in the source text this node comes from (第九条(四), 附件2 一(一)1)."""
    role: Literal["add", "subtract"] = "add"
    """subtract: the parent subtracts this node's value (a deduction)."""
    applies_to: list[Id] | None = None
    """Category ids whose units have this node (default: all)."""
    units: Annotated[Annotated[list[Title], Field(min_length=1)] | None, V2] = None
    """Names of the units that have this node (default: every unit of the categories it
    applies to): a 湖长制 item for the one town with a lake, a department's own part beside a
    common block. Like ``applies_to`` it holds for everything under the node, and a node applies
    to a unit only where its own ``units`` and every group's above it name the unit **and** its
    category applies. Names are checked against the units the scheme's categories and tiers list
    (GS341). For a unit it does not apply to, the node is left out as for another category:
    maxima and rescaling count only the nodes that apply to that unit."""
    weight: NonNeg | None = None
    """The node's weight in a parent with ``combine: weighted``; the weights of a group's
    children must sum to 1 (GS309)."""
    outside_total: bool = False
    """Computed and reported, but not added into the parent (奖励加分不计入百分考核)."""
    note: Text | None = None
    """Anything a reader of the scheme should know about this node."""


UNBOUNDED = Decimal("Infinity")
"""The max of an item declared ``unbounded`` (不设上限): every comparison with it is false."""


class _Unbounded:
    """The max the loader gives an item written with ``unbounded: true`` and no max."""


def _item_max(value: object) -> object:
    return UNBOUNDED if isinstance(value, _Unbounded) else _finite(value)


ItemMax = Annotated[Decimal, Field(ge=0, allow_inf_nan=True), BeforeValidator(_item_max)]


class Item(_Node):
    """A leaf: one fact turned into points by its rule."""

    max: ItemMax
    """The item's full marks; the item's value is always within 0..max (a ``signed`` item's:
    its rule's min..max). Omit it only with ``unbounded: true``."""
    unbounded: Annotated[bool, V2] = False
    """No maximum (不设上限: awards and penalties outside the 100): write ``unbounded: true``
    instead of ``max``. The rule's amount is not capped, a group that adds the item has no
    maximum unless it has a ``cap``, and the validator notes it (GS333). Only a kind that counts
    its own points can be unbounded (per_occurrence, per_step, by_level, manual, signed, bands,
    table, choice, formula)."""
    rule: Rule
    fact: Id | None = None
    """The fact name units supply for this item (default: the item's id)."""
    reads: Annotated[Id | None, V2] = None
    """Read the fact of another item instead of a fact of its own (one fact, several items: a
    quota item and its overflow bonus both read the count of 线索). The fact is supplied once,
    must be valid for both rules, and follows the other item's default, exemptions and
    not-applicable marking."""
    assessor: Title | None = None
    """Who supplies the item's number (省委办公厅, 统计局 …)."""
    from_full: bool = False
    """Start from full marks and take the rule's amount away (扣分制, 扣完为止)."""
    modifiers: list[Modifier] = []
    optional: bool = False
    """Units may mark the item not applicable; the parent group must say how (``not_applicable``)."""
    not_applicable_score: Annotated[Id | None, V2] = None
    """A statistic of this item (``of`` the item's id) that a unit marking the item not
    applicable scores instead (无新进人员的按同类单位平均得分计); needs ``optional: true``."""
    exemptions: list[Title] = []
    """Reasons that exempt the unit from this item's loss (不可抗力): an exempt item scores as if
    nothing was lost (full marks, or 0 for a deduction)."""
    default: Annotated[Num | bool | dict[Id, Num] | list[Num | Id] | None, STRUCTURED] = None
    """A value used when a unit's facts do not give this item: a number or true/false, or an
    empty (or filled) mapping or list for a structured fact (``{}`` for 无表彰: no occurrence at
    any level; ``[]`` for no criterion met). The validator checks it against the rule (GS335)."""

    @model_validator(mode="before")
    @classmethod
    def _unbounded_instead_of_max(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("unbounded") is True:
            if "max" in data:
                msg = "give max or unbounded: true, not both (unbounded means no max)"
                raise ValueError(msg)
            return {**data, "max": _Unbounded()}
        return data


class Group(_Node):
    """An inner node: combines its children, then applies cap, floor, gate and limit."""

    children: list[Node] = Field(min_length=1)
    max: NonNeg | None = None
    """Declared full marks (checked against the children's max)."""
    published_max: Annotated[NonNeg | None, V2] = None
    """The maximum as the source document prints it (a section headed 60分 whose items add up to
    50; a bonus heading +10 over items capped at 7), kept as published when it differs from what
    the children give. The children's maximum governs the arithmetic; the validator warns with
    both numbers (GS332) and explanations show the effective maximum. Give it instead of
    ``max``."""
    combine: Literal["sum", "weighted", "highest"] = "sum"
    """sum: add children (subtract those with role subtract); weighted: Σ weight × value;
    highest: the largest child (就高不重复计算)."""
    cap: NonNeg | None = None
    """Upper bound of the group's value (加分累计不超过20分)."""
    floor: Num = Decimal(0)
    """Lower bound of the group's value: 0 unless the scheme says otherwise (a section cannot
    lose more than it has: 扣完为止). Set a negative floor where a net score may go below 0."""
    scale_to: Pos | None = None
    """Convert the group's value from its max to this scale (value / max × scale_to)."""
    not_applicable: Literal["error", "rescale"] = "error"
    """When optional children are not applicable: ``rescale`` scales the applicable children's sum
    up to the group's full max (× max / applicable max)."""
    none_applicable: Literal["error", "full", "zero", "not_applicable"] = "error"
    """When no child applies to a unit (every survey without votes, every item marked not
    applicable): ``error`` rejects the unit with a diagnostic naming the group (nothing disappears
    silently); ``full`` gives the group its full marks, ``zero`` gives it 0; ``not_applicable``
    makes the group itself not applicable, so that a group above it with ``not_applicable:
    rescale`` rescales its points away."""
    gate: Gate | None = None
    """Count the group only when another node's value meets a bound."""
    limit: Limit | None = None
    """Bound the group by another node's value (减分不超过加分)."""
    requires: Annotated[Id | None, V2] = None
    """A flag input: no item under this group (children, grandchildren …) scores unless it is
    true, as if each item had the modifier ``requires`` (未提供书面材料的该项不得分)."""


def _node_tag(value: Any) -> str | None:
    if isinstance(value, dict):
        if "children" in value:
            return "group"
        if "rule" in value:
            return "item"
        return None
    if isinstance(value, Group):
        return "group"
    if isinstance(value, Item):
        return "item"
    return None


Node = Annotated[
    Union[Annotated[Item, Tag("item")], Annotated[Group, Tag("group")]],
    Discriminator(
        _node_tag,
        custom_error_type="node_kind",
        custom_error_message="a node needs either 'rule' (an item) or 'children' (a group)",
    ),
]
Group.model_rebuild()


# --------------------------------------------------------------------------------------------
# vetoes, outputs, population rules


class Condition(Model):
    """True when an input reaches ``at_least`` (a count or number) or is true (a flag), or when
    ``formula`` is true (it may use inputs, params, node ids and ``total``)."""

    input: Id | None = None
    at_least: Num | None = None
    formula: Expr | None = None

    @model_validator(mode="after")
    def _input_or_formula(self) -> Condition:
        if (self.input is None) == (self.formula is None):
            msg = "give exactly one of input or formula"
            raise ValueError(msg)
        if self.formula is not None and self.at_least is not None:
            msg = "at_least goes with input, not with formula"
            raise ValueError(msg)
        return self


class Veto(Model):
    """一票否决. The computed score stays visible in the result whatever the effect.

    effect: ``no_award`` — the unit cannot receive any award; ``grade`` — the grade is forced to
    ``grade``; ``grade_cap`` — the grade is at most ``grade``; ``score`` — the total is replaced
    by ``score`` (and no award). When several fire, the harshest forced grade and the harshest
    cap decide (a cap holds over a forced grade), whatever order the vetoes are written in."""

    id: Id
    title: Title
    clause: Text | None = None
    """Where in the source text the veto is stated."""
    when: Condition
    """When the veto fires."""
    applies_to: Annotated[list[Id] | None, V2] = None
    """Category ids whose units the veto applies to (default: all)."""
    effect: Literal["no_award", "grade", "grade_cap", "score"]
    grade: Title | None = None
    """The grade forced (effect grade) or the best grade allowed (effect grade_cap)."""
    score: NonNeg | None = None
    """The total that replaces the computed one (effect score, e.g. 59)."""

    @model_validator(mode="after")
    def _effect_needs(self) -> Veto:
        if self.effect in ("grade", "grade_cap") and self.grade is None:
            msg = f"effect {self.effect!r} needs grade"
            raise ValueError(msg)
        if self.effect == "score" and self.score is None:
            msg = "effect 'score' needs score"
            raise ValueError(msg)
        return self


class Output(Model):
    """A value derived from the result, reported beside it and rounded like the total.

    ``convert``: total / ``from_scale`` × weight, where the weight is ``weight`` or the unit's
    ``weight_input`` (按比例汇总折算计入年度目标考核). ``formula``: any formula over inputs, params,
    node ids and ``total`` (绩效工资浮动, 奖金)."""

    id: Id
    title: Title
    kind: Literal["convert", "formula"]
    """convert: total / from_scale × weight; formula: any formula."""
    applies_to: list[Id] | None = None
    """Category ids whose units get this output (default: all)."""
    from_scale: Pos | None = None
    """The scale of the total (100 for 百分制)."""
    weight: NonNeg | None = None
    """The weight in the target assessment, the same for every unit."""
    weight_input: Id | None = None
    """An input giving each unit's weight."""
    formula: Expr | None = None
    """The formula (kind formula); it may use inputs, params, node ids, total and earlier
    outputs."""
    unit: str | None = None
    """What the value is measured in (分, 元)."""

    @model_validator(mode="after")
    def _kind_needs(self) -> Output:
        if self.kind == "convert":
            if self.from_scale is None:
                msg = "convert needs from_scale"
                raise ValueError(msg)
            if (self.weight is None) == (self.weight_input is None):
                msg = "convert needs exactly one of weight or weight_input"
                raise ValueError(msg)
        elif self.formula is None:
            msg = "formula needs formula"
            raise ValueError(msg)
        return self


class TieBreaker(Model):
    """Order units with equal totals by a node's value or an input (higher first unless
    ``order: asc``)."""

    node: Id | None = None
    """Break ties by this node's value."""
    input: Id | None = None
    """Break ties by this input (任务较重的优先)."""
    order: Literal["desc", "asc"] = "desc"
    """desc: higher first; asc: lower first."""

    @model_validator(mode="after")
    def _node_or_input(self) -> TieBreaker:
        if (self.node is None) == (self.input is None):
            msg = "give exactly one of node or input"
            raise ValueError(msg)
        return self


Scope = Literal["all", "tier", "category"]


class Ranking(Model):
    """How units are ranked: by total (or a node), highest first, inside each scope; ties after
    the tie-breakers share a rank (1, 2, 2, 4)."""

    scope: Scope = "all"
    by: Id | None = None
    """Rank by this node's value instead of the total."""
    tie_breakers: list[TieBreaker] = []


class GradeQuota(Model):
    """At most ``share`` of the units in each scope may hold ``grade``; units beyond the quota
    fall to ``fallback``."""

    grade: Title
    share: Num
    """In (0, 1]; checked by the validator (GS311)."""
    fallback: Title
    scope: Scope = "all"
    rounding: Literal["floor", "ceil", "half_up"] = "floor"


class Grades(Model):
    """Grades by score bands (and optionally quotas on a grade). Bands must not overlap and must
    cover every total without gaps."""

    bands: list[GradeBand] = Field(min_length=1)
    quotas: list[GradeQuota] = []


class Eligibility(Model):
    """Conditions a unit must meet to receive an award, besides having no veto and no lost
    eligibility."""

    min_total: Num | None = None
    """The total must reach this."""
    grades: list[Title] | None = None
    """Only units with one of these grades qualify."""


class Award(Model):
    """An award with a quota per scope (每圈层评选优秀的比例不超过30%; 前6名; 红黑榜).

    The number of places is ``floor(share × units in scope)`` (or ``count``), never exceeded.
    Vetoed and ineligible units never receive it and use no place. When a tie straddles the last
    place, ``on_tie: report`` leaves the tied units undecided for a human; ``include_all`` gives
    it to all of them (相同分数排名不分先后; lists such as 红榜 only)."""

    id: Id
    title: Title
    scope: Scope = "all"
    """Where places are counted: over all units, per tier or per category."""
    categories: list[Id] | None = None
    """Only units of these categories compete and count toward the quota (红旗窗口 among
    windows, 服务标兵 among staff); default: all."""
    share: Num | None = None
    """In (0, 1]; checked by the validator (GS311)."""
    count: Annotated[Int, Field(ge=1)] | None = None
    """A fixed number of places per scope (前6名) instead of a share."""
    rounding: Literal["floor", "ceil", "half_up"] = "floor"
    """How share × units becomes a whole number of places."""
    from_end: Literal["top", "bottom"] = "top"
    """bottom: the list starts from the lowest totals (黑榜, 约谈)."""
    eligibility: Eligibility | None = None
    on_tie: Literal["report", "include_all"] = "report"
    """report: a tie straddling the last place is left for a human; include_all: all tied
    units get it (lists only)."""
    clause: Text | None = None

    @model_validator(mode="after")
    def _share_or_count(self) -> Award:
        if (self.share is None) == (self.count is None):
            msg = "give exactly one of share or count"
            raise ValueError(msg)
        return self


# --------------------------------------------------------------------------------------------
# periods: roll-ups over sub-periods, results of other schemes as inputs, history rules
# (scored by govscore.periods; a scheme without these keys is scored one period at a time)

Missing = Literal["error", "zero", "mean_of_present"]


class Rollup(Model):
    """The results of the scheme's periods combined into a longer period (月度成绩 → 季度、年度).

    The values of the sub-periods (every month of the quarter or year) are combined by
    ``aggregate``. A sub-period without a result for the unit (no facts that month, or the unit
    was rejected) is ``missing``: ``error`` — the unit gets no roll-up and is reported; ``zero``
    — it counts as 0; ``mean_of_present`` — it counts as the mean of the present ones. With
    ``best: n`` only the n highest values (after filling) are combined (best n of m). The result
    is rounded once, at the end, to ``precision`` (default: the scheme's)."""

    id: Id
    title: Title
    period: Literal["quarter", "half_year", "year"]
    """The longer period: it must be longer than the scheme's own ``period``."""
    value: Id | None = None
    """The node or output whose per-period values are combined (default: the total)."""
    aggregate: Literal["mean", "sum", "last", "min", "max"] = "mean"
    """mean, sum, last (the last sub-period's value), min or max of the sub-periods."""
    best: Annotated[Int, Field(ge=1)] | None = None
    """Keep only the n highest sub-period values before combining (best n of m)."""
    missing: Missing = "error"
    """What a sub-period without a result means."""
    precision: Precision | None = None
    """Rounding of the rolled-up value (default: the scheme's precision)."""
    grades: Grades | None = None
    """Grades of the rolled-up value (default: the scheme's grades)."""
    awards: list[Award] = []
    """Awards given on the rolled-up value (季度红旗窗口, the year's awards), with the scheme's
    ranking scope and tie-breakers (a tie-breaker node is rolled up the same way)."""
    clause: Text | None = None


class Link(Model):
    """Other units whose results a unit takes: a relation the run file lists (this unit → the
    source's units), and the share each of them contributes."""

    relation: Id
    """A relation of the run file's ``relations`` (分管, 承办, 协办)."""
    share: Annotated[Num, Field(gt=0, le=1)] = Decimal(1)
    """Each linked unit's value is multiplied by this (承办 0.6, 协办 0.4)."""
    divide: bool = False
    """true: the share is divided equally among this unit's units of the relation (two 协办
    units bear 0.2 each); false: each bears the whole share."""


class Use(Model):
    """An input of this scheme taken from another scheme's results in the same run (a
    sub-assessment's total, a node, a grade; other units' results). The source scheme is scored
    first; schemes that use each other in a cycle are refused."""

    input: Id
    """The input of this scheme that receives the value (declared under ``inputs``)."""
    scheme: Id
    """The id of the source scheme (one of the run's schemes)."""
    value: Id = "total"
    """``total``, ``grade``, or a node or output id of the source scheme."""
    rollup: Id | None = None
    """Take the source's roll-up of this id (a monthly source feeding a yearly scheme)."""
    map: dict[Title, Num] | None = None
    """With ``value: grade``: grade → number (A级 → 1 加分); a grade not listed gives ``otherwise``."""
    otherwise: Num | None = None
    """The number for a grade ``map`` does not list; without it such a grade is an error."""
    over: list[Link] | None = Field(default=None, min_length=1)
    """Take other units' values through relations (the mean of the units a leader oversees; a
    shared target's deduction split 承办/协办) instead of the same unit's."""
    combine: Literal["mean", "sum"] = "mean"
    """How the linked units' (share-weighted) values are combined."""
    missing: Missing = "error"
    """A source unit without a result (rejected, absent): ``error`` — this unit is rejected and
    the source named; ``zero`` — it counts 0; ``mean_of_present`` (with ``over``) — it counts as
    the mean of the present ones."""
    clause: Text | None = None


class StreakWhen(Model):
    """The condition a period's result must meet; exactly one key."""

    bottom: Annotated[Int, Field(ge=1)] | None = None
    """Among the last n of the ranking scope (排名落后)."""
    grades: list[Title] | None = Field(default=None, min_length=1)
    """The grade is one of these."""
    below: Num | None = None
    """The total is below this (strictly)."""
    award: Id | None = None
    """The unit received this award (连续3年通报表扬)."""

    @model_validator(mode="after")
    def _exactly_one(self) -> StreakWhen:
        given = [k for k in ("bottom", "grades", "below", "award") if getattr(self, k) is not None]
        if len(given) != 1:
            msg = "give exactly one of bottom, grades, below, award"
            raise ValueError(msg)
        return self


class Streak(Model):
    """A consequence after ``periods`` consecutive periods meeting ``when`` (连续2个月排名落后的窗口
    约谈). A period without a result for the unit — no facts, rejected, or not in the run —
    breaks the streak. The consequence is listed in every period where the streak has reached
    ``periods`` (with ``reset: true`` the count starts again after it fires)."""

    kind: Literal["streak"]
    id: Id
    title: Title
    periods: Annotated[Int, Field(ge=2, le=100)]
    when: StreakWhen
    reset: bool = False
    clause: Text | None = None


class Lateness(Model):
    """Lateness counted in whole months (每推迟1个月到位扣10分): the events of this rule give the
    day a unit completed the task; ``into`` (a count input, or the fact of a per_occurrence or
    per_step item) receives, in each period, the
    months from ``due`` to the month it was done, or — while it is not done — to the period's
    last month. Done by the end of the due month: 0."""

    kind: Literal["lateness"]
    id: Id
    title: Title
    due: Annotated[str, Field(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM")]
    """The month the task is due (5月份 … 到位)."""
    into: Id
    """The count input or item fact receiving the months late."""
    clause: Text | None = None


class CarryOver(Model):
    """Events (an award, a commendation) counted in the period they are for, or — when issued
    after that period's assessment closed — in the period they were issued in, exactly once
    (2012年2月以后对2011年工作的表彰, 2011年考核未加分的, 列入2012年度加分)."""

    kind: Literal["carry_over"]
    id: Id
    title: Title
    closes_after_days: Annotated[Int, Field(ge=0, le=366)] = 0
    """The period's assessment closes this many days after the period ends; an event issued
    by then is counted in the period it is for."""
    into: Id
    """The fact receiving the events of the period: a count (their number), or a by_level
    item's list of ``{level, matter}`` (the event's value is the level, its id the matter)."""
    clause: Text | None = None


class LedgerCap(Model):
    """A cap on the points gained (never on points lost) per calendar year and/or month."""

    types: list[Id] | None = Field(default=None, min_length=1)
    """The event types the cap covers (default: all)."""
    per_year: NonNeg | None = None
    """每年最多加 N 分."""
    per_month: NonNeg | None = None
    """每月最多加 N 分."""


class Demotion(Model):
    """An event type that demotes directly (降B级) while it is in force: it sets a flag input
    that a veto with ``effect: grade_cap`` (or ``grade``) turns into the grade."""

    type: Id
    input: Id
    """The flag input set true."""


class Ledger(Model):
    """A points ledger (信用积分): events add or subtract points in date order; gains are cut to
    the caps; an entry stops counting ``expires_after_months`` months after its date. ``into``
    receives the balance at the end of each period."""

    kind: Literal["ledger"]
    id: Id
    title: Title
    start: Num = Decimal(0)
    """The opening balance."""
    into: Id
    """The number input receiving the balance."""
    caps: list[LedgerCap] = []
    expires_after_months: Annotated[Int, Field(ge=1, le=1200)] | None = None
    demotions: list[Demotion] = []
    clause: Text | None = None


HistoryRule = Annotated[
    Union[
        Annotated[Streak, Tag("streak")],
        Annotated[Lateness, Tag("lateness")],
        Annotated[CarryOver, Tag("carry_over")],
        Annotated[Ledger, Tag("ledger")],
    ],
    Discriminator("kind"),
]


class Statistic(Model):
    """A cohort statistic (同类单位平均值): the mean, median, max or min of an input or a node's
    value over the units of the unit's scope, computed over all units before anyone's score
    needs it. Formulas (items, vetoes, outputs) name it by its id (高于同类单位平均值的得满分:
    ``max if x > 同类平均 else 0``); an optional item may score it when a unit marks the item
    not applicable (``not_applicable_score``: 无新进人员的按同类单位平均得分计).

    Units for which the input or node has no value (an item or group not applicable to them, a
    category it does not apply to) are left out; a scope with no such unit has no statistic, and
    a unit that needs it is rejected (GS412)."""

    id: Id
    title: Title
    of: Id
    """What is summarised: an input (count, number or rate), a node's value (an item's or a
    group's id: its score), or an item's numeric fact by the name its ``fact`` gives it."""
    function: Literal["mean", "median", "max", "min"]
    """mean: the sum over the count (平均值); median: the middle value, or the mean of the two
    middle values; max and min: the highest and the lowest."""
    scope: PopulationScope = "all"
    """Over which units: all, the unit's tier, or the unit's category (同类单位)."""
    clause: Text | None = None
    """Where in the source text the statistic is named."""


class Scheme(Model):
    """A whole assessment scheme (考核细则)."""

    govscore: Literal["1", "2"]
    """The scheme language version, quoted: "2" for a scheme that uses anything language 2 adds
    (the keys marked *language 2* in this reference), else "1" or "2" (language 2 scores every
    language-1 scheme the same)."""
    id: Id
    title: Title
    """The title as published."""
    source: Source
    """The published document the scheme transcribes."""
    version: Annotated[str, Field(min_length=1, max_length=64)]
    """The scheme file's own version (quote it: "2024.1")."""
    effective: Effective | None = None
    """When the scheme applies."""
    period: Literal["year", "half_year", "quarter", "month", "once"] = "year"
    """How often units are assessed."""
    precision: Precision = Precision()
    """Decimal places and rounding mode (default: 2 places, half-up)."""
    assumptions: list[Assumption] = []
    """Every number or reading the source text does not give."""
    categories: list[Category] = []
    """Kinds of unit with their own item sets and rankings."""
    tiers: list[Tier] = []
    """Tiers (圈层) for rankings and quotas."""
    inputs: list[Input] = []
    """Facts that are not items' own values."""
    params: dict[Id, Num] = {}
    """Named constants formulas may use."""
    statistics: Annotated[list[Statistic], V2] = []
    """Cohort statistics (平均值, 中位数, 最高, 最低) of an input or a node over a scope."""
    score: Group
    """The tree of sections, groups and items; its value is the unit's total."""
    vetoes: list[Veto] = []
    """一票否决 rules."""
    outputs: list[Output] = []
    """Values derived from the total (conversions, pay)."""
    ranking: Ranking = Ranking()
    """How units are ranked."""
    grades: Grades | None = None
    """Grades by bands (and quotas)."""
    awards: list[Award] = []
    """Awards and lists with their quotas."""
    rollups: list[Rollup] = []
    """Roll-ups of the periods' results into longer periods (govscore.periods)."""
    uses: list[Use] = []
    """Inputs taken from other schemes' results in a run (govscore.periods)."""
    history: list[HistoryRule] = []
    """Rules over the periods of a run: streaks, lateness, carry-over, ledgers."""

    @field_validator("id")
    @classmethod
    def _lowercase_ascii_id(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", value):
            msg = "a scheme id is lowercase ASCII letters, digits, '-' and '_'"
            raise ValueError(msg)
        return value


def iter_nodes(node: Item | Group) -> list[Item | Group]:
    """Every node of a tree, parents before children."""
    out: list[Item | Group] = [node]
    if isinstance(node, Group):
        for child in node.children:
            out.extend(iter_nodes(child))
    return out
