"""Progress of a long run on stderr: on a terminal a bar redrawn in place, with the percentage,
the rate and the time left; elsewhere (a CI log, a file) a plain line every tenth of the way, so
that a log is not filled with carriage returns.

The clock is passed in (``time.monotonic`` by default), so that tests can drive it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

BAR = 24
"""Characters of the bar on a terminal."""


def duration(seconds: float) -> str:
    """A time left as a reader says it: 0:05, 1:02:03."""
    whole = max(0, round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class Progress:
    """``progress(done, total)`` after each step of work; ``finish()`` at the end (clears the
    terminal line). ``what`` names the things counted ("units")."""

    def __init__(self, out: TextIO, *, tty: bool, what: str = "units",
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.out = out
        self.tty = tty
        self.what = what
        self.clock = clock
        self.start = clock()
        self.shown_tenth = 0
        self.drawn = 0

    def line(self, done: int, total: int) -> str:
        """The progress as one line: "scoring  45% [██████████░░░░░░░░░░░░░░] 45,000/100,000
        units · 9,806 units/s · 0:05 left"."""
        elapsed = self.clock() - self.start
        share = done / total if total else 1.0
        rate = done / elapsed if elapsed > 0 else 0.0
        left = (total - done) / rate if rate > 0 else None
        parts = [f"scoring {share * 100:3.0f}%"]
        if self.tty:
            filled = int(share * BAR)
            parts.append("[" + "█" * filled + "░" * (BAR - filled) + "]")
        parts.append(f"{done:,}/{total:,} {self.what}")
        text = " ".join(parts)
        if rate > 0:
            text += f", {rate:,.0f} {self.what}/s"
        if left is not None and done < total:
            text += f", {duration(left)} left"
        return text

    def __call__(self, done: int, total: int) -> None:
        if self.tty:
            text = self.line(done, total)
            self.out.write("\r" + text + " " * max(0, self.drawn - len(text)))
            self.drawn = len(text)
            self.out.flush()
            return
        tenth = int(done * 10 / total) if total else 10
        if tenth > self.shown_tenth and done < total:
            self.shown_tenth = tenth
            self.out.write(self.line(done, total) + "\n")
            self.out.flush()

    def finish(self) -> None:
        """Clear the bar from the terminal line (plain lines stay in the log)."""
        if self.tty and self.drawn:
            self.out.write("\r" + " " * self.drawn + "\r")
            self.out.flush()
            self.drawn = 0
