"""Ranked phrase search that reads words as agents type them, fast enough for every keystroke.

A query word matches a phrase, best first, as: the exact word, a word it starts (still being
typed), another form of the word ("threatening" for "threat"), a synonym from the thesaurus
("lawyer" leads to the legal-threat phrase), or a typo ("pasword"). Within each, a word in
the title or keywords beats one in `when`, tags or category, which beats one in `say`. A real
word is never read as a typo of another ("kill" is not "will").

How it stays fast: phrases get ordinals in tie-break order, an inverted index maps each word to
the set of ordinals that contain it, and ranking (`ranking.py`) works on whole sets per
relevance level (C-level unions and intersections) instead of scoring phrases one by one.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from calldesk.core.library.phrases import Phrase, sort_key
from calldesk.core.library.ranking import (
    EXACT,
    HIGH,
    LOW,
    MID,
    PREFIX,
    SYNONYM,
    TYPO,
    WordMatch,
    as_minor,
    best_first,
    disjoint,
    level,
    note_for,
    union,
)
from calldesk.core.library.thesaurus import SynonymGroup, bundled_thesaurus
from calldesk.core.library.typos import TypoIndex
from calldesk.core.library.wordindex import EMPTY, WordIndex
from calldesk.core.library.words import english_words, fold, stem, words

FILTERS: Mapping[str, str] = {
    "tag": "tag",
    "tags": "tag",
    "cat": "category",
    "category": "category",
    "set": "set",
    "sets": "set",
}
"""Query prefixes (`tag:blame`) and the field each one filters on."""

MAX_COMPLETIONS_FORMS = 3
"""A prefix with at most this many completions also matches their other forms."""
MIN_SYNONYM_PREFIX = 3
"""A thesaurus word still being typed leads on from this many letters ("kil" -> kill)."""
MINOR_SHARE = 0.1
"""A query word found in more than this share of a library (of 50 or more) says little."""
STOP_WORDS = frozenset(
    """a an the i me my mine you your yours he him his she her hers it its we us our they them
    their this that these those is are was were be been am to of in on at by for from and or
    but so if as with s t ll re ve d m do does did says said just""".split()  # noqa: SIM905
)
"""Words that say little about the moment, whatever the library ("he says he'll kill me")."""

_QUERY_RE = re.compile(r'(\w+):(?:"([^"]*)"?|(\S*))|(\S+)')


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
    """The best `limit` phrases, best first, how many matched in all, and why, by phrase id.

    `why` says how a hit matched where it was not word for word: "lawyer → legal threat",
    "pasword → password", "threatening → threat".
    """

    hits: list[Phrase]
    total: int
    why: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Span:
    """Query words start..end (exclusive) that are a thesaurus entry of one group."""

    start: int
    end: int
    group: int
    kind: int  # SYNONYM, or TYPO when the entry was read through a typo
    partial: bool  # the entry's last word is still being typed
    label: str
    literal: bool = True  # typed as the entry is written (not another form of it)


class PhraseIndex:
    """Search over a fixed set of phrases; build a new index when the library changes.

    `usage` (phrase id -> times used, the agent's own and the team's) settles ties;
    `thesaurus` defaults to the bundled one; pass the library's `synonyms` in `synonyms`.
    """

    def __init__(
        self,
        phrases: Iterable[Phrase],
        usage: Mapping[str, int] | None = None,
        *,
        thesaurus: Sequence[SynonymGroup] | None = None,
        synonyms: Sequence[SynonymGroup] = (),
    ) -> None:
        usage = usage or {}
        default = sorted(phrases, key=sort_key)
        # Ordinals follow the tie-break order, so "smallest ordinal first" is the whole
        # tie-break and runs in C: most used first, then the shorter title (where the word
        # matters more), then the library order.
        ranked = sorted(default, key=lambda p: (-usage.get(p.id, 0), len(words(p.title))))
        self._phrases: tuple[Phrase, ...] = tuple(ranked)
        self._default: tuple[Phrase, ...] = tuple(default)
        position = {id(phrase): index for index, phrase in enumerate(default)}
        self._default_rank: list[int] = [position[id(phrase)] for phrase in ranked]
        self._ordinal: dict[str, int] = {phrase.id: n for n, phrase in enumerate(ranked)}
        self._words = WordIndex(ranked)
        groups = [*(bundled_thesaurus() if thesaurus is None else thesaurus), *synonyms]
        self._groups: tuple[SynonymGroup, ...] = tuple(groups)
        self._single: dict[str, list[int]] = {}
        self._single_stems: dict[str, list[int]] = {}
        self._multi: dict[str, list[tuple[tuple[str, ...], int]]] = {}
        for number, group in enumerate(groups):
            for entry in group.entries:
                if len(entry) == 1:
                    self._single.setdefault(entry[0], []).append(number)
                    self._single_stems.setdefault(stem(entry[0]), []).append(number)
                else:
                    self._multi.setdefault(entry[0], []).append((entry, number))
        self._single_words: list[str] = sorted(self._single)
        self._targets: dict[int, tuple[set[int], set[int], set[int]]] = {}
        self._known: frozenset[str] | None = None
        self._typo = TypoIndex(lambda: set(self._words.vocab) | self._single.keys())
        self._word_match = lru_cache(maxsize=1024)(self._compute_word_match)
        self._synonym_words = lru_cache(maxsize=1024)(self._compute_synonym_words)

    def __len__(self) -> int:
        return len(self._phrases)

    @property
    def phrases(self) -> tuple[Phrase, ...]:
        """Every phrase in the default order (category, then title)."""
        return self._default

    def get(self, phrase_id: str) -> Phrase | None:
        """The phrase with this id, if the library has it."""
        ordinal = self._ordinal.get(phrase_id)
        return None if ordinal is None else self._phrases[ordinal]

    def prepare(self) -> None:
        """Build the typo index and word lists now rather than on the first query needing them."""
        self._typo.build()
        self._known_words()

    def clear_cache(self) -> None:
        """Forget cached per-word matches (for honest benchmarks; results never go stale)."""
        self._word_match.cache_clear()
        self._synonym_words.cache_clear()

    def search(self, query: str, limit: int = 50) -> SearchResult:
        """Phrases matching `query`, best first; an empty query lists them all in default order."""
        query_words, filters = parse_query(query)
        allowed: set[int] | frozenset[int] | None = None
        for kind, value in filters:
            matching = self._words.filter(kind, value)
            allowed = matching if allowed is None else allowed & matching
        if not query_words:
            return self._browse(allowed, limit)
        per_word = self._per_word(query_words)
        if allowed is not None:
            per_word = [
                WordMatch(
                    tuple((lv, s & allowed) for lv, s in match.levels if not s.isdisjoint(allowed)),
                    match.matched & allowed,
                    match.evidence,
                    match.notes,
                    match.order,
                    match.minor,
                )
                for match in per_word
            ]
        everything = set().union(*(match.matched for match in per_word))
        if not everything or limit <= 0:
            return SearchResult(hits=[], total=len(everything))
        ordinals = best_first(per_word, limit)
        why: dict[str, tuple[str, ...]] = {}
        for ordinal in ordinals:
            notes = [note for match in per_word if (note := note_for(match, ordinal)) is not None]
            if notes:
                why[self._phrases[ordinal].id] = tuple(dict.fromkeys(notes))
        return SearchResult(
            hits=[self._phrases[o] for o in ordinals], total=len(everything), why=why
        )

    def _per_word(self, query_words: list[str]) -> list[WordMatch]:
        """Each distinct query word's matches, thesaurus entries spanning words included."""
        last = len(query_words) - 1
        spans = self._spans(query_words)
        merged: dict[str, WordMatch] = {}
        # The written words of a multi-word thesaurus entry still being typed say as much as
        # the entry: "fixed" is common, "fixed for ever(yone)" is not. Counted as minor, they
        # would leave the word being typed alone against every phrase it starts or is.
        whole = {(span.start, span.end) for span in spans if not span.partial}
        telling = {
            word
            for span in spans
            if span.partial
            and span.end - span.start > 1
            and span.end - 1 == last
            and len(query_words[last]) > 1  # one letter could start any entry yet
            and (span.start, span.end) not in whole  # "not fixed" is an entry already
            for word in query_words[span.start : span.end - 1]
            if word not in STOP_WORDS
        }
        for index, word in enumerate(query_words):
            # The word being typed matches as a prefix; so do earlier words, unless they are a
            # single letter ("a", "i"), which as a prefix would match almost everything, or a
            # stop word, typed in full ("if", "it"). One letter after other words narrows
            # nothing yet: it too is only itself until a second letter comes.
            prefix = len(word) > 1 if index != last else len(word) > 1 or last == 0
            if index != last and word in STOP_WORDS:
                prefix = False
            match = self._word_match(word, prefix)
            covering = [span for span in spans if span.start <= index < span.end]
            if covering:
                match = self._with_synonyms(match, covering, index, last)
            before = merged.get(word)
            merged[word] = match if before is None else union(before, match)
        matches = list(merged.values())
        share = len(self._phrases) * MINOR_SHARE if len(self._phrases) >= 50 else None
        minor = [
            word in STOP_WORDS
            or (share is not None and len(match.matched) > share and word not in telling)
            for word, match in merged.items()
        ]
        if all(minor):  # every word is common: only the stop words say little
            minor = [word in STOP_WORDS for word in merged]
        if any(minor) and not all(minor):
            matches = [
                as_minor(match, True) if is_minor else match
                for match, is_minor in zip(matches, minor, strict=True)
            ]
        return matches

    def _with_synonyms(
        self, match: WordMatch, spans: list[_Span], index: int = -1, last: int = -1
    ) -> WordMatch:
        extra: dict[int, set[int]] = {}
        notes: list[tuple[int, str, frozenset[int] | set[int]]] = []
        explicit: set[int] = set()
        order: dict[int, int] = dict(match.order)
        for span in spans:
            targets = self._group_targets(span.group)
            for place, phrase_id in enumerate(self._groups[span.group].phrases):
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

    def _browse(self, allowed: set[int] | frozenset[int] | None, limit: int) -> SearchResult:
        if allowed is None:
            return SearchResult(hits=list(self._default[: max(limit, 0)]), total=len(self._default))
        order = sorted(allowed, key=self._default_rank.__getitem__)[: max(limit, 0)]
        return SearchResult(hits=[self._phrases[o] for o in order], total=len(allowed))

    # ---- One word --------------------------------------------------------------------

    def _compute_word_match(self, word: str, prefix: bool) -> WordMatch:
        """One query word's matches in the phrases' own words: exact, prefix, stem, typo."""
        longer = self._words.longer(word) if prefix else []
        forms = [w for w in self._words.forms(word) if w != word and not w.startswith(word)]
        completions = longer + self._thesaurus_completions(word) if prefix else []
        if 0 < len(completions) <= MAX_COMPLETIONS_FORMS and len(word) >= 4:
            # A word on its way to few completions finds what they find by stem: "queuei"
            # (queueing) keeps the phrases about the queue that "queue" found a letter ago.
            for completion in completions:
                more = self._words.forms(completion)
                forms += [w for w in more if w not in forms and not w.startswith(word)]
        typos: list[str] = []
        if not self._in_vocab(word, longer, forms) and self._may_correct(word, prefix):
            typos = [w for w in self._typo.near(word) if not w.startswith(word) and w not in forms]
        return self._words.match(word, longer, forms, typos)

    def _thesaurus_completions(self, word: str) -> list[str]:
        """Thesaurus words `word` is on its way to, up to one more than anyone would use."""
        start = bisect.bisect_left(self._single_words, word)
        found = itertools.islice(self._single_words, start, start + MAX_COMPLETIONS_FORMS + 1)
        return [w for w in found if w.startswith(word) and w != word]

    def _in_vocab(self, word: str, longer: list[str], forms: list[str]) -> bool:
        return bool(longer or forms or self._words.has(word))

    def _known_words(self) -> frozenset[str]:
        if self._known is None:
            self._known = english_words()
        return self._known

    def _may_correct(self, word: str, prefix: bool) -> bool:
        """Whether `word` may be a typo: not a word anyone knows, and not one being typed."""
        if word in self._known_words() or word.isdigit():
            return False
        if self._words.has(word):
            return False  # a word of the library itself
        # A thesaurus word is known where its group leads somewhere in this library.
        if any(self._leads(g) for g in (*self._single.get(word, ()), *self._stem_groups(word))):
            return False
        if prefix:
            start = bisect.bisect_left(self._single_words, word)
            for other in itertools.islice(self._single_words, start, start + 16):
                if not other.startswith(word):
                    break
                if any(self._leads(group) for group in self._single[other]):
                    return False
        return True

    def _leads(self, group: int) -> bool:
        return any(self._group_targets(group))

    def _stem_groups(self, word: str) -> list[int]:
        return self._single_stems.get(stem(word), []) if len(word) >= 3 else []

    # ---- The thesaurus ---------------------------------------------------------------

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
            start = bisect.bisect_left(self._single_words, word)
            for other in self._single_words[start:]:
                if not other.startswith(word):
                    break
                groups = self._single[other]
                if other.isalpha():
                    # What the whole word finds by its stem too: "apologisi" on its way to
                    # "apologising" keeps "apologize", which "apologis" and "apologising" find.
                    groups = [*groups, *self._single_stems.get(stem(other), ())]
                for group in groups:
                    found.setdefault(group, (group, SYNONYM, True, False))
        if not found and self._may_correct(word, last):
            for other in self._typo.near(word):
                for group in self._single.get(other, ()):
                    found.setdefault(group, (group, TYPO, False, False))
        return tuple(found.values())

    def moments(self, text_words: Sequence[str]) -> list[tuple[str, str]]:
        """Thesaurus entries written out in `text_words` (notes, not a query still being typed).

        (the words as written, the group's name), in the order written, each group once.
        """
        found: dict[str, str] = {}
        for span in sorted(self._spans(list(text_words), typing=False), key=lambda s: s.start):
            if span.kind != SYNONYM or not any(self._group_targets(span.group)):
                continue
            name = self._groups[span.group].name
            found.setdefault(name, " ".join(text_words[span.start : span.end]))
        return [(text, name) for name, text in found.items()]

    def leads(self, query: str, group_name: str | None = None, limit: int = 3) -> list[Phrase]:
        """The best phrases for `query`; with `group_name`, only those that group leads to,
        the ones it names first."""
        hits = self.search(query, limit=max(limit, 10)).hits
        if group_name is None:
            return hits[:limit]
        numbers = [n for n, group in enumerate(self._groups) if group.name == group_name]
        named: list[Phrase] = []
        allowed: set[int] = set()
        for number in numbers:
            for phrase_id in self._groups[number].phrases:
                ordinal = self._ordinal.get(phrase_id)
                if ordinal is not None and self._phrases[ordinal] not in named:
                    named.append(self._phrases[ordinal])
            allowed.update(*self._group_targets(number))
        rest = [p for p in hits if self._ordinal[p.id] in allowed and p not in named]
        return [*named, *rest][:limit]

    def _spans(self, query_words: list[str], typing: bool = True) -> list[_Span]:
        """Thesaurus entries in the query; an entry inside a longer one gives way to it.

        With `typing`, the last word may be the start of an entry's word ("kil" for kill).
        """
        if not self._groups:
            return []
        last = len(query_words) - 1 if typing else -1
        spans: list[_Span] = []
        for index, word in enumerate(query_words):
            for group, kind, partial, literal in self._synonym_words(word, index == last):
                label = f"{word} → {self._groups[group].name}"
                spans.append(_Span(index, index + 1, group, kind, partial, label, literal))
            for entry, group in self._multi.get(word, ()):
                end = _entry_end(entry, query_words, index, typing)
                if end is not None:
                    typed = " ".join(query_words[index:end])
                    label = f"{typed} → {self._groups[group].name}"
                    partial = end - index < len(entry) or query_words[end - 1] != entry[-1]
                    spans.append(_Span(index, end, group, SYNONYM, partial, label))
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

    def _group_targets(self, number: int) -> tuple[set[int], set[int], set[int]]:
        """The phrases a group leads to, as (LOW, MID, HIGH): named ones HIGH, the rest MID."""
        cached = self._targets.get(number)
        if cached is not None:
            return cached
        group = self._groups[number]
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


def _entry_end(
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


def search_phrases(phrases: Sequence[Phrase], query: str, limit: int = 50) -> SearchResult:
    """One-off search without keeping an index (the CLI); the app keeps a PhraseIndex."""
    return PhraseIndex(phrases).search(query, limit)
