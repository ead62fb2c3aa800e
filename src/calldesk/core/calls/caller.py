"""Who is calling: what calldesk already knows about a number, shown before the agent says hello."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from calldesk.core.aftercall import records as aftercall_records
from calldesk.core.aftercall.fixes import RecurringProblem, recurring_problems
from calldesk.core.aftercall.records import PermanentFix
from calldesk.core.calls import history as call_history
from calldesk.core.calls.model import CallSummary, Outcome, normalise_number
from calldesk.core.promises.model import Promise
from calldesk.core.promises.records import open_promises_for_number

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
    promises: list[Promise] = field(default_factory=list)
    """Open promises made to this number: shown first, before hello."""

    @property
    def known(self) -> bool:
        return bool(self.previous)

    last_reason: str = ""
    """Why the last call went badly, in the agent's words (empty when it went fine)."""

    @property
    def warning(self) -> str:
        """What to know before saying hello: the last call was abusive or bad, and why."""
        if not self.previous:
            return ""
        last = self.previous[0]
        why = f": {self.last_reason}" if self.last_reason else "."
        if last.outcome is Outcome.ABUSIVE:
            return f"⚠ Last call from this number was ABUSIVE{why}"
        if last.outcome is Outcome.BAD:
            return f"Last call went badly{why}"
        earlier = next((c for c in self.previous[1:] if c.outcome is Outcome.ABUSIVE), None)
        if earlier is not None:
            return f"⚠ A call on {_day(earlier.started_at)} was ABUSIVE."
        return ""

    def lines(self) -> list[str]:
        """Plain lines for the screen, most urgent first (open promises, then a warning);
        the widget decides how to show them.

        Nothing is cut here: the whole fix and the whole first note, wrapped by the screen.
        """
        promised = [
            f"Promised for {promise.due_at.astimezone():%a %-d %b %H:%M}: {promise.what}"
            for promise in self.promises[:2]
        ]
        if not self.previous:
            return [*promised, "First call from this number."]
        last = self.previous[0]
        count = len(self.previous)
        times = (
            "once before"
            if count == 1
            else f"{count}{'+' if count >= HISTORY_LIMIT else ''} times before"
        )
        when = _day(last.started_at)
        if last.missed:
            when += " (missed)"  # a caller who gave up and rings again
        lines = [*promised]
        if self.warning:
            lines.append(self.warning)
        lines.append(f"Called {times}; last on {when}.")
        if last.first_note:
            lines.append(f'First note: "{last.first_note}"')
        for fix in self.open_fixes[:2]:
            owner = f" (owner: {fix.owner})" if fix.owner else ""
            lines.append(f"Open permanent fix: {fix.what}{owner}")
        lines.extend(f"Recurring: {problem.describe()}" for problem in self.recurring[:1])
        return lines


def _day(when: datetime) -> str:
    return when.astimezone().strftime("%d %b %Y")


def lookup_caller(
    store: Database, number: str, now: datetime, exclude_call_id: int | None = None
) -> CallerCard | None:
    """What the store knows about `number`; None when the number is empty or unusable."""
    if not normalise_number(number):
        return None
    promises = open_promises_for_number(store, number)
    previous = [
        call
        for call in call_history.calls_by_number(store, number, limit=HISTORY_LIMIT + 1)
        if call.id != exclude_call_id
    ][:HISTORY_LIMIT]
    if not previous:
        return CallerCard(number, promises=promises)
    ids = {call.id for call in previous}
    open_fixes = aftercall_records.fixes_for_calls(store, sorted(ids), status="open")
    recent = aftercall_records.recent_calls_for_recurrence(store, now - RECURRENCE_WINDOW)
    recurring = [
        problem for problem in recurring_problems(recent, now) if ids.intersection(problem.call_ids)
    ]
    last = previous[0]
    reason = ""
    if last.outcome in (Outcome.BAD, Outcome.ABUSIVE):
        reason = call_history.get_call(
            store, last.id
        ).outcome_reason  # one call: the summaries lack it
    return CallerCard(number, previous, open_fixes, recurring, promises, last_reason=reason)
