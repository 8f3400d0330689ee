"""Batches: one bad unit never stops the others, the counts always add up, an interrupted write
leaves no half-written report, and re-running gives byte-identical output."""

from __future__ import annotations

import io
import json
import os
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import govscore
from govscore import api, cli
from govscore.views import report

from .common import ROOT, tiny_plan, unit


@pytest.mark.parametrize("columns", [False, True], ids=["unit-by-unit", "columns"])
def test_one_bad_unit_among_100000(monkeypatch: pytest.MonkeyPatch, columns: bool) -> None:
    """99,999 scored, one rejected with its code. Work is counted, not timed: every entry is
    scored once, and only the bad one goes the slow way (the full check), so one bad unit
    costs the others nothing (the real figures are in docs/security.md). Through the columns
    (numpy installed) the good units are scored as columns and only the bad one goes unit by
    unit."""
    if columns:
        pytest.importorskip("numpy")
    else:
        monkeypatch.setattr(api, "COLUMNS_FROM", 10**9)
    plan = tiny_plan("a")
    units = [unit(f"u{i}", a=Decimal(i % 1000)) for i in range(100_000)]
    units[54_321] = unit("u54321", a="五十")
    calls: Counter[str] = Counter()
    for name in ("score_entry", "prepare"):
        real = getattr(api, name)
        monkeypatch.setattr(api, name, lambda *a, _real=real, _name=name, **k:
                            calls.update([_name]) or _real(*a, **k))
    result = govscore.evaluate_all(plan, units)
    assert calls == {"score_entry": 1 if columns else 100_000, "prepare": 1}
    assert result.submitted == 100_000
    assert len(result.results) == 99_999
    (rejected,) = result.rejected
    assert (rejected.index, rejected.unit) == (54_321, "u54321")
    assert [d.code for d in rejected.diagnostics] == ["GS403"]
    assert result.results["u1999"].total == Decimal("100")  # capped at the item max


JUNK = st.one_of(
    st.none(), st.booleans(), st.integers(-10, 2000), st.text(max_size=5),
    st.decimals(allow_nan=True, allow_infinity=True), st.floats(),
    st.sampled_from([Decimal("1E+999999"), Decimal("NaN"), [], {}, [1], {"x": 1}]),
)
FACTS = st.dictionaries(st.sampled_from(["a", "b", "p", "x", "f"]),
                        st.one_of(st.decimals(min_value=0, max_value=1000, places=2), JUNK),
                        max_size=4)
ENTRY = st.one_of(
    st.builds(lambda i, f: {"id": i, "facts": f}, st.sampled_from([f"u{i}" for i in range(8)]),
              FACTS),
    st.builds(lambda i, f, extra: {"id": i, "facts": f, **extra},
              st.one_of(st.none(), st.integers(), st.just(""), st.just("  ")), FACTS,
              st.dictionaries(st.sampled_from(["tier", "category", "colour"]), JUNK,
                              max_size=2)),
    JUNK,
)


@settings(max_examples=60, deadline=None)
@given(st.lists(ENTRY, max_size=15))
def test_counts_always_add_up(entries: list[Any]) -> None:
    """Every submitted entry is either scored or rejected, never both, never lost."""
    plan = tiny_plan("a / b if b > 0 else 0")
    result = govscore.evaluate_all(plan, entries)
    assert result.submitted == len(entries)
    assert len(result.results) + len(result.rejected) == len(entries)
    rejected = [r.index for r in result.rejected]
    assert len(set(rejected)) == len(rejected)
    scored = [i for i, e in enumerate(entries)
              if isinstance(e, dict) and e.get("id") in result.results]
    assert sorted(rejected + scored) == list(range(len(entries)))
    for r in result.rejected:
        assert r.diagnostics
        assert all(d.code in govscore.CODES for d in r.diagnostics)


# ------------------------------------------------------------------------- interrupted writes

class _DiskFullError(Exception):
    pass


def _half_write(real_fdopen: Any, exc: BaseException) -> Any:
    class Half(io.RawIOBase):
        def __init__(self, fd: int) -> None:
            self._f = real_fdopen(fd, "wb")

        def write(self, data: Any) -> int:
            self._f.write(bytes(data)[: len(data) // 2])
            self._f.flush()
            raise exc

        def __enter__(self) -> Half:
            return self

        def __exit__(self, *args: object) -> None:
            self._f.close()

    return lambda fd, mode="r", *a, **k: Half(fd)


@pytest.mark.parametrize("exc", [_DiskFullError("disk full"), KeyboardInterrupt()],
                         ids=["exception", "KeyboardInterrupt"])
@pytest.mark.parametrize("where", ["write", "fsync", "replace"])
def test_interrupted_write_leaves_no_half_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 exc: BaseException, where: str) -> None:
    """Interrupted mid-write, before the sync or at the rename: the old report is intact (or
    there is none), no temporary file is left, and the interruption propagates."""
    target = tmp_path / "out.json"
    target.write_bytes(b"old report\n")
    if where == "write":
        monkeypatch.setattr(os, "fdopen", _half_write(os.fdopen, exc))
    else:
        def fail(*args: object, **kwargs: object) -> None:
            raise exc

        monkeypatch.setattr(os, where, fail)
    with pytest.raises(type(exc)):
        report.atomic_write(target, b'{"new": "report"}\n' * 1000)
    monkeypatch.undo()
    assert target.read_bytes() == b"old report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]
    fresh = tmp_path / "fresh.json"
    monkeypatch.setattr(os, "replace", lambda *a: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        report.atomic_write(fresh, b"x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


def test_cli_interrupted_at_rename_leaves_nothing(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """govscore score -o, interrupted by Ctrl-C at the rename: no report, no temporary file."""
    out = tmp_path / "result.json"

    def interrupt(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupt)
    with pytest.raises(KeyboardInterrupt):
        cli.run(["score", str(ROOT / "schemes/s3-chengdu.yaml"),
                 str(ROOT / "examples/s3-chengdu.facts.yaml"), "-o", str(out)],
                io.StringIO(), io.StringIO())
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("scheme", "facts", "suffix"), [
    ("schemes/s3-chengdu.yaml", "examples/s3-chengdu.facts.yaml", ".json"),
    ("schemes/s3-chengdu.yaml", "examples/s3-chengdu.facts.yaml", ".csv"),
    ("schemes/s4-anhui.yaml", "examples/s4-anhui.facts.yaml", ".json"),
])
def test_rerun_is_byte_identical(tmp_path: Path, scheme: str, facts: str, suffix: str) -> None:
    """Re-running govscore score ... -o x gives the same bytes."""
    out = tmp_path / f"x{suffix}"
    outputs = []
    for _ in range(2):
        code = cli.run(["score", str(ROOT / scheme), str(ROOT / facts), "-o", str(out)],
                       io.StringIO(), io.StringIO())
        assert code in (0, 1)
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    if suffix == ".json":
        json.loads(outputs[0])
