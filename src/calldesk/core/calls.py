"""Calls and their timestamped note entries: the record an agent keeps while talking."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum


class Outcome(StrEnum):
    """How the agent says the call went; bad and abusive calls bring up the cooldown."""

    FINE = "fine"
    BAD = "bad"
    ABUSIVE = "abusive"

    @property
    def wants_cooldown(self) -> bool:
        return self is not Outcome.FINE


@dataclass(slots=True)
class NoteEntry:
    """One timestamped entry in a call's notes; `text` may span several lines."""

    id: int
    call_id: int
    created_at: datetime
    text: str
    edited_at: datetime | None = None


@dataclass(slots=True)
class Call:
    """A call record: who rang, when, what was noted, and how it went."""

    id: int
    started_at: datetime
    ended_at: datetime | None = None
    caller_name: str = ""
    caller_number: str = ""
    ticket: str = ""
    outcome: Outcome | None = None
    outcome_reason: str = ""
    draft: str = ""
    """The note being typed and not yet entered; saved too, so a crash cannot lose it."""
    tags: list[str] = field(default_factory=list)
    notes: list[NoteEntry] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        return self.ended_at is None

    def duration(self, now: datetime) -> timedelta:
        return (self.ended_at or now) - self.started_at

    def display_caller(self) -> str:
        return self.caller_name or self.caller_number or "unknown caller"


def format_duration(span: timedelta) -> str:
    """`4:07` or `1:02:33`, as a call timer shows it."""
    total = max(0, int(span.total_seconds()))
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{seconds:02d}"
    return f"{minutes}:{seconds:02d}"
