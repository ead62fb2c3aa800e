"""Pilot tests of promises: typed in a note, on the status line, the bell, the card, at quit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.tui_helpers import build_app, stored, type_text, wait_for_screen, wait_until

from calldesk.config import Settings, load_settings
from calldesk.core.clock import FakeClock
from calldesk.core.phone.events import PhoneEvent
from calldesk.core.promises import records
from calldesk.tui.app import CalldeskApp
from calldesk.tui.dialogs.confirm import ConfirmDialog
from calldesk.tui.dialogs.promise import PromiseDialog
from calldesk.tui.widgets.notes_pane import NoteList, NotesPane
from calldesk.tui.widgets.status_bar import StatusBar


def status_extra(app: CalldeskApp) -> str:
    return str(app.desk_screen().query_one(StatusBar).query_one("#status-extra").render())


def count_bells(app: CalldeskApp) -> list[int]:
    rung: list[int] = []
    app.bell = lambda: rung.append(1)  # type: ignore[method-assign]
    return rung


async def test_a_promise_typed_in_a_note_shows_rings_and_greets_the_caller_again(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        rung = count_bells(app)
        await pilot.press("f2", "f4")
        await type_text(pilot, "Ann Lee")
        await pilot.press("tab")
        await type_text(pilot, "020 7946 0958")
        await app.action_focus_notes()
        await type_text(pilot, "/promise in 2 minutes call back")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "09:02" in status_extra(app))
        assert "⏰ 09:02 Ann Lee" in status_extra(app)
        assert [note.text for note in app.desk.call.notes] == ["/promise in 2 minutes call back"]
        assert rung == []

        clock.advance(minutes=1, seconds=59)
        app.promises.check()
        assert rung == []  # made closer to its time than 5 minutes: it rings when due
        clock.advance(seconds=1)
        await wait_until(pilot, lambda: rung == [1])
        assert any(n.title == "Promise due 09:02" for n in app._notifications)
        app.promises.check()
        assert rung == [1]  # once

        await pilot.press("f8")
        await wait_until(pilot, lambda: app.desk.call is None)
        assert app.desk.writes.writer.flush()
        store = stored(settings, clock)
        [promise] = records.list_promises(store, open_only=True)
        store.close()
        assert (promise.what, promise.caller_name, promise.reminded_at) == (
            "call back",
            "Ann Lee",
            clock.now(),
        )
        assert promise.call_id is not None and promise.call_id > 0

        await app._to_desk()
        ring = PhoneEvent("ring", "020 7946 0958", "Ann Lee", "c2", clock.now(), "hook")
        await app.phone_event(ring)
        card = app.desk_screen().query_one(NotesPane).query_one("#caller-card")
        await wait_until(pilot, lambda: card.display and "Promised" in str(card.render()))
        assert str(card.render()).splitlines()[0].endswith(": call back")


async def test_quitting_lists_open_promises_and_the_agent_decides(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2")
        await type_text(pilot, "/promise 15:30 send the RMA label")
        await pilot.press("enter")
        await pilot.press("ctrl+q")
        dialog = await wait_for_screen(pilot, ConfirmDialog)
        shown = " ".join(str(label.render()) for label in dialog.query("Label"))
        assert "1 open promise" in shown and "15:30" in shown and "send the RMA label" in shown
        await pilot.press("n")
        await pilot.pause()
        assert app.is_running and not isinstance(app.screen, ConfirmDialog)
        await pilot.press("ctrl+q")
        await wait_for_screen(pilot, ConfirmDialog)
        await pilot.press("y")
        await wait_until(pilot, lambda: not app.is_running)


async def test_p_on_a_note_asks_when_and_makes_it_a_promise(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2")
        await type_text(pilot, "will email the driver link")
        await pilot.press("enter", "shift+tab")
        await wait_until(pilot, lambda: isinstance(app.focused, NoteList))
        await pilot.press("p")
        dialog = await wait_for_screen(pilot, PromiseDialog)
        await pilot.press(*["backspace"] * 10)
        await type_text(pilot, "tomorrow 10am")
        assert "tomorrow 10:00" in str(dialog.query_one("#promise-when").render())
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.promises.open_promises)
        [promise] = app.promises.open_promises
        assert promise.what == "will email the driver link"
        assert promise.due_at == datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


async def test_p_on_a_refused_promise_note_promises_its_words_without_the_command(
    settings: Settings, clock: FakeClock
) -> None:
    """Found by a tester: `/promise yesterday x` was refused, then p on it made a promise
    whose text was `/promise yesterday x`."""
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2")
        await type_text(pilot, "/promise yesterday x")
        await pilot.press("enter", "shift+tab")
        await wait_until(pilot, lambda: isinstance(app.focused, NoteList))
        await pilot.press("p")
        await wait_for_screen(pilot, PromiseDialog)
        await pilot.press("enter")  # due in 1h, as offered
        await wait_until(pilot, lambda: app.promises.open_promises)
        [promise] = app.promises.open_promises
        assert promise.what == "x"


PROMISE_PHRASE = """\
category: Callbacks
phrases:
  - id: callback-rma
    title: I will call you back
    say: "I will call you back with the RMA number."
    promise: {what: call back with the RMA number, due: "2h"}
"""


async def test_a_phrase_that_promises_offers_the_promise_with_its_due_time(
    tmp_path: Path, clock: FakeClock
) -> None:
    team = tmp_path / "team"
    team.mkdir()
    (team / "callbacks.yaml").write_text(PROMISE_PHRASE)
    settings = load_settings(overrides={"phrase_dirs": (team,), "load_bundled_phrases": False})
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.index is not None)
        await pilot.press("f2", "f3")
        await type_text(pilot, "call you back")
        await pilot.press("enter")
        dialog = await wait_for_screen(pilot, PromiseDialog)
        assert "11:00" in str(dialog.query_one("#promise-when").render())
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.promises.open_promises)
        [promise] = app.promises.open_promises
        assert (promise.what, promise.due_at) == (
            "call back with the RMA number",
            clock.now() + timedelta(hours=2),
        )
        assert "⏰ 11:00" in status_extra(app)


async def test_the_reminder_timer_is_harmless_once_the_app_has_stopped(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        rung = count_bells(app)
        await pilot.press("f2")
        await type_text(pilot, "/promise in 10 minutes call back")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.promises.open_promises)
    clock.advance(minutes=9)
    app.promises.check()  # what a last timer tick does while Textual takes the app down
    assert rung == []


async def test_the_end_of_the_shift_lists_open_promises_once(clock: FakeClock) -> None:
    settings = load_settings(overrides={"promises.shift_end": "9:30"})
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2")
        await type_text(pilot, "/promise tomorrow 10am send the RMA label")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.promises.open_promises)

        def listed() -> list[str]:
            return [n.message for n in app._notifications if n.title.startswith("End of shift")]

        clock.advance(minutes=29)
        app.promises.check()
        await pilot.pause()
        assert listed() == []
        clock.advance(minutes=1)
        app.promises.check()
        await wait_until(pilot, lambda: listed())
        assert len(listed()) == 1 and "send the RMA label" in listed()[0]
        clock.advance(minutes=5)
        app.promises.check()
        await pilot.pause()
        assert len(listed()) == 1  # once a day


def test_a_shift_end_that_is_not_a_time_stops_calldesk_with_exit_2(tmp_path: Path) -> None:
    """Found by a tester: shift_end = "banana" started anyway, with a toast naming
    "config.toml" although the file was t.toml."""
    import subprocess
    import sys

    config = tmp_path / "t.toml"
    config.write_text('[promises]\nshift_end = "banana"\n')
    result = subprocess.run(
        [sys.executable, "-m", "calldesk", "--config", str(config), "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert f"{config}: promises.shift_end: expected a time of day as HH:MM" in result.stderr
    assert "'banana'" in result.stderr and "Traceback" not in result.stderr


async def test_a_shift_end_made_in_code_that_is_not_a_time_is_said_once(
    settings: Settings, clock: FakeClock
) -> None:
    from dataclasses import replace

    from calldesk.config import PromiseSettings

    bad = replace(settings, promises=PromiseSettings(shift_end="half five"))
    title = str(settings.config_file)
    app = build_app(bad, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: any(n.title == title for n in app._notifications))
        app.promises.check()
        await pilot.pause()
        assert sum(n.title == title for n in app._notifications) == 1


async def test_promises_are_numbered_after_the_stored_ones_even_if_made_before_the_read(
    settings: Settings, clock: FakeClock
) -> None:
    from calldesk.core.promises.model import Promise
    from calldesk.core.storage import Database

    with Database.open(settings.database_path, clock) as store:
        records.add_promise(
            store, Promise(0, "older one", clock.now() + timedelta(days=1), clock.now())
        )
    app = build_app(settings, clock)
    app.promises.start = lambda: None  # type: ignore[method-assign]  # the read is late
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2")
        await type_text(pilot, "/promise 15:30 send the RMA label")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.promises.open_promises)
        assert [promise.id for promise in app.promises.open_promises] == [-1]  # not yet known
        app.promises.load()
        await wait_until(pilot, lambda: len(app.promises.open_promises) == 2)
        assert [(p.id, p.what) for p in app.promises.open_promises] == [
            (2, "send the RMA label"),
            (1, "older one"),
        ]
        await type_text(pilot, "/promise 16:00 ring the courier")
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(app.promises.open_promises) == 3)
        assert app.promises.open_promises[1].id == 3
        assert app.desk.writes.writer.flush()
        store = stored(settings, clock)
        saved = [(p.id, p.what) for p in records.list_promises(store, open_only=True)]
        store.close()
        assert saved == [(2, "send the RMA label"), (3, "ring the courier"), (1, "older one")]
