"""Renderers of assessments (text table, JSON, CSV; HTML and Excel in their own modules;
diagnostics in :mod:`govscore.views.diagnostics`). Files are written atomically: to a temporary
file beside the target, then renamed, so an interrupted run never leaves half a report.
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
from govscore.errors import UsageError
from govscore.numbers import fmt
from govscore.textsafe import csv_row
from govscore.views.ranking import ranked, scope_order
from govscore.views.sheet import display_width


def _order(assessment: Assessment) -> list[str]:
    placements = assessment.placements
    return sorted(assessment.results,
                  key=lambda u: (placements[u].scope, placements[u].rank, u))


def pad(text: str, columns: int, *, right: bool = False) -> str:
    """Text padded with spaces to a display width (CJK characters count 2)."""
    fill = " " * max(0, columns - display_width(text))
    return fill + text if right else text + fill


_TABLE_HEAD = ("范围", "名次", "单位", "总分", "等次", "奖项", "说明")


def text_table(assessment: Assessment, plan: Plan | None = None) -> str:
    """The ranking as a text table for a terminal: Chinese headers, award and grade titles,
    scopes in the scheme's order, columns aligned by display width; then the ties a person must
    decide."""
    labels = assessment.labels

    def name(key: str) -> str:
        return labels.get(key, key)

    rows: list[tuple[str, ...]] = []
    for scope in scope_order(assessment, plan):
        for u in ranked(assessment, scope):
            p, r = assessment.placements[u], assessment.results[u]
            awards = "、".join(name(a) for a in p.awards)
            if p.undecided:
                awards += ("; " if awards else "") + "待定: " + "、".join(
                    name(a) for a in p.undecided)
            grade = (" / ".join(p.grade_undecided) + " (待定)") if p.grade_undecided else (
                p.grade or "")
            note = "一票否决" if r.vetoes else ("无评优资格" if r.ineligible else "")
            rows.append((name(scope), str(p.rank), u, fmt(r.total), grade, awards, note))
    widths = [max([display_width(h), *(display_width(row[i]) for row in rows)])
              for i, h in enumerate(_TABLE_HEAD)]
    numeric = {1, 3}

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(pad(c, widths[i], right=i in numeric)
                         for i, c in enumerate(cells)).rstrip()

    lines = [line(_TABLE_HEAD), "  ".join("─" * w for w in widths)]
    lines.extend(line(row) for row in rows)
    for decision in assessment.ties:
        lines.append(f"并列待定: {name(decision.scope)} {name(decision.award)}: "
                     f"{'、'.join(decision.undecided)} 争 {decision.open_places} 个名额, "
                     "需考核小组决定")
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


OUTPUT_SUFFIXES = (".json", ".csv", ".html", ".htm", ".xlsx", ".txt", ".parquet")
"""The suffixes :func:`write` knows (``.htm`` is HTML too)."""


def check_output(path: Path) -> None:
    """Raise UsageError unless :func:`write` can write ``path`` (by its suffix)."""
    if path.suffix.lower() not in OUTPUT_SUFFIXES:
        raise UsageError("GS701", f"cannot write {path.suffix or 'files without a suffix'}; use "
                         ".json, .csv, .html, .xlsx, .parquet or .txt")


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
    elif suffix == ".parquet":  # the CSV report's columns, typed (needs pyarrow)
        import importlib.util

        if any(importlib.util.find_spec(m) is None for m in ("numpy", "pyarrow")):
            raise UsageError("GS409", "writing .parquet needs pyarrow: pip install "
                             "'govscore[arrow]' (or write .csv)")
        from govscore.views import report_columns

        with atomic_file(path) as handle:
            report_columns.parquet_from_csv(handle, to_csv(assessment, plan))
    elif suffix == ".txt":  # the ranked table govscore score prints
        atomic_write(path, text_table(assessment, plan).encode("utf-8"))
    else:  # pragma: no cover - check_output refused every other suffix
        raise AssertionError(suffix)
