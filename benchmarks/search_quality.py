"""Benchmark: does search find the right phrase for real call moments? Beside substring and fzf.

Run: .venv/bin/python benchmarks/search_quality.py [--summary] [--json] [--compare OLD.json]
                                                    [--sizes 10000,100000] [--no-speed]

The moments are in benchmarks/search_situations.yaml: what an agent thinks mid-call, what
they type first (one or more queries, the most common first) and the bundled phrases that fit.
Each query is typed letter by letter into three searches over the bundled library:
calldesk's own, a plain substring filter and `fzf --filter`. For every query it reports:

- found: a fitting phrase is in the top 3 for the full query;
- keys: the keystroke from which a fitting phrase is in the top 3 for every later prefix of
  the query, up to the full query. Every character typed is one keystroke, spaces included:
  "kill" kept from its 3rd letter on counts 3; a query whose full text finds nothing counts
  "never". A `*` marks a query that had a fitting phrase in the top 3 at some prefix and
  lost it at a later one;
- 1st: for threat, legal-threat and abuse moments, whether the top hit itself fits.

Per situation: found means every one of its queries is found (each is what some agent types);
keys are those of its first query (what most agents type first); the top hit fits when it
does for every query. The targets from issue 17 are checked for calldesk, with the speed
targets: p95 per keystroke query at 10,000 and 100,000 phrases, generated as
search_bench.py does, beside the bundled library, every per-word cache cleared before each
run; each query's time is the best of `--repeat` runs (3), so that other work on a shared
machine does not count as search time.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml

HERE = Path(__file__).resolve().parent
BUNDLED_PHRASES = HERE.parent / "phrases"
SITUATIONS_FILE = HERE / "search_situations.yaml"
THESAURUS_FILE = HERE.parent / "src/calldesk/core/library/data/thesaurus.yaml"
TOP = 3
MAX_QUERY = 80
MAX_SITUATIONS_BYTES = 1_000_000
TOP_HIT_KINDS = ("threat", "legal", "abuse")
"""Moments where only the first hit counts: a wrong first line here does harm."""

KINDS = (
    "threat",
    "legal",
    "abuse",
    "after-call",
    "fury",
    "digs",
    "blame",
    "apology",
    "manager",
    "billing",
    "refund",
    "cancel",
    "concession",
    "basics",
    "hold",
    "callback",
    "opening",
    "closing",
    "not-my-job",
    "fan",
    "career",
)


# ---- The one place that knows where calldesk's library and search live ------------------


class Engine(Protocol):
    name: str

    def search(self, query: str, limit: int) -> list[str]:
        """Ids of the best `limit` phrases for `query`, best first."""
        ...

    def clear_cache(self) -> None:
        """Forget anything cached between queries (for honest timing)."""
        ...


def load_phrases(folders: Sequence[Path]) -> Any:
    """calldesk's phrase library from `folders`, as the app loads it."""
    from calldesk.core.library.loader import load_library

    return load_library(list(folders), optional=[])


def calldesk_engine(library: Any) -> Engine:
    """calldesk's search over `library`, as the app runs it (an agent with no usage yet).

    Change the import here when the search moves or takes more (a thesaurus, keywords).
    """
    from calldesk.core.library.search import PhraseIndex

    index = PhraseIndex(library.phrases, synonyms=library.synonyms)
    index.prepare()

    @dataclass
    class CalldeskSearch:
        name: str = "calldesk"

        def search(self, query: str, limit: int) -> list[str]:
            return [phrase.id for phrase in index.search(query, limit).hits]

        def clear_cache(self) -> None:
            index.clear_cache()

    return CalldeskSearch()


# ---- The baselines ---------------------------------------------------------------------


def phrase_fields(phrase: Any) -> tuple[str, ...]:
    """What the baselines see of a phrase: title, say, when, tags and category."""
    return (phrase.title, " ".join(phrase.say.split()), phrase.when, *phrase.tags, phrase.category)


class SubstringSearch:
    """Plain filtering: case-insensitive, every query word a substring, library order."""

    name = "substring"

    def __init__(self, phrases: Sequence[Any]) -> None:
        self._texts = [(p.id, " ".join(phrase_fields(p)).casefold()) for p in phrases]

    def search(self, query: str, limit: int) -> list[str]:
        needles = query.casefold().split()
        found: list[str] = []
        for phrase_id, text in self._texts:
            if all(needle in text for needle in needles):
                found.append(phrase_id)
                if len(found) == limit:
                    break
        return found

    def clear_cache(self) -> None:
        pass


class FzfSearch:
    """`fzf --filter QUERY` over one line per phrase (id, title, category, tags, say, when)."""

    name = "fzf"

    def __init__(self, phrases: Sequence[Any], program: str, folder: Path) -> None:
        self._program = program
        self._lines = folder / "fzf-lines.txt"
        self._lines.write_text(
            "".join(
                "\t".join(
                    (
                        p.id,
                        p.title,
                        p.category,
                        " ".join(p.tags),
                        " ".join(p.say.split()),
                        " ".join(p.when.split()),
                    )
                )
                + "\n"
                for p in phrases
            ),
            encoding="utf-8",
        )
        # The user's own fzf settings must not change the ranking being measured.
        self._env = {k: v for k, v in os.environ.items() if not k.startswith("FZF_")}

    def search(self, query: str, limit: int) -> list[str]:
        with self._lines.open("rb") as lines:
            result = subprocess.run(
                [self._program, "--filter", query],
                stdin=lines,
                capture_output=True,
                env=self._env,
                check=False,
            )
        if result.returncode not in (0, 1):  # 1: nothing matched
            raise RuntimeError(f"fzf failed on {query!r}: {result.stderr.decode(errors='replace')}")
        out = result.stdout.decode("utf-8").splitlines()
        return [line.split("\t", 1)[0] for line in out[:limit]]

    def clear_cache(self) -> None:
        pass


# ---- Situations ------------------------------------------------------------------------


@dataclass(frozen=True)
class Situation:
    id: str
    kind: str
    moment: str
    queries: tuple[str, ...]
    fits: frozenset[str]
    line: int = 0

    @property
    def top_hit_counts(self) -> bool:
        return self.kind in TOP_HIT_KINDS


class SituationsError(Exception):
    """The situations file cannot be used; `problems` says where and why."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def load_situations(path: Path, phrase_ids: Iterable[str]) -> list[Situation]:
    """Every situation in `path`, checked against the library's phrase ids."""
    known = set(phrase_ids)
    if not path.is_file():
        raise SituationsError([f"{path}: not a file (give a YAML file of situations)"])
    if path.stat().st_size > MAX_SITUATIONS_BYTES:
        raise SituationsError([f"{path}: larger than {MAX_SITUATIONS_BYTES // 1_000_000} MB"])
    try:
        text = path.read_text(encoding="utf-8")
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise SituationsError([f"{path}: cannot read it: {error}"]) from None
    if not isinstance(data, dict) or not isinstance(data.get("situations"), list):
        raise SituationsError([f"{path}: expected a mapping with a `situations:` list"])
    assert isinstance(root, yaml.MappingNode)
    items = next(v for k, v in root.value if k.value == "situations").value
    problems: list[str] = []
    situations: list[Situation] = []
    seen: dict[str, int] = {}
    for node, entry in zip(items, data["situations"], strict=True):
        line = node.start_mark.line + 1
        where = f"{path}:{line}"
        if not isinstance(entry, dict):
            problems.append(f"{where}: a situation is a mapping (id, kind, moment, queries, fits)")
            continue
        unknown = sorted(set(entry) - {"id", "kind", "moment", "queries", "fits"})
        if unknown:
            problems.append(f"{where}: unknown key(s) {', '.join(unknown)}")
        situation_id = entry.get("id")
        if not isinstance(situation_id, str) or not situation_id:
            problems.append(f"{where}: `id` must be a non-empty string")
            continue
        where = f"{where} ({situation_id})"
        if situation_id in seen:
            problems.append(f"{where}: id already used on line {seen[situation_id]}")
        seen[situation_id] = line
        kind = entry.get("kind")
        if kind not in KINDS:
            problems.append(f"{where}: `kind` must be one of {', '.join(KINDS)}; got {kind!r}")
        moment = entry.get("moment")
        if not isinstance(moment, str) or not moment.strip():
            problems.append(f"{where}: `moment` must say the moment in one line")
        queries = entry.get("queries")
        if (
            not isinstance(queries, list)
            or not queries
            or not all(isinstance(q, str) and q.strip() for q in queries)
        ):
            problems.append(f"{where}: `queries` must be a list of what agents type (strings)")
            queries = []
        for query in queries:
            if len(query) > MAX_QUERY or not query.isprintable():
                problems.append(
                    f"{where}: query {query[:40]!r} must be one printable line "
                    f"of at most {MAX_QUERY} characters, as typed in the search box"
                )
        fits = entry.get("fits")
        if not isinstance(fits, list) or not fits or not all(isinstance(f, str) for f in fits):
            problems.append(f"{where}: `fits` must list the ids of the phrases that fit")
            fits = []
        missing = [f for f in fits if f not in known]
        if missing:
            problems.append(
                f"{where}: no phrase with id {', '.join(missing)} in the library "
                "(`calldesk phrases list` shows the ids)"
            )
        situations.append(
            Situation(
                id=situation_id,
                kind=str(kind),
                moment=str(moment),
                queries=tuple(dict.fromkeys(q.strip() for q in queries)),
                fits=frozenset(fits),
                line=line,
            )
        )
    if problems:
        raise SituationsError(problems)
    return situations


# ---- Scoring ---------------------------------------------------------------------------


@dataclass(frozen=True)
class QueryScore:
    """How one search did on one query, typed letter by letter."""

    query: str
    found: bool
    keystrokes: int | None  # None: the full query finds nothing fitting
    lost: bool  # a fitting phrase was in the top 3, then gone at a later prefix
    first_fits: bool
    top: tuple[str, ...]  # the top 3 for the full query


def score_query(
    search: Callable[[str, int], list[str]], query: str, fits: frozenset[str]
) -> QueryScore:
    """Type `query` one character at a time and see when a fitting phrase is in the top 3."""
    fitting: list[bool] = []
    top: list[str] = []
    for length in range(1, len(query) + 1):
        top = search(query[:length], TOP)
        fitting.append(any(hit in fits for hit in top))
    keystrokes: int | None = None
    if fitting[-1]:
        keystrokes = len(fitting)
        while keystrokes > 1 and fitting[keystrokes - 2]:
            keystrokes -= 1
    first_seen = next((i for i, ok in enumerate(fitting) if ok), None)
    lost = first_seen is not None and not all(fitting[first_seen:])
    return QueryScore(
        query=query,
        found=fitting[-1],
        keystrokes=keystrokes,
        lost=lost,
        first_fits=bool(top) and top[0] in fits,
        top=tuple(top),
    )


@dataclass(frozen=True)
class SituationScore:
    situation: Situation
    queries: tuple[QueryScore, ...]

    @property
    def found(self) -> bool:
        return all(q.found for q in self.queries)

    @property
    def keystrokes(self) -> int | None:
        return self.queries[0].keystrokes

    @property
    def first_fits(self) -> bool:
        return all(q.first_fits for q in self.queries)


def run_engine(engine: Engine, situations: Sequence[Situation]) -> list[SituationScore]:
    cache: dict[str, list[str]] = {}

    def search(query: str, limit: int) -> list[str]:
        if query not in cache:
            cache[query] = engine.search(query, TOP)
        return cache[query][:limit]

    return [
        SituationScore(s, tuple(score_query(search, q, s.fits) for q in s.queries))
        for s in situations
    ]


def _median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else math.inf


@dataclass(frozen=True)
class Summary:
    situations: int
    situations_found: int
    queries: int
    queries_found: int
    median_keys: float  # inf: never
    worst_keys: float
    query_median_keys: float
    query_worst_keys: float
    queries_lost: int
    top_hit_situations: int
    top_hit_situations_fit: int
    top_hit_queries: int
    top_hit_queries_fit: int
    found_by_kind: dict[str, tuple[int, int]] = field(default_factory=dict)


def summarize(scores: Sequence[SituationScore]) -> Summary:
    def keys(value: int | None) -> float:
        return math.inf if value is None else float(value)

    situation_keys = [keys(s.keystrokes) for s in scores]
    query_scores = [q for s in scores for q in s.queries]
    query_keys = [keys(q.keystrokes) for q in query_scores]
    top_scored = [s for s in scores if s.situation.top_hit_counts]
    by_kind: dict[str, tuple[int, int]] = {}
    for s in scores:
        found, total = by_kind.get(s.situation.kind, (0, 0))
        by_kind[s.situation.kind] = (found + s.found, total + 1)
    return Summary(
        situations=len(scores),
        situations_found=sum(s.found for s in scores),
        queries=len(query_scores),
        queries_found=sum(q.found for q in query_scores),
        median_keys=_median(situation_keys),
        worst_keys=max(situation_keys, default=math.inf),
        query_median_keys=_median(query_keys),
        query_worst_keys=max(query_keys, default=math.inf),
        queries_lost=sum(q.lost for q in query_scores),
        top_hit_situations=len(top_scored),
        top_hit_situations_fit=sum(s.first_fits for s in top_scored),
        top_hit_queries=sum(len(s.queries) for s in top_scored),
        top_hit_queries_fit=sum(q.first_fits for s in top_scored for q in s.queries),
        found_by_kind={kind: by_kind[kind] for kind in KINDS if kind in by_kind},
    )


# ---- Speed -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SpeedResult:
    size: int  # generated phrases, beside the bundled library
    phrases: int  # all phrases searched
    build_seconds: float
    queries: int
    median_ms: float
    p95_ms: float
    max_ms: float
    full_query_p95_ms: float


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def measure_speed(
    size: int, situations: Sequence[Situation], folder: Path, repeat: int = 3
) -> SpeedResult:
    """Time every prefix of every situation query, cold, over `size` generated phrases.

    A query's time is the best of `repeat` runs, every cache cleared before each run.
    """
    sys.path.insert(0, str(HERE))
    try:
        from search_bench import generate  # the same synthetic library as search_bench.py
    finally:
        sys.path.remove(str(HERE))
    generated = folder / f"generated-{size}"
    generate(generated, size)
    library = load_phrases([BUNDLED_PHRASES, generated])
    if library.errors:
        raise RuntimeError(f"generated library has problems: {library.errors[:3]}")
    started = time.perf_counter()
    engine = calldesk_engine(library)
    build = time.perf_counter() - started
    full = {q for s in situations for q in s.queries}
    prefixes = sorted({q[:n] for q in full for n in range(1, len(q) + 1)})
    times: dict[str, float] = {}
    for query in prefixes:
        best = math.inf
        for _ in range(repeat):
            engine.clear_cache()
            started = time.perf_counter()
            engine.search(query, 50)
            best = min(best, time.perf_counter() - started)
        times[query] = best
    every = list(times.values())
    return SpeedResult(
        size=size,
        phrases=len(library.phrases),
        build_seconds=build,
        queries=len(every),
        median_ms=statistics.median(every) * 1e3,
        p95_ms=percentile(every, 0.95) * 1e3,
        max_ms=max(every) * 1e3,
        full_query_p95_ms=percentile([times[q] for q in full], 0.95) * 1e3,
    )


SPEED_TARGETS_MS = {10_000: 10.0, 100_000: 100.0}


# ---- The bundled thesaurus as data: which phrases its groups lead to -------------------


@dataclass(frozen=True)
class ThesaurusGroup:
    name: str
    words: tuple[tuple[str, ...], ...]  # each entry as folded words; multi-word allowed
    targets: frozenset[str]  # phrase ids it leads to


def words_of(text: str) -> tuple[str, ...]:
    """Folded words, apostrophes kept inside a word ("can't"), as agents type them."""
    cleaned = "".join(ch if ch.isalnum() or ch == "'" else " " for ch in text.casefold())
    return tuple(w.strip("'") for w in cleaned.split() if w.strip("'"))


def load_thesaurus(path: Path, phrases: Sequence[Any]) -> list[ThesaurusGroup]:
    """The draft's groups and the phrase ids each leads to (categories, tags and ids)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    groups: list[ThesaurusGroup] = []
    for entry in data["groups"]:
        leads = entry["leads_to"]
        categories = set(leads.get("categories", ()))
        tags = set(leads.get("tags", ()))
        ids = set(leads.get("phrases", ()))
        targets = frozenset(
            p.id
            for p in phrases
            if p.category in categories or tags.intersection(p.tags) or p.id in ids
        )
        groups.append(
            ThesaurusGroup(
                name=entry["name"],
                words=tuple(words_of(str(word)) for word in entry["words"]),
                targets=targets,
            )
        )
    return groups


def thesaurus_targets(groups: Sequence[ThesaurusGroup], query: str) -> dict[str, frozenset[str]]:
    """The groups whose entries occur in `query` (whole words, in order), and their targets.

    The longest entry wins: "leave a message" is voicemail, not cancelling because of "leave".
    """
    typed = words_of(query)
    spans: list[tuple[int, int, ThesaurusGroup]] = []
    for group in groups:
        for entry in group.words:
            n = len(entry)
            for start in range(len(typed) - n + 1):
                if typed[start : start + n] == entry:
                    spans.append((start, start + n, group))
    kept = [
        (start, end, group)
        for start, end, group in spans
        if not any(s <= start and end <= e and (e - s) > (end - start) for s, e, _ in spans)
    ]
    return {group.name: group.targets for _, _, group in kept}


@dataclass(frozen=True)
class ThesaurusCoverage:
    queries: int
    covered: int  # a group's word is in the query
    fitting: int  # ... and some group leads to a fitting phrase
    wrong: list[tuple[str, str, str]]  # (situation, query, group) leading only elsewhere


def thesaurus_coverage(
    groups: Sequence[ThesaurusGroup], situations: Sequence[Situation]
) -> ThesaurusCoverage:
    queries = covered = fitting = 0
    wrong: list[tuple[str, str, str]] = []
    for situation in situations:
        for query in situation.queries:
            queries += 1
            hits = thesaurus_targets(groups, query)
            if not hits:
                continue
            covered += 1
            if any(targets & situation.fits for targets in hits.values()):
                fitting += 1
            else:
                wrong.extend((situation.id, query, name) for name in hits)
    return ThesaurusCoverage(queries, covered, fitting, wrong)


# ---- Output ----------------------------------------------------------------------------


def shown(text: str, width: int | None = None) -> str:
    """`text` safe for a terminal (control characters escaped), cut to `width`."""
    safe = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode() for ch in text)
    if width is not None and len(safe) > width:
        safe = safe[: width - 1] + "~"
    return safe


def keys_text(value: float | int | None) -> str:
    if value is None or value == math.inf:
        return "never"
    return f"{value:g}"


def cell(score: QueryScore, top_hit_counts: bool) -> str:
    found = "ok" if score.found else "--"
    keys = keys_text(score.keystrokes) if score.keystrokes is not None else "-"
    keys = f"{keys:>4}{'*' if score.lost else ' '}"
    first = ("ok" if score.first_fits else "--") if top_hit_counts else ""
    return f"{found:<3}{keys} {first:<3}"


def print_details(engines: Sequence[str], results: Mapping[str, Sequence[SituationScore]]) -> None:
    print("Per query: fnd = a fitting phrase in the top 3 for the full query; keys = the")
    print("keystroke from which one stays in the top 3 (* = one was there earlier, then got")
    print("lost); 1st = the top hit fits (threat, legal and abuse moments only).")
    head = f"{'situation / query':<28}" + "".join(f" {name[:12]:<12}" for name in engines)
    sub = f"{'':<28}" + " fnd keys 1st" * len(engines)
    first = results[engines[0]]
    for index, situation_score in enumerate(first):
        situation = situation_score.situation
        if index % 20 == 0:
            print()
            print(head)
            print(sub)
        line = f"{shown(situation.id)} [{situation.kind}] {shown(situation.moment)}"
        print(textwrap.fill(line, 80, subsequent_indent="    ", break_on_hyphens=False))
        for q_index, query in enumerate(situation.queries):
            row = f"  {shown(query, 26):<26}"
            for name in engines:
                score = results[name][index].queries[q_index]
                row += " " + cell(score, situation.top_hit_counts)
            print(row.rstrip())
    print()


def summary_rows(summary: Summary) -> list[tuple[str, str]]:
    return [
        ("situations found (every query)", f"{summary.situations_found}/{summary.situations}"),
        ("queries found", f"{summary.queries_found}/{summary.queries}"),
        ("keys, first query: median", keys_text(summary.median_keys)),
        ("keys, first query: worst", keys_text(summary.worst_keys)),
        ("keys, every query: median", keys_text(summary.query_median_keys)),
        ("keys, every query: worst", keys_text(summary.query_worst_keys)),
        ("queries losing a fit while typing", str(summary.queries_lost)),
        (
            "threat/legal/abuse: top hit fits",
            f"{summary.top_hit_situations_fit}/{summary.top_hit_situations}",
        ),
        (
            "  ... per query",
            f"{summary.top_hit_queries_fit}/{summary.top_hit_queries}",
        ),
    ]


def print_summary(engines: Sequence[str], summaries: Mapping[str, Summary]) -> None:
    print(f"{'':<36}" + "".join(f"{name:>14}" for name in engines))
    rows = {name: summary_rows(summaries[name]) for name in engines}
    for i, (label, _) in enumerate(rows[engines[0]]):
        print(f"{label:<36}" + "".join(f"{rows[name][i][1]:>14}" for name in engines))
    print()
    print("situations found, by kind")
    for kind in summaries[engines[0]].found_by_kind:
        line = f"  {kind:<34}"
        for name in engines:
            found, total = summaries[name].found_by_kind[kind]
            line += f"{f'{found}/{total}':>14}"
        print(line)
    print()


@dataclass(frozen=True)
class Target:
    name: str
    value: str
    met: bool | None  # None: not measured this run


def targets(summary: Summary, speed: Sequence[SpeedResult]) -> list[Target]:
    found = [
        Target(
            "every situation found",
            f"{summary.situations_found}/{summary.situations}",
            summary.situations_found == summary.situations,
        ),
        Target("median <= 3 keystrokes", keys_text(summary.median_keys), summary.median_keys <= 3),
        Target("worst <= 6 keystrokes", keys_text(summary.worst_keys), summary.worst_keys <= 6),
        Target(
            "every threat/abuse top hit fits",
            f"{summary.top_hit_situations_fit}/{summary.top_hit_situations}",
            summary.top_hit_situations_fit == summary.top_hit_situations,
        ),
    ]
    by_size = {result.size: result for result in speed}
    for size, limit in SPEED_TARGETS_MS.items():
        result = by_size.get(size)
        found.append(
            Target(
                f"p95 <= {limit:g} ms at {size:,} phrases",
                f"{result.p95_ms:.2f} ms" if result else "not run",
                result.p95_ms <= limit if result else None,
            )
        )
    return found


def print_targets(items: Sequence[Target]) -> None:
    print("Targets (issue 17) for calldesk")
    for item in items:
        verdict = {True: "met", False: "NOT MET", None: "not measured"}[item.met]
        print(f"  {item.name:<36}{item.value:>14}  {verdict}")
    print()


def print_speed(speed: Sequence[SpeedResult]) -> None:
    print("Speed: calldesk, every prefix of every query typed, cold (caches cleared each time),")
    print("best of the repeated runs of each query")
    print(
        f"  {'generated':>10} {'phrases':>8} {'build s':>8} {'queries':>8} "
        f"{'median ms':>10} {'p95 ms':>8} {'max ms':>8} {'p95 full':>9}"
    )
    for r in speed:
        print(
            f"  {r.size:>10,} {r.phrases:>8,} {r.build_seconds:>8.2f} {r.queries:>8} "
            f"{r.median_ms:>10.2f} {r.p95_ms:>8.2f} {r.max_ms:>8.2f} {r.full_query_p95_ms:>9.2f}"
        )
    print()


def print_thesaurus(coverage: ThesaurusCoverage) -> None:
    print(f"Thesaurus ({THESAURUS_FILE.name}, its words as data, without the search engine):")
    print(
        f"  {coverage.covered}/{coverage.queries} queries contain a group's words; "
        f"{coverage.fitting} of them lead to a fitting phrase"
    )
    for situation, query, group in coverage.wrong:
        print(f"  leads elsewhere: {shown(situation)} {query!r} -> {shown(group)}")
    print()


# ---- JSON and comparing runs -----------------------------------------------------------


def _number(value: float) -> float | None:
    return None if value == math.inf else value


def as_json(
    situations: Sequence[Situation],
    results: Mapping[str, Sequence[SituationScore]],
    summaries: Mapping[str, Summary],
    target_list: Sequence[Target],
    speed: Sequence[SpeedResult],
    library_size: int,
) -> dict[str, Any]:
    engines: dict[str, Any] = {}
    for name, scores in results.items():
        summary = dataclasses.asdict(summaries[name])
        for key in ("median_keys", "worst_keys", "query_median_keys", "query_worst_keys"):
            summary[key] = _number(summary[key])
        engines[name] = {
            "summary": summary,
            "queries": [
                {
                    "situation": s.situation.id,
                    "query": q.query,
                    "found": q.found,
                    "keystrokes": q.keystrokes,
                    "lost": q.lost,
                    "first_fits": q.first_fits,
                    "top": list(q.top),
                }
                for s in scores
                for q in s.queries
            ],
        }
    return {
        "benchmark": "search_quality",
        "library_phrases": library_size,
        "situations": len(situations),
        "queries": sum(len(s.queries) for s in situations),
        "engines": engines,
        "targets": [dataclasses.asdict(t) for t in target_list],
        "speed": [dataclasses.asdict(r) for r in speed],
    }


def compare(old: Mapping[str, Any], new: Mapping[str, Any], engine: str) -> list[str]:
    """What changed for `engine` between two --json runs, query by query."""
    if engine not in old.get("engines", {}):
        return [f"{engine}: not in the older run"]
    before = {(q["situation"], q["query"]): q for q in old["engines"][engine]["queries"]}
    now = {(q["situation"], q["query"]) for q in new["engines"][engine]["queries"]}
    lines: list[str] = []
    added, gone = len(now - before.keys()), len(before.keys() - now)
    if added or gone:
        lines.append(f"  {added} query(ies) new since, {gone} no longer in the situations")
    for q in new["engines"][engine]["queries"]:
        key = (q["situation"], q["query"])
        was = before.get(key)
        if was is None:
            continue
        changes = []
        if was["found"] != q["found"]:
            changes.append("now found" if q["found"] else "NO LONGER FOUND")
        if was["keystrokes"] != q["keystrokes"]:
            changes.append(f"keys {keys_text(was['keystrokes'])} -> {keys_text(q['keystrokes'])}")
        if was["first_fits"] != q["first_fits"]:
            changes.append("top hit now fits" if q["first_fits"] else "TOP HIT NO LONGER FITS")
        if was["lost"] != q["lost"]:
            changes.append("no longer loses a fit" if not q["lost"] else "NOW LOSES A FIT")
        if changes:
            lines.append(f"  {shown(key[0])} {key[1]!r}: {', '.join(changes)}")
    return lines


# ---- Main ------------------------------------------------------------------------------


def sizes(text: str) -> list[int]:
    """`--sizes`: comma-separated numbers of generated phrases, 1 to 1,000,000."""
    try:
        found = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give numbers, e.g. 10000,100000") from None
    if not all(1 <= size <= 1_000_000 for size in found):
        raise argparse.ArgumentTypeError(f"{text!r}: each size must be 1 to 1,000,000")
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--situations", type=Path, default=SITUATIONS_FILE)
    parser.add_argument("--summary", action="store_true", help="skip the per-query table")
    parser.add_argument("--json", action="store_true", help="print the results as JSON only")
    parser.add_argument("--compare", type=Path, metavar="OLD.json", help="a previous --json run")
    parser.add_argument(
        "--sizes", type=sizes, default="10000,100000", help="generated library sizes"
    )
    parser.add_argument("--no-speed", action="store_true", help="skip the speed section")
    parser.add_argument(
        "--repeat", type=int, default=3, help="time each query as the best of N cold runs"
    )
    parser.add_argument(
        "--engines", default="calldesk,substring,fzf", help="comma-separated; calldesk first"
    )
    args = parser.parse_args(argv)
    say = (lambda *a, **k: None) if args.json else print

    library = load_phrases([BUNDLED_PHRASES])
    if library.errors:
        for problem in library.errors:
            print(f"bundled library: {problem}", file=sys.stderr)
        return 2
    try:
        situations = load_situations(args.situations, (p.id for p in library.phrases))
    except SituationsError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        return 2
    old = None
    if args.compare:
        try:
            old = json.loads(args.compare.read_text(encoding="utf-8"))
            if not isinstance(old, dict) or old.get("benchmark") != "search_quality":
                raise ValueError("no `benchmark: search_quality` in it")
        except (OSError, ValueError) as error:
            print(f"{args.compare}: not a --json run of this benchmark: {error}", file=sys.stderr)
            return 2

    wanted = [name.strip() for name in args.engines.split(",") if name.strip()]
    with tempfile.TemporaryDirectory(prefix="calldesk-quality-") as tmp:
        engines: list[Engine] = []
        for name in wanted:
            if name == "calldesk":
                engines.append(calldesk_engine(library))
            elif name == "substring":
                engines.append(SubstringSearch(library.phrases))
            elif name == "fzf":
                program = shutil.which("fzf")
                if program:
                    engines.append(FzfSearch(library.phrases, program, Path(tmp)))
                else:
                    say("fzf is not on PATH: its column is left out\n")
            else:
                parser.error(f"unknown engine {name!r}: calldesk, substring or fzf")
        if not engines:
            parser.error("no engine to run")
        names = [engine.name for engine in engines]
        say(
            f"{len(situations)} situations, {sum(len(s.queries) for s in situations)} queries "
            f"({shown(args.situations.name)}); {len(library.phrases)} bundled phrases; top {TOP}"
        )
        results = {engine.name: run_engine(engine, situations) for engine in engines}
        summaries = {name: summarize(scores) for name, scores in results.items()}
        if not args.summary and not args.json:
            print_details(names, results)
        speed: list[SpeedResult] = []
        if not args.no_speed and "calldesk" in results:
            for size in args.sizes:
                speed.append(measure_speed(size, situations, Path(tmp), max(1, args.repeat)))
    if not args.json:
        print_summary(names, summaries)
        if THESAURUS_FILE.is_file():
            groups = load_thesaurus(THESAURUS_FILE, library.phrases)
            print_thesaurus(thesaurus_coverage(groups, situations))
        if speed:
            print_speed(speed)
    target_list = targets(summaries[names[0]], speed) if names[0] == "calldesk" else []
    report = as_json(situations, results, summaries, target_list, speed, len(library.phrases))
    if args.json:
        json.dump(report, sys.stdout, indent=1)
        print()
    else:
        if target_list:
            print_targets(target_list)
        if old is not None:
            print(f"Changes since {shown(str(args.compare))}")
            for name in names:
                try:
                    lines = compare(old, report, name)
                except (KeyError, TypeError, AttributeError):
                    print(
                        f"{shown(str(args.compare))}: not a --json run of this benchmark",
                        file=sys.stderr,
                    )
                    return 2
                print(f" {name}: {len(lines)} change(s)")
                for line in lines:
                    print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
