"""The award lists of a file scored through the columns name the right units: the placement takes
the winners' ids from the file's Arrow ids in one call (bulk._Ids.take), as it would one by one."""

from __future__ import annotations

import pytest

np = pytest.importorskip("numpy")
pa = pytest.importorskip("pyarrow")

from govscore import bulk  # noqa: E402
from govscore.engine import population_columns  # noqa: E402


def test_winners_ids_taken_from_arrow_are_those_of_their_rows() -> None:
    names = ["锦江区", "青羊区", "金牛区", "武侯区", "成华区"]
    rows = np.array([3, 0, 4], dtype=np.int64)
    from_arrow = population_columns._names_of(bulk._Ids(pa.array(names, pa.string())), rows)
    from_list = population_columns._names_of(names, rows)
    assert from_arrow == from_list == ["武侯区", "锦江区", "成华区"]
    assert population_columns._names_of(bulk._Ids(pa.array(names)), rows[:0]) == []
