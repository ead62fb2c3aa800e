#!/usr/bin/env python3
"""Conditions of #15 item 7, as a person meets them, against the installed `calldesk`.

- a burst of 200 `calldesk ring` hooks while 2 busy loops load the machine: every ring is
  handled once by the running app (none kept as missed, none shown at the next start);
- the app is killed the moment calldesk answered a ring `{"ok": true}`: the ring is either
  handled before the kill or shown at the next start, never lost and never both;
- 16 idle connections hold the socket: a hook still gets through.

Written in the style of `scripts/conditions` (one function per condition, taking a `Home` and
returning (passed, what was seen)); `scripts/conditions` runs them with its own. On its own:
    scripts/conditions_ring.py [--calldesk PATH] [--only WORD]
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conditions_common import busy_loops as _busy_loops
from conditions_common import runner as _runner

BURST = 200
Result = tuple[bool, str]
Home = Any  # scripts/conditions' Home: root, env, data_dir, database, run(), ...
BACKLOG_TITLES = ("Missed while", "Rang while")


def _terminal(home: Home) -> Any:
    return _runner().Terminal(home)


def _answer_only(home: Home) -> None:
    """Rings are remembered, not opened as records: 200 rings leave no call to close."""
    home.config.parent.mkdir(parents=True, exist_ok=True)
    home.config.write_text('[softphone]\nstart_on = "answer"\n')


def _hook(home: Home, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [home.calldesk, *args],
        env=home.env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _socket(home: Home, terminal: Any) -> Path:
    """The app's socket, once it listens (just after its first screen)."""
    deadline = time.monotonic() + 60  # generous: the machine may be busy with other work
    while time.monotonic() < deadline and terminal.process.poll() is None:
        found = sorted(Path(home.env["XDG_RUNTIME_DIR"]).rglob("calldesk.sock"))
        if found:
            return found[0]
        terminal.pump(0.05)
    state = "running" if terminal.process.poll() is None else "ended"
    raise RuntimeError(
        f"the app's socket is not there (app {state}); screen: {terminal.seen[-200:]}"
    )


def _journal(home: Home) -> tuple[set[str], set[str]]:
    """(ids of rings taken, ids handled) in the app's phone journal."""
    taken: set[str] = set()
    handled: set[str] = set()
    path = home.data_dir / "phone-journal.jsonl"
    if not path.exists():
        return taken, handled
    for line in path.read_bytes().splitlines():
        with contextlib.suppress(ValueError):
            entry = json.loads(line)
            if "handled" in entry:
                handled.add(entry["handled"])
            elif entry.get("event", {}).get("kind") == "ring":
                taken.add(entry["event"]["id"])
    return taken, handled


def _spooled(home: Home) -> int:
    path = home.data_dir / "pending-events.jsonl"
    return len(path.read_bytes().splitlines()) if path.exists() else 0


def _backlog_shown(home: Home) -> str:
    """Start the app again and say which backlog notice it shows ("" for none)."""
    terminal = _terminal(home)
    try:
        terminal.wait_for("NO CALL")
        terminal.pump(2.0)  # the backlog is read as the socket opens
        seen = terminal.seen
        terminal.quit_time()
    finally:
        terminal.close()
    return next((title for title in BACKLOG_TITLES if title in seen), "")


def burst_under_load(home: Home) -> Result:
    _answer_only(home)
    terminal = _terminal(home)
    try:
        terminal.wait_for("NO CALL")
        _socket(home, terminal)
        with _busy_loops(2):
            started = time.monotonic()
            hooks = [
                _hook(home, "ring", "--call-id", f"b{n}", "--", f"{1000 + n}") for n in range(BURST)
            ]
            codes = []
            for hook in hooks:
                while hook.poll() is None:
                    terminal.pump(0.05)  # keep reading the app's screen, as a terminal does
                codes.append(hook.returncode)
            took = time.monotonic() - started
        terminal.pump(2.0)  # a kept ring is taken from the spool within half a second
        quit_s = terminal.quit_time(timeout=30)
    finally:
        terminal.close()
    taken, handled = _journal(home)
    kept, failed = codes.count(3), len([c for c in codes if c not in (0, 3)])
    left = _spooled(home)
    shown = _backlog_shown(home)
    ok = (
        failed == 0
        and len(taken) == BURST
        and taken <= handled
        and left == 0
        and not shown
        and quit_s is not None
    )
    return ok, (
        f"{BURST} hooks in {took:.1f} s: {codes.count(0)} answered ok, {kept} kept by the hook"
        f" and taken from the spool while running, {failed} failed; rings in the journal"
        f" {len(taken)}, handled {len(taken & handled)}; spool after quitting {left} lines;"
        f" next start shows {shown or 'no missed calls'}"
    )


def _ring_then_kill(home: Home) -> str:
    """Send one ring as the hook does and SIGKILL the app the moment it says ok."""
    from_hook = {
        "v": 1,
        "event": {
            "kind": "ring",
            "number": "0161 496 0000",
            "call_id": "k1",
            "id": "ring-then-kill",
            "source": "hook",
        },
    }
    terminal = _terminal(home)
    try:
        terminal.wait_for("NO CALL")
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(10)
            sock.connect(str(_socket(home, terminal)))
            sock.sendall(json.dumps(from_hook).encode() + b"\n")
            reply = sock.recv(4096)
            os.killpg(terminal.process.pid, signal.SIGKILL)
        terminal.process.wait(timeout=10)
    finally:
        terminal.close()
    return reply.decode(errors="replace").strip()


def quit_right_after_ok(home: Home) -> Result:
    reply = _ring_then_kill(home)
    _taken, handled = _journal(home)
    handled_before = "ring-then-kill" in handled
    shown = _backlog_shown(home)
    shown_again = _backlog_shown(home)
    if handled_before:
        ok = not shown and not shown_again
        what = "handled before the kill; not shown again at the next start"
    else:
        ok = shown == "Rang while" and not shown_again
        what = f"not handled before the kill; next start: {shown or 'nothing'}"
    ok = ok and json.loads(reply) == {"ok": True}
    return ok, f"reply {reply}; {what}; the start after that shows {shown_again or 'nothing'}"


def idle_connections(home: Home) -> Result:
    terminal = _terminal(home)
    idle: list[socket.socket] = []
    try:
        terminal.wait_for("NO CALL")
        path = _socket(home, terminal)
        for _ in range(16):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.connect(str(path))
            idle.append(sock)
        terminal.pump(0.3)  # the app has taken all 16 in
        started = time.monotonic()
        hook = _hook(home, "ring", "--call-id", "i1", "--", "0161 496 0000")
        while hook.poll() is None:
            terminal.pump(0.05)
        took = time.monotonic() - started
        err = hook.stderr.read().decode() if hook.stderr else ""
        shown = terminal.wait_for("0161 496 0000", timeout=10)
        terminal.quit_time()
    finally:
        for sock in idle:
            sock.close()
        terminal.close()
    ok = hook.returncode == 0 and shown
    return ok, f"hook exit {hook.returncode} in {took:.2f} s {err.strip()}; ring on screen: {shown}"


CONDITIONS: list[tuple[str, Callable[[Home], Result]]] = [
    (f"ring: burst of {BURST} hooks under load, none misfiled", burst_under_load),
    ("ring: app killed right after ok", quit_right_after_ok),
    ("ring: 16 idle connections, a hook still gets through", idle_connections),
]


if __name__ == "__main__":
    raise SystemExit(_runner().main(CONDITIONS))
