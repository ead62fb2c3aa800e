"""The softphone starts the call: real `calldesk ring/hangup` processes against the running app."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

from tests.tui_helpers import build_app, stored, type_text, wait_until

from calldesk.cli.softphone import EXIT_DELIVERED, EXIT_KEPT
from calldesk.config import Settings, load_settings
from calldesk.core.aftercall import records as aftercall_records
from calldesk.core.calls import history as call_history
from calldesk.core.calls import records as call_records
from calldesk.core.clock import FakeClock
from calldesk.core.phone.spool import pending_file_path
from calldesk.core.storage import Database
from calldesk.tui.app import CalldeskApp
from calldesk.tui.dialogs.outcome import OutcomeDialog
from calldesk.tui.screens.checklist import ChecklistScreen
from calldesk.tui.screens.history import HistoryScreen
from calldesk.tui.widgets.notes_pane import NotesPane
from calldesk.tui.widgets.status_bar import StatusBar


def hook(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "calldesk", *args], capture_output=True, text=True, timeout=30
    )


async def send_hook(*args: str) -> None:
    """Run `calldesk <args>` as a softphone would, and see the event reach the app.

    A hook waits HOOK_TIMEOUT (250 ms) for calldesk's answer. On a machine too busy for that
    (the suite on every core, two busy loops on top) it keeps the event in the spool and says
    so, as designed: then wait until the app has taken it, so the next event comes after it,
    as it would from the phone.
    """
    result = await asyncio.to_thread(hook, *args)
    if result.returncode == EXIT_KEPT and "takes it from there" in result.stderr:
        spool = pending_file_path(load_settings().data_dir)
        deadline = time.monotonic() + 30
        while spool.exists() and spool.stat().st_size and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        assert not spool.exists() or not spool.stat().st_size, "the app never took the spool"
        return
    assert (result.returncode, result.stdout, result.stderr) == (EXIT_DELIVERED, "", "")


async def microsip(kind: str, number: str) -> None:
    """What MicroSIP runs: `calldesk <kind> --` with the caller's number appended, unquoted."""
    await send_hook(kind, "--source=microsip", "--", *number.split())


def spy_notices(app: CalldeskApp) -> list[tuple[str, str]]:
    """Every notification the app shows, as (title, message)."""
    shown: list[tuple[str, str]] = []
    original = app.notify

    def spy(message: str, *, title: str = "", **kwargs: object) -> None:
        shown.append((title, message))
        original(message, title=title, **kwargs)  # type: ignore[arg-type]

    app.notify = spy  # type: ignore[method-assign]
    return shown


def titled(shown: list[tuple[str, str]], title: str) -> list[str]:
    return [message for shown_title, message in shown if shown_title == title]


async def test_a_ring_opens_the_call_with_the_caller_and_what_we_know(
    settings: Settings, clock: FakeClock
) -> None:
    store = Database.open(settings.database_path, clock)
    earlier = call_records.start_call(store, "Ann Lee", "+44 20 7946 0958")
    call_records.add_note(store, earlier.id, "toner smudges on every page")
    call_records.end_call(store, earlier.id)
    store.close()
    clock.advance(days=2)

    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.phone_server is not None)  # listening after 1st frame
        await send_hook(
            "ring",
            "--number",
            "sip:+442079460958@pbx.example;user=phone",
            "--name",
            "Ann Lee",
            "--call-id",
            "abc",
        )
        await wait_until(pilot, lambda: app.desk.call is not None)
        call = app.desk.call
        assert call.caller_name == "Ann Lee"
        assert "7946" in call.caller_number
        card = app.screen.query_one(NotesPane).query_one("#caller-card")
        await wait_until(pilot, lambda: card.display)
        assert "toner smudges on every page" in str(card.render())

        await send_hook("answer", "--call-id", "abc")
        await wait_until(pilot, lambda: not app.desk.is_ringing(call))
        await send_hook("hangup", "--call-id", "abc")
        await wait_until(pilot, lambda: isinstance(app.screen, OutcomeDialog))
        assert app.desk.call is None


async def test_a_ring_while_calldesk_is_closed_is_shown_at_the_next_start(
    settings: Settings, clock: FakeClock
) -> None:
    Database.open(settings.database_path, clock).close()  # calldesk has run before
    result = hook("ring", "--number", "0161 496 0000", "--name", "[bold]Bo[/bold]")
    assert result.returncode == 3
    assert "calldesk is not running" in result.stderr
    assert "0161 496 0000" in result.stderr

    app = build_app(settings, clock)
    shown: list[tuple[str, str]] = []
    original = app.notify

    def spy(message: str, *, title: str = "", **kwargs: object) -> None:
        shown.append((title, message))
        original(message, title=title, **kwargs)  # type: ignore[arg-type]

    app.notify = spy  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.phone_server is not None)  # the pops come first
        missed = [
            message
            for title, message in shown
            if title.startswith("Missed while calldesk was closed")
        ]
        assert len(missed) == 1
        assert "[bold]Bo[/bold]" in missed[0] and "0161 496 0000" in missed[0]
        assert app.desk.call is None  # a missed call does not open a record by itself


async def test_microsip_ring_ring_hangup_leaves_the_first_call_open(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    shown = spy_notices(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.phone_server is not None)  # listening
        await microsip("ring", "1001")
        await wait_until(pilot, lambda: app.desk.call is not None)
        first = app.desk.call
        await microsip("answer", "1001")
        await wait_until(pilot, lambda: first.answered_at is not None)
        bar = app.screen.query_one(StatusBar).query_one("#status-call")
        await wait_until(pilot, lambda: "ON CALL" in str(bar.render()))
        await type_text(pilot, "router reset twice")
        await pilot.press("enter")
        await microsip("ring", "2002")
        await wait_until(pilot, lambda: titled(shown, "Another call"))
        await microsip("hangup", "2002")
        await wait_until(pilot, lambda: titled(shown, "Missed call"))
        assert "2002" in titled(shown, "Missed call")[0]
        await pilot.pause()
        assert app.desk.call is first and not isinstance(app.screen, OutcomeDialog)
        assert [note.text for note in first.notes] == ["router reset twice"]

        clock.advance(seconds=5)  # the agent stopped typing a while ago
        await microsip("hangup", "1001")
        await wait_until(pilot, lambda: isinstance(app.screen, OutcomeDialog))
        assert app.desk.call is None and app.desk.last_call is first
    with stored(settings, clock) as store:
        calls = {call.caller_number: call for call in call_history.list_calls(store)}
    assert calls["1001"].note_count == 1 and not calls["1001"].missed
    assert calls["2002"].missed and calls["2002"].outcome is None


async def test_a_call_abandoned_while_ringing_is_missed_without_after_call_steps(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    shown = spy_notices(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.phone_server is not None)  # listening
        await microsip("ring", "+44 20 7946 0958")  # MicroSIP does not quote: several words
        await wait_until(pilot, lambda: app.desk.call is not None)
        bar = app.screen.query_one(StatusBar).query_one("#status-call")
        assert "RINGING" in str(bar.render())
        await microsip("hangup", "0044 20 7946 0958")
        await wait_until(pilot, lambda: app.desk.call is None)
        await wait_until(pilot, lambda: titled(shown, "Missed call"))
        await pilot.pause()
        assert app.screen is app.desk_screen() and app.desk.last_call is None
        assert "NO CALL" in str(bar.render())

        await pilot.press("f5")
        history = app.screen
        assert isinstance(history, HistoryScreen)
        await wait_until(pilot, lambda: history.selected_call is not None)
        assert history.selected_call.missed
        listing = str(history.query_one("#history-list").get_option_at_index(0).prompt)
        assert listing.split()[4] == "missed"  # before the caller: never cut off
        detail = str(history.query_one("#history-detail-text").render())
        assert "Missed call: the caller hung up while it rang." in detail
    with stored(settings, clock) as store:
        [call] = call_history.list_calls(store)
        assert (
            aftercall_records.checklist_answers(store, call.id) == {}
            and aftercall_records.active_cooldown(store) is None
        )


async def test_notes_typed_while_it_rang_keep_the_call_a_call(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.phone_server is not None)  # listening
        await microsip("ring", "1001")
        await wait_until(pilot, lambda: app.desk.call is not None)
        await type_text(pilot, "card says: printer contract ends Friday")
        await microsip("hangup", "1001")  # mid-note: the record stays open, nothing pops up
        await wait_until(pilot, lambda: any(n.title == "Phone" for n in app._notifications))
        assert app.desk.call is not None and not isinstance(app.screen, OutcomeDialog)
        await pilot.press("f8")  # the draft was never entered: it is kept too
        await wait_until(pilot, lambda: isinstance(app.screen, OutcomeDialog))
    with stored(settings, clock) as store:
        [summary] = call_history.list_calls(store)
        call = call_history.get_call(store, summary.id)
    assert not call.missed
    assert [note.text for note in call.notes] == ["card says: printer contract ends Friday"]


async def test_ending_a_record_that_only_rang_by_hand_leaves_a_missed_call(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    shown = spy_notices(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await microsip("ring", "anonymous")
        await wait_until(pilot, lambda: app.desk.call is not None)
        await microsip("hangup", "anonymous")  # withheld: calldesk cannot tell it is this call
        await wait_until(pilot, lambda: titled(shown, "Phone"))
        assert app.desk.call is not None
        await pilot.press("f8")
        await wait_until(pilot, lambda: titled(shown, "Missed call"))
        await pilot.pause()
        assert not isinstance(app.screen, OutcomeDialog) and app.desk.call is None


async def test_two_rings_then_the_agent_answers_the_second(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.phone_server is not None)  # listening
        await microsip("ring", "1001")
        await wait_until(pilot, lambda: app.desk.call is not None)
        await microsip("ring", "2002")
        await microsip("answer", "2002")
        await wait_until(
            pilot, lambda: app.desk.call is not None and app.desk.call.caller_number == "2002"
        )
        caller_number = app.screen.query_one("#caller_number")
        await wait_until(pilot, lambda: caller_number.value == "2002")
        await type_text(pilot, "second caller")
        await pilot.press("enter")
        await microsip("hangup", "1001")
        clock.advance(seconds=5)  # the agent stopped typing a while ago
        await microsip("hangup", "2002")
        await wait_until(pilot, lambda: isinstance(app.screen, OutcomeDialog))
    with stored(settings, clock) as store:
        calls = {call.caller_number: call for call in call_history.list_calls(store)}
    assert calls["1001"].missed and calls["1001"].note_count == 0
    assert not calls["2002"].missed and calls["2002"].first_note == "second caller"


async def test_start_on_answer_a_call_given_up_while_ringing_is_missed(
    settings: Settings, clock: FakeClock
) -> None:
    from dataclasses import replace

    settings = replace(settings, softphone=replace(settings.softphone, start_on="answer"))
    app = build_app(settings, clock)
    shown = spy_notices(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.phone_server is not None)  # listening
        await microsip("ring", "1001")
        await wait_until(pilot, lambda: titled(shown, "Ringing"))
        assert app.desk.call is None
        await microsip("hangup", "1001")
        await wait_until(pilot, lambda: titled(shown, "Missed call"))
        assert app.desk.call is None
    with stored(settings, clock) as store:
        [call] = call_history.list_calls(store)
    assert (call.caller_number, call.missed) == ("1001", True)


async def test_a_withheld_caller_never_sees_the_last_withheld_callers_notes(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.phone_server is not None)  # listening
        pane = app.screen.query_one(NotesPane)
        cards: list[object] = []
        show = pane.show_caller_card

        def spy(card: object) -> None:
            cards.append(card)
            show(card)  # type: ignore[arg-type]

        pane.show_caller_card = spy  # type: ignore[method-assign]
        for turn, secret in enumerate(("Mr Smith, account 991", "Mrs Jones, account 17"), 1):
            await microsip("ring", "anonymous")
            await wait_until(pilot, lambda: app.desk.call is not None)
            await wait_until(pilot, lambda: len(cards) == turn)  # noqa: B023
            assert cards[-1] is None  # nothing looked up, so nothing shown
            assert not pane.query_one("#caller-card").display
            await microsip("answer", "anonymous")
            await wait_until(pilot, lambda: not app.desk.is_ringing(app.desk.call))
            await type_text(pilot, secret)
            await pilot.press("enter", "f8")
            await wait_until(pilot, lambda: isinstance(app.screen, OutcomeDialog))
            await pilot.press("escape")  # decide later; the checklist later too
            await wait_until(pilot, lambda: isinstance(app.screen, ChecklistScreen))
            await pilot.press("escape")
            await wait_until(pilot, lambda: app.screen is app.desk_screen())
    with stored(settings, clock) as store:
        assert call_history.calls_by_number(store, "anonymous") == []
        norms = store._connection().execute("SELECT number_norm FROM calls").fetchall()
    assert [norm for (norm,) in norms] == ["", ""]
