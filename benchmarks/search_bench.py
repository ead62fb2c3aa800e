"""Benchmark: load and search synthetic phrase libraries of 1k, 10k and 100k phrases.

Run: .venv/bin/python benchmarks/search_bench.py [--sizes 1000,10000,100000] [--repeat 15]

Writes deterministic libraries as real YAML files in a temporary folder, times `load_library`,
the index build, and each query (median and p95, per-word caches cleared before every run so
nothing is served from a cache), and runs `fzf --filter` on the same phrases when it is on PATH.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from calldesk.core.library.loader import load_library
from calldesk.core.library.search import PhraseIndex

SEED = 20261124
PHRASES_PER_FILE = 500  # about 250 KB a file, well under the 2 MiB limit


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


CATEGORIES = (
    "Taking the blame",
    "Billing and refunds",
    "Passwords and accounts",
    "Printers",
    "Network and wifi",
    "Email",
    "Angry callers",
    "Escalations",
    "Checking the basics",
    "Closing the call",
    "Hardware returns",
    "Software updates",
    "Phones and headsets",
    "Security and phishing",
    "Outages",
    "Onboarding",
)
TAGS = _words(
    "blame apology refund billing invoice charge password reset login account locked "
    "printer toner driver network wifi router vpn outage email mailbox spam phishing "
    "escalate manager callback ticket basics cable restart update laptop phone headset "
    "return warranty delivery angry calm closing thanks onboarding"
)
SETS = ("essentials", "new-starters", "angry-callers", "billing-week", "advanced")
COMMON = _words(
    "the you we your our it is to and of a that this for on in can with be have not will "
    "just let me i'll see what right now sorry understand absolutely happy help check again "
    "please thank thanks know minute moment while back call ticket number reference today "
    "tomorrow team engineer fix problem issue quick permanent customer account password "
    "reset refund charge invoice billing payment card bank statement printer toner paper "
    "jam driver network wifi router cable modem light restart update laptop screen phone "
    "headset email mailbox spam link phishing login locked security code message outage "
    "service status page manager escalate callback promise follow up written confirmation "
    "days hours working late delivery return warranty replacement order shipped courier "
    "address error mistake fault blame ours apologise frustrating annoying waiting hold "
    "transfer department colleague owner filed report root cause again never happen sure "
    "whether basics plugged power settings menu button click open close save file folder "
    "drive backup restore data lost"
)
SYLLABLES = _words("ka lo mi ne ru sa te vo zi pa qu dre fin gor hal jun pex tor vak wim")


def _long_tail(rng: random.Random, count: int) -> list[str]:
    """Made-up product and place names: the rare words a real library is full of."""
    found: set[str] = set()
    while len(found) < count:
        found.add("".join(rng.choices(SYLLABLES, k=rng.randint(2, 4))))
    return sorted(found)


def _sentence(rng: random.Random, vocabulary: Sequence[str], weights: Sequence[float]) -> str:
    chosen = rng.choices(vocabulary, weights=weights, k=rng.randint(6, 14))
    return " ".join(chosen).capitalize() + "."


def generate(folder: Path, count: int, seed: int = SEED) -> None:
    """Write `count` phrases as YAML files under `folder` (deterministic for a given seed)."""
    rng = random.Random(seed)
    vocabulary = [*COMMON, *_long_tail(rng, 4000)]
    # Zipf-like weights: a few words everywhere, most words rare, as in real text.
    weights = [1.0 / (rank + 1) for rank in range(len(vocabulary))]
    folder.mkdir(parents=True, exist_ok=True)
    for start in range(0, count, PHRASES_PER_FILE):
        category = CATEGORIES[(start // PHRASES_PER_FILE) % len(CATEGORIES)]
        lines = [
            f"category: {json.dumps(category)}",
            f"tags: [{rng.choice(TAGS)}]",
            "phrases:",
        ]
        for number in range(start, min(start + PHRASES_PER_FILE, count)):
            title = " ".join(rng.choices(vocabulary[:300], k=rng.randint(2, 5))).capitalize()
            say = [_sentence(rng, vocabulary, weights) for _ in range(rng.randint(1, 3))]
            if rng.random() < 0.3:
                say[0] = "{customer}, " + say[0][0].lower() + say[0][1:]
            lines += [
                f"  - id: phrase-{number:06d}",
                f"    title: {json.dumps(title)}",
                "    say: |",
                *(f"      {line}" for line in say),
                f"    tags: [{', '.join(rng.sample(TAGS, rng.randint(1, 3)))}]",
            ]
            if rng.random() < 0.5:
                lines.append(f"    when: {json.dumps(_sentence(rng, vocabulary, weights))}")
            if rng.random() < 0.2:
                lines.append(f"    sets: [{rng.choice(SETS)}]")
        name = f"{start // PHRASES_PER_FILE:04d}-{category.lower().replace(' ', '-')}.yaml"
        (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")


QUERIES: dict[str, tuple[str, ...]] = {
    "exact": ("refund", "password", "printer", "escalate"),
    "typing": ("re", "ref", "refu", "refun", "pas", "passw"),
    "typo": ("refnd", "pasword", "acount", "escalte", "confirmaton"),
    "words": ("reset password", "printer toner jam", "sorry refund late", "call back tomorrow"),
    "filter": ("tag:blame", "tag:billing refund", "cat:net router", "set:ess sorry"),
    "one letter": ("a", "s", "p", "r"),
    # Worst cases: many words, some in nearly every phrase (ranked phrase by phrase).
    "long": ("the you we our it is to and", "escalate manager callback promise written"),
}


def _timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def _timed_search(index: PhraseIndex, query: str, cold: bool) -> float:
    if cold:
        index.clear_cache()
    start = time.perf_counter()
    index.search(query)
    return time.perf_counter() - start


def _percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _fzf(lines_file: Path, query: str) -> float:
    with lines_file.open("rb") as handle:
        start = time.perf_counter()
        subprocess.run(
            ["fzf", "--filter", query], stdin=handle, stdout=subprocess.DEVNULL, check=False
        )
        return time.perf_counter() - start


def bench(sizes: Sequence[int], repeat: int) -> None:
    fzf = shutil.which("fzf")
    print(f"python {sys.version.split()[0]}, {repeat} runs per query, caches cleared each run")
    print("fzf: " + (f"{fzf} (times include starting the process)" if fzf else "not installed"))
    with tempfile.TemporaryDirectory(prefix="calldesk-bench-") as tmp:
        for size in sizes:
            folder = Path(tmp) / f"lib{size}"
            generate(folder, size)
            files = sorted(folder.glob("*.yaml"))
            megabytes = sum(path.stat().st_size for path in files) / 1e6
            library = None

            def load(folder: Path = folder) -> None:
                nonlocal library
                library = load_library([folder])

            load_time = _timed(load)
            assert library is not None and not library.errors, library and library.errors[:3]
            index: PhraseIndex | None = None

            def build(library: object = library) -> None:
                nonlocal index
                index = PhraseIndex(library.phrases)  # type: ignore[attr-defined]
                index.prepare()

            build_time = _timed(build)
            assert index is not None
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print()
            print(
                f"== {size:,} phrases in {len(files)} files ({megabytes:.1f} MB): "
                f"load {load_time:.2f} s, index build {build_time:.2f} s, "
                f"peak RSS so far {rss:.0f} MB"
            )
            lines_file = Path(tmp) / f"lines{size}.txt"
            lines_file.write_text(
                "".join(
                    f"{p.title} | {p.category} | {' '.join(p.tags)} | "
                    f"{' '.join(p.say.split())} | {p.when}\n"
                    for p in library.phrases
                ),
                encoding="utf-8",
            )
            header = f"{'queries':<12} {'median ms':>10} {'p95 ms':>8} {'max ms':>8}"
            header += f" {'fzf median ms':>14}" if fzf else ""
            print(header)
            every: list[float] = []
            for kind, queries in QUERIES.items():
                times: list[float] = []
                for query in queries:
                    times.extend(_timed_search(index, query, cold=True) for _ in range(repeat))
                every.extend(times)
                row = (
                    f"{kind:<12} {statistics.median(times) * 1e3:>10.2f} "
                    f"{_percentile(times, 0.95) * 1e3:>8.2f} {max(times) * 1e3:>8.2f}"
                )
                if fzf:
                    fzf_times = [_fzf(lines_file, q) for q in queries for _ in range(3)]
                    row += f" {statistics.median(fzf_times) * 1e3:>14.1f}"
                print(row)
            print(
                f"{'all':<12} {statistics.median(every) * 1e3:>10.2f} "
                f"{_percentile(every, 0.95) * 1e3:>8.2f} {max(every) * 1e3:>8.2f}"
            )
            # Typing with the per-word cache on, as the app does: one query per keystroke.
            typing = "reset passw"
            index.clear_cache()
            keystrokes = [
                _timed_search(index, typing[:n], cold=False) for n in range(1, len(typing) + 1)
            ]
            print(
                f"typing {typing!r} one key at a time (cache on): "
                f"median {statistics.median(keystrokes) * 1e3:.2f} ms, "
                f"max {max(keystrokes) * 1e3:.2f} ms"
            )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args(argv)
    bench([int(size) for size in args.sizes.split(",")], args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
