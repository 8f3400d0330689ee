"""govscore benchmark: one reference workload through several evaluators, plus the seed schemes.

    python benchmarks/run.py [--units N] [--rounds R] [--quick] [--big-units M] [--profile]
                             [--json PATH] [--no-zen]

1. The reference workload (``reference.yaml``, 20 items; see ``bench_workload.py``) on N synthetic
   units (fixed seed) through: govscore ``evaluate`` unit by unit (each result dropped at once,
   and every result kept to the end, as a caller collecting them does) and ``evaluate_all`` in
   batch; a hand-written Decimal function (the baseline); the same in floats; simpleeval with
   formulas parsed once; GoRules zen-engine (``reference.jdm.json``) through each of its Python paths.
   Every evaluator's totals must equal the baseline's to the cent, or the run aborts (exit 3).
   Speed is the median of R rounds, as units/s and as a ratio to the baseline of the same run.
2. govscore on the seed schemes S3 and S4 with M synthetic units each (from the plan's fact specs),
   one timed round of ``evaluate_all`` in a fresh process, whose peak RSS is reported.
3. ``import govscore`` in a fresh interpreter (median of 5), load and compile time of every scheme
   in ``schemes/``, and ``govscore validate`` on 100 scheme files.
4. ``govscore score --stream`` (a fresh process) on the reference workload written to a wide CSV
   on disk: S units (``--stream-units``, default 1,000,000) and 100,000 for comparison; wall time,
   units/s and the child's peak RSS (so the memory each unit adds is visible).
5. ``--profile``: cProfile of govscore's per-unit path, top functions by own time.

Peak memory of the reference workload is tracemalloc's peak over one extra (untimed) round:
Python allocations only (the units given are not counted; results kept are), so it does not see
zen-engine's Rust heap.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import gc
import io
import json
import os
import platform
import pstats
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SCHEMES = ROOT / "schemes"
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import bench_synth  # noqa: E402
import bench_workload as wl  # noqa: E402

import govscore  # noqa: E402
from govscore.engine.plan import compile_plan  # noqa: E402
from govscore.scheme import loader  # noqa: E402

EXIT_DISAGREE = 3


class Disagreement(Exception):  # noqa: N818 - the name says what happened
    """An evaluator's totals differ from the baseline's."""


@dataclass
class Row:
    name: str
    units: int
    seconds: float  # median of the rounds, all units
    setup_ms: float | None  # load + compile (or parse / create_decision); None: nothing to do
    peak_bytes: int | None
    note: str = ""
    rounds: list[float] = field(default_factory=list)

    @property
    def per_second(self) -> float:
        return self.units / self.seconds

    @property
    def latency_us(self) -> float:
        return self.seconds / self.units * 1e6


@dataclass
class Evaluator:
    name: str
    setup: Callable[[], Any]
    """Load/compile/parse once; returns the state ``prepare`` and ``run`` use (timed)."""
    prepare: Callable[[Any, list[dict[str, Any]]], Any]
    """Turn the units into this evaluator's input (untimed: JSON text, floats …)."""
    run: Callable[[Any, Any], list[Decimal]]
    """Score every unit; totals to the cent, in unit order (timed)."""
    note: str = ""
    has_setup: bool = True


# ---------------------------------------------------------------------------------------------
# measuring


def _median_time(fn: Callable[[], Any], rounds: int) -> tuple[float, list[float], Any]:
    times: list[float] = []
    out: Any = None
    for _ in range(rounds):
        gc.collect()
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times, out


def _peak(fn: Callable[[], Any]) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        result = fn()
        _, peak = tracemalloc.get_traced_memory()
        del result
    finally:
        tracemalloc.stop()
    return peak


def check_agreement(name: str, units: Sequence[dict[str, Any]], expected: Sequence[Decimal],
                    got: Sequence[Decimal]) -> None:
    """Raise Disagreement naming the first units whose totals differ (to the cent)."""
    if len(got) != len(expected):
        msg = f"{name}: {len(got)} totals for {len(expected)} units"
        raise Disagreement(msg)
    bad = [(u["id"], e, g) for u, e, g in zip(units, expected, got, strict=True) if e != g]
    if bad:
        shown = "; ".join(f"{uid}: baseline {e}, {name} {g}" for uid, e, g in bad[:5])
        msg = f"{name} disagrees with the baseline on {len(bad)} of {len(units)} units: {shown}"
        raise Disagreement(msg)


def measure_all(evs: Sequence[Evaluator], units: list[dict[str, Any]], rounds: int,
                warmup: int = 200, progress: bool = False) -> list[Row]:
    """Measure every evaluator on the same units. Rounds are interleaved (round 1 of each
    evaluator, then round 2 of each …) so that load from other processes falls on all of them
    alike; the median round counts. The first evaluator is the baseline: every other's totals
    must equal its totals to the cent (Disagreement otherwise), checked on every round."""
    states, data, setup_ms = [], [], []
    for ev in evs:
        setup_times, state = [], None
        for _ in range(max(1, min(rounds, 5))):
            t0 = time.perf_counter()
            state = ev.setup()
            setup_times.append(time.perf_counter() - t0)
        states.append(state)
        setup_ms.append(statistics.median(setup_times) * 1e3 if ev.has_setup else None)
        data.append(ev.prepare(state, units))
        ev.run(state, ev.prepare(state, units[:warmup]))  # lazy imports, caches
    times: list[list[float]] = [[] for _ in evs]
    expected: list[Decimal] | None = None
    for r in range(rounds):
        for i, ev in enumerate(evs):
            gc.collect()
            t0 = time.perf_counter()
            totals = ev.run(states[i], data[i])
            times[i].append(time.perf_counter() - t0)
            if expected is None:
                expected = totals
            else:
                check_agreement(ev.name, units, expected, totals)
            if progress and r == 0:
                print(f"  {ev.name}: agrees to the cent", flush=True)
    rows = []
    for i, ev in enumerate(evs):
        peak = _peak(lambda i=i, ev=ev: ev.run(states[i], data[i]))
        rows.append(Row(ev.name, len(units), statistics.median(times[i]), setup_ms[i], peak,
                        ev.note, times[i]))
    return rows


# ---------------------------------------------------------------------------------------------
# the evaluators


def _gs_setup() -> Any:
    return govscore.compile(wl.REFERENCE_YAML)


def _gs_each(plan: Any, units: list[dict[str, Any]]) -> list[Decimal]:
    evaluate = govscore.evaluate
    return [evaluate(plan, u).total for u in units]


def _gs_kept(plan: Any, units: list[dict[str, Any]]) -> list[Decimal]:
    """As a caller who keeps every result (a list of them) until the end."""
    evaluate = govscore.evaluate
    kept = [evaluate(plan, u) for u in units]
    return [r.total for r in kept]


def _gs_all(plan: Any, units: list[dict[str, Any]]) -> list[Decimal]:
    results = govscore.evaluate_all(plan, units).results
    return [results[u["id"]].total for u in units]


def _facts(_: Any, units: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [u["facts"] for u in units]


def _same(_: Any, units: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return units


def _baseline(_: Any, facts: list[dict[str, Any]]) -> list[Decimal]:
    fn = wl.baseline_decimal
    return [fn(f) for f in facts]


def _floats(_: Any, facts: list[dict[str, float]]) -> list[Decimal]:
    fn, cents = wl.float_careful, wl.cents
    return [cents(fn(f)) for f in facts]


def _simpleeval(score: Any, facts: list[dict[str, Any]]) -> list[Decimal]:
    return [score(f) for f in facts]


def evaluators(with_zen: bool) -> tuple[list[Evaluator], str | None]:
    evs = [
        Evaluator("hand-written Decimal (baseline)", lambda: None, _facts, _baseline,
                  "by hand, no fact checks, no trace", has_setup=False),
        Evaluator("govscore.evaluate (per unit)", _gs_setup, _same, _gs_each,
                  "facts checked, full trace; each result dropped at once"),
        Evaluator("govscore.evaluate (per unit, results kept)", _gs_setup, _same, _gs_kept,
                  "the same, every result kept to the end"),
        Evaluator("govscore.evaluate_all (batch)", _gs_setup, _same, _gs_all,
                  "+ ranking, facts hash; keeps all results"),
        Evaluator("hand-written float", lambda: None,
                  lambda _s, us: wl.to_floats(us), _floats,
                  "guarded half-up per item; inputs pre-converted", has_setup=False),
        Evaluator("simpleeval (parsed once)", wl.simpleeval_evaluator, _facts, _simpleeval,
                  "24 formulas, Decimal inputs"),
    ]
    if not with_zen:
        return evs, "zen-engine: skipped (--no-zen)"
    try:
        import zen
    except ImportError:
        return evs, "zen-engine: skipped (not installed; pip install -e '.[bench]')"
    version = _dist_version("zen-engine")

    def decision() -> Any:
        return zen.ZenEngine().create_decision(wl.REFERENCE_JDM.read_text(encoding="utf-8"))

    def keyed() -> Any:
        return zen.ZenEngine({"loader": {"type": "static", "content": {"ref": wl.load_jdm()}}})

    def zen_each(d: Any, contexts: list[Any]) -> list[Decimal]:
        cents, ev = wl.cents, d.evaluate
        return [cents(ev(c)["result"]["total"]) for c in contexts]

    def zen_keyed(engine: Any, contexts: list[Any]) -> list[Decimal]:
        cents, ev = wl.cents, engine.evaluate
        return [cents(ev("ref", c)["result"]["total"]) for c in contexts]

    def zen_batch(engine: Any, contexts: list[Any]) -> list[Decimal]:
        out = engine.evaluate_batch([{"key": "ref", "context": c} for c in contexts])
        cents = wl.cents
        bad = [r for r in out if not r.get("success")]
        if bad:
            msg = f"zen evaluate_batch failed: {bad[0].get('error')}"
            raise RuntimeError(msg)
        return [cents(r["data"]["result"]["total"]) for r in out]

    json_ctx = lambda _s, us: wl.zen_contexts(us)  # noqa: E731
    dict_ctx = lambda _s, us: wl.zen_dicts(us)  # noqa: E731
    evs += [
        Evaluator(f"zen {version} decision.evaluate(JSON text)", decision, json_ctx, zen_each,
                  "create_decision once; exact decimals as text"),
        Evaluator(f"zen {version} decision.evaluate(dict)", decision, dict_ctx, zen_each,
                  "floats in (binding refuses Decimal)"),
        Evaluator(f"zen {version} engine.evaluate(key, JSON text)", keyed, json_ctx, zen_keyed,
                  "static loader, decision cached by key"),
        Evaluator(f"zen {version} engine.evaluate_batch", keyed, json_ctx, zen_batch,
                  "one call for all units, JSON text"),
    ]
    return evs, None


def _dist_version(name: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "?"


# ---------------------------------------------------------------------------------------------
# the other measurements


def _rss_bytes() -> int:
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):  # not Linux: fall back to the peak so far
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _seed_child(stem: str, n: int) -> None:
    """In a fresh process: compile, generate n units, time evaluate_all once, report RSS."""
    t0 = time.perf_counter()
    plan = govscore.compile(SCHEMES / f"{stem}.yaml")
    setup = time.perf_counter() - t0
    units = bench_synth.make_units(plan, n)
    gc.collect()
    before = _rss_bytes()
    t0 = time.perf_counter()
    assessment = govscore.evaluate_all(plan, units)
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    rejected = [f"{r.unit}: {r.diagnostics[0].message}" for r in assessment.rejected[:3]]
    print(json.dumps({"seconds": seconds, "setup_ms": setup * 1e3, "rss_before": before,
                      "rss_peak": peak, "facts": len(plan.specs),
                      "scored": len(assessment.results),
                      "rejected": len(assessment.rejected), "examples": rejected}))


def seed_schemes(n: int, timeout: float) -> tuple[list[Row], list[str]]:
    """S3 and S4 with n synthetic units, each in a fresh process (so its peak RSS is its own),
    given at most ``timeout`` seconds."""
    rows, notes = [], []
    for stem in ("s3-chengdu", "s4-anhui"):
        path = SCHEMES / f"{stem}.yaml"
        if not path.exists():
            notes.append(f"{stem}: skipped ({path.relative_to(ROOT)} is absent)")
            continue
        try:
            proc = subprocess.run([sys.executable, str(Path(__file__).resolve()),
                                   "--seed-child", stem, "--big-units", str(n)],
                                  capture_output=True, text=True, check=False, timeout=timeout)
        except subprocess.TimeoutExpired:
            notes.append(f"{stem}: did not finish {n} units within {timeout:.0f} s (stopped)")
            continue
        if proc.returncode != 0:
            last = (proc.stderr.strip().splitlines() or ["?"])[-1]
            notes.append(f"{stem}: skipped (failed: {last})")
            continue
        got = json.loads(proc.stdout.strip().splitlines()[-1])
        if got["rejected"]:
            msg = (f"{stem}: {got['rejected']} synthetic units rejected, e.g. "
                   f"{'; '.join(got['examples'])}")
            raise Disagreement(msg)
        row = Row(f"{stem} evaluate_all", n, got["seconds"], got["setup_ms"], got["rss_peak"],
                  f"{got['facts']} facts per unit; RSS before scoring "
                  f"{got['rss_before'] / 2**20:.0f} MB", [got["seconds"]])
        rows.append(row)
    return rows, notes


STREAM_CHUNK = 100_000


def write_stream_csv(path: Path, n: int) -> list[Decimal]:
    """The reference workload's facts for ``n`` units as a wide CSV (written in chunks of
    bench_workload.make_units, so this process never holds them all); returns the baseline
    totals of the first chunk, to check the streamed output against."""
    names = [name for name, _ in (*wl.BASIC, *wl.BONUS, *wl.DEDUCTIONS)]
    expected: list[Decimal] = []
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(",".join(["id", *names]) + "\n")
        for start in range(0, n, STREAM_CHUNK):
            units = wl.make_units(min(STREAM_CHUNK, n - start), seed=20240607 + start)
            if start == 0:
                expected = [wl.baseline_decimal(u["facts"]) for u in units]
            handle.writelines(
                f"u{start + k:07d}," + ",".join(str(u["facts"][name]) for name in names) + "\n"
                for k, u in enumerate(units))
    return expected


def stream_run(n: int, folder: Path, timeout: float) -> dict[str, Any]:
    """``govscore score reference.yaml FACTS.csv -o OUT.csv --stream`` on n units in a fresh
    process: wall time, units/s, the child's peak RSS (from its own rusage)."""
    facts, out = folder / f"stream-{n}.csv", folder / f"stream-{n}.out.csv"
    t0 = time.perf_counter()
    expected = write_stream_csv(facts, n)
    write_s = time.perf_counter() - t0
    argv = [sys.executable, "-m", "govscore", "score", str(wl.REFERENCE_YAML), str(facts),
            "-o", str(out), "--stream"]
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err)
        try:
            if hasattr(os, "wait4"):  # this child's own rusage, not all children's so far
                _, status, usage = os.wait4(proc.pid, 0)
                seconds = time.perf_counter() - t0
                code = os.waitstatus_to_exitcode(status)
                proc.returncode = code
                peak = usage.ru_maxrss
            else:  # pragma: no cover - not POSIX
                code = proc.wait(timeout)
                seconds = time.perf_counter() - t0
                peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        except BaseException:
            proc.kill()
            raise
        err.seek(0)
        tail = err.read().decode("utf-8", "replace").strip().splitlines()
    if code != 0:
        msg = f"govscore score --stream on {n} units exited {code}: {' | '.join(tail[-3:])}"
        raise Disagreement(msg)
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = csv.reader(handle)
        header = next(rows)
        at = header.index("total")
        got = [Decimal(row[at]) for row, _ in zip(rows, expected, strict=False)]
    units = [{"id": f"u{k:07d}"} for k in range(len(expected))]
    check_agreement(f"score --stream ({n} units)", units, expected, got)
    size = facts.stat().st_size
    facts.unlink()
    out.unlink()
    peak_bytes = peak * (1 if sys.platform == "darwin" else 1024)
    return {"units": n, "seconds": seconds, "per_second": n / seconds, "peak_rss": peak_bytes,
            "csv_bytes": size, "write_seconds": write_s,
            "summary": [line for line in tail if "unit(s)" in line or "streamed" in line]}


def stream_measure(sizes: Sequence[int], timeout: float) -> list[dict[str, Any]]:
    """stream_run for each size, smallest first, in a scratch folder beside the benchmark."""
    out = []
    with tempfile.TemporaryDirectory(prefix="govscore-stream-", dir=HERE) as tmp:
        for n in sorted(set(sizes)):
            out.append(stream_run(n, Path(tmp), timeout))
    return out


def import_time(runs: int) -> dict[str, float]:
    """``import govscore`` in a fresh interpreter: in-process time of the import statement and
    the whole process's wall time, medians of ``runs``."""
    code = ("import time; t = time.perf_counter(); import govscore; "
            "print(time.perf_counter() - t)")
    inner, wall = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                             text=True, cwd=tempfile.gettempdir())
        wall.append(time.perf_counter() - t0)
        inner.append(float(out.stdout.strip()))
    base = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True, capture_output=True)
        base.append(time.perf_counter() - t0)
    return {"import_ms": statistics.median(inner) * 1e3,
            "process_ms": statistics.median(wall) * 1e3,
            "bare_python_ms": statistics.median(base) * 1e3}


def compile_times(rounds: int) -> list[dict[str, Any]]:
    out = []
    paths = sorted(SCHEMES.glob("*.yaml"))
    for path in paths:
        first = time.perf_counter()
        try:
            loaded = loader.load_scheme(path)
        except govscore.GovscoreError as exc:
            out.append({"scheme": path.name, "error": str(exc).splitlines()[0]})
            continue
        compile_plan(loaded)
        cold = time.perf_counter() - first
        load_t, _, loaded = _median_time(lambda p=path: loader.load_scheme(p), rounds)
        comp_t, _, _ = _median_time(lambda s=loaded: compile_plan(s), rounds)
        out.append({"scheme": path.name, "first_ms": cold * 1e3, "load_ms": load_t * 1e3,
                    "compile_ms": comp_t * 1e3, "total_ms": (load_t + comp_t) * 1e3})
    return out


def validate_many(count: int, runs: int) -> dict[str, Any]:
    """``govscore validate DIR`` (a fresh process) on ``count`` copies of the shipped schemes."""
    sources = sorted(SCHEMES.glob("*.yaml"))
    with tempfile.TemporaryDirectory(prefix="govscore-bench-") as tmp:
        for i in range(count):
            src = sources[i % len(sources)]
            shutil.copyfile(src, Path(tmp) / f"{i:03d}-{src.name}")
        times, code, tail = [], 0, ""
        for _ in range(runs):
            t0 = time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "govscore", "validate", tmp],
                                  capture_output=True, text=True, check=False)
            times.append(time.perf_counter() - t0)
            code = proc.returncode
            tail = (proc.stderr.strip().splitlines() or [""])[-1]  # "N file(s) checked, …"
    return {"files": count, "seconds": statistics.median(times), "exit_code": code,
            "summary": tail}


def profile(units: list[dict[str, Any]], top: int = 20) -> tuple[str, list[dict[str, Any]]]:
    """cProfile of govscore.evaluate over the units: the top functions by own time."""
    plan = _gs_setup()
    _gs_each(plan, units[:200])
    prof = cProfile.Profile()
    prof.enable()
    _gs_each(plan, units)
    prof.disable()
    stats = pstats.Stats(prof)
    # shares of the whole profiled call (cProfile's total_tt can be below the top call's
    # cumulative time, which would give shares above 100%)
    cumulative = [v[3] for v in stats.stats.values()]  # type: ignore[attr-defined]
    total = max([*cumulative, stats.total_tt])  # type: ignore[attr-defined]
    rows = []
    for (filename, line, func), (_cc, nc, tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        short = _short(filename)
        rows.append({"function": f"{short}:{line}({func})", "calls_per_unit": nc / len(units),
                     "own_share": tt / total, "cumulative_share": ct / total})
    rows.sort(key=lambda r: r["own_share"], reverse=True)
    buf = io.StringIO()
    buf.write(f"cProfile, govscore.evaluate over {len(units)} units (profiled time "
              f"{total:.2f} s)\n\n")
    buf.write("| # | function | calls/unit | own time | cumulative |\n|---|---|---:|---:|---:|\n")
    for i, r in enumerate(rows[:top], 1):
        buf.write(f"| {i} | `{r['function']}` | {r['calls_per_unit']:.1f} | "
                  f"{r['own_share']:.1%} | {r['cumulative_share']:.1%} |\n")
    by_cum = sorted((r for r in rows if "govscore" in r["function"]),
                    key=lambda r: r["cumulative_share"], reverse=True)
    buf.write("\ngovscore functions by cumulative time:\n\n| function | cumulative |\n|---|---:|\n")
    for r in by_cum[:12]:
        buf.write(f"| `{r['function']}` | {r['cumulative_share']:.1%} |\n")
    return buf.getvalue(), rows[:top]


def _short(filename: str) -> str:
    if "govscore" in filename:
        return "govscore/" + filename.rsplit("govscore/", 1)[-1]
    if "site-packages/" in filename:
        return filename.rsplit("site-packages/", 1)[-1]
    if filename.startswith("~") or filename.startswith("<"):
        return filename
    return Path(filename).name


def machine() -> dict[str, Any]:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "implementation": platform.python_implementation(), "platform": platform.platform(),
            "govscore": govscore.version(), "simpleeval": _dist_version("simpleeval"),
            "zen-engine": _dist_version("zen-engine")}


# ---------------------------------------------------------------------------------------------
# report


def _mb(n: int | None) -> str:
    return "n/a" if n is None else f"{n / 2**20:.2f}"


def table(rows: list[Row], baseline: Row) -> str:
    lines = ["| evaluator | units/s | × baseline | µs/unit | load+compile ms | peak MB | "
             "note |", "|---|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        setup = "–" if r.setup_ms is None else f"{r.setup_ms:.2f}"
        lines.append(f"| {r.name} | {r.per_second:,.0f} | {r.per_second / baseline.per_second:.3f}"
                     f" | {r.latency_us:.1f} | {setup} | {_mb(r.peak_bytes)} | {r.note} |")
    return "\n".join(lines)


def verdicts(rows: list[Row], baseline: Row, imp: dict[str, float] | None,
             comp: list[dict[str, Any]], val: dict[str, Any] | None) -> list[str]:
    out = []
    gs = next(r for r in rows if r.name.startswith("govscore.evaluate "))
    ratio = gs.per_second / baseline.per_second
    out.append(f"govscore per unit vs hand-written Decimal: {ratio:.3f}× (target ≥ 1.0×, never "
               f"below 0.5×) — {'MET' if ratio >= 1 else 'NOT MET'}")
    kept = next((r for r in rows if r.name.endswith("results kept)")), None)
    if kept is not None:
        ratio = kept.per_second / baseline.per_second
        out.append(f"govscore per unit, results kept, vs hand-written Decimal: {ratio:.3f}× "
                   f"(target ≥ 1.0×) — {'MET' if ratio >= 1 else 'NOT MET'}")
    zens = [r for r in rows if r.name.startswith("zen ")]
    if zens:
        fastest = max(zens, key=lambda r: r.per_second)
        z = gs.per_second / fastest.per_second
        out.append(f"govscore per unit vs zen's fastest Python path ({fastest.name}): {z:.3f}× "
                   f"(target ≥ 2×) — {'MET' if z >= 2 else 'NOT MET'}")
    if imp is not None:
        ok = imp["import_ms"] < 50
        out.append(f"import govscore: {imp['import_ms']:.1f} ms (target < 50 ms) — "
                   f"{'MET' if ok else 'NOT MET'}")
    worst = max((c for c in comp if "total_ms" in c), key=lambda c: c["total_ms"], default=None)
    if worst is not None:
        ok = worst["total_ms"] < 50
        out.append(f"slowest load+compile: {worst['scheme']} {worst['total_ms']:.1f} ms (target "
                   f"< 50 ms) — {'MET' if ok else 'NOT MET'}")
    if val is not None:
        ok = val["seconds"] < 5
        out.append(f"validate {val['files']} files: {val['seconds']:.2f} s (target < 5 s) — "
                   f"{'MET' if ok else 'NOT MET'}")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=int, help="reference-workload units (default 10000; "
                        "--quick: 100)")
    parser.add_argument("--rounds", type=int, help="timed rounds, median taken (default 5; "
                        "--quick: 1)")
    parser.add_argument("--big-units", type=int, help="units for S3 and S4 (default 100000; "
                        "--quick: 200)")
    parser.add_argument("--quick", action="store_true",
                        help="small and fast: checks agreement, numbers are only indicative")
    parser.add_argument("--profile", action="store_true", help="also profile govscore.evaluate")
    parser.add_argument("--no-zen", action="store_true", help="leave zen-engine out")
    parser.add_argument("--json", type=Path, help="also write every number to this file")
    parser.add_argument("--seed-timeout", type=float, default=600,
                        help="seconds allowed for each seed scheme's run (default 600)")
    parser.add_argument("--stream-units", type=int,
                        help="units for govscore score --stream on a CSV (default 1000000, "
                             "and 100000 for comparison; --quick: 2000 and 500; 0: skip)")
    parser.add_argument("--seed-child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.seed_child:
        _seed_child(args.seed_child, args.big_units)
        return 0
    quick = args.quick
    n = args.units or (100 if quick else 10_000)
    rounds = args.rounds or (1 if quick else 5)
    big = args.big_units or (200 if quick else 100_000)

    info = machine()
    print(f"# govscore benchmark — {info['cpu']}, {info['cores']} cores, "
          f"{info['implementation']} {info['python']}, govscore {info['govscore']}, "
          f"simpleeval {info['simpleeval']}, zen-engine {info['zen-engine']}")
    print(f"reference workload: {n} units (seed fixed), {rounds} round(s), median\n", flush=True)

    units = wl.make_units(n)
    evs, skipped = evaluators(not args.no_zen)
    try:
        rows = measure_all(evs, units, rounds, progress=True)
    except Disagreement as exc:
        print(f"\n!!! DISAGREEMENT — aborting: {exc}", file=sys.stderr)
        return EXIT_DISAGREE
    expected = evs[0].run(None, [u["facts"] for u in units])
    naive = sum(wl.cents(wl.float_naive(f)) != e
                for f, e in zip(wl.to_floats(units), expected, strict=True))
    notes = [f"(float with naive round(x, 2) per item — not in the table — differs from the "
             f"exact total on {naive} of {n} units)"]
    if skipped:
        notes.append(skipped)
    baseline = rows[0]
    print("\n## Reference workload (20 items)\n")
    print(table(rows, baseline))
    for note in notes:
        print(f"\n{note}")

    print(f"\n## Seed schemes, {big} synthetic units each (evaluate_all)\n", flush=True)
    try:
        seed_rows, seed_notes = seed_schemes(big, args.seed_timeout)
    except Disagreement as exc:
        print(f"\n!!! {exc}", file=sys.stderr)
        return EXIT_DISAGREE
    if seed_rows:
        print("| scheme | units/s | µs/unit | load+compile ms | peak RSS MB | note |\n"
              "|---|---:|---:|---:|---:|---|")
        for r in seed_rows:
            print(f"| {r.name} | {r.per_second:,.0f} | {r.latency_us:.1f} | {r.setup_ms:.1f} | "
                  f"{_mb(r.peak_bytes)} | {r.note} |")
    for note in seed_notes:
        print(note)

    stream_n = args.stream_units if args.stream_units is not None else \
        (2000 if quick else 1_000_000)
    streamed: list[dict[str, Any]] = []
    if stream_n > 0:
        sizes = [stream_n, min(stream_n, 500 if quick else 100_000)]
        print(f"\n## Streamed: govscore score --stream, reference workload from a CSV on disk "
              f"({', '.join(f'{s:,}' for s in sorted(set(sizes)))} units)\n", flush=True)
        try:
            streamed = stream_measure(sizes, args.seed_timeout * 10)
        except Disagreement as exc:
            print(f"\n!!! {exc}", file=sys.stderr)
            return EXIT_DISAGREE
        print("| units | CSV MB | wall s | units/s | peak RSS MB | KB per unit |\n"
              "|---:|---:|---:|---:|---:|---:|")
        for r in streamed:
            print(f"| {r['units']:,} | {r['csv_bytes'] / 2**20:.0f} | {r['seconds']:.1f} | "
                  f"{r['per_second']:,.0f} | {r['peak_rss'] / 2**20:.0f} | "
                  f"{r['peak_rss'] / r['units'] / 1024:.2f} |")
        if len(streamed) > 1:
            a, b = streamed[0], streamed[-1]
            growth = (b["peak_rss"] - a["peak_rss"]) / (b["units"] - a["units"])
            print(f"\npeak RSS grows by {growth:,.0f} bytes per unit between {a['units']:,} and "
                  f"{b['units']:,} units (the compact record each unit keeps for ranking)")

    print("\n## Start-up, compile, validate\n", flush=True)
    imp = import_time(1 if quick else 5)
    print(f"import govscore (fresh interpreter, median of {1 if quick else 5}): "
          f"{imp['import_ms']:.1f} ms in-process; whole process {imp['process_ms']:.0f} ms "
          f"(bare python {imp['bare_python_ms']:.0f} ms)\n")
    comp = compile_times(1 if quick else rounds)
    print("| scheme | first load+compile ms | load ms | compile ms | load+compile ms |\n"
          "|---|---:|---:|---:|---:|")
    for c in comp:
        if "error" in c:
            print(f"| {c['scheme']} | does not load: {c['error']} | | | |")
        else:
            print(f"| {c['scheme']} | {c['first_ms']:.1f} | {c['load_ms']:.1f} | "
                  f"{c['compile_ms']:.2f} | {c['total_ms']:.1f} |")
    val = validate_many(10 if quick else 100, 1 if quick else 3)
    print(f"\ngovscore validate on {val['files']} scheme files (fresh process, median of "
          f"{1 if quick else 3}): {val['seconds']:.2f} s, exit {val['exit_code']} "
          f"({val['summary']})")

    print("\n## Against the targets\n")
    verdict = verdicts(rows, baseline, imp, comp, val)
    for line in verdict:
        print(f"- {line}")

    prof_rows: list[dict[str, Any]] = []
    if args.profile:
        text, prof_rows = profile(units)
        print("\n## Profile\n")
        print(text)

    if args.json is not None:
        args.json.write_text(json.dumps({
            "machine": info, "units": n, "rounds": rounds,
            "reference": [asdict(r) | {"per_second": r.per_second,
                                       "ratio": r.per_second / baseline.per_second}
                          for r in rows],
            "seeds": [asdict(r) | {"per_second": r.per_second} for r in seed_rows],
            "seed_notes": seed_notes, "notes": notes, "import": imp, "compile": comp,
            "validate": val, "verdicts": verdict, "profile": prof_rows, "stream": streamed,
        }, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
