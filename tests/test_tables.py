"""Facts tables: CSV/TSV in every encoding Chinese offices produce, .xlsx, wide and long layouts,
exact decimals, and every way a spreadsheet mangles a file reported with its position."""

from __future__ import annotations

import codecs
import sys
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest

import govscore
from govscore import cli
from govscore.errors import FactsFileError
from govscore.inputs import tables

openpyxl = pytest.importorskip("openpyxl")

MINI = """\
govscore: "1"
id: mini
title: 小方案
source: {document: 测试方案}
version: "1"
inputs:
  - id: complaints
    title: 有效投诉次数
    type: count
    default: 0
    assessor: 督查室
score:
  id: overall
  title: 总分
  max: 20
  children:
    - id: base
      title: 机构运行正常
      max: 10
      rule: {kind: pass_fail}
      assessor: 考核办
    - id: articles
      title: 发表文章
      max: 4
      rule: {kind: by_level, levels: {city: 0.5, province: 1}}
      assessor: 考核办
    - id: judged
      title: 酌情加分
      max: 5
      rule: {kind: manual, min: 1, max: 5}
      default: 0
      assessor: 督查室
    - id: rate_done
      title: 办结率
      max: 1
      rule: {kind: rate}
      assessor: 督查室
"""

WIDE = ("id,base,articles.city,articles.province,judged,rate_done,complaints\n"
        "甲局,是,2,1,4.5,0.985,\n"
        "乙局,FALSE,,3,,98.5%,2\n")


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    path = tmp_path / "mini.yaml"
    path.write_text(MINI, encoding="utf-8")
    return path


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def xlsx(tmp_path: Path, name: str, rows: list[list[object]], fmt: dict[str, str] | None = None
         ) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    for cell, number_format in (fmt or {}).items():
        sheet[cell].number_format = number_format
    path = tmp_path / name
    book.save(path)
    return path


def problems(path: Path) -> list[tuple[int, int, str]]:
    with pytest.raises(FactsFileError) as info:
        tables.read_table(path)
    out = []
    for d in info.value.diagnostics:
        assert d.code == "GS409"
        assert d.span is not None
        assert d.span.file == str(path)
        out.append((d.span.line, d.span.column, d.message))
    return out


EXPECTED = [
    {"id": "甲局", "facts": {"base": True, "articles": {"city": Decimal(2), "province": Decimal(1)},
                           "judged": Decimal("4.5"), "rate_done": Decimal("0.985")}},
    {"id": "乙局", "facts": {"base": False, "articles": {"province": Decimal(3)},
                           "rate_done": Decimal("0.985"), "complaints": Decimal(2)}},
]


# ------------------------------------------------------------------------------ encodings


@pytest.mark.parametrize(("encode", "encoding"), [
    (lambda t: t.encode("utf-8"), "utf-8"),
    (lambda t: codecs.BOM_UTF8 + t.encode("utf-8"), "utf-8-sig"),
    (lambda t: t.encode("gb18030"), "gb18030"),
    (lambda t: t.replace("\n", "\r\n").encode("gb18030"), "gb18030"),
])
def test_csv_encodings_give_the_same_units(tmp_path, encode, encoding):
    path = write(tmp_path, "f.csv", encode(WIDE))
    table = tables.load_table(path)
    assert table.encoding == encoding
    assert table.layout == "wide"
    assert table.units == EXPECTED
    assert tables.read_table(path) == EXPECTED


def test_tsv_and_utf16_tab_text(tmp_path):
    tsv = WIDE.replace(",", "\t")
    assert tables.read_table(write(tmp_path, "f.tsv", tsv)) == EXPECTED
    table = tables.load_table(write(tmp_path, "u.tsv", tsv.encode("utf-16")))
    assert table.encoding == "utf-16"
    assert table.units == EXPECTED


def test_neither_utf8_nor_gb18030(tmp_path):
    path = write(tmp_path, "bad.csv", b"id,base\n\xff\xfe\xff,1\n\x80\n")
    [(row, col, message)] = problems(path)
    assert (row, col) == (1, 1)
    assert "neither UTF-8" in message


def test_nul_byte_is_an_error_not_a_crash(tmp_path):
    [(row, _, message)] = problems(write(tmp_path, "nul.csv", "id,base\n甲\x00,是\n"))
    assert row == 2
    assert "NUL" in message


# ------------------------------------------------------------------------------ values


def test_cell_values_are_exact_and_never_floats():
    assert tables.cell_value("0.1") == Decimal("0.1")
    assert str(tables.cell_value("83.50")) == "83.50"
    assert tables.cell_value("98.5%") == Decimal("0.985")
    assert tables.cell_value("１２.５") == Decimal("12.5")  # full-width digits from a Chinese IME
    assert tables.cell_value(" -3 ") == Decimal(-3)
    assert tables.cell_value("TRUE") is True
    assert tables.cell_value("否") is False
    assert tables.cell_value("优秀-一档") == "优秀-一档"
    assert tables.cell_value("   ") is None
    assert tables.cell_value(0.1) == Decimal("0.1")
    assert tables.cell_value(30) == Decimal(30)
    # numbers outside the one grammar (govscore.numbers) are refused at their cell, not guessed
    for bad in ("NaN", "inf", "#N/A", "#DIV/0!", float("nan"), 0.1 + 0.2, "1e2", "1,234", "+5",
                ".5", "27。5"):
        with pytest.raises(tables.CellError) as info:
            tables.cell_value(bad)
        assert isinstance(info.value, govscore.GovscoreError)
        assert info.value.code == "GS409"


def test_empty_cell_means_not_given_so_defaults_apply(tmp_path, mini):
    units = tables.read_table(write(tmp_path, "f.csv", WIDE))
    assessment = govscore.evaluate_all(govscore.compile(mini), units)
    assert not assessment.rejected
    # 甲局: 10 + (2×0.5 + 1) + 4.5 + 0.985 → 0.99 ; complaints defaulted to 0
    assert assessment.results["甲局"].total == Decimal("17.49")
    assert assessment.results["乙局"].total == Decimal("3.99")  # 0 + 3 + 0 (default) + 0.985


# ------------------------------------------------------------------------------ headers and rows


def test_second_header_row_of_titles_is_skipped(tmp_path):
    titled = WIDE.replace("\n", "\n# 单位,机构运行正常,市级,省级,酌情加分,办结率,投诉\n", 1)
    table = tables.load_table(write(tmp_path, "t.csv", titled))
    assert table.units == EXPECTED
    assert table.skipped == (2,)
    labelled = WIDE.replace("\n", "\n单位名称,机构运行正常,市级,省级,酌情加分,办结率,投诉\n", 1)
    assert tables.read_table(write(tmp_path, "l.csv", labelled)) == EXPECTED


def test_a_data_row_is_never_taken_for_titles(tmp_path):
    data = "id,grade\n单位,优秀\n"  # a unit really named 单位? its facts hold no number: titles
    [(row, _, message)] = problems(write(tmp_path, "a.csv", data))  # and then no unit is left
    assert "no unit rows (row(s) 2 were read as titles or comments)" in message
    data = "id,judged\n,3\n"
    [(row, _, message)] = problems(write(tmp_path, "b.csv", data))
    assert row == 2
    assert "no unit id" in message


def test_duplicate_headers(tmp_path):
    found = problems(write(tmp_path, "d.csv", "id,base,judged,base\n甲,是,3,否\n"))
    assert [(r, c) for r, c, _ in found] == [(1, 4)]
    assert "duplicate header 'base', also in column B" in found[0][2]


def test_header_problems(tmp_path):
    found = problems(write(tmp_path, "h.csv", "id,a.b.c,,bad name\n甲,1,2,3\n"))
    assert [(r, c) for r, c, _ in found] == [(1, 2), (1, 3), (1, 4)]
    assert "has values (row 2) but no header" in found[1][2]
    [(_, _, message)] = problems(write(tmp_path, "n.csv", "name,base\n甲,是\n"))
    assert "'id' column" in message


def test_short_and_long_rows(tmp_path):
    found = problems(write(tmp_path, "s.csv", "id,base,judged\n甲,是\n乙,是,3,extra\n"))
    assert [(r, c) for r, c, _ in found] == [(2, 3), (3, 4)]
    assert "2 cell(s) but the header has 3" in found[0][2]
    assert "beyond the last header column" in found[1][2]
    # trailing empty cells (as Excel writes them) are fine
    assert tables.read_table(write(tmp_path, "ok.csv", "id,base\n甲,是,,\n")) == [
        {"id": "甲", "facts": {"base": True}}]


def test_every_problem_of_the_file_is_reported_at_once_with_unit_and_fact(tmp_path):
    data = "id,base,judged,rate_done\n甲,是,#VALUE!,0.5\n乙,是,3,NaN\n"
    with pytest.raises(FactsFileError) as info:
        tables.read_table(write(tmp_path, "m.csv", data))
    ds = info.value.diagnostics
    assert [(d.span.line, d.span.column, d.unit, d.item) for d in ds] == [
        (2, 3, "甲", "judged"), (3, 4, "乙", "rate_done")]
    assert "cell C2 (judged), unit 甲" in ds[0].message
    assert str(ds[0]).startswith(f"{tmp_path / 'm.csv'}:2:3: GS409 ")


def test_scalar_and_keyed_columns_of_one_fact_clash(tmp_path):
    data = "id,articles,articles.city\n甲,2,1\n乙,,1\n"
    [(row, col, message)] = problems(write(tmp_path, "c.csv", data))
    assert (row, col) == (2, 3)
    assert "both as one value and by keys" in message


def test_comment_rows_and_blank_lines_are_skipped(tmp_path):
    data = "# 2024 年度\nid,base\n\n# 说明\n甲,是\n"
    table = tables.load_table(write(tmp_path, "c.csv", data))
    assert table.units == [{"id": "甲", "facts": {"base": True}}]
    assert table.rows == 1


# ------------------------------------------------------------------------------ ids


def test_ids_stay_text_leading_zeros_and_na_kept(tmp_path):
    data = "id,base\n007,是\nNA,否\n510104199001011234,是\n"
    assert [u["id"] for u in tables.read_table(write(tmp_path, "i.csv", data))] == [
        "007", "NA", "510104199001011234"]


def test_ids_a_spreadsheet_mangled_in_csv(tmp_path):
    data = "id,base\n5.10104E+17,是\n#N/A,是\n"
    found = problems(write(tmp_path, "i.csv", data))
    assert [(r, c) for r, c, _ in found] == [(2, 1), (3, 1)]
    assert "scientific notation" in found[0][2]
    assert "store the ids as text" in found[0][2]
    assert "#N/A" in found[1][2]


def test_duplicate_unit_ids_are_left_to_the_evaluation(tmp_path, mini):
    data = "id,base,articles.city,rate_done\n甲,是,1,1\n甲,否,1,1\n乙,是,1,1\n"
    units = tables.read_table(write(tmp_path, "d.csv", data))
    assert [u["id"] for u in units] == ["甲", "甲", "乙"]
    assessment = govscore.evaluate_all(govscore.compile(mini), units)
    assert [(r.unit, r.diagnostics[0].code) for r in assessment.rejected] == [
        ("甲", "GS405"), ("甲", "GS405")]
    assert list(assessment.results) == ["乙"]


# ------------------------------------------------------------------------------ long layout


def test_long_layout(tmp_path):
    data = ("unit,fact,value\n甲局,base,是\n甲局,articles.city,2\n甲局,articles.province,1\n"
            "甲局,judged,4.5\n甲局,rate_done,0.985\n乙局,base,false\n乙局,articles.province,3\n"
            "乙局,rate_done,98.5%\n乙局,complaints,2\n乙局,judged,\n")
    table = tables.load_table(write(tmp_path, "l.csv", data))
    assert table.layout == "long"
    assert table.units == EXPECTED


def test_long_layout_errors(tmp_path):
    data = "unit,fact,value\n甲,judged,3\n甲,judged,4\n甲,category,5\n,base,是\n甲,a b,1\n"
    found = problems(write(tmp_path, "l.csv", data))
    assert [(r, c) for r, c, _ in found] == [(3, 3), (4, 3), (5, 1), (6, 2)]
    assert "given again (first in row 2, column C)" in found[0][2]
    assert "category must be text" in found[1][2]


def test_long_layout_unit_keys(tmp_path):
    data = "unit,fact,value\n甲,category,dept\n甲,tier,ring1\n甲,base,是\n"
    assert tables.read_table(write(tmp_path, "l.csv", data)) == [
        {"id": "甲", "category": "dept", "tier": "ring1", "facts": {"base": True}}]


# ------------------------------------------------------------------------------ xlsx


def test_xlsx_wide_numbers_flags_and_empty_cells(tmp_path):
    path = xlsx(tmp_path, "f.xlsx", [
        ["id", "base", "articles.city", "articles.province", "judged", "rate_done", "complaints"],
        ["# 单位", "机构运行正常", "市级", "省级", "酌情", "办结率", "投诉"],
        ["甲局", "是", 2, 1, 4.5, 0.985],
        ["乙局", False, None, 3, None, "98.5%", 2],
    ])
    table = tables.load_table(path)
    assert table.encoding == "xlsx"
    assert table.units == EXPECTED


def test_xlsx_cells_that_cannot_be_facts(tmp_path):
    import datetime

    path = xlsx(tmp_path, "bad.xlsx", [
        ["id", "judged", "rate_done", "base"],
        ["甲", 1 / 3, "=1/3", datetime.datetime(2024, 1, 1)],
    ])
    found = problems(path)
    assert [(r, c) for r, c, _ in found] == [(2, 2), (2, 3), (2, 4)]
    assert "0.3333333333333333" in found[0][2]
    assert "no computed value" in found[1][2]
    assert "date" in found[2][2]


def test_xlsx_numeric_ids(tmp_path):
    path = xlsx(tmp_path, "ids.xlsx", [
        ["id", "base"], [101, "是"], [510104199001011234, "是"], [123, "是"], ["0042", "是"],
        [42, "是"], [3.5, "是"],
    ], fmt={"A4": "000000"})
    found = problems(path)
    # 101 and 42 sit beside the text id 0042: both may have lost zeros
    assert [(r, c) for r, c, _ in found] == [(2, 1), (3, 1), (4, 1), (6, 1), (7, 1)]
    assert "zeros were lost" in found[0][2]
    assert "18 digits" in found[1][2]
    assert "leading zeros (format 000000)" in found[2][2]
    assert "zeros were lost" in found[3][2]
    assert "3.5" in found[4][2]
    ok = xlsx(tmp_path, "ok.xlsx", [["id", "base"], [101, "是"], [202, "否"]])
    assert [u["id"] for u in tables.read_table(ok)] == ["101", "202"]


def test_xlsx_short_rows_are_empty_cells(tmp_path):
    path = xlsx(tmp_path, "s.xlsx", [["id", "base", "judged"], ["甲", "是"]])
    assert tables.read_table(path) == [{"id": "甲", "facts": {"base": True}}]


def test_not_a_workbook(tmp_path):
    [(_, _, message)] = problems(write(tmp_path, "x.xlsx", b"PK\x03\x04 not really"))
    assert "not an Excel .xlsx workbook" in message


def test_missing_openpyxl_is_a_clear_gs409(tmp_path, monkeypatch):
    path = xlsx(tmp_path, "f.xlsx", [["id", "base"], ["甲", "是"]])
    monkeypatch.setitem(sys.modules, "openpyxl", None)
    [(_, _, message)] = problems(path)
    assert "govscore[excel]" in message


# ------------------------------------------------------------------------------ command line


def test_score_a_csv_from_the_command_line(tmp_path, mini):
    facts = write(tmp_path, "f.csv", WIDE.encode("gb18030"))
    out, err = StringIO(), StringIO()
    assert cli.run(["score", str(mini), str(facts)], out, err) == 0
    assert "17.49" in out.getvalue()


def test_bad_csv_exits_2_naming_file_row_column(tmp_path, mini):
    facts = write(tmp_path, "f.csv", "id,judged\n甲,#REF!\n")
    out, err = StringIO(), StringIO()
    assert cli.run(["score", str(mini), str(facts)], out, err) == 2
    assert f"{facts}:2:2: GS409 cell B2 (judged), unit 甲: " in err.getvalue()
