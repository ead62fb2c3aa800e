"""A promise to a caller: who, what, when it is due, the call it came from, and how it ended."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

REMIND_BEFORE = timedelta(minutes=5)
"""The notification and the bell come this long before a promise is due."""


class PromiseState(StrEnum):
    OPEN = "open"
    KEPT = "kept"
    MOVED = "moved"  # still to keep, at a new time agreed with the caller
    DROPPED = "dropped"

    @property
    def is_open(self) -> bool:
        return self in (PromiseState.OPEN, PromiseState.MOVED)


class PromiseSource(StrEnum):
    """How the promise was made: typed as `/promise`, a key on a note, or a phrase's field."""

    NOTE = "note"
    KEY = "key"
    PHRASE = "phrase"
    CLI = "cli"


@dataclass(frozen=True, slots=True)
class Promise:
    id: int
    what: str
    """The promise in the agent's words, kept verbatim."""
    due_at: datetime
    made_at: datetime
    call_id: int | None = None
    caller_name: str = ""
    caller_number: str = ""
    state: PromiseState = PromiseState.OPEN
    reason: str = ""
    """Why it was moved or dropped, in the agent's words."""
    first_due_at: datetime | None = None
    """The due time first promised; differs from `due_at` once moved."""
    closed_at: datetime | None = None
    """When it was marked kept or dropped."""
    source: PromiseSource = PromiseSource.NOTE
    reminded_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.state.is_open

    @property
    def kept_on_time(self) -> bool:
        return (
            self.state is PromiseState.KEPT
            and self.closed_at is not None
            and self.closed_at <= (self.first_due_at or self.due_at)
        )

    def overdue(self, now: datetime) -> bool:
        return self.is_open and self.due_at < now

    def remind_at(self) -> datetime:
        """5 minutes before due; a promise made closer to its time than that rings when due."""
        early = self.due_at - REMIND_BEFORE
        return early if early > self.made_at else self.due_at

    def needs_reminder(self, now: datetime) -> bool:
        return self.is_open and self.reminded_at is None and now >= self.remind_at()

    def who(self) -> str:
        parts = [part for part in (self.caller_name, self.caller_number) if part]
        return " · ".join(parts) or "caller unknown"

    def moved(self, due_at: datetime, reason: str, at: datetime) -> Promise:
        return replace(
            self,
            due_at=due_at,
            state=PromiseState.MOVED,
            reason=reason,
            first_due_at=self.first_due_at or self.due_at,
            reminded_at=None,
        )


def when_text(due: datetime, now: datetime) -> str:
    """`15:30`, `tomorrow 10:00`, `Fri 09:00` or `3 Dec 09:00`, in local time; `overdue` if past."""
    local, today = due.astimezone(), now.astimezone()
    days = (local.date() - today.date()).days
    clock = f"{local:%H:%M}"
    if days == 0:
        text = clock
    elif days == 1:
        text = f"tomorrow {clock}"
    elif 1 < days < 7:
        text = f"{local:%a} {clock}"
    else:
        text = f"{local:%-d %b} {clock}"
    return f"{text} (overdue)" if due < now else text


def next_due(promises: list[Promise]) -> Promise | None:
    """The open promise due first."""
    open_ones = [promise for promise in promises if promise.is_open]
    return min(open_ones, key=lambda promise: (promise.due_at, promise.id), default=None)
