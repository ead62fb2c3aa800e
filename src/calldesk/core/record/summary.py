"""The agent's record gathered by period: calls, fixes, promises, breaks and practice."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING

from calldesk.core.aftercall import records as aftercall_records
from calldesk.core.aftercall.cooldown import Phase
from calldesk.core.aftercall.records import FixStatus, PermanentFix
from calldesk.core.calls import history as call_history
from calldesk.core.calls.model import Outcome
from calldesk.core.practice import records as practice_records
from calldesk.core.promises.model import Promise, PromiseState
from calldesk.core.promises.records import list_promises

if TYPE_CHECKING:
    from calldesk.core.db.database import Database


@dataclass
class Period:
    """One week or month of the agent's work; `label` is `2026-W48` or `2026-11`."""

    label: str
    start: date
    calls: int = 0
    missed: int = 0
    bad_calls: int = 0
    """Calls marked bad or abusive: weathered, whatever the caller did."""
    breaks_taken: int = 0
    breaks_skipped: int = 0
    fixes_filed: int = 0
    fixes_closed: int = 0
    promises_made: int = 0
    promises_kept_on_time: int = 0
    promises_kept_late: int = 0
    promises_dropped: int = 0
    fans: int = 0
    """Calls the agent marked as a fan moment."""
    reviews: int = 0
    """Practice grades given."""
    phrases_started: int = 0
    """Phrases practised for the first time."""


@dataclass
class AgentRecord:
    """The whole record since a day, by week and by month, with the fixes behind the counts."""

    since: date
    until: date
    weeks: list[Period] = field(default_factory=list)
    months: list[Period] = field(default_factory=list)
    fixes: list[PermanentFix] = field(default_factory=list)
    """Permanent fixes filed in the time, oldest first, each with the call it came from."""
    promises: list[Promise] = field(default_factory=list)
    fan_calls: list[tuple[int, datetime]] = field(default_factory=list)
    """(call id, when marked) of each fan moment in the time, oldest first."""
    learned: int = 0
    """Phrases known by heart now (practice)."""

    def total(self, name: str) -> int:
        return sum(getattr(period, name) for period in self.months)


def week_label(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _periods(since: date, until: date) -> tuple[dict[str, Period], dict[str, Period]]:
    weeks: dict[str, Period] = {}
    months: dict[str, Period] = {}
    day = _week_start(since)
    while day <= until:
        weeks[week_label(day)] = Period(week_label(day), day)
        day += timedelta(days=7)
    day = since.replace(day=1)
    while day <= until:
        months[f"{day:%Y-%m}"] = Period(f"{day:%Y-%m}", day)
        day = (day + timedelta(days=32)).replace(day=1)
    return weeks, months


def build_agent_record(
    db: Database,
    since: date,
    now: datetime,
    tz: tzinfo | None = None,
    learned: int = 0,
) -> AgentRecord:
    """The agent's record from `since` (a local day) up to `now`, in the zone `tz`."""
    until = now.astimezone(tz).date()
    midnight = datetime.combine(since, time(0))
    start = midnight.replace(tzinfo=tz) if tz is not None else midnight.astimezone()
    weeks, months = _periods(since, until)

    def bump(when: datetime | None, name: str) -> None:
        if when is None:
            return
        day = when.astimezone(tz).date()
        if not since <= day <= until:
            return
        for period in (weeks.get(week_label(day)), months.get(f"{day:%Y-%m}")):
            if period is not None:
                setattr(period, name, getattr(period, name) + 1)

    fan_calls: list[tuple[int, datetime]] = []
    for call in call_history.iter_calls(db, since=start):
        if call.missed:
            bump(call.started_at, "missed")
            continue
        bump(call.started_at, "calls")
        if call.fan_at is not None:
            bump(call.fan_at, "fans")
            fan_calls.append((call.id, call.fan_at))
        if call.outcome in (Outcome.BAD, Outcome.ABUSIVE):
            bump(call.started_at, "bad_calls")
    for state in aftercall_records.cooldowns_between(db, start, now + timedelta(days=1)):
        if state.state is Phase.DONE:
            bump(state.offered_at, "breaks_taken")
        elif state.state is Phase.SKIPPED:
            bump(state.offered_at, "breaks_skipped")
    fixes = [
        fix for fix in aftercall_records.list_fixes(db, status=None) if fix.call_started_at >= start
    ]
    for fix in fixes:
        bump(fix.call_started_at, "fixes_filed")
        if fix.status is FixStatus.DONE:
            bump(fix.updated_at, "fixes_closed")
    promises = list_promises(db, since=start)
    for promise in promises:
        bump(promise.made_at, "promises_made")
        if promise.state is PromiseState.KEPT:
            name = "promises_kept_on_time" if promise.kept_on_time else "promises_kept_late"
            bump(promise.closed_at, name)
        elif promise.state is PromiseState.DROPPED:
            bump(promise.closed_at, "promises_dropped")
    for review in practice_records.practice_reviews(db):
        bump(review.reviewed_at, "reviews")
        if review.introduced:
            bump(review.reviewed_at, "phrases_started")
    return AgentRecord(
        since=since,
        until=until,
        weeks=list(weeks.values()),
        months=list(months.values()),
        fixes=sorted(fixes, key=lambda fix: (fix.call_started_at, fix.id)),
        promises=promises,
        fan_calls=sorted(fan_calls, key=lambda fan: (fan[1], fan[0])),
        learned=learned,
    )
