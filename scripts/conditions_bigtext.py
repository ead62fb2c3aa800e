"""Big text, tried as a person would: a 5 MB paste into a note, a call with 10,000 notes.

Scenarios for `scripts/conditions` (issue 15, item 5), in its style: each takes a `Home` and
returns `(ok, what was seen)`. `Home`, `Terminal`, `Result` and `F2` are that script's. On its
own, this file runs its scenarios through that script's runner, which it expects beside it:

    scripts/conditions_bigtext.py [--calldesk PATH] [--only WORD] [--keep]
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from conditions_common import runner as _base
from conditions_common import send_all as _send_all
from conditions_common import stored_rows

PASTE_START, PASTE_END = b"\x1b[200~", b"\x1b[201~"
LOG_LINE = b"2026-12-02 09:14:07 spooler: tray 2 paper jam, job 4411 held\n"
NOTE_LIMIT = 10_000  # calldesk.core.calls.bigtext.NOTE_LIMIT, as the user guide states it


def _echo_seconds(terminal: Any, token: str, timeout: float = 30) -> float | None:
    """Seconds from typing `token` until the screen shows it; None if it never did."""
    started = time.monotonic()
    terminal.send(token.encode(), settle=0)
    return time.monotonic() - started if terminal.wait_for(token, timeout) else None


def paste_5_mb(home: Any) -> tuple[bool, str]:
    """A 5 MB log pasted into a note: the note keeps 10,000 characters, the rest is in a file,
    and typing afterwards echoes at once."""
    text = (LOG_LINE * (5_000_000 // len(LOG_LINE) + 1))[:5_000_000]
    terminal = _base().Terminal(home)
    try:
        terminal.wait_for("NO CALL")
        terminal.send(_base().F2)
        terminal.wait_for("ON CALL")
        started = time.monotonic()
        _send_all(terminal, PASTE_START + text + PASTE_END)
        told = terminal.wait_for("Note too long", timeout=120)
        pasted_s = time.monotonic() - started
        terminal.pump(1.0)
        echo_s = _echo_seconds(terminal, "qzxv")
        terminal.pump(1.5)  # the draft is saved within a second
        terminal.quit_time()
    finally:
        terminal.close()
    files = sorted((home.data_dir / "overflow").glob("*.txt"))
    rest = files[0].read_bytes() if files else b""
    rows = stored_rows(home, "SELECT draft FROM calls ORDER BY id DESC LIMIT 1")
    (draft,) = rows[0] if rows else ("",)
    kept = draft.split("\n[…", 1)[0].encode() + b"\n" + rest
    ok = (
        told
        and echo_s is not None
        and echo_s < 1.0
        and len(files) == 1
        and kept == text
        and len(draft) <= NOTE_LIMIT + 4
    )
    return ok, (
        f"told: {told} after {pasted_s:.1f} s; echo {_secs(echo_s)}; stored draft"
        f" {len(draft):,} chars; rest in {len(files)} file ({len(rest):,} bytes); nothing lost:"
        f" {kept == text}"
    )


_MAKE_NOTES = """
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from calldesk.core.calls import records
from calldesk.core.clock import FakeClock
from calldesk.core.storage import Database

path, count = Path(sys.argv[1]), int(sys.argv[2])
start = datetime.now(UTC) - timedelta(hours=1)
db = Database.open(path, FakeClock(start))
call = records.start_call(db, "Ann", "+44 20 7946 0958", at=start)
for n in range(count):
    text = ("log: tray 2 jam\\n" * 800) if n % 100 == 50 else f"note {n}: checked the cable"
    records.add_note(db, call.id, text, at=start + timedelta(milliseconds=n))
db.close()
"""


def notes_10000(home: Any) -> tuple[bool, str]:
    """A call left open with 10,000 notes: it comes back in seconds and typing echoes at once."""
    home.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    subprocess.run(
        [home.python(), "-c", _MAKE_NOTES, str(home.database), "10000"], check=True, env=home.env
    )
    started = time.monotonic()
    terminal = _base().Terminal(home)
    try:
        shown = terminal.wait_for("10000 notes", timeout=60)
        shown_s = time.monotonic() - started
        earlier = terminal.wait_for("earlier", timeout=5)
        terminal.pump(1.0)
        echoes = [_echo_seconds(terminal, token) for token in ("qzxv", "wjkp", "ybnm")]
        terminal.quit_time()
    finally:
        terminal.close()
    worst = max((echo for echo in echoes if echo is not None), default=None)
    ok = shown and shown_s < 10 and earlier and None not in echoes and worst < 0.5
    return ok, (
        f"shown: {shown} after {shown_s:.1f} s; 'earlier' label: {earlier};"
        f" slowest echo of 4 characters {_secs(worst)}"
    )


def _secs(value: float | None) -> str:
    return "never" if value is None else f"{value * 1000:.0f} ms"


CONDITIONS: list[tuple[str, Callable[[Any], tuple[bool, str]]]] = [
    ("big text: a 5 MB paste into a note", paste_5_mb),
    ("big text: a call with 10,000 notes", notes_10000),
]


if __name__ == "__main__":
    sys.exit(_base().main(CONDITIONS))
