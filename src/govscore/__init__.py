"""govscore: exact, explainable scoring of government assessment schemes (考核细则).

>>> import govscore
>>> plan = govscore.compile("schemes/s3-chengdu.yaml")            # doctest: +SKIP
>>> assessment = govscore.evaluate_all(plan, units)               # doctest: +SKIP
>>> print(govscore.explain(assessment, "锦江区"))                   # doctest: +SKIP
"""

from __future__ import annotations

import importlib as _importlib
import typing as _typing

# Bound now, not on first use: the submodule govscore.views.explain shares the function's name, and
# importing a submodule sets the package attribute to the module (light: results and errors).
from govscore.views.explain import explain

if _typing.TYPE_CHECKING:  # the names below are imported on first use (import govscore stays fast)
    from govscore.api import (
        compile,
        derive_facts,
        evaluate,
        evaluate_all,
        evaluate_records,
        facts_hash,
        load,
        prepare,
        read_facts,
        read_frame,
        score_frame,
        version,
        write_report,
    )
    from govscore.engine.plan import Plan
    from govscore.engine.results import (
        Assessment,
        AwardScope,
        NodeResult,
        Placement,
        Record,
        Rejected,
        TraceStep,
        UnitResult,
    )
    from govscore.errors import (
        CODES,
        Diagnostic,
        EvaluationError,
        FactsError,
        FactsFileError,
        GovscoreError,
        SchemeError,
        Span,
        UsageError,
    )
    from govscore.scheme.loader import LoadedScheme, check_file

    __version__: str

# public name → the module that defines it. Importing the models builds pydantic's validators
# (~0.4 s); a command like `govscore --version` or a program that only imports govscore should
# not pay for that, so each name is imported when it is first used.
_HOME = {
    **dict.fromkeys(["compile", "evaluate", "evaluate_all", "facts_hash", "load", "prepare",
                     "read_facts", "read_frame", "score_frame", "version", "write_report",
                     "derive_facts", "evaluate_records"],
                    "api"),
    "Plan": "engine.plan",
    **dict.fromkeys(["CODES", "Diagnostic", "EvaluationError", "FactsError", "FactsFileError",
                     "GovscoreError", "SchemeError", "Span", "UsageError"], "errors"),
    "LoadedScheme": "scheme.loader", "check_file": "scheme.loader",
    **dict.fromkeys(["Assessment", "AwardScope", "NodeResult", "Placement", "Record", "Rejected",
                     "TraceStep", "UnitResult"], "engine.results"),
}


def __getattr__(name: str) -> _typing.Any:
    if name == "__version__":
        value: _typing.Any = _importlib.import_module("govscore.api").version()
    elif name in _HOME:
        value = getattr(_importlib.import_module(f"govscore.{_HOME[name]}"), name)
    else:
        msg = f"module 'govscore' has no attribute {name!r}"
        raise AttributeError(msg)
    globals()[name] = value  # once imported, a plain module attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "CODES",
    "Assessment",
    "AwardScope",
    "Diagnostic",
    "EvaluationError",
    "FactsError",
    "FactsFileError",
    "GovscoreError",
    "LoadedScheme",
    "NodeResult",
    "Placement",
    "Plan",
    "Record",
    "Rejected",
    "SchemeError",
    "Span",
    "TraceStep",
    "UnitResult",
    "UsageError",
    "__version__",
    "check_file",
    "compile",
    "derive_facts",
    "evaluate",
    "evaluate_all",
    "evaluate_records",
    "explain",
    "facts_hash",
    "load",
    "prepare",
    "read_facts",
    "read_frame",
    "score_frame",
    "version",
    "write_report",
]
