"""The command line: ``govscore validate | schema | score | facts | run | explain | test | template
| serve | render``.

``run(argv, stdout, stderr) -> int`` does the work (tests call it in-process); ``main()`` wraps it.
Exit codes: 0 success, 1 invalid input (invalid schemes, rejected units, failed tests), 2 usage or
I/O errors (bad arguments, a :class:`~govscore.errors.UsageError`, a file that cannot be read or
written).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from govscore import api, scheme_tests
from govscore.engine.plan import Plan
from govscore.engine.results import Assessment
from govscore.errors import (
    CODES,
    Diagnostic,
    FactsFileError,
    GovscoreError,
    SchemeError,
    UsageError,
    whole_population_error,
)
from govscore.inputs import sources
from govscore.periods import command as period_command
from govscore.scheme import detect, loader
from govscore.textsafe import terminal
from govscore.views import diagnostics as diagnostics_format
from govscore.views import report

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise _UsageExit(message)


class _UsageExit(Exception):  # noqa: N818 - control flow inside the CLI only
    pass


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid port: {text!r}") from None
    if not 1 <= value <= 65535:  # noqa: PLR2004
        raise argparse.ArgumentTypeError(f"a port is 1 to 65535, not {value}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)  # a setting, not a score: a float is the right type
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid number of seconds: {text!r}") from None
    if not 0 < value < float("inf"):  # NaN fails both comparisons
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, not {text}")
    return value


def _parser() -> argparse.ArgumentParser:
    fmt = argparse.RawDescriptionHelpFormatter
    parser = _Parser(prog="govscore", formatter_class=fmt,
                     description="Validate assessment schemes (考核细则) and score units exactly.",
                     epilog="example:\n  govscore score schemes/s3-chengdu.yaml "
                            "examples/s3-chengdu.facts.yaml -o report.html\n\n"
                            "exit codes:\n  0  success\n"
                            "  1  invalid input: rejected units, an invalid scheme, a failed test\n"
                            "  2  usage or I/O error")
    parser.add_argument("--version", action="version", version=f"govscore {api.version()}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("validate", help="check scheme files", formatter_class=fmt,
                       description="Check scheme files and folders; print every problem as "
                       "FILE:LINE:COL: CODE message.",
                       epilog="examples:\n  govscore validate schemes/\n"
                              "  govscore validate --format github schemes/s3-chengdu.yaml\n"
                              "  govscore validate --format sarif schemes/ > govscore.sarif")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--format", choices=list(diagnostics_format.FORMATS), default="text",
                   help="text (FILE:LINE:COL: CODE message), json, github (workflow-command "
                        "annotations), sarif (SARIF 2.1.0 for code scanning; file URIs "
                        "relative to the current folder, uriBaseId SRCROOT) or gitlab (GitLab's "
                        "code quality report)")
    p.add_argument("--only-schemes", action="store_true",
                   help="check only the files that are schemes by content (a top-level "
                        "'govscore:' key in the first 64 KiB) and skip the others, saying how "
                        "many; for hooks that are given every .yaml file (pre-commit)")

    sub.add_parser("schema", help="print the JSON Schema of scheme files", formatter_class=fmt,
                   epilog="example:\n  govscore schema > schemes/govscore.schema.json")

    p = sub.add_parser("score", help="score units and write results", formatter_class=fmt,
                       description="Score every unit in the facts files; rank, grade and award.",
                       epilog="examples:\n  govscore score schemes/s3-chengdu.yaml "
                              "examples/s3-chengdu.facts.yaml\n"
                              "  govscore score schemes/s4-anhui.yaml a.xlsx b.xlsx "
                              "-o results.xlsx\n"
                              "  govscore score schemes/s3-chengdu.yaml big.csv -o results.csv "
                              "--stream")
    p.add_argument("scheme")
    p.add_argument("facts", nargs="+")
    p.add_argument("-o", "--output",
                   help="write results to .json, .csv, .html, .xlsx or .txt (the table)")
    p.add_argument("--records", metavar="R.records.yaml",
                   help="derive facts from record exports as this records file declares: the "
                        "given files that match one of its tables are exports, the others "
                        "facts files (needs govscore[records])")
    p.add_argument("--period", help="with --records: the period to score (2022-10, 2022-Q4, "
                                    "2022), when the exports cover several")
    p.add_argument("--as-of", metavar="YYYY-MM-DD",
                   help="with --records: the day the exports were taken (open matters past "
                        "their deadline are overdue)")
    p.add_argument("--periods", action="store_true",
                   help="score every period of the facts files (one period each: a 'period:' "
                        "key or 2022-03 in the name) with the scheme's roll-ups and history "
                        "rules; see 'govscore run'")
    p.add_argument("--events", nargs="+", metavar="EVENTS",
                   help="with --periods: events files for the history rules")
    p.add_argument("--explain", metavar="UNIT", help="with --periods: explain this unit")
    p.add_argument("--lang", choices=["zh", "en"], default="zh",
                   help="with --periods --explain: the language")
    p.add_argument("--stream", action="store_true",
                   help="score one wide CSV facts file (one row per unit) row by row, keeping "
                        "per unit only what ranking needs (about 0.6 KB), into a .csv given by "
                        "-o; rows in input order, rejected units "
                        "last; the time taken is reported (not for schemes with population "
                        "kinds)")

    p = sub.add_parser("run", help="score schemes over periods as a run file says",
                       formatter_class=fmt,
                       description="Score the schemes of a run file over their periods, sources "
                       "before the schemes that use their results; roll-ups and history rules "
                       "included.",
                       epilog="examples:\n  govscore run year.run.yaml\n"
                              "  govscore run year.run.yaml --explain 窗口01 --period 2022-Q1\n"
                              "  govscore run year.run.yaml -o results.json")
    p.add_argument("run", metavar="RUN.yaml")
    period_command.add_arguments(p)

    p = sub.add_parser("facts", help="derive facts from record exports", formatter_class=fmt,
                       description="Derive a scheme's facts from record exports (CSV, Parquet, "
                       ".xlsx: one row per rating, per case) as a records file declares, per "
                       "unit and period, on DuckDB (govscore[records]). Every record that cannot "
                       "be counted is reported with its file and row; each fact's lineage (the "
                       "query, its files' sha256, the rows counted) is written beside the "
                       "facts as FACTS.lineage.json.",
                       epilog="examples:\n  govscore facts examples/records/好差评-2022-09.csv "
                              "--scheme schemes/s5-jining.yaml --records "
                              "examples/records/s5-jining.records.yaml -o facts.csv\n"
                              "  govscore facts ratings-2022.parquet --scheme s5.yaml "
                              "-o 'facts-{period}.csv'")
    p.add_argument("records_files", nargs="+", metavar="RECORDS")
    p.add_argument("--scheme", required=True)
    p.add_argument("--records", metavar="R.records.yaml",
                   help="the records file (default: the scheme's name with .records.yaml)")
    p.add_argument("-o", "--output", required=True, metavar="FACTS",
                   help="the facts file: .csv (wide), .json or .yaml; '{period}' in the name "
                        "writes one file per period")
    p.add_argument("--period", help="only this period (2022-10, 2022-Q4, 2022)")
    p.add_argument("--as-of", metavar="YYYY-MM-DD",
                   help="the day the exports were taken (open matters past their deadline are "
                        "overdue); overrides as_of in the records file")

    p = sub.add_parser("explain", help="explain one unit's score", formatter_class=fmt,
                       epilog="example:\n  govscore explain schemes/s3-chengdu.yaml "
                              "examples/s3-chengdu.facts.yaml --unit 锦江区")
    p.add_argument("scheme")
    p.add_argument("facts", nargs="+")
    p.add_argument("--unit", required=True)
    p.add_argument("--lang", choices=("zh", "en"), default="zh",
                   help="the sheet's language (default zh)")
    p.add_argument("--ids", action="store_true",
                   help="show each line's id from the scheme (for scheme authors)")

    p = sub.add_parser("test", help="run scheme tests (*.test.yaml)", formatter_class=fmt,
                       epilog="examples:\n  govscore test schemes/\n"
                              "  govscore test --properties schemes/s3-chengdu.yaml")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--properties", action="store_true",
                   help="check the arithmetic contract's invariants on the given schemes with "
                        "generated facts (needs hypothesis)")
    p.add_argument("--examples", type=_positive, default=200,
                   help="generated examples per property (with --properties)")
    p.add_argument("--only-scheme-tests", action="store_true",
                   help="run only the files that are scheme tests by content (top-level "
                        "'scheme: FILE.yaml' in the first 64 KiB) and skip the "
                        "others, saying how many; for hooks (pre-commit)")

    p = sub.add_parser("template", help="write the facts sheet an assessor fills in",
                       formatter_class=fmt,
                       description="Write a facts template: one row per unit the scheme names, "
                       "one column per fact the assessor supplies, titles and allowed values in "
                       "a second header row, Excel data validation for the ranges. Filled "
                       "sheets are read back by score, explain and test; several merge.",
                       epilog="examples:\n  govscore template schemes/s4-anhui.yaml "
                              "--assessor 省委办公厅 -o 省委办公厅.xlsx\n"
                              "  govscore template schemes/s4-anhui.yaml --category financial "
                              "-o financial.csv")
    p.add_argument("scheme")
    p.add_argument("--assessor", metavar="NAME",
                   help="only the facts this assessor supplies (an item's or input's assessor)")
    p.add_argument("--category", metavar="ID",
                   help="only this category's units and facts")
    p.add_argument("--unit", metavar="NAME",
                   help="one unit's template: its row and only the facts of items that apply "
                        "to it (items for named units only included where they name it)")
    p.add_argument("-o", "--output", required=True, metavar="FILE",
                   help="the template to write: .xlsx (with validation; needs openpyxl) or .csv")

    p = sub.add_parser("serve", help="serve validate, score, explain and the schema over HTTP",
                       formatter_class=fmt,
                       description="An HTTP service (FastAPI on uvicorn; pip install "
                       "'govscore[service]') for programs that are not Python:\n"
                       "POST /validate, /score, /explain; GET /schema, /schemes, /health, "
                       "/version, /limits;\nthe OpenAPI document at /openapi.json.\n\n"
                       "Every scheme in --schemes is loaded and checked at start: if one is "
                       "invalid,\nthe server does not start (exit 1). Refusals are JSON naming "
                       "the limit:\n413 (body, units), 503 (time, busy), 422 (malformed request, "
                       "invalid posted scheme).\nSee docs/service.md.",
                       epilog="examples:\n  govscore serve --schemes schemes/\n"
                              "  govscore serve --schemes schemes/ --host 0.0.0.0 --port 8080 "
                              "--max-units 50000 --time-limit 120")
    p.add_argument("--schemes", metavar="DIR",
                   help="serve every scheme in this folder by its id (files with a top-level "
                        "'govscore:' key; others are skipped); without it, requests post the "
                        "scheme's text")
    p.add_argument("--host", default="127.0.0.1",
                   help="the address to listen on (default: %(default)s, this machine only)")
    p.add_argument("--port", type=_port, default=8000, help="default: %(default)s")
    p.add_argument("--max-body-bytes", type=_positive, default=10_000_000, metavar="N",
                   help="refuse a request body larger than N bytes (413, GS901; default: "
                        "%(default)s)")
    p.add_argument("--max-units", type=_positive, default=20_000, metavar="N",
                   help="refuse more than N units in one request (413, GS902; default: "
                        "%(default)s)")
    p.add_argument("--time-limit", type=_seconds, default=30.0, metavar="SECONDS",
                   help="answer 503 (GS903) when a request's work takes longer (default: "
                        "%(default)s)")
    p.add_argument("--workers", type=_positive, default=2, metavar="N",
                   help="requests worked on at once, each in its own thread; one more is "
                        "refused with 503 (GS904; default: %(default)s)")

    p = sub.add_parser("render", help="print a scheme back as the 考核细则 it encodes",
                       formatter_class=fmt,
                       description="Write the scheme as a document: its source, sections, items "
                       "with points, rules in Chinese sentences and clause references, vetoes, "
                       "grades and awards, every assumption highlighted — to hold against the "
                       "published text, or to publish what will be scored.",
                       epilog="example:\n  govscore render schemes/s3-chengdu.yaml -o "
                              "s3-chengdu.html")
    p.add_argument("scheme")
    p.add_argument("-o", "--output", required=True, metavar="FILE",
                   help="the document to write: .html or .md")
    return parser


def run(argv: Sequence[str], stdout: TextIO, stderr: TextIO) -> int:
    try:
        with contextlib.redirect_stdout(stdout):  # --help and --version print to run's stdout
            args = _parser().parse_args(list(argv))
    except _UsageExit as exc:
        stderr.write(f"govscore: {exc}\nRun 'govscore --help' for usage.\n")
        return EXIT_USAGE
    except SystemExit as exc:  # --help and --version
        return int(exc.code or 0)
    try:
        command = {"validate": _validate, "schema": _schema, "score": _score,
                   "explain": _explain, "test": _test, "template": _template,
                   "facts": _facts, "serve": _serve, "render": _render,
                   "run": period_command.command_run}[args.command]
        return command(args, stdout, stderr)
    except UsageError as exc:
        stderr.write(f"govscore: {terminal(str(exc))}\n")
        return EXIT_USAGE
    except FactsFileError as exc:
        stderr.write(terminal(str(exc)) + "\n")
        return EXIT_USAGE
    except SchemeError as exc:
        stderr.write(terminal(str(exc)) + "\n")
        # a scheme file that cannot be read at all (missing, a folder) is an I/O error
        unreadable = bool(exc.diagnostics) and all(d.code == "GS101" for d in exc.diagnostics)
        return EXIT_USAGE if unreadable else EXIT_INVALID
    except GovscoreError as exc:
        stderr.write(f"govscore: {terminal(str(exc))}\n")
        return EXIT_INVALID
    except OSError as exc:
        stderr.write(f"govscore: {terminal(str(exc))}\n")
        return EXIT_USAGE
    except MemoryError:
        # the budget is stated in docs/security.md; a run beyond it ends with one line
        stderr.write(f"govscore: GS703 {CODES['GS703']}: the run needs more memory than the "
                     "process may use; score a large wide CSV with --stream (a small record per unit), "
                     "or split the facts\n")
        return EXIT_USAGE


EXIT_INTERRUPTED = 130
"""Ctrl-C: the shell's 128 + SIGINT."""


def main() -> None:
    # a console that cannot show a character (an emoji in a unit id on a GBK console) gets an
    # escape (\U0001f600) instead of a UnicodeEncodeError that would end the run
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    try:
        code = run(sys.argv[1:], sys.stdout, sys.stderr)
    except KeyboardInterrupt:
        # one line, no traceback; a report being written is a temporary file, removed by the
        # atomic writer as the interrupt unwinds it, so no partial file is left
        sys.stderr.write("\ngovscore: interrupted\n")
        sys.stderr.flush()
        code = EXIT_INTERRUPTED
    sys.exit(code)


def _scheme_files(paths: list[str]) -> tuple[list[Path], list[str]]:
    files: list[Path] = []
    missing: list[str] = []
    for name in paths:
        p = Path(name)
        if p.is_dir():
            files.extend(sorted(f for f in p.rglob("*.yaml") if not f.name.endswith(".test.yaml")))
        elif p.exists():
            files.append(p)
        else:
            missing.append(name)
    return files, missing


def _validate(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    files, missing = _scheme_files(args.paths)
    for name in missing:
        stderr.write(f"govscore: {name}: no such file or folder\n")
    if missing:
        return EXIT_USAGE
    if args.only_schemes:
        schemes = [f for f in files if detect.is_scheme(f)]
        _say_skipped(len(files) - len(schemes), "not a scheme: no top-level 'govscore:' key",
                     stderr)
        files = schemes
    results: dict[str, list[Diagnostic]] = {str(f): loader.check_file(f) for f in files}
    rendered = diagnostics_format.render(results, args.format, tool_version=api.version())
    stdout.write(terminal(rendered) if args.format == "text" else rendered)
    errors = sum(1 for ds in results.values() for d in ds if d.severity == "error")
    invalid = sum(1 for ds in results.values() if any(d.severity == "error" for d in ds))
    if args.format == "text":
        stderr.write(f"{len(files)} file(s) checked, {invalid} invalid, {errors} error(s)\n")
    return EXIT_INVALID if invalid else EXIT_OK


def _say_skipped(count: int, why: str, stderr: TextIO) -> None:
    if count:
        stderr.write(f"{count} file(s) skipped ({why})\n")


def _schema(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from govscore.language import schema

    stdout.write(json.dumps(schema.json_schema(), ensure_ascii=False, indent=2) + "\n")
    return EXIT_OK


def _read_all(paths: list[str], stderr: TextIO) -> sources.Sources:
    """Read and merge the facts files; say on stderr which ones were read as GB18030 (the
    encoding is then a guess: the bytes were not UTF-8)."""
    return sources.read_sources(
        paths, on_guess=lambda path: stderr.write(f"govscore: {path} is not UTF-8; read it as "
                                                  "GB18030\n"))


def _say_rejected(plan: Plan, assessment: Assessment, facts: sources.Sources | None,
                  stderr: TextIO) -> None:
    """Each rejected unit's problems, with the sheet and cell they come from; an assessor whose
    facts are missing for many units in one line (its sheet was likely not given)."""
    sheets, covered = sources.missing_by_assessor(plan, assessment.rejected)
    for sheet in sheets:
        stderr.write(f"govscore: {terminal(str(sheet), one_line=True)}\n")
    for rejected in assessment.rejected:
        for d in rejected.diagnostics:
            if d.code == "GS402" and (rejected.unit, d.item) in covered:
                continue
            line = f"{rejected.unit}: {facts.locate(d) if facts is not None else d}"
            stderr.write(f"rejected {terminal(line, one_line=True)}\n")


def _score(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    if args.periods:
        return period_command.command_score_periods(args, stdout, stderr)
    if args.stream:
        return _score_stream(args, stderr)
    if args.output:
        report.check_output(Path(args.output))  # before any work: a bad suffix is a usage error
    plan = api.compile(args.scheme)
    facts: sources.Sources | None = None
    if args.records:
        assessment = _score_records(plan, args, stderr)
    else:
        facts = _read_all(args.facts, stderr)
        assessment = _progress_evaluate(plan, facts.units, stderr)
    if args.output:
        api.write_report(assessment, plan, args.output)
        stderr.write(f"wrote {args.output}\n")
    else:
        stdout.write(terminal(report.text_table(assessment, plan)))
    _say_rejected(plan, assessment, facts, stderr)
    stderr.write(f"{assessment.submitted} unit(s): {len(assessment.results)} scored, "
                 f"{len(assessment.rejected)} rejected\n")
    uncounted = (assessment.record.lineage or {}).get("rejected_rows", 0)
    return EXIT_INVALID if assessment.rejected or uncounted else EXIT_OK


def _score_records(plan: Plan, args: argparse.Namespace, stderr: TextIO) -> Assessment:
    """score --records: the exports among the files are derived, the rest read as facts."""
    import fnmatch

    from govscore.records import declare

    decl = declare.load(args.records, plan)
    patterns = [t.files for t in decl.records.tables]
    exports = [f for f in args.facts if any(fnmatch.fnmatch(Path(f).name, p) for p in patterns)]
    others = [f for f in args.facts if f not in exports]
    if not exports:
        raise UsageError("GS804", "none of the files matches a table of the records file ("
                         + ", ".join(patterns) + ")")
    facts = _read_all(others, stderr).units if others else []
    assessment = api.evaluate_records(plan, args.records, exports, period=args.period,
                                      facts=facts, as_of=args.as_of)
    lineage = assessment.record.lineage or {}
    for problem in lineage.get("problems", []):
        stderr.write(f"{problem['file']}:{problem['line']}:{problem['column']}: "
                     f"{problem['code']} {problem['message']}\n")
    stderr.write(f"period {lineage.get('period')}: {lineage.get('rows', 0)} record(s) read, "
                 f"{lineage.get('rejected_rows', 0)} not counted\n")
    return assessment


def _facts(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from govscore.records import write

    output = Path(args.output)
    suffix = output.suffix.lower()
    if suffix not in write.SUFFIXES:
        what = output.suffix or "a file without a suffix"
        raise UsageError("GS701", f"cannot write facts as {what}; use "
                         + ", ".join(write.SUFFIXES))
    records = args.records or str(Path(args.scheme).with_suffix(".records.yaml"))
    if not Path(records).is_file():
        raise UsageError("GS804", f"no records file {records}: give --records")
    plan = api.compile(args.scheme)
    derived = api.derive_facts(plan, records, args.records_files, as_of=args.as_of)
    for problem in derived.problems:
        stderr.write(f"{problem}\n")
    if "{period}" in args.output:
        keys = [args.period] if args.period else sorted(derived.periods)
    else:
        keys = [derived.period(args.period)[0]]
    for wanted in keys:
        key, entries = derived.period(wanted)
        target = Path(args.output.replace("{period}", key))
        report.atomic_write(target, write.render(entries, key, suffix))
        lineage = dict(derived.lineage_of(key), rows=derived.rows, rejected_rows=derived.rejected,
                       problems=[d.to_dict() for d in derived.problems])
        report.atomic_write(write.lineage_path(target),
                            (json.dumps(lineage, ensure_ascii=False, indent=1) + "\n").encode())
        stderr.write(f"wrote {target} ({len(entries)} unit(s), period {key}) and its lineage\n")
    stderr.write(f"{derived.rows} record(s) read, {derived.rejected} not counted\n")
    return EXIT_INVALID if derived.rejected else EXIT_OK


PROGRESS_FROM = 5000
"""A batch of at least this many units shows its progress on stderr."""


def _is_tty(stream: TextIO) -> bool:
    return hasattr(stream, "isatty") and stream.isatty()


def _progress_evaluate(plan: Plan, units: list[Any], stderr: TextIO) -> Assessment:
    """evaluate_all, with progress on stderr when the batch is large: a bar with the
    percentage, rate and time left on a terminal, a plain line every tenth elsewhere."""
    if len(units) < PROGRESS_FROM:
        return api.evaluate_all(plan, units)
    from govscore.views.progress import Progress

    progress = Progress(stderr, tty=_is_tty(stderr))
    try:
        return api.evaluate_all(plan, units, progress=progress)
    finally:
        progress.finish()


def _score_stream(args: argparse.Namespace, stderr: TextIO) -> int:
    from govscore import stream

    if len(args.facts) != 1 or Path(args.facts[0]).suffix.lower() != ".csv":
        raise UsageError("GS702", "--stream scores one facts file, a .csv in the wide layout "
                         "(one row per unit)")
    if not args.output or Path(args.output).suffix.lower() != ".csv":
        raise UsageError("GS702", "--stream writes a .csv: give -o RESULTS.csv")
    plan = api.compile(args.scheme)
    if plan.needs_population:
        raise whole_population_error(plan.population_items)
    tty = _is_tty(stderr)
    start = time.monotonic()

    def progress(count: int) -> None:
        elapsed = time.monotonic() - start
        rate = f", {count / elapsed:,.0f} units/s" if elapsed > 0 else ""
        stderr.write(f"scoring: {count:,} units read{rate} …\r")
        stderr.flush()

    def rejected(unit: str, problems: list[str]) -> None:
        for problem in problems:
            stderr.write(f"rejected {terminal(f'{unit}: {problem}', one_line=True)}\n")

    summary = stream.score_csv(plan, args.facts[0], args.output,
                               progress=progress if tty else None, on_rejected=rejected)
    if tty:
        stderr.write(" " * 60 + "\r")
    if summary.guessed:
        stderr.write(f"govscore: {args.facts[0]} is not UTF-8; read it as GB18030\n")
    stderr.write(f"wrote {args.output}\n")
    stderr.write(f"{summary.submitted} unit(s): {summary.scored} scored, "
                 f"{summary.rejected} rejected\n")
    rate = summary.submitted / summary.seconds if summary.seconds > 0 else 0.0
    stderr.write(f"streamed in {summary.seconds:.2f} s ({rate:,.0f} units/s)\n")
    return EXIT_INVALID if summary.rejected else EXIT_OK


def _explain(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from govscore.views.explain import explain

    plan = api.compile(args.scheme)
    assessment = api.evaluate_all(plan, _read_all(args.facts, stderr).units)
    try:
        stdout.write(terminal(explain(assessment, args.unit, plan=plan, lang=args.lang,
                                      ids=args.ids)) + "\n")
    except KeyError:
        stderr.write(f"govscore: no unit {terminal(repr(args.unit))} in the facts\n")
        return EXIT_USAGE
    return EXIT_INVALID if args.unit in {r.unit for r in assessment.rejected} else EXIT_OK


def _test(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    if args.properties:
        from govscore import testing

        return testing.cli_properties(args.paths, args.examples, stdout, stderr)
    paths: list[str] = args.paths
    if args.only_scheme_tests:
        missing = [name for name in paths if not Path(name).exists()]
        for name in missing:
            stderr.write(f"govscore: {name}: no such file or folder\n")
        if missing:
            return EXIT_USAGE
        found = scheme_tests.find_test_files(paths)
        tests = [str(f) for f in found if detect.is_scheme_test(f)]
        _say_skipped(len(found) - len(tests),
                     "not a scheme test: no top-level 'scheme: FILE.yaml'", stderr)
        if not tests:
            stdout.write("0 case(s), 0 failed, 0 file error(s)\n")
            return EXIT_OK
        paths = tests
    outcomes, errors = scheme_tests.run_paths(paths)
    for error in errors:
        stdout.write(f"ERROR {error}\n")
    failed = [o for o in outcomes if not o.passed]
    for outcome in outcomes:
        mark = "ok  " if outcome.passed else "FAIL"
        stdout.write(f"{mark} {outcome.file}:{outcome.line} {outcome.name}\n")
        for failure in outcome.failures:
            stdout.write(f"       {failure}\n")
    stdout.write(f"{len(outcomes)} case(s), {len(failed)} failed, {len(errors)} file error(s)\n")
    if not outcomes and not errors:
        stderr.write("govscore: no *.test.yaml files found\n")
        return EXIT_USAGE
    return EXIT_INVALID if failed or errors else EXIT_OK


def _template(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from govscore.inputs import template

    output = Path(args.output)
    suffix = output.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        kind = output.suffix or "a file without a suffix"
        stderr.write(f"govscore: cannot write a template as {kind}; use .xlsx or .csv\n")
        return EXIT_USAGE
    plan = api.compile(args.scheme)
    try:
        built = template.build(plan, args.assessor, args.category, args.unit)
        data = template.render_csv(plan, built) if suffix == ".csv" else \
            template.render_xlsx(plan, built)
    except UsageError as exc:
        stderr.write(f"govscore: {terminal(str(exc))}\n")
        return EXIT_USAGE
    report.atomic_write(output, data)
    for fact, why in built.left_out:
        stderr.write(f"not in the sheet: {fact} ({why})\n")
    rows = f"{len(built.units)} unit(s)" if built.units else \
        f"{template.EMPTY_ROWS} empty row(s) (the scheme names no units)"
    stderr.write(f"wrote {args.output}: {rows}, {len(built.columns)} fact column(s)\n")
    return EXIT_OK


def _serve(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    try:
        from govscore import service
    except ImportError as exc:
        raise UsageError("GS701", f"govscore serve needs the service extra ({exc.name} is "
                         "missing): pip install 'govscore[service]'") from None
    served = service.Served({}, {})
    if args.schemes:
        folder = Path(args.schemes)
        if not folder.is_dir():
            stderr.write(f"govscore: {args.schemes}: no such folder\n")
            return EXIT_USAGE
        served, problems = service.load_schemes(folder)
        if problems:
            stderr.write(diagnostics_format.render(problems, "text"))
        invalid = sorted(f for f, ds in problems.items() if any(d.severity == "error" for d in ds))
        if invalid:
            stderr.write(f"govscore: not serving: {len(invalid)} scheme file(s) invalid "
                         f"({', '.join(invalid)}); fix them or move them out of the folder\n")
            return EXIT_INVALID
    limits = service.Limits(args.max_body_bytes, args.max_units, args.time_limit, args.workers)
    app = service.create_app(served, limits)
    ids = ", ".join(sorted(served.plans)) or "none (post a scheme's text)"
    stderr.write(f"govscore serve: {len(served.plans)} scheme(s): {ids}\n"
                 f"listening on http://{args.host}:{args.port} (OpenAPI: /openapi.json)\n")
    stderr.flush()
    service.serve(app, args.host, args.port)
    return EXIT_OK


def _render(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from govscore.views import scheme_doc

    target = Path(args.output)
    suffix = target.suffix.lower()
    if suffix not in (".html", ".htm", ".md"):
        raise UsageError("GS701", f"cannot write {target.suffix or 'files without a suffix'} "
                         "as a scheme document; use .html or .md")
    scheme = api.load(args.scheme).scheme
    report.atomic_write(target, scheme_doc.render(scheme, suffix).encode("utf-8"))
    stderr.write(f"wrote {args.output}\n")
    return EXIT_OK
