"""End to end: the real calldesk in a pseudo-terminal, killed mid-call, keeps what was typed."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from tests.pty_app import PtyApp, app_env

from calldesk.config import load_settings
from calldesk.core.calls import history as call_history
from calldesk.core.clock import SystemClock
from calldesk.core.storage import Database

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")


@pytest.mark.slow
def test_a_note_typed_before_a_sigkill_is_there_after_a_restart(private_dirs: Path) -> None:
    env = app_env(private_dirs)
    app = PtyApp(env)
    try:
        assert app.wait_for("NO CALL"), app.text()
        app.press("f2")
        assert app.wait_for("ON CALL"), app.text()
        app.type("printer jams on tray 2", per_key=0.02)
        app.press("enter")
        app.type("customer rebooted it", per_key=0.02)  # not entered: still the draft
        app.pump(1.5)  # more than the one second calldesk promises
    finally:
        app.kill()

    settings = load_settings()
    store = Database.open_readonly(settings.database_path, SystemClock())
    call = call_history.open_call(store)
    store.close()
    assert call is not None
    assert [note.text for note in call.notes] == ["printer jams on tray 2"]
    assert call.draft == "customer rebooted it"

    again = PtyApp(env)
    try:
        assert again.wait_for("printer jams on tray 2"), again.text()
        assert again.wait_for("customer rebooted it"), again.text()
        assert "ON CALL" in again.text()
    finally:
        again.quit(timeout=5)
        again.kill()
