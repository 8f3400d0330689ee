"""The language-version gate: a scheme that declares ``govscore: "1"`` may write only language 1.

Language 2 (issue 11) added keys, rule kinds and values; the models mark each with
:class:`~govscore.language.model.Since`. A scheme written for language 1 and scored by a newer
govscore keeps its meaning, and a key of language 2 in it is a mistake the author is told about
(GS346: which key, where, and the fix), instead of a language-1 file quietly meaning something a
language-1 reader cannot know. Language 2 scores every language-1 scheme the same, so the fix is
always to declare ``govscore: "2"``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from govscore.errors import Diagnostic
from govscore.language import model

Path = tuple[str | int, ...]


def problems(scheme: model.Scheme) -> list[Diagnostic]:
    """GS346 for every key, kind or value newer than the version the scheme declares."""
    return list(_walk(scheme, (), scheme.govscore))


def newest_used(scheme: model.Scheme) -> str:
    """The newest language version the scheme writes anything of ("1" for a language-1 file)."""
    versions = [mark.version for mark, _, _ in _marks(scheme, ())]
    return max(versions, default=model.LANGUAGE_VERSIONS[0])


def _walk(scheme: model.Scheme, path: Path, declared: str) -> Iterator[Diagnostic]:
    for mark, where, value in _marks(scheme, path):
        if mark.version <= declared:
            continue
        key = str(where[-1])
        if key == "kind":
            what, at_key = f"kind {value!r}", False
        elif mark.values is not None:
            what, at_key = f"{key!r} with {mark.what}", False
        else:
            what, at_key = f"key {key!r}", True
        yield Diagnostic(
            "GS346", f"{what} is language {mark.version}, but the scheme declares "
            f'govscore: "{declared}"', path=where, at_key=at_key,
            hint=f'declare govscore: "{mark.version}" at the top of the file: language '
            f"{mark.version} scores every language-{declared} scheme the same")


def _marks(value: Any, path: Path) -> Iterator[tuple[model.Since, Path, Any]]:
    """Every (mark, path, value) of a key the scheme writes whose field carries a mark, in
    document order; paths are those of the document (a model's keys, list indices)."""
    if isinstance(value, BaseModel):
        fields = type(value).model_fields
        for name in fields:
            if name not in value.model_fields_set:
                continue  # not written: a default is never a language-2 construct
            info = fields[name]
            inner = getattr(value, name)
            where = (*path, info.alias or name)
            for mark in info.metadata:
                if isinstance(mark, model.Since) and (mark.values is None or mark.values(inner)):
                    yield mark, where, inner
            yield from _marks(inner, where)
    elif isinstance(value, (list, tuple)):
        for i, entry in enumerate(value):
            yield from _marks(entry, (*path, i))
    elif isinstance(value, dict):
        for k, entry in value.items():
            yield from _marks(entry, (*path, k))
