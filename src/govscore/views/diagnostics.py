"""Diagnostics of scheme files, in every format ``govscore validate --format`` knows: ``text``
(``FILE:LINE:COL: CODE message``), ``json``, ``github`` (workflow-command annotations), ``sarif``
(SARIF 2.1.0, for code-scanning views) and ``gitlab`` (GitLab's code quality report, shown on
the changed lines of a merge request). The one home of these formats: the command line
and the HTTP service call them, nothing else writes diagnostics for a tool to read.

SARIF: one run whose tool lists every code of :data:`govscore.errors.CODES` as a rule (the codes of
``docs/reference/errors.md``; a test keeps the two in step), each result pointing at its file by a
URI relative to ``SRCROOT`` (the folder the command ran in) when the file is inside it, so the same
log reads the same on every machine, and by an absolute ``file:`` URI otherwise.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from govscore.errors import CODES, Diagnostic

Format = Literal["text", "json", "github", "sarif", "gitlab"]
FORMATS: tuple[Format, ...] = ("text", "json", "github", "sarif", "gitlab")

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
"""The ``$schema`` of a SARIF log: the OASIS standard's schema (errata 01)."""
SRCROOT = "SRCROOT"
"""The uriBaseId of relative artifact URIs: the folder validate ran in (a repository's root in CI)."""

# what each hundred of codes is about (docs/reference/errors.md says the same)
_FAMILIES = {"1": "loading", "2": "model", "3": "semantics", "4": "facts", "5": "evaluation",
             "6": "scheme-tests", "7": "command-line", "8": "records", "9": "service"}


def github_data(text: str) -> str:
    """The message of a GitHub workflow command (``::error …::MESSAGE``): %, CR and LF escaped."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github_property(text: str) -> str:
    """A property value of a GitHub workflow command (``file=…,line=…``): as the message, and
    ``:`` and ``,`` too, which would end the value."""
    return github_data(text).replace(":", "%3A").replace(",", "%2C")


def without_position(d: Diagnostic) -> str:
    """A diagnostic's line without its ``FILE:LINE:COL:`` (for formats that say where apart)."""
    return str(Diagnostic(d.code, d.message, d.path, None, d.severity, d.hint))


def render(results: Mapping[str, list[Diagnostic]], fmt: Format, *,
           tool_version: str = "", root: Path | None = None) -> str:
    """Every file's diagnostics in format ``fmt``. ``tool_version`` is written into a SARIF log;
    ``root`` is the folder relative URIs start from (default: the current folder)."""
    if fmt == "json":
        return json.dumps({file: [d.to_dict() for d in ds] for file, ds in results.items()},
                          ensure_ascii=False, indent=2) + "\n"
    if fmt == "sarif":
        log = sarif(results, tool_version=tool_version, root=root)
        return json.dumps(log, ensure_ascii=False, indent=2) + "\n"
    if fmt == "gitlab":
        return json.dumps(code_quality(results, root=root), ensure_ascii=False, indent=2) + "\n"
    lines = []
    for file, ds in results.items():
        for d in ds:
            if fmt == "github":
                level = "error" if d.severity == "error" else "warning"
                where = f"file={github_property(file)}"
                if d.span:
                    where += f",line={d.span.line},col={d.span.column}"
                lines.append(f"::{level} {where},title={github_property(d.code)}::"
                             f"{github_data(without_position(d))}")
            else:
                lines.append(str(d) if d.span else f"{file}: {d}")
    return "".join(line + "\n" for line in lines)


def artifact_location(file: str, root: Path | None = None) -> dict[str, str]:
    """A SARIF artifactLocation for a file as the user named it: relative to ``SRCROOT`` when it
    is inside ``root``, else an absolute ``file:`` URI. Each path segment percent-encoded (a
    Chinese or spaced file name is a valid URI reference)."""
    base = (root or Path.cwd()).resolve()
    path = Path(file)
    full = path if path.is_absolute() else base / path
    try:
        relative = full.resolve().relative_to(base)
    except ValueError:
        return {"uri": full.resolve().as_uri()}
    return {"uri": quote(relative.as_posix()), "uriBaseId": SRCROOT}


def relative_path(file: str, root: Path | None = None) -> str:
    """A file's path from ``root`` (default: the current folder) with ``/``, as a repository
    names it; a file outside ``root`` keeps its absolute path."""
    base = (root or Path.cwd()).resolve()
    path = Path(file)
    full = (path if path.is_absolute() else base / path).resolve()
    try:
        return full.relative_to(base).as_posix()
    except ValueError:
        return full.as_posix()


def code_quality(results: Mapping[str, list[Diagnostic]], *,
                 root: Path | None = None) -> list[dict[str, Any]]:
    """GitLab's code quality report (a subset of the Code Climate format): one issue per
    diagnostic with its description, check name (the code), severity (an error ``major``, a
    warning ``minor``), path and line, and a fingerprint that stays the same while the problem
    does (file, code, key path and message; not the line, which moves with unrelated edits)."""
    issues: list[dict[str, Any]] = []
    for file, ds in results.items():
        path = relative_path(file, root)
        for d in ds:
            identity = "\x1f".join((path, d.code, d.pointer, d.message))
            issues.append({
                "description": without_position(d),
                "check_name": d.code,
                "fingerprint": hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest(),
                "severity": "major" if d.severity == "error" else "minor",
                "location": {"path": path, "lines": {"begin": d.span.line if d.span else 1}},
            })
    return issues


def sarif_rules() -> list[dict[str, Any]]:
    """Every code as a SARIF reportingDescriptor, in the order of the catalogue."""
    return [{
        "id": code,
        "name": _rule_name(text),
        "shortDescription": {"text": text},
        "help": {"text": f"{code}: {text}. See docs/reference/errors.md#{code.lower()} for the "
                         "causes and the fix (中文与英文)."},
        "properties": {"tags": ["govscore", _FAMILIES.get(code[2], "other")]},
    } for code, text in CODES.items()]


def _rule_name(text: str) -> str:
    """A rule's name in the SARIF sense: one identifier-like word of the English meaning
    (``UnknownKey``; Chinese words in a meaning are left out of the name)."""
    words = "".join(c if c.isascii() and c.isalnum() else " " for c in text).split()
    return "".join(w[:1].upper() + w[1:] for w in words)


def sarif(results: Mapping[str, list[Diagnostic]], *, tool_version: str = "",
          root: Path | None = None) -> dict[str, Any]:
    """The diagnostics as a SARIF 2.1.0 log (a dict ready for json.dumps)."""
    rules = sarif_rules()
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    out: list[dict[str, Any]] = []
    for file, ds in results.items():
        where = artifact_location(file, root)
        for d in ds:
            physical: dict[str, Any] = {"artifactLocation": dict(where)}
            if d.span:
                physical["region"] = {"startLine": d.span.line, "startColumn": d.span.column}
            location: dict[str, Any] = {"physicalLocation": physical}
            if d.path:
                location["logicalLocations"] = [{"fullyQualifiedName": d.pointer,
                                                 "kind": "object"}]
            result: dict[str, Any] = {
                "ruleId": d.code,
                "level": "error" if d.severity == "error" else "warning",
                "message": {"text": without_position(d)},
                "locations": [location],
            }
            if d.code in index:
                result["ruleIndex"] = index[d.code]
            properties = {key: value for key, value in
                          (("path", d.pointer if d.path else None), ("hint", d.hint)) if value}
            if properties:
                result["properties"] = properties
            out.append(result)
    driver: dict[str, Any] = {"name": "govscore", "rules": rules}
    if tool_version:
        driver["version"] = tool_version
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [{
            "tool": {"driver": driver},
            "columnKind": "unicodeCodePoints",
            "results": out,
        }],
    }
