"""Snapshots of the screens an agent sees, at 80x24 and 120x40, with a fixed clock."""

from __future__ import annotations

import pytest
from tests.tui_helpers import build_app, started_up, type_text, wait_for_screen, wait_until
from textual.widgets import Input, TextArea

from calldesk.config import Settings
from calldesk.core.calls import records as call_records
from calldesk.core.clock import FakeClock
from calldesk.core.storage import Database
from calldesk.tui.dialogs.outcome import OutcomeDialog
from calldesk.tui.screens.checklist import ChecklistScreen
from calldesk.tui.screens.cooldown import CooldownScreen
from calldesk.tui.screens.help import HelpScreen
from calldesk.tui.screens.history import HistoryScreen

SIZES = [(80, 24), (120, 40)]


async def settle(pilot) -> None:  # type: ignore[no-untyped-def]
    """Wait for what loads in threads, and stop cursors blinking so every frame is the same."""
    app = pilot.app
    await wait_until(pilot, lambda: started_up(app))
    for widget in app.screen.query("Input, TextArea"):
        if isinstance(widget, Input | TextArea):
            widget.cursor_blink = False
    await pilot.pause()


def seed_history(settings: Settings, clock: FakeClock) -> None:
    store = Database.open(settings.database_path, clock)
    for name, number, notes in (
        ("Ann Lee", "+44 20 7946 0958", ["printer offline again", "cleared the queue"]),
        ("Bo Chen", "0161 496 0000", ["VPN drops every hour"]),
    ):
        call = call_records.start_call(store, name, number, "T-1001")
        for text in notes:
            clock.advance(seconds=40)
            call_records.add_note(store, call.id, text)
        clock.advance(minutes=3)
        call_records.end_call(store, call.id)
        clock.advance(minutes=20)
    store.close()


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
def test_desk_with_no_call(
    snap_compare, settings: Settings, clock: FakeClock, size: tuple[int, int]
) -> None:
    assert snap_compare(build_app(settings, clock), terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
def test_desk_on_a_call_with_notes_and_a_phrase(
    snap_compare, settings: Settings, clock: FakeClock, size: tuple[int, int]
) -> None:
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("f2", "f4")
        await type_text(pilot, "Ann Lee")
        await pilot.press("escape")
        await type_text(pilot, "printer offline since Monday")
        await pilot.press("enter")
        await type_text(pilot, "[bold]literal[/bold] stays literal")
        await pilot.press("enter", "f3")
        await type_text(pilot, "blame")
        await settle(pilot)

    assert snap_compare(build_app(settings, clock), terminal_size=size, run_before=run_before)


def test_history(snap_compare, settings: Settings, clock: FakeClock) -> None:
    seed_history(settings, clock)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("f5")
        history = await wait_for_screen(pilot, HistoryScreen)
        await wait_until(pilot, lambda: history.selected_call is not None)
        await settle(pilot)

    assert snap_compare(build_app(settings, clock), terminal_size=(80, 24), run_before=run_before)


async def end_bad_call(pilot) -> None:  # type: ignore[no-untyped-def]
    await settle(pilot)
    await pilot.press("f2")
    await type_text(pilot, "caller shouted throughout")
    await pilot.press("enter", "f8")
    await wait_for_screen(pilot, OutcomeDialog)
    await pilot.press("b")
    await type_text(pilot, "swore at me")
    await pilot.press("enter")
    await wait_for_screen(pilot, CooldownScreen)


def test_cooldown(snap_compare, settings: Settings, clock: FakeClock) -> None:
    assert snap_compare(build_app(settings, clock), terminal_size=(80, 24), run_before=end_bad_call)


def test_checklist(snap_compare, settings: Settings, clock: FakeClock) -> None:
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await end_bad_call(pilot)
        await pilot.press("z")  # snooze the break: the checklist comes next
        await wait_for_screen(pilot, ChecklistScreen)
        await settle(pilot)

    assert snap_compare(build_app(settings, clock), terminal_size=(80, 24), run_before=run_before)


def test_help(snap_compare, settings: Settings, clock: FakeClock) -> None:
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("f1")
        await wait_for_screen(pilot, HelpScreen)

    assert snap_compare(build_app(settings, clock), terminal_size=(80, 24), run_before=run_before)
