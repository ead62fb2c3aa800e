"""The break after a bad call: offered, snoozed, taken or skipped, timed from stored timestamps."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, tzinfo
from enum import StrEnum

from calldesk.core.calls.model import Outcome


@dataclass(frozen=True, slots=True)
class BreakRules:
    """How long breaks are and how they may be put off (the edge fills it from the settings)."""

    minutes: float = 5.0
    snooze_minutes: float = 2.0
    max_snoozes: int = 2
    bad_streak: int = 3
    long_minutes: float = 15.0


class Phase(StrEnum):
    OFFERED = "offered"
    RUNNING = "running"
    SNOOZED = "snoozed"
    DONE = "done"
    SKIPPED = "skipped"

    @property
    def is_active(self) -> bool:
        """Still waiting for the agent: offered, snoozed or counting down."""
        return self in (Phase.OFFERED, Phase.RUNNING, Phase.SNOOZED)


class CooldownError(ValueError):
    """A step that makes no sense for the break as it stands; the message says why."""


class SnoozeRefused(CooldownError):
    """Every snooze has been used: the break must now be taken or skipped."""


COOLDOWN_MESSAGES: Mapping[str, str] = {
    "offer": "Rough one. Take a few minutes before the next call.",
    "not_about_you": "That call was not about you. You were just the voice that picked up.",
    "the_problem": "They were angry at the problem, not at you. You were the one fixing it.",
    "step_away": "Get out of the queue. Stand up, breathe out slowly, get a glass of water.",
    "long_break": (
        "That's a run of hard calls. Take a proper break away from the desk; the queue can wait."
    ),
    "snooze_refused": "You've put this off as long as you can. Take the break now, or skip it.",
    "done": "Welcome back. The next caller gets a fresh start, and so do you.",
}


@dataclass(frozen=True, slots=True)
class CooldownState:
    """One break as it stands; every step returns a new state, so it can be stored and resumed.

    Times are aware datetimes; the remaining time is always worked out from `started_at`, so a
    break survives a restart of calldesk with the right time left.
    """

    id: int | None
    call_id: int | None
    duration_s: float
    state: Phase
    offered_at: datetime
    started_at: datetime | None = None
    snoozed_until: datetime | None = None
    snoozes_used: int = 0
    ended_at: datetime | None = None
    long_break: bool = False
    snooze_s: float = 120.0
    max_snoozes: int = 2

    @property
    def duration(self) -> timedelta:
        return timedelta(seconds=self.duration_s)

    @property
    def can_snooze(self) -> bool:
        return self.state in (Phase.OFFERED, Phase.SNOOZED) and self.snoozes_used < self.max_snoozes

    def start(self, now: datetime) -> CooldownState:
        """Begin the countdown (from an offer or a snooze)."""
        if self.state is Phase.RUNNING:
            return self
        if self.state not in (Phase.OFFERED, Phase.SNOOZED):
            raise CooldownError(f"This break is already {self.state}; it cannot be started.")
        return replace(self, state=Phase.RUNNING, started_at=now, snoozed_until=None)

    def snooze(self, now: datetime) -> CooldownState:
        """Put the break off for `snooze_s`; raises `SnoozeRefused` once the snoozes are used up."""
        if self.state not in (Phase.OFFERED, Phase.SNOOZED):
            raise CooldownError(f"A break that is {self.state} cannot be snoozed.")
        if self.snoozes_used >= self.max_snoozes:
            raise SnoozeRefused(COOLDOWN_MESSAGES["snooze_refused"])
        return replace(
            self,
            state=Phase.SNOOZED,
            snoozed_until=now + timedelta(seconds=self.snooze_s),
            snoozes_used=self.snoozes_used + 1,
        )

    def skip(self, now: datetime) -> CooldownState:
        """Decline the break (or stop a running one); it counts as skipped."""
        if not self.state.is_active:
            raise CooldownError(f"This break is already {self.state}.")
        return replace(self, state=Phase.SKIPPED, ended_at=now, snoozed_until=None)

    def finish(self, now: datetime) -> CooldownState:
        """End a running break; ended early it still counts as taken."""
        if self.state is not Phase.RUNNING or self.started_at is None:
            raise CooldownError(
                f"Only a running break can be finished, not one that is {self.state}."
            )
        # Coming back to calldesk long after the break ran out should not record a longer rest.
        return replace(self, state=Phase.DONE, ended_at=min(now, self.started_at + self.duration))

    def remaining(self, now: datetime) -> timedelta:
        """Time left on the break: all of it until started, none once over."""
        if self.state in (Phase.OFFERED, Phase.SNOOZED):
            return self.duration
        if self.state is Phase.RUNNING and self.started_at is not None:
            return max(timedelta(0), self.started_at + self.duration - now)
        return timedelta(0)

    def is_finished(self, now: datetime) -> bool:
        """Over, whether ended by the agent or run out."""
        if self.state is Phase.RUNNING:
            return self.remaining(now) <= timedelta(0)
        return not self.state.is_active

    def is_due(self, now: datetime) -> bool:
        """Should the offer be on screen now: offered, or snoozed and the snooze is over."""
        if self.state is Phase.OFFERED:
            return True
        return (
            self.state is Phase.SNOOZED
            and self.snoozed_until is not None
            and now >= self.snoozed_until
        )


def bad_streak_length(outcomes_newest_first: Iterable[Outcome]) -> int:
    """How many of the most recent calls in a row went badly."""
    count = 0
    for outcome in outcomes_newest_first:
        if not outcome.wants_cooldown:
            break
        count += 1
    return count


def offer(
    call_id: int | None,
    rules: BreakRules,
    recent_outcomes: Sequence[Outcome],
    now: datetime,
) -> CooldownState:
    """Offer a break after `call_id`; a longer one when the last calls were all bad.

    `recent_outcomes` is newest first and includes the call just ended.
    """
    long_break = bad_streak_length(recent_outcomes) >= rules.bad_streak
    minutes = rules.long_minutes if long_break else rules.minutes
    return CooldownState(
        id=None,
        call_id=call_id,
        duration_s=minutes * 60,
        state=Phase.OFFERED,
        offered_at=now,
        long_break=long_break,
        snooze_s=rules.snooze_minutes * 60,
        max_snoozes=rules.max_snoozes,
    )


def message_lines(state: CooldownState) -> list[str]:
    """The words to show with a break offer, in order."""
    if state.long_break:
        return [COOLDOWN_MESSAGES["long_break"], COOLDOWN_MESSAGES["not_about_you"]]
    return [
        COOLDOWN_MESSAGES["offer"],
        COOLDOWN_MESSAGES["not_about_you"],
        COOLDOWN_MESSAGES["the_problem"],
        COOLDOWN_MESSAGES["step_away"],
    ]


@dataclass(frozen=True, slots=True)
class DaySummary:
    """Breaks offered on one day and what became of them."""

    day: date
    taken: int = 0
    skipped: int = 0
    pending: int = 0
    long_breaks: int = 0
    rested: timedelta = timedelta(0)


def day_summary(states: Iterable[CooldownState], day: date, tz: tzinfo) -> DaySummary:
    """Count the breaks offered on `day` (as the agent's clock in `tz` sees it)."""
    taken = skipped = pending = long_breaks = 0
    rested = timedelta(0)
    for state in states:
        if state.offered_at.astimezone(tz).date() != day:
            continue
        long_breaks += state.long_break
        if state.state is Phase.DONE:
            taken += 1
            if state.started_at is not None and state.ended_at is not None:
                rested += state.ended_at - state.started_at
        elif state.state is Phase.SKIPPED:
            skipped += 1
        else:
            pending += 1
    return DaySummary(day, taken, skipped, pending, long_breaks, rested)
