"""Ranked, typo-tolerant phrase search, fast enough to run on every keystroke over 100,000 phrases.

How it stays fast: phrases get ordinals in tie-break order, an inverted index maps each word to
the set of ordinals that contain it, and ranking works on whole sets per relevance tier (C-level
unions and intersections) instead of scoring phrases one by one in Python.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from calldesk.core.library.phrases import Phrase, fold, sort_key

FILTERS: Mapping[str, str] = {
    "tag": "tag",
    "tags": "tag",
    "cat": "category",
    "category": "category",
    "set": "set",
    "sets": "set",
}
"""Query prefixes (`tag:blame`) and the field each one filters on."""

# Per query word, how well a phrase matches; a phrase's score adds these up over the words.
EXACT_HIGH, PREFIX_HIGH, EXACT_BODY, PREFIX_BODY, FUZZY_HIGH, FUZZY_BODY = 6, 5, 4, 3, 2, 1

MAX_COMBINATIONS = 3000
"""Beyond this many level combinations (long queries) ranking scores phrases one by one."""

_WORD_RE = re.compile(r"\w+")
_QUERY_RE = re.compile(r'(\w+):(?:"([^"]*)"?|(\S*))|(\S+)')
_LAST_CHAR = chr(0x10FFFF)
_EMPTY: frozenset[int] = frozenset()


def words(text: str) -> list[str]:
    """The search words in `text`: folded (case and accents dropped), split on non-letters."""
    return _WORD_RE.findall(fold(text))


def parse_query(query: str) -> tuple[list[str], list[tuple[str, str]]]:
    """Split a query into its words and its filters (field, folded value)."""
    found: list[str] = []
    filters: list[tuple[str, str]] = []
    for match in _QUERY_RE.finditer(query):
        key, quoted, bare, other = match.groups()
        if key is not None and fold(key) in FILTERS:
            value = (quoted if quoted is not None else bare).strip()
            if value:  # `tag:` alone is a filter still being typed: ignore it for now
                filters.append((FILTERS[fold(key)], " ".join(fold(value).split())))
            continue
        found.extend(words(match.group(0) if other is None else other))
    return found, filters


@dataclass(frozen=True, slots=True)
class SearchResult:
    """The best `limit` phrases, best first, and how many phrases matched in all."""

    hits: list[Phrase]
    total: int


Levels = tuple[tuple[int, frozenset[int] | set[int]], ...]


class PhraseIndex:
    """Search over a fixed set of phrases; build a new index when the library changes."""

    def __init__(self, phrases: Iterable[Phrase], usage: Mapping[str, int] | None = None) -> None:
        usage = usage or {}
        default = sorted(phrases, key=sort_key)
        # Ordinals follow the tie-break order (most used first, then category and title), so
        # "smallest ordinal first" is the whole tie-break and runs in C.
        ranked = sorted(default, key=lambda phrase: -usage.get(phrase.id, 0))
        self._phrases: tuple[Phrase, ...] = tuple(ranked)
        self._default: tuple[Phrase, ...] = tuple(default)
        position = {id(phrase): index for index, phrase in enumerate(default)}
        self._default_rank: list[int] = [position[id(phrase)] for phrase in ranked]
        high: dict[str, set[int]] = {}
        body: dict[str, set[int]] = {}
        fields: dict[str, dict[str, set[int]]] = {"tag": {}, "category": {}, "set": {}}
        for ordinal, phrase in enumerate(ranked):
            head = " ".join((phrase.title, phrase.category, *phrase.tags))
            for word in set(words(head)):
                if word in high:
                    high[word].add(ordinal)
                else:
                    high[word] = {ordinal}
            for word in set(words(f"{phrase.say} {phrase.when}")):
                if word in body:
                    body[word].add(ordinal)
                else:
                    body[word] = {ordinal}
            for kind, values in (
                ("tag", phrase.tags),
                ("category", (phrase.category,)),
                ("set", phrase.sets),
            ):
                for value in values:
                    fields[kind].setdefault(" ".join(fold(value).split()), set()).add(ordinal)
        self._high = high
        self._body = body
        self._vocab: list[str] = sorted(high.keys() | body.keys())
        self._fields = fields
        self._field_keys = {kind: sorted(values) for kind, values in fields.items()}
        self._deletes: dict[str, list[str]] | None = None
        self._word_levels = lru_cache(maxsize=1024)(self._compute_word_levels)

    def __len__(self) -> int:
        return len(self._phrases)

    @property
    def phrases(self) -> tuple[Phrase, ...]:
        """Every phrase in the default order (category, then title)."""
        return self._default

    def prepare(self) -> None:
        """Build the typo index now rather than on the first query that needs it."""
        self._typo_index()

    def clear_cache(self) -> None:
        """Forget cached per-word matches (for honest benchmarks; results never go stale)."""
        self._word_levels.cache_clear()

    def search(self, query: str, limit: int = 50) -> SearchResult:
        """Phrases matching `query`, best first; an empty query lists them all in default order."""
        query_words, filters = parse_query(query)
        allowed: set[int] | frozenset[int] | None = None
        for kind, value in filters:
            matching = self._filter(kind, value)
            allowed = matching if allowed is None else allowed & matching
        if not query_words:
            return self._browse(allowed, limit)
        per_word: list[tuple[Levels, frozenset[int] | set[int]]] = []
        last = query_words[-1]
        for word in dict.fromkeys(query_words):
            # The word being typed matches as a prefix; so do earlier words, unless they are a
            # single letter ("a", "i"), which as a prefix would match almost everything.
            levels, matched = self._word_levels(word, word == last or len(word) > 1)
            if allowed is not None:
                levels = tuple(
                    (level, s & allowed) for level, s in levels if not s.isdisjoint(allowed)
                )
                matched = matched & allowed
            per_word.append((levels, matched))
        everything = set().union(*(matched for _, matched in per_word))
        if not everything or limit <= 0:
            return SearchResult(hits=[], total=len(everything))
        ordinals = self._rank(per_word, everything, limit)
        return SearchResult(hits=[self._phrases[o] for o in ordinals], total=len(everything))

    def _browse(self, allowed: set[int] | frozenset[int] | None, limit: int) -> SearchResult:
        if allowed is None:
            return SearchResult(hits=list(self._default[: max(limit, 0)]), total=len(self._default))
        order = sorted(allowed, key=self._default_rank.__getitem__)[: max(limit, 0)]
        return SearchResult(hits=[self._phrases[o] for o in order], total=len(allowed))

    def _filter(self, kind: str, value: str) -> set[int] | frozenset[int]:
        keys = self._field_keys[kind]
        start = bisect.bisect_left(keys, value)
        end = bisect.bisect_left(keys, value + _LAST_CHAR, start)
        table = self._fields[kind]
        if end - start == 1:
            return table[keys[start]]
        return set().union(*(table[key] for key in keys[start:end]))

    def _compute_word_levels(
        self, word: str, prefix: bool
    ) -> tuple[Levels, frozenset[int] | set[int]]:
        """One query word's disjoint ordinal sets per match level, best first, and their union."""
        high, body = self._high, self._body
        longer: list[str] = []
        if prefix:
            start = bisect.bisect_left(self._vocab, word)
            end = bisect.bisect_left(self._vocab, word + _LAST_CHAR, start)
            longer = [w for w in self._vocab[start:end] if w != word]
        typos = [w for w in self._typos(word) if not w.startswith(word)]
        tiers: list[tuple[int, Iterable[set[int]]]] = [
            (EXACT_HIGH, [high.get(word, _EMPTY)]),  # type: ignore[list-item]
            (PREFIX_HIGH, [high[w] for w in longer if w in high]),
            (EXACT_BODY, [body.get(word, _EMPTY)]),  # type: ignore[list-item]
            (PREFIX_BODY, [body[w] for w in longer if w in body]),
            (FUZZY_HIGH, [high[w] for w in typos if w in high]),
            (FUZZY_BODY, [body[w] for w in typos if w in body]),
        ]
        seen: set[int] = set()
        levels: list[tuple[int, frozenset[int] | set[int]]] = []
        for level, sets in tiers:
            found = set().union(*sets)
            found -= seen
            if found:
                levels.append((level, found))
                seen |= found
        return tuple(levels), seen

    def _rank(
        self,
        per_word: list[tuple[Levels, frozenset[int] | set[int]]],
        everything: set[int],
        limit: int,
    ) -> list[int]:
        """Ordinals of the best `limit` matches: most words matched, then the highest score."""
        options = [[*levels, (0, matched)] for levels, matched in per_word]
        combinations = 1
        for choice in options:
            combinations *= len(choice)
        if combinations > MAX_COMBINATIONS:
            return self._rank_one_by_one(per_word, everything, limit)
        # Each combination picks one level per word; its phrases all score the same, so
        # walking combinations best first yields phrases best first without scoring each.
        keyed: list[tuple[int, int, tuple[int, ...]]] = []
        for pick in itertools.product(*(range(len(choice)) for choice in options)):
            picked = [options[w][i][0] for w, i in enumerate(pick)]
            matched_words = sum(1 for level in picked if level)
            if matched_words:
                keyed.append((-matched_words, -sum(picked), pick))
        keyed.sort()
        result: list[int] = []
        for _, group in itertools.groupby(keyed, key=lambda item: item[:2]):
            found: set[int] = set()
            for _, _, pick in group:
                chosen = [options[w][i][1] for w, i in enumerate(pick) if options[w][i][0]]
                chosen.sort(key=len)
                phrases = (
                    set(chosen[0]).intersection(*chosen[1:]) if len(chosen) > 1 else set(chosen[0])
                )
                for w, i in enumerate(pick):
                    if not phrases:
                        break
                    if not options[w][i][0]:
                        phrases -= options[w][i][1]  # this word must not match at all
                found |= phrases
            if found:
                result.extend(sorted(found)[: limit - len(result)])
                if len(result) >= limit:
                    break
        return result

    def _rank_one_by_one(
        self,
        per_word: list[tuple[Levels, frozenset[int] | set[int]]],
        everything: set[int],
        limit: int,
    ) -> list[int]:
        # Matched-word count dominates the score: no level sum reaches this weight.
        weight = EXACT_HIGH * len(per_word) + 1
        score = dict.fromkeys(everything, 0)
        for levels, _ in per_word:
            for level, phrases in levels:
                bonus = weight + level
                for ordinal in phrases:
                    score[ordinal] += bonus
        # Bucket by score rather than sorting every match: only the best buckets get sorted.
        buckets: dict[int, list[int]] = {}
        for ordinal, value in score.items():
            if value in buckets:
                buckets[value].append(ordinal)
            else:
                buckets[value] = [ordinal]
        result: list[int] = []
        for value in sorted(buckets, reverse=True):
            result.extend(sorted(buckets[value])[: limit - len(result)])
            if len(result) >= limit:
                break
        return result

    def _typos(self, word: str) -> list[str]:
        """Vocabulary words within a small edit distance of `word` (SymSpell: shared deletions)."""
        distance = max_typos(word)
        if not distance:
            return []
        index = self._typo_index()
        candidates: set[str] = set()
        for variant in _deletions(word, distance):
            candidates.update(index.get(variant, ()))
        return sorted(
            candidate
            for candidate in candidates
            if candidate != word and _within(word, candidate, distance)
        )

    def _typo_index(self) -> dict[str, list[str]]:
        if self._deletes is None:
            index: dict[str, list[str]] = {}
            for word in self._vocab:
                reach = max_typos(word, indexed=True)
                if not reach or word.isdigit():
                    continue
                for variant in _deletions(word, reach):
                    if variant in index:
                        index[variant].append(word)
                    else:
                        index[variant] = [word]
            self._deletes = index
        return self._deletes


def max_typos(word: str, indexed: bool = False) -> int:
    """How many typos a word may have: none under 4 letters, 1 up to 7, 2 from 8 on.

    Indexed vocabulary words reach a little lower, so a query with an extra letter still
    finds the shorter word ("thanks" typed "thankss").
    """
    length = len(word) + (1 if indexed else 0)
    if length < 4:
        return 0
    return 1 if length < 8 else 2


def _deletions(word: str, distance: int) -> set[str]:
    """`word` and every string made by deleting up to `distance` characters from it."""
    found = {word}
    frontier = {word}
    for _ in range(distance):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        found |= frontier
    return found


def _within(a: str, b: str, limit: int) -> bool:
    """Whether the optimal-string-alignment distance (typos incl. swaps) is at most `limit`."""
    if abs(len(a) - len(b)) > limit:
        return False
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                value = min(value, previous2[j - 2] + 1)
            current[j] = value
        if min(current) > limit:
            return False
        previous2, previous = previous, current
    return previous[-1] <= limit


def search_phrases(phrases: Sequence[Phrase], query: str, limit: int = 50) -> SearchResult:
    """One-off search without keeping an index (the CLI); the app keeps a PhraseIndex."""
    return PhraseIndex(phrases).search(query, limit)
