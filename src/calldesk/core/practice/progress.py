"""Progress per drill set as terminal bars, and the daily goal."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime

    from calldesk.core.db.database import Database
    from calldesk.core.practice.stats import SetStats

LEARNED, SEEN, NOT_YET = "█", "▒", "·"
BAR_WIDTH = 20


def bar(learned: int, seen: int, total: int, width: int = BAR_WIDTH) -> str:
    """`width` cells: learned ones solid, seen-but-not-learned shaded, the rest dots.

    A set with anything learned or seen shows at least one cell of it, so a first round
    always moves the bar.
    """
    if total <= 0:
        return NOT_YET * width
    full = round(width * learned / total)
    if learned and not full:
        full = 1
    shaded = round(width * seen / total) - full
    if seen > learned and shaded <= 0:
        shaded = 1
    shaded = max(0, min(shaded, width - full))
    return LEARNED * full + SEEN * shaded + NOT_YET * (width - full - shaded)


def set_lines(sets: list[SetStats], width: int = BAR_WIDTH) -> list[str]:
    """One line per set: name, bar, learned and seen counts, aligned."""
    if not sets:
        return []
    name_width = max(len(entry.name) for entry in sets)
    return [
        f"{entry.name.ljust(name_width)}  {bar(entry.learned, entry.seen, entry.total, width)}  "
        f"{entry.learned}/{entry.total} learned, {entry.seen} started"
        for entry in sets
    ]


LEGEND = f"{LEARNED} learned  {SEEN} started  {NOT_YET} not yet"


def goal_text(done: int, goal: int) -> str:
    """`practice 3/10` for the status line; '' when there is no goal."""
    if goal <= 0:
        return ""
    return f"practice {min(done, goal)}/{goal}" + (" ✓" if done >= goal else "")


def reviewed_today(db: Database, now: datetime) -> int:
    """Grades given today (local day), for the daily goal."""
    from calldesk.core.practice import records
    from calldesk.core.practice.cards import local_day

    start, end = local_day(now)
    return records.practice_reviewed(db, start, end)
