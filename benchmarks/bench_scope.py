"""Schemes with outputs and quotients through the columns: S1 and S5, the usual way against the
columns, each in a fresh child process (wall time and its own peak RSS), and the two files
compared byte for byte.

    python benchmarks/bench_scope.py [--units N] [--usual-units M] [--keep DIR]

Facts (random, seeded; written into a temporary folder, deleted after unless ``--keep``):

- S1 (剑阁县, a ``convert`` output by the weight input ``annual_weight``): dept units, each
  manual item drawn in half points, the 信息目标 ratio ``done`` of a random ``target`` 1..40 (most
  quotients do not end), W drawn from a few weights;
- S5 (济宁, a ``formula`` output ``pay_adjustment``): window units with votes on all five
  好差评 levels (the rating's quotient seldom ends), random deductions and 政府购买服务 flags.

N units (default 100,000) go through the columns; the usual way (``read_facts`` →
``evaluate_all`` → ``write_report``) is timed on M units (default N; 0 leaves it out) and its file
compared with the columns' one when M = N. Exit 3 if the files differ.
"""

from __future__ import annotations

import argparse
import csv
import filecmp
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

S1_ITEMS = {"d_standard_1": 5, "d_standard_2": 5, "d_standard_3": 5, "d_approval_1": 5,
            "d_approval_2": 5, "d_approval_3": 5, "d_approval_4": 5, "d_approval_5": 5,
            "d_concentration_1": 5, "d_concentration_2": 5, "d_concentration_3": 10,
            "d_efficiency_1": 10, "d_efficiency_2": 15, "d_internet_1": 3, "d_internet_2": 2}
S5_LEVELS = ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
S5_COUNTS = {"dept_entry": 3, "daily_window": 5, "business_window": 4, "complaints": 2,
             "innovation": 4, "proactive": 5}


def write_s1(path: Path, n: int, seed: int = 11) -> None:
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["id", "category", *S1_ITEMS, "d_efficiency_3.done", "d_efficiency_3.target",
                    "efficiency_incidents", "complaints", "annual_weight"])
        for i in range(n):
            target = rng.randint(1, 40)
            w.writerow([f"D{i:07d}", "dept",
                        *(str(rng.randint(0, 2 * top) / 2) for top in S1_ITEMS.values()),
                        rng.randint(0, target), target, 0, 0,
                        rng.choice(["15", "12.5", "10", "7", "8", "9.5"])])


def write_s5(path: Path, n: int, seed: int = 12) -> None:
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["id", "category", *(f"good_bad.{lv}" for lv in S5_LEVELS),
                    "commendation.市级", "publicity.市级", *S5_COUNTS, "purchased_service"])
        for i in range(n):
            w.writerow([f"W{i:07d}", "window", *(rng.randint(0, 300) for _ in S5_LEVELS),
                        rng.randint(0, 2), rng.randint(0, 3),
                        *(rng.randint(0, top) for top in S5_COUNTS.values()),
                        rng.choice(["true", "false"])])


CHILD = """
import sys, time
start = time.perf_counter()
from pathlib import Path
import govscore
from govscore import api, bulk
scheme, facts, out, how = sys.argv[1:5]
plan = govscore.compile(scheme)
if how == "columns":
    done = bulk.score_file(plan, facts, out)
    note = "not taken" if done is None else f"{done.by_columns} by the columns, {done.scalar} not"
else:
    api.write_report(api.evaluate_all(plan, api.read_facts(facts)), plan, Path(out))
    note = ""
wall = time.perf_counter() - start
peak = next(line for line in open("/proc/self/status") if line.startswith("VmHWM")).split()[1]
print(f"{wall:.2f} {int(peak) // 1024} {note}")
"""


def child(scheme: Path, facts: Path, out: Path, how: str) -> tuple[str, str, str]:
    done = subprocess.run([sys.executable, "-c", CHILD, str(scheme), str(facts), str(out), how],
                          check=True, capture_output=True, text=True)
    wall, peak, *note = done.stdout.strip().split(maxsplit=2)
    return wall, peak, " ".join(note)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--usual-units", type=int, default=None)
    parser.add_argument("--keep", type=Path, default=None)
    args = parser.parse_args(argv)
    usual_units = args.units if args.usual_units is None else args.usual_units
    folder = Path(tempfile.mkdtemp(prefix="govscore-scope-"))
    code = 0
    try:
        print("| scheme | units | way | wall s | peak RSS MB | note |")
        print("|---|---:|---|---:|---:|---|")
        for name, write in (("s1-jiange", write_s1), ("s5-jining", write_s5)):
            scheme = ROOT / "schemes" / f"{name}.yaml"
            facts = folder / f"{name}.csv"
            write(facts, args.units)
            columns = folder / f"{name}.columns.csv"
            wall, peak, note = child(scheme, facts, columns, "columns")
            print(f"| {name} | {args.units:,} | columns | {wall} | {peak} | {note} |")
            if usual_units:
                small = facts
                if usual_units != args.units:
                    small = folder / f"{name}.usual-facts.csv"
                    write(small, usual_units)
                usual = folder / f"{name}.usual.csv"
                wall, peak, _ = child(scheme, small, usual, "usual")
                same = ""
                if small == facts:
                    same = "same bytes" if filecmp.cmp(usual, columns, shallow=False) \
                        else "FILES DIFFER"
                    code = code or (3 if same == "FILES DIFFER" else 0)
                print(f"| {name} | {usual_units:,} | usual | {wall} | {peak} | {same} |")
        if args.keep is not None:
            shutil.copytree(folder, args.keep, dirs_exist_ok=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
