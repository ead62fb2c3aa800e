"""Typo tolerance: words within a few edits of a query word, found through shared deletions."""

from __future__ import annotations

from collections.abc import Callable, Iterable


class TypoIndex:
    """The vocabulary by its deletions (SymSpell), built on first use.

    Typos rarely hit the first letter: "kill" is never "will", "sue" never "use".
    """

    def __init__(self, vocabulary: Callable[[], Iterable[str]]) -> None:
        self._vocabulary = vocabulary
        self._deletes: dict[str, list[str]] | None = None

    def build(self) -> dict[str, list[str]]:
        if self._deletes is None:
            index: dict[str, list[str]] = {}
            for word in sorted(self._vocabulary()):
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

    def near(self, word: str) -> list[str]:
        """Words within a few edits of `word` (more for longer words), starting as it does."""
        distance = max_typos(word)
        if not distance:
            return []
        index = self.build()
        candidates: set[str] = set()
        for variant in _deletions(word, distance):
            candidates.update(index.get(variant, ()))
        return sorted(
            candidate
            for candidate in candidates
            if candidate != word
            and (candidate[0] == word[0] or candidate[:2] == word[1::-1])
            and _within(word, candidate, distance)
        )


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
