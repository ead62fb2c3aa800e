"""The softphone starts the call: real `calldesk ring/hangup` processes against the running app."""

from __future__ import annotations

import asyncio
import subprocess
import sys

from tests.tui_helpers import build_app, wait_until

from calldesk.config import Settings
from calldesk.core.clock import FakeClock
from calldesk.core.store import Store
from calldesk.tui.dialogs.outcome import OutcomeDialog
from calldesk.tui.widgets.notes_pane import NotesPane


def hook(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "calldesk", *args], capture_output=True, text=True, timeout=30
    )


async def test_a_ring_opens_the_call_with_the_caller_and_what_we_know(
    settings: Settings, clock: FakeClock
) -> None:
    store = Store.open(settings.database_path, clock)
    earlier = store.start_call("Ann Lee", "+44 20 7946 0958")
    store.add_note(earlier.id, "toner smudges on every page")
    store.end_call(earlier.id)
    store.close()
    clock.advance(days=2)

    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.phone_server is not None)  # listening after 1st frame
        result = await asyncio.to_thread(
            hook,
            "ring",
            "--number",
            "sip:+442079460958@pbx.example;user=phone",
            "--name",
            "Ann Lee",
            "--call-id",
            "abc",
        )
        assert result.returncode == 0, result.stderr
        await wait_until(pilot, lambda: app.desk.call is not None)
        call = app.desk.call
        assert call.caller_name == "Ann Lee"
        assert "7946" in call.caller_number
        card = app.screen.query_one(NotesPane).query_one("#caller-card")
        await wait_until(pilot, lambda: card.display)
        assert "toner smudges on every page" in str(card.render())

        result = await asyncio.to_thread(hook, "hangup", "--call-id", "abc")
        assert result.returncode == 0, result.stderr
        await wait_until(pilot, lambda: isinstance(app.screen, OutcomeDialog))
        assert app.desk.call is None


async def test_a_ring_while_calldesk_is_closed_is_shown_at_the_next_start(
    settings: Settings, clock: FakeClock
) -> None:
    Store.open(settings.database_path, clock).close()  # calldesk has run before
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
