"""Reading an untrusted file in bounded memory: the one home of the rules every reader of schemes,
scheme tests and facts follows.

- **Only regular files.** A device (``/dev/zero``, ``/dev/urandom``), a FIFO or a socket is refused
  before a byte is read: such a "file" never ends, or blocks the run. The file is opened without
  blocking (``O_NONBLOCK``: opening a FIFO would otherwise wait for a writer) and checked again
  on the open handle, so swapping the path after the first check gains nothing.
- **Symbolic links are followed** (a scheme folder may link shared files) and the rules apply to
  the target: a link to ``/dev/zero`` is refused as a device, a link to a large file by its size.
- **The size limit is applied while reading**, not after: at most ``limit + 1`` bytes are ever
  read, whatever the file system reports as the size (``/proc`` files report 0).

Callers turn :class:`ReadRefused` into their own diagnostic (GS101/GS106 for schemes, GS409 for
facts).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from govscore.errors import GovscoreError

_CHUNK = 1 << 20


class ReadRefused(GovscoreError):  # noqa: N818 - a reason, turned into a diagnostic by each caller
    """A file that is not read: ``str()`` is the reason; ``too_large`` tells the size limit
    apart from every other reason."""

    def __init__(self, reason: str, *, too_large: bool = False) -> None:
        self.too_large = too_large
        super().__init__(reason)


def kind_of(mode: int) -> str:
    """What a file of this ``st_mode`` is, in words, for a refusal."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def check_regular(path: Path) -> int:
    """The size of ``path`` if it is a regular file (links followed); ReadRefused otherwise."""
    try:
        info = path.stat()
    except OSError as exc:
        raise ReadRefused(f"cannot read {path}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        raise ReadRefused(f"{path} is {kind_of(info.st_mode)}, not a regular file")
    return info.st_size


def read_limited(path: Path, limit: int) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (see the module's docstring)."""
    check_regular(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise ReadRefused(f"cannot read {path}: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ReadRefused(f"{path} is {kind_of(info.st_mode)}, not a regular file")
        if info.st_size > limit:
            raise ReadRefused(f"the file has {info.st_size} bytes; the limit is {limit}",
                              too_large=True)
        chunks: list[bytes] = []
        size = 0
        try:
            while size <= limit:
                chunk = handle.read(min(_CHUNK, limit + 1 - size))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
        except OSError as exc:
            raise ReadRefused(f"cannot read {path}: {exc.strerror or exc}") from None
    if size > limit:
        raise ReadRefused(f"the file has more than {limit} bytes (it grew while being read); "
                          f"the limit is {limit}", too_large=True)
    return b"".join(chunks)
