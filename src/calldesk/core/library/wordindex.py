"""The phrases' own words, by field, with their other forms; and their tags, categories, sets.

An inverted index: each word maps to the set of phrase ordinals holding it, per field (title
and keywords; `when`, tags and category; `say`). The thesaurus and the query's reading of a
word are built on top of it (`search.py`).
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence

from calldesk.core.library.phrases import Phrase
from calldesk.core.library.ranking import (
    EXACT,
    HIGH,
    LOW,
    MID,
    PREFIX,
    STEM,
    TYPO,
    WordMatch,
    disjoint,
    level,
)
from calldesk.core.library.thesaurus import normal
from calldesk.core.library.words import ending_of, indexed_words, stem

LAST_CHAR = chr(0x10FFFF)
EMPTY: frozenset[int] = frozenset()


class WordIndex:
    """Words of a fixed list of phrases (ordinal = place in the list), by field."""

    def __init__(self, phrases: Sequence[Phrase]) -> None:
        by_field: tuple[dict[str, set[int]], ...] = ({}, {}, {})  # LOW, MID, HIGH
        fields: dict[str, dict[str, set[int]]] = {"tag": {}, "category": {}, "set": {}}
        for ordinal, phrase in enumerate(phrases):
            texts = (
                # What the agent might be tempted to say is how they think of the moment.
                f"{phrase.say} {phrase.instead_of}",
                " ".join((phrase.when, phrase.category, *phrase.tags)),
                " ".join((phrase.title, *phrase.keywords)),
            )
            for where, text in enumerate(texts):
                table = by_field[where]
                for word in set(indexed_words(text)):
                    if word in table:
                        table[word].add(ordinal)
                    else:
                        table[word] = {ordinal}
            for kind, values in (
                ("tag", phrase.tags),
                ("category", (phrase.category,)),
                ("set", phrase.sets),
            ):
                for value in values:
                    fields[kind].setdefault(normal(value), set()).add(ordinal)
        self.by_field = by_field
        self.vocab: list[str] = sorted(by_field[0].keys() | by_field[1].keys() | by_field[2].keys())
        self._stems: dict[str, list[str]] = {}
        for word in self.vocab:
            self._stems.setdefault(stem(word), []).append(word)
        self._fields = fields
        self._field_keys = {kind: sorted(values) for kind, values in fields.items()}

    def has(self, word: str) -> bool:
        """Whether `word` is a word of the library (in any field)."""
        return any(word in words_at for words_at in self.by_field)

    def with_value(self, kind: str, value: str) -> set[int] | frozenset[int]:
        """The phrases with this tag, category or set (folded, as `normal` gives it)."""
        return self._fields[kind].get(value, EMPTY)

    def filter(self, kind: str, value: str) -> set[int] | frozenset[int]:
        """The phrases whose tag, category or set (`kind`) starts with `value`."""
        keys = self._field_keys[kind]
        start = bisect.bisect_left(keys, value)
        end = bisect.bisect_left(keys, value + LAST_CHAR, start)
        table = self._fields[kind]
        if end - start == 1:
            return table[keys[start]]
        return set().union(*(table[key] for key in keys[start:end]))

    def longer(self, word: str) -> list[str]:
        """The library's words that `word` starts, `word` itself left out."""
        start = bisect.bisect_left(self.vocab, word)
        end = bisect.bisect_left(self.vocab, word + LAST_CHAR, start)
        return [w for w in self.vocab[start:end] if w != word]

    def forms(self, word: str) -> list[str]:
        """Library words that are other forms of `word`: threat/threatening, yell/yelling."""
        found: list[str] = []
        if len(word) < 3 or not word.isalpha():
            return found
        root = stem(word)
        found.extend(self._stems.get(root, ()))
        for size in range(3, len(word) + 1):
            others = self._stems.get(word[:size], [])
            if word[size - 1] == "i":  # repli: the stem "reply"
                others = [*others, *self._stems.get(word[: size - 1] + "y", ())]
            for other in others:
                if other not in found and ending_of(stem(other), word):
                    found.append(other)
        start = bisect.bisect_left(self.vocab, root)
        for other in itertools.islice(self.vocab, start, start + 64):
            if not other.startswith(root):
                break
            if other not in found and ending_of(root, other):
                found.append(other)
        return found

    def match(self, word: str, longer: list[str], forms: list[str], typos: list[str]) -> WordMatch:
        """The phrases with `word` itself, a word it starts, another form, or a typo's word."""
        table: dict[int, frozenset[int] | set[int]] = {}
        notes: list[tuple[int, str, frozenset[int] | set[int]]] = []
        evidence: list[tuple[int, tuple[frozenset[int] | set[int], ...]]] = []
        for where in (LOW, MID, HIGH):
            words_at = self.by_field[where]
            exact = words_at.get(word, EMPTY)
            sets = [
                (EXACT, exact),
                (PREFIX, set().union(*(words_at[w] for w in longer if w in words_at))),
                (STEM, set().union(*(words_at[w] for w in forms if w in words_at))),
                (TYPO, set().union(*(words_at[w] for w in typos if w in words_at))),
            ]
            for kind, ordinals in sets:
                if ordinals:
                    table[level(kind, where)] = ordinals  # one source per level: no copy
            evidence.append((1, (exact, sets[1][1], sets[2][1])))
        for kind, expansions in ((STEM, forms), (TYPO, typos)):
            for other in expansions:
                found = set().union(*(t[other] for t in self.by_field if other in t))
                if found:
                    notes.append((kind, f"{word} → {other}", found))
        levels, matched = disjoint(table)
        return WordMatch(levels, matched, tuple(evidence), tuple(notes))
