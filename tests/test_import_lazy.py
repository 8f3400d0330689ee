"""`import govscore` is cheap: the public names are imported on first use (pydantic's model
building is paid by the first load, not by `govscore --version` or a bare import)."""

from __future__ import annotations

import subprocess
import sys

import pytest


def test_import_does_not_build_the_models() -> None:
    code = ("import sys, govscore; print('govscore.language.model' in sys.modules, "
            "'pydantic' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_every_public_name_resolves_and_is_cached() -> None:
    code = ("import govscore\n"
            "for name in govscore.__all__:\n"
            "    value = getattr(govscore, name)\n"
            "    assert vars(govscore)[name] is value, name\n"
            "print(govscore.__version__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip()


def test_unknown_name_is_an_attribute_error() -> None:
    import govscore

    with pytest.raises(AttributeError, match="no_such_name"):
        govscore.no_such_name  # noqa: B018 - the attribute access is the test
