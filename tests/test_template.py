"""Templates: the sheet each assessor fills in, filled and read back, merged and scored."""

from __future__ import annotations

import json
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest

import govscore
from govscore import cli
from govscore.inputs import readers, tables, template

openpyxl = pytest.importorskip("openpyxl")

ROOT = Path(__file__).resolve().parents[1]
S3 = ROOT / "schemes" / "s3-chengdu.yaml"
S4 = ROOT / "schemes" / "s4-anhui.yaml"
S4_FACTS = ROOT / "examples" / "s4-anhui.facts.yaml"

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
  max: 16
  children:
    - id: base
      title: 机构运行正常
      max: 10
      rule: {kind: pass_fail}
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


def run(*argv: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    code = cli.run(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def sheet_rows(path: Path) -> list[list[object]]:
    book = openpyxl.load_workbook(path)
    return [[c.value for c in row] for row in book.worksheets[0].iter_rows()]


def validations(path: Path) -> dict[str, tuple[str, str | None, str | None, str | None]]:
    """first cell of each validated range → (type, operator, formula1, formula2)."""
    sheet = openpyxl.load_workbook(path).worksheets[0]
    out = {}
    for dv in sheet.data_validations.dataValidation:
        for ref in str(dv.sqref).split():
            out[ref] = (dv.type, dv.operator, dv.formula1, dv.formula2)
    return out


def fill(path: Path, facts: dict[str, dict[str, object]]) -> None:
    """Fill a template as an assessor would: one value per cell, 是/否 for flags."""
    book = openpyxl.load_workbook(path)
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=3):
        unit = row[0].value
        if unit not in facts:
            continue
        for cell, name in zip(row, header, strict=True):
            if name in ("id", "category", "tier"):
                continue
            base, _, key = str(name).partition(".")
            value = facts[unit].get(base)
            if isinstance(value, dict):
                value = value.get(key) if key else None
            elif key:
                value = None
            if isinstance(value, bool):
                value = "是" if value else "否"
            cell.value = value
    book.save(path)


@pytest.fixture(scope="module")
def s4_units() -> dict[str, dict[str, object]]:
    return {u["id"]: u["facts"] for u in readers.read_facts(S4_FACTS)}


def test_s4_template_for_one_assessor(tmp_path):
    out = tmp_path / "省委办公厅.xlsx"
    code, _, err = run("template", str(S4), "--assessor", "省委办公厅", "-o", str(out))
    assert code == 0, err
    assert "113 unit(s)" in err
    rows = sheet_rows(out)
    assert rows[0] == ["id", "category", "key_tasks_party", "key_tasks_party.exempt",
                       "key_tasks_party.note", "secrecy_violation", "instructions_party",
                       "innovation", "core_indicators"]
    assert rows[1][0] == "# 单位"
    assert "0–30 分" in rows[1][2]
    assert "0 或 1–5 分" in rows[1][5]
    assert len(rows) == 2 + 113
    assert rows[2][:2] == ["省委组织部", "comprehensive"]
    dvs = validations(out)
    assert dvs["C3:C115"] == ("decimal", "between", "0", "30")
    assert dvs["D3:D115"][0] == "list"
    assert dvs["F3:F115"] == ("custom", None, "OR(F3=0,AND(F3>=1,F3<=5))", None)
    # innovation applies to categories 1 and 3 only: greyed for a category-2 unit
    book = openpyxl.load_workbook(out)
    sheet = book.worksheets[0]
    admin_row = next(r for r in sheet.iter_rows(min_row=3) if r[1].value == "administrative")
    assert admin_row[7].fill.fgColor.rgb.endswith("D9D9D9")
    assert not admin_row[8].fill.fgColor.rgb.endswith("D9D9D9")
    assert sheet["A3"].number_format == "@"
    assert sheet.freeze_panes == "B3"


def test_template_is_byte_identical_on_rerun(tmp_path):
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    assert run("template", str(S3), "-o", str(a))[0] == 0
    assert run("template", str(S3), "-o", str(b))[0] == 0
    assert a.read_bytes() == b.read_bytes()


def test_s3_template_validation_per_rule_kind(tmp_path):
    out = tmp_path / "s3.xlsx"
    assert run("template", str(S3), "-o", str(out))[0] == 0
    rows = sheet_rows(out)
    header = rows[0]
    assert header[:4] == ["id", "tier", "base", "bonus_leadership"]
    assert "bonus_articles.city" in header
    assert len(rows) == 2 + 20
    dvs = validations(out)

    def of(name: str) -> tuple[str, str | None, str | None, str | None]:
        letter = openpyxl.utils.get_column_letter(header.index(name) + 1)
        return dvs[f"{letter}3:{letter}22"]

    assert of("base") == ("list", None, '"是,否"', None)
    assert of("bonus_process") == ("decimal", "between", "0", "5")
    assert of("bonus_innovation") == ("whole", "greaterThanOrEqual", "0", None)
    assert of("bonus_articles.national") == ("whole", "greaterThanOrEqual", "0", None)


def test_scheme_without_units_gives_empty_rows(tmp_path):
    scheme = tmp_path / "mini.yaml"
    scheme.write_text(MINI, encoding="utf-8")
    out = tmp_path / "t.xlsx"
    code, _, err = run("template", str(scheme), "--assessor", "督查室", "-o", str(out))
    assert code == 0, err
    assert "200 empty row(s)" in err
    rows = sheet_rows(out)
    assert rows[0] == ["id", "judged", "rate_done", "complaints"]
    dvs = validations(out)
    assert dvs["C3:C202"] == ("decimal", "between", "0", "1")
    assert dvs["D3:D202"] == ("whole", "greaterThanOrEqual", "0", None)
    with pytest.raises(govscore.FactsFileError, match="no unit rows"):
        tables.read_table(out)  # an unfilled template holds no unit: an empty batch is refused


def test_filled_template_reads_back_with_the_wide_reader(tmp_path):
    scheme = tmp_path / "mini.yaml"
    scheme.write_text(MINI, encoding="utf-8")
    out = tmp_path / "t.xlsx"
    assert run("template", str(scheme), "-o", str(out))[0] == 0
    book = openpyxl.load_workbook(out)
    sheet = book.worksheets[0]
    for col, value in enumerate(["007", "是", 4.5, 0.985, None], start=1):
        sheet.cell(3, col).value = value
    for col, value in enumerate(["乙局", "否", None, "98.5%", 2], start=1):
        sheet.cell(4, col).value = value
    book.save(out)
    units = tables.read_table(out)
    assert units == [
        {"id": "007", "facts": {"base": True, "judged": Decimal("4.5"),
                                "rate_done": Decimal("0.985")}},
        {"id": "乙局", "facts": {"base": False, "rate_done": Decimal("0.985"),
                               "complaints": Decimal(2)}},
    ]
    assessment = govscore.evaluate_all(govscore.compile(scheme), units)
    assert assessment.results["007"].total == Decimal("15.49")  # 10 + 4.5 + 0.985 → 0.99
    assert assessment.results["乙局"].total == Decimal("0.99")


def test_csv_template_reads_back(tmp_path):
    out = tmp_path / "f.csv"
    code, _, err = run("template", str(S4), "--category", "financial", "-o", str(out))
    assert code == 0, err
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    units = tables.read_table(out)
    assert len(units) == 21
    assert units[0] == {"id": "国家开发银行安徽省分行", "category": "financial", "facts": {}}


def test_per_missing_columns_read_back_and_score(tmp_path):
    """Pattern 2's two forms in a CSV template: the number done alone when the scheme states the
    required count (每季度一次常务会: 4), a required and a done column when each unit has its own
    (班子成员轮流接待). 南溪县 fills 3 meetings, 7 leaders of whom 5 received: 少一次扣0.5分 →
    2 − 0.5 × (4 − 3) = 1.5; 缺一个领导扣0.5分 → 2 − 0.5 × (7 − 5) = 1; reporting 3 → 5.5."""
    scheme = ROOT / "tests" / "patterns" / "p02-per-occurrence.yaml"
    out = tmp_path / "p02.csv"
    assert run("template", str(scheme), "-o", str(out))[0] == 0
    header = out.read_text(encoding="utf-8-sig").splitlines()
    assert header[0] == "id,meetings_held,leaders.required,leaders.done,late_reports,missed_reports"
    assert "应完成 4" in header[1]
    assert "应有数 整数 ≥ 0" in header[1]
    out.write_text("\n".join([*header[:2], "南溪县,3,7,5,,"]) + "\n", encoding="utf-8-sig")
    units = tables.read_table(out)
    assert units[0]["facts"] == {"meetings_held": Decimal(3),
                                 "leaders": {"required": Decimal(7), "done": Decimal(5)}}
    result = govscore.evaluate_all(govscore.compile(scheme), units).results["南溪县"]
    assert result.total == Decimal("5.5")


def test_unknown_assessor_category_or_format_exit_2(tmp_path):
    code, _, err = run("template", str(S4), "--assessor", "某局", "-o", str(tmp_path / "x.xlsx"))
    assert code == 2
    assert "省委办公厅" in err
    code, _, err = run("template", str(S4), "--category", "nope", "-o", str(tmp_path / "x.xlsx"))
    assert code == 2
    assert "financial" in err
    code, _, err = run("template", str(S4), "-o", str(tmp_path / "x.pdf"))
    assert code == 2
    assert not list(tmp_path.iterdir())
    assert run("template", str(S4))[0] == 2  # -o is required


def test_assessor_names():
    assert template.assessor_names("省委办公厅、省政府办公厅") >= {"省委办公厅", "省政府办公厅"}
    assert "省直效能办" in template.assessor_names("省直效能办(委托调查统计机构统计汇总)")
    assert "财政" not in template.assessor_names("财政和资产管理局")


def test_every_s4_assessor_fills_a_sheet_and_the_merge_scores_like_the_yaml(tmp_path, s4_units):
    plan = govscore.compile(S4)
    names = template.assessors(plan)
    assert len(names) >= 5
    files = []
    for i, name in enumerate(names):
        path = tmp_path / f"sheet{i}.xlsx"
        code, _, err = run("template", str(S4), "--assessor", name, "-o", str(path))
        assert code == 0, err
        fill(path, s4_units)
        files.append(str(path))
    merged = tmp_path / "merged.json"
    code, _, err = run("score", str(S4), *files, "-o", str(merged))
    assert code == 0, err
    direct = tmp_path / "direct.json"
    assert run("score", str(S4), str(S4_FACTS), "-o", str(direct))[0] == 0
    got = json.loads(merged.read_text(encoding="utf-8"))
    want = json.loads(direct.read_text(encoding="utf-8"))
    assert got["scored"] == 113
    assert {r["unit"]: r["total"] for r in got["results"]} == \
        {r["unit"]: r["total"] for r in want["results"]}
    assert got["placements"] == want["placements"]


def test_two_sheets_disagreeing_is_gs410_naming_both_files(tmp_path):
    scheme = tmp_path / "mini.yaml"
    scheme.write_text(MINI, encoding="utf-8")
    a, b = tmp_path / "考核办.csv", tmp_path / "督查室.csv"
    a.write_text("id,base,judged\n甲局,是,4\n", encoding="utf-8")
    b.write_text("id,judged,rate_done\n甲局,3.5,0.9\n", encoding="utf-8")
    code, _, err = run("score", str(scheme), str(a), str(b))
    assert code == 2
    assert "GS410" in err
    assert f"judged: {a} gives 4, {b} gives 3.5" in err
    b.write_text("id,judged,rate_done\n甲局,4,0.9\n", encoding="utf-8")
    code, out, err = run("score", str(scheme), str(a), str(b))
    assert code == 0, err
    assert "14.90" in out
