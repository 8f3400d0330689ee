"""``.xlsx`` facts through the columns (inputs.columns.read_xlsx_sheet, govscore.bulk): every
cell is read as the table reader reads it (openpyxl read-only, then tables.sheet_value and
tables.cell_value), so the file written equals, byte for byte, the usual way's; where the columns
are unsure (formulas, a zip bomb, ids stored as numbers, a date), they write nothing and the usual
way reads the workbook and tells its problems with sheet and cell."""

from __future__ import annotations

import io
import random
import re
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

import pytest

pytest.importorskip("numpy")
pytest.importorskip("pyarrow")
pytest.importorskip("openpyxl")

import openpyxl

import govscore
from govscore import api, bulk, cli
from govscore.errors import FactsFileError
from govscore.inputs import columns, tables

from .test_bulk import EXAMPLES, ROOT, both_ways, s3_units, wide_rows


def typed(text: str) -> Any:
    """A wide row's cell as a person types it into a sheet: numbers as numbers (whole ones as
    integers, as Excel stores 3), flags as TRUE/FALSE, text as text, empty as no cell."""
    if text == "":
        return None
    if text in ("true", "false"):
        return text == "true"
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


class Text(str):
    """A cell written as text, as it is (``" 4 "``, ``"2.5"`` typed into a text cell)."""


def write_xlsx(path: Path, rows: list[list[Any]], *, formats: dict[str, str] | None = None,
               title: str = "评分表") -> Path:
    """Rows (the header first, ids as text) into the first sheet of a workbook, by openpyxl;
    ``formats`` gives some cells (``E7``) a number format."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for i, row in enumerate(rows):
        sheet.append([str(cell) if isinstance(cell, Text) else
                      cell if i == 0 or c == 0 or not isinstance(cell, str) else typed(cell)
                      for c, cell in enumerate(row)])
    for ref, fmt in (formats or {}).items():
        sheet[ref].number_format = fmt
    book.save(path)
    return path


def test_random_s3_units_from_a_workbook_give_the_same_csv_and_parquet(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from govscore.views import report_columns

    monkeypatch.setattr(bulk, "SCORE_CHUNK", 128)
    monkeypatch.setattr(report_columns, "CHUNK", 100)
    plan = govscore.compile(ROOT / "schemes" / "s3-chengdu.yaml")
    rows: list[list[Any]] = [list(r) for r in wide_rows(plan, s3_units(700, 15))]
    rows[5][2] = Text(" 4 ")  # text with spaces: the table reader's own rule, on that row
    rows[9][3] = Text("2.5")  # a number typed as text: the same value as the number
    facts = write_xlsx(tmp_path / "facts.xlsx", rows)
    usual, by_columns = both_ways(plan, facts, tmp_path)
    assert by_columns is not None
    assert by_columns == usual
    usual_p, columns_p = both_ways(plan, facts, tmp_path, ".parquet")
    assert columns_p == usual_p
    summary = bulk.score_file(plan, facts, tmp_path / "again.csv")
    assert summary is not None
    assert summary.encoding == "xlsx"
    # the first data row (maybe titles) and the row with " 4 " went the table reader's way
    assert summary.scalar == 2
    assert summary.by_columns == 698


def test_a_hand_worked_s3_unit_from_a_workbook(tmp_path: Path) -> None:
    """第八条: 实得分 = 70 + 加分 − 减分, 减分 ≤ 加分 (第十条(八)). 加分: 5 (领导重视) + 3 (过程管理) +
    创新 6 × 0.5 = 3 → 2 (max 2) + 报道 3 市级 × 0.5 = 1.5 = 11.50; 减分: 逾期 4 × 2 = 8 ≤ 11.50;
    70 + 11.50 − 8 = 73.50."""
    plan = govscore.compile(ROOT / "schemes" / "s3-chengdu.yaml")
    zero = {k: (v if isinstance(v, bool) else dict.fromkeys(v, 0) if isinstance(v, dict) else 0)
            for k, v in s3_units(1, 1)[0]["facts"].items()}
    units = [{"id": f"区{i}", "tier": "ring2", "facts": dict(zero)} for i in range(300)]
    worked = {**zero, "base": True, "bonus_leadership": 5, "bonus_process": 3,
              "bonus_innovation": 6, "bonus_articles": {"city": 3, "national": 0},
              "ded_overdue": 4}
    units.insert(0, {"id": "武侯区", "tier": "ring1", "facts": worked})
    rows = [list(r) for r in wide_rows(plan, units)]
    facts = write_xlsx(tmp_path / "facts.xlsx", rows)
    usual, by_columns = both_ways(plan, facts, tmp_path)
    assert by_columns == usual
    line = next(r for r in usual.decode("utf-8-sig").splitlines() if r.startswith("武侯区,"))
    assert line.split(",")[5] == "73.50"


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_as_a_workbook_gives_the_same_file(name: str, tmp_path: Path) -> None:
    plan = govscore.compile(ROOT / "schemes" / f"{name}.yaml")
    units = api.read_facts(ROOT / "examples" / f"{name}.facts.yaml")
    facts = write_xlsx(tmp_path / "facts.xlsx", [list(r) for r in wide_rows(plan, units)])
    try:
        usual, by_columns = both_ways(plan, facts, tmp_path)
    except FactsFileError:
        pytest.skip("the example's facts have no wide form")
    if by_columns is None:
        assert name != "s3-chengdu"  # S3 is the scheme the columns take whole
        return
    assert by_columns == usual


# ---------------------------------------------------------------------------------------------
# cell by cell: the columns' reading against the table reader's

TRICKY = [0, 1, 3, -2, 12, 2.5, 0.1, 0.85, 1.0, 100.0, -0.0, 0.1 + 0.2, 1e-05, 1e16,
          123456789.12345678, 0.125, 7.25, 1234567890123456789, True, False, "4", " 6 ",
          "2.50", "98%", "是", "否", "TRUE", "1e3", "abc", "-0", "٣", "5。5", "", None]
"""Cells the two readers could read differently: whole floats (1.0 → 1.0, not 1), binary
fractions whose shortest text is long (0.30000000000000004: more digits than a sheet shows),
scientific shortest texts (1e-05), a negative zero, more than 18 digits, text that looks like a
number, flags in words, full-width and Arabic digits."""


REFUSED = {0.1 + 0.2, 123456789.12345678, 1234567890123456789, "1e3", "5。5", "٣"}
"""The cells of TRICKY the table reader refuses (with the cell named)."""


def random_rows(seed: int, n: int, choices: list[Any]) -> tuple[list[list[Any]], dict[str, str]]:
    rng = random.Random(seed)
    header = ["id", "a", "b", "c", "d"]
    rows: list[list[Any]] = [header]
    formats: dict[str, str] = {}
    for i in range(n):
        rows.append([f"u{i}", *(Text(c) if isinstance(c, str) else c
                                 for c in (rng.choice(choices) for _ in header[1:]))])
    for _ in range(n // 10):  # a few cells shown as a percentage or with leading zeros
        ref = f"{'BCDE'[rng.randrange(4)]}{rng.randrange(2, n + 2)}"
        formats[ref] = rng.choice(["0%", "0.0%", "000", "0.00"])
    return rows, formats


class Loose:
    """A plan that knows every column (read_file_columns checks the names against it)."""

    specs: ClassVar[dict[str, None]] = dict.fromkeys(("a", "b", "c", "d"))


@pytest.mark.parametrize("seed", range(4))
def test_each_cell_reads_as_the_table_reader_reads_it(seed: int, tmp_path: Path) -> None:
    rows, formats = random_rows(seed, 300, [c for c in TRICKY if c not in REFUSED])
    path = write_xlsx(tmp_path / "cells.xlsx", rows, formats=formats)
    usual = tables.load_table(path)
    cols = columns.read_file_columns(path, Loose())  # type: ignore[arg-type]
    assert isinstance(cols, columns.XlsxColumns)
    assert cols.row_numbers.tolist() == list(range(2, 302))
    # every row as the table reader gets it from the columns: the same entries
    again = tables.table_of_rows(cols.cells(range(len(cols))), str(path))
    assert again.units == usual.units
    assert [[type(v) for v in e["facts"].values()] for e in again.units] == \
        [[type(v) for v in e["facts"].values()] for e in usual.units]
    # a plain row's text cells give the same values (and exponents) as the table reader
    plain_rows = [k for k in range(len(cols)) if cols.plain[k]]
    assert len(plain_rows) > 3
    by_id = {e["id"]: e["facts"] for e in usual.units}
    for k in plain_rows:
        unit = cols.raw["id"][k].as_py()
        for name in ("a", "b", "c", "d"):
            text = cols.raw[name][k].as_py()
            value = tables.cell_value(text) if text else None
            expected = by_id[unit].get(name)
            assert (type(value), str(value)) == (type(expected), str(expected)), (k, name)


@pytest.mark.parametrize("seed", range(2))
def test_a_refused_cell_is_refused_at_the_same_cell(seed: int, tmp_path: Path) -> None:
    rows, formats = random_rows(seed, 200, TRICKY)
    path = write_xlsx(tmp_path / "cells.xlsx", rows, formats=formats)
    with pytest.raises(FactsFileError) as usual:
        tables.load_table(path)
    cols = columns.read_file_columns(path, Loose())  # type: ignore[arg-type]
    with pytest.raises(FactsFileError) as again:
        tables.table_of_rows(cols.cells(range(len(cols))), str(path))
    # the same problems at the same cells (the usual way also names the sheet)
    assert str(again.value) == str(usual.value).replace("sheet 评分表, ", "")
    at = re.compile(re.escape(str(path)) + r":(\d+):\d+: GS409")
    refused = {int(m.group(1)) - 2 for m in map(at.match, str(usual.value).splitlines()) if m}
    assert refused
    assert not any(cols.plain[k] for k in refused)


def test_a_float_with_more_digits_than_a_sheet_shows_is_not_read_as_text(tmp_path: Path) -> None:
    """openpyxl stores 123456789.12345678 as 123456789.1234568: within the columns' grammar
    (≤ 9 places), but the table reader refuses it (16 significant digits, more than a sheet
    shows: the binary rounding of a formula), so that row is the table reader's."""
    path = write_xlsx(tmp_path / "f.xlsx", [["id", "a"], ["u0", 1], ["u1", 123456789.12345678],
                                            ["u2", 2.5]])
    cols = columns.read_file_columns(path, Loose())  # type: ignore[arg-type]
    assert cols.plain.tolist() == [False, False, True]
    assert cols.raw["a"][2].as_py() == "2.5"


# ---------------------------------------------------------------------------------------------
# a workbook as Excel writes it: shared strings, styles, empty formatted cells, row attributes


def excel_like(path: Path, sheet_rows: str, strings: list[str], *, styles: str | None = None
               ) -> Path:
    """A workbook whose first sheet's rows are ``sheet_rows`` (Excel's XML) and whose shared
    strings are ``strings``; the other parts as openpyxl writes them."""
    base = io.BytesIO()
    openpyxl.Workbook().save(base)
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    sheet = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{ns}" '
             'xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac">'
             f'<dimension ref="A1:C3"/><sheetData>{sheet_rows}</sheetData></worksheet>')
    sst = (f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{ns}" count="{len(strings)}" '
           f'uniqueCount="{len(strings)}">'
           + "".join(f"<si><t>{s}</t></si>" for s in strings) + "</sst>")
    with zipfile.ZipFile(base) as source, zipfile.ZipFile(path, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = sheet.encode("utf-8")
            elif info.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" '
                                    b'ContentType="application/vnd.openxmlformats-officedocument'
                                    b'.spreadsheetml.sharedStrings+xml"/></Types>')
            elif info.filename == "xl/styles.xml" and styles is not None:
                data = styles.encode("utf-8")
            target.writestr(info.filename, data)
        target.writestr("xl/sharedStrings.xml", sst.encode("utf-8"))
    return path


def test_an_excel_workbook_with_shared_strings_reads_as_the_table_reader(tmp_path: Path) -> None:
    strings = ["id", "a", "b", "区甲", "区乙", "区丙", "是", "x &amp; y"]
    # 2.5 and 7 as numbers, 1e-05 as Excel may store 0.00001 (its shortest text is scientific:
    # the table reader's row), 是 a flag, an empty formatted cell, row 4 missing
    rows = ('<row r="1" spans="1:3" x14ac:dyDescent="0.25"><c r="A1" t="s"><v>0</v></c>'
            '<c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c></row>'
            '<row r="2" spans="1:3"><c r="A2" t="s"><v>3</v></c><c r="B2"><v>2.5</v></c>'
            '<c r="C2" s="0"/></row>'
            '<row r="3" spans="1:3" ht="20" customHeight="1"><c r="A3" t="s"><v>4</v></c>'
            '<c r="B3"><v>1e-05</v></c><c r="C3" t="s"><v>7</v></c></row>'
            '<row r="5"><c r="A5" t="s"><v>5</v></c><c r="B5"><v>7</v></c>'
            '<c r="C5" t="s"><v>6</v></c></row>')
    path = excel_like(tmp_path / "excel.xlsx", rows, strings)
    usual = tables.load_table(path)
    cols = columns.read_file_columns(path, type("P", (), {"specs": {"a": 0, "b": 0}})())
    assert cols.row_numbers.tolist() == [2, 3, 5]
    assert cols.raw["id"].to_pylist() == ["区甲", "区乙", "区丙"]
    assert cols.raw["a"].to_pylist() == ["2.5", columns._NOT_PLAIN, "7"]
    assert cols.plain.tolist() == [False, False, True]
    again = tables.table_of_rows(cols.cells(range(3)), str(path))
    assert again.units == usual.units
    assert usual.units[1]["facts"] == {"a": Decimal("0.00001"), "b": "x & y"}
    assert usual.units[2]["facts"] == {"a": Decimal(7), "b": True}


@pytest.mark.parametrize(("rows", "why"), [
    ('<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
     '<row r="2"><c r="A2"><f>"区"&amp;"甲"</f><v>x</v></c><c r="B2"><v>2</v></c></row>',
     "an id a formula makes"),
    ('<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
     '<row r="2"><c r="A2"><v>12</v></c><c r="B2"><v>2</v></c></row>',
     "an id stored as a number: compared across rows (lost leading zeros)"),
    ('<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
     '<row r="2"><c r="B2"><v>2</v></c><c r="A2" t="s"><v>2</v></c></row>',
     "cells out of order"),
    ('<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
     '<row r="2"><c r="A3" t="s"><v>2</v></c><c r="B3"><v>2</v></c></row>',
     "a cell whose reference is not its row's"),
    ('<row r="1"><c r="A1" t="s"><v>0</v></c><c r="C1" t="s"><v>1</v></c></row>'
     '<row r="2"><c r="A2" t="s"><v>2</v></c><c r="C2"><v>2</v></c></row>',
     "a header with a gap"),
    ('<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
     '<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2"><v>2</v></c><c r="C2"><v>2</v></c>'
     '</row>', "a value beyond the header"),
    ('<row r="1"><c t="s"><v>0</v></c><c t="s"><v>1</v></c></row>', "cells without references"),
    ('<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
     '<row r="2"><c r="A2" t="inlineStr"><is><t><![CDATA[&#21306;]]></t></is></c>'
     '<c r="B2"><v>2</v></c></row>', "CDATA: a character reference in it is text"),
    ('<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
     '<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2"><v>2</v></c>'
     '<row r="3"><c r="A3" t="s"><v>2</v></c><c r="B3"><v>2</v></c></row>',
     "XML not well formed (a row never closed)"),
])
def test_what_the_columns_are_unsure_of_goes_the_usual_way(rows: str, why: str,
                                                           tmp_path: Path) -> None:
    path = excel_like(tmp_path / "odd.xlsx", rows, ["id", "a", "区甲"])
    with pytest.raises(columns.NotColumnarError):
        columns.read_file_columns(path, type("P", (), {"specs": {"a": 0}})())


def test_formulas_are_read_with_the_value_excel_computed(tmp_path: Path) -> None:
    """The table reader's second, data-only pass gives a formula's computed value; one never
    computed (openpyxl writes none) is refused at its cell, and so that row is the table
    reader's."""
    strings = ["id", "a", "b", "区甲", "区乙", "区丙", "区丁", "合格"]
    rows = ('<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>'
            '<c r="C1" t="s"><v>2</v></c></row>'
            '<row r="2"><c r="A2" t="s"><v>3</v></c><c r="B2"><v>4</v></c>'
            '<c r="C2"><f t="shared" ref="C2:C5" si="0">B2/2</f><v>2</v></c></row>'
            '<row r="3"><c r="A3" t="s"><v>4</v></c><c r="B3"><v>5</v></c>'
            '<c r="C3"><f t="shared" si="0"/><v>2.5</v></c></row>'
            '<row r="4"><c r="A4" t="s"><v>5</v></c><c r="B4"><v>3</v></c>'
            '<c r="C4" t="str"><f>IF(B4&gt;2,"是","否")</f><v>是</v></c></row>'
            '<row r="5"><c r="A5" t="s"><v>6</v></c><c r="B5"><v>1</v></c>'
            '<c r="C5"><f t="shared" si="0"/><v></v></c></row>')
    path = excel_like(tmp_path / "formulas.xlsx", rows, strings)
    plan = type("P", (), {"specs": {"a": 0, "b": 0}})()
    cols = columns.read_file_columns(path, plan)
    assert cols.raw["b"].to_pylist() == ["2", "2.5", "是", columns._NOT_PLAIN]
    assert cols.plain.tolist() == [False, True, True, False]  # the first row, never computed
    with pytest.raises(FactsFileError, match=r"C5.*has no computed value") as usual:
        tables.load_table(path)
    with pytest.raises(FactsFileError) as again:
        tables.table_of_rows(cols.cells(range(4)), str(path))
    # the same problem at the same cell; a shared formula's text (which only this message
    # shows) is translated to its cell by the usual way, which is the one that tells it
    def formula(text: str) -> str:
        return re.sub(r"formula =\S+", "formula", text)

    assert formula(str(again.value)) == formula(str(usual.value).replace("sheet Sheet, ", ""))
    # without the cell never computed: the same units as the table reader's
    path = excel_like(tmp_path / "computed.xlsx", rows.replace("<v></v>", "<v>0.5</v>"),
                      strings)
    cols = columns.read_file_columns(path, plan)
    assert tables.table_of_rows(cols.cells(range(4)), str(path)).units == \
        tables.load_table(path).units
    assert tables.load_table(path).units[2]["facts"] == {"a": Decimal(3), "b": True}


def test_a_date_or_an_error_cell_goes_to_the_table_reader(tmp_path: Path) -> None:
    """A date is refused by the table reader with its cell named; the columns never read it."""
    import datetime

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["id", "a"])
    sheet.append(["u0", 1])
    sheet.append(["u1", datetime.date(2024, 5, 1)])
    path = tmp_path / "date.xlsx"
    book.save(path)
    with pytest.raises(columns.NotColumnarError):
        columns.read_file_columns(path, type("P", (), {"specs": {"a": 0}})())


def test_a_zip_bomb_is_refused_by_the_usual_way_with_its_reason(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch
                                                                ) -> None:
    plan = govscore.compile(ROOT / "schemes" / "s3-chengdu.yaml")
    rows = [list(r) for r in wide_rows(plan, s3_units(300, 3))]
    facts = write_xlsx(tmp_path / "facts.xlsx", rows)
    monkeypatch.setattr(tables, "MAX_XLSX_UNZIPPED", 1_000)
    assert bulk.score_file(plan, facts, tmp_path / "out.csv") is None
    assert not (tmp_path / "out.csv").exists()
    with pytest.raises(FactsFileError, match="unzips to"):
        api.read_facts(facts)


def test_a_rejected_unit_goes_the_usual_way_which_names_sheet_and_cell(tmp_path: Path) -> None:
    plan = govscore.compile(ROOT / "schemes" / "s3-chengdu.yaml")
    rows = [list(r) for r in wide_rows(plan, s3_units(300, 4))]
    rows[7][4] = Text("many")  # a count that is not a number
    facts = write_xlsx(tmp_path / "facts.xlsx", rows, title="汇总")
    assert bulk.score_file(plan, facts, tmp_path / "out.csv") is None
    out, err = io.StringIO(), io.StringIO()
    code = cli.run(["score", str(ROOT / "schemes" / "s3-chengdu.yaml"), str(facts), "-o",
                    str(tmp_path / "out.csv")], out, err)
    assert code != 0
    assert "汇总" in err.getvalue()
    assert "E8" in err.getvalue()


def test_the_command_scores_a_workbook_through_the_columns(tmp_path: Path) -> None:
    plan = govscore.compile(ROOT / "schemes" / "s3-chengdu.yaml")
    rows = [list(r) for r in wide_rows(plan, s3_units(400, 8))]
    facts = write_xlsx(tmp_path / "facts.xlsx", rows)
    out, err = io.StringIO(), io.StringIO()
    code = cli.run(["score", str(ROOT / "schemes" / "s3-chengdu.yaml"), str(facts), "-o",
                    str(tmp_path / "out.csv")], out, err)
    assert code == 0, err.getvalue()
    usual = tmp_path / "usual.csv"
    api.write_report(api.evaluate_all(plan, api.read_facts(facts)), plan, usual)
    assert (tmp_path / "out.csv").read_bytes() == usual.read_bytes()


def test_memory_running_out_in_the_columns_leaves_the_workbook_to_the_usual_way(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The columns' buffers are outside the memory guard: an allocation that fails there is not
    an error of the file (the usual way reads it, and stops with GS703 where memory runs out)."""
    plan = govscore.compile(ROOT / "schemes" / "s3-chengdu.yaml")
    facts = write_xlsx(tmp_path / "facts.xlsx", [list(r) for r in
                                                 wide_rows(plan, s3_units(300, 6))])

    def no_memory(xml: bytes) -> None:
        raise MemoryError

    monkeypatch.setattr(columns, "_well_formed", no_memory)
    assert bulk.score_file(plan, facts, tmp_path / "out.csv") is None
    assert not (tmp_path / "out.csv").exists()


def test_the_workbook_benchmark_agrees_with_the_hand_worked_totals(tmp_path: Path) -> None:
    """benchmarks/bench_columns.py --xlsx-units on a few districts: every reader reads the
    sheet, the columns' file equals the usual way's and its sampled totals the hand-written
    Decimal computation of S3 (bench_columns.s3_total)."""
    import json
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    import bench_columns

    out = tmp_path / "figures.json"
    assert bench_columns.main(["--units", "0", "--csv-units", "0", "--memory-units", "0",
                               "--xlsx-units", "1000", "--xlsx-usual", "--rounds", "1",
                               "--json", str(out)]) == 0
    figures = json.loads(out.read_text(encoding="utf-8"))["xlsx"]
    assert figures["within_limits"]
    assert figures["agrees"]
    assert figures["same_file"]
    assert figures["sample"] == 2  # districts 0 and 997
    assert "govscore columns" in figures["read"]


def test_random_s3_units_in_an_excel_made_workbook_give_the_same_csv(tmp_path: Path) -> None:
    """The sheet as Excel writes it (ids, tiers and flags' words as shared strings, numbers as
    numbers, styles on some cells, row attributes): through the columns, the usual way's file."""
    from xml.sax.saxutils import escape

    from openpyxl.utils import get_column_letter

    plan = govscore.compile(ROOT / "schemes" / "s3-chengdu.yaml")
    rows = wide_rows(plan, s3_units(400, 21))
    strings: list[str] = []
    index: dict[str, int] = {}

    def shared(text: str) -> str:
        if text not in index:
            index[text] = len(strings)
            strings.append(escape(text))
        return f' t="s"><v>{index[text]}</v>'

    xml = []
    for r, row in enumerate(rows, start=1):
        cells = []
        for c, text in enumerate(row, start=1):
            if text == "":
                continue
            ref = f"{get_column_letter(c)}{r}"
            value = typed(text) if r > 1 and c > 1 else text
            if isinstance(value, bool):
                body = f' t="b"><v>{int(value)}</v>'
            elif isinstance(value, (int, float)):
                style = ' s="0"' if r % 7 == 0 else ""
                body = f"{style}><v>{value}</v>"
            else:
                body = shared(value)
            cells.append(f'<c r="{ref}"{body}</c>')
        xml.append(f'<row r="{r}" spans="1:{len(row)}" x14ac:dyDescent="0.25">'
                   + "".join(cells) + "</row>")
    facts = excel_like(tmp_path / "excel.xlsx", "".join(xml), strings)
    usual, by_columns = both_ways(plan, facts, tmp_path)
    assert by_columns is not None
    assert by_columns == usual
    summary = bulk.score_file(plan, facts, tmp_path / "again.csv")
    assert summary is not None
    assert summary.by_columns == 399  # every row but the first (which may be titles)
