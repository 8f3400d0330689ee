"""A batch of unit entries as a table of columns: the canonical form the facts hash is taken
over (whichever path then scores each unit), and, for the columnar back end, fact columns built
a column at a time instead of a unit at a time.

The table: one row per entry, in input order. A dict entry whose keys are all text, and whose
``facts`` (if given) is a dict with text keys, puts each of its keys ``k`` in column ``.k``
(``.id``, ``.category``, ``.tier``, ``.title``, any other key) and each fact ``name`` in column
``facts.name``; any other entry goes whole into column ``""``. A cell an entry does not fill
is *missing*.

**The canonical form** (``govscore facts 2``), hashed with sha256:

    b"govscore facts 2\\n" + str(number of entries) + "\\n"
    then each column, by name in code point order:
        json.dumps(name, ensure_ascii=False) + "\\n" + body + "\\n"

and a column's body is the first of these that applies to its cells:

- ``I`` + the cells as 8-byte little-endian two's complement — every cell an ``int`` (not
  bool) within int64;
- ``D`` + the cells' ``str()`` joined by ``\\n`` — every cell a ``Decimal``;
- ``S`` + the cells joined by NUL — every cell a ``str`` without a NUL;
- ``G`` + one tag per cell (``-`` missing, ``n`` None, ``t`` True, ``f`` False, ``i`` int,
  ``d`` Decimal, ``s`` str, ``j`` anything else) + ``\\n`` + the values of the cells tagged
  ``i d s j`` joined by ``\\n``: an int's digits (``"int:<hex>"`` beyond 4,300 digits), a
  Decimal's ``str()``, a str as ``json.dumps(s, ensure_ascii=False)``, anything else the
  hex sha256 of its canonical JSON (:func:`json_digest`: keys sorted, no spaces, decimals as
  their text — the form of any value however deep or malformed).

Text is UTF-8 (a lone surrogate written as its code unit, ``surrogatepass``). Which body a
column gets depends only on its cells, and the table only on the entries, so the scalar path,
the columns and any future reader produce the same digest for the same facts. A value other
than a list or tuple of entries hashes as :func:`json_digest` of it.
"""

from __future__ import annotations

import hashlib
import json
import sys
from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from operator import itemgetter
from typing import Any

MISSING: Any = type("Missing", (), {"__repr__": lambda self: "MISSING"})()
"""A cell an entry does not fill."""

HEADER = b"govscore facts 2\n"


@dataclass
class Table:
    """The entries as columns (name → one cell per entry, MISSING where not given)."""

    n: int
    columns: dict[str, list[Any]]
    uniform: bool = False
    """Every entry is a dict with the same keys, and (if given) facts dicts with the same
    keys: no cell is missing."""
    texts: dict[str, str] = field(default_factory=dict)
    """The str() of every cell of a Decimal column joined by newlines (worked out once, for
    the digest and the columns; one string, not one per cell)."""

    classes: dict[str, set[type]] = field(default_factory=dict)
    """The classes of each column's cells (looked at once, for the digest and the columns)."""

    def fact(self, name: str) -> list[Any] | None:
        return self.columns.get("facts." + name)

    def classes_of(self, name: str) -> set[type]:
        found = self.classes.get(name)
        if found is None:
            found = self.classes[name] = set(map(type, self.columns[name]))
        return found


def table(entries: Sequence[Any], *, whole_columns: bool = True) -> Table:
    """The table of a batch of entries (taken a whole column at a time where every entry has
    the same shape, unless ``whole_columns`` is false: the same table, entry by entry)."""
    n = len(entries)
    fast = _uniform(entries) if whole_columns else None
    if fast is not None:
        return Table(n, fast, uniform=True)
    columns: dict[str, list[Any]] = {}

    def cell(name: str, row: int, value: Any) -> None:
        column = columns.get(name)
        if column is None:
            column = columns[name] = [MISSING] * n
        column[row] = value

    for row, entry in enumerate(entries):
        facts = entry.get("facts", {}) if entry.__class__ is dict else None
        if facts.__class__ is not dict or not all(k.__class__ is str for k in entry) or \
                not all(k.__class__ is str for k in facts):
            cell("", row, entry)
            continue
        for key, value in entry.items():
            if key == "facts":
                for name, fact in value.items():
                    cell("facts." + name, row, fact)
            else:
                cell("." + key, row, value)
    return Table(n, columns)


def _uniform(entries: Sequence[Any]) -> dict[str, list[Any]] | None:
    """The columns of a batch of same-shaped dict entries, by whole columns; None otherwise."""
    if not entries or set(map(type, entries)) != {dict}:
        return None
    first = entries[0]
    keys = list(first)
    if set(map(len, entries)) != {len(keys)} or not all(k.__class__ is str for k in keys):
        return None
    try:
        columns = {"." + k: list(map(itemgetter(k), entries)) for k in keys if k != "facts"}
        if "facts" not in first:
            return columns
        facts = list(map(itemgetter("facts"), entries))
    except KeyError:  # an entry with other keys
        return None
    if set(map(type, facts)) != {dict}:
        return None
    names = list(facts[0])
    if set(map(len, facts)) != {len(names)} or not all(k.__class__ is str for k in names):
        return None
    try:
        for name in names:
            columns["facts." + name] = list(map(itemgetter(name), facts))
    except KeyError:
        return None
    return columns


def digest(data: Any) -> str:
    """The facts hash of a batch of entries (or of any value): the module's canonical form."""
    if not isinstance(data, (list, tuple)):
        return json_digest(data)
    return table_digest(table(data))


def table_digest(t: Table) -> str:
    h = hashlib.sha256(HEADER)
    h.update(f"{t.n}\n".encode())
    for name in sorted(t.columns):
        h.update(_text(json.dumps(name, ensure_ascii=False)) + b"\n")
        h.update(_body(t, name))
        h.update(b"\n")
    return h.hexdigest()


def _text(s: str) -> bytes:
    return s.encode("utf-8", "surrogatepass")


def _body(t: Table, name: str) -> bytes:
    cells = t.columns[name]
    classes = t.classes_of(name)
    if classes == {int}:
        try:
            ints = array("q", cells)
        except OverflowError:
            pass
        else:
            if sys.byteorder == "big":
                ints.byteswap()
            return b"I" + ints.tobytes()
    if classes == {Decimal}:
        joined = t.texts.get(name)
        if joined is None:
            joined = t.texts[name] = "\n".join(map(str, cells))
        return b"D" + _text(joined)
    if classes == {str}:
        joined = "\0".join(cells)
        if joined.count("\0") == len(cells) - 1:
            return b"S" + _text(joined)
    tags: list[str] = []
    values: list[str] = []
    for value in cells:
        cls = value.__class__
        if value is MISSING:
            tags.append("-")
        elif value is None:
            tags.append("n")
        elif value is True or value is False:
            tags.append("t" if value else "f")
        elif cls is int:
            tags.append("i")
            values.append(_int_text(value))
        elif cls is Decimal:
            tags.append("d")
            values.append(str(value))
        elif cls is str:
            tags.append("s")
            values.append(json.dumps(value, ensure_ascii=False))
        else:
            tags.append("j")
            values.append(json_digest(value))
    return b"G" + _text("".join(tags) + "\n" + "\n".join(values))


def _int_text(value: int) -> str:
    try:
        return int.__repr__(value)
    except ValueError:  # more than 4300 digits
        return f"int:{value:x}"


# -- canonical JSON of any value (the form of facts hash 1, kept for values inside cells) ------


def json_digest(value: Any) -> str:
    """sha256 of a value's canonical JSON: keys sorted, no spaces, decimals as written. Any
    value hashes, however deep or malformed: what json cannot encode is written by an iterative
    encoder of the same form."""
    try:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                          default=_json_default)
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    except (RecursionError, ValueError, TypeError):
        return _json_digest_iterative(value)


def _json_default(item: Any) -> Any:
    return str(item) if isinstance(item, Decimal) else repr(item)


def _scalar_json(item: Any) -> str:
    """One scalar as json.dumps writes it (an int too long for str() as hex)."""
    if isinstance(item, int) and not isinstance(item, bool):
        try:
            return int.__repr__(item)
        except ValueError:  # more than 4300 digits
            return json.dumps(f"int:{item:x}")
    if isinstance(item, (str, float, bool)) or item is None:
        return json.dumps(item, ensure_ascii=False)
    return json.dumps(_json_default(item), ensure_ascii=False)


def _json_digest_iterative(value: Any) -> str:
    digest_ = hashlib.sha256()
    # a stack of things still to write: either literal JSON text or a value to encode
    stack: list[tuple[bool, Any]] = [(False, value)]
    while stack:
        is_text, item = stack.pop()
        if is_text:
            chunk = item
        elif isinstance(item, Mapping):
            pairs = sorted(((str(k), v) for k, v in item.items()), key=lambda pair: pair[0])
            parts: list[tuple[bool, Any]] = [(True, "{")]
            for index, (key, v) in enumerate(pairs):
                parts += [(True, ("," if index else "") + json.dumps(key, ensure_ascii=False)
                           + ":"), (False, v)]
            parts.append((True, "}"))
            stack.extend(reversed(parts))
            continue
        elif isinstance(item, (list, tuple)):
            parts = [(True, "[")]
            for index, v in enumerate(item):
                if index:
                    parts.append((True, ","))
                parts.append((False, v))
            parts.append((True, "]"))
            stack.extend(reversed(parts))
            continue
        else:
            chunk = _scalar_json(item)
        digest_.update(chunk.encode("utf-8", "surrogatepass"))
    return digest_.hexdigest()


# -- plain decimal text as scaled integers, a whole column at once ----------------------------

_MAX_DIGITS = 18  # an int64 holds any 18 digits
_MAX_PLACES = 9  # columnar.MAX_PLACES
_ALLOWED = bytes(range(48, 58)) + b"-.\n"


def plain_decimals(joined: str) -> tuple[Any, Any, Any] | None:
    """(scaled integers, places, ok) of Decimals' str() text joined by newlines, by numpy —
    when every cell is plain: an optional ``-`` then digits, at most one ``.`` with 1 to 9
    digits after it, at most 18 digits in all; None otherwise (``1E+2``, ``NaN``, more
    places: then the cells are read one by one). Not ok: a negative zero (the scalar path
    keeps its sign)."""
    import numpy as np

    if not joined or not joined.isascii():
        return None
    raw = joined.encode("ascii")
    if raw.translate(None, _ALLOWED):
        return None  # a byte other than digits, "-", "." (an exponent, NaN, a space)
    buf = np.frombuffer(raw, dtype=np.uint8)
    fixed = _fixed_width(buf)
    if fixed is not None:
        return fixed
    newline = buf == 10  # noqa: PLR2004 — "\n"
    ends = np.append(np.flatnonzero(newline), len(buf))  # one past each row's last byte
    starts = np.empty_like(ends)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    if np.any(ends <= starts):
        return None  # an empty cell
    negative = buf[starts] == 45  # noqa: PLR2004 — "-"
    lead = starts + negative
    if np.any(lead >= ends) or np.any(buf[lead] < 48):  # noqa: PLR2004 — a digit first
        return None
    minus = buf == 45  # noqa: PLR2004
    if int(minus.sum()) != int(negative.sum()):
        return None  # a "-" not at the start
    row = np.cumsum(newline) - newline  # each byte's row (a newline counts with the row before)
    point = np.flatnonzero(buf == 46)  # noqa: PLR2004 — "."
    if len(point) and np.bincount(row[point], minlength=len(ends)).max() > 1:
        return None
    point_at = np.full(len(ends), -1, dtype=np.int64)
    point_at[row[point]] = point
    places = np.where(point_at >= 0, ends - point_at - 1, 0).astype(np.int64)
    if np.any((point_at >= 0) & ((places < 1) | (places > _MAX_PLACES))):
        return None
    digit = buf >= 48  # noqa: PLR2004 — "0"; only digits, "-", "." and "\n" are left
    counted = np.cumsum(digit)
    before = np.where(starts > 0, counted[np.maximum(starts - 1, 0)], 0)
    if int((counted[ends - 1] - before).max()) > _MAX_DIGITS:
        return None
    power = (counted[ends - 1][row] - counted)[digit]  # digits to the right of each digit
    values = (buf[digit] - 48).astype(np.int64) * (10 ** power.astype(np.int64))
    # every row has a digit (checked): each row's digits are one run of ``values``
    firsts = np.searchsorted(row[digit], np.arange(len(ends)))
    scaled = np.add.reduceat(values, firsts)
    ok = ~(negative & (scaled == 0))
    return np.where(negative, -scaled, scaled), places, ok


def _fixed_width(buf: Any) -> tuple[Any, Any, Any] | None:
    """plain_decimals when every cell has the same width and its point (if any) at the same
    place (``0.500``, ``0.007``, ``1.000``): the cells as rows of a byte matrix, a digit
    column at a time. None for any other column."""
    import numpy as np

    width = int(np.argmax(buf == 10)) if 10 in buf else len(buf)  # noqa: PLR2004 — "\n"
    if width == 0 or (len(buf) + 1) % (width + 1):
        return None
    n = (len(buf) + 1) // (width + 1)
    if int(np.count_nonzero(buf == 10)) != n - 1:  # noqa: PLR2004 — cells of other widths
        return None  # ("0.0", "0", "0" is as long as two cells of width 3)
    cells = np.append(buf, np.uint8(10)).reshape(n, width + 1)
    if np.any(cells[:, width] != 10):  # noqa: PLR2004
        return None
    cells = cells[:, :width]
    first = cells[0]
    # every cell: the same non-digit bytes at the same places ("." only; a "-" varies)
    shape = first >= 48  # noqa: PLR2004 — digits
    if np.any((cells >= 48) != shape) or np.any(cells[:, ~shape] != 46):  # noqa: PLR2004
        return None  # a "-" (then the general reading), or another byte than "."
    points = np.flatnonzero(~shape)
    if len(points) > 1 or (len(points) == 1 and not 1 <= width - 1 - points[0] <= _MAX_PLACES) \
            or (len(points) == 1 and points[0] == 0) or int(shape.sum()) > _MAX_DIGITS:
        return None
    digits = cells[:, shape].astype(np.int64) - 48
    powers = 10 ** np.arange(digits.shape[1] - 1, -1, -1, dtype=np.int64)
    scaled = digits @ powers
    places = width - 1 - int(points[0]) if len(points) else 0
    return scaled, np.full(n, places, dtype=np.int64), np.ones(n, dtype=np.bool_)


# -- fact columns of a uniform table (what columnar.fact_columns gives, a column at a time) ---


def fact_columns(program: Any, t: Table, rows: Any = None) -> Any:
    """columnar.fact_columns(program, the facts of these rows) for a uniform table (``rows``:
    entry positions, None for all): each column taken whole from the table, checked by type
    over the column (ints as int64 at once; Decimals through their text, read by numpy), then
    as columnar.fact_columns checks it (range, count, flags, each object fact's own check)."""
    import numpy as np

    from govscore.engine import columnar

    assert t.uniform
    n = t.n if rows is None else len(rows)
    pick = (lambda cells: cells) if rows is None else \
        (lambda cells: list(itemgetter(*rows)(cells)) if n > 1 else [cells[rows[0]]])
    c = columnar.Batch(n, {}, {})
    ok = np.ones(n, dtype=np.bool_)
    numbers: dict[str, Any] = {}
    flags: dict[str, Any] = {}
    objects: dict[str, list[Any]] = {}
    known = {spec.name for spec in program.facts}
    if any(name.startswith("facts.") and name[6:] not in known for name in t.columns):
        ok[:] = False  # every unit gives a fact the category does not know: the scalar path
    for spec in program.facts:
        name = spec.name
        given = t.fact(name)
        if given is None:
            if spec.default is None:
                ok[:] = False  # missing everywhere, no default: the scalar path reports it
                column: list[Any] = [None] * n
            else:
                column = [spec.default] * n
        else:
            column = pick(given)
        ok &= columnar.read_fact(c, spec, column,
                                 partial(_number_column, t, "facts." + name, whole=rows is None),
                                 numbers, flags, objects)
    return columnar.FactColumns(n, numbers, flags, objects, ok & ~c.bail,
                                {f.name: f for f in program.facts})


def _number_column(t: Table, name: str, column: Sequence[Any], *, whole: bool
                   ) -> tuple[Any, Any]:
    from govscore.engine import columnar

    classes = t.classes_of(name) if whole and name in t.columns else set(map(type, column))
    if classes == {Decimal}:
        joined = t.texts.get(name) if whole else None
        if joined is None:
            joined = "\n".join(map(str, column))
            if whole:
                t.texts[name] = joined
        parsed = plain_decimals(joined)
        if parsed is not None:
            return columnar.scaled_column(*parsed)
    elif classes == {int}:  # not bool: its class is bool
        import numpy as np

        try:
            ints = np.array(column, dtype=np.int64)
        except OverflowError:
            pass
        else:  # as columnar's own reading of an int column
            return columnar.scaled_column(ints, np.zeros(len(ints), dtype=np.int64),
                                          (ints > -columnar.BIG) & (ints < columnar.BIG))
    return columnar.number_column(column)
