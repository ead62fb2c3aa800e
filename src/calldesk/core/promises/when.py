"""Due times as agents write them ("15:30", "tomorrow 10am", "in 2h", "Friday"), from a now."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo

DEFAULT_HOUR = 9
"""A day named without a time ("tomorrow", "Friday") means the start of that working day."""
MAX_AHEAD = timedelta(days=366)
"""Further ahead than this is a typo ("in 3000 days"), not a promise."""
MAX_WORDS = 4
"""The longest due time looked for at the start of a promise: "next friday at 10am"."""

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_UNITS = {
    "m": 60,
    "min": 60,
    "mins": 60,
    "minute": 60,
    "minutes": 60,
    "h": 3600,
    "hr": 3600,
    "hrs": 3600,
    "hour": 3600,
    "hours": 3600,
    "d": 86400,
    "day": 86400,
    "days": 86400,
}
_CLOCK = re.compile(r"(?P<h>\d{1,2})(?:[:.](?P<m>\d{2}))?\s*(?P<ampm>am|pm|a\.m\.|p\.m\.)?")
_SPAN = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]+)")
_HALF_HOUR = re.compile(r"(?:half an?|an?)\s+hour")


class DueError(ValueError):
    """Text that is not a due time calldesk understands; the message says what would be."""


HINT = 'write a time like "15:30", "3pm", "in 2h", "in 20 minutes", "tomorrow 10am" or "Friday"'


def clock_time(text: str) -> time | None:
    """`17:30` or `5pm` as a time of day (for settings); None if it is not one."""
    return _clock_time(" ".join(text.lower().split()))


def _clock_time(text: str) -> time | None:
    """`15:30`, `15.30`, `9`, `10am`, `3:15 pm` as a time of day; None if it is not one."""
    match = _CLOCK.fullmatch(text)
    if match is None:
        return None
    hour, minute = int(match["h"]), int(match["m"] or 0)
    ampm = (match["ampm"] or "").replace(".", "")
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    elif match["m"] is None:
        return None  # a bare number ("2") is too ambiguous to be a time
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def _span(text: str) -> timedelta | None:
    """`2h`, `2 hours`, `90 min`, `1h30`, `half an hour` as a length of time."""
    if _HALF_HOUR.fullmatch(text):
        return timedelta(minutes=30 if text.startswith("half") else 60)
    compact = re.fullmatch(r"(\d+)h(\d{2})", text)
    if compact:
        return timedelta(hours=int(compact[1]), minutes=int(compact[2]))
    total = 0.0
    position = 0
    for match in _SPAN.finditer(text):
        if text[position : match.start()].strip(" ,") not in ("", "and"):
            return None
        unit = _UNITS.get(match[2])
        if unit is None:
            return None
        total += float(match[1]) * unit
        position = match.end()
    if position == 0 or text[position:].strip():
        return None
    # Capped: "in 99999999999 days" is refused as too far ahead, not an overflow.
    return timedelta(seconds=min(total, (MAX_AHEAD * 2).total_seconds())) if total > 0 else None


def _day(text: str, today: datetime) -> datetime | None:
    """`today`, `tomorrow`, `friday`, `fri`, `next friday` as a date (at midnight, local)."""
    if text in ("today", "tonight"):
        return today
    if text in ("tomorrow", "tmrw", "tmr"):
        return today + timedelta(days=1)
    name = text.removeprefix("on ").removeprefix("next ").strip()
    for index, weekday in enumerate(WEEKDAYS):
        if len(name) >= 3 and weekday.startswith(name):
            ahead = (index - today.weekday()) % 7 or 7  # "Friday" on a Friday is next week's
            return today + timedelta(days=ahead)
    return None


def parse_due(text: str, now: datetime, tz: tzinfo | None = None) -> datetime:
    """When `text` falls due, seen from `now` in the agent's zone `tz` (None: the system's).

    A time of day already past today means tomorrow. Raises `DueError` if `text` is not a
    due time. The answer is aware, in `tz`.
    """
    words = " ".join(text.lower().replace(",", " ").split())
    if not words:
        raise DueError(f"no due time given: {HINT}")
    try:
        local_now = now.astimezone(tz)
        due = _parse(words, local_now)
    except OverflowError:  # a day past the year 9999
        due = None
    if due is None:
        raise DueError(f"cannot read {text.strip()!r} as a due time: {HINT}")
    if due - local_now > MAX_AHEAD:
        raise DueError(f"{text.strip()!r} is more than a year away: {HINT}")
    return due


def _parse(words: str, now: datetime) -> datetime | None:
    if words in ("now", "asap"):
        return now
    rest = words.removeprefix("in ").strip()
    if rest != words or _span(words) is not None:
        span = _span(rest)
        return None if span is None else now + span
    for joint in (" at ", " by ", " "):
        head, sep, tail = words.partition(joint)
        if not sep:
            continue
        day = _day(head, _midnight(now))
        at = _clock_time(tail.removeprefix("at ").removeprefix("by ").strip())
        if day is not None and at is not None:
            return _at(day, at)
        at = _clock_time(head)
        day = _day(tail, _midnight(now))
        if day is not None and at is not None:  # "10am tomorrow"
            return _at(day, at)
    day = _day(words, _midnight(now))
    if day is not None:
        if words in ("today", "tonight"):
            return _at(day, time(17 if words == "today" else 20, 0))
        return _at(day, time(DEFAULT_HOUR, 0))
    at = _clock_time(words.removeprefix("at ").removeprefix("by "))
    if at is not None:
        due = _at(_midnight(now), at)
        return due if due > now else _at(_midnight(now) + timedelta(days=1), at)
    return None


def _midnight(now: datetime) -> datetime:
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def _at(day: datetime, at: time) -> datetime:
    # Through a naive date and back: a daylight-saving change between now and then is honoured.
    naive = datetime.combine(day.date(), at)
    return naive.replace(tzinfo=day.tzinfo) if day.tzinfo is not None else naive


@dataclass(frozen=True, slots=True)
class PromiseText:
    """What `/promise ...` said: when it is due, what is promised, and the words for the time."""

    due: datetime
    what: str
    when_text: str


PROMISE_COMMAND = "/promise"


def is_promise_note(text: str) -> bool:
    """Whether a note is a `/promise ...` line (the command opens the note)."""
    head = text.lstrip().split(maxsplit=1)
    return bool(head) and head[0].lower() == PROMISE_COMMAND


_TIME_WORDS = frozenset(
    {
        *WEEKDAYS,
        *(day[:3] for day in WEEKDAYS),
        *_UNITS,
        "today",
        "tonight",
        "tomorrow",
        "tmrw",
        "tmr",
        "yesterday",
        "now",
        "asap",
        "in",
        "at",
        "by",
        "on",
        "next",
        "am",
        "pm",
        "a.m.",
        "p.m.",
    }
)


def _is_time_word(word: str) -> bool:
    """Whether `word` looks like part of a due time, read or not ("25:99", "yesterday")."""
    word = word.lower().strip(",")
    return word in _TIME_WORDS or any(char.isdigit() for char in word)


def promise_what(text: str) -> str:
    """What a note promises when its due time could not be read: the note without the
    `/promise` command and the words that look like the time (at its start, else its end).

    `/promise yesterday x` promises "x". A note with nothing but time words keeps them, and
    any other note is promised whole.
    """
    body = text.strip()
    if not is_promise_note(body):
        return body
    body = body.split(maxsplit=1)[1] if len(body.split(maxsplit=1)) > 1 else ""
    words = body.split()
    start = 0
    while start < min(MAX_WORDS, len(words) - 1) and _is_time_word(words[start]):
        start += 1
    end = len(words)
    if not start:
        while end > max(1, len(words) - MAX_WORDS) and _is_time_word(words[end - 1]):
            end -= 1
    return " ".join(words[start:end]) or body


def split_promise(text: str, now: datetime, tz: tzinfo | None = None) -> PromiseText:
    """The due time and the promise in `15:30 call back about the RMA` (or with the time last).

    The longest run of words at the start that reads as a due time wins; failing that, at the
    end ("call back tomorrow 10am"). `/promise` at the start is dropped. Raises `DueError`.
    """
    body = text.strip()
    if is_promise_note(body):
        body = body.split(maxsplit=1)[1] if len(body.split(maxsplit=1)) > 1 else ""
    words = body.split()
    if not words:
        raise DueError(f"say when and what, e.g. '/promise 15:30 call back about the RMA': {HINT}")
    for count in range(min(MAX_WORDS, len(words)), 0, -1):
        head, tail = words[:count], words[count:]
        try:
            due = parse_due(" ".join(head), now, tz)
        except DueError:
            pass
        else:
            if tail:
                return PromiseText(due, " ".join(tail), " ".join(head))
        head, tail = words[-count:], words[:-count]
        if tail and tail[-1].lower() in ("at", "by", "in", "on"):
            head, tail = [tail[-1], *head], tail[:-1]
        try:
            due = parse_due(" ".join(head), now, tz)
        except DueError:
            continue
        if tail:
            return PromiseText(due, " ".join(tail), " ".join(head))
    raise DueError(
        f"no due time in {body!r}: start with when, e.g. '/promise 15:30 call back'; {HINT}"
    )
