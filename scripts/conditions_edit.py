#!/usr/bin/env python3
"""Conditions of the edit-note dialog, as a person meets them, against the installed `calldesk`.

- Enter on a note, a few words and ctrl+s, typed in one burst: every word is in the saved note;
- calldesk killed (SIGKILL) with the edit dialog open: on restart the dialog is back with the
  text, and ctrl+s keeps it.

Written in the style of `scripts/conditions` (one function per condition, taking a `Home` and
returning (passed, what was seen)), which runs these too. Run on its own:
    scripts/conditions_edit.py [--calldesk PATH] [--only WORD]
which borrows `Home` and `Terminal` from `scripts/conditions` beside it.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from typing import Any

from conditions_common import runner as _runner
from conditions_common import stored_notes as _stored_notes

F2 = b"\x1bOQ"
SHIFT_TAB = b"\x1b[Z"
CTRL_S = b"\x13"
ESCAPE = b"\x1b"

Result = tuple[bool, str]
Home = Any  # scripts/conditions' Home: root, env, data_dir, database, run(), ...


def edit_typed_in_one_burst(home: Home) -> Result:
    terminal = _runner().Terminal(home)
    try:
        terminal.wait_for("NO CALL")
        terminal.send(F2)
        terminal.send(b"printer jams r10\r", settle=1.0)
        for word in (b"r11", b"r12", b"r13"):
            terminal.send(SHIFT_TAB + b"\r " + word + CTRL_S, settle=1.0)
            terminal.send(ESCAPE, settle=0.5)  # from the note list back to typing
        quit_s = terminal.quit_time()
    finally:
        terminal.close()
    notes = _stored_notes(home)
    ok = quit_s is not None and notes == ["printer jams r10 r11 r12 r13"]
    return ok, f"three edits, each one burst (Enter, words, ctrl+s): saved {notes}"


def edit_open_at_a_kill(home: Home) -> Result:
    terminal = _runner().Terminal(home)
    try:
        terminal.wait_for("NO CALL")
        terminal.send(F2)
        terminal.send(b"printer jams r10\r", settle=1.0)
        terminal.send(SHIFT_TAB + b"\r", settle=1.0)
        terminal.send(b" then tray 3", settle=1.5)  # the dialog open, ctrl+s not pressed
        os.killpg(terminal.process.pid, signal.SIGKILL)
        terminal.process.wait(timeout=10)
    finally:
        terminal.close()
    again = _runner().Terminal(home)
    try:
        offered = again.wait_for("Edit restored")
        again.send(CTRL_S, settle=1.0)
        quit_s = again.quit_time()
    finally:
        again.close()
    notes = _stored_notes(home)
    ok = offered and quit_s is not None and notes == ["printer jams r10 then tray 3"]
    return ok, f"after SIGKILL: 'Edit restored' shown: {offered}; after ctrl+s: {notes}"


CONDITIONS: list[tuple[str, Callable[[Home], Result]]] = [
    ("edit note: Enter, words and ctrl+s in one burst", edit_typed_in_one_burst),
    ("edit note: calldesk killed with the edit dialog open", edit_open_at_a_kill),
]


if __name__ == "__main__":
    raise SystemExit(_runner().main(CONDITIONS))
