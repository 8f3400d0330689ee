"""The columnar back end against its peers, in one run, as ratios to hand-written float Python.

    python benchmarks/bench_columns.py [--units N] [--rounds R] [--csv-units M]
                                       [--openfisca-python PATH] [--json PATH]

On the reference workload (``reference.yaml``, 20 items; ``bench_workload.py``), N units, the
median of R rounds of each:

- hand-written float Python (``bench_workload.float_careful``): the unit every ratio is to;
- hand-written Decimal Python (``bench_workload.baseline_decimal``);
- hand-written numpy over float columns (the same arithmetic vectorised, guarded half-up);
- OpenFisca-Core (float32 vectors; run in the interpreter given by ``--openfisca-python``, or
  this one if it has openfisca_core; the peer is left out, and said so, otherwise);
- govscore from columns: the engine alone on fact columns already built (scaled int64; the
  totals kept as a column, turned into Decimals outside the timing as the numpy peer's are), and
  from the text of a CSV held as Arrow columns (conversion included);
- govscore ``evaluate_all`` from a list of dicts: through the columns (the default for a batch of
  256 or more with numpy) and unit by unit (``columns=False``, what it was before);
- govscore ``evaluate`` unit by unit, every result kept.

Every evaluator's totals are checked against the Decimal baseline to the cent; a float peer's
disagreements are counted and reported, govscore's abort the run (exit 3).

Then, each in a fresh child process (its own peak RSS, from getrusage): eval memory per unit of
``evaluate_all`` with the results kept (100,000 units, both paths), and M units (default
1,000,000) CSV → CSV through ``govscore.api.score_csv``: wall time and peak RSS.

Files through the columns (``govscore score -o``'s way, :func:`govscore.bulk.score_file`), each
in a fresh child whose peak RSS is its own VmHWM: ``--s3-units`` S3-shaped districts (the real
S3 scheme: 3 圈层, 30% 优秀 per 圈层 with ties at the line, by_level mapping facts) CSV → CSV
(target 1,000,000 in ≤ 5 s and ≤ 500 MB; ``--s3-runs R`` runs it R times, a fresh child each,
and reports the slowest and the largest peak), and ``--parquet-units`` Parquet → Parquet (default
10,000,000: the figure is recorded). The facts are generated into a temporary folder outside the
repository and deleted after; a sample of totals is checked against a hand-written Decimal
computation of S3 (:func:`s3_total`), independent of govscore.

    python benchmarks/bench_columns.py --units 0 --memory-units 0 --csv-units 0 \
        --s3-units 1000000 --parquet-units 10000000
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from operator import itemgetter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import bench_workload as wl  # noqa: E402

import govscore  # noqa: E402
from govscore import api  # noqa: E402

EXIT_DISAGREE = 3
NAMES = [name for name, _ in (*wl.BASIC, *wl.BONUS, *wl.DEDUCTIONS)]


def _median(fn: Callable[[], Any], rounds: int) -> tuple[float, Any]:
    times = []
    out = None
    for _ in range(rounds):
        gc.collect()
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


# ---------------------------------------------------------------------------------------------
# peers


def numpy_float(columns: dict[str, Any]) -> Any:
    """The reference workload by hand over float64 numpy columns (guarded half-up per item)."""
    import numpy as np

    basic = np.zeros(len(columns["b1"]))
    for name, top in wl.BASIC_F:
        basic += np.floor(columns[name] * top * 100 + 0.5 + 1e-9) / 100
    bonus = np.zeros_like(basic)
    for name, cap in wl.BONUS_F:
        bonus += np.minimum(columns[name] * 0.5, cap)
    bonus = np.minimum(bonus, 20.0)
    deductions = np.zeros_like(basic)
    for name, per in wl.DEDUCTIONS_F:
        deductions += np.minimum(columns[name] * per, 30.0)
    deductions = np.minimum(deductions, bonus)
    return basic + bonus - deductions


def float_cents(values: Sequence[float]) -> list[Decimal]:
    return [Decimal(repr(float(x))).quantize(wl.CENT, rounding=ROUND_HALF_UP) for x in values]


OPENFISCA_CHILD = r'''
import json, sys, time, statistics
import numpy as np
from openfisca_core.entities import build_entity
from openfisca_core.periods import DateUnit
from openfisca_core.taxbenefitsystems import TaxBenefitSystem
from openfisca_core.variables import Variable
from openfisca_core.simulations import SimulationBuilder

spec = json.loads(sys.argv[1])
n, rounds, path = spec["n"], spec["rounds"], spec["path"]
Unit = build_entity(key="unit", plural="units", label="unit", is_person=True)

def var(name, formula=None):
    attrs = {"value_type": float, "entity": Unit, "definition_period": DateUnit.YEAR,
             "label": name}
    if formula is not None:
        attrs["formula"] = formula
    return type(name, (Variable,), attrs)

variables = [var(n) for n in spec["names"]]
basic_items = spec["basic"]; bonus_items = spec["bonus"]; deduction_items = spec["deductions"]

def f_basic(u, period):
    total = 0
    for name, top in basic_items:
        total = total + np.floor(u(name, period) * top * 100 + 0.5 + 1e-4) / 100
    return total
def f_bonus(u, period):
    total = 0
    for name, cap in bonus_items:
        total = total + np.minimum(u(name, period) * 0.5, cap)
    return np.minimum(total, 20)
def f_deductions(u, period):
    total = 0
    for name, per in deduction_items:
        total = total + np.minimum(u(name, period) * per, 30)
    return np.minimum(total, u("bonus", period))
def f_total(u, period):
    return u("basic", period) + u("bonus", period) - u("deductions", period)

variables += [var("basic", f_basic), var("bonus", f_bonus), var("deductions", f_deductions),
              var("total", f_total)]

class System(TaxBenefitSystem):
    def __init__(self):
        super().__init__([Unit])
        for v in variables:
            self.add_variable(v)

system = System()
data = np.load(path)
def run():
    sim = SimulationBuilder().build_default_simulation(system, n)
    for name in spec["names"]:
        sim.set_input(name, "2024", data[name])
    return sim.calculate("total", "2024")
times = []
for _ in range(rounds):
    t0 = time.perf_counter(); out = run(); times.append(time.perf_counter() - t0)
print(json.dumps({"seconds": statistics.median(times), "dtype": str(out.dtype),
                  "totals": [float(x) for x in out]}))
'''


def openfisca(python: str, units: list[dict[str, Any]], rounds: int,
              folder: Path) -> tuple[float | None, str, list[Decimal]]:
    """OpenFisca-Core in a child interpreter: (median seconds, note, totals to the cent)."""
    import numpy as np

    path = folder / "openfisca-facts.npz"
    np.savez(path, **{n: np.array([float(u["facts"][n]) for u in units]) for n in NAMES})
    spec = {"n": len(units), "rounds": rounds, "path": str(path), "names": NAMES,
            "basic": [(n, float(t)) for n, t in wl.BASIC],
            "bonus": [(n, float(c)) for n, c in wl.BONUS],
            "deductions": [(n, float(p)) for n, p in wl.DEDUCTIONS]}
    try:
        done = subprocess.run([python, "-c", OPENFISCA_CHILD, json.dumps(spec)],
                              capture_output=True, text=True, timeout=900, check=True)
    except (OSError, subprocess.SubprocessError) as exc:
        return None, f"left out: {type(exc).__name__}", []
    out = json.loads(done.stdout)
    return out["seconds"], f"OpenFisca-Core, {out['dtype']}", float_cents(out["totals"])


# ---------------------------------------------------------------------------------------------
# govscore from columns


def fact_columns_of(plan: Any, units: list[dict[str, Any]]) -> Any:
    """The engine's fact columns of the units (built once, outside the timing)."""
    from govscore.engine import columnar

    program = plan.columns()[None]
    return program, columnar.fact_columns(program, [u["facts"] for u in units])


def text_table(units: list[dict[str, Any]]) -> Any:
    """The units as a CSV's text would arrive: one Arrow string array per fact."""
    import pyarrow as pa

    from govscore.inputs import columns

    return columns.TextTable("<memory>", [u["id"] for u in units],
                             {n: pa.array([str(u["facts"][n]) for u in units]) for n in NAMES})


# ---------------------------------------------------------------------------------------------
# fresh children


STATUS = r'''def status(key):  # this process's own figures (ru_maxrss would include the parent's at fork)
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1])
'''
"""The child scripts' own peak and resident memory (`#STATUS` in each is replaced by it)."""


MEMORY_CHILD = r'''
import gc, json, sys
sys.path.insert(0, sys.argv[3])
import bench_workload as wl
import govscore
from govscore import api

#STATUS

n, columns = int(sys.argv[1]), sys.argv[2] == "columns"
plan = govscore.compile(wl.REFERENCE_YAML)
api._evaluate_all(plan, wl.make_units(300), columns=columns)  # imports and first-use caches
units = wl.make_units(n)
gc.collect()
before = status("VmRSS")
gc.disable()
assessment = api._evaluate_all(plan, units, columns=columns)
after = status("VmRSS")
assert len(assessment.results) == n
print(json.dumps({"before_kb": before, "after_kb": after, "peak_kb": status("VmHWM")}))
'''.replace("#STATUS", STATUS)

CSV_CHILD = r'''
import json, sys, time
import govscore
from govscore import api

#STATUS

plan = govscore.compile(sys.argv[1])
t0 = time.perf_counter()
summary = api.score_csv(plan, sys.argv[2], sys.argv[3])
seconds = time.perf_counter() - t0
print(json.dumps({"seconds": seconds, "peak_kb": status("VmHWM"),
                  "by_columns": summary["by_columns"], "scalar": summary["scalar"]}))
'''.replace("#STATUS", STATUS)


def memory_per_unit(n: int, columns: bool) -> float:
    done = subprocess.run([sys.executable, "-c", MEMORY_CHILD, str(n),
                           "columns" if columns else "units", str(HERE)],
                          capture_output=True, text=True, check=True, timeout=1800)
    out = json.loads(done.stdout)
    return (out["after_kb"] - out["before_kb"]) * 1024 / n


def csv_to_csv(n: int, folder: Path) -> dict[str, Any]:
    sys.path.insert(0, str(HERE))
    import run as bench_run

    source, target = folder / "facts.csv", folder / "scores.csv"
    expected = bench_run.write_stream_csv(source, n)
    done = subprocess.run([sys.executable, "-c", CSV_CHILD, str(wl.REFERENCE_YAML), str(source),
                           str(target)], capture_output=True, text=True, check=True,
                          timeout=1800)
    out = json.loads(done.stdout)
    import csv

    with target.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        got = [Decimal(next(reader)[1]) for _ in range(len(expected))]
    out["agrees"] = got == expected
    out["units"] = n
    return out


# ---------------------------------------------------------------------------------------------
# S3-shaped files through the columns


S3_SCHEME = HERE.parent / "schemes" / "s3-chengdu.yaml"
_CITY, _PROVINCE, _NATIONAL = Decimal("0.5"), Decimal(1), Decimal("1.5")
LEVELS = {"bonus_articles": {"city": _CITY, "province": _PROVINCE, "national": _NATIONAL},
          "bonus_commendations": {"county_or_city_dept": _CITY,
                                  "city_or_province_dept": _PROVINCE,
                                  "province_or_ministry": _NATIONAL},
          "bonus_media": {"city": _CITY, "province": _PROVINCE, "national": _NATIONAL}}
"""第九条(四)–(六): points per occurrence by level."""
MANUAL = {"bonus_leadership": ["0", "1", "2.5", "3", "4.5", "5"],
          "bonus_process": ["0", "1.5", "3", "5"], "ded_other": ["0", "0", "1.5", "12"]}
COUNTS = {"bonus_innovation": 6, "bonus_meetings": 5, "bonus_special_tasks": 5,
          "bonus_other": 5, "ded_double_acceptance": 3, "ded_overdue": 2,
          "ded_complaints": 2, "ded_mandarin": 1, "ded_criticism": 2, "ded_media": 1}
LEVEL_COUNTS = {"city": 6, "province": 3, "national": 2, "county_or_city_dept": 4,
                "city_or_province_dept": 3, "province_or_ministry": 2}


def s3_chunk(start: int, n: int, seed: int) -> dict[str, Any]:
    """Units start … start + n of an S3-shaped population as numpy columns (text for manual
    scores, whole numbers for counts, a flag for 第八条(一)'s 70 points)."""
    import numpy as np

    rng = np.random.default_rng([seed, start])
    columns: dict[str, Any] = {
        "id": np.char.add("区县", np.arange(start, start + n).astype(str)),
        "tier": np.array(["ring1", "ring2", "ring3"])[rng.integers(0, 3, n)],
        "base": rng.random(n) < 0.95}
    for name, choices in MANUAL.items():
        columns[name] = np.array(choices)[rng.integers(0, len(choices), n)]
    for name, top in COUNTS.items():
        columns[name] = rng.integers(0, top + 1, n)
    for fact, levels in LEVELS.items():
        for level in levels:
            columns[f"{fact}.{level}"] = rng.integers(0, LEVEL_COUNTS[level] + 1, n)
    return columns


def s3_total(row: dict[str, Any]) -> Decimal:
    """S3's 实得分 by hand (第八条–第十条), exactly: 70 if the centre runs; the bonus items each
    capped (per occurrence 0.5 up to 2, by level up to 4, manual as given), their sum at most
    30; each deduction per occurrence up to 30, their sum at most the bonus (第十条(八));
    half up to 2 places."""
    half, cap = Decimal("0.5"), Decimal(2)
    base = Decimal(70) if row["base"] else Decimal(0)
    bonus = Decimal(row["bonus_leadership"]) + Decimal(row["bonus_process"])
    for name in ("bonus_innovation", "bonus_meetings", "bonus_special_tasks", "bonus_other"):
        bonus += min(half * int(row[name]), cap)
    for fact, levels in LEVELS.items():
        bonus += min(sum((value * int(row[f"{fact}.{level}"])
                          for level, value in levels.items()), Decimal(0)), Decimal(4))
    bonus = min(bonus, Decimal(30))
    per = {"ded_double_acceptance": 2, "ded_overdue": 2, "ded_complaints": 2,
           "ded_mandarin": 2, "ded_criticism": 5, "ded_media": 3}
    deductions = sum((min(Decimal(p * int(row[name])), Decimal(30)) for name, p in per.items()),
                     Decimal(0)) + Decimal(row["ded_other"])
    deductions = min(deductions, bonus)
    return (base + bonus - deductions).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def write_s3_facts(path: Path, n: int, seed: int = 15, chunk: int = 1_000_000
                   ) -> dict[str, Decimal]:
    """n S3-shaped units as a wide .csv or .parquet (by the suffix), written chunk by chunk;
    returns the hand-worked totals of a sample of them (every 997th unit)."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from pyarrow import csv as pacsv

    expected: dict[str, Decimal] = {}
    writer: Any = None
    for start in range(0, n, chunk):
        columns = s3_chunk(start, min(chunk, n - start), seed)
        for i in range(0, len(columns["id"]), 997):
            row = {k: v[i] for k, v in columns.items()}
            expected[str(row["id"])] = s3_total(row)
        if path.suffix == ".parquet":
            arrays = {k: pa.array(v) for k, v in columns.items()}
            for name in MANUAL:  # exact decimals, never floats
                arrays[name] = pa.array([Decimal(x) for x in columns[name].tolist()],
                                        pa.decimal128(4, 1))
            table = pa.table(arrays)
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema)
            writer.write_table(table)
        else:
            table = pa.table({k: pa.array(v.astype(str)) if v.dtype == bool else pa.array(v)
                              for k, v in columns.items()})
            table = table.set_column(2, "base", pa.array(
                ["true" if b else "false" for b in columns["base"].tolist()]))
            if writer is None:
                writer = pacsv.CSVWriter(path, table.schema,
                                         write_options=pacsv.WriteOptions(quoting_style="none"))
            writer.write_table(table)
    if writer is not None:
        writer.close()
    return expected


FILES_CHILD = r'''
import json, resource, sys, time
t0 = time.perf_counter()
import govscore
from govscore import bulk

#STATUS

plan = govscore.compile(sys.argv[1])
t1 = time.perf_counter()
summary = bulk.score_file(plan, sys.argv[2], sys.argv[3])
t2 = time.perf_counter()
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"seconds": t2 - t1, "with_start": t2 - t0, "peak_kb": status("VmHWM"),
                  "cpu_seconds": usage.ru_utime + usage.ru_stime,
                  "by_columns": summary.by_columns if summary else 0,
                  "scalar": summary.scalar if summary else None}))
'''.replace("#STATUS", STATUS)


def s3_files(n: int, suffix: str, folder: Path, runs: int = 1) -> dict[str, Any]:
    """n S3-shaped units FACTS{suffix} → OUT{suffix} in a fresh child, ``runs`` times (a fresh
    child each, the same file): seconds (scoring the file, and with the interpreter's start
    and imports), peak RSS; the slowest run's figures, every run's in ``runs``, the largest
    peak in ``peak_kb_max``; the sample's totals (from the last run's file)."""
    import pyarrow.compute as pc

    source, target = folder / f"facts{suffix}", folder / f"scores{suffix}"
    expected = write_s3_facts(source, n)
    each = []
    for _ in range(max(runs, 1)):
        done = subprocess.run([sys.executable, "-c", FILES_CHILD, str(S3_SCHEME), str(source),
                               str(target)], capture_output=True, text=True, check=True,
                              timeout=3600)
        each.append(json.loads(done.stdout))
    out = dict(max(each, key=lambda r: r["seconds"]))
    out["runs"] = [{"seconds": r["seconds"], "peak_kb": r["peak_kb"]} for r in each]
    out["peak_kb_max"] = max(r["peak_kb"] for r in each)
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(target, columns=["unit", "total"])
    else:
        import pyarrow as pa
        from pyarrow import csv as pacsv

        table = pacsv.read_csv(target, convert_options=pacsv.ConvertOptions(
            include_columns=["unit", "total"],
            column_types={"unit": pa.string(), "total": pa.string()}))
    import pyarrow as pa

    sample = table.filter(pc.is_in(table.column("unit"),
                                   value_set=pa.array(list(expected), pa.string())))
    got = {u: Decimal(str(t)) for u, t in zip(sample.column("unit").to_pylist(),
                                                sample.column("total").to_pylist(), strict=True)}
    out["units"] = n
    out["sample"] = len(expected)
    out["agrees"] = got == expected
    out["facts_mb"] = source.stat().st_size / 2**20
    source.unlink()
    target.unlink()
    return out


def readers(n: int, folder: Path, rounds: int) -> dict[str, dict[str, float]]:
    """Seconds to read n S3-shaped units into Arrow columns, exactly (text, or Parquet's own
    decimals and integers), by pyarrow and by DuckDB, median of ``rounds``: what decided the
    columns' reader (docs/performance.md). DuckDB reads CSV with every column as VARCHAR (its
    sniffer would make decimals DOUBLE)."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from pyarrow import csv as pacsv

    out: dict[str, dict[str, float]] = {}
    csv_path, parquet_path = folder / "facts.csv", folder / "facts.parquet"
    write_s3_facts(csv_path, n)
    write_s3_facts(parquet_path, n)
    names = csv_path.open(encoding="utf-8").readline().strip().split(",")
    text = pacsv.ConvertOptions(column_types={c: pa.string() for c in names},
                                strings_can_be_null=False)
    out["csv"] = {"pyarrow": _median(lambda: pacsv.read_csv(csv_path, convert_options=text),
                                     rounds)[0]}
    out["parquet"] = {"pyarrow": _median(lambda: pq.read_table(parquet_path), rounds)[0]}
    try:
        import duckdb
    except ImportError:
        return out
    def table(query: str) -> Any:  # DuckDB 1.4+ gives a lazy reader: read it all
        got = duckdb.sql(query).arrow()
        return got.read_all() if hasattr(got, "read_all") else got

    out["csv"]["duckdb"] = _median(lambda: table(
        f"SELECT * FROM read_csv('{csv_path}', all_varchar=true, header=true)"), rounds)[0]
    out["parquet"]["duckdb"] = _median(lambda: table(
        f"SELECT * FROM read_parquet('{parquet_path}')"), rounds)[0]
    return out


# ---------------------------------------------------------------------------------------------
# S3-shaped workbooks: writers, readers, and `govscore score facts.xlsx -o scores.csv`


def write_s3_xlsx(path: Path, n: int, writer: str, seed: int = 15) -> dict[str, Decimal]:
    """n S3-shaped units as the first sheet of a workbook, cells typed as a person types them
    (numbers as numbers: whole ones as integers, 2.5 as a float; 是/否 flags as booleans; ids and
    tiers as text), by ``writer`` (openpyxl write_only, or xlsxwriter in constant_memory mode);
    returns the hand-worked totals of a sample (every 997th unit)."""
    columns = s3_chunk(0, n, seed)
    names = list(columns)
    expected = {}
    for i in range(0, n, 997):
        row = {k: v[i] for k, v in columns.items()}
        expected[str(row["id"])] = s3_total(row)
    cells = []
    for name in names:
        values = columns[name].tolist()
        if name in MANUAL:  # text in the generator: numbers in a sheet
            values = [int(v) if "." not in v else float(v) for v in values]
        cells.append(values)
    if writer == "xlsxwriter":
        import xlsxwriter

        book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
        sheet = book.add_worksheet("考核")
        sheet.write_row(0, 0, names)
        for r in range(n):
            sheet.write_row(r + 1, 0, [c[r] for c in cells])
        book.close()
    else:
        import openpyxl

        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet("考核")
        sheet.append(names)
        for r in range(n):
            sheet.append([c[r] for c in cells])
        book.save(path)
    return expected


XLSX_CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
import govscore
from govscore import api, bulk
from govscore.inputs import tables

#STATUS

for name in ("MAX_XLSX_UNZIPPED", "MAX_XLSX_CELLS"):  # past the guard: only to time readers
    if sys.argv[4] == "raise":
        setattr(tables, name, 10 * getattr(tables, name))
plan = govscore.compile(sys.argv[1])
t1 = time.perf_counter()
if sys.argv[5] == "columns":
    summary = bulk.score_file(plan, sys.argv[2], sys.argv[3])
    taken = summary is not None
    if not taken:
        raise SystemExit("the columns did not take the workbook")
else:
    api.write_report(api.evaluate_all(plan, api.read_facts(sys.argv[2])), plan, sys.argv[3])
t2 = time.perf_counter()
print(json.dumps({"seconds": t2 - t1, "with_start": t2 - t0, "peak_kb": status("VmHWM")}))
""".replace("#STATUS", STATUS)


BIG_SHEET = 200_000
"""Past this many rows the benchmark writes the sheet once (xlsxwriter where installed), times
openpyxl's bare reading once and leaves out the table reader (about twice openpyxl's bare
reading at 100,000 rows): each would take many minutes."""


def xlsx_files(n: int, folder: Path, rounds: int, usual: bool) -> dict[str, Any]:
    """Writers, readers and `govscore score` on n S3-shaped units in a workbook.

    - writing the facts: openpyxl write_only and xlsxwriter (constant_memory), if installed;
    - reading the first sheet: the table reader (tables.load_table: openpyxl read_only, every cell
      through the cell rules — the usual way), openpyxl read_only's bare values, python-calamine
      (if installed; it gives every number as a float and drops number formats, so it cannot
      promise the table reader's values: shown for speed only) and the columns
      (inputs.columns.read_file_columns); median of ``rounds``;
    - `govscore score S3 facts.xlsx -o scores.csv` in a fresh child through the columns, and the
      usual way (``usual``), with peak RSS; the columns' file equal to the usual way's, and the
      sample of totals equal to the hand-worked ones.

    A workbook past the table reader's limits (MAX_XLSX_UNZIPPED: 300 MB of XML, about 370,000
    S3 rows; MAX_XLSX_CELLS) is refused by both ways; for such n the readers are timed with the
    limits raised ten times in this process, and `score` is not run."""
    import importlib.util

    from govscore.inputs import columns as incols
    from govscore.inputs import tables

    out: dict[str, Any] = {"units": n, "write": {}, "read": {}}
    path = folder / "facts.xlsx"
    expected: dict[str, Decimal] = {}
    writers = ["xlsxwriter"] if importlib.util.find_spec("xlsxwriter") else []
    if not writers or n <= BIG_SHEET:
        writers.append("openpyxl")
    for writer in writers:  # the last written stays (openpyxl's where it writes)
        t = time.perf_counter()
        expected = write_s3_xlsx(path, n, writer)
        out["write"][writer] = time.perf_counter() - t
    out["facts_mb"] = path.stat().st_size / 2**20
    import zipfile

    with zipfile.ZipFile(path) as archive:  # what the table reader's 300 MB limit counts
        out["unzipped_mb"] = sum(i.file_size for i in archive.infolist()) / 2**20
    plan = govscore.compile(S3_SCHEME)
    within = True
    try:
        tables.check_workbook(path)
    except Exception:  # past the table reader's limits: both ways refuse it
        within = False
    saved = (tables.MAX_XLSX_UNZIPPED, tables.MAX_XLSX_CELLS)
    if not within:
        tables.MAX_XLSX_UNZIPPED, tables.MAX_XLSX_CELLS = saved[0] * 10, saved[1] * 10
    try:
        def openpyxl_values() -> int:
            book = tables.import_openpyxl().load_workbook(path, read_only=True)
            count = sum(1 for _ in book.worksheets[0].iter_rows(values_only=True))
            book.close()
            return count

        readers: dict[str, Callable[[], Any]] = {
            "table reader (openpyxl read_only + cell rules)": lambda: tables.load_table(path),
            "openpyxl read_only, values only": openpyxl_values,
            "govscore columns": lambda: incols.read_file_columns(path, plan)}
        if importlib.util.find_spec("python_calamine"):
            import python_calamine

            readers["python-calamine (inexact)"] = lambda: python_calamine.CalamineWorkbook \
                .from_path(str(path)).get_sheet_by_index(0).to_python()
        if n > BIG_SHEET:  # minutes each: openpyxl's reading is timed once, the table
            del readers["table reader (openpyxl read_only + cell rules)"]  # reader's left out
        for name, read in readers.items():
            once = n > BIG_SHEET and name.startswith("openpyxl")
            out["read"][name] = _median(read, 1 if once else rounds)[0]
            gc.collect()
    finally:
        tables.MAX_XLSX_UNZIPPED, tables.MAX_XLSX_CELLS = saved
    out["within_limits"] = within
    if not within:
        return out
    ways = ["columns", "usual"] if usual else ["columns"]
    for way in ways:
        target = folder / f"scores-{way}.csv"
        done = subprocess.run([sys.executable, "-c", XLSX_CHILD, str(S3_SCHEME), str(path),
                               str(target), "keep", way], capture_output=True, text=True,
                              check=True, timeout=7200)
        out[way] = json.loads(done.stdout)
    import csv

    with (folder / "scores-columns.csv").open(encoding="utf-8-sig", newline="") as handle:
        got = {row["unit"]: Decimal(row["total"]) for row in csv.DictReader(handle)
               if row["unit"] in expected}
    out["sample"] = len(expected)
    out["agrees"] = got == expected
    if usual:
        out["same_file"] = (folder / "scores-columns.csv").read_bytes() == \
            (folder / "scores-usual.csv").read_bytes()
    return out


# ---------------------------------------------------------------------------------------------


def reference(args: argparse.Namespace) -> dict[str, Any]:
    """The reference workload's evaluators side by side, and eval memory per unit."""
    import numpy as np

    from govscore.engine import columnar
    from govscore.inputs import columns as text_columns

    n, rounds = args.units, args.rounds
    units = wl.make_units(n)
    expected = [wl.baseline_decimal(u["facts"]) for u in units]
    plan = govscore.compile(wl.REFERENCE_YAML)
    floats = wl.to_floats(units)
    float_columns = {name: np.array([f[name] for f in floats]) for name in NAMES}
    program, facts = fact_columns_of(plan, units)
    table = text_table(units)
    rows: list[dict[str, Any]] = []

    def add(name: str, seconds: float | None, totals: Sequence[Decimal], exact: bool,
            note: str = "") -> None:
        wrong = sum(1 for a, b in zip(totals, expected, strict=False) if a != b) \
            if totals else None
        if exact and wrong:
            print(f"{name}: {wrong} totals differ from the Decimal baseline", file=sys.stderr)
            raise SystemExit(EXIT_DISAGREE)
        rows.append({"name": name, "seconds": seconds, "wrong": wrong, "note": note})

    t, out = _median(lambda: [wl.float_careful(f) for f in floats], rounds)
    add("hand-written float Python", t, float_cents(out), exact=False)
    t, out = _median(lambda: [wl.baseline_decimal(u["facts"]) for u in units], rounds)
    add("hand-written Decimal Python", t, out, exact=True)
    t, out = _median(lambda: numpy_float(float_columns), rounds)
    add("numpy columnar (float64, hand-written)", t, float_cents(out.tolist()), exact=False)
    with tempfile.TemporaryDirectory(prefix="govscore-bench-columns-") as scratch:
        t_of, note, totals = openfisca(args.openfisca_python, units, rounds, Path(scratch))
        add("OpenFisca-Core vectorised", t_of, totals, exact=False, note=note)

    def engine() -> Any:
        # the totals as a column of exact cents (no node kept), as the numpy peer returns its
        # float column: both are turned into Decimals for the check outside the timing
        done = columnar.run(plan, program, facts, keep=())
        assert not done.bail.any()
        return done.total

    t, out = _median(engine, rounds)
    add("govscore columns, from fact columns", t, columnar.decimals(out), exact=True)

    def from_text() -> list[Decimal]:
        built = text_columns.fact_columns(program, table)
        done = columnar.run(plan, program, built)
        assert not done.bail.any()
        return columnar.decimals(done.total)

    t, out = _median(from_text, rounds)
    add("govscore columns, from CSV text columns", t, out, exact=True)

    def batch(columns: bool) -> Callable[[], list[Decimal]]:
        def go() -> list[Decimal]:
            gc.disable()
            try:
                result = api._evaluate_all(plan, units, columns=columns)
            finally:
                gc.enable()
            return [r.total for r in result.results.values()]
        return go

    def floor() -> list[Decimal]:
        # what any exact reader of these dicts pays before scoring anything: each fact's
        # values taken out of 100k dicts as a column, and the text of each Decimal (the
        # cheapest exact reading of a Decimal: str() is ~0.1 µs, hash() of a new one ~0.45 µs,
        # as_tuple() ~0.7 µs). The hand-written float function is given its floats ready.
        facts = [u["facts"] for u in units]
        columns = [list(map(itemgetter(name), facts)) for name in NAMES]
        for column in columns[:len(wl.BASIC)]:
            "\n".join(map(str, column))
        return []

    t, out = _median(floor, rounds)
    add("floor: the dicts' values as columns + Decimal text", t, out, exact=False,
        note="(no scoring)")
    t, out = _median(batch(True), rounds)
    add("govscore evaluate_all, list of dicts (columns)", t, out, exact=True)
    t, out = _median(batch(False), rounds)
    add("govscore evaluate_all, list of dicts (unit by unit)", t, out, exact=True)

    def each() -> list[Decimal]:
        kept = [govscore.evaluate(plan, u) for u in units]
        return [r.total for r in kept]

    t, out = _median(each, rounds)
    add("govscore evaluate per unit, results kept", t, out, exact=True)

    hand_float = rows[0]["seconds"]
    hand_decimal = rows[1]["seconds"]
    print(f"reference workload, {n} units, median of {rounds} rounds")
    print(f"{'evaluator':<52} {'units/s':>12} {'× float':>8} {'× Decimal':>10} {'≠ cent':>7}")
    for row in rows:
        if row["seconds"] is None:
            print(f"{row['name']:<52} {row['note']}")
            continue
        rate = n / row["seconds"]
        wrong = "–" if row["wrong"] is None else row["wrong"]
        print(f"{row['name']:<52} {rate:>12,.0f} {hand_float / row['seconds']:>8.2f} "
              f"{hand_decimal / row['seconds']:>10.2f} {wrong:>7} {row['note']}")
    report: dict[str, Any] = {"units": n, "rounds": rounds, "rows": rows}
    mem_units = args.memory_units
    report["memory_bytes_per_unit"] = {
        "columns": memory_per_unit(mem_units, True),
        "unit by unit": memory_per_unit(mem_units, False)}
    print(f"eval memory per unit ({mem_units} units, results kept, fresh child): " +
          ", ".join(f"{k} {v:,.0f} B" for k, v in report["memory_bytes_per_unit"].items()))
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--csv-units", type=int, default=1_000_000)
    parser.add_argument("--s3-units", type=int, default=0,
                        help="S3-shaped units CSV → CSV through the columns (0: skip)")
    parser.add_argument("--s3-runs", type=int, default=1,
                        help="S3 CSV → CSV this many times, each in a fresh child (the slowest "
                             "and the largest peak reported)")
    parser.add_argument("--parquet-units", type=int, default=0,
                        help="S3-shaped units Parquet → Parquet through the columns (0: skip)")
    parser.add_argument("--readers-units", type=int, default=0,
                        help="time pyarrow and DuckDB reading S3-shaped CSV and Parquet (0: skip)")
    parser.add_argument("--xlsx-units", type=int, default=0,
                        help="S3-shaped workbooks: writers, readers, score through the columns "
                             "(0: skip)")
    parser.add_argument("--xlsx-usual", action="store_true",
                        help="with --xlsx-units: score the workbook the usual way too")
    parser.add_argument("--memory-units", type=int, default=100_000)
    parser.add_argument("--openfisca-python", default=sys.executable)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    report: dict[str, Any] = reference(args) if args.units else {}
    if args.csv_units:
        with tempfile.TemporaryDirectory(prefix="govscore-bench-columns-") as scratch:
            csv_run = csv_to_csv(args.csv_units, Path(scratch))
        report["csv_to_csv"] = csv_run
        print(f"CSV → CSV, {csv_run['units']:,} units: {csv_run['seconds']:.2f} s, peak RSS "
              f"{csv_run['peak_kb'] / 1024:,.0f} MB, {csv_run['by_columns']:,} by the columns, "
              f"first chunk equal to the Decimal baseline: {csv_run['agrees']}")
    if args.readers_units:
        with tempfile.TemporaryDirectory(prefix="govscore-bench-files-") as scratch:
            report["readers"] = readers(args.readers_units, Path(scratch), args.rounds)
        for kind, times in report["readers"].items():
            print(f"reading {args.readers_units:,} S3 units from {kind}: " +
                  ", ".join(f"{k} {v:.2f} s" for k, v in times.items()))
    if args.xlsx_units:
        with tempfile.TemporaryDirectory(prefix="govscore-bench-xlsx-") as scratch:
            run_x = xlsx_files(args.xlsx_units, Path(scratch), args.rounds, args.xlsx_usual)
        report["xlsx"] = run_x
        print(f"S3 workbook, {run_x['units']:,} units ({run_x['facts_mb']:,.0f} MB, "
              f"{run_x['unzipped_mb']:,.0f} MB unzipped): written by "
              + ", ".join(f"{k} {v:.2f} s" for k, v in run_x["write"].items()))
        for name, seconds in run_x["read"].items():
            print(f"  read by {name}: {seconds:.2f} s")
        if not run_x["within_limits"]:
            print("  past the table reader's limits: refused by both ways (readers timed with "
                  "the limits raised)")
        for way in ("columns", "usual"):
            if way in run_x:
                print(f"  score -o scores.csv, {way}: {run_x[way]['seconds']:.2f} s "
                      f"({run_x[way]['with_start']:.2f} s with the start), peak RSS "
                      f"{run_x[way]['peak_kb'] / 1024:,.0f} MB")
        if "agrees" in run_x:
            print(f"  {run_x['sample']:,} sampled totals equal to the hand-worked Decimal: "
                  f"{run_x['agrees']}; the same file both ways: {run_x.get('same_file')}")
            if not run_x["agrees"] or run_x.get("same_file") is False:
                raise SystemExit(EXIT_DISAGREE)
    for flag, suffix in ((args.s3_units, ".csv"), (args.parquet_units, ".parquet")):
        if not flag:
            continue
        with tempfile.TemporaryDirectory(prefix="govscore-bench-files-") as scratch:
            run = s3_files(flag, suffix, Path(scratch),
                           args.s3_runs if suffix == ".csv" else 1)
        report[f"s3{suffix.replace('.', '_')}"] = run
        print(f"S3 {suffix[1:]} → {suffix[1:]}, {run['units']:,} units "
              f"({run['facts_mb']:,.0f} MB of facts): {run['seconds']:.2f} s "
              f"({run['with_start']:.2f} s with the interpreter's start, "
              f"{run['cpu_seconds']:.2f} s of CPU), peak RSS "
              f"{run['peak_kb'] / 1024:,.0f} MB, {run['by_columns']:,} by the columns, "
              f"{run['sample']:,} sampled totals equal to the hand-worked Decimal: "
              f"{run['agrees']}")
        if len(run["runs"]) > 1:
            print(f"  {len(run['runs'])} runs (fresh children): " + ", ".join(
                f"{r['seconds']:.2f} s / {r['peak_kb'] / 1024:,.0f} MB" for r in run["runs"])
                + f"; slowest above, largest peak {run['peak_kb_max'] / 1024:,.0f} MB")
        if not run["agrees"]:
            raise SystemExit(EXIT_DISAGREE)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
