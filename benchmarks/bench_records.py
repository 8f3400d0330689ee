"""Benchmark of facts from records: a year of generated 好差评 ratings for S5 (济宁), aggregated
into monthly facts per window and staff member by govscore.records on DuckDB; or (``--scheme s6``)
a year of generated per-case 信访 records for S6, aggregated into the year's rates per unit.

    python benchmarks/bench_records.py --rows 1000000 10000000
    python benchmarks/bench_records.py --rows 20000 --format csv     # a quick smoke run
    python benchmarks/bench_records.py --scheme s6 --rows 1000000

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


GRASSROOTS = [f"{name}{kind}" for name in ("城关", "南关", "北关", "东城", "西城", "河东", "河西",
                                            "新华", "建设", "人民", "兴隆", "太平", "长安", "永安",
                                            "和平")
              for kind in ("镇", "街道")]
HIGHER = ["县信访局", "县公安局", "县住建局", "县人社局", "县自然资源局", "县教育局", "县卫健委",
          "县市场监管局", "县民政局", "县农业农村局"]

GENERATE_S6 = """
COPY (
  SELECT
    'X2024-' || lpad(CAST(i AS VARCHAR), 8, '0') AS 信访件编号,
    $units[1 + (hash(i, 1) % $count)::INTEGER] AS 责任单位,
    CAST(DATE '2024-01-01' + to_days((hash(i, 2) % 366)::INTEGER) AS DATE) AS 登记日期,
    CASE WHEN hash(i, 3) % 100 < 97 THEN '是' ELSE '否' END AS 及时受理,
    CASE WHEN hash(i, 4) % 100 < 70 THEN '是' ELSE '否' END AS 初访,
    CASE WHEN hash(i, 5) % 100 < 85 THEN '是' ELSE '否' END AS 一次性化解,
    CASE WHEN hash(i, 6) % 100 < 88 THEN '按期办结' WHEN hash(i, 6) % 100 < 93 THEN '超期办结'
         WHEN hash(i, 6) % 100 < 95 THEN '超期未办结' ELSE '未到期' END AS 办结情况,
    CASE WHEN hash(i, 7) % 100 < 75 THEN '满意' WHEN hash(i, 7) % 100 < 90 THEN '基本满意'
         WHEN hash(i, 7) % 100 < 97 THEN '不满意' END AS 评价,
    CASE WHEN hash(i, 8) % 100 < 2 THEN '诉讼' WHEN hash(i, 8) % 100 < 3 THEN '仲裁'
         WHEN hash(i, 8) % 100 < 5 THEN '行政复议' END AS 去向
  FROM range($rows) t(i)
) TO '{target}' ({options})
"""


def generate_s6(rows: int, folder: Path, fmt: str) -> tuple[Path, Path]:
    """A year (2024) of per-case 信访 records for S6 — 30 grassroots units and 10 higher
    offices; 97 % accepted in time, 70 % first visits (85 % of them resolved at once), 88 %
    closed on time, 5 % late, 2 % overdue and open, 5 % not yet due; ratings 满意 75 %, 基本满意
    15 %, 不满意 7 %, none 3 %; 5 % gone to 诉讼, 仲裁 or 行政复议 — and its records file."""
    import duckdb

    target = folder / f"信访-2024.{fmt}"
    options = "FORMAT parquet" if fmt == "parquet" else "HEADER, DELIMITER ','"
    sql = GENERATE_S6.replace("{target}", str(target).replace("'", "''")).replace(
        "{options}", options)
    units = GRASSROOTS + HIGHER
    duckdb.execute(sql, {"units": units, "count": len(units), "rows": rows})
    text = (ROOT / "examples" / "records" / "s6-xinfang.records.yaml").read_text("utf-8")
    head, _, rest = text.partition("units:\n")
    _, _, rest = rest.partition("tables:\n")
    roster = "units:\n  grassroots: " + json.dumps(GRASSROOTS, ensure_ascii=False) + \
        "\n  higher: " + json.dumps(HIGHER, ensure_ascii=False) + "\ntables:\n"
    records = folder / "s6-xinfang.records.yaml"
    records.write_text((head + roster + rest).replace(
        "scheme: ../../schemes/s6-xinfang.yaml", f"scheme: {ROOT / 'schemes' / 's6-xinfang.yaml'}"),
        encoding="utf-8")
    return target, records


SCHEMES = {"s5": ("s5-jining.yaml", generate), "s6": ("s6-xinfang.yaml", generate_s6)}


def measure(export: Path, records: Path, memory_limit: str, scheme: str = "s5"
            ) -> dict[str, float]:
    """Derive the facts in a fresh child process; its time and peak memory."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(ROOT / "schemes" / SCHEMES[scheme][0]), str(records),
         str(export), memory_limit], capture_output=True, text=True, check=True, timeout=3600)
    result: dict[str, float] = json.loads(done.stdout)
    return result


def main(argv: list[str] | None = None) -> list[dict[str, float]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    parser.add_argument("--memory-limit", default="1GB")
    parser.add_argument("--keep", action="store_true", help="keep the generated data")
    parser.add_argument("--scheme", choices=sorted(SCHEMES), default="s5",
                        help="s5: 好差评 ratings (monthly); s6: 信访 cases (yearly)")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="govscore-records-", dir=HERE))
    out = []
    try:
        for rows in args.rows:
            start = time.perf_counter()
            export, records = SCHEMES[args.scheme][1](rows, folder, args.format)
            made = time.perf_counter() - start
            result = measure(export, records, args.memory_limit, args.scheme)
            # S5: each row is read by two tables (per window, per staff member); S6 by one
            result.update(records_generated=rows, generate_seconds=made,
                          rows_per_second=rows / result["seconds"],
                          export_mib=export.stat().st_size / 2**20)
            out.append(result)
            what = "ratings" if args.scheme == "s5" else "cases"
            print(f"{rows:>11,} {what} ({args.format}, {result['export_mib']:.0f} MiB): "
                  f"{result['seconds']:.2f} s, {result['rows_per_second']:,.0f} {what}/s, "
                  f"peak {result['peak_mib']:.0f} MiB, {result['unit_periods']:.0f} unit-periods, "
                  f"{result['rejected']:.0f} records not counted")
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    return out


if __name__ == "__main__":
    main()
