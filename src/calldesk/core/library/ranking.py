"""Ranking phrase matches: relevance levels per query word, best first, ties settled by evidence.

Each query word's matches are sets of phrase ordinals per level (how and where it matched).
Ranking works on whole sets per level combination (C-level unions and intersections) instead of
scoring phrases one by one in Python; ordinals follow the tie-break order, so "smallest ordinal
first" settles what nothing else does.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

# How a query word matched, best first (higher is better) ...
EXACT, PREFIX, STEM, SYNONYM, TYPO = 4, 3, 2, 1, 0
# ... and where: title and keywords, then `when`, tags and category, then `say`.
HIGH, MID, LOW = 2, 1, 0


def level(kind: int, where: int) -> int:
    """One number per (kind, field), so a phrase's score adds them up over the query words."""
    return kind * 3 + where + 1


TOP_LEVEL = level(EXACT, HIGH)
MAX_COMBINATIONS = 400
"""Beyond this many level combinations (long queries) ranking scores phrases one by one."""
EVIDENCE_LIMIT = 1000
"""Ties are settled by how much else matched only among at most this many tied phrases."""

Levels = tuple[tuple[int, frozenset[int] | set[int]], ...]


@dataclass(frozen=True, slots=True)
class WordMatch:
    """One query word's phrases per level (disjoint, best first), and what to tell the agent."""

    levels: Levels
    matched: frozenset[int] | set[int]
    # (weight, sets): a phrase in any of the sets has this much more evidence (see `tied`)
    evidence: tuple[tuple[int, tuple[frozenset[int] | set[int], ...]], ...]
    notes: tuple[tuple[int, str, frozenset[int] | set[int]], ...] = ()  # (kind, why, phrases)
    order: Mapping[int, int] = field(default_factory=dict)  # place in a group's `phrases` list
    minor: bool = False  # a word that says little ("he", "the", or in most phrases)


def best_first(per_word: list[WordMatch], limit: int, one_by_one: bool = False) -> list[int]:
    """Ordinals of the best `limit` matches.

    Phrases some major word found come first, ranked by `rank`; then those only minor
    words found ("he", "says"), by how many of them.
    """
    major = [match for match in per_word if not match.minor]
    minor = [match for match in per_word if match.minor]
    found = set().union(*(match.matched for match in major))
    ranking = rank_one_by_one if one_by_one else rank
    result = ranking(major, found, limit) if found else []
    if len(result) >= limit or not minor:
        return result
    # How they matched does not matter, only how many of them: one level each.
    flat = [
        WordMatch(((1, rest),), rest, ())
        for match in minor
        if (rest := match.matched - found if found else match.matched)
    ]
    rest = set().union(*(match.matched for match in flat))
    return result + ranking(flat, rest, limit - len(result)) if rest else result


def rank(per_word: list[WordMatch], everything: set[int], limit: int) -> list[int]:
    """Ordinals of the best `limit` matches: most words matched, then the highest score."""
    options = [[*match.levels, (0, match.matched)] for match in per_word]
    combinations = 1
    for choice in options:
        combinations *= len(choice)
    if combinations > MAX_COMBINATIONS:
        return rank_one_by_one(per_word, everything, limit)
    # Each combination picks one level per word; its phrases all score the same, so
    # walking combinations best first yields phrases best first without scoring each.
    keyed: list[tuple[int, int, tuple[int, ...]]] = []
    for pick in itertools.product(*(range(len(choice)) for choice in options)):
        picked = [options[w][i][0] for w, i in enumerate(pick)]
        matched_words = sum(1 for lv in picked if lv)
        if matched_words:
            keyed.append((-matched_words, -sum(picked), pick))
    keyed.sort()
    result: list[int] = []
    for _, group in itertools.groupby(keyed, key=lambda item: item[:2]):
        found: set[int] = set()
        for _, _, pick in group:
            chosen = [options[w][i][1] for w, i in enumerate(pick) if options[w][i][0]]
            chosen.sort(key=len)
            phrases = chosen[0].intersection(*chosen[1:]) if len(chosen) > 1 else chosen[0]
            for w, i in enumerate(pick):
                if not phrases:
                    break
                if not options[w][i][0]:
                    phrases = phrases - options[w][i][1]  # this word must not match at all
            found |= phrases
        if found:
            result.extend(tied(found, per_word, limit - len(result)))
            if len(result) >= limit:
                break
    return result


def rank_one_by_one(per_word: list[WordMatch], everything: set[int], limit: int) -> list[int]:
    """What `rank` gives, by scoring each phrase (long queries; and to check `rank`)."""
    # Matched-word count dominates the score: no level sum reaches this weight.
    weight = TOP_LEVEL * len(per_word) + 1
    score = dict.fromkeys(everything, 0)
    for match in per_word:
        for lv, phrases in match.levels:
            bonus = weight + lv
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
        result.extend(tied(buckets[value], per_word, limit - len(result)))
        if len(result) >= limit:
            break
    return result


def tied(ties: Iterable[int], per_word: list[WordMatch], wanted: int) -> list[int]:
    """The best `wanted` of phrases that scored the same.

    First the order a thesaurus group names them in (a trainer's choice), then evidence:
    in how many fields each word also appears (title, `when`/tags, `say`), a group naming
    the phrase counting double; then the ordinal (usage, shorter title, library order).
    """
    ordinals = ties if isinstance(ties, set) else set(ties)
    if len(ordinals) <= 1 or len(ordinals) > EVIDENCE_LIMIT:
        return heapq.nsmallest(wanted, ordinals)
    evidence: dict[int, int] = {}
    for match in per_word:
        for weight, sets in match.evidence:
            hit = set().union(*(ordinals.intersection(found) for found in sets if found))
            for ordinal in hit:
                evidence[ordinal] = evidence.get(ordinal, 0) - weight
    places: dict[int, int] = {}
    for match in per_word:
        if match.order:
            size = len(match.order)
            for ordinal in ordinals.intersection(match.order):
                places[ordinal] = min(places.get(ordinal, size), match.order[ordinal])
    if not evidence and not places:
        return heapq.nsmallest(wanted, ordinals)
    default = max(places.values(), default=0) + 1
    return heapq.nsmallest(
        wanted,
        ordinals,
        key=lambda o: (places.get(o, default), evidence.get(o, 0), o),
    )


def disjoint(
    table: Mapping[int, frozenset[int] | set[int]],
) -> tuple[Levels, set[int]]:
    """Levels best first, each phrase kept only at its best level; and all of them.

    The sets in `table` are never changed (they may be the index's own).
    """
    seen: set[int] = set()
    levels: list[tuple[int, frozenset[int] | set[int]]] = []
    for lv in sorted(table, reverse=True):
        found = table[lv] - seen if seen else table[lv]
        if found:
            levels.append((lv, found))
            seen |= found
    return tuple(levels), seen


def note_for(match: WordMatch, ordinal: int) -> str | None:
    """How one word found a phrase: through the thesaurus, or as another form or a typo."""
    if match.minor or ordinal not in match.matched:
        return None
    best = next(lv for lv, found in match.levels if ordinal in found)
    direct = best >= level(PREFIX, LOW)  # the word itself, or one it starts
    for kind, note, found in match.notes:
        if ordinal in found and (kind == SYNONYM or not direct):
            return note
    return None


def as_minor(match: WordMatch, minor: bool) -> WordMatch:
    """`match`, marked as a word that says little (or not)."""
    return WordMatch(match.levels, match.matched, match.evidence, match.notes, match.order, minor)


def union(a: WordMatch, b: WordMatch) -> WordMatch:
    """The same word twice in a query: whichever way it matched best, per phrase."""
    table: dict[int, set[int]] = {}
    for lv, ordinals in (*a.levels, *b.levels):
        table.setdefault(lv, set()).update(ordinals)
    levels, matched = disjoint(table)
    evidence = (*a.evidence, *b.evidence)
    return WordMatch(levels, matched, evidence, (*a.notes, *b.notes), {**b.order, **a.order})
