"""govscore: exact, explainable scoring of government assessment schemes (考核细则).

>>> import govscore
>>> plan = govscore.compile("schemes/s3-chengdu.yaml")            # doctest: +SKIP
>>> assessment = govscore.evaluate_all(plan, units)               # doctest: +SKIP
>>> print(govscore.explain(assessment, "锦江区"))                   # doctest: +SKIP
"""

from govscore.api import compile, evaluate, evaluate_all, facts_hash, load, prepare, version
from govscore.compiler import Plan
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
from govscore.explain import explain
from govscore.loader import LoadedScheme, check_file
from govscore.results import (
    Assessment,
    AwardScope,
    NodeResult,
    Placement,
    Record,
    Rejected,
    TraceStep,
    UnitResult,
)

__version__ = version()

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
    "evaluate",
    "evaluate_all",
    "explain",
    "facts_hash",
    "load",
    "prepare",
    "version",
]
