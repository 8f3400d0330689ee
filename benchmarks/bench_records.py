"""Benchmark of facts from records: a year of generated 好差评 ratings for S5 (济宁), aggregated
into monthly facts per window and staff member by govscore.records on DuckDB.

    python benchmarks/bench_records.py --rows 1000000 10000000
    python benchmarks/bench_records.py --rows 20000 --format csv     # a quick smoke run

The data is generated (deterministically, by DuckDB itself) into a scratch folder
``benchmarks/govscore-records-*/`` (git-ignored, removed afterwards unless ``--keep``): 64
windows and 320 staff, every channel (评价器, 二维码, 济宁政务服务网, 爱山东App), the five levels
(非常满意 92 %, 满意 5 %, 基本满意 1.5 %, 不满意 1 %, 非常不满意 0.5 %), times over 2022, and for
each 差评 a rectification day 1-25 days later (one in ten still open). Each measurement runs in a
fresh child process, which reports its wall time and its peak resident memory (ru_maxrss), so
one size's memory does not hide in another's.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WINDOWS = [f"窗口{i:02d}" for i in range(1, 65)]
STAFF = [f"人员{i:03d}" for i in range(1, 321)]
CHANNELS = ["评价器", "二维码", "济宁政务服务网", "爱山东App"]

GENERATE = """
COPY (
  SELECT
    i AS 评价编号,
    $windows[1 + (hash(i, 1) % 64)::INTEGER] AS 窗口,
    $staff[1 + (hash(i, 1) % 64)::INTEGER + 64 * ((hash(i, 2) % 5)::INTEGER)] AS 工作人员,
    $channels[1 + (hash(i, 3) % 4)::INTEGER] AS 渠道,
    CASE WHEN hash(i, 4) % 1000 < 920 THEN '非常满意' WHEN hash(i, 4) % 1000 < 970 THEN '满意'
         WHEN hash(i, 4) % 1000 < 985 THEN '基本满意' WHEN hash(i, 4) % 1000 < 995 THEN '不满意'
         ELSE '非常不满意' END AS 评价等级,
    TIMESTAMP '2022-01-01 08:30:00' + to_seconds((hash(i, 5) % 31500000)::BIGINT) AS 评价时间,
    CASE WHEN hash(i, 4) % 1000 >= 985 AND hash(i, 6) % 10 > 0
         THEN CAST(TIMESTAMP '2022-01-01 08:30:00' + to_seconds((hash(i, 5) % 31500000)::BIGINT)
                   + to_days((1 + hash(i, 7) % 25)::INTEGER) AS DATE) END AS 整改时间
  FROM range($rows) t(i)
) TO '{target}' ({options})
"""


def generate(rows: int, folder: Path, fmt: str) -> tuple[Path, Path]:
    """Write the ratings export and a records file for it; return both paths."""
    import duckdb

    target = folder / f"好差评-2022.{fmt}"
    options = "FORMAT parquet" if fmt == "parquet" else "HEADER, DELIMITER ','"
    # the target is a path of our own scratch folder (COPY takes no parameter for it)
    sql = GENERATE.replace("{target}", str(target).replace("'", "''")).replace("{options}", options)
    duckdb.execute(sql, {"windows": WINDOWS, "staff": STAFF, "channels": CHANNELS, "rows": rows})
    text = (ROOT / "examples" / "records" / "s5-jining.records.yaml").read_text("utf-8")
    head, _, rest = text.partition("units:\n")
    _, _, rest = rest.partition("calendar:\n")
    roster = "units:\n  window: " + json.dumps(WINDOWS, ensure_ascii=False) + \
        "\n  staff: " + json.dumps(STAFF, ensure_ascii=False) + "\ncalendar:\n"
    records = folder / "s5-jining.records.yaml"
    records.write_text((head + roster + rest).replace(
        "scheme: ../../schemes/s5-jining.yaml", f"scheme: {ROOT / 'schemes' / 's5-jining.yaml'}")
        .replace('as_of: "2022-11-30"', 'as_of: "2022-12-31"')
        .replace("years: [2022]", "years: [2022, 2023]"), encoding="utf-8")
    return target, records


CHILD = """
import json, resource, sys, time
from govscore import api
plan = api.compile(sys.argv[1])
start = time.perf_counter()
derived = api.derive_facts(plan, sys.argv[2], [sys.argv[3]], memory_limit=sys.argv[4])
seconds = time.perf_counter() - start
units = sum(len(v) for v in derived.periods.values())
print(json.dumps({"seconds": seconds, "rows": derived.rows, "rejected": derived.rejected,
                  "periods": len(derived.periods), "unit_periods": units,
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def measure(export: Path, records: Path, memory_limit: str) -> dict[str, float]:
    """Derive the facts in a fresh child process; its time and peak memory."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(ROOT / "schemes" / "s5-jining.yaml"), str(records),
         str(export), memory_limit], capture_output=True, text=True, check=True, timeout=3600)
    result: dict[str, float] = json.loads(done.stdout)
    return result


def main(argv: list[str] | None = None) -> list[dict[str, float]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    parser.add_argument("--memory-limit", default="1GB")
    parser.add_argument("--keep", action="store_true", help="keep the generated data")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="govscore-records-", dir=HERE))
    out = []
    try:
        for rows in args.rows:
            start = time.perf_counter()
            export, records = generate(rows, folder, args.format)
            made = time.perf_counter() - start
            result = measure(export, records, args.memory_limit)
            # each row is read by two tables (per window, per staff member)
            result.update(records_generated=rows, generate_seconds=made,
                          rows_per_second=rows / result["seconds"],
                          export_mib=export.stat().st_size / 2**20)
            out.append(result)
            print(f"{rows:>11,} ratings ({args.format}, {result['export_mib']:.0f} MiB): "
                  f"{result['seconds']:.2f} s, {result['rows_per_second']:,.0f} ratings/s, "
                  f"peak {result['peak_mib']:.0f} MiB, {result['unit_periods']:.0f} unit-months, "
                  f"{result['rejected']:.0f} records not counted")
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    return out


if __name__ == "__main__":
    main()
