"""``govscore run RUN.yaml`` and ``govscore score SCHEME FACTS... --periods``: a run over periods
printed as a summary (or one unit explained), or written as JSON.

Exit codes as the rest of the command line: 0 all scored, 1 a unit rejected, a roll-up or a
value from another scheme missing, an event or record not used; usage errors are raised."""

from __future__ import annotations

import argparse
import fnmatch
import json
from pathlib import Path
from typing import Any, TextIO

from govscore import api
from govscore.engine.results import jsonable
from govscore.errors import Diagnostic, UsageError
from govscore.periods import explain, keys, run
from govscore.periods.history import Note
from govscore.views.wording import Lang

OK, INVALID = 0, 1


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``govscore run`` (and, for explaining, of ``score --periods``)."""
    p.add_argument("--explain", metavar="UNIT",
                   help="explain this unit: every period and roll-up it has (or --period's)")
    p.add_argument("--period", metavar="KEY",
                   help="only this period or roll-up period (2022-03, 2022-Q1, 2022)")
    p.add_argument("--lang", choices=["zh", "en"], default="zh")
    p.add_argument("-o", "--output", metavar="FILE.json",
                   help="write every period's results and every roll-up as JSON")


def command_run(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    return _finish(run.run_file(args.run), args, stdout, stderr)


def command_score_periods(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    """``score SCHEME FACTS... --periods``: one scheme over the periods of its facts files
    (exports of a ``--records`` file among them are derived), with ``--events``."""
    plan = api.compile(args.scheme)
    files = [Path(f) for f in args.facts]
    exports: list[Path] = []
    records = Path(args.records) if args.records else None
    if records is not None:
        from govscore.records import declare

        patterns = [t.files for t in declare.load(records, plan).records.tables]
        exports = [f for f in files if any(fnmatch.fnmatch(f.name, p) for p in patterns)]
        files = [f for f in files if f not in exports]
    job = run.Job(plan, files, [Path(e) for e in args.events or []], None, records, exports)
    return _finish(run.run([job]), args, stdout, stderr)


def _finish(result: run.RunResult, args: argparse.Namespace, stdout: TextIO,
            stderr: TextIO) -> int:
    lang: Lang = args.lang
    if args.output:
        if not args.output.endswith(".json"):
            raise UsageError("GS701", f"{args.output}: a run is written as .json")
        Path(args.output).write_text(json.dumps(to_dict(result), ensure_ascii=False, indent=1),
                                     encoding="utf-8")
        stderr.write(f"wrote {args.output}\n")
    if args.explain:
        text = explain_unit(result, args.explain, args.period, lang)
        if not text:
            raise UsageError("GS822", f"no unit {args.explain!r} in the run"
                             + (f" for {args.period}" if args.period else ""))
        stdout.write(text + "\n")
    elif not args.output:
        stdout.write(summary(result, args.period))
    for d in problems(result):
        stderr.write(f"{d}\n")
    return OK if result.ok else INVALID


def problems(result: run.RunResult) -> list[Diagnostic]:
    """Every problem of the run: its own, each scheme's, rejected units, roll-ups' (GS825)."""
    out = list(result.problems)
    for scheme in result.schemes.values():
        out += scheme.problems
        for key, period in scheme.periods.items():
            out += [Diagnostic(d.code, f"{scheme.plan.scheme.id} {key}: rejected {r.unit}: "
                               f"{d.message}", unit=r.unit, item=d.item)
                    for r in period.assessment.rejected for d in r.diagnostics]
        out += [d for by in scheme.rollups.values() for r in by.values() for d in r.problems]
    return out


def summary(result: run.RunResult, only: str | None = None) -> str:
    lines: list[str] = []
    for sid, scheme in result.schemes.items():
        lines.append(f"{sid} — {scheme.plan.scheme.title}")
        for key, period in scheme.periods.items():
            if only and key != only:
                continue
            a = period.assessment
            fired = sorted({c.title for cs in period.consequences.values() for c in cs})
            streaks = "".join(f"; {t}: " + ", ".join(
                u for u, cs in period.consequences.items() if any(c.title == t for c in cs))
                for t in fired)
            lines.append(f"  {key}: {len(a.results)} scored, {len(a.rejected)} rejected"
                         + streaks)
        for by in scheme.rollups.values():
            for key, rolled in by.items():
                if only and key != only:
                    continue
                won = "".join(
                    f"; {award.title}: " + ", ".join(
                        u for u, p in rolled.placements.items() if award.id in p.awards)
                    for award in rolled.rule.awards)
                lines.append(f"  {rolled.rule.title} {key}: {len(rolled.values)} unit(s)"
                             + (f", {len(rolled.problems)} without a result"
                                if rolled.problems else "") + won)
    return "\n".join(lines) + "\n"


def explain_unit(result: run.RunResult, unit: str, only: str | None, lang: Lang) -> str:
    parts: list[str] = []
    for sid, scheme in result.schemes.items():
        titles = explain.titles_of(result, sid)
        for key, period in scheme.periods.items():
            if (only is None or key == only) and (unit in period.assessment.results or any(
                    r.unit == unit for r in period.assessment.rejected)):
                parts.append(explain.explain_period(period, unit, titles, lang))
        for by in scheme.rollups.values():
            for key, rolled in by.items():
                if (only is None or key == only) and (unit in rolled.values or any(
                        d.unit == unit for d in rolled.problems)):
                    parts.append(explain.explain_rollup(rolled, unit, lang))
    return "\n\n".join(parts)


def _note(note: Note) -> dict[str, Any]:
    return {"rule": note.rule, "kind": note.kind, "fact": note.fact,
            "value": jsonable(note.value),
            "events": [{"id": e.id, "date": str(e.day), "for": str(e.for_period or "") or None,
                        "type": e.type, "value": e.value} for e in note.events],
            "entries": [{"id": e.event.id, "date": str(e.event.day), "type": e.event.type,
                         "points": str(e.points), "credited": str(e.credited), "cap": e.cap,
                         "expired": e.expired} for e in note.entries],
            "detail": jsonable(dict(note.detail))}


def to_dict(result: run.RunResult) -> dict[str, Any]:
    """The whole run as JSON-ready data: decimals as text, every operand kept."""
    schemes: dict[str, Any] = {}
    for sid, scheme in result.schemes.items():
        periods = {}
        for key, p in scheme.periods.items():
            periods[key] = {
                "files": list(p.files),
                "assessment": p.assessment.to_dict(),
                "history": {u: [_note(n) for n in ns] for u, ns in p.notes.items() if ns},
                "taken": {u: [{"input": t.input, "scheme": t.scheme, "value": jsonable(t.value),
                               "what": t.value_name, "grade": t.grade, "combine": t.combine,
                               "problem": t.problem,
                               "parts": [[su, rel, str(share), jsonable(v)]
                                         for su, rel, share, v in t.parts]}
                              for t in ts] for u, ts in p.taken.items() if ts},
                "consequences": {u: [{"rule": c.rule, "title": c.title, "length": c.length,
                                      "periods": list(c.periods)} for c in cs]
                                 for u, cs in p.consequences.items()},
            }
        rollups = {rid: {key: {
            "period": key, "values": {u: {"value": str(v.value), "exact": str(v.exact),
                                          "parts": [[k, jsonable(x)] for k, x in v.parts],
                                          "filled": [str(x) for x in v.filled],
                                          "kept": [str(x) for x in v.kept]}
                                      for u, v in r.values.items()},
            "placements": [p.to_dict() for _, p in sorted(r.placements.items())],
            "awards": [a.to_dict() for a in r.awards],
            "problems": [d.to_dict() for d in r.problems]} for key, r in by.items()}
            for rid, by in scheme.rollups.items()}
        schemes[sid] = {"title": scheme.plan.scheme.title, "period": scheme.plan.scheme.period,
                        "periods": periods, "rollups": rollups,
                        "problems": [d.to_dict() for d in scheme.problems]}
    return {"schemes": schemes, "problems": [d.to_dict() for d in result.problems],
            "ok": result.ok, "period_keys": sorted({k for s in result.schemes.values()
                                                    for k in s.periods}, key=_order)}


def _order(key: str) -> tuple[int, str]:
    return (len(key), key) if keys.parse("month", key) is None else (0, key)
