"""Cloze cards: the phrase with its key clause blanked out, to drill the words that matter."""

from __future__ import annotations

import re
from dataclasses import dataclass

from calldesk.core.practice.clauses import words

CLOZE_MIN_WORDS = 20
"""Phrases at least this long are drilled as cloze cards once they have been seen."""
BLANK = "_____"


@dataclass(frozen=True, slots=True)
class Cloze:
    before: str
    answer: str
    after: str

    @property
    def text(self) -> str:
        """The phrase with one blank of about the answer's length, a blank per word."""
        blank = " ".join(BLANK for _ in words(self.answer)) or BLANK
        return f"{self.before}{blank}{self.after}"


def make_cloze(text: str, clause: str) -> Cloze | None:
    """Blank `clause` out of `text` (any case and spacing); None when it is not in it."""
    pattern = r"\s+".join(re.escape(part) for part in clause.split())
    if not pattern:
        return None
    match = re.search(pattern, text, re.IGNORECASE)
    if match is None:
        return None
    return Cloze(text[: match.start()], match.group(), text[match.end() :])


def wants_cloze(say: str, seen_before: bool) -> bool:
    """A long phrase that has been seen is drilled on its key clause; new and short ones whole."""
    return seen_before and len(words(say)) >= CLOZE_MIN_WORDS
