"""Helpers shared by the Pilot tests: build the app on temp dirs and read what it stored."""

from __future__ import annotations

import time

from calldesk.config import Settings
from calldesk.core.clock import FakeClock
from calldesk.core.storage import Database
from calldesk.tui.app import CalldeskApp, make_app


def build_app(settings: Settings, clock: FakeClock) -> CalldeskApp:
    return make_app(settings, clock=clock)


def stored(settings: Settings, clock: FakeClock) -> Database:
    """The database as another reader sees it (the app holds the write lock)."""
    return Database.open_readonly(settings.database_path, clock)


async def type_text(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    """Type `text` key by key, as an agent would."""
    await pilot.press(*[{" ": "space"}.get(char, char) for char in text])


def started_up(app: CalldeskApp) -> bool:
    """The phrase library is in and the practice count is on the status line (both threads)."""
    return app.index is not None and not any(
        worker.group in ("phrases", "due") and not worker.is_finished for worker in app.workers
    )


async def wait_until(pilot, condition, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    """Let the app run until `condition()` holds (workers and threads get there in their time).

    The timeout only ever runs out when the state never comes: generous, for busy machines.
    """
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the app did not get there in time")
        await pilot.pause(0.02)


async def wait_for_screen(pilot, kind: type, timeout: float = 30.0):  # type: ignore[no-untyped-def]
    """Wait until the app shows a screen of `kind`, mounted (workers and messages push the
    after-call screens)."""

    def shown() -> bool:
        screen = pilot.app.screen
        return isinstance(screen, kind) and screen.is_mounted

    try:
        await wait_until(pilot, shown, timeout)
    except AssertionError:
        shown = type(pilot.app.screen).__name__
        raise AssertionError(f"expected {kind.__name__}, the app shows {shown}") from None
    return pilot.app.screen
