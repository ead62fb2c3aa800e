"""Benchmark: build the practice queue (and the status bar's due count) for 10,000 phrases.

Run: .venv/bin/python benchmarks/practice_bench.py [--phrases 10000] [--repeat 50]

Makes a deterministic library and a store where 80% of the phrases have a card (about a third
of them due, a few with changed words), then times, median and p95 over `--repeat` runs:
`build_queue` with the cards already loaded (the target: under 50 ms), loading the cards from
SQLite, and `due_count`, which the status bar calls. The say-hash cache is cleared before every
run (each run hashes every phrase afresh) except in the "cached" line, which is the app's case.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from calldesk.core.clock import FakeClock
from calldesk.core.library.phrases import Phrase
from calldesk.core.practice import records as practice_records
from calldesk.core.practice.cards import (
    CardRecord,
    CardState,
    ReviewRecord,
    build_queue,
    due_count,
    introduced_today,
    say_hash,
)
from calldesk.core.storage import Database

SEED = 20261124
TARGET_MS = 50.0


def make_phrases(count: int, rng: random.Random) -> list[Phrase]:
    words = [
        "sorry",
        "understand",
        "fix",
        "today",
        "ticket",
        "refund",
        "check",
        "again",
        "thanks",
        "call",
        "back",
        "now",
    ]
    return [
        Phrase(
            id=f"phrase-{index:05d}",
            title=f"Phrase {index}",
            say=" ".join(rng.choice(words) for _ in range(rng.randint(6, 30))),
            category=f"Category {index % 16}",
            sets=("essentials",) if index % 50 == 0 else (),
        )
        for index in range(count)
    ]


def fill_store(
    store: Database, phrases: list[Phrase], clock: FakeClock, rng: random.Random
) -> None:
    now = clock.now()
    with store.batch():
        for phrase in phrases:
            if rng.random() >= 0.8:
                continue
            words = say_hash(phrase.say) if rng.random() > 0.02 else "changed"
            due = now + timedelta(days=rng.uniform(-20, 40))
            card = CardRecord(
                phrase_id=phrase.id,
                say_hash=words,
                card_id=0,
                state=CardState.REVIEW,
                step=None,
                stability=rng.uniform(1, 60),
                difficulty=rng.uniform(1, 10),
                due=due,
                last_review=now - timedelta(days=3),
                introduced_at=now - timedelta(days=30),
            )
            review = ReviewRecord(
                phrase_id=phrase.id,
                say_hash=words,
                card_id=0,
                rating=3,
                reviewed_at=now - timedelta(days=3),
                elapsed_days=None,
                state_before=CardState.NEW,
                state_after=CardState.REVIEW,
                stability=card.stability,
                difficulty=card.difficulty,
                due=due,
            )
            practice_records.save_practice_review(store, card, review)


def timed(run: Callable[[], object], repeat: int, *, cold: bool = True) -> list[float]:
    times: list[float] = []
    for _ in range(repeat):
        if cold:
            say_hash.cache_clear()
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return times


def report(name: str, times: list[float]) -> float:
    median = statistics.median(times)
    p95 = statistics.quantiles(times, n=20)[-1] if len(times) >= 20 else max(times)
    print(f"{name:<42} median {median:7.2f} ms   p95 {p95:7.2f} ms")
    return p95


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phrases", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    rng = random.Random(SEED)
    clock = FakeClock()
    phrases = make_phrases(args.phrases, rng)
    with tempfile.TemporaryDirectory() as folder:
        store = Database.open(Path(folder) / "bench.db", clock)
        fill_store(store, phrases, clock, rng)
        now = clock.now()
        cards = practice_records.practice_cards(store)
        today = introduced_today(store, now)
        queue = build_queue(phrases, cards, now, 5, introduced_today=today)
        print(
            f"{len(phrases)} phrases, {len(cards)} cards: {len(queue.due)} due, "
            f"{len(queue.new)} new today, {queue.new_waiting} new waiting"
        )
        build_p95 = report(
            "build_queue (cards loaded)",
            timed(lambda: build_queue(phrases, cards, now, 5, introduced_today=today), args.repeat),
        )
        report(
            "build_queue, say hashes cached (the app)",
            timed(
                lambda: build_queue(phrases, cards, now, 5, introduced_today=today),
                args.repeat,
                cold=False,
            ),
        )
        report(
            "build_queue --set essentials",
            timed(lambda: build_queue(phrases, cards, now, 5, "essentials"), args.repeat),
        )
        report(
            "practice_records.practice_cards(store) (load from SQLite)",
            timed(lambda: practice_records.practice_cards(store), args.repeat),
        )
        report(
            "due_count (status bar)",
            timed(lambda: due_count(store, phrases, now, 5), args.repeat),
        )
        store.close()
    verdict = "OK" if build_p95 < TARGET_MS else "TOO SLOW"
    print(f"target: build_queue p95 under {TARGET_MS:g} ms: {verdict}")
    return 0 if build_p95 < TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
