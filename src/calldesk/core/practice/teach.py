"""One card as practice shows it: whole phrase or cloze, the fading cue, and the attempt's score."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from calldesk.core.practice.clauses import key_clause
from calldesk.core.practice.cloze import Cloze, make_cloze, wants_cloze
from calldesk.core.practice.cues import cue_level, cue_text
from calldesk.core.practice.scoring import Score, score

if TYPE_CHECKING:
    from calldesk.core.practice.cards import QueueItem

RECALL, CLOZE = "recall", "cloze"


@dataclass(frozen=True, slots=True)
class CardView:
    """What the agent is asked, and what their answer is scored against."""

    kind: str
    """RECALL (say the whole phrase) or CLOZE (fill in the key clause)."""
    text: str
    """The phrase's words as shown after the reveal ({agent} filled)."""
    clause: str
    """The key clause."""
    cloze: Cloze | None
    """For CLOZE cards: the phrase with the key clause blanked."""
    cue: str
    """First letters as a hint ('' when the card needs none)."""
    cue_level: int

    @property
    def answer(self) -> str:
        """What a full answer is: the phrase, or the blanked clause."""
        return self.cloze.answer if self.cloze is not None else self.text


def prepare(item: QueueItem, text: str, ratings: Sequence[int]) -> CardView:
    """The card for `item`, whose words are `text`, after the grades `ratings` (oldest first)."""
    phrase = item.phrase
    clause = key_clause(text, phrase.key)
    cloze = make_cloze(text, clause) if wants_cloze(text, not item.is_new) else None
    level = cue_level(ratings)
    shown = cloze.answer if cloze is not None else text
    return CardView(
        kind=CLOZE if cloze is not None else RECALL,
        text=text,
        clause=clause,
        cloze=cloze,
        cue=cue_text(shown, level),
        cue_level=level,
    )


def score_attempt(view: CardView, attempt: str, instead_of: str = "") -> Score | None:
    """Score a typed attempt: against the whole phrase, or for a cloze, against the clause."""
    if view.cloze is not None:
        return score(attempt, view.cloze.answer, instead_of=instead_of)
    return score(attempt, view.text, key=view.clause, instead_of=instead_of)
