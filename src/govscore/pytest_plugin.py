"""pytest collects scheme tests (``*.test.yaml``): one test item per case."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from govscore import scheme_tests
from govscore.errors import GovscoreError


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.name.endswith(".test.yaml"):
        return SchemeTestFile.from_parent(parent, path=file_path)
    return None


class SchemeTestFile(pytest.File):
    def collect(self) -> Any:
        try:
            outcomes = scheme_tests.run_file(self.path)
        except GovscoreError as exc:  # the test file (GS602) or its scheme is invalid, unreadable
            yield SchemeTestCase.from_parent(self, name="<file>", outcome=None, error=str(exc))
            return
        for outcome in outcomes:
            yield SchemeTestCase.from_parent(self, name=outcome.name, outcome=outcome, error="")


class SchemeTestCase(pytest.Item):
    def __init__(self, *, outcome: scheme_tests.CaseOutcome | None, error: str,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.outcome = outcome
        self.error = error

    def runtest(self) -> None:
        if self.outcome is None:
            raise SchemeTestFailedError(self.error, code="GS602")
        if not self.outcome.passed:
            raise SchemeTestFailedError("\n".join(self.outcome.failures))

    def repr_failure(self, excinfo: Any, style: Any = None) -> str:
        if isinstance(excinfo.value, SchemeTestFailedError):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        line = self.outcome.line if self.outcome else 0
        return self.path, max(line - 1, 0), f"scheme test: {self.name}"


class SchemeTestFailedError(GovscoreError):
    """A scheme test case did not give what it expects (GS601), or its file could not be run
    (GS602). ``str()`` is the failures alone, as pytest shows them; the code is an attribute."""

    def __init__(self, message: str, *, code: str = "GS601") -> None:
        self.code = code
        super().__init__(message)
