"""fact_table.plain_decimals reads Decimals' text joined by newlines; whatever the rows' widths,
each row's value is the Decimal's own (scaled integer and places), or the reader declines."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from govscore.engine.fact_table import plain_decimals


def _expected(value: Decimal) -> tuple[int, int]:
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    scaled = int("".join(map(str, digits)))
    return (-scaled if sign else scaled), max(0, -exponent)


def test_rows_of_other_widths_that_tile_are_not_read_as_one_width() -> None:
    # "0.0\n0\n0" is 7 bytes: two rows of "xyz\n" would fit if the widths were not checked
    scaled, places, ok = plain_decimals("0.0\n0\n0")  # type: ignore[misc]
    assert list(scaled) == [0, 0, 0]
    assert list(places) == [1, 0, 0]
    assert list(ok) == [True, True, True]


# short rows of mixed widths ("0", "0.0", "-1.25"): the widths that could tile by accident
DECIMALS = st.builds(lambda whole, places: Decimal(whole).scaleb(-places),
                     st.one_of(st.integers(0, 9), st.integers(-999, 999)), st.integers(0, 2))


@settings(max_examples=300, deadline=None)
@given(st.lists(DECIMALS, min_size=1, max_size=8))
def test_every_row_is_its_decimal(values: list[Decimal]) -> None:
    texts = [str(v) for v in values]
    read = plain_decimals("\n".join(texts))
    if read is None:
        return  # declined: the cells are read one by one
    scaled, places, ok = read
    assert len(scaled) == len(values)
    for i, value in enumerate(values):
        if ok[i]:
            assert (int(scaled[i]), int(places[i])) == _expected(value), texts
