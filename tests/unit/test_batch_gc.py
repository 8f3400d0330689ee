"""evaluate_all pauses Python's cyclic garbage collector for the batch (performance) and always
leaves it as it found it, also when scoring fails."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

import govscore

ROOT = Path(__file__).resolve().parents[2]


def test_collector_state_is_restored() -> None:
    plan = govscore.compile(ROOT / "schemes/s3-chengdu.yaml")
    assert gc.isenabled()
    govscore.evaluate_all(plan, [])
    assert gc.isenabled()
    gc.disable()
    try:
        govscore.evaluate_all(plan, [])
        assert not gc.isenabled()  # a caller who paused it keeps it paused
    finally:
        gc.enable()


def test_collector_resumes_after_an_error() -> None:
    plan = govscore.compile(ROOT / "schemes/s3-chengdu.yaml")

    def broken() -> object:
        raise RuntimeError("the caller's iterator failed")
        yield  # pragma: no cover

    with pytest.raises(RuntimeError):
        govscore.evaluate_all(plan, broken())
    assert gc.isenabled()
