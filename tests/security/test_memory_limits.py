"""Reliability v2 (issue 16), part 2: under a memory limit, a run ends with a GS error — never a
segmentation fault, never a traceback, never a partial output file.

Each case runs ``govscore`` in a fresh child process that, once govscore is imported, limits its
own address space (``resource.setrlimit(RLIMIT_AS)``) to what it already uses plus a few
megabytes: the limit is relative to the child's real footprint, so the cases hold on any machine.
The batches are small (60,000 one-item units) so that the cases take seconds.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .common import tiny

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists() or sys.platform != "linux",
                                reason="needs Linux (/proc and RLIMIT_AS)")

CHILD = """\
import resource, sys
from govscore import cli

def address_space():
    for line in open("/proc/self/status"):
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024

limit = address_space() + int(sys.argv[1]) * 1024 * 1024
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
sys.argv = ["govscore", *sys.argv[2:]]
cli.main()
"""

UNITS = 60_000


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("limits")
    (folder / "tiny.yaml").write_text(tiny(), encoding="utf-8")
    (folder / "child.py").write_text(CHILD, encoding="utf-8")
    with (folder / "f.csv").open("w", encoding="utf-8") as handle:
        handle.write("id,a\n")
        handle.writelines(f"U{n:06d},{n % 1000}\n" for n in range(UNITS))
    return folder


def limited(folder: Path, megabytes: int, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(folder / "child.py"), str(megabytes), *args],
                          capture_output=True, text=True, cwd=folder, timeout=300, check=False)


def test_a_batch_beyond_the_limit_ends_with_gs703_not_a_crash(batch):
    out = batch / "plain.csv"
    done = limited(batch, 64, "score", "tiny.yaml", "f.csv", "-o", str(out))
    assert done.returncode == 2, done.stderr[-2000:]  # not -11 (SIGSEGV), not 1 (a traceback)
    assert "GS703 not enough memory" in done.stderr
    assert "Traceback" not in done.stderr
    assert not out.exists()
    assert not [p for p in batch.iterdir() if p.name.endswith(".tmp")]


def test_the_stream_scores_the_batch_the_plain_mode_cannot(batch):
    # the same limit for both: the plain mode keeps every unit's full result (and fails), the
    # stream keeps a small record a unit for ranking (and scores all 60,000)
    plain = limited(batch, 224, "score", "tiny.yaml", "f.csv", "-o", "p.csv")
    assert plain.returncode == 2
    assert "GS703" in plain.stderr
    streamed = limited(batch, 224, "score", "tiny.yaml", "f.csv", "-o", "s.csv", "--stream")
    assert streamed.returncode == 0, streamed.stderr[-2000:]
    assert f"{UNITS} unit(s): {UNITS} scored, 0 rejected" in streamed.stderr
    with (batch / "s.csv").open(encoding="utf-8-sig") as handle:
        assert sum(1 for _ in handle) == UNITS + 1


def test_a_zip_bomb_under_the_limit_is_a_gs409(batch):
    openpyxl = pytest.importorskip("openpyxl")
    good = batch / "good.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["id", "a"])
    book.active.append(["U1", 1])
    book.save(good)
    with zipfile.ZipFile(good) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    name = "xl/worksheets/sheet1.xml"
    parts[name] = parts[name].replace(b"<sheetData>", b"<sheetData>" + b" " * 30_000_000)
    bomb = batch / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        for filename, data in parts.items():
            archive.writestr(filename, data)
    del parts
    done = limited(batch, 64, "score", "tiny.yaml", str(bomb))
    assert done.returncode == 2, done.stderr[-2000:]
    assert "GS409" in done.stderr
    assert "zip bomb" in done.stderr
    assert "Traceback" not in done.stderr
