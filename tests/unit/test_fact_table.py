"""The facts hash's canonical form (engine/fact_table.py, "govscore facts 2"): one digest for
the same facts however the table was taken, a different one for different facts, and the
documented bytes, worked out here by hand for a small batch."""

from __future__ import annotations

import hashlib
import struct
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import govscore
from govscore import api
from govscore.engine import fact_table

D = Decimal


def test_the_documented_bytes_of_a_small_batch() -> None:
    """Two entries {id, facts: {a, r}}: columns sorted by name — ".id", "facts.a",
    "facts.r"; ids are text without NUL (S), a are ints in int64 (I, little-endian), r are
    Decimals (D, their str joined by newlines)."""
    entries = [{"id": "锦江区", "facts": {"r": D("0.950"), "a": 3}},
               {"id": "U2", "facts": {"a": -1, "r": D("1")}}]
    expected = (b"govscore facts 2\n" + b"2\n"
                + b'".id"\n' + b"S" + "锦江区\0U2".encode() + b"\n"
                + b'"facts.a"\n' + b"I" + struct.pack("<qq", 3, -1) + b"\n"
                + b'"facts.r"\n' + b"D" + b"0.950\n1" + b"\n")
    assert api.facts_hash(entries) == hashlib.sha256(expected).hexdigest()


def test_the_general_form_of_a_mixed_column() -> None:
    """One entry without the fact (missing), one with None, True, a long int, text, a list:
    tags "-ntisj", values of i, s, j only (the list as the sha256 of its canonical JSON)."""
    entries = [{"id": "A", "facts": {}}, {"id": "B", "facts": {"x": None}},
               {"id": "C", "facts": {"x": True}}, {"id": "D", "facts": {"x": 10**20}},
               {"id": "E", "facts": {"x": "是"}}, {"id": "F", "facts": {"x": [D("1.5")]}}]
    listed = hashlib.sha256(b'["1.5"]').hexdigest()
    expected = (b"govscore facts 2\n6\n" + b'".id"\nS' + "\0".join("ABCDEF").encode() + b"\n"
                + b'"facts.x"\nG' + b"-ntisj\n"
                + f'100000000000000000000\n"是"\n{listed}'.encode() + b"\n")
    assert api.facts_hash(entries) == hashlib.sha256(expected).hexdigest()


def test_different_facts_hash_differently() -> None:
    base = [{"id": "U1", "facts": {"x": D("1.0")}}]
    variants = [
        [{"id": "U1", "facts": {"x": D("1.00")}}],  # written with another place
        [{"id": "U1", "facts": {"x": 1}}],  # an int, not a Decimal
        [{"id": "U1", "facts": {"x": True}}],
        [{"id": "U1", "facts": {"x": None}}],
        [{"id": "U1", "facts": {}}],
        [{"id": "U1", "facts": {"y": D("1.0")}}],
        [{"id": "U1", "x": D("1.0"), "facts": {}}],  # a unit key, not a fact
        [{"id": "U1", "facts": {"x": D("1.0")}}, {"id": "U2", "facts": {}}],
        "U1",
    ]
    digests = {api.facts_hash(v) for v in [base, *variants]}
    assert len(digests) == 1 + len(variants)


def test_key_order_does_not_matter_entry_order_does() -> None:
    a = [{"id": "U1", "facts": {"x": 1, "y": 2}}, {"id": "U2", "facts": {"y": 3, "x": 4}}]
    b = [{"facts": {"y": 2, "x": 1}, "id": "U1"}, {"id": "U2", "facts": {"x": 4, "y": 3}}]
    assert api.facts_hash(a) == api.facts_hash(b)
    assert api.facts_hash(a) != api.facts_hash(list(reversed(a)))


CELLS = st.one_of(st.integers(-(2**70), 2**70), st.decimals(allow_nan=True, places=None),
                  st.booleans(), st.none(), st.text(max_size=4), st.lists(st.integers(),
                                                                          max_size=2))


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.dictionaries(st.sampled_from(["a", "b", "c"]), CELLS, max_size=3),
                min_size=1, max_size=6), st.booleans())
def test_one_digest_whichever_way_the_table_is_taken(facts: list[dict[str, Any]],
                                                     same: bool) -> None:
    """Entry by entry or a whole column at a time (a batch of one shape): the same bytes."""
    if same:
        facts = [dict.fromkeys(("a", "b"), f.get("a")) for f in facts]
    entries = [{"id": f"U{i}", "facts": f} for i, f in enumerate(facts)]
    whole = fact_table.table(entries)
    one_by_one = fact_table.table(entries, whole_columns=False)
    assert whole.columns == one_by_one.columns or \
        {k: list(map(repr, v)) for k, v in whole.columns.items()} == \
        {k: list(map(repr, v)) for k, v in one_by_one.columns.items()}  # NaN ≠ NaN
    assert fact_table.table_digest(whole) == fact_table.table_digest(one_by_one)


def test_the_record_is_the_same_whichever_path_scored() -> None:
    """300 units through the columns and unit by unit: one record, one facts hash."""
    plan = govscore.compile(govscore.load(text="""
govscore: "1"
id: t
title: t
version: "1"
source: {document: t}
precision: {places: 2, rounding: half_up}
score:
  id: root
  title: 总分
  children:
    - {id: m, title: 得分, max: 100, rule: {kind: manual, min: 0, max: 100}}
""", name="t.yaml"))
    units = [{"id": f"U{i}", "facts": {"m": D(i % 100) / 4}} for i in range(300)]
    by_columns = api._evaluate_all(plan, units, columns=True)
    by_units = api._evaluate_all(plan, units, columns=False)
    assert by_columns.record.facts_sha256 == by_units.record.facts_sha256 == \
        api.facts_hash(units)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.one_of(
    st.lists(st.decimals(allow_nan=True, allow_infinity=True), min_size=1, max_size=8),
    st.integers(0, 9).flatmap(lambda places: st.lists(  # one width and point: the matrix form
        st.integers(0, 10**6).map(lambda i: D(i).scaleb(-places)), min_size=1, max_size=8))))
def test_decimal_text_read_by_numpy_is_each_decimal_exactly(values: list[Decimal]) -> None:
    """Each value read back is its coefficient and places (Decimal.as_tuple), not ok only for
    a negative zero — or the column is refused whole (then read one by one)."""
    import pytest

    np = pytest.importorskip("numpy")
    del np
    read = fact_table.plain_decimals("\n".join(map(str, values)))
    if read is None:
        return
    scaled, places, ok = read
    for v, s, p, good in zip(values, scaled.tolist(), places.tolist(), ok.tolist(), strict=True):
        sign, digits, exponent = v.as_tuple()
        assert isinstance(exponent, int)
        assert 0 <= -exponent <= 9
        assert len(digits) <= 18
        coefficient = int("".join(map(str, digits)))
        assert (s, p) == (-coefficient if sign else coefficient, -exponent)
        assert good == (not (v.is_zero() and v.is_signed()))
