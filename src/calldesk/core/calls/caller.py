"""Who is calling: what calldesk already knows about a number, shown before the agent says hello."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from calldesk.core.aftercall import records as aftercall_records
from calldesk.core.aftercall.fixes import RecurringProblem, recurring_problems
from calldesk.core.aftercall.records import PermanentFix
from calldesk.core.calls import records as call_records
from calldesk.core.calls.model import CallSummary, normalise_number

if TYPE_CHECKING:
    from calldesk.core.db.database import Database

HISTORY_LIMIT = 20
RECURRENCE_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class CallerCard:
    """Earlier calls from one number, their open permanent fixes, and any recurring problem."""

    number: str
    previous: list[CallSummary] = field(default_factory=list)
    open_fixes: list[PermanentFix] = field(default_factory=list)
    recurring: list[RecurringProblem] = field(default_factory=list)

    @property
    def known(self) -> bool:
        return bool(self.previous)

    def lines(self) -> list[str]:
        """Plain lines for the screen; the widget decides how to show them."""
        if not self.previous:
            return ["First call from this number."]
        last = self.previous[0]
        count = len(self.previous)
        times = (
            "once before"
            if count == 1
            else f"{count}{'+' if count >= HISTORY_LIMIT else ''} times before"
        )
        when = last.started_at.astimezone().strftime("%d %b %Y")
        if last.missed:
            when += " (missed)"  # a caller who gave up and rings again
        first = f': "{last.first_note}"' if last.first_note else ""
        lines = [f"Called {times}; last on {when}{first}"]
        for fix in self.open_fixes[:2]:
            owner = f" ({fix.owner})" if fix.owner else ""
            lines.append(f"Open permanent fix: {fix.what}{owner}")
        lines.extend(f"Recurring: {problem.describe()}" for problem in self.recurring[:1])
        return lines


def lookup_caller(
    store: Database, number: str, now: datetime, exclude_call_id: int | None = None
) -> CallerCard | None:
    """What the store knows about `number`; None when the number is empty or unusable."""
    if not normalise_number(number):
        return None
    previous = [
        call
        for call in call_records.calls_by_number(store, number, limit=HISTORY_LIMIT + 1)
        if call.id != exclude_call_id
    ][:HISTORY_LIMIT]
    if not previous:
        return CallerCard(number)
    ids = {call.id for call in previous}
    open_fixes = aftercall_records.fixes_for_calls(store, sorted(ids), status="open")
    recent = aftercall_records.recent_calls_for_recurrence(store, now - RECURRENCE_WINDOW)
    recurring = [
        problem for problem in recurring_problems(recent, now) if ids.intersection(problem.call_ids)
    ]
    return CallerCard(number, previous, open_fixes, recurring)
