"""Benchmark: delay from a keystroke in the notes to that text being in SQLite, typing at 20 cps.

Run: .venv/bin/python benchmarks/autosave_bench.py [--chars 300] [--cps 20] [--runs 1]
     [--prefill 5000000]

The real calldesk runs on a pseudo-terminal (80x24) in private temp dirs. A call is started
with F2, then sentences are typed into the notes one key at a time at `--cps` characters a
second, each sentence filed with Enter. Meanwhile this process polls the database read-only
(`mode=ro`, as a second reader would) every millisecond or so, and records for every keystroke
when the database first holds it: a character when the draft of the open call starts with
everything typed of that note so far, an Enter when the note is stored as an entry. Prints the
median, p95 and max of those delays.

With `--prefill N`, N characters of log lines are pasted into the note first (bracketed paste,
as a terminal sends it) and the keys are typed after them without Enter: every save is then of
a big draft. A note holds at most 10,000 characters; the rest of the paste goes to a file, so
the draft saved on each keystroke stays that size. Prints the draft's stored size too.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import select
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.pty_app import PtyApp, app_env

SENTENCES = (
    "printer on tray 2 jams after every third page",
    "customer already restarted it twice today",
    "driver version 4.2 from the vendor site",
    "asked for the error code on the panel",
    "offered a courier for a replacement unit",
)


@dataclass(frozen=True)
class Key:
    char: str
    entries: int  # notes filed once this key is in
    draft: str  # the draft once this key is in ("" after an Enter)


def keystrokes(chars: int, prefix: str = "") -> list[Key]:
    """Sentences, each ended by Enter, until `chars` keys in all; after a `prefix` already in
    the draft, one long line instead (no Enter)."""
    keys: list[Key] = []
    entries, draft, index = 0, prefix, 0
    while len(keys) < chars:
        sentence = SENTENCES[index % len(SENTENCES)]
        index += 1
        for char in sentence + (" " if prefix else ""):
            draft += char
            keys.append(Key(char, entries, draft))
        if not prefix:
            entries += 1
            draft = ""
            keys.append(Key("\r", entries, ""))
    return keys[:chars]


LOG_LINE = "2026-12-02 09:14:07 spooler: tray 2 paper jam, job 4411 held\n"


def prefill(app: PtyApp, db: sqlite3.Connection, size: int) -> str:
    """Paste `size` characters into the note; the draft as stored once the paste is saved."""
    text = (LOG_LINE * (size // len(LOG_LINE) + 1))[:size]
    data = memoryview(b"\x1b[200~" + text.encode() + b"\x1b[201~")
    while data:
        ready, writable, _ = select.select([app.master], [app.master], [], 1.0)
        if ready:
            drain(app, 0)
        if writable:
            data = data[os.write(app.master, data[:65536]) :]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        state = stored_state(db)
        if state is not None and len(state[1]) > min(size, 9000):
            time.sleep(0.5)  # the paste is in; let its last save land
            state = stored_state(db)
            assert state is not None
            return state[1]
        drain(app, 0.01)
    raise SystemExit("the pasted text never reached the database")


def stored_state(db: sqlite3.Connection) -> tuple[int, str] | None:
    row = db.execute(
        "SELECT id, draft FROM calls WHERE ended_at IS NULL ORDER BY id DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    count = db.execute("SELECT count(*) FROM notes WHERE call_id = ?", (row[0],)).fetchone()[0]
    return count, row[1]


def holds(state: tuple[int, str], key: Key) -> bool:
    entries, draft = state
    return entries > key.entries or (entries == key.entries and draft.startswith(key.draft))


def drain(app: PtyApp, timeout: float) -> None:
    """Read what the app drew (it must never block on a full pty), without rendering it."""
    ready, _, _ = select.select([app.master], [], [], max(timeout, 0))
    if ready:
        with contextlib.suppress(OSError):
            os.read(app.master, 65536)


def run(chars: int, cps: float, prefill_size: int = 0) -> tuple[list[float], int]:
    home = Path(tempfile.mkdtemp(prefix="cd-autosave-"))
    try:
        for sub in ("config", "data", "runtime"):
            (home / sub).mkdir(mode=0o700)
        env = app_env(home) | {"TZ": "UTC"}
        app = PtyApp(env)
        try:
            if not app.wait_for("NO CALL", timeout=30):
                raise SystemExit("calldesk did not start:\n" + app.text())
            app.press("f2")
            if not app.wait_for("ON CALL"):
                raise SystemExit("F2 did not start a call:\n" + app.text())
            path = home / "data" / "calldesk" / "calldesk.db"
            while not path.exists():
                drain(app, 0.01)
            db = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, isolation_level=None)
            prefix = prefill(app, db, prefill_size) if prefill_size else ""
            delays = measure(app, db, keystrokes(chars, prefix), 1.0 / cps)
            state = stored_state(db)
            return delays, len(state[1]) if state else 0
        finally:
            app.kill()
    finally:
        shutil.rmtree(home, ignore_errors=True)


def measure(app: PtyApp, db: sqlite3.Connection, keys: list[Key], gap: float) -> list[float]:
    sent: list[float] = []
    seen: list[float | None] = [None] * len(keys)
    first_unseen = 0
    start = time.perf_counter()
    deadline = start + len(keys) * gap + 10.0
    while first_unseen < len(keys) and time.perf_counter() < deadline:
        now = time.perf_counter()
        if len(sent) < len(keys) and now >= start + len(sent) * gap:
            os.write(app.master, keys[len(sent)].char.encode())
            sent.append(time.perf_counter())
        state = stored_state(db)
        polled = time.perf_counter()
        if state is not None:
            while first_unseen < len(sent) and holds(state, keys[first_unseen]):
                seen[first_unseen] = polled
                first_unseen += 1
        next_key = start + len(sent) * gap if len(sent) < len(keys) else polled + 0.001
        drain(app, min(next_key - time.perf_counter(), 0.001))
    missing = sum(1 for when in seen if when is None)
    if missing:
        raise SystemExit(f"{missing} keystrokes never reached the database")
    return [(when - typed) * 1000 for when, typed in zip(seen, sent, strict=True) if when]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chars", type=int, default=300, help="keystrokes typed per run")
    parser.add_argument("--cps", type=float, default=20.0, help="typing speed, keys a second")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--prefill", type=int, default=0, help="characters pasted first")
    args = parser.parse_args()
    delays: list[float] = []
    stored = 0
    for _ in range(args.runs):
        more, stored = run(args.chars, args.cps, args.prefill)
        delays += more
    print(
        f"autosave: keystroke -> row in SQLite, {len(delays)} keystrokes at {args.cps:g}/s "
        f"({args.runs} run{'s' if args.runs != 1 else ''})"
    )
    print(
        f"  median {statistics.median(delays):.1f} ms, p95 {percentile(delays, 0.95):.1f} ms, "
        f"max {max(delays):.1f} ms (promise: under 1000 ms)"
    )
    if args.prefill:
        print(f"  after a paste of {args.prefill:,} characters; draft stored: {stored:,} chars")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
