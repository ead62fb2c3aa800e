"""Benchmark: suggestions from the notes cost under 20 ms per note at 10,000 phrases (issue 17).

Run: .venv/bin/python benchmarks/suggest_bench.py [--size 10000]

A call's notes are filed one at a time, as agents write them; after each, the suggestions are
worked out again from all the notes so far (`CallSuggestions.update`), over the bundled library
and a generated one (as search_bench.py makes it), every per-word cache cleared before each
note. Prints median, p95 and the worst time per note, and whether the target is met.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGET_MS = 20.0
NOTES = (
    "caller says internet down since this morning",
    "he's threatening to sue if it is not fixed today",
    "customer furious about invoice, charged twice",
    "already restarted twice, router lights flashing",
    "called me an idiot, gave the one warning",
    "wants a refund for the whole year",
    "asked for my manager, nobody free",
    "promised a callback tomorrow at 10",
    "said thanks, all working now",
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000, help="generated phrases")
    parser.add_argument("--calls", type=int, default=30, help="calls to replay")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(HERE))
    from search_bench import generate

    from calldesk.core.library.loader import load_library
    from calldesk.core.library.search import PhraseIndex
    from calldesk.core.library.suggest import CallSuggestions

    with tempfile.TemporaryDirectory(prefix="calldesk-suggest-") as tmp:
        generate(Path(tmp), args.size)
        library = load_library([HERE.parent / "phrases", Path(tmp)], optional=[])
    index = PhraseIndex(library.phrases, synonyms=library.synonyms)
    index.prepare()
    times: list[float] = []
    shown = 0
    for call in range(args.calls):
        suggestions = CallSuggestions(index)
        notes = ""
        for number, note in enumerate(NOTES[call % 3 :], 1):
            notes = f"{notes}\n{note}" if notes else note
            index.clear_cache()
            started = time.perf_counter()
            result = suggestions.update(notes, "abusive" if call % 2 else None, 40.0 * number)
            times.append(time.perf_counter() - started)
            shown = max(shown, len(result))
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1e3
    median, worst = statistics.median(times) * 1e3, ordered[-1] * 1e3
    print(f"{len(library.phrases):,} phrases, {len(times)} notes filed, per note:")
    print(f"  median {median:.2f} ms, p95 {p95:.2f} ms, worst {worst:.2f} ms")
    print(f"at most {shown} suggestions shown at once")
    verdict = "met" if p95 <= TARGET_MS else "NOT MET"
    print(f"target: p95 <= {TARGET_MS:g} ms per note at {args.size:,} phrases: {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
