"""Phrase watcher latency: from a trainer's save to `on_change`, and how long `stop()` takes.

Run with the project's interpreter:  .venv/bin/python benchmarks/watch_bench.py [--edits 20]

For native events (inotify) and for polling: one file in a temp folder is saved `--edits`
times, half written in place (nano, VS Code) and half written to a temp file and renamed into
place (vim, gedit), 100 ms apart as a trainer would; each latency is from the end of the save
to the watcher's call. Then the time `PhraseWatcher.stop()` takes, over 10 start/stop cycles.
Prints median, p95 and max. The tests only check that every change arrives, never how fast.
"""

from __future__ import annotations

import argparse
import os
import queue
import statistics
import tempfile
import time
from pathlib import Path

from calldesk.core.library.watch import PhraseWatcher

WAIT = 10.0

PHRASE = "category: Bench\nphrases:\n  - id: latency\n    title: {title}\n    say: Some words.\n"


def measure_latency(folder: Path, edits: int, polling: bool) -> list[float]:
    """Seconds from each save (write and close) to `on_change`, one edit at a time."""
    reported: queue.Queue[float] = queue.Queue()
    target = folder / "latency.yaml"
    target.write_text(PHRASE.format(title="First"), encoding="utf-8")
    with PhraseWatcher(
        [folder], lambda _paths: reported.put(time.perf_counter()), force_polling=polling
    ) as watcher:
        if not watcher.wait_ready(WAIT):
            raise SystemExit("the watcher did not start")
        time.sleep(0.3)  # let the first file's own event pass
        while not reported.empty():
            reported.get_nowait()
        latencies: list[float] = []
        for number in range(edits):
            if number % 2:
                target.write_text(PHRASE.format(title=f"Edit {number}"), encoding="utf-8")
            else:
                temp = folder / f".latency.yaml.{number}.tmp"
                temp.write_text(PHRASE.format(title=f"Edit {number}"), encoding="utf-8")
                os.replace(temp, target)
            saved = time.perf_counter()
            latencies.append(reported.get(timeout=WAIT) - saved)
            time.sleep(0.1)  # a trainer does not save twice within 100 ms
    return latencies


def measure_stop(folder: Path, cycles: int = 10) -> list[float]:
    took: list[float] = []
    for _ in range(cycles):
        watcher = PhraseWatcher([folder], lambda _paths: None)
        watcher.start()
        if not watcher.wait_ready(WAIT):
            raise SystemExit("the watcher did not start")
        started = time.perf_counter()
        watcher.stop()
        took.append(time.perf_counter() - started)
    return took


def summary(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (
        f"median {statistics.median(ordered) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
        f"max {ordered[-1] * 1000:.0f} ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=20)
    args = parser.parse_args()
    for polling in (False, True):
        with tempfile.TemporaryDirectory(prefix="cd-watch-") as temporary:
            latencies = measure_latency(Path(temporary), args.edits, polling)
        print(
            f"save to on_change, {'polling' if polling else 'inotify'}: {args.edits} edits, "
            f"{summary(latencies)}"
        )
    with tempfile.TemporaryDirectory(prefix="cd-watch-") as temporary:
        print(f"stop(): 10 cycles, {summary(measure_stop(Path(temporary)))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
