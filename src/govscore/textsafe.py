"""Text that crosses a trust boundary: the one home of the rules that keep hostile text harmless
where govscore writes it. At the bottom of the layers (it imports nothing of govscore), so that
every reader, view and the command line use the same rules.

- :func:`csv_cell`: a cell of a CSV file a person will open in a spreadsheet. A text cell that
  begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would be run as a formula
  (CSV injection); as OWASP recommends, such a cell gets a leading single quote (``'=1+1``), which
  the spreadsheet shows and does not run. Numbers are written as they are (a negative score stays
  ``-2.5``): the rule applies to text only. Every CSV writer calls it for every cell.
- :func:`terminal`: text for a terminal or a log line: control characters (ESC, CR, BEL, the
  C1 controls, DEL) and the bidirectional and invisible format characters are written as
  ``\\x1b``/``\\u202e`` escapes, so a unit id cannot move the cursor, rewrite a line, ring a bell
  or reverse the text that follows it.
- :func:`excerpt`: a bounded piece of untrusted text for a message — at most ``limit``
  characters, then ``…`` and the whole length — escaped as :func:`terminal` does.
- :func:`id_problem` and :func:`id_key`: unit ids are compared after NFKC normalisation (fullwidth
  ``Ｕ1`` is ``U1``), and an id holding an invisible or bidirectional control character (a
  zero-width space, a right-to-left override) is refused: two ids that look the same are one id.
- :func:`closest`: "did you mean" in bounded work: candidates are filtered by length and at most
  :data:`MAX_HINT_CANDIDATES` are compared, whatever the size of the scheme.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from decimal import Decimal

CSV_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
"""A text cell beginning with one of these is neutralised by :func:`csv_cell` (OWASP's list)."""

MAX_EXCERPT = 120
"""Untrusted text in a message is cut to this many characters (:func:`excerpt`)."""

MAX_MESSAGE = 2_000
"""A diagnostic message longer than this is cut (errors.Diagnostic): no message floods a log."""

MAX_HINT_CANDIDATES = 200
""":func:`closest` compares a name with at most this many candidates (after the length filter)."""

MAX_HINT_SCAN = 5_000
""":func:`closest` looks at no more than this many candidates (a length check each)."""

MAX_HINT_LENGTH = 64
""":func:`closest` gives no hint for a name longer than this (no id is that long)."""

# C0 and C1 controls and DEL, but not tab and newline (which a message may hold on purpose: the
# caller escapes them where a line must stay one line), and the format characters that reorder or
# hide text: bidi embeddings, overrides and isolates, zero-width characters, the BOM, soft hyphen.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e"
                      "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]")
_CONTROL_LINE = re.compile(_CONTROL.pattern[:-1] + "\t\n]")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"  # noqa: PLR2004


def terminal(text: str, *, one_line: bool = False) -> str:
    """``text`` with control and bidi/invisible format characters escaped (``\\x1b``,
    ``\\u202e``); with ``one_line`` tabs and newlines too. Lone surrogates (text that is not
    Unicode) are escaped as well, so the result can always be encoded."""
    pattern = _CONTROL_LINE if one_line else _CONTROL
    out = pattern.sub(_escape, text)
    if any("\ud800" <= c <= "\udfff" for c in out):
        out = out.encode("utf-8", "backslashreplace").decode("utf-8")
    return out


def excerpt(text: str, limit: int = MAX_EXCERPT) -> str:
    """A bounded, escaped excerpt of untrusted text for a message: the text itself in quotes when
    short, else its first ``limit`` characters, ``…`` and its length
    (``'SECRET=abc…' (4,096 characters)``)."""
    if len(text) <= limit:
        return repr(terminal(text, one_line=True))
    return f"{terminal(text[:limit], one_line=True)!r}… ({len(text):,} characters)"


def bound_message(message: str, limit: int = MAX_MESSAGE) -> str:
    """A message cut to ``limit`` characters, with ``…`` and the length it had."""
    if len(message) <= limit:
        return message
    return f"{message[:limit]}… (message of {len(message):,} characters cut)"


def csv_cell(value: object) -> object:
    """A value for a CSV cell: text beginning with ``= + - @``, tab or CR gets a leading ``'``
    (OWASP's CSV-injection rule), control characters in text are escaped; numbers and other
    values are returned as they are, but a negative zero is written without its sign
    (:func:`decimal_text`)."""
    if isinstance(value, Decimal):
        return decimal_text(value) if value.is_zero() else value
    if isinstance(value, str):
        text = value
        if text.startswith(CSV_TRIGGERS):
            text = "'" + text
        return _CONTROL.sub(_escape, text) if _CONTROL.search(text) else text
    return value


def csv_text(cell: str) -> str:
    """A text cell read from a CSV file or a sheet: the quote :func:`csv_cell` put before a
    formula trigger is taken off again (``'=x`` → ``=x``), so that a template govscore wrote
    reads back as written."""
    return cell[1:] if cell.startswith("'") and cell[1:2] in CSV_TRIGGERS else cell


def csv_row(values: Iterable[object]) -> list[object]:
    """Every cell of a row through :func:`csv_cell`."""
    return [csv_cell(v) for v in values]


def decimal_text(value: Decimal) -> str:
    """A Decimal for a report cell: its own digits, a negative zero without its sign
    (``-0.00`` → ``0.00``)."""
    return str(value.copy_abs() if value.is_zero() else value)


# ------------------------------------------------------------------------------------------------
# unit ids

_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cn", "Cs", "Zl", "Zp"})


def id_problem(unit: str) -> str | None:
    """Why ``unit`` cannot be a unit id, or None: it holds a control, format (zero-width, bidi),
    private-use or unassigned character, which would make two ids look the same."""
    for char in unit:
        if unicodedata.category(char) in _INVISIBLE_CATEGORIES:
            name = unicodedata.name(char, "") if not "\ud800" <= char <= "\udfff" else ""
            shown = f"U+{ord(char):04X}" + (f" {name}" if name else "")
            return (f"the id {excerpt(unit, 40)} holds the invisible or control character "
                    f"{shown}; type the id again without it")
    return None


def id_key(unit: str) -> str:
    """The form unit ids are compared in: NFKC (fullwidth ``Ｕ１`` is ``U1``), without the
    surrounding spaces."""
    if unit.isascii():  # NFKC leaves ASCII as it is: the common case, kept fast
        return unit.strip()
    return unicodedata.normalize("NFKC", unit).strip()


# ------------------------------------------------------------------------------------------------
# did you mean


def closest(name: str, candidates: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The candidate most like ``name`` ("did you mean"), or None, in bounded work: names longer
    than :data:`MAX_HINT_LENGTH` get no hint; at most :data:`MAX_HINT_SCAN` candidates are looked
    at, and of those only the ones whose length allows a similarity of ``cutoff`` (difflib's
    ratio is at most ``2·min(a, b) / (a + b)`` for lengths a and b) are compared, at most
    :data:`MAX_HINT_CANDIDATES` of them. So the hints of a scheme with thousands of misspelt
    names cost thousands of small comparisons, not millions."""
    size = len(name)
    if size > MAX_HINT_LENGTH:
        return None
    pool: list[str] = []
    for scanned, candidate in enumerate(candidates):
        if scanned >= MAX_HINT_SCAN:
            break
        other = len(candidate)
        if candidate != name and 2 * min(size, other) >= cutoff * (size + other):
            pool.append(candidate)
            if len(pool) >= MAX_HINT_CANDIDATES:
                break
    found = _matches(name, pool, cutoff)
    return found[0] if found else None


def _matches(name: str, pool: list[str], cutoff: float) -> list[str]:
    """difflib's closest match (one place, so that tests can count the comparisons)."""
    return difflib.get_close_matches(name, pool, n=1, cutoff=cutoff)
