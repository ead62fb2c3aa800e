"""Calls and their timestamped note entries: the record an agent keeps while talking."""

from __future__ import annotations

import re
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


def display_caller(name: str, number: str) -> str:
    """How a caller is named on screen and in lists: the name, else the number."""
    return name or number or "unknown caller"


@dataclass(slots=True)
class CallFacts:
    """What every view of a call knows: who rang, when, and how it went."""

    id: int
    started_at: datetime
    ended_at: datetime | None = None
    caller_name: str = ""
    caller_number: str = ""
    ticket: str = ""
    outcome: Outcome | None = None
    tags: list[str] = field(default_factory=list)
    answered_at: datetime | None = None
    """When the call was answered; None while it rings, and for a missed call."""
    missed: bool = False
    """The caller gave up while it rang: a missed call, with no outcome and no checklist."""
    fan_at: datetime | None = None
    """When the agent marked the call a fan moment (the caller left happier than they came);
    None when not marked. Counted in My record."""

    @property
    def is_open(self) -> bool:
        return self.ended_at is None

    def duration(self, now: datetime) -> timedelta:
        return (self.ended_at or now) - self.started_at

    def display_caller(self) -> str:
        return display_caller(self.caller_name, self.caller_number)


@dataclass(slots=True)
class Call(CallFacts):
    """A call record: who rang, when, what was noted, and how it went."""

    outcome_reason: str = ""
    draft: str = ""
    """The note being typed and not yet entered; saved too, so a crash cannot lose it."""
    notes: list[NoteEntry] = field(default_factory=list)


def format_duration(span: timedelta) -> str:
    """`4:07` or `1:02:33`, as a call timer shows it."""
    total = max(0, int(span.total_seconds()))
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{seconds:02d}"
    return f"{minutes}:{seconds:02d}"


@dataclass(slots=True)
class CallSummary(CallFacts):
    """What a history list shows of a call, without loading every note."""

    note_count: int = 0
    first_note: str = ""
    """The start of the first note (at most 200 characters), for a one-line preview."""


_SCHEME = re.compile(r"^(?:sips?|tel):", re.IGNORECASE)
_NUMBER_NOISE = re.compile(r"[\s\-.()]")
_DIGIT = re.compile(r"\d")

WITHHELD = frozenset(
    ["anonymous", "unknown", "unavailable", "restricted", "private", "withheld", "blocked"]
)
"""What phones and exchanges send instead of a number when the caller hides it (any case)."""
ANONYMOUS_HOST = "anonymous.invalid"
"""The host RFC 3323 gives an anonymous caller's address: nobody in particular."""


def is_withheld(user: str) -> bool:
    """Whether `user` (a number or the user part of a SIP address) is a word for "no number"."""
    return _NUMBER_NOISE.sub("", user).casefold() in WITHHELD


def normalise_number(number: str) -> str:
    """The comparable core of a phone number or SIP address, for finding earlier calls.

    `"Ann" <sip:+44 (151) 234-5678@pbx;user=phone>` and `0044151 234 5678` both become
    `441512345678`. A national number keeps its leading 0: without knowing the caller's country
    it cannot be turned into an international one safely. A named SIP user keeps its host
    (`alice@pbx.example`), since the name alone is only unique there.

    "" means the caller cannot be told apart from others: nothing given, a withheld number
    (`anonymous`, `sip:anonymous@anonymous.invalid`, `Restricted`, ...), or a bare word or
    sign with no digit in it (`+`, `Private Number`). Such a caller is never looked up and
    never matched with another.
    """
    text = number.strip()
    if "<" in text and ">" in text:
        # A display name may precede the address; only the address identifies the caller.
        text = text[text.index("<") + 1 : text.rindex(">")]
    text = _SCHEME.sub("", text.strip())
    text = text.split(";", 1)[0].split("?", 1)[0]
    user, at_sign, host = text.partition("@")
    user = user.split(":", 1)[0]  # `user:password@host`
    host = host.split(":", 1)[0].strip().casefold()
    if is_withheld(user) or host == ANONYMOUS_HOST:
        return ""
    digits = _NUMBER_NOISE.sub("", user).removeprefix("+")
    if not _DIGIT.search(digits):
        named = user.strip().casefold()
        return f"{named}@{host}" if named and at_sign and host and " " not in named else ""
    if digits.startswith("00"):
        digits = digits[2:]
    return digits
