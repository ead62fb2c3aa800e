"""Time that jumps: notes keep the order they were typed in; a break is timed on a steady clock."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from tests.tui_helpers import build_app, stored, type_text, wait_for_screen, wait_until
from textual.widgets import Digits

from calldesk.config import Settings
from calldesk.core.aftercall import records as aftercall_records
from calldesk.core.aftercall.cooldown import Phase
from calldesk.core.calls import history as call_history
from calldesk.core.calls.desk import Desk
from calldesk.core.clock import FakeClock, steady
from calldesk.core.export.callrecord import load_record
from calldesk.core.export.markdown import render_call
from calldesk.core.storage import Database
from calldesk.tui.dialogs.confirm import ConfirmDialog
from calldesk.tui.dialogs.outcome import OutcomeDialog
from calldesk.tui.screens.cooldown import CooldownScreen

TYPED = ["first, at 10:00", "second, after the clock went back an hour", "third"]


def type_notes_across_a_step_back(desk: Desk, clock: FakeClock) -> None:
    desk.start_call(caller_name="Ann")
    desk.notes.add(TYPED[0])
    clock.advance(30)
    clock.step(hours=-1)  # NTP, a resumed laptop, someone fixing the time zone
    desk.notes.add(TYPED[1])
    clock.advance(30)
    desk.notes.add(TYPED[2])
    assert desk.writes.writer.flush()


def test_notes_keep_the_order_they_were_typed_in(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "calldesk.db"
    with Database.open(path, clock) as store:
        desk = Desk(store, clock)
        type_notes_across_a_step_back(desk, clock)
        assert [note.text for note in desk.call.notes] == TYPED  # the desk
        call_id = desk.call.id
        desk.close()
        record = call_history.get_call(store, call_id)
        assert [note.text for note in record.notes] == TYPED  # the record
        assert [note.text for note in next(call_history.iter_calls(store)).notes] == TYPED
        assert call_history.list_calls(store)[0].first_note == TYPED[0]
        document = render_call(load_record(store, call_id))  # the export
        assert [document.index(text) for text in TYPED] == sorted(
            document.index(text) for text in TYPED
        )
    with Database.open(path, clock) as store:  # and after a restart
        desk = Desk(store, clock)
        desk.restore()
        assert desk.call is not None
        assert [note.text for note in desk.call.notes] == TYPED
        desk.close()


def test_steady_time_ignores_steps_of_the_wall_clock(clock: FakeClock) -> None:
    now = steady(clock)
    start = now()
    assert start == clock.now()
    clock.step(hours=-1)
    assert now() == start
    clock.advance(seconds=90)
    clock.step(hours=2)
    assert now() == start + timedelta(seconds=90)


async def start_a_break(pilot) -> CooldownScreen:  # type: ignore[no-untyped-def]
    await pilot.press("f2")
    await type_text(pilot, "shouting")
    await pilot.press("enter", "f8")
    await wait_for_screen(pilot, OutcomeDialog)
    await pilot.press("b", "enter")
    screen = await wait_for_screen(pilot, CooldownScreen)
    await pilot.press("s")
    return screen


async def test_a_clock_stepped_back_does_not_lengthen_a_break(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start_a_break(pilot)
        clock.advance(seconds=60)
        clock.step(hours=-1)
        screen.tick()
        assert screen.query_one(Digits).value == "04:00"  # not 64:00
        clock.advance(seconds=240)
        screen.tick()
        await pilot.pause()
        assert screen.state.state is Phase.DONE
    with stored(settings, clock) as store:
        (state,) = aftercall_records.cooldowns_between(
            store, clock.now() - timedelta(days=1), clock.now() + timedelta(days=1)
        )
        assert state.ended_at - state.started_at == timedelta(minutes=5)


async def test_a_clock_stepped_forward_does_not_complete_a_break(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start_a_break(pilot)
        clock.advance(seconds=6)
        clock.step(minutes=10)  # a break that took 6 seconds must not be recorded as 5 minutes
        screen.tick()
        await pilot.pause()
        assert screen.state.state is Phase.RUNNING
        assert screen.query_one(Digits).value == "04:54"
        await pilot.press("e")  # ended early, after 6 seconds really passed
        await wait_for_screen(pilot, ConfirmDialog)
        await pilot.press("y")
        await wait_until(pilot, lambda: screen.state.state is Phase.DONE)
        assert screen.state.ended_at - screen.state.started_at == timedelta(seconds=6)
