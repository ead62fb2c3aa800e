"""The app side of #15 item 7: each ring is handled once or shown as missed once, never both."""

from __future__ import annotations

import asyncio
import os

from tests.test_tui_softphone import spy_notices
from tests.tui_helpers import build_app, wait_until

from calldesk.config import Settings
from calldesk.core.clock import FakeClock
from calldesk.core.phone.events import PhoneEvent
from calldesk.core.phone.hook import send_event
from calldesk.core.phone.journal import EventJournal, journal_path
from calldesk.core.phone.spool import append_pending_file, pending_file_path
from calldesk.paths import runtime_dir


def backlog_notices(shown: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(title, text) for title, text in shown if title.startswith(("Missed", "Rang while"))]


async def test_a_ring_a_hook_kept_while_calldesk_was_busy_is_taken_live(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    shown = spy_notices(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.phone_server is not None)
        event = PhoneEvent.create("ring", number="0161 496 0000", call_id="k1")
        # the hook gave up waiting and kept it: the running app reads the spool
        append_pending_file(event, pending_file_path(settings.data_dir), "no_answer")
        await wait_until(pilot, lambda: app.desk.call is not None)
        assert app.desk.call.caller_number == "0161 496 0000"
    assert backlog_notices(shown) == []


async def test_a_ring_taken_live_and_also_kept_by_its_hook_is_handled_once(
    settings: Settings, clock: FakeClock
) -> None:
    event = PhoneEvent.create("ring", number="0161 496 0000", call_id="k2")
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.phone_server is not None)
        result = await asyncio.to_thread(send_event, event, app.phone_server.path, 10.0)
        assert result.delivered
        await wait_until(pilot, lambda: app.desk.call is not None)
        first = app.desk.call
    # The hook had given up just before the ok came, and kept its copy: 25 of 200 in a burst
    # showed at the next start as "Missed while calldesk was closed".
    append_pending_file(event, pending_file_path(settings.data_dir), "no_answer")
    app = build_app(settings, clock)
    shown = spy_notices(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.phone_server is not None)
        await pilot.pause()
        assert app.desk.call is None or app.desk.call.id == first.id
    assert backlog_notices(shown) == []


async def test_a_ring_answered_ok_but_not_handled_before_quitting_shows_at_the_next_start(
    settings: Settings, clock: FakeClock
) -> None:
    event = PhoneEvent.create("ring", number="0161 496 0000", name="Bo", call_id="k3")
    # What the server wrote before it said ok, as calldesk was closing (or killed).
    journal = EventJournal(journal_path(settings.data_dir))
    journal.keep([event])
    journal.close()
    app = build_app(settings, clock)
    shown = spy_notices(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.phone_server is not None)
    [(title, text)] = backlog_notices(shown)
    assert title == "Rang while calldesk was busy or closing (1)"
    assert f"{event.at.astimezone():%H:%M} Bo · 0161 496 0000" in text
    # shown once: the next start does not show it again
    app = build_app(settings, clock)
    shown = spy_notices(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.phone_server is not None)
    assert backlog_notices(shown) == []


async def test_a_kept_ring_that_comes_after_its_answer_is_told_not_opened(
    settings: Settings, clock: FakeClock
) -> None:
    ring = PhoneEvent.create("ring", number="0161 496 0000", call_id="late1")
    answer = PhoneEvent.create("answer", number="0161 496 0000", call_id="late1")
    app = build_app(settings, clock)
    shown = spy_notices(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.phone_server is not None)
        # the ring's hook gave up waiting; the answer's hook got through at once
        result = await asyncio.to_thread(send_event, answer, app.phone_server.path, 10.0)
        assert result.delivered
        await wait_until(pilot, lambda: app.desk.call is not None)
        call = app.desk.call
        append_pending_file(ring, pending_file_path(settings.data_dir), "no_answer")
        await wait_until(pilot, lambda: any(title == "Ringing (late)" for title, _ in shown))
        assert app.desk.call is call
    assert not [title for title, _ in shown if title == "Another call"]


async def test_without_its_socket_folder_calldesk_still_takes_kept_rings_while_it_runs(
    settings: Settings, clock: FakeClock
) -> None:
    # $XDG_RUNTIME_DIR/calldesk… is a link to nowhere: the socket cannot be made, every hook
    # says "not running" and keeps its event. softphones.md promises a running calldesk
    # reads that spool twice a second; it read it only at start.
    folder = runtime_dir(settings.data_dir)
    os.symlink(folder.with_name("nowhere"), folder)
    app = build_app(settings, clock)
    shown = spy_notices(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: any(title == "Softphone" for title, _ in shown))
        [warning] = [text for title, text in shown if title == "Softphone"]
        assert str(folder) in warning and "remove" in warning.lower()
        event = PhoneEvent.create("ring", number="0161 496 0000", call_id="s1")
        append_pending_file(event, pending_file_path(settings.data_dir), "not_running")
        await wait_until(pilot, lambda: app.desk.call is not None)
        assert app.desk.call.caller_number == "0161 496 0000"
    assert backlog_notices(shown) == []
