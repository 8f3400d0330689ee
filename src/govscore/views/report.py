"""Renderers: diagnostics (text, json, github) and assessments (text table, JSON, CSV; HTML and
Excel in their own modules). Files are written atomically: to a temporary file beside the target,
then renamed, so an interrupted run never leaves half a report.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO

from govscore.engine.plan import Plan
from govscore.engine.results import Assessment, LazyNodes, NodeResult
from govscore.errors import Diagnostic, UsageError
from govscore.textsafe import csv_row


def github_data(text: str) -> str:
    """The message of a GitHub workflow command (``::error …::MESSAGE``): %, CR and LF escaped."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github_property(text: str) -> str:
    """A property value of a GitHub workflow command (``file=…,line=…``): as the message, and
    ``:`` and ``,`` too, which would end the value."""
    return github_data(text).replace(":", "%3A").replace(",", "%2C")


def diagnostics(results: Mapping[str, list[Diagnostic]], fmt: str) -> str:
    """Every file's diagnostics as text (FILE:LINE:COL: CODE message), JSON or GitHub annotations."""
    if fmt == "json":
        return json.dumps({file: [d.to_dict() for d in ds] for file, ds in results.items()},
                          ensure_ascii=False, indent=2) + "\n"
    lines = []
    for file, ds in results.items():
        for d in ds:
            if fmt == "github":
                level = "error" if d.severity == "error" else "warning"
                where = f"file={github_property(file)}"
                if d.span:
                    where += f",line={d.span.line},col={d.span.column}"
                text = str(Diagnostic(d.code, d.message, d.path, None, d.severity, d.hint))
                lines.append(f"::{level} {where},title={github_property(d.code)}::"
                             f"{github_data(text)}")
            else:
                lines.append(str(d) if d.span else f"{file}: {d}")
    return "".join(line + "\n" for line in lines)


def _order(assessment: Assessment) -> list[str]:
    placements = assessment.placements
    return sorted(assessment.results,
                  key=lambda u: (placements[u].scope, placements[u].rank, u))


def text_table(assessment: Assessment) -> str:
    lines = [f"{'scope':<12} {'rank':>4}  {'total':>10}  {'grade':<8} {'awards':<16} unit"]
    for u in _order(assessment):
        p = assessment.placements[u]
        r = assessment.results[u]
        awards = ",".join(p.awards) + ("" if not p.undecided else
                                       (" " if p.awards else "") + "待定:" + ",".join(p.undecided))
        flags = " (vetoed)" if r.vetoes else (" (ineligible)" if r.ineligible else "")
        lines.append(f"{assessment.labels.get(p.scope, p.scope):<12} {p.rank:>4}  "
                     f"{r.total!s:>10}  {p.grade or '':<8} {awards:<16} {u}{flags}")
    for decision in assessment.ties:
        lines.append(f"tie for {assessment.labels.get(decision.award, decision.award)} in "
                     f"{assessment.labels.get(decision.scope, decision.scope)}: "
                     f"{', '.join(decision.undecided)} for {decision.open_places} place(s) — "
                     "a decision is needed")
    return "\n".join(lines) + "\n"


def to_json(assessment: Assessment) -> str:
    return json.dumps(assessment.to_dict(), ensure_ascii=False, indent=2, sort_keys=False) + "\n"


class NodeValues:
    """Every node's value for a report row ("" where a node does not apply). A kernel's lazy
    nodes give their values without building a NodeResult per node: reading ``r.nodes[n]`` for
    every node of 100,000 units would build (and keep) two million of them, half a gigabyte."""

    def __init__(self, node_ids: list[str]) -> None:
        self.node_ids = node_ids

    def __call__(self, nodes: Mapping[str, NodeResult]) -> list[Any]:
        if type(nodes) is LazyNodes:
            return ["" if v is None else v for v in nodes.values_of(self.node_ids)]
        return [nodes[n].value if n in nodes and nodes[n].applicable else ""
                for n in self.node_ids]


def to_csv(assessment: Assessment, plan: Plan) -> str:
    node_ids = [node_id for node_id, _ in sorted(plan.positions.items(), key=lambda p: p[1][1])]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    row = writer.writerow
    values = NodeValues(node_ids)
    outputs = [o.id for o in plan.scheme.outputs]
    writer.writerow(["unit", "category", "tier", "scope", "rank", "total", "computed_total",
                     "grade", "awards", "undecided", "vetoes", "ineligible", *outputs,
                     *node_ids])
    for u in _order(assessment):
        r, p = assessment.results[u], assessment.placements[u]
        row(csv_row([
            u, r.category or "", r.tier or "", p.scope, p.rank, r.total, r.computed_total,
            p.grade or "", ";".join(p.awards), ";".join(p.undecided), ";".join(r.vetoes),
            "; ".join(r.ineligible), *(r.outputs.get(o, "") for o in outputs),
            *values(r.nodes),
        ]))
    for rejected in assessment.rejected:
        row(csv_row([rejected.unit, "", "", "REJECTED", "", "", "", "", "", "", "",
                     "; ".join(str(d) for d in rejected.diagnostics)]))
    return out.getvalue()


def _umask() -> int:
    """The process's umask, read without changing it (it is set back at once)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: Path, data: bytes) -> None:
    """Write to a temporary file in the same folder, then rename over the target. The file gets
    the permissions ``open()`` would give a new file (0o666 less the umask), not the 0o600 of
    the temporary file."""
    with atomic_file(path) as handle:
        handle.write(data)


@contextlib.contextmanager
def atomic_file(path: Path) -> Iterator[BinaryIO]:
    """A file to write ``path`` through, in pieces: a temporary file in the same folder, renamed
    over the target (with the permissions of a new file) when the block ends without an error,
    and removed when it does not; an interrupted run never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


OUTPUT_SUFFIXES = (".json", ".csv", ".html", ".htm", ".xlsx")
"""The suffixes :func:`write` knows (``.htm`` is HTML too)."""


def check_output(path: Path) -> None:
    """Raise UsageError unless :func:`write` can write ``path`` (by its suffix)."""
    if path.suffix.lower() not in OUTPUT_SUFFIXES:
        raise UsageError("GS701", f"cannot write {path.suffix or 'files without a suffix'}; use "
                         ".json, .csv, .html or .xlsx")


def write(assessment: Assessment, plan: Plan, path: Path) -> None:
    check_output(path)
    suffix = path.suffix.lower()
    if suffix == ".json":
        atomic_write(path, to_json(assessment).encode("utf-8"))
    elif suffix == ".csv":
        atomic_write(path, ("\ufeff" + to_csv(assessment, plan)).encode("utf-8"))
    elif suffix in (".html", ".htm"):
        from govscore.views import html

        atomic_write(path, html.render(assessment, plan).encode("utf-8"))
    elif suffix == ".xlsx":
        from govscore.views import xlsx

        atomic_write(path, xlsx.render(assessment, plan))
    else:  # pragma: no cover - check_output refused every other suffix
        raise AssertionError(suffix)
