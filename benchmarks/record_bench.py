"""Time `calldesk record` over a year of work: 10,000 calls, 1,000 promises, 500 fixes.

Run: .venv/bin/python benchmarks/record_bench.py [--calls N]
Prints the time to gather the record from the database and to render it (plain and Markdown).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from calldesk.core.aftercall.fixes import save_answer
from calldesk.core.calls import records as call_records
from calldesk.core.calls.model import Outcome
from calldesk.core.clock import FakeClock
from calldesk.core.promises import records
from calldesk.core.promises.model import Promise, PromiseState
from calldesk.core.record.render import render_markdown, render_plain
from calldesk.core.record.summary import build_agent_record
from calldesk.core.storage import Database

START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def build_store(path: Path, calls: int) -> None:
    clock = FakeClock(START)
    with Database.open(path, clock) as store, store.batch():
        for index in range(calls):
            clock.set(START + timedelta(minutes=50 * index))
            call = call_records.start_call(store, "Caller", "020 7946 0958")
            call_records.add_note(store, call.id, "printer offline again")
            call_records.end_call(store, call.id)
            outcome = Outcome.BAD if index % 20 == 0 else Outcome.FINE
            call_records.set_outcome(store, call.id, outcome)
            if index % 20 == 0:
                save_answer(store, call.id, "permanent", {"what": f"fix {index}"})
            if index % 10 == 0:
                promise = records.add_promise(
                    store,
                    Promise(0, "call back", clock.now() + timedelta(hours=2), clock.now()),
                )
                records.close_promise(store, promise.id, PromiseState.KEPT, at=clock.now())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "calls.db"
        build_store(path, args.calls)
        end = START + timedelta(minutes=50 * args.calls)
        with Database.open(path, FakeClock(end)) as store:
            began = time.perf_counter()
            record = build_agent_record(store, date(2026, 1, 1), end, tz=UTC)
            gathered = time.perf_counter() - began
            began = time.perf_counter()
            plain, markdown = render_plain(record), render_markdown(record)
            rendered = time.perf_counter() - began
    print(
        f"record of {args.calls} calls, {len(record.weeks)} weeks: gathered in"
        f" {gathered * 1000:.0f} ms, rendered in {rendered * 1000:.1f} ms"
        f" ({len(plain.splitlines())} + {len(markdown.splitlines())} lines)"
    )


if __name__ == "__main__":
    main()
