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

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from calldesk.core.library.phrases import Phrase, sort_key
from calldesk.core.library.ranking import (
    WordMatch,
    as_minor,
    best_first,
    note_for,
    union,
)
from calldesk.core.library.thesaurus import SynonymGroup, bundled_thesaurus
from calldesk.core.library.thesaurus_index import MAX_COMPLETIONS_FORMS, ThesaurusIndex
from calldesk.core.library.typos import TypoIndex
from calldesk.core.library.wordindex import WordIndex
from calldesk.core.library.words import english_words, fold, words

FILTERS: Mapping[str, str] = {
    "tag": "tag",
    "tags": "tag",
    "cat": "category",
    "category": "category",
    "set": "set",
    "sets": "set",
}
"""Query prefixes (`tag:blame`) and the field each one filters on."""

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
        self._thesaurus = ThesaurusIndex(groups, self._words, self._ordinal, self._corrections)
        self._known: frozenset[str] | None = None
        self._typo = TypoIndex(lambda: {*self._words.vocab, *self._thesaurus.single_words})
        self._word_match = lru_cache(maxsize=1024)(self._compute_word_match)

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
        self._thesaurus.clear_cache()

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
        spans = self._thesaurus.spans(query_words)
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
                match = self._thesaurus.with_synonyms(match, covering, index, last)
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
        completions = longer + self._thesaurus.completions(word) if prefix else []
        if 0 < len(completions) <= MAX_COMPLETIONS_FORMS and len(word) >= 4:
            # A word on its way to few completions finds what they find by stem: "queuei"
            # (queueing) keeps the phrases about the queue that "queue" found a letter ago.
            for completion in completions:
                more = self._words.forms(completion)
                forms += [w for w in more if w not in forms and not w.startswith(word)]
        typos: list[str] = []
        if not self._in_vocab(word, longer, forms):
            near = self._corrections(word, prefix)
            typos = [w for w in near if not w.startswith(word) and w not in forms]
        return self._words.match(word, longer, forms, typos)

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
        return not self._thesaurus.knows(word, prefix)

    def _corrections(self, word: str, prefix: bool) -> list[str]:
        """The words `word` may be a typo of: none if it is a word anyone knows."""
        return self._typo.near(word) if self._may_correct(word, prefix) else []

    def moments(self, text_words: Sequence[str]) -> list[tuple[str, str]]:
        """Thesaurus entries written out in `text_words` (notes, not a query still being typed).

        (the words as written, the group's name), in the order written, each group once.
        """
        return self._thesaurus.moments(text_words)

    def leads(self, query: str, group_name: str | None = None, limit: int = 3) -> list[Phrase]:
        """The best phrases for `query`; with `group_name`, only those that group leads to,
        the ones it names first."""
        hits = self.search(query, limit=max(limit, 10)).hits
        if group_name is None:
            return hits[:limit]
        named, allowed = self._thesaurus.named(group_name)
        rest = [
            p for p in hits if self._ordinal[p.id] in allowed and self._ordinal[p.id] not in named
        ]
        return [*(self._phrases[o] for o in named), *rest][:limit]


def search_phrases(phrases: Sequence[Phrase], query: str, limit: int = 50) -> SearchResult:
    """One-off search without keeping an index (the CLI); the app keeps a PhraseIndex."""
    return PhraseIndex(phrases).search(query, limit)
