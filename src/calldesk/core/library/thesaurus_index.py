"""The thesaurus over one library: the entries a query holds, and the phrases each group leads to.

A group's single words are looked up as typed, by their stem, and while still being typed; its
multi-word entries are found in the query as spans of words ("money back", "not my jo").
Typos of a thesaurus word come from the search (`corrections`), which knows every word.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from calldesk.core.library.ranking import (
    EXACT,
    HIGH,
    LOW,
    MID,
    PREFIX,
    SYNONYM,
    TYPO,
    WordMatch,
    disjoint,
    level,
)
from calldesk.core.library.thesaurus import SynonymGroup
from calldesk.core.library.wordindex import EMPTY, WordIndex
from calldesk.core.library.words import stem

MAX_COMPLETIONS_FORMS = 3
"""A prefix with at most this many completions also matches their other forms."""
MIN_SYNONYM_PREFIX = 3
"""A thesaurus word still being typed leads on from this many letters ("kil" -> kill)."""


@dataclass(frozen=True, slots=True)
class Span:
    """Query words start..end (exclusive) that are a thesaurus entry of one group."""

    start: int
    end: int
    group: int
    kind: int  # SYNONYM, or TYPO when the entry was read through a typo
    partial: bool  # the entry's last word is still being typed
    label: str
    literal: bool = True  # typed as the entry is written (not another form of it)


class ThesaurusIndex:
    """Thesaurus groups over the phrases of a `WordIndex` (`ordinal`: phrase id -> ordinal).

    `corrections(word, last)` gives the words `word` may be a typo of (none for a known word).
    """

    def __init__(
        self,
        groups: Sequence[SynonymGroup],
        words: WordIndex,
        ordinal: Mapping[str, int],
        corrections: Callable[[str, bool], list[str]],
    ) -> None:
        self.groups: tuple[SynonymGroup, ...] = tuple(groups)
        self._words = words
        self._ordinal = ordinal
        self._corrections = corrections
        self._single: dict[str, list[int]] = {}
        self._single_stems: dict[str, list[int]] = {}
        self._multi: dict[str, list[tuple[tuple[str, ...], int]]] = {}
        for number, group in enumerate(self.groups):
            for entry in group.entries:
                if len(entry) == 1:
                    self._single.setdefault(entry[0], []).append(number)
                    self._single_stems.setdefault(stem(entry[0]), []).append(number)
                else:
                    self._multi.setdefault(entry[0], []).append((entry, number))
        self.single_words: list[str] = sorted(self._single)
        self._targets: dict[int, tuple[set[int], set[int], set[int]]] = {}
        self._synonym_words = lru_cache(maxsize=1024)(self._compute_synonym_words)

    def clear_cache(self) -> None:
        """Forget cached per-word entries (results never go stale)."""
        self._synonym_words.cache_clear()

    def completions(self, word: str) -> list[str]:
        """Thesaurus words `word` is on its way to, up to one more than anyone would use."""
        start = bisect.bisect_left(self.single_words, word)
        found = itertools.islice(self.single_words, start, start + MAX_COMPLETIONS_FORMS + 1)
        return [w for w in found if w.startswith(word) and w != word]

    def knows(self, word: str, prefix: bool) -> bool:
        """Whether `word` is a thesaurus word whose group leads somewhere in this library
        (or, with `prefix`, starts one), so it is not to be read as a typo."""
        if any(self._leads(g) for g in (*self._single.get(word, ()), *self._stem_groups(word))):
            return True
        if prefix:
            start = bisect.bisect_left(self.single_words, word)
            for other in itertools.islice(self.single_words, start, start + 16):
                if not other.startswith(word):
                    break
                if any(self._leads(group) for group in self._single[other]):
                    return True
        return False

    def _leads(self, group: int) -> bool:
        return any(self.targets(group))

    def _stem_groups(self, word: str) -> list[int]:
        return self._single_stems.get(stem(word), []) if len(word) >= 3 else []

    def _compute_synonym_words(
        self, word: str, last: bool
    ) -> tuple[tuple[int, int, bool, bool], ...]:
        """Single-word thesaurus entries `word` is: (group, kind, still typed, as written)."""
        found: dict[int, tuple[int, int, bool, bool]] = {}
        for group in self._single.get(word, ()):
            found.setdefault(group, (group, SYNONYM, False, True))
        if len(word) >= 3 and word.isalpha():
            for group in self._single_stems.get(stem(word), ()):
                found.setdefault(group, (group, SYNONYM, False, False))
        if last and len(word) >= 3 and word.isalpha():
            # A word on its way to a form the thesaurus knows by its stem: "payin" on the way
            # to "paying" (pay), so typing on never loses what the whole word finds.
            for form in self._words.forms(word):
                if form.startswith(word):
                    for group in self._single_stems.get(stem(form), ()):
                        found.setdefault(group, (group, SYNONYM, True, False))
        if last and len(word) >= MIN_SYNONYM_PREFIX:
            start = bisect.bisect_left(self.single_words, word)
            for other in self.single_words[start:]:
                if not other.startswith(word):
                    break
                groups = self._single[other]
                if other.isalpha():
                    # What the whole word finds by its stem too: "apologisi" on its way to
                    # "apologising" keeps "apologize", which "apologis" and "apologising" find.
                    groups = [*groups, *self._single_stems.get(stem(other), ())]
                for group in groups:
                    found.setdefault(group, (group, SYNONYM, True, False))
        if not found:
            for other in self._corrections(word, last):
                for group in self._single.get(other, ()):
                    found.setdefault(group, (group, TYPO, False, False))
        return tuple(found.values())

    def moments(self, text_words: Sequence[str]) -> list[tuple[str, str]]:
        """Thesaurus entries written out in `text_words` (notes, not a query still being typed).

        (the words as written, the group's name), in the order written, each group once.
        """
        found: dict[str, str] = {}
        for span in sorted(self.spans(list(text_words), typing=False), key=lambda s: s.start):
            if span.kind != SYNONYM or not any(self.targets(span.group)):
                continue
            name = self.groups[span.group].name
            found.setdefault(name, " ".join(text_words[span.start : span.end]))
        return [(text, name) for name, text in found.items()]

    def named(self, group_name: str) -> tuple[list[int], set[int]]:
        """The phrases the groups called `group_name` name, in their order (ordinals), and
        every phrase they lead to."""
        named: list[int] = []
        allowed: set[int] = set()
        for number, group in enumerate(self.groups):
            if group.name != group_name:
                continue
            for phrase_id in group.phrases:
                ordinal = self._ordinal.get(phrase_id)
                if ordinal is not None and ordinal not in named:
                    named.append(ordinal)
            allowed.update(*self.targets(number))
        return named, allowed

    def spans(self, query_words: list[str], typing: bool = True) -> list[Span]:
        """Thesaurus entries in the query; an entry inside a longer one gives way to it.

        With `typing`, the last word may be the start of an entry's word ("kil" for kill).
        """
        if not self.groups:
            return []
        last = len(query_words) - 1 if typing else -1
        spans: list[Span] = []
        for index, word in enumerate(query_words):
            for group, kind, partial, literal in self._synonym_words(word, index == last):
                label = f"{word} → {self.groups[group].name}"
                spans.append(Span(index, index + 1, group, kind, partial, label, literal))
            for entry, group in self._multi.get(word, ()):
                end = entry_end(entry, query_words, index, typing)
                if end is not None:
                    typed = " ".join(query_words[index:end])
                    label = f"{typed} → {self.groups[group].name}"
                    partial = end - index < len(entry) or query_words[end - 1] != entry[-1]
                    spans.append(Span(index, end, group, SYNONYM, partial, label))
        return [
            span
            for span in spans
            if not any(
                o.start <= span.start
                and span.end <= o.end
                and (o.end - o.start) > (span.end - span.start)
                and not o.partial
                for o in spans
            )
        ]

    def with_synonyms(
        self, match: WordMatch, spans: list[Span], index: int = -1, last: int = -1
    ) -> WordMatch:
        """`match` for query word `index` (of `last` + 1), with what the entries covering it
        (`spans`) lead to, at the level their words were typed at."""
        extra: dict[int, set[int]] = {}
        notes: list[tuple[int, str, frozenset[int] | set[int]]] = []
        explicit: set[int] = set()
        order: dict[int, int] = dict(match.order)
        for span in spans:
            targets = self.targets(span.group)
            for place, phrase_id in enumerate(self.groups[span.group].phrases):
                ordinal = self._ordinal.get(phrase_id)
                if ordinal is not None and order.get(ordinal, place + 1) >= place:
                    order[ordinal] = place
            found: set[int] = set()
            for where, ordinals in zip((LOW, MID, HIGH), targets, strict=True):
                if not ordinals:
                    continue
                # A thesaurus word still being typed leads on, below one typed in full.
                # A whole multi-word entry ("not fixed") is as telling as an exact word; a word
                # typed as a group lists it, for the phrases the group names, counts as the
                # exact word in `when`: a trainer's statement of when the phrase fits.
                literal = span.literal and not span.partial and span.kind == SYNONYM
                if literal and span.end - span.start > 1:
                    lv = level(EXACT, where)
                elif span.partial and span.end - span.start > 1:
                    # An entry still being typed ("say it b"): its words before the one being
                    # typed are written in full, as exact as any word; only the last is a
                    # prefix. Otherwise a finished word elsewhere outranks the entry's, and a
                    # fitting hit is lost as the agent types on ("not my jo" lost "not my j").
                    done = span.start <= index < span.end - 1 or index < last
                    lv = level(EXACT if done else PREFIX, where)
                elif literal and where == HIGH:
                    lv = level(EXACT, MID)
                else:
                    lv = level(span.kind, LOW if span.partial else where)
                extra.setdefault(lv, set()).update(ordinals)
                found |= ordinals
            explicit |= targets[2]
            notes.append((SYNONYM, span.label, found))
        if not extra:
            return match
        table: dict[int, set[int]] = {}
        for lv, ordinals in match.levels:
            table[lv] = set(ordinals)
        for lv, ordinals in extra.items():
            table.setdefault(lv, set()).update(ordinals)
        levels, matched = disjoint(table)
        evidence = (*match.evidence, (2, (explicit,))) if explicit else match.evidence
        return WordMatch(levels, matched, evidence, (*notes, *match.notes), order)

    def targets(self, number: int) -> tuple[set[int], set[int], set[int]]:
        """The phrases a group leads to, as (LOW, MID, HIGH): named ones HIGH, the rest MID."""
        cached = self._targets.get(number)
        if cached is not None:
            return cached
        group = self.groups[number]
        low: set[int] = set()
        mid: set[int] = set()
        high: set[int] = set()
        if group.leads:
            high.update(self._ordinal[p] for p in group.phrases if p in self._ordinal)
            for kind, values in (("tag", group.tags), ("category", group.categories)):
                for value in values:
                    mid |= self._words.with_value(kind, value)
            mid -= high
        else:  # words for each other: the phrases with any of them, where they have it
            for entry in group.entries:
                if len(entry) != 1:
                    continue
                low |= self._words.by_field[LOW].get(entry[0], EMPTY)
                mid |= self._words.by_field[MID].get(entry[0], EMPTY)
                high |= self._words.by_field[HIGH].get(entry[0], EMPTY)
            mid -= high
            low -= high | mid
        self._targets[number] = (low, mid, high)
        return low, mid, high


def entry_end(
    entry: tuple[str, ...], query_words: list[str], start: int, typing: bool = True
) -> int | None:
    """Where a multi-word thesaurus entry starting at `start` ends in the query, if it is there.

    Words match as typed or as another form ("swearing again"); the query's last word may be
    the start of the entry's word, and a query that ends inside the entry after its second
    word has begun counts too ("money b" for "money back").
    """
    last = len(query_words) - 1
    for offset, wanted in enumerate(entry):
        position = start + offset
        if position > last:
            return position if offset >= 2 and typing else None
        typed = query_words[position]
        if typed == wanted or (len(typed) > 3 and stem(typed) == stem(wanted)):
            continue
        if typing and position == last and wanted.startswith(typed) and offset >= 1:
            return position + 1
        return None
    return start + len(entry)
