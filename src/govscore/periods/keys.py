"""Period keys: ``2022-03`` (month), ``2022-Q1`` (quarter), ``2022-H1`` (half year), ``2022``
(year), ``once``. One home for how a period is written, which days it spans, which period
follows it and which longer period holds it."""

from __future__ import annotations

import calendar
import datetime
import re
from dataclasses import dataclass

MONTHS = {"month": 1, "quarter": 3, "half_year": 6, "year": 12}

_PATTERNS = {
    "month": re.compile(r"(?<!\d)(\d{4})-(0[1-9]|1[0-2])(?![\d-])"),
    "quarter": re.compile(r"(?<!\d)(\d{4})-Q([1-4])(?!\d)"),
    "half_year": re.compile(r"(?<!\d)(\d{4})-H([12])(?!\d)"),
    "year": re.compile(r"(?<!\d)(\d{4})(?!\d|-\d|-Q|-H)"),
}


@dataclass(frozen=True, order=True)
class Period:
    """One period of a grain: ``year`` and ``part`` (the month, quarter or half; 1 for a year).
    Periods of one grain order by time."""

    grain: str
    year: int
    part: int

    def __str__(self) -> str:
        return key(self.grain, self.year, self.part)

    @property
    def index(self) -> int:
        """A running number: consecutive periods differ by 1 (December → January too)."""
        per_year = 12 // MONTHS[self.grain]
        return self.year * per_year + self.part - 1

    @property
    def first_month(self) -> tuple[int, int]:
        return self.year, (self.part - 1) * MONTHS[self.grain] + 1

    @property
    def last_month(self) -> tuple[int, int]:
        return self.year, self.part * MONTHS[self.grain]

    @property
    def first_day(self) -> datetime.date:
        return datetime.date(*self.first_month, 1)

    @property
    def last_day(self) -> datetime.date:
        year, month = self.last_month
        return datetime.date(year, month, calendar.monthrange(year, month)[1])

    def next(self) -> Period:
        return from_index(self.grain, self.index + 1)

    def within(self, grain: str) -> Period:
        """The longer period of ``grain`` that holds this one."""
        return of_month(grain, *self.first_month)

    def parts(self, grain: str) -> list[Period]:
        """The shorter periods of ``grain`` this one is made of, in order."""
        start = of_month(grain, *self.first_month)
        count = MONTHS[self.grain] // MONTHS[grain]
        return [from_index(grain, start.index + i) for i in range(count)]


def key(grain: str, year: int, part: int) -> str:
    if grain == "month":
        return f"{year:04d}-{part:02d}"
    if grain == "quarter":
        return f"{year:04d}-Q{part}"
    if grain == "half_year":
        return f"{year:04d}-H{part}"
    if grain == "once":
        return "once"
    return f"{year:04d}"


def from_index(grain: str, index: int) -> Period:
    per_year = 12 // MONTHS[grain]
    return Period(grain, index // per_year, index % per_year + 1)


def of_month(grain: str, year: int, month: int) -> Period:
    return Period(grain, year, (month - 1) // MONTHS[grain] + 1)


def of_day(grain: str, day: datetime.date) -> Period:
    return of_month(grain, day.year, day.month)


def parse(grain: str, text: str) -> Period | None:
    """The period ``text`` writes in ``grain`` (``2022-03`` for a month), or None."""
    pattern = _PATTERNS.get(grain)
    if pattern is None:
        return None
    found = pattern.fullmatch(text.strip())
    if found is None:
        return None
    part = int(found.group(2)) if grain != "year" else 1
    return Period(grain, int(found.group(1)), part)


def in_name(grain: str, name: str) -> Period | None:
    """The one period of ``grain`` written in a file name (``facts-2022-03.csv``), or None
    when it writes none or several different ones."""
    pattern = _PATTERNS.get(grain)
    if pattern is None:
        return None
    found = {m.group(0) for m in pattern.finditer(name)}
    if len(found) != 1:
        return None
    return parse(grain, found.pop())
