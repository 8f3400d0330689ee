"""pytest collects scheme tests (``*.test.yaml``): one test item per case.

Installed with govscore, the plugin is active in every pytest run of the environment, so it is polite:
it collects a ``*.test.yaml`` only when the file is a govscore scheme test *by content* (top-level
``scheme:`` naming a ``.yaml``/``.yml`` file in its first 64 KiB; see
:mod:`govscore.scheme.detect`) and leaves every other ``*.test.yaml`` to whoever owns it. It is
switched off by ``-p no:govscore``, by ``--no-govscore-scheme-tests``, or by the ini option
``govscore_scheme_tests = false`` (also ``-o govscore_scheme_tests=false``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from govscore import scheme_tests
from govscore.errors import GovscoreError
from govscore.scheme import detect

INI_OPTION = "govscore_scheme_tests"
FLAG = "--no-govscore-scheme-tests"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(INI_OPTION, type="bool", default=True,
                  help="collect govscore scheme tests (*.test.yaml with top-level 'scheme: "
                       "FILE.yaml'); false switches the govscore plugin's collection "
                       "off")
    parser.getgroup("govscore").addoption(
        FLAG, action="store_true", default=False, dest="no_govscore_scheme_tests",
        help="do not collect govscore scheme tests (as the ini option govscore_scheme_tests = false)")


def _enabled(config: pytest.Config) -> bool:
    return bool(config.getini(INI_OPTION)) and not config.getoption("no_govscore_scheme_tests")


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if (file_path.name.endswith(".test.yaml") and _enabled(parent.config)
            and detect.is_scheme_test(file_path)):
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
