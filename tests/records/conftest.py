"""Shared helpers for the records tests: a records file and exports written into tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("duckdb")

ROOT = Path(__file__).resolve().parents[2]
S5 = ROOT / "schemes" / "s5-jining.yaml"
S6 = ROOT / "schemes" / "s6-xinfang.yaml"
EXAMPLES = ROOT / "examples" / "records"

HEADER = "评价编号,窗口,工作人员,渠道,评价等级,评价时间,整改时间\n"


def s5_records(tmp_path: Path, body: str | None = None) -> Path:
    """The committed S5 records file, its scheme path made absolute; ``body`` replaces it."""
    text = body if body is not None else (EXAMPLES / "s5-jining.records.yaml").read_text("utf-8")
    text = text.replace("scheme: ../../schemes/s5-jining.yaml", f"scheme: {S5}")
    path = tmp_path / "s5.records.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def ratings(tmp_path: Path, rows: str, name: str = "好差评-test.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + rows, encoding="utf-8")
    return path
