"""Messages name the key bound now: the user's keymap, not the default F-keys."""

from __future__ import annotations

import io

from rich.console import Console
from tests.tui_helpers import build_app, started_up, wait_until
from textual.widgets import Label, Static

from calldesk.config import load_settings
from calldesk.core.calls.desk import Desk
from calldesk.core.calls.errors import DeskError
from calldesk.core.clock import FakeClock
from calldesk.tui.bindings import key_name, name_keys
from calldesk.tui.commands import CallCommands
from calldesk.tui.screens.help import HelpScreen
from calldesk.tui.widgets.status_bar import StatusBar

REMAPPED = {"start-call": "f12", "end-call": "ctrl+b,f11", "history": "f4", "edit-caller": "f5"}


def test_a_key_is_named_from_the_keymap_else_from_its_binding() -> None:
    assert key_name("start-call") == "F2"
    assert key_name("start-call", REMAPPED) == "F12"
    assert key_name("end-call", REMAPPED) == "ctrl+b"  # several keys: the first
    assert key_name("no-such-binding") == "no-such-binding"  # a mistake shows, never a wrong key


def test_core_messages_name_actions_and_the_screen_names_their_keys(clock: FakeClock) -> None:
    desk = Desk(None, clock)
    try:
        desk.end_call()
    except DeskError as error:
        message = str(error)
    else:
        raise AssertionError("ending with no call open must be refused")
    desk.close()
    assert "F2" not in message and "{key:start-call}" in message
    assert name_keys(message, REMAPPED) == "No call is open. Start one with F12."


async def test_a_remapped_keymap_is_named_on_screen_in_toasts_help_and_palette(
    clock: FakeClock,
) -> None:
    settings = load_settings(overrides={"keymap": REMAPPED})
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: started_up(app))
        status = str(app.screen.query_one(StatusBar).query_one("#status-call", Label).render())
        assert "F12 starts one" in status and "F2" not in status
        empty = str(app.screen.query_one("#notes-empty", Label).render())
        assert "Press F12 when the phone rings" in empty
        # A phrase chosen with no call open: the toast names the remapped start key.
        await pilot.press("f3", "enter")
        await pilot.pause()
        toasts = [notification.message for notification in app._notifications]
        assert any("Start a call (F12)" in toast for toast in toasts), toasts
        # The palette's hints, and the help table.
        hints = [help_text for _, help_text, _ in CallCommands(app.screen).commands()]
        assert "F4 · list and search past calls" in hints
        assert "F12 · start a call record" in hints
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        table = app.screen.query_one("#help-table", Static).content
        console = Console(width=80, record=True, file=io.StringIO())
        console.print(table)
        keys = [line.split("  ")[0].strip() for line in console.export_text().splitlines()]
        assert "F12" in keys and "ctrl+b / F11" in keys and "F2" not in keys
        await pilot.press("escape", "f12")
        await pilot.pause()
        assert app.desk.call is not None
        # With a call open, the palette's notes hint names the key that goes back to the notes
        # (Escape), not F6, which opens the checklist.
        hints = [help_text for _, help_text, _ in CallCommands(app.screen).commands()]
        assert "Escape · back to the note field" in hints
        assert "ctrl+b · end the call, then outcome and checklist" in hints
