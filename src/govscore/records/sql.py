"""Declarations → plain SQL: one aggregation query per table, and one query for its bad rows.

Nothing the records file or an export says is pasted into SQL as a value: every value (a level,
an ``equals`` text, a unit id, the as-of day, a number of working days) is a named parameter
(``$p1``), and every identifier is a column the table declares, double-quoted (the language
forbids quotes and control characters in column names). The SQL text depends only on the
declarations' shape, so the query in a result's lineage is the one that ran.

The queries use only portable SQL (CTEs, ``CAST``/``TRY_CAST``, ``NULLIF``/``TRIM``, ``EXTRACT``,
``LEFT JOIN``, ``COUNT(*) FILTER (WHERE …)``, ``CASE``): they run as they are on DuckDB, and on
Spark SQL with the source replaced by a table and the ``$name`` parameters bound as ``:name``.
The source is the placeholder ``{source}``; :mod:`govscore.records.run` puts DuckDB's reader there.

Each row first gets its problem, if any (the first that applies, in this order): an empty or
unknown unit (GS805), a period, date or number that is not one (GS807), a level the fact does not
have (GS806), a deadline outside the calendar (GS808). Rows with a problem are counted in no fact
and reported with their file and row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from govscore.records import model
from govscore.records.declare import Declarations

SOURCE = "{source}"
"""Where the table's rows come from; the source must give the declared columns as text, plus
``govscore_file`` (which file) and ``govscore_row`` (the row in it, the header being row 1)."""

_GRAINS = {
    "month": "EXTRACT(MONTH FROM {d})",
    "quarter": "EXTRACT(QUARTER FROM {d})",
    "half_year": "CASE WHEN EXTRACT(MONTH FROM {d}) <= 6 THEN 1 ELSE 2 END",
    "year": "0",
    "once": "0",
}
_SQL_TYPES = {"date": "DATE", "timestamp": "TIMESTAMP", "integer": "BIGINT"}


def quote(name: str) -> str:
    """A declared column name as an SQL identifier (quotes doubled, although the language
    already forbids them)."""
    return '"' + name.replace('"', '""') + '"'


def typed(name: str) -> str:
    """The identifier of a column's typed value (its text is under its own name)."""
    return quote(f"{name}:typed")


@dataclass(frozen=True)
class Output:
    """One aggregate column of the query: what it counts."""

    alias: str
    measure: int
    """The measure's index in the records file's ``facts``."""
    fact: str
    part: str
    """``count``; a level of a count_by; ``done`` or ``target`` of a ratio; ``excluded``."""


@dataclass
class _Params:
    values: dict[str, object] = field(default_factory=dict)

    def add(self, value: object) -> str:
        name = f"p{len(self.values) + 1}"
        self.values[name] = value
        return f"${name}"


@dataclass(frozen=True)
class Query:
    """One table's aggregation and problem queries, with their parameters."""

    table: str
    sql: str
    """Per unit and period: the rows counted, the rows with a problem, and every measure of the
    table (one scan of the export). Groups of rejected rows only (an unknown unit, no period)
    have no rows counted."""
    problems_sql: str
    """Rows with a problem: file row, code, column, value (in file order; LIMIT is bound). Run
    only when the aggregation found some."""
    params: dict[str, object]
    outputs: tuple[Output, ...]
    columns: tuple[str, ...]
    """The declared columns the source must provide, as text."""


def _condition(cond: model.Condition, params: _Params, deadlines: dict[tuple[str, int, str], str],
               as_of: str) -> str:
    """One condition, never NULL (an empty cell makes ``x = $p`` unknown, and NOT unknown would
    drop the row from an exclusion's complement: SQL's three-valued logic)."""
    return f"COALESCE({_test(cond, params, deadlines, as_of)}, FALSE)"


def _test(cond: model.Condition, params: _Params, deadlines: dict[tuple[str, int, str], str],
          as_of: str) -> str:
    if cond.deadline is not None:
        d = cond.deadline
        due = deadlines[(d.start, d.working_days, d.done)]
        done = f"CAST({typed(d.done)} AS DATE)"
        late = f"({done} IS NOT NULL AND {done} > {due})"
        open_overdue = f"({done} IS NULL AND {due} < {as_of})"
        return {"on_time": f"({done} IS NOT NULL AND {done} <= {due})", "late": late,
                "open_overdue": open_overdue,
                "overdue": f"({late} OR {open_overdue})"}[d.status]
    assert cond.column is not None
    col = quote(cond.column)
    if cond.equals is not None:
        return f"{col} = {params.add(cond.equals)}"
    if cond.not_equals is not None:
        return f"({col} IS NULL OR {col} <> {params.add(cond.not_equals)})"
    if cond.in_ is not None:
        return f"{col} IN ({', '.join(params.add(v) for v in cond.in_)})"
    if cond.not_in is not None:
        return f"({col} IS NULL OR {col} NOT IN ({', '.join(params.add(v) for v in cond.not_in)}))"
    return f"{col} IS NULL" if cond.empty else f"{col} IS NOT NULL"


def _all(parts: Sequence[str]) -> str:
    return " AND ".join(parts) if parts else "TRUE"


def _any(parts: Sequence[str]) -> str:
    return "(" + " OR ".join(parts) + ")" if parts else "FALSE"


def _level(measure: model.Measure, params: _Params) -> str:
    """The count_by column's value recoded to the scheme's level (``levels``)."""
    assert measure.count_by is not None
    col = quote(measure.count_by)
    if not measure.levels:
        return col
    whens = " ".join(f"WHEN {params.add(k)} THEN {params.add(v)}" for k, v in measure.levels.items())
    return f"CASE {col} {whens} ELSE {col} END"


def compile_table(decl: Declarations, table_id: str, grain: str) -> Query:
    """The queries of one table, for a scheme assessed per ``grain`` (month, quarter …)."""
    table = decl.table(table_id)
    measures = decl.measures(table_id)
    params = _Params()
    columns = tuple(table.columns)
    unit = quote(table.unit)
    period = typed(table.period)
    as_of = "CAST($as_of AS DATE)"  # bound at run time: the command line's --as-of or as_of

    # 1. the declared columns as trimmed text, then their typed values
    texts = ",\n    ".join(f"NULLIF(TRIM(CAST({quote(c)} AS VARCHAR)), '') AS {quote(c)}"
                           for c in columns)
    typed_cols = [f"TRY_CAST({quote(c)} AS {_SQL_TYPES[t]}) AS {typed(c)}"
                  for c, t in table.columns.items() if t != "text"]

    # 2. every distinct deadline: the due day is the working day n after the start's place
    deadlines: dict[tuple[str, int, str], str] = {}
    joins: list[str] = []
    for measure in measures:
        for cond in (*measure.where, *measure.exclude, *(measure.ratio or [])):
            d = cond.deadline
            if d is None or (d.start, d.working_days, d.done) in deadlines:
                continue
            k = len(deadlines)
            deadlines[(d.start, d.working_days, d.done)] = f"govscore_due{k}"
            joins.append(
                f"LEFT JOIN govscore_calendar govscore_start{k} "
                f"ON govscore_start{k}.day = CAST({typed(d.start)} AS DATE)\n"
                f"  LEFT JOIN govscore_workdays govscore_due{k} "
                f"ON govscore_due{k}.seq = govscore_start{k}.seq + {params.add(d.working_days)}")

    # 3. each row's first problem
    problems: list[tuple[str, str, str, str]] = []  # (condition, code, column, value)
    problems.append((f"{unit} IS NULL OR {unit} NOT IN (SELECT unit FROM govscore_units)",  # noqa: S608
                     "GS805", table.unit, unit))
    for c, t in table.columns.items():
        if t != "text":
            problems.append((f"{quote(c)} IS NOT NULL AND {typed(c)} IS NULL", "GS807", c,
                             quote(c)))
    problems.append((f"{period} IS NULL", "GS807", table.period, quote(table.period)))
    # a measure's rows: where (all) and not exclude (any)
    filters = {m.fact: _all([_condition(c, params, deadlines, as_of) for c in m.where])
               for m in measures}
    exclusions = {m.fact: _any([_condition(c, params, deadlines, as_of) for c in m.exclude])
                  for m in measures}
    levels = {m.fact: _level(m, params) for m in measures if m.count_by is not None}
    for measure in measures:
        if measure.count_by is not None:
            known = ", ".join(params.add(level) for level in decl.levels[measure.fact])
            level = levels[measure.fact]
            problems.append((f"{filters[measure.fact]} AND NOT {exclusions[measure.fact]} AND "
                             f"({level} IS NULL OR {level} NOT IN ({known}))",
                             "GS806", measure.count_by, quote(measure.count_by)))
    for k, (start, _, _) in enumerate(deadlines):
        problems.append((f"{typed(start)} IS NOT NULL AND govscore_due{k} IS NULL", "GS808",
                         start, quote(start)))

    def cases(pick: int) -> str:
        """The CASE giving each row's problem code (1), its column (2) or the value (3)."""
        whens = "\n      ".join(
            f"WHEN {p[0]} THEN {p[3] if pick == len(p) - 1 else params.add(p[pick])}"
            for p in problems)
        return f"CASE\n      {whens}\n    END"

    # 4. the aggregates
    outputs: list[Output] = []
    aggregates: list[str] = []

    def agg(fact: str, part: str, condition: str) -> None:
        alias = f"m{len(outputs)}"
        outputs.append(Output(alias, decl.records.facts.index(measure), fact, part))
        aggregates.append(f"COUNT(*) FILTER (WHERE govscore_problem IS NULL AND {condition}) "
                          f"AS {alias}")

    for measure in measures:
        excluded = exclusions[measure.fact]
        kept = f"{filters[measure.fact]} AND NOT {excluded}"
        agg(measure.fact, "excluded", f"{filters[measure.fact]} AND {excluded}")
        if measure.count is not None:
            agg(measure.fact, "count", kept)
        elif measure.ratio is not None:
            agg(measure.fact, "target", kept)
            done = _all([_condition(c, params, deadlines, as_of) for c in measure.ratio])
            agg(measure.fact, "done", f"{kept} AND {done}")
        else:
            level = levels[measure.fact]
            for name in decl.levels[measure.fact]:
                agg(measure.fact, name, f"{kept} AND {level} = {params.add(name)}")

    grain_sql = _GRAINS[grain].format(d=period)
    typed_select = ",\n    ".join(["src.*", *typed_cols])
    checked = (
        f"WITH src AS (\n  SELECT\n    {texts},\n    govscore_file, govscore_row\n  FROM {SOURCE}\n),\n"
        f"typed AS (\n  SELECT\n    {typed_select}\n  FROM src\n),\n"
        f"dated AS (\n  SELECT\n    " + ",\n    ".join(
            ["typed.*", *(f"govscore_due{k}.day AS govscore_due{k}" for k in range(len(joins)))])
        + "\n  FROM typed\n  " + "\n  ".join(joins) + "\n),\n"
        f"checked AS (\n  SELECT\n    dated.*,\n"
        f"    EXTRACT(YEAR FROM {period}) AS govscore_year,\n"
        f"    {grain_sql} AS govscore_part,\n"
        f"    {cases(1)} AS govscore_problem,\n"
        f"    {cases(2)} AS govscore_problem_column,\n"
        f"    {cases(3)} AS govscore_problem_value\n"
        "  FROM dated\n)\n")
    body = ",\n  ".join(aggregates)
    sql = (checked
           + f"SELECT\n  {unit} AS govscore_unit, govscore_year, govscore_part,\n"
           f"  COUNT(*) FILTER (WHERE govscore_problem IS NULL) AS govscore_rows,\n"
           f"  COUNT(*) FILTER (WHERE govscore_problem IS NOT NULL) AS govscore_rejected,\n"
           f"  {body}\nFROM checked\nGROUP BY {unit}, govscore_year, govscore_part")
    problems_sql = (checked
                    + "SELECT govscore_file, govscore_row, govscore_problem, govscore_problem_column,\n"
                    "  CAST(govscore_problem_value AS VARCHAR) AS govscore_problem_value,\n"
                    "  COUNT(*) OVER () AS govscore_problems\n"
                    "FROM checked\nWHERE govscore_problem IS NOT NULL\n"
                    "ORDER BY govscore_file, govscore_row\nLIMIT $limit")
    return Query(table.id, sql, problems_sql, dict(params.values), tuple(outputs), columns)
