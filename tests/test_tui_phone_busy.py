"""Phone events while the agent is busy: they never close a dialog the agent is using, nor put
a question over their typing. What they need to show waits until the dialog closes."""

from __future__ import annotations

import asyncio

from tests.tui_helpers import build_app, stored, type_text, wait_for_screen, wait_until

from calldesk.config import Settings
from calldesk.core.aftercall.cooldown import Phase
from calldesk.core.calls import history as call_history
from calldesk.core.clock import FakeClock
from calldesk.core.phone.events import PhoneEvent
from calldesk.core.promises import records as promise_records
from calldesk.tui.app import CalldeskApp
from calldesk.tui.dialogs.edit_note import EditNoteDialog
from calldesk.tui.dialogs.outcome import OutcomeDialog
from calldesk.tui.dialogs.promise import PromiseDialog
from calldesk.tui.screens.checklist import ChecklistScreen
from calldesk.tui.screens.cooldown import CooldownScreen
from calldesk.tui.screens.desk import DeskScreen
from calldesk.tui.widgets.note_input import NoteInput
from calldesk.tui.widgets.notes_pane import NoteList


def event(kind: str, number: str, call_id: str = "", name: str = "") -> PhoneEvent:
    return PhoneEvent.create(kind, number=number, name=name, call_id=call_id)


def toasts(app: CalldeskApp, title: str = "") -> list[str]:
    return [note.message for note in app._notifications if not title or note.title == title]


async def phone_call(pilot, app: CalldeskApp, number: str, call_id: str) -> None:  # type: ignore[no-untyped-def]
    """A call the phone opens and the agent answers."""
    await app.phone_event(event("ring", number, call_id))
    await app.phone_event(event("answer", number, call_id))
    await wait_until(pilot, lambda: app.desk.call is not None and app.desk.call.answered_at)


async def test_a_hangup_while_typing_takes_no_key_as_an_outcome_answer(
    settings: Settings, clock: FakeClock
) -> None:
    # Seen by a tester: the hangup landed mid-note, `f` then `a` of "fax" chose "abusive"
    # and the rest of the sentence became its reason.
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await phone_call(pilot, app, "1001", "c1")
        call = app.desk.call
        await type_text(pilot, "customer will email the screenshot of the ")
        hangup = asyncio.ensure_future(app.phone_event(event("hangup", "1001", "c1")))
        await pilot.press(*"fax about billing and a refund ")  # the burst the hangup lands in
        await hangup
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DeskScreen), app.screen
        assert app.desk.call is call and call.outcome is None
        assert [note.text for note in call.notes] == [
            "customer will email the screenshot of the fax about billing and a refund"
        ]
        await wait_until(
            pilot, lambda: any("ends the call record" in t for t in toasts(app, "Phone"))
        )
        await pilot.press("f8")  # the agent ends it: now it asks, and nothing is pre-typed
        dialog = await wait_for_screen(pilot, OutcomeDialog)
        assert dialog.chosen is None
        await pilot.press("f", "enter")
        await wait_until(pilot, lambda: call.outcome is not None)
        assert call.outcome.value == "fine"


async def test_a_hangup_with_the_desk_idle_still_asks_how_it_went(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await phone_call(pilot, app, "1001", "c1")
        await type_text(pilot, "printer fixed")
        await pilot.press("enter")
        await wait_until(pilot, lambda: not app.desk_widget(NoteInput).text)
        clock.advance(seconds=3)  # a pause in the typing
        await app.phone_event(event("hangup", "1001", "c1"))
        await wait_for_screen(pilot, OutcomeDialog)
        assert app.desk.call is None


async def test_a_hangup_between_two_notes_waits_for_a_pause_in_the_typing(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await phone_call(pilot, app, "1001", "c1")
        call = app.desk.call
        await type_text(pilot, "printer fixed")
        await pilot.press("enter")  # the draft is empty: the agent is about to type the next
        await wait_until(pilot, lambda: not app.desk_widget(NoteInput).text)
        clock.advance(seconds=1)
        await app.phone_event(event("hangup", "1001", "c1"))
        await pilot.press(*"all good")
        await pilot.pause()
        assert isinstance(app.screen, DeskScreen) and app.desk.call is call
        assert app.desk_widget(NoteInput).text == "all good"


async def test_a_ring_while_the_outcome_is_answered_keeps_the_answer_and_the_steps(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await phone_call(pilot, app, "1001", "gina")
        await app.phone_event(event("hangup", "1001", "gina"))
        dialog = await wait_for_screen(pilot, OutcomeDialog)
        gina = dialog.call
        await pilot.press("a")
        await type_text(pilot, "swore at me")
        await app.phone_event(event("ring", "2002", "hal", name="Hal"))
        await pilot.pause()
        assert app.screen is dialog  # still there, with the reason typed
        assert app.desk.call is not None and app.desk.call.caller_number == "2002"
        await wait_until(
            pilot, lambda: any("open under this screen" in t for t in toasts(app, "Ringing"))
        )
        await pilot.press("enter")
        await wait_until(pilot, lambda: gina.outcome is not None)
        assert (gina.outcome.value, gina.outcome_reason) == ("abusive", "swore at me")
        await wait_until(pilot, lambda: toasts(app, "After-call steps kept"))
        assert isinstance(app.screen, DeskScreen)
        await app.phone_event(event("answer", "2002", "hal"))
        await pilot.press("f8")  # Hal's call ends: his steps first, then Gina's come back
        await wait_for_screen(pilot, OutcomeDialog)
        await pilot.press("f", "enter")
        await wait_for_screen(pilot, ChecklistScreen)
        await pilot.press("escape")
        await wait_until(pilot, lambda: not app.after_calls.busy())
        app._tick()
        brk = await wait_for_screen(pilot, CooldownScreen)
        assert brk.state.call_id == gina.id
        await pilot.press("x")
        await pilot.press("y")
        checklist = await wait_for_screen(pilot, ChecklistScreen)
        assert checklist.call.id == gina.id
    with stored(settings, clock) as store:
        assert call_history.get_call(store, gina.id).outcome.value == "abusive"


async def test_an_answer_without_call_id_while_the_outcome_is_answered_keeps_it(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await phone_call(pilot, app, "1001", "c1")
        await pilot.press("f8")
        dialog = await wait_for_screen(pilot, OutcomeDialog)
        await pilot.press("b")
        await type_text(pilot, "was rude")
        await app.phone_event(event("answer", "1001"))  # MicroSIP: no call id
        await pilot.pause()
        assert app.screen is dialog and app.desk.call is not None
        await pilot.press("enter")
        await wait_until(pilot, lambda: dialog.call.outcome is not None)
        assert dialog.call.outcome_reason == "was rude"
        await wait_until(pilot, lambda: toasts(app, "After-call steps kept"))


async def test_a_ring_during_the_break_brings_the_checklist_back_after_the_call(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2")
        await type_text(pilot, "Bob: shouting")
        await pilot.press("enter", "f8")
        dialog = await wait_for_screen(pilot, OutcomeDialog)
        bob = dialog.call
        await pilot.press("b", "enter")
        brk = await wait_for_screen(pilot, CooldownScreen)
        await pilot.press("s")
        await wait_until(pilot, lambda: brk.state.state is Phase.RUNNING)
        await app.phone_event(event("ring", "3003", "carol", name="Carol"))
        await wait_for_screen(pilot, DeskScreen)  # a call ends a running break: taken
        await wait_until(pilot, lambda: app.breaks_today == "breaks: 1 taken")
        await wait_until(pilot, lambda: toasts(app, "After-call steps kept"))
        await app.phone_event(event("answer", "3003", "carol"))
        await pilot.press("f8")
        await wait_for_screen(pilot, OutcomeDialog)
        await pilot.press("f", "enter")
        carol_list = await wait_for_screen(pilot, ChecklistScreen)
        assert carol_list.call.id != bob.id
        await pilot.press("escape")
        app._tick()  # the next tick brings Bob's checklist back
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, ChecklistScreen) and app.screen.call.id == bob.id,
        )


async def test_an_offered_break_a_ring_interrupts_comes_back_after_the_call(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2", "f8")
        dialog = await wait_for_screen(pilot, OutcomeDialog)
        bob = dialog.call
        await pilot.press("b", "enter")
        await wait_for_screen(pilot, CooldownScreen)
        await app.phone_event(event("ring", "3003", "carol"))
        await wait_for_screen(pilot, DeskScreen)
        await wait_until(pilot, lambda: toasts(app, "After-call steps kept"))
        assert app.cooldown is not None and app.cooldown.state is Phase.OFFERED
        await app.phone_event(event("hangup", "3003", "carol"))  # it only rang: missed
        await wait_until(pilot, lambda: app.desk.call is None)
        app._tick()
        brk = await wait_for_screen(pilot, CooldownScreen)
        assert brk.state.call_id == bob.id


async def test_a_hangup_keeps_a_promise_being_made_and_it_lands_in_that_call(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await phone_call(pilot, app, "1001", "c1")
        call = app.desk.call
        await type_text(pilot, "will email the driver link")
        await pilot.press("enter", "shift+tab")
        await wait_until(pilot, lambda: isinstance(app.focused, NoteList))
        await pilot.press("p")
        dialog = await wait_for_screen(pilot, PromiseDialog)
        await pilot.press(*["backspace"] * 10)
        await type_text(pilot, "tomorrow 10am")
        await app.phone_event(event("hangup", "1001", "c1"))
        await pilot.pause()
        assert app.screen is dialog and app.desk.call is call
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.promises.open_promises)
        assert app.desk.writes.writer.flush()
    with stored(settings, clock) as store:
        [promise] = promise_records.list_promises(store, open_only=True)
    assert promise.call_id == call.id and promise.what == "will email the driver link"


async def test_a_hangup_keeps_a_note_edit_in_progress(settings: Settings, clock: FakeClock) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await phone_call(pilot, app, "1001", "c1")
        call = app.desk.call
        await type_text(pilot, "printer jams")
        await pilot.press("enter", "shift+tab")
        await wait_until(pilot, lambda: isinstance(app.focused, NoteList))
        await pilot.press("enter")
        await wait_for_screen(pilot, EditNoteDialog)
        await pilot.press("end")
        await type_text(pilot, " from the 3rd floor")
        await app.phone_event(event("hangup", "1001", "c1"))
        await pilot.pause()
        assert isinstance(app.screen, EditNoteDialog) and app.desk.call is call
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: call.notes[0].text.endswith("3rd floor"))
        await wait_for_screen(pilot, DeskScreen)
        await pilot.press("f8")
        await wait_for_screen(pilot, OutcomeDialog)
    with stored(settings, clock) as store:
        saved = call_history.get_call(store, call.id)
    assert [note.text for note in saved.notes] == ["printer jams from the 3rd floor"]


async def test_the_next_call_answered_while_the_agent_finishes_a_note_gets_its_record(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await phone_call(pilot, app, "1001", "c1")
        first = app.desk.call
        await type_text(pilot, "reset the router")
        await app.phone_event(event("hangup", "1001", "c1"))  # held: the note is mid-way
        await app.phone_event(event("ring", "2002", "c2"))
        await app.phone_event(event("answer", "2002", "c2"))  # the queue's next caller
        assert app.desk.call is first
        await wait_until(
            pilot, lambda: any("opens when you end" in text for text in toasts(app, "Another call"))
        )
        await pilot.press("enter", "f8")
        dialog = await wait_for_screen(pilot, OutcomeDialog)
        assert dialog.call is first
        assert app.desk.call is not None and app.desk.call.caller_number == "2002"
        await pilot.press("f", "enter")
        await wait_until(pilot, lambda: toasts(app, "After-call steps kept"))
        assert isinstance(app.screen, DeskScreen) and app.desk.call.answered_at is not None
