"""Editing a note in the real app: every key typed before ctrl+s is in the saved note.

A fresh-eyes tester typed Enter (open the edit dialog), " r11" and ctrl+s in one burst and got
the old text, or "… r10 r": the letters went to the note list before the dialog was up, and
ctrl+s (then a priority binding) saved while letters were still queued for the text area.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest
from tests.pty_app import PtyApp, app_env

from calldesk.config import load_settings
from calldesk.core.calls import history as call_history
from calldesk.core.clock import SystemClock
from calldesk.core.storage import Database

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")

SHIFT_TAB = b"\x1b[Z"
CTRL_S = b"\x13"


def test_keys_typed_in_one_burst_before_ctrl_s_are_all_in_the_edited_note(
    private_dirs: Path,
) -> None:
    app = PtyApp(app_env(private_dirs))
    try:
        assert app.wait_for("NO CALL"), app.text()
        app.press("f2")
        assert app.wait_for("ON CALL"), app.text()
        app.type("printer jams r10")
        app.press("enter")
        assert app.wait_for("1 note"), app.text()
        # shift+Tab to the note list, Enter to edit, the new words and ctrl+s: one burst, three
        # times over (each edit goes from the note list again), as a fast agent types.
        for word in ("r11", "r12", "r13"):
            os.write(app.master, SHIFT_TAB + b"\r " + word.encode() + CTRL_S)
            assert app.wait_for(word, timeout=15), app.text()
            deadline = time.monotonic() + 15
            while "ctrl+s save" in app.text() and time.monotonic() < deadline:
                app.pump(0.1)
            assert "ctrl+s save" not in app.text(), f"ctrl+s did not save:\n{app.text()}"
            app.press("escape")  # from the note list back to typing, as the agent would
        app.quit()
    finally:
        app.kill()
    db = Database.open_readonly(load_settings().database_path, SystemClock())
    call = call_history.open_call(db)
    db.close()
    assert call is not None
    assert [note.text for note in call.notes] == ["printer jams r10 r11 r12 r13"]


@pytest.mark.slow
def test_a_note_edit_not_yet_kept_survives_a_sigkill_and_comes_back(private_dirs: Path) -> None:
    env = app_env(private_dirs)
    app = PtyApp(env)
    try:
        assert app.wait_for("NO CALL"), app.text()
        app.press("f2")
        assert app.wait_for("ON CALL"), app.text()
        app.type("printer jams r10")
        app.press("enter")
        assert app.wait_for("1 note"), app.text()
        os.write(app.master, SHIFT_TAB + b"\r")
        assert app.wait_for("ctrl+s save"), app.text()
        app.type(" then tray 3", per_key=0.02)  # not kept with ctrl+s: the dialog is open
        assert app.wait_for("tray 3"), app.text()
        app.pump(1.5)  # more than the one second calldesk promises
    finally:
        app.kill()

    again = PtyApp(env)
    try:
        assert again.wait_for("ctrl+s save"), again.text()  # the edit dialog is open again
        assert again.wait_for("printer jams r10 then tray 3"), again.text()
        assert again.wait_for("ctrl+s keeps it"), again.text()  # and says so, with its keys
        os.write(again.master, CTRL_S)
        deadline = time.monotonic() + 15
        while "ctrl+s save" in again.text() and time.monotonic() < deadline:
            again.pump(0.1)
        assert "ctrl+s save" not in again.text(), again.text()
        again.quit()
    finally:
        again.kill()
    db = Database.open_readonly(load_settings().database_path, SystemClock())
    call = call_history.open_call(db)
    db.close()
    assert call is not None
    assert [note.text for note in call.notes] == ["printer jams r10 then tray 3"]
