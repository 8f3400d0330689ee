"""The memory guard: a long loop (reading a large table, scoring a large batch) checks every
thousand units how much address space the process has left under its limit (``ulimit -v``,
``resource.setrlimit(RLIMIT_AS)``) and stops with a MemoryError while :data:`RESERVE` is still
free. The command line reports it as GS703 in one line.

Why not simply let an allocation fail: near the limit, a failed allocation inside a C extension
is not always a MemoryError. CPython's ``_decimal`` (``decimal.localcontext``), libyaml and
OpenBLAS (imported by openpyxl through numpy) have been seen to crash the process with a
segmentation fault or abort instead (tests/security/test_memory_limits.py). Stopping while there
is room keeps the end of the run in Python's hands.

Without a limit (or where ``resource`` or ``/proc`` do not exist) the guard does nothing.
"""

from __future__ import annotations

import os
from typing import Any

RESERVE = 48 * 1024 * 1024
"""Stop when less than this much address space is left under the limit."""

resource: Any
try:
    import resource
except ImportError:  # pragma: no cover - not POSIX
    resource = None

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_STATM = "/proc/self/statm"


def address_space() -> int | None:
    """The process's virtual size in bytes (Linux), or None where it cannot be read."""
    try:
        with open(_STATM, "rb") as handle:
            return int(handle.read().split()[0]) * _PAGE
    except (OSError, ValueError, IndexError):
        return None


def check() -> None:
    """MemoryError when less than :data:`RESERVE` is left under the address-space limit."""
    if resource is None:  # pragma: no cover - not POSIX
        return
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY:
        return
    used = address_space()
    if used is not None and soft - used < RESERVE:
        msg = f"{used} bytes of address space in use, the limit is {soft}"
        raise MemoryError(msg)
