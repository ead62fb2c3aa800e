"""Practice progress: per phrase, per drill set, and what counts as learned."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from calldesk.core.clock import to_iso
from calldesk.core.practice import records
from calldesk.core.practice.model import CardRecord, CardState
from calldesk.core.practice.order import ESSENTIALS

if TYPE_CHECKING:
    from calldesk.core.db.database import Database
    from calldesk.core.library.phrases import Phrase
from calldesk.core.practice.cards import LEARNED_STABILITY_DAYS, say_hash


@dataclass(frozen=True, slots=True)
class PhraseStats:
    phrase_id: str
    title: str
    sets: tuple[str, ...]
    state: CardState
    changed: bool
    """The phrase has a card, but for words it no longer has: it starts over."""
    reviews: int
    """Every grade ever given to this phrase id, under any wording."""
    lapses: int
    """Times it was forgotten (graded 1) after it had been learned (in review)."""
    due: datetime | None
    stability: float | None
    learned: bool


@dataclass(frozen=True, slots=True)
class SetStats:
    name: str
    learned: int
    total: int
    seen: int = 0
    """Phrases with a card in their current words (learned ones included)."""


@dataclass(frozen=True)
class PracticeStats:
    phrases: list[PhraseStats]
    sets: list[SetStats]
    """Every drill set in the library, by name."""
    learned: int
    total: int
    due_now: int
    """Phrases listed whose card is due (new phrases not counted)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "learned_means": f"in review with stability >= {LEARNED_STABILITY_DAYS:g} days",
            "learned": self.learned,
            "total": self.total,
            "due_now": self.due_now,
            "sets": [
                {"name": s.name, "learned": s.learned, "seen": s.seen, "total": s.total}
                for s in self.sets
            ],
            "phrases": [
                {
                    "id": p.phrase_id,
                    "title": p.title,
                    "sets": list(p.sets),
                    "state": p.state.label,
                    "changed": p.changed,
                    "reviews": p.reviews,
                    "lapses": p.lapses,
                    "due": None if p.due is None else to_iso(p.due),
                    "stability_days": p.stability,
                    "learned": p.learned,
                }
                for p in self.phrases
            ],
        }


def is_learned(card: CardRecord | None) -> bool:
    return (
        card is not None
        and card.state is CardState.REVIEW
        and (card.stability or 0.0) >= LEARNED_STABILITY_DAYS
    )


def stats(
    phrases: Sequence[Phrase], store: Database | None, now: datetime, set_name: str | None = None
) -> PracticeStats:
    """Per phrase (of `set_name`, or all): reviews, lapses, state, next due; learned per set.

    `store` None means no database yet: every phrase is new.
    """
    cards = records.practice_cards(store) if store is not None else {}
    counts = records.practice_review_counts(store) if store is not None else {}
    per_set: dict[str, list[int]] = {}
    rows: list[PhraseStats] = []
    learned_total = total = due_now = 0
    for phrase in phrases:
        card = cards.get(phrase.id)
        changed = card is not None and card.say_hash != say_hash(phrase.say)
        current = None if changed else card
        learned = is_learned(current)
        for name in phrase.sets:
            entry = per_set.setdefault(name, [0, 0, 0])
            entry[0] += learned
            entry[1] += 1
            entry[2] += current is not None
        if set_name is not None and set_name not in phrase.sets:
            continue
        total += 1
        learned_total += learned
        due_now += current is not None and current.due <= now
        reviews, lapses = counts.get(phrase.id, (0, 0))
        rows.append(
            PhraseStats(
                phrase_id=phrase.id,
                title=phrase.title,
                sets=phrase.sets,
                state=CardState.NEW if current is None else current.state,
                changed=changed,
                reviews=reviews,
                lapses=lapses,
                due=None if current is None else current.due,
                stability=None if current is None else current.stability,
                learned=learned,
            )
        )
    sets = [
        SetStats(name, learned, count, seen)
        for name, (learned, count, seen) in sorted(per_set.items(), key=_set_order)
    ]
    return PracticeStats(rows, sets, learned_total, total, due_now)


def _set_order(entry: tuple[str, list[int]]) -> tuple[bool, str]:
    """Essentials first (it is learned first), then the other sets by name."""
    return (entry[0] != ESSENTIALS, entry[0])


def set_names(phrases: Iterable[Phrase]) -> list[str]:
    """Every drill set named in `phrases`, sorted."""
    return sorted({name for phrase in phrases for name in phrase.sets})
