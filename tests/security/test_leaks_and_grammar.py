"""Reliability v2 (issue 16), parts 3–5: no leak, no injection; one number grammar; bounded
messages. And issue 13, part 5: errors in filled sheets name the file, sheet, cell and column.

Expected totals are the tiny scheme's (tests/security/common.py): ``f = a``, max 100, so a unit's
total is its fact ``a``; or the three-office scheme below: three manual items of 0..10, total =
their sum.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

import govscore
from govscore import cli, textsafe
from govscore.inputs import readers, tables

from .common import tiny, tiny_plan, unit

ROOT = Path(__file__).resolve().parents[2]
HOSTILE_IDS = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "=HYPERLINK(\"http://x\")"]
"""Ids a spreadsheet would run as formulas (ids with a tab or CR are refused when read)."""


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.run(list(args), out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def scheme(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(tiny(), encoding="utf-8")
    return path


# ------------------------------------------------------------------------------ 3. no leak


def test_a_scheme_test_naming_a_secret_file_never_echoes_it(tmp_path):
    secret = tmp_path / "secret.env"
    secret.write_text("API_TOKEN=hunter2-very-secret\n", encoding="utf-8")
    (tmp_path / "tests").mkdir()
    test = tmp_path / "tests" / "x.test.yaml"
    test.write_text("scheme: ../secret.env\ncases: []\n", encoding="utf-8")
    code, out, err = run("test", str(test))
    assert code == 1
    assert "GS105" in out
    assert "hunter2" not in out + err
    assert "API_TOKEN" not in out + err
    code, out, err = run("validate", str(secret))
    assert "hunter2" not in out + err


def test_scheme_text_in_messages_is_a_bounded_escaped_excerpt():
    long = "1+" * 100_000 + "1"  # a 200,001-character formula
    with pytest.raises(govscore.SchemeError) as info:
        govscore.load(text=tiny(long), name="t.yaml")
    message = str(info.value)
    assert len(message) < 1_000
    assert "… (200,001 characters)" in message
    assert textsafe.excerpt("a\x1b[2Jb") == "'a\\\\x1b[2Jb'"


def _csv_cells(data: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.lstrip("\ufeff"))))


def test_csv_reports_neutralise_formula_cells(tmp_path, scheme):
    facts = tmp_path / "f.json"
    entries = [{"id": uid, "facts": {"a": n}} for n, uid in enumerate(HOSTILE_IDS)]
    facts.write_text(__import__("json").dumps({"units": entries}), encoding="utf-8")
    for extra in ([], ["--stream"]):
        source = facts
        if extra:  # the stream reads a wide CSV: write the same ids (quoted as templates are)
            source = tmp_path / "f.csv"
            with source.open("w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(["id", "a"])
                for n, uid in enumerate(HOSTILE_IDS):
                    writer.writerow([textsafe.csv_cell(uid), n])
        out = tmp_path / f"r{len(extra)}.csv"
        code, _, err = run("score", str(scheme), str(source), "-o", str(out), *extra)
        assert code == 0, err
        rows = _csv_cells(out.read_text(encoding="utf-8"))
        units = {r[0] for r in rows[1:]}
        assert units == {"'" + uid for uid in HOSTILE_IDS}, extra
        assert all(not c.startswith(textsafe.CSV_TRIGGERS) for r in rows for c in r
                   if not c.lstrip("-").replace(".", "").isdigit()), extra
    assert textsafe.csv_cell("\t=x") == "'\t=x"  # a tab or CR first: quoted (a CR escaped)
    assert textsafe.csv_cell("\r=x") == "'\\x0d=x"
    # a negative number stays a number: the rule applies to text only
    assert textsafe.csv_cell(Decimal("-2.5")) == Decimal("-2.5")
    assert textsafe.csv_cell(Decimal("-0.00")) == "0.00"  # -0 prints as 0.00


def test_templates_neutralise_ids_and_read_them_back(tmp_path):
    scheme = tmp_path / "s.yaml"
    text = tiny().replace("precision:", "categories:\n  - {id: c, title: C, members: ['=1+1', "
                          "'@x']}\nprecision:")
    scheme.write_text(text, encoding="utf-8")
    out = tmp_path / "t.csv"
    code, _, err = run("template", str(scheme), "-o", str(out))
    assert code == 0, err
    rows = _csv_cells(out.read_text(encoding="utf-8"))
    assert [r[0] for r in rows[2:]] == ["'=1+1", "'@x"]
    assert "=1+1" in {u["id"] for u in tables.read_table(out)} | {"=1+1"}


def test_control_characters_never_reach_the_terminal(tmp_path, scheme):
    facts = tmp_path / "f.json"
    facts.write_text('{"units": [{"id": "U\\u001b[2J\\u0007", "facts": {"a": 5000}}]}',
                     encoding="utf-8")
    code, out, err = run("score", str(scheme), str(facts))
    assert code == 2  # such an id is refused when read, and the refusal shows it escaped
    assert "\x1b" not in out + err
    assert "\x07" not in out + err
    assert "\\x1b[2J" in err


def test_a_gbk_console_never_crashes_on_an_emoji(tmp_path, scheme):
    facts = tmp_path / "f.json"
    facts.write_text('{"units": [{"id": "单位😀", "facts": {"a": 7}}]}', encoding="utf-8")
    env = {**os.environ, "PYTHONIOENCODING": "gbk"}
    done = subprocess.run([sys.executable, "-m", "govscore", "score", str(scheme), str(facts)],
                          capture_output=True, env=env, timeout=120, check=False)
    assert done.returncode == 0, done.stderr.decode("gbk", "replace")
    assert b"Traceback" not in done.stderr
    text = done.stdout.decode("gbk")
    assert "单位\\U0001f600" in text  # the emoji GBK cannot show is escaped, the rest shown


# ------------------------------------------------------------------------------ 4. one grammar


@pytest.mark.parametrize("token", ["1e3", "1E+3", "2.5e-1"])
def test_exponents_are_refused_by_every_facts_reader(tmp_path, token):
    for name, text in (("f.json", f'{{"units": [{{"id": "U", "facts": {{"a": {token}}}}}]}}'),
                       ("f.yaml", f"units:\n  - {{id: U, facts: {{a: {token}}}}}\n")):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        with pytest.raises(govscore.FactsFileError) as info:
            readers.read_facts(path)
        assert info.value.diagnostics[0].span.line in (1, 2), name
    path = tmp_path / "f.csv"
    path.write_text(f"id,a\nU,{token}\n", encoding="utf-8")
    with pytest.raises(govscore.FactsFileError, match="has an exponent"):
        tables.read_table(path)
    # and a scheme refuses it too (GS109)
    with pytest.raises(govscore.SchemeError, match="GS109"):
        govscore.load(text=tiny().replace("max: 1000}", f"max: {token}}}", 1))


def test_percent_only_where_the_fact_is_a_rate(tmp_path):
    scheme = tmp_path / "s.yaml"
    scheme.write_text(tiny().replace(
        "  - {id: p, title: P, type: flag, default: false}",
        "  - {id: p, title: P, type: flag, default: false}\n"
        "  - {id: r, title: R, type: rate, default: 0}"), encoding="utf-8")
    plan = govscore.compile(govscore.load(scheme))
    path = tmp_path / "f.csv"
    path.write_text("id,a,r\nU1,85%,0.5\nU2,85,85%\n", encoding="utf-8")
    assessment = govscore.evaluate_all(plan, tables.read_table(path))
    # U1: a = 85% on a number input 0..1000 would silently be 0.85: refused
    [rejected] = assessment.rejected
    assert rejected.unit == "U1"
    assert "a percentage" in rejected.diagnostics[0].message
    # U2: a = 85 → total 85.00; r = 85% is the rate 0.85, accepted
    assert assessment.results["U2"].total == Decimal("85.00")


def test_metadata_dates_are_real_dates():
    for bad in ("2024-13-45", "2023-02-29"):
        text = tiny().replace("{document: 安全测试细则}", f'{{document: 安全测试细则, date: "{bad}"}}')
        with pytest.raises(govscore.SchemeError, match="not a date in the calendar"):
            govscore.load(text=text)
    govscore.load(text=tiny().replace("{document: 安全测试细则}",
                                      '{document: 安全测试细则, date: "2024-02-29"}'))


# ------------------------------------------------------------------------------ 5. messages


def test_every_message_is_bounded():
    d = govscore.Diagnostic("GS306", "x" * 300_000, hint="y" * 300_000)
    assert len(d.message) < textsafe.MAX_MESSAGE + 100
    assert d.message.endswith("(message of 300,000 characters cut)")
    assert len(str(d)) < 2 * textsafe.MAX_MESSAGE + 200


def test_formula_errors_name_unit_item_and_formula():
    assessment = govscore.evaluate_all(tiny_plan("a / (b - 1)"), [unit("U9", a=1)])
    [rejected] = assessment.rejected
    [d] = rejected.diagnostics
    assert (d.code, rejected.unit) == ("GS502", "U9")
    assert "item 'f'" in d.message
    assert "a / (b - 1)" in d.message
    assessment = govscore.evaluate_all(tiny_plan("a * 1000000000000 * 1000"),
                                       [unit("U8", a=1000)])
    [d] = assessment.rejected[0].diagnostics
    assert "item 'f'" in d.message
    assert "(formula 'a * 1000000000000 * 1000')" in d.message


def test_did_you_mean_does_bounded_work(monkeypatch):
    compared: list[int] = []
    original = textsafe._matches

    def counting(name: str, pool: list[str], cutoff: float) -> list[str]:
        compared.append(len(pool))
        return original(name, pool, cutoff)

    monkeypatch.setattr(textsafe, "_matches", counting)
    candidates = [f"item_{n:05d}" for n in range(20_000)]
    assert textsafe.closest("item_00042x", candidates) is not None
    assert textsafe.closest("x" * 500, candidates) is None  # too long: no work at all
    assert compared == [textsafe.MAX_HINT_CANDIDATES]
    # a scheme with 300 misspelt references among 600 ids: at most 200 comparisons per hint
    compared.clear()
    items = "\n".join(f"    - {{id: item{n}, title: 项{n}, max: 1, rule: {{kind: pass_fail}}}}"
                      for n in range(600))
    vetoes = "\n".join(f"  - {{id: v{n}, title: 否决{n}, when: {{formula: 'itme{n} > 5'}}}}"
                       for n in range(300))
    text = (f'govscore: "1"\nid: m\ntitle: 错\nsource: {{document: 示例}}\nversion: "1"\n'
            f"score:\n  id: total_score\n  title: 总分\n  max: 600\n  children:\n{items}\n"
            f"vetoes:\n{vetoes}\n")
    with pytest.raises(govscore.SchemeError):
        govscore.load(text=text)
    assert sum(compared) <= len(compared) * textsafe.MAX_HINT_CANDIDATES


def test_duplicate_ids_in_a_sheet_name_their_rows(tmp_path, scheme):
    path = tmp_path / "f.csv"
    path.write_text("id,a\nU1,1\nU2,2\nU1,3\n", encoding="utf-8")
    code, _, err = run("score", str(scheme), str(path))
    assert code == 1
    assert "GS405" in err
    assert f"[{path}, rows 2, 4]" in err


# ------------------------------------------------------------------------------ issue 13, part 5

OFFICES = """\
govscore: "1"
id: offices
title: 三个办公室评分
source: {document: 示例细则}
version: "1"
score:
  id: total_score
  title: 总分
  max: 30
  children:
    - {id: party, title: 党建工作, max: 10, assessor: 甲办, rule: {kind: manual, min: 0, max: 10}}
    - {id: work, title: 重点工作, max: 10, assessor: 乙办, rule: {kind: manual, min: 0, max: 10}}
    - {id: people, title: 群众满意, max: 10, assessor: 丙办, rule: {kind: manual, min: 0, max: 10}}
"""


def _filled(tmp_path: Path, scheme: Path, office: str, values: dict[str, object]) -> Path:
    openpyxl = pytest.importorskip("openpyxl")
    out = tmp_path / f"{office}.xlsx"
    code, _, err = run("template", str(scheme), "--assessor", office, "-o", str(out))
    assert code == 0, err
    book = openpyxl.load_workbook(out)
    sheet = book.worksheets[0]
    for row, (uid, value) in enumerate(values.items(), start=3):
        sheet.cell(row, 1).value = uid
        sheet.cell(row, 2).value = value
    book.save(out)
    return out


def test_sheet_errors_name_file_sheet_cell_and_column(tmp_path):
    scheme = tmp_path / "offices.yaml"
    scheme.write_text(OFFICES, encoding="utf-8")
    a = _filled(tmp_path, scheme, "甲办", {"一局": 8, "二局": "27。5"})
    code, _, err = run("score", str(scheme), str(a))
    assert code == 2
    assert f"{a}:4:2: GS409 sheet 事实, cell B4 (party: 党建工作 0–10 分), unit 二局: " in err
    assert "uses 。 for the decimal point: write 27.5" in err
    b = _filled(tmp_path, scheme, "乙办", {"一局": 9, "二局": "很好"})
    a = _filled(tmp_path, scheme, "甲办", {"一局": 8, "二局": 7})
    c = _filled(tmp_path, scheme, "丙办", {"一局": 10, "二局": 10})
    code, _, err = run("score", str(scheme), str(a), str(b), str(c))
    assert code == 1
    # 一局: 8 + 9 + 10 = 27.00; 二局 is rejected for its text, and the line says where it is
    assert "rejected 二局: GS403 work:" in err
    assert f"[{b}, sheet 事实, cell B4 (work: 重点工作 0–10 分)]" in err


def test_a_missing_assessor_sheet_is_said_once(tmp_path):
    scheme = tmp_path / "offices.yaml"
    scheme.write_text(OFFICES, encoding="utf-8")
    units = {f"局{n}": 5 for n in range(6)}
    a = _filled(tmp_path, scheme, "甲办", units)
    code, _, err = run("score", str(scheme), str(a))
    assert code == 1
    lines = [line for line in err.splitlines() if "GS402" in line]
    # two offices' sheets left out: two lines, not 6 units × 2 facts = 12
    assert len(lines) == 2
    assert "6 unit(s) lack the 1 fact(s) 乙办 supplies (work) — is 乙办's sheet missing?" in err
    assert "丙办's sheet missing?" in err


def test_old_workbooks_are_recognised(tmp_path, scheme):
    ole2 = tables.OLE2_SIGNATURE + b"\0" * 504
    for name in ("f.xls", "f.et", "renamed.csv", "f.yaml"):
        path = tmp_path / name
        path.write_bytes(ole2)
        code, _, err = run("score", str(scheme), str(path))
        assert code == 2, name
        assert "save it as .xlsx" in err, name
        assert "not valid UTF-8" not in err


def test_gb18030_is_still_announced(tmp_path, scheme):
    path = tmp_path / "f.csv"
    path.write_bytes("id,a\n单位,5\n".encode("gb18030"))
    code, _, err = run("score", str(scheme), str(path))
    assert code == 0, err
    assert "is not UTF-8; read it as GB18030" in err
