"""Benchmark: time to suggest the checklist's answers for a long call (runs as the checklist opens).

Run: .venv/bin/python benchmarks/checklist_suggest_bench.py [--notes 2000] [--inserts 500]
     [--runs 50]

A call with `--notes` notes of about 600 characters (one of them a `#fix` note), `--inserts`
phrases inserted (the last one tagged blame) and 20 promises; prints the milliseconds
`suggest_answers` takes for the built-in checklist, averaged over `--runs`.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime, timedelta

from calldesk.core.aftercall.checklist import DEFAULT_CHECKLIST
from calldesk.core.aftercall.suggest import CallEvidence, suggest_answers
from calldesk.core.calls.model import Call, NoteEntry
from calldesk.core.library.phrases import Phrase
from calldesk.core.promises.model import Promise

START = datetime(2026, 11, 24, 10, tzinfo=UTC)


def evidence(note_count: int, insert_count: int) -> tuple[CallEvidence, dict[str, Phrase]]:
    notes = [
        NoteEntry(i, 1, START + timedelta(seconds=i), f"note {i} printer #tag{i % 7} " * 20)
        for i in range(note_count)
    ]
    notes.append(NoteEntry(note_count, 1, START + timedelta(hours=1), "#fix new driver"))
    phrases = {f"p{i}": Phrase(f"p{i}", f"T{i}", "x", "c", tags=("hold",)) for i in range(500)}
    last = f"p{insert_count - 1}"
    phrases[last] = Phrase(last, "On us", "x", "c", tags=("blame",))
    inserts = [(f"p{i}", START + timedelta(seconds=i)) for i in range(insert_count)]
    promises = [Promise(i, "call back", START + timedelta(hours=2), START) for i in range(20)]
    return CallEvidence(Call(id=1, started_at=START, notes=notes), inserts, promises), phrases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=2000)
    parser.add_argument("--inserts", type=int, default=500)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    call, phrases = evidence(args.notes, min(args.inserts, 500))
    start = time.perf_counter()
    for _ in range(args.runs):
        found = suggest_answers(DEFAULT_CHECKLIST, call, phrases.get)
    took = (time.perf_counter() - start) / args.runs * 1000
    print(f"{len(found)} suggestions from {args.notes} notes: {took:.2f} ms per checklist")


if __name__ == "__main__":
    main()
