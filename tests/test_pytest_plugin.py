"""The pytest plugin in someone else's project, through pytester: it collects govscore scheme tests
(recognised by content: a top-level ``scheme: FILE.yaml``), never another tool's
``*.test.yaml``, and can be switched off (ini option, flag, ``-o``, ``-p no:govscore``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from govscore import scheme_tests

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]
SCHEME = ROOT / "schemes" / "s3-chengdu.yaml"
SCHEME_TEST = ROOT / "schemes" / "tests" / "s3-chengdu.test.yaml"
CASES = len(scheme_tests.run_file(SCHEME_TEST))

FOREIGN_TEST = """\
# an HTTP health check fixture of another tool
name: health
request: {method: GET, path: /health}
cases:
  - status: 200
    body: ok
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A project with a Python test and another tool's tests/health.test.yaml."""
    pytester.mkdir("tests")
    (pytester.path / "tests" / "health.test.yaml").write_text(FOREIGN_TEST, encoding="utf-8")
    (pytester.path / "tests" / "test_app.py").write_text("def test_app():\n    assert True\n",
                                                          encoding="utf-8")
    return pytester


def _add_scheme_test(pytester: pytest.Pytester) -> None:
    (pytester.path / "schemes" / "tests").mkdir(parents=True)
    (pytester.path / "schemes" / SCHEME.name).write_bytes(SCHEME.read_bytes())
    (pytester.path / "schemes" / "tests" / SCHEME_TEST.name).write_bytes(SCHEME_TEST.read_bytes())


def test_a_foreign_test_yaml_is_not_collected(project):
    result = project.runpytest("-q")
    result.assert_outcomes(passed=1)
    assert result.ret == 0
    collected = project.runpytest("--collect-only", "-q")
    assert "health.test.yaml" not in collected.stdout.str()
    assert "GS602" not in result.stdout.str()


def test_a_scheme_test_is_collected_one_item_per_case(project):
    _add_scheme_test(project)
    result = project.runpytest("-q")
    result.assert_outcomes(passed=CASES + 1)
    collected = project.runpytest("--collect-only", "-q").stdout.str()
    assert collected.count("s3-chengdu.test.yaml::") == CASES
    assert "health.test.yaml" not in collected


def test_a_broken_scheme_test_is_still_collected_and_fails(project):
    (project.path / "broken.test.yaml").write_text("scheme: missing.yaml\ncases: []\n",
                                                   encoding="utf-8")
    (project.path / "no_cases.test.yaml").write_text("scheme: missing.yaml\n", encoding="utf-8")
    result = project.runpytest("-q")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(["*broken.test.yaml*", "*no_cases.test.yaml*"])
    assert "GS602" in result.stdout.str()


@pytest.mark.parametrize("how", ["ini", "-o", "flag", "-p no:govscore"])
def test_collection_can_be_switched_off(project, how):
    _add_scheme_test(project)
    args = ["-q"]
    if how == "ini":
        project.makeini("[pytest]\ngovscore_scheme_tests = false\n")
    elif how == "-o":
        args += ["-o", "govscore_scheme_tests=false"]
    elif how == "flag":
        args += ["--no-govscore-scheme-tests"]
    else:
        args += ["-p", "no:govscore"]
    result = project.runpytest(*args)
    result.assert_outcomes(passed=1)
    assert ".test.yaml" not in project.runpytest("--collect-only", *args).stdout.str()


def test_the_ini_option_true_keeps_collecting(project):
    _add_scheme_test(project)
    project.makeini("[pytest]\ngovscore_scheme_tests = true\n")
    project.runpytest("-q").assert_outcomes(passed=CASES + 1)
