"""The break after a bad call: offer, countdown, snooze, skip, long break, restart, day summary."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from calldesk.core.aftercall import records as aftercall_records
from calldesk.core.aftercall.cooldown import (
    COOLDOWN_MESSAGES,
    BreakRules,
    CooldownError,
    CooldownState,
    Phase,
    SnoozeRefused,
    bad_streak_length,
    day_summary,
    message_lines,
    offer,
)
from calldesk.core.calls import history as call_history
from calldesk.core.calls import records as call_records
from calldesk.core.calls.model import Outcome
from calldesk.core.clock import FakeClock
from calldesk.core.storage import Database

SETTINGS = BreakRules(minutes=5, snooze_minutes=2, max_snoozes=2, bad_streak=3, long_minutes=15)
BAD, ABUSIVE, FINE = Outcome.BAD, Outcome.ABUSIVE, Outcome.FINE


def offered(clock: FakeClock, outcomes: list[Outcome] | None = None) -> CooldownState:
    return offer(7, SETTINGS, outcomes or [BAD], clock.now())


@pytest.mark.parametrize(
    ("outcomes", "expected"),
    [
        ([], 0),
        ([FINE, BAD, BAD], 0),
        ([BAD], 1),
        ([ABUSIVE, BAD, FINE, BAD], 2),
        ([BAD, ABUSIVE, BAD, BAD], 4),
    ],
)
def test_bad_streak_length(outcomes: list[Outcome], expected: int) -> None:
    assert bad_streak_length(outcomes) == expected


def test_offer_after_one_bad_call(clock: FakeClock) -> None:
    state = offer(7, SETTINGS, [BAD, FINE, BAD, BAD], clock.now())
    assert state.state is Phase.OFFERED
    assert (state.call_id, state.id) == (7, None)
    assert state.duration == timedelta(minutes=5)
    assert not state.long_break
    assert state.offered_at == clock.now()
    assert state.remaining(clock.now()) == timedelta(minutes=5)
    assert state.is_due(clock.now())
    assert not state.is_finished(clock.now())


def test_long_break_after_a_bad_streak(clock: FakeClock) -> None:
    state = offer(7, SETTINGS, [ABUSIVE, BAD, BAD, FINE], clock.now())
    assert state.long_break
    assert state.duration == timedelta(minutes=15)
    assert COOLDOWN_MESSAGES["long_break"] in message_lines(state)


def test_countdown_runs_on_the_injected_clock(clock: FakeClock) -> None:
    state = offered(clock).start(clock.now())
    started = clock.now()
    assert state.state is Phase.RUNNING and state.started_at == started
    clock.advance(minutes=1, seconds=30)
    assert state.remaining(clock.now()) == timedelta(minutes=3, seconds=30)
    assert not state.is_finished(clock.now())
    clock.advance(minutes=3, seconds=30)
    assert state.remaining(clock.now()) == timedelta(0)
    assert state.is_finished(clock.now())
    clock.advance(minutes=10)  # came back late: nothing negative, rest recorded as 5 minutes
    assert state.remaining(clock.now()) == timedelta(0)
    done = state.finish(clock.now())
    assert done.state is Phase.DONE
    assert done.ended_at == started + timedelta(minutes=5)
    assert done.is_finished(clock.now())
    assert state.start(clock.now()) is state  # starting a running break changes nothing


def test_finishing_early_still_counts_as_taken(clock: FakeClock) -> None:
    state = offered(clock).start(clock.now())
    clock.advance(minutes=2)
    done = state.finish(clock.now())
    assert done.state is Phase.DONE and done.ended_at == clock.now()
    assert done.remaining(clock.now()) == timedelta(0)


def test_snooze_puts_the_offer_off_and_runs_out(clock: FakeClock) -> None:
    state = offered(clock)
    assert state.can_snooze
    state = state.snooze(clock.now())
    assert state.state is Phase.SNOOZED
    assert state.snoozed_until == clock.now() + timedelta(minutes=2)
    assert state.snoozes_used == 1
    assert not state.is_due(clock.now() + timedelta(minutes=1, seconds=59))
    clock.advance(minutes=2)
    assert state.is_due(clock.now())
    assert state.remaining(clock.now()) == timedelta(minutes=5)  # not started yet
    state = state.snooze(clock.now())
    assert state.snoozes_used == 2
    assert not state.can_snooze
    with pytest.raises(SnoozeRefused) as refused:
        state.snooze(clock.now())
    assert str(refused.value) == COOLDOWN_MESSAGES["snooze_refused"]
    running = state.start(clock.now())
    assert running.state is Phase.RUNNING and running.snoozed_until is None
    assert running.remaining(clock.now()) == timedelta(minutes=5)


def test_skip(clock: FakeClock) -> None:
    skipped = offered(clock).skip(clock.now())
    assert skipped.state is Phase.SKIPPED and skipped.ended_at == clock.now()
    assert skipped.is_finished(clock.now())
    assert skipped.remaining(clock.now()) == timedelta(0)
    running = offered(clock).start(clock.now())
    clock.advance(60)
    assert running.skip(clock.now()).state is Phase.SKIPPED


def test_steps_that_make_no_sense_are_refused(clock: FakeClock) -> None:
    now = clock.now()
    done = offered(clock).start(now).finish(now)
    skipped = offered(clock).skip(now)
    running = offered(clock).start(now)
    for step in (
        lambda: done.start(now),
        lambda: done.skip(now),
        lambda: skipped.snooze(now),
        lambda: running.snooze(now),
        lambda: offered(clock).finish(now),
    ):
        with pytest.raises(CooldownError):
            step()


def test_a_running_break_resumes_after_restart(tmp_path: Path, clock: FakeClock) -> None:
    db_path = tmp_path / "data" / "calldesk.db"
    with Database.open(db_path, clock) as store:
        call = call_records.start_call(store)
        call_records.set_outcome(store, call.id, Outcome.ABUSIVE)
        state = offer(
            call.id, SETTINGS, call_history.recent_outcomes(store, SETTINGS.bad_streak), clock.now()
        )
        state = aftercall_records.save_cooldown(store, state)
        assert state.id is not None
        clock.advance(30)
        state = aftercall_records.save_cooldown(store, state.snooze(clock.now()))
        clock.advance(minutes=2)
        state = aftercall_records.save_cooldown(store, state.start(clock.now()))
        clock.advance(minutes=1)
    clock.advance(minutes=1)  # calldesk was closed for a minute mid-break
    with Database.open(db_path, clock) as store:
        resumed = aftercall_records.active_cooldown(store)
        assert resumed == state
        assert resumed is not None
        assert resumed.remaining(clock.now()) == timedelta(minutes=3)
        assert resumed.snoozes_used == 1 and resumed.snooze_s == 120 and resumed.max_snoozes == 2
        clock.advance(minutes=3)
        assert resumed.is_finished(clock.now())
        aftercall_records.save_cooldown(store, resumed.finish(clock.now()))
        assert aftercall_records.active_cooldown(store) is None


def test_store_keeps_every_break_and_lists_them_by_time(tmp_path: Path, clock: FakeClock) -> None:
    with Database.open(tmp_path / "calldesk.db", clock) as store:
        start = clock.now()
        first = aftercall_records.save_cooldown(
            store, offer(None, SETTINGS, [BAD], clock.now()).skip(clock.now())
        )
        clock.advance(hours=1)
        second = aftercall_records.save_cooldown(
            store, offer(None, SETTINGS, [BAD, BAD, BAD], clock.now())
        )
        assert second.long_break
        assert aftercall_records.active_cooldown(store) == second
        assert aftercall_records.cooldowns_between(store, start, start + timedelta(hours=2)) == [
            first,
            second,
        ]
        assert (
            aftercall_records.cooldowns_between(store, start + timedelta(minutes=1), clock.now())
            == []
        )


def test_day_summary_counts_the_agents_day(clock: FakeClock) -> None:
    plus_two = timezone(timedelta(hours=2))
    clock.set(datetime(2026, 11, 24, 8, 0, tzinfo=UTC))
    taken = offered(clock).start(clock.now())
    clock.advance(minutes=4)
    taken = taken.finish(clock.now())
    skipped = offered(clock).skip(clock.now())
    long_pending = offer(7, SETTINGS, [BAD, BAD, BAD], clock.now())
    clock.set(datetime(2026, 11, 24, 22, 30, tzinfo=UTC))  # already the 25th at UTC+2
    late = offered(clock).skip(clock.now())
    states = [taken, skipped, long_pending, late]
    summary = day_summary(states, date(2026, 11, 24), plus_two)
    assert (summary.taken, summary.skipped, summary.pending, summary.long_breaks) == (1, 1, 1, 1)
    assert summary.rested == timedelta(minutes=4)
    assert day_summary(states, date(2026, 11, 25), plus_two).skipped == 1
    assert day_summary(states, date(2026, 11, 24), UTC).skipped == 2


def test_messages_cover_what_the_agent_needs_to_hear(clock: FakeClock) -> None:
    short = message_lines(offered(clock))
    assert COOLDOWN_MESSAGES["not_about_you"] in short
    assert COOLDOWN_MESSAGES["the_problem"] in short
    assert COOLDOWN_MESSAGES["step_away"] in short
    assert COOLDOWN_MESSAGES["long_break"] not in short
    assert all(0 < len(line) <= 120 for line in COOLDOWN_MESSAGES.values())  # fits a small box


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("duration_s", 6e13, {"duration_s": 480 * 60}),  # 1e12 minutes, from an old config
        ("duration_s", float("inf"), {"duration_s": 300}),
        ("duration_s", -60, {"duration_s": 300}),
        ("snooze_s", float("inf"), {"snooze_s": 120}),
        ("max_snoozes", 10**12, {"max_snoozes": 2}),
        ("snoozes_used", -4, {"snoozes_used": 0}),
    ],
)
def test_a_stored_break_calldesk_cannot_time_is_clamped_and_reported(
    tmp_path: Path, clock: FakeClock, column: str, value: float, expected: dict[str, float]
) -> None:
    import sqlite3

    db_path = tmp_path / "calldesk.db"
    with Database.open(db_path, clock) as store:
        aftercall_records.save_cooldown(
            store, offer(None, SETTINGS, [BAD], clock.now()).start(clock.now())
        )
    with sqlite3.connect(db_path) as db:  # as an older calldesk (or a hand edit) left it
        db.execute(f"UPDATE cooldowns SET {column} = ?", (value,))
    db.close()
    with Database.open(db_path, clock) as store:
        state = aftercall_records.active_cooldown(store)
        assert state is not None
        for name, wanted in expected.items():
            assert getattr(state, name) == wanted
        assert repr(value) in state.repaired
        # It can be timed, finished and stored again.
        clock.advance(hours=9)
        assert state.is_finished(clock.now())
        aftercall_records.save_cooldown(store, state.finish(clock.now()))
        assert aftercall_records.active_cooldown(store) is None


def test_a_break_that_needs_nothing_changed_is_not_reported(clock: FakeClock) -> None:
    from calldesk.core.aftercall.cooldown import representable

    state = offered(clock).start(clock.now())
    assert representable(state) is state and state.repaired == ""
