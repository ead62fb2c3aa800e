"""The screen never waits on the disk: with writes that take 2 s, keys still echo at once."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections.abc import Iterator
from typing import ClassVar

import pytest
from tests.tui_helpers import build_app, started_up, stored, wait_for_screen, wait_until
from textual.widgets import Input

from calldesk.config import Settings
from calldesk.core import storage
from calldesk.core.calls.autosave import WriteBehind
from calldesk.core.clock import FakeClock
from calldesk.core.practice import records as practice_records
from calldesk.core.storage import Database
from calldesk.tui.dialogs.outcome import OutcomeDialog
from calldesk.tui.screens.cooldown import CooldownScreen
from calldesk.tui.screens.practice import PracticeScreen
from calldesk.tui.widgets.note_input import NoteInput
from calldesk.tui.widgets.notes_pane import NoteItem
from calldesk.tui.widgets.phrase_pane import SearchBox


class SlowDatabase(Database):
    """A real database whose every write transaction takes 2 s (a disk that crawls, never fails)."""

    seconds = 2.0
    writers: ClassVar[list[str]] = []
    """Threads that wrote (the fixture gives each test its own list)."""

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        SlowDatabase.writers.append(threading.current_thread().name)
        time.sleep(self.seconds)
        with super().write() as db:
            yield db


@pytest.fixture
def slow_disk(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every database the app opens writes slowly; returns the threads that waited on the
    writer (a flush) or wrote themselves."""
    monkeypatch.setattr(storage, "Database", SlowDatabase)
    waited: list[str] = []
    monkeypatch.setattr(SlowDatabase, "writers", waited)
    real_flush = WriteBehind.flush

    def flush(self: WriteBehind, timeout: float = 5.0) -> bool:
        waited.append(threading.current_thread().name)
        return real_flush(self, timeout)

    monkeypatch.setattr(WriteBehind, "flush", flush)
    return waited


@pytest.mark.slow
async def test_keys_echo_while_every_write_takes_two_seconds(
    settings: Settings, clock: FakeClock, slow_disk: list[str]
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.store, SlowDatabase)
        await pilot.press("f2")
        note_input = app.screen.query_one(NoteInput)
        typed = ""
        for key, char in (("h", "h"), ("i", "i"), ("space", " "), ("t", "t"), ("o", "o")):
            await pilot.press(key)
            typed += char
            assert note_input.true_text == typed  # echoed, with the call's first write queued
            assert app.desk.call is not None and app.desk.call.draft == typed
        assert app.desk.writes.writer.pending  # the disk has not caught up: nothing waited for it
        await pilot.press("enter")
        assert [item.entry.text for item in app.screen.query(NoteItem)] == ["hi to"]
        await pilot.press("f8")
        await wait_for_screen(pilot, OutcomeDialog)
        await pilot.press("b", "enter")  # a bad call: the break asks for the latest outcomes
        await pilot.press("f3")  # meanwhile the agent looks a phrase up
        search = app.screen.query_one(SearchBox)
        typed = ""
        for key in "sorry":
            await pilot.press(key)
            typed += key
            assert search.value == typed
        assert app.desk.writes.writer.pending  # the outcome is still on its way to the disk
        # The break comes once the outcome is read behind the writes.
        await wait_for_screen(pilot, CooldownScreen, timeout=60)
        assert threading.main_thread().name not in slow_disk  # the UI thread never waited
        await wait_until(pilot, lambda: not app.desk.writes.writer.pending, timeout=60)


@pytest.mark.slow
async def test_practice_grades_and_fix_marks_go_through_the_writer(
    settings: Settings, clock: FakeClock, slow_disk: list[str]
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: started_up(app))
        await pilot.press("f9")
        screen = await wait_for_screen(pilot, PracticeScreen)
        await wait_until(pilot, lambda: screen.item is not None)  # cards read off the UI thread
        first = screen.item
        await pilot.press("o", "k")
        assert screen.query_one("#practice-attempt", Input).value == "ok"
        await pilot.press("enter", "3")  # graded: the write takes 2 s, the screen waits for none
        assert screen.item is None and app.desk.writes.writer.pending
        await wait_until(pilot, lambda: screen.item is not None, timeout=60)
        assert screen.item.phrase.id != first.phrase.id
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, PracticeScreen))
        assert threading.main_thread().name not in slow_disk
    with stored(settings, clock) as store:
        assert [review.rating for review in practice_records.practice_reviews(store)] == [3]


@pytest.mark.slow
async def test_promises_the_bell_a_search_miss_and_my_record_go_through_the_writer(
    settings: Settings, clock: FakeClock, slow_disk: list[str]
) -> None:
    from calldesk.core.promises import records as promise_records
    from calldesk.core.team import records as team_records
    from calldesk.tui.screens.record import RecordScreen

    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        rung: list[int] = []
        app.bell = lambda: rung.append(1)  # type: ignore[method-assign]
        await wait_until(pilot, lambda: started_up(app))
        await pilot.press("f2")
        for key in "/promise in 2 minutes call back":
            await pilot.press({" ": "space", "/": "slash"}.get(key, key))
        await pilot.press("enter")
        assert [promise.what for promise in app.promises.open_promises] == ["call back"]
        assert app.desk.writes.writer.pending  # shown at once; the disk has not caught up
        clock.advance(minutes=2)
        app.promises.check()
        assert rung == [1]  # rung from memory
        await pilot.press("f3")
        for key in "zqxwv":
            await pilot.press(key)
        await pilot.press("escape", "ctrl+r")
        screen = await wait_for_screen(pilot, RecordScreen)
        await wait_until(pilot, lambda: screen.text != "", timeout=60)  # read behind the writes
        assert threading.main_thread().name not in slow_disk
        await pilot.press("escape")
        await wait_until(pilot, lambda: not app.desk.writes.writer.pending, timeout=60)
    with stored(settings, clock) as store:
        [promise] = promise_records.list_promises(store)
        assert (promise.what, promise.reminded_at) == ("call back", clock.now())
        assert team_records.search_misses(store) == {"zqxwv": 1}
