"""The command line: ``govscore validate | schema | score | explain | test | template``.

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
from govscore.scheme import detect, loader
from govscore.textsafe import terminal
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
                              "  govscore validate --format github schemes/s3-chengdu.yaml")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--format", choices=["text", "json", "github"], default="text")
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
    p.add_argument("-o", "--output", help="write results to .json, .csv, .html or .xlsx")
    p.add_argument("--stream", action="store_true",
                   help="score one wide CSV facts file (one row per unit) row by row in bounded "
                        "memory, into a .csv given by -o; rows in input order, rejected units "
                        "last; the time taken is reported (not for schemes with population "
                        "kinds)")

    p = sub.add_parser("explain", help="explain one unit's score", formatter_class=fmt,
                       epilog="example:\n  govscore explain schemes/s3-chengdu.yaml "
                              "examples/s3-chengdu.facts.yaml --unit 锦江区")
    p.add_argument("scheme")
    p.add_argument("facts", nargs="+")
    p.add_argument("--unit", required=True)

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
    p.add_argument("-o", "--output", required=True, metavar="FILE",
                   help="the template to write: .xlsx (with validation; needs openpyxl) or .csv")
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
                   "explain": _explain, "test": _test, "template": _template}[args.command]
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
                     "process may use; score a large wide CSV with --stream (bounded memory), "
                     "or split the facts\n")
        return EXIT_USAGE


def main() -> None:
    # a console that cannot show a character (an emoji in a unit id on a GBK console) gets an
    # escape (\U0001f600) instead of a UnicodeEncodeError that would end the run
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    sys.exit(run(sys.argv[1:], sys.stdout, sys.stderr))


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
    stdout.write(terminal(report.diagnostics(results, args.format)))
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


def _say_rejected(plan: Plan, assessment: Assessment, facts: sources.Sources,
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
            line = f"{rejected.unit}: {facts.locate(d)}"
            stderr.write(f"rejected {terminal(line, one_line=True)}\n")


def _score(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    if args.stream:
        return _score_stream(args, stderr)
    if args.output:
        report.check_output(Path(args.output))  # before any work: a bad suffix is a usage error
    plan = api.compile(args.scheme)
    facts = _read_all(args.facts, stderr)
    assessment = _progress_evaluate(plan, facts.units, stderr)
    if args.output:
        api.write_report(assessment, plan, args.output)
        stderr.write(f"wrote {args.output}\n")
    else:
        stdout.write(terminal(report.text_table(assessment)))
    _say_rejected(plan, assessment, facts, stderr)
    stderr.write(f"{assessment.submitted} unit(s): {len(assessment.results)} scored, "
                 f"{len(assessment.rejected)} rejected\n")
    return EXIT_INVALID if assessment.rejected else EXIT_OK


def _progress_evaluate(plan: Plan, units: list[Any], stderr: TextIO) -> Assessment:
    """evaluate_all, with a progress line on a terminal when the batch is large."""
    show = len(units) >= 5000 and hasattr(stderr, "isatty") and stderr.isatty()  # noqa: PLR2004
    if show:
        stderr.write(f"scoring {len(units)} units …\r")
        stderr.flush()
    assessment = api.evaluate_all(plan, units)
    if show:
        stderr.write(" " * 40 + "\r")
    return assessment


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
    tty = hasattr(stderr, "isatty") and stderr.isatty()

    def progress(count: int) -> None:
        stderr.write(f"scoring: {count} units read …\r")
        stderr.flush()

    def rejected(unit: str, problems: list[str]) -> None:
        for problem in problems:
            stderr.write(f"rejected {terminal(f'{unit}: {problem}', one_line=True)}\n")

    summary = stream.score_csv(plan, args.facts[0], args.output,
                               progress=progress if tty else None, on_rejected=rejected)
    if tty:
        stderr.write(" " * 40 + "\r")
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
        stdout.write(terminal(explain(assessment, args.unit)) + "\n")
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
        built = template.build(plan, args.assessor, args.category)
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
