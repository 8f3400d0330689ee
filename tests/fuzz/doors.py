"""The doors the fuzzers and the crashers go through, and what every outcome must be."""

from __future__ import annotations

import csv
import io
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import govscore
from govscore import textsafe
from govscore.errors import GovscoreError
from govscore.inputs import readers
from govscore.language import formulas
from tests.security.common import tiny_plan

EXAMPLES = int(os.environ.get("GOVSCORE_FUZZ_EXAMPLES", "40"))
"""Examples per fuzz target: a few dozen in CI, as many as wanted in a long local run."""

MESSAGE_BOUND = 3 * textsafe.MAX_MESSAGE
"""No diagnostic's text (message, path, hint) may be longer than this."""

NAMES = {"a": Decimal(1), "b": Decimal(2), "p": True}


def check_diagnostics(exc: BaseException) -> None:
    """Every diagnostic of a govscore error is bounded and shows no raw escape or bell."""
    for d in getattr(exc, "diagnostics", ()):
        text = str(d)
        assert len(text) <= MESSAGE_BOUND, len(text)
        assert "\x1b" not in text
        assert "\x07" not in text


def scheme_door(text: str) -> None:
    """Load a scheme from text: a scheme or a SchemeError, nothing else."""
    try:
        govscore.load(text=text, name="fuzz.yaml")
    except govscore.SchemeError as exc:
        check_diagnostics(exc)


def facts_door(path: Path) -> None:
    """Read a facts file and score it with the tiny scheme: nothing lost, only coded errors,
    and a CSV report whose cells a spreadsheet never runs as formulas."""
    try:
        units = readers.read_facts(path)
    except govscore.FactsFileError as exc:
        check_diagnostics(exc)
        return
    assert units, "an empty batch must be refused, not scored as nothing"
    plan = tiny_plan()
    assessment = govscore.evaluate_all(plan, units)
    assert len(assessment.results) + len(assessment.rejected) == assessment.submitted == len(units)
    from govscore.views import report

    for row in csv.reader(io.StringIO(report.to_csv(assessment, plan))):
        # the cell as a spreadsheet reads it ('"@' is text beginning with a quote: harmless)
        assert not row or not row[0].startswith(("=", "+", "-", "@", "\t", "\r")), row


def formula_door(text: str, env: dict[str, Any]) -> None:
    """Compile a formula and run it: a value or a FormulaError, nothing else."""
    try:
        compiled = formulas.compile_formula(text, NAMES)
    except formulas.FormulaError as exc:
        message = str(exc)
    else:
        message = ""
    assert len(message) <= MESSAGE_BOUND
    if message:
        return
    try:
        result = compiled.evaluate({n: env.get(n, NAMES[n]) for n in compiled.names})
    except GovscoreError:
        return
    assert isinstance(result, (Decimal, bool))
