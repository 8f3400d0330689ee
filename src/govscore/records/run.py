"""Run the compiled queries on DuckDB over the exports: facts per period, their lineage, and every
record that could not be counted (with its file and row).

DuckDB is the optional extra ``govscore[records]``; it is imported here only. It reads CSV and
Parquet itself, streaming, with a memory limit and a spill directory, so a province's year of
ratings aggregates on one machine. An ``.xlsx`` export is first copied row by row (openpyxl,
read-only) into a temporary CSV, and a CSV that is not UTF-8 (GB18030 from Chinese Excel) is
re-encoded the same way. Counts come back as integers (BIGINT): no binary float is involved.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import fnmatch
import hashlib
import importlib
import re
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govscore.errors import Diagnostic, FactsFileError, Span, UsageError
from govscore.inputs import tables
from govscore.periods import keys
from govscore.records import model, sql
from govscore.records.declare import Declarations

MAX_PROBLEMS = 200
"""At most this many bad records are listed per table (the total is always given)."""
MEMORY_LIMIT = "1GB"
"""DuckDB's memory limit by default; past it, DuckDB spills to a temporary folder."""
_PROBLEM_WORDS = {
    "GS805": "record for a unit the scheme does not know",
    "GS806": "record with a level the fact does not have",
    "GS807": "record with a value that is not a date or number",
    "GS808": "record whose deadline falls outside the calendar",
}
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_MAX_SHOWN = 80  # characters of a cell shown in a message


@dataclass(frozen=True)
class SourceFile:
    """One export as read: its path, its table, its checksum and its rows."""

    path: str
    table: str
    sha256: str
    rows: int = 0


@dataclass
class Derived:
    """What a run over the exports gives."""

    periods: dict[str, list[dict[str, Any]]]
    """Period key (``2022-10``, ``2022-Q4``, ``2022-H2``, ``2022``) → unit entries, every unit
    of the roster, in roster order."""
    lineage: dict[str, Any]
    """``queries``: each table's SQL, parameters and files (with their sha256 and rows);
    ``facts``: period → unit → fact → ``{table, rows, excluded}``."""
    problems: list[Diagnostic] = field(default_factory=list)
    """Every record not counted, with its file, row and column (at most MAX_PROBLEMS per table;
    the totals are in ``rejected``)."""
    rows: int = 0
    """Records read, over every export."""
    rejected: int = 0
    """Records not counted because of a problem (rows = counted or filtered out + rejected)."""

    def period(self, key: str | None) -> tuple[str, list[dict[str, Any]]]:
        """One period's unit entries: ``key``, or the only period there is."""
        if key is None:
            if len(self.periods) != 1:
                found = ", ".join(sorted(self.periods)) or "none"
                raise UsageError("GS804", f"the records cover {len(self.periods)} periods "
                                 f"({found}); choose one with --period")
            key = next(iter(self.periods))
        if key not in self.periods:
            found = ", ".join(sorted(self.periods)) or "none"
            raise UsageError("GS804", f"no records in period {key!r}; found {found}")
        return key, self.periods[key]

    def lineage_of(self, key: str) -> dict[str, Any]:
        """The lineage of one period: the queries and that period's facts."""
        return {"queries": self.lineage["queries"], "period": key,
                "facts": self.lineage["facts"].get(key, {})}




def _duckdb() -> Any:
    try:
        import duckdb
    except ImportError:
        raise UsageError("GS804", "facts from records need DuckDB: pip install "
                         "'govscore[records]'") from None
    return duckdb


def _match(decl: Declarations, files: Sequence[Path]) -> dict[str, list[Path]]:
    by_table: dict[str, list[Path]] = {t.id: [] for t in decl.records.tables}
    problems: list[Diagnostic] = []
    for path in files:
        hits = [t.id for t in decl.records.tables if fnmatch.fnmatch(path.name, t.files)]
        if not hits:
            patterns = ", ".join(f"{t.id}: {t.files}" for t in decl.records.tables)
            problems.append(Diagnostic("GS804", f"{path.name} matches no table's 'files' pattern",
                                       span=Span(str(path), 1, 1), hint=patterns))
        for hit in hits:
            by_table[hit].append(path)
    if problems:
        raise FactsFileError(problems, "cannot read the records")
    return by_table


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _readable(path: Path, scratch: Path) -> tuple[Path, str]:
    """A path DuckDB can read and its reader: xlsx and non-UTF-8 CSV copied into scratch."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return path, "parquet"
    if suffix == ".xlsx":
        return _xlsx_to_csv(path, scratch), "csv"
    if suffix not in (".csv", ".tsv", ".txt"):
        what = path.suffix or "a file without a suffix"
        raise FactsFileError([Diagnostic("GS804", f"cannot read {what} records; give .csv, "
                                         ".parquet or .xlsx", span=Span(str(path), 1, 1))],
                             "cannot read the records")
    encoding = tables.sniff_encoding(path)
    if encoding in ("utf-8", "utf-8-sig"):
        return path, "csv"
    target = scratch / f"{len(list(scratch.iterdir()))}.csv"
    with path.open("rb") as raw, target.open("w", encoding="utf-8", newline="") as out:
        reader = codecs.getreader(encoding)(raw)
        while chunk := reader.read(1 << 20):
            out.write(chunk)
    return target, "csv"


def _readable_or_refused(path: Path, scratch: Path) -> tuple[Path, str]:
    """:func:`_readable`, every failure of a broken export (a workbook that is not a zip, bytes
    that are not GB18030) a GS804 naming the file, never a foreign exception."""
    try:
        return _readable(path, scratch)
    except (FactsFileError, UsageError):
        raise
    except Exception as exc:  # openpyxl and the codecs raise many classes for a broken file
        raise FactsFileError([Diagnostic("GS804", f"cannot read it: {_short(str(exc), 300)}",
                                         span=Span(str(path), 1, 1))],
                             "cannot read the records") from None


def _xlsx_to_csv(path: Path, scratch: Path) -> Path:
    try:
        openpyxl = importlib.import_module("openpyxl")
    except ImportError:
        raise UsageError("GS804", ".xlsx records need openpyxl: pip install "
                         "'govscore[records]'") from None
    target = scratch / f"{len(list(scratch.iterdir()))}.csv"
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = book.worksheets[0]
        with target.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            for row in sheet.iter_rows(values_only=True):
                writer.writerow(["" if v is None else _cell_text(v) for v in row])
    finally:
        book.close()
    return target


def _cell_text(value: object) -> str:
    """A workbook cell as the text an export would hold (a date cell as its ISO day or time)."""
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _reader(kind: str, param: str) -> str:
    if kind == "parquet":
        return f"read_parquet({param}) WITH ORDINALITY"
    return f"read_csv({param}, all_varchar = true, header = true) WITH ORDINALITY"


def _calendar(decl: Declarations) -> tuple[list[datetime.date], list[int], list[bool]]:
    """Every day of the calendar's years, its working-day number (working days up to and
    including it) and whether it is a working day."""
    cal = decl.records.calendar
    assert cal is not None
    holidays = {datetime.date.fromisoformat(d) for d in cal.holidays}
    workdays = {datetime.date.fromisoformat(d) for d in cal.workdays}
    days, seqs, works = [], [], []
    seq = 0
    for year in range(min(cal.years), max(cal.years) + 1):
        if year not in cal.years:
            continue
        day = datetime.date(year, 1, 1)
        while day.year == year:
            work = day in workdays or (day.weekday() < 5 and day not in holidays)  # noqa: PLR2004
            seq += int(work)
            days.append(day)
            seqs.append(seq)
            works.append(work)
            day += datetime.timedelta(days=1)
    return days, seqs, works


@contextmanager
def _connection(memory_limit: str, threads: int | None, scratch: Path) -> Iterator[Any]:
    duckdb = _duckdb()
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET memory_limit = $m", {"m": memory_limit})
        con.execute("SET temp_directory = $t", {"t": str(scratch / "spill")})
        con.execute("SET preserve_insertion_order = false")
        con.execute("SET enable_progress_bar = false")  # a long query would draw on stdout
        if threads is not None:
            con.execute("SET threads = $n", {"n": threads})
        yield con
    finally:
        con.close()


def derive(decl: Declarations, files: Sequence[str | Path], *, as_of: str | None = None,
           memory_limit: str = MEMORY_LIMIT, threads: int | None = None) -> Derived:
    """Derive the declared facts from the exports, per unit and period."""
    duckdb = _duckdb()
    paths = [Path(f) for f in files]
    missing = [p for p in paths if not p.is_file()]
    if missing:
        raise FactsFileError([Diagnostic("GS804", f"no such file: {p}", span=Span(str(p), 1, 1))
                              for p in missing], "cannot read the records")
    as_of = as_of or decl.records.as_of
    _need_as_of(decl, as_of)
    grain = decl.plan.scheme.period
    by_table = _match(decl, paths)
    queries: dict[str, Any] = {}
    facts: dict[str, dict[str, dict[str, dict[str, Any]]]] = {}
    values: dict[str, dict[str, dict[str, Any]]] = {}
    problems: list[Diagnostic] = []
    total_rows = rejected = 0
    with tempfile.TemporaryDirectory(prefix="govscore-records-") as tmp:
        scratch = Path(tmp)
        (scratch / "spill").mkdir()
        with _connection(memory_limit, threads, scratch) as con:
            if decl.records.calendar is not None:
                days, seqs, works = _calendar(decl)
                con.execute("CREATE TEMP TABLE govscore_calendar AS SELECT unnest($d) AS day, "
                            "unnest($s) AS seq, unnest($w) AS is_workday",
                            {"d": days, "s": seqs, "w": works})
                con.execute("CREATE TEMP TABLE govscore_workdays AS SELECT day, seq FROM "
                            "govscore_calendar WHERE is_workday")
            for table_id, table_files in by_table.items():
                if not table_files:
                    continue
                query = sql.compile_table(decl, table_id, grain)
                con.execute("CREATE OR REPLACE TEMP TABLE govscore_units AS "
                            "SELECT unnest($u) AS unit", {"u": decl.units_of(table_id) or [""]})
                readable = [_readable_or_refused(p, scratch) for p in table_files]
                headers = _check_columns(con, query, table_files, readable)
                source = _source(query, readable)
                params = dict(query.params, as_of=as_of)
                params.update({f"f{i}": str(p) for i, (p, _) in enumerate(readable)})
                params["limit"] = MAX_PROBLEMS
                main = query.sql.replace(sql.SOURCE, source)
                problem_sql = query.problems_sql.replace(sql.SOURCE, source)
                try:
                    rows = con.execute(main, _used(main, params)).fetchall()
                    table_rejected = sum(int(row[4]) for row in rows)
                    bad = con.execute(problem_sql, _used(problem_sql, params)).fetchall() \
                        if table_rejected else []
                except duckdb.Error as exc:
                    raise FactsFileError([Diagnostic(
                        "GS804", f"table {table_id}: {_short(str(exc), 300)}",
                        span=Span(str(table_files[0]), 1, 1))], "cannot read the records") \
                        from None
                kept = _collect(query, rows, grain, facts, values, decl)
                problems += [_problem(table_files[int(f)], int(r), code, column, value,
                                      headers[int(f)]) for f, r, code, column, value, _ in bad]
                total_rows += kept + table_rejected
                rejected += table_rejected
                sources = [SourceFile(str(p), table_id, _sha256(p)) for p in table_files]
                queries[table_id] = {
                    "sql": query.sql.replace(sql.SOURCE, table_id),
                    "params": {k: _jsonable(v) for k, v in dict(query.params, as_of=as_of).items()},
                    "files": [{"path": s.path, "sha256": s.sha256} for s in sources],
                    "rows_counted": kept, "rows_rejected": table_rejected,
                }
    periods = {key: _entries(decl, values.get(key, {})) for key in sorted(values)}
    return Derived(periods, {"queries": queries, "facts": facts}, problems, total_rows, rejected)


def _used(text: str, params: dict[str, object]) -> dict[str, object]:
    """The parameters a statement names (DuckDB refuses others)."""
    names = set(_PARAM.findall(text))
    return {k: v for k, v in params.items() if k in names}


def _need_as_of(decl: Declarations, as_of: str | None) -> None:
    for measure in decl.records.facts:
        for cond in (*measure.where, *measure.exclude, *(measure.ratio or [])):
            if cond.deadline is not None and cond.deadline.status in ("overdue", "open_overdue") \
                    and as_of is None:
                raise UsageError("GS804", f"{measure.fact}: whether an open matter is overdue "
                                 "depends on the day the records were exported: give --as-of "
                                 "YYYY-MM-DD (or as_of in the records file)")
    if as_of is not None:
        try:
            datetime.date.fromisoformat(as_of)
        except ValueError:
            raise UsageError("GS804", f"--as-of {as_of!r} is not a day (YYYY-MM-DD)") from None


def _source(query: sql.Query, readable: list[tuple[Path, str]]) -> str:
    cols = ", ".join(sql.quote(c) for c in query.columns)
    parts = []
    for i, (_, kind) in enumerate(readable):
        header = 0 if kind == "parquet" else 1
        parts.append(f"SELECT {cols}, {i} AS govscore_file, "  # noqa: S608 - quoted declared columns
                     f"ordinality + {header} AS govscore_row FROM {_reader(kind, f'$f{i}')}")
    return "(\n    " + "\n    UNION ALL\n    ".join(parts) + "\n  )"


def _check_columns(con: Any, query: sql.Query, files: list[Path],
                   readable: list[tuple[Path, str]]) -> list[list[str]]:
    """Each file's header; every file lacking a declared column is an error (GS804)."""
    problems = []
    headers: list[list[str]] = []
    for original, (path, kind) in zip(files, readable, strict=True):
        try:
            described = con.execute(f"DESCRIBE SELECT * FROM {_reader(kind, '$f')}",  # noqa: S608
                                    {"f": str(path)}).fetchall()
        except Exception as exc:  # any reader error (DuckDB's own classes) is the file's problem
            problems.append(Diagnostic("GS804", f"cannot read it: {_short(str(exc), 300)}",
                                       span=Span(str(original), 1, 1)))
            continue
        headers.append([str(row[0]) for row in described])
        have = set(headers[-1])
        lacking = [c for c in query.columns if c not in have]
        if lacking:
            problems.append(Diagnostic(
                "GS804", f"table {query.table}: no column {', '.join(map(repr, lacking))}",
                span=Span(str(original), 1, 1),
                hint=f"its columns: {_short(', '.join(sorted(have)), 300)}"))
    if problems:
        raise FactsFileError(problems, "cannot read the records")
    return headers


def _collect(query: sql.Query, rows: list[tuple[Any, ...]], grain: str,
             facts: dict[str, dict[str, dict[str, dict[str, Any]]]],
             values: dict[str, dict[str, dict[str, Any]]], decl: Declarations) -> int:
    """Fold the aggregate rows into values[period][unit][fact] and the lineage; return the rows
    counted."""
    counted = 0
    for row in rows:
        if not row[3]:
            continue  # only rejected rows (an unknown unit, no period): reported, not a period
        unit, year, part, n = str(row[0]), int(row[1]), int(row[2]), int(row[3])
        counted += n
        key = keys.key(grain, year, part)
        unit_values = values.setdefault(key, {}).setdefault(unit, {})
        unit_lineage = facts.setdefault(key, {}).setdefault(unit, {})
        for output, value in zip(query.outputs, row[5:], strict=True):
            count = int(value)
            if not decl.applies(decl.records.facts[output.measure], unit):
                continue  # not this unit's fact, or another measure's category
            line = unit_lineage.setdefault(output.fact, {"table": query.table, "rows": 0,
                                                         "excluded": 0})
            if output.part == "excluded":
                line["excluded"] = count
            elif output.part in ("count", "target"):
                unit_values[output.fact] = count if output.part == "count" else \
                    {**unit_values.get(output.fact, {}), "target": count}
                line["rows"] = count
            elif output.part == "done":
                unit_values[output.fact] = {**unit_values.get(output.fact, {}), "done": count}
            else:
                levels = unit_values.setdefault(output.fact, {})
                levels[output.part] = count
                line["rows"] += count
    return counted


def _empty(decl: Declarations, measure: model.Measure) -> Any:
    if measure.count is not None:
        return 0
    if measure.ratio is not None:
        return {"done": 0, "target": 0}
    return dict.fromkeys(decl.levels[measure.fact], 0)


def _entries(decl: Declarations, values: Mapping[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Every unit of the roster with every fact that applies to it; a unit without records in
    the period has zero counts (so a rating's no_votes rule decides, not a guess)."""
    out = []
    for unit, category in decl.roster.items():
        facts: dict[str, Any] = {}
        for measure in decl.records.facts:
            if decl.applies(measure, unit):
                facts[measure.fact] = values.get(unit, {}).get(measure.fact,
                                                               _empty(decl, measure))
        entry: dict[str, Any] = {"id": unit, "facts": facts}
        if category is not None:
            entry["category"] = category
        out.append(entry)
    return out


def _problem(path: Path, row: int, code: str, column: str, value: object,
             columns: list[str]) -> Diagnostic:
    shown = "an empty cell" if value is None else repr(_short(str(value), _MAX_SHOWN))
    return Diagnostic(code, f"{_PROBLEM_WORDS[code]}: {column} is {shown}",
                      span=Span(str(path), row, columns.index(column) + 1 if column in columns
                                else 1),
                      hint="the record is not counted in any fact")


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _jsonable(value: object) -> object:
    return value if isinstance(value, (str, int, bool)) or value is None else str(value)
