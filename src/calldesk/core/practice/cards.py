"""Practice: spaced repetition (FSRS) of phrases, the daily queue, word hints and progress."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from calldesk.core.clock import Clock
from calldesk.core.practice import records
from calldesk.core.practice.model import CardRecord, CardState, ReviewRecord
from calldesk.core.practice.order import teaching_order

if TYPE_CHECKING:
    from collections.abc import Mapping

    from fsrs import Card, Scheduler

    from calldesk.core.db.database import Database
    from calldesk.core.library.phrases import Phrase

# fsrs is imported only where a card is graded: it costs ~50 ms to import, and the status bar's
# due count never needs it.

RATINGS: dict[int, str] = {1: "again", 2: "hard", 3: "good", 4: "easy"}
"""The four grades, as FSRS numbers them."""
FORGOT = 1
LEARNED_STABILITY_DAYS = 21.0
"""A phrase counts as learned when its card is in review with a stability of at least this many
days (FSRS expects 90% recall after that long): Anki calls such cards "mature"."""
LEARN_AHEAD = timedelta(minutes=20)
"""A session also shows cards still being learned that fall due within this long, rather than
stopping with a phrase half learned (Anki's learn-ahead limit)."""


@lru_cache(maxsize=1 << 15)
def say_hash(say: str) -> str:
    """A short fingerprint of a phrase's words; changes in spacing or line breaks do not count."""
    return hashlib.blake2b(" ".join(say.split()).encode(), digest_size=8).hexdigest()


# -- the queue -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueueItem:
    phrase: Phrase
    card: CardRecord | None
    """The phrase's card; None when it is new, or stale (`changed`) when its words changed."""
    changed: bool = False

    @property
    def is_new(self) -> bool:
        return self.card is None or self.changed


@dataclass(frozen=True)
class PracticeQueue:
    """What to practise now: due cards, most overdue first, then today's new phrases."""

    due: list[QueueItem] = field(default_factory=list)
    new: list[QueueItem] = field(default_factory=list)
    ahead: list[QueueItem] = field(default_factory=list)
    """Cards still in learning that fall due within the learn-ahead window, soonest first."""
    new_waiting: int = 0
    """New phrases left for later days by the daily limit."""

    @property
    def items(self) -> list[QueueItem]:
        return [*self.due, *self.new, *self.ahead]

    @property
    def count(self) -> int:
        """Cards due now plus today's new ones (not the learn-ahead ones)."""
        return len(self.due) + len(self.new)

    def first(self) -> QueueItem | None:
        for part in (self.due, self.new, self.ahead):
            if part:
                return part[0]
        return None

    def __len__(self) -> int:
        return len(self.due) + len(self.new) + len(self.ahead)


def build_queue(
    phrases: Iterable[Phrase],
    cards: Mapping[str, CardRecord],
    now: datetime,
    new_per_day: int,
    set_name: str | None = None,
    *,
    introduced_today: int = 0,
    learn_ahead: timedelta = timedelta(0),
) -> PracticeQueue:
    """Due cards (most overdue first), then up to `new_per_day - introduced_today` new phrases.

    Only phrases in `phrases` are shown, so a phrase removed from the library keeps its card
    and history but drops out. New phrases come in this order: those whose words changed (they
    were known before), then the rest in the trainer's order (`order.teaching_key`: essentials,
    other drill sets, the rest; by `priority:`, then file order), never alphabetically.
    This is one pass of dictionary look-ups and datetime comparisons, with no FSRS maths.
    """
    horizon = now + learn_ahead
    due: list[tuple[datetime, int, QueueItem]] = []
    ahead: list[tuple[datetime, int, QueueItem]] = []
    changed: list[QueueItem] = []
    fresh: list[Phrase] = []
    for position, phrase in enumerate(phrases):
        if set_name is not None and set_name not in phrase.sets:
            continue
        card = cards.get(phrase.id)
        if card is None:
            fresh.append(phrase)
        elif card.say_hash != say_hash(phrase.say):
            changed.append(QueueItem(phrase, card, changed=True))
        elif card.due <= now:
            due.append((card.due, position, QueueItem(phrase, card)))
        elif card.due <= horizon and card.state in (CardState.LEARNING, CardState.RELEARNING):
            ahead.append((card.due, position, QueueItem(phrase, card)))
    room = max(0, new_per_day - introduced_today)
    new = changed[:room]
    if len(new) < room:
        new.extend(QueueItem(phrase, None) for phrase in teaching_order(fresh)[: room - len(new)])
    due.sort(key=lambda entry: entry[:2])
    ahead.sort(key=lambda entry: entry[:2])
    return PracticeQueue(
        due=[entry[2] for entry in due],
        new=new,
        ahead=[entry[2] for entry in ahead],
        new_waiting=len(changed) + len(fresh) - len(new),
    )


def local_day(now: datetime) -> tuple[datetime, datetime]:
    """The start and end of `now`'s day in local time: the day new phrases are counted in."""
    local = now.astimezone()
    start = datetime.combine(local.date(), time(), tzinfo=local.tzinfo)
    return start, datetime.combine(local.date() + timedelta(days=1), time(), tzinfo=local.tzinfo)


def introduced_today(store: Database, now: datetime) -> int:
    """How many new cards were first graded today (local time), from the review log."""
    start, end = local_day(now)
    return records.practice_introduced(store, start, end)


def due_count(store: Database, phrases: Sequence[Phrase], now: datetime, new_per_day: int) -> int:
    """Phrases to practise now: cards due plus what is left of today's new ones (status bar).

    The same number as `build_queue(...).count`, from a lighter query than loading every card.
    """
    index = records.practice_due_index(store, now)
    due = new = 0
    for phrase in phrases:
        entry = index.get(phrase.id)
        if entry is None or entry[0] != say_hash(phrase.say):
            new += 1
        elif entry[1]:
            due += 1
    return due + min(new, max(0, new_per_day - introduced_today(store, now)))


# -- grading -------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def default_scheduler() -> Scheduler:
    """FSRS with its default parameters (90% retention, steps of 1 and 10 minutes)."""
    from fsrs import Scheduler

    return Scheduler()


def _to_fsrs(card: CardRecord) -> Card:
    from fsrs import Card, State

    return Card(
        card_id=card.card_id,
        state=State(int(card.state)),
        step=card.step,
        stability=card.stability,
        difficulty=card.difficulty,
        due=card.due.astimezone(UTC),
        last_review=None if card.last_review is None else card.last_review.astimezone(UTC),
    )


def grade(
    store: Database,
    phrase: Phrase,
    rating: int,
    now: datetime,
    *,
    typed: bool = False,
    seconds_to_speak: float | None = None,
    scheduler: Scheduler | None = None,
) -> CardRecord:
    """Grade a phrase 1-4 (again, hard, good, easy): update its card and log the review.

    A phrase with no card, or whose words changed since its card was made, starts a new card;
    the old card's reviews stay in the log.
    """
    from fsrs import Card, Rating

    if rating not in RATINGS:
        raise ValueError(f"rating must be 1-4 ({', '.join(RATINGS.values())}), not {rating!r}")
    scheduler = scheduler or default_scheduler()
    when = now.astimezone(UTC)  # fsrs insists on timezone.utc itself
    current = records.practice_card(store, phrase.id)
    words = say_hash(phrase.say)
    if current is None or current.say_hash != words:
        # card_id 0 is a placeholder: the store gives the card its id when it is saved.
        card, before, introduced, elapsed = Card(card_id=0, due=when), None, when, None
    else:
        card, before, introduced = _to_fsrs(current), current, current.introduced_at
        last = current.last_review
        elapsed = None if last is None else (when - last).total_seconds() / 86400
    reviewed, _ = scheduler.review_card(card, Rating(rating), review_datetime=when)
    record = CardRecord(
        phrase_id=phrase.id,
        say_hash=words,
        card_id=before.card_id if before is not None else 0,
        state=CardState(int(reviewed.state)),
        step=reviewed.step,
        stability=reviewed.stability,
        difficulty=reviewed.difficulty,
        due=reviewed.due,
        last_review=reviewed.last_review,
        introduced_at=introduced,
    )
    review = ReviewRecord(
        phrase_id=phrase.id,
        say_hash=words,
        card_id=record.card_id,
        rating=rating,
        reviewed_at=when,
        elapsed_days=elapsed,
        state_before=CardState.NEW if before is None else before.state,
        state_after=record.state,
        stability=record.stability,
        difficulty=record.difficulty,
        due=record.due,
        typed=typed,
        seconds_to_speak=seconds_to_speak,
    )
    saved, _ = records.save_practice_review(store, record, review)
    return saved


@dataclass(frozen=True)
class PracticeSummary:
    """What one session did."""

    reviewed: int = 0
    forgotten: int = 0
    """Grades of 1 (again)."""
    new: int = 0
    """Phrases seen for the first time (or in new words)."""

    def describe(self) -> str:
        if not self.reviewed:
            return "Nothing practised this time."
        phrases = "phrase" if self.reviewed == 1 else "phrases"
        text = f"Practised {self.reviewed} {phrases}"
        if self.new:
            text += f" ({self.new} new)"
        return f"{text}, forgot {self.forgotten}."


class PracticeSession:
    """One sitting: the queue as it stands after each grade, and a running summary.

    Loads the cards once and keeps them current as it grades, so each next card costs one
    queue build and one small count query.
    """

    def __init__(
        self,
        store: Database,
        phrases: Sequence[Phrase],
        clock: Clock,
        *,
        new_per_day: int,
        set_name: str | None = None,
        scheduler: Scheduler | None = None,
        learn_ahead: timedelta = LEARN_AHEAD,
    ) -> None:
        self.store = store
        self.phrases = list(phrases)
        self.clock = clock
        self.new_per_day = new_per_day
        self.set_name = set_name
        self.scheduler = scheduler
        self.learn_ahead = learn_ahead
        self.summary = PracticeSummary()
        self._cards: dict[str, CardRecord] = records.practice_cards(store)

    def queue(self) -> PracticeQueue:
        now = self.clock.now()
        return build_queue(
            self.phrases,
            self._cards,
            now,
            self.new_per_day,
            self.set_name,
            introduced_today=introduced_today(self.store, now),
            learn_ahead=self.learn_ahead,
        )

    def next(self) -> QueueItem | None:
        """The card to show now; None when nothing is due."""
        return self.queue().first()

    def grade(
        self,
        item: QueueItem,
        rating: int,
        *,
        typed: bool = False,
        seconds_to_speak: float | None = None,
    ) -> CardRecord:
        card = grade(
            self.store,
            item.phrase,
            rating,
            self.clock.now(),
            typed=typed,
            seconds_to_speak=seconds_to_speak,
            scheduler=self.scheduler,
        )
        self._cards[card.phrase_id] = card
        self.summary = replace(
            self.summary,
            reviewed=self.summary.reviewed + 1,
            forgotten=self.summary.forgotten + (rating == FORGOT),
            new=self.summary.new + item.is_new,
        )
        return card

    def ratings(self, item: QueueItem) -> list[int]:
        """The grades given to this phrase in its current words, oldest first (for cues)."""
        if item.is_new:
            return []
        words = say_hash(item.phrase.say)
        reviews = records.practice_reviews(self.store, item.phrase.id)
        return [review.rating for review in reviews if review.say_hash == words]

    def next_due(self) -> datetime | None:
        """When the next card of this session's phrases falls due (None: none has a card)."""
        wanted = {
            p.id: say_hash(p.say)
            for p in self.phrases
            if self.set_name is None or self.set_name in p.sets
        }
        dues = [
            card.due for card in self._cards.values() if wanted.get(card.phrase_id) == card.say_hash
        ]
        return min(dues, default=None)


def practice_text(phrase: Phrase, agent_name: str = "") -> str:
    """The words to learn as shown: `{{` as `{`, {agent} filled, other placeholders kept."""
    from calldesk.core.library.phrases import render

    return render(phrase.say, {"agent": agent_name})


def describe_due(due: datetime | None, now: datetime) -> str:
    """`now`, `in 10 min`, `in 3 h`, `in 4 days`; `-` for none."""
    if due is None:
        return "-"
    seconds = (due - now).total_seconds()
    if seconds <= 0:
        return "now"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"in {max(minutes, 1)} min"
    hours = round(seconds / 3600)
    if hours < 24:
        return f"in {hours} h"
    days = round(seconds / 86400)
    return f"in {days} day" if days == 1 else f"in {days} days"
