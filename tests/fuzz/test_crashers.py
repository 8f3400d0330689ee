"""Every input that once crashed govscore, replayed through its door on every run (README.md)."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from .doors import facts_door, formula_door, scheme_door

CRASHERS = sorted((Path(__file__).parent / "crashers").iterdir())


def test_there_are_crashers():
    assert len(CRASHERS) >= 5


@pytest.mark.parametrize("path", CRASHERS, ids=lambda p: p.name)
def test_crasher_is_handled(path, tmp_path):
    name = path.name
    if name.endswith(".scheme.yaml"):
        scheme_door(path.read_bytes().decode("utf-8", "surrogateescape"))
    elif name.endswith(".formula"):
        formula_door(path.read_text(encoding="utf-8").strip(), {"a": Decimal(0)})
    elif ".facts." in name:
        copy = tmp_path / ("f" + name[name.index(".facts.") + 6:])
        shutil.copyfile(path, copy)
        facts_door(copy)
    else:
        pytest.fail(f"{name}: unknown door (see README.md for the suffixes)")
