"""Time spent on hostile caller data: huge hook arguments, huge display names, a mute socket.

Run with the project's interpreter:  .venv/bin/python benchmarks/hostile_input_bench.py

Three measurements, median and max over 5 runs each:
  parse_caller  four 1 MB hook arguments (spaces, quotes, angle brackets, digits), as a hostile
                softphone could pass them; a backtracking regex would take minutes
  display_safe  a 400 kB name of blank lines, tabs and spaces, cut to one short line
  no answer     `send_event` to a socket that accepts but never replies, with the hooks' 0.2 s
                timeout: the phone must get its hook back about then, not later
The tests check what these return; how long they take is measured here, never in a test.
"""

from __future__ import annotations

import socket
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from calldesk.core.phone.events import PhoneEvent, display_safe, parse_caller
from calldesk.core.phone.hook import send_event

RUNS = 5


def parse_hostile_arguments() -> None:
    for hostile in (" " * 1_000_000, '"' + " " * 1_000_000, "<" * 1_000_000, "9" * 1_000_000):
        number, name = parse_caller(hostile, " " * 1_000_000)
        PhoneEvent.create("ring", number=number, name=name)


def show_hostile_name() -> None:
    display_safe(" " * 200_000 + "\n" + "\t " * 100_000 + "Pat", 10)


def send_to_a_mute_socket() -> None:
    with tempfile.TemporaryDirectory(prefix="cd-mute-") as folder:
        path = Path(folder) / "calldesk.sock"
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as mute:
            mute.bind(str(path))
            mute.listen(1)  # the kernel accepts; nobody ever replies
            result = send_event(PhoneEvent.create("ring", number="1001"), path, timeout=0.2)
            if result.status != "no_answer":
                raise SystemExit(f"expected no_answer, got {result}")


def timed(run: Callable[[], None]) -> list[float]:
    took: list[float] = []
    for _ in range(RUNS):
        started = time.perf_counter()
        run()
        took.append(time.perf_counter() - started)
    return took


def main() -> int:
    for label, run in (
        ("parse_caller, 4 x 1 MB", parse_hostile_arguments),
        ("display_safe, 400 kB", show_hostile_name),
        ("no answer, 0.2 s timeout", send_to_a_mute_socket),
    ):
        took = timed(run)
        print(
            f"{label}: median {statistics.median(took) * 1000:.1f} ms, "
            f"max {max(took) * 1000:.1f} ms ({RUNS} runs)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
