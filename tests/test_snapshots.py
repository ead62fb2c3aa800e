"""Snapshots of the screens an agent sees, at 80x24 and 120x40, with a fixed clock."""

from __future__ import annotations

import pytest
from tests.tui_helpers import build_app, started_up, type_text, wait_for_screen, wait_until
from textual.widgets import Input, TextArea

from calldesk.config import Settings
from calldesk.core.aftercall.fixes import save_answer
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
        # Toasts last a few real seconds: one had gone by the snapshot on a busy machine.
        pilot.app.clear_notifications()
        await settle(pilot)

    assert snap_compare(build_app(settings, clock), terminal_size=(80, 24), run_before=run_before)


def test_help(snap_compare, settings: Settings, clock: FakeClock) -> None:
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("f1")
        await wait_for_screen(pilot, HelpScreen)

    assert snap_compare(build_app(settings, clock), terminal_size=(80, 24), run_before=run_before)


def test_help_at_its_last_row(snap_compare, settings: Settings, clock: FakeClock) -> None:
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("f1")
        await wait_for_screen(pilot, HelpScreen)
        await pilot.press("end")
        await pilot.pause()

    assert snap_compare(build_app(settings, clock), terminal_size=(80, 24), run_before=run_before)


def test_cooldown_running(snap_compare, settings: Settings, clock: FakeClock) -> None:
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await end_bad_call(pilot)
        await pilot.press("s")
        await pilot.pause()

    assert snap_compare(build_app(settings, clock), terminal_size=(80, 24), run_before=run_before)


def seed_abusive_caller(settings: Settings, clock: FakeClock) -> None:
    from calldesk.core.calls.model import Outcome

    store = Database.open(settings.database_path, clock)
    call = call_records.start_call(store, "Rick Dunn", "0161 496 0000", "T-77")
    call_records.add_note(
        store, call.id, "printer at reception offline again, third time this week"
    )
    clock.advance(minutes=6)
    call_records.end_call(store, call.id)
    call_records.set_outcome(
        store, call.id, Outcome.ABUSIVE, "swore, threatened to come to the office"
    )
    save_answer(
        store,
        call.id,
        "permanent-fix",
        {
            "what": "Printer at reception gets a fixed address, out of the DHCP pool",
            "where": "IT-482",
            "owner": "Sam",
        },
    )
    store.close()
    clock.advance(days=1)


def test_caller_card_after_an_abusive_call(
    snap_compare, settings: Settings, clock: FakeClock
) -> None:
    seed_abusive_caller(settings, clock)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("f2", "f4", "tab")
        await type_text(pilot, "0161 496 0000")
        card = pilot.app.screen.query_one("#caller-card")
        await wait_until(pilot, lambda: card.display)
        await pilot.press("escape")
        await settle(pilot)

    assert snap_compare(build_app(settings, clock), terminal_size=(80, 24), run_before=run_before)


def test_checklist_after_an_abusive_call(
    snap_compare, settings: Settings, clock: FakeClock
) -> None:
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("f2")
        await type_text(pilot, "threatened to come to the office")
        await pilot.press("enter", "f8")
        await wait_for_screen(pilot, OutcomeDialog)
        await pilot.press("a")
        await type_text(pilot, "threat")
        await pilot.press("enter")
        await wait_for_screen(pilot, CooldownScreen)
        await pilot.press("z")
        await wait_for_screen(pilot, ChecklistScreen)
        pilot.app.clear_notifications()
        await settle(pilot)

    assert snap_compare(build_app(settings, clock), terminal_size=(80, 24), run_before=run_before)


def test_fixes_at_80_columns(snap_compare, settings: Settings, clock: FakeClock) -> None:
    seed_abusive_caller(settings, clock)
    store = Database.open(settings.database_path, clock)
    call = call_records.start_call(store, "Bo Chen", "0161 496 0001", "T-78")
    call_records.add_note(store, call.id, "VPN drops every hour on the dot")
    call_records.end_call(store, call.id)
    save_answer(
        store,
        call.id,
        "permanent-fix",
        {
            "what": "VPN client 5.1 times out after 60 minutes idle: push 5.2 to every laptop "
            "with the longer keepalive",
            "where": "IT-501",
            "owner": "",
        },
    )
    store.close()

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        from textual.widgets import OptionList, Static

        from calldesk.tui.screens.fixes import FixesScreen

        await settle(pilot)
        await pilot.press("f7")
        fixes = await wait_for_screen(pilot, FixesScreen)
        await wait_until(pilot, lambda: fixes.query_one(OptionList).option_count == 2)
        await pilot.press("down")
        detail = fixes.query_one("#fix-detail-text", Static)
        await wait_until(pilot, lambda: "Rick Dunn" in str(detail.render()))
        await settle(pilot)

    assert snap_compare(build_app(settings, clock), terminal_size=(80, 24), run_before=run_before)


def test_checklist_with_suggestions(snap_compare, settings: Settings, clock: FakeClock) -> None:
    """A blame phrase and a #fix note: the answers suggested, each with its source on a dim line."""
    from tests.test_tui_checklist_suggest import call_with_blame_and_fix

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await call_with_blame_and_fix(pilot, pilot.app)
        pilot.app.clear_notifications()  # the call's "ended after" toast would hide the fix
        screen = pilot.app.screen
        screen.query_one("#item-permanent-fix-what").scroll_visible(animate=False)
        await settle(pilot)

    assert snap_compare(build_app(settings, clock), terminal_size=(80, 24), run_before=run_before)
