"""Reliability v2 (issue 16), parts 1 and 2: nothing lost, bounded resources.

Every expected number is the tiny scheme's arithmetic (tests/security/common.py): one formula
item ``f = a`` with max 100, two places, half-up; so a unit's total is its fact ``a``.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest

import govscore
from govscore import cli, files
from govscore.errors import SchemeError
from govscore.inputs import readers, tables

from .common import tiny, tiny_plan, unit

openpyxl = pytest.importorskip("openpyxl")


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.run(list(args), out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def scheme(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(tiny(), encoding="utf-8")
    return path


# ------------------------------------------------------------------------------ 1. nothing lost


def _workbook(path: Path, rows: list[list[object]]) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "评分表"
    for row in rows:
        sheet.append(row)
    book.save(path)


def _stale_dimension(path: Path, ref: str) -> None:
    """Rewrite the first sheet's <dimension ref=…/> as another program might have left it."""
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    name = "xl/worksheets/sheet1.xml"
    xml, count = re.subn(rb'<dimension ref="[^"]*" ?/>', f'<dimension ref="{ref}"/>'.encode(),
                         parts[name])
    assert count == 1
    parts[name] = xml
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for filename, data in parts.items():
            archive.writestr(filename, data)


def test_xlsx_with_a_stale_dimension_loses_no_unit(tmp_path, scheme):
    path = tmp_path / "f.xlsx"
    _workbook(path, [["id", "a"], ["U1", 10], ["U2", 20], ["U3", 30], ["U4", 40], ["U5", 50]])
    _stale_dimension(path, "A1:B3")  # says: 2 units; the sheet holds 5
    table = tables.load_table(path)
    assert [u["id"] for u in table.units] == ["U1", "U2", "U3", "U4", "U5"]
    assert table.rows == 5
    code, _, err = run("score", str(scheme), str(path), "-o", str(tmp_path / "r.json"))
    assert code == 0, err
    assert "5 unit(s): 5 scored, 0 rejected" in err
    assessment = govscore.evaluate_all(tiny_plan(), table.units)
    # total = f = a (formula "a"), so U5 scores 50.00
    assert assessment.results["U5"].total == Decimal("50.00")


def test_header_only_sheets_and_empty_batches_are_refused(tmp_path, scheme):
    csv_path = tmp_path / "h.csv"
    csv_path.write_text("id,a\n", encoding="utf-8")
    code, _, err = run("score", str(scheme), str(csv_path))
    assert code == 2
    assert "GS409" in err
    assert "no unit rows" in err
    code, _, err = run("score", str(scheme), str(csv_path), "-o", str(tmp_path / "o.csv"),
                       "--stream")
    assert code == 2
    assert "no unit rows" in err
    assert not (tmp_path / "o.csv").exists()
    for name, text in (("e.json", '{"units": []}'), ("e.yaml", "units: []\n")):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        code, _, err = run("score", str(scheme), str(path))
        assert code == 2, name
        assert "no units" in err


def test_rows_read_are_scored_plus_rejected(tmp_path, scheme):
    path = tmp_path / "f.csv"
    # four rows; U3's a is out of the input's range 0..1000, so it is rejected, not dropped
    path.write_text("id,a\nU1,1\nU2,2\nU3,5000\nU4,4\n", encoding="utf-8")
    table = tables.load_table(path)
    assessment = govscore.evaluate_all(tiny_plan(), table.units)
    assert table.rows == assessment.submitted == 4
    assert len(assessment.results) + len(assessment.rejected) == 4
    assert [r.unit for r in assessment.rejected] == ["U3"]
    assert assessment.to_dict()["submitted"] == 4
    from govscore import stream

    summary = stream.score_csv(tiny_plan(), path, tmp_path / "o.csv")
    assert (summary.submitted, summary.scored, summary.rejected) == (4, 3, 1)


LOOKALIKES = ["U1", "\uff351", "U1\u200b", "\u202eU1"]  # fullwidth Ｕ, zero-width space, RLO


def test_lookalike_ids_are_one_id_and_invisible_characters_are_refused(tmp_path):
    plan = tiny_plan()
    # fullwidth Ｕ1 is U1 after NFKC: two entries of one id, both rejected (GS405)
    assessment = govscore.evaluate_all(plan, [unit("U1", a=1), unit("\uff351", a=2)])
    assert not assessment.results
    assert {d.code for r in assessment.rejected for d in r.diagnostics} == {"GS405"}
    assert "the same id after Unicode normalisation" in str(assessment.rejected[0].diagnostics[0])
    # zero-width and bidi characters make an id that looks like another: refused (GS403)
    for bad in LOOKALIKES[2:]:
        assessment = govscore.evaluate_all(plan, [unit(bad, a=1)])
        [rejected] = assessment.rejected
        assert rejected.diagnostics[0].code == "GS403"
        assert "invisible or control character" in rejected.diagnostics[0].message
    # a sheet: the cell is named
    path = tmp_path / "f.csv"
    path.write_text("id,a\nU1,1\nU1\u200b,2\n", encoding="utf-8")
    with pytest.raises(govscore.FactsFileError) as info:
        tables.load_table(path)
    [d] = info.value.diagnostics
    assert (d.code, d.span.line, d.span.column) == ("GS409", 3, 1)
    assert "U+200B ZERO WIDTH SPACE" in d.message
    # YAML and JSON facts files too
    path = tmp_path / "f.json"
    path.write_text('{"units": [{"id": "\\u202eU1", "facts": {"a": 1}}]}', encoding="utf-8")
    with pytest.raises(govscore.FactsFileError, match="RIGHT-TO-LEFT OVERRIDE"):
        readers.read_facts(path)
    # merged sheets: Ｕ1 in one and U1 in the other are the same unit, merged
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("id,a\nU1,1\n", encoding="utf-8")
    b.write_text("id,b\n\uff351,2\n", encoding="utf-8")
    merged = govscore.read_facts(a, b)
    assert merged == [{"id": "U1", "facts": {"a": Decimal(1), "b": Decimal(2)}}]


def test_streamed_lookalike_ids_are_duplicates(tmp_path):
    from govscore import stream

    path = tmp_path / "f.csv"
    path.write_text("id,a\nU1,1\nU2,2\n\uff351,3\n", encoding="utf-8")
    rejected: list[tuple[str, list[str]]] = []
    summary = stream.score_csv(tiny_plan(), path, tmp_path / "o.csv",
                               on_rejected=lambda u, p: rejected.append((u, p)))
    assert (summary.submitted, summary.scored, summary.rejected) == (3, 1, 2)
    assert all("GS405" in p[0] for _, p in rejected)


# ------------------------------------------------------------------------------ 2. bounded resources


def _zip_bomb(path: Path, unzipped: int) -> None:
    """A workbook whose sheet unzips to ``unzipped`` bytes of blanks (compresses ~1000:1)."""
    good = path.with_suffix(".good.xlsx")
    _workbook(good, [["id", "a"], ["U1", 1]])
    with zipfile.ZipFile(good) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    sheet = parts["xl/worksheets/sheet1.xml"]
    parts["xl/worksheets/sheet1.xml"] = sheet.replace(b"<sheetData>",
                                                      b"<sheetData>" + b" " * unzipped)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for filename, data in parts.items():
            archive.writestr(filename, data)


def test_xlsx_zip_bomb_is_refused_before_openpyxl_opens_it(tmp_path, monkeypatch):
    path = tmp_path / "bomb.xlsx"
    _zip_bomb(path, 30_000_000)
    assert path.stat().st_size < 100_000  # small on disk: the size limit alone would let it in

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("openpyxl was asked to open a zip bomb")

    monkeypatch.setattr(openpyxl, "load_workbook", never)
    with pytest.raises(govscore.FactsFileError, match="zip bomb"):
        tables.load_table(path)


def test_xlsx_with_too_many_entries_is_refused(tmp_path):
    path = tmp_path / "many.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        for n in range(tables.MAX_XLSX_ENTRIES + 1):
            archive.writestr(f"x/{n}", b"")
    with pytest.raises(govscore.FactsFileError, match="zip entries"):
        tables.load_table(path)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_devices_fifos_and_links_to_them_are_refused(tmp_path, scheme):
    folder = tmp_path / "schemes"
    folder.mkdir()
    (folder / "x.yaml").symlink_to("/dev/zero")
    code, out, _ = run("validate", str(folder))
    assert code == 1
    assert "GS101" in out
    assert "is a device, not a regular file" in out
    fifo = tmp_path / "f.csv"
    os.mkfifo(fifo)  # opening it for reading would block until a writer came: never
    code, _, err = run("score", str(scheme), str(fifo))
    assert code == 2
    assert "a pipe (FIFO), not a regular file" in err
    code, _, err = run("score", str(scheme), "/dev/zero")
    assert code == 2
    assert "a device" in err
    test = tmp_path / "t.test.yaml"
    test.write_text("scheme: /dev/zero\ncases: []\n", encoding="utf-8")
    code, out, _ = run("test", str(test))
    assert code == 1
    assert "GS101" in out
    assert "a device" in out
    # a run file and a records file are read the same way (they once were read whole)
    code, _, err = run("run", str(folder / "x.yaml"))
    assert code == 2
    assert "GS101" in err
    assert "is a device, not a regular file" in err
    from govscore.records import declare
    with pytest.raises(SchemeError) as refused:
        declare.read_document(folder / "x.yaml")
    assert [d.code for d in refused.value.diagnostics] == ["GS101"]


def test_size_limits_apply_while_reading(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"x" * 11)
    assert files.read_limited(path, 11) == b"x" * 11
    with pytest.raises(files.ReadRefused) as info:
        files.read_limited(path, 10)
    assert info.value.too_large
    proc = Path("/proc/self/status")  # reports size 0: only the limit while reading stops it
    if proc.exists():
        assert proc.stat().st_size == 0
        with pytest.raises(files.ReadRefused) as info:
            files.read_limited(proc, 10)
        assert info.value.too_large
        assert "more than 10 bytes" in str(info.value)


def test_a_group_of_3000_items_is_scored_without_recursion(tmp_path):
    count = 3000
    items = "\n".join(f"    - {{id: i{n}, title: 项{n}, max: 1, rule: {{kind: pass_fail}}}}"
                      for n in range(count))
    text = (f'govscore: "1"\nid: big\ntitle: 大\nsource: {{document: 示例}}\nversion: "1"\n'
            f"score:\n  id: total_score\n  title: 总分\n  max: {count}\n  children:\n{items}\n")
    path = tmp_path / "big.yaml"
    path.write_text(text, encoding="utf-8")
    plan = govscore.compile(govscore.load(path))
    facts = {f"i{n}": n != 7 for n in range(count)}  # every item passed but i7
    kernel = govscore.evaluate_all(plan, [unit("u", **facts)])
    # pass_fail: max (1) if passed else 0; 2,999 passed items → 2999.00
    assert kernel.results["u"].total == Decimal("2999.00")
    from govscore.views.explain import explain

    assert "2999" in explain(kernel, "u")
    facts_path = tmp_path / "f.json"
    facts_path.write_text('{"units": [{"id": "u", "facts": {'
                          + ", ".join(f'"i{n}": {"true" if n != 7 else "false"}'
                                      for n in range(count)) + "}}]}", encoding="utf-8")
    code, _, err = run("score", str(path), str(facts_path), "-o", str(tmp_path / "r.csv"))
    assert code == 0, err
