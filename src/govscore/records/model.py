"""The records language v1: how a scheme's facts are derived from record tables (pydantic models).

A records file is a companion of one scheme (``s5-jining.records.yaml`` beside
``s5-jining.yaml``). It names the exports an office has (one row per 好差评 rating, one row per
信访 case), the columns of each that may be used and their types, the unit roster, the holiday
calendar, and for each fact of the scheme the filter, exclusions and measure (a count, a count per
level, a ratio) that derive it, per unit and per period. The models describe what may be written;
they have no behaviour (compiling to SQL is :mod:`govscore.records.sql`).

Why a companion file and not a ``records:`` key in the scheme: the scheme is the published rule
(its numbers are the 考核细则's), the records file is the office's plumbing (its column names are
the export's, and change when the 好差评 system is upgraded). One scheme is fed by different
exports in different halls; the scheme validates, scores and tests without DuckDB or any export.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

RECORDS_VERSION = "1"


def _integral(value: object) -> object:
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)
    return value


Int = Annotated[int, BeforeValidator(_integral)]
Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^\s./:\[\]{}#]+$")]
ColumnName = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f\"`]+$",
                                  description="A column of the export, exactly as its header "
                                  "writes it (no control characters or quotes).")]
"""A column name is an identifier in the generated SQL: it is always quoted, may only be one the
table declares, and cannot hold a quote or a control character."""
Value = Annotated[str, Field(max_length=500)]
IsoDate = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$", description="YYYY-MM-DD")]
Year = Annotated[Int, Field(ge=1900, le=2999)]

MAX_LIST = 10_000
"""No list in a records file is longer (a roster of units, a list of values, holidays)."""


class RecordsModel(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, populate_by_name=False,
                              use_attribute_docstrings=True)


class Calendar(RecordsModel):
    """Working days for deadlines (15个工作日内整改到位): Monday to Friday, less ``holidays``,
    plus ``workdays`` (调休: a Saturday or Sunday worked to make up a holiday)."""

    years: list[Year] = Field(min_length=1, max_length=50)
    """The years the calendar covers. A deadline that starts or ends outside them is a record
    problem (the holidays of a year not declared are unknown), never a guess."""
    holidays: list[IsoDate] = Field(default=[], max_length=MAX_LIST)
    """Days off that would otherwise be working days (法定节假日)."""
    workdays: list[IsoDate] = Field(default=[], max_length=MAX_LIST)
    """Saturdays and Sundays that are working days (调休上班)."""


class Deadline(RecordsModel):
    """A deadline in working days: due on the ``working_days``-th working day after the day of
    ``start`` (the start day itself is not counted; a start on a day off counts from the next
    working day). ``done`` is the column with the day the matter was done (整改时间), empty while
    it is open."""

    start: ColumnName
    """The date or timestamp column the deadline runs from (评价时间, 受理时间)."""
    working_days: Annotated[Int, Field(ge=0, le=366)]
    done: ColumnName
    """The date or timestamp column of completion; empty when not done."""
    status: Literal["on_time", "overdue", "open_overdue", "late"]
    """Which rows the condition keeps. ``on_time``: done on or before the due day. ``late``: done
    after the due day. ``open_overdue``: not done and the due day is before the as-of day.
    ``overdue``: late or open_overdue (超期未整改 and 超期整改 alike)."""


class Condition(RecordsModel):
    """One test on a row. Give ``column`` with exactly one of ``equals``, ``not_equals``, ``in``,
    ``not_in``, ``empty``; or ``deadline`` alone. Values are compared as the export's text (after
    trimming spaces), and are always bound as query parameters."""

    column: ColumnName | None = None
    equals: Value | None = None
    not_equals: Value | None = None
    in_: list[Value] | None = Field(default=None, alias="in", min_length=1, max_length=MAX_LIST)
    """The value is one of these (written ``in``)."""
    not_in: list[Value] | None = Field(default=None, min_length=1, max_length=MAX_LIST)
    empty: bool | None = None
    """true: the cell is empty; false: it holds a value."""
    deadline: Deadline | None = None

    @model_validator(mode="after")
    def _one_test(self) -> Condition:
        tests = [name for name in ("equals", "not_equals", "in_", "not_in", "empty")
                 if getattr(self, name) is not None]
        if self.deadline is not None:
            if self.column is not None or tests:
                msg = "a deadline condition stands alone: no 'column' or value test beside it"
                raise ValueError(msg)
            return self
        if self.column is None:
            msg = "give 'column' with one test (equals, not_equals, in, not_in, empty) or 'deadline'"
            raise ValueError(msg)
        if len(tests) != 1:
            msg = "give exactly one of equals, not_equals, in, not_in, empty"
            raise ValueError(msg)
        return self


ColumnType = Literal["text", "date", "timestamp", "integer"]


class Table(RecordsModel):
    """One kind of export: which files it is, its columns, and which column names the unit and
    which dates the period."""

    id: Id
    title: str | None = Field(default=None, max_length=500)
    files: Annotated[str, Field(min_length=1, max_length=200)]
    """A file-name pattern (``*`` and ``?``) the exports of this table match, e.g.
    ``*好差评*.csv``. Every records file given must match a table; one export may feed several
    tables (the ratings per window and per staff member)."""
    columns: dict[ColumnName, ColumnType] = Field(min_length=1, max_length=200)
    """Every column the declarations may use, with its type. Only these are read; a file
    without one of them is refused. ``date`` and ``timestamp`` values that are not dates are
    reported row by row; ``integer`` likewise."""
    unit: ColumnName
    """The column holding the unit id (as the scheme or the roster spells it)."""
    period: ColumnName
    """The date or timestamp column that places a row in a period (评价时间, 登记时间)."""


class Measure(RecordsModel):
    """How one fact is derived from its table, per unit and period. Exactly one of ``count``,
    ``count_by`` or ``ratio``."""

    fact: Id
    """A fact of the scheme (an item's fact or an input)."""
    table: Id
    categories: list[Id] | None = Field(default=None, min_length=1, max_length=200)
    """Only units of these categories get the fact from this measure (default: every category
    the fact applies to). One fact may be derived by several measures for different categories:
    the window's 好差评 from the window column of the ratings, the staff's from the staff column."""
    where: list[Condition] = Field(default=[], max_length=50)
    """Rows kept: every condition holds (AND)."""
    exclude: list[Condition] = Field(default=[], max_length=50)
    """Rows left out: any condition holds (OR), e.g. matters that went to 诉讼, 仲裁 or 行政复议.
    The count of excluded rows is kept in the lineage."""
    count: Literal["rows"] | None = None
    """The number of rows kept (a whole number): per_occurrence, per_step, a count input."""
    count_by: ColumnName | None = None
    """The number of rows kept per value of this column (a mapping level → count): rating,
    by_level. The levels are the item's; a row whose value is not one of them (after
    ``levels``) is a record problem."""
    levels: dict[Value, Id] = Field(default={}, max_length=200)
    """Export value → the scheme's level, where the export spells them differently
    (``"5": 非常满意``). Values not listed must be the scheme's levels as they are."""
    ratio: list[Condition] | None = Field(default=None, min_length=1, max_length=50)
    """For a ratio item: ``target`` is the rows kept, ``done`` those that also meet these
    conditions (及时受理: done = accepted in time, target = received)."""

    @model_validator(mode="after")
    def _one_measure(self) -> Measure:
        given = [name for name in ("count", "count_by", "ratio") if getattr(self, name) is not None]
        if len(given) != 1:
            msg = "give exactly one measure: count: rows, count_by: COLUMN or ratio: [conditions]"
            raise ValueError(msg)
        if self.levels and self.count_by is None:
            msg = "'levels' recodes the values of count_by; give count_by"
            raise ValueError(msg)
        return self


class Records(RecordsModel):
    """A records file: the exports of one scheme and how each fact is derived from them."""

    govscore_records: Literal["1"]
    """The records language version; write "1" (quoted)."""
    scheme: Annotated[str, Field(min_length=1, max_length=500)]
    """The scheme file this derives facts for, relative to the records file."""
    as_of: IsoDate | None = None
    """The day the exports were taken: an open matter is overdue when its due day is before it.
    Needed when a deadline condition uses ``open_overdue`` or ``overdue`` (the command line's
    ``--as-of`` overrides it)."""
    units: dict[Id, list[Annotated[str, Field(min_length=1, max_length=500)]]] = Field(
        default={}, max_length=200)
    """Category id → the units of that category. Default: the members the scheme's categories
    name. A record for a unit in neither is reported, never dropped silently."""
    calendar: Calendar | None = None
    tables: list[Table] = Field(min_length=1, max_length=50)
    facts: list[Measure] = Field(min_length=1, max_length=500)

    @field_validator("units")
    @classmethod
    def _roster_size(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        if sum(len(v) for v in value.values()) > MAX_LIST * 10:
            msg = f"at most {MAX_LIST * 10} units"
            raise ValueError(msg)
        return value


