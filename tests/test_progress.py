"""Long runs: progress with percentage, rate and time left (a bar on a terminal, plain lines in a
log), and Ctrl-C ends with one line, exit 130 and no partial output file."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest

from govscore.views.progress import Progress, duration

ROOT = Path(__file__).resolve().parents[1]
S3 = ROOT / "schemes" / "s3-chengdu.yaml"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_log_gets_a_plain_line_every_tenth_with_rate_and_time_left():
    out, clock = StringIO(), Clock()
    progress = Progress(out, tty=False, clock=clock)
    for done in range(1000, 20001, 1000):
        clock.now += 0.5  # 1000 units every half second: 2,000 units/s
        progress(done, 20000)
    progress.finish()
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue()
    assert len(lines) == 9  # 10% … 90%; the end is said by the summary line
    # at 10%: 2,000 of 20,000 in 1 s → 2,000 units/s, 18,000 left → 9 s
    assert lines[0] == "scoring  10% 2,000/20,000 units, 2,000 units/s, 0:09 left"
    assert lines[-1] == "scoring  90% 18,000/20,000 units, 2,000 units/s, 0:01 left"


def test_a_terminal_gets_a_bar_redrawn_in_place_and_cleared():
    out, clock = StringIO(), Clock()
    progress = Progress(out, tty=True, clock=clock)
    clock.now += 4
    progress(25000, 100000)  # a quarter in 4 s: 6,250 units/s, 75,000 left → 12 s
    text = out.getvalue()
    assert text == "\rscoring  25% [██████░░░░░░░░░░░░░░░░░░] 25,000/100,000 units, " \
        "6,250 units/s, 0:12 left"
    progress.finish()
    assert out.getvalue().endswith("\r" + " " * (len(text) - 1) + "\r")


def test_durations_read_as_clock_times():
    assert duration(5) == "0:05"
    assert duration(62) == "1:02"
    assert duration(3723) == "1:02:03"


def _big_facts(path: Path, units: int) -> None:
    """A wide CSV of S3 units (the columns of docs/commands.md's districts.csv, with a tier)."""
    head = ("id,tier,base,bonus_leadership,bonus_process,bonus_innovation,bonus_articles.city,"
            "bonus_meetings,bonus_special_tasks,bonus_other,ded_double_acceptance,ded_overdue,"
            "ded_complaints,ded_mandarin,ded_criticism,ded_media,ded_other,"
            "bonus_commendations.city_or_province_dept,bonus_media.city,bonus_articles.province")
    rows = [head, *(f"单位{i},ring{i % 3 + 1},是,{i % 5 + 1},4.5,{i % 4},2,1,2,0,0,{i % 3},0,0,"
                    "0,0,0,1,1,0" for i in range(units))]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process is POSIX")
def test_ctrl_c_ends_with_one_line_exit_130_and_no_partial_file(tmp_path):
    facts = tmp_path / "big.csv"
    _big_facts(facts, 20000)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    target = out_dir / "results.xlsx"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen(
            [sys.executable, "-m", "govscore", "score", str(S3), str(facts), "-o", str(target)],
            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, env=env, cwd=tmp_path) as child:
        assert child.stderr is not None
        # wait (by output, not by time) until scoring is under way: the first progress line
        first = child.stderr.readline().decode("utf-8")
        assert first.startswith("scoring  10% 2,000/20,000 units"), first
        child.send_signal(signal.SIGINT)
        rest = child.stderr.read().decode("utf-8")
        code = child.wait(timeout=120)
    assert code == 130, rest
    # progress lines the child wrote before the signal arrived may still be in the pipe (on a
    # loaded machine the parent reads late); after them comes one line, and no traceback
    lines = [line for line in rest.splitlines() if line.strip()
             and not re.fullmatch(r"scoring +\d+% [\d,]+/20,000 units, .* left", line)]
    assert lines == ["govscore: interrupted"], rest
    assert list(out_dir.iterdir()) == []  # no report, no temporary file


def test_a_small_batch_shows_no_progress():
    from govscore import cli

    err = StringIO()
    assert cli.run(["score", str(S3), str(ROOT / "examples" / "s3-chengdu.facts.yaml")],
                   StringIO(), err) == 0
    assert "scoring" not in err.getvalue()
