"""The pieces that make ``govscore score -o`` through the columns fast, each held equal to the
plain Python it replaces: a file's ids in bulk (inputs.columns.FileIds: sorted as ``sorted()``
sorts str, found by value), and the placement over an id column against the same placement
over a list of str."""

from __future__ import annotations

import csv
import dataclasses
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("numpy")
pytest.importorskip("pyarrow")

import numpy as np
import pyarrow as pa

import govscore
from govscore.engine import population_columns as pcol
from govscore.engine.results import AwardScope
from govscore.inputs.columns import FileIds
from govscore.textsafe import csv_cell
from govscore.views import report_columns
from tests.helpers import plan_from
from tests.unit.test_population import ITEM, TIERS
from tests.unit.test_population_columns import RING1, RING3, _units

# ids whose orders disagree between encodings: UTF-16 puts U+FFFF after an astral character
# (a surrogate pair starts at D800), code points and UTF-8 bytes put it before
TRICKY = ["\uffff", "\U00010000", "\ud7ff", "区县10", "区县2", "a", "B", "é", "e\u0301", "", " "]

ids_lists = st.lists(st.one_of(st.sampled_from(TRICKY),
                               st.text(st.characters(exclude_categories=["Cs"]), max_size=4)),
                     unique=True, max_size=40)


@settings(max_examples=200, deadline=None)
@given(ids_lists, st.data())
def test_file_ids_sort_and_find_as_python_does(ids: list[str], data: Any) -> None:
    column = FileIds(pa.array(ids, pa.string()))
    rows = data.draw(st.lists(st.integers(0, max(len(ids) - 1, 0)), unique=True)
                     if ids else st.just([]))
    assert column.sorted_ids(np.array(rows, dtype=np.int64)) == sorted(ids[r] for r in rows)
    wanted = set(data.draw(st.lists(st.sampled_from([*ids, "absent"]))))
    assert column.rows_of(wanted) == {u: r for r, u in enumerate(ids) if u in wanted}
    assert list(column) == ids
    assert [column[i] for i in range(len(ids))] == ids


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(TRICKY), max_size=12))
def test_an_id_given_twice_is_found(ids: list[str]) -> None:
    assert FileIds(pa.array(ids, pa.string())).repeated() == (len(set(ids)) != len(ids))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(1, 9)), max_size=30), st.booleans(),
       st.randoms(use_true_random=False))
def test_the_report_order_is_scope_rank_then_id(keys: list[tuple[int, int]], huge: bool,
                                                rnd: Any) -> None:
    """bulk._report_order against Python's sort of (scope, rank, id); ``huge`` codes the ids
    with gaps so wide that the three keys no longer fit one int64 (numpy's lexsort then)."""
    from govscore import bulk

    n = len(keys)
    place = list(range(n))
    rnd.shuffle(place)  # row r's id is the place[r]-th in order
    unit = np.array([(2**56 if huge else 1) * k for k in place], dtype=np.int64)
    scope = np.array([k[0] for k in keys], dtype=np.int64)
    rank = np.array([min(k[1], n) for k in keys], dtype=np.int64)
    got = bulk._report_order(scope, rank, unit).tolist()
    assert got == sorted(range(n), key=lambda r: (keys[r][0], min(keys[r][1], n), place[r]))


def test_tricky_ids_sort_by_code_point() -> None:
    # by hand: code points "" < " " (20) < "B" (42) < "a" (61) < "e\u0301" (65 …) < "é" (E9)
    # < "区县10" < "区县2" ("1" 31 < "2" 32) < U+D7FF < U+FFFF < U+10000
    column = FileIds(pa.array(TRICKY, pa.string()))
    assert column.sorted_ids(np.arange(len(TRICKY))) == [
        "", " ", "B", "a", "e\u0301", "é", "区县10", "区县2", "\ud7ff", "\uffff", "\U00010000"]


def _as_column(units: pcol.Units) -> pcol.Units:
    return dataclasses.replace(units, ids=FileIds(pa.array(list(units.ids), pa.string())))


def test_placement_over_an_id_column_equals_the_placement_over_a_list() -> None:
    """test_population_columns' hand-worked 30 % per 圈层 with a tie at the line, its ids as an
    Arrow column: 第三圈 8 × 0.3 → 2 places, 都江堰市 90.00 wins one, and 崇州市, 彭州市, 邛崃市
    at 88.50 are undecided for the other, listed in code-point order (崇 U+5D07 < 彭 U+5F6D <
    邛 U+909B); the named members of each 圈层 are found in the column by value."""
    plan = plan_from(ITEM, extra=TIERS)
    ring1 = dict(zip(RING1, ["95.00", "94.00", "93.00", "92.00", "91.00", "90.00"], strict=True))
    ring3 = dict(zip(RING3, ["90.00", "88.50", "88.50", "88.50", "84.00", "83.00", "82.00",
                             "81.00"], strict=True))
    units = _units({**ring1, **ring3}, ineligible=("锦江区",))
    as_column = pcol.place(plan, _as_column(units))
    assert as_column.awards == pcol.place(plan, units).awards
    assert as_column.awards[1] == AwardScope("excellent", "ring3", 8, 2, ("都江堰市",),
                                             ("崇州市", "彭州市", "邛崃市"), 1)
    # only 4 of 第三圈's 8 named districts scored: still 2 places (the named count)
    scored = _units(dict(zip(RING3[:4], ["90.00", "89.00", "88.00", "87.00"], strict=True)))
    assert pcol.place(plan, _as_column(scored)).awards == (
        AwardScope("excellent", "ring3", 8, 2, ("彭州市", "都江堰市"), (), 0),)


# -- the CSV writer over columns (views.report_columns.write) against csv.writer -------------

CELLS = st.one_of(st.sampled_from(["", "0.00", "98.50", "=1+1", "-3", "+x", "@a", "\tx", "'q",
                                   'say "hi"', "a,b", "line\nbreak", "cr\r", "ctl\x07",
                                   "zw\u200b", "区县1"]),
                  st.text(max_size=5))


@st.composite
def reports(draw: st.DrawFn) -> tuple[list[str], dict[str, Any], list[list[str]], Any]:
    """A report's columns in the forms bulk gives them (dictionary arrays, plain text with
    nulls, integer ranks), and the rows csv.writer would be given for them."""
    n = draw(st.integers(0, 30))
    names = draw(st.lists(st.sampled_from(["unit", "category", "tier", "grade", "awards",
                                           "total", "overall", "bonus", "base"]),
                          min_size=2, max_size=9, unique=True))  # a report has many columns:
    # csv.writer writes a row of one empty cell as "" (the only such quirk)
    columns: dict[str, Any] = {}
    expected_cells: dict[str, list[str]] = {}
    for name in names:
        guard = name in report_columns.TEXT_COLUMNS
        # a CR reaches the quoting only escaped (csv_cell, text) or never (numbers): csv.writer
        # with LF line ends would leave it unquoted, the columns quote it
        cells = CELLS if guard else CELLS.filter(lambda c: "\r" not in c)
        form = draw(st.sampled_from(["dictionary", "plain", "rank"]))
        if form == "rank":
            ranks = draw(st.lists(st.integers(1, 10**6), min_size=n, max_size=n))
            columns[name] = pa.array(ranks, pa.int64())
            expected_cells[name] = [str(r) for r in ranks]
            continue
        if form == "dictionary" and n:
            dictionary = draw(st.lists(cells, min_size=1, max_size=8, unique=True))
            codes = draw(st.lists(st.integers(0, len(dictionary) - 1), min_size=n, max_size=n))
            columns[name] = pa.DictionaryArray.from_arrays(
                pa.array(codes, pa.int8()), pa.array(dictionary, pa.string()))
            values: list[str | None] = [dictionary[c] for c in codes]
        else:
            values = draw(st.lists(st.one_of(st.none(), cells), min_size=n, max_size=n))
            columns[name] = pa.array(values, pa.string())
        expected_cells[name] = ["" if v is None else str(csv_cell(v)) if guard else v
                                for v in values]
    order = draw(st.none() | st.permutations(range(n)))
    rows = [[expected_cells[name][r] for name in names]
            for r in (range(n) if order is None else order)]
    return names, columns, rows, None if order is None else pa.array(order, pa.int64())


@settings(max_examples=150, deadline=None)
@given(reports(), st.sampled_from([0, 2, 4_096]), st.sampled_from([1, 6, 65_536]))
def test_the_csv_written_from_columns_is_what_csv_writer_writes(
        report: Any, small: int, grouped: int) -> None:
    """Cells through csv_cell (text columns), quoted as QUOTE_MINIMAL, LF line ends, a BOM:
    whether a dictionary's cells are prepared in Python (SMALL) or by Arrow, and however many
    adjacent columns are written as one (GROUPED)."""
    names, columns, rows, order = report
    saved = report_columns.SMALL, report_columns.GROUPED
    report_columns.SMALL, report_columns.GROUPED = small, grouped
    try:
        handle = io.BytesIO()
        report_columns.write(handle, ".csv", names, columns, order=order)
    finally:
        report_columns.SMALL, report_columns.GROUPED = saved
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows([names, *rows])
    assert handle.getvalue() == ("\ufeff" + text.getvalue()).encode("utf-8")


# -- the placement's counting forms against the sorts they replace ----------------------------

INT64S = st.integers(-(2**61), 2**61)
narrow_or_wide = st.one_of(st.lists(st.integers(-50, 50), max_size=40),
                           st.lists(INT64S, max_size=40),
                           st.lists(st.sampled_from([0, 2**40, -(2**40), 7]), max_size=40))


@settings(max_examples=300, deadline=None)
@given(narrow_or_wide)
def test_dense_is_np_unique(values: list[int]) -> None:
    """pcol.dense by a table over a small range, else by sorting: np.unique's answer."""
    array = np.array(values, dtype=np.int64)
    distinct, index = pcol.dense(array)
    want, inverse = np.unique(array, return_inverse=True)
    assert distinct.tolist() == want.tolist()
    assert index.tolist() == inverse.reshape(len(values)).tolist()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), narrow_or_wide.flatmap(
    lambda v: st.sampled_from(v) if v else st.just(0))), max_size=40))
def test_competition_ranks_count_the_better_units_of_the_scope(rows: list[tuple[int, int]]
                                                               ) -> None:
    """1 + the units of the same scope with a better (smaller) code; codes dense as
    order_code gives them, or spread wide so that the counting table would be too large (the
    sort then)."""
    scope = np.array([s for s, _ in rows], dtype=np.int64)
    raw = np.array([c for _, c in rows], dtype=np.int64)
    for code in (pcol.dense(raw)[1], raw - (raw.min() if len(raw) else 0)):
        got = pcol._competition_ranks(scope, code).tolist()
        assert got == [1 + sum(1 for t, d in zip(scope.tolist(), code.tolist(), strict=True)
                               if t == s and d < c)
                       for s, c in zip(scope.tolist(), code.tolist(), strict=True)]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.integers(0, 5), max_size=25), st.integers(-1, 26), st.booleans(),
       st.booleans())
def test_fill_by_selection_is_population_fill(codes: list[int], places: int,
                                              include_all: bool, top: bool) -> None:
    """pcol._fill (the places-th code by np.partition, tie groups by comparison) against
    population._fill over the same rows' tie groups, best first (or worst first), as sets."""
    from govscore.engine import population

    code = np.array(codes, dtype=np.int64)
    rows = np.arange(len(codes), dtype=np.int64)
    winners, tied, room = pcol._fill(rows, code, places, include_all, top)
    groups = [[str(r) for r in rows.tolist() if codes[r] == c]
              for c in sorted(set(codes), reverse=not top)]
    want = population._fill(groups, places, include_all)
    assert (sorted(winners.tolist()), sorted(tied.tolist()), room) == \
        (sorted(int(u) for u in want[0]), sorted(int(u) for u in want[1]), want[2])


# -- reading a CSV as UTF-8 first (inputs.columns._csv_file_columns) -------------------------

S3 = Path(__file__).resolve().parents[2] / "schemes" / "s3-chengdu.yaml"
BAD_UTF8 = {"surrogate": b"\xed\xa0\x80", "overlong": b"\xc0\x80", "overlong, 3 bytes":
            b"\xe0\x80\x80", "past U+10FFFF": b"\xf4\x90\x80\x80", "cut": b"\xe4\xb8",
            "a lone continuation": b"\x80", "F5": b"\xf5\x80\x80\x80"}
GOOD_UTF8 = {"区": "区".encode(), "U+10FFFF": b"\xf4\x8f\xbf\xbf", "U+FFFE": b"\xef\xbf\xbe"}


def _encoding_read(path: Path, plan: Any) -> str:
    from govscore.errors import FactsFileError
    from govscore.inputs import columns as incols

    try:
        return incols.read_file_columns(path, plan).encoding
    except incols.NotColumnarError:
        return "not columnar"
    except FactsFileError:
        return "refused"


@pytest.mark.parametrize("name", [*BAD_UTF8, *GOOD_UTF8])
def test_a_csv_read_as_utf8_first_has_the_encoding_the_table_reader_finds(
        name: str, tmp_path: Path) -> None:
    """Arrow refuses every byte sequence Python's strict UTF-8 codec refuses, and takes the
    ones it takes: a file of such cells gets the encoding tables.sniff_encoding gives (GB18030
    where the bytes read as GB18030, else the table reader's refusal)."""
    from govscore.errors import FactsFileError
    from govscore.inputs import tables

    cell = {**BAD_UTF8, **GOOD_UTF8}[name]
    path = tmp_path / "facts.csv"
    path.write_bytes(b"id,base\n" + b"u" + cell + b",true\nv,false\n")
    plan = govscore.compile(S3)
    try:
        sniffed = tables.sniff_encoding(path)
    except FactsFileError:
        sniffed = "refused"
    assert _encoding_read(path, plan) == sniffed
    assert (sniffed == "utf-8") == (name in GOOD_UTF8)


def test_a_nul_character_goes_the_usual_way(tmp_path: Path) -> None:
    """The table reader refuses a NUL character (GS409, naming the row): the columns leave the
    file to it."""
    from govscore import bulk

    path = tmp_path / "facts.csv"
    path.write_bytes(b"id,base\nu1,true\nu\x002,false\n")
    plan = govscore.compile(S3)
    assert _encoding_read(path, plan) == "not columnar"
    assert bulk.score_file(plan, path, tmp_path / "out.csv") is None
    assert not (tmp_path / "out.csv").exists()


# -- a number fact read once per distinct cell (inputs.columns._coded_number_fact) -----------

NUMBER_CELLS = ["", "0", "3", "3.0", "3.5", "-1", "12.345", "999999999999999999", "-0", "1e3",
                "abc", "100", "0.000000001", "7", "99999999999999"]
bounds = st.none() | st.sampled_from([Decimal("0"), Decimal("1.5"), Decimal("-2"),
                                      Decimal("100"), Decimal("0.000000001")])
# (a bound of 9 places against 99999999999999 at 0 places: aligned, it passes int64's room,
# and the unit is bailed)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["number", "count"]), bounds, bounds, st.booleans(),
       st.none() | st.sampled_from([Decimal("0.5"), Decimal("1")]),
       st.none() | st.sampled_from([Decimal("2.25"), Decimal("0"), Decimal("40")]),
       st.lists(st.sampled_from(NUMBER_CELLS), min_size=1, max_size=8, unique=True),
       st.data())
def test_a_number_fact_read_per_distinct_cell_is_read_as_row_by_row(
        shape: str, low: Decimal | None, high: Decimal | None, zero_too: bool,
        step: Decimal | None, default: Decimal | None, cells: list[str], data: Any) -> None:
    """Column, exponent, interval, the units taken and the units bailed: equal to reading
    every row's cell (the old way: _number_fact over the rows' scaled integers, its cells read
    among the same distinct cells — decimal_texts reads a column's cells together, so the
    exponent a cell gets depends on the others, harmlessly: items are rounded to the scheme's
    places); and every value taken is the cell's (or the default's) exact value."""
    import pyarrow.compute as pc

    from govscore.engine import columnar
    from govscore.inputs import columns as incols

    spec = columnar.FactColumn("f", shape, low=low, high=high, zero_too=zero_too, step=step,
                               default=default)
    codes = np.array(data.draw(st.lists(st.integers(0, len(cells) - 1), min_size=1,
                                        max_size=30)), dtype=np.int8)
    values = pa.array(cells, pa.string())
    n = len(codes)
    coded_batch, coded_numbers = columnar.Batch(n, {}, {}), {}
    got = incols._coded_number_fact(coded_batch, spec, values, codes, coded_numbers)
    occurring = sorted(set(codes.tolist()))  # the old way, over the cells that occur
    local = np.array([occurring.index(c) for c in codes.tolist()], dtype=np.int64)
    present = pa.array([cells[c] for c in occurring], pa.string())
    rows_batch, rows_numbers = columnar.Batch(n, {}, {}), {}
    given = ~incols.mask_of(pc.equal(present, ""))[local]
    ints, places, good = incols._decimals(pc.if_else(pc.equal(present, ""), pa.scalar("0"),
                                                     present))
    want = incols._number_fact(rows_batch, spec, given, ints[local], places[local],
                               good[local], rows_numbers)
    assert got.tolist() == want.tolist()
    assert coded_batch.bail.tolist() == rows_batch.bail.tolist()
    a, b = coded_numbers["f"], rows_numbers["f"]
    assert (a.exp, a.lo, a.hi) == (b.exp, b.lo, b.hi)
    column = np.broadcast_to(a.data, (n,)).tolist()
    assert column == np.broadcast_to(b.data, (n,)).tolist()
    for row, code in enumerate(codes.tolist()):
        if got[row] and not coded_batch.bail[row] and (cells[code] or default is not None):
            exact = Decimal(cells[code]) if cells[code] else default
            assert Decimal(column[row]).scaleb(-a.exp) == exact


# -- ids screened by their bytes (inputs.columns.screened_ids) --------------------------------

ID_CHARS = st.sampled_from([*"aZ09_.-#'=+@", "区", "县", "䀀", "鿿", " ", ",", '"', "\t", "\x7f",
                            "\x00", "Ａ", "\u3000", "\u200b", "é", "\u0301", "한", "\U00020000",
                            "ﬁ", "㐀"])


@settings(max_examples=400, deadline=None)
@given(st.lists(st.text(ID_CHARS, max_size=6), min_size=1, max_size=12),
       st.integers(0, 3))
def test_ids_screened_by_their_bytes_as_the_regex_and_nfkc_decide(ids: list[str], skip: int
                                                                  ) -> None:
    """Where screened_ids answers (only printable ASCII and U+4000 … U+9FFF in the ids), its
    mask is PLAIN_ID's and every id is its own NFKC form; it answers for every such list (a
    slice of a longer array, too: its offsets do not start at 0)."""
    import unicodedata

    import pyarrow.compute as pc

    from govscore.inputs import columns as incols

    array = pa.array(["x\x00"] * skip + ids, pa.string()).slice(skip)
    screened = incols.screened_ids(array)
    simple = all((c.isascii() and c.isprintable() and c not in ' ,"')
                 or "\u4000" <= c <= "\u9fff" for u in ids for c in u) and any(ids)
    assert (screened is not None) == simple
    if screened is not None:
        assert screened.tolist() == incols.mask_of(
            pc.match_substring_regex(array, incols.PLAIN_ID)).tolist()
        assert all(unicodedata.normalize("NFKC", u) == u for u in ids)


# -- a report's number column (views.report_columns.Numbers) ---------------------------------

@st.composite
def number_parts(draw: st.DrawFn) -> tuple[list[Any], list[Decimal | None], list[str]]:
    """Pieces as bulk adds them — scaled integers at an exponent, each value's Decimal exponent
    one for the piece or one per value, or empty cells — a tail of Decimals, and each cell's
    text worked out from its Decimal (fixed point at its own exponent)."""
    wide = draw(st.booleans())  # values spread wider than a table over their range takes
    top = 10**9 if wide else 10**4
    parts: list[Any] = []
    texts: list[str] = []
    for _ in range(draw(st.integers(0, 3))):
        count = draw(st.integers(1, 12))
        if draw(st.integers(0, 4)) == 0:
            parts.append(("empty", count))
            texts += [""] * count
            continue
        exp = draw(st.integers(0, 4))
        uniform = draw(st.booleans())
        places = [draw(st.integers(0, exp))] * count if uniform else \
            draw(st.lists(st.integers(0, exp), min_size=count, max_size=count))
        decimals = [Decimal(draw(st.integers(-top, top))).scaleb(-p) for p in places]
        data = np.array([int(d.scaleb(exp)) for d in decimals], dtype=np.int64)
        parts.append(("values", data, exp, -places[0] if uniform else
                      np.array([-p for p in places], dtype=np.int64)))
        texts += [format(d, "f") for d in decimals]
    tail = draw(st.lists(st.none() | st.builds(lambda v, p: Decimal(v).scaleb(-p),
                                               st.integers(-top, top), st.integers(0, 4)),
                         max_size=4))
    texts += ["" if d is None else format(d, "f") for d in tail]
    return parts, tail, texts


@settings(max_examples=300, deadline=None)
@given(number_parts())
def test_a_number_column_writes_each_cell_at_its_own_exponent(case: Any) -> None:
    """Numbers.column: each cell's text at its Decimal's exponent (``20``, ``18.50``), empty
    cells empty, the values at one exponent; keyed by value alone where every cell has one
    exponent, by value and exponent otherwise; coded by a table or by Arrow's hash."""
    parts, tail, texts = case
    numbers = report_columns.Numbers()
    for part in parts:
        if part[0] == "empty":
            numbers.empty(part[1])
        else:
            numbers.add(part[1], part[2], part[3])
    made = numbers.column(tail)
    assert made is not None
    dictionary, values, top = made
    assert dictionary.dictionary.take(dictionary.indices).to_pylist() == texts
    assert all(Decimal(int(v)).scaleb(-top) == Decimal(t) for v, t in
               zip(values.tolist(), texts, strict=True) if t)


def test_placement_without_winner_lists_decides_the_same() -> None:
    """place(winners=False), as bulk asks it: every column and decision as place() gives
    them, only AwardScope.winners left empty (第三圈's 都江堰市 still has status won)."""
    plan = plan_from(ITEM, extra=TIERS)
    ring3 = dict(zip(RING3, ["90.00", "88.50", "88.50", "88.50", "84.00", "83.00", "82.00",
                             "81.00"], strict=True))
    units = _as_column(_units(ring3))
    full, bare = pcol.place(plan, units), pcol.place(plan, units, winners=False)
    assert [dataclasses.replace(a, winners=()) for a in full.awards] == list(bare.awards)
    assert full.awards[0].winners == ("都江堰市",)
    assert bare.awards[0].winners == ()
    for a, b in ((full.rank, bare.rank), (full.grade, bare.grade),
                 (full.award_status[0], bare.award_status[0])):
        assert a.tolist() == b.tolist()
    assert bare.award_status[0][0] == pcol.A_WON
