"""Pilot tests of history: past calls newest first, search by caller and note words, read-only."""

from __future__ import annotations

from tests.tui_helpers import build_app, type_text, wait_for_screen, wait_until
from textual.widgets import OptionList

from calldesk.config import Settings
from calldesk.core.calls import records as call_records
from calldesk.core.clock import FakeClock
from calldesk.core.storage import Database
from calldesk.tui.screens.checklist import ChecklistScreen
from calldesk.tui.screens.history import HistoryScreen


def seed(settings: Settings, clock: FakeClock) -> None:
    store = Database.open(settings.database_path, clock)
    for name, note in (
        ("Ann Lee", "refund for the duplicate charge"),
        ("Bo Chen", "vpn drops hourly"),
    ):
        call = call_records.start_call(store, name, "0161 496 0000")
        call_records.add_note(store, call.id, note)
        clock.advance(minutes=5)
        call_records.end_call(store, call.id)
        clock.advance(minutes=30)
    store.close()


async def test_history_lists_calls_and_finds_them_by_note_words(
    settings: Settings, clock: FakeClock
) -> None:
    seed(settings, clock)
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f5")
        screen = await wait_for_screen(pilot, HistoryScreen)
        listing = screen.query_one("#history-list", OptionList)
        await wait_until(pilot, lambda: listing.option_count == 2)
        prompts = [str(listing.get_option_at_index(i).prompt) for i in range(2)]
        assert "Bo Chen" in prompts[0] and "Ann Lee" in prompts[1]  # newest first
        await type_text(pilot, "refu")
        await wait_until(pilot, lambda: listing.option_count == 1)
        subtitle = str(screen.query_one("#history-list-pane").border_subtitle)
        assert subtitle.startswith("1 call matching")  # a tester saw "1 calls matching"
        assert "Ann Lee" in str(listing.get_option_at_index(0).prompt)
        # The detail follows the highlight in a worker: wait for Ann's, not the one before.
        await wait_until(
            pilot,
            lambda: (
                screen.selected_call is not None and screen.selected_call.caller_name == "Ann Lee"
            ),
        )
        detail = str(screen.query_one("#history-detail-text").render())
        assert "refund for the duplicate charge" in detail
        await pilot.press("f6")  # that call's checklist, to finish it later
        await wait_for_screen(pilot, ChecklistScreen)
        assert app.screen.call.caller_name == "Ann Lee"
        await pilot.press("escape")
        await wait_for_screen(pilot, HistoryScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HistoryScreen)
