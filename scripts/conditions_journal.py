#!/usr/bin/env python3
"""Conditions of #15 items 3 and 4, as a person meets them, against the installed `calldesk`.

- a crash leaves a journal (`calldesk.db-wal`) with one damaged byte: the next start warns,
  naming the call and the time, and keeps a copy; `calldesk practice stats` says so too;
- a crash leaves a whole journal (the normal case): no warning, no copy;
- `calldesk.db` is deleted, or renamed, while the app runs: noticed within a second, re-created,
  and what is typed afterwards is in `calldesk.db` after quitting.

Written in the style of `scripts/conditions` (one function per condition, taking a `Home` and
returning (passed, what was seen)), which runs these too. Run on its own:
    scripts/conditions_journal.py [--calldesk PATH] [--only WORD]
which borrows `Home` and `Terminal` from `scripts/conditions` beside it.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conditions_common import runner as _runner
from conditions_common import stored_notes as _stored_notes

F2 = b"\x1bOQ"
WAL_HEADER, FRAME_HEADER = 32, 24
NOTES = 20

Result = tuple[bool, str]
Home = Any  # scripts/conditions' Home: root, env, data_dir, database, run(), ...


def _terminal(home: Home, *args: str) -> Any:
    return _runner().Terminal(home, *args)


def _kill(terminal: Any) -> None:
    """SIGKILL the app's process group: a crash, as a power button or the OOM killer does it."""
    os.killpg(terminal.process.pid, signal.SIGKILL)
    terminal.process.wait(timeout=10)


def _crash_with_notes(home: Home) -> None:
    """Start the app, open a call, file NOTES notes, wait for them to be saved, kill it."""
    terminal = _terminal(home)
    try:
        terminal.wait_for("NO CALL")
        terminal.send(F2)
        for number in range(1, NOTES + 1):
            terminal.send(f"note {number}\r".encode(), settle=0.1)
        terminal.pump(2.0)  # the writer saves within a second
        _kill(terminal)
    finally:
        terminal.close()


def _wal(home: Home) -> Path:
    return home.database.with_name(home.database.name + "-wal")


def _flip_a_byte_mid_journal(home: Home) -> int:
    """Flip one byte in the page of the journal's middle frame; returns the frame count."""
    data = bytearray(_wal(home).read_bytes())
    size = FRAME_HEADER + int.from_bytes(data[8:12], "big")
    frames = (len(data) - WAL_HEADER) // size
    data[WAL_HEADER + (frames // 2) * size + FRAME_HEADER + 100] ^= 0x01
    _wal(home).write_bytes(bytes(data))
    return frames


def _kept(home: Home) -> list[Path]:
    folder = home.data_dir / "recovered"
    return sorted(folder.iterdir()) if folder.is_dir() else []


def damaged_journal_app(home: Home) -> Result:
    _crash_with_notes(home)
    frames = _flip_a_byte_mid_journal(home)
    terminal = _terminal(home)
    try:
        warned = terminal.wait_for("may be missing")
        named = "call 1" in terminal.seen
        terminal.quit_time()
    finally:
        terminal.close()
    kept = _kept(home)
    private = bool(kept) and all(p.stat().st_mode & 0o777 == 0o600 for p in kept)
    ok = warned and named and len(kept) == 1 and private
    return ok, (
        f"{frames} frames, one byte flipped: warning shown: {warned} (names call 1: {named});"
        f" kept: {[p.name for p in kept]} (0600: {private})"
    )


def damaged_journal_cli(home: Home) -> Result:
    _crash_with_notes(home)
    _flip_a_byte_mid_journal(home)
    result = home.run("practice", "stats")
    line = next((x for x in result.stderr.splitlines() if "warning" in x), "(no warning)")
    ok = result.returncode == 0 and "may be missing" in result.stderr and len(_kept(home)) == 1
    return ok, f"exit {result.returncode}; stderr: {line[:90]}"


def whole_journal(home: Home) -> Result:
    _crash_with_notes(home)
    terminal = _terminal(home)
    try:
        back = terminal.wait_for("note 20")
        terminal.pump(1.0)
        warned = "may be missing" in terminal.seen
        terminal.quit_time()
    finally:
        terminal.close()
    kept = _kept(home)
    ok = back and not warned and not kept
    return ok, f"all 20 notes back: {back}; warning: {warned}; copies kept: {len(kept)}"


def vanished_database(how: str) -> Callable[[Home], Result]:
    def check(home: Home) -> Result:
        terminal = _terminal(home)
        try:
            terminal.wait_for("NO CALL")
            terminal.send(F2)
            terminal.send(b"before\r", settle=1.0)
            if how == "deleted":
                home.database.unlink()
            else:
                home.database.rename(home.database.with_name("renamed.db"))
            started = time.monotonic()
            noticed = terminal.wait_for("re-created", timeout=10)
            took = time.monotonic() - started
            terminal.send(b"after\r", settle=1.0)
            quit_s = terminal.quit_time()
        finally:
            terminal.close()
        notes = _stored_notes(home) if home.database.exists() else []
        ok = noticed and took < 2.0 and quit_s is not None and notes == ["before", "after"]
        return ok, (f"noticed: {noticed} in {took:.1f} s; calldesk.db after quitting holds {notes}")

    return check


CONDITIONS: list[tuple[str, Callable[[Home], Result]]] = [
    ("journal with a flipped byte after a crash (app)", damaged_journal_app),
    ("journal with a flipped byte after a crash (practice stats)", damaged_journal_cli),
    ("whole journal after a crash: no warning, no copy", whole_journal),
    ("calldesk.db deleted while the app runs", vanished_database("deleted")),
    ("calldesk.db renamed while the app runs", vanished_database("renamed")),
]


if __name__ == "__main__":
    raise SystemExit(_runner().main(CONDITIONS))
