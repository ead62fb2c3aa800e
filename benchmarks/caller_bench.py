"""Benchmark: "who is calling" lookup with 100,000 stored calls (target: under 20 ms)."""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from calldesk.core.aftercall.fixes import save_answer
from calldesk.core.calls import records as call_records
from calldesk.core.calls.caller import lookup_caller
from calldesk.core.clock import FakeClock
from calldesk.core.storage import Database


def build(
    store: Database, clock: FakeClock, calls: int, numbers: int, rng: random.Random
) -> list[str]:
    """`calls` calls over a year from `numbers` callers, a few with permanent fixes and tags."""
    pool = [f"+44 20 7946 {index:04d}" for index in range(numbers)]
    step = timedelta(days=365) / calls
    clock.advance(days=-365)
    with store.batch():
        for index in range(calls):
            number = rng.choice(pool)
            call = call_records.start_call(
                store, f"Caller {number[-4:]}", f"sip:{number.replace(' ', '')}@pbx"
            )
            call_records.add_note(store, call.id, f"issue {index}: printer queue stuck again")
            if index % 50 == 0:
                call_records.update_call(store, call.id, tags=["printer"])
                save_answer(
                    store,
                    call.id,
                    "permanent-fix",
                    {"what": "replace the spooler", "where": "", "owner": "IT"},
                )
            call_records.end_call(store, call.id)
            clock.advance(seconds=step.total_seconds())
    return pool


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--numbers", type=int, default=5_000, help="distinct callers")
    parser.add_argument("--lookups", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(7)
    clock = FakeClock()
    with tempfile.TemporaryDirectory() as folder:
        store = Database.open(Path(folder) / "calldesk.db", clock)
        started = time.perf_counter()
        pool = build(store, clock, args.calls, args.numbers, rng)
        took = time.perf_counter() - started
        print(f"stored {args.calls:,} calls from {args.numbers:,} numbers in {took:.1f} s")
        timings = []
        for _ in range(args.lookups):
            number = rng.choice(pool).replace(" ", "-")  # written differently from the stored one
            started = time.perf_counter()
            card = lookup_caller(store, number, clock.now())
            timings.append((time.perf_counter() - started) * 1000)
            assert card is not None and card.known
        timings.sort()
        p95 = timings[int(len(timings) * 0.95) - 1]
        verdict = "within" if p95 < 20 else "OVER"
        print(
            f"lookup_caller: median {statistics.median(timings):.2f} ms, p95 {p95:.2f} ms, "
            f"max {timings[-1]:.2f} ms over {args.lookups} lookups ({verdict} the 20 ms target)"
        )
        store.close()


if __name__ == "__main__":
    main()
