"""One encoding detector for every facts file: YAML, JSON, CSV and TSV read whole, and a CSV read
as a stream, decode the same bytes the same way and refuse them with the same diagnostics."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from govscore.errors import FactsFileError
from govscore.inputs import readers, tables

YAML = "units:\n  - id: 锦江区\n    facts: {base: true}\n"
JSON = '{"units": [{"id": "锦江区", "facts": {"base": true}}]}\n'
CSV = "id,base\n锦江区,是\n"
UNITS = [{"id": "锦江区", "facts": {"base": True}}]

ENCODINGS = {
    "utf-8": lambda t: t.encode("utf-8"),
    "utf-8-sig": lambda t: codecs.BOM_UTF8 + t.encode("utf-8"),
    "utf-16": lambda t: t.encode("utf-16"),
    "gb18030": lambda t: t.encode("gb18030"),
}


@pytest.mark.parametrize("encoding", list(ENCODINGS))
@pytest.mark.parametrize(("suffix", "text"), [(".yaml", YAML), (".json", JSON), (".csv", CSV),
                                              (".tsv", CSV.replace(",", "\t"))])
def test_every_facts_format_reads_every_encoding(tmp_path: Path, suffix: str, text: str,
                                                 encoding: str) -> None:
    path = tmp_path / f"facts{suffix}"
    path.write_bytes(ENCODINGS[encoding](text))
    read = readers.load_facts(path)
    assert read.units == UNITS
    assert read.encoding == encoding
    assert read.guessed == (encoding == "gb18030")


BAD = {
    "neither": b"id,base\n\xff\xfe\xff,1\n\x80\n",
    "bom then bad utf-8": codecs.BOM_UTF8 + b"id,base\n\xff,1\n",
    "bad utf-16": codecs.BOM_UTF16_LE + b"i\x00d\x00\x00\xdc",
    "nul": "id,base\n甲\x00,是\n".encode(),
    "utf-16 without bom": "id,base\n甲,是\n".encode("utf-16-le"),
}


def _problem(call: object) -> list[tuple[int, int, str, str]]:
    assert callable(call)
    with pytest.raises(FactsFileError) as info:
        call()
    return [(d.span.line, d.span.column, d.code, d.message) for d in info.value.diagnostics
            if d.span is not None]


@pytest.mark.parametrize("name", list(BAD))
def test_whole_streamed_and_every_format_give_the_same_diagnostic(
        tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = BAD[name]
    csv = tmp_path / "f.csv"
    csv.write_bytes(raw)
    whole = _problem(lambda: tables.decode_text(raw, str(csv)))
    assert [code for _, _, code, _ in whole] == ["GS409"]
    assert _problem(lambda: readers.load_facts(csv)) == whole
    assert _problem(lambda: tables.WideStream(csv)) == whole
    monkeypatch.setattr(tables, "_CHUNK", 3)  # chunk boundaries inside characters
    assert _problem(lambda: tables.WideStream(csv)) == whole
    for suffix in (".yaml", ".json"):
        other = tmp_path / f"f{suffix}"
        other.write_bytes(raw)
        [(line, column, code, message)] = _problem(lambda other=other: readers.load_facts(other))
        [(w_line, w_column, _, w_message)] = whole
        assert (line, column, code) == (w_line, w_column, "GS409")
        # the same diagnostic; only the advice names the format to save as
        assert message.split("; save")[0].split(" Save it")[0] == \
            w_message.split("; save")[0].split(" Save it")[0]
        assert "CSV" not in message


def test_streamed_detection_agrees_with_the_whole_file_at_every_chunk_size(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = "id,base\n" + "".join(f"单位{i},是\n" for i in range(50))
    for encoding, encode in ENCODINGS.items():
        path = tmp_path / f"{encoding}.csv"
        path.write_bytes(encode(text))
        for chunk in (1, 2, 3, 7, 1 << 20):
            monkeypatch.setattr(tables, "_CHUNK", chunk)
            assert tables.sniff_encoding(path) == encoding
            assert tables.decode_text(path.read_bytes(), str(path)) == (text, encoding)


def test_the_size_limit_is_one_for_every_format(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tables, "MAX_FACTS_BYTES", 10)
    for suffix, text in ((".yaml", YAML), (".json", JSON), (".csv", CSV)):
        path = tmp_path / f"f{suffix}"
        path.write_text(text, encoding="utf-8")
        [(_, _, code, message)] = _problem(lambda path=path: readers.load_facts(path))
        assert code == "GS409"
        assert "the limit is 10" in message
