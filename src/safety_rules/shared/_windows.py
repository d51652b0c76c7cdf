"""Effective-date windows of rule versions and law editions.

Convention (both ends inclusive, whole days): a version is in force from
``effective_from`` through ``effective_to``. A version without ``effective_to``
runs to the day before the next version's ``effective_from``; the last one runs
with no end. Two versions in force on the same day are an overlap; a day between
two versions when neither is in force is a gap. Both are reported by ``check``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

ONE_DAY = dt.timedelta(days=1)


def day_after(day: dt.date) -> dt.date | None:
    """The next day, or ``None`` after the last day a date can hold (9999-12-31 is a
    legitimate, if odd, ``effective_to``)."""
    return None if day == dt.date.max else day + ONE_DAY


def day_before(day: dt.date) -> dt.date | None:
    """The previous day, or ``None`` before 0001-01-01."""
    return None if day == dt.date.min else day - ONE_DAY


@dataclass(frozen=True)
class Window:
    start: dt.date
    end: dt.date | None  # inclusive; None = open

    def contains(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)

    def __str__(self) -> str:
        return f"{self.start.isoformat()}..{self.end.isoformat() if self.end else ''}"


def effective_windows(spans: Sequence[tuple[dt.date, dt.date | None]]) -> list[Window]:
    """Windows for spans given in order of ``effective_from``; open ends close at the next start."""
    windows = []
    for i, (start, end) in enumerate(spans):
        if end is None and i + 1 < len(spans):
            # a next version starting on 0001-01-01 leaves no day: the window is reported as ending early
            end = day_before(spans[i + 1][0]) or dt.date.min
        windows.append(Window(start, end))
    return windows


def overlaps_and_gaps(windows: Sequence[Window]) -> list[str]:
    """Messages for every overlap and gap between consecutive windows (sorted by start)."""
    messages = []
    for a, b in zip(windows, windows[1:], strict=False):
        if a.end is None or a.end >= b.start:
            messages.append(f"windows {a} and {b} overlap")
        elif a.end + ONE_DAY < b.start:
            messages.append(f"gap from {(a.end + ONE_DAY).isoformat()} to "
                            f"{(b.start - ONE_DAY).isoformat()} between {a} and {b}")
        if a.end is not None and a.end < a.start:
            messages.append(f"window {a} ends before it starts")
    if windows and windows[-1].end is not None and windows[-1].end < windows[-1].start:
        messages.append(f"window {windows[-1]} ends before it starts")
    return messages


def uncovered(window: Window, covering: Iterable[Window]) -> list[Window]:
    """The parts of ``window`` that no window of ``covering`` contains."""
    pieces = [window]
    for c in sorted(covering, key=lambda w: w.start):
        next_pieces = []
        for p in pieces:
            # part of p before c
            if p.start < c.start:
                end = c.start - ONE_DAY
                next_pieces.append(Window(p.start, end if p.end is None or p.end > end else p.end))
            # part of p after c
            if c.end is not None and (p.end is None or p.end > c.end):
                start = c.end + ONE_DAY
                next_pieces.append(Window(start if start > p.start else p.start, p.end))
        pieces = [p for p in next_pieces if p.end is None or p.start <= p.end]
    return pieces
