"""Injected time: the real clock for the app, a settable one for tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Anything that can tell the current time as an aware UTC datetime, and measure time."""

    def now(self) -> datetime: ...

    def monotonic(self) -> float:
        """Seconds from an arbitrary start, never stepped with the wall clock."""
        ...


class SystemClock:
    """The wall clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()


class FakeClock:
    """A clock that only moves when told to, so tests never sleep."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
        self._monotonic = 1000.0

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._monotonic

    def advance(self, seconds: float = 0, **kwargs: float) -> datetime:
        """Time passes: the wall and the monotonic clock both move on."""
        step = timedelta(seconds=seconds, **kwargs)
        self._now += step
        self._monotonic += step.total_seconds()
        return self._now

    def step(self, seconds: float = 0, **kwargs: float) -> datetime:
        """The wall clock is set (by hand, NTP, a resumed laptop); no time passes."""
        self._now += timedelta(seconds=seconds, **kwargs)
        return self._now

    def set(self, when: datetime) -> None:
        """Set the wall clock; no time passes on the monotonic clock."""
        self._now = when


def steady(clock: Clock) -> Callable[[], datetime]:
    """A `now` that reads the wall clock once, then moves on with the monotonic clock.

    For timing a break: a clock stepped back an hour must not lengthen it, and one stepped
    forward must not complete it. The times it gives stay wall times for the record (they
    start from the wall clock's reading when `steady` was called).
    """
    wall, start = clock.now(), clock.monotonic()
    return lambda: wall + timedelta(seconds=clock.monotonic() - start)


def to_iso(when: datetime) -> str:
    """Serialise an aware datetime for storage (UTC, ISO 8601, microseconds kept)."""
    return when.astimezone(UTC).isoformat()


def from_iso(text: str) -> datetime:
    """Parse what `to_iso` wrote; naive values are taken as UTC."""
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
