"""Every exception that can reach a caller is a GovscoreError with a stable code; internal
control-flow exceptions stay private to their module."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest

import govscore
from govscore import pytest_plugin
from govscore.errors import CODES, GovscoreError, UsageError, whole_population_error
from govscore.inputs import tables
from govscore.language import formulas, yaml_reader

from .security.common import tiny

NOT_YET_GOVSCORE_ERRORS: frozenset[str] = frozenset()


def _public_exceptions() -> list[str]:
    found = []
    for info in pkgutil.walk_packages(govscore.__path__, "govscore."):
        if info.name == "govscore.__main__":  # runs the command line when imported
            continue
        module = importlib.import_module(info.name)
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == info.name and issubclass(cls, BaseException) \
                    and not name.startswith("_") and not issubclass(cls, GovscoreError):
                found.append(f"{info.name}.{name}")
    return sorted(found)


def test_every_public_exception_is_a_govscore_error() -> None:
    assert _public_exceptions() == sorted(NOT_YET_GOVSCORE_ERRORS)


def test_formula_error_carries_its_code_and_column() -> None:
    with pytest.raises(GovscoreError) as info:
        formulas.compile_formula("a +", {"a": None})
    assert isinstance(info.value, formulas.FormulaError)  # except FormulaError still catches it
    assert info.value.code == "GS306"
    assert info.value.code in CODES
    assert info.value.column is not None
    assert not str(info.value).startswith("GS306")  # str() is the message alone, as before
    compiled = formulas.compile_formula("a / b", {"a": None, "b": None})
    with pytest.raises(formulas.FormulaError) as run:
        compiled.evaluate({"a": Decimal(1), "b": Decimal(0)})
    assert run.value.code == "GS502"


def test_yaml_error_is_a_govscore_error_with_coded_diagnostics() -> None:
    with pytest.raises(GovscoreError) as info:
        yaml_reader.parse("a: [1,\n", "x.yaml")
    assert isinstance(info.value, yaml_reader.YamlError)
    assert [d.code for d in info.value.diagnostics] == ["GS103"]


def test_cell_error_is_public_and_coded() -> None:
    with pytest.raises(GovscoreError) as info:
        tables.unit_id("#N/A")
    assert isinstance(info.value, tables.CellError)
    assert info.value.code == "GS409"
    assert "#N/A" in str(info.value)


def test_scheme_test_failed_error_is_coded() -> None:
    assert issubclass(pytest_plugin.SchemeTestFailedError, GovscoreError)
    assert pytest_plugin.SchemeTestFailedError("x").code == "GS601"
    assert pytest_plugin.SchemeTestFailedError("x", code="GS602").code == "GS602"


def test_pytest_shows_a_failed_scheme_test_as_before(tmp_path: Path) -> None:
    (tmp_path / "tiny.yaml").write_text(tiny(), encoding="utf-8")
    (tmp_path / "tiny.test.yaml").write_text(textwrap.dedent("""\
        scheme: tiny.yaml
        cases:
          - name: wrong on purpose
            units:
              - {id: U, facts: {a: 5}}
            expect:
              U: {total: 999}
        """), encoding="utf-8")
    (tmp_path / "broken.test.yaml").write_text("scheme: tiny.yaml\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "-p", "no:randomly", "--rootdir", str(tmp_path), str(tmp_path)],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120, check=False)
    out = done.stdout
    assert done.returncode == 1, out
    assert "2 failed" in out, out
    assert "Traceback" not in out, out
    assert "SchemeTestFailedError" not in out, out
    assert "GS602" in out, out  # the broken file's own diagnostic, shown as its failure


def test_whole_population_error_names_the_items() -> None:
    error = whole_population_error(["speed", "rank"])
    assert isinstance(error, UsageError)
    assert error.code == "GS501"
    assert str(error).startswith("GS501 this scheme scores some items against the whole "
                                 "population (speed, rank): ")
