"""What practice stores: the FSRS card of each phrase and every grade given."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum


class CardState(IntEnum):
    """Where a phrase stands; 1-3 are FSRS's own states, NEW means never graded in this wording."""

    NEW = 0
    LEARNING = 1
    REVIEW = 2
    RELEARNING = 3

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class CardRecord:
    """The stored FSRS card of one phrase (one per phrase id, per data folder)."""

    phrase_id: str
    say_hash: str
    """`say_hash` of the words the card was learned with; a different one means start over."""
    card_id: int
    state: CardState
    step: int | None
    stability: float | None
    difficulty: float | None
    due: datetime
    last_review: datetime | None
    introduced_at: datetime
    """When this card (this wording) was first graded."""


@dataclass(frozen=True, slots=True)
class ReviewRecord:
    """One grade given, kept forever (also after the phrase changes or leaves the library)."""

    phrase_id: str
    say_hash: str
    card_id: int
    rating: int
    reviewed_at: datetime
    elapsed_days: float | None
    """Days since this card's previous review; None for its first."""
    state_before: CardState
    state_after: CardState
    stability: float | None
    difficulty: float | None
    due: datetime
    """When the card fell due next after this review."""
    typed: bool = False
    """Whether the agent typed an attempt (rather than saying it aloud)."""
    id: int | None = None

    @property
    def introduced(self) -> bool:
        return self.state_before is CardState.NEW
