"""Is this file a govscore scheme, or a govscore scheme test? Decided by content, cheaply and safely.

Used where govscore meets files it did not choose: the pre-commit hooks (``govscore validate
--only-schemes``, ``govscore test --only-scheme-tests``) and the pytest plugin. Those see every
``*.yaml`` of someone else's repository (``.pre-commit-config.yaml``, GitHub workflows, facts files,
other tools' ``*.test.yaml`` fixtures), so the answer must never raise and never read much:

- only the first :data:`PREFIX_BYTES` bytes of a file are read, and they are matched as bytes (a file
  that is not UTF-8, or is binary, is simply not a scheme); a UTF-16 file with a byte order mark is
  decoded first (so a scheme saved as UTF-16 is still recognised, and validation then says it must be
  UTF-8);
- only *top-level* keys count: a line that starts at column 0 with the key (plain, ``"quoted"`` or
  ``'quoted'``) followed by ``:``. Comments, indented keys and keys inside other values do not.

The rules:

- a **scheme** has the top-level key ``govscore`` (the version key every scheme starts with:
  ``govscore: "1"``);
- a **scheme test** has the top-level key ``scheme`` whose value is a path to a ``.yaml`` or ``.yml``
  file (written on the key's own line, plain or quoted). ``cases`` is not required to recognise one:
  a scheme test that has lost its ``cases`` is still govscore's, and ``test`` reports it (GS602);
  another tool's ``*.test.yaml`` with ``cases`` but no such ``scheme`` is not.

A file that matches is then checked in full by ``validate`` or ``test``: a scheme that is broken
still fails; only files that are not govscore's are left alone.
"""

from __future__ import annotations

import re
from pathlib import Path

PREFIX_BYTES = 64 * 1024
"""How much of a file is read to decide: the keys must come in the first 64 KiB."""

_BOMS_UTF16 = (b"\xff\xfe", b"\xfe\xff")


def _key(name: bytes) -> bytes:
    """A top-level key ``name`` (optionally quoted, optionally after ``--- `` on the first line)."""
    return rb"^(?:---[ \t]+)?(?:" + name + rb"|\"" + name + rb"\"|'" + name + rb"')[ \t]*:(?=[ \t]|\r?$)"


_SCHEME_KEY = re.compile(_key(rb"govscore"), re.MULTILINE)
_SCHEME_PATH = re.compile(
    _key(rb"scheme") + rb"[ \t]*(?:\"[^\"\r\n]+(?i:\.ya?ml)\"|'[^'\r\n]+(?i:\.ya?ml)'"
    rb"|[^\s#\"'][^\r\n#]*?(?i:\.ya?ml))[ \t]*(?:#.*)?\r?$", re.MULTILINE)


def read_prefix(path: str | Path) -> bytes | None:
    """The first :data:`PREFIX_BYTES` of a regular file, as UTF-8-compatible bytes; None when it
    cannot be read (missing, a folder, no permission) or is not a regular file."""
    p = Path(path)
    try:
        if not p.is_file():
            return None
        with p.open("rb") as f:
            head = f.read(PREFIX_BYTES)
    except OSError:
        return None
    if head.startswith(b"\xef\xbb\xbf"):
        return head[3:]
    if head.startswith(_BOMS_UTF16):
        encoding = "utf-16-le" if head.startswith(b"\xff\xfe") else "utf-16-be"
        return head[2:].decode(encoding, errors="replace").encode("utf-8")
    return head


def looks_like_scheme(head: bytes) -> bool:
    """Whether these first bytes of a file (from :func:`read_prefix`) are a scheme's."""
    return _SCHEME_KEY.search(head) is not None


def looks_like_scheme_test(head: bytes) -> bool:
    """Whether these first bytes of a file (from :func:`read_prefix`) are a scheme test's."""
    return _SCHEME_PATH.search(head) is not None


def is_scheme(path: str | Path) -> bool:
    """Whether the file is a govscore scheme by content (see the module's rules). Never raises."""
    head = read_prefix(path)
    return head is not None and looks_like_scheme(head)


def is_scheme_test(path: str | Path) -> bool:
    """Whether the file is a govscore scheme test by content (see the module's rules). Never
    raises."""
    head = read_prefix(path)
    return head is not None and looks_like_scheme_test(head)
