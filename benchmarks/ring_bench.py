"""Ring to screen: how long a ring takes to become the call record on the app's screen.

Run with the project's interpreter:
    .venv/bin/python benchmarks/ring_bench.py [--rings 100] [--via baresip|hook] [--load 2]

The real app runs headless (Textual's `run_test`) in this process, in private temp dirs.
  baresip  a fake baresip ctrl_tcp server in this process sends CALL_INCOMING, then
           CALL_CLOSED (a missed call, so no after-call steps); timed from the frame's send
           to the ring's call record shown (`PhoneLine.event` done for the ring).
  hook     the real `calldesk ring` command, then `calldesk hangup`; timed from the
           hook's own time stamp (taken after its start-up) to the record shown, and from
           its start to its exit (what the softphone waits for).
`--load N` starts N busy-loop processes for the run (a busy 2-core machine: `--load 2`).
`--gap S` waits S seconds after each hangup is handled (default 0.1); `--gap 0` rings the
moment the last hangup is in the record, while the app still draws its notice: the tail.
Prints p50, p95 and max in milliseconds, and how many rings the hooks had to keep (spool).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from calldesk.core.phone.events import PhoneEvent


def private_dirs(root: Path) -> None:
    """Point every folder calldesk uses into `root`, so no real file is touched."""
    for variable, sub in (
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_STATE_HOME", "state"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_RUNTIME_DIR", "run"),
    ):
        folder = root / sub
        folder.mkdir(mode=0o700)
        os.environ[variable] = str(folder)
    os.environ["HOME"] = str(root)
    for variable in [name for name in os.environ if name.startswith("CALLDESK_")]:
        del os.environ[variable]


@contextlib.contextmanager
def busy_loops(count: int) -> Iterator[None]:
    """`count` processes that spin on a core each, stopped (by their own pids) at the end."""
    loops = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"], start_new_session=True)
        for _ in range(count)
    ]
    try:
        yield
    finally:
        for loop in loops:
            with contextlib.suppress(ProcessLookupError):
                os.kill(loop.pid, signal.SIGKILL)
            loop.wait()


class FakeBaresip:
    """A ctrl_tcp server on loopback that sends the frames it is given."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.peer: socket.socket | None = None
        self.connected = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        self.peer, _ = self.listener.accept()
        self.connected.set()

    def send(self, message: dict[str, object]) -> float:
        payload = json.dumps(message).encode()
        assert self.peer is not None
        started = time.perf_counter()
        self.peer.sendall(f"{len(payload)}:".encode() + payload + b",")
        return started


def call_frame(kind: str, number: int) -> dict[str, object]:
    return {
        "event": True,
        "class": "call",
        "type": kind,
        "direction": "incoming",
        "peeruri": f"sip:{1000 + number}@pbx.example",
        "peerdisplayname": f"Caller {number}",
        "id": f"bench-{number}",
    }


def hook_command() -> list[str]:
    script = Path(sys.executable).with_name("calldesk")
    return [str(script)] if script.exists() else [sys.executable, "-m", "calldesk"]


async def run(rings: int, via: str, gap: float) -> tuple[list[float], list[float], int]:
    from calldesk.config import load_settings
    from calldesk.tui.app import make_app
    from calldesk.tui.phone import PhoneLine

    shown_at: dict[str, float] = {}
    stamped: dict[str, float] = {}
    handled: list[str] = []
    handle = PhoneLine.event

    async def timed_event(self: PhoneLine, event: PhoneEvent) -> None:
        await handle(self, event)
        handled.append(event.kind)
        if event.kind == "ring":
            shown_at[event.number] = time.perf_counter()
            # the hook's stamp is wall time in another process: compare wall with wall
            stamped[event.number] = time.time() - event.at.astimezone(UTC).timestamp()

    PhoneLine.event = timed_event  # type: ignore[method-assign]
    fake = FakeBaresip() if via == "baresip" else None
    overrides: dict[str, object] = {"load_bundled_phrases": False}
    if fake is not None:
        overrides["softphone.baresip"] = f"127.0.0.1:{fake.port}"
    app = make_app(load_settings(overrides=overrides))
    latencies: list[float] = []
    hook_waits: list[float] = []
    kept = 0
    async with app.run_test(size=(80, 24)) as pilot:

        async def until(condition: object, timeout: float = 60.0) -> None:
            deadline = time.monotonic() + timeout
            while not condition():  # type: ignore[operator]
                if time.monotonic() > deadline:
                    raise SystemExit("the app did not get there in time")
                await asyncio.sleep(0.002)

        await until(lambda: app.phone_server is not None)
        if fake is not None:
            await asyncio.to_thread(fake.connected.wait, 30)
        for number in range(rings):
            caller = f"{1000 + number}"
            if fake is not None:
                sent = fake.send(call_frame("CALL_INCOMING", number))
                await until(lambda caller=caller: caller in shown_at)
                latencies.append((shown_at[caller] - sent) * 1000)
                fake.send(call_frame("CALL_CLOSED", number))
            else:
                command = [*hook_command(), "ring", "--call-id", f"h{number}", "--", caller]
                started = time.perf_counter()
                done = await asyncio.to_thread(subprocess.run, command, capture_output=True)
                hook_waits.append((time.perf_counter() - started) * 1000)
                kept += done.returncode == 3
                await until(lambda caller=caller: caller in shown_at)
                latencies.append(stamped[caller] * 1000)
                hangup = [*hook_command(), "hangup", "--call-id", f"h{number}", "--", caller]
                await asyncio.to_thread(subprocess.run, hangup, capture_output=True)
            await until(lambda: app.desk.call is None and handled[-1:] == ["hangup"])
            if gap:  # calls come seconds apart: the missed-call notice is drawn first
                await pilot.pause()
                await asyncio.sleep(gap)
        await pilot.pause()
    PhoneLine.event = handle  # type: ignore[method-assign]
    return latencies, hook_waits, kept


def summary(name: str, values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[max(0, round(len(ordered) * 0.95) - 1)]
    return (
        f"{name}: p50 {statistics.median(ordered):.1f} ms, p95 {p95:.1f} ms, "
        f"max {ordered[-1]:.1f} ms over {len(ordered)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rings", type=int, default=100)
    parser.add_argument("--via", choices=("baresip", "hook"), default="baresip")
    parser.add_argument("--load", type=int, default=0, metavar="N", help="busy-loop processes")
    parser.add_argument(
        "--gap",
        type=float,
        default=0.1,
        metavar="S",
        help="seconds from one call's hangup (handled) to the next ring; 0: back to back",
    )
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="cd-ring-"))
    try:
        private_dirs(root)
        with busy_loops(args.load):
            latencies, hook_waits, kept = asyncio.run(run(args.rings, args.via, args.gap))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(
        f"ring to screen via {args.via}, {args.load} busy loops, {os.cpu_count()} cores,"
        f" {args.gap:g} s between calls"
    )
    print(summary("  ring to screen", latencies))
    if hook_waits:
        print(summary("  hook run (softphone waits)", hook_waits))
        print(f"  rings the hook kept in the spool: {kept} of {args.rings}")


if __name__ == "__main__":
    main()
