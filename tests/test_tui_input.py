"""Keys typed fast land where the agent meant: after Enter, after Tab, after alt+enter.

A terminal delivers a burst of keys in one read, and Textual queues them all before the first is
handled. `burst` does the same: it posts every key to the app at once and only then lets the app
run, where `pilot.press` would wait for each key to be handled (and so hide these bugs).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from tests.tui_helpers import build_app, stored, wait_for_screen, wait_until
from textual import events
from textual.pilot import Pilot

from calldesk.config import Settings
from calldesk.core.clock import FakeClock
from calldesk.tui.app import CalldeskApp
from calldesk.tui.screens.checklist import ChecklistScreen
from calldesk.tui.widgets.note_input import NoteInput


def burst(app: CalldeskApp, *keys: str) -> None:
    """Queue `keys` as one read of the terminal would: all before the app handles the first."""
    for key in keys:
        named = {"space": " ", "enter": "\r", "tab": "\t"}
        character = named.get(key, key if len(key) == 1 else None)
        app.post_message(events.Key(key, character))


def text(line: str) -> list[str]:
    return ["space" if char == " " else char for char in line]


async def test_a_line_typed_right_after_enter_is_kept_as_the_next_draft(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2")
        burst(app, *text("printer jams"), "enter", *text("tray two"), "enter", *text("and three"))
        await wait_until(pilot, lambda: len(app.desk.call.notes) == 2)
        await pilot.pause()
        assert [note.text for note in app.desk.call.notes] == ["printer jams", "tray two"]
        note_input = app.screen.query_one(NoteInput)
        assert note_input.true_text == "and three"
        assert app.desk.call.draft == "and three"


async def test_alt_enter_starts_a_new_line_and_fast_typing_after_it_stays_in_the_note(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2")
        burst(app, *text("first"), "alt+enter", *text("second"), "shift+enter", *text("third"))
        await wait_until(pilot, lambda: app.screen.query_one(NoteInput).true_text.endswith("third"))
        assert app.screen.query_one(NoteInput).true_text == "first\nsecond\nthird"
        burst(app, "enter")
        await wait_until(pilot, lambda: len(app.desk.call.notes) == 1)
        assert app.desk.call.notes[0].text == "first\nsecond\nthird"


async def test_keys_typed_right_after_tab_go_to_the_next_field(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2", "f4")
        burst(app, *text("Ann"), "tab", *text("0161 555"), "tab", *text("T-42"))
        await wait_until(pilot, lambda: app.desk.call.ticket == "T-42")
        call = app.desk.call
        assert (call.caller_name, call.caller_number, call.ticket) == ("Ann", "0161 555", "T-42")
        burst(app, "shift+tab", "9")  # Textual selects a field's text on focus: 9 replaces it
        await wait_until(pilot, lambda: app.desk.call.caller_number == "9")
        assert app.desk.call.ticket == "T-42"


async def test_a_letter_the_note_list_does_not_bind_goes_back_to_the_note_with_the_rest(
    settings: Settings, clock: FakeClock
) -> None:
    """Found by a tester: shift+Tab, then `she reset it` meant for the note; `e` opened
    "Edit note" on the old note with ` reset it` in it."""
    from calldesk.tui.dialogs.edit_note import EditNoteDialog
    from calldesk.tui.widgets.notes_pane import NoteList

    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2")
        burst(app, *text("printer jams"), "enter")
        await wait_until(pilot, lambda: len(app.desk.call.notes) == 1)
        burst(app, "shift+tab", *text("she reset it"))
        note_input = app.screen.query_one(NoteInput)
        await wait_until(pilot, lambda: note_input.true_text == "she reset it")
        await pilot.pause()
        assert not isinstance(app.screen, EditNoteDialog)
        assert app.focused is note_input
        assert [note.text for note in app.desk.call.notes] == ["printer jams"]
        # The list's own letters still act when typed first: e edits the highlighted note.
        burst(app, "shift+tab")
        await wait_until(pilot, lambda: isinstance(app.focused, NoteList))
        burst(app, "e")
        await wait_until(pilot, lambda: isinstance(app.screen, EditNoteDialog))


def test_tab_and_shift_tab_are_bindings_of_the_keymap_named_like_other_keys() -> None:
    from calldesk.tui.bindings import key_name

    assert key_name("focus-next") == "Tab"
    assert key_name("focus-previous") == "shift+Tab"
    assert key_name("focus-next", {"focus-next": "ctrl+f2"}) == "ctrl+F2"


async def test_tab_and_shift_tab_follow_the_keymap_and_f1_names_the_keys_bound_now(
    clock: FakeClock,
) -> None:
    from textual.widgets import Static

    from calldesk.config import load_settings
    from calldesk.tui.screens.help import HelpScreen

    keymap = {"focus-next": "ctrl+g", "focus-previous": "ctrl+b,shift+tab"}
    app = build_app(load_settings(overrides={"keymap": keymap}), clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2", "f4")
        burst(app, *text("Ann"), "ctrl+g", *text("0161"), "ctrl+b", "9")
        await wait_until(pilot, lambda: app.desk.call.caller_name == "9")
        assert app.desk.call.caller_number == "0161"
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        table = app.screen.query_one("#help-table", Static).content
        columns = [[str(cell) for cell in column.cells] for column in table.columns]
        rows = [list(row) for row in zip(*columns, strict=True)]
        [tab_row] = [row for row in rows if "next field or pane" in row[1]]
        assert tab_row[:2] == [
            "ctrl+g",
            "Move to the next field or pane (ctrl+b / shift+Tab: back)",
        ]


async def test_the_checklist_fix_fields_fill_in_order_when_typed_fast(
    settings: Settings, clock: FakeClock
) -> None:
    from tests.test_tui_after_call import end_call_as
    from tests.tui_helpers import wait_for_screen
    from textual.widgets import Input

    from calldesk.tui.screens.checklist import ChecklistScreen

    app = build_app(settings, clock)
    async with app.run_test(size=(100, 40)) as pilot:
        await end_call_as(pilot, app, "f")
        screen = await wait_for_screen(pilot, ChecklistScreen)
        screen.query_one("#item-permanent-fix-what", Input).focus()
        await pilot.pause()
        burst(app, *text("new driver"), "tab", *text("IT-482"), "tab", *text("Sam"))
        owner = screen.query_one("#item-permanent-fix-owner", Input)
        await wait_until(pilot, lambda: owner.value == "Sam")
        fields = [
            screen.query_one(f"#item-permanent-fix-{key}", Input).value
            for key in ("what", "where", "owner")
        ]
        assert fields == ["new driver", "IT-482", "Sam"]


async def test_keys_typed_right_after_a_key_that_moves_the_focus_land_in_the_new_place(
    settings: Settings, clock: FakeClock
) -> None:
    # F2, F4 and F3 are app bindings whose focus() is deferred; Escape on a field is a screen
    # binding that acts only when the key has bubbled back up. Each is followed at once by text.
    from textual.widgets import Input

    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        note = app.screen.query_one(NoteInput)
        burst(app, "f2", *text("abc"))
        await wait_until(pilot, lambda: note.true_text == "abc")
        burst(app, "f4", *text("Ann"))
        await wait_until(pilot, lambda: app.desk.call.caller_name == "Ann")
        burst(app, "escape", *text("xyz"))
        await wait_until(pilot, lambda: note.true_text == "abcxyz")
        search = app.screen.query_one("#phrase-search", Input)
        burst(app, "f3", *text("greet"))
        await wait_until(pilot, lambda: search.value == "greet")
        burst(app, "escape", *text("q"))
        await wait_until(pilot, lambda: note.true_text == "abcxyzq")
        assert app.desk.call.caller_name == "Ann" and search.value == "greet"


TYPED_CHECKLIST = {
    "quick-fix": "reset it",
    "permanent-fix": {"what": "push 5.2", "where": "IT-982", "owner": "Sam"},
}


async def checklist_saved_after(
    settings: Settings,
    clock: FakeClock,
    fill: Callable[[Pilot[None], CalldeskApp, ChecklistScreen], Awaitable[None]],
) -> dict[str, object]:
    """End a call, `fill` its checklist (which saves it), and read what the store kept."""
    from tests.test_tui_after_call import end_call_as

    from calldesk.core.aftercall import records as aftercall_records

    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await end_call_as(pilot, app, "f")
        screen = await wait_for_screen(pilot, ChecklistScreen)
        await fill(pilot, app, screen)
        await wait_until(pilot, lambda: not isinstance(app.screen, ChecklistScreen))
        assert app.desk.writes.writer.flush()
    store = stored(settings, clock)
    answers = aftercall_records.checklist_answers(store, screen.call.id)
    store.close()
    return {item: answers[item].value for item in TYPED_CHECKLIST}


async def test_a_checklist_typed_in_one_burst_with_ctrl_s_at_the_end_keeps_every_letter(
    settings: Settings, clock: FakeClock
) -> None:
    # ctrl+s is a priority binding: it acts as the app reads it, while the letters typed just
    # before it still wait in the field. The save waits for them.
    async def type_it(pilot: Pilot[None], app: CalldeskApp, screen: ChecklistScreen) -> None:
        burst(app, "space", "tab", *text("reset it"), "tab", *text("push 5.2"), "tab")
        burst(app, *text("IT-982"), "tab", *text("Sam"), "ctrl+s")

    assert await checklist_saved_after(settings, clock, type_it) == TYPED_CHECKLIST


async def test_ctrl_s_saves_what_the_checklist_fields_show_before_their_messages_arrive(
    settings: Settings, clock: FakeClock
) -> None:
    # Done in the same step as the fields change: their Changed messages are all still queued,
    # as they can be when ctrl+s (a priority key) acts.
    async def set_and_save(pilot: Pilot[None], app: CalldeskApp, screen: ChecklistScreen) -> None:
        from textual.widgets import Input

        burst(app, "space")  # the one required choice
        await pilot.pause()
        for key, value in (("what", "push 5.2"), ("where", "IT-982"), ("owner", "Sam")):
            screen.query_one(f"#item-permanent-fix-{key}", Input).value = value
        screen.query_one("#item-quick-fix", Input).value = "reset it"
        screen.action_done()

    assert await checklist_saved_after(settings, clock, set_and_save) == TYPED_CHECKLIST


async def test_keys_behind_a_slow_escape_wait_for_it_even_past_the_time_bound(
    settings: Settings, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # On a busy machine a key can take longer than RELEASE_AFTER to come back up from the
    # focused widget. Here every widget takes 60 ms to handle a key, so Escape needs several
    # RELEASE_AFTERs to bubble up to the screen's binding: the keys behind it must still wait
    # until it has acted, and go where it sent the agent.
    from textual.message_pump import MessagePump
    from textual.widget import Widget
    from textual.widgets import Input

    from calldesk.tui.screens.fixes import FixesScreen
    from calldesk.tui.screens.history import HistoryScreen

    dispatch = MessagePump._dispatch_message

    async def slow_dispatch(self: MessagePump, message: object) -> None:
        if isinstance(message, events.Key) and isinstance(self, Widget):
            await asyncio.sleep(0.06)
        await dispatch(self, message)  # type: ignore[arg-type]

    monkeypatch.setattr(MessagePump, "_dispatch_message", slow_dispatch)
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        note = app.screen.query_one(NoteInput)
        burst(app, "f2", "f4", *text("Ann"), "escape", *text("xy"))
        await wait_until(pilot, lambda: note.true_text == "xy")
        assert app.screen.query_one("#caller_name", Input).value == "Ann"
        burst(app, "f7")
        await wait_for_screen(pilot, FixesScreen)
        burst(app, "escape", "f5")
        await wait_for_screen(pilot, HistoryScreen)


async def test_keys_typed_behind_f8_answer_the_outcome_and_fill_the_checklist_in_order(
    settings: Settings, clock: FakeClock
) -> None:
    # The outcome question and the checklist are pushed by a worker after F8 and after Enter:
    # the keys typed behind those keys wait for them, so nothing shifts a field or is lost.
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        burst(app, "f2", *text("printer jams"), "enter")
        await wait_until(pilot, lambda: app.desk.call is not None and len(app.desk.call.notes) == 1)
        call_id = app.desk.call.id
        burst(app, "f8", "f", "enter", "space", "tab", *text("reset it"), "tab")
        burst(app, *text("push 5.2"), "tab", *text("IT-982"), "tab", *text("Sam"), "ctrl+s")
        await wait_until(
            pilot, lambda: app.desk.last_call is not None and not app.after_calls.busy()
        )
        assert app.desk.writes.writer.flush()
    from calldesk.core.aftercall import records as aftercall_records
    from calldesk.core.calls import history as call_history

    store = stored(settings, clock)
    answers = aftercall_records.checklist_answers(store, call_id)
    assert {item: answers[item].value for item in TYPED_CHECKLIST} == TYPED_CHECKLIST
    assert call_history.get_call(store, call_id).outcome.value == "fine"
    store.close()


async def test_keys_typed_behind_f6_and_f7_go_to_the_screen_they_open(
    settings: Settings, clock: FakeClock
) -> None:
    from textual.widgets import RadioSet

    from calldesk.tui.screens.fixes import FixesScreen
    from calldesk.tui.screens.history import HistoryScreen

    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        from tests.test_tui_after_call import end_call_as

        await end_call_as(pilot, app, "f")
        await wait_for_screen(pilot, ChecklistScreen)
        burst(app, "escape")
        await wait_until(pilot, lambda: not app.after_calls.busy())
        burst(app, "f6", "space")
        screen = await wait_for_screen(pilot, ChecklistScreen)
        blame = screen.query_one("#item-blame", RadioSet)
        await wait_until(pilot, lambda: blame.pressed_index == 0)
        burst(app, "escape")
        await wait_until(pilot, lambda: not app.after_calls.busy())
        burst(app, "f7", "escape", "f5")
        await wait_for_screen(pilot, HistoryScreen)
        await pilot.pause()
        assert not any(isinstance(shown, FixesScreen) for shown in app.screen_stack)
