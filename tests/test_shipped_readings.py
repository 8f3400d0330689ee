"""Issue 11 point 10, the shipped schemes read against the seeds: no seed states how scores are
rounded, so every shipped scheme lists its rounding as an assumption, in words that match its
``precision`` (the engine's default, 2 places half up, is a reading of the text like any other)."""

from __future__ import annotations

from pathlib import Path

import pytest

import govscore

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted((ROOT / "schemes").glob("*.yaml"))
WORDS = {"half_up": ("half up", "四舍五入"), "half_even": ("half to even", "四舍六入")}


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_shipped_scheme_states_its_rounding_as_an_assumption(path: Path) -> None:
    scheme = govscore.load(path).scheme
    (rounding,) = [a for a in scheme.assumptions if a.id == "rounding"]
    places, mode = scheme.precision.places, scheme.precision.rounding
    assert all(word in rounding.text for word in WORDS[mode]), rounding.text
    assert f"{places} decimal places" in rounding.text, rounding.text


def test_every_scheme_is_shipped() -> None:
    assert len(SHIPPED) == 7  # S1–S6 and 003
